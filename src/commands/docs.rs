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
    crate::out::write(&script(args.shell)?)?;
    Ok(ExitCode::Success)
}

/// clap_complete's script for `shell`, then (bash, zsh, fish) the glue that completes user
/// names through `mfactl __complete-users`.
fn script(shell: Shell) -> Result<Vec<u8>> {
    let mut cmd = completion_command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "mfactl", &mut buf);
    let text = String::from_utf8(buf).context("completion script is not UTF-8")?;
    let users = user_commands(&cmd);
    let text = match shell {
        Shell::Bash => text + &bash_glue(&cmd, &users),
        Shell::Zsh => zsh_glue(text, &users)?,
        Shell::Fish => text + &fish_glue(&cmd, &users),
        _ => text,
    };
    Ok(text.into_bytes())
}

/// The subcommands whose first argument is an existing user's name (not `enroll`, which
/// names a new one).
fn user_commands(cmd: &Command) -> Vec<String> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "enroll")
        .filter(|s| {
            s.get_positionals()
                .next()
                .is_some_and(|a| a.get_id() == "user")
        })
        .map(|s| s.get_name().to_owned())
        .collect()
}

/// Every option that takes a value (`--db`, `-i`, ...), anywhere in the command.
fn value_options(cmd: &Command) -> Vec<String> {
    fn walk(cmd: &Command, out: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            if a.is_positional() || !a.get_action().takes_values() {
                continue;
            }
            let names = a
                .get_long()
                .map(|l| format!("--{l}"))
                .into_iter()
                .chain(a.get_short().map(|s| format!("-{s}")));
            for n in names {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        for s in cmd.get_subcommands() {
            walk(s, out);
        }
    }
    let mut out = Vec::new();
    walk(cmd, &mut out);
    out
}

fn bash_glue(cmd: &Command, users: &[String]) -> String {
    let skip = value_options(cmd)
        .into_iter()
        .filter(|o| o != "--db")
        .collect::<Vec<_>>()
        .join("|");
    let at_user = users
        .iter()
        .map(|u| format!("{u}:0"))
        .collect::<Vec<_>>()
        .join("|");
    format!(
        r#"
# User names from the store (`mfactl __complete-users`), where a command takes one.
_mfactl_users() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} w sub= db=() name
    local -i i npos=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${{COMP_WORDS[i]}}
        case $w in
            --db) db=(--db "${{COMP_WORDS[i+1]}}"); i+=1 ;;
            {skip}) i+=1 ;;
            -*) ;;
            *) if [[ -z $sub ]]; then sub=$w; else npos+=1; fi ;;
        esac
    done
    # The word is an option's value (`--db <TAB>`), or an option.
    ((i > COMP_CWORD)) && return 1
    [[ $cur == -* ]] && return 1
    case "$sub:$npos" in
        {at_user}) ;;
        *) return 1 ;;
    esac
    # Only names here: no file names when none matches.
    compopt +o default +o bashdefault 2>/dev/null
    COMPREPLY=()
    while IFS= read -r name; do
        COMPREPLY+=("$(printf '%q' "$name")")
    done < <("${{COMP_WORDS[0]}}" "${{db[@]}}" __complete-users -- "$cur" 2>/dev/null </dev/null)
    return 0
}}

_mfactl_with_users() {{
    _mfactl_users || _mfactl "$@"
}}

if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _mfactl_with_users -o nosort -o bashdefault -o default mfactl
else
    complete -F _mfactl_with_users -o bashdefault -o default mfactl
fi
"#
    )
}

/// zsh: the `user` argument of the commands in `users` completes through `_mfactl_users`
/// (clap_complete writes `_default` there), defined before the script's last block.
fn zsh_glue(text: String, users: &[String]) -> Result<String> {
    const LAST: &str = "if [ \"$funcstack[1]\" = \"_mfactl\" ]; then";
    let mut out = String::new();
    let mut section = String::new();
    let mut replaced = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('(').and_then(|l| l.strip_suffix(')')) {
            section = name.to_owned();
        }
        let is_user = trimmed.starts_with("':user -- ") || trimmed.starts_with("'::user -- ");
        if is_user && users.contains(&section) && line.contains(":_default' ") {
            out.push_str(&line.replacen(":_default' ", ":_mfactl_users' ", 1));
            replaced += 1;
        } else {
            if line.starts_with(LAST) {
                out.push_str(ZSH_USERS);
            }
            out.push_str(line);
        }
    }
    anyhow::ensure!(
        replaced == users.len() && out.contains("_mfactl_users() {"),
        "clap_complete's zsh script changed shape: user names would not complete"
    );
    Ok(out)
}

const ZSH_USERS: &str = r#"# User names from the store (`mfactl __complete-users`).
(( $+functions[_mfactl_users] )) ||
_mfactl_users() {
    local -a db names
    local -i i
    for ((i = 2; i < ${#words}; i++)); do
        [[ ${words[i]} == --db ]] && db=(--db "${words[i+1]}")
    done
    names=("${(@f)$(${words[1]} "${db[@]}" __complete-users -- "$PREFIX" 2>/dev/null </dev/null)}")
    names=(${names:#})
    compadd -a names
}

"#;

fn fish_glue(cmd: &Command, users: &[String]) -> String {
    let skip = value_options(cmd)
        .into_iter()
        .filter(|o| o != "--db")
        .collect::<Vec<_>>()
        .join(" ");
    let users = users.join(" ");
    format!(
        r#"
# User names from the store (`mfactl __complete-users`), where a command takes one.
function __fish_mfactl_users
    set -l words (commandline -opc)
    set -l db
    set -l sub
    set -l npos 0
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        if test "$w" = --db
            set i (math $i + 1)
            set db --db $words[$i]
        else if contains -- $w {skip}
            set i (math $i + 1)
        else if string match -q -- '-*' $w
        else if test -z "$sub"
            set sub $w
        else
            set npos (math $npos + 1)
        end
        set i (math $i + 1)
    end
    # The token is an option's value (`--db <TAB>`).
    test $i -gt (math (count $words) + 1); and return
    if test $npos -eq 0; and contains -- "$sub" {users}
        $words[1] $db __complete-users -- (commandline -ct) 2>/dev/null </dev/null
    end
end
complete -c mfactl -f -n "__fish_mfactl_using_subcommand {users}" -a "(__fish_mfactl_users)"
"#
    )
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
        use clap_complete::Generator as _;
        let path = comp_dir.join(shell.file_name("mfactl"));
        fs::write(&path, script(shell)?)
            .with_context(|| format!("cannot write {shell} completions"))?;
        errln!("wrote {}", path.display());
    }
    Ok(ExitCode::Success)
}

/// The command line without its hidden subcommands: clap_complete offers every subcommand,
/// hidden or not, so they are left out of the copy the scripts are generated from.
fn completion_command() -> Command {
    let full = cli::plain_command();
    let mut cmd = Command::new("mfactl");
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd = cmd.version(env!("CARGO_PKG_VERSION"));
    cmd.args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

fn write_man_pages(dir: &Path) -> Result<()> {
    let mut cmd = cli::plain_command().disable_help_subcommand(true);
    cmd.build();
    write_page(&cmd, "", dir)
        .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
    errln!("wrote man pages to {}", dir.display());
    Ok(())
}

/// The preamble every roff rendering starts with; kept once per page.
fn without_preamble(text: String) -> String {
    let preamble = Roff::new().render();
    text.strip_prefix(&preamble)
        .map(str::to_owned)
        .unwrap_or(text)
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
        if crate::cli::is_global(arg) && !top_level {
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
