//! Small things people read: counts agree with their nouns, the actor is the account name
//! when $USER is unset, `init --issuer` on an existing store points at `config set issuer`.

mod common;

use common::*;

fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn one_failure_is_singular() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    let out = stdout_of(
        env.cmd()
            .args(["verify", "alice"])
            .write_stdin(format!("{}\n", wrong_code(&secret))),
    );
    assert!(out.contains("(1 consecutive failure)"), "{out}");
    let out = stdout_of(
        env.cmd()
            .args(["verify", "alice"])
            .write_stdin(format!("{}\n", wrong_code(&secret))),
    );
    assert!(out.contains("(2 consecutive failures)"), "{out}");
}

#[test]
fn locking_after_one_failure_is_singular() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    env.cmd()
        .args(["config", "set", "max-failures", "1"])
        .assert()
        .success();
    let out = stdout_of(
        env.cmd()
            .args(["verify", "alice"])
            .write_stdin(format!("{}\n", wrong_code(&secret))),
    );
    assert!(out.contains("locked after 1 failure "), "{out}");
}

#[test]
fn one_imported_user_is_singular() {
    let env = TestEnv::initialised();
    let file = env.dir.path().join("one.txt");
    std::fs::write(
        &file,
        "otpauth://totp/mfactl:carol?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=mfactl\n",
    )
    .unwrap();
    let out = stdout_of(env.cmd().args(["import", "--dry-run"]).arg(&file));
    assert!(out.starts_with("1 entry is valid ("), "{out}");
    let out = stdout_of(env.cmd().arg("import").arg(&file));
    assert!(out.starts_with("Imported 1 user ("), "{out}");
}

#[test]
fn copy_store_counts_are_singular_for_one() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let target = env.dir.path().join("copy.db");
    let out = stdout_of(env.cmd().args(["copy-store", "--to"]).arg(&target));
    // One user and one recipient; settings and audit rows are several.
    assert!(out.contains("  1 user, 1 recipient, "), "{out}");
    assert!(
        !out.contains("1 users") && !out.contains("1 recipients"),
        "{out}"
    );
}

#[test]
fn actor_is_the_account_name_when_user_is_unset() {
    let env = TestEnv::initialised();
    env.cmd()
        .env_remove("MFACTL_ACTOR")
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .args(["enroll", "--no-qr", "alice"])
        .assert()
        .success();
    // The independent oracle: id(1) reads the same passwd database.
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let account = String::from_utf8(id.stdout).unwrap().trim().to_owned();
    assert!(!account.is_empty());
    let log: serde_json::Value = serde_json::from_str(&stdout_of(
        env.cmd().args(["--json", "log", "--event", "enroll"]),
    ))
    .unwrap();
    let text = log.to_string();
    assert!(text.contains(&format!("\"actor\":\"{account}\"")), "{text}");
    assert!(!text.contains("uid:"), "{text}");
}

#[test]
fn init_with_issuer_on_an_existing_store_hints_at_config_set() {
    let env = TestEnv::initialised();
    let out = env
        .cmd()
        .args(["init", "--issuer", "Acme Corp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "hint: to change the existing store's issuer: mfactl config set issuer 'Acme Corp'"
        ),
        "{err}"
    );
    // The hint is one a reader can run as printed.
    env.cmd()
        .args(["config", "set", "issuer", "Acme Corp"])
        .assert()
        .success();
    // Without --issuer, the usual hint.
    let out = env.cmd().arg("init").output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("config set issuer"), "{err}");
    // --json keeps the kind and carries the hint.
    let out = env
        .cmd()
        .args(["--json", "init", "--issuer", "x"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "store_exists");
    assert_eq!(
        doc["error"]["hint"],
        "to change the existing store's issuer: mfactl config set issuer x"
    );
}
