//! Properties of drift and resync over generated sequences (issue 13, part 3), through the real
//! store (SQLite, and PostgreSQL with `MFACTL_TEST_PG`) with the server's clock chosen by the
//! test (`Op::now` and the `decide` functions' `unix_now`): whatever the sequence of verify,
//! resync, max-drift and skew changes, with the server's clock moving forwards or back and
//! the device's clock anywhere within an hour,
//!
//! - no code is ever accepted (by verify, or as resync's second code) for a step at or below
//!   the token's replay mark: the mark only ever grows, strictly, on every acceptance;
//! - an accepted verify code is the token's code (by the independent HOTP oracle) for a step
//!   within ±(max-drift + skew) of now, and the stored drift stays within ±max-drift as it
//!   was when it was set.

mod common;

use common::*;
use mfactl::audit::Op;
use mfactl::model::{Timestamp, UserName};
use mfactl::settings::SettingKey;
use mfactl::store::{Location, Store};
use mfactl::vault::{Identities, IdentitySource};
use proptest::prelude::*;

/// The server's clock at the start of every sequence (a step boundary).
const T0: u64 = 1_800_000_000 / 30 * 30;

#[derive(Clone, Debug)]
enum Action {
    /// The server's clock moves by `tick` steps, the device's clock drifts by `jump` steps
    /// more (at most an hour off in all), then the device sends the code of its current step.
    Verify {
        tick: i64,
        jump: i64,
    },
    /// The same, then the device sends the codes of its previous and current steps to resync.
    Resync {
        tick: i64,
        jump: i64,
    },
    /// A code of the device's for a step up to 3 before the last one accepted, or that step.
    Replay {
        back: u64,
    },
    /// Any six digits.
    Random {
        code: u32,
    },
    MaxDrift(u32),
    Skew(u8),
}

fn action() -> impl Strategy<Value = Action> {
    let tick = prop_oneof![8 => 0i64..=2, 1 => -3i64..=-1, 1 => 3i64..=40];
    let jump = prop_oneof![8 => -1i64..=1, 1 => -20i64..=20, 1 => -120i64..=120];
    prop_oneof![
        6 => (tick.clone(), jump.clone()).prop_map(|(tick, jump)| Action::Verify { tick, jump }),
        3 => (tick, jump).prop_map(|(tick, jump)| Action::Resync { tick, jump }),
        2 => (0u64..=3).prop_map(|back| Action::Replay { back }),
        1 => (0u32..1_000_000).prop_map(|code| Action::Random { code }),
        1 => (0u32..=15).prop_map(Action::MaxDrift),
        1 => (0u8..=3).prop_map(Action::Skew),
    ]
}

fn op_at(now_step: u64) -> Op {
    Op {
        actor: "drift-property".into(),
        now: Timestamp::from_unix((now_step * 30) as i64),
    }
}

/// (drift, last_used_step) as the store holds them.
fn state(store: &mut Store, user: &UserName) -> (i64, Option<u64>) {
    let rec = store.user(user).unwrap().unwrap();
    (rec.drift, rec.last_used_step)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn no_sequence_accepts_a_step_at_or_below_the_replay_mark(
        actions in prop::collection::vec(action(), 1..30),
    ) {
        let env = TestEnv::new();
        let location = Location::parse(std::ffi::OsStr::new(&env.store)).unwrap();
        let id_path = env.dir.path().join("identity.txt");
        let ids = mfactl::vault::generate_identity_file(&id_path).unwrap();
        let mut mfa = mfactl::Mfa::create(&location, ids).unwrap();
        let secret = mfa.enroll("pat", &Default::default()).unwrap().secret.to_base32();
        let ids = Identities::load(&IdentitySource::File(id_path), &mut || unreachable!()).unwrap();
        let store = mfa.store();
        let pat = UserName::parse("pat").unwrap();
        let setup = op_at(T0 / 30);
        store.set_setting(&setup, SettingKey::MaxFailures, "100").unwrap();
        // The enrollment is real time, the sequence's clock another: it never expires.
        store.set_setting(&setup, SettingKey::PendingTtl, "0").unwrap();
        let (mut max_drift, mut skew) = (10u32, 1u8);
        let mut now = T0 / 30;
        // How far the device's clock is off, in steps.
        let mut device = 0i64;
        let code_at = |step: u64| code_at_step(&secret, step);

        for a in actions {
            let (drift_before, mark_before) = state(store, &pat);
            let (tick, code, resync_codes) = match &a {
                Action::Verify { tick, jump } => {
                    device = (device + jump).clamp(-120, 120);
                    let s = (now as i64 + tick + device) as u64;
                    (*tick, Some(code_at(s)), None)
                }
                Action::Resync { tick, jump } => {
                    device = (device + jump).clamp(-120, 120);
                    let s = (now as i64 + tick + device) as u64;
                    (*tick, None, Some((code_at(s - 1), code_at(s))))
                }
                Action::Replay { back } => {
                    (0, mark_before.map(|m| code_at(m.saturating_sub(*back))), None)
                }
                Action::Random { code } => (0, Some(format!("{code:06}")), None),
                Action::MaxDrift(m) => {
                    max_drift = *m;
                    store.set_setting(&op_at(now), SettingKey::MaxDrift, &m.to_string()).unwrap();
                    (0, None, None)
                }
                Action::Skew(s) => {
                    skew = *s;
                    store.set_setting(&op_at(now), SettingKey::Skew, &s.to_string()).unwrap();
                    (0, None, None)
                }
            };
            now = (now as i64 + tick) as u64;
            let op = op_at(now);
            let t = now * 30;
            if let Some(code) = code {
                let r = store
                    .verify(&op, &pat, &mut |rec, settings| {
                        mfactl::verification::decide(rec, settings, &code, t, &ids)
                    })
                    .unwrap();
                let (drift, mark) = state(store, &pat);
                if r.accepted() {
                    let step = mark.unwrap();
                    prop_assert!(mark_before.is_none_or(|m| step > m), "{a:?}: {mark_before:?} -> {step}");
                    prop_assert_eq!(&code_at(step), &code, "{:?}: the accepted step's code", a);
                    let reach = i64::from(max_drift) + i64::from(skew);
                    prop_assert!((step as i64 - now as i64).abs() <= reach, "{a:?}: window");
                    prop_assert!(drift.abs() <= i64::from(max_drift), "{a:?}: drift {drift}");
                } else {
                    prop_assert_eq!((drift, mark), (drift_before, mark_before), "{:?}", a);
                }
            }
            if let Some((c1, c2)) = resync_codes {
                let r = store
                    .resync(&op, &pat, None, &mut |rec, settings| {
                        mfactl::verification::decide_resync(rec, settings, &c1, &c2, t, &ids)
                    })
                    .unwrap();
                let (drift, mark) = state(store, &pat);
                if r.accepted() {
                    let step = mark.unwrap();
                    prop_assert!(mark_before.is_none_or(|m| step > m), "{a:?}: {mark_before:?} -> {step}");
                    prop_assert_eq!(&code_at(step), &c2, "{:?}", a);
                    prop_assert_eq!(&code_at(step - 1), &c1, "{:?}", a);
                    prop_assert_eq!(drift, step as i64 - now as i64);
                    prop_assert!(drift.abs() <= i64::from(max_drift), "{a:?}: drift {drift}");
                } else {
                    prop_assert_eq!((drift, mark), (drift_before, mark_before), "{:?}", a);
                }
            }
        }
    }
}
