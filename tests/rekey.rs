//! Key rotation: after `rekey` the old identity decrypts nothing and the new one everything
//! (checked with the age library directly, not through mfactl); a secret that cannot be
//! decrypted stops the whole rotation; a rotation killed at any point leaves every blob under
//! the old key or every blob under the new one; passphrase-protected identities work.

mod common;

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use common::*;
use serde_json::Value;

/// The X25519 key in an identity file as age-keygen (and mfactl) writes it.
fn identity_from_file(path: &Path) -> x25519::Identity {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("an AGE-SECRET-KEY line");
    x25519::Identity::from_str(line).unwrap()
}

fn key_text(key: &x25519::Identity) -> String {
    key.to_string().expose_secret().to_owned()
}

fn write_identity(path: &Path, key: &x25519::Identity) {
    std::fs::write(path, format!("{}\n", key_text(key))).unwrap();
}

/// Every stored (user, blob), read directly.
fn blobs(env: &TestEnv) -> Vec<(String, Vec<u8>)> {
    env.stored_secrets()
}

fn stored_recipients(env: &TestEnv) -> Vec<String> {
    env.stored_recipients()
}

fn decrypt(key: &x25519::Identity, blob: &[u8]) -> Option<String> {
    age::decrypt(key, blob)
        .ok()
        .map(|p| String::from_utf8(p).unwrap())
}

fn recipients_cmd(env: &TestEnv) -> Vec<String> {
    let out = env.cmd().args(["--json", "recipients"]).assert().success();
    let mut v: Vec<String> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    v.sort();
    v
}

/// A store with two secrets (alice enabled, bob pending) and one disabled user; returns the
/// base32 secrets by user.
fn populated() -> (TestEnv, Vec<(String, String)>) {
    let env = TestEnv::initialised();
    let alice = env.enroll_enabled("alice");
    let bob = env.enroll("bob", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    env.enroll_enabled("carol");
    env.cmd()
        .args(["disable", "carol", "--yes"])
        .assert()
        .success();
    (env, vec![("alice".into(), alice), ("bob".into(), bob)])
}

fn assert_all_under(
    env: &TestEnv,
    secrets: &[(String, String)],
    new: &[&x25519::Identity],
    old: &x25519::Identity,
) {
    let stored = blobs(env);
    let users: Vec<&str> = stored.iter().map(|(u, _)| u.as_str()).collect();
    let expected: Vec<&str> = secrets.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(users, expected);
    for ((user, blob), (_, secret)) in stored.iter().zip(secrets) {
        assert_eq!(decrypt(old, blob), None, "old identity still opens {user}");
        for k in new {
            assert_eq!(
                decrypt(k, blob).as_deref(),
                Some(secret.as_str()),
                "new identity cannot open {user}"
            );
        }
    }
}

#[test]
fn rekey_to_a_recipient_moves_every_secret_to_it() {
    let (env, secrets) = populated();
    let old = identity_from_file(&env.identity);
    // Before: the old key opens everything (the oracle works).
    for (user, blob) in blobs(&env) {
        assert!(decrypt(&old, &blob).is_some(), "{user}");
    }
    let new = x25519::Identity::generate();
    let new_pub = new.to_public().to_string();
    let new_file = env.dir.path().join("new-key.txt");
    write_identity(&new_file, &new);
    let out = env
        .cmd()
        .args(["--json", "rekey", "--yes", "--recipient", &new_pub])
        .arg("--check-identity")
        .arg(&new_file)
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["secrets"], 2);

    assert_all_under(&env, &secrets, &[&new], &old);
    assert_eq!(recipients_cmd(&env), vec![new_pub.clone()]);
    assert_eq!(stored_recipients(&env), vec![new_pub]);

    // mfactl itself: the old identity now fails to decrypt (exit 2), the new one works.
    let code = totp_at(&secrets[0].1, "SHA1", 6, 30, unix_now() + 30);
    let out = env
        .cmd()
        .args(["--json", "verify", "alice", &code])
        .assert()
        .code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "decrypt");
    let new_file = env.dir.path().join("new.txt");
    write_identity(&new_file, &new);
    env.cmd()
        .env("MFACTL_IDENTITY", &new_file)
        .args(["verify", "alice", &code])
        .assert()
        .code(0);
    // New enrollments are encrypted to the new set too.
    let dave = env.enroll("dave", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let dave_blob = blobs(&env)
        .into_iter()
        .find(|(u, _)| u == "dave")
        .unwrap()
        .1;
    assert_eq!(decrypt(&new, &dave_blob), Some(dave));
    assert_eq!(decrypt(&old, &dave_blob), None);
}

#[test]
fn rekey_with_a_new_identity_file_and_an_extra_recipient() {
    let (env, secrets) = populated();
    let old = identity_from_file(&env.identity);
    let escrow = x25519::Identity::generate();
    let escrow_pub = escrow.to_public().to_string();
    let path = env.dir.path().join("keys").join("rotated.txt");
    env.cmd()
        .args([
            "rekey",
            "--yes",
            "--recipient",
            &escrow_pub,
            "--new-identity",
        ])
        .arg(&path)
        .assert()
        .success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "new identity file mode {mode:o}");
    }
    let generated = identity_from_file(&path);
    assert_all_under(&env, &secrets, &[&generated, &escrow], &old);
    let mut expected = vec![generated.to_public().to_string(), escrow_pub];
    expected.sort();
    assert_eq!(recipients_cmd(&env), expected);

    // An existing path is refused before anything happens.
    let before = env.snapshot();
    env.cmd()
        .env("MFACTL_IDENTITY", &path)
        .args(["rekey", "--yes", "--new-identity"])
        .arg(&path)
        .assert()
        .code(2);
    assert_eq!(env.snapshot(), before);
}

/// Runs a rekey that must fail because of `user`'s blob, checking nothing changed.
fn assert_rekey_refused(env: &TestEnv, user: &str) {
    let before = env.snapshot();
    let path = env.dir.path().join("never.txt");
    let target = x25519::Identity::generate().to_public().to_string();
    let attempts: [Vec<String>; 2] = [
        vec!["--new-identity".into(), path.display().to_string()],
        // Waived, so that the refusal tested is the undecryptable blob's.
        vec!["--no-identity-check".into(), "--recipient".into(), target],
    ];
    for extra in attempts {
        let out = env
            .cmd()
            .args(["rekey", "--yes"])
            .args(&extra)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!("\"{user}\"")),
            "error does not name {user}: {stderr}"
        );
        assert_eq!(env.snapshot(), before, "store changed by a failed rekey");
        assert!(
            !path.exists(),
            "a failed rekey left its new identity behind"
        );
    }
    let out = env
        .cmd()
        .args(["--json", "rekey", "--yes", "--new-identity"])
        .arg(&path)
        .assert()
        .code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "decrypt");
    assert!(doc["error"]["message"].as_str().unwrap().contains(user));
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_blob_under_a_foreign_key_stops_the_whole_rekey() {
    let (env, secrets) = populated();
    let foreign = x25519::Identity::generate();
    let blob = age::encrypt(&foreign.to_public(), secrets[1].1.as_bytes()).unwrap();
    env.set_stored_secret("bob", &blob);
    assert_rekey_refused(&env, "bob");
}

#[test]
fn a_user_enrolled_to_another_recipient_stops_the_whole_rekey() {
    let (env, _) = populated();
    // Enroll zed while the store encrypts to a key we hold but do not use as the identity.
    let other = x25519::Identity::generate();
    let saved = stored_recipients(&env);
    let set_recipients = |recipients: &[String]| {
        env.execute("DELETE FROM recipient");
        for r in recipients {
            env.execute(&format!(
                "INSERT INTO recipient (recipient, added_at) VALUES ('{r}', '2025-01-01T00:00:00Z')"
            ));
        }
    };
    set_recipients(&[other.to_public().to_string()]);
    let zed = env.enroll("zed", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    set_recipients(&saved);
    let zed_blob = blobs(&env).into_iter().find(|(u, _)| u == "zed").unwrap().1;
    assert_eq!(decrypt(&other, &zed_blob), Some(zed));
    assert_rekey_refused(&env, "zed");
}

#[test]
fn rekey_needs_confirmation_and_valid_arguments() {
    let (env, _) = populated();
    let before = env.snapshot();
    let new_pub = x25519::Identity::generate().to_public().to_string();
    // No terminal, no --yes: refused, nothing printed on stdout.
    let out = env
        .cmd()
        .args(["rekey", "--recipient", &new_pub])
        .assert()
        .code(2);
    assert!(out.get_output().stdout.is_empty());
    for args in [
        &["rekey", "--yes"][..],
        &["rekey", "--yes", "--recipient", "age1notakey"],
    ] {
        env.cmd().args(args).assert().code(2);
    }
    assert_eq!(env.snapshot(), before);
}

/// The binary as a child process we can kill, with the same isolated environment as
/// `TestEnv::cmd`.
fn spawn_rekey(env: &TestEnv, current: &x25519::Identity, target: &str) -> std::process::Child {
    StdCommand::new(assert_cmd::cargo::cargo_bin("mfactl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("MFACTL_DB", &env.store)
        .env("MFACTL_AGE_KEY", key_text(current))
        .env("MFACTL_ACTOR", "test-operator")
        .env("NO_COLOR", "1")
        .args([
            "rekey",
            "--yes",
            "--no-identity-check",
            "--recipient",
            target,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn random_below(n: u64) -> u64 {
    getrandom::u64().unwrap() % n.max(1)
}

#[test]
fn rekey_killed_at_random_points_never_mixes_keys() {
    const USERS: usize = 300;
    let env = TestEnv::initialised();
    let mut secrets: Vec<(String, String)> = (0..USERS)
        .map(|i| {
            let mut bytes = [0u8; 20];
            getrandom::fill(&mut bytes).unwrap();
            (
                format!("user{i:03}"),
                data_encoding::BASE32_NOPAD.encode(&bytes),
            )
        })
        .collect();
    secrets.sort();
    let uris: String = secrets
        .iter()
        .map(|(u, s)| format!("otpauth://totp/mfactl:{u}?secret={s}&issuer=mfactl\n"))
        .collect();
    env.cmd()
        .args(["import", "-"])
        .write_stdin(uris)
        .assert()
        .success();

    let by_user: std::collections::HashMap<&str, &str> = secrets
        .iter()
        .map(|(u, s)| (u.as_str(), s.as_str()))
        .collect();
    let mut current = identity_from_file(&env.identity);

    // One uninterrupted run to learn how long a rotation takes here.
    let first = x25519::Identity::generate();
    let started = Instant::now();
    let status = spawn_rekey(&env, &current, &first.to_public().to_string())
        .wait()
        .unwrap();
    let full = started.elapsed();
    assert!(status.success());
    current = first;

    let (mut interrupted, mut rotated, mut kept) = (0, 0, 0);
    for round in 0..16 {
        let next = x25519::Identity::generate();
        let next_pub = next.to_public().to_string();
        let mut child = spawn_rekey(&env, &current, &next_pub);
        let delay = Duration::from_micros(random_below(full.as_micros() as u64 * 11 / 10));
        std::thread::sleep(delay); // the kill point, not a wait for anything
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();

        // Every blob opens with exactly one of the two keys, and all with the same one.
        let stored = blobs(&env);
        assert_eq!(stored.len(), USERS, "round {round}: users lost");
        let mut under_old = 0;
        let mut under_new = 0;
        for (user, blob) in &stored {
            let want = by_user[user.as_str()];
            match (decrypt(&current, blob), decrypt(&next, blob)) {
                (Some(s), None) if s == want => under_old += 1,
                (None, Some(s)) if s == want => under_new += 1,
                other => panic!("round {round}: {user}'s blob is broken: {other:?}"),
            }
        }
        assert!(
            under_old == 0 || under_new == 0,
            "round {round}: mixed store, {under_old} blobs under the old key and {under_new} under the new"
        );
        let recipients = stored_recipients(&env);
        if under_new > 0 {
            assert_eq!(recipients, vec![next_pub], "round {round}");
            current = next;
            rotated += 1;
        } else {
            assert_eq!(
                recipients,
                vec![current.to_public().to_string()],
                "round {round}"
            );
            kept += 1;
        }
        // The store still works through mfactl after the crash.
        env.cmd()
            .env("MFACTL_AGE_KEY", key_text(&current))
            .args(["export", "--yes"])
            .assert()
            .success();
    }
    eprintln!(
        "rekey kill test: full run {full:?}; {interrupted} of 16 killed while running; \
         {rotated} rotations committed, {kept} left the old key"
    );
    assert!(interrupted > 0, "no run was actually interrupted");
}

/// Random kill points cannot show that a kill landed inside the rekey's transaction: this one
/// does, with the debug-build hook that holds a write transaction before its commit (every
/// secret re-encrypted and replaced, the recipients replaced, nothing committed).
#[test]
fn rekey_killed_inside_its_transaction_keeps_the_old_key_everywhere() {
    let env = TestEnv::initialised();
    for u in ["ann", "bob", "cyd"] {
        env.enroll(u, &[]);
    }
    let current = identity_from_file(&env.identity);
    let before = blobs(&env);
    let recipients_before = stored_recipients(&env);
    let next = x25519::Identity::generate();
    let fifo = env.dir.path().join("hold.fifo");
    make_fifo(&fifo);
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("mfactl"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("MFACTL_DB", &env.store)
        .env("MFACTL_AGE_KEY", key_text(&current))
        .env("MFACTL_ACTOR", "test-operator")
        .env("MFACTL_TEST_HOLD_BEFORE_COMMIT", &fifo)
        .args(["rekey", "--yes", "--no-identity-check", "--recipient"])
        .arg(next.to_public().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let held = hold_inside_write(&mut child, &fifo);
    assert!(held.is_some(), "rekey ended without a write transaction");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(held);
    assert_eq!(blobs(&env), before, "a killed rekey changed ciphertexts");
    assert_eq!(stored_recipients(&env), recipients_before);
    for (user, blob) in blobs(&env) {
        assert!(
            decrypt(&current, &blob).is_some(),
            "{user}: not under the old key"
        );
        assert!(decrypt(&next, &blob).is_none(), "{user}: under the new key");
    }
}

/// An identity file encrypted with a passphrase (age's scrypt), at a low work factor.
fn passphrase_identity(path: &Path, key: &x25519::Identity, passphrase: &str) {
    let mut r = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    r.set_work_factor(10);
    let text = format!("# public key: {}\n{}\n", key.to_public(), key_text(key));
    std::fs::write(path, age::encrypt(&r, text.as_bytes()).unwrap()).unwrap();
}

#[test]
fn passphrase_protected_identity_via_mfactl_passphrase() {
    let env = TestEnv::new();
    let old = x25519::Identity::generate();
    std::fs::create_dir_all(env.identity.parent().unwrap()).unwrap();
    passphrase_identity(&env.identity, &old, "correct horse");
    let raw = std::fs::read(&env.identity).unwrap();
    assert!(raw.starts_with(b"age-encryption.org/"));
    env.cmd()
        .args(["init", "--recipient", &old.to_public().to_string()])
        .assert()
        .success();
    let alice = env.enroll("alice", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let secrets = vec![("alice".to_owned(), alice.clone())];
    let before = env.snapshot();
    let new_path = env.dir.path().join("new.txt");

    // Wrong passphrase: exit 2, a clear message, nothing changed, no new identity.
    let out = env
        .cmd()
        .env("MFACTL_PASSPHRASE", "wrong")
        .args(["rekey", "--yes", "--new-identity"])
        .arg(&new_path)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("wrong passphrase"), "{stderr}");
    assert!(
        stderr.contains(&env.identity.display().to_string()),
        "{stderr}"
    );
    assert!(!stderr.contains("correct horse") && !stderr.contains("AGE-SECRET-KEY"));
    assert_eq!(env.snapshot(), before);
    assert!(!new_path.exists());

    // No passphrase and no terminal: exit 2, says how to give one, does not hang.
    let out = env
        .cmd()
        .timeout(Duration::from_secs(60))
        .args(["--json", "rekey", "--yes", "--new-identity"])
        .arg(&new_path)
        .assert()
        .code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "identity");
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("MFACTL_PASSPHRASE"));
    assert_eq!(env.snapshot(), before);

    // The right passphrase: reads work, and the rotation goes through.
    let qr = env
        .cmd()
        .env("MFACTL_PASSPHRASE", "correct horse")
        .args(["show-qr", "alice"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&qr.get_output().stdout).contains(&alice));
    env.cmd()
        .env("MFACTL_PASSPHRASE", "correct horse")
        .args(["rekey", "--yes", "--new-identity"])
        .arg(&new_path)
        .assert()
        .success();
    let new = identity_from_file(&new_path);
    assert_all_under(&env, &secrets, &[&new], &old);
    assert_eq!(recipients_cmd(&env), vec![new.to_public().to_string()]);
}

/// A valid key that no identity at hand holds (a typo'd `age1...`) would leave every secret
/// unreadable: refused, store unchanged, unless an identity proves the key or the operator
/// says the keys are held elsewhere.
#[test]
fn rekey_to_a_key_nobody_here_holds_is_refused_unless_proven_or_waived() {
    let (env, secrets) = populated();
    let old = identity_from_file(&env.identity);
    let nobodys = x25519::Identity::generate();
    let nobodys_pub = nobodys.to_public().to_string();
    let before = env.snapshot();

    // Refused: neither the current identity nor a check identity holds the new key.
    let someone_else = env.dir.path().join("someone-else.txt");
    write_identity(&someone_else, &x25519::Identity::generate());
    for extra in [
        vec![],
        vec![
            "--check-identity".to_owned(),
            someone_else.display().to_string(),
        ],
    ] {
        let out = env
            .cmd()
            .args(["--json", "rekey", "--yes", "--recipient", &nobodys_pub])
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["error"]["kind"], "invalid_input", "{doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("--check-identity") && message.contains("--no-identity-check"),
            "{message}"
        );
        assert_eq!(env.snapshot(), before, "a refused rekey changed the store");
    }
    assert_all_under(&env, &secrets, &[&old], &nobodys);

    // Keeping the current key alongside the new one needs no proof.
    let escrow = x25519::Identity::generate();
    let old_pub = old.to_public().to_string();
    env.cmd()
        .args(["rekey", "--yes", "-r", &old_pub, "-r"])
        .arg(escrow.to_public().to_string())
        .assert()
        .success();
    assert_all_under(&env, &secrets, &[&old, &escrow], &nobodys);

    // Waived explicitly: done, to the key nobody here holds.
    env.cmd()
        .args([
            "rekey",
            "--yes",
            "--no-identity-check",
            "--recipient",
            &nobodys_pub,
        ])
        .assert()
        .success();
    assert_all_under(&env, &secrets, &[&nobodys], &old);
}
