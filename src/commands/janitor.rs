//! `mfactl janitor`: prints the cleanup plan, and applies it with `--apply`.

use anyhow::Result;
use mfactl::janitor::{Action, Plan, Policy};
use mfactl::model::Span;
use mfactl::names::display_safe;
use serde::Serialize;

use super::Context;
use crate::cli::JanitorArgs;
use crate::exit_codes::ExitCode;
use crate::table::{Column, Layout, Table};

#[derive(Serialize)]
struct Report<'a> {
    applied: bool,
    disable: usize,
    expire_pending: usize,
    remove: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pending_never_expires: bool,
    actions: &'a [mfactl::janitor::Planned],
}

fn span(what: &'static str, s: Option<&str>) -> mfactl::Result<Option<Span>> {
    s.map(|s| Span::parse(what, s)).transpose()
}

pub fn run(ctx: &Context, args: JanitorArgs) -> Result<ExitCode> {
    let policy = Policy {
        disable_unused_since: span(
            "--disable-unused-since",
            args.disable_unused_since.as_deref(),
        )?,
        remove_disabled_older_than: span(
            "--remove-disabled-older-than",
            args.remove_disabled_older_than.as_deref(),
        )?,
        expire_pending: args.expire_pending,
    };
    if policy.is_empty() {
        return Err(mfactl::Error::invalid(
            "janitor",
            "no rule given (--disable-unused-since, --remove-disabled-older-than, \
             --expire-pending)",
        )
        .into());
    }
    let op = ctx.op();
    let mut store = ctx.open_store()?;
    let plan = store.janitor_plan(&policy, op.now)?;
    if !args.apply || plan.actions.is_empty() {
        print(ctx, &plan, false)?;
        return Ok(ExitCode::Success);
    }
    if !args.yes && ctx.interactive() {
        print(ctx, &plan, false)?;
    }
    super::confirm_or_refuse(
        ctx,
        args.yes,
        &format!("Apply the janitor's plan to {} users?", plan.actions.len()),
        "applying the janitor's plan",
    )?;
    let done = store.janitor_apply(&op, &policy)?;
    print(ctx, &done, true)?;
    super::report_scrub(&store);
    Ok(ExitCode::Success)
}

fn print(ctx: &Context, plan: &Plan, applied: bool) -> Result<()> {
    if ctx.json() {
        return ctx.print_json(&Report {
            applied,
            disable: plan.count(Action::Disable),
            expire_pending: plan.count(Action::ExpirePending),
            remove: plan.count(Action::Remove),
            pending_never_expires: plan.pending_never_expires,
            actions: &plan.actions,
        });
    }
    if plan.pending_never_expires {
        errln!("pending-ttl is 0 (never): no pending enrollment expires.");
    }
    if plan.actions.is_empty() {
        outln!("Nothing to do.")?;
        return Ok(());
    }
    let mut table = Table::new(&[
        Column::shrink("USER"),
        Column::fixed("ACTION"),
        Column::shrink("WHY"),
    ]);
    for p in &plan.actions {
        table.row(vec![
            display_safe(&p.user).into_owned(),
            p.action.as_str().to_owned(),
            p.reason.clone(),
        ]);
    }
    let text = table.render(Layout::for_stdout(false), true);
    crate::out::write(text.as_bytes())?;
    let (d, e, r) = (
        plan.count(Action::Disable),
        plan.count(Action::ExpirePending),
        plan.count(Action::Remove),
    );
    let summary = if applied {
        format!("Done: {d} disabled, {e} pending expired, {r} removed.")
    } else {
        format!(
            "Plan: {d} to disable, {e} pending to expire, {r} to remove. Nothing changed; \
             run again with --apply to make these changes."
        )
    };
    errln!("{summary}");
    Ok(())
}
