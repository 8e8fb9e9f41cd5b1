//! Several labelled tokens per user (issue 13, part 1): the schema migration that splits each
//! user's row into the user and their `default` token.

mod common;

use common::*;

/// The rows of `sql`, read directly, sorted.
fn rows_sorted(env: &TestEnv, sql: &str) -> Vec<TextRow> {
    let mut rows = env.query(sql);
    rows.sort();
    rows
}

fn schema_version(env: &TestEnv) -> i64 {
    if env.is_pg() {
        env.query_i64("SELECT value FROM mfactl_meta WHERE key = 'schema_version'")
    } else {
        env.query_i64("PRAGMA user_version")
    }
}

/// A store with users in every state (enabled and used, with recovery codes, one of them
/// used; pending; disabled; locked), and their audit rows.
fn store_with_every_state() -> (TestEnv, String, String) {
    let env = TestEnv::initialised();
    let alice = env.enroll_enabled("alice");
    // A code of the next step: accepted, so the replay mark moves on.
    let (rc, _) = env.verify("alice", &code_at_step(&alice, step_now() + 1));
    assert_eq!(rc, 0);
    let out = env
        .cmd()
        .args(["--json", "recovery-codes", "alice", "--count", "3"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let first = doc["codes"][0].as_str().unwrap().to_owned();
    env.cmd()
        .args(["verify", "alice", "--recovery"])
        .write_stdin(format!("{first}\n"))
        .assert()
        .success();
    let bob = env.enroll("bob", &["--issuer", "Bob Corp"])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    env.enroll("carol", &[]);
    env.cmd()
        .args(["disable", "carol", "--yes"])
        .assert()
        .success();
    let dave = env.enroll_enabled("dave");
    env.cmd()
        .args(["config", "set", "max-failures", "2"])
        .assert()
        .success();
    for _ in 0..2 {
        let (rc, _) = env.verify("dave", &wrong_code(&dave));
        assert_eq!(rc, 1);
    }
    (env, alice, bob)
}

#[test]
fn a_version_3_store_migrates_every_row_into_users_and_default_tokens() {
    let (env, alice, bob) = store_with_every_state();
    env.direct().downgrade_to_v3();
    assert_eq!(schema_version(&env), 3);

    // The version-3 rows, read directly: the oracle for the migrated tables.
    let old_users = rows_sorted(
        &env,
        "SELECT id, %USER%, created_at, failed_attempts, locked_at FROM mfa_secret",
    );
    let old_tokens = rows_sorted(
        &env,
        "SELECT id, secret, status, algorithm, digits, period, issuer, created_at, updated_at, \
         enrolled_at, enabled_at, disabled_at, last_used_at, last_used_step FROM mfa_secret",
    );
    let old_codes = rows_sorted(
        &env,
        "SELECT secret_id, code_hash, created_at, used_at FROM recovery_code",
    );
    let old_audit = audit_rows(&env);
    assert_eq!(old_users.len(), 4);
    assert_eq!(old_codes.len(), 3);
    // Every state is there: enabled (used), pending, disabled, locked.
    let states = rows_sorted(
        &env,
        "SELECT %USER%, status, CASE WHEN locked_at IS NULL THEN 0 ELSE 1 END, \
         CASE WHEN last_used_step IS NULL THEN 0 ELSE 1 END FROM mfa_secret",
    );
    let text = |r: &TextRow| {
        r.iter()
            .map(|v| v.clone().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        states.iter().map(text).collect::<Vec<_>>(),
        [
            "alice enabled 0 1",
            "bob pending 0 0",
            "carol disabled 0 0",
            "dave enabled 1 1"
        ]
    );

    // Any command opens the store and migrates it.
    env.cmd().args(["list"]).assert().success();
    assert_eq!(schema_version(&env), mfactl::store::SCHEMA_VERSION);
    assert_eq!(mfactl::store::SCHEMA_VERSION, 4);
    let tables = env.direct().tables();
    assert!(!tables.contains(&"mfa_secret".to_owned()), "{tables:?}");

    let new_users = rows_sorted(
        &env,
        "SELECT id, %USER%, created_at, failed_attempts, locked_at FROM mfa_user",
    );
    assert_eq!(new_users, old_users);
    // Locks from before stay manual (no end), and a locked user (dave) has had one lockout.
    let lockouts = rows_sorted(
        &env,
        "SELECT %USER%, CASE WHEN locked_until IS NULL THEN 'manual' ELSE locked_until END, \
         lockouts FROM mfa_user",
    );
    assert_eq!(
        lockouts.iter().map(text).collect::<Vec<_>>(),
        [
            "alice manual 0",
            "bob manual 0",
            "carol manual 0",
            "dave manual 1"
        ]
    );
    assert_eq!(
        env.query_i64("SELECT count(*) FROM mfa_token WHERE drift <> 0"),
        0
    );
    // One token per user, labelled `default`, with the row's id (which is the user's id).
    let new_tokens = rows_sorted(
        &env,
        "SELECT id, secret, status, algorithm, digits, period, issuer, created_at, updated_at, \
         enrolled_at, enabled_at, disabled_at, last_used_at, last_used_step FROM mfa_token",
    );
    assert_eq!(new_tokens, old_tokens);
    assert_eq!(
        env.query_i64(
            "SELECT count(*) FROM mfa_token WHERE user_id = id AND label = 'default' \
             AND drift = 0"
        ),
        4
    );
    let new_codes = rows_sorted(
        &env,
        "SELECT user_id, code_hash, created_at, used_at FROM recovery_code",
    );
    assert_eq!(new_codes, old_codes);
    // The audit rows are untouched, and the chain still verifies.
    assert_eq!(audit_rows(&env), old_audit);
    env.cmd().args(["log", "--verify"]).assert().code(0);

    // The migrated store works as before: alice's replay mark came along, her recovery codes
    // count; bob's secret decrypts and his first code confirms him; dave is still locked.
    let last: u64 = env.query_strings("SELECT last_used_step FROM mfa_token WHERE id = (SELECT id FROM mfa_user WHERE %USER% = 'alice')")[0]
        .parse()
        .unwrap();
    let (rc, doc) = env.verify("alice", &code_at_step(&alice, last));
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("replayed")), "{doc}");
    let (rc, doc) = env.verify("bob", &code_at_step(&bob, step_now()));
    assert_eq!(
        (rc, &doc["status"]),
        (0, &serde_json::json!("enabled")),
        "{doc}"
    );
    let list = env.list(&[]);
    let entry = |u: &str| list.iter().find(|e| e["user"] == u).unwrap().clone();
    assert_eq!(entry("alice")["recovery_codes_left"], 2);
    assert_eq!(entry("bob")["issuer"], "Bob Corp");
    assert_eq!(entry("carol")["status"], "disabled");
    assert_eq!(entry("dave")["locked"], true, "{}", entry("dave"));
}

// ---------------------------------------------------------------------------------------
// The model: a user's tokens, their derived status, replay marks per token

fn open(env: &TestEnv) -> mfactl::store::Store {
    mfactl::store::Store::open(
        &mfactl::store::Location::parse(std::ffi::OsStr::new(&env.store)).unwrap(),
    )
    .unwrap()
}

/// Adds a token to `user` directly in the store (no command makes a second one yet): a copy
/// of the user's `default` token under `label`, with `status`, and its own id.
fn add_token_directly(env: &TestEnv, user: &str, label: &str, status: &str) {
    let secret = if status == "disabled" {
        "NULL"
    } else {
        "t.secret"
    };
    let n = env.execute(&format!(
        "INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, period, \
         issuer, created_at, updated_at, enrolled_at) \
         SELECT t.id || '-{label}', t.user_id, '{label}', {secret}, '{status}', t.algorithm, \
         t.digits, t.period, t.issuer, t.created_at, t.updated_at, '2030-01-01T00:00:00Z' \
         FROM mfa_token t JOIN mfa_user u ON t.user_id = u.id \
         WHERE u.%USER% = '{user}' AND t.label = 'default'"
    ));
    assert_eq!(n, 1);
}

fn status_listed(env: &TestEnv, user: &str) -> String {
    let list = env.list(&[]);
    let matching: Vec<_> = list.iter().filter(|e| e["user"] == user).collect();
    assert_eq!(
        matching.len(),
        1,
        "one entry per user, whatever their tokens: {list:?}"
    );
    matching[0]["status"].as_str().unwrap().to_owned()
}

#[test]
fn the_users_status_is_derived_from_all_their_tokens() {
    let env = TestEnv::initialised();
    env.enroll("ann", &[]);
    assert_eq!(status_listed(&env, "ann"), "pending");
    // A disabled token does not change a pending user.
    add_token_directly(&env, "ann", "old", "disabled");
    assert_eq!(status_listed(&env, "ann"), "pending");
    // An enabled one makes the user enabled.
    add_token_directly(&env, "ann", "phone", "enabled");
    assert_eq!(status_listed(&env, "ann"), "enabled");

    let ann = mfactl::model::UserName::parse("ann").unwrap();
    let rec = open(&env).user(&ann).unwrap().unwrap();
    let labels: Vec<(&str, &str)> = rec
        .tokens
        .iter()
        .map(|t| (t.label.as_str(), t.status.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("default", "pending"),
            ("old", "disabled"),
            ("phone", "enabled")
        ]
    );
    // The record's per-token fields are the primary (enabled) token's.
    let phone = rec
        .tokens
        .iter()
        .find(|t| t.label.as_str() == "phone")
        .unwrap();
    assert_eq!(rec.token_id, phone.id);
    assert_eq!(rec.status, mfactl::model::Status::Enabled);
    assert!(phone.secret.is_some() && rec.tokens[1].secret.is_none());
    // The same in a listing (without ciphertexts).
    let listed = open(&env).users(mfactl::model::UserFilter::All).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].tokens.len(), 3);
    assert!(listed[0].tokens.iter().all(|t| t.secret.is_none()));

    // Once every token is disabled, so is the user.
    env.execute("UPDATE mfa_token SET status = 'disabled', secret = NULL");
    assert_eq!(status_listed(&env, "ann"), "disabled");
}

// ---------------------------------------------------------------------------------------
// enroll --label

/// `--json enroll USER ARGS...`: (exit code, stdout document or null, stderr).
fn enroll_out(env: &TestEnv, user: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = env
        .cmd()
        .args(["--json", "enroll", user])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (label, status, ciphertext as stored) of `user`'s tokens, read directly, by label.
fn tokens_stored(env: &TestEnv, user: &str) -> Vec<(String, String, Option<String>)> {
    rows_sorted(
        env,
        &format!(
            "SELECT t.label, t.status, t.secret FROM mfa_token t JOIN mfa_user u \
             ON t.user_id = u.id WHERE u.%USER% = '{user}'"
        ),
    )
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap(), r[2].clone()))
    .collect()
}

#[test]
fn enroll_label_adds_a_pending_token_beside_the_others_and_force_replaces_only_it() {
    let env = TestEnv::initialised();
    let first = env.enroll_enabled("ann");
    let (rc, doc, err) = enroll_out(&env, "ann", &["--label", "phone"]);
    assert_eq!(rc, 0, "{err}");
    assert_eq!(doc["token"], "phone", "{doc}");
    let phone = doc["secret"].as_str().unwrap().to_owned();
    assert_ne!(phone, first);
    let before = tokens_stored(&env, "ann");
    assert_eq!(
        before
            .iter()
            .map(|(l, s, _)| format!("{l} {s}"))
            .collect::<Vec<_>>(),
        ["default enabled", "phone pending"]
    );
    // The user stays enabled (derived), and adding a token left the user's state alone.
    assert_eq!(status_listed(&env, "ann"), "enabled");
    // The same label again: refused without --force, naming the token; nothing changes.
    let snapshot = env.snapshot();
    let (rc, _, err) = enroll_out(&env, "ann", &["--label", "phone"]);
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("already pending (token phone)"), "{err}");
    assert_eq!(env.snapshot(), snapshot);
    // --force replaces that token only: the default token's ciphertext is untouched.
    let (rc, doc, err) = enroll_out(&env, "ann", &["--label", "phone", "--force"]);
    assert_eq!(rc, 0, "{err}");
    assert_ne!(doc["secret"].as_str().unwrap(), phone);
    let after = tokens_stored(&env, "ann");
    assert_eq!(after[0], before[0], "the default token changed");
    assert_ne!(
        after[1].2, before[1].2,
        "the phone token kept its ciphertext"
    );
    // The audit row names the token.
    let row = audit_rows(&env).into_iter().last().unwrap();
    assert_eq!(row.event, "re-enroll");
    assert_eq!(row.details()["token"], "phone");
    assert_eq!(row.details()["previous_status"], "pending");
}

#[test]
fn a_disabled_token_is_enrolled_again_without_force() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    enroll_out(&env, "ann", &["--label", "phone"]);
    env.execute("UPDATE mfa_token SET status = 'disabled', secret = NULL WHERE label = 'phone'");
    let (rc, _, err) = enroll_out(&env, "ann", &["--label", "phone"]);
    assert_eq!(rc, 0, "{err}");
    let labels: Vec<String> = tokens_stored(&env, "ann")
        .into_iter()
        .map(|(l, s, c)| format!("{l} {s} {}", c.is_some()))
        .collect();
    assert_eq!(labels, ["default enabled true", "phone pending true"]);
}

#[test]
fn max_tokens_refuses_one_more_live_token_and_names_the_way_out() {
    let env = TestEnv::initialised();
    env.cmd()
        .args(["config", "set", "max-tokens", "2"])
        .assert()
        .success();
    env.enroll("ann", &[]);
    assert_eq!(enroll_out(&env, "ann", &["--label", "phone"]).0, 0);
    let snapshot = env.snapshot();
    let (rc, _, err) = enroll_out(&env, "ann", &["--label", "spare"]);
    assert_eq!(rc, 2, "{err}");
    for needle in ["max-tokens", "--token", "disable"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert_eq!(
        env.snapshot(),
        snapshot,
        "a refused enrollment changed the store"
    );
    // Replacing one of the two is not one more.
    assert_eq!(
        enroll_out(&env, "ann", &["--label", "phone", "--force"]).0,
        0
    );
    // A disabled token does not count.
    env.execute("UPDATE mfa_token SET status = 'disabled', secret = NULL WHERE label = 'phone'");
    assert_eq!(enroll_out(&env, "ann", &["--label", "spare"]).0, 0);
    assert_eq!(tokens_stored(&env, "ann").len(), 3);
}

#[test]
fn a_bad_label_is_refused_before_anything_is_written() {
    let env = TestEnv::initialised();
    let snapshot = env.snapshot();
    for bad in ["Phone", "-x", "a b", "t\u{1b}[31m", &"x".repeat(33)] {
        let (rc, _, err) = enroll_out(&env, "ann", &[&format!("--label={bad}")]);
        assert_eq!(rc, 2, "{bad:?}: {err}");
        assert!(err.contains("token label"), "{err}");
        assert!(!err.contains('\u{1b}'), "{err}");
    }
    assert_eq!(env.snapshot(), snapshot);
}

#[test]
fn a_sealed_enrollment_takes_the_label_too() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    let key = age::x25519::Identity::generate().to_public().to_string();
    env.cmd()
        .args([
            "--json",
            "enroll",
            "ann",
            "--label",
            "laptop",
            "--seal-to",
            &key,
        ])
        .assert()
        .success();
    let labels: Vec<String> = tokens_stored(&env, "ann")
        .into_iter()
        .map(|(l, s, _)| format!("{l} {s}"))
        .collect();
    assert_eq!(labels, ["default enabled", "laptop pending"]);
    let row = audit_rows(&env).into_iter().last().unwrap();
    assert_eq!(
        (
            row.details()["token"].clone(),
            row.details()["sealed"].clone()
        ),
        ("laptop".into(), true.into())
    );
}

// ---------------------------------------------------------------------------------------
// verify: any live token; replay per token; failures and lock per user

/// The replay mark of `user`'s token `label`, read directly.
fn mark(env: &TestEnv, user: &str, label: &str) -> Option<u64> {
    env.query(&format!(
        "SELECT t.last_used_step FROM mfa_token t JOIN mfa_user u ON t.user_id = u.id \
         WHERE u.%USER% = '{user}' AND t.label = '{label}'"
    ))[0][0]
        .as_deref()
        .map(|v| v.parse().unwrap())
}

#[test]
fn verify_accepts_any_live_token_names_it_and_keeps_replay_marks_per_token() {
    let (confirmed, accepts, phone_mark, default_mark, audit, replay, other, human) =
        in_one_step(|step| {
            let env = TestEnv::initialised();
            // The default token is confirmed at step - 1, so its mark is below this step.
            let default = env.enroll("ann", &[])["secret"]
                .as_str()
                .unwrap()
                .to_owned();
            // (Judged after the scenario: a step that ends meanwhile runs it again.)
            let confirmed = env.verify("ann", &code_at_step(&default, step - 1)).0;
            let (_, doc, _) = enroll_out(&env, "ann", &["--label", "phone"]);
            let phone = doc["secret"].as_str().unwrap().to_owned();
            // The phone's first code: accepted, names the token, confirms it.
            let (rc, doc) = env.verify("ann", &code_at_step(&phone, step));
            let accepts = (rc, doc["token"].clone(), doc["status"].clone());
            let rows = audit_rows(&env);
            let audit: Vec<(String, serde_json::Value)> = rows[rows.len() - 2..]
                .iter()
                .map(|r| (r.event.clone(), r.details()["token"].clone()))
                .collect();
            // The same code again: replayed, on that token.
            let (rc, doc) = env.verify("ann", &code_at_step(&phone, step));
            let replay = (rc, doc["reason"].clone(), doc["token"].clone());
            // The default token's code of this step: its own mark is older, so it is accepted.
            let (rc, doc) = env.verify("ann", &code_at_step(&default, step));
            let other = (rc, doc["token"].clone());
            let human = env
                .cmd()
                .args(["verify", "ann"])
                .write_stdin(format!("{}\n", code_at_step(&phone, step + 1)))
                .output()
                .unwrap();
            (
                confirmed,
                accepts,
                mark(&env, "ann", "phone"),
                mark(&env, "ann", "default"),
                audit,
                replay,
                other,
                String::from_utf8_lossy(&human.stdout).into_owned(),
            )
        });
    assert_eq!(confirmed, 0, "the default token's code of the step before");
    assert_eq!(accepts, (0, "phone".into(), "enabled".into()));
    assert_eq!(
        audit,
        [
            ("verify-accepted".to_owned(), serde_json::json!("phone")),
            ("confirm".to_owned(), serde_json::json!("phone"))
        ]
    );
    assert_eq!(replay, (1, "replayed".into(), "phone".into()));
    assert_eq!(other, (0, "default".into()));
    assert!(
        human.contains("code valid for ann (token phone)"),
        "{human}"
    );
    // Each token's mark is its own last accepted step.
    assert_eq!(default_mark.unwrap() + 1, phone_mark.unwrap());
}

#[test]
fn a_guesser_gets_max_failures_tries_in_total_not_per_token() {
    let env = TestEnv::initialised();
    env.cmd()
        .args(["config", "set", "max-failures", "3"])
        .assert()
        .success();
    let default = env.enroll_enabled("ann");
    enroll_out(&env, "ann", &["--label", "phone"]);
    enroll_out(&env, "ann", &["--label", "backup"]);
    let wrong = wrong_code(&default);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (rc, doc) = env.verify("ann", &wrong);
        seen.push((rc, doc["reason"].as_str().unwrap().to_owned()));
    }
    assert_eq!(seen, vec![(1, "invalid".to_owned()); 3]);
    // Three wrong codes, three tokens: one failure each, and the third locks the user.
    assert_eq!(
        env.query_strings("SELECT failed_attempts FROM mfa_user WHERE %USER% = 'ann'"),
        ["3"]
    );
    let (rc, doc) = env.verify("ann", &code_at_step(&default, step_now()));
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("locked")), "{doc}");
    let rejected = audit_rows(&env)
        .iter()
        .filter(|r| r.event == "verify-rejected")
        .count();
    assert_eq!(rejected, 4);
}

// ---------------------------------------------------------------------------------------
// disable --token

#[test]
fn disable_token_erases_only_that_token_and_the_last_one_disables_the_user() {
    let env = TestEnv::initialised();
    let default = env.enroll_enabled("ann");
    enroll_out(&env, "ann", &["--label", "phone"]);
    let out = env
        .cmd()
        .args(["--json", "recovery-codes", "ann", "--count", "2"])
        .output()
        .unwrap();
    assert!(out.status.success());
    env.cmd()
        .args(["config", "set", "max-failures", "3"])
        .assert()
        .success();
    assert_eq!(env.verify("ann", &wrong_code(&default)).0, 1);

    let out = env
        .cmd()
        .args(["--json", "disable", "ann", "--token", "phone", "--yes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (doc["token"].clone(), doc["changed"].clone()),
        ("phone".into(), true.into())
    );
    let stored: Vec<String> = tokens_stored(&env, "ann")
        .into_iter()
        .map(|(l, s, c)| format!("{l} {s} {}", c.is_some()))
        .collect();
    assert_eq!(stored, ["default enabled true", "phone disabled false"]);
    // The user keeps their other token, recovery codes and failure count.
    assert_eq!(status_listed(&env, "ann"), "enabled");
    assert_eq!(env.query_i64("SELECT count(*) FROM recovery_code"), 2);
    assert_eq!(
        env.query_strings("SELECT failed_attempts FROM mfa_user WHERE %USER% = 'ann'"),
        ["1"]
    );
    let row = audit_rows(&env).into_iter().last().unwrap();
    assert_eq!(row.event, "disable");
    assert_eq!(row.details()["token"], "phone");
    assert_eq!(row.details()["user_disabled"], false);

    // Again: nothing to do. An unknown label: refused, naming the labels there are.
    let before = env.snapshot();
    env.cmd()
        .args(["disable", "ann", "--token", "phone", "--yes"])
        .assert()
        .success();
    let out = env
        .cmd()
        .args(["disable", "ann", "--token", "tablet", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("default, phone"), "{err}");
    assert_eq!(env.snapshot(), before);

    // The last live token: the user is disabled, recovery codes and failures go, as today.
    env.cmd()
        .args(["disable", "ann", "--token", "default", "--yes"])
        .assert()
        .success();
    assert_eq!(status_listed(&env, "ann"), "disabled");
    assert_eq!(env.query_i64("SELECT count(*) FROM recovery_code"), 0);
    assert_eq!(
        env.query_i64("SELECT count(*) FROM mfa_token WHERE secret IS NOT NULL"),
        0
    );
    let row = audit_rows(&env).into_iter().last().unwrap();
    assert_eq!(row.details()["user_disabled"], true);
}

#[test]
fn disable_without_token_disables_every_token() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    enroll_out(&env, "ann", &["--label", "phone"]);
    env.cmd()
        .args(["disable", "ann", "--yes"])
        .assert()
        .success();
    let stored: Vec<String> = tokens_stored(&env, "ann")
        .into_iter()
        .map(|(l, s, c)| format!("{l} {s} {}", c.is_some()))
        .collect();
    assert_eq!(stored, ["default disabled false", "phone disabled false"]);
    assert_eq!(status_listed(&env, "ann"), "disabled");
}

// ---------------------------------------------------------------------------------------
// show-qr --token

#[test]
fn show_qr_shows_the_chosen_token_or_the_only_live_one() {
    let env = TestEnv::initialised();
    let default = env.enroll("ann", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let show = |extra: &[&str]| {
        env.cmd()
            .args(["--json", "show-qr", "ann"])
            .args(extra)
            .output()
            .unwrap()
    };
    // One live token: shown without --token.
    let out = show(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["otpauth_uri"]
        .as_str()
        .unwrap()
        .contains(&format!("secret={default}")));
    let (_, doc, _) = enroll_out(&env, "ann", &["--label", "phone"]);
    let phone = doc["secret"].as_str().unwrap().to_owned();
    // Two live tokens: --token chooses; without it, an error listing them.
    let before = env.snapshot();
    let out = show(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("default, phone") && err.contains("--token"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before, "a refused show-qr was audited");
    let out = show(&["--token", "phone"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["otpauth_uri"]
        .as_str()
        .unwrap()
        .contains(&format!("secret={phone}")));
    let row = audit_rows(&env).into_iter().last().unwrap();
    assert_eq!(
        (row.event.as_str(), row.details()["token"].clone()),
        ("show-qr", "phone".into())
    );
}

// ---------------------------------------------------------------------------------------
// list and show

#[test]
fn list_counts_live_tokens_and_show_lists_them() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    enroll_out(&env, "ann", &["--label", "phone"]);
    enroll_out(&env, "ann", &["--label", "old"]);
    env.cmd()
        .args(["disable", "ann", "--token", "old", "--yes"])
        .assert()
        .success();
    // --json: every token, by label.
    let list = env.list(&[]);
    let tokens: Vec<String> = list[0]["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{} {} {}", t["label"], t["status"], t["digits"]))
        .collect();
    assert_eq!(
        tokens,
        [
            "\"default\" \"enabled\" 6",
            "\"old\" \"disabled\" 6",
            "\"phone\" \"pending\" 6"
        ]
    );
    // The table (piped: tab-separated) counts the live ones.
    let out = env.cmd().arg("list").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0][2], "TOKENS");
    assert_eq!(rows[1][..3], ["ann", "enabled", "2"]);
    // show: one line per token.
    let out = env.cmd().args(["show", "ann"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for label in ["default (enabled)", "old (disabled)", "phone (pending)"] {
        assert!(text.contains(label), "{label}: {text}");
    }
    let out = env.cmd().args(["--json", "show", "ann"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["tokens"].as_array().unwrap().len(), 3);
}

// ---------------------------------------------------------------------------------------
// rekey and copy-store carry every token

/// The stored ciphertext of every token, by label, decrypted with the age identity in `file`
/// (the age crate, not mfactl).
fn decrypted_tokens(store: &Store, file: &std::path::Path) -> Vec<(String, String)> {
    use std::str::FromStr;
    let text = std::fs::read_to_string(file).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap();
    let key = age::x25519::Identity::from_str(line).unwrap();
    let mut out: Vec<(String, String)> = store
        .query("SELECT label, secret FROM mfa_token WHERE secret IS NOT NULL")
        .into_iter()
        .map(|r| {
            let blob = unhex_bytea(r[1].as_deref().unwrap());
            let plain = age::decrypt(&key, &blob).expect("decrypts with the identity");
            (r[0].clone().unwrap(), String::from_utf8(plain).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn rekey_reencrypts_every_token_and_copy_store_copies_them() {
    let env = TestEnv::initialised();
    let default = env.enroll_enabled("ann");
    let (_, doc, _) = enroll_out(&env, "ann", &["--label", "phone"]);
    let phone = doc["secret"].as_str().unwrap().to_owned();
    let want = vec![
        ("default".to_owned(), default.clone()),
        ("phone".to_owned(), phone.clone()),
    ];
    let new_id = env.dir.path().join("new-identity.txt");
    let out = env
        .cmd()
        .args(["rekey", "--yes", "--new-identity"])
        .arg(&new_id)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(decrypted_tokens(&env.direct(), &new_id), want);

    // copy-store into a new SQLite file: both tokens, labels, ids and ciphertexts.
    let copy = env.dir.path().join("copy.db");
    env.cmd()
        .args(["copy-store", "--to"])
        .arg(&copy)
        .assert()
        .success();
    let copied = Store::File(copy);
    assert_eq!(decrypted_tokens(&copied, &new_id), want);
    let ids = |s: &Store| {
        let mut v = s.query_strings("SELECT id || ' ' || label || ' ' || status FROM mfa_token");
        v.sort();
        v
    };
    assert_eq!(ids(&copied), ids(&env.direct()));
}

#[test]
fn a_user_is_unused_only_if_none_of_their_tokens_was_used() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    // A second token, enabled (the primary one now) and never used.
    enroll_out(&env, "ann", &["--label", "phone"]);
    env.execute(
        "UPDATE mfa_token SET status = 'enabled', enrolled_at = '2030-01-01T00:00:00Z' \
         WHERE label = 'phone'",
    );
    env.execute("UPDATE mfa_user SET created_at = '2020-01-01T00:00:00Z'");
    env.execute("UPDATE mfa_token SET created_at = '2020-01-01T00:00:00Z'");
    // ann's default token was used just now: she is not unused, whatever her new token says.
    let unused = env.list(&["--unused-since", "30d"]);
    assert!(unused.is_empty(), "{unused:?}");
    // Once no token was used in the window, she is.
    env.execute("UPDATE mfa_token SET last_used_at = '2020-06-01T00:00:00Z'");
    assert_eq!(env.list(&["--unused-since", "30d"]).len(), 1);
}

#[test]
fn rekey_dry_run_reads_every_token_not_only_the_primary_one() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    let (rc, _, err) = enroll_out(&env, "ann", &["--label", "phone"]);
    assert_eq!(rc, 0, "{err}");
    // The dry run decrypts every token, not only the user's primary one (the enabled default).
    let own = env.stored_recipients();
    let dry = env
        .cmd()
        .args(["rekey", "--dry-run", "-r", &own[0]])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(text.contains("Would re-encrypt 2 secrets"), "{text}");

    // A token that is not the primary one, unreadable: the dry run says so.
    env.execute(&format!(
        "UPDATE mfa_token SET secret = {} WHERE label = 'phone'",
        env.direct().blob_literal(&[0])
    ));
    let own = env.stored_recipients();
    let dry = env
        .cmd()
        .args(["--json", "rekey", "--dry-run", "-r", &own[0]])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(2));
    let err: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(err["error"]["kind"], "decrypt", "{err}");
}

#[test]
fn each_token_is_judged_with_its_own_parameters_and_its_own_pending_age() {
    let env = TestEnv::initialised();
    // The default token, SHA-1, 6 digits, enabled: the user's primary token.
    env.enroll_enabled("ann");
    // A token with other parameters: its own 8-digit SHA-256 code confirms it.
    let (rc, doc, err) = enroll_out(
        &env,
        "ann",
        &[
            "--label",
            "laptop",
            "--algorithm",
            "sha256",
            "--digits",
            "8",
        ],
    );
    assert_eq!(rc, 0, "{err}");
    let laptop = doc["secret"].as_str().unwrap().to_owned();
    let (rc, doc) = env.verify("ann", &totp_now(&laptop, "SHA256", 8, 30));
    assert_eq!(
        (rc, &doc["token"], &doc["status"]),
        (0, &"laptop".into(), &"enabled".into()),
        "{doc}"
    );
    // A pending token enrolled 8 days ago (pending-ttl: 7 days) can no longer be confirmed,
    // however young the user's other tokens are.
    let (rc, doc, err) = enroll_out(&env, "ann", &["--label", "tablet"]);
    assert_eq!(rc, 0, "{err}");
    let tablet = doc["secret"].as_str().unwrap().to_owned();
    let at = mfactl::model::Timestamp::from_unix(unix_now() as i64 - 8 * 86_400);
    assert_eq!(
        env.execute(&format!(
            "UPDATE mfa_token SET enrolled_at = '{at}' WHERE label = 'tablet'"
        )),
        1
    );
    let (rc, doc) = env.verify("ann", &totp_now(&tablet, "SHA1", 6, 30));
    // (Its verdict, expired, says nothing about the code and ranks below the other tokens'
    // "invalid": ann is told her code is wrong.)
    assert_eq!((rc, &doc["accepted"]), (1, &false.into()), "{doc}");
    let tablet_status = env.query_strings("SELECT status FROM mfa_token WHERE label = 'tablet'");
    assert_eq!(tablet_status, ["pending"]);
}

#[test]
fn of_two_tokens_accepting_one_code_the_first_by_label_takes_it_and_both_are_used_up() {
    // The same secret imported under two labels (a migration gone wrong): a code matches both.
    let env = TestEnv::initialised();
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let csv = format!(
        "user,token,status,uri\n\
         ann,second,enabled,otpauth://totp/ann?secret={secret}\n\
         ann,first,enabled,otpauth://totp/ann?secret={secret}\n"
    );
    env.cmd()
        .args(["import", "-", "--format", "csv"])
        .write_stdin(csv)
        .assert()
        .success();
    let code = totp_now(secret, "SHA1", 6, 30);
    let (rc, doc) = env.verify("ann", &code);
    assert_eq!((rc, &doc["token"]), (0, &"first".into()), "{doc}");
    // The code is used up on both: the second token's mark moved too, and nothing else of it.
    assert!(mark(&env, "ann", "first").is_some());
    assert_eq!(mark(&env, "ann", "second"), mark(&env, "ann", "first"));
    let last_used = env
        .query_strings("SELECT coalesce(last_used_at, '-') FROM mfa_token WHERE label = 'second'");
    assert_eq!(last_used, ["-"]);
    // So it cannot be replayed through the other label.
    let (rc, doc) = env.verify("ann", &code);
    assert_eq!((rc, &doc["reason"]), (1, &"replayed".into()), "{doc}");
}

/// A refused enrollment says which token is in the way: a labelled one by its label, the
/// default one (a user's only token, usually) by the status alone.
#[test]
fn a_refused_enrollment_names_the_token_in_the_way() {
    let env = TestEnv::initialised();
    env.enroll("ann", &[]);
    env.enroll("ann", &["--label", "laptop"]);
    let refusal = |extra: &[&str]| -> String {
        let out = env
            .cmd()
            .args(["--json", "enroll", "ann"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["error"]["kind"], "already_enrolled", "{doc}");
        doc["error"]["message"].as_str().unwrap().to_owned()
    };
    let labelled = refusal(&["--label", "laptop"]);
    assert!(labelled.contains("pending (token laptop)"), "{labelled}");
    let default = refusal(&[]);
    assert!(default.contains("pending"), "{default}");
    assert!(!default.contains("(token"), "{default}");
}
