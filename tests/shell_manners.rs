//! Shell manners: `--json` errors as one JSON document on stdout with the human line on
//! stderr and the same exit code; colour only on a terminal and never with NO_COLOR; no prompt
//! (and no hang) without a terminal; --version; a bare `mfactl` prints help.

mod common;

use std::io::Read;
use std::process::{Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use serde_json::Value;

struct Failure {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut assert_cmd::Command) -> Failure {
    let out = cmd.timeout(Duration::from_secs(60)).output().unwrap();
    Failure {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs `args` with and without `--json` and checks the error contract for `kind`.
fn assert_json_error(env: &TestEnv, args: &[&str], stdin: &str, kind: &str, hint: bool) {
    let plain = run(env.cmd().args(args).write_stdin(stdin));
    let json = run(env.cmd().arg("--json").args(args).write_stdin(stdin));
    assert_eq!(plain.code, 2, "{args:?}: {}", plain.stderr);
    assert_eq!(
        json.code, plain.code,
        "{args:?}: --json changed the exit code"
    );
    assert!(plain.stdout.is_empty(), "{args:?}: {}", plain.stdout);

    let doc: Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON document ({e}): {}",
            json.stdout
        )
    });
    let err = doc["error"].as_object().expect("an error object");
    let mut keys: Vec<&str> = err.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["hint", "kind", "message"], "{args:?}");
    assert_eq!(err["kind"], kind, "{args:?}: {}", json.stdout);
    let message = err["message"].as_str().unwrap();
    assert!(!message.is_empty());
    if hint {
        assert!(
            err["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{args:?}: no hint"
        );
    }
    // The human line is on stderr in both modes, the same.
    let first = json.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error:"), "{args:?}: {}", json.stderr);
    assert_eq!(
        plain.stderr.lines().next(),
        Some(first),
        "{args:?}: stderr differs with --json"
    );
    if kind != "usage" {
        assert_eq!(first, format!("error: {message}"));
    }
}

#[test]
fn json_errors_carry_kind_message_and_hint() {
    let missing = TestEnv::new();
    assert_json_error(&missing, &["list"], "", "store_missing", true);
    let doc: Value =
        serde_json::from_str(&run(missing.cmd().args(["--json", "list"])).stdout).unwrap();
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&missing.location()));

    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    assert_json_error(&env, &["unlock", "nobody"], "", "unknown_user", true);
    assert_json_error(
        &env,
        &["verify", "nobody"],
        "123456\n",
        "unknown_user",
        true,
    );
    assert_json_error(&env, &["enroll", "bad:name"], "", "invalid_input", false);
    assert_json_error(
        &env,
        &["enroll", "alice", "--digits", "9"],
        "",
        "invalid_input",
        false,
    );
    assert_json_error(&env, &["enroll", "alice"], "", "already_enrolled", true);
    assert_json_error(
        &env,
        &["disable", "alice"],
        "",
        "confirmation_required",
        true,
    );
    // clap usage errors: unknown flag, missing argument, unknown subcommand.
    assert_json_error(&env, &["list", "--bogus"], "", "usage", true);
    assert_json_error(&env, &["enroll"], "", "usage", true);
    assert_json_error(&env, &["frobnicate"], "", "usage", true);
}

/// Runs mfactl under a pseudo-terminal (stdin, stdout and stderr all on it); returns
/// everything the terminal showed and the exit code.
fn under_pty(env: &TestEnv, args: &[&str], no_color: bool) -> (String, i32) {
    let line = common::shell_line(&assert_cmd::cargo::cargo_bin("mfactl"), args);
    let mut cmd = StdCommand::new(script_path());
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("MFACTL_DB", &env.store)
        .env("MFACTL_IDENTITY", &env.identity)
        .env("MFACTL_ACTOR", "test-operator")
        .env("TERM", "xterm")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    let wrong = wrong_code(&secret);
    // stderr (an error) and stdout (a verdict) both.
    for args in [&["unlock", "nobody"][..], &["verify", "alice", &wrong]] {
        let (coloured, code) = under_pty(&env, args, false);
        assert!(
            coloured.contains("\x1b["),
            "{args:?}: no ANSI escapes on a terminal: {coloured:?}"
        );
        let (plain, code2) = under_pty(&env, args, true);
        assert!(
            !plain.contains('\x1b'),
            "{args:?}: escapes despite NO_COLOR: {plain:?}"
        );
        assert_eq!(code, code2);
        assert!(
            plain.contains("error:") || plain.contains("rejected"),
            "{plain:?}"
        );
    }
    // Not a terminal: no colour even without NO_COLOR.
    let out = env
        .cmd()
        .env_remove("NO_COLOR")
        .args(["verify", "alice", &wrong])
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b));
}

#[test]
fn disable_without_yes_and_without_a_terminal_refuses_without_hanging() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let before = env.snapshot();

    // stdin is a pipe held open with nothing in it: a prompt would wait forever.
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("mfactl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("MFACTL_DB", &env.store)
        .env("MFACTL_IDENTITY", &env.identity)
        .env("MFACTL_ACTOR", "test-operator")
        .env("NO_COLOR", "1")
        .args(["disable", "alice"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let mut err = String::new();
        stdout.read_to_string(&mut out).unwrap();
        stderr.read_to_string(&mut err).unwrap();
        let status = child.wait().unwrap();
        let _ = tx.send((status, out, err));
    });
    let (status, out, err) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("disable hung waiting for an answer");
    drop(stdin);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(env.snapshot(), before);

    // With --yes it goes through.
    env.cmd()
        .args(["disable", "alice", "--yes"])
        .assert()
        .success();
    assert_ne!(env.snapshot(), before);
}

#[test]
fn version_is_printed() {
    let env = TestEnv::new();
    let want = format!("mfactl {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["--version"][..], &["-V"]] {
        let out = env.cmd().args(args).assert().success();
        assert_eq!(
            String::from_utf8_lossy(&out.get_output().stdout),
            want,
            "{args:?}"
        );
    }
    // Subcommands know it too (clap names them mfactl-SUB).
    let out = env.cmd().args(["list", "--version"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.starts_with("mfactl") && text.ends_with(&format!(" {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(!env.store_exists());
}

#[test]
fn bare_mfactl_prints_short_help() {
    let env = TestEnv::new();
    // With the MFACTL_* variables set (as TestEnv does, and as users' profiles do), and with
    // none at all.
    let mut bare = assert_cmd::Command::cargo_bin("mfactl").unwrap();
    bare.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("NO_COLOR", "1");
    let mut with_env = env.cmd();
    for cmd in [&mut with_env, &mut bare] {
        let out = run(cmd);
        assert_eq!(out.code, 2);
        assert!(out.stdout.is_empty());
        let help = out.stderr;
        assert!(help.contains("Usage: mfactl"), "{help}");
        assert!(help.contains("Commands:"), "{help}");
        for sub in ["enroll", "verify", "disable", "list", "rekey", "export"] {
            assert!(help.contains(&format!("  {sub} ")), "{sub} missing: {help}");
        }
        assert!(
            !help.contains("generate-docs"),
            "hidden command shown: {help}"
        );
        assert!(
            !help.lines().any(|l| l.starts_with("error:")),
            "an error instead of help: {help}"
        );
        // Short: one line per command, not the long --help text.
        let long = run(env.cmd().arg("--help")).stdout;
        assert!(help.lines().count() <= long.lines().count());
        assert!(help.lines().count() < 60, "{help}");
    }
    // No store was created by asking for help.
    assert!(!env.store_exists());
}

#[test]
fn color_flag_overrides_terminal_detection_and_no_color() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    let wrong = wrong_code(&secret);
    // Piped, with NO_COLOR set: --color always still colours stdout and stderr.
    for args in [&["unlock", "nobody"][..], &["verify", "alice", &wrong]] {
        let out = env.cmd().arg("--color=always").args(args).output().unwrap();
        assert!(
            out.stdout.contains(&0x1b) || out.stderr.contains(&0x1b),
            "{args:?}: no escapes with --color always"
        );
    }
    // On a terminal, without NO_COLOR: --color never prints no escape.
    for args in [
        &["--color", "never", "unlock", "nobody"][..],
        &["verify", "--color=never", "alice", &wrong],
    ] {
        let (plain, _) = under_pty(&env, args, false);
        assert!(
            !plain.contains('\x1b'),
            "{args:?}: escapes despite --color never: {plain:?}"
        );
        assert!(
            plain.contains("error:") || plain.contains("rejected"),
            "{plain:?}"
        );
    }
    // Not a value clap knows: a usage error.
    env.cmd()
        .args(["--color", "sometimes", "list"])
        .assert()
        .code(2);
}
