//! The `mfactl` binary: parse, dispatch, map the outcome to an exit code.

#[macro_use]
mod out;
mod cli;
mod commands;
mod exit_codes;
mod table;
mod ui;

fn main() -> std::process::ExitCode {
    // SAFETY: first thing in main, before any thread or SQLite connection exists.
    unsafe { mfactl::store::disable_sqlite_memory_statistics() };
    let cli = match cli::matches(ui::colour_choice_from_args())
        .and_then(|m| cli::Cli::from_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return ui::report_usage_error(e).into(),
    };
    if let Err(e) = cli.check_json() {
        return ui::report_usage_error(e).into();
    }
    ui::init_colours(cli.global.color);
    let json = cli.global.json;
    match commands::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            ui::report_error(&e, json);
            exit_codes::ExitCode::Error.into()
        }
    }
}
