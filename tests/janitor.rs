//! `list`'s filters and `mfactl janitor` on a generated store of 10,000 users with varied
//! histories (written directly with SQL, in a few statements). The expected selections are
//! computed here from the generated ages, not by asking mfactl.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

const USERS: usize = 10_000;
const DAY: i64 = 86_400;

/// One generated user; ages in whole days, every time half a day off a whole day so that no
/// cutoff given in days falls on one.
#[derive(Debug, Clone)]
struct Gen {
    name: String,
    status: &'static str,
    created: i64,
    last_used: Option<i64>,
    updated: i64,
    disabled: Option<i64>,
    locked: bool,
}

fn generate() -> Vec<Gen> {
    (0..USERS as i64)
        .map(|i| {
            let created = 1 + (i * 7919) % 400;
            let status = match i % 10 {
                0..=5 => "enabled",
                6 | 7 => "pending",
                _ => "disabled",
            };
            let last_used = (status == "enabled" && i % 3 != 0).then(|| (i * 31) % created);
            let updated = match status {
                // A pending user enrolled again lately (--force): their pending time is new.
                "pending" if i % 4 == 0 => i % 5,
                _ => created,
            };
            let disabled = (status == "disabled").then(|| (i * 13) % created);
            Gen {
                name: format!("user{i:05}"),
                status,
                created,
                last_used,
                updated,
                disabled,
                locked: status == "enabled" && i % 17 == 0,
            }
        })
        .collect()
}

fn time_ago(now: i64, days: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(now - days * DAY - DAY / 2).unwrap();
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap()
}

fn sql_text(v: Option<String>) -> String {
    v.map_or_else(|| "NULL".into(), |s| format!("'{s}'"))
}

/// An initialised store holding the generated users (plus `init`'s audit row).
fn generated_store() -> (TestEnv, Vec<Gen>) {
    let env = TestEnv::initialised();
    let users = generate();
    let now = unix_now() as i64;
    let store = env.direct();
    let blob = store.blob_literal(b"not a real ciphertext: the janitor decrypts nothing");
    for chunk in users.chunks(1_000) {
        let id = |g: &Gen| {
            format!(
                "00000000-0000-4000-8000-{:012}",
                g.name[4..].parse::<u64>().unwrap()
            )
        };
        let users: Vec<String> = chunk
            .iter()
            .map(|g| {
                format!(
                    "('{}', '{}', '{}', '{}', {}, {})",
                    id(g),
                    g.name,
                    time_ago(now, g.created),
                    time_ago(now, g.updated),
                    if g.locked { 5 } else { 0 },
                    sql_text(g.locked.then(|| time_ago(now, 0))),
                )
            })
            .collect();
        let tokens: Vec<String> = chunk
            .iter()
            .map(|g| {
                let secret = if g.status == "disabled" {
                    "NULL".to_owned()
                } else {
                    blob.clone()
                };
                format!(
                    "('{}', '{}', 'default', {secret}, '{}', 'SHA1', 6, 30, \
                     'mfactl', '{}', '{}', {}, {}, {})",
                    id(g),
                    id(g),
                    g.status,
                    time_ago(now, g.created),
                    time_ago(now, g.updated),
                    sql_text((g.status == "enabled").then(|| time_ago(now, g.created))),
                    sql_text(g.disabled.map(|d| time_ago(now, d))),
                    sql_text(g.last_used.map(|d| time_ago(now, d))),
                )
            })
            .collect();
        env.execute(&format!(
            "INSERT INTO mfa_user (id, %USER%, created_at, updated_at, failed_attempts, \
             locked_at) VALUES {}",
            users.join(", ")
        ));
        env.execute(&format!(
            "INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, \
             period, issuer, created_at, updated_at, enabled_at, disabled_at, last_used_at) \
             VALUES {}",
            tokens.join(", ")
        ));
    }
    assert_eq!(env.query_i64("SELECT count(*) FROM mfa_user"), USERS as i64);
    (env, users)
}

fn names(users: &[Gen], keep: impl Fn(&Gen) -> bool) -> BTreeSet<String> {
    users
        .iter()
        .filter(|g| keep(g))
        .map(|g| g.name.clone())
        .collect()
}

fn unused(g: &Gen, days: i64) -> bool {
    g.created >= days && g.last_used.is_none_or(|d| d >= days)
}

fn listed(env: &TestEnv, args: &[&str]) -> BTreeSet<String> {
    env.list(args)
        .iter()
        .map(|u| u["user"].as_str().unwrap().to_owned())
        .collect()
}

fn janitor_json(env: &TestEnv, args: &[&str]) -> Value {
    let out = env
        .cmd()
        .args(["--json", "janitor"])
        .args(args)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn selected(doc: &Value, action: &str) -> BTreeSet<String> {
    doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == action)
        .map(|a| a["user"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_filters_select_in_the_store() {
    let (env, users) = generated_store();
    let unused90 = names(&users, |g| unused(g, 90));
    assert!(unused90.len() > 1_000 && unused90.len() < USERS);
    assert_eq!(listed(&env, &["--unused-since", "90d"]), unused90);
    assert_eq!(
        listed(&env, &["--unused-since", "12w", "--status", "enabled"]),
        names(&users, |g| g.status == "enabled" && unused(g, 84))
    );
    assert_eq!(
        listed(&env, &["--pending-older-than", "7d"]),
        names(&users, |g| g.status == "pending" && g.updated >= 7)
    );
    let locked = names(&users, |g| g.locked);
    assert!(!locked.is_empty());
    assert_eq!(listed(&env, &["--locked"]), locked);
    assert_eq!(listed(&env, &["--status", "locked"]), locked);
    assert_eq!(
        listed(&env, &["--locked", "--unused-since", "30d"]),
        names(&users, |g| g.locked && unused(g, 30))
    );
    assert!(listed(&env, &["--locked", "--status", "pending"]).is_empty());
    env.cmd()
        .args(["list", "--unused-since", "soon"])
        .assert()
        .code(2);
}

#[test]
fn the_plan_changes_nothing_and_apply_does_exactly_it() {
    let (env, users) = generated_store();
    // Two real users with audit history, disabled long ago: removed, their history kept.
    for u in ["zz-old-1", "zz-old-2"] {
        env.enroll(u, &[]);
        env.cmd().args(["disable", u, "--yes"]).assert().success();
    }
    env.execute(
        "UPDATE mfa_token SET disabled_at = '2020-01-01T00:00:00Z' \
         WHERE user_id IN (SELECT id FROM mfa_user WHERE %USER% LIKE 'zz-old-%')",
    );
    let history_before =
        env.query_i64("SELECT count(*) FROM audit_log WHERE %USER% LIKE 'zz-old-%'");
    let rules = [
        "--disable-unused-since",
        "90d",
        "--remove-disabled-older-than",
        "180d",
        "--expire-pending",
    ];
    let want_disable = names(&users, |g| g.status == "enabled" && unused(g, 90));
    let want_expire = names(&users, |g| g.status == "pending" && g.updated >= 7);
    let mut want_remove = names(&users, |g| g.disabled.is_some_and(|d| d >= 180));
    want_remove.extend(["zz-old-1".to_owned(), "zz-old-2".to_owned()]);
    for set in [&want_disable, &want_expire, &want_remove] {
        assert!(set.len() > 100, "{}", set.len());
    }

    let before = env.snapshot();
    let plan = janitor_json(&env, &rules);
    assert_eq!(plan["applied"], false);
    assert_eq!(selected(&plan, "disable"), want_disable);
    assert_eq!(selected(&plan, "expire-pending"), want_expire);
    assert_eq!(selected(&plan, "remove"), want_remove);
    assert_eq!(plan["remove"], want_remove.len());
    let first = &plan["actions"][0];
    assert!(first["reason"].as_str().unwrap().len() > 10, "{first}");
    // --apply off a terminal without --yes is refused.
    env.cmd()
        .args(["janitor", "--apply"])
        .args(rules)
        .assert()
        .code(2);
    assert_eq!(
        env.snapshot(),
        before,
        "the plan and the refusal changed nothing"
    );

    let audit_before = env.query_i64("SELECT max(id) FROM audit_log");
    let done = janitor_json(&env, &[&rules[..], &["--apply", "--yes"]].concat());
    assert_eq!(done["applied"], true);
    assert_eq!(selected(&done, "disable"), want_disable);
    assert_eq!(selected(&done, "remove"), want_remove);

    // The store, read directly.
    let disabled: BTreeSet<String> = env
        .query_strings(
            "SELECT %USER% FROM %USER_TOKENS% WHERE status = 'disabled' AND secret IS NULL",
        )
        .into_iter()
        .collect();
    assert!(want_disable.is_subset(&disabled));
    assert!(want_expire.is_subset(&disabled));
    let remaining: BTreeSet<String> = env
        .query_strings("SELECT %USER% FROM mfa_user")
        .into_iter()
        .collect();
    assert!(remaining.is_disjoint(&want_remove));
    assert_eq!(
        remaining.len(),
        USERS + 2 - want_remove.len(),
        "nobody else was removed"
    );
    // One audit row per user, naming the janitor.
    let rows = env.query(&format!(
        "SELECT %USER%, event, details FROM audit_log WHERE id > {audit_before}"
    ));
    let total = want_disable.len() + want_expire.len() + want_remove.len();
    assert_eq!(rows.len(), total);
    let audited: BTreeSet<String> = rows.iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(audited.len(), total);
    for r in &rows {
        let details: Value = serde_json::from_str(r[2].as_deref().unwrap()).unwrap();
        assert_eq!(details["by"], "janitor");
        let user = r[0].as_deref().unwrap();
        let event = r[1].as_deref().unwrap();
        if want_remove.contains(user) {
            assert_eq!(
                (event, &details["rule"]),
                ("remove", &Value::from("remove"))
            );
        } else {
            assert_eq!(event, "disable");
        }
    }
    // History stays after the row is gone, and log still finds the removed user.
    assert_eq!(
        env.query_i64("SELECT count(*) FROM audit_log WHERE %USER% LIKE 'zz-old-%'"),
        history_before + 2
    );
    let out = env
        .cmd()
        .args(["--json", "log", "zz-old-1"])
        .assert()
        .success();
    let log: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(log[0]["event"], "remove");
    env.cmd().args(["log", "--verify"]).assert().code(0);

    // Applied again: nothing left to do.
    let again = janitor_json(&env, &[&rules[..], &["--apply", "--yes"]].concat());
    assert_eq!(again["actions"].as_array().unwrap().len(), 0);
}

#[test]
fn pending_ttl_zero_expires_nothing_and_no_rule_is_a_usage_error() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    env.execute(
        "UPDATE mfa_token SET updated_at = '2020-01-01T00:00:00Z', \
         enrolled_at = '2020-01-01T00:00:00Z'",
    );
    env.execute("UPDATE mfa_user SET updated_at = '2020-01-01T00:00:00Z'");
    assert_eq!(
        selected(&janitor_json(&env, &["--expire-pending"]), "expire-pending"),
        BTreeSet::from(["alice".to_owned()])
    );
    env.cmd()
        .args(["config", "set", "pending-ttl", "0"])
        .assert()
        .success();
    let doc = janitor_json(&env, &["--expire-pending", "--apply", "--yes"]);
    assert_eq!(doc["pending_never_expires"], true);
    assert_eq!(doc["actions"].as_array().unwrap().len(), 0);
    env.cmd().arg("janitor").assert().code(2);
    env.cmd().args(["janitor", "--yes"]).assert().code(2);
}
