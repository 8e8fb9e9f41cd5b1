//! "Verification you can trust": replay protection, the atomic claim of a code under
//! concurrency, and the brute-force lockout, all through the real binary.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;

/// The user's row as the store holds it (read directly, not through mfactl):
/// (last_used_step, failed_attempts, locked_at IS NOT NULL, status).
fn row(env: &TestEnv, user: &str) -> (Option<i64>, i64, bool, String) {
    let rows = env.query(&format!(
        "SELECT last_used_step, failed_attempts, \
         CASE WHEN locked_at IS NULL THEN 0 ELSE 1 END, status \
         FROM %USER_TOKENS% WHERE %USER% = '{user}'"
    ));
    assert_eq!(rows.len(), 1, "no single row for {user}");
    let r = &rows[0];
    (
        r[0].as_deref().map(|v| v.parse().unwrap()),
        r[1].as_deref().unwrap().parse().unwrap(),
        r[2].as_deref() == Some("1"),
        r[3].clone().unwrap(),
    )
}

/// How many audit events of `event` the log holds for `user`.
fn audit_count(env: &TestEnv, user: &str, event: &str) -> i64 {
    env.query_i64(&format!(
        "SELECT count(*) FROM audit_log WHERE %USER% = '{user}' AND event = '{event}'"
    ))
}

fn reason(doc: &serde_json::Value) -> &str {
    doc["reason"].as_str().expect("verify --json has a reason")
}

/// The `list --json` row of `user`.
fn listed(env: &TestEnv, user: &str) -> serde_json::Value {
    env.list(&[])
        .into_iter()
        .find(|r| r["user"] == user)
        .unwrap_or_else(|| panic!("{user} not listed"))
}

#[test]
fn an_accepted_code_records_its_step_and_is_refused_the_second_time() {
    let (first, second, stored) = in_one_step(|step| {
        let env = TestEnv::initialised();
        let secret = env.enroll("alice", &[])["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let code = code_at_step(&secret, step);
        let first = env.verify("alice", &code);
        let second = env.verify("alice", &code);
        (first, second, (row(&env, "alice"), step))
    });
    assert_eq!((first.0, reason(&first.1)), (0, "ok"), "{}", first.1);
    assert_eq!(first.1["accepted"], true);
    assert_eq!(
        (second.0, reason(&second.1)),
        (1, "replayed"),
        "{}",
        second.1
    );
    assert_eq!(second.1["accepted"], false);
    let ((last_step, failures, locked, status), step) = stored;
    assert_eq!(
        last_step,
        Some(step as i64),
        "the accepted step is recorded"
    );
    // A replay proves knowledge of a real code: it is refused but is not a wrong guess.
    assert_eq!((failures, locked, status.as_str()), (0, false, "enabled"));
}

#[test]
fn an_older_step_inside_the_window_is_a_replay_once_a_newer_one_was_used() {
    let results = in_one_step(|step| {
        let env = TestEnv::initialised();
        let secret = env.enroll("alice", &[])["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        // With the default skew of 1, steps step-1, step and step+1 are all in the window.
        let next = env.verify("alice", &code_at_step(&secret, step + 1));
        let current = env.verify("alice", &code_at_step(&secret, step));
        let previous = env.verify("alice", &code_at_step(&secret, step - 1));
        let last = row(&env, "alice").0;
        (next, current, previous, last, step)
    });
    let (next, current, previous, last, step) = results;
    assert_eq!((next.0, reason(&next.1)), (0, "ok"), "{}", next.1);
    for (what, r) in [("current step", current), ("previous step", previous)] {
        assert_eq!((r.0, reason(&r.1)), (1, "replayed"), "{what}: {}", r.1);
    }
    assert_eq!(
        last,
        Some(step as i64 + 1),
        "the newest accepted step stays"
    );
}

#[test]
fn a_newer_step_is_accepted_after_an_older_one() {
    let (older, newer, last, step) = in_one_step(|step| {
        let env = TestEnv::initialised();
        let secret = env.enroll("alice", &[])["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let older = env.verify("alice", &code_at_step(&secret, step - 1));
        let newer = env.verify("alice", &code_at_step(&secret, step));
        (older, newer, row(&env, "alice").0, step)
    });
    assert_eq!((older.0, reason(&older.1)), (0, "ok"), "{}", older.1);
    assert_eq!((newer.0, reason(&newer.1)), (0, "ok"), "{}", newer.1);
    assert_eq!(last, Some(step as i64));
}

#[test]
fn replay_is_per_user() {
    // Two users whose codes happen to be used in the same step do not block each other.
    let (a, b) = in_one_step(|step| {
        let env = TestEnv::initialised();
        let sa = env.enroll("alice", &[])["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let sb = env.enroll("bob", &[])["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        (
            env.verify("alice", &code_at_step(&sa, step)),
            env.verify("bob", &code_at_step(&sb, step)),
        )
    });
    assert_eq!((a.0, b.0), (0, 0), "{} {}", a.1, b.1);
}

/// At least 16 `mfactl verify` processes, started together on one store with the same valid
/// code: exactly one claims it.
#[test]
fn concurrent_verifications_of_one_code_accept_exactly_one() {
    const N: usize = 24;
    let env = TestEnv::initialised();
    let secret = env.enroll("alice", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = totp_now(&secret, "SHA1", 6, 30);

    let results = verify_concurrently(&env, "alice", &code, N);
    let mut accepted = 0;
    for (exit, doc) in &results {
        if *exit == 0 {
            assert_eq!(reason(doc), "ok");
            accepted += 1;
        } else {
            assert_eq!(reason(doc), "replayed", "{doc}");
        }
    }
    assert_eq!(
        accepted, 1,
        "exactly one of {N} concurrent verifications wins"
    );
    assert_eq!(audit_count(&env, "alice", "verify-accepted"), 1);
    assert_eq!(audit_count(&env, "alice", "verify-rejected"), N as i64 - 1);
    assert_eq!(audit_count(&env, "alice", "confirm"), 1);
    let (_, failures, locked, status) = row(&env, "alice");
    assert_eq!((failures, locked, status.as_str()), (0, false, "enabled"));
}

/// Runs `mfactl --json verify USER` `n` times at once with `code`; returns (exit, JSON) each.
fn verify_concurrently(
    env: &TestEnv,
    user: &str,
    code: &str,
    n: usize,
) -> Vec<(i32, serde_json::Value)> {
    // Spawn every process first; each blocks reading its stdin. Then hand all of them the
    // code, as close together as the loop allows, and only then wait.
    let mut children: Vec<_> = (0..n)
        .map(|_| {
            env.std_cmd()
                .args(["--json", "verify", user])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn mfactl verify")
        })
        .collect();
    let line = format!("{code}\n");
    for c in &mut children {
        // Dropping stdin after the write closes it.
        c.stdin.take().unwrap().write_all(line.as_bytes()).unwrap();
    }
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("wait for mfactl verify");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let code = out.status.code();
            // None may fail: no "database is locked", no error of any kind.
            assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {stderr}");
            let doc = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("no JSON ({e}); stderr {stderr}"));
            (code.unwrap(), doc)
        })
        .collect()
}

/// N concurrent wrong codes for a user with `lockout` set to `lockout`: each counted once, one
/// lock. Returns the user's stored (locked_until, lockouts).
fn concurrent_wrong_codes(lockout: &str) -> (Option<String>, i64) {
    const N: usize = 16;
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    // The default, set explicitly: the setting is read from the store as it will be in use.
    env.cmd()
        .args(["config", "set", "max-failures", "5"])
        .assert()
        .success();
    env.cmd()
        .args(["config", "set", "lockout", lockout])
        .assert()
        .success();
    let results = verify_concurrently(&env, "alice", &wrong_code(&secret), N);
    let count = |r: &str| results.iter().filter(|(_, d)| d["reason"] == r).count();
    // Serialized: the first five are wrong guesses (the fifth locks), the rest find the user
    // locked. A lost update would leave fewer than five counted, or lock twice.
    assert_eq!(
        (count("invalid"), count("locked")),
        (5, N - 5),
        "{results:?}"
    );
    assert!(results.iter().all(|(c, _)| *c == 1));
    let (_, failures, locked, _) = row(&env, "alice");
    assert_eq!((failures, locked), (5, true));
    assert_eq!(audit_count(&env, "alice", "lock"), 1);
    assert_eq!(audit_count(&env, "alice", "verify-rejected"), N as i64);
    let stored = &env.query("SELECT locked_until, lockouts FROM mfa_user")[0];
    let until = stored[0].clone();
    // Every rejection after the lock names the one lock's end.
    for (_, doc) in results.iter().filter(|(_, d)| d["reason"] == "locked") {
        assert_eq!(doc["locked_until"].as_str(), until.as_deref(), "{doc}");
    }
    (until, stored[1].as_deref().unwrap().parse().unwrap())
}

#[test]
fn concurrent_wrong_codes_are_each_counted_and_lock_exactly_once() {
    assert_eq!(concurrent_wrong_codes("manual"), (None, 1));
}

#[test]
fn concurrent_wrong_codes_lock_exactly_once_with_a_timed_lockout() {
    let (until, lockouts) = concurrent_wrong_codes("15m");
    assert!(until.is_some(), "a timed lock without an end");
    assert_eq!(lockouts, 1, "one lock counted more than once");
}

#[test]
fn concurrent_wrong_codes_after_a_lock_lifted_count_afresh_and_lock_once_more() {
    const N: usize = 16;
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    env.cmd()
        .args(["config", "set", "lockout", "15m"])
        .assert()
        .success();
    // A first lock (5 failures) whose end has passed.
    env.execute(
        "UPDATE mfa_user SET failed_attempts = 5, locked_at = '2026-01-01T00:00:00Z', \
         locked_until = '2026-01-01T00:15:00Z', lockouts = 1",
    );
    let results = verify_concurrently(&env, "alice", &wrong_code(&secret), N);
    let count = |r: &str| results.iter().filter(|(_, d)| d["reason"] == r).count();
    // Five fresh tries, counted from one (the lifted lock's failures are gone), then one lock.
    assert_eq!(
        (count("invalid"), count("locked")),
        (5, N - 5),
        "{results:?}"
    );
    let mut counted: Vec<u64> = results
        .iter()
        .filter(|(_, d)| d["reason"] == "invalid")
        .map(|(_, d)| d["locked_until"].as_str().map_or(0, |_| 1))
        .collect();
    counted.sort_unstable();
    // Only the fifth wrong code locked, so only it names the lock's end.
    assert_eq!(counted, [0, 0, 0, 0, 1]);
    assert_eq!(audit_count(&env, "alice", "lock"), 1);
    let stored =
        &env.query("SELECT failed_attempts, lockouts, locked_until, locked_at FROM mfa_user")[0];
    assert_eq!(stored[0].as_deref(), Some("5"));
    assert_eq!(stored[1].as_deref(), Some("2"), "the second lock in a row");
    let time = |i: usize| {
        mfactl::model::Timestamp::parse(stored[i].as_deref().unwrap())
            .unwrap()
            .unix()
    };
    assert_eq!(
        time(2) - time(3),
        30 * 60,
        "the second lock lasts twice 15m"
    );
    let lock = audit_rows(&env)
        .into_iter()
        .rfind(|r| r.event == "lock")
        .unwrap()
        .details();
    assert_eq!(lock["lockouts"], 2);
    assert_eq!(lock["locked_until"].as_str(), stored[2].as_deref());
}

#[test]
fn consecutive_failures_lock_the_user_until_unlock() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    env.enroll_enabled("bob");
    let wrong = wrong_code(&secret);
    let out = env
        .cmd()
        .args(["--json", "recovery-codes", "--count", "1", "alice"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let recovery = doc["codes"][0].as_str().unwrap().to_owned();

    for n in 1..=4 {
        let (code, doc) = env.verify("alice", &wrong);
        assert_eq!((code, reason(&doc)), (1, "invalid"), "{doc}");
        let row = listed(&env, "alice");
        assert_eq!(
            (row["failures"].as_u64(), row["locked"].as_bool()),
            (Some(n), Some(false))
        );
    }
    let out = env
        .cmd()
        .args(["verify", "alice"])
        .write_stdin(format!("{wrong}\n"))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("now locked after 5 failures"), "{text}");
    let row = listed(&env, "alice");
    assert_eq!(
        (row["failures"].as_u64(), row["locked"].as_bool()),
        (Some(5), Some(true))
    );
    assert_eq!(audit_count(&env, "alice", "lock"), 1);

    // Locked: even a correct, never-used code is refused, and so is a wrong one, without
    // counting further.
    let fresh = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    let (code, doc) = env.verify("alice", &fresh);
    assert_eq!((code, reason(&doc)), (1, "locked"), "{doc}");
    let (code, doc) = env.verify("alice", &wrong);
    assert_eq!((code, reason(&doc)), (1, "locked"), "{doc}");
    assert_eq!(listed(&env, "alice")["failures"].as_u64(), Some(5));
    // A valid recovery code is refused too, and not used up.
    let out = env
        .cmd()
        .args(["--json", "verify", "--recovery", "alice"])
        .write_stdin(format!("{recovery}\n"))
        .assert()
        .code(1);
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(reason(&doc), "locked");
    assert_eq!(
        listed(&env, "alice")["recovery_codes_left"].as_u64(),
        Some(1)
    );

    // list shows it, and --status locked filters on it.
    let locked: Vec<_> = env.list(&["--status", "locked"]);
    let names: Vec<_> = locked.iter().map(|r| r["user"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice"]);
    let table = env.cmd().arg("list").assert().success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    let alice_line = table.lines().find(|l| l.contains("alice")).unwrap();
    assert!(alice_line.contains("(locked)"), "{table}");
    let bob_line = table.lines().find(|l| l.contains("bob")).unwrap();
    assert!(!bob_line.contains("locked"), "{table}");

    env.cmd().args(["unlock", "alice"]).assert().success();
    let row = listed(&env, "alice");
    assert_eq!(
        (row["failures"].as_u64(), row["locked"].as_bool()),
        (Some(0), Some(false))
    );
    assert!(env.list(&["--status", "locked"]).is_empty());
    assert_eq!(audit_count(&env, "alice", "unlock"), 1);
    let (code, doc) = env.verify("alice", &fresh);
    assert_eq!((code, reason(&doc)), (0, "ok"), "{doc}");
}

#[test]
fn a_success_resets_the_failure_count() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    let wrong = wrong_code(&secret);
    for _ in 0..4 {
        assert_eq!(env.verify("alice", &wrong).0, 1);
    }
    assert_eq!(listed(&env, "alice")["failures"].as_u64(), Some(4));
    // A fresh code (the next step, inside the window, newer than the one enroll_enabled used).
    let fresh = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    let (code, doc) = env.verify("alice", &fresh);
    assert_eq!((code, reason(&doc)), (0, "ok"), "{doc}");
    assert_eq!(listed(&env, "alice")["failures"].as_u64(), Some(0));

    // Four more: 8 in all, but only 4 consecutive, so no lockout.
    for _ in 0..4 {
        assert_eq!(env.verify("alice", &wrong).1["reason"], "invalid");
    }
    let row = listed(&env, "alice");
    assert_eq!(
        (row["failures"].as_u64(), row["locked"].as_bool()),
        (Some(4), Some(false))
    );
    // The fifth consecutive one locks.
    assert_eq!(env.verify("alice", &wrong).0, 1);
    assert_eq!(listed(&env, "alice")["locked"], true);
}

#[test]
fn a_success_with_nothing_to_clear_writes_the_token_and_not_the_users_row() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    // Both rows' last change set far back, to see which one a verify writes (timestamps have
    // whole seconds: the verify of enroll_enabled may share this one's second).
    let old = "2020-01-01T00:00:00Z";
    env.execute(&format!(
        "UPDATE mfa_user SET updated_at = '{old}' WHERE %USER% = 'alice'"
    ));
    env.execute(&format!("UPDATE mfa_token SET updated_at = '{old}'"));
    let user_row = |env: &TestEnv| env.query("SELECT * FROM mfa_user WHERE %USER% = 'alice'");
    let before = user_row(&env);
    assert_eq!(listed(&env, "alice")["updated_at"], old);

    // A fresh code (the next step, inside the window, newer than the one enroll_enabled used).
    let fresh = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    let (code, doc) = env.verify("alice", &fresh);
    assert_eq!((code, reason(&doc)), (0, "ok"), "{doc}");
    // No failures, lock or lockouts to clear: the user's own row is as it was, byte for byte.
    assert_eq!(user_row(&env), before);
    // The token's row took the code, and the user's last change is the token's.
    let token_updated = env.query_strings("SELECT updated_at FROM mfa_token");
    assert_ne!(token_updated, [old]);
    assert_eq!(listed(&env, "alice")["updated_at"], token_updated[0]);
}

#[test]
fn unlock_of_a_user_who_is_not_locked_changes_nothing() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let before = env.snapshot();
    let out = env
        .cmd()
        .args(["--json", "unlock", "alice"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["changed"], false);
    assert_eq!(env.snapshot(), before);
}
