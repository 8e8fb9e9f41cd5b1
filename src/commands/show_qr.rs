//! `mfactl show-qr`: print a user's pairing QR code again (and write image files).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use mfactl::audit::AuditEvent;
use mfactl::model::Status;
use mfactl::totp;
use serde_json::json;
use zeroize::Zeroizing;

use super::{parse_user, Context};
use crate::cli::{QrFileArgs, ShowQrArgs};
use crate::exit_codes::ExitCode;

/// `show-qr --json`. Borrows the secret-bearing strings rather than copying them.
#[derive(serde::Serialize)]
struct ShowQrOutput<'a> {
    user: &'a mfactl::model::UserName,
    status: Status,
    otpauth_uri: &'a str,
    qr: &'a str,
    files: &'a [PathBuf],
}

pub fn run(ctx: &Context, args: ShowQrArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let mut store = ctx.open_store()?;
    let rec = store.require_user(&user)?;
    let ciphertext = match (&rec.secret, rec.status) {
        (Some(ct), Status::Pending) => ct,
        (Some(ct), Status::Enabled) if args.force => ct,
        (Some(_), Status::Enabled) => {
            return Err(mfactl::Error::NeedsForce {
                message: format!(
                    "{user} is enabled: showing the QR code again re-exposes a live secret; pass --force if that is intended"
                ),
            }
            .into())
        }
        _ => {
            return Err(mfactl::Error::UserDisabled {
                user: user.to_string(),
            }
            .into())
        }
    };
    let ids = ctx.identities()?;
    let secret = ids
        .decrypt_secret(ciphertext)
        .ok_or_else(|| mfactl::Error::Decrypt {
            user: user.to_string(),
        })?;
    let uri = totp::otpauth_uri(&secret, &rec.params, &rec.issuer, &user);
    let qr = render_terminal(&uri)?;
    let written = write_qr_files(&args.files, &uri)?;
    // The read is audited before the secret is shown.
    if let Err(e) = store.record(
        &ctx.op(),
        AuditEvent::ShowQr,
        Some(&user),
        json!({ "status": rec.status, "forced": args.force }),
    ) {
        remove_files(&written);
        return Err(e.into());
    }
    if ctx.json() {
        ctx.print_json(&ShowQrOutput {
            user: &user,
            status: rec.status,
            otpauth_uri: &uri,
            qr: &qr,
            files: &written,
        })?;
    } else {
        print!("{}", qr.as_str());
        println!();
        println!("{}", uri.as_str());
        for p in &written {
            println!("QR image: {}", p.display());
        }
    }
    Ok(ExitCode::Success)
}

/// The terminal rendering.
pub fn render_terminal(uri: &str) -> Result<Zeroizing<String>> {
    Ok(mfactl::qr::terminal(uri)?)
}

type Renderer = fn(&str) -> mfactl::Result<Zeroizing<Vec<u8>>>;

/// Writes the PNG/SVG files asked for (mode 0600: they hold the secret). Returns the paths
/// written, so a caller can remove them if a later step fails.
pub fn write_qr_files(files: &QrFileArgs, uri: &str) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let outputs: [(Option<&PathBuf>, Renderer); 2] = [
        (files.png.as_ref(), mfactl::qr::png),
        (files.svg.as_ref(), |u| {
            mfactl::qr::svg(u).map(|s| Zeroizing::new(s.as_bytes().to_vec()))
        }),
    ];
    for (path, render) in outputs {
        let Some(path) = path else { continue };
        let result = render(uri)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| write_private(path, &bytes));
        if let Err(e) = result {
            remove_files(&written);
            return Err(e);
        }
        written.push(path.clone());
    }
    Ok(written)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Best-effort cleanup of files written before a failure.
pub fn remove_files(paths: &[PathBuf]) {
    for p in paths {
        let _ = fs::remove_file(p);
    }
}
