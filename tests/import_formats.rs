//! Import of other tools' files: Authelia's CSV and YAML exports in their exact shapes, otpauth
//! URIs as authenticator apps and password managers export them, and legacy short secrets
//! (only with --allow-short-secrets, then flagged by `list`). Every secret is proved by a code
//! from the test's own RFC 4226 HOTP, not by mfactl.

mod common;

use common::*;
use serde_json::Value;

/// A distinct secret of `len` bytes, in unpadded uppercase base32.
fn secret(seed: u8, len: usize) -> String {
    let bytes: Vec<u8> = (0..len)
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
        .collect();
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

fn import(env: &TestEnv, args: &[&str], input: &str) -> assert_cmd::assert::Assert {
    env.cmd()
        .args(["import", "-"])
        .args(args)
        .write_stdin(input.to_owned())
        .assert()
}

/// `list --json` as a map from user to row.
fn listed(env: &TestEnv) -> std::collections::BTreeMap<String, Value> {
    env.list(&[])
        .into_iter()
        .map(|u| (u["user"].as_str().unwrap().to_owned(), u))
        .collect()
}

/// Each user accepts a code for its secret, computed by the test's HOTP.
fn accepts(env: &TestEnv, users: &[(&str, String, &str, u32, u64)]) {
    for (user, secret, algorithm, digits, period) in users {
        let code = totp_now(secret, algorithm, *digits, *period);
        env.cmd()
            .args(["verify", user])
            .write_stdin(format!("{code}\n"))
            .assert()
            .code(0);
    }
}

/// The users of both Authelia fixtures: (user, secret, algorithm, digits, period). Authelia's
/// own CLI tests export users of these shapes; its default secret is 32 bytes.
fn authelia_users() -> Vec<(&'static str, String, &'static str, u32, u64)> {
    vec![
        ("john", secret(1, 32), "SHA1", 6, 30),
        ("mary", secret(2, 32), "SHA1", 6, 45),
        ("fred", secret(3, 32), "SHA1", 8, 30),
        ("jone", secret(4, 32), "SHA512", 6, 30),
    ]
}

fn check_authelia_import(env: &TestEnv) {
    let list = listed(env);
    assert_eq!(list.len(), 4);
    for (user, _, algorithm, digits, period) in authelia_users() {
        let u = &list[user];
        assert_eq!(
            u["status"], "enabled",
            "{user}: Authelia's users are paired"
        );
        assert_eq!(u["issuer"], "Authelia", "{user}");
        assert_eq!(u["algorithm"], algorithm, "{user}");
        assert_eq!(u["digits"], digits, "{user}");
        assert_eq!(u["period"], period, "{user}");
        assert_eq!(u["short_secret"], false, "{user}");
    }
    accepts(env, &authelia_users());
}

#[test]
fn authelia_csv_export_imports() {
    // `authelia storage user totp export csv` writes this header, then one unquoted
    // fmt.Printf("%s,%s,%s,%d,%d,%s\n", issuer, username, algorithm, digits, period, secret)
    // line per user, the secret in unpadded base32.
    let mut csv = String::from("issuer,username,algorithm,digits,period,secret\n");
    for (user, secret, algorithm, digits, period) in authelia_users() {
        csv.push_str(&format!(
            "Authelia,{user},{algorithm},{digits},{period},{secret}\n"
        ));
    }
    let env = TestEnv::initialised();
    import(&env, &["--format", "csv"], &csv).success();
    check_authelia_import(&env);
}

#[test]
fn authelia_yaml_export_imports() {
    // `authelia storage user totp export` writes a YAML document with a `totp_configurations`
    // list; each item has created_at, last_used_at (null when never used), username, issuer,
    // algorithm, digits, period and secret (unpadded base32), in that order.
    let mut yaml = String::from("totp_configurations:\n");
    for (i, (user, secret, algorithm, digits, period)) in authelia_users().into_iter().enumerate() {
        let last_used = if i % 2 == 0 {
            "null".to_owned()
        } else {
            "2024-03-15T01:02:03+11:00".to_owned()
        };
        yaml.push_str(&format!(
            "  - created_at: 2024-03-14T06:00:14+11:00\n    last_used_at: {last_used}\n    \
             username: {user}\n    issuer: Authelia\n    algorithm: {algorithm}\n    \
             digits: {digits}\n    period: {period}\n    secret: {secret}\n"
        ));
    }
    let env = TestEnv::initialised();
    import(&env, &["--format", "yaml"], &yaml).success();
    check_authelia_import(&env);
}

#[test]
fn bad_yaml_and_json_entries_are_reported_by_number_without_their_secrets() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let s = secret(9, 20);
    let yaml = format!(
        "totp_configurations:\n  - username: ok\n    secret: {s}\n  - username: bad\n    \
         digits: 9\n    secret: {s}\n"
    );
    let out = import(&env, &["--format", "yaml"], &yaml).code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("entry 2:"), "{stderr}");
    assert!(!stderr.contains("entry 1:"), "{stderr}");
    let json = format!(r#"[{{"user": "a", "secret": 12}}, {{"user": "b", "secret": "{s}"}}]"#);
    let out = import(&env, &["--format", "json"], &json).code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("export --format json"), "{stderr}");
    let out = import(
        &env,
        &["--format", "json"],
        &format!(r#"{{"secret": "{s}"}}"#),
    )
    .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains(&s[..8]), "secret echoed: {stderr}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn uris_as_authenticator_apps_export_them_import() {
    let s = secret(5, 20);
    let lower_spaced = s
        .to_lowercase()
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("%20");
    let lines = [
        // Google Authenticator (the plain Key URI form): %20 for spaces, every parameter.
        format!("otpauth://totp/Example%20Co:gina%40example.com?secret={s}&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"),
        // Authy (as export tools write its tokens): no issuer, 7 digits, 10 s.
        format!("otpauth://totp/hank@example.com?secret={s}&digits=7&period=10"),
        // 1Password: the secret as typed, lowercase in groups.
        format!("otpauth://totp/Acme%20Corp:ivan%40example.com?secret={lower_spaced}&issuer=Acme%20Corp"),
        // Bitwarden: '+' in label and issuer alike, and in the user name.
        format!("otpauth://totp/Acme+Corp:jane+mfa@example.com?secret={s}&issuer=Acme+Corp&algorithm=SHA1&digits=6&period=30"),
        // Aegis: its parameter order, a padded secret, SHA256 with 8 digits.
        format!("otpauth://totp/Acme%20Corp:kim%40example.com?period=30&digits=8&algorithm=SHA256&secret={s}%3D%3D%3D%3D&issuer=Acme%20Corp"),
    ];
    let env = TestEnv::initialised();
    import(&env, &[], &lines.join("\n")).success();
    let list = listed(&env);
    let expect = [
        ("gina@example.com", "Example Co", "SHA1", 6, 30),
        ("hank@example.com", "mfactl", "SHA1", 7, 10),
        ("ivan@example.com", "Acme Corp", "SHA1", 6, 30),
        ("jane+mfa@example.com", "Acme+Corp", "SHA1", 6, 30),
        ("kim@example.com", "Acme Corp", "SHA256", 8, 30),
    ];
    for (user, issuer, algorithm, digits, period) in expect {
        let u = &list[user];
        assert_eq!(u["issuer"], issuer, "{user}");
        assert_eq!(u["algorithm"], algorithm, "{user}");
        assert_eq!(u["digits"], digits, "{user}");
        assert_eq!(u["period"], period, "{user}");
    }
    let users: Vec<_> = expect
        .iter()
        .map(|(u, _, a, d, p)| (*u, s.clone(), *a, *d as u32, *p as u64))
        .collect();
    accepts(&env, &users);
}

/// Google's Key URI Format example secret: 16 characters, 80 bits, as older systems made them.
const LEGACY: &str = "JBSWY3DPEHPK3PXP";

#[test]
fn short_secrets_import_only_with_the_flag_and_are_flagged() {
    let env = TestEnv::initialised();
    let input = format!(
        "otpauth://totp/old?secret={LEGACY}\notpauth://totp/new?secret={}\n",
        secret(6, 20)
    );
    let before = env.snapshot();
    let out = import(&env, &[], &input).code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("line 1:") && stderr.contains("--allow-short-secrets"),
        "{stderr}"
    );
    assert!(!stderr.contains(LEGACY), "{stderr}");
    assert_eq!(env.snapshot(), before, "nothing imported");

    let out = env
        .cmd()
        .args(["--json", "import", "-", "--allow-short-secrets"])
        .write_stdin(input)
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["short_secrets"], 1);
    let list = listed(&env);
    assert_eq!(list["old"]["short_secret"], true);
    assert_eq!(list["new"]["short_secret"], false);
    let table = env.cmd().arg("list").assert().success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    let old_line = table.lines().find(|l| l.contains("old")).unwrap();
    assert!(old_line.contains("(short)"), "{table}");
    assert!(
        !table
            .lines()
            .any(|l| l.contains("new") && l.contains("(short)")),
        "{table}"
    );

    // The legacy secret works: codes from the test's HOTP are accepted, and export gives it
    // back as it was.
    accepts(&env, &[("old", LEGACY.to_owned(), "SHA1", 6, 30)]);
    let out = env
        .cmd()
        .args(["export", "--yes", "--format", "json"])
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let old = doc.as_array().unwrap().iter().find(|e| e["user"] == "old");
    assert_eq!(old.unwrap()["secret"], LEGACY);
}

#[test]
fn secrets_under_80_bits_are_refused_even_with_the_flag() {
    let env = TestEnv::initialised();
    // 9 bytes: 72 bits.
    let input = format!("otpauth://totp/tiny?secret={}\n", secret(7, 9));
    let out = import(&env, &["--allow-short-secrets"], &input).code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("72 bits is too short"), "{stderr}");
    assert!(env.list(&[]).is_empty());
}
