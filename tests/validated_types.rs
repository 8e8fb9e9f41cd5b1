//! Issue 17, bug 6: a store kept busy past the busy timeout is a clear "store is busy" error.
//! (The validated types themselves are pinned by `compile_fail` doc tests on `TotpParams`,
//! `Settings` and `Code`: `cargo test --doc`.)

mod common;

use std::process::Stdio;

use common::*;

#[test]
fn sqlite_busy_after_the_timeout_is_a_clear_store_busy_error() {
    if skip_on_pg("SQLite's busy timeout") {
        return;
    }
    let env = TestEnv::initialised();
    env.enroll("ann", &[]);
    // Another writer holds the store's write lock for longer than mfactl waits (10 s).
    let holder = rusqlite::Connection::open(&env.db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let out = env
        .std_cmd()
        .args(["--json", "disable", "ann", "--yes"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON error ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(doc["error"]["kind"], "store_busy", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("is busy"), "{message}");
    // Nothing changed: the user is still pending.
    assert_eq!(env.list(&[])[0]["status"], "pending");
}
