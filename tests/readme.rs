//! The README's quick start and operator walkthrough, run in order as written: every fenced
//! block after a `<!-- readme-test -->` marker, line by line through `sh -c`, in a fresh HOME
//! with the built `mfactl` first on PATH, no terminal and no MFACTL_* variable. `cargo run
//! --release -- ARGS` runs the built binary (a `cargo` shim; `cargo test` is this suite and is
//! skipped). A reader types the code from their authenticator app at `verify`'s prompt; here
//! that line gets the current code on stdin (computed by the tests' own RFC 6238 code from the
//! secret its `enroll` printed). The outcome is read from the SQLite file directly.
//!
//! Also: the GitHub Actions example never puts an expression (`${{ ... }}`) into `run:`.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The lines of the marked blocks, in order.
fn marked_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut armed = false;
    let mut inside = false;
    for line in text.lines() {
        if inside {
            if line.trim_start().starts_with("```") {
                inside = false;
            } else if !line.trim().is_empty() {
                lines.push(line.to_owned());
            }
        } else if line.starts_with("<!-- readme-test") {
            armed = true;
        } else if armed && line.starts_with("```") {
            assert_eq!(line, "```sh", "a marked block must be a sh block");
            inside = true;
            armed = false;
        }
    }
    assert!(!inside, "unterminated block");
    lines
}

const CARGO_SHIM: &str = r#"#!/bin/sh
# The README's `cargo run --release -- ARGS` is the built mfactl; `cargo test` is this suite.
case "$1" in
    run) while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done; shift; exec mfactl "$@" ;;
    test) exit 0 ;;
    *) echo "the README test does not know: cargo $*" >&2; exit 99 ;;
esac
"#;

#[test]
fn quick_start_and_walkthrough_run_in_order_as_written() {
    let lines = marked_lines(&readme());
    assert!(
        lines.iter().any(|l| l.starts_with("cargo run"))
            && lines.iter().any(|l| l.starts_with("mfactl ")),
        "the quick start and the walkthrough are not both marked: {lines:?}"
    );
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mfactl"), bin.join("mfactl")).unwrap();
    let shim = bin.join("cargo");
    std::fs::write(&shim, CARGO_SHIM).unwrap();
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());

    // user -> base32 secret, from the otpauth URI each enroll printed.
    let mut secrets: HashMap<String, String> = HashMap::new();
    for line in &lines {
        let verify_user = line
            .split_whitespace()
            .skip_while(|w| *w != "verify")
            .nth(1)
            .map(str::to_owned);
        let stdin = match &verify_user {
            Some(user) => {
                let secret = secrets
                    .get(user)
                    .unwrap_or_else(|| panic!("`{line}` verifies {user}, never enrolled"));
                let file = home.path().join("code");
                std::fs::write(&file, format!("{}\n", totp_now(secret, "SHA1", 6, 30))).unwrap();
                Stdio::from(std::fs::File::open(&file).unwrap())
            }
            None => Stdio::null(),
        };
        let out = Command::new("sh")
            .args(["-c", line])
            .env_clear()
            .env("PATH", &path)
            .env("HOME", home.path())
            .env("USER", "operator")
            .current_dir(home.path())
            .stdin(stdin)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "`{line}` failed ({:?}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(!stderr.contains("error:"), "`{line}`: {stderr}");
        if let Some(uri) = stdout
            .split_whitespace()
            .find(|w| w.starts_with("otpauth://"))
        {
            let secret = uri
                .split(['?', '&'])
                .find_map(|p| p.strip_prefix("secret="))
                .expect("secret in the URI");
            let user = line
                .split_whitespace()
                .skip_while(|w| *w != "enroll")
                .nth(1)
                .expect("enroll names a user");
            secrets.insert(user.to_owned(), secret.to_owned());
        }
    }

    // Where the quick start says, and in the state the walkthrough leaves.
    let db = home.path().join(".local/share/mfactl/mfactl.db");
    assert!(home.path().join(".config/mfactl/identity.txt").exists());
    let store = Store::File(db);
    let users =
        store.query_strings("SELECT user || ' ' || status FROM %USER_TOKENS% ORDER BY user");
    assert_eq!(
        users,
        ["alice@example.com disabled", "bob@example.com enabled"]
    );
    let issuer = store.query_strings("SELECT value FROM setting WHERE key = 'issuer'");
    assert_eq!(issuer, ["Acme Corp"]);
}

#[test]
fn github_actions_example_passes_expressions_through_env() {
    let text = readme();
    let mut in_yaml = false;
    let mut seen_run = false;
    for line in text.lines() {
        if line.starts_with("```yaml") {
            in_yaml = true;
        } else if in_yaml && line.starts_with("```") {
            in_yaml = false;
        } else if in_yaml && line.trim_start().starts_with("run:") {
            seen_run = true;
            assert!(!line.contains("${{"), "an expression inside run: {line}");
        }
    }
    assert!(seen_run, "no GitHub Actions example with run: found");
}
