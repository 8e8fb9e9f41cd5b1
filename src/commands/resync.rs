//! `mfactl resync`: set a drifting token's clock offset from two consecutive codes. Exit 0 when
//! the drift was set, 1 if refused, 2 on error.

use std::io::{BufRead, IsTerminal, Read};

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
    let label = args
        .token
        .as_deref()
        .map(str::parse::<mfactl::model::TokenLabel>)
        .transpose()?;
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

/// One bounded line (not to EOF: a caller that keeps its end of the pipe open must not hang
/// us), which must not be empty.
fn read_line(stdin: &mut impl BufRead) -> Result<Zeroizing<String>> {
    let mut buf = Zeroizing::new(Vec::new());
    stdin
        .by_ref()
        .take(MAX_INPUT + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|e| mfactl::Error::io("cannot read the codes from stdin", e))?;
    let line_end = buf.iter().position(|&b| b == b'\n');
    if line_end.is_none() && buf.len() as u64 > MAX_INPUT {
        return Err(mfactl::Error::invalid(
            "code",
            format!("stdin holds more than {MAX_INPUT} bytes without a line break"),
        )
        .into());
    }
    let line = &buf[..line_end.unwrap_or(buf.len())];
    let text = std::str::from_utf8(line)
        .map_err(|_| mfactl::Error::invalid("code", "stdin is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(mfactl::Error::invalid(
            "code",
            "two codes expected (on stdin, on one line or two, or as arguments)",
        )
        .into());
    }
    Ok(Zeroizing::new(text.to_owned()))
}
