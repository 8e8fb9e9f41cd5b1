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

/// The longest answer read from the terminal: a name (255 bytes) or a code, with room to spare.
const MAX_ANSWER: u64 = 4096;

/// Asks the operator to type a word (a user's name, `rekey`) to go on, as `gh repo delete`
/// does: one keypress is not enough for something that cannot be undone. `explanation` says
/// what will happen; the prompt itself is short, so that it fits 80 columns whatever the name.
/// A whole line is read (nothing typed is left for the shell); `accept` judges it, without
/// its line end. Callers check [`interactive`] first.
pub fn confirm_typed(
    explanation: &str,
    what_to_type: &str,
    accept: &dyn Fn(&str) -> bool,
) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    for line in explanation.lines() {
        writeln!(err, "{}", mfactl::names::escape_invisible(line))?;
    }
    write!(err, "Type {what_to_type} to confirm (Enter cancels): ")?;
    err.flush()?;
    drop(err);
    let line = read_line()?;
    let typed = line.trim_end_matches(['\r', '\n']).trim();
    Ok(!typed.is_empty() && accept(typed))
}

/// One line from stdin (a terminal in canonical mode: the line as typed, echoed by the
/// terminal), bounded.
fn read_line() -> anyhow::Result<String> {
    use std::io::{BufRead, Read};
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_ANSWER)
        .read_until(b'\n', &mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Reads a line without echoing it (a code, a passphrase): echo is turned off before the
/// prompt is printed, so nothing typed after the prompt shows, and nothing typed ahead is
/// thrown away. The terminal's settings are restored afterwards. Callers check
/// [`interactive`] first.
#[cfg(unix)]
pub fn read_hidden(prompt: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let echo = hidden::EchoOff::new()?;
    {
        let mut err = std::io::stderr().lock();
        write!(err, "{prompt}: ")?;
        err.flush()?;
    }
    let mut buf = zeroize::Zeroizing::new(Vec::new());
    let read = {
        use std::io::{BufRead, Read};
        std::io::stdin()
            .lock()
            .take(MAX_ANSWER)
            .read_until(b'\n', &mut buf)
    };
    drop(echo);
    // The Enter that ended the line was not echoed either.
    eprintln!();
    read?;
    let text = std::str::from_utf8(&buf).unwrap_or_default();
    Ok(zeroize::Zeroizing::new(
        text.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

#[cfg(unix)]
mod hidden {
    use std::sync::atomic::{AtomicBool, Ordering};

    /// The settings to restore if a signal ends the process while echo is off (Ctrl-C at a
    /// hidden prompt must not leave the operator's shell without echo). Written before
    /// [`ARMED`] is set, read only while it is.
    static mut SAVED: std::mem::MaybeUninit<libc::termios> = std::mem::MaybeUninit::uninit();
    static ARMED: AtomicBool = AtomicBool::new(false);

    /// The signals that end a process at a prompt.
    const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

    extern "C" fn restore_and_die(sig: libc::c_int) {
        // Only async-signal-safe calls: tcsetattr, signal, raise.
        // SAFETY: SAVED was written before ARMED was set; the handler then dies of the signal
        // with its default action, as it would have without this handler.
        unsafe {
            if ARMED.load(Ordering::SeqCst) {
                libc::tcsetattr(
                    libc::STDIN_FILENO,
                    libc::TCSANOW,
                    (&raw const SAVED).cast::<libc::termios>(),
                );
            }
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    /// Echo off on stdin's terminal while this lives (and restored if a signal ends the
    /// process meanwhile).
    pub struct EchoOff {
        saved: libc::termios,
        previous: [libc::sighandler_t; 4],
    }

    impl EchoOff {
        pub fn new() -> std::io::Result<Self> {
            let mut saved = std::mem::MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr fills the struct on success, which is checked before reading it.
            let saved = unsafe {
                if libc::tcgetattr(libc::STDIN_FILENO, saved.as_mut_ptr()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                saved.assume_init()
            };
            // SAFETY: one prompt at a time (the main thread's); the handler reads SAVED only
            // once ARMED is set below.
            unsafe {
                (&raw mut SAVED).cast::<libc::termios>().write(saved);
            }
            ARMED.store(true, Ordering::SeqCst);
            let handler = restore_and_die as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: installs a handler that only makes async-signal-safe calls.
            let previous = SIGNALS.map(|sig| unsafe { libc::signal(sig, handler) });
            let echo_off = EchoOff { saved, previous };
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            // TCSANOW, not TCSAFLUSH: what was typed ahead is kept, only not echoed.
            // SAFETY: a valid termios for stdin's terminal, from tcgetattr above.
            if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(echo_off)
        }
    }

    impl Drop for EchoOff {
        fn drop(&mut self) {
            // SAFETY: restores the settings read in `new`, then the signal handlers it replaced.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
                ARMED.store(false, Ordering::SeqCst);
                for (sig, previous) in SIGNALS.iter().zip(self.previous) {
                    libc::signal(*sig, previous);
                }
            }
        }
    }
}

/// See the Unix version; elsewhere the console's own hidden input.
#[cfg(not(unix))]
pub fn read_hidden(prompt: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
    Ok(zeroize::Zeroizing::new(
        dialoguer::Password::new()
            .with_prompt(prompt)
            .allow_empty_password(true)
            .report(false)
            .interact()?,
    ))
}

/// Prints a failure: `error: ...` and `hint: ...` on stderr; with `--json`, also
/// `{"error": {"kind", "message", "hint"}}` on stdout.
pub fn report_error(e: &anyhow::Error, json: bool) {
    let lib = e.chain().find_map(|c| c.downcast_ref::<mfactl::Error>());
    let kind = lib.map_or("error", |l| l.kind());
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
