//! `show-qr` judges a user's status in the transaction that audits it (issue 17, bug 3): a user
//! confirmed while show-qr was loading its identity is refused without `--force`, as an enabled
//! user is, and never shown and audited as pending.
//!
//! No sleeps: the identity is a FIFO, so show-qr waits on it at a known point (after its first
//! look at the user, before the decision that counts) while the test confirms the user.

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::process::Stdio;

use common::*;

#[test]
fn a_user_confirmed_while_show_qr_loads_its_identity_is_not_shown_without_force() {
    let env = TestEnv::initialised();
    let doc = env.enroll("ann", &[]);
    let secret = doc["secret"].as_str().unwrap().to_owned();
    let shows_before = env.query_i64("SELECT COUNT(*) FROM audit_log WHERE event = 'show-qr'");

    let fifo = env.dir.path().join("identity.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let child = env
        .std_cmd()
        .args(["show-qr", "ann"])
        .env("MFACTL_IDENTITY", &fifo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn show-qr");
    // Opening the FIFO returns once show-qr opened it to read its identity: it has looked the
    // user up (pending) and now waits for the key.
    let mut pipe = OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open FIFO");
    // Meanwhile the user pairs their app and confirms it.
    let (rc, verdict) = env.verify("ann", &code_at_step(&secret, step_now()));
    assert_eq!((rc, &verdict["accepted"]), (0, &serde_json::json!(true)));
    assert_eq!(verdict["status"], "enabled", "{verdict}");

    let identity = std::fs::read(&env.identity).unwrap();
    pipe.write_all(&identity).unwrap();
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains(&secret) && !stdout.contains("otpauth://"),
        "the live secret of a user enabled meanwhile was shown without --force: {stdout}"
    );
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        env.query_i64("SELECT COUNT(*) FROM audit_log WHERE event = 'show-qr'"),
        shows_before,
        "a refused show-qr was audited"
    );
}

#[test]
fn a_forced_show_qr_audits_the_status_it_showed() {
    let env = TestEnv::initialised();
    env.enroll_enabled("bea");
    env.cmd()
        .args(["show-qr", "bea", "--force"])
        .assert()
        .success();
    let details = env.query_strings(
        "SELECT details FROM audit_log WHERE event = 'show-qr' ORDER BY id DESC LIMIT 1",
    );
    let d: serde_json::Value = serde_json::from_str(&details[0]).unwrap();
    assert_eq!(
        d,
        serde_json::json!({ "status": "enabled", "forced": true })
    );
}
