//! Lockouts that lift by themselves (`lockout` a duration), with backoff: the doubling and its
//! cap, the instant a lock lifts, the fresh tries after it, and what resets the backoff. Time is
//! driven through `Op { now }` and the real verification policy (`verification::decide`, with
//! the identity and a real secret), or by editing `locked_until` in the store directly for the
//! commands; no sleeps. On SQLite and (with `MFACTL_TEST_PG`) PostgreSQL.

mod common;

use common::*;
use mfactl::audit::Op;
use mfactl::model::{Timestamp, UserName};
use mfactl::store::{Location, Store, VerifyResult};
use mfactl::totp::RejectReason;
use mfactl::vault::{self, Identities};

/// A time well after every step the enrollment used, on a step boundary.
const T0: i64 = 4_000_000_020;

fn open(env: &TestEnv) -> Store {
    Store::open(&Location::parse(std::ffi::OsStr::new(&env.store)).unwrap()).unwrap()
}

fn identities(env: &TestEnv) -> Identities {
    Identities::load(
        &vault::IdentitySource::File(env.identity.clone()),
        &mut || panic!("no passphrase expected"),
    )
    .unwrap()
}

fn config(env: &TestEnv, key: &str, value: &str) {
    env.cmd()
        .args(["config", "set", key, value])
        .assert()
        .success();
}

/// A 6-digit code that is not `secret`'s at any step within ±3 of `t`.
fn wrong_at(secret: &str, t: i64) -> String {
    let near: Vec<String> = (-3..=3)
        .map(|d| totp_at(secret, "SHA1", 6, 30, (t + d * 30) as u64))
        .collect();
    (0..)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// The facade's verification at `t`: one clock reading, the real policy.
struct At<'a> {
    env: &'a TestEnv,
    store: Store,
    ids: Identities,
    secret: String,
}

impl<'a> At<'a> {
    fn new(env: &'a TestEnv, secret: String) -> Self {
        At {
            env,
            store: open(env),
            ids: identities(env),
            secret,
        }
    }

    fn verify(&mut self, code: &str, t: i64) -> VerifyResult {
        let op = Op {
            actor: "lockout-test".into(),
            now: Timestamp::from_unix(t),
        };
        let ann = UserName::parse("ann").unwrap();
        let ids = &self.ids;
        self.store
            .verify(&op, &ann, &mut |rec, settings| {
                mfactl::verification::decide(rec, settings, code, t as u64, ids)
            })
            .unwrap()
    }

    fn wrong(&mut self, t: i64) -> VerifyResult {
        let code = wrong_at(&self.secret, t);
        self.verify(&code, t)
    }

    fn right(&mut self, t: i64) -> VerifyResult {
        let code = totp_at(&self.secret, "SHA1", 6, 30, t as u64);
        self.verify(&code, t)
    }

    /// (failed_attempts, locked_at, locked_until, lockouts), read directly.
    fn row(&self) -> (i64, Option<String>, Option<String>, i64) {
        let r = &self.env.query(
            "SELECT failed_attempts, locked_at, locked_until, lockouts FROM mfa_user \
             WHERE %USER% = 'ann'",
        )[0];
        (
            r[0].as_deref().unwrap().parse().unwrap(),
            r[1].clone(),
            r[2].clone(),
            r[3].as_deref().unwrap().parse().unwrap(),
        )
    }
}

fn ts(t: i64) -> String {
    Timestamp::from_unix(t).to_string()
}

/// `ann` enabled, `max-failures` 2, `lockout` 1m, `lockout-max` 5m.
fn timed_env() -> (TestEnv, String) {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("ann");
    config(&env, "max-failures", "2");
    config(&env, "lockout", "1m");
    config(&env, "lockout-max", "5m");
    (env, secret)
}

#[test]
fn each_lock_in_a_row_lasts_twice_as_long_up_to_lockout_max() {
    let (env, secret) = timed_env();
    let mut at = At::new(&env, secret);
    let mut t = T0;
    // 1m, 2m, 4m, then the 5m cap (8m and 16m capped).
    for (n, expected) in [(1, 60), (2, 120), (3, 240), (4, 300), (5, 300)] {
        let first = at.wrong(t);
        assert_eq!(first.rejected, Some(RejectReason::Invalid));
        assert_eq!(
            (first.failures, first.locked_now),
            (1, false),
            "lock {n}: the lifted lock's failures still counted"
        );
        let second = at.wrong(t);
        assert!(second.locked_now, "lock {n}");
        assert_eq!(
            second.locked_until,
            Some(Timestamp::from_unix(t + expected))
        );
        assert_eq!(
            at.row(),
            (2, Some(ts(t)), Some(ts(t + expected)), n),
            "lock {n}"
        );
        // Locked until the last second: even the right code is refused, and nothing counts.
        let during = at.right(t + expected - 1);
        assert_eq!(during.rejected, Some(RejectReason::Locked), "lock {n}");
        assert_eq!(
            during.locked_until,
            Some(Timestamp::from_unix(t + expected))
        );
        assert_eq!(at.row().0, 2);
        t += expected;
    }
    // Each lock's audit row says how long, and which in the row it was.
    let locks: Vec<_> = audit_rows(&env)
        .into_iter()
        .filter(|r| r.event == "lock")
        .map(|r| r.details())
        .collect();
    assert_eq!(locks.len(), 5);
    let lockouts: Vec<_> = locks.iter().map(|d| d["lockouts"].as_u64()).collect();
    assert_eq!(lockouts, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
    assert_eq!(locks[0]["locked_until"], ts(T0 + 60));
}

#[test]
fn a_lock_has_lifted_at_its_locked_until_and_not_one_second_before() {
    let (env, secret) = timed_env();
    let mut at = At::new(&env, secret);
    at.wrong(T0);
    assert!(at.wrong(T0).locked_now);
    let until = T0 + 60;
    let before = at.right(until - 1);
    assert_eq!(before.rejected, Some(RejectReason::Locked));
    // The instant it lifts: the right code is accepted, and it clears the lock, the failures
    // and the count of lockouts.
    let lifted = at.right(until);
    assert_eq!(lifted.rejected, None, "{lifted:?}");
    assert_eq!(at.row(), (0, None, None, 0));
    // So the next lock is a first one again.
    at.wrong(until + 30);
    assert_eq!(
        at.wrong(until + 30).locked_until,
        Some(Timestamp::from_unix(until + 30 + 60))
    );
}

#[test]
fn a_lifted_lock_gives_max_failures_fresh_tries_and_a_wrong_code_is_counted_from_one() {
    let (env, secret) = timed_env();
    let mut at = At::new(&env, secret);
    at.wrong(T0);
    at.wrong(T0);
    let first = at.wrong(T0 + 60);
    assert_eq!(
        (
            first.rejected,
            first.failures,
            first.locked_now,
            first.locked_until
        ),
        (Some(RejectReason::Invalid), 1, false, None)
    );
    // The lifted lock is cleared from the row; its count of lockouts stays for the backoff.
    assert_eq!(at.row(), (1, None, None, 1));
}

#[test]
fn an_accepted_recovery_code_after_a_lifted_lock_resets_the_backoff() {
    let (env, secret) = timed_env();
    let out = env
        .cmd()
        .args(["--json", "recovery-codes", "--count", "1", "ann"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let recovery = doc["codes"][0].as_str().unwrap().to_owned();
    let mut at = At::new(&env, secret);
    at.wrong(T0);
    at.wrong(T0);
    let op = |t: i64| Op {
        actor: "lockout-test".into(),
        now: Timestamp::from_unix(t),
    };
    let ann = UserName::parse("ann").unwrap();
    let code = mfactl::recovery::TypedCode::parse(&recovery).unwrap();
    let locked = at
        .store
        .use_recovery_code(&op(T0 + 59), &ann, &code)
        .unwrap();
    assert_eq!(locked.rejected, Some(RejectReason::Locked));
    assert_eq!(locked.locked_until, Some(Timestamp::from_unix(T0 + 60)));
    let accepted = at
        .store
        .use_recovery_code(&op(T0 + 60), &ann, &code)
        .unwrap();
    assert_eq!(accepted.rejected, None);
    assert_eq!(at.row(), (0, None, None, 0));
}

#[test]
fn unlock_clears_the_lock_and_the_count_of_lockouts() {
    let (env, secret) = timed_env();
    let mut at = At::new(&env, secret);
    for t in [T0, T0 + 60] {
        at.wrong(t);
        at.wrong(t);
    }
    assert_eq!(at.row(), (2, Some(ts(T0 + 60)), Some(ts(T0 + 180)), 2));
    env.cmd().args(["unlock", "ann"]).assert().success();
    assert_eq!(at.row(), (0, None, None, 0));
    let unlock = audit_rows(&env)
        .into_iter()
        .rfind(|r| r.event == "unlock")
        .unwrap()
        .details();
    assert_eq!(unlock["lockouts"], 2);
    // The next lock is a first one: the base duration.
    at.wrong(T0 + 100);
    assert_eq!(
        at.wrong(T0 + 100).locked_until,
        Some(Timestamp::from_unix(T0 + 160))
    );
}

#[test]
fn manual_lockout_is_unchanged_and_never_lifts() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("ann");
    let mut at = At::new(&env, secret);
    for _ in 0..4 {
        assert!(!at.wrong(T0).locked_now);
    }
    let locking = at.wrong(T0);
    assert!(locking.locked_now);
    assert_eq!(locking.locked_until, None);
    assert_eq!(at.row(), (5, Some(ts(T0)), None, 1));
    // Years later, still locked, the right code included, and nothing more is counted.
    let later = at.right(T0 + 10 * 365 * 86_400);
    assert_eq!(later.rejected, Some(RejectReason::Locked));
    assert_eq!(later.locked_until, None);
    assert_eq!(at.row(), (5, Some(ts(T0)), None, 1));
    env.cmd().args(["unlock", "ann"]).assert().success();
    assert_eq!(at.row(), (0, None, None, 0));
}

#[test]
fn verify_says_when_the_lock_lifts_and_list_and_show_show_it() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("ann");
    env.enroll_enabled("bob");
    config(&env, "max-failures", "1");
    config(&env, "lockout", "15m");
    let wrong = wrong_code(&secret);
    let out = env
        .cmd()
        .args(["verify", "ann"])
        .write_stdin(format!("{wrong}\n"))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let until = env.query_strings("SELECT locked_until FROM mfa_user WHERE %USER% = 'ann'");
    let until = until[0].clone();
    assert!(
        text.contains(&format!("now locked after 1 failure, until {until}")),
        "{text}"
    );
    // The same reading stamps both: exactly the lockout's length ahead.
    assert!(text.contains("(about 15 minutes)"), "{text}");

    let (code, doc) = env.verify("ann", &wrong);
    assert_eq!((code, doc["reason"].as_str()), (1, Some("locked")), "{doc}");
    assert_eq!(doc["locked_until"], until.as_str());

    let row = env
        .list(&[])
        .into_iter()
        .find(|r| r["user"] == "ann")
        .unwrap();
    assert_eq!(
        (row["locked"].as_bool(), row["locked_until"].as_str()),
        (Some(true), Some(until.as_str()))
    );
    let locked = env.list(&["--locked"]);
    assert_eq!(locked.len(), 1);
    let table = env.cmd().arg("list").assert().success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    let line = table.lines().find(|l| l.contains("ann")).unwrap();
    assert!(line.contains("(locked 15m)"), "{table}");
    let out = env.cmd().args(["--json", "show", "ann"]).assert().success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["locked_until"], until.as_str());
    assert_eq!(doc["lockouts"], 1);
    let out = env.cmd().args(["show", "ann"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains(&format!("lifts at {until}")), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");

    // The lock's end has passed (edited in the store): not locked any more, for every view.
    env.execute("UPDATE mfa_user SET locked_until = '2020-01-01T00:00:00Z'");
    let row = env
        .list(&[])
        .into_iter()
        .find(|r| r["user"] == "ann")
        .unwrap();
    assert_eq!(row["locked"], false);
    assert_eq!(row["locked_until"], serde_json::Value::Null);
    assert_eq!(row["failures"], 0, "the lifted lock's failures still shown");
    assert!(env.list(&["--locked"]).is_empty());
    assert!(env.list(&["--status", "locked"]).is_empty());
    let out = env.cmd().args(["show", "ann"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("the last lock lifted at 2020-01-01T00:00:00Z"),
        "{text}"
    );
    // And the right code is accepted.
    let (code, doc) = env.verify("ann", &totp_at(&secret, "SHA1", 6, 30, unix_now() + 30));
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["locked_until"], serde_json::Value::Null);
}

#[test]
fn a_manual_lock_has_a_null_locked_until_in_verify_json() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("ann");
    config(&env, "max-failures", "1");
    let wrong = wrong_code(&secret);
    let (_, doc) = env.verify("ann", &wrong);
    assert_eq!(doc["reason"], "invalid");
    let (_, doc) = env.verify("ann", &wrong);
    assert_eq!(doc["reason"], "locked");
    assert!(
        doc.as_object().unwrap().contains_key("locked_until"),
        "{doc}"
    );
    assert_eq!(doc["locked_until"], serde_json::Value::Null);
    let out = env
        .cmd()
        .args(["verify", "ann"])
        .write_stdin(format!("{wrong}\n"))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("locked after too many failures (mfactl unlock ann)"),
        "{text}"
    );
}

#[test]
fn the_migration_keeps_existing_locks_manual() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("ann");
    env.enroll_enabled("bob");
    // The store as schema 3 left it: no lockout columns, ann locked by hand.
    env.direct().downgrade_to_v3();
    env.execute("UPDATE mfa_secret SET locked_at = '2026-01-01T00:00:00Z', failed_attempts = 5 WHERE %USER% = 'ann'");
    // Any command opens (and migrates) the store; a timed lockout applies to new locks only.
    config(&env, "lockout", "1m");
    let rows =
        env.query("SELECT %USER%, locked_at, locked_until, lockouts FROM mfa_user ORDER BY 1");
    assert_eq!(
        rows,
        [
            vec![
                Some("ann".into()),
                Some("2026-01-01T00:00:00Z".into()),
                None,
                Some("1".into())
            ],
            vec![Some("bob".into()), None, None, Some("0".into())],
        ]
    );
    let (code, doc) = env.verify("ann", &totp_at(&secret, "SHA1", 6, 30, unix_now() + 30));
    assert_eq!((code, doc["reason"].as_str()), (1, Some("locked")), "{doc}");
    assert_eq!(doc["locked_until"], serde_json::Value::Null);
}
