//! Export and import carry every token of a user with its label (issue 13, part 1): a user
//! with several tokens exports one line or entry per token, and each comes back, with label,
//! status and secret (decrypted with the age crate, and proved with codes from the tests' own
//! RFC 6238 helper). Older inputs without labels import as the `default` token; a repeated
//! (user, label) and more tokens than `max-tokens` are refused.

mod common;

use std::str::FromStr;

use common::*;
use serde_json::Value;

/// One token as the test enrolled it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Tok {
    user: String,
    label: String,
    status: String,
    secret: String,
    algorithm: &'static str,
    digits: u32,
    period: u64,
}

/// alice: `default` enabled (SHA1/6/30), `phone` pending (SHA256/8/60), `old` disabled (no
/// secret: not exported); bob: only `tablet`, enabled (SHA512/7/45).
fn source_store() -> (TestEnv, Vec<Tok>) {
    let env = TestEnv::initialised();
    let mut toks = Vec::new();
    for (user, label, args, algorithm, digits, period, enable) in [
        ("alice", "default", &[][..], "SHA1", 6, 30, true),
        (
            "alice",
            "phone",
            &["--algorithm", "sha256", "--digits", "8", "--period", "60"][..],
            "SHA256",
            8,
            60,
            false,
        ),
        ("alice", "old", &[][..], "SHA1", 6, 30, false),
        (
            "bob",
            "tablet",
            &["--algorithm", "sha512", "--digits", "7", "--period", "45"][..],
            "SHA512",
            7,
            45,
            true,
        ),
    ] {
        let mut all = args.to_vec();
        if label != "default" {
            all.extend(["--label", label]);
        }
        let doc = env.enroll(user, &all);
        let secret = doc["secret"].as_str().unwrap().to_owned();
        if enable {
            let code = totp_now(&secret, algorithm, digits, period);
            let (rc, v) = env.verify(user, &code);
            assert_eq!(rc, 0, "{v}");
            assert_eq!(v["token"], label, "{v}");
        }
        toks.push(Tok {
            user: user.into(),
            label: label.into(),
            status: if enable { "enabled" } else { "pending" }.into(),
            secret,
            algorithm,
            digits,
            period,
        });
    }
    env.cmd()
        .args(["disable", "alice", "--token", "old", "--yes"])
        .assert()
        .success();
    toks.retain(|t| t.label != "old");
    toks.sort();
    (env, toks)
}

fn export(env: &TestEnv, format: &str) -> String {
    let out = env
        .cmd()
        .args(["export", "--yes", "--format", format])
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn identity_key(env: &TestEnv) -> age::x25519::Identity {
    let text = std::fs::read_to_string(&env.identity).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("identity line");
    age::x25519::Identity::from_str(line).unwrap()
}

/// Every (user, label, status, decrypted secret) stored in `env`, read from the tables.
fn stored_tokens(env: &TestEnv) -> Vec<(String, String, String, Option<String>)> {
    let key = identity_key(env);
    let mut rows: Vec<_> = env
        .query("SELECT %USER%, label, status, secret FROM %USER_TOKENS%")
        .into_iter()
        .map(|r| {
            let secret = r[3].as_deref().map(|hex| {
                let plain = age::decrypt(&key, &unhex_bytea(hex)).expect("decrypts");
                String::from_utf8(plain).unwrap()
            });
            (
                r[0].clone().unwrap(),
                r[1].clone().unwrap(),
                r[2].clone().unwrap(),
                secret,
            )
        })
        .collect();
    rows.sort();
    rows
}

fn import(env: &TestEnv, format: &str, text: &str) -> std::process::Output {
    env.cmd()
        .args(["import", "-", "--format", format])
        .write_stdin(text.to_owned())
        .output()
        .unwrap()
}

#[test]
fn every_token_is_exported_with_its_label_in_every_format() {
    let (env, toks) = source_store();

    let uris = export(&env, "uri");
    let lines: Vec<&str> = uris.lines().collect();
    assert_eq!(lines.len(), 3, "{uris}");
    // Order: user, then label.
    for (line, t) in lines.iter().zip(&toks) {
        assert!(
            line.ends_with(&format!("&status={}&token={}", t.status, t.label)),
            "{line}"
        );
        assert!(line.contains(&format!("secret={}", t.secret)), "{line}");
    }

    let csv = export(&env, "csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["user", "token", "status", "uri"]
    );
    let rows: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned(), r[2].to_owned())
        })
        .collect();
    let expected: Vec<(String, String, String)> = toks
        .iter()
        .map(|t| (t.user.clone(), t.label.clone(), t.status.clone()))
        .collect();
    assert_eq!(rows, expected);

    let doc: Value = serde_json::from_str(&export(&env, "json")).unwrap();
    let got: Vec<(String, String, String, String, u64)> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["user"].as_str().unwrap().to_owned(),
                e["token"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
                e["secret"].as_str().unwrap().to_owned(),
                e["period"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<_> = toks
        .iter()
        .map(|t| {
            (
                t.user.clone(),
                t.label.clone(),
                t.status.clone(),
                t.secret.clone(),
                t.period,
            )
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn every_token_comes_back_from_each_format() {
    let (src, toks) = source_store();
    for format in ["uri", "csv", "json"] {
        let text = export(&src, format);
        let dst = TestEnv::initialised();
        let out = import(&dst, format, &text);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Label, status and the secret, decrypted from the store with the age crate.
        let expected: Vec<_> = toks
            .iter()
            .map(|t| {
                (
                    t.user.clone(),
                    t.label.clone(),
                    t.status.clone(),
                    Some(t.secret.clone()),
                )
            })
            .collect();
        assert_eq!(stored_tokens(&dst), expected, "{format}");
        // Each token verifies a code of the original secret, and is the one named.
        for t in &toks {
            let code = totp_at(
                &t.secret,
                t.algorithm,
                t.digits,
                t.period,
                unix_now() + t.period,
            );
            let (rc, v) = dst.verify(&t.user, &code);
            assert_eq!(rc, 0, "{format} {t:?}: {v}");
            assert_eq!(v["token"], t.label.as_str(), "{format}: {v}");
        }
        // The audit rows name the non-default tokens, as enroll's do.
        let details =
            dst.query_strings("SELECT details FROM audit_log WHERE event = 'import' ORDER BY id");
        assert_eq!(details.len(), 3, "{details:?}");
        let labels: Vec<Option<String>> = details
            .iter()
            .map(|d| {
                let v: Value = serde_json::from_str(d).unwrap();
                v["token"].as_str().map(str::to_owned)
            })
            .collect();
        assert_eq!(
            labels,
            [None, Some("phone".into()), Some("tablet".into())],
            "{format}"
        );
    }
}

fn uri(user: &str, seed: u8) -> String {
    format!(
        "otpauth://totp/mfactl:{user}?secret={}&issuer=mfactl",
        secret_of(seed)
    )
}

fn secret_of(seed: u8) -> String {
    data_encoding::BASE32_NOPAD.encode(&[seed; 20])
}

#[test]
fn inputs_without_labels_import_as_the_default_token() {
    let inputs = [
        ("uri", format!("{}&status=pending\n", uri("ann", 1))),
        (
            "csv",
            format!("user,status,uri\nann,pending,{}\n", uri("x", 1)),
        ),
        (
            "json",
            serde_json::json!([{ "user": "ann", "status": "pending",
                                  "otpauth_uri": uri("ann", 1) }])
            .to_string(),
        ),
    ];
    for (format, text) in inputs {
        let env = TestEnv::initialised();
        let out = import(&env, format, &text);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stored_tokens(&env),
            [(
                "ann".to_owned(),
                "default".to_owned(),
                "pending".to_owned(),
                Some(secret_of(1))
            )],
            "{format}"
        );
    }
}

#[test]
fn a_repeated_user_and_label_is_refused_naming_both_lines() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let text = format!(
        "{}&token=phone\n{}&token=tablet\n{}&token=phone\n",
        uri("ann", 1),
        uri("ann", 2),
        uri("ann", 3)
    );
    let out = import(&env, "uri", &text);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3:") && stderr.contains("also on line 1"),
        "{stderr}"
    );
    assert!(!stderr.contains("line 2:"), "{stderr}");
    assert_eq!(env.snapshot(), before, "nothing imported");

    // Without the repeat, both tokens of one user import (and the summary counts both).
    let text = text.lines().take(2).collect::<Vec<_>>().join("\n");
    let out = import(&env, "uri", &text);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("Imported 2 tokens of 1 user ("),
        "{stdout}"
    );
    let labels: Vec<String> = stored_tokens(&env).into_iter().map(|t| t.1).collect();
    assert_eq!(labels, ["phone", "tablet"]);
}

#[test]
fn existing_users_get_new_labels_within_max_tokens_and_keep_live_ones() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("ann");
    env.cmd()
        .args(["config", "set", "max-tokens", "2"])
        .assert()
        .success();
    let before = env.snapshot();

    // A live token of that label is refused, as enroll refuses it without --force.
    let out = import(&env, "uri", &format!("{}&token=default\n", uri("ann", 1)));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already enabled"), "{stderr}");

    // Two new labels would make three live tokens: max-tokens is 2.
    let text = format!(
        "{}&token=phone\n{}&token=tablet\n",
        uri("ann", 2),
        uri("ann", 3)
    );
    let out = import(&env, "uri", &text);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2:") && stderr.contains("max-tokens"),
        "{stderr}"
    );
    assert_eq!(env.snapshot(), before, "nothing imported");

    // One new label fits; the user keeps the enabled default token.
    let out = import(&env, "uri", &format!("{}&token=phone\n", uri("ann", 2)));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stored_tokens(&env),
        [
            (
                "ann".to_owned(),
                "default".to_owned(),
                "enabled".to_owned(),
                Some(secret)
            ),
            (
                "ann".to_owned(),
                "phone".to_owned(),
                "enabled".to_owned(),
                Some(secret_of(2))
            ),
        ]
    );
    let (rc, v) = env.verify(
        "ann",
        &totp_at(&secret_of(2), "SHA1", 6, 30, unix_now() + 30),
    );
    assert_eq!(rc, 0, "{v}");
    assert_eq!(v["token"], "phone");
}
