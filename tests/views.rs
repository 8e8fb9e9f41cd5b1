//! What people and scripts see (issue 11): `list` and `log` fitted to the terminal (pty,
//! `COLUMNS=80`) and tab-separated when piped; `show USER`; "did you mean ...?" for mistyped
//! names, and `log` refusing an unknown one; `--since DAY`; and a closed stdout, which ends a
//! command quietly with the status of what it did, never with a panic.

mod common;

use std::process::{Command as StdCommand, Stdio};

use common::*;
use serde_json::Value;

const LONG: &str = "a-really-very-long-user-name-for-testing@some-department.example.com";
const LONG_ISSUER: &str = "Example Corporation Identity and Access Management Team";

/// Runs mfactl on a pseudo-terminal with `COLUMNS=columns`; returns its lines (without the
/// terminal's carriage returns) and exit code.
fn on_terminal(env: &TestEnv, args: &[&str], columns: usize) -> (Vec<String>, i32) {
    let line = common::shell_line(&assert_cmd::cargo::cargo_bin("mfactl"), args);
    let out = StdCommand::new(script_path())
        .env_clear()
        .envs(env.env_vars())
        .env("TERM", "xterm")
        .env("COLUMNS", columns.to_string())
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap().replace('\r', "");
    (
        text.lines().map(str::to_owned).collect(),
        out.status.code().unwrap_or(-1),
    )
}

/// Columns a line takes on a terminal. The tests use ASCII names only (one column each), so
/// the count of characters is the width; `…` is one column too.
fn width(line: &str) -> usize {
    line.chars().count()
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A store with a long name under a long issuer, an enabled user with a failure, and two more.
fn store_with_long_names() -> TestEnv {
    let env = TestEnv::initialised();
    env.enroll(LONG, &["--issuer", LONG_ISSUER]);
    let secret = env.enroll_enabled("bob");
    env.enroll("carol", &[]);
    let (rc, _) = env.verify("bob", &not_a_code_now(&secret));
    assert_eq!(rc, 1);
    env
}

// ---------------------------------------------------------------------------------------
// list and log on a terminal

#[test]
fn list_on_an_80_column_terminal_fits_and_truncates_with_an_ellipsis() {
    let env = store_with_long_names();
    let (lines, rc) = on_terminal(&env, &["list"], 80);
    assert_eq!(rc, 0, "{lines:?}");
    // A header and one line per user: nothing wrapped, no borders.
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["USER", "STATUS", "TOKENS", "LAST", "USED", "FAILURES", "RECOVERY"]
    );
    for line in &lines {
        assert!(width(line) <= 80, "{} columns: {line:?}", width(line));
        assert!(!line.contains(['│', '─', '┌', '|']), "a border: {line:?}");
    }
    let long = lines.iter().find(|l| l.starts_with("a-really")).unwrap();
    assert!(!long.contains(LONG), "{long:?}");
    let shown = long.split_whitespace().next().unwrap();
    assert!(shown.ends_with('…') && LONG.starts_with(shown.trim_end_matches('…')));
    // bob's last use is a whole timestamp, and his failure is counted.
    let bob: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("bob "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(bob[1], "enabled");
    assert_eq!(bob[2], "1", "bob's live tokens");
    assert!(is_timestamp(bob[3]), "{bob:?}");
    assert_eq!(bob[4], "1");
}

#[test]
fn list_wide_shows_every_column_in_full() {
    let env = store_with_long_names();
    let (lines, rc) = on_terminal(&env, &["list", "-o", "wide"], 80);
    assert_eq!(rc, 0, "{lines:?}");
    assert_eq!(lines.len(), 4, "{lines:#?}");
    for h in [
        "USER",
        "STATUS",
        "TOKENS",
        "ISSUER",
        "ALG",
        "DIGITS",
        "PERIOD",
        "CREATED",
        "UPDATED",
        "ENABLED",
        "LAST USED",
        "FAILURES",
        "RECOVERY",
    ] {
        assert!(lines[0].contains(h), "{h}: {}", lines[0]);
    }
    let long = lines.iter().find(|l| l.starts_with("a-really")).unwrap();
    assert!(long.contains(LONG) && long.contains(LONG_ISSUER), "{long}");
    assert!(!long.contains('…'));
}

#[test]
fn log_on_an_80_column_terminal_never_splits_a_timestamp() {
    let env = store_with_long_names();
    env.cmd()
        .args(["disable", "carol", "--yes", "--reason"])
        .arg("ticket 1147: lost phone, escalated by the service desk after two calls")
        .assert()
        .success();
    let events = log_json(&env, &[]);
    let (lines, rc) = on_terminal(&env, &["log"], 80);
    assert_eq!(rc, 0, "{lines:?}");
    assert_eq!(lines.len(), events.len() + 1, "{lines:#?}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["TIME", "EVENT", "USER", "ACTOR", "DETAILS"]
    );
    for (line, event) in lines[1..].iter().zip(&events) {
        assert!(width(line) <= 80, "{} columns: {line:?}", width(line));
        let mut cells = line.split_whitespace();
        assert_eq!(cells.next(), event["at"].as_str(), "{line}");
        assert_eq!(cells.next(), event["event"].as_str(), "{line}");
    }
    // The disable row's details (with the long reason) are cut, not wrapped.
    let disable = lines.iter().find(|l| l.contains(" disable ")).unwrap();
    assert!(disable.ends_with('…'), "{disable}");

    // -o wide: nothing cut, however long.
    let (lines, _) = on_terminal(&env, &["log", "-o", "wide"], 80);
    assert!(lines.iter().any(|l| l.contains("after two calls")));
    assert!(lines.iter().any(|l| l.contains(LONG)));
}

// ---------------------------------------------------------------------------------------
// list and log piped

fn log_json(env: &TestEnv, extra: &[&str]) -> Vec<Value> {
    let out = env
        .cmd()
        .args(["--json", "log"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn tsv(out: &std::process::Output) -> Vec<Vec<String>> {
    assert!(out.status.success(), "{}", stderr(out));
    stdout(out)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

#[test]
fn list_piped_is_tab_separated_with_a_header() {
    let env = store_with_long_names();
    let rows = tsv(&env.cmd().arg("list").output().unwrap());
    assert_eq!(
        rows[0],
        [
            "USER",
            "STATUS",
            "TOKENS",
            "LAST USED",
            "FAILURES",
            "RECOVERY"
        ]
    );
    // What `cut -f1` gives: every name in full, in list's order.
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    let json: Vec<Value> = env.list(&[]);
    let expected: Vec<&str> = json.iter().map(|u| u["user"].as_str().unwrap()).collect();
    assert_eq!(names, expected);
    assert!(names.contains(&LONG));
    for (row, user) in rows[1..].iter().zip(&json) {
        assert_eq!(row.len(), 6, "{row:?}");
        assert_eq!(row[1], user["status"].as_str().unwrap());
        let live = user["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["status"] != "disabled")
            .count();
        assert_eq!(row[2], live.to_string());
        assert_eq!(row[3], user["last_used_at"].as_str().unwrap_or("-"));
        assert_eq!(row[4], user["failures"].to_string());
        assert_eq!(row[5], user["recovery_codes_left"].to_string());
    }

    let bare = tsv(&env.cmd().args(["list", "--no-headers"]).output().unwrap());
    assert_eq!(bare, rows[1..]);

    let wide = tsv(&env.cmd().args(["list", "-o", "wide"]).output().unwrap());
    assert_eq!(
        wide[0],
        [
            "USER",
            "STATUS",
            "TOKENS",
            "ISSUER",
            "ALG",
            "DIGITS",
            "PERIOD",
            "CREATED",
            "UPDATED",
            "ENABLED",
            "LAST USED",
            "FAILURES",
            "RECOVERY"
        ]
    );
    let long = wide.iter().find(|r| r[0] == LONG).unwrap();
    assert_eq!(long[3], LONG_ISSUER);
    assert!(is_timestamp(&long[7]));

    // --json is unchanged by the table options.
    assert_eq!(env.list(&["-o", "wide", "--no-headers"]), json);
}

#[test]
fn an_empty_list_is_a_sentence_on_a_terminal_and_a_header_alone_piped() {
    let env = TestEnv::initialised();
    let (lines, rc) = on_terminal(&env, &["list"], 80);
    assert_eq!(rc, 0);
    assert!(lines[0].starts_with("No users in "), "{lines:?}");
    // Named by where it is (a file's path; a database's masked URL, which holds its name).
    assert!(lines[0].contains(&env.location()), "{lines:?}");
    let (lines, _) = on_terminal(&env, &["log", "--event", "export"], 80);
    assert_eq!(lines, ["No audit events match."]);
    let out = env
        .cmd()
        .args(["log", "--event", "export"])
        .output()
        .unwrap();
    assert_eq!(tsv(&out), [["TIME", "EVENT", "USER", "ACTOR", "DETAILS"]]);

    let out = env.cmd().arg("list").output().unwrap();
    assert_eq!(
        tsv(&out),
        [[
            "USER",
            "STATUS",
            "TOKENS",
            "LAST USED",
            "FAILURES",
            "RECOVERY"
        ]]
    );
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let out = env.cmd().args(["list", "--no-headers"]).output().unwrap();
    assert!(out.stdout.is_empty());
}

#[test]
fn log_piped_is_tab_separated_with_a_header() {
    let env = store_with_long_names();
    let events = log_json(&env, &[]);
    let rows = tsv(&env.cmd().arg("log").output().unwrap());
    assert_eq!(rows[0], ["TIME", "EVENT", "USER", "ACTOR", "DETAILS"]);
    assert_eq!(rows.len(), events.len() + 1);
    for (row, e) in rows[1..].iter().zip(&events) {
        assert_eq!(row[0], e["at"].as_str().unwrap());
        assert_eq!(row[1], e["event"].as_str().unwrap());
        assert_eq!(row[2], e["user"].as_str().unwrap_or("-"));
        assert_eq!(row[3], e["actor"].as_str().unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&row[4]).unwrap(),
            e["details"]
        );
    }
    let bare = tsv(&env.cmd().args(["log", "--no-headers"]).output().unwrap());
    assert_eq!(bare, rows[1..]);
}

// ---------------------------------------------------------------------------------------
// A closed stdout

/// Runs mfactl with stdout on a pipe whose read end is already closed: its first write fails
/// with EPIPE, every time. Returns the exit code (None: killed by a signal) and stderr.
fn with_closed_stdout(env: &TestEnv, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = env
        .std_cmd()
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (out.status.code(), stderr(&out))
}

#[test]
fn a_closed_stdout_ends_each_command_quietly_with_its_status() {
    let env = store_with_long_names();
    let commands: [&[&str]; 11] = [
        &["list"],
        &["list", "-o", "wide"],
        &["--json", "list"],
        &["log"],
        &["--json", "log"],
        &["show", "bob"],
        &["--json", "show", "bob"],
        &["recipients"],
        &["config", "get"],
        &["completions", "bash"],
        &["--help"],
    ];
    for args in commands {
        let (code, err) = with_closed_stdout(&env, args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
    // An error still exits 2, with its message on stderr (and its JSON lost quietly).
    let (code, err) = with_closed_stdout(&env, &["--json", "show", "nobody"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no user") && !err.contains("panicked"),
        "{err}"
    );
    // verify's status is still its verdict.
    let (code, err) = with_closed_stdout(&env, &["verify", "carol", "000000"]);
    assert!(code == Some(1) || code == Some(0), "{code:?} {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn enroll_force_with_a_closed_stdout_replaces_the_secret_and_says_so_in_its_status() {
    let env = store_with_long_names();
    let before = env.stored_secret("bob").unwrap();
    let (code, err) = with_closed_stdout(&env, &["enroll", "bob", "--force", "--no-qr"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // It did what it said: the secret was replaced, and the log says so.
    assert_ne!(env.stored_secret("bob").unwrap(), before);
    assert_eq!(
        env.query_i64("SELECT COUNT(*) FROM audit_log WHERE event = 're-enroll'"),
        1
    );
    assert_eq!(env.list(&["--status", "pending"]).len(), 3);
}

#[test]
fn export_with_a_closed_stdout_is_audited_and_exits_0() {
    let env = store_with_long_names();
    let (code, err) = with_closed_stdout(&env, &["export", "--yes"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        env.query_i64("SELECT COUNT(*) FROM audit_log WHERE event = 'export'"),
        1
    );
}

// ---------------------------------------------------------------------------------------
// show USER

#[test]
fn show_tells_support_staff_what_they_need_and_never_the_secret() {
    let env = TestEnv::initialised();
    env.cmd()
        .args(["config", "set", "max-failures", "1"])
        .assert()
        .success();
    env.enroll(LONG, &["--issuer", LONG_ISSUER]);
    let secret = env.enroll_enabled("bob");
    env.cmd()
        .args(["recovery-codes", "bob", "--count", "3"])
        .assert()
        .success();
    let (rc, v) = env.verify("bob", &not_a_code_now(&secret));
    assert_eq!((rc, &v["reason"]), (1, &Value::from("invalid")), "{v}");

    let out = env.cmd().args(["--json", "show", "bob"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "algorithm",
            "created_at",
            "digits",
            "disabled_at",
            "drift",
            "enabled_at",
            "expired",
            "failures",
            "issuer",
            "last_used_at",
            "locked",
            "locked_at",
            "locked_until",
            "lockouts",
            "max_failures",
            "pending_expires_at",
            "period",
            "recent_events",
            "recovery_codes_left",
            "recovery_codes_legacy",
            "short_secret",
            "status",
            "tokens",
            "updated_at",
            "user",
        ]
    );
    assert_eq!(doc["short_secret"], false);
    assert_eq!(doc["user"], "bob");
    assert_eq!(doc["status"], "enabled");
    assert_eq!(doc["locked"], true);
    assert!(is_timestamp(doc["locked_at"].as_str().unwrap()));
    // Locked until unlock (the default `lockout`): no end, the first lock in a row.
    assert_eq!(doc["locked_until"], Value::Null);
    assert_eq!(doc["lockouts"], 1);
    assert_eq!(doc["failures"], 1);
    assert_eq!(doc["max_failures"], 1);
    assert_eq!(doc["recovery_codes_left"], 3);
    assert_eq!(
        (doc["digits"].clone(), doc["period"].clone()),
        (6.into(), 30.into())
    );
    // The same rows as `log bob --limit 5`, newest first.
    assert_eq!(
        doc["recent_events"].as_array().unwrap(),
        &log_json(&env, &["bob", "--limit", "5"])
    );
    let events: Vec<&str> = doc["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events[..2], ["lock", "verify-rejected"]);

    let stored = env.stored_secret("bob").unwrap();
    let hex = data_encoding::HEXLOWER.encode(&stored);
    let (lines, rc) = on_terminal(&env, &["show", "bob"], 80);
    assert_eq!(rc, 0, "{lines:?}");
    let human = lines.join("\n");
    for text in [&stdout(&out), &human] {
        assert!(!text.contains(&secret), "the secret: {text}");
        assert!(!text.contains(&hex[..32]), "the ciphertext: {text}");
        assert!(!text.contains("age-encryption"), "the ciphertext: {text}");
    }
    for want in [
        "Status:",
        "enabled",
        "locked since",
        "unlock with: mfactl unlock bob",
        "SHA1, 6 digits, every 30 s",
        "3 left",
        "verify-rejected",
    ] {
        assert!(human.contains(want), "{want}: {human}");
    }
    for line in &lines {
        assert!(width(line) <= 80, "{} columns: {line:?}", width(line));
    }

    // A long name and issuer still fit, on a terminal and piped.
    let (lines, _) = on_terminal(&env, &["show", LONG], 80);
    assert!(lines.iter().all(|l| width(l) <= 80), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("pending")));
    let piped = env.cmd().args(["show", LONG]).output().unwrap();
    assert!(piped.status.success());
    assert!(
        stdout(&piped).lines().all(|l| width(l) <= 80),
        "{}",
        stdout(&piped)
    );
}

/// A well-formed code that is none of the codes valid now or one step either side.
fn not_a_code_now(secret: &str) -> String {
    let now = unix_now();
    let valid: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|&t| totp_at(secret, "SHA1", 6, 30, t))
        .collect();
    (0..10)
        .map(|d| d.to_string().repeat(6))
        .find(|c| !valid.contains(c))
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Unknown users

fn error_of(env: &TestEnv, args: &[&str]) -> (String, Value) {
    let out = env.cmd().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    let json = env.cmd().arg("--json").args(args).output().unwrap();
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    (stderr(&out), doc["error"].clone())
}

#[test]
fn a_mistyped_name_gets_did_you_mean() {
    let env = store_with_long_names();
    let before = env.snapshot();
    for args in [
        &["unlock", "bbo"][..],
        &["disable", "bbo", "--yes"],
        &["show-qr", "bbo"],
        &["recovery-codes", "bbo"],
        &["show", "bbo"],
        &["log", "bbo"],
    ] {
        let (err, doc) = error_of(&env, args);
        assert!(
            err.contains(r#"no user "bbo" in the store"#),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(r#"hint: did you mean "bob"?"#),
            "{args:?}: {err}"
        );
        assert_eq!(doc["kind"], "unknown_user", "{args:?}");
        assert!(doc["hint"].as_str().unwrap().contains(r#""bob""#), "{doc}");
    }
    // Nothing close: the plain hint.
    let (err, _) = error_of(&env, &["unlock", "mallory"]);
    assert!(
        err.contains("run 'mfactl list'") && !err.contains("did you mean"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn verify_never_suggests_other_users() {
    let env = store_with_long_names();
    let out = env
        .cmd()
        .args(["verify", "bbo"])
        .write_stdin("123456\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no user"), "{err}");
    assert!(
        !err.contains("bob") && !err.contains("did you mean"),
        "{err}"
    );
    let (_, doc) = error_of(&env, &["verify", "bbo", "123456"]);
    assert!(!doc.to_string().contains("bob"), "{doc}");
}

#[test]
fn log_of_an_unknown_name_is_an_error_unless_the_log_knows_it() {
    let env = store_with_long_names();
    let (err, doc) = error_of(&env, &["log", "nobody"]);
    assert_eq!(doc["kind"], "unknown_user");
    assert!(err.contains(r#"no user "nobody""#), "{err}");

    // A user removed long ago (only the log remembers them).
    env.execute(
        "INSERT INTO audit_log (at, event, %USER%, actor, details) \
         VALUES ('2025-01-01T00:00:00Z', 'disable', 'ghost', 'op', '{}')",
    );
    let events = log_json(&env, &["ghost"]);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["user"], "ghost");

    // A known user whose filters match nothing is not an error.
    let out = env
        .cmd()
        .args(["log", "carol", "--event", "export"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// --since DAY

#[test]
fn since_a_bare_day_starts_at_its_midnight_utc() {
    let env = store_with_long_names();
    for at in [
        "2026-01-30T23:59:59Z",
        "2026-01-31T00:00:00Z",
        "2026-01-31T12:00:00Z",
    ] {
        env.execute(&format!(
            "INSERT INTO audit_log (at, event, %USER%, actor, details) \
             VALUES ('{at}', 'unlock', 'carol', 'op', '{{}}')"
        ));
    }
    let at = |extra: &[&str]| -> Vec<String> {
        log_json(&env, extra)
            .iter()
            .filter(|e| e["event"] == "unlock")
            .map(|e| e["at"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        at(&["carol", "--since", "2026-01-31"]),
        ["2026-01-31T12:00:00Z", "2026-01-31T00:00:00Z"]
    );
    assert_eq!(at(&["carol", "--since", "2026-01-30"]).len(), 3);
    assert!(at(&["carol", "--since", "2026-02-01"]).is_empty());
    let (err, _) = error_of(&env, &["log", "--since", "2026-02-30"]);
    assert!(err.contains("--since"), "{err}");
}
