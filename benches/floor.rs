//! The floor of a verification, for `benches/cli.sh`: the least a process can do that records
//! one accepted code durably in an mfactl store. It opens the store with the SQLite build,
//! open flags and durability settings mfactl uses (`src/store/sqlite.rs`: rollback journal in
//! `TRUNCATE` mode, `synchronous = FULL`, `secure_delete`, the same busy timeout), runs one
//! `UPDATE` of one user's row in a `BEGIN IMMEDIATE` transaction, commits and exits. No command
//! line parser, no identity file, no decryption, no HMAC, no audit row, no schema check.
//!
//! Usage: `floor STORE USER` (built with `cargo build --release --example floor`).

use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};

fn main() -> rusqlite::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), Some(user)) = (args.next(), args.next()) else {
        eprintln!("usage: floor STORE USER");
        std::process::exit(2);
    };
    let user = user.to_string_lossy().into_owned();
    // As mfactl's main does first: the same SQLite.
    // SAFETY: no other thread, no connection yet.
    unsafe { mfactl::store::disable_sqlite_memory_statistics() };
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
        .map_or(0, |d| d.as_secs() as i64);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE mfa_token SET last_used_step = ?2 \
         WHERE user_id = (SELECT id FROM mfa_user WHERE user = ?1)",
        params![user, now / 30],
    )?;
    tx.commit()?;
    if n != 1 {
        eprintln!("floor: no user {user:?}");
        std::process::exit(1);
    }
    Ok(())
}
