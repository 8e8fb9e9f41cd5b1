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
    let mut mfa = ctx.mfa()?;
    let plan = mfa.prepare_export(filter)?;
    confirm_or_refuse(
        ctx,
        args.yes,
        &format!(
            "Print {} in plaintext?",
            crate::ui::count(plan.len() as u64, "secret", "secrets")
        ),
        "exporting plaintext secrets",
    )?;
    mfa.set_identities(ctx.identities()?);
    let format = match format {
        ExportFormat::Uri => mfactl::ExportFormat::Uri,
        ExportFormat::Csv => mfactl::ExportFormat::Csv,
        ExportFormat::Json => mfactl::ExportFormat::Json,
    };
    // Audited before anything is printed.
    let export = mfa.finish_export(plan, format)?;
    let (out, count) = (&export.text, export.count);
    match &args.output {
        None => crate::out::write(out.as_bytes())?,
        Some(path) => {
            let written = mfactl::files::write_private_new(path, out.as_bytes(), args.overwrite)?;
            if ctx.json() {
                ctx.print_json(&json!({ "output": written, "count": count }))?;
            } else {
                crate::ui::info(&format!(
                    "Wrote {} secrets to {} (mode 0600)",
                    count,
                    written.display()
                ));
            }
        }
    }
    Ok(ExitCode::Success)
}
