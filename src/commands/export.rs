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
    let mut store = ctx.open_store()?;
    let records = store.secrets(filter)?;
    confirm_or_refuse(
        ctx,
        args.yes,
        &format!(
            "Print {} in plaintext?",
            crate::ui::count(records.len() as u64, "secret", "secrets")
        ),
        "exporting plaintext secrets",
    )?;
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
        json!({ "count": rows.len(), "format": format!("{format:?}").to_lowercase(), "users": records.iter().map(|r| r.user.as_str()).collect::<Vec<_>>() }),
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
    match &args.output {
        None => crate::out::write(out.as_bytes())?,
        Some(path) => {
            let written = mfactl::files::write_private_new(path, out.as_bytes(), args.overwrite)?;
            if ctx.json() {
                ctx.print_json(&json!({ "output": written, "count": rows.len() }))?;
            } else {
                crate::ui::info(&format!(
                    "Wrote {} secrets to {} (mode 0600)",
                    rows.len(),
                    written.display()
                ));
            }
        }
    }
    Ok(ExitCode::Success)
}
