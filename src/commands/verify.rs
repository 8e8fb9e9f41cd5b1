//! `mfactl verify`: check a TOTP or recovery code. Exit 0 accepted, 1 rejected, 2 error.

use std::io::IsTerminal;

use anyhow::Result;
use mfactl::model::UserName;
use mfactl::store::VerifyResult;
use mfactl::totp::RejectReason;
use serde_json::json;
use zeroize::Zeroizing;

use super::{parse_user, Context};
use crate::cli::VerifyArgs;
use crate::exit_codes::ExitCode;
use crate::ui;

/// A code is a handful of characters; a little more than a line's worth is read from stdin,
/// never an unbounded stream.
const MAX_INPUT: u64 = 1024;

pub fn run(ctx: &Context, args: VerifyArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let input = match args.code.as_deref() {
        Some(code) if code != "-" => Zeroizing::new(code.to_owned()),
        _ => read_code(ctx, &user)?,
    };
    let mut mfa = ctx.mfa()?;
    let result = if args.recovery {
        mfa.verify_recovery(&user, &input)?
    } else {
        mfa.set_identities(ctx.identities()?);
        mfa.verify(&user, &input)?
    };
    if args.quiet {
        // The exit status is the answer.
    } else if ctx.json() {
        ctx.print_json(&json!({
            "user": user,
            "accepted": result.accepted(),
            "reason": result.rejected.map_or("ok", |r| r.as_str()),
            "status": result.status,
            "token": result.token,
            "locked_until": result.locked_until,
            "clock_offset_seconds": result.clock_offset_seconds,
        }))?;
    } else {
        print_human(&user, &result)?;
    }
    Ok(if result.accepted() {
        ExitCode::Success
    } else {
        ExitCode::Rejected
    })
}

/// One line for a person.
pub fn print_human(user: &UserName, r: &VerifyResult) -> Result<()> {
    // The token that matched, when the user has named ones (labels need no escaping).
    let token = match &r.token {
        Some(label) if label.as_str() != mfactl::model::TokenLabel::DEFAULT => {
            format!(" (token {label})")
        }
        _ => String::new(),
    };
    match r.rejected {
        None if r.confirmed => outln!(
            "{}: code valid for {user}{token}; pairing confirmed, MFA is now enabled",
            ui::good("accepted")
        )?,
        None => outln!("{}: code valid for {user}{token}", ui::good("accepted"))?,
        Some(reason) => {
            let why = match reason {
                RejectReason::Invalid if r.locked_now => format!(
                    "wrong code; {user} is now locked after {}{} (mfactl unlock {user}){}",
                    ui::count(r.failures, "failure", "failures"),
                    lifts(r),
                    clock_hint(user, r.clock_offset_seconds, "after unlocking, ")
                ),
                RejectReason::Invalid => {
                    let failures =
                        crate::ui::count(r.failures, "consecutive failure", "consecutive failures");
                    format!(
                        "wrong code ({failures}){}",
                        clock_hint(user, r.clock_offset_seconds, "")
                    )
                }
                RejectReason::Replayed => {
                    "this code was already used; wait for the next one".into()
                }
                RejectReason::Disabled => format!("MFA is disabled for {user}"),
                RejectReason::Locked => format!(
                    "{user} is locked after too many failures{} (mfactl unlock {user})",
                    lifts(r)
                ),
                RejectReason::Expired => format!(
                    "the pending enrollment of {user} has expired (pending-ttl); enroll again: mfactl enroll {}",
                    ui::shell_quote(user.as_str())
                ),
                // Only resync refuses for this reason.
                RejectReason::DriftTooLarge => "the device's clock is too far off".into(),
            };
            outln!("{}: {why}", ui::bad("rejected"))?;
        }
    }
    Ok(())
}

/// When a timed lock lifts, for the end of a sentence: `, until 2026-…Z (about 15 minutes)`;
/// nothing for a lock that lasts until `unlock`.
fn lifts(r: &VerifyResult) -> String {
    r.locked_until.map_or_else(String::new, |until| {
        format!(
            ", until {until} ({})",
            ui::roughly(until.unix().saturating_sub(r.at.unix()))
        )
    })
}

/// The clock hint after a wrong code, if it matched the token at another time: how far off the
/// device's clock looks, and the command that fixes it.
pub fn clock_hint(user: &UserName, offset_seconds: Option<i64>, when: &str) -> String {
    let Some(secs) = offset_seconds else {
        return String::new();
    };
    if secs == 0 {
        // The code of now, outside a window a recorded drift moved: the clock was fixed.
        return format!(
            "; it is the code for now, but the device's clock was off before; {when}resync it with two codes: mfactl resync {}",
            ui::shell_quote(user.as_str())
        );
    }
    let direction = if secs < 0 { "behind" } else { "ahead" };
    format!(
        "; it is the code for another time: the device's clock looks off by about {} seconds ({direction}); {when}resync it with two codes: mfactl resync {}",
        secs.unsigned_abs(),
        ui::shell_quote(user.as_str())
    )
}

/// Reads the code: a hidden prompt on a terminal, else one bounded line from stdin.
fn read_code(ctx: &Context, user: &UserName) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() && !ctx.json() {
        return ui::read_hidden(&format!("Code for {user}"));
    }
    super::read_code_line(
        &mut std::io::stdin().lock(),
        MAX_INPUT,
        "none given (pass it on stdin, one line, or as an argument)",
    )
}
