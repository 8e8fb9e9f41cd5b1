//! `enroll --seal-to`: the pairing goes into an age file for the user; the operator sees
//! only where it went and to which keys. The bundle itself is built in `mfactl::bundle`.

use std::path::PathBuf;

use anyhow::Result;
use mfactl::bundle::{self, BundleFormat, Pairing};
use mfactl::files::PendingFile;
use mfactl::model::{Timestamp, UserName};
use mfactl::vault::SealRecipient;
use mfactl::{Mfa, PreparedEnrollment};
use serde_json::json;

use crate::cli::{BundleFormatArg, SealArgs};
use crate::commands::Context;
use crate::exit_codes::ExitCode;
use crate::ui;

/// Recipients files are a few lines each; anything larger is not one.
const MAX_RECIPIENTS_FILE: u64 = 1024 * 1024;

/// Where the bundle goes.
enum Target {
    File(PathBuf),
    Stdout,
}

/// A checked `--seal-to` request.
pub(super) struct Plan {
    recipients: Vec<SealRecipient>,
    target: Target,
    armor: bool,
    format: BundleFormat,
    overwrite: bool,
}

impl Plan {
    /// `None` without `--seal-to`/`-R`; the other sealing options alone are refused.
    pub(super) fn from_args(ctx: &Context, a: &SealArgs, user: &UserName) -> Result<Option<Self>> {
        if !a.is_set() {
            if a.out.is_some() || a.armor || a.bundle_format.is_some() || a.overwrite_out {
                return Err(mfactl::Error::invalid(
                    "--out/--armor/--format",
                    "only with --seal-to RECIPIENT or -R FILE",
                )
                .into());
            }
            return Ok(None);
        }
        let mut recipients = Vec::new();
        for r in &a.seal_to {
            recipients.push(SealRecipient::parse(r)?);
        }
        for path in &a.seal_to_file {
            let text = read_small(path)?;
            recipients.extend(SealRecipient::parse_file(
                &text,
                &path.display().to_string(),
            )?);
        }
        let format = match a.bundle_format {
            Some(BundleFormatArg::Png) => BundleFormat::Png,
            _ => BundleFormat::Text,
        };
        let target = match &a.out {
            Some(p) if p.as_os_str() == "-" => {
                // As age does: binary never goes to a terminal.
                if ctx.stdout_is_terminal() && !a.armor {
                    return Err(mfactl::Error::invalid(
                        "--out",
                        "refusing to write a binary bundle to a terminal: pass --armor, or --out FILE",
                    )
                    .into());
                }
                if ctx.json() {
                    return Err(mfactl::Error::invalid(
                        "--out",
                        "'-' cannot be used with --json (stdout holds the JSON document)",
                    )
                    .into());
                }
                Target::Stdout
            }
            Some(p) => Target::File(p.clone()),
            None => Target::File(PathBuf::from(bundle::default_file_name(user, format))),
        };
        if let Target::File(p) = &target {
            mfactl::files::check_target(p, a.overwrite_out)?;
        }
        Ok(Some(Plan {
            recipients,
            target,
            armor: a.armor,
            format,
            overwrite: a.overwrite_out,
        }))
    }

    /// Seals the pairing, writes the bundle next to its target, enrolls (audited as sealed, to
    /// the recipients' fingerprints), then puts the bundle in place. Prints no secret.
    pub(super) fn run(
        self,
        ctx: &Context,
        mfa: &mut Mfa,
        prepared: PreparedEnrollment,
        expires_at: Option<Timestamp>,
    ) -> Result<ExitCode> {
        let user = prepared.user().clone();
        let sealed = {
            let secret_b32 = prepared.secret().to_base32();
            let pairing = Pairing {
                user: &user,
                issuer: prepared.issuer(),
                params: prepared.params(),
                uri: prepared.uri(),
                secret_b32: &secret_b32,
                expires_at,
            };
            bundle::seal(&pairing, self.format, &self.recipients, self.armor)?
        };
        let fingerprints: Vec<String> = self.recipients.iter().map(|r| r.fingerprint()).collect();
        // Written before the enrollment commits, put in place after: a failed enrollment
        // leaves no bundle, a bundle that cannot be written enrolls nobody.
        let pending = match &self.target {
            Target::File(p) => Some(PendingFile::write(p, &sealed, self.overwrite)?),
            Target::Stdout => None,
        };
        let outcome = mfa.commit_enroll_sealed(prepared, &fingerprints)?.outcome;
        let _ = crate::commands::report_scrub(mfa.store());
        let path = match pending {
            Some(p) => Some(p.commit()?),
            None => {
                crate::out::write(&sealed)?;
                None
            }
        };
        let user = &user;
        if ctx.json() {
            ctx.print_json(&json!({
                "user": user,
                "status": "pending",
                "sealed": true,
                "bundle": path.as_ref().map(|p| p.display().to_string()),
                "armor": self.armor,
                "format": match self.format { BundleFormat::Text => "text", BundleFormat::Png => "png" },
                "recipients": self.recipients.iter().map(|r| json!({
                    "type": r.kind(),
                    "fingerprint": r.fingerprint(),
                })).collect::<Vec<_>>(),
                "pending_expires_at": expires_at,
            }))?;
            return Ok(ExitCode::Success);
        }
        if let mfactl::store::EnrollOutcome::Replaced(s) = outcome {
            ui::warn(&format!(
                "replaced the {s} secret of {user}: their old authenticator entry no longer works"
            ));
        }
        // One key per line and the deadline on a line of its own: each line fits 80 columns.
        let keys: String = self
            .recipients
            .iter()
            .map(|r| format!("\n  {} {}", r.kind(), r.fingerprint()))
            .collect();
        let confirm = match expires_at {
            Some(t) => format!("Their first code confirms (before {t}, pending-ttl):"),
            None => "Their first code confirms:".to_owned(),
        };
        let quoted = ui::shell_quote(user.as_str());
        let lines = match &path {
            Some(p) => {
                let file = ui::shell_quote(&p.display().to_string());
                format!(
                    "Enrolled {user}, status pending; the pairing is sealed to:{keys}\n  \
                     bundle: {}\nSend it to {user}; they open it with their key, e.g.\n  \
                     age -d -i ~/.ssh/id_ed25519 {file}\nand scan the QR code.\n{confirm}\n  \
                     mfactl verify {quoted}",
                    mfactl::names::escape_invisible(&p.display().to_string()),
                )
            }
            None => format!(
                "Enrolled {user}, status pending; the bundle on stdout is sealed to:{keys}\n\
                 {confirm}\n  mfactl verify {quoted}"
            ),
        };
        if path.is_some() {
            outln!("{lines}")?;
        } else {
            // stdout holds the bundle. One call per line: info escapes line breaks.
            for line in lines.lines() {
                ui::info(line);
            }
        }
        Ok(ExitCode::Success)
    }
}

fn read_small(path: &std::path::Path) -> Result<String> {
    use std::io::Read;
    let mut text = String::new();
    let f = std::fs::File::open(path).map_err(|e| {
        mfactl::Error::io(format!("cannot read recipients file {}", path.display()), e)
    })?;
    f.take(MAX_RECIPIENTS_FILE)
        .read_to_string(&mut text)
        .map_err(|e| {
            mfactl::Error::io(format!("cannot read recipients file {}", path.display()), e)
        })?;
    Ok(text)
}
