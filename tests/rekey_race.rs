//! `rekey` racing writers: while a rotation of ~20,000 secrets runs, `enroll` processes run in
//! a loop and one `import` adds a few users. When it is over, every stored secret must open
//! with the new identity (and none with the old one): a writer that read the recipients
//! before the rotation committed must not leave a secret encrypted to the old keys only.
//! The ciphertexts are read directly from the store and opened with the age library.
//! Runs on both backends.

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::str::FromStr;

use age::x25519;
use common::*;
use serde_json::Value;

const IMPORTED: usize = 20_000;

fn identity_from_file(path: &std::path::Path) -> x25519::Identity {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("an AGE-SECRET-KEY line");
    x25519::Identity::from_str(line).unwrap()
}

fn random_secret() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).unwrap();
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

fn uri_lines(users: &[(String, String)]) -> String {
    users
        .iter()
        .map(|(u, s)| format!("otpauth://totp/mfactl:{u}?secret={s}&issuer=mfactl\n"))
        .collect()
}

/// Opens every (user, ciphertext) with `key`, on all cores; returns the users whose
/// ciphertext opens to their expected secret (`opens`), or those whose does not (`!opens`).
fn users_where(
    stored: &[(String, Vec<u8>)],
    expected: &BTreeMap<String, String>,
    key: &x25519::Identity,
    opens: bool,
) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = stored.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = stored
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter(|(user, ct)| {
                            let plain = age::decrypt(key, ct).ok();
                            let ok = plain.is_some()
                                && plain.as_deref() == expected.get(user).map(|s| s.as_bytes());
                            ok == opens
                        })
                        .map(|(user, _)| user.clone())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

#[test]
fn enroll_and_import_racing_a_rekey_leave_no_secret_under_the_old_key() {
    let env = TestEnv::initialised();
    let old = identity_from_file(&env.identity);

    // ~20,000 users, imported in one go.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let users: Vec<(String, String)> = (0..IMPORTED)
        .map(|i| (format!("user{i:05}"), random_secret()))
        .collect();
    expected.extend(users.iter().cloned());
    let file = env.dir.path().join("users.txt");
    std::fs::write(&file, uri_lines(&users)).unwrap();
    env.cmd()
        .args(["import", "--format", "uri"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(env.direct().count("mfa_user"), IMPORTED as i64);

    // The late import's users, written now so that the racing import only runs mfactl.
    let late: Vec<(String, String)> = (0..5)
        .map(|i| (format!("late{i}"), random_secret()))
        .collect();
    let late_file = env.dir.path().join("late.txt");
    std::fs::write(&late_file, uri_lines(&late)).unwrap();

    let new_path = env.dir.path().join("new-identity.txt");
    let mut rekey: Child = env
        .std_cmd()
        .args(["rekey", "--yes", "--new-identity"])
        .arg(&new_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // One import, started as the rotation starts, in its own thread.
    let importer = {
        let mut cmd = env.std_cmd();
        cmd.args(["--json", "import", "--format", "uri"])
            .arg(&late_file)
            .stdin(Stdio::null());
        std::thread::spawn(move || cmd.output().unwrap())
    };

    // enroll after enroll until the rotation exits.
    let mut enrolled: Vec<(String, String)> = Vec::new();
    let mut enroll_failures: Vec<(String, String)> = Vec::new();
    let mut started_during_rekey = 0;
    let mut n = 0;
    loop {
        if rekey.try_wait().unwrap().is_some() {
            break;
        }
        started_during_rekey += 1;
        let user = format!("racer{n:04}");
        n += 1;
        let out = env
            .cmd()
            .args(["--json", "enroll", &user])
            .output()
            .unwrap();
        if out.status.success() {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            enrolled.push((user, doc["secret"].as_str().unwrap().to_owned()));
        } else {
            enroll_failures.push((user, String::from_utf8_lossy(&out.stderr).into_owned()));
        }
    }
    let rekey_out = rekey.wait_with_output().unwrap();
    assert!(
        rekey_out.status.success(),
        "rekey failed: {}",
        String::from_utf8_lossy(&rekey_out.stderr)
    );
    let import_out = importer.join().unwrap();
    eprintln!(
        "{started_during_rekey} enrolls started during the rekey: {} succeeded, {} failed; \
         the import exited {:?}",
        enrolled.len(),
        enroll_failures.len(),
        import_out.status.code()
    );
    assert!(
        started_during_rekey > 0,
        "no enroll ran during the rekey: the test proved nothing"
    );

    // What the store must hold: the imported users, every enroll that said it succeeded, and
    // the late users if (and only if) their import succeeded. A failed command wrote nothing.
    expected.extend(enrolled.iter().cloned());
    if import_out.status.success() {
        expected.extend(late.iter().cloned());
    } else {
        assert_eq!(
            import_out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&import_out.stderr)
        );
    }
    let stored = env.stored_secrets();
    let stored_users: Vec<&str> = stored.iter().map(|(u, _)| u.as_str()).collect();
    let expected_users: Vec<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(
        stored_users.len(),
        expected_users.len(),
        "users in the store vs users the commands reported; failed enrolls: {enroll_failures:?}"
    );
    assert!(
        stored_users == expected_users,
        "the store holds other users than reported"
    );

    let new = identity_from_file(&new_path);
    assert_eq!(env.stored_recipients(), vec![new.to_public().to_string()]);
    let unreadable = users_where(&stored, &expected, &new, false);
    assert!(
        unreadable.is_empty(),
        "{} secrets do not open with the new identity (encrypted to the old recipients only?), \
         e.g. {:?}",
        unreadable.len(),
        &unreadable[..unreadable.len().min(10)]
    );
    // And the old key, retired by the rotation, opens none of them.
    let old_opens = users_where(&stored, &expected, &old, true);
    assert!(
        old_opens.is_empty(),
        "{} secrets still open with the old identity, e.g. {:?}",
        old_opens.len(),
        &old_opens[..old_opens.len().min(10)]
    );
}
