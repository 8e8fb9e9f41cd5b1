//! Export and import: export needs --yes without a terminal; its URI and CSV output imports
//! into a fresh store with the same secrets (proved with codes from the independent HOTP
//! oracle); import validates every line first and is all or nothing; --dry-run changes nothing.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

/// A user name that needs percent-encoding in an otpauth URI.
const ERIN: &str = "erin smith@example.com";

/// One enrolled user as the test knows it.
#[derive(Clone, Debug)]
struct Known {
    secret: String,
    uri: String,
    algorithm: &'static str,
    digits: u32,
    period: u64,
}

/// A store with users of different parameters and states: alice enabled (defaults), bob
/// pending (SHA256, 8 digits, 60 s), carol enabled (SHA512, 7 digits, 45 s), dave disabled,
/// and a name and issuer that need percent-encoding in a URI (enabled).
fn source_store() -> (TestEnv, BTreeMap<&'static str, Known>) {
    let env = TestEnv::initialised();
    let mut known = BTreeMap::new();
    for (user, args, algorithm, digits, period) in [
        ("alice", &[][..], "SHA1", 6, 30),
        (
            "bob",
            &["--algorithm", "sha256", "--digits", "8", "--period", "60"],
            "SHA256",
            8,
            60,
        ),
        (
            "carol",
            &["--algorithm", "sha512", "--digits", "7", "--period", "45"],
            "SHA512",
            7,
            45,
        ),
        ("dave", &[], "SHA1", 6, 30),
        (ERIN, &["--issuer", "Ünï Corp"], "SHA1", 6, 30),
    ] {
        let doc = env.enroll(user, args);
        // Enrollment's pairing URI leaves out default parameters; export writes every one.
        let pairing = doc["otpauth_uri"].as_str().unwrap();
        let uri = if (algorithm, digits, period) == ("SHA1", 6, 30) {
            format!("{pairing}&algorithm=SHA1&digits=6&period=30")
        } else {
            pairing.to_owned()
        };
        known.insert(
            user,
            Known {
                secret: doc["secret"].as_str().unwrap().into(),
                uri,
                algorithm,
                digits,
                period,
            },
        );
    }
    for user in ["alice", "carol", "dave", ERIN] {
        let k = &known[user];
        let code = totp_now(&k.secret, k.algorithm, k.digits, k.period);
        env.cmd()
            .args(["verify", user])
            .write_stdin(format!("{code}\n"))
            .assert()
            .code(0);
    }
    env.cmd()
        .args(["disable", "dave", "--yes"])
        .assert()
        .success();
    known.remove("dave");
    (env, known)
}

fn export(env: &TestEnv, args: &[&str]) -> String {
    let out = env
        .cmd()
        .args(["export", "--yes"])
        .args(args)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// Checks that `env` holds each user's secret by having mfactl accept a code computed from
/// the original secret by the test's own HOTP.
fn assert_same_secrets(env: &TestEnv, known: &BTreeMap<&'static str, Known>) {
    for (user, k) in known {
        // One step ahead: newer than anything used on the source store.
        let code = totp_at(
            &k.secret,
            k.algorithm,
            k.digits,
            k.period,
            unix_now() + k.period,
        );
        env.cmd()
            .args(["verify", user])
            .write_stdin(format!("{code}\n"))
            .assert()
            .code(0);
    }
}

#[test]
fn export_without_yes_and_without_a_terminal_prints_nothing() {
    let (env, _) = source_store();
    let before = env.snapshot();
    for fmt in ["uri", "csv", "json"] {
        let out = env.cmd().args(["export", "--format", fmt]).assert().code(2);
        assert!(
            out.get_output().stdout.is_empty(),
            "export printed without --yes"
        );
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(stderr.contains("--yes"), "{stderr}");
    }
    // Not even audited: nothing was shown.
    assert_eq!(env.snapshot(), before);
}

#[test]
fn export_formats_and_status_filter() {
    let (env, known) = source_store();

    // Each URI is the one enroll printed, with the user's status as an extra parameter.
    let with_status = |user: &str| {
        let status = if user == "bob" { "pending" } else { "enabled" };
        format!("{}&status={status}&token=default", known[user].uri)
    };
    let uris = export(&env, &[]);
    let lines: Vec<&str> = uris.lines().collect();
    let expected: Vec<String> = known.keys().map(|u| with_status(u)).collect();
    assert_eq!(
        lines, expected,
        "URI export (sorted by user, disabled left out)"
    );

    assert_eq!(
        export(&env, &["--status", "pending"])
            .lines()
            .collect::<Vec<_>>(),
        [with_status("bob")]
    );
    assert_eq!(
        export(&env, &["--status", "enabled"])
            .lines()
            .collect::<Vec<_>>(),
        [
            with_status("alice"),
            with_status("carol"),
            with_status(ERIN)
        ]
    );

    let csv = export(&env, &["--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["user", "token", "status", "uri"]
    );
    let rows: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(
                &r[1], "default",
                "single-token users export their default token"
            );
            (r[0].to_owned(), r[2].to_owned(), r[3].to_owned())
        })
        .collect();
    let expected: Vec<(String, String, String)> = known
        .iter()
        .map(|(u, k)| {
            let status = if *u == "bob" { "pending" } else { "enabled" };
            (u.to_string(), status.to_owned(), k.uri.clone())
        })
        .collect();
    assert_eq!(rows, expected);

    for (global, local) in [(&[][..], &["--format", "json"][..]), (&["--json"], &[])] {
        let out = env
            .cmd()
            .args(global)
            .args(["export", "--yes"])
            .args(local)
            .assert()
            .success();
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let arr = doc.as_array().unwrap();
        assert_eq!(arr.len(), 4);
        for e in arr {
            let k = &known[e["user"].as_str().unwrap()];
            assert_eq!(e["secret"], k.secret.as_str());
            assert_eq!(e["otpauth_uri"], k.uri.as_str());
            assert_eq!(e["algorithm"], k.algorithm);
            assert_eq!(e["digits"], k.digits);
            assert_eq!(e["period"], k.period);
        }
        let status: BTreeMap<&str, &str> = arr
            .iter()
            .map(|e| (e["user"].as_str().unwrap(), e["status"].as_str().unwrap()))
            .collect();
        assert_eq!(status["alice"], "enabled");
        assert_eq!(status["bob"], "pending");
    }
}

/// `list --json` without the times (which an import cannot keep) and the disabled users
/// (whom export leaves out: they have no secret).
fn list_without_times(env: &TestEnv) -> Vec<Value> {
    let out = env.cmd().args(["--json", "list"]).assert().success();
    let list: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let mut rows = list.as_array().unwrap().clone();
    rows.retain(|u| u["status"] != "disabled");
    for u in &mut rows {
        let u = u.as_object_mut().unwrap();
        for key in [
            "created_at",
            "updated_at",
            "enabled_at",
            "disabled_at",
            "last_used_at",
            // Counts from the import, like the times above.
            "pending_expires_at",
        ] {
            assert!(u.remove(key).is_some(), "list --json has no {key}");
        }
        // The tokens' times too.
        for t in u["tokens"].as_array_mut().unwrap() {
            let t = t.as_object_mut().unwrap();
            for key in ["created_at", "enabled_at", "last_used_at"] {
                assert!(t.remove(key).is_some(), "a token has no {key}");
            }
        }
    }
    rows
}

#[test]
fn every_export_format_round_trips_into_a_fresh_store() {
    let (src, known) = source_store();
    let before = list_without_times(&src);
    assert_eq!(before.len(), 4);
    for fmt in ["uri", "csv", "json"] {
        let text = export(&src, &["--format", fmt]);
        let dst = TestEnv::initialised();
        let file = dst.dir.path().join(format!("export.{fmt}"));
        std::fs::write(&file, &text).unwrap();
        dst.cmd()
            .arg("import")
            .arg(&file)
            .args(["--format", fmt])
            .assert()
            .success();
        // Same users, statuses (bob stays pending), parameters and issuers.
        assert_eq!(list_without_times(&dst), before, "{fmt}");
        assert_same_secrets(&dst, &known);
    }
}

#[test]
fn import_status_overrides_the_status_in_the_input() {
    let (src, _) = source_store();
    let text = export(&src, &["--format", "csv"]);
    let dst = TestEnv::initialised();
    dst.cmd()
        .args(["import", "-", "--format", "csv", "--status", "pending"])
        .write_stdin(text)
        .assert()
        .success();
    for u in list_without_times(&dst) {
        assert_eq!(u["status"], "pending", "{u}");
    }
}

#[test]
fn import_from_stdin_as_pending() {
    let (src, known) = source_store();
    let text = export(&src, &[]);
    let dst = TestEnv::initialised();
    dst.cmd()
        .args(["import", "-", "--status", "pending"])
        .write_stdin(text)
        .assert()
        .success();
    let out = dst
        .cmd()
        .args(["--json", "list", "--status", "pending"])
        .assert()
        .success();
    let list: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert_same_secrets(&dst, &known);
}

fn secret_of(seed: u8) -> String {
    data_encoding::BASE32_NOPAD.encode(&[seed; 20])
}

#[test]
fn import_reports_every_bad_line_and_imports_nothing() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let before = env.snapshot();
    let good = |user: &str, seed: u8| {
        format!(
            "otpauth://totp/mfactl:{user}?secret={}&issuer=mfactl",
            secret_of(seed)
        )
    };
    let lines = [
        good("erin", 1),                                                    // 1 ok
        "this is not a uri".to_owned(),                                     // 2 bad
        "# a comment".to_owned(),                                           // 3 skipped
        "otpauth://totp/mfactl:frank?secret=!!!!&issuer=mfactl".to_owned(), // 4 bad secret
        good("gina", 2),                                                    // 5 ok
        good("erin", 3),                                                    // 6 duplicate
        String::new(),                                                      // 7 blank
        format!(
            "otpauth://totp/mfactl:hank?secret={}&issuer=mfactl&digits=9",
            secret_of(4)
        ), // 8 bad digits
        good("alice", 5),                                                   // 9 already enabled
        "otpauth://totp/mfactl:ivan?secret=JBSWY3DP&issuer=mfactl".to_owned(), // 10 too short
    ];
    let text = lines.join("\n") + "\n";
    let file = env.dir.path().join("bad.txt");
    std::fs::write(&file, &text).unwrap();

    for dry in [false, true] {
        let mut cmd = env.cmd();
        cmd.arg("import").arg(&file);
        if dry {
            cmd.arg("--dry-run");
        }
        let out = cmd.assert().code(2);
        assert!(out.get_output().stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        for n in [2, 4, 6, 8, 9, 10] {
            assert!(
                stderr.contains(&format!("line {n}:")),
                "line {n} not reported: {stderr}"
            );
        }
        for n in [1, 3, 5, 7] {
            assert!(
                !stderr.contains(&format!("line {n}:")),
                "line {n} wrongly reported: {stderr}"
            );
        }
        // Problems are reported without echoing secrets.
        for seed in 1..=5 {
            assert!(!stderr.contains(&secret_of(seed)), "{stderr}");
        }
        assert_eq!(env.snapshot(), before, "a refused import changed the store");
    }

    // Fixed, the same file imports (proving the good lines were good).
    let fixed = [good("erin", 1), good("gina", 2)].join("\n");
    std::fs::write(&file, fixed).unwrap();
    env.cmd().arg("import").arg(&file).assert().success();
    let erin = totp_now(&secret_of(1), "SHA1", 6, 30);
    env.cmd()
        .args(["verify", "erin"])
        .write_stdin(format!("{erin}\n"))
        .assert()
        .code(0);
}

#[test]
fn csv_import_reports_bad_rows_by_line() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let uri = |user: &str, seed: u8| {
        format!(
            "otpauth://totp/mfactl:{user}?secret={}&issuer=mfactl",
            secret_of(seed)
        )
    };
    let text = format!(
        "user,uri\nerin,{}\nfrank,not-a-uri\nbad:name,{}\ngina,{}\n",
        uri("erin", 1),
        uri("x", 2),
        uri("gina", 3)
    );
    let out = env
        .cmd()
        .args(["import", "-", "--format", "csv"])
        .write_stdin(text.clone())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("line 3:"), "{stderr}");
    assert!(stderr.contains("line 4:"), "{stderr}");
    assert!(
        !stderr.contains("line 2:") && !stderr.contains("line 5:"),
        "{stderr}"
    );
    assert_eq!(env.snapshot(), before);

    // The user column wins over the URI's label.
    let text = format!("user,uri\nrenamed,{}\n", uri("label", 7));
    env.cmd()
        .args(["import", "-", "--format", "csv"])
        .write_stdin(text)
        .assert()
        .success();
    let code = totp_now(&secret_of(7), "SHA1", 6, 30);
    env.cmd()
        .args(["verify", "renamed"])
        .write_stdin(format!("{code}\n"))
        .assert()
        .code(0);
}

#[test]
fn dry_run_validates_and_changes_nothing() {
    let (src, _) = source_store();
    let text = export(&src, &[]);
    let dst = TestEnv::initialised();
    let before = dst.snapshot();
    let out = dst
        .cmd()
        .args(["--json", "import", "-", "--dry-run"])
        .write_stdin(text.clone())
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["valid"], 4);
    assert_eq!(doc["imported"], 0);
    assert_eq!(dst.snapshot(), before);

    dst.cmd()
        .args(["import", "-"])
        .write_stdin(text)
        .assert()
        .success();
    assert_ne!(dst.snapshot(), before);
}
