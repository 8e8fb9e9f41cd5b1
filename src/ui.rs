//! Terminal manners: when to prompt, when to colour, how errors look.

use std::io::{IsTerminal, Write};

use crate::exit_codes::ExitCode;

/// Prompts only when a person is there: stdin and stdout both terminals.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// Colour only on a terminal, never with `NO_COLOR` set (https://no-color.org).
pub fn init_colours() {
    let off = no_color();
    console::set_colors_enabled(!off && std::io::stdout().is_terminal());
    console::set_colors_enabled_stderr(!off && std::io::stderr().is_terminal());
}

/// Styles for status words, honouring [`init_colours`].
pub fn good(text: &str) -> console::StyledObject<&str> {
    console::style(text).green().bold()
}

/// See [`good`].
pub fn bad(text: &str) -> console::StyledObject<&str> {
    console::style(text).red().bold()
}

/// See [`good`].
pub fn note(text: &str) -> console::StyledObject<&str> {
    console::style(text).yellow()
}

/// A warning on stderr (invisible and control characters escaped, as in every human line).
pub fn warn(message: &str) {
    let message = mfactl::names::escape_invisible(message);
    eprintln!(
        "{} {message}",
        console::style("warning:").for_stderr().yellow().bold()
    );
}

/// An informational line on stderr (keeps stdout for the command's output).
pub fn info(message: &str) {
    eprintln!("{}", mfactl::names::escape_invisible(message));
}

/// Asks a yes/no question on the terminal; callers check [`interactive`] first.
pub fn confirm(prompt: &str) -> anyhow::Result<bool> {
    Ok(dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()?)
}

/// Prints a failure: `error: ...` and `hint: ...` on stderr; with `--json`, also
/// `{"error": {"kind", "message", "hint"}}` on stdout.
pub fn report_error(e: &anyhow::Error, json: bool) {
    let lib = e.chain().find_map(|c| c.downcast_ref::<mfactl::Error>());
    // Everything mfactl expects to fail is a library error; what is left is the output or
    // input failing under us (io), or a bug (internal). Never anything undocumented.
    let kind = match lib {
        Some(l) => l.kind(),
        None if e.chain().any(|c| c.is::<std::io::Error>()) => "io",
        None => "internal",
    };
    let hint = lib.and_then(|l| l.hint());
    // `{:#}` joins the context chain on one line; `{:?}` would print a backtrace.
    // Redacted here, where every error passes, whatever input it echoes.
    let message = mfactl::redact::message(&chain_text(e)).into_owned();
    print_error(kind, &message, hint.as_deref(), json);
}

/// The error and its causes on one line, as `{:#}` joins them, but without a cause whose text
/// the line already holds (an error that prints its source would otherwise say it twice).
fn chain_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn print_error(kind: &str, message: &str, hint: Option<&str>, json: bool) {
    // Names in library messages are already quoted and escaped; this is the last guard for
    // anything else that echoes input (the JSON document keeps the message as it is).
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{} {}",
        console::style("error:").for_stderr().red().bold(),
        mfactl::names::escape_invisible(message)
    );
    if let Some(h) = hint {
        let _ = writeln!(
            err,
            "{} {}",
            console::style("hint:").for_stderr().cyan(),
            mfactl::names::escape_invisible(h)
        );
    }
    if json {
        let doc =
            serde_json::json!({ "error": { "kind": kind, "message": message, "hint": hint } });
        println!("{doc}");
    }
}

/// Reports a command-line parsing failure (or prints help/version), returning the exit code.
pub fn report_usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::Success
        }
        // A bare `mfactl`: `arg_required_else_help` does not fire when MFACTL_* variables
        // supply global options, but the person still wants the help, not an error.
        ErrorKind::MissingSubcommand if std::env::args_os().len() <= 1 => {
            let help = <crate::cli::Cli as clap::CommandFactory>::command().render_help();
            eprint!("{help}");
            ExitCode::Error
        }
        _ => {
            // clap echoes the offending argument, which may be a private key.
            let rendered = e.render().to_string();
            if mfactl::redact::contains_private_key(&rendered) {
                eprint!("{}", mfactl::redact::message(&rendered));
            } else {
                let _ = e.print();
            }
            if std::env::args_os().any(|a| a == "--json") {
                // clap's message up to its usage block, on one line, without the "error: " prefix.
                let rendered = e.render().to_string();
                let text = rendered
                    .lines()
                    .take_while(|l| !l.starts_with("Usage:"))
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                let text = mfactl::redact::message(&text);
                let text = text.strip_prefix("error: ").unwrap_or(&text);
                let doc = serde_json::json!({ "error": { "kind": "usage", "message": text, "hint": "run 'mfactl --help'" } });
                println!("{doc}");
            }
            ExitCode::Error
        }
    }
}

/// A progress bar on stderr for long work, shown only on a terminal (and never with `--json`);
/// elsewhere a hidden bar that costs nothing.
pub fn progress(len: usize, what: &str, json: bool) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() || len < 100 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}
