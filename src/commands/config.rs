//! `mfactl config get|set`: the store's settings.

use anyhow::Result;
use comfy_table::{presets, Table};
use mfactl::names::display_safe;
use mfactl::settings::SettingKey;
use serde_json::json;

use super::Context;
use crate::cli::ConfigCommand;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, cmd: ConfigCommand) -> Result<ExitCode> {
    match cmd {
        ConfigCommand::Get { key, .. } => {
            let key = key.map(|k| k.parse::<SettingKey>()).transpose()?;
            let settings = ctx.open_store()?.settings()?;
            match (key, ctx.json()) {
                (Some(k), true) => ctx.print_json(
                    &json!({ "key": k.json_name(), "value": settings.json_value(k) }),
                )?,
                (Some(k), false) => outln!("{}", display_safe(&settings.get(k)))?,
                (None, true) => ctx.print_json(&settings)?,
                (None, false) => {
                    let mut t = Table::new();
                    t.load_style(presets::NOTHING);
                    for k in SettingKey::ALL {
                        t.add_row([
                            k.as_str().to_owned(),
                            display_safe(&settings.get(k)).into_owned(),
                        ]);
                    }
                    outln!("{t}")?;
                }
            }
        }
        ConfigCommand::Set { key, value, .. } => {
            let key: SettingKey = key.parse()?;
            let mut store = ctx.open_store()?;
            let (before, after) = store.set_setting(&ctx.op(), key, &value)?;
            if ctx.json() {
                ctx.print_json(&json!({
                    "key": key.json_name(),
                    "value": after.json_value(key),
                    "previous": before.json_value(key),
                }))?;
            } else {
                outln!(
                    "{key}: {} -> {}",
                    display_safe(&before.get(key)),
                    display_safe(&after.get(key))
                )?;
            }
        }
    }
    Ok(ExitCode::Success)
}
