//! `pending-ttl`: a pending enrollment older than the setting can no longer be confirmed.
//! verify rejects it as `expired` (exit 1, a counted failure, audited), `list` and `show` mark
//! it, and enrolling the user again replaces it. The enrollment's age is set in the store
//! directly (no sleeping): `enrolled_at` moved back in time.

mod common;

use common::*;
use mfactl::model::Timestamp;

const DAY: i64 = 86_400;

/// Moves `user`'s enrollment `days` days into the past.
fn enrolled_days_ago(env: &TestEnv, user: &str, days: i64) -> Timestamp {
    let at = Timestamp::from_unix(unix_now() as i64 - days * DAY);
    let changed = env.execute(&format!(
        "UPDATE mfa_token SET enrolled_at = '{at}' \
         WHERE user_id IN (SELECT id FROM mfa_user WHERE %USER% = '{user}')"
    ));
    assert_eq!(changed, 1);
    at
}

fn row<'a>(rows: &'a [serde_json::Value], user: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["user"] == user)
        .expect("user listed")
}

fn secret(doc: &serde_json::Value) -> String {
    doc["secret"].as_str().unwrap().to_owned()
}

#[test]
fn an_expired_pending_enrollment_is_rejected_marked_and_replaced_by_enrolling_again() {
    let env = TestEnv::initialised();
    let old = secret(&env.enroll("old", &[]));
    let young = secret(&env.enroll("young", &[]));
    let veteran = env.enroll_enabled("veteran");
    let old_at = enrolled_days_ago(&env, "old", 8);
    let young_at = enrolled_days_ago(&env, "young", 6);
    enrolled_days_ago(&env, "veteran", 400);

    // list --json: when each pending enrollment expires, and whether it has.
    let rows = env.list(&[]);
    let week = |t: Timestamp| Timestamp::from_unix(t.unix() + 7 * DAY).to_string();
    assert_eq!(row(&rows, "old")["expired"], true);
    assert_eq!(row(&rows, "old")["pending_expires_at"], week(old_at));
    assert_eq!(row(&rows, "young")["expired"], false);
    assert_eq!(row(&rows, "young")["pending_expires_at"], week(young_at));
    assert_eq!(row(&rows, "veteran")["expired"], false);
    assert!(row(&rows, "veteran")["pending_expires_at"].is_null());

    // The human views mark it (piped, list prints tab-separated rows and its notes on stderr).
    let out = env.cmd().args(["list"]).assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let line = |u: &str| {
        table
            .lines()
            .find(|l| l.split('\t').next() == Some(u))
            .unwrap_or_else(|| panic!("{u} in {table}"))
            .to_owned()
    };
    assert!(line("old").contains("pending (expired)"), "{table}");
    assert!(!line("young").contains("expired"), "{table}");
    let notes = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(notes.contains("pending-ttl"), "{notes}");
    let out = env.cmd().args(["show", "old"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("expired"), "{text}");
    let out = env.cmd().args(["--json", "show", "old"]).assert().success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["expired"], true);

    // A correct code for the expired enrollment: rejected as expired, counted, audited.
    let (code, doc) = env.verify("old", &totp_now(&old, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (1, &"expired".into()), "{doc}");
    assert_eq!(doc["status"], "pending");
    let rows = env.list(&[]);
    assert_eq!(row(&rows, "old")["failures"], 1);
    assert_eq!(row(&rows, "old")["status"], "pending");
    let details = env.query_strings(
        "SELECT details FROM audit_log WHERE event = 'verify-rejected' AND %USER% = 'old'",
    );
    assert_eq!(details.len(), 1);
    let details: serde_json::Value = serde_json::from_str(&details[0]).unwrap();
    assert_eq!(details["reason"], "expired");
    // The human line says what to do.
    let out = env
        .cmd()
        .args(["verify", "old"])
        .write_stdin(format!("{}\n", totp_now(&old, "SHA1", 6, 30)))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("expired") && text.contains("mfactl enroll old"),
        "{text}"
    );

    // Within the TTL, and for enabled users however old, codes work as before.
    let (code, doc) = env.verify("young", &totp_now(&young, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");
    let (code, doc) = env.verify("veteran", &code_at_step(&veteran, step_now() + 1));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");

    // Enrolling again replaces the expired enrollment, without --force; the new one confirms.
    let out = env
        .cmd()
        .args(["--json", "enroll", "old"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let fresh = secret(&doc);
    assert_ne!(fresh, old);
    let reenrolls = env
        .query_i64("SELECT count(*) FROM audit_log WHERE event = 're-enroll' AND %USER% = 'old'");
    assert_eq!(reenrolls, 1);
    let (code, doc) = env.verify("old", &totp_now(&fresh, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");
    // A pending enrollment that has not expired still needs --force.
    env.enroll("pending", &[]);
    env.cmd().args(["enroll", "pending"]).assert().code(2);
}

#[test]
fn pending_ttl_zero_never_expires_and_a_shorter_one_applies_at_once() {
    let env = TestEnv::initialised();
    let a = secret(&env.enroll("a", &[]));
    let b = secret(&env.enroll("b", &[]));
    enrolled_days_ago(&env, "a", 3_650);
    enrolled_days_ago(&env, "b", 2);

    env.cmd()
        .args(["config", "set", "pending-ttl", "0"])
        .assert()
        .success();
    let rows = env.list(&[]);
    assert_eq!(row(&rows, "a")["expired"], false);
    assert!(row(&rows, "a")["pending_expires_at"].is_null());
    let (code, doc) = env.verify("a", &totp_now(&a, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");

    env.cmd()
        .args(["config", "set", "pending-ttl", "36h"])
        .assert()
        .success();
    let (code, doc) = env.verify("b", &totp_now(&b, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (1, &"expired".into()), "{doc}");
    env.cmd()
        .args(["config", "set", "pending-ttl", "3d"])
        .assert()
        .success();
    let (code, doc) = env.verify("b", &totp_now(&b, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");
}

#[test]
fn expired_rejections_count_toward_the_lockout() {
    let env = TestEnv::initialised();
    env.cmd()
        .args(["config", "set", "max-failures", "2"])
        .assert()
        .success();
    let s = secret(&env.enroll("alice", &[]));
    enrolled_days_ago(&env, "alice", 30);
    let code = totp_now(&s, "SHA1", 6, 30);
    assert_eq!(env.verify("alice", &code).1["reason"], "expired");
    assert_eq!(env.verify("alice", &code).1["reason"], "expired");
    let locked = env.list(&["--status", "locked"]);
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0]["failures"], 2);
}
