//! `mfactl disable`: turn MFA off for a user and crypto-shred their secret.

use anyhow::Result;
use mfactl::model::Status;
use serde_json::json;

use super::{confirm_or_refuse, parse_user, report_scrub, Context};
use crate::cli::DisableArgs;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: DisableArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let mut store = ctx.open_store()?;
    let rec = store.require_user(&user)?;
    // The name as stored (a row older than NFC normalisation may hold another form).
    let user = rec.user.clone();
    let changed = if rec.status == Status::Disabled {
        false
    } else {
        confirm_or_refuse(
            ctx,
            args.yes,
            &format!(
                "Disable MFA for {user} and erase their secret? They will need to enroll again"
            ),
            &format!("disabling MFA for {user}"),
        )?;
        store.disable(&ctx.op(), &user, args.reason.as_deref())?
    };
    let scrubbed = report_scrub(&store);
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
