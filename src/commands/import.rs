//! `mfactl import`: enroll users from otpauth URIs, CSV (mfactl's or Authelia's), mfactl's JSON
//! export or Authelia's YAML export, all or nothing ([`mfactl::Mfa::plan_import`]).

use anyhow::Result;
use mfactl::model::Status;
use mfactl::ImportOptions;
use serde_json::json;

use super::Context;
use crate::cli::{ExportStatus, ImportArgs, ImportFormat};
use crate::exit_codes::ExitCode;

impl From<ImportFormat> for mfactl::ImportFormat {
    fn from(f: ImportFormat) -> Self {
        match f {
            ImportFormat::Uri => Self::Uri,
            ImportFormat::Csv => Self::Csv,
            ImportFormat::Json => Self::Json,
            ImportFormat::Yaml => Self::Yaml,
        }
    }
}

impl From<ExportStatus> for Status {
    fn from(s: ExportStatus) -> Self {
        match s {
            ExportStatus::Pending => Status::Pending,
            ExportStatus::Enabled => Status::Enabled,
        }
    }
}

pub fn run(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    let name = mfactl::import::input_name(&args.file);
    let bytes = mfactl::import::read_file_bytes(&args.file)?;
    // An age file (export --to), binary or armored: decrypted in memory, into a zeroizing
    // buffer, under the same cap.
    let bytes = if mfactl::import::is_encrypted(&bytes) {
        let ids = match &args.decrypt_with {
            Some(path) => ctx.load_identities(mfactl::vault::IdentitySource::File(path.clone()))?,
            None => ctx.identities()?,
        };
        mfactl::import::decrypt(&bytes, &ids, name)?
    } else {
        bytes
    };
    let text = mfactl::import::into_text(bytes, name)?;
    let mut options = ImportOptions::new()
        .allow_short_secrets(args.allow_short_secrets)
        .allow_similar(args.allow_similar)
        .dry_run(args.dry_run);
    // --status wins; otherwise the status the input gives, else enabled (paired elsewhere).
    options.status = args.status.map(Into::into);
    let mut mfa = ctx.mfa()?;
    let plan = mfa.plan_import(&text, args.format.into(), &options)?;
    for (line, msg) in plan.problems() {
        // A line may quote the input, and the input may hold a private key.
        errln!("{} {line}: {}", plan.place(), mfactl::redact::message(msg));
    }
    plan.check(&args.file)?;

    let bar = crate::ui::progress(plan.len(), "encrypting", ctx.json());
    let report = mfa.apply_import(plan, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let (pending, enabled, short) = (report.pending, report.enabled, report.short_secrets);
    if ctx.json() {
        ctx.print_json(&json!({
            "imported": report.imported,
            "valid": report.valid,
            "dry_run": args.dry_run,
            "pending": pending,
            "enabled": enabled,
            "short_secrets": short,
        }))?;
    } else {
        let split = format!("{enabled} enabled, {pending} pending");
        if args.dry_run {
            let n = report.valid as u64;
            let are = if n == 1 { "is" } else { "are" };
            outln!(
                "{} {are} valid ({split}); nothing imported (--dry-run)",
                crate::ui::count(n, "entry", "entries")
            )?;
        } else {
            let users = crate::ui::count(report.users as u64, "user", "users");
            if report.imported == report.users {
                outln!("Imported {users} ({split})")?;
            } else {
                // Several tokens of one user: the split counts tokens.
                let tokens = crate::ui::count(report.imported as u64, "token", "tokens");
                outln!("Imported {tokens} of {users} ({split})")?;
            }
        }
        if short > 0 {
            crate::ui::warn(&format!(
                "{short} of them have secrets shorter than 128 bits; 'mfactl list' flags them: \
                 enroll them again when you can"
            ));
        }
    }
    Ok(ExitCode::Success)
}
