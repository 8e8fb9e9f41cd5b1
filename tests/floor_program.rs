//! The floor programs of `benches/cli.sh` (benches/floor.rs, an example): BENCHMARKS.md's bound on
//! a verify holds only if `floor STORE USER ID CODE` really decrypts the secret and checks the
//! code before its durable UPDATE, and `floor STORE USER` really writes. SQLite only: the floor
//! programs open a store file.

mod common;

use std::ffi::OsString;

use age::secrecy::ExposeSecret;
use common::*;

// The program's own code, run in-process: no example binary to find or to find stale. Its
// `main` (which also switches SQLite's memory statistics off for the whole process) is not
// called here.
#[allow(dead_code)]
#[path = "../benches/floor.rs"]
mod floor;

use floor::Failure;

fn run(args: &[&std::ffi::OsStr]) -> Result<(), Failure> {
    let args: Vec<OsString> = args.iter().map(|a| a.to_os_string()).collect();
    floor::floor(&args)
}

/// A store with user `bench` enrolled (pending, never used); its secret.
fn store_with_bench() -> (TestEnv, String) {
    let env = TestEnv::new_sqlite();
    env.cmd().arg("init").assert().success();
    let doc = env.enroll("bench", &[]);
    let secret = doc["secret"]
        .as_str()
        .expect("enroll --json secret")
        .to_owned();
    (env, secret)
}

fn last_used_step(env: &TestEnv) -> Option<i64> {
    let rows = env.query("SELECT last_used_step FROM mfa_token");
    assert_eq!(rows.len(), 1);
    rows[0][0]
        .as_deref()
        .map(|s| s.parse().expect("an integer step"))
}

fn refusal(result: Result<(), Failure>) -> String {
    match result {
        Err(Failure::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_checking_floor_records_the_step_of_a_right_code() {
    let (env, secret) = store_with_bench();
    assert_eq!(last_used_step(&env), None);
    let step = step_now();
    let code = code_at_step(&secret, step);
    run(&[
        env.db.as_os_str(),
        "bench".as_ref(),
        env.identity.as_os_str(),
        code.as_ref(),
    ])
    .unwrap();
    // The step the code is for, computed here with an independent HOTP.
    assert_eq!(last_used_step(&env), Some(step as i64));
}

#[test]
fn the_checking_floor_refuses_a_wrong_code_and_writes_nothing() {
    let (env, secret) = store_with_bench();
    let before = env.snapshot();
    let wrong = wrong_code(&secret);
    let why = refusal(run(&[
        env.db.as_os_str(),
        "bench".as_ref(),
        env.identity.as_os_str(),
        wrong.as_ref(),
    ]));
    assert_eq!(why, "wrong code");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn the_checking_floor_decrypts_with_the_identity_it_is_given() {
    let (env, secret) = store_with_bench();
    let other = env.dir.path().join("other-identity.txt");
    let key = age::x25519::Identity::generate().to_string();
    std::fs::write(&other, key.expose_secret()).unwrap();
    let before = env.snapshot();
    let code = code_at_step(&secret, step_now());
    let why = refusal(run(&[
        env.db.as_os_str(),
        "bench".as_ref(),
        other.as_os_str(),
        code.as_ref(),
    ]));
    assert!(why.contains("does not decrypt"), "{why}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn the_plain_floor_writes_the_current_step() {
    let (env, _) = store_with_bench();
    let before = step_now() as i64;
    run(&[env.db.as_os_str(), "bench".as_ref()]).unwrap();
    let step = last_used_step(&env).expect("a step written");
    assert!((before..=step_now() as i64).contains(&step), "{step}");
}

#[test]
fn the_floor_refuses_an_unknown_user_and_other_arguments() {
    let (env, _) = store_with_bench();
    let before = env.snapshot();
    let why = refusal(run(&[env.db.as_os_str(), "nobody".as_ref()]));
    assert!(why.contains("no user"), "{why}");
    assert!(matches!(run(&[env.db.as_os_str()]), Err(Failure::Usage)));
    assert_eq!(env.snapshot(), before);
}
