//! Shell completion: the committed scripts complete subcommands (never the hidden ones),
//! `log --event` and `config set` values, and user names from the store through the hidden
//! `mfactl __complete-users`, which prints nothing on stderr, never prompts and exits 0 when
//! there is nothing to complete. Bash is driven through its completion function with
//! COMP_WORDS/COMP_CWORD; fish and zsh when installed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use common::*;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(name)
}

fn has(shell: &str) -> bool {
    StdCommand::new(shell)
        .args(["-c", "exit 0"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A shell with `mfactl` (the built binary) first on PATH and the test's store in MFACTL_DB;
/// returns stdout and stderr.
fn shell(env: &TestEnv, shell: &str, code: &str) -> (String, String) {
    let bin_dir = assert_cmd::cargo::cargo_bin("mfactl")
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = StdCommand::new(shell)
        .args(["-c", code])
        .env_clear()
        .env("PATH", path)
        .env("HOME", env.dir.path())
        .env("XDG_DATA_HOME", env.dir.path().join("xdg-data"))
        .env("XDG_CONFIG_HOME", env.dir.path().join("xdg-config"))
        .env("MFACTL_DB", &env.store)
        .env("MFACTL_IDENTITY", &env.identity)
        .current_dir(env.dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// What bash's completion offers for the words (the last one is being completed).
fn bash_complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect();
    let code = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\n\
         $(complete -p mfactl | sed -E 's/.*-F ([^ ]+).*/\\1/') mfactl \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script("mfactl.bash").display(),
        quoted.join(" "),
        words.len() - 1
    );
    let (out, err) = shell(env, "bash", &code);
    assert_eq!(err, "", "bash completion wrote to stderr for {words:?}");
    out.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn store_with_users() -> TestEnv {
    let env = TestEnv::initialised();
    for u in ["alice", "albert", "bob smith"] {
        env.cmd().args(["enroll", "--no-qr", u]).assert().success();
    }
    env
}

#[test]
fn complete_users_prints_matching_names_only() {
    let env = store_with_users();
    let out = env.cmd().args(["__complete-users", "al"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stderr, b"");
    let mut names: Vec<_> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    names.sort();
    assert_eq!(names, ["albert", "alice"]);
}

#[test]
fn complete_users_is_silent_and_succeeds_without_a_store() {
    let env = TestEnv::new_sqlite();
    for db in [
        env.dir.path().join("missing.db").display().to_string(),
        "/nonexistent/dir/mfactl.db".to_owned(),
        // A file that is not a store.
        env.dir.path().display().to_string(),
        // Nothing listens there (port 1 on the loopback refuses at once).
        "postgresql://nobody@127.0.0.1:1/mfactl".to_owned(),
    ] {
        let out = env
            .cmd()
            .env("MFACTL_DB", &db)
            // Neither the actor check nor an identity is involved.
            .env("MFACTL_ACTOR", "")
            .env("MFACTL_IDENTITY", "/nonexistent/identity.txt")
            .args(["__complete-users", ""])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{db}");
        assert_eq!(out.stdout, b"", "{db}");
        assert_eq!(out.stderr, b"", "{db}");
    }
    assert!(
        !env.dir.path().join("missing.db").exists(),
        "completing created a store"
    );
}

#[test]
fn hidden_subcommands_are_not_completed() {
    for name in [
        "mfactl.bash",
        "_mfactl",
        "mfactl.fish",
        "mfactl.elv",
        "_mfactl.ps1",
    ] {
        let text = std::fs::read_to_string(script(name)).unwrap();
        assert!(
            !text.contains("generate-docs"),
            "{name} offers generate-docs"
        );
        assert!(
            !text.contains("'__complete-users'") && !text.contains("\"__complete-users\""),
            "{name} offers __complete-users"
        );
    }
}

#[test]
fn bash_completes_user_names_from_the_store() {
    let env = store_with_users();
    assert_eq!(
        bash_complete(&env, &["mfactl", "verify", "al"]),
        ["albert", "alice"]
    );
    assert_eq!(
        bash_complete(&env, &["mfactl", "unlock", "bo"]),
        [r"bob\ smith"]
    );
    // Also after global options, and with the store named by --db.
    let other = TestEnv::new_sqlite();
    let got = bash_complete(
        &other,
        &["mfactl", "--json", "--db", &env.store, "disable", "a"],
    );
    assert_eq!(got, ["albert", "alice"]);
    // Not where a command takes no user, nor as a second argument, nor as an option's value.
    let subs = bash_complete(&env, &["mfactl", "al"]);
    assert!(!subs.iter().any(|s| s == "alice"), "{subs:?}");
    let second = bash_complete(&env, &["mfactl", "verify", "alice", "a"]);
    assert!(!second.iter().any(|s| s == "albert"), "{second:?}");
    let value = bash_complete(&env, &["mfactl", "log", "--since", "a"]);
    assert!(!value.iter().any(|s| s == "alice"), "{value:?}");
}

#[test]
fn bash_completes_event_names_and_setting_keys() {
    let env = TestEnv::new_sqlite();
    let events = bash_complete(&env, &["mfactl", "log", "--event", "verify-"]);
    assert_eq!(events, ["verify-accepted", "verify-rejected"]);
    let all = bash_complete(&env, &["mfactl", "log", "--event", ""]);
    for e in [
        "enroll",
        "disable",
        "copy-store",
        "config-set",
        "re-enroll",
        "resync",
    ] {
        assert!(all.iter().any(|a| a == e), "{e} missing from {all:?}");
    }
    let keys = bash_complete(&env, &["mfactl", "config", "set", "m"]);
    assert_eq!(keys, ["max-failures", "max-tokens", "max-drift"]);
    let keys = bash_complete(&env, &["mfactl", "config", "get", ""]);
    for k in [
        "issuer",
        "skew",
        "max-failures",
        "algorithm",
        "digits",
        "period",
        "pending-ttl",
        "max-tokens",
        "max-drift",
    ] {
        assert!(keys.iter().any(|a| a == k), "{k} missing from {keys:?}");
    }
}

#[test]
fn bash_completion_without_a_store_is_silent() {
    let env = TestEnv::new_sqlite();
    // bash_complete asserts that nothing reaches stderr.
    assert!(bash_complete(&env, &["mfactl", "verify", ""]).is_empty());
}

#[test]
fn fish_completes_user_names_from_the_store() {
    if !has("fish") {
        eprintln!("skipped: fish is not installed");
        return;
    }
    let env = store_with_users();
    let (out, err) = shell(
        &env,
        "fish",
        &format!(
            "source '{}'; complete -C 'mfactl verify al'",
            script("mfactl.fish").display()
        ),
    );
    assert_eq!(err, "");
    let mut got: Vec<_> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    got.sort();
    assert_eq!(got, ["albert", "alice"]);
}

#[test]
fn zsh_user_completer_offers_the_store_names() {
    if !has("zsh") {
        eprintln!("skipped: zsh is not installed");
        return;
    }
    let text = std::fs::read_to_string(script("_mfactl")).unwrap();
    assert!(
        text.contains("':user -- The user'\\''s name:_mfactl_users'"),
        "zsh does not complete user names through _mfactl_users"
    );
    let env = store_with_users();
    // The script's helper, with compadd replaced by a printer: zsh's completion widgets need
    // a line editor, which `zsh -c` has not.
    let code = format!(
        "compdef() {{ : }}\nsource '{}'\ncompadd() {{ shift; print -l -- ${{(P)1}} }}\n\
         words=(mfactl verify al); PREFIX=al; _mfactl_users",
        script("_mfactl").display()
    );
    let (out, err) = shell(&env, "zsh", &code);
    assert_eq!(err, "");
    let mut got: Vec<_> = out.lines().collect();
    got.sort();
    assert_eq!(got, ["albert", "alice"]);
}
