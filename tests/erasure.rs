//! Issue 10, item 5: once `disable` or `rekey` returns, no copy of a removed ciphertext is left
//! in the SQLite store's files (database, write-ahead log, rollback journal), or the command
//! says plainly that it could not scrub it yet, and the next command that can, does.
//!
//! The danger is another connection (a backup, a long `list`) holding an older snapshot: the
//! write-ahead log cannot be emptied while it reads, and it holds the old pages. Tests about
//! SQLite files: skipped on PostgreSQL (which keeps old row versions until VACUUM, as the
//! README says).

mod common;

use common::*;
use rusqlite::Connection;
use serde_json::Value;

/// The raw bytes of the database and its WAL and journal files.
fn store_files(env: &TestEnv) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let mut p = env.db.clone().into_os_string();
            p.push(suffix);
            std::fs::read(&p)
                .ok()
                .map(|b| (format!("mfactl.db{suffix}"), b))
        })
        .collect()
}

/// The files that hold any 32-byte piece of `ciphertext` past its first 32 bytes (which are
/// `age-encryption.org/v1\n-> X25519 `, the same in every ciphertext).
fn files_holding(env: &TestEnv, ciphertext: &[u8]) -> Vec<String> {
    assert!(ciphertext.starts_with(b"age-encryption.org/v1\n-> X25519 "));
    store_files(env)
        .into_iter()
        .filter(|(_, bytes)| {
            ciphertext[32..]
                .chunks_exact(32)
                .any(|piece| bytes.windows(piece.len()).any(|w| w == piece))
        })
        .map(|(name, _)| name)
        .collect()
}

/// A connection that holds a read transaction (an old snapshot) until dropped, as a backup or
/// a long `list` would, on a store still in WAL mode (as an mfactl before issue 12 left it):
/// the only mode in which a commit can happen under an older snapshot. While this reader is
/// there, mfactl cannot convert the store to its rollback journal either, and works in WAL
/// mode. (With a rollback journal, a commit waits for readers to finish, and the truncation of
/// the journal at the commit removes the old pages.)
fn reader(env: &TestEnv) -> Connection {
    let conn = Connection::open(&env.db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("BEGIN").unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM mfa_token", [], |r| r.get(0))
        .unwrap();
    assert!(n >= 0);
    conn
}

/// The journal mode recorded in the database file's header: WAL (2) or a rollback journal (1).
fn wal_in_header(env: &TestEnv) -> bool {
    let bytes = std::fs::read(&env.db).unwrap();
    assert_eq!(bytes[18], bytes[19]);
    bytes[18] == 2
}

fn disable_json(env: &TestEnv, user: &str) -> (Value, String) {
    let out = env
        .cmd()
        .args(["--json", "disable", user, "--yes"])
        .assert()
        .success();
    let out = out.get_output();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn disable_with_an_idle_connection_open_leaves_no_copy_of_the_ciphertext() {
    if skip_on_pg("the SQLite write-ahead log") {
        return;
    }
    let env = TestEnv::initialised();
    // Another connection is open (not reading) the whole time: SQLite does not checkpoint on
    // close while it is there.
    let idle = Connection::open(&env.db).unwrap();
    env.enroll_enabled("u7");
    env.enroll_enabled("other");
    let blob = env.stored_secret("u7").unwrap();
    assert!(!files_holding(&env, &blob).is_empty(), "the test's oracle");

    let (doc, stderr) = disable_json(&env, "u7");
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["scrubbed"], true, "{doc}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(files_holding(&env, &blob), Vec::<String>::new());
    // The other user's secret is untouched.
    let other = env.stored_secret("other").unwrap();
    assert!(!files_holding(&env, &other).is_empty());
    drop(idle);
}

#[test]
fn disable_under_an_old_snapshot_says_so_and_the_next_command_scrubs() {
    if skip_on_pg("the SQLite write-ahead log") {
        return;
    }
    let env = TestEnv::initialised();
    // The case: a reader holds a snapshot from before the enrollment.
    let old = reader(&env);
    env.enroll_enabled("u7");
    let blob = env.stored_secret("u7").unwrap();

    let (doc, stderr) = disable_json(&env, "u7");
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["scrubbed"], false, "{doc}");
    assert!(stderr.contains("not yet scrubbed"), "{stderr}");
    assert!(stderr.contains("-wal"), "{stderr}");
    // The copy really is still there (the warning is not a formality).
    assert!(!files_holding(&env, &blob).is_empty());

    // While the reader stays, other commands cannot scrub either, and do not hang.
    let started = std::time::Instant::now();
    env.cmd().args(["--json", "list"]).assert().success();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    drop(old);
    // The next command (any; here a read-only list) scrubs it.
    let out = env.cmd().args(["--json", "list"]).assert().success();
    assert!(out.get_output().stderr.is_empty());
    assert_eq!(files_holding(&env, &blob), Vec::<String>::new());
    // ... and the marker is gone: no setting row remains, and `config get` never showed one.
    assert_eq!(
        env.query_i64("SELECT count(*) FROM setting WHERE key = 'scrub-pending'"),
        0
    );
}

#[test]
fn disable_under_an_old_snapshot_warns_a_person_on_stderr() {
    if skip_on_pg("the SQLite write-ahead log") {
        return;
    }
    let env = TestEnv::initialised();
    env.enroll_enabled("u7");
    let old = reader(&env);
    let out = env
        .cmd()
        .args(["disable", "u7", "--yes"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("not yet scrubbed"), "{stderr}");
    assert!(!stdout.contains("warning:"), "{stdout}");
    assert!(
        stdout.contains("not yet from the write-ahead log"),
        "{stdout}"
    );
    drop(old);
}

#[test]
fn rekey_scrubs_the_old_ciphertexts_or_says_it_could_not() {
    if skip_on_pg("the SQLite write-ahead log") {
        return;
    }
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    env.enroll("bob", &[]);
    let before: Vec<Vec<u8>> = env.stored_secrets().into_iter().map(|(_, b)| b).collect();
    let old = reader(&env);
    let new_id = env.dir.path().join("config").join("new-identity.txt");
    let out = env
        .cmd()
        .args(["--json", "rekey", "--yes", "--new-identity"])
        .arg(&new_id)
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["secrets"], 2);
    assert_eq!(doc["scrubbed"], false, "{doc}");
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("not yet scrubbed"));
    drop(old);

    env.cmd().args(["--json", "list"]).assert().success();
    for blob in &before {
        assert_eq!(files_holding(&env, blob), Vec::<String>::new());
    }

    // Without a reader, the rekey's own return is clean.
    let idle = Connection::open(&env.db).unwrap();
    let again: Vec<Vec<u8>> = env.stored_secrets().into_iter().map(|(_, b)| b).collect();
    let out = env
        .cmd()
        .env("MFACTL_IDENTITY", &new_id)
        .args(["--json", "rekey", "--yes", "--new-identity"])
        .arg(env.dir.path().join("config").join("third.txt"))
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["scrubbed"], true, "{doc}");
    for blob in &again {
        assert_eq!(files_holding(&env, blob), Vec::<String>::new());
    }
    drop(idle);
}

#[test]
fn a_store_left_in_wal_mode_is_converted_on_open_and_erases_through_its_journal() {
    if skip_on_pg("the SQLite journal") {
        return;
    }
    let env = TestEnv::initialised();
    env.enroll_enabled("u7");
    env.enroll_enabled("other");
    assert!(!wal_in_header(&env), "a new store uses a rollback journal");
    // As an earlier mfactl left it: WAL mode, the log checkpointed.
    drop(reader(&env));
    assert!(wal_in_header(&env));
    let blob = env.stored_secret("u7").unwrap();

    env.cmd().args(["--json", "list"]).assert().success();
    assert!(!wal_in_header(&env), "converted on open");
    let mut wal = env.db.clone().into_os_string();
    wal.push("-wal");
    assert!(!std::path::Path::new(&wal).exists(), "the log is removed");

    // An idle connection (no transaction) does not hold a commit back.
    let idle = Connection::open(&env.db).unwrap();
    let (doc, stderr) = disable_json(&env, "u7");
    assert_eq!(doc["scrubbed"], true, "{doc}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(files_holding(&env, &blob), Vec::<String>::new());
    // The journal is emptied by the commit, and no scrub marker was needed.
    let mut journal = env.db.clone().into_os_string();
    journal.push("-journal");
    assert_eq!(std::fs::metadata(&journal).map_or(0, |m| m.len()), 0);
    assert_eq!(
        env.query_i64("SELECT count(*) FROM setting WHERE key = 'scrub-pending'"),
        0
    );
    assert!(!files_holding(&env, &env.stored_secret("other").unwrap()).is_empty());
    drop(idle);
}

/// copy-store takes the settings along but not a scrub the source still owes: that marker is
/// the source file's business (the copy's files never held the old ciphertext).
#[test]
fn copy_store_leaves_a_pending_scrub_behind_and_copies_the_settings() {
    if skip_on_pg("the SQLite write-ahead log") {
        return;
    }
    let env = TestEnv::initialised();
    env.cmd()
        .args(["config", "set", "max-failures", "7"])
        .assert()
        .success();
    let old = reader(&env);
    env.enroll_enabled("u7");
    let (doc, _) = disable_json(&env, "u7");
    assert_eq!(doc["scrubbed"], false, "{doc}");
    let settings = |db: &std::path::Path| -> Vec<(String, String)> {
        let conn = Connection::open(db).unwrap();
        let mut stmt = conn
            .prepare("SELECT key, value FROM setting ORDER BY key")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };

    let copy = env.dir.path().join("copy.db");
    env.cmd()
        .args(["copy-store", "--to"])
        .arg(&copy)
        .assert()
        .success();
    // The source still owes its scrub (the reader is still there) ...
    let source = settings(&env.db);
    assert!(
        source.iter().any(|(k, _)| k == "scrub-pending"),
        "{source:?}"
    );
    // ... and the copy has every other setting, and not that one.
    let mut expected = source;
    expected.retain(|(k, _)| k != "scrub-pending");
    assert!(expected.contains(&("max-failures".to_owned(), "7".to_owned())));
    assert_eq!(settings(&copy), expected);
    drop(old);
}
