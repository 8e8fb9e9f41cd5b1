//! `mfactl list`: who has what. Reads no secret and decrypts nothing.

use std::collections::HashSet;

use anyhow::Result;
use mfactl::model::{Span, Status, Timestamp, UserFilter, UserQuery, UserRecord};
use mfactl::names::display_safe;
use serde::Serialize;

use super::Context;
use crate::cli::{ListArgs, StatusFilterArg};
use crate::exit_codes::ExitCode;
use crate::out;
use crate::table::{Column, Layout, Table};
use crate::ui;

/// One user in `list --json` (and the first fields of `show --json`).
#[derive(Serialize)]
pub(super) struct Row<'a> {
    user: &'a str,
    status: Status,
    locked: bool,
    /// When the user's lock lifts by itself (`lockout` setting); null when not locked, or
    /// locked until `unlock`.
    locked_until: Option<Timestamp>,
    failures: u32,
    issuer: &'a str,
    algorithm: mfactl::model::Algorithm,
    digits: u8,
    period: u32,
    created_at: Timestamp,
    updated_at: Timestamp,
    enabled_at: Option<Timestamp>,
    disabled_at: Option<Timestamp>,
    last_used_at: Option<Timestamp>,
    recovery_codes_left: u32,
    /// Some unused recovery code is of the older, weaker kind: issue a new set.
    recovery_codes_legacy: bool,
    /// The secret is shorter than 128 bits (a legacy one, imported with
    /// `--allow-short-secrets`): enroll the user again when possible.
    short_secret: bool,
    /// Pending only: when the pairing stops being confirmable (`pending-ttl`); null otherwise
    /// or when pending enrollments never expire.
    pending_expires_at: Option<Timestamp>,
    /// Pending and past `pending-ttl`: verify rejects it as `expired`; enroll again.
    expired: bool,
    /// The user's tokens, by label.
    tokens: Vec<TokenRow<'a>>,
}

/// One token in the `tokens` array of `list --json` and `show --json`.
#[derive(Serialize)]
pub(super) struct TokenRow<'a> {
    label: &'a str,
    status: Status,
    algorithm: mfactl::model::Algorithm,
    digits: u8,
    period: u32,
    issuer: &'a str,
    created_at: Timestamp,
    enabled_at: Option<Timestamp>,
    last_used_at: Option<Timestamp>,
    /// The token's clock drift, in time steps (signed; see `mfactl resync`).
    drift: i64,
}

/// A JSON array of what the closure's iterator yields, without collecting it first.
struct SerializeEach<F>(F);

impl<F, I> Serialize for SerializeEach<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// Users a worker of [`write_json_array`] serializes at a time: some 900 KiB of JSON.
const JSON_CHUNK: usize = 1024;

/// How many threads serialize a JSON listing: the JSON is a fifth to a third of a long
/// listing's time, and the rows are independent.
fn json_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Writes `items` to `write` as the pretty JSON array of their `row`s, byte for byte what
/// `serde_json::to_writer_pretty` writes for the whole array. `workers` threads serialize
/// chunks of `chunk` items each (worker `w` takes chunks `w`, `w + workers`, ...) into their
/// own buffers, two ahead at most; this thread writes the chunks in order, and stops once
/// stdout is found closed. The rows are built as they are serialized: 100,000 users are over
/// a million lines.
fn write_json_array<'a, T: Sync, R: Serialize>(
    items: &'a [T],
    row: impl Fn(&'a T) -> R + Sync,
    chunk: usize,
    workers: usize,
    write: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    use std::sync::mpsc;

    let chunks: Vec<&'a [T]> = items.chunks(chunk.max(1)).collect();
    if chunks.is_empty() {
        return write(b"[]");
    }
    // One chunk serialized as a whole array: "[\n", the chunk's elements, each on its lines
    // at the depth of the elements of the whole array, then "\n]".
    let serialize = |chunk: &'a [T]| -> Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(chunk.len() * 1024);
        serde_json::to_writer_pretty(&mut buf, &SerializeEach(|| chunk.iter().map(&row)))?;
        Ok(buf)
    };
    // The elements of chunk `i`, after the array's opening or a comma.
    let mut write_chunk = |i: usize, array: Result<Vec<u8>>| -> Result<()> {
        let array = array?;
        let elements = array
            .strip_prefix(b"[\n")
            .and_then(|a| a.strip_suffix(b"\n]"))
            .ok_or_else(|| anyhow::anyhow!("internal error: unexpected JSON array layout"))?;
        write(if i == 0 { b"[\n" } else { b",\n" })?;
        write(elements)
    };
    let workers = workers.clamp(1, chunks.len());
    if workers == 1 {
        for (i, c) in chunks.iter().enumerate() {
            write_chunk(i, serialize(c))?;
        }
    } else {
        std::thread::scope(|scope| -> Result<()> {
            let receivers: Vec<mpsc::Receiver<Result<Vec<u8>>>> = (0..workers)
                .map(|w| {
                    let (send, receive) = mpsc::sync_channel(2);
                    let (chunks, serialize) = (&chunks, &serialize);
                    scope.spawn(move || {
                        for c in chunks.iter().skip(w).step_by(workers) {
                            // A send fails once this thread stopped reading (a write failed,
                            // or stdout closed): nothing more to do.
                            if send.send(serialize(c)).is_err() {
                                break;
                            }
                        }
                    });
                    receive
                })
                .collect();
            for i in 0..chunks.len() {
                let array = receivers[i % workers]
                    .recv()
                    .map_err(|_| anyhow::anyhow!("internal error: a JSON worker stopped"))?;
                write_chunk(i, array)?;
                if out::closed() {
                    break;
                }
            }
            Ok(())
        })?;
    }
    write(b"\n]")
}

/// How many of the user's tokens are live (not disabled): the TOKENS column.
pub(super) fn live_tokens(r: &UserRecord) -> usize {
    r.tokens
        .iter()
        .filter(|t| t.status != Status::Disabled)
        .count()
}

impl<'a> Row<'a> {
    pub(super) fn new(
        r: &'a UserRecord,
        short_secret: bool,
        ttl: Option<Span>,
        now: Timestamp,
    ) -> Self {
        Row {
            user: r.user.as_str(),
            status: r.status,
            locked: r.is_locked_at(now),
            locked_until: r.locked_until_at(now),
            // A lifted lock's failures no longer count: the user has fresh tries.
            failures: mfactl::lockout::LockState::of(r).failures_at(now),
            issuer: &r.issuer,
            algorithm: r.params.algorithm(),
            digits: r.params.digits(),
            period: r.params.period(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            enabled_at: r.enabled_at,
            disabled_at: r.disabled_at,
            last_used_at: r.last_used_at,
            recovery_codes_left: r.recovery_codes_left,
            recovery_codes_legacy: r.recovery_codes_legacy,
            short_secret,
            pending_expires_at: r.pending_expires_at(ttl),
            expired: r.pending_expired(ttl, now),
            tokens: r
                .tokens
                .iter()
                .map(|t| TokenRow {
                    label: t.label.as_str(),
                    status: t.status,
                    algorithm: t.params.algorithm(),
                    digits: t.params.digits(),
                    period: t.params.period(),
                    issuer: &t.issuer,
                    created_at: t.created_at,
                    enabled_at: t.enabled_at,
                    last_used_at: t.last_used_at,
                    drift: t.drift,
                })
                .collect(),
        }
    }
}

pub fn run(ctx: &Context, args: ListArgs) -> Result<ExitCode> {
    let filter = match args.status {
        None => UserFilter::All,
        Some(StatusFilterArg::Pending) => UserFilter::Status(Status::Pending),
        Some(StatusFilterArg::Enabled) => UserFilter::Status(Status::Enabled),
        Some(StatusFilterArg::Disabled) => UserFilter::Status(Status::Disabled),
        Some(StatusFilterArg::Locked) => UserFilter::Locked,
    };
    let now = ctx.op().now;
    let span = |what: &'static str, s: &Option<String>| -> mfactl::Result<Option<Timestamp>> {
        s.as_deref()
            .map(|s| Span::parse(what, s).map(|span| span.before(now)))
            .transpose()
    };
    let query = UserQuery {
        filter,
        locked: args.locked,
        at: Some(now),
        unused_before: span("--unused-since", &args.unused_since)?,
        pending_before: span("--pending-older-than", &args.pending_older_than)?,
        disabled_before: None,
    };
    let mut mfa = ctx.mfa()?;
    let ttl = mfa.store().settings()?.pending_ttl();
    // Which secrets are short, from the ciphertexts' lengths: nothing is decrypted.
    // Never freed: the process ends once they are printed, and handing 100,000 records back to
    // the allocator one by one took 8% of a listing. They hold no ciphertext (`Mfa::list`
    // dropped them), let alone a secret.
    let infos = std::mem::ManuallyDrop::new(mfa.list(query)?);
    if ctx.json() {
        write_json_array(
            &infos[..],
            |i| Row::new(&i.record, i.short_secret, ttl, now),
            JSON_CHUNK,
            json_workers(),
            &mut out::write,
        )?;
        out::write(b"\n")?;
        return Ok(ExitCode::Success);
    }
    let short: HashSet<&str> = infos
        .iter()
        .filter(|i| i.short_secret)
        .map(|i| i.record.user.as_str())
        .collect();
    let users: Vec<&UserRecord> = infos.iter().map(|i| &i.record).collect();
    let layout = Layout::for_stdout(args.table.wide());
    // Piped, stdout holds only the table (a header alone when there is nobody): a script counts
    // rows, not sentences, and stderr stays for warnings.
    if users.is_empty() && layout != Layout::Tsv {
        outln!(
            "{}",
            mfactl::names::escape_invisible(&format!(
                "No users{} in {}. Enroll one with: mfactl enroll <USER>",
                if query
                    == (UserQuery {
                        at: Some(now),
                        ..UserQuery::default()
                    })
                {
                    ""
                } else {
                    " match"
                },
                mfa.store().location()
            ))
        )?;
        return Ok(ExitCode::Success);
    }
    let expired = |r: &UserRecord| r.pending_expired(ttl, now);
    let text = table(&users, &short, &expired, now, args.table.wide())
        .render(layout, !args.table.no_headers);
    out::write(text.as_bytes())?;
    if !short.is_empty() {
        let note = "(short): a legacy secret shorter than 128 bits, imported with\n\
                    --allow-short-secrets; enroll the user again when you can";
        if layout == Layout::Tsv {
            ui::info(note);
        } else {
            outln!("{note}")?;
        }
    }
    if users.iter().any(|r| expired(r)) {
        let note = "(expired): pending longer than pending-ttl, can no longer be confirmed;\n\
                    enroll the user again with: mfactl enroll <USER>";
        if layout == Layout::Tsv {
            ui::info(note);
        } else {
            outln!("{note}")?;
        }
    }
    if users.iter().any(|r| r.locked_until_at(now).is_some()) {
        let note = "(locked 15m): locked out; the lock lifts by itself in that long at most,\n\
                    or at once with: mfactl unlock <USER>";
        if layout == Layout::Tsv {
            ui::info(note);
        } else {
            outln!("{note}")?;
        }
    }
    if users.iter().any(|r| r.recovery_codes_legacy) {
        let note = "(legacy): recovery codes of the older kind, weaker against a stolen store;\n\
                    issue a new set with: mfactl recovery-codes <USER>";
        if layout == Layout::Tsv {
            ui::info(note);
        } else {
            outln!("{note}")?;
        }
    }
    Ok(ExitCode::Success)
}

/// The users as a table: the columns that matter on a ticket, or every column when `wide`.
fn table(
    users: &[&UserRecord],
    short: &HashSet<&str>,
    expired: &dyn Fn(&UserRecord) -> bool,
    now: Timestamp,
    wide: bool,
) -> Table {
    let columns: &[Column] = if wide {
        &[
            Column::shrink("USER"),
            Column::fixed("STATUS"),
            Column::fixed("TOKENS"),
            Column::shrink("ISSUER"),
            Column::fixed("ALG"),
            Column::fixed("DIGITS"),
            Column::fixed("PERIOD"),
            Column::fixed("CREATED"),
            Column::fixed("UPDATED"),
            Column::fixed("ENABLED"),
            Column::fixed("LAST USED"),
            Column::fixed("FAILURES"),
            Column::fixed("RECOVERY"),
        ]
    } else {
        &[
            Column::shrink("USER"),
            Column::fixed("STATUS"),
            Column::fixed("TOKENS"),
            Column::fixed("LAST USED"),
            Column::fixed("FAILURES"),
            Column::fixed("RECOVERY"),
        ]
    };
    let mut table = Table::new(columns);
    let failures = |r: &UserRecord| mfactl::lockout::LockState::of(r).failures_at(now);
    let opt = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
    for r in users {
        let mut status = match (r.is_locked_at(now), r.locked_until_at(now)) {
            (true, Some(until)) => format!(
                "{} (locked {})",
                r.status,
                ui::short_wait(until.unix().saturating_sub(now.unix()))
            ),
            (true, None) => format!("{} (locked)", r.status),
            (false, _) => r.status.to_string(),
        };
        if expired(r) {
            status.push_str(" (expired)");
        }
        if short.contains(r.user.as_str()) {
            status.push_str(" (short)");
        }
        let recovery = if r.recovery_codes_legacy {
            format!("{} (legacy)", r.recovery_codes_left)
        } else {
            r.recovery_codes_left.to_string()
        };
        let user = display_safe(r.user.as_str()).into_owned();
        let cells = if wide {
            vec![
                user,
                status,
                live_tokens(r).to_string(),
                display_safe(&r.issuer).into_owned(),
                r.params.algorithm().to_string(),
                r.params.digits().to_string(),
                format!("{}s", r.params.period()),
                r.created_at.to_string(),
                r.updated_at.to_string(),
                opt(r.enabled_at),
                opt(r.last_used_at),
                failures(r).to_string(),
                recovery,
            ]
        } else {
            vec![
                user,
                status,
                live_tokens(r).to_string(),
                opt(r.last_used_at),
                failures(r).to_string(),
                recovery,
            ]
        };
        table.row(cells);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Item<'a> {
        name: &'a str,
        tokens: Vec<u32>,
        at: Option<u64>,
    }

    /// Whatever the chunks and the threads, the listing is what serde_json writes for the
    /// whole array at once.
    #[test]
    fn a_json_array_written_in_chunks_is_serde_jsons_whole_array() {
        let names: Vec<String> = (0..10)
            .map(|i| format!("user \"{}\"\n\u{202e}", "x".repeat(i)))
            .collect();
        fn row(name: &String) -> Item<'_> {
            Item {
                name,
                tokens: (0..name.len() as u32 % 3).collect(),
                at: name.len().is_multiple_of(2).then_some(7),
            }
        }
        for n in [0, 1, 2, 5, 10] {
            let items = &names[..n];
            let whole =
                serde_json::to_vec_pretty(&items.iter().map(row).collect::<Vec<_>>()).unwrap();
            for chunk in [1, 2, 3, 7, 1000] {
                for workers in [1, 2, 3] {
                    let mut got = Vec::new();
                    write_json_array(items, row, chunk, workers, &mut |b| {
                        got.extend_from_slice(b);
                        Ok(())
                    })
                    .unwrap();
                    assert_eq!(
                        String::from_utf8(got).unwrap(),
                        String::from_utf8(whole.clone()).unwrap(),
                        "{n} items, chunks of {chunk}, {workers} workers"
                    );
                }
            }
        }
    }

    /// A failed write ends the listing with that error, and the workers with it.
    #[test]
    fn a_failed_write_is_the_listings_error() {
        let items: Vec<u32> = (0..100).collect();
        let mut writes = 0;
        let err = write_json_array(&items, |i| *i, 3, 2, &mut |_| {
            writes += 1;
            if writes == 4 {
                anyhow::bail!("disk full")
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(writes, 4);
    }
}
