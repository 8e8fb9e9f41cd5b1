//! A private key given where it does not belong (a recipient, a path, a user name, a URL, an
//! import line, a stray argument) is never echoed in an error, wherever in the input it sits and
//! whatever its case: error messages end up in CI logs.

mod common;

use std::fs;
use std::process::Output;

use common::*;

fn fresh_key() -> String {
    use age::secrecy::ExposeSecret;
    age::x25519::Identity::generate()
        .to_string()
        .expose_secret()
        .to_owned()
}

/// Exit 2, an error said, and no part of the key's payload (in any case) on stdout or stderr.
fn assert_not_echoed(out: &Output, key: &str, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let payload = key["AGE-SECRET-KEY-1".len()..].to_ascii_uppercase();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error"), "{what}: no error said: {stderr}");
    for text in [String::from_utf8_lossy(&out.stdout), stderr] {
        let upper = text.to_ascii_uppercase();
        // Any 12 characters of the payload would be a leak (of its start, or a fragment).
        for start in (0..payload.len() - 12).step_by(6) {
            assert!(
                !upper.contains(&payload[start..start + 12]),
                "{what}: key material in output: {text}"
            );
        }
    }
}

#[test]
fn a_key_inside_a_recipient_argument_is_not_echoed() {
    let env = TestEnv::new();
    let key = fresh_key();
    for (what, arg) in [
        ("prefixed", format!("MFACTL_AGE_KEY={key}")),
        ("quoted", format!("\"{key}\"")),
        ("BOM", format!("\u{feff}{key}")),
        ("lower case", format!("x {}", key.to_lowercase())),
    ] {
        for json in [false, true] {
            let mut cmd = env.cmd();
            if json {
                cmd.arg("--json");
            }
            let out = cmd.args(["init", "-r", &arg]).output().unwrap();
            assert_not_echoed(&out, &key, what);
        }
    }
    assert!(!env.store_exists());
}

/// What is tried, the arguments, extra environment variables.
type Case<'a> = (&'a str, Vec<String>, Vec<(&'a str, String)>);

#[test]
fn a_key_in_any_other_argument_or_variable_is_not_echoed() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let key = fresh_key();
    let before = env.snapshot();
    let cases: Vec<Case> = vec![
        (
            "identity path",
            vec!["-i".into(), key.clone(), "show-qr".into(), "alice".into()],
            vec![],
        ),
        (
            "user name",
            vec!["show-qr".into(), format!("x{key}")],
            vec![],
        ),
        (
            "stray argument",
            vec![
                "verify".into(),
                "alice".into(),
                "123456".into(),
                key.clone(),
            ],
            vec![],
        ),
        (
            "stray argument, JSON",
            vec!["--json".into(), "list".into(), key.clone()],
            vec![],
        ),
        (
            "config value",
            vec!["config".into(), "set".into(), "skew".into(), key.clone()],
            vec![],
        ),
        (
            "rekey recipient",
            vec![
                "rekey".into(),
                "--yes".into(),
                "-r".into(),
                format!("'{key}'"),
            ],
            vec![],
        ),
        (
            "import file name",
            vec!["import".into(), format!("./{key}")],
            vec![],
        ),
        (
            "MFACTL_DB",
            vec!["list".into()],
            vec![("MFACTL_DB", format!("/nonexistent/{key}"))],
        ),
        (
            "MFACTL_AGE_KEY",
            vec!["show-qr".into(), "alice".into()],
            vec![("MFACTL_AGE_KEY", format!("export MFACTL_AGE_KEY={key}"))],
        ),
    ];
    for (what, args, vars) in cases {
        let out = env.cmd().args(&args).envs(vars).output().unwrap();
        assert_not_echoed(&out, &key, what);
    }
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_key_in_an_import_file_is_not_echoed() {
    let env = TestEnv::initialised();
    let key = fresh_key();
    let before = env.snapshot();
    let file = env.dir.path().join("users.txt");
    fs::write(
        &file,
        format!(
            "otpauth://totp/mfactl:{key}?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\
             {key}\n\
             otpauth://totp/x:y?secret={key}\n"
        ),
    )
    .unwrap();
    let out = env.cmd().arg("import").arg(&file).output().unwrap();
    assert_not_echoed(&out, &key, "URI lines");
    fs::write(
        &file,
        format!("user,uri\n{key},otpauth://totp/a?secret=A\n"),
    )
    .unwrap();
    let out = env
        .cmd()
        .args(["import", "--format", "csv"])
        .arg(&file)
        .output()
        .unwrap();
    assert_not_echoed(&out, &key, "CSV lines");
    assert_eq!(env.snapshot(), before);
}
