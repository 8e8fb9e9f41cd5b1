//! The floors of a verification, for `benches/cli.sh`: the least a process can do that records
//! one accepted code durably in an mfactl store.
//!
//! `floor STORE USER` opens the store with the SQLite build, open flags and durability settings
//! mfactl uses (`src/store/sqlite.rs`: rollback journal in `TRUNCATE` mode, `synchronous =
//! FULL`, `secure_delete`, the same busy timeout), runs one `UPDATE` of the user's token in a
//! `BEGIN IMMEDIATE` transaction, commits and exits. No command line parser, no identity file,
//! no decryption, no HMAC, no audit row, no schema check.
//!
//! `floor STORE USER IDENTITY CODE` does, in the same transaction, what no verifier can skip
//! either: it reads the token's ciphertext, loads the age identity file, decrypts the secret
//! and checks CODE against the current step and its neighbours (mfactl's own `vault` and `totp`
//! functions), then records the matched step. Still no lockout, replay rule, settings, audit
//! row or output. Exit status 1 when the code does not match (nothing written), 2 on misuse.
//!
//! `tests/floor_program.rs` includes this file as a module and runs [`floor`] in-process.
//!
//! Built with `cargo build --release --example floor`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use mfactl::model::TotpParams;
use mfactl::totp::{matching_steps, step_at, Code};
use mfactl::vault::{Identities, IdentitySource};
use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};

const TOKEN_OF_USER: &str = "user_id = (SELECT id FROM mfa_user WHERE user = ?1)";

fn main() {
    // As mfactl's main does first: the same SQLite.
    // SAFETY: no other thread, no connection yet.
    unsafe { mfactl::store::disable_sqlite_memory_statistics() };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let status = match floor(&args) {
        Ok(()) => 0,
        Err(Failure::Usage) => {
            eprintln!("usage: floor STORE USER [IDENTITY CODE]");
            2
        }
        Err(Failure::Refused(why)) => {
            eprintln!("floor: {why}");
            1
        }
        Err(Failure::Sqlite(e)) => {
            eprintln!("floor: {e}");
            1
        }
    };
    std::process::exit(status);
}

/// Why a floor run wrote nothing.
#[derive(Debug)]
pub enum Failure {
    /// Not `STORE USER` or `STORE USER IDENTITY CODE`.
    Usage,
    /// The code, the identity or the user.
    Refused(String),
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sqlite(e)
    }
}

/// One floor run on the command line's arguments (after the program's name).
pub fn floor(args: &[OsString]) -> Result<(), Failure> {
    let (path, user, check) = match args {
        [path, user] => (path, user, None),
        [path, user, identity, code] => (path, user, Some((identity, code))),
        _ => return Err(Failure::Usage),
    };
    let user = user.to_string_lossy().into_owned();
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA synchronous = FULL;",
    )?;
    conn.query_row("PRAGMA journal_mode = TRUNCATE", [], |r| {
        r.get::<_, String>(0)
    })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let step = match check {
        None => step_at(now, &TotpParams::default()),
        Some((identity, code)) => {
            let ciphertext: Vec<u8> = tx.query_row(
                &format!("SELECT secret FROM mfa_token WHERE {TOKEN_OF_USER}"),
                params![user],
                |r| r.get(0),
            )?;
            matched_step(&ciphertext, identity.into(), &code.to_string_lossy(), now)
                .map_err(Failure::Refused)?
        }
    };
    let n = tx.execute(
        &format!("UPDATE mfa_token SET last_used_step = ?2 WHERE {TOKEN_OF_USER}"),
        params![user, step as i64],
    )?;
    if n != 1 {
        return Err(Failure::Refused(format!("no user {user:?}")));
    }
    tx.commit()?;
    Ok(())
}

/// The newest step at or around `now` whose code is `code`, for the secret in `ciphertext`.
fn matched_step(ciphertext: &[u8], identity: PathBuf, code: &str, now: u64) -> Result<u64, String> {
    let identities = Identities::load(&IdentitySource::File(identity), &mut || {
        Err(mfactl::Error::invalid(
            "identity",
            "passphrase-protected; not for a floor",
        ))
    })
    .map_err(|e| e.to_string())?;
    let secret = identities
        .decrypt_secret(ciphertext)
        .ok_or("the secret does not decrypt with this identity")?;
    let params = TotpParams::default();
    let code = Code::parse(code, params.digits()).map_err(|e| e.to_string())?;
    let steps = matching_steps(&secret, &params, &code, now, 1).map_err(|e| e.to_string())?;
    steps.first().copied().ok_or_else(|| "wrong code".into())
}
