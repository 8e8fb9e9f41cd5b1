//! `mfactl log`: the audit log, newest first.

use anyhow::Result;
use mfactl::audit::chain::ChainHead;
use mfactl::audit::{AuditEntry, AuditEvent, AuditQuery};
use mfactl::model::{Span, Timestamp};
use mfactl::names::{display_safe, escape_invisible};

use super::{parse_user, Context};
use crate::cli::LogArgs;
use crate::exit_codes::ExitCode;
use crate::table::{Column, Layout, Table};

pub fn run(ctx: &Context, args: LogArgs) -> Result<ExitCode> {
    if args.verify {
        return verify(ctx, args.anchor.as_deref());
    }
    if args.head {
        return head(ctx);
    }
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
    if args.follow {
        let interval = match args.interval.as_deref() {
            Some(s) => Span::parse("--interval", s)?,
            None => Span::from_secs(1),
        };
        if interval.is_zero() {
            return Err(mfactl::Error::invalid("--interval", "must be at least 1s").into());
        }
        return follow(ctx, &mut store, &query, interval);
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

/// `log --verify [--anchor ID:HASH]`: exit 0 and the head when intact, 1 naming the first
/// row that breaks the chain.
fn verify(ctx: &Context, anchor: Option<&str>) -> Result<ExitCode> {
    let anchor = anchor.map(str::parse::<ChainHead>).transpose()?;
    let mut store = ctx.open_store()?;
    let report = store.verify_audit_chain(anchor.clone())?;
    if ctx.json() {
        ctx.print_json(&report)?;
    } else {
        match (&report.broken, &report.head) {
            (Some(b), _) => {
                outln!("BROKEN at row {}: {}", b.id, b.message)?;
            }
            (None, Some(head)) => {
                let checked = match &anchor {
                    Some(a) => format!(", through the anchor {}", a.id),
                    None => String::new(),
                };
                outln!("{head}")?;
                errln!(
                    "The audit chain is intact: {} row{}{checked}.",
                    report.rows,
                    if report.rows == 1 { "" } else { "s" }
                );
            }
            (None, None) => {
                errln!("The audit log is empty.");
            }
        }
    }
    Ok(if report.intact {
        ExitCode::Success
    } else {
        ExitCode::Rejected
    })
}

/// `log --head`: the chain's last row, `ID:HASH`.
fn head(ctx: &Context) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let head = store.audit_head()?;
    if ctx.json() {
        ctx.print_json(&head)?;
    } else if let Some(head) = head {
        outln!("{head}")?;
    } else {
        errln!("The audit log is empty.");
    }
    Ok(ExitCode::Success)
}

/// How many rows one poll of `--follow` reads at most (more are read at once by the next).
const FOLLOW_BATCH: u32 = 1_000;

/// `log --follow`: the matching events oldest first, then new ones as they commit, until a
/// signal or a closed stdout. Each poll is one short read transaction: nothing is held between.
fn follow(
    ctx: &Context,
    store: &mut mfactl::store::Store,
    query: &AuditQuery,
    interval: Span,
) -> Result<ExitCode> {
    let stop = wait::Stop::install();
    let mut after = None;
    while !stop.requested() && !crate::out::closed() {
        let batch = store.audit_after(query, after, FOLLOW_BATCH)?;
        for e in &batch {
            if ctx.json() {
                let line = serde_json::to_string(e)?;
                outln!("{line}")?;
            } else {
                outln!("{}", follow_line(e))?;
            }
        }
        let full = batch.len() == FOLLOW_BATCH as usize;
        if let Some(last) = batch.last() {
            after = Some(last.id);
        }
        if !full {
            stop.sleep(std::time::Duration::from_secs(interval.secs()));
        }
    }
    Ok(ExitCode::Success)
}

/// One event on one line, every stored string escaped.
fn follow_line(e: &AuditEntry) -> String {
    format!(
        "{}  {}  {}  {}  {}",
        e.at,
        display_safe(&e.event),
        e.user.as_deref().map_or_else(|| "-".into(), display_safe),
        display_safe(&e.actor),
        escape_invisible(&e.details.to_string())
    )
}

#[cfg(unix)]
mod wait {
    //! Waiting between polls: wakes early for SIGINT/SIGTERM (which then end the loop) and
    //! for a stdout whose reader went away.
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    static STOP: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_signal(_sig: libc::c_int) {
        STOP.store(true, Ordering::SeqCst);
    }

    pub struct Stop;

    impl Stop {
        pub fn install() -> Self {
            let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            for sig in [libc::SIGINT, libc::SIGTERM] {
                // SAFETY: the handler only stores to an atomic (async-signal-safe).
                unsafe {
                    libc::signal(sig, handler);
                }
            }
            Stop
        }

        pub fn requested(&self) -> bool {
            STOP.load(Ordering::SeqCst)
        }

        /// Sleeps up to `d`; returns early on a signal or when stdout's reader closed it.
        pub fn sleep(&self, d: Duration) {
            let end = Instant::now() + d;
            while !self.requested() && !crate::out::closed() {
                let left = end.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return;
                }
                let mut fds = libc::pollfd {
                    fd: libc::STDOUT_FILENO,
                    events: 0,
                    revents: 0,
                };
                let ms = libc::c_int::try_from(left.as_millis().max(1)).unwrap_or(1000);
                // SAFETY: one valid pollfd. A signal interrupts the wait (EINTR).
                let n = unsafe { libc::poll(&mut fds, 1, ms) };
                if n > 0 && fds.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                    // The reader of our pipe is gone: what we print next would be lost.
                    crate::out::mark_closed();
                }
                if n > 0 && fds.revents & libc::POLLNVAL != 0 {
                    // No stdout to watch: a plain sleep.
                    std::thread::sleep(left);
                    return;
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod wait {
    pub struct Stop;

    impl Stop {
        pub fn install() -> Self {
            Stop
        }
        pub fn requested(&self) -> bool {
            false
        }
        pub fn sleep(&self, d: std::time::Duration) {
            std::thread::sleep(d);
        }
    }
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
