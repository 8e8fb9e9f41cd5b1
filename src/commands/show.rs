//! `mfactl show USER`: one user at a glance, for support staff on a ticket. Reads no secret,
//! decrypts nothing, and is not audited (like `list`).

use anyhow::Result;
use mfactl::audit::{AuditEntry, AuditQuery};
use mfactl::model::{Status, Timestamp, UserRecord};
use mfactl::names::display_safe;
use serde::Serialize;

use super::{parse_user, Context};
use crate::cli::ShowArgs;
use crate::exit_codes::ExitCode;
use crate::table::{terminal_width, Layout};
use crate::ui;

/// `show --json`: a stable object. Every field of `list --json`, the lockout threshold, the
/// lock time, and the latest audit events; never the secret or its ciphertext.
#[derive(Serialize)]
struct ShowOutput<'a> {
    #[serde(flatten)]
    row: super::list::Row<'a>,
    locked_at: Option<Timestamp>,
    /// Locks in a row since the last success or `unlock` (each timed one lasts twice as long).
    lockouts: u32,
    max_failures: u32,
    /// The primary token's clock drift, in time steps (signed; see `mfactl resync`); each
    /// token's is in `tokens`.
    drift: i64,
    /// The user's latest audit events, newest first.
    recent_events: &'a [AuditEntry],
}

pub fn run(ctx: &Context, args: ShowArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let mut mfa = ctx.mfa()?;
    // Without the ciphertext: not to be printed by any later change.
    let info = mfa.show(&user)?;
    let (rec, short) = (info.record, info.short_secret);
    let store = mfa.store();
    let settings = store.settings()?;
    let max_failures = settings.max_failures();
    let (ttl, now) = (settings.pending_ttl(), ctx.op().now);
    let expiry = rec
        .pending_expires_at(ttl)
        .map(|at| (at, rec.pending_expired(ttl, now)));
    let events = store.audit_log(&AuditQuery {
        user: Some(rec.user.clone()),
        limit: Some(args.events),
        ..AuditQuery::default()
    })?;
    if ctx.json() {
        ctx.print_json(&ShowOutput {
            row: super::list::Row::new(&rec, short, ttl, now),
            locked_at: rec.locked_at,
            lockouts: rec.lockouts,
            max_failures,
            drift: rec.drift,
            recent_events: &events,
        })?;
        return Ok(ExitCode::Success);
    }
    // The terminal's width, or 80 columns when the text goes elsewhere.
    let width = if ctx.stdout_is_terminal() {
        terminal_width()
    } else {
        80
    };
    let judged = Judged {
        now,
        expiry,
        max_failures,
    };
    let text = render(&rec, short, &judged, &events, args.events, width);
    crate::out::write(text.as_bytes())?;
    Ok(ExitCode::Success)
}

/// What the command judged the user by, at its one clock reading.
struct Judged {
    /// The clock reading (locks, pending expiry).
    now: Timestamp,
    /// When a pending enrollment expires, and whether it has.
    expiry: Option<(Timestamp, bool)>,
    /// The `max-failures` setting.
    max_failures: u32,
}

/// The human view: one `Label: value` line per fact (each cut to `width` with an ellipsis),
/// then the latest events as a table fitted to `width`.
fn render(
    rec: &UserRecord,
    short: bool,
    judged: &Judged,
    events: &[AuditEntry],
    asked: u32,
    width: usize,
) -> String {
    let &Judged {
        now,
        expiry,
        max_failures,
    } = judged;
    let opt =
        |t: Option<Timestamp>, none: &str| t.map_or_else(|| none.to_owned(), |t| t.to_string());
    let status = match rec.status {
        Status::Enabled => ui::good("enabled").to_string(),
        Status::Pending => match expiry {
            Some((at, true)) => format!(
                "pending, {} {}",
                ui::bad("expired"),
                ui::note(&format!(
                    "(since {at}, pending-ttl: can no longer be confirmed; enroll again)"
                ))
            ),
            Some((at, false)) => format!(
                "pending {}",
                ui::note(&format!("(not yet confirmed; expires {at})"))
            ),
            None => format!("pending {}", ui::note("(pairing not yet confirmed)")),
        },
        Status::Disabled => ui::bad("disabled").to_string(),
    };
    let locked = rec.is_locked_at(now);
    let lockout = match (rec.locked_at, rec.locked_until) {
        (Some(at), _) if locked => format!(
            "{} since {at}, after {} failed codes",
            ui::bad("locked"),
            rec.failures
        ),
        (Some(_), Some(until)) => format!("not locked; the last lock lifted at {until}"),
        _ => format!(
            "not locked; {} failed codes in a row (locks at {max_failures})",
            rec.failures
        ),
    };
    let recovery = match (rec.recovery_codes_left, rec.recovery_codes_legacy) {
        (0, _) => "none left".to_owned(),
        (n, false) => format!("{n} left"),
        (n, true) => format!("{n} left, of the older kind: issue a new set"),
    };
    let mut lines: Vec<(&str, String)> = vec![
        ("User", display_safe(rec.user.as_str()).into_owned()),
        ("Status", status),
        ("Lockout", lockout),
    ];
    if locked {
        lines.push((
            "",
            match rec.locked_until {
                Some(until) => format!(
                    "lifts at {until} ({})",
                    ui::roughly(until.unix().saturating_sub(now.unix()))
                ),
                None => "until an operator unlocks it".to_owned(),
            },
        ));
    }
    if rec.lockouts > 1 || (rec.lockouts == 1 && !locked) {
        lines.push((
            "",
            format!(
                "{} in a row without a success: a next one lasts longer",
                ui::count(rec.lockouts, "lockout", "lockouts")
            ),
        ));
    }
    if locked {
        lines.push((
            "",
            format!(
                "unlock with: mfactl unlock {}",
                ui::shell_quote(rec.user.as_str())
            ),
        ));
    }
    lines.extend([
        ("Issuer", display_safe(&rec.issuer).into_owned()),
        (
            "Parameters",
            format!(
                "{}, {} digits, every {} s",
                rec.params.algorithm(),
                rec.params.digits(),
                rec.params.period()
            ),
        ),
    ]);
    if rec.drift != 0 {
        let secs = rec.drift.saturating_mul(i64::from(rec.params.period()));
        let direction = if secs < 0 { "behind" } else { "ahead" };
        lines.push((
            "Clock drift",
            format!(
                "{:+} steps (the device runs about {} seconds {direction})",
                rec.drift,
                secs.unsigned_abs()
            ),
        ));
    }
    if short {
        lines.push((
            "Secret",
            "shorter than 128 bits (legacy import): enroll again when you can".to_owned(),
        ));
    }
    lines.extend([
        ("Created", rec.created_at.to_string()),
        ("Enabled", opt(rec.enabled_at, "-")),
        ("Last used", opt(rec.last_used_at, "never")),
    ]);
    if rec.status == Status::Disabled {
        lines.push(("Disabled", opt(rec.disabled_at, "-")));
    }
    lines.extend([
        ("Updated", rec.updated_at.to_string()),
        ("Recovery codes", recovery),
    ]);
    // Several tokens (or one with a label of its own): one line each. The fields above are
    // those of the user's primary token.
    let only_default =
        rec.tokens.len() == 1 && rec.tokens[0].label.as_str() == mfactl::model::TokenLabel::DEFAULT;
    if !only_default {
        for (i, t) in rec.tokens.iter().enumerate() {
            let drift = if t.drift == 0 {
                String::new()
            } else {
                format!(", drift {:+}", t.drift)
            };
            lines.push((
                if i == 0 { "Tokens" } else { "" },
                format!(
                    "{} ({}), created {}, last used {}{drift}",
                    t.label,
                    t.status,
                    t.created_at,
                    opt(t.last_used_at, "never")
                ),
            ));
        }
    }
    let mut out = String::new();
    for (label, value) in lines {
        let label = if label.is_empty() {
            String::new()
        } else {
            format!("{label}:")
        };
        let line = format!("{label:<16}{value}");
        out.push_str(console::truncate_str(&line, width, "…").trim_end());
        out.push('\n');
    }
    out.push('\n');
    if events.is_empty() {
        out.push_str("No audit events for this user.\n");
    } else {
        let shown = events.len();
        let title = if u32::try_from(shown).is_ok_and(|n| n == asked) {
            format!(
                "Latest {shown} events, newest first (all: mfactl log {}):",
                ui::shell_quote(rec.user.as_str())
            )
        } else {
            "Audit events, newest first:".to_owned()
        };
        out.push_str(console::truncate_str(&title, width, "…").as_ref());
        out.push('\n');
        let table = super::log::events_table(events, false);
        out.push_str(&table.render(Layout::Aligned { width: Some(width) }, true));
    }
    out
}
