//! Behaviours no test pinned before issue 17's mutation run: each test here fails if the
//! one line it is about is changed.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;
use serde_json::Value;

/// The newest audit row of `event` for `user`: its details.
fn last_audit(env: &TestEnv, user: &str, event: &str) -> Option<Value> {
    env.query_strings(&format!(
        "SELECT details FROM audit_log WHERE %USER% = '{user}' AND event = '{event}' \
         ORDER BY id DESC LIMIT 1"
    ))
    .first()
    .map(|d| serde_json::from_str(d).unwrap())
}

#[test]
fn re_enrolling_a_disabled_user_is_audited_as_an_enrollment_from_disabled() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    env.cmd()
        .args(["disable", "ann", "--yes"])
        .assert()
        .success();
    env.enroll("ann", &[]);
    let d = last_audit(&env, "ann", "enroll").expect("an enroll row");
    assert_eq!(d["previous_status"], "disabled", "{d}");
    // Not a forced replacement of a live secret.
    assert!(last_audit(&env, "ann", "reenroll").is_none());
    assert_eq!(env.list(&[])[0]["status"], "pending");
}

#[test]
fn enroll_force_of_a_locked_user_clears_the_lock_and_the_failures() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("bob");
    env.cmd()
        .args(["config", "set", "max-failures", "1"])
        .assert()
        .success();
    let (rc, doc) = env.verify("bob", &wrong_code(&secret));
    assert_eq!((rc, &doc["reason"]), (1, &Value::from("invalid")));
    assert_eq!(
        env.query_i64("SELECT count(*) FROM mfa_user WHERE locked_at IS NOT NULL"),
        1
    );
    env.enroll("bob", &["--force"]);
    let r = &env.query("SELECT locked_at, failed_attempts, status FROM %USER_TOKENS%")[0];
    assert_eq!(r[0], None, "the lock survived a new secret");
    assert_eq!(r[1].as_deref(), Some("0"));
    assert_eq!(r[2].as_deref(), Some("pending"));
}

#[test]
fn enabled_at_is_kept_on_later_verifies() {
    let (first, second, after) = in_one_step(|step| {
        let env = TestEnv::initialised();
        let secret = env.enroll("cat", &[])["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let first = env.verify("cat", &code_at_step(&secret, step - 1)).0;
        // A confirmation time that no clock of this run could produce again.
        env.execute("UPDATE mfa_token SET enabled_at = '2001-02-03T04:05:06Z'");
        let second = env.verify("cat", &code_at_step(&secret, step)).0;
        let after = env.query_strings("SELECT enabled_at FROM mfa_token");
        (first, second, after[0].clone())
    });
    assert_eq!((first, second), (0, 0), "both codes accepted");
    let before = "2001-02-03T04:05:06Z";
    assert_eq!(after, before, "a later verify moved enabled_at");
}

#[test]
fn log_since_includes_an_event_at_exactly_that_time() {
    let env = TestEnv::initialised();
    env.enroll("dan", &[]);
    env.execute("UPDATE audit_log SET at = '2030-01-01T00:00:00Z' WHERE event = 'enroll'");
    let events = |since: &str| -> Vec<String> {
        let out = env
            .cmd()
            .args(["--json", "log", "--since", since, "--event", "enroll"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        doc.as_array()
            .unwrap_or_else(|| panic!("log --json is not an array: {doc}"))
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        events("2030-01-01T00:00:00Z"),
        ["enroll"],
        "the boundary is inclusive"
    );
    assert!(
        events("2030-01-01T00:00:01Z").is_empty(),
        "a later --since still lists it"
    );
}

#[test]
fn a_group_readable_identity_file_is_warned_about() {
    let env = TestEnv::initialised();
    env.enroll("eve", &[]);
    std::fs::set_permissions(&env.identity, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = env.cmd().args(["show-qr", "eve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("accessible by others (mode 0640)") && stderr.contains("chmod 600"),
        "no warning for a 0640 identity: {stderr}"
    );
    std::fs::set_permissions(&env.identity, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = env.cmd().args(["show-qr", "eve"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("accessible by others"),
        "a 0600 identity was warned about"
    );
}

/// The binary with `MFACTL_DB` and `MFACTL_IDENTITY` unset: only `HOME` and (when given)
/// the `XDG_*` variables say where things are.
fn bare(env: &TestEnv, xdg: bool) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("mfactl").unwrap();
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("MFACTL_ACTOR", "test-operator")
        .env("NO_COLOR", "1")
        .current_dir(env.dir.path())
        .write_stdin("");
    if xdg {
        c.env("XDG_DATA_HOME", env.dir.path().join("xdg-data"))
            .env("XDG_CONFIG_HOME", env.dir.path().join("xdg-config"));
    }
    c
}

#[test]
fn default_store_and_identity_follow_xdg_then_home() {
    if skip_on_pg("default paths are SQLite files") {
        return;
    }
    let env = TestEnv::new_sqlite();
    let home = env.dir.path();
    bare(&env, true).arg("init").assert().success();
    assert!(home.join("xdg-data/mfactl/mfactl.db").is_file());
    assert!(home.join("xdg-config/mfactl/identity.txt").is_file());
    assert!(!home.join(".local").exists() && !home.join(".config").exists());

    let env = TestEnv::new_sqlite();
    let home = env.dir.path();
    bare(&env, false).arg("init").assert().success();
    assert!(home.join(".local/share/mfactl/mfactl.db").is_file());
    assert!(home.join(".config/mfactl/identity.txt").is_file());
    // Both defaults work together: enroll, then read the secret back with the default identity.
    bare(&env, false).args(["enroll", "fay"]).assert().success();
    bare(&env, false)
        .args(["show-qr", "fay"])
        .assert()
        .success();
}

#[test]
fn identity_flag_wins_over_the_environment() {
    let env = TestEnv::initialised();
    env.enroll("gus", &[]);
    let moved = env.dir.path().join("elsewhere.txt");
    std::fs::rename(&env.identity, &moved).unwrap();
    // MFACTL_IDENTITY names the old (now missing) path: without -i this fails.
    env.cmd().args(["show-qr", "gus"]).assert().code(2);
    env.cmd()
        .args(["show-qr", "gus", "-i"])
        .arg(&moved)
        .assert()
        .success();
    env.cmd()
        .arg("--identity")
        .arg(&moved)
        .args(["show-qr", "gus"])
        .assert()
        .success();
}

#[test]
fn unlock_clears_the_failures_of_a_user_who_is_not_locked() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    env.execute("UPDATE mfa_user SET failed_attempts = 2 WHERE %USER% = 'ann'");
    let unlock = || -> Value {
        let out = env
            .cmd()
            .args(["--json", "unlock", "ann"])
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let doc = unlock();
    assert_eq!(doc["changed"], true, "{doc}");
    assert_eq!(
        env.query_strings("SELECT failed_attempts FROM mfa_user WHERE %USER% = 'ann'"),
        ["0"]
    );
    let d = last_audit(&env, "ann", "unlock").expect("an unlock row");
    assert_eq!(
        (d["was_locked"].clone(), d["failures"].clone()),
        (false.into(), 2.into())
    );
    // With nothing to clear, nothing changes and nothing is recorded.
    let doc = unlock();
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(
        env.query_strings("SELECT count(*) FROM audit_log WHERE event = 'unlock'"),
        ["1"]
    );
}
