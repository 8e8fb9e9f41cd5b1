//! Completions and man pages, generated from the clap definition in `cli.rs` (its tables of
//! examples, environment, exit status and files feed both `--help` and the man pages).

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};
use clap::{ArgAction, Command};
use clap_complete::Shell;
use clap_mangen::roff::{bold, italic, roman, Roff};
use clap_mangen::Man;

use crate::cli::{self, CompletionsArgs, GenerateDocsArgs};
use crate::exit_codes::ExitCode;

pub fn completions(args: CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = completion_command();
    clap_complete::generate(args.shell, &mut cmd, "mfactl", &mut std::io::stdout());
    Ok(ExitCode::Success)
}

/// Writes `man/*.1` and `completions/*` under `out_dir` (the repository root keeps the
/// committed copies; a test fails when they are stale).
pub fn generate(args: GenerateDocsArgs) -> Result<ExitCode> {
    let man_dir = args.out_dir.join("man");
    let comp_dir = args.out_dir.join("completions");
    for d in [&man_dir, &comp_dir] {
        fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    write_man_pages(&man_dir)?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = completion_command();
        let path = clap_complete::generate_to(shell, &mut cmd, "mfactl", &comp_dir)
            .with_context(|| format!("cannot write {shell} completions"))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::Success)
}

/// The command line without its hidden subcommands: clap_complete offers every subcommand,
/// hidden or not, so they are left out of the copy the scripts are generated from.
fn completion_command() -> Command {
    let full = cli::command();
    let mut cmd = Command::new("mfactl");
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd = cmd.version(env!("CARGO_PKG_VERSION"));
    cmd.args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

fn write_man_pages(dir: &Path) -> Result<()> {
    let mut cmd = cli::command().disable_help_subcommand(true);
    cmd.build();
    write_page(&cmd, "", dir)
        .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
    eprintln!("wrote man pages to {}", dir.display());
    Ok(())
}

/// The preamble every roff rendering starts with; kept once per page.
fn without_preamble(text: String) -> String {
    let preamble = Roff::new().render();
    text.strip_prefix(&preamble).map(str::to_owned).unwrap_or(text)
}

/// `mfactl.1` and `mfactl-<sub>.1` for `cmd` and each of its visible subcommands: clap_mangen's
/// sections, with a SYNOPSIS that names values, then EXAMPLES, EXIT STATUS and, on mfactl.1,
/// ENVIRONMENT and FILES.
fn write_page(cmd: &Command, path: &str, dir: &Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_path = if path.is_empty() {
            sub.get_name().to_owned()
        } else {
            format!("{path} {}", sub.get_name())
        };
        write_page(sub, &sub_path, dir)?;
    }
    let man = Man::new(cmd.clone());
    let mut page = Roff::new().render();
    page += &part(|w| man.render_title(w))?;
    page += &part(|w| man.render_name_section(w))?;
    page += &without_preamble(synopsis(cmd).render());
    page += &part(|w| man.render_description_section(w))?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        page += &part(|w| man.render_options_section(w))?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        page += &part(|w| man.render_subcommands_section(w))?;
    }
    let mut extra = Roff::new();
    let examples = cli::examples(path);
    if !examples.is_empty() {
        extra.control("SH", ["EXAMPLES"]);
        for (what, line) in examples {
            extra.control("PP", []);
            extra.text([roman(*what)]);
            extra.control("RS", ["4"]);
            extra.control("nf", []);
            extra.text([bold(*line)]);
            extra.control("fi", []);
            extra.control("RE", []);
        }
    }
    table(&mut extra, "EXIT STATUS", cli::EXIT_STATUS);
    if path.is_empty() {
        table(&mut extra, "ENVIRONMENT", cli::ENVIRONMENT);
        table(&mut extra, "FILES", cli::FILES);
    } else {
        extra.control("SH", ["SEE ALSO"]);
        extra.text([bold("mfactl"), roman("(1)")]);
    }
    page += &without_preamble(extra.render());
    page += &part(|w| man.render_version_section(w))?;
    fs::write(dir.join(man.get_filename()), page)
}

/// One of clap_mangen's sections, without its preamble.
fn part(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> std::io::Result<String> {
    let mut buf = Vec::new();
    render(&mut buf)?;
    Ok(without_preamble(String::from_utf8_lossy(&buf).into_owned()))
}

/// A man section of `.TP` entries.
fn table(roff: &mut Roff, title: &str, rows: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (name, text) in rows {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*text)]);
    }
}

/// SYNOPSIS: the command's own options with their value names (`--count <N>`), then
/// `[GLOBAL OPTIONS]` on a subcommand's page, then the positional arguments.
fn synopsis(cmd: &Command) -> Roff {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut line = vec![bold(name)];
    let top_level = !name.contains(' ');
    let mut has_globals = false;
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
    {
        if arg.is_global_set() && !top_level {
            has_globals = true;
            continue;
        }
        let flag = match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => format!("-{s}|--{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, Some(l)) => format!("--{l}"),
            (None, None) => continue,
        };
        let required = arg.is_required_set();
        line.push(roman(if required { " " } else { " [" }));
        line.push(bold(flag));
        if arg.get_action().takes_values() {
            line.push(roman(" "));
            line.push(italic(format!("<{}>", value_name(arg))));
        }
        line.push(roman(if required { "" } else { "]" }));
        if matches!(arg.get_action(), ArgAction::Append | ArgAction::Count) {
            line.push(roman("..."));
        }
    }
    if has_globals {
        line.push(roman(" [GLOBAL OPTIONS]"));
    }
    for arg in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let (l, r) = if arg.is_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        line.push(roman(" "));
        line.push(italic(format!("{l}{}{r}", value_name(arg))));
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        line.push(roman(" "));
        line.push(italic("<COMMAND>"));
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(line);
    roff
}

fn value_name(arg: &clap::Arg) -> String {
    match arg.get_value_names() {
        Some(names) => names.join(" "),
        None => arg.get_id().as_str().to_uppercase(),
    }
}
