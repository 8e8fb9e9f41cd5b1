//! The audit log's hash chain: `log --verify` and `log --head` against a log tampered with
//! directly (SQLite or PostgreSQL SQL). The chain is recomputed here from the encoding the
//! README documents (with the sha2 crate, not mfactl's code), as an independent oracle.

mod common;

use common::*;
use common::{audit_rows as rows, AuditRow as Row};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn hash_row(prev: &[u8; 32], r: &Row) -> [u8; 32] {
    fn text(m: &mut Vec<u8>, s: &str) {
        m.extend_from_slice(&(s.len() as u32).to_be_bytes());
        m.extend_from_slice(s.as_bytes());
    }
    let mut m = b"mfactl-audit-chain-v1\0".to_vec();
    m.extend_from_slice(prev);
    m.extend_from_slice(&r.id.to_be_bytes());
    text(&mut m, &r.at);
    text(&mut m, &r.event);
    match &r.user {
        None => m.push(0),
        Some(u) => {
            m.push(1);
            text(&mut m, u);
        }
    }
    text(&mut m, &r.actor);
    text(&mut m, &r.details);
    Sha256::digest(&m).into()
}

fn hex(h: &[u8; 32]) -> String {
    data_encoding::HEXLOWER.encode(h)
}

/// The hashes the rows should carry, recomputed from their content.
fn recomputed(rows: &[Row]) -> Vec<String> {
    let mut prev = [0u8; 32];
    rows.iter()
        .map(|r| {
            prev = hash_row(&prev, r);
            hex(&prev)
        })
        .collect()
}

/// A store with a few events of different kinds (users, none, details with JSON).
fn busy_store() -> TestEnv {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    env.enroll("bob", &[]);
    env.verify("bob", "000000");
    env.cmd()
        .args(["config", "set", "skew", "0"])
        .assert()
        .success();
    env.cmd()
        .args(["disable", "alice", "--yes", "--reason", "lost phone"])
        .assert()
        .success();
    env
}

/// `log --verify` (with `extra`): exit code, stdout.
fn verify(env: &TestEnv, extra: &[&str]) -> (i32, String) {
    let out = env
        .cmd()
        .args(["log", "--verify"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn verify_json(env: &TestEnv, extra: &[&str]) -> (i32, Value) {
    let out = env
        .cmd()
        .args(["--json", "log", "--verify"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).expect("log --verify --json prints JSON"),
    )
}

fn head(env: &TestEnv) -> String {
    let out = env.cmd().args(["log", "--head"]).assert().success();
    String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn every_row_carries_the_documented_hash_and_verify_prints_the_head() {
    let env = busy_store();
    let rows = rows(&env);
    assert!(rows.len() >= 7, "{rows:?}");
    let stored: Vec<String> = rows.iter().map(|r| r.hash.clone().unwrap()).collect();
    assert_eq!(stored, recomputed(&rows));
    let last = rows.last().unwrap();
    let expected_head = format!("{}:{}", last.id, last.hash.as_deref().unwrap());
    assert_eq!(head(&env), expected_head);
    let (code, out) = verify(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), expected_head);
    let (code, doc) = verify_json(&env, &["--anchor", &expected_head]);
    assert_eq!(code, 0);
    assert_eq!(doc["intact"], true);
    assert_eq!(doc["rows"], rows.len() as u64);
    assert_eq!(doc["head"]["id"], last.id);
    assert_eq!(doc["broken"], Value::Null);
    // --head --json
    let out = env
        .cmd()
        .args(["--json", "log", "--head"])
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["id"], last.id);
    assert_eq!(doc["hash"], last.hash.as_deref().unwrap());
}

#[test]
fn an_edited_detail_is_named() {
    let env = busy_store();
    let target = rows(&env)[3].id;
    env.execute(&format!(
        "UPDATE audit_log SET details = '{{\"reason\":\"nothing to see\"}}' WHERE id = {target}"
    ));
    let (code, out) = verify(&env, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("row {target} ")), "{out}");
    let (code, doc) = verify_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["intact"], false);
    assert_eq!(doc["broken"]["kind"], "mismatch");
    assert_eq!(doc["broken"]["id"], target);
}

#[test]
fn an_edited_actor_time_or_user_is_detected() {
    for (column, value) in [
        ("actor", "'someone-else'"),
        ("at", "'2020-01-01T00:00:00Z'"),
    ] {
        let env = busy_store();
        let target = rows(&env)[2].id;
        env.execute(&format!(
            "UPDATE audit_log SET {column} = {value} WHERE id = {target}"
        ));
        let (code, doc) = verify_json(&env, &[]);
        assert_eq!((code, &doc["broken"]["id"]), (1, &Value::from(target)));
    }
    let env = busy_store();
    let target = rows(&env).iter().find(|r| r.user.is_some()).unwrap().id;
    env.execute(&format!(
        "UPDATE audit_log SET %USER% = NULL WHERE id = {target}"
    ));
    let (code, doc) = verify_json(&env, &[]);
    assert_eq!((code, &doc["broken"]["id"]), (1, &Value::from(target)));
}

#[test]
fn a_deleted_middle_row_is_named_by_the_row_after_it() {
    let env = busy_store();
    let rows = rows(&env);
    let (gone, next) = (rows[2].id, rows[3].id);
    env.execute(&format!("DELETE FROM audit_log WHERE id = {gone}"));
    let (code, doc) = verify_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["broken"]["id"], next);
    let message = doc["broken"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("ids {gone} to {gone} are absent")),
        "{message}"
    );
}

#[test]
fn reordered_and_inserted_rows_are_detected() {
    // Two rows swap their content (ids stay in order).
    let env = busy_store();
    let rows = rows(&env);
    let (a, b) = (&rows[2], &rows[3]);
    env.execute(&format!("UPDATE audit_log SET id = -1 WHERE id = {}", a.id));
    env.execute(&format!(
        "UPDATE audit_log SET id = {} WHERE id = {}",
        a.id, b.id
    ));
    env.execute(&format!("UPDATE audit_log SET id = {} WHERE id = -1", b.id));
    let (code, doc) = verify_json(&env, &[]);
    assert_eq!((code, &doc["broken"]["id"]), (1, &Value::from(a.id)));

    // A forged row slipped in at the end, with a made-up hash.
    let env = busy_store();
    let last = rows.last().unwrap().id;
    env.execute(&format!(
        "INSERT INTO audit_log (id, at, event, actor, details, hash) VALUES \
         ({}, '2026-01-01T00:00:00Z', 'unlock', 'mallory', '{{}}', '{}')",
        last + 1,
        "ab".repeat(32)
    ));
    let (code, doc) = verify_json(&env, &[]);
    assert_eq!((code, &doc["broken"]["id"]), (1, &Value::from(last + 1)));
}

#[test]
fn deleting_the_newest_rows_is_caught_by_the_anchor() {
    let env = busy_store();
    let anchor = head(&env);
    let rows = rows(&env);
    let keep = rows[rows.len() - 3].id;
    env.execute(&format!("DELETE FROM audit_log WHERE id > {keep}"));
    // What is left is a valid chain on its own: only the kept head can tell.
    assert_eq!(verify(&env, &[]).0, 0);
    let (code, doc) = verify_json(&env, &["--anchor", &anchor]);
    assert_eq!(code, 1);
    assert_eq!(doc["broken"]["kind"], "anchor-missing");
    let anchor_id: i64 = anchor.split(':').next().unwrap().parse().unwrap();
    assert_eq!(doc["broken"]["id"], anchor_id);
    let (code, out) = verify(&env, &["--anchor", &anchor]);
    assert_eq!(code, 1);
    assert!(out.contains("truncated"), "{out}");
}

#[test]
fn a_chain_recomputed_from_a_forged_row_is_caught_only_by_the_anchor() {
    let env = busy_store();
    let anchor = head(&env);
    // New activity after the anchor was kept: the anchor is not the head any more.
    env.cmd().args(["unlock", "bob"]).assert().success();
    let mut forged = rows(&env);
    let target = 2;
    forged[target].details = r#"{"reason":"forged"}"#.into();
    env.execute(&format!(
        "UPDATE audit_log SET details = '{}' WHERE id = {}",
        forged[target].details, forged[target].id
    ));
    for (r, h) in forged.iter().zip(recomputed(&forged)).skip(target) {
        env.execute(&format!(
            "UPDATE audit_log SET hash = '{h}' WHERE id = {}",
            r.id
        ));
    }
    assert_eq!(
        verify(&env, &[]).0,
        0,
        "a consistent forgery verifies alone"
    );
    let (code, doc) = verify_json(&env, &["--anchor", &anchor]);
    assert_eq!(code, 1);
    assert_eq!(doc["broken"]["kind"], "anchor-mismatch");
    // An anchor from before the forged row still verifies: it is older than the change.
    let early = &rows(&env)[1];
    let early_anchor = format!("{}:{}", early.id, early.hash.as_deref().unwrap());
    assert_eq!(verify(&env, &["--anchor", &early_anchor]).0, 0);
}

#[test]
fn a_malformed_anchor_is_a_usage_error() {
    let env = TestEnv::initialised();
    for bad in ["", "12", "x:00", "3:abc"] {
        env.cmd()
            .args(["log", "--verify", "--anchor", bad])
            .assert()
            .code(2);
    }
    env.cmd().args(["log", "--anchor", "1:00"]).assert().code(2);
}

#[test]
fn the_migration_chains_existing_rows_once() {
    let env = busy_store();
    let before = rows(&env);
    // The store as schema version 1 left it: no hash column (nor the later enrolled_at,
    // locked_until, lockouts and drift).
    let later = "ALTER TABLE mfa_secret DROP COLUMN enrolled_at; \
                 ALTER TABLE mfa_secret DROP COLUMN locked_until; \
                 ALTER TABLE mfa_secret DROP COLUMN lockouts; \
                 ALTER TABLE mfa_secret DROP COLUMN drift;";
    env.direct().execute_sql(
        &format!("ALTER TABLE audit_log DROP COLUMN hash; {later} PRAGMA user_version = 1;"),
        &format!(
            "ALTER TABLE audit_log DROP COLUMN hash; {later} \
             UPDATE mfactl_meta SET value = '1' WHERE key = 'schema_version';"
        ),
    );
    let (code, out) = verify(&env, &[]);
    assert_eq!(code, 0, "{out}");
    let after = rows(&env);
    assert_eq!(after.len(), before.len());
    let stored: Vec<String> = after.iter().map(|r| r.hash.clone().unwrap()).collect();
    assert_eq!(stored, recomputed(&after));
    assert_eq!(stored, recomputed(&before));
}

#[test]
fn concurrent_writers_do_not_fork_the_chain() {
    let env = TestEnv::initialised();
    let users: Vec<String> = (0..6).map(|i| format!("user{i}")).collect();
    for u in &users {
        env.enroll(u, &[]);
    }
    // Per-user writers (wrong codes) run in parallel on PostgreSQL under the shared lock.
    let children: Vec<_> = users
        .iter()
        .flat_map(|u| std::iter::repeat_n(u, 3))
        .map(|u| {
            let mut c = env.std_cmd();
            c.args(["verify", "--quiet", u])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            let mut child = c.spawn().unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"000000\n").unwrap();
            child
        })
        .collect();
    for mut c in children {
        c.wait().unwrap();
    }
    let rows = rows(&env);
    assert!(rows.iter().filter(|r| r.event == "verify-rejected").count() >= 18);
    let stored: Vec<String> = rows.iter().map(|r| r.hash.clone().unwrap()).collect();
    assert_eq!(stored, recomputed(&rows));
    assert_eq!(verify(&env, &[]).0, 0);
}

#[test]
fn copy_store_carries_the_chain_on() {
    let env = busy_store();
    let anchor = head(&env);
    let target = env.dir.path().join("copy.db");
    env.cmd()
        .args(["copy-store", "--to", target.to_str().unwrap()])
        .assert()
        .success();
    let out = env
        .cmd()
        .env("MFACTL_DB", &target)
        .args(["--json", "log", "--verify", "--anchor", &anchor])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let anchor_id: i64 = anchor.split(':').next().unwrap().parse().unwrap();
    assert_eq!(
        doc["head"]["id"],
        anchor_id + 1,
        "the copy-store row chains on"
    );
}
