//! `mfactl export`: plaintext secrets for migration and backup. Confirmed and audited.

use anyhow::Result;
use mfactl::audit::AuditEvent;
use mfactl::model::{Status, UserFilter};
use mfactl::totp;
use serde_json::json;
use zeroize::Zeroizing;

use super::{confirm_or_refuse, Context};
use crate::cli::{ExportArgs, ExportFormat, ExportStatus};
use crate::exit_codes::ExitCode;

/// One user in `export --format json`. Borrows the secrets rather than copying them.
#[derive(serde::Serialize)]
struct ExportEntry<'a> {
    user: &'a str,
    status: Status,
    issuer: &'a str,
    algorithm: mfactl::model::Algorithm,
    digits: u8,
    period: u32,
    secret: &'a str,
    otpauth_uri: &'a str,
}

pub fn run(ctx: &Context, args: ExportArgs) -> Result<ExitCode> {
    let filter = match args.status {
        None => UserFilter::All,
        Some(ExportStatus::Pending) => UserFilter::Status(Status::Pending),
        Some(ExportStatus::Enabled) => UserFilter::Status(Status::Enabled),
    };
    // With --output, --json is about what stdout says; the file gets the --format asked for.
    // (`--json` with another --format and no --output is refused as a usage error.)
    let format = match args.format {
        _ if ctx.json() && args.output.is_none() => ExportFormat::Json,
        Some(f) => f,
        None => ExportFormat::Uri,
    };
    // An output file that cannot be created is refused before anything is read or asked.
    if let Some(path) = &args.output {
        mfactl::files::check_target(path, args.overwrite)?;
    }
    // --to: checked before anything is read; binary never goes to a terminal (as age does).
    let sealed_to = recipients(ctx, &args)?;
    let mut store = ctx.open_store()?;
    let records = store.secrets(filter)?;
    // Encrypted, the export shows no secret to anyone: nothing to confirm.
    if sealed_to.is_empty() {
        confirm_or_refuse(
            ctx,
            args.yes,
            &format!(
                "Print {} in plaintext?",
                crate::ui::count(records.len() as u64, "secret", "secrets")
            ),
            "exporting plaintext secrets",
        )?;
    }
    let ids = ctx.identities()?;
    let mut rows = Vec::with_capacity(records.len());
    for rec in &records {
        let ct = rec.secret.as_deref().unwrap_or_default();
        let secret = ids
            .decrypt_secret(ct)
            .ok_or_else(|| mfactl::Error::Decrypt {
                user: rec.user.to_string(),
            })?;
        let uri = totp::otpauth_uri(&secret, &rec.params, &rec.issuer, &rec.user);
        rows.push((rec, secret.to_base32(), uri));
    }
    // Audited before anything is printed.
    store.record(
        &ctx.op(),
        AuditEvent::Export,
        None,
        {
            let mut details = json!({ "count": rows.len(), "format": format!("{format:?}").to_lowercase(), "users": records.iter().map(|r| r.user.as_str()).collect::<Vec<_>>() });
            if !sealed_to.is_empty() {
                details["encrypted_to"] = sealed_to.iter().map(|r| r.fingerprint()).collect::<Vec<_>>().into();
            }
            details
        },
    )?;
    let out: Zeroizing<String> = match format {
        // The status rides along as a `status` parameter, which apps ignore and import reads.
        ExportFormat::Uri => Zeroizing::new(
            rows.iter()
                .map(|(rec, _, uri)| format!("{}&status={}\n", uri.as_str(), rec.status))
                .collect(),
        ),
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["user", "status", "uri"])
                .map_err(std::io::Error::from)?;
            for (rec, _, uri) in &rows {
                w.write_record([rec.user.as_str(), rec.status.as_str(), uri.as_str()])
                    .map_err(std::io::Error::from)?;
            }
            let bytes = Zeroizing::new(w.into_inner().map_err(|e| e.into_error())?);
            Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned())
        }
        ExportFormat::Json => {
            let list: Vec<ExportEntry<'_>> = rows
                .iter()
                .map(|(rec, b32, uri)| ExportEntry {
                    user: rec.user.as_str(),
                    status: rec.status,
                    issuer: &rec.issuer,
                    algorithm: rec.params.algorithm(),
                    digits: rec.params.digits(),
                    period: rec.params.period(),
                    secret: b32,
                    otpauth_uri: uri,
                })
                .collect();
            let mut buf = Zeroizing::new(Vec::new());
            serde_json::to_writer_pretty(&mut *buf, &list).map_err(std::io::Error::from)?;
            buf.push(b'\n');
            Zeroizing::new(String::from_utf8_lossy(&buf).into_owned())
        }
    };
    // Encrypted in memory: the plaintext goes nowhere else.
    let sealed = if sealed_to.is_empty() {
        None
    } else {
        Some(mfactl::vault::seal(&sealed_to, out.as_bytes(), args.armor)?)
    };
    let out: &[u8] = sealed.as_deref().unwrap_or(out.as_bytes());
    match &args.output {
        None => crate::out::write(out)?,
        Some(path) => {
            let written = mfactl::files::write_private_new(path, out, args.overwrite)?;
            if ctx.json() {
                ctx.print_json(&json!({ "output": written, "count": rows.len() }))?;
            } else {
                crate::ui::info(&format!(
                    "Wrote {} secrets to {} (mode 0600{})",
                    rows.len(),
                    written.display(),
                    if sealed_to.is_empty() {
                        ""
                    } else {
                        ", age-encrypted"
                    }
                ));
            }
        }
    }
    Ok(ExitCode::Success)
}

/// The `--to`/`-R` recipients (none: a plaintext export). Refuses binary output to a terminal.
fn recipients(ctx: &Context, args: &ExportArgs) -> Result<Vec<mfactl::vault::SealRecipient>> {
    use mfactl::vault::SealRecipient;
    if !args.encrypted() {
        if args.armor {
            return Err(mfactl::Error::invalid("--armor", "only with --to or -R").into());
        }
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for r in &args.to {
        out.push(SealRecipient::parse(r)?);
    }
    for path in &args.to_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            mfactl::Error::io(format!("cannot read recipients file {}", path.display()), e)
        })?;
        out.extend(SealRecipient::parse_file(
            &text,
            &path.display().to_string(),
        )?);
    }
    if args.output.is_none() && !args.armor && ctx.stdout_is_terminal() {
        return Err(mfactl::Error::invalid(
            "export --to",
            "refusing to write binary age to a terminal: pass -o FILE, pipe it, or use --armor",
        )
        .into());
    }
    Ok(out)
}
