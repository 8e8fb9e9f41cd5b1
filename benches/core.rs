//! Criterion benchmarks of mfactl's hot paths, in-process (no process start-up):
//!
//! - `age/*`: the floor under everything: one age X25519 encryption, one decryption;
//! - `verify_core/*`: decrypt + HMAC + the store's write transaction (`Store::verify` with
//!   `verification::decide`), accepted every time: each iteration verifies the code of a newer
//!   time step, so the full accept path (UPDATE of the user row, audit row, commit) runs, on a
//!   store of 1 and of 10,000 users;
//! - `enroll_core`: generate a secret + encrypt + `Store::enroll` (one commit per user);
//! - `list/users_100k`: `Store::users` over 100,000 rows (never decrypts).
//!
//! Sample sizes and times are small so that `cargo bench` finishes in a few minutes; the
//! whole-process figures are in BENCHMARKS.md (benches/cli.sh).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mfactl::audit::Op;
use mfactl::model::{Status, TokenLabel, TotpParams, UserFilter, UserName};
use mfactl::store::{Enrollment, Location, Store, StoreInit};
use mfactl::totp::{self, TotpSecret};
use mfactl::vault::{self, Identities};
use mfactl::verification;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    ids: Identities,
    secret: TotpSecret,
}

/// A store of `n` users, `bench` among them with a known secret. Other users share one real
/// ciphertext (same size and layout as their own would have; nothing here decrypts them).
fn fixture(n: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let ids = Identities::from_key(age::x25519::Identity::generate(), "bench".into());
    let recipients = ids.recipients();
    let op = Op::new("bench");
    drop(
        Store::create(
            &Location::file(&path),
            &op,
            &StoreInit {
                recipients: recipients.clone(),
                issuer: None,
            },
        )
        .unwrap(),
    );
    let params = TotpParams::default();
    let secret = TotpSecret::generate(params.algorithm()).unwrap();
    let filler = vault::encrypt_secret(&recipients, &secret).unwrap();
    let mut enrollments = vec![Enrollment {
        user: UserName::parse("bench").unwrap(),
        params,
        issuer: "mfactl".into(),
        ciphertext: vault::encrypt_secret(&recipients, &secret).unwrap(),
        status: Status::Enabled,
        label: TokenLabel::default(),
    }];
    for i in 1..n {
        enrollments.push(Enrollment {
            user: UserName::parse(&format!("user{i:07}")).unwrap(),
            params,
            issuer: "mfactl".into(),
            ciphertext: filler.clone(),
            status: Status::Enabled,
            label: TokenLabel::default(),
        });
    }
    let mut store = Store::open(&Location::file(&path)).unwrap();
    store
        .import(&op, &enrollments, &recipients, None, false)
        .unwrap();
    Fixture {
        _dir: dir,
        store,
        ids,
        secret,
    }
}

fn age_floor(c: &mut Criterion) {
    let ids = Identities::from_key(age::x25519::Identity::generate(), "bench".into());
    let recipients = ids.recipients();
    let secret = TotpSecret::generate(mfactl::model::Algorithm::Sha1).unwrap();
    let ct = vault::encrypt_secret(&recipients, &secret).unwrap();
    let mut g = c.benchmark_group("age");
    g.bench_function("encrypt", |b| {
        b.iter(|| vault::encrypt_secret(black_box(&recipients), black_box(&secret)).unwrap())
    });
    g.bench_function("decrypt", |b| {
        b.iter(|| ids.decrypt_secret(black_box(&ct)).unwrap())
    });
    g.finish();
}

fn verify_core(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify_core");
    for n in [1usize, 10_000] {
        let mut f = fixture(n);
        let user = UserName::parse("bench").unwrap();
        let params = TotpParams::default();
        // Start at the current step and move one step forward per iteration: every code is
        // fresh, so each verification is accepted and writes.
        let mut step = totp::step_at(u64::try_from(Op::new("x").now.unix()).unwrap(), &params);
        g.bench_function(format!("accepted_{n}_users"), |b| {
            b.iter_batched(
                || {
                    step += 1;
                    let code = totp::code_for_step(&f.secret, &params, step).unwrap();
                    (code.as_str().to_owned(), step * u64::from(params.period()))
                },
                |(code, now)| {
                    let op = Op::new("bench");
                    let r = f
                        .store
                        .verify(&op, &user, &mut |rec, settings| {
                            verification::decide(rec, settings, &code, now, &f.ids)
                        })
                        .unwrap();
                    assert!(r.accepted());
                    r
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn enroll_core(c: &mut Criterion) {
    let mut f = fixture(1);
    let recipients = f.store.recipients().unwrap();
    let params = TotpParams::default();
    let mut i = 0u64;
    c.bench_function("enroll_core", |b| {
        b.iter(|| {
            i += 1;
            let secret = TotpSecret::generate(params.algorithm()).unwrap();
            let e = Enrollment {
                user: UserName::parse(&format!("enrolled{i}")).unwrap(),
                params,
                issuer: "mfactl".into(),
                ciphertext: vault::encrypt_secret(&recipients, &secret).unwrap(),
                status: Status::Pending,
                label: TokenLabel::default(),
            };
            f.store
                .enroll(&Op::new("bench"), &e, false, &recipients, None, false)
                .unwrap()
        })
    });
}

fn list_100k(c: &mut Criterion) {
    let mut f = fixture(100_000);
    assert!(Path::new(&f.store.location()).exists());
    let mut g = c.benchmark_group("list");
    g.sample_size(10);
    g.bench_function("users_100k", |b| {
        b.iter(|| {
            let users = f.store.users(UserFilter::All).unwrap();
            assert_eq!(users.len(), 100_000);
            users
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = age_floor, verify_core, enroll_core, list_100k
}
criterion_main!(benches);
