//! Completions and man pages, generated from the clap definition in `cli.rs`.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs, GenerateDocsArgs};
use crate::exit_codes::ExitCode;

pub fn completions(args: CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    // Into a buffer first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "mfactl", &mut script);
    crate::out::write(&script)?;
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
    let cmd = Cli::command();
    write_man_pages(&cmd, &man_dir)?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = Cli::command();
        let path = clap_complete::generate_to(shell, &mut cmd, "mfactl", &comp_dir)
            .with_context(|| format!("cannot write {shell} completions"))?;
        errln!("wrote {}", path.display());
    }
    Ok(ExitCode::Success)
}

fn write_man_pages(cmd: &clap::Command, dir: &Path) -> Result<()> {
    // `generate_to` writes mfactl.1 and mfactl-<sub>.1 for every visible subcommand.
    clap_mangen::generate_to(cmd.clone(), dir)
        .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
    errln!("wrote man pages to {}", dir.display());
    Ok(())
}
