//! `mfactl resync`: set a drifting token's clock offset from two consecutive codes. Exit 0 when
//! the drift was set, 1 if refused, 2 on error.

use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use mfactl::model::UserName;
use mfactl::totp::RejectReason;
use mfactl::Resync;
use serde_json::json;
use zeroize::Zeroizing;

use super::{parse_user, Context};
use crate::cli::ResyncArgs;
use crate::exit_codes::ExitCode;
use crate::ui;

/// Two codes and a line break or two: a little more than that is read from stdin, never an
/// unbounded stream.
const MAX_INPUT: u64 = 1024;

pub fn run(ctx: &Context, args: ResyncArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let label = super::parse_label(args.token.as_deref())?;
    let (first, second) = match (args.code1.as_deref(), args.code2.as_deref()) {
        (Some(a), Some(b)) if a != "-" && b != "-" => {
            (Zeroizing::new(a.to_owned()), Zeroizing::new(b.to_owned()))
        }
        _ => read_codes(ctx, &user)?,
    };
    let mut mfa = ctx.mfa()?;
    mfa.set_identities(ctx.identities()?);
    let result = mfa.resync_token(&user, label.as_ref(), &first, &second)?;
    let seconds = |steps: i64| steps.saturating_mul(i64::from(result.period));
    if args.quiet {
        // The exit status is the answer.
    } else if ctx.json() {
        ctx.print_json(&json!({
            "user": user,
            "accepted": result.accepted(),
            "reason": result.rejected.map_or("ok", |r| r.as_str()),
            "status": result.status,
            "drift": result.drift,
            "previous_drift": result.previous_drift,
            "drift_seconds": seconds(result.drift),
            "offset_seconds": result.offset.map(seconds),
            "max_drift": result.max_drift,
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

/// `about 150 seconds ahead` / `behind` / `right`.
fn clock(seconds: i64) -> String {
    match seconds {
        0 => "right".to_owned(),
        s if s < 0 => format!("about {} seconds behind", s.unsigned_abs()),
        s => format!("about {s} seconds ahead"),
    }
}

fn print_human(user: &UserName, r: &Resync) -> Result<()> {
    let seconds = |steps: i64| steps.saturating_mul(i64::from(r.period));
    let quoted = ui::shell_quote(user.as_str());
    match r.rejected {
        None => outln!(
            "{}: the device of {user} runs {}; its drift is now {:+} steps (was {:+})",
            ui::good("resynced"),
            clock(seconds(r.drift)),
            r.drift,
            r.previous_drift
        )?,
        Some(reason) => {
            let why = match reason {
                RejectReason::Invalid => {
                    let failed = if r.locked_now {
                        format!(
                            "{user} is now locked after {} (mfactl unlock {quoted})",
                            ui::count(r.failures, "failure", "failures")
                        )
                    } else {
                        ui::count(r.failures, "consecutive failure", "consecutive failures")
                    };
                    format!(
                        "these are not two consecutive codes of {user}'s device within an hour of now ({failed})"
                    )
                }
                RejectReason::DriftTooLarge => format!(
                    "the device of {user} runs {}, beyond max-drift ({} steps, {} seconds); fix its clock, or raise the limit (mfactl config set max-drift N); not counted as a failure",
                    clock(seconds(r.offset.unwrap_or_default())),
                    r.max_drift,
                    seconds(i64::from(r.max_drift))
                ),
                RejectReason::Replayed => {
                    "the second code was already used; wait for two new ones".into()
                }
                RejectReason::Disabled => format!("MFA is disabled for {user}"),
                RejectReason::Locked => format!(
                    "{user} is locked after too many failures (mfactl unlock {quoted} first)"
                ),
                RejectReason::Expired => format!(
                    "the pending enrollment of {user} has expired (pending-ttl); enroll again: mfactl enroll {quoted}"
                ),
            };
            outln!("{}: {why}", ui::bad("rejected"))?;
        }
    }
    Ok(())
}

/// Reads the two codes: a hidden prompt for each on a terminal (never with --json), else from
/// stdin: one line holding both (two words of six characters or more: `123456 654321`), or one
/// code per line (where a code may have spaces inside: `123 456`).
fn read_codes(ctx: &Context, user: &UserName) -> Result<(Zeroizing<String>, Zeroizing<String>)> {
    if std::io::stdin().is_terminal() && !ctx.json() {
        let first = ui::read_hidden(&format!("A code for {user}"))?;
        let second = ui::read_hidden("The next code, once the app shows a new one")?;
        return Ok((first, second));
    }
    let mut stdin = std::io::stdin().lock();
    let first = read_line(&mut stdin)?;
    let words: Vec<&str> = first.split_whitespace().collect();
    if let [a, b] = words[..] {
        if a.len() >= 6 && b.len() >= 6 {
            return Ok((Zeroizing::new(a.to_owned()), Zeroizing::new(b.to_owned())));
        }
    }
    let second = read_line(&mut stdin)?;
    Ok((first, second))
}

/// One bounded line of the codes.
fn read_line(stdin: &mut impl BufRead) -> Result<Zeroizing<String>> {
    super::read_code_line(
        stdin,
        MAX_INPUT,
        "two codes expected (on stdin, on one line or two, or as arguments)",
    )
}
