//! Every subcommand's help (`--help`, `-h`, `mfactl help ...`) ends with an Examples section
//! and fits 80 columns; the man pages have real EXAMPLES and EXIT STATUS sections (mfactl.1
//! also ENVIRONMENT and FILES), no `EXTRA` section, and a SYNOPSIS that names values
//! (`--db <PATH|URL>`).

use std::path::Path;
use std::process::Command;

use assert_cmd::Command as BinCommand;

/// mfactl run with `args` in an empty environment (but `NO_COLOR`).
fn run(args: &[&str]) -> std::process::Output {
    BinCommand::cargo_bin("mfactl")
        .unwrap()
        .env_clear()
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

/// The stdout of a successful [`run`].
fn mfactl(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The names under `Commands:` in a help text.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Not the wrapped continuation of a description.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect()
}

/// Every visible command path: `["verify"]`, `["config", "set"]`, ...
fn command_paths() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for sub in subcommands(&mfactl(&["--help"])) {
        let nested = subcommands(&mfactl(&[&sub, "--help"]));
        for n in &nested {
            out.push(vec![sub.clone(), n.clone()]);
        }
        out.push(vec![sub]);
    }
    assert!(out.len() > 15, "{out:?}");
    out
}

#[test]
fn every_help_ends_with_examples_and_fits_80_columns() {
    for path in command_paths() {
        // Asked for in each of clap's three ways (the help subcommand too): mfactl parses a
        // command line without the Examples first, and again with them only for help.
        let path_args: Vec<&str> = path.iter().map(String::as_str).collect();
        let ways = [
            [path_args.as_slice(), &["--help"]].concat(),
            [path_args.as_slice(), &["-h"]].concat(),
            [&["help"], path_args.as_slice()].concat(),
        ];
        for args in ways {
            let help = mfactl(&args);
            for line in help.lines() {
                assert!(line.chars().count() <= 80, "{args:?}: {line:?}");
            }
            let (_, examples) = help
                .rsplit_once("\nExamples:\n")
                .unwrap_or_else(|| panic!("{args:?} has no Examples section:\n{help}"));
            // Nothing after the examples but (comment, command) pairs.
            let lines: Vec<&str> = examples.lines().filter(|l| !l.is_empty()).collect();
            assert!(
                !lines.is_empty() && lines.len().is_multiple_of(2),
                "{args:?}: {examples}"
            );
            for pair in lines.chunks(2) {
                assert!(pair[0].starts_with("  # "), "{args:?}: {pair:?}");
                assert!(
                    pair[1].contains(&format!("mfactl {}", path.join(" "))),
                    "{args:?}: an example of another command: {pair:?}"
                );
            }
        }
    }
}

/// `mfactl` and `mfactl config` alone, in an empty environment: clap shows the help instead of
/// an error (on stderr, exit status 2), and it ends with the Examples like `--help`'s.
#[test]
fn a_missing_subcommand_shows_the_help_with_its_examples() {
    for args in [&[][..], &["config"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let help = String::from_utf8(out.stderr).unwrap();
        let long = mfactl(&[args, &["--help"]].concat());
        let (_, examples) = long.rsplit_once("\nExamples:\n").unwrap();
        assert!(
            help.contains(&format!("\nExamples:\n{examples}")),
            "{args:?}:\n{help}"
        );
    }
}

fn man_page(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(name)).unwrap()
}

#[test]
fn man_pages_have_real_sections_and_a_synopsis_with_values() {
    let main = man_page("mfactl.1");
    for section in [
        ".SH EXAMPLES",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(
            main.contains(&format!("\n{section}\n")),
            "mfactl.1 lacks {section}"
        );
    }
    let synopsis = main
        .split("\n.SH SYNOPSIS\n")
        .nth(1)
        .and_then(|s| s.lines().next())
        .unwrap();
    assert!(
        synopsis.contains(r"\fB\-\-db\fR \fI<PATH|URL>\fR"),
        "{synopsis}"
    );
    for path in command_paths() {
        let page = man_page(&format!("mfactl-{}.1", path.join("-")));
        assert!(!page.contains(".SH EXTRA"), "{path:?}");
        assert!(page.contains("\n.SH EXAMPLES\n"), "{path:?} lacks EXAMPLES");
        assert!(page.contains("\n.SH \"EXIT STATUS\"\n"), "{path:?}");
    }
    let page = man_page("mfactl-recovery-codes.1");
    assert!(page.contains(r"\fB\-\-count\fR \fI<N>\fR"), "{page}");
}

#[test]
fn man_renders_the_sections_within_80_columns() {
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("skipped: man is not installed");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for page in ["mfactl.1", "mfactl-verify.1", "mfactl-config-set.1"] {
        let out = Command::new("man")
            .arg("-l")
            .arg(dir.join(page))
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "")
            .env("PAGER", "cat")
            .env("LANG", "C.UTF-8")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{page}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for heading in ["SYNOPSIS", "EXAMPLES", "EXIT STATUS"] {
            assert!(
                text.lines().any(|l| l == heading),
                "{page} lacks {heading}:\n{text}"
            );
        }
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{page}: {line:?}");
        }
    }
}
