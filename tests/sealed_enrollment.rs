//! `enroll --seal-to`: the pairing is sealed to the user's own public key (SSH or age); the
//! operator's output holds none of it. Oracles: the age crate decrypts the bundle with the SSH
//! private key (tests/data/seal_test_ed25519, a key made for this test with ssh-keygen) and with
//! an age key, rqrr decodes the QR code in it, and the RFC 4226 helper computes the code.

mod common;

use std::io::BufReader;
use std::path::Path;
use std::str::FromStr;

use common::*;
use sha2::Digest;

const SSH_KEY: &str = "tests/data/seal_test_ed25519";

fn ssh_public() -> String {
    std::fs::read_to_string(format!("{SSH_KEY}.pub"))
        .unwrap()
        .trim()
        .to_owned()
}

fn ssh_identity() -> age::ssh::Identity {
    let f = std::fs::File::open(SSH_KEY).unwrap();
    age::ssh::Identity::from_buffer(BufReader::new(f), Some(SSH_KEY.into())).unwrap()
}

fn decrypt(identity: &dyn age::Identity, bytes: &[u8]) -> Vec<u8> {
    let reader = age::armor::ArmoredReader::new(bytes);
    let d = age::Decryptor::new(reader).expect("an age file");
    let mut r = d
        .decrypt(std::iter::once(identity))
        .expect("decrypts with the key");
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut out).unwrap();
    out
}

/// The documented fingerprint: SHA256 of the key text without its comment, 16 hex digits.
fn fingerprint(key: &str) -> String {
    let canonical = key.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let hex = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(canonical.as_bytes()));
    format!("SHA256:{}", &hex[..16])
}

fn secret_of(uri: &str) -> String {
    uri.split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .expect("secret in URI")
        .to_owned()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_sealed_bundle_opens_with_the_users_ssh_or_age_key_and_pairs() {
    let env = TestEnv::initialised();
    let age_key = age::x25519::Identity::generate();
    let age_public = age_key.to_public().to_string();
    let out = env
        .cmd()
        .args(["--json", "enroll", "alice@example.com", "--seal-to"])
        .arg(ssh_public())
        .args(["--seal-to", &age_public])
        .assert()
        .success();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.get_output().stdout).into_owned(),
        String::from_utf8_lossy(&out.get_output().stderr).into_owned(),
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["user"], "alice@example.com");
    assert_eq!(doc["status"], "pending");
    assert_eq!(doc["bundle"], "alice@example.com.mfa.age");
    let fps = [fingerprint(&ssh_public()), fingerprint(&age_public)];
    assert_eq!(doc["recipients"][0]["fingerprint"], fps[0].as_str());
    assert_eq!(doc["recipients"][0]["type"], "ssh-ed25519");
    assert_eq!(doc["recipients"][1]["fingerprint"], fps[1].as_str());
    assert_eq!(doc["recipients"][1]["type"], "age");

    let path = env.dir.path().join("alice@example.com.mfa.age");
    assert_eq!(mode(&path), 0o600);
    let sealed = std::fs::read(&path).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));

    // Both keys open it, to the same text: a QR code that decodes to the URI it also prints.
    let by_ssh = String::from_utf8(decrypt(&ssh_identity(), &sealed)).unwrap();
    let by_age = String::from_utf8(decrypt(&age_key, &sealed)).unwrap();
    assert_eq!(by_ssh, by_age);
    let uri = decode_terminal_qr(&by_ssh);
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(by_ssh.contains(&uri), "{by_ssh}");
    let secret = secret_of(&uri);
    assert!(
        by_ssh.contains(&format!("secret:      {secret}")),
        "{by_ssh}"
    );
    assert!(by_ssh.contains("To confirm"), "{by_ssh}");

    // The operator saw none of it: not the secret (nor a piece of it), not the URI.
    for text in [&stdout, &stderr] {
        assert!(!text.contains("otpauth"), "{text}");
        for piece in secret.as_bytes().chunks(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(!text.contains(piece), "{piece} in {text}");
        }
        assert!(!text.contains('█') && !text.contains('▀'), "{text}");
    }

    // The audit row says it was sealed, and to which keys.
    let details = env.query_strings(
        "SELECT details FROM audit_log WHERE event = 'enroll' AND %USER% = 'alice@example.com'",
    );
    let details: serde_json::Value = serde_json::from_str(&details[0]).unwrap();
    assert_eq!(details["sealed"], true);
    assert_eq!(details["sealed_to"], serde_json::json!(fps));

    // The user scans it; their first code confirms the pairing.
    let (code, doc) = env.verify("alice@example.com", &totp_now(&secret, "SHA1", 6, 30));
    assert_eq!((code, &doc["reason"]), (0, &"ok".into()), "{doc}");
    assert_eq!(doc["status"], "enabled");
}

#[test]
fn recipients_file_armor_stdout_and_png() {
    let env = TestEnv::initialised();
    let age_key = age::x25519::Identity::generate();
    let file = env.dir.path().join("keys.txt");
    std::fs::write(
        &file,
        format!(
            "# alice's keys, as age -R reads them\n\n{}\n{}\n",
            ssh_public(),
            age_key.to_public()
        ),
    )
    .unwrap();

    // -R FILE, --armor, --out, human output: where it went, to which keys, how to open it.
    let out = env
        .cmd()
        .args(["enroll", "bob", "-R"])
        .arg(&file)
        .args(["--armor", "--out", "bob.txt"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("bob.txt"), "{stdout}");
    assert!(stdout.contains(&fingerprint(&ssh_public())), "{stdout}");
    assert!(stdout.contains("age -d -i ~/.ssh/id_ed25519"), "{stdout}");
    assert!(
        !stdout.contains("otpauth") && !stdout.contains("secret:"),
        "{stdout}"
    );
    // Two keys (one per line) and the pending-ttl deadline still fit an 80-column terminal.
    assert!(stdout.contains("pending-ttl"), "{stdout}");
    for line in stdout.lines() {
        assert!(line.chars().count() <= 80, "over 80 columns: {line:?}");
    }
    let armored = std::fs::read(env.dir.path().join("bob.txt")).unwrap();
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    let text = String::from_utf8(decrypt(&age_key, &armored)).unwrap();
    let uri = decode_terminal_qr(&text);
    assert!(uri.contains(":bob?secret="), "{uri}");

    // --out -: the bundle on stdout (not a terminal here), the report on stderr.
    let out = env
        .cmd()
        .args(["enroll", "carol", "--out", "-", "--seal-to"])
        .arg(age_key.to_public().to_string())
        .assert()
        .success();
    let bundle = out.get_output().stdout.clone();
    let text = String::from_utf8(decrypt(&age_key, &bundle)).unwrap();
    let secret = secret_of(&decode_terminal_qr(&text));
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("Enrolled carol"), "{stderr}");
    for line in stderr.lines() {
        assert!(line.chars().count() <= 80, "over 80 columns: {line:?}");
    }
    assert!(!stderr.contains(&secret[..8]), "{stderr}");

    // --format png: a PNG image of the QR code.
    env.cmd()
        .args(["enroll", "dave", "--format", "png", "--seal-to"])
        .arg(ssh_public())
        .assert()
        .success();
    let sealed = std::fs::read(env.dir.path().join("dave.mfa.png.age")).unwrap();
    let png = decrypt(&ssh_identity(), &sealed);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    // An existing file is not replaced, and nobody is enrolled then.
    env.cmd()
        .args(["enroll", "erin", "--out", "bob.txt", "--seal-to"])
        .arg(ssh_public())
        .assert()
        .code(2);
    assert!(env.list(&[]).iter().all(|r| r["user"] != "erin"));
}

#[test]
fn bad_recipients_are_refused_before_anything_happens() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let private = age::x25519::Identity::generate();
    let private_text = {
        use age::secrecy::ExposeSecret;
        private.to_string().expose_secret().to_owned()
    };
    for bad in [
        "age1notakey",
        "ssh-ed25519 AAAAnotbase64!!",
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
        private_text.as_str(),
    ] {
        let out = env
            .cmd()
            .args(["enroll", "alice", "--seal-to", bad])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains("recipient"), "{bad}: {stderr}");
        assert!(!stderr.contains(&private_text), "{stderr}");
    }
    // The options that only make sense with a recipient.
    env.cmd()
        .args(["enroll", "alice", "--armor"])
        .assert()
        .code(2);
    // Sealing and showing do not mix.
    env.cmd()
        .args(["enroll", "alice", "--qr", "--seal-to"])
        .arg(ssh_public())
        .assert()
        .code(2);
    assert_eq!(env.snapshot(), before);
    assert!(!env.dir.path().join("alice.mfa.age").exists());
    // A file of recipients that holds none.
    let empty = env.dir.path().join("none.txt");
    std::fs::write(&empty, "# nobody\n").unwrap();
    env.cmd()
        .args(["enroll", "alice", "-R"])
        .arg(&empty)
        .assert()
        .code(2);
    let _ = age::x25519::Recipient::from_str(&private.to_public().to_string()).unwrap();
}
