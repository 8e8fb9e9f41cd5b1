//! `mfactl disable`: turn MFA off for a user and crypto-shred their secret.

use anyhow::Result;
use mfactl::model::Status;
use serde_json::json;

use super::{confirm_typed_or_refuse, parse_user, report_scrub, Context, Typed};
use crate::cli::DisableArgs;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: DisableArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let mut mfa = ctx.mfa()?;
    let rec = mfa.show(&user)?.record;
    // The name as stored (a row older than NFC normalisation may hold another form).
    let user = rec.user.clone();
    if args.dry_run {
        return dry_run(ctx, &user, rec.status);
    }
    let changed = if rec.status == Status::Disabled {
        false
    } else {
        confirm_typed_or_refuse(
            ctx,
            args.yes,
            &format!(
                "This disables MFA for {user} and erases their secret: they must enroll again."
            ),
            Typed::User(&user),
            &format!("disabling MFA for {user}"),
        )?;
        mfa.disable(&user, args.reason.as_deref())?
    };
    let scrubbed = report_scrub(mfa.store());
    if ctx.json() {
        ctx.print_json(&json!({
            "user": user,
            "status": Status::Disabled,
            "changed": changed,
            "scrubbed": scrubbed,
        }))?;
    } else if changed {
        match scrubbed {
            Some(false) => outln!(
                "Disabled MFA for {user}; their secret is erased from the table (not yet from the \
                 write-ahead log, see the warning)"
            )?,
            _ => outln!("Disabled MFA for {user}; their secret is erased")?,
        }
    } else {
        outln!("MFA is already disabled for {user}; nothing to do")?;
    }
    Ok(ExitCode::Success)
}

/// `disable --dry-run`: what would change; nothing is written, not even an audit row.
fn dry_run(ctx: &Context, user: &mfactl::model::UserName, status: Status) -> Result<ExitCode> {
    let would_change = status != Status::Disabled;
    if ctx.json() {
        ctx.print_json(&json!({
            "user": user,
            "status": status,
            "would_change": would_change,
            "dry_run": true,
        }))?;
    } else if would_change {
        outln!("Would disable MFA for {user} (now {status}) and erase their secret")?;
        outln!("Nothing changed (--dry-run)")?;
    } else {
        outln!("MFA is already disabled for {user}; nothing to do")?;
    }
    Ok(ExitCode::Success)
}
