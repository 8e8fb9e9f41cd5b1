//! `mfactl recovery-codes`: one-time backup codes, shown once, stored as hashes.

use anyhow::Result;
use mfactl::recovery::RecoveryCode;
use serde_json::json;

use super::{confirm_on_terminal, parse_user, Context, Typed};
use crate::cli::RecoveryCodesArgs;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: RecoveryCodesArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    if !(1..=100).contains(&args.count) {
        // Before the store is opened or anything asked (the library checks it again).
        return Err(mfactl::Error::invalid(
            "--count",
            format!("{} (expected 1 to 100)", args.count),
        )
        .into());
    }
    let mut mfa = ctx.mfa()?;
    if let Some(rec) = mfa.store().user(&user)? {
        if rec.recovery_codes_left > 0 {
            let user = &rec.user;
            confirm_on_terminal(
                ctx,
                args.yes,
                &format!(
                    "{user} has {} unused recovery codes: a new set voids them.",
                    rec.recovery_codes_left
                ),
                Typed::User(user),
                &format!("replacing the recovery codes of {user}"),
            )?;
        }
    }
    let codes = mfa.recovery_codes_n(&user, args.count)?;
    if ctx.json() {
        let list: Vec<&str> = codes.iter().map(RecoveryCode::as_str).collect();
        ctx.print_json(&json!({ "user": user, "codes": list }))?;
    } else {
        outln!("Recovery codes for {user}. Each works once, in place of a TOTP code")?;
        outln!("(mfactl verify --recovery). They are shown only now; any older set is void.\n")?;
        for c in &codes {
            outln!("  {}", c.as_str())?;
        }
    }
    Ok(ExitCode::Success)
}
