//! `mfactl rekey` and `mfactl recipients`: key rotation.

use anyhow::Result;
use mfactl::mfa::RekeyDryRun;
use mfactl::vault::{IdentitySource, Recipient};
use mfactl::RekeyOptions;
use serde_json::json;

use super::{confirm_typed_or_refuse, report_scrub, Context, Typed};
use crate::cli::RekeyArgs;
use crate::exit_codes::ExitCode;

pub fn list_recipients(ctx: &Context) -> Result<ExitCode> {
    let recipients: Vec<String> = ctx
        .open_store()?
        .recipients()?
        .iter()
        .map(|r| r.to_string())
        .collect();
    if ctx.json() {
        ctx.print_json(&recipients)?;
    } else {
        for r in recipients {
            outln!("{r}")?;
        }
    }
    Ok(ExitCode::Success)
}

pub fn run(ctx: &Context, args: RekeyArgs) -> Result<ExitCode> {
    let recipients = args
        .recipients
        .iter()
        .map(|r| Recipient::parse(r))
        .collect::<mfactl::Result<Vec<_>>>()?;
    if recipients.is_empty() && args.new_identity.is_none() {
        return Err(mfactl::Error::invalid(
            "arguments",
            "give the new keys with --recipient, or --new-identity PATH to generate one",
        )
        .into());
    }
    if let Some(p) = &args.new_identity {
        if p.exists() {
            return Err(mfactl::Error::invalid(
                "--new-identity",
                format!("{} already exists; choose a new path", p.display()),
            )
            .into());
        }
    }
    let mut mfa = ctx.mfa()?;
    mfa.set_identities(ctx.identities()?);
    let mut options = RekeyOptions::new().skip_identity_check(args.no_identity_check);
    options.new_identity = args.new_identity.clone();
    if args.new_identity.is_none() && !args.no_identity_check {
        if let Some(path) = &args.check_identity {
            options.held = ctx
                .load_identities(IdentitySource::File(path.clone()))?
                .recipients();
            options.held_description = Some(path.display().to_string());
        }
    }
    let plan = mfa.plan_rekey(&recipients, &options)?;
    let count = plan.len();
    if args.dry_run {
        let dry = mfa.rekey_dry_run(&plan)?;
        return dry_run(ctx, &args, &dry, plan.recipients());
    }
    confirm_typed_or_refuse(
        ctx,
        args.yes,
        &format!(
            "This re-encrypts {count} secret{} to the new recipients: keys not among them\n\
             lose access to every secret.",
            if count == 1 { "" } else { "s" }
        ),
        Typed::Word("rekey"),
        "re-keying the store",
    )?;
    let bar = crate::ui::progress(count, "re-encrypting", ctx.json());
    let result = mfa.apply_rekey(plan, &|| bar.inc(1));
    bar.finish_and_clear();
    let report = result?;
    let (count, new_identity) = (report.secrets, report.new_identity);
    let names: Vec<String> = report.recipients.iter().map(|r| r.to_string()).collect();
    let scrubbed = report_scrub(mfa.store());
    if ctx.json() {
        ctx.print_json(&json!({
            "secrets": count,
            "recipients": names,
            "new_identity": new_identity.as_ref().map(|p| p.display().to_string()),
            "scrubbed": scrubbed,
        }))?;
    } else {
        outln!(
            "Re-encrypted {} to:",
            crate::ui::count(count as u64, "secret", "secrets")
        )?;
        for n in &names {
            outln!("  {n}")?;
        }
        if let Some(p) = &new_identity {
            outln!(
                "New identity: {} (back it up; use it with -i or MFACTL_IDENTITY)",
                p.display()
            )?;
        }
    }
    Ok(ExitCode::Success)
}

/// `rekey --dry-run`: every secret was decrypted (as the rekey would, proving the identity at
/// hand reads them all) and nothing is encrypted, generated or written.
fn dry_run(
    ctx: &Context,
    args: &RekeyArgs,
    dry: &RekeyDryRun,
    new: &[Recipient],
) -> Result<ExitCode> {
    let names =
        |list: &[Recipient]| -> Vec<String> { list.iter().map(|r| r.to_string()).collect() };
    let removed = names(&dry.removed);
    let secrets = dry.secrets;
    let new_identity = args.new_identity.as_ref().map(|p| p.display().to_string());
    if ctx.json() {
        ctx.print_json(&json!({
            "dry_run": true,
            "secrets": secrets,
            "recipients": names(new),
            "removed_recipients": removed,
            "new_identity": new_identity,
        }))?;
    } else {
        outln!(
            "Would re-encrypt {} secret{} (all decrypt with the identity at hand) to:",
            secrets,
            if secrets == 1 { "" } else { "s" }
        )?;
        for n in names(new) {
            outln!("  {n}")?;
        }
        if let Some(p) = &new_identity {
            outln!("  and the key of a new identity, which the rekey would write to {p}")?;
        }
        for r in &removed {
            outln!("Would remove {r}: its key could no longer read any secret")?;
        }
        outln!("Nothing changed (--dry-run)")?;
    }
    Ok(ExitCode::Success)
}
