//! Builds a benchmark store of N users quickly, through the library (one process, one import
//! transaction), not N `mfactl enroll` launches.
//!
//! ```sh
//! cargo run --release --example gen_store -- PATH N
//! ```
//!
//! Writes the store at PATH and a new age identity at PATH.identity.txt (the store encrypts to
//! its key). Users are `user0000001`.. plus `bench`, whose base32 secret is printed on stdout
//! (and nothing else), so that a benchmark can compute valid codes for it with oathtool. All
//! users are enabled, SHA1, 6 digits, 30 s. The age encryption runs on every core; timings go
//! to stderr.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mfactl::audit::Op;
use mfactl::model::{Status, TotpParams, UserName};
use mfactl::store::{Enrollment, Location, Store, StoreInit};
use mfactl::totp::TotpSecret;
use mfactl::vault::{self, Recipient};

fn main() {
    if let Err(e) = run() {
        eprintln!("gen_store: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, n] = args.as_slice() else {
        return Err("usage: gen_store PATH N   (N >= 1 users, one of them `bench`)".into());
    };
    let path = PathBuf::from(path);
    let n: usize = n
        .parse()
        .map_err(|_| format!("N must be a number, not {n:?}"))?;
    if n == 0 {
        return Err("N must be at least 1".into());
    }
    let secret = generate(&path, n)?;
    println!("{secret}");
    Ok(())
}

/// Creates the store and its identity; returns the `bench` user's base32 secret.
fn generate(path: &Path, n: usize) -> Result<String, Box<dyn std::error::Error>> {
    let identity_path = identity_path(path);
    let started = Instant::now();
    let identities = vault::generate_identity_file(&identity_path)?;
    let recipients = identities.recipients();
    let op = Op::new("gen_store");
    let mut store = Store::create(
        &Location::file(path),
        &op,
        &StoreInit {
            recipients: recipients.clone(),
            issuer: None,
        },
    )?;

    let params = TotpParams::default();
    let bench = TotpSecret::generate(params.algorithm())?;
    let bench_b32 = bench.to_base32().to_string();
    let mut users: Vec<(UserName, TotpSecret)> = Vec::with_capacity(n);
    users.push((UserName::parse("bench")?, bench));
    for i in 1..n {
        let name = UserName::parse(&format!("user{i:07}"))?;
        users.push((name, TotpSecret::generate(params.algorithm())?));
    }

    let t = Instant::now();
    let ciphertexts = encrypt_all(&recipients, &users)?;
    let encrypt_time = t.elapsed();

    let enrollments: Vec<Enrollment> = users
        .into_iter()
        .zip(ciphertexts)
        .map(|((user, _), ciphertext)| Enrollment {
            user,
            params,
            issuer: "mfactl".into(),
            ciphertext,
            status: Status::Enabled,
            label: mfactl::model::TokenLabel::default(),
        })
        .collect();
    let t = Instant::now();
    store.import(&op, &enrollments, &recipients, None, false)?;
    let import_time = t.elapsed();
    drop(store);
    eprintln!(
        "gen_store: {n} users in {:.2?} (age encryption {:.2?} on {} threads, import {:.2?}); \
         identity {}",
        started.elapsed(),
        encrypt_time,
        threads(),
        import_time,
        identity_path.display()
    );
    Ok(bench_b32)
}

fn identity_path(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".identity.txt");
    PathBuf::from(p)
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Encrypts every secret, the work split over all cores; the order is kept.
fn encrypt_all(
    recipients: &[Recipient],
    users: &[(UserName, TotpSecret)],
) -> mfactl::Result<Vec<Vec<u8>>> {
    let chunk = users.len().div_ceil(threads()).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = users
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(_, secret)| vault::encrypt_secret(recipients, secret))
                        .collect::<mfactl::Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(users.len());
        for h in handles {
            out.extend(h.join().expect("encryption thread panicked")?);
        }
        Ok(out)
    })
}
