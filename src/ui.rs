//! Terminal manners: when to prompt, when to colour, how errors look.

use std::io::{IsTerminal, Write};

use crate::cli::ColorWhen;
use crate::exit_codes::ExitCode;

/// Prompts only when a person is there: stdin and stdout both terminals.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// `--color`: `auto` colours only on a terminal, never with `NO_COLOR` set
/// (https://no-color.org); `always` and `never` override both.
pub fn init_colours(when: ColorWhen) {
    let (out, err) = match when {
        ColorWhen::Always => (true, true),
        ColorWhen::Never => (false, false),
        ColorWhen::Auto => {
            let off = no_color();
            (
                !off && std::io::stdout().is_terminal(),
                !off && std::io::stderr().is_terminal(),
            )
        }
    };
    console::set_colors_enabled(out);
    console::set_colors_enabled_stderr(err);
}

/// `--color` as given on the command line, read before clap parses it so that clap's own
/// help and errors follow it too (`auto` when absent or not understood: clap reports that).
pub fn colour_choice_from_args() -> clap::ColorChoice {
    let mut args = std::env::args_os().skip(1);
    let mut value = None;
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--color" {
            value = args.next();
        } else if let Some(v) = arg.to_str().and_then(|a| a.strip_prefix("--color=")) {
            value = Some(v.into());
        }
    }
    match value.as_ref().and_then(|v| v.to_str()) {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ if no_color() => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// `1 user`, `2 users`: a count with its noun, singular for one (`many` for the rest).
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How long `secs` is, roughly, for a sentence: `less than a minute`, `about 14 minutes`,
/// `about 2 hours`, `about 3 days` (to the nearest unit).
pub fn roughly(secs: i64) -> String {
    let secs = u64::try_from(secs).unwrap_or(0);
    let nearest = |unit: u64| (secs + unit / 2) / unit;
    match secs {
        0..=59 => "less than a minute".to_owned(),
        60..=3_569 => format!("about {}", count(nearest(60).max(1), "minute", "minutes")),
        3_570..=172_799 => format!("about {}", count(nearest(3_600).max(1), "hour", "hours")),
        _ => format!("about {}", count(nearest(86_400), "day", "days")),
    }
}

/// How long `secs` is, for a table cell: `14m`, `2h`, `3d`, rounded up (never shorter than
/// it is; `1m` at least).
pub fn short_wait(secs: i64) -> String {
    let secs = u64::try_from(secs).unwrap_or(0);
    let up = |unit: u64| secs.div_ceil(unit).max(1);
    match secs {
        0..=3_599 => format!("{}m", up(60)),
        3_600..=172_799 => format!("{}h", up(3_600)),
        _ => format!("{}d", up(86_400)),
    }
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
    errln!(
        "{} {message}",
        console::style("warning:").for_stderr().yellow().bold()
    );
}

/// An informational line on stderr (keeps stdout for the command's output).
pub fn info(message: &str) {
    errln!("{}", mfactl::names::escape_invisible(message));
}

/// Asks a yes/no question on the terminal; callers check [`interactive`] first.
pub fn confirm(prompt: &str) -> anyhow::Result<bool> {
    Ok(dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()?)
}

/// A better hint than the library error's, for one command's situation: attached with
/// `anyhow::Error::context`, it replaces the hint and adds nothing to the message.
#[derive(Debug)]
pub struct Hint(pub String);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Hint {}

/// Quotes a word (a user name, an issuer) for a copy-pasteable command line when it needs it. A name with invisible
/// characters (only a store older than the rule against them holds one) is written as a
/// `$'...'` string with `\u` escapes, which bash, zsh and ksh read, and a terminal shows as text.
pub fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"@._+-".contains(&b))
    {
        s.to_owned()
    } else if s.chars().any(mfactl::names::is_invisible) {
        let mut out = String::from("$'");
        for c in s.chars() {
            match c {
                '\\' | '\'' => {
                    out.push('\\');
                    out.push(c);
                }
                c if mfactl::names::is_invisible(c) => {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
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
    errln!();
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
    // Everything mfactl expects to fail is a library error; what is left is the output or
    // input failing under us (io), or a bug (internal). Never anything undocumented.
    let kind = match lib {
        Some(l) => l.kind(),
        None if e.chain().any(|c| c.is::<std::io::Error>()) => "io",
        None => "internal",
    };
    // A context's value is reached by downcasting the error itself, not its chain.
    let hint = e
        .downcast_ref::<Hint>()
        .map(|h| h.0.clone())
        .or_else(|| lib.and_then(|l| l.hint()));
    // `{:#}` joins the context chain on one line; `{:?}` would print a backtrace.
    // Redacted here, where every error passes, whatever input it echoes.
    let message = mfactl::redact::message(&chain_text(e)).into_owned();
    print_error(kind, &message, hint.as_deref(), json);
}

/// The error and its causes on one line, as `{:#}` joins them, but without a cause whose text
/// the line already holds (an error that prints its source would otherwise say it twice).
fn chain_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    let hint = e.downcast_ref::<Hint>().map(|h| h.0.as_str());
    for cause in e.chain() {
        let part = cause.to_string();
        if Some(part.as_str()) == hint {
            continue;
        }
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
        // A closed stdout loses the document; the exit status still says what happened.
        let _ = crate::out::write(format!("{doc}\n").as_bytes());
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
            let help = crate::cli::command().render_help();
            let _ = write!(std::io::stderr(), "{help}");
            ExitCode::Error
        }
        _ => {
            let e = misplaced_option(e);
            // clap echoes the offending argument, which may be a private key.
            let rendered = e.render().to_string();
            if mfactl::redact::contains_private_key(&rendered) {
                let _ = write!(std::io::stderr(), "{}", mfactl::redact::message(&rendered));
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
                let _ = crate::out::write(format!("{doc}\n").as_bytes());
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

/// An unknown option that belongs to another subcommand (`verify --reason`): clap would
/// suggest its own `--version` or `--help` by spelling alone, with a usage line that holds
/// the suggestion (`mfactl verify --version <USER>`). Such an error names the subcommands that
/// have the option instead, and shows the subcommand's own usage line. Other errors (an option
/// no subcommand has, `--versio`), and suggestions of the subcommand's real options (`--recovry` for `--recovery`), stay clap's.
fn misplaced_option(e: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return e;
    }
    let Some(ContextValue::String(invalid)) = e.get(ContextKind::InvalidArg) else {
        return e;
    };
    let Some(long) = invalid.strip_prefix("--") else {
        return e;
    };
    let long = long.split('=').next().unwrap_or(long);
    let builtin = matches!(
        e.get(ContextKind::SuggestedArg),
        Some(ContextValue::String(s)) if s == "--version" || s == "--help"
    );
    if e.get(ContextKind::SuggestedArg).is_some() && !builtin {
        return e;
    }
    let root = crate::cli::command();
    let mut owners = Vec::new();
    commands_with_option(&root, long, &mut owners);
    if owners.is_empty() {
        return e;
    }
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut cmd = current_subcommand(&root, &args).clone();
    let mut fixed = clap::Error::new(ErrorKind::UnknownArgument).with_cmd(&cmd);
    fixed.insert(
        ContextKind::InvalidArg,
        ContextValue::String(invalid.clone()),
    );
    let names = owners
        .iter()
        .map(|o| format!("'{o}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let tip = format!("'--{long}' is an option of {names}");
    fixed.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![tip.into()]),
    );
    fixed.insert(
        ContextKind::Usage,
        ContextValue::StyledStr(cmd.render_usage()),
    );
    fixed
}

/// The names (`mfactl disable`) of the subcommands with a long option `--long` of their own.
fn commands_with_option(cmd: &clap::Command, long: &str, out: &mut Vec<String>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub
            .get_arguments()
            .any(|a| !crate::cli::is_global(a) && !a.is_hide_set() && a.get_long() == Some(long))
        {
            out.push(sub.get_bin_name().unwrap_or(sub.get_name()).to_owned());
        }
        commands_with_option(sub, long, out);
    }
}

/// The subcommand the arguments name (skipping options and their values), as far as they go.
fn current_subcommand<'c>(root: &'c clap::Command, args: &[String]) -> &'c clap::Command {
    let mut cmd = root;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let takes_value = !long.contains('=')
                && cmd
                    .get_arguments()
                    .any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
            if takes_value {
                i += 1;
            }
        } else if let Some(short) = arg.strip_prefix('-').filter(|s| s.chars().count() == 1) {
            let takes_value = cmd.get_arguments().any(|a| {
                a.get_short().map(String::from).as_deref() == Some(short)
                    && a.get_action().takes_values()
            });
            if takes_value {
                i += 1;
            }
        } else if let Some(sub) = cmd.find_subcommand(arg) {
            cmd = sub;
        }
    }
    cmd
}

#[cfg(test)]
mod wait_tests {
    use super::{roughly, short_wait};

    #[test]
    fn waits_read_as_a_person_would_say_them() {
        assert_eq!(roughly(-5), "less than a minute");
        assert_eq!(roughly(59), "less than a minute");
        assert_eq!(roughly(60), "about 1 minute");
        assert_eq!(roughly(14 * 60 + 20), "about 14 minutes");
        assert_eq!(roughly(3_569), "about 59 minutes");
        assert_eq!(roughly(3_570), "about 1 hour");
        assert_eq!(roughly(2 * 3_600 + 100), "about 2 hours");
        assert_eq!(roughly(3 * 86_400), "about 3 days");
        assert_eq!(short_wait(1), "1m");
        assert_eq!(short_wait(14 * 60 + 1), "15m");
        assert_eq!(short_wait(3_600), "1h");
        assert_eq!(short_wait(86_400), "24h");
        assert_eq!(short_wait(2 * 86_400 + 1), "3d");
    }
}
