//! `mfactl config get|set`: the settings, their validation, and that the verification policy
//! ones (skew, max-failures) actually change what `verify` does.

mod common;

use common::*;

fn get_all(env: &TestEnv) -> serde_json::Value {
    let out = env
        .cmd()
        .args(["--json", "config", "get"])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).expect("config get --json prints JSON")
}

fn get(env: &TestEnv, key: &str) -> String {
    let out = env.cmd().args(["config", "get", key]).assert().success();
    String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .trim_end()
        .to_owned()
}

fn set(env: &TestEnv, key: &str, value: &str) {
    env.cmd()
        .args(["config", "set", key, value])
        .assert()
        .success();
}

#[test]
fn get_shows_the_documented_defaults() {
    let env = TestEnv::initialised();
    let all = get_all(&env);
    assert_eq!(
        all,
        serde_json::json!({
            "issuer": "mfactl", "skew": 1, "max_failures": 5,
            "algorithm": "SHA1", "digits": 6, "period": 30, "pending_ttl": "1w", "max_tokens": 5,
            "lockout": "manual", "lockout_max": "1d", "max_drift": 10,
        })
    );
    // JSON: snake_case key names, numbers as numbers.
    for (key, value, json_key, json_value) in [
        ("issuer", "mfactl", "issuer", serde_json::json!("mfactl")),
        ("skew", "1", "skew", serde_json::json!(1)),
        ("max-failures", "5", "max_failures", serde_json::json!(5)),
        ("algorithm", "SHA1", "algorithm", serde_json::json!("SHA1")),
        ("digits", "6", "digits", serde_json::json!(6)),
        ("period", "30", "period", serde_json::json!(30)),
        // A duration, as text in the largest exact unit (7d is 1w).
        ("pending-ttl", "1w", "pending_ttl", serde_json::json!("1w")),
        // Until unlock, and the cap of a timed lockout.
        ("lockout", "manual", "lockout", serde_json::json!("manual")),
        ("lockout-max", "1d", "lockout_max", serde_json::json!("1d")),
        ("max-drift", "10", "max_drift", serde_json::json!(10)),
    ] {
        assert_eq!(get(&env, key), value, "{key}");
        for asked in [key, json_key] {
            let out = env
                .cmd()
                .args(["--json", "config", "get", asked])
                .assert()
                .success();
            let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
            assert_eq!(
                doc,
                serde_json::json!({ "key": json_key, "value": json_value })
            );
        }
    }
    // The table lists every key.
    let out = env.cmd().args(["config", "get"]).assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for key in [
        "issuer",
        "skew",
        "max-failures",
        "algorithm",
        "digits",
        "period",
        "pending-ttl",
        "max-drift",
    ] {
        assert!(
            table.lines().any(|l| l.trim_start().starts_with(key)),
            "{table}"
        );
    }
}

#[test]
fn set_changes_each_setting_persistently_and_audits_it() {
    let env = TestEnv::initialised();
    for (key, value, shown) in [
        ("issuer", "Acme Corp", "Acme Corp"),
        ("skew", "0", "0"),
        ("skew", "10", "10"),
        ("max-failures", "1", "1"),
        ("max-failures", "100", "100"),
        ("algorithm", "sha256", "SHA256"),
        ("digits", "8", "8"),
        ("period", "60", "60"),
        ("pending-ttl", "36h", "36h"),
        ("pending-ttl", "14d", "2w"),
        ("pending-ttl", "0", "0"),
    ] {
        let before = get(&env, key);
        let out = env
            .cmd()
            .args(["--json", "config", "set", key, value])
            .assert()
            .success();
        let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        // Numbers as numbers, the key in snake_case: the same document as the audit row's.
        let typed = |text: &str| match text.parse::<u64>() {
            Ok(n) if key != "issuer" && key != "pending-ttl" => serde_json::json!(n),
            _ => serde_json::json!(text),
        };
        let json_key = key.replace('-', "_");
        let expected = serde_json::json!({ "key": json_key, "value": typed(shown), "previous": typed(&before) });
        assert_eq!(doc, expected);
        let details = env.query_strings(
            "SELECT details FROM audit_log WHERE event = 'config-set' ORDER BY id DESC LIMIT 1",
        );
        let details: serde_json::Value = serde_json::from_str(&details[0]).unwrap();
        assert_eq!(details, expected, "audit row of {key}");
        // A new process reads it back from the store.
        assert_eq!(get(&env, key), shown, "{key}");
    }
    let audited = env.query_i64("SELECT count(*) FROM audit_log WHERE event = 'config-set'");
    assert_eq!(audited, 11);

    // Enrollment defaults apply to new enrollments.
    let doc = env.enroll("alice", &[]);
    assert_eq!(
        (
            &doc["issuer"],
            &doc["algorithm"],
            &doc["digits"],
            &doc["period"]
        ),
        (
            &serde_json::json!("Acme Corp"),
            &serde_json::json!("SHA256"),
            &serde_json::json!(8),
            &serde_json::json!(60)
        )
    );
}

#[test]
fn invalid_keys_and_values_are_refused_and_change_nothing() {
    let env = TestEnv::initialised();
    set(&env, "skew", "2");
    let long_issuer = "x".repeat(300);
    let cases: &[(&str, &str, &str)] = &[
        ("colour", "blue", "not a setting"),
        ("Skew", "1", "not a setting"),
        ("", "1", "not a setting"),
        ("skew", "11", "0 to 10"),
        ("skew", "-1", "0 to 10"),
        ("skew", "1.5", "0 to 10"),
        ("skew", "one", "0 to 10"),
        ("skew", "", "0 to 10"),
        ("skew", "99999999999999999999", "0 to 10"),
        ("max-failures", "0", "1 to 100"),
        ("max-failures", "101", "1 to 100"),
        ("max-failures", "-5", "1 to 100"),
        ("algorithm", "md5", "sha1, sha256 or sha512"),
        ("algorithm", "", "sha1, sha256 or sha512"),
        ("digits", "5", "6 to 8"),
        ("digits", "9", "6 to 8"),
        ("period", "9", "10 to 300"),
        ("period", "301", "10 to 300"),
        ("pending-ttl", "7", "like 90s, 30m, 24h, 7d or 2w"),
        ("pending-ttl", "-1d", "like 90s, 30m, 24h, 7d or 2w"),
        ("pending-ttl", "1.5d", "like 90s, 30m, 24h, 7d or 2w"),
        ("pending-ttl", "", "like 90s, 30m, 24h, 7d or 2w"),
        (
            "pending-ttl",
            "99999999999999w",
            "like 90s, 30m, 24h, 7d or 2w",
        ),
        ("issuer", "", "must not be empty"),
        ("issuer", "Acme:Corp", "':' is not allowed"),
        ("issuer", "Acme\u{7}", "control character"),
        ("issuer", " Acme", "whitespace"),
        ("issuer", &long_issuer, "300 bytes"),
    ];
    let before = env.snapshot();
    for &(key, value, message) in cases {
        let out = env
            .cmd()
            .args(["config", "set", "--", key, value])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.starts_with("error: "), "{key}={value:?}: {stderr}");
        assert!(stderr.contains(message), "{key}={value:?}: {stderr}");
        // --json reports it as one machine-readable document.
        let out = env
            .cmd()
            .args(["--json", "config", "set", "--", key, value])
            .assert()
            .code(2);
        let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(doc["error"]["kind"], "invalid_input", "{doc}");
        assert_eq!(env.snapshot(), before, "{key}={value:?} changed the store");
    }
    assert_eq!(get(&env, "skew"), "2");

    // An unknown key is refused by get as well.
    let out = env.cmd().args(["config", "get", "colour"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("not a setting") && stderr.contains("max-failures"),
        "{stderr}"
    );
    // Without `--`, a negative value still reaches mfactl's validation (not clap's).
    env.cmd()
        .args(["config", "set", "skew", "-1"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("0 to 10"));
    // And set needs both arguments.
    env.cmd().args(["config", "set", "skew"]).assert().code(2);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn skew_zero_rejects_the_previous_steps_code_and_skew_two_accepts_two_back() {
    let (zero_prev, zero_now, one_prev, two_back, two_too_far) = in_one_step(|step| {
        let env = TestEnv::initialised();
        let secret = |u: &str| env.enroll(u, &[])["secret"].as_str().unwrap().to_owned();
        let (a, b, c) = (secret("a"), secret("b"), secret("c"));
        // Default skew 1: the previous step is accepted.
        let one_prev = env.verify("c", &code_at_step(&c, step - 1));
        set(&env, "skew", "0");
        let zero_prev = env.verify("a", &code_at_step(&a, step - 1));
        let zero_now = env.verify("a", &code_at_step(&a, step));
        set(&env, "skew", "2");
        let two_back = env.verify("b", &code_at_step(&b, step - 2));
        let two_too_far = env.verify("b", &code_at_step(&b, step + 3));
        (zero_prev, zero_now, one_prev, two_back, two_too_far)
    });
    assert_eq!((one_prev.0, &one_prev.1["reason"]), (0, &"ok".into()));
    assert_eq!(
        (zero_prev.0, &zero_prev.1["reason"]),
        (1, &"invalid".into())
    );
    assert_eq!((zero_now.0, &zero_now.1["reason"]), (0, &"ok".into()));
    assert_eq!((two_back.0, &two_back.1["reason"]), (0, &"ok".into()));
    assert_eq!(
        (two_too_far.0, &two_too_far.1["reason"]),
        (1, &"invalid".into())
    );
}

#[test]
fn max_failures_two_locks_after_two() {
    let env = TestEnv::initialised();
    set(&env, "max-failures", "2");
    let secret = env.enroll_enabled("alice");
    let wrong = wrong_code(&secret);
    let (code, doc) = env.verify("alice", &wrong);
    assert_eq!((code, &doc["reason"]), (1, &"invalid".into()));
    assert!(env.list(&["--status", "locked"]).is_empty());
    assert_eq!(env.verify("alice", &wrong).0, 1);
    let locked = env.list(&["--status", "locked"]);
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0]["user"], "alice");
    assert_eq!(locked[0]["failures"], 2);
    let fresh = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    assert_eq!(env.verify("alice", &fresh).1["reason"], "locked");

    // Raising the limit does not unlock anyone; only unlock does.
    set(&env, "max-failures", "10");
    assert_eq!(env.verify("alice", &fresh).1["reason"], "locked");
    env.cmd().args(["unlock", "alice"]).assert().success();
    assert_eq!(env.verify("alice", &fresh).0, 0);
}
