//! Files mfactl writes for the operator (QR images, export output, a new identity) are created
//! new and private: never through a symbolic link, never over an existing file without
//! `--overwrite`, mode 0600 whatever the umask, and a file that existed before the command is
//! never removed, whatever fails.

mod common;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Output;

use common::*;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2 with one `error:` line naming `needle`.
fn assert_refused(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
}

/// The names in the test's directory besides the store's and the identity's (so no temporary
/// file is left behind).
fn names(env: &TestEnv) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "data" && n != "config")
        .collect();
    v.sort();
    v
}

/// `old` with mode 0644, as an operator's file would be.
fn existing(env: &TestEnv, name: &str, contents: &str) -> std::path::PathBuf {
    let p = env.dir.path().join(name);
    fs::write(&p, contents).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    p
}

#[test]
fn enroll_refuses_an_existing_image_file_unless_overwrite_and_then_makes_it_private() {
    let env = TestEnv::initialised();
    let png = existing(&env, "carol.png", "old\n");
    let before = env.snapshot();
    let out = env
        .cmd()
        .args(["enroll", "--no-qr", "carol", "--png", "carol.png"])
        .output()
        .unwrap();
    assert_refused(&out, "carol.png already exists; pass --overwrite");
    assert_eq!(fs::read_to_string(&png).unwrap(), "old\n");
    assert_eq!(mode(&png), 0o644);
    assert_eq!(env.snapshot(), before, "a refused enroll changed the store");
    assert_eq!(names(&env), ["carol.png"]);

    env.cmd()
        .args([
            "enroll",
            "--no-qr",
            "carol",
            "--png",
            "carol.png",
            "--overwrite",
        ])
        .assert()
        .success();
    assert!(fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(mode(&png), 0o600, "the replaced file kept its old mode");
    assert_eq!(names(&env), ["carol.png"]);
}

#[test]
fn image_files_are_never_written_through_a_symbolic_link() {
    let env = TestEnv::initialised();
    let victim = existing(&env, "victim.conf", "precious\n");
    symlink("victim.conf", env.dir.path().join("dave.svg")).unwrap();
    symlink("nowhere.conf", env.dir.path().join("dangling.svg")).unwrap();
    let before = env.snapshot();
    for (file, extra) in [
        ("dave.svg", &[][..]),
        ("dave.svg", &["--overwrite"][..]),
        ("dangling.svg", &[][..]),
        ("dangling.svg", &["--overwrite"][..]),
    ] {
        let out = env
            .cmd()
            .args(["enroll", "--no-qr", "dave", "--svg", file])
            .args(extra)
            .output()
            .unwrap();
        assert_refused(&out, "is a symbolic link");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
        assert_eq!(mode(&victim), 0o644);
        assert_eq!(env.snapshot(), before, "{file} {extra:?}");
    }
    assert!(!env.dir.path().join("nowhere.conf").exists());
    assert_eq!(names(&env), ["dangling.svg", "dave.svg", "victim.conf"]);
}

#[test]
fn a_failed_enroll_never_deletes_a_file_that_was_there() {
    let env = TestEnv::initialised();
    env.enroll("carol", &[]);
    let p = existing(&env, "p.png", "precious\n");
    let before = env.snapshot();
    // Already pending: refused, with or without --overwrite, and p.png stays as it was.
    for extra in [&[][..], &["--overwrite"][..]] {
        let out = env
            .cmd()
            .args(["enroll", "--no-qr", "carol", "--png", "p.png"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert_eq!(fs::read_to_string(&p).unwrap(), "precious\n", "{extra:?}");
        assert_eq!(env.snapshot(), before);
    }
    // A second, unwritable target: the first (new) one is not left behind either.
    let out = env
        .cmd()
        .args(["enroll", "--no-qr", "erin", "--png", "new.png", "--svg"])
        .arg(env.dir.path().join("no-such-dir").join("x.svg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(env.snapshot(), before);
    assert_eq!(names(&env), ["p.png"]);
}

#[test]
fn files_are_0600_whatever_the_umask() {
    let env = TestEnv::initialised();
    let bin = assert_cmd::cargo::cargo_bin("mfactl");
    // `sh -c` with the binary as $0: the umask is the process's own.
    let sh_run = |args: &str| {
        let out = std::process::Command::new("sh")
            .env_clear()
            .envs(env.env_vars())
            .current_dir(env.dir.path())
            .args(["-c", &format!("umask 000; exec \"$0\" {args}")])
            .arg(&bin)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args}: {}", stderr(&out));
    };
    sh_run("enroll --no-qr u1 --png u1.png --svg u1.svg");
    sh_run("show-qr u1 --png again.png --svg again.svg");
    sh_run("export --yes --output out.txt");
    sh_run("rekey --yes --new-identity new-id.txt");
    for f in [
        "u1.png",
        "u1.svg",
        "again.png",
        "again.svg",
        "out.txt",
        "new-id.txt",
    ] {
        assert_eq!(mode(&env.dir.path().join(f)), 0o600, "{f}");
    }
}

#[test]
fn show_qr_refuses_existing_files_and_links_before_auditing() {
    let env = TestEnv::initialised();
    env.enroll("bob", &[]);
    let old = existing(&env, "bob.png", "old\n");
    symlink("bob.png", env.dir.path().join("link.svg")).unwrap();
    let before = env.snapshot();
    for (args, needle) in [
        (&["--png", "bob.png"][..], "already exists"),
        (&["--svg", "link.svg", "--overwrite"][..], "symbolic link"),
        (&["--png", "same", "--svg", "same"][..], "both name"),
    ] {
        let out = env
            .cmd()
            .args(["show-qr", "bob"])
            .args(args)
            .output()
            .unwrap();
        assert_refused(&out, needle);
        assert!(out.stdout.is_empty(), "the secret was shown: {args:?}");
        assert_eq!(env.snapshot(), before, "refused show-qr was audited");
        assert_eq!(fs::read_to_string(&old).unwrap(), "old\n");
    }
    env.cmd()
        .args(["show-qr", "bob", "--png", "bob.png", "--overwrite"])
        .assert()
        .success();
    assert!(fs::read(&old).unwrap().starts_with(b"\x89PNG"));
    assert_eq!(mode(&old), 0o600);
    assert_eq!(names(&env), ["bob.png", "link.svg"]);
}

#[test]
fn export_output_writes_a_new_private_file_and_refuses_to_clobber() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let stdout = env
        .cmd()
        .args(["export", "--yes", "--format", "csv"])
        .output()
        .unwrap()
        .stdout;
    let out = env
        .cmd()
        .args(["export", "--yes", "--format", "csv", "-o", "secrets.csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "the secrets went to stdout too");
    let file = env.dir.path().join("secrets.csv");
    assert_eq!(fs::read(&file).unwrap(), stdout);
    assert_eq!(mode(&file), 0o600);

    // Existing: refused before anything is read or audited; --overwrite replaces it.
    let old = existing(&env, "old.txt", "keep me\n");
    let before = env.snapshot();
    let out = env
        .cmd()
        .args(["export", "--yes", "--output", "old.txt"])
        .output()
        .unwrap();
    assert_refused(&out, "old.txt already exists; pass --overwrite");
    assert_eq!(fs::read_to_string(&old).unwrap(), "keep me\n");
    assert_eq!(env.snapshot(), before);
    let out = env
        .cmd()
        .args([
            "--json",
            "export",
            "--yes",
            "--output",
            "old.txt",
            "--overwrite",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["count"], 1);
    assert!(fs::read_to_string(&old)
        .unwrap()
        .starts_with("otpauth://totp/mfactl:alice?"));
    assert_eq!(mode(&old), 0o600);
    assert_eq!(names(&env), ["old.txt", "secrets.csv"]);
}

#[test]
fn a_new_identity_is_never_written_through_a_link() {
    let env = TestEnv::new();
    fs::create_dir_all(env.identity.parent().unwrap()).unwrap();
    let target = env.dir.path().join("elsewhere.txt");
    symlink(&target, &env.identity).unwrap();
    let out = env.cmd().arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        !target.exists(),
        "the identity was written through the link"
    );
    assert!(!env.store_exists());
}
