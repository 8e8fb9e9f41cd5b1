//! Issue 10, items 3 and 4: nothing stored or typed reaches the terminal as a control,
//! bidi or invisible character, and names that look the same are not silently different users.
//! Runs on SQLite and, with `MFACTL_TEST_PG`, on PostgreSQL.

mod common;

use std::process::Output;

use common::*;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Characters that must never reach a terminal raw from mfactl's human output.
const DANGEROUS: &[char] = &[
    '\u{1b}', '\u{7}', '\u{8}', '\r', '\u{9b}', '\u{202e}', '\u{202d}', '\u{2066}', '\u{2067}',
    '\u{2068}', '\u{2069}', '\u{200b}', '\u{200e}', '\u{200f}', '\u{feff}', '\u{2028}',
];

fn assert_clean(what: &str, s: &str) {
    if let Some(c) = s.chars().find(|c| DANGEROUS.contains(c)) {
        panic!("{what} holds the raw character U+{:04X}: {s:?}", c as u32);
    }
}

fn assert_clean_output(what: &str, out: &Output) {
    assert_clean(&format!("{what} stdout"), &text(&out.stdout));
    assert_clean(&format!("{what} stderr"), &text(&out.stderr));
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): stdout {:?}, stderr {:?}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// Inserts a user row directly, as an older mfactl (or another tool) may have written it.
fn insert_legacy_user(env: &TestEnv, name: &str) {
    let esc = name.replace('\'', "''");
    let now = "2026-01-01T00:00:00Z";
    let id = format!("legacy-{}", name.len() + name.chars().count() * 7);
    env.execute(&format!(
        "INSERT INTO mfa_user (id, %USER%, created_at, updated_at, failed_attempts) \
         VALUES ('{id}', '{esc}', '{now}', '{now}', 0)"
    ));
    env.execute(&format!(
        "INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, period, \
         issuer, created_at, updated_at) \
         VALUES ('{id}', '{id}', 'default', NULL, 'disabled', 'SHA1', 6, 30, 'mfactl', '{now}', \
         '{now}')"
    ));
}

// ---------------------------------------------------------------------------------------
// Item 3: terminal injection

#[test]
fn an_actor_with_escape_sequences_is_refused() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let before = env.snapshot();
    let out = env
        .cmd()
        .args(["--actor", "bob\u{1b}[2J\u{1b}[31mFAKE\u{1b}]0;pwned\u{7}"])
        .args(["disable", "alice", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("invalid actor"),
        "{}",
        text(&out.stderr)
    );
    assert_clean_output("disable with a hostile actor", &out);
    assert_eq!(env.snapshot(), before, "nothing may change");

    for actor in ["bob\u{202e}", "b\u{200b}ob", " bob"] {
        let out = env
            .cmd()
            .env("MFACTL_ACTOR", actor)
            .args(["--json", "disable", "alice", "--yes"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{actor:?}");
        assert_eq!(json(&out)["error"]["kind"], "invalid_input", "{actor:?}");
        assert_clean_output("disable with an invisible actor", &out);
    }
    assert_eq!(env.snapshot(), before, "nothing may change");
}

#[test]
fn the_os_user_is_validated_too() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let out = env
        .cmd()
        .env_remove("MFACTL_ACTOR")
        .env("USER", "eve\u{1b}[2J")
        .args(["disable", "alice", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_clean_output("disable as a hostile $USER", &out);
    // A plain actor is stored as given, NFC-normalised.
    env.cmd()
        .env("MFACTL_ACTOR", "Jose\u{301}")
        .args(["disable", "alice", "--yes"])
        .assert()
        .success();
    let actors = env.query_strings("SELECT actor FROM audit_log WHERE event = 'disable'");
    assert_eq!(actors, ["Jos\u{e9}"]);
}

#[test]
fn log_and_list_escape_what_older_versions_stored() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    env.cmd()
        .args(["disable", "alice", "--yes", "--reason"])
        .arg("ticket\u{202e}1147\u{1b}[2K\u{1b}[1A")
        .assert()
        .success();
    // Rows as a version without the checks wrote them.
    env.execute(
        "UPDATE audit_log SET actor = 'bob' || char(27) || '[2J' || char(27) || ']0;pwned' || char(7) \
         WHERE event = 'disable'"
            .replace("char(", if env.is_pg() { "chr(" } else { "char(" })
            .as_str(),
    );
    insert_legacy_user(&env, "mallory\u{202e}gnp.exe");
    env.execute(
        "UPDATE mfa_token SET issuer = 'Acme' || char(27) || '[31m' WHERE id LIKE 'legacy-%'"
            .replace("char(", if env.is_pg() { "chr(" } else { "char(" })
            .as_str(),
    );

    let log = env.cmd().arg("log").output().unwrap();
    assert!(log.status.success(), "{}", text(&log.stderr));
    assert_clean_output("log", &log);
    let shown = text(&log.stdout);
    assert!(
        shown.contains(r"\u{1b}[2J"),
        "the escape is shown visibly: {shown}"
    );
    assert!(
        shown.contains(r"\u{202e}"),
        "the bidi override is shown visibly: {shown}"
    );

    let list = env.cmd().args(["list", "-o", "wide"]).output().unwrap();
    assert!(list.status.success(), "{}", text(&list.stderr));
    assert_clean_output("list", &list);
    let shown = text(&list.stdout);
    assert!(shown.contains(r"mallory\u{202e}gnp.exe"), "{shown}");
    assert!(shown.contains(r"Acme\u{1b}[31m"), "{shown}");

    // --json stays exact.
    let entries = json(&env.cmd().args(["--json", "log"]).output().unwrap());
    let disable = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "disable")
        .unwrap()
        .clone();
    assert_eq!(disable["actor"], "bob\u{1b}[2J\u{1b}]0;pwned\u{7}");
    assert_eq!(
        disable["details"]["reason"],
        "ticket\u{202e}1147\u{1b}[2K\u{1b}[1A"
    );
    let users = env.list(&[]);
    assert!(users.iter().any(|u| u["user"] == "mallory\u{202e}gnp.exe"));
}

#[test]
fn messages_and_errors_escape_stored_names() {
    let env = TestEnv::initialised();
    insert_legacy_user(&env, "eve\u{200b}");
    // A legacy name is still addressable, exactly as stored, and printed escaped.
    let out = env
        .cmd()
        .args(["enroll", "--no-qr", "eve\u{200b}"])
        .output()
        .unwrap();
    assert_clean_output("re-enrolling a legacy name", &out);
    let out = env
        .cmd()
        .args(["disable", "--yes", "eve\u{200b}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean_output("disable", &out);
    assert!(
        text(&out.stdout).contains(r"eve\u{200b}"),
        "{}",
        text(&out.stdout)
    );

    // An unknown name with a bidi override: the error is escaped, on stderr and in JSON.
    let out = env
        .cmd()
        .args(["--json", "verify", "bob\u{202e}kcab", "123456"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean_output("verify of an unknown name", &out);
    let doc = json(&out);
    assert_eq!(doc["error"]["kind"], "unknown_user");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains(r"bob\u{202e}kcab"),
        "{doc}"
    );
}

// ---------------------------------------------------------------------------------------
// Item 4: names that look the same

#[test]
fn invisible_and_format_characters_are_refused_in_new_names() {
    let env = TestEnv::initialised();
    for name in [
        "alice\u{200b}",
        "al\u{200d}ice",
        "\u{feff}alice",
        "alice\u{202e}",
        "ali\u{2066}ce",
        "alice\u{ad}",
        "alice\u{3164}",
        "ali\u{a0}ce",
    ] {
        let out = env.cmd().args(["--json", "enroll", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name:?} must be refused");
        let doc = json(&out);
        assert_eq!(doc["error"]["kind"], "invalid_input", "{name:?}: {doc}");
        assert_clean_output("enroll of an invisible name", &out);
    }
    assert!(env.list(&[]).is_empty());
}

#[test]
fn names_are_stored_nfc_and_looked_up_after_nfc() {
    let env = TestEnv::initialised();
    let doc = env.enroll("a\u{308}lice", &[]);
    assert_eq!(doc["user"], "\u{e4}lice", "stored and reported in NFC");
    let users = env.query_strings("SELECT %USER% FROM mfa_user");
    assert_eq!(users, ["\u{e4}lice"]);
    // Either form addresses the one user.
    env.cmd()
        .args(["--json", "disable", "--yes", "a\u{308}lice"])
        .assert()
        .success();
    let out = env
        .cmd()
        .args(["--json", "enroll", "\u{e4}lice"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "re-enrolling the disabled user: {}",
        text(&out.stderr)
    );
    assert_eq!(env.list(&[]).len(), 1);
}

#[test]
fn a_legacy_nfd_name_stays_addressable() {
    let env = TestEnv::initialised();
    insert_legacy_user(&env, "zoe\u{301}");
    // Typed as stored (NFD): found, although the lookup tries the NFC form first.
    let out = env
        .cmd()
        .args(["--json", "disable", "--yes", "zoe\u{301}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json(&out)["changed"], false);
    assert_eq!(json(&out)["user"], "zoe\u{301}", "the stored name, exactly");
    // Its audit history too: rows written under the stored form (as an older mfactl did).
    env.execute(
        "INSERT INTO audit_log (at, event, %USER%, actor, details) \
         VALUES ('2026-01-01T00:00:00Z', 'enroll', 'zoe\u{301}', 'op', '{}')",
    );
    let out = env
        .cmd()
        .args(["--json", "log", "zoe\u{301}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<String> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap(),
                e["user"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        events.contains(&"enroll zoe\u{301}".to_owned()),
        "the legacy user's own rows: {events:?}"
    );
    // The NFC form is a new name that looks exactly like it: refused.
    let out = env
        .cmd()
        .args(["--json", "enroll", "zo\u{e9}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["error"]["kind"], "similar_user");
}

#[test]
fn confusable_names_are_refused_unless_allowed() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let before = env.snapshot();
    for name in [
        "al\u{456}ce",                              // Cyrillic і
        "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}", // fullwidth
        "Alice",
        "ALICE",
        "a\u{217c}ice", // small roman numeral fifty
    ] {
        let out = env.cmd().args(["--json", "enroll", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name:?} must be refused");
        let doc = json(&out);
        assert_eq!(doc["error"]["kind"], "similar_user", "{name:?}: {doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("\"alice\""),
            "names the existing user: {message}"
        );
        assert!(
            doc["error"]["hint"]
                .as_str()
                .unwrap()
                .contains("--allow-similar"),
            "{doc}"
        );
        let human = env.cmd().args(["enroll", name]).output().unwrap();
        assert!(
            text(&human.stderr).contains("alice"),
            "{}",
            text(&human.stderr)
        );
    }
    assert_eq!(env.snapshot(), before, "nothing may change");

    env.cmd()
        .args(["--json", "enroll", "al\u{456}ce", "--allow-similar"])
        .assert()
        .success();
    assert_eq!(env.list(&[]).len(), 2);
    // Re-enrolling an existing name is not a new look-alike.
    env.cmd()
        .args(["--json", "enroll", "alice", "--force"])
        .assert()
        .success();
}

#[test]
fn a_new_name_like_a_legacy_invisible_one_is_refused() {
    let env = TestEnv::initialised();
    insert_legacy_user(&env, "bob\u{200b}");
    let out = env
        .cmd()
        .args(["--json", "enroll", "bob"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    assert_eq!(doc["error"]["kind"], "similar_user", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains(r"bob\u{200b}"),
        "{doc}"
    );
    assert_clean_output("enroll like a legacy name", &out);
}

fn uri(user: &str, secret: &str) -> String {
    let label: String = user
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("otpauth://totp/{label}?secret={secret}&issuer=mfactl")
}

#[test]
fn import_refuses_confusable_names_and_says_which_lines() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let before = env.snapshot();
    let batch = [
        uri("carol", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        uri("al\u{456}ce", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"),
        uri("dave", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXR"),
        uri("\u{ff44}ave", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXS"),
    ]
    .join("\n");
    let file = env.dir.path().join("users.txt");
    std::fs::write(&file, format!("{batch}\n")).unwrap();
    let out = env
        .cmd()
        .args(["--json", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("line 2:"), "{err}");
    assert!(err.contains("line 4:"), "{err}");
    assert!(
        !err.contains("line 1:") && !err.contains("line 3:"),
        "{err}"
    );
    assert!(err.contains("line 3"), "line 4 names line 3: {err}");
    assert_clean_output("import", &out);
    assert_eq!(env.snapshot(), before, "all or nothing");

    let out = env
        .cmd()
        .args(["--json", "import", "--allow-similar"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json(&out)["imported"], 4);
}

#[test]
fn import_refuses_invisible_names() {
    let env = TestEnv::initialised();
    let file = env.dir.path().join("users.txt");
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n",
            uri("erin", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            uri("fr\u{200b}ank", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ")
        ),
    )
    .unwrap();
    let out = env.cmd().arg("import").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("line 2: invalid user name: invisible"),
        "{err}"
    );
    assert!(!err.contains("line 1:"), "{err}");
    assert_clean_output("import", &out);
    assert!(env.list(&[]).is_empty());
}

/// Importing a further token for an existing user is no new name: it is not refused as a
/// look-alike of another existing user that resembles it (enrolled with --allow-similar).
#[test]
fn importing_a_token_for_an_existing_user_is_no_new_look_alike() {
    let env = TestEnv::initialised();
    env.cmd().args(["enroll", "alice"]).assert().success();
    env.cmd()
        .args(["enroll", "al\u{456}ce", "--allow-similar"])
        .assert()
        .success();
    // The newer of the two: the one whose name resembles an earlier user's.
    let csv = "user,token,status,uri\n\
               al\u{456}ce,laptop,enabled,otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n";
    let out = env
        .cmd()
        .args(["--json", "import", "-", "--format", "csv"])
        .write_stdin(csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json(&out)["imported"], 1);
}
