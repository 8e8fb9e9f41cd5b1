//! `mfactl list`: who has what. Reads no secret and decrypts nothing.

use anyhow::Result;
use comfy_table::{presets, Cell, ContentArrangement, Table};
use mfactl::model::{Status, Timestamp, UserFilter, UserRecord};
use mfactl::names::display_safe;
use serde::Serialize;

use super::Context;
use crate::cli::{ListArgs, StatusFilterArg};
use crate::exit_codes::ExitCode;

/// One user in `list --json`.
#[derive(Serialize)]
struct Row<'a> {
    user: &'a str,
    status: Status,
    locked: bool,
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
}

impl<'a> From<&'a UserRecord> for Row<'a> {
    fn from(r: &'a UserRecord) -> Self {
        Row {
            user: r.user.as_str(),
            status: r.status,
            locked: r.is_locked(),
            failures: r.failures,
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
    let mut store = ctx.open_store()?;
    let users = store.users(filter)?;
    if ctx.json() {
        let rows: Vec<Row<'_>> = users.iter().map(Row::from).collect();
        // Buffered: stdout is line-buffered, and 100,000 users are over a million lines.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, &rows)?;
        use std::io::Write;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::Success);
    }
    if users.is_empty() {
        println!(
            "No users{} in {}. Enroll one with: mfactl enroll <USER>",
            if filter == UserFilter::All {
                ""
            } else {
                " match"
            },
            store.location()
        );
        return Ok(ExitCode::Success);
    }
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "USER",
            "STATUS",
            "ISSUER",
            "ALG",
            "DIGITS",
            "PERIOD",
            "CREATED",
            "UPDATED",
            "ENABLED",
            "LAST USED",
            "FAILURES",
            "RECOVERY",
        ]);
    let opt = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
    for r in &users {
        let status = if r.is_locked() {
            format!("{} (locked)", r.status)
        } else {
            r.status.to_string()
        };
        table.add_row([
            Cell::new(&r.user),
            Cell::new(status),
            Cell::new(display_safe(&r.issuer)),
            Cell::new(r.params.algorithm()),
            Cell::new(r.params.digits()),
            Cell::new(format!("{}s", r.params.period())),
            Cell::new(r.created_at),
            Cell::new(r.updated_at),
            Cell::new(opt(r.enabled_at)),
            Cell::new(opt(r.last_used_at)),
            Cell::new(r.failures),
            Cell::new(if r.recovery_codes_legacy {
                format!("{} (legacy)", r.recovery_codes_left)
            } else {
                r.recovery_codes_left.to_string()
            }),
        ]);
    }
    println!("{table}");
    if users.iter().any(|r| r.recovery_codes_legacy) {
        println!(
            "(legacy): recovery codes of the older kind, weaker against a stolen store; \
             issue a new set with: mfactl recovery-codes <USER>"
        );
    }
    Ok(ExitCode::Success)
}
