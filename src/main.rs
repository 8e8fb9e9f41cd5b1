//! The `mfactl` binary: parse, dispatch, map the outcome to an exit code.

mod cli;
mod commands;
mod exit_codes;
mod ui;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ui::report_usage_error(e).into(),
    };
    if let Err(e) = cli.check_json() {
        return ui::report_usage_error(e).into();
    }
    ui::init_colours();
    let json = cli.global.json;
    match commands::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            ui::report_error(&e, json);
            exit_codes::ExitCode::Error.into()
        }
    }
}
