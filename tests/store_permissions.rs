//! Issue 10, item 8: ownership and permissions of a SQLite store. mfactl warns on stderr (as
//! ssh does for keys) when the store file or its directory is writable by group or others, or
//! owned by another user who is not root, and refuses to create a store in a world-writable
//! directory without the sticky bit. A URL has no file: skipped on PostgreSQL.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use common::*;
use serde_json::Value;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `mfactl list` and `mfactl --json list`: (stdout, stderr) of each, both successful.
fn list_both(env: &TestEnv) -> [(String, String); 2] {
    let run = |json: bool| {
        let mut cmd = env.cmd();
        if json {
            cmd.arg("--json");
        }
        let out = cmd.arg("list").assert().success();
        let out = out.get_output();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let json = run(true);
    serde_json::from_str::<Value>(&json.0).expect("stdout is still one JSON document");
    [run(false), json]
}

#[test]
fn a_private_store_gets_no_warning() {
    if skip_on_pg("file permissions") {
        return;
    }
    let env = TestEnv::initialised();
    for (_, stderr) in list_both(&env) {
        assert!(stderr.is_empty(), "{stderr}");
    }
}

#[test]
fn a_store_file_writable_by_group_or_others_is_warned_about() {
    if skip_on_pg("file permissions") {
        return;
    }
    let env = TestEnv::initialised();
    for (mode, who) in [(0o660, "its group"), (0o606, "others")] {
        chmod(&env.db, mode);
        for (stdout, stderr) in list_both(&env) {
            assert!(stderr.contains("warning:"), "{stderr}");
            assert!(stderr.contains(&format!("store file {}", env.db.display())));
            assert!(stderr.contains(&format!("writable by {who}")), "{stderr}");
            assert!(stderr.contains("chmod 600"), "{stderr}");
            assert!(!stdout.contains("warning"), "{stdout}");
        }
    }
    chmod(&env.db, 0o600);
    for (_, stderr) in list_both(&env) {
        assert!(stderr.is_empty(), "{stderr}");
    }
}

#[test]
fn a_store_directory_writable_by_others_is_warned_about() {
    if skip_on_pg("file permissions") {
        return;
    }
    let env = TestEnv::initialised();
    let dir = env.db.parent().unwrap();
    chmod(dir, 0o777);
    for (_, stderr) in list_both(&env) {
        assert!(
            stderr.contains(&format!("store directory {}", dir.display())),
            "{stderr}"
        );
        assert!(stderr.contains("chmod go-w"), "{stderr}");
    }
    chmod(dir, 0o700);
}

#[test]
fn a_store_owned_by_another_user_is_warned_about() {
    if skip_on_pg("file ownership") {
        return;
    }
    let env = TestEnv::initialised();
    // Only root can give a file away (CI runs the tests as root).
    if std::os::unix::fs::chown(&env.db, Some(65534), None).is_err() {
        eprintln!("skipped: not root, cannot chown the store to nobody");
        return;
    }
    for (_, stderr) in list_both(&env) {
        assert!(
            stderr.contains("is owned by another user (uid 65534)"),
            "{stderr}"
        );
    }
    // Owned by root (as the store of a root-run service is) is not another user.
    std::os::unix::fs::chown(&env.db, Some(0), None).unwrap();
    assert_eq!(std::fs::metadata(&env.db).unwrap().uid(), 0);
    for (_, stderr) in list_both(&env) {
        assert!(stderr.is_empty(), "{stderr}");
    }
}

#[test]
fn no_store_is_created_in_a_world_writable_directory_without_the_sticky_bit() {
    if skip_on_pg("file permissions") {
        return;
    }
    let env = TestEnv::new();
    let dir = env.db.parent().unwrap().to_owned();
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o777);
    for args in [&["--json", "init"][..], &["--json", "enroll", "alice"][..]] {
        let out = env.cmd().args(args).assert().code(2);
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(doc["error"]["kind"], "unsafe_location", "{doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(message.contains("no sticky bit"), "{message}");
        assert!(doc["error"]["hint"].as_str().unwrap().contains("chmod"));
        assert!(!env.db.exists());
        // Nothing was made for the store that was not created.
        assert!(!env.identity.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }
    // Human form: an error and a hint on stderr.
    let out = env.cmd().arg("init").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("error:") && stderr.contains("hint:"),
        "{stderr}"
    );

    // With the sticky bit (like /tmp) it is created, with a warning about the directory.
    chmod(&dir, 0o1777);
    let out = env.cmd().arg("init").assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!("store directory {}", dir.display())),
        "{stderr}"
    );
    assert!(env.db.exists());
    chmod(&dir, 0o700);
}
