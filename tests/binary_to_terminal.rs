//! Issue 14: binary age output never goes to a terminal. `enroll USER --seal-to KEY --out -` and
//! `export --to KEY` (no `-o`, no `--armor`) run on a real pseudo-terminal (`script` from
//! util-linux) refuse with exit 2 and one clear line, and leave the store exactly as it was
//! (read directly: nobody enrolled, nothing audited). The control: with `--armor`, the same
//! commands write an ASCII-armored age file to the terminal, which the age crate decrypts.

mod common;

use std::process::{Command as StdCommand, Stdio};

use common::*;

/// Runs mfactl with stdout and stderr on a pseudo-terminal (stdin: nothing); returns what the
/// terminal showed (without its carriage returns) and the exit code.
fn on_terminal(env: &TestEnv, args: &[&str]) -> (String, i32) {
    let line = shell_line(&assert_cmd::cargo::cargo_bin("mfactl"), args);
    let out = StdCommand::new(script_path())
        .env_clear()
        .envs(env.env_vars())
        .env("TERM", "xterm")
        .current_dir(env.dir.path())
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap().replace('\r', ""),
        out.status.code().unwrap_or(-1),
    )
}

/// The one ASCII-armored age file in `text`, decrypted with `key`.
fn armored_on(text: &str, key: &age::x25519::Identity) -> Vec<u8> {
    const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
    const END: &str = "-----END AGE ENCRYPTED FILE-----";
    assert_eq!(text.matches(BEGIN).count(), 1, "{text}");
    let start = text.find(BEGIN).unwrap();
    let end = text.find(END).expect("the armor's end line") + END.len();
    age::decrypt(key, &text.as_bytes()[start..end]).expect("decrypts with the key")
}

/// The refusal: exit 2, a single line naming what was refused and the ways out.
fn assert_refused(shown: &str, code: i32, ways_out: &[&str]) {
    assert_eq!(code, 2, "{shown}");
    let lines: Vec<&str> = shown.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {shown:?}");
    let line = lines[0];
    assert!(line.starts_with("error: "), "{line}");
    assert!(line.contains("refusing to write"), "{line}");
    assert!(line.contains("terminal"), "{line}");
    for w in ways_out {
        assert!(line.contains(w), "{line} should mention {w}");
    }
    assert!(
        !line.contains("age-encryption.org"),
        "no binary shown: {line}"
    );
}

#[test]
fn enroll_seal_to_out_dash_refuses_a_terminal_and_enrolls_nobody() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let before = env.snapshot();
    let audit_before = env.query_i64("SELECT count(*) FROM audit_log");

    let (shown, code) = on_terminal(&env, &["enroll", "bob", "--seal-to", &public, "--out", "-"]);
    assert_refused(&shown, code, &["--armor", "--out FILE"]);
    assert_eq!(env.snapshot(), before, "the store changed");
    assert_eq!(
        env.query_i64("SELECT count(*) FROM audit_log"),
        audit_before
    );
    assert_eq!(
        env.query_i64("SELECT count(*) FROM mfa_user WHERE %USER% = 'bob'"),
        0
    );
    // Nothing was written next to the store either (no bundle file, no temporary).
    assert!(!env.dir.path().join("bob.mfa.txt.age").exists());

    // The control: --armor puts the sealed bundle on the terminal, and bob is enrolled.
    let (shown, code) = on_terminal(
        &env,
        &[
            "enroll",
            "bob",
            "--seal-to",
            &public,
            "--out",
            "-",
            "--armor",
        ],
    );
    assert_eq!(code, 0, "{shown}");
    let bundle = String::from_utf8(armored_on(&shown, &key)).unwrap();
    let uri = decode_terminal_qr(&bundle);
    assert!(uri.contains(":bob?secret="), "{uri}");
    assert_eq!(
        env.query_strings("SELECT status FROM %USER_TOKENS% WHERE %USER% = 'bob'"),
        ["pending"]
    );
}

#[test]
fn export_to_without_out_or_armor_refuses_a_terminal_and_audits_nothing() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let before = env.snapshot();

    let (shown, code) = on_terminal(&env, &["export", "--to", &public]);
    assert_refused(&shown, code, &["-o FILE", "--armor"]);
    assert_eq!(env.snapshot(), before, "the store changed (an audit row?)");

    // The control: --armor writes the encrypted export to the terminal.
    let (shown, code) = on_terminal(
        &env,
        &[
            "export", "--to", &public, "--armor", "--format", "json", "--yes",
        ],
    );
    assert_eq!(code, 0, "{shown}");
    let plain = armored_on(&shown, &key);
    let doc: serde_json::Value = serde_json::from_slice(&plain).expect("the JSON export");
    assert!(doc.to_string().contains("alice"), "{doc}");
}
