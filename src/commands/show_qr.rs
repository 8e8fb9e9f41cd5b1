//! `mfactl show-qr`: print a user's pairing QR code again (and write image files).

use std::path::PathBuf;

use anyhow::Result;
use mfactl::files::PendingFile;
use mfactl::model::Status;
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
    qr: Option<&'a str>,
    files: &'a [PathBuf],
}

pub fn run(ctx: &Context, args: ShowQrArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let label = super::parse_label(args.token.as_deref())?;
    check_qr_targets(&args.files)?;
    let mut mfa = ctx.mfa()?;
    // A first look, before the identity is loaded (and its passphrase perhaps asked for): an
    // unknown, disabled or (without --force) enabled user is refused at once.
    mfa.check_token_pairing(&user, label.as_ref(), args.force)?;
    mfa.set_identities(ctx.identities()?);
    let shade = if args.qr_invert {
        mfactl::qr::Shade::LightBackground
    } else {
        mfactl::qr::Shade::DarkBackground
    };
    // The read is audited before the secret is shown or the files are put in place (if the
    // audit fails, dropping the pending files removes them).
    let (pairing, (qr, pending)) =
        mfa.token_pairing_with(&user, label.as_ref(), args.force, |p| {
            // A URI too long for any QR code is still shown, as text.
            let qr = mfactl::qr::terminal(&p.uri, shade).ok();
            Ok((qr, write_qr_files(&args.files, &p.uri)?))
        })?;
    let (status, secret, uri) = (pairing.status, &pairing.secret, &pairing.uri);
    let written = commit_files(pending)?;
    if ctx.json() {
        ctx.print_json(&ShowQrOutput {
            user: &user,
            status,
            otpauth_uri: uri,
            qr: qr.as_ref().map(|q| q.as_str()),
            files: &written,
        })?;
    } else {
        match &qr {
            Some(qr) => {
                out!("{}", qr.as_str())?;
                outln!()?;
            }
            None => {
                note_too_long(uri);
                outln!(
                    "secret: {}  (for manual entry)",
                    secret.to_base32().as_str()
                )?;
            }
        }
        outln!("{}", uri.as_str())?;
        for p in &written {
            outln!("QR image: {}", p.display())?;
        }
    }
    Ok(ExitCode::Success)
}

/// Says (on stderr) why no QR code is shown: `uri` does not fit in one.
pub fn note_too_long(uri: &str) {
    crate::ui::warn(&format!(
        "no QR code: the otpauth URI ({} bytes) is too long for one (a shorter issuer or user \
         name, or SHA1, makes it shorter); pair with the secret or the URI",
        uri.len()
    ));
}

type Renderer = fn(&str) -> mfactl::Result<Zeroizing<Vec<u8>>>;

/// The PNG/SVG targets asked for, each checked before anything is written: an existing file
/// needs `--overwrite`, a symbolic link or a missing directory is refused.
pub fn check_qr_targets(files: &QrFileArgs) -> mfactl::Result<()> {
    if let (Some(png), Some(svg)) = (&files.png, &files.svg) {
        if png == svg {
            return Err(mfactl::Error::invalid(
                "arguments",
                format!("--png and --svg both name {}", png.display()),
            ));
        }
    }
    for path in [&files.png, &files.svg].into_iter().flatten() {
        mfactl::files::check_target(path, files.overwrite)?;
    }
    Ok(())
}

/// Writes the PNG/SVG files asked for to temporary files beside their targets (mode 0600:
/// they hold the secret). Nothing is in place until the caller commits them
/// ([`commit_files`]); dropping them leaves every target as it was.
pub fn write_qr_files(files: &QrFileArgs, uri: &str) -> mfactl::Result<Vec<PendingFile>> {
    check_qr_targets(files)?;
    let mut pending = Vec::new();
    let outputs: [(Option<&PathBuf>, Renderer); 2] = [
        (files.png.as_ref(), mfactl::qr::png),
        (files.svg.as_ref(), |u| {
            mfactl::qr::svg(u).map(|s| Zeroizing::new(s.as_bytes().to_vec()))
        }),
    ];
    for (path, render) in outputs {
        let Some(path) = path else { continue };
        let bytes = render(uri)?;
        pending.push(PendingFile::write(path, &bytes, files.overwrite)?);
    }
    Ok(pending)
}

/// Renames the written files into place; returns their paths.
pub fn commit_files(pending: Vec<PendingFile>) -> Result<Vec<PathBuf>> {
    pending
        .into_iter()
        .map(|p| p.commit().map_err(Into::into))
        .collect()
}
