//! `mfactl export`: plaintext secrets for migration and backup. Confirmed and audited.

use anyhow::Result;
use mfactl::model::{Status, UserFilter};
use serde_json::json;

use super::{confirm_or_refuse, Context};
use crate::cli::{ExportArgs, ExportFormat, ExportStatus};
use crate::exit_codes::ExitCode;

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
    let mut mfa = ctx.mfa()?;
    let plan = mfa.prepare_export(filter)?;
    // Encrypted, the export shows no secret to anyone: nothing to confirm.
    if sealed_to.is_empty() {
        confirm_or_refuse(
            ctx,
            args.yes,
            &format!(
                "Print {} in plaintext?",
                crate::ui::count(plan.len() as u64, "secret", "secrets")
            ),
            "exporting plaintext secrets",
        )?;
    }
    mfa.set_identities(ctx.identities()?);
    let format = match format {
        ExportFormat::Uri => mfactl::ExportFormat::Uri,
        ExportFormat::Csv => mfactl::ExportFormat::Csv,
        ExportFormat::Json => mfactl::ExportFormat::Json,
    };
    // Audited before anything is printed; encrypted in memory, the plaintext goes nowhere else.
    let (plain, sealed);
    let (out, count): (&[u8], usize) = if sealed_to.is_empty() {
        plain = mfa.finish_export(plan, format)?;
        (plain.text.as_bytes(), plain.count)
    } else {
        sealed = mfa.finish_export_sealed(plan, format, &sealed_to, args.armor)?;
        (&sealed.bytes, sealed.count)
    };
    match &args.output {
        None => crate::out::write(out)?,
        Some(path) => {
            let written = mfactl::files::write_private_new(path, out, args.overwrite)?;
            if ctx.json() {
                ctx.print_json(&json!({ "output": written, "count": count }))?;
            } else {
                crate::ui::info(&format!(
                    "Wrote {} secrets to {} (mode 0600{})",
                    count,
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
