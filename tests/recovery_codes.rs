//! One-time recovery codes: issued to enabled users only, shown once, stored only as hashes,
//! each accepted once, wrong ones counted toward the lockout, erased by disable, voided by a
//! new set.

mod common;

use common::*;
use serde_json::Value;

fn issue(env: &TestEnv, user: &str, count: Option<u32>) -> Vec<String> {
    let mut cmd = env.cmd();
    cmd.args(["--json", "recovery-codes", user]);
    if let Some(n) = count {
        cmd.args(["--count", &n.to_string()]);
    }
    let out = cmd.assert().success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["user"], user);
    doc["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// `verify --recovery` with the code on stdin: (exit code, reason).
fn use_code(env: &TestEnv, user: &str, code: &str) -> (i32, String) {
    let out = env
        .cmd()
        .args(["--json", "verify", user, "--recovery"])
        .write_stdin(format!("{code}\n"))
        .output()
        .unwrap();
    let status = out.status.code().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "verify --recovery printed no JSON (exit {status}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        status,
        doc["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

fn list_entry(env: &TestEnv, user: &str) -> Value {
    let out = env.cmd().args(["--json", "list"]).assert().success();
    let all: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == user)
        .unwrap_or_else(|| panic!("{user} not listed"))
        .clone()
}

fn codes_left(env: &TestEnv, user: &str) -> u64 {
    list_entry(env, user)["recovery_codes_left"]
        .as_u64()
        .unwrap()
}

/// Rows in the recovery_code table for `user`, read directly.
fn stored_rows(env: &TestEnv, user: &str) -> i64 {
    env.query_i64(&format!(
        "SELECT count(*) FROM recovery_code r JOIN mfa_user m ON r.user_id = m.id \
         WHERE m.%USER% = '{user}'"
    ))
}

/// The raw bytes of the store and its WAL/SHM files (nothing on PostgreSQL, where the
/// snapshot of every table is the check).
fn store_bytes(env: &TestEnv) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = env.db.clone().into_os_string();
        p.push(suffix);
        if let Ok(b) = std::fs::read(&p) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn codes_are_printed_once_and_stored_only_as_hashes() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");

    // Human output: the codes are printed, in the documented xxxx-xxxx-xxxx-xxxx-xxxx form.
    let out = env
        .cmd()
        .args(["recovery-codes", "alice", "--count", "4"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let human: Vec<String> = text
        .split_whitespace()
        .filter(|w| {
            w.len() == 24
                && w.split('-').count() == 5
                && w.split('-').all(|g| {
                    g.len() == 4
                        && g.bytes()
                            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
                })
        })
        .map(str::to_owned)
        .collect();
    assert_eq!(human.len(), 4, "{text}");

    // A new set via --json: 10 by default, distinct.
    let codes = issue(&env, "alice", None);
    assert_eq!(codes.len(), 10);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    assert_eq!(stored_rows(&env, "alice"), 10);
    assert_eq!(codes_left(&env, "alice"), 10);

    // No code text anywhere in the store's files, nor in any table, nor in list/log output.
    let bytes = store_bytes(&env);
    let snap = env.snapshot();
    let list = env.cmd().args(["--json", "list"]).output().unwrap().stdout;
    let log = env.cmd().args(["--json", "log"]).output().unwrap().stdout;
    for c in codes.iter().chain(&human) {
        let bare = c.replace('-', "");
        for form in [
            c.clone(),
            bare.clone(),
            bare.to_uppercase(),
            c.to_uppercase(),
        ] {
            assert!(!contains(&bytes, &form), "store file holds {form}");
            assert!(!snap.contains(&form), "a table holds {form}");
            assert!(!contains(&list, &form), "list shows {form}");
            assert!(!contains(&log, &form), "log shows {form}");
        }
    }
    // Each stored value is a version byte, a salt and a digest, never text.
    // (`unhex_bytea` refuses a value that is not a blob / BYTEA.)
    let hashes: Vec<Vec<u8>> = env
        .query_strings("SELECT code_hash FROM recovery_code")
        .iter()
        .map(|h| unhex_bytea(h))
        .collect();
    assert_eq!(hashes.len(), 10);
    assert!(hashes.iter().all(|h| h.len() == 49 && h[0] == 2));
}

/// SHA-256 of `parts`, concatenated: the oracle for the stored values.
fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// Issue 10, item 2: a stolen store must not let one hash evaluation test every stored code.
/// Codes carry 100 random bits, and each stored value has a salt of its own.
#[test]
fn codes_are_long_and_each_stored_hash_has_its_own_salt() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    env.enroll_enabled("bob");
    let mut codes = issue(&env, "alice", Some(50));
    codes.extend(issue(&env, "bob", Some(50)));
    for c in &codes {
        let bare = c.replace('-', "").to_uppercase();
        assert_eq!(bare.len(), 20, "{c}: 20 base32 characters, 100 bits");
        assert!(bare
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
    }
    let stored: Vec<Vec<u8>> = env
        .query_strings("SELECT code_hash FROM recovery_code")
        .iter()
        .map(|h| unhex_bytea(h))
        .collect();
    assert_eq!(stored.len(), 100);
    // Every salt differs: no two stored values share the work of one guess.
    let mut salts: Vec<&[u8]> = stored.iter().map(|h| &h[1..17]).collect();
    salts.sort();
    salts.dedup();
    assert_eq!(salts.len(), 100);
    // Each code's stored value is SHA-256(domain, salt, code), recomputed here independently;
    // an unsalted SHA-256 of the code is stored nowhere.
    for c in &codes {
        let bare = c.replace('-', "").to_uppercase();
        let unsalted = sha256(&[bare.as_bytes()]);
        assert!(!stored.iter().any(|h| h.ends_with(&unsalted)));
        let found = stored.iter().filter(|h| {
            h[0] == 2
                && h[17..] == sha256(&[b"mfactl recovery code v2\0", &h[1..17], bare.as_bytes()])
        });
        assert_eq!(found.count(), 1, "{c}");
    }
    assert_eq!(use_code(&env, "bob", &codes[60]), (0, "ok".into()));
    assert_eq!(use_code(&env, "alice", &codes[60]).0, 1);
}

/// Codes stored before the salted scheme (60 bits, unsalted SHA-256) keep working until used
/// or replaced, and `list` flags their users.
#[test]
fn legacy_codes_keep_working_and_are_flagged_until_replaced() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    env.enroll_enabled("bob");
    issue(&env, "bob", Some(2));
    // Alice's codes as an older mfactl stored them.
    let legacy = ["abcd-efgh-ijkl", "mnop-qrst-uvwx"];
    for code in legacy {
        let hash = sha256(&[code.replace('-', "").to_uppercase().as_bytes()]);
        let lit = env.direct().blob_literal(&hash);
        env.execute(&format!(
            "INSERT INTO recovery_code (user_id, code_hash, created_at) \
             SELECT id, {lit}, '2026-01-01T00:00:00Z' FROM mfa_user WHERE %USER% = 'alice'"
        ));
    }
    assert_eq!(list_entry(&env, "alice")["recovery_codes_legacy"], true);
    assert_eq!(list_entry(&env, "bob")["recovery_codes_legacy"], false);
    let human = env.cmd().arg("list").assert().success();
    let text = String::from_utf8_lossy(&human.get_output().stdout).into_owned();
    let alice_line = text.lines().find(|l| l.contains("alice")).unwrap();
    assert!(alice_line.contains("2 (legacy)"), "{text}");
    assert!(!text
        .lines()
        .find(|l| l.contains("bob"))
        .unwrap()
        .contains("legacy"));
    // The footnote goes to stderr when piped, to keep stdout a table for cut and awk.
    let note = String::from_utf8_lossy(&human.get_output().stderr).into_owned();
    assert!(note.contains("mfactl recovery-codes"), "{note}");

    // Typed loosely, a legacy code works once.
    assert_eq!(use_code(&env, "alice", "ABCD EFGH IJKL"), (0, "ok".into()));
    assert_eq!(use_code(&env, "alice", legacy[0]), (1, "invalid".into()));
    assert_eq!(list_entry(&env, "alice")["recovery_codes_legacy"], true);
    // A new set replaces the legacy one: the flag goes, the old code is void.
    let fresh = issue(&env, "alice", Some(1));
    assert_eq!(list_entry(&env, "alice")["recovery_codes_legacy"], false);
    assert_eq!(use_code(&env, "alice", legacy[1]), (1, "invalid".into()));
    assert_eq!(use_code(&env, "alice", &fresh[0]), (0, "ok".into()));
}

#[test]
fn each_code_works_exactly_once() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let codes = issue(&env, "alice", Some(3));
    assert_eq!(codes_left(&env, "alice"), 3);

    assert_eq!(use_code(&env, "alice", &codes[1]), (0, "ok".into()));
    assert_eq!(codes_left(&env, "alice"), 2);
    assert_eq!(use_code(&env, "alice", &codes[1]), (1, "invalid".into()));
    assert_eq!(codes_left(&env, "alice"), 2);

    // Typed loosely (upper case, spaces instead of dashes) it is the same code.
    let loose = codes[2].to_uppercase().replace('-', " ");
    assert_eq!(use_code(&env, "alice", &loose), (0, "ok".into()));
    assert_eq!(use_code(&env, "alice", &codes[2]), (1, "invalid".into()));
    assert_eq!(codes_left(&env, "alice"), 1);

    // The exit status alone, without --json.
    env.cmd()
        .args(["verify", "alice", "--recovery"])
        .write_stdin(format!("{}\n", codes[0]))
        .assert()
        .code(0);
    env.cmd()
        .args(["verify", "alice", "--recovery"])
        .write_stdin(format!("{}\n", codes[0]))
        .assert()
        .code(1);
    assert_eq!(codes_left(&env, "alice"), 0);

    // Another user's code is not this user's.
    env.enroll_enabled("bob");
    let bobs = issue(&env, "bob", Some(1));
    assert_eq!(use_code(&env, "alice", &bobs[0]).0, 1);
    assert_eq!(use_code(&env, "bob", &bobs[0]), (0, "ok".into()));
}

#[test]
fn wrong_recovery_codes_count_toward_the_lockout() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    env.cmd()
        .args(["config", "set", "max-failures", "3"])
        .assert()
        .success();
    let codes = issue(&env, "alice", Some(2));

    // One wrong TOTP code and two wrong recovery codes share the same counter.
    env.cmd()
        .args(["verify", "alice"])
        .write_stdin(format!("{}\n", wrong_code(&secret)))
        .assert()
        .code(1);
    assert_eq!(
        use_code(&env, "alice", "aaaa-bbbb-cccc"),
        (1, "invalid".into())
    );
    assert_eq!(list_entry(&env, "alice")["failures"], 2);
    assert_eq!(list_entry(&env, "alice")["locked"], false);
    assert_eq!(
        use_code(&env, "alice", "2345-6723-4567"),
        (1, "invalid".into())
    );
    let entry = list_entry(&env, "alice");
    assert_eq!(entry["locked"], true, "{entry}");
    assert_eq!(entry["failures"], 3);

    // Locked: even a valid code is refused, and is not used up.
    assert_eq!(use_code(&env, "alice", &codes[0]), (1, "locked".into()));
    assert_eq!(codes_left(&env, "alice"), 2);

    env.cmd().args(["unlock", "alice"]).assert().success();
    assert_eq!(use_code(&env, "alice", &codes[0]), (0, "ok".into()));
    // A success resets the failure count.
    assert_eq!(list_entry(&env, "alice")["failures"], 0);

    // Malformed input is an error (exit 2), not a guess: no failure counted, nothing changed.
    let before = env.snapshot();
    env.cmd()
        .args(["verify", "alice", "--recovery"])
        .write_stdin("not-a-code\n")
        .assert()
        .code(2);
    assert_eq!(list_entry(&env, "alice")["failures"], 0);
    assert_eq!(
        env.snapshot(),
        before,
        "a malformed recovery code changed the store"
    );
}

#[test]
fn only_enabled_users_get_codes() {
    let env = TestEnv::initialised();
    env.enroll("pending-user", &[]);
    env.enroll_enabled("gone");
    env.cmd()
        .args(["disable", "gone", "--yes"])
        .assert()
        .success();
    let before = env.snapshot();
    for user in ["pending-user", "gone", "nobody"] {
        let out = env
            .cmd()
            .args(["--json", "recovery-codes", user])
            .assert()
            .code(2);
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let kind = doc["error"]["kind"].as_str().unwrap();
        let want = if user == "nobody" {
            "unknown_user"
        } else {
            "invalid_state"
        };
        assert_eq!(kind, want, "{user}");
    }
    env.enroll_enabled("alice");
    let before_counts = env.snapshot();
    for n in ["0", "101"] {
        env.cmd()
            .args(["recovery-codes", "alice", "--count", n])
            .assert()
            .code(2);
    }
    assert_eq!(env.snapshot(), before_counts);
    assert!(before.len() < before_counts.len());
    assert_eq!(issue(&env, "alice", Some(100)).len(), 100);
}

#[test]
fn disable_erases_codes_and_a_new_set_voids_the_old() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let old = issue(&env, "alice", Some(5));
    let new = issue(&env, "alice", Some(2));
    assert_eq!(stored_rows(&env, "alice"), 2);
    assert_eq!(codes_left(&env, "alice"), 2);
    for c in &old {
        assert_eq!(use_code(&env, "alice", c), (1, "invalid".into()), "old {c}");
    }
    env.cmd().args(["unlock", "alice"]).assert().success();
    assert_eq!(use_code(&env, "alice", &new[0]), (0, "ok".into()));

    env.cmd()
        .args(["disable", "alice", "--yes"])
        .assert()
        .success();
    assert_eq!(stored_rows(&env, "alice"), 0);
    assert_eq!(codes_left(&env, "alice"), 0);
    assert_eq!(use_code(&env, "alice", &new[1]), (1, "disabled".into()));

    // Enrolled again, the user starts with no codes: the erased ones do not come back.
    env.enroll_enabled("alice");
    assert_eq!(codes_left(&env, "alice"), 0);
    assert_eq!(use_code(&env, "alice", &new[1]), (1, "invalid".into()));
}

/// `list` reads every user's unused codes in one scan of the codes and joins them to the users
/// by id: each user gets their own count, as the table itself says and as `show` (one user's
/// read) says.
#[test]
fn list_counts_each_users_own_unused_codes() {
    let env = TestEnv::initialised();
    for user in ["alice", "bob", "carol", "dave"] {
        env.enroll_enabled(user);
    }
    let alice = issue(&env, "alice", Some(3));
    issue(&env, "bob", Some(5));
    let dave = issue(&env, "dave", Some(2));
    assert_eq!(use_code(&env, "alice", &alice[0]), (0, "ok".into()));
    assert_eq!(use_code(&env, "dave", &dave[1]), (0, "ok".into()));

    let out = env.cmd().args(["--json", "list"]).assert().success();
    let listed: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let listed: Vec<(String, u64)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let name = u["user"].as_str().unwrap().to_owned();
            (name, u["recovery_codes_left"].as_u64().unwrap())
        })
        .collect();
    for (user, left) in &listed {
        let unused = env.query_i64(&format!(
            "SELECT count(*) FROM recovery_code r JOIN mfa_user m ON r.user_id = m.id \
             WHERE m.%USER% = '{user}' AND r.used_at IS NULL"
        ));
        assert_eq!(*left, unused as u64, "{user}");
        let shown = env.cmd().args(["--json", "show", user]).assert().success();
        let shown: Value = serde_json::from_slice(&shown.get_output().stdout).unwrap();
        assert_eq!(shown["recovery_codes_left"], *left, "{user}");
    }
    let names_and_counts: Vec<(&str, u64)> = listed.iter().map(|(u, n)| (u.as_str(), *n)).collect();
    assert_eq!(
        names_and_counts,
        [("alice", 2), ("bob", 5), ("carol", 0), ("dave", 1)]
    );
}
