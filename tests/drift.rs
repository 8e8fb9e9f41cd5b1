//! Clocks that drift (issue 13, part 3): the window follows a token's recorded drift, `resync`
//! sets it from two consecutive codes, and a wrong code that is the device's code for another
//! time says so. Codes come from the tests' own RFC 6238 code (tests/common `hotp`), the store
//! is read directly; on both backends.

mod common;

use common::*;
use serde_json::Value;

/// The token's drift and replay mark, read from the store directly.
fn drift_and_mark(env: &TestEnv, user: &str) -> (i64, i64) {
    let row = env.query(&format!(
        "SELECT drift, last_used_step FROM %USER_TOKENS% WHERE %USER% = '{user}'"
    ));
    (
        row[0][0].as_deref().unwrap().parse().unwrap(),
        row[0][1].as_deref().map_or(-1, |s| s.parse().unwrap()),
    )
}

fn failures(env: &TestEnv, user: &str) -> i64 {
    env.query_i64(&format!(
        "SELECT failed_attempts FROM %USER_TOKENS% WHERE %USER% = '{user}'"
    ))
}

/// `mfactl --json resync USER` with `input` on stdin: the exit code and the JSON document.
fn resync(env: &TestEnv, user: &str, input: &str) -> (i32, Value) {
    let out = env
        .cmd()
        .args(["--json", "resync", user])
        .write_stdin(input.to_owned())
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "resync --json printed no JSON ({e}); stderr {:?}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), doc)
}

fn at(secret: &str, now: u64, offset: i64) -> String {
    code_at_step(secret, (now as i64 + offset) as u64)
}

/// An enabled user whose phone runs ahead, further at each login: every accepted code moves the
/// window's centre, so the device keeps working well past ±skew, up to max-drift (10) + skew;
/// the drift recorded is the offset, clamped to max-drift.
#[test]
fn a_drifting_device_keeps_working_up_to_max_drift() {
    let seen = in_one_step(|now| {
        let env = TestEnv::initialised();
        let secret = env.enroll_enabled("alice");
        let mut seen = vec![drift_and_mark(&env, "alice")];
        // Two steps ahead is outside today's window (±1 around now): rejected, with the hint.
        let (code, doc) = env.verify("alice", &at(&secret, now, 2));
        seen.push((
            i64::from(code),
            doc["clock_offset_seconds"].as_i64().unwrap_or(0),
        ));
        for offset in 1..=12 {
            let (code, _) = env.verify("alice", &at(&secret, now, offset));
            let (drift, mark) = drift_and_mark(&env, "alice");
            seen.push((i64::from(code) * 1000 + drift, mark - now as i64));
        }
        seen
    });
    // Confirmed at now: mark = now, drift 0.
    assert_eq!(seen[0].0, 0);
    assert_eq!(
        seen[1],
        (1, 60),
        "2 steps ahead: rejected, clock 60 s ahead"
    );
    // +1 .. +11 accepted (the drift follows, clamped at 10), +12 is beyond 10 + 1.
    let expected: Vec<(i64, i64)> = (1..=12)
        .map(|o: i64| {
            if o <= 11 {
                (o.min(10), o)
            } else {
                (1000 + 10, 11)
            }
        })
        .collect();
    assert_eq!(&seen[2..], &expected[..]);
}

/// A device behind: its code two steps back is a wrong code with the hint (-60 s); resync with
/// two consecutive codes from further back sets the drift, after which its codes work and the
/// pending user is confirmed by verify, not by resync.
#[test]
fn resync_end_to_end_for_a_device_behind() {
    let seen = in_one_step(|now| {
        let env = TestEnv::initialised();
        let secret = env.enroll("bob", &[])["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let (c, hint) = env.verify("bob", &at(&secret, now, -3));
        let before = audit_rows(&env).len();
        let (rc, doc) = resync(
            &env,
            "bob",
            &format!("{}\n{}\n", at(&secret, now, -5), at(&secret, now, -4)),
        );
        let after_resync = drift_and_mark(&env, "bob");
        let status = env.list(&[])[0]["status"].clone();
        let new_rows: Vec<AuditRow> = audit_rows(&env).split_off(before);
        let (v, vdoc) = env.verify("bob", &at(&secret, now, -3));
        (
            c,
            hint,
            rc,
            doc,
            after_resync,
            status,
            new_rows,
            v,
            vdoc,
            drift_and_mark(&env, "bob"),
            now as i64,
        )
    });
    let (c, hint, rc, doc, after_resync, status, new_rows, v, vdoc, end, now) = seen;
    assert_eq!(c, 1);
    assert_eq!(hint["clock_offset_seconds"], -90, "{hint}");
    assert_eq!(rc, 0, "{doc}");
    assert_eq!(doc["accepted"], true);
    assert_eq!(doc["drift"], -4);
    assert_eq!(doc["previous_drift"], 0);
    assert_eq!(doc["drift_seconds"], -120);
    assert_eq!(after_resync, (-4, now - 4), "drift and replay mark");
    // Not a login: still pending, no verify-accepted or confirm row; one resync row.
    assert_eq!(status, "pending");
    let events: Vec<&str> = new_rows.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(events, ["resync"]);
    let d = new_rows[0].details();
    assert_eq!(d["accepted"], true);
    assert_eq!(d["drift"], -4);
    assert_eq!(d["previous_drift"], 0);
    // The next code of the device verifies (and confirms), the drift follows it.
    assert_eq!(v, 0, "{vdoc}");
    assert_eq!(end, (-3, now - 3));
}

/// resync on an enabled user: beyond max-drift it is refused and not counted; with max-drift
/// raised it sets the drift, moves the replay mark, and leaves the failure count and last-used
/// time alone; the same codes again are a replay; codes that match nowhere count as a failure
/// and lock the user at max-failures; a locked or disabled user is refused. Never a code in the
/// audit log.
#[test]
fn resync_rules_on_an_enabled_user() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("carol");
    let used_at = env.query_strings("SELECT last_used_at FROM %USER_TOKENS%")[0].clone();
    // One wrong code first: resync leaves the count as it is.
    let (c, _) = env.verify("carol", "000000");
    assert_eq!(c, 1);
    let now = step_now();
    let (c1, c2) = (at(&secret, now, 19), at(&secret, now, 20));
    let (rc, doc) = resync(&env, "carol", &format!("{c1} {c2}\n"));
    assert_eq!(rc, 1, "{doc}");
    assert_eq!(doc["reason"], "drift_too_large");
    assert!(
        (570..=600).contains(&doc["offset_seconds"].as_i64().unwrap()),
        "{doc}"
    );
    assert_eq!(doc["max_drift"], 10);
    assert_eq!(failures(&env, "carol"), 1, "not counted");
    assert_eq!(drift_and_mark(&env, "carol").0, 0);
    // The human message says what to do.
    let out = env
        .cmd()
        .args(["resync", "carol", &c1, &c2])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("max-drift") && text.contains("clock"),
        "{text}"
    );

    env.cmd()
        .args(["config", "set", "max-drift", "30"])
        .assert()
        .success();
    let (rc, doc) = resync(&env, "carol", &format!("{c1}\n{c2}\n"));
    assert_eq!(rc, 0, "{doc}");
    let (drift, mark) = drift_and_mark(&env, "carol");
    let now2 = step_now() as i64;
    assert_eq!(mark, now as i64 + 20, "the mark is the second code's step");
    // Its offset from the step the command read (a boundary may have passed since).
    assert!(
        drift == mark - now2 || drift == mark - now2 + 1,
        "the drift is its offset from now: {drift}"
    );
    assert_eq!(failures(&env, "carol"), 1, "failures untouched");
    assert_eq!(
        env.query_strings("SELECT last_used_at FROM %USER_TOKENS%")[0],
        used_at,
        "not a use"
    );
    // Neither code can be used again; the same pair again is a replay (not counted).
    let (c, doc) = env.verify("carol", &c2);
    assert_eq!((c, doc["reason"].as_str()), (1, Some("replayed")));
    let (rc, doc) = resync(&env, "carol", &format!("{c1} {c2}\n"));
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("replayed")));
    assert_eq!(failures(&env, "carol"), 1);
    // The device's next code verifies.
    let (c, doc) = env.verify("carol", &at(&secret, now, 21));
    assert_eq!(c, 0, "{doc}");
    assert_eq!(failures(&env, "carol"), 0);

    // Codes found nowhere: a failure each; at max-failures the user locks.
    env.cmd()
        .args(["config", "set", "max-failures", "2"])
        .assert()
        .success();
    let (rc, doc) = resync(&env, "carol", "000000 000000\n");
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("invalid")));
    assert_eq!(doc["offset_seconds"], Value::Null);
    assert_eq!(failures(&env, "carol"), 1);
    let (rc, _) = resync(&env, "carol", "000000 000000\n");
    assert_eq!(rc, 1);
    let locked: Vec<String> = env.query_strings("SELECT locked_at IS NOT NULL FROM mfa_user");
    assert!(locked[0] == "1" || locked[0] == "t", "{locked:?}");
    assert!(audit_rows(&env).iter().any(|r| r.event == "lock"));
    // Locked: refused, even with good codes, and nothing changes.
    let snapshot = env.snapshot();
    let n = step_now();
    let (rc, doc) = resync(
        &env,
        "carol",
        &format!("{} {}\n", at(&secret, n, 24), at(&secret, n, 25)),
    );
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("locked")));
    let rows = audit_rows(&env);
    assert_eq!(rows.last().unwrap().event, "resync");
    // Only the audit row was added.
    assert_ne!(env.snapshot(), snapshot);
    assert_eq!(drift_and_mark(&env, "carol").1, now as i64 + 21);
    // Disabled: refused.
    env.cmd()
        .args(["disable", "carol", "--yes"])
        .assert()
        .success();
    let (rc, doc) = resync(&env, "carol", "123456 654321\n");
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("disabled")));
    // No code anywhere in the audit log; every resync row says whether it was accepted.
    for r in audit_rows(&env) {
        for code in [&c1, &c2] {
            assert!(!r.text().contains(code.as_str()), "{}", r.text());
        }
        if r.event == "resync" {
            assert!(r.details()["accepted"].is_boolean(), "{}", r.details);
        }
    }
}

/// The clock hint: a wrong code that is the device's code 4 minutes ahead is rejected and
/// counted, and the message, `--json` and the audit row say how far off the clock looks; a code
/// that matches nowhere gets no hint, nor does a locked user.
#[test]
fn the_clock_hint_on_a_wrong_code() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("dave");
    let now = step_now();
    let out = env
        .cmd()
        .args(["verify", "dave", &at(&secret, now, 8)])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("wrong code (1 consecutive failure)")
            && text.contains("clock looks off by about")
            && text.contains("mfactl resync dave"),
        "{text}"
    );
    assert_eq!(failures(&env, "dave"), 1);
    let row = audit_rows(&env).pop().unwrap();
    assert_eq!(row.event, "verify-rejected");
    let secs = row.details()["clock_offset_seconds"].as_i64().unwrap();
    // 8 steps ahead of the step the command read (or 7, had a step boundary passed).
    assert!(secs == 240 || secs == 210, "{secs}");
    assert_eq!(row.details()["reason"], "invalid");

    let wrong = wrong_code(&secret);
    let (c, doc) = env.verify("dave", &wrong);
    assert_eq!(c, 1);
    // wrong_code differs from the codes within ±2 steps only: a hint for it would be a true
    // match later in the hour, which the oracle can tell.
    let n = step_now();
    let matches_in_hour = (n + 2..=n + 120).any(|s| code_at_step(&secret, s) == wrong);
    assert_eq!(
        doc["clock_offset_seconds"].is_null(),
        !matches_in_hour,
        "{doc}"
    );

    env.cmd()
        .args(["config", "set", "max-failures", "3"])
        .assert()
        .success();
    // The third failure locks: the message says so, and still gives the hint.
    let out = env
        .cmd()
        .args(["verify", "dave", &at(&secret, step_now(), 6)])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("now locked") && text.contains("mfactl resync dave"),
        "{text}"
    );
    // Locked now: a code of the device's at another time gets no hint.
    let (c, doc) = env.verify("dave", &at(&secret, step_now(), 7));
    assert_eq!((c, doc["reason"].as_str()), (1, Some("locked")));
    assert_eq!(doc["clock_offset_seconds"], Value::Null);
}

/// A store from before drift (schema 3) is migrated: every token starts at drift 0 and works as
/// before.
#[test]
fn the_migration_starts_every_token_at_drift_zero() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("erin");
    env.direct().downgrade_to_v3();
    let doc: Value = serde_json::from_slice(
        &env.cmd()
            .args(["--json", "show", "erin"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(doc["drift"], 0);
    assert_eq!(drift_and_mark(&env, "erin").0, 0);
    // The device one step ahead: accepted, and its drift recorded in the new column.
    let n = step_now();
    let (c, doc) = env.verify("erin", &at(&secret, n, 1));
    assert_eq!(c, 0, "{doc}");
    let drift = drift_and_mark(&env, "erin").0;
    assert!(drift == 1 || drift == 0, "{drift}");
}

/// `show` prints the drift for a person and `--json` carries it; copy-store keeps it.
#[test]
fn show_and_copy_store_carry_the_drift() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("frank");
    let now = step_now();
    let (rc, doc) = resync(
        &env,
        "frank",
        &format!("{} {}\n", at(&secret, now, 4), at(&secret, now, 5)),
    );
    assert_eq!(rc, 0, "{doc}");
    let drift = drift_and_mark(&env, "frank").0;
    assert!(drift == 5 || drift == 4, "{drift}");
    let text = String::from_utf8(
        env.cmd()
            .args(["show", "frank"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    assert!(
        text.contains(&format!("Clock drift:    +{drift} steps")),
        "{text}"
    );
    let copy = env.dir.path().join("copy.db");
    env.cmd()
        .args(["copy-store", "--to", copy.to_str().unwrap()])
        .assert()
        .success();
    let copied = Store::File(copy).query_strings("SELECT drift FROM mfa_token");
    assert_eq!(copied, [drift.to_string()]);
}

/// Codes on stdin: both on one line, one per line (spaces inside a code allowed), or as
/// arguments; with --json and nothing on stdin, an error, never a prompt.
#[test]
fn resync_reads_its_codes_like_verify() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("gina");
    let spaced = |c: String| format!("{} {}", &c[..3], &c[3..]);
    let mut offset = 2;
    for form in 0..3 {
        let now = step_now();
        let (c1, c2) = (at(&secret, now, offset), at(&secret, now, offset + 1));
        offset += 2;
        let (rc, doc) = match form {
            0 => resync(&env, "gina", &format!("  {c1}   {c2} \n")),
            1 => resync(&env, "gina", &format!("{}\n{}\n", spaced(c1), spaced(c2))),
            _ => {
                let out = env
                    .cmd()
                    .args(["--json", "resync", "gina", &c1, &c2])
                    .output()
                    .unwrap();
                (
                    out.status.code().unwrap(),
                    serde_json::from_slice(&out.stdout).unwrap(),
                )
            }
        };
        assert_eq!(rc, 0, "form {form}: {doc}");
    }
    let out = env
        .cmd()
        .args(["--json", "resync", "gina"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "invalid_input", "{doc}");
    // One code only on stdin: an error, nothing recorded.
    let snapshot = env.snapshot();
    env.cmd()
        .args(["resync", "gina"])
        .write_stdin("123456\n")
        .assert()
        .code(2);
    assert_eq!(env.snapshot(), snapshot);
}

/// The facade: `Mfa::resync` with two codes of a device 3 and 4 steps ahead sets the drift, and
/// the device's next code verifies through `Mfa::verify`; malformed input records nothing.
#[test]
fn the_facade_resyncs() {
    let env = TestEnv::new();
    let location = mfactl::store::Location::parse(std::ffi::OsStr::new(&env.store)).unwrap();
    let ids = mfactl::vault::generate_identity_file(&env.dir.path().join("id.txt")).unwrap();
    let mut mfa = mfactl::Mfa::create(&location, ids).unwrap();
    let secret = mfa
        .enroll("hal", &Default::default())
        .unwrap()
        .secret
        .to_base32();
    let rows = audit_rows(&env).len();
    let e = mfa.resync("hal", "12345", "123456").unwrap_err();
    assert_eq!(e.kind(), "invalid_input");
    assert_eq!(audit_rows(&env).len(), rows, "nothing recorded");
    let now = step_now();
    let r = mfa
        .resync("hal", &at(&secret, now, 3), &at(&secret, now, 4))
        .unwrap();
    assert!(r.accepted(), "{r:?}");
    assert!(r.drift == 4 || r.drift == 3, "{r:?}");
    assert_eq!(r.previous_drift, 0);
    let v = mfa.verify("hal", &at(&secret, now, 5)).unwrap();
    assert!(v.accepted() && v.confirmed, "{v:?}");
}
