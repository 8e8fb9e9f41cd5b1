//! Rendering exported secrets: otpauth URIs, CSV or JSON ([`crate::Mfa::export`]).

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::mfa::ExportFormat;
use crate::model::{Algorithm, Status, UserRecord};

/// One decrypted user.
pub(crate) struct Row<'a> {
    pub record: &'a UserRecord,
    pub secret: Zeroizing<String>,
    pub uri: Zeroizing<String>,
}

/// One user in the JSON format. Borrows the secrets rather than copying them.
#[derive(serde::Serialize)]
struct JsonEntry<'a> {
    user: &'a str,
    status: Status,
    issuer: &'a str,
    algorithm: Algorithm,
    digits: u8,
    period: u32,
    secret: &'a str,
    otpauth_uri: &'a str,
}

fn io(e: impl Into<std::io::Error>) -> Error {
    Error::io("cannot render the export", e.into())
}

/// The text of an export, in zeroized memory.
pub(crate) fn render(rows: &[Row<'_>], format: ExportFormat) -> Result<Zeroizing<String>> {
    Ok(match format {
        // The status rides along as a `status` parameter, which apps ignore and import reads.
        ExportFormat::Uri => Zeroizing::new(
            rows.iter()
                .map(|r| format!("{}&status={}\n", r.uri.as_str(), r.record.status))
                .collect(),
        ),
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["user", "status", "uri"]).map_err(io)?;
            for r in rows {
                w.write_record([
                    r.record.user.as_str(),
                    r.record.status.as_str(),
                    r.uri.as_str(),
                ])
                .map_err(io)?;
            }
            let bytes = Zeroizing::new(w.into_inner().map_err(|e| io(e.into_error()))?);
            Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned())
        }
        ExportFormat::Json => {
            let list: Vec<JsonEntry<'_>> = rows
                .iter()
                .map(|r| JsonEntry {
                    user: r.record.user.as_str(),
                    status: r.record.status,
                    issuer: &r.record.issuer,
                    algorithm: r.record.params.algorithm(),
                    digits: r.record.params.digits(),
                    period: r.record.params.period(),
                    secret: &r.secret,
                    otpauth_uri: &r.uri,
                })
                .collect();
            let mut buf = Zeroizing::new(Vec::new());
            serde_json::to_writer_pretty(&mut *buf, &list).map_err(io)?;
            buf.push(b'\n');
            Zeroizing::new(String::from_utf8_lossy(&buf).into_owned())
        }
    })
}
