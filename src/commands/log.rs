//! `mfactl log`: the audit log, newest first.

use anyhow::Result;
use mfactl::audit::{AuditEntry, AuditEvent, AuditQuery};
use mfactl::model::{Span, Timestamp};
use mfactl::names::{display_safe, escape_invisible};

use super::{parse_user, Context};
use crate::cli::LogArgs;
use crate::exit_codes::ExitCode;
use crate::table::{Column, Layout, Table};

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
    let mut store = ctx.open_store()?;
    if let Some(user) = &query.user {
        // A typo must not read as "no activity": a name is unknown unless the store has the
        // user, or the log has events for the name (a user removed long ago).
        if store.user(user)?.is_none() {
            let any = AuditQuery {
                user: Some(user.clone()),
                limit: Some(1),
                ..AuditQuery::default()
            };
            if store.audit_log(&any)?.is_empty() {
                return Err(mfactl::Error::UnknownUser {
                    user: user.as_str().to_owned(),
                    suggestions: Vec::new(),
                }
                .into());
            }
        }
    }
    let entries = store.audit_log(&query)?;
    if ctx.json() {
        ctx.print_json(&entries)?;
        return Ok(ExitCode::Success);
    }
    let layout = Layout::for_stdout(args.table.wide());
    if entries.is_empty() && layout != Layout::Tsv {
        outln!("No audit events match.")?;
        return Ok(ExitCode::Success);
    }
    // Piped: the table alone, a header without rows when nothing matches.
    let text = events_table(&entries, true).render(layout, !args.table.no_headers);
    crate::out::write(text.as_bytes())?;
    Ok(ExitCode::Success)
}

/// Audit rows as a table; without the USER column when `with_user` is false (`show`).
pub fn events_table(entries: &[AuditEntry], with_user: bool) -> Table {
    let columns: &[Column] = if with_user {
        &[
            Column::fixed("TIME"),
            Column::fixed("EVENT"),
            Column::shrink("USER"),
            Column::shrink("ACTOR"),
            Column::shrink("DETAILS"),
        ]
    } else {
        &[
            Column::fixed("TIME"),
            Column::fixed("EVENT"),
            Column::shrink("ACTOR"),
            Column::shrink("DETAILS"),
        ]
    };
    let mut table = Table::new(columns);
    for e in entries {
        // Every stored string is shown escaped: an actor, a user or a --reason may hold terminal
        // escapes or bidi controls (written by an older mfactl, or by hand).
        let mut cells = vec![e.at.to_string(), display_safe(&e.event).into_owned()];
        if with_user {
            cells.push(
                e.user
                    .as_deref()
                    .map_or_else(|| "-".into(), |u| display_safe(u).into_owned()),
            );
        }
        cells.push(display_safe(&e.actor).into_owned());
        cells.push(escape_invisible(&e.details.to_string()).into_owned());
        table.row(cells);
    }
    table
}

/// `--since`: an RFC 3339 time, or a duration before now such as `90s`, `30m`, `24h`, `7d`.
fn parse_since(s: &str, now: Timestamp) -> mfactl::Result<Timestamp> {
    let s = s.trim();
    if let Ok(span) = Span::parse("--since", s) {
        return Ok(span.before(now));
    }
    // A bare day means its start, UTC.
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(s, day) {
        return Ok(Timestamp::from_unix(
            date.midnight().assume_utc().unix_timestamp(),
        ));
    }
    Timestamp::parse(s).map_err(|_| {
        mfactl::Error::invalid(
            "--since",
            format!("{s:?} (expected RFC 3339 like 2026-01-31T12:00:00Z, a day like 2026-01-31, or a duration like 30m, 24h, 7d)"),
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
        // A day: its start, UTC (2026-11-25T00:00:00Z is 1795564800 s after the epoch).
        assert_eq!(
            parse_since("2026-11-25", now).unwrap().unix(),
            1_795_564_800
        );
        assert_eq!(parse_since("1970-01-02", now).unwrap().unix(), 86_400);
        for bad in [
            "",
            "h",
            "-5m",
            "5y",
            "yesterday",
            "2026-11-31",
            "2026-1-5",
            "20261125",
        ] {
            assert!(parse_since(bad, now).is_err(), "{bad:?}");
        }
    }
}
