//! `export --to`: the export age-encrypted to a public key; `import` detects the age header and
//! decrypts with the store's identity or `--decrypt-with FILE`. The migration between two
//! stores with different keys runs through a pipe, with no plaintext file anywhere. The age
//! crate is the oracle for what the encrypted export holds.

mod common;

use std::path::Path;

use age::secrecy::ExposeSecret;
use common::*;

/// The public key of the identity file `path` (as `age-keygen -y` prints it).
fn public_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("an age identity file");
    line.parse::<age::x25519::Identity>()
        .unwrap()
        .to_public()
        .to_string()
}

/// Every regular file under `dir`, as (path, contents).
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out
}

#[test]
fn migration_between_stores_with_different_keys_through_a_pipe() {
    let a = TestEnv::initialised();
    let b = TestEnv::initialised();
    let enabled = a.enroll_enabled("alice");
    let pending = a.enroll("bob", &[])["secret"].as_str().unwrap().to_owned();
    let b_public = public_of(&b.identity);
    assert_ne!(public_of(&a.identity), b_public);

    // mfactl --db A export --to $(age-keygen -y B.key) | mfactl --db B -i B.key import -
    let out = std::process::Command::new("bash")
        .args(["-o", "pipefail", "-c"])
        .arg(r#""$BIN" --db "$DB_A" -i "$ID_A" export --to "$KEY_B" | "$BIN" --db "$DB_B" -i "$ID_B" --json import -"#)
        .env_clear()
        .envs(a.env_vars())
        .env_remove("MFACTL_DB")
        .env_remove("MFACTL_IDENTITY")
        .env("BIN", assert_cmd::cargo::cargo_bin("mfactl"))
        .env("DB_A", &a.store)
        .env("ID_A", &a.identity)
        .env("DB_B", &b.store)
        .env("ID_B", &b.identity)
        .env("KEY_B", &b_public)
        .current_dir(a.dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["imported"], 2, "{doc}");
    // Nothing in plaintext went past the pipe: not on the terminal, not in a file.
    for secret in [&enabled, &pending] {
        assert!(!stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()));
        for env in [&a, &b] {
            for (path, bytes) in files_under(env.dir.path()) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(secret.as_str()), "{}", path.display());
            }
        }
    }

    // B has both users, in their status, and their codes work there with B's key.
    let rows = b.list(&[]);
    let status = |u: &str| rows.iter().find(|r| r["user"] == u).unwrap()["status"].clone();
    assert_eq!(status("alice"), "enabled");
    assert_eq!(status("bob"), "pending");
    let (code, doc) = b.verify("alice", &code_at_step(&enabled, step_now() + 1));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");
    let (code, doc) = b.verify("bob", &totp_now(&pending, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");

    // A's audit row says to which key the export was encrypted.
    let details = a.query_strings("SELECT details FROM audit_log WHERE event = 'export'");
    let details: serde_json::Value = serde_json::from_str(&details[0]).unwrap();
    assert_eq!(details["count"], 2);
    assert_eq!(details["encrypted_to"].as_array().unwrap().len(), 1);
}

#[test]
fn armored_file_decrypt_with_and_wrong_keys() {
    let env = TestEnv::initialised();
    let secret = env.enroll("carol", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let migration = age::x25519::Identity::generate();
    let key_file = env.dir.path().join("migration.key");
    std::fs::write(
        &key_file,
        format!("{}\n", migration.to_string().expose_secret()),
    )
    .unwrap();

    // --armor -o FILE, encrypted to a key the store does not have: no confirmation asked.
    env.cmd()
        .args([
            "export",
            "--armor",
            "--format",
            "json",
            "-o",
            "carol.age",
            "--to",
        ])
        .arg(migration.to_public().to_string())
        .assert()
        .success();
    let armored = std::fs::read(env.dir.path().join("carol.age")).unwrap();
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    // The age crate opens it to the JSON export.
    let plain = age::decrypt(&migration, &armored).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(doc[0]["secret"], secret.as_str());

    // Another store imports it with --decrypt-with; its own identity would not open it.
    let other = TestEnv::initialised();
    let out = other
        .cmd()
        .args(["import", "--format", "json"])
        .arg(env.dir.path().join("carol.age"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("encrypted to other keys"), "{stderr}");
    assert!(other.list(&[]).is_empty());
    other
        .cmd()
        .args(["import", "--format", "json", "--decrypt-with"])
        .arg(&key_file)
        .arg(env.dir.path().join("carol.age"))
        .assert()
        .success();
    let (code, doc) = other.verify("carol", &totp_now(&secret, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");

    // --json promises JSON on stdout: an age file there is a usage error.
    env.cmd()
        .args(["--json", "export", "--to"])
        .arg(migration.to_public().to_string())
        .assert()
        .code(2);
    // --armor alone, and a bad recipient, are refused before anything is read.
    env.cmd()
        .args(["export", "--yes", "--armor"])
        .assert()
        .code(2);
    env.cmd()
        .args(["export", "--to", "age1nope"])
        .assert()
        .code(2);
}
