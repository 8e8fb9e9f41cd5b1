//! The audit log: every state change and sensitive read appends rows (read here directly from
//! the store, SQLite or PostgreSQL), no row ever holds a secret or a code, and `mfactl log` filters and orders them.

mod common;

use std::collections::BTreeMap;

use common::*;
use common::{audit_rows as rows, AuditRow as Row};
use serde_json::Value;

/// Tracks the audit log across commands: `step` returns the rows the last command appended.
struct Tail {
    seen: i64,
}

impl Tail {
    fn new(env: &TestEnv) -> Self {
        Tail {
            seen: rows(env).last().map_or(0, |r| r.id),
        }
    }

    fn step(&mut self, env: &TestEnv) -> Vec<Row> {
        let new: Vec<Row> = rows(env).into_iter().filter(|r| r.id > self.seen).collect();
        if let Some(last) = new.last() {
            self.seen = last.id;
        }
        new
    }

    /// Asserts the last command appended exactly `events` (in any order within its
    /// transaction), each about `user` and by `actor`; returns them by event name.
    fn expect(
        &mut self,
        env: &TestEnv,
        what: &str,
        events: &[&str],
        user: Option<&str>,
    ) -> BTreeMap<String, Vec<Row>> {
        let new = self.step(env);
        let mut got: Vec<&str> = new.iter().map(|r| r.event.as_str()).collect();
        got.sort_unstable();
        let mut want = events.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "audit rows appended by {what}: {new:#?}");
        let mut by_event: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for r in new {
            assert_eq!(r.user.as_deref(), user, "user of {what}'s {} row", r.event);
            assert_eq!(
                r.actor, "test-operator",
                "actor of {what}'s {} row",
                r.event
            );
            let at =
                time::OffsetDateTime::parse(&r.at, &time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|e| panic!("{what}: time {:?} is not RFC 3339: {e}", r.at));
            let age = unix_now() as i64 - at.unix_timestamp();
            assert!(
                (-2..600).contains(&age),
                "{what}: time {:?} is not now",
                r.at
            );
            by_event.entry(r.event.clone()).or_default().push(r);
        }
        by_event
    }
}

fn stdin_verify(env: &TestEnv, user: &str, code: &str, extra: &[&str]) -> Value {
    let out = env
        .cmd()
        .args(["--json", "verify", user])
        .args(extra)
        .write_stdin(format!("{code}\n"))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn whole_lifecycle_is_audited_and_no_row_holds_a_secret_or_code() {
    let env = TestEnv::initialised();
    let mut tail = Tail::new(&env);
    let init_rows = rows(&env);
    assert_eq!(init_rows.len(), 1);
    assert_eq!(init_rows[0].event, "init");

    // Everything sensitive that passes through, to be looked for in every row at the end.
    let mut secrets: Vec<String> = Vec::new();
    let mut codes: Vec<String> = Vec::new();

    env.cmd()
        .args(["config", "set", "max-failures", "3"])
        .assert()
        .success();
    let cfg = tail.expect(&env, "config set", &["config-set"], None);
    assert_eq!(cfg["config-set"][0].details()["key"], "max_failures");

    let first = env.enroll("alice", &[]);
    tail.expect(&env, "enroll", &["enroll"], Some("alice"));
    secrets.push(first["secret"].as_str().unwrap().into());
    secrets.push(first["otpauth_uri"].as_str().unwrap().into());

    // A refused command appends nothing.
    env.cmd().args(["enroll", "alice"]).assert().code(2);
    tail.expect(&env, "refused enroll", &[], None);

    let second = env.enroll("alice", &["--force"]);
    tail.expect(&env, "enroll --force", &["re-enroll"], Some("alice"));
    let secret = second["secret"].as_str().unwrap().to_owned();
    secrets.push(secret.clone());
    secrets.push(second["otpauth_uri"].as_str().unwrap().into());

    let code = totp_now(&secret, "SHA1", 6, 30);
    codes.push(code.clone());
    assert_eq!(stdin_verify(&env, "alice", &code, &[])["accepted"], true);
    tail.expect(
        &env,
        "first verify",
        &["verify-accepted", "confirm"],
        Some("alice"),
    );

    let replay = stdin_verify(&env, "alice", &code, &[]);
    assert_eq!(replay["reason"], "replayed");
    let r = tail.expect(&env, "replayed verify", &["verify-rejected"], Some("alice"));
    assert_eq!(r["verify-rejected"][0].details()["reason"], "replayed");

    let wrong = wrong_code(&secret);
    codes.push(wrong.clone());
    for n in 1..=3 {
        assert_eq!(stdin_verify(&env, "alice", &wrong, &[])["accepted"], false);
        let expected: &[&str] = if n == 3 {
            &["verify-rejected", "lock"]
        } else {
            &["verify-rejected"]
        };
        let r = tail.expect(&env, "wrong code", expected, Some("alice"));
        let d = r["verify-rejected"][0].details();
        assert_eq!(d["reason"], "invalid");
        assert_eq!(d["failures"], n);
    }

    env.cmd().args(["unlock", "alice"]).assert().success();
    tail.expect(&env, "unlock", &["unlock"], Some("alice"));

    let qr = env
        .cmd()
        .args(["show-qr", "alice", "--force"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&qr.get_output().stdout).contains(&secret));
    tail.expect(&env, "show-qr", &["show-qr"], Some("alice"));

    let rc = env
        .cmd()
        .args(["--json", "recovery-codes", "alice", "--count", "3"])
        .assert()
        .success();
    let rc: Value = serde_json::from_slice(&rc.get_output().stdout).unwrap();
    let recovery: Vec<String> = rc["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 3);
    tail.expect(&env, "recovery-codes", &["recovery-codes"], Some("alice"));

    assert_eq!(
        stdin_verify(&env, "alice", &recovery[0], &["--recovery"])["accepted"],
        true
    );
    tail.expect(&env, "recovery verify", &["verify-accepted"], Some("alice"));
    let not_issued = "abcd-efgh-ijkl";
    assert_eq!(
        stdin_verify(&env, "alice", not_issued, &["--recovery"])["accepted"],
        false
    );
    let r = tail.expect(
        &env,
        "wrong recovery code",
        &["verify-rejected"],
        Some("alice"),
    );
    assert_eq!(r["verify-rejected"][0].details()["reason"], "invalid");

    let next = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    codes.push(next.clone());
    assert_eq!(stdin_verify(&env, "alice", &next, &[])["accepted"], true);
    tail.expect(&env, "second verify", &["verify-accepted"], Some("alice"));

    let export = env.cmd().args(["export", "--yes"]).assert().success();
    assert!(String::from_utf8_lossy(&export.get_output().stdout).contains(&secret));
    tail.expect(&env, "export", &["export"], None);

    let bob_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let bob_uri = format!("otpauth://totp/mfactl:bob?secret={bob_secret}&issuer=mfactl");
    secrets.push(bob_secret.into());
    secrets.push(bob_uri.clone());
    let file = env.dir.path().join("import.txt");
    std::fs::write(&file, format!("{bob_uri}\n")).unwrap();
    env.cmd().arg("import").arg(&file).assert().success();
    tail.expect(&env, "import", &["import"], Some("bob"));

    let new_identity = env.dir.path().join("new-identity.txt");
    env.cmd()
        .args(["rekey", "--yes", "--new-identity"])
        .arg(&new_identity)
        .assert()
        .success();
    tail.expect(&env, "rekey", &["rekey"], None);
    for id_file in [&env.identity, &new_identity] {
        let text = std::fs::read_to_string(id_file).unwrap();
        let key = text
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .unwrap();
        secrets.push(key.to_owned());
    }

    env.cmd()
        .args([
            "disable",
            "alice",
            "--yes",
            "--reason",
            "TICKET-42 phone lost",
        ])
        .assert()
        .success();
    let d = tail.expect(&env, "disable", &["disable"], Some("alice"));
    assert_eq!(d["disable"][0].details()["reason"], "TICKET-42 phone lost");

    // Reads change nothing and log nothing.
    for args in [&["list"][..], &["log"], &["recipients"], &["config", "get"]] {
        env.cmd().args(args).assert().success();
    }
    tail.expect(&env, "read-only commands", &[], None);

    let all = rows(&env);
    let mut needles: Vec<String> = Vec::new();
    for s in &secrets {
        needles.push(s.clone());
        needles.push(s.to_lowercase());
    }
    needles.extend(codes.iter().cloned());
    for c in &recovery {
        needles.push(c.clone());
        needles.push(c.replace('-', ""));
        needles.push(c.replace('-', "").to_uppercase());
    }
    needles.push(not_issued.into());
    for row in &all {
        let text = row.text();
        for n in &needles {
            assert!(
                !text.contains(n.as_str()),
                "audit row {} ({}) contains sensitive text {n:?}",
                row.id,
                row.event
            );
        }
    }
}

#[test]
fn actor_comes_from_flag_then_env_then_os_user() {
    let env = TestEnv::initialised();
    env.cmd()
        .args(["--actor", "flag-actor", "enroll", "a"])
        .assert()
        .success();
    env.cmd()
        .env("MFACTL_ACTOR", "env-actor")
        .args(["enroll", "b"])
        .assert()
        .success();
    env.cmd()
        .env_remove("MFACTL_ACTOR")
        .env("USER", "os-actor")
        .args(["enroll", "c"])
        .assert()
        .success();
    let actors: BTreeMap<String, String> = rows(&env)
        .into_iter()
        .filter(|r| r.event == "enroll")
        .map(|r| (r.user.unwrap(), r.actor))
        .collect();
    assert_eq!(actors["a"], "flag-actor");
    assert_eq!(actors["b"], "env-actor");
    assert_eq!(actors["c"], "os-actor");
}

/// A store with a known history: returns it with its audit rows (oldest first).
fn store_with_history() -> (TestEnv, Vec<Row>) {
    let env = TestEnv::initialised();
    let alice = env.enroll_enabled("alice");
    env.enroll("bob", &[]);
    env.cmd()
        .args(["verify", "alice"])
        .write_stdin(format!("{}\n", wrong_code(&alice)))
        .assert()
        .code(1);
    env.cmd()
        .args(["config", "set", "skew", "2"])
        .assert()
        .success();
    env.cmd()
        .args(["disable", "bob", "--yes"])
        .assert()
        .success();
    let all = rows(&env);
    (env, all)
}

fn log_json(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let out = env
        .cmd()
        .args(["--json", "log"])
        .args(args)
        .assert()
        .success();
    serde_json::from_slice::<Value>(&out.get_output().stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn ids(entries: &[Value]) -> Vec<i64> {
    entries.iter().map(|e| e["id"].as_i64().unwrap()).collect()
}

#[test]
fn log_lists_every_row_newest_first_with_its_fields() {
    let (env, all) = store_with_history();
    let entries = log_json(&env, &[]);
    let mut expected: Vec<&Row> = all.iter().collect();
    expected.reverse();
    assert_eq!(entries.len(), expected.len());
    for (e, r) in entries.iter().zip(&expected) {
        assert_eq!(e["id"], r.id);
        assert_eq!(e["at"], r.at.as_str());
        assert_eq!(e["event"], r.event.as_str());
        assert_eq!(e["user"].as_str(), r.user.as_deref());
        assert_eq!(e["actor"], r.actor.as_str());
        assert_eq!(e["details"], r.details());
    }

    // The human table is newest first too: disable (last) is printed before init (first).
    let out = env.cmd().arg("log").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let disable = text.find("\tdisable\t").expect("disable in the table");
    let init = text.find("\tinit\t").expect("init in the table");
    assert!(disable < init, "{text}");
}

#[test]
fn log_filters_by_user_event_and_limit() {
    let (env, all) = store_with_history();
    let newest_first = |pred: &dyn Fn(&Row) -> bool| -> Vec<i64> {
        let mut v: Vec<i64> = all.iter().filter(|r| pred(r)).map(|r| r.id).collect();
        v.reverse();
        v
    };

    let alice = log_json(&env, &["alice"]);
    assert!(!alice.is_empty());
    assert_eq!(
        ids(&alice),
        newest_first(&|r| r.user.as_deref() == Some("alice"))
    );

    let enrolls = log_json(&env, &["--event", "enroll"]);
    assert_eq!(ids(&enrolls), newest_first(&|r| r.event == "enroll"));
    let users: Vec<&str> = enrolls
        .iter()
        .map(|e| e["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["bob", "alice"]);

    let both = log_json(&env, &["alice", "--event", "verify-rejected"]);
    assert_eq!(both.len(), 1);
    assert_eq!(both[0]["details"]["reason"], "invalid");

    let limited = log_json(&env, &["--limit", "2"]);
    assert_eq!(ids(&limited), newest_first(&|_| true)[..2].to_vec());
    let limited = log_json(&env, &["alice", "--limit", "1"]);
    assert_eq!(
        ids(&limited),
        newest_first(&|r| r.user.as_deref() == Some("alice"))[..1].to_vec()
    );

    // A name neither in the store nor in the log is a mistake, not "no activity".
    let out = env.cmd().args(["--json", "log", "nobody"]).assert().code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "unknown_user");

    for bad in [&["--event", "no-such-event"][..], &["--since", "yesterday"]] {
        let out = env.cmd().args(["--json", "log"]).args(bad).assert().code(2);
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(doc["error"]["kind"], "invalid_input", "{bad:?}");
    }
}

#[test]
fn log_since_takes_rfc3339_and_durations() {
    let (env, all) = store_with_history();
    assert!(all.len() >= 6);
    // Backdate: the first two rows to 2020, the next two to two hours ago.
    let two_hours_ago = time::OffsetDateTime::from_unix_timestamp(unix_now() as i64 - 7200)
        .unwrap()
        .format(&time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap();
    {
        for (i, at) in [
            (0, "2020-01-01T00:00:00Z"),
            (1, "2020-06-01T12:00:00Z"),
            (2, two_hours_ago.as_str()),
            (3, two_hours_ago.as_str()),
        ] {
            let n = env.execute(&format!(
                "UPDATE audit_log SET at = '{at}' WHERE id = {}",
                all[i].id
            ));
            assert_eq!(n, 1);
        }
    }
    let newest_from = |i: usize| -> Vec<i64> { all[i..].iter().rev().map(|r| r.id).collect() };

    assert_eq!(
        ids(&log_json(&env, &["--since", "2020-03-01T00:00:00Z"])),
        newest_from(1)
    );
    // Same instant, another offset.
    assert_eq!(
        ids(&log_json(&env, &["--since", "2020-03-01T01:00:00+01:00"])),
        newest_from(1)
    );
    assert_eq!(
        ids(&log_json(&env, &["--since", "2019-12-31T00:00:00Z"])),
        newest_from(0)
    );
    assert_eq!(ids(&log_json(&env, &["--since", "3h"])), newest_from(2));
    assert_eq!(ids(&log_json(&env, &["--since", "1h"])), newest_from(4));
    assert_eq!(ids(&log_json(&env, &["--since", "24h"])), newest_from(2));
    assert_eq!(ids(&log_json(&env, &["--since", "90m"])), newest_from(4));
    // Combined with the other filters.
    let recent_alice: Vec<i64> = all[4..]
        .iter()
        .rev()
        .filter(|r| r.user.as_deref() == Some("alice"))
        .map(|r| r.id)
        .collect();
    assert_eq!(
        ids(&log_json(&env, &["alice", "--since", "1h"])),
        recent_alice
    );
}
