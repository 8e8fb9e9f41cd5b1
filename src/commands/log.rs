//! `mfactl log`: the audit log, newest first.

use anyhow::Result;
use comfy_table::{presets, ContentArrangement, Table};
use mfactl::audit::{AuditEvent, AuditQuery};
use mfactl::model::Timestamp;
use mfactl::names::{display_safe, escape_invisible};

use super::{parse_user, Context};
use crate::cli::LogArgs;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: LogArgs) -> Result<ExitCode> {
    let now = ctx.op().now;
    let query = AuditQuery {
        user: args.user.as_deref().map(parse_user).transpose()?,
        since: args
            .since
            .as_deref()
            .map(|s| parse_since(s, now))
            .transpose()?,
        event: args
            .event
            .as_deref()
            .map(str::parse::<AuditEvent>)
            .transpose()?,
        limit: args.limit,
    };
    let entries = ctx.open_store()?.audit_log(&query)?;
    if ctx.json() {
        ctx.print_json(&entries)?;
        return Ok(ExitCode::Success);
    }
    if entries.is_empty() {
        println!("No audit events match.");
        return Ok(ExitCode::Success);
    }
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["TIME", "EVENT", "USER", "ACTOR", "DETAILS"]);
    for e in &entries {
        // Every stored string is shown escaped: an actor, a user or a --reason may hold terminal
        // escapes or bidi controls (written by an older mfactl, or by hand).
        table.add_row([
            e.at.to_string(),
            display_safe(&e.event).into_owned(),
            e.user
                .as_deref()
                .map_or_else(|| "-".into(), |u| display_safe(u).into_owned()),
            display_safe(&e.actor).into_owned(),
            escape_invisible(&e.details.to_string()).into_owned(),
        ]);
    }
    println!("{table}");
    Ok(ExitCode::Success)
}

/// `--since`: an RFC 3339 time, or a duration before now such as `90s`, `30m`, `24h`, `7d`.
fn parse_since(s: &str, now: Timestamp) -> mfactl::Result<Timestamp> {
    let s = s.trim();
    let unit = s.chars().last().filter(|c| c.is_ascii_alphabetic());
    if let Some(unit) = unit {
        let number = &s[..s.len() - 1];
        if let Ok(n) = number.parse::<i64>() {
            let secs = match unit {
                's' => Some(1),
                'm' => Some(60),
                'h' => Some(3600),
                'd' => Some(86_400),
                'w' => Some(604_800),
                _ => None,
            };
            if let Some(mult) = secs.filter(|_| n >= 0) {
                return Ok(Timestamp::from_unix(
                    now.unix().saturating_sub(n.saturating_mul(mult)),
                ));
            }
        }
    }
    Timestamp::parse(s).map_err(|_| {
        mfactl::Error::invalid(
            "--since",
            format!("{s:?} (expected RFC 3339 like 2026-01-31T12:00:00Z, or a duration like 30m, 24h, 7d)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_and_times() {
        let now = Timestamp::from_unix(1_000_000);
        assert_eq!(parse_since("24h", now).unwrap().unix(), 1_000_000 - 86_400);
        assert_eq!(parse_since("30m", now).unwrap().unix(), 1_000_000 - 1_800);
        assert_eq!(parse_since("1970-01-01T00:00:10Z", now).unwrap().unix(), 10);
        for bad in ["", "h", "-5m", "5y", "yesterday"] {
            assert!(parse_since(bad, now).is_err(), "{bad:?}");
        }
    }
}
