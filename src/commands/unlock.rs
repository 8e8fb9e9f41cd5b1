//! `mfactl unlock`: clear a brute-force lockout.

use anyhow::Result;
use serde_json::json;

use super::{parse_user, Context};
use crate::cli::UserArg;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: UserArg) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let changed = ctx.mfa()?.unlock(&user)?;
    if ctx.json() {
        ctx.print_json(&json!({ "user": user, "locked": false, "changed": changed }))?;
    } else if changed {
        outln!("Unlocked {user}; failure count reset")?;
    } else {
        outln!("{user} is not locked; nothing to do")?;
    }
    Ok(ExitCode::Success)
}
