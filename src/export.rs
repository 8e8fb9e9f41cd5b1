//! Rendering exported secrets: otpauth URIs, CSV or JSON ([`crate::Mfa::export`]).

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::mfa::ExportFormat;
use crate::model::{Algorithm, Status, TokenLabel, TokenRecord, UserRecord};

/// One decrypted token of a user.
pub(crate) struct Row<'a> {
    pub record: &'a UserRecord,
    pub token: &'a TokenRecord,
    pub secret: Zeroizing<String>,
    pub uri: Zeroizing<String>,
}

/// One token in the JSON format. Borrows the secrets rather than copying them.
#[derive(serde::Serialize)]
struct JsonEntry<'a> {
    user: &'a str,
    token: &'a TokenLabel,
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
        // The status and the token's label ride along as `status` and `token` parameters,
        // which apps ignore and import reads.
        ExportFormat::Uri => Zeroizing::new(
            rows.iter()
                .map(|r| {
                    format!(
                        "{}&status={}&token={}\n",
                        r.uri.as_str(),
                        r.token.status,
                        r.token.label
                    )
                })
                .collect(),
        ),
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["user", "token", "status", "uri"])
                .map_err(io)?;
            for r in rows {
                w.write_record([
                    r.record.user.as_str(),
                    r.token.label.as_str(),
                    r.token.status.as_str(),
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
                    token: &r.token.label,
                    status: r.token.status,
                    issuer: &r.token.issuer,
                    algorithm: r.token.params.algorithm(),
                    digits: r.token.params.digits(),
                    period: r.token.params.period(),
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
