//! Errors say what is wrong once, in words: no message repeated inside itself, no bare
//! SQLite error codes.

mod common;

use std::fs;
use std::process::Output;

use common::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_passphrase_protected_identity_without_a_passphrase_is_said_once() {
    use age::secrecy::{ExposeSecret, SecretString};
    let env = TestEnv::new();
    let key = age::x25519::Identity::generate();
    env.cmd()
        .args(["init", "-r", &key.to_public().to_string()])
        .assert()
        .success();
    env.enroll("bob", &[]);
    let mut r = age::scrypt::Recipient::new(SecretString::from("hunter2".to_string()));
    r.set_work_factor(10);
    let enc = age::encrypt(
        &r,
        format!("{}\n", key.to_string().expose_secret()).as_bytes(),
    )
    .unwrap();
    fs::create_dir_all(env.identity.parent().unwrap()).unwrap();
    fs::write(&env.identity, enc).unwrap();
    fs::set_permissions(
        &env.identity,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let out = env.cmd().args(["show-qr", "bob"]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let first = err.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "error: identity {}: is passphrase-protected; set MFACTL_PASSPHRASE or run on a terminal",
            env.identity.display()
        )
    );
}

/// `mfactl ARGS` with writes beyond one 512-byte block failing as on a full disk (EFBIG, with
/// SIGXFSZ ignored so the write returns an error rather than killing the process).
fn with_a_full_disk(env: &TestEnv, args: &str) -> Output {
    std::process::Command::new("sh")
        .env_clear()
        .envs(env.env_vars())
        .current_dir(env.dir.path())
        .args([
            "-c",
            &format!("trap '' XFSZ; ulimit -f 1; exec \"$0\" {args}"),
        ])
        .arg(assert_cmd::cargo::cargo_bin("mfactl"))
        .output()
        .unwrap()
}

#[test]
fn a_full_disk_is_called_that_once() {
    if skip_on_pg("the file system under a SQLite store") {
        return;
    }
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let out = with_a_full_disk(&env, "enroll --no-qr bob");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("disk I/O error").count(), 0, "{err}");
    assert!(err.contains("the disk is full"), "{err}");
    assert!(err.contains(&env.db.display().to_string()), "{err}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_symlinked_wal_is_named_not_called_read_only() {
    if skip_on_pg("SQLite's -wal file") {
        return;
    }
    let env = TestEnv::initialised();
    // A store left in WAL mode by an earlier mfactl: opening it reads its -wal.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    symlinked_sidecar_is_named(&env, "-wal", &["list"]);
}

#[test]
fn a_symlinked_journal_is_named_not_called_read_only() {
    if skip_on_pg("SQLite's -journal file") {
        return;
    }
    let env = TestEnv::initialised();
    // The rollback journal is opened by the first write.
    symlinked_sidecar_is_named(&env, "-journal", &["config", "set", "max-failures", "7"]);
}

fn symlinked_sidecar_is_named(env: &TestEnv, suffix: &str, args: &[&str]) {
    let mut sidecar = env.db.as_os_str().to_owned();
    sidecar.push(suffix);
    let _ = fs::remove_file(&sidecar);
    let target = env.dir.path().join("elsewhere");
    std::os::unix::fs::symlink(&target, &sidecar).unwrap();
    let before = fs::read(&env.db).unwrap();
    let out = env.cmd().args(args).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("read-only"), "{err}");
    assert!(
        err.contains(&format!("{}{suffix} is a symbolic link", env.db.display())),
        "{err}"
    );
    assert!(!target.exists());
    assert_eq!(fs::read(&env.db).unwrap(), before);
}
