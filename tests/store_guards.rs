//! The store's own guards, each layer on its own: the guarded UPDATE that records an accepted
//! code repeats the replay rule (`last_used_step < step`) and the lock rule
//! (not locked at the verification's time: no `locked_at`, or a `locked_until` at or before it),
//! so a verdict the policy (`totp::judge`, `verification::decide`)
//! would never give is still refused by the statement. These tests call the library's
//! `Store::verify` with such verdicts, on SQLite and (with `MFACTL_TEST_PG`) PostgreSQL: each
//! backend's SQL is tested. The policy layer on its own is tested in `src/totp.rs`.

mod common;

use common::*;
use mfactl::audit::Op;
use mfactl::model::UserName;
use mfactl::store::{Location, Store};
use mfactl::totp::{RejectReason, Verdict};

fn open(env: &TestEnv) -> Store {
    Store::open(&Location::parse(std::ffi::OsStr::new(&env.store)).unwrap()).unwrap()
}

/// An enrollment of `user`'s token `label` in `status`, its secret encrypted to `to`.
fn sealed(
    user: &str,
    label: &str,
    status: mfactl::model::Status,
    to: &[mfactl::vault::Recipient],
    secret: &mfactl::totp::TotpSecret,
) -> mfactl::store::Enrollment {
    mfactl::store::Enrollment {
        user: UserName::parse(user).unwrap(),
        params: mfactl::model::TotpParams::default(),
        issuer: "mfactl".into(),
        ciphertext: mfactl::vault::encrypt_secret(to, secret).unwrap(),
        status,
        label: label.parse().unwrap(),
    }
}

fn new_secret() -> mfactl::totp::TotpSecret {
    mfactl::totp::TotpSecret::generate(mfactl::model::Algorithm::Sha1).unwrap()
}

/// (last_used_step, failed_attempts, status), read directly.
fn row(env: &TestEnv) -> (Option<i64>, i64, String) {
    let r = &env.query(
        "SELECT last_used_step, failed_attempts, status FROM %USER_TOKENS% WHERE %USER% = 'ann'",
    )[0];
    (
        r[0].as_deref().map(|v| v.parse().unwrap()),
        r[1].as_deref().unwrap().parse().unwrap(),
        r[2].clone().unwrap(),
    )
}

/// A store with `ann` enabled, her last accepted step set to 1000.
fn with_last_step() -> TestEnv {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    env.execute("UPDATE mfa_token SET last_used_step = 1000");
    env
}

/// [`with_last_step`], and `ann` locked at 2026-01-01T00:00:00Z for 15 minutes (her first
/// lock, after five failures).
fn with_timed_lock() -> TestEnv {
    let env = with_last_step();
    env.execute(
        "UPDATE mfa_user SET locked_at = '2026-01-01T00:00:00Z', \
         locked_until = '2026-01-01T00:15:00Z', lockouts = 1, failed_attempts = 5",
    );
    env
}

/// Forces `verdict` through the store, whatever the user's record says.
fn force(env: &TestEnv, verdict: Verdict) -> mfactl::store::VerifyResult {
    let ann = UserName::parse("ann").unwrap();
    open(env)
        .verify(&Op::new("guard-test"), &ann, &mut |_, _| Ok(verdict))
        .unwrap()
}

#[test]
fn the_update_refuses_a_step_equal_to_the_last_one() {
    let env = with_last_step();
    let r = force(&env, Verdict::Accept { step: 1000 });
    assert_eq!(r.rejected, Some(RejectReason::Replayed));
    assert_eq!(row(&env).0, Some(1000));
}

#[test]
fn the_update_refuses_a_step_older_than_the_last_one() {
    let env = with_last_step();
    let r = force(&env, Verdict::Accept { step: 999 });
    assert_eq!(r.rejected, Some(RejectReason::Replayed));
    assert_eq!(row(&env).0, Some(1000));
}

#[test]
fn the_update_accepts_the_next_step() {
    let env = with_last_step();
    env.execute("UPDATE mfa_user SET failed_attempts = 2");
    let r = force(&env, Verdict::Accept { step: 1001 });
    assert_eq!(r.rejected, None);
    assert_eq!(row(&env), (Some(1001), 0, "enabled".to_owned()));
}

#[test]
fn the_update_refuses_a_locked_user_whatever_the_verdict() {
    let env = with_last_step();
    env.execute("UPDATE mfa_user SET locked_at = '2026-01-01T00:00:00Z', failed_attempts = 5");
    let r = force(&env, Verdict::Accept { step: 5000 });
    assert!(r.rejected.is_some(), "a locked user's code was accepted");
    let (step, failures, _) = row(&env);
    assert_eq!(step, Some(1000), "a locked user's step was recorded");
    assert_eq!(failures, 5, "a locked user's failures were reset");
    assert_eq!(
        env.query_i64("SELECT count(*) FROM mfa_user WHERE locked_at IS NULL"),
        0
    );
}

/// `verdict` forced through the store at the time `now`.
fn force_at(env: &TestEnv, verdict: Verdict, now: &str) -> mfactl::store::VerifyResult {
    let ann = UserName::parse("ann").unwrap();
    let op = Op {
        actor: "guard-test".into(),
        now: mfactl::model::Timestamp::parse(now).unwrap(),
    };
    open(env)
        .verify(&op, &ann, &mut |_, _| Ok(verdict))
        .unwrap()
}

#[test]
fn the_update_refuses_a_timed_lock_until_its_last_second_and_accepts_at_its_end() {
    let env = with_timed_lock();
    let r = force_at(&env, Verdict::Accept { step: 5000 }, "2026-01-01T00:14:59Z");
    assert!(
        r.rejected.is_some(),
        "a code was accepted during a timed lock"
    );
    assert_eq!(row(&env), (Some(1000), 5, "enabled".to_owned()));
    let r = force_at(&env, Verdict::Accept { step: 5000 }, "2026-01-01T00:15:00Z");
    assert_eq!(r.rejected, None, "a lifted lock still refused the code");
    assert_eq!(row(&env), (Some(5000), 0, "enabled".to_owned()));
    assert_eq!(
        env.query_i64(
            "SELECT count(*) FROM mfa_user WHERE locked_at IS NULL AND locked_until IS NULL \
             AND lockouts = 0"
        ),
        1,
        "the accepted code did not clear the lock and its backoff"
    );
}

#[test]
fn the_update_refuses_a_manual_lock_at_any_time() {
    let env = with_last_step();
    env.execute("UPDATE mfa_user SET locked_at = '2026-01-01T00:00:00Z', lockouts = 1");
    let r = force_at(&env, Verdict::Accept { step: 5000 }, "9999-12-31T23:59:59Z");
    assert!(
        r.rejected.is_some(),
        "a manually locked user's code was accepted"
    );
    assert_eq!(row(&env).0, Some(1000));
}

#[test]
fn the_update_refuses_a_disabled_user_whatever_the_verdict() {
    let env = with_last_step();
    env.cmd()
        .args(["disable", "ann", "--yes"])
        .assert()
        .success();
    let r = force(&env, Verdict::Accept { step: 5000 });
    assert!(r.rejected.is_some(), "a disabled user's code was accepted");
    assert_eq!(row(&env).2, "disabled");
}

// The enrollment guards, on their own: the commands (and the facade) refuse these cases before
// they reach the store, so only a direct call shows that the store refuses them too, under its
// lock, where a concurrent change could otherwise slip past the earlier check.

/// An enrollment as the store takes it. The ciphertext is a placeholder: nothing here decrypts.
fn enrollment(name: &str, status: mfactl::model::Status) -> mfactl::store::Enrollment {
    mfactl::store::Enrollment {
        user: UserName::parse(name).unwrap(),
        params: mfactl::model::TotpParams::default(),
        issuer: "mfactl".into(),
        ciphertext: b"placeholder".to_vec(),
        status,
        label: mfactl::model::TokenLabel::default(),
    }
}

/// (user, status, ciphertext as text, updated_at) of every row, read directly.
fn all_rows(env: &TestEnv) -> Vec<TextRow> {
    let mut rows = env.query("SELECT %USER%, status, secret, updated_at FROM %USER_TOKENS%");
    rows.sort();
    rows
}

/// `Store::enroll` of a pending `name`, without `force`, as a command would call it: its error.
fn enroll_directly(env: &TestEnv, name: &str) -> mfactl::Error {
    let mut store = open(env);
    let recipients = store.recipients().unwrap();
    let e = enrollment(name, mfactl::model::Status::Pending);
    store
        .enroll(&Op::new("guard-test"), &e, false, &recipients, None, false)
        .expect_err("the store took an enrollment its guard refuses")
}

/// `Store::import` of enabled users named `names`, in one batch: its error.
fn import_directly(env: &TestEnv, names: &[&str]) -> mfactl::Error {
    let mut store = open(env);
    let recipients = store.recipients().unwrap();
    let batch: Vec<_> = names
        .iter()
        .map(|n| enrollment(n, mfactl::model::Status::Enabled))
        .collect();
    store
        .import(&Op::new("guard-test"), &batch, &recipients, None, false)
        .expect_err("the store took an import its guard refuses")
}

#[test]
fn the_store_refuses_to_replace_a_secret_without_force() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    let before = all_rows(&env);
    let err = enroll_directly(&env, "ann");
    assert_eq!(err.kind(), "already_enrolled", "{err}");
    assert_eq!(
        all_rows(&env),
        before,
        "the refused enrollment changed a row"
    );
}

#[test]
fn the_store_imports_nothing_when_one_user_is_not_disabled() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    let before = all_rows(&env);
    let err = import_directly(&env, &["newcomer", "ann"]);
    assert_eq!(err.kind(), "already_enrolled", "{err}");
    assert_eq!(all_rows(&env), before, "a refused import left rows behind");
}

#[test]
fn the_store_applies_the_new_name_rules_to_imported_names() {
    let env = TestEnv::initialised();
    // A zero-width space: a valid name to read, never a new one to store.
    let err = import_directly(&env, &["ev\u{200b}e"]);
    assert_eq!(err.kind(), "invalid_input", "{err}");
    assert!(all_rows(&env).is_empty(), "the invisible name was stored");
}

#[test]
fn the_store_refuses_a_look_alike_of_a_stored_name_on_enroll_and_import() {
    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    let before = all_rows(&env);
    // "ANN" folds to "ann": a second account an operator would take for the first.
    let err = enroll_directly(&env, "ANN");
    assert_eq!(err.kind(), "similar_user", "{err}");
    let err = import_directly(&env, &["newcomer", "ANN"]);
    assert_eq!(err.kind(), "similar_user", "{err}");
    assert_eq!(
        all_rows(&env),
        before,
        "a refused look-alike changed the store"
    );
}

#[test]
fn the_store_never_confirms_an_expired_pairing_whatever_the_verdict() {
    let env = TestEnv::initialised();
    env.enroll("ann", &[]);
    // Enrolled 8 days ago; pending-ttl is 7 days.
    let at = mfactl::model::Timestamp::from_unix(unix_now() as i64 - 8 * 86_400);
    env.execute(&format!("UPDATE mfa_token SET enrolled_at = '{at}'"));
    let r = force(&env, Verdict::Accept { step: 5000 });
    assert_eq!(r.rejected, Some(mfactl::totp::RejectReason::Expired));
    assert_eq!(row(&env), (None, 1, "pending".to_owned()));
}

#[test]
fn a_lock_that_has_lifted_is_not_reported_as_in_force() {
    let env = with_timed_lock();
    let locked = Verdict::Reject(RejectReason::Locked);
    let r = force_at(&env, locked, "2026-01-01T00:10:00Z");
    assert_eq!(
        r.locked_until,
        Some(mfactl::model::Timestamp::parse("2026-01-01T00:15:00Z").unwrap())
    );
    let r = force_at(&env, locked, "2026-01-01T00:20:00Z");
    assert_eq!(r.locked_until, None, "a lifted lock reported as in force");
}

#[test]
fn an_acceptance_records_the_drift_in_its_audit_row_only_when_it_moved() {
    let env = with_last_step();
    let now = "2026-01-01T00:00:00Z";
    let now_step = mfactl::model::Timestamp::parse(now).unwrap().unix() as u64 / 30;
    // At now's step: the drift stays 0, and the row says nothing of it.
    assert_eq!(
        force_at(&env, Verdict::Accept { step: now_step }, now).rejected,
        None
    );
    // Two steps ahead: the drift becomes 2, and the row says from what.
    assert_eq!(
        force_at(&env, Verdict::Accept { step: now_step + 2 }, now).rejected,
        None
    );
    let all: Vec<serde_json::Value> = audit_rows(&env)
        .iter()
        .filter(|r| r.event == "verify-accepted")
        .map(|r| r.details())
        .collect();
    // (The first is the enrollment's confirmation.)
    let rows = &all[all.len() - 2..];
    assert!(rows[0].get("drift").is_none(), "{}", rows[0]);
    assert_eq!(
        (&rows[1]["drift"], &rows[1]["previous_drift"]),
        (&2.into(), &0.into())
    );
}

/// An enrollment whose secret was encrypted to keys the store no longer has (a rekey committed
/// between the encryption and the enrollment's lock) is encrypted again to the current keys,
/// under the lock; without a way to do that it is refused and nothing is stored. Called
/// through `Store::enroll` with a ciphertext made for another key: the race, made certain.
#[test]
fn an_enrollment_sealed_to_old_keys_is_resealed_or_refused() {
    use age::x25519;
    use mfactl::model::Status;
    use mfactl::store::Enrollment;
    use mfactl::vault::{encrypt_secret, Recipient};

    let env = TestEnv::initialised();
    let text = std::fs::read_to_string(&env.identity).unwrap();
    let store_key: x25519::Identity = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .parse()
        .unwrap();
    let old_key = x25519::Identity::generate();
    let old = [Recipient::parse(&old_key.to_public().to_string()).unwrap()];
    let secret = new_secret();
    let stale = |user: &str| sealed(user, "default", Status::Pending, &old, &secret);
    let mut store = open(&env);
    let op = Op::new("guard-test");

    // No way to reseal: refused, nothing stored.
    let err = store
        .enroll(&op, &stale("ann"), false, &old, None, false)
        .unwrap_err();
    assert!(err.to_string().contains("recipients changed"), "{err}");
    assert!(env.stored_secrets().is_empty(), "a stale secret was stored");

    // With a reseal: the stored secret opens with the store's key, not with the old one.
    let mut resealed_to = Vec::new();
    let mut reseal = |_: &Enrollment, to: &[Recipient]| {
        resealed_to = to.iter().map(|r| r.to_string()).collect();
        encrypt_secret(to, &secret)
    };
    store
        .enroll(&op, &stale("bob"), false, &old, Some(&mut reseal), false)
        .unwrap();
    assert_eq!(resealed_to, [store_key.to_public().to_string()]);
    let blob = env.stored_secret("bob").unwrap();
    assert_eq!(
        age::decrypt(&store_key, &blob).unwrap(),
        secret.to_base32().as_bytes()
    );
    assert!(age::decrypt(&old_key, &blob).is_err());
}

/// The janitor scrubs the store's files after a run that erased secrets (disabling), and only
/// then: removing the rows of users disabled long ago erases none (their secrets went when
/// they were disabled). `Store::last_scrub` says whether a scrub ran (on PostgreSQL, that
/// there is nothing a backend can do at once).
#[test]
fn the_janitor_scrubs_after_erasing_secrets_and_only_then() {
    use mfactl::janitor::{Action, Policy};
    use mfactl::model::{Span, Timestamp};

    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    // A year from now ann is unused for a year; a year after that, disabled for a year.
    let later = |years: u64| Op {
        now: Span::parse("t", &format!("{}d", 366 * years))
            .unwrap()
            .after(Timestamp::now()),
        ..Op::new("janitor-test")
    };
    let month = Some(Span::parse("t", "30d").unwrap());
    let runs = [
        // (years from now, the rule, what it does, whether the store is scrubbed after it)
        (
            1,
            Policy {
                disable_unused_since: month,
                ..Policy::default()
            },
            Action::Disable,
            true,
        ),
        (
            2,
            Policy {
                remove_disabled_older_than: month,
                ..Policy::default()
            },
            Action::Remove,
            false,
        ),
    ];
    for (years, policy, action, scrubbed) in runs {
        let mut store = open(&env);
        let plan = store.janitor_apply(&later(years), &policy).unwrap();
        let done: Vec<Action> = plan.actions.iter().map(|a| a.action).collect();
        assert_eq!(done, [action]);
        assert_eq!(store.last_scrub().is_some(), scrubbed, "{action:?}");
    }
}

/// `Store::users_matching`, the store's own listing for embedding programs: the users the query
/// selects, by name, without ciphertexts.
#[test]
fn users_matching_selects_by_the_query_without_ciphertexts() {
    use mfactl::model::{Status, UserFilter, UserQuery};

    let env = TestEnv::initialised();
    env.enroll_enabled("bob");
    env.enroll_enabled("ann");
    env.enroll("cyd", &[]);
    let mut store = open(&env);
    let names = |q: UserQuery, store: &mut Store| -> Vec<String> {
        let users = store.users_matching(&q).unwrap();
        assert!(users.iter().all(|u| u.secret.is_none()));
        users.iter().map(|u| u.user.as_str().to_owned()).collect()
    };
    assert_eq!(
        names(UserQuery::from(UserFilter::All), &mut store),
        ["ann", "bob", "cyd"]
    );
    assert_eq!(
        names(
            UserQuery::from(UserFilter::Status(Status::Pending)),
            &mut store
        ),
        ["cyd"]
    );
}

/// `Store::import`'s own max-tokens guard (the import planner checks the batch first; the
/// store checks again under its lock, where a token enrolled meanwhile counts): tokens that
/// are not disabled and have another label count, a disabled one does not.
#[test]
fn import_counts_the_other_live_tokens_against_max_tokens() {
    use mfactl::model::Status;

    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    env.enroll("ann", &["--label", "old"]);
    env.cmd()
        .args(["disable", "ann", "--token", "old", "--yes"])
        .assert()
        .success();
    env.cmd()
        .args(["config", "set", "max-tokens", "2"])
        .assert()
        .success();
    let mut store = open(&env);
    let to = store.recipients().unwrap();
    let token = |label: &str| sealed("ann", label, Status::Enabled, &to, &new_secret());
    let op = Op::new("guard-test");
    // default (enabled) and old (disabled): one live token besides the new one.
    store
        .import(&op, &[token("phone")], &to, None, false)
        .unwrap();
    // default and phone are live: a third is one too many.
    let err = store
        .import(&op, &[token("tablet")], &to, None, false)
        .unwrap_err();
    assert!(err.to_string().contains("max-tokens"), "{err}");
    let labels = env.query_strings("SELECT label FROM mfa_token ORDER BY label");
    assert_eq!(labels, ["default", "old", "phone"]);
}

/// An imported token resets the user's failures, lock and recovery codes only when the user
/// has no other live token (as replacing a user's only secret always did): a further token
/// for a user with a live one must not wipe a lock or the failures counted against it.
#[test]
fn import_resets_the_user_only_when_no_other_token_is_live() {
    use mfactl::model::Status;

    let env = TestEnv::initialised();
    env.enroll_enabled("ann");
    env.cmd()
        .args(["recovery-codes", "ann", "--yes"])
        .assert()
        .success();
    env.execute("UPDATE mfa_user SET failed_attempts = 2");
    let state = || {
        let failures = env.query_strings("SELECT failed_attempts FROM mfa_user");
        let codes = env.query_strings("SELECT count(*) FROM recovery_code");
        (failures[0].clone(), codes[0].clone())
    };
    let codes = state().1;
    assert_ne!(codes, "0", "the test's recovery codes");
    let mut store = open(&env);
    let to = store.recipients().unwrap();
    let op = Op::new("guard-test");

    // A further token beside the live default one: the user's state stays.
    store
        .import(
            &op,
            &[sealed("ann", "laptop", Status::Enabled, &to, &new_secret())],
            &to,
            None,
            false,
        )
        .unwrap();
    assert_eq!(state(), ("2".to_owned(), codes));

    // Every token disabled, then one imported again: a fresh start.
    env.cmd()
        .args(["disable", "ann", "--yes"])
        .assert()
        .success();
    env.execute("UPDATE mfa_user SET failed_attempts = 3");
    store
        .import(
            &op,
            &[sealed(
                "ann",
                "default",
                Status::Enabled,
                &to,
                &new_secret(),
            )],
            &to,
            None,
            false,
        )
        .unwrap();
    assert_eq!(state(), ("0".to_owned(), "0".to_owned()));
}
