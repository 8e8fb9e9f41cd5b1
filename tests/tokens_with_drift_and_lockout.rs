//! The three parts of issue 13 together: drift is each token's own (resync picks the token,
//! the window of one token never moves another's), and the lockout is the user's over all
//! their tokens, timed or manual. Codes from the tests' own RFC 6238 code, the store read
//! directly; on both backends.

mod common;

use common::*;
use serde_json::Value;

/// (drift, replay mark) of `user`'s token `label`, read directly.
fn token_state(env: &TestEnv, user: &str, label: &str) -> (i64, Option<i64>) {
    let row = &env.query(&format!(
        "SELECT t.drift, t.last_used_step FROM mfa_token t JOIN mfa_user u \
         ON t.user_id = u.id WHERE u.%USER% = '{user}' AND t.label = '{label}'"
    ))[0];
    (
        row[0].as_deref().unwrap().parse().unwrap(),
        row[1].as_deref().map(|s| s.parse().unwrap()),
    )
}

/// `user` with an enabled `default` token and an enabled `phone` token: their secrets.
fn two_tokens(env: &TestEnv, user: &str) -> (String, String) {
    let default = env.enroll_enabled(user);
    let phone = env.enroll(user, &["--label", "phone"])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (rc, doc) = env.verify(user, &totp_now(&phone, "SHA1", 6, 30));
    assert_eq!((rc, doc["token"].as_str()), (0, Some("phone")), "{doc}");
    (default, phone)
}

fn run_json(env: &TestEnv, args: &[&str], stdin: &str) -> (i32, Value, String) {
    let out = env
        .cmd()
        .arg("--json")
        .args(args)
        .write_stdin(stdin.to_owned())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn resync_moves_only_the_chosen_tokens_window() {
    let (resynced, drifts, shown, phone_ahead, default_ahead) = in_one_step(|now| {
        let env = TestEnv::initialised();
        let (default, phone) = two_tokens(&env, "ann");
        // The phone runs 5 minutes (10 steps) ahead: two consecutive codes of it.
        let codes = format!(
            "{} {}\n",
            code_at_step(&phone, now + 9),
            code_at_step(&phone, now + 10)
        );
        let resynced = run_json(&env, &["resync", "ann", "--token", "phone"], &codes);
        let drifts = (
            token_state(&env, "ann", "phone").0,
            token_state(&env, "ann", "default").0,
        );
        // show --json gives each token's own drift.
        let (_, shown, _) = run_json(&env, &["show", "ann"], "");
        let shown: Vec<(String, i64)> = shown["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["label"].as_str().unwrap().to_owned(),
                    t["drift"].as_i64().unwrap(),
                )
            })
            .collect();

        // The phone's next code, 11 steps ahead, is inside its moved window; the default
        // token's code of the same step is not inside its own (unmoved) one.
        let phone_ahead = env.verify("ann", &code_at_step(&phone, now + 11));
        let default_ahead = env.verify("ann", &code_at_step(&default, now + 11));
        (resynced, drifts, shown, phone_ahead, default_ahead)
    });
    assert_eq!(shown, [("default".to_owned(), 0), ("phone".to_owned(), 10)]);
    assert_eq!(resynced.0, 0, "{:?}", resynced);
    assert_eq!(resynced.1["drift"], 10, "{:?}", resynced.1);
    assert_eq!(drifts, (10, 0));
    assert_eq!(phone_ahead.0, 0, "{}", phone_ahead.1);
    assert_eq!(phone_ahead.1["token"], "phone");
    assert_eq!(default_ahead.0, 1, "{}", default_ahead.1);
    assert_eq!(default_ahead.1["reason"], "invalid");
    // The default token's code was its own code for another time: the hint says so.
    assert_eq!(default_ahead.1["clock_offset_seconds"], 330);
}

#[test]
fn resync_of_a_user_with_several_live_tokens_must_name_one() {
    let env = TestEnv::initialised();
    let (_, phone) = two_tokens(&env, "ann");
    let before = env.snapshot();
    let now = step_now();
    let codes = format!(
        "{} {}\n",
        code_at_step(&phone, now + 3),
        code_at_step(&phone, now + 4)
    );
    let (rc, doc, _) = run_json(&env, &["resync", "ann"], &codes);
    assert_eq!(rc, 2, "{doc}");
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("default") && message.contains("phone") && message.contains("--token"),
        "{doc}"
    );
    // Nothing recorded: no failure counted, no audit row, no drift.
    assert_eq!(env.snapshot(), before);
    // An unknown label names the ones there are.
    let (rc, doc, _) = run_json(&env, &["resync", "ann", "--token", "tablet"], &codes);
    assert_eq!(rc, 2, "{doc}");
    assert!(doc.to_string().contains("phone"), "{doc}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_timed_lockout_counts_over_every_token_and_lifts_for_all_of_them() {
    let env = TestEnv::initialised();
    let (default, phone) = two_tokens(&env, "ann");
    for (key, value) in [("max-failures", "2"), ("lockout", "15m")] {
        env.cmd()
            .args(["config", "set", key, value])
            .assert()
            .success();
    }
    let wrong = |secret: &str| {
        let near: Vec<String> = (-3i64..=3)
            .map(|d| code_at_step(secret, (step_now() as i64 + d) as u64))
            .collect();
        (0..1_000_000u32)
            .map(|n| format!("{n:06}"))
            .find(|c| !near.contains(c))
            .unwrap()
    };
    // One wrong code for each token's sake: two failures of the user, locked for 15 minutes.
    assert_eq!(env.verify("ann", &wrong(&default)).0, 1);
    let (rc, doc) = env.verify("ann", &wrong(&phone));
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("invalid")), "{doc}");
    let until = doc["locked_until"].as_str().unwrap().to_owned();
    // Locked for every token: each one's right code is refused, the lock's end named.
    for secret in [&default, &phone] {
        let (rc, doc) = env.verify("ann", &totp_now(secret, "SHA1", 6, 30));
        assert_eq!((rc, doc["reason"].as_str()), (1, Some("locked")), "{doc}");
        assert_eq!(doc["locked_until"].as_str(), Some(until.as_str()));
    }
    let row = &env.query("SELECT failed_attempts, lockouts FROM mfa_user")[0];
    assert_eq!(
        (row[0].as_deref(), row[1].as_deref()),
        (Some("2"), Some("1"))
    );
    // The lock's end passes (moved into the past in the store): either token works again,
    // and the accepted code clears the lock and its backoff.
    env.execute("UPDATE mfa_user SET locked_until = '2020-01-01T00:00:00Z'");
    // (The phone's code of the next step: the one of this step confirmed it.)
    let (rc, doc) = env.verify("ann", &code_at_step(&phone, step_now() + 1));
    assert_eq!((rc, doc["token"].as_str()), (0, Some("phone")), "{doc}");
    let row =
        &env.query("SELECT failed_attempts, locked_at, locked_until, lockouts FROM mfa_user")[0];
    assert_eq!(
        row.as_slice(),
        [Some("0".to_owned()), None, None, Some("0".to_owned())]
    );
}

/// `janitor --expire-pending` with labelled tokens: a user whose every live token is a stale
/// pending one is disabled as before; a stale pending token beside an enabled or a newer
/// pending one is disabled alone, and the audit row names it.
#[test]
fn the_janitor_expires_stale_pending_tokens_one_by_one() {
    let env = TestEnv::initialised();
    let long_ago = "2020-01-01T00:00:00Z";
    let stale = |user: &str, label: &str| {
        env.execute(&format!(
            "UPDATE mfa_token SET enrolled_at = '{long_ago}' WHERE label = '{label}' \
             AND user_id = (SELECT id FROM mfa_user WHERE %USER% = '{user}')"
        ));
    };
    // ann: enabled default, stale pending phone.
    env.enroll_enabled("ann");
    env.enroll("ann", &["--label", "phone"]);
    stale("ann", "phone");
    // bob: a fresh pending default and a stale pending "old".
    env.enroll("bob", &[]);
    env.enroll("bob", &["--label", "old"]);
    stale("bob", "old");
    // carl: only a stale pending default.
    env.enroll("carl", &[]);
    stale("carl", "default");
    // dana: enabled, nothing stale.
    env.enroll_enabled("dana");

    let (rc, plan, err) = run_json(&env, &["janitor", "--expire-pending"], "");
    assert_eq!(rc, 0, "{err}");
    let actions: Vec<(String, String, Value)> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["user"].as_str().unwrap().to_owned(),
                a["action"].as_str().unwrap().to_owned(),
                a["token"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("ann".into(), "expire-pending".into(), Value::from("phone")),
            ("bob".into(), "expire-pending".into(), Value::from("old")),
            ("carl".into(), "expire-pending".into(), Value::Null),
        ]
    );

    let (rc, _, err) = run_json(
        &env,
        &["janitor", "--expire-pending", "--apply", "--yes"],
        "",
    );
    assert_eq!(rc, 0, "{err}");
    let states = env.query_strings(
        "SELECT u.%USER% || ' ' || t.label || ' ' || t.status || ' ' || \
         CASE WHEN t.secret IS NULL THEN 'erased' ELSE 'kept' END \
         FROM mfa_token t JOIN mfa_user u ON t.user_id = u.id ORDER BY 1",
    );
    assert_eq!(
        states,
        [
            "ann default enabled kept",
            "ann phone disabled erased",
            "bob default pending kept",
            "bob old disabled erased",
            "carl default disabled erased",
            "dana default enabled kept",
        ]
    );
    let disabled: Vec<(String, Value)> = audit_rows(&env)
        .iter()
        .filter(|r| r.event == "disable")
        .map(|r| (r.user.clone().unwrap(), r.details()["token"].clone()))
        .collect();
    assert_eq!(
        disabled,
        [
            ("ann".into(), Value::from("phone")),
            ("bob".into(), Value::from("old")),
            ("carl".into(), Value::Null),
        ]
    );
}
