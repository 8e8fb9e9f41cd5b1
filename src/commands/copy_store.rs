//! `mfactl copy-store`: move a store between files and PostgreSQL databases.

use anyhow::Result;
use mfactl::store::Location;
use serde_json::json;

use super::Context;
use crate::cli::CopyStoreArgs;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: CopyStoreArgs) -> Result<ExitCode> {
    let target = Location::parse(&args.to)?;
    let mut store = ctx.open_store()?;
    let from = store.location();
    let counts = store.copy_to(&ctx.op(), &target)?;
    if ctx.json() {
        ctx.print_json(&json!({
            "from": from,
            "to": target.to_string(),
            "users": counts.users,
            "recipients": counts.recipients,
            "settings": counts.settings,
            "recovery_codes": counts.recovery_codes,
            "audit_rows": counts.audit_rows,
        }))?;
    } else {
        outln!("Copied {from} to {target}:")?;
        use crate::ui::count;
        outln!(
            "  {}, {}, {}, {}, {}",
            count(counts.users, "user", "users"),
            count(counts.recipients, "recipient", "recipients"),
            count(counts.settings, "setting", "settings"),
            count(counts.recovery_codes, "recovery code", "recovery codes"),
            count(counts.audit_rows, "audit row", "audit rows")
        )?;
        if target.is_server() {
            outln!("Next: point MFACTL_DB (or --db) at the new store; the old one is unchanged")?;
        } else {
            outln!("Next: use it with --db {target}; the old store is unchanged")?;
        }
    }
    Ok(ExitCode::Success)
}
