//! The SQLite backend: one local file, rollback journal (`TRUNCATE`, `synchronous = FULL`), one
//! transaction per operation.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use super::schema::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
use super::{
    step_param, AuditRow, Backend, Ciphertexts, Enrollment, Lock, RecoveryCodeRow, RowCounts, Rows,
    Scrub, StoreDump, TxFn, UnusedCodes, UserRow, UserScan, SCRUB_PENDING_KEY,
};
use crate::audit::{AuditEntry, AuditEvent, AuditQuery, Op};
use crate::error::{Error, Result};
use crate::lockout::LockState;
use crate::model::{
    Algorithm, Status, Timestamp, TokenLabel, TokenRecord, TotpParams, UserName, UserRecord,
};
use crate::vault;

/// The journal mode of every connection to a store. `TRUNCATE` with `synchronous = FULL` is as
/// durable as the write-ahead log was (every commit is on disk before the command reports it)
/// with fewer fsyncs and no `-wal`/`-shm` files to create and remove in every process; the
/// truncation empties the journal (which holds the pages as they were before the commit, an
/// erased ciphertext among them) before the command returns.
const JOURNAL_MODE: &str = "TRUNCATE";

/// How long a command waits for another mfactl process holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the scrub after an erasure waits for other connections to move on to the newest
/// snapshot before it reports the scrub as pending (at open, a pending scrub does not wait).
const SCRUB_WAIT: Duration = Duration::from_millis(500);

/// Turns SQLite's memory statistics off for the whole process, and says whether it did.
/// mfactl reads none of them, and keeping them makes every allocation SQLite makes take a
/// process-wide mutex (about 6% of the instructions of a `verify`). SQLite accepts the
/// setting only before it is initialised, that is before the process's first connection:
/// called later, this changes nothing and returns `false`.
///
/// It changes SQLite for the whole process, so it is for a program that owns its process (as
/// the `mfactl` binary does, first thing), not for a library to do behind its host's back.
///
/// # Safety
///
/// No other thread may be using SQLite meanwhile (`sqlite3_config` is not thread-safe).
pub unsafe fn disable_sqlite_memory_statistics() -> bool {
    // SAFETY: the caller guarantees no concurrent SQLite call; the variadic argument is the
    // `int` SQLITE_CONFIG_MEMSTATUS takes.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_config(
            rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
            std::ffi::c_int::from(0u8),
        )
    };
    rc == rusqlite::ffi::SQLITE_OK
}

/// A store in one SQLite file.
pub(crate) struct SqliteBackend {
    conn: Connection,
    path: PathBuf,
}

fn location(path: &Path) -> String {
    path.display().to_string()
}

impl SqliteBackend {
    /// Opens an existing store and migrates it forward.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        match fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::StoreMissing {
                    location: location(path),
                })
            }
            Err(e) => {
                return Err(Error::io(
                    format!("cannot read store {}", path.display()),
                    e,
                ))
            }
            Ok(m) if m.is_dir() => {
                return Err(Error::NotAStore {
                    location: location(path),
                    reason: "it is a directory".into(),
                })
            }
            // A FIFO, socket or device: SQLite would fail with a bare I/O error (or, on
            // /dev/null, call it an empty database).
            Ok(m) if !m.is_file() => {
                return Err(Error::NotAStore {
                    location: location(path),
                    reason: "it is not a regular file".into(),
                })
            }
            Ok(_) => {}
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| classify(path, e.into()))?;
        let mut store = SqliteBackend {
            conn,
            path: path.to_owned(),
        };
        store
            .configure(JOURNAL_MODE)
            .and_then(|_| store.check_and_migrate())
            .map_err(|e| classify(path, e))?;
        // An earlier command could not empty the write-ahead log of an erased ciphertext (a store
        // that was still in WAL mode): try again now, without waiting.
        let _ = store.scrub_pending(Duration::ZERO);
        Ok(store)
    }

    /// If a scrub is pending: checkpoints the write-ahead log into the database file and
    /// truncates it (`PRAGMA wal_checkpoint(TRUNCATE)`), waiting up to `wait` for other
    /// connections, then clears the marker. With `secure_delete` on, the database file's new
    /// pages hold no trace of the erased ciphertext, and the emptied log holds none either.
    fn scrub_pending(&mut self, wait: Duration) -> Result<Scrub> {
        let pending = self
            .conn
            .query_row(
                "SELECT 1 FROM setting WHERE key = ?1",
                params![SCRUB_PENDING_KEY],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !pending {
            return Ok(Scrub::Done);
        }
        self.conn.busy_timeout(wait)?;
        let checkpoint = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            });
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        let (busy, log, done) = checkpoint?;
        if busy != 0 || log != done {
            return Ok(Scrub::Pending {
                reason: "another connection to the store holds an older snapshot, so its \
                         write-ahead log cannot be emptied yet"
                    .into(),
            });
        }
        // The log is empty: the ciphertext is gone. Clearing the marker writes only the
        // setting table; if that fails, the next open checkpoints once more, harmlessly.
        self.conn.busy_timeout(wait)?;
        let cleared = self.conn.execute(
            "DELETE FROM setting WHERE key = ?1",
            params![SCRUB_PENDING_KEY],
        );
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        let _ = cleared;
        Ok(Scrub::Done)
    }

    /// Creates a store: built in a temporary file beside `path` (schema, then `fill` in one
    /// transaction), then moved into place, so a crash or a concurrent `init` never leaves a
    /// half-made store behind.
    pub(crate) fn create(path: &Path, fill: &mut TxFn<'_>) -> Result<Self> {
        if fs::symlink_metadata(path).is_ok() {
            return Err(Error::StoreExists {
                location: location(path),
            });
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        if !dir.exists() {
            vault::create_private_dir(&dir)?;
        }
        let tmp = tempfile::Builder::new()
            .prefix(".mfactl-new-")
            .suffix(".db")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(format!("cannot create a store in {}", dir.display()), e))?;
        {
            let conn = Connection::open(tmp.path())?;
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
            let mut store = SqliteBackend {
                conn,
                path: tmp.path().to_owned(),
            };
            // DELETE, not TRUNCATE: the temporary file's journal must not outlive it (only the
            // database file is renamed into place).
            store.configure("DELETE")?;
            store.migrate()?;
            store.write(Lock::Store, fill)?;
        }
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::StoreExists {
                    location: location(path),
                }
            } else {
                Error::io(format!("cannot create store {}", path.display()), e.error)
            }
        })?;
        if let Ok(d) = fs::File::open(&dir) {
            // Make the rename itself durable.
            let _ = d.sync_all();
        }
        Self::open(path)
    }

    /// Sets the connection's pragmas. `journal_mode` is a rollback journal mode; a rollback
    /// mode is the connection's, not the file's, so every open sets it. A store still in WAL
    /// mode (made by an earlier mfactl) is converted here: SQLite checkpoints the log into the
    /// database file and removes it. If another connection still has the store open in WAL
    /// mode, the conversion waits for the next open and this connection works in WAL mode.
    fn configure(&mut self, journal_mode: &str) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Freed pages (an erased secret's old ciphertext) are zeroed, not left in the file.
        // One batch: one statement preparation instead of three. `synchronous = FULL` is
        // SQLite's default, set here so that it does not depend on how SQLite was built: the
        // journal is synced before the database file is written, the database file before the
        // commit is reported, and the journal's truncation after it.
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA synchronous = FULL;",
        )?;
        let mode = self
            .conn
            .query_row(&format!("PRAGMA journal_mode = {journal_mode}"), [], |r| {
                r.get::<_, String>(0)
            });
        match mode {
            Ok(_) => Ok(()),
            // Another connection holds the WAL open, or the store cannot be written (reads
            // still work): it stays in WAL mode for this connection.
            // (Leaving WAL mode takes the file's exclusive lock without waiting; reading the
            // file's header to find its mode waits like any read.)
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy)
                        | Some(ErrorCode::DatabaseLocked)
                        | Some(ErrorCode::ReadOnly)
                ) && self.in_wal_mode()? =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether this connection works in WAL mode (a store not converted yet).
    fn in_wal_mode(&self) -> Result<bool> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        Ok(mode.eq_ignore_ascii_case("wal"))
    }

    fn check_and_migrate(&mut self) -> Result<()> {
        let app_id: i64 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if app_id != APPLICATION_ID {
            let tables: i64 =
                self.conn
                    .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
            let reason = if tables == 0 {
                "it is an empty database, not an initialised store".to_string()
            } else {
                "it is an SQLite database, but not one mfactl created".to_string()
            };
            return Err(Error::NotAStore {
                location: location(&self.path),
                reason,
            });
        }
        if version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                location: location(&self.path),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            self.migrate()?;
        }
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-read under the write lock: another process may have migrated meanwhile.
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", n as i64 + 1)?;
        }
        if version < super::CHAIN_VERSION {
            super::chain_existing_rows(&mut SqliteRows { tx: &tx })?;
        }
        tx.commit()?;
        Ok(())
    }

    fn transaction(&mut self, behavior: TransactionBehavior, f: &mut TxFn<'_>) -> Result<()> {
        let mut run = |conn: &mut Connection| -> Result<()> {
            let tx = conn.transaction_with_behavior(behavior)?;
            f(&mut SqliteRows { tx: &tx })?;
            tx.commit()?;
            Ok(())
        };
        run(&mut self.conn).map_err(|e| classify(&self.path, e))
    }
}

impl Backend for SqliteBackend {
    fn location(&self) -> String {
        location(&self.path)
    }

    fn read(&mut self, f: &mut TxFn<'_>) -> Result<()> {
        self.transaction(TransactionBehavior::Deferred, f)
    }

    /// `BEGIN IMMEDIATE`: SQLite has one writer, so every lock is the whole store's, taken up
    /// front; a concurrent writer waits (busy timeout) instead of failing half-way.
    fn write(&mut self, _lock: Lock, f: &mut TxFn<'_>) -> Result<()> {
        self.transaction(TransactionBehavior::Immediate, f)
    }

    fn scrub(&mut self) -> Result<Scrub> {
        self.scrub_pending(SCRUB_WAIT)
            .map_err(|e| classify(&self.path, e))
    }
}

/// Turns SQLite's generic errors into ones that say what is wrong with the store.
fn classify(path: &Path, e: Error) -> Error {
    let Error::Store {
        source: Some(ref source),
        ..
    } = e
    else {
        return e;
    };
    let Some(se) = source.downcast_ref::<rusqlite::Error>() else {
        return e;
    };
    let reason = se.to_string();
    let code = se.sqlite_error_code();
    // SQLite will not open a `-wal`, `-shm` or `-journal` that is a symbolic link, and says
    // only "unable to open": name the link rather than call the store read-only.
    if matches!(
        code,
        Some(ErrorCode::CannotOpen) | Some(ErrorCode::ReadOnly)
    ) {
        if let Some(link) = symlinked_sidecar(path) {
            return Error::NotAStore {
                location: location(path),
                reason: format!(
                    "{} is a symbolic link, which SQLite refuses to follow; remove the link",
                    link.display()
                ),
            };
        }
    }
    match code {
        // Another connection kept the write lock past the busy timeout (SQLITE_BUSY), or a
        // table lock inside a shared cache (SQLITE_LOCKED): not a damaged store, only a wait
        // that ran out.
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::StoreBusy {
            location: location(path),
            waited_secs: BUSY_TIMEOUT.as_secs(),
        },
        Some(ErrorCode::NotADatabase) => Error::NotAStore {
            location: location(path),
            reason: "it is not an SQLite database".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::NotAStore {
            location: location(path),
            reason: "the database file is damaged".into(),
        },
        Some(ErrorCode::ReadOnly)
        | Some(ErrorCode::CannotOpen)
        | Some(ErrorCode::PermissionDenied) => Error::ReadOnly {
            location: location(path),
            reason,
        },
        // Said once, in words: SQLite's own text is "disk I/O error" three times over.
        Some(ErrorCode::DiskFull) | Some(ErrorCode::SystemIoFailure) => Error::Store {
            message: format!(
                "cannot write {}: the disk is full, or the store's files cannot be written \
                 (SQLite I/O error {})",
                location(path),
                match se {
                    rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
                    _ => 0,
                }
            ),
            source: None,
        },
        _ => e,
    }
}

/// The store's `-wal`, `-shm` or `-journal` file, if one of them is a symbolic link.
fn symlinked_sidecar(path: &Path) -> Option<PathBuf> {
    ["-wal", "-shm", "-journal"].into_iter().find_map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let p = PathBuf::from(name);
        fs::symlink_metadata(&p)
            .is_ok_and(|m| m.file_type().is_symlink())
            .then_some(p)
    })
}

/// The rows of one open SQLite transaction.
struct SqliteRows<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

/// A user's own row (`u`), as [`user_from_row`] reads it; the counts of their unused recovery
/// codes follow ([`UNUSED_CODES`], or zeros in a scan of every user, which counts them apart).
const USER_COLUMNS: &str = "u.id, u.user, u.created_at, u.updated_at, u.failed_attempts, \
     u.locked_at, u.locked_until, u.lockouts";

/// The count of the user's (`u`) unused recovery codes, and whether any is of the legacy kind.
const UNUSED_CODES: &str = "(SELECT count(*) FROM recovery_code r WHERE r.user_id = u.id \
     AND r.used_at IS NULL), EXISTS (SELECT 1 FROM recovery_code r WHERE r.user_id = u.id \
     AND r.used_at IS NULL AND length(r.code_hash) = 32)";

/// A token, as [`token_from_row`] reads it (the ciphertext last, or NULL).
const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.label, t.status, t.algorithm, t.digits, \
     t.period, t.issuer, t.created_at, t.updated_at, t.enrolled_at, t.enabled_at, \
     t.disabled_at, t.last_used_at, t.last_used_step, t.drift";

fn conversion_failure(i: usize, e: Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
}

/// The token of a `SELECT {TOKEN_COLUMNS}, secret-or-NULL` row (its user's id is column 1).
fn token_from_row(
    row: &rusqlite::Row<'_>,
    ciphertexts: Ciphertexts,
) -> rusqlite::Result<TokenRecord> {
    let algorithm: Algorithm = row.get(4)?;
    let label: String = row.get(2)?;
    let token = TokenRecord {
        id: row.get(0)?,
        label: TokenLabel::parse(&label).map_err(|e| conversion_failure(2, e))?,
        status: row.get(3)?,
        params: TotpParams::new(algorithm, row.get(5)?, row.get(6)?)
            .map_err(|e| conversion_failure(5, e))?,
        issuer: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        enrolled_at: match row.get(10)? {
            Some(t) => t,
            None => row.get(9)?,
        },
        enabled_at: row.get(11)?,
        disabled_at: row.get(12)?,
        last_used_at: row.get(13)?,
        last_used_step: row.get::<_, Option<i64>>(14)?.map(|s| s.max(0) as u64),
        drift: row.get(15)?,
        // Borrowed from the row: only what the read keeps is copied.
        secret: ciphertexts.keep(row.get_ref(16)?.as_blob_or_null()?),
    };
    Ok(token)
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        user: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        failures: row.get(4)?,
        locked_at: row.get(5)?,
        locked_until: row.get(6)?,
        lockouts: row.get(7)?,
        recovery_codes_left: row.get(8)?,
        recovery_codes_legacy: row.get(9)?,
    })
}

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let details: String = r.get(5)?;
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        event: r.get(2)?,
        user: r.get(3)?,
        actor: r.get(4)?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
    })
}

impl SqliteRows<'_> {
    /// One user's tokens, with their ciphertexts.
    fn tokens_of(&mut self, user_id: &str) -> Result<Vec<TokenRecord>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS}, t.secret FROM mfa_token t WHERE t.user_id = ?1"
        ))?;
        let rows = stmt.query_map(params![user_id], |row| {
            token_from_row(row, Ciphertexts::All)
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn count(&mut self, table: &str) -> Result<u64> {
        let n: i64 = self
            .tx
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }
}

/// The UPDATE that records an accepted code on token `?4` of user `?1` (step `?2`, time `?3`,
/// drift `?5`) when the token's status is `$status`, with `$set` added to its SET. The guard
/// repeats the replay and lock rules in the statement, so the row can never record an older
/// step or a locked user's success, whatever the caller decided.
macro_rules! accept_step_sql {
    ($set:literal, $status:literal) => {
        concat!(
            "UPDATE mfa_token SET last_used_step = ?2, last_used_at = ?3, updated_at = ?3, ",
            $set,
            "enabled_at = COALESCE(enabled_at, ?3), drift = ?5 \
             WHERE id = ?4 AND user_id = ?1 AND status = '",
            $status,
            "' AND (last_used_step IS NULL OR last_used_step < ?2) \
             AND EXISTS (SELECT 1 FROM mfa_user WHERE id = ?1 \
                 AND (locked_at IS NULL OR locked_until <= ?3))"
        )
    };
}

impl Rows for SqliteRows<'_> {
    fn user(&mut self, user: &UserName, _for_update: bool) -> Result<Option<UserRecord>> {
        // The write transaction already holds the file's only write lock.
        let sql =
            format!("SELECT {USER_COLUMNS}, {UNUSED_CODES} FROM mfa_user u WHERE u.user = ?1");
        let row = self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![user.as_str()], user_from_row)
            .optional()?;
        match row {
            Some(row) => {
                let tokens = self.tokens_of(&row.id)?;
                Ok(row.into_record(tokens))
            }
            None => Ok(None),
        }
    }

    fn scan_users(&mut self, ciphertexts: Ciphertexts) -> Result<UserScan> {
        let users = {
            let mut stmt = self
                .tx
                .prepare(&format!("SELECT {USER_COLUMNS}, 0, FALSE FROM mfa_user u"))?;
            let rows = stmt.query_map([], user_from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let secret = if ciphertexts.read() {
            "t.secret"
        } else {
            "NULL"
        };
        let mut stmt = self.tx.prepare(&format!(
            "SELECT {TOKEN_COLUMNS}, {secret} FROM mfa_token t"
        ))?;
        let mut codes = self.tx.prepare(
            "SELECT user_id, length(code_hash) = 32 FROM recovery_code WHERE used_at IS NULL",
        )?;
        UserScan::join(
            users,
            |push| {
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    // The user id borrowed from the row: it only finds the user.
                    let user_id = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
                    push(user_id, token_from_row(row, ciphertexts)?);
                }
                Ok(())
            },
            |push| {
                // One row a code: SQLite's GROUP BY would sort them first.
                let mut rows = codes.query([])?;
                while let Some(row) = rows.next()? {
                    let user_id = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                    let legacy = row.get(1)?;
                    push(user_id, UnusedCodes { count: 1, legacy });
                }
                Ok(())
            },
        )
    }

    fn delete_user(&mut self, id: &str) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM mfa_user WHERE id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    fn user_names(&mut self) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached("SELECT user FROM mfa_user")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT key, value FROM setting ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn recipients(&mut self) -> Result<Vec<String>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT recipient FROM recipient ORDER BY added_at, recipient")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn replace_recipients(&mut self, recipients: &[String], now: Timestamp) -> Result<()> {
        self.tx.execute("DELETE FROM recipient", [])?;
        for r in recipients {
            self.tx.execute(
                "INSERT OR IGNORE INTO recipient (recipient, added_at) VALUES (?1, ?2)",
                params![r, now],
            )?;
        }
        Ok(())
    }

    fn put_secret(
        &mut self,
        op: &Op,
        e: &Enrollment,
        existing_id: Option<&str>,
        reset_user: bool,
    ) -> Result<()> {
        let user_id = match existing_id {
            Some(id) if reset_user => {
                self.tx
                    .prepare_cached("DELETE FROM recovery_code WHERE user_id = ?1")?
                    .execute(params![id])?;
                self.tx
                    .prepare_cached(
                        "UPDATE mfa_user SET updated_at = ?2, failed_attempts = 0, \
                         locked_at = NULL, locked_until = NULL, lockouts = 0 WHERE id = ?1",
                    )?
                    .execute(params![id, op.now])?;
                id.to_owned()
            }
            Some(id) => {
                self.tx
                    .prepare_cached("UPDATE mfa_user SET updated_at = ?2 WHERE id = ?1")?
                    .execute(params![id, op.now])?;
                id.to_owned()
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                self.tx
                    .prepare_cached(
                        "INSERT INTO mfa_user (id, user, created_at, updated_at) \
                         VALUES (?1, ?2, ?3, ?3)",
                    )?
                    .execute(params![id, e.user.as_str(), op.now])?;
                id
            }
        };
        let enabled_at = (e.status == Status::Enabled).then_some(op.now);
        self.tx
            .prepare_cached(
                "INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, \
                 period, issuer, created_at, updated_at, enabled_at, enrolled_at) \
                 VALUES (?1, ?2, ?11, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?9) \
                 ON CONFLICT (user_id, label) DO UPDATE SET secret = excluded.secret, \
                 status = excluded.status, algorithm = excluded.algorithm, \
                 digits = excluded.digits, period = excluded.period, issuer = excluded.issuer, \
                 updated_at = excluded.updated_at, enabled_at = excluded.enabled_at, \
                 enrolled_at = excluded.enrolled_at, \
                 disabled_at = NULL, last_used_at = NULL, last_used_step = NULL, drift = 0",
            )?
            .execute(params![
                uuid::Uuid::new_v4().to_string(),
                user_id,
                e.ciphertext,
                e.status,
                e.params.algorithm(),
                e.params.digits(),
                e.params.period(),
                e.issuer,
                op.now,
                enabled_at,
                e.label.as_str(),
            ])?;
        Ok(())
    }

    fn raise_replay_mark(&mut self, token_id: &str, step: u64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE mfa_token SET last_used_step = ?2 \
                 WHERE id = ?1 AND (last_used_step IS NULL OR last_used_step < ?2)",
            )?
            .execute(params![token_id, step_param(step)])?;
        Ok(())
    }

    fn accept_step(
        &mut self,
        id: &str,
        token_id: &str,
        step: u64,
        drift: i64,
        now: Timestamp,
    ) -> Result<bool> {
        // The usual case, an enabled token, does not name `status` in its SET: SQLite rewrites
        // an index whenever its column is assigned, even to the value it had, and that would be
        // one more page (mfa_token_status) journalled and written by every verify. A pending
        // token, confirmed by this code, takes the second form. Both carry the same guard.
        let mut changed = 0;
        for sql in [
            accept_step_sql!("", "enabled"),
            accept_step_sql!("status = 'enabled', ", "pending"),
        ] {
            changed = self.tx.prepare_cached(sql)?.execute(params![
                id,
                step_param(step),
                now,
                token_id,
                drift
            ])?;
            if changed != 0 {
                break;
            }
        }
        Ok(changed == 1)
    }

    fn resync_step(
        &mut self,
        id: &str,
        token_id: &str,
        step: u64,
        drift: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE mfa_token SET last_used_step = ?2, drift = ?3, updated_at = ?4 \
                 WHERE id = ?5 AND user_id = ?1 AND status IN ('pending', 'enabled') \
                 AND (last_used_step IS NULL OR last_used_step < ?2) \
                 AND EXISTS (SELECT 1 FROM mfa_user WHERE id = ?1 \
                     AND (locked_at IS NULL OR locked_until <= ?4))",
            )?
            .execute(params![id, step_param(step), drift, now, token_id])?;
        Ok(changed == 1)
    }

    fn set_lock_state(&mut self, id: &str, state: &LockState, now: Timestamp) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE mfa_user SET failed_attempts = ?2, locked_at = ?3, locked_until = ?4, \
                 lockouts = ?5, updated_at = ?6 WHERE id = ?1",
            )?
            .execute(params![
                id,
                state.failures,
                state.locked_at,
                state.locked_until,
                state.lockouts,
                now
            ])?;
        Ok(())
    }

    fn claim_recovery_code(&mut self, id: &str, code_hash: &[u8], now: Timestamp) -> Result<bool> {
        // The guard on used_at makes the claim atomic even without the lock.
        let used = self.tx.execute(
            "UPDATE recovery_code SET used_at = ?3 \
             WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
            params![id, code_hash, now],
        )?;
        Ok(used == 1)
    }

    fn unused_recovery_codes(&mut self, id: &str) -> Result<Vec<Vec<u8>>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT code_hash FROM recovery_code WHERE user_id = ?1 AND used_at IS NULL",
        )?;
        let rows = stmt.query_map(params![id], |r| r.get::<_, Vec<u8>>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn recovery_code_accepted(&mut self, id: &str, now: Timestamp) -> Result<()> {
        self.tx.execute(
            "UPDATE mfa_user SET failed_attempts = 0, locked_at = NULL, locked_until = NULL, \
             lockouts = 0, updated_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        // The user was active: their live tokens count as used (the janitor's unused rule).
        self.tx.execute(
            "UPDATE mfa_token SET last_used_at = ?2, updated_at = ?2 \
             WHERE user_id = ?1 AND status <> 'disabled'",
            params![id, now],
        )?;
        Ok(())
    }

    fn replace_recovery_codes(
        &mut self,
        id: &str,
        hashes: &[Vec<u8>],
        now: Timestamp,
    ) -> Result<()> {
        self.tx
            .execute("DELETE FROM recovery_code WHERE user_id = ?1", params![id])?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO recovery_code (user_id, code_hash, created_at) VALUES (?1, ?2, ?3)",
        )?;
        for h in hashes {
            stmt.execute(params![id, h, now])?;
        }
        Ok(())
    }

    fn disable(&mut self, id: &str, now: Timestamp) -> Result<()> {
        // Cached statements: the janitor disables tens of thousands of users in a transaction.
        self.tx
            .prepare_cached("DELETE FROM recovery_code WHERE user_id = ?1")?
            .execute(params![id])?;
        self.tx
            .prepare_cached(
                "UPDATE mfa_token SET status = 'disabled', secret = NULL, disabled_at = ?2, \
                 updated_at = ?2 WHERE user_id = ?1 AND status <> 'disabled'",
            )?
            .execute(params![id, now])?;
        self.tx
            .prepare_cached(
                "UPDATE mfa_user SET updated_at = ?2, failed_attempts = 0, locked_at = NULL, \
                 locked_until = NULL, lockouts = 0 WHERE id = ?1",
            )?
            .execute(params![id, now])?;
        Ok(())
    }

    fn disable_token(&mut self, id: &str, token_id: &str, now: Timestamp) -> Result<()> {
        self.tx.execute(
            "UPDATE mfa_token SET status = 'disabled', secret = NULL, disabled_at = ?3, \
             updated_at = ?3 WHERE id = ?2 AND user_id = ?1",
            params![id, token_id, now],
        )?;
        self.tx.execute(
            "UPDATE mfa_user SET updated_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    fn unlock(&mut self, id: &str, now: Timestamp) -> Result<()> {
        self.tx.execute(
            "UPDATE mfa_user SET locked_at = NULL, locked_until = NULL, lockouts = 0, \
             failed_attempts = 0, updated_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    fn replace_secret(&mut self, user: &UserName, old: &[u8], new: &[u8]) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE mfa_token SET secret = ?3 WHERE secret = ?2 \
                 AND user_id = (SELECT id FROM mfa_user WHERE user = ?1)",
            )?
            .execute(params![user.as_str(), old, new])?;
        Ok(changed == 1)
    }

    /// Only in WAL mode (a store not converted yet): with a rollback journal, the commit
    /// itself truncates the journal, the one file that held the old pages.
    fn note_erasure(&mut self) -> Result<()> {
        let mode: String = self.tx.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if mode.eq_ignore_ascii_case("wal") {
            self.put_setting(SCRUB_PENDING_KEY, "1")?;
        }
        Ok(())
    }

    fn audit(
        &mut self,
        op: &Op,
        event: AuditEvent,
        user: Option<&UserName>,
        details: &str,
    ) -> Result<()> {
        // The write transaction (BEGIN IMMEDIATE) holds the file's only write lock: nothing
        // appends between reading the tail and committing.
        let prev = self.audit_tail()?.and_then(|(_, h)| h);
        let at = op.now.to_string();
        let user = user.map(|u| u.as_str());
        self.tx
            .prepare_cached(
                "INSERT INTO audit_log (at, event, user, actor, details) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![at, event.as_str(), user, op.actor, details])?;
        let id = self.tx.last_insert_rowid();
        let hash = super::appended_hash(prev.as_deref(), id, &at, op, event, user, details);
        self.set_audit_hash(id, &hash)
    }

    fn audit_rows(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, at, event, user, actor, details, hash FROM audit_log \
             WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], audit_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn audit_tail(&mut self) -> Result<Option<(i64, Option<String>)>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn set_audit_hash(&mut self, id: i64, hash: &str) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE audit_log SET hash = ?2 WHERE id = ?1")?
            .execute(params![id, hash])?;
        Ok(())
    }

    fn audit_after(&mut self, q: &AuditQuery, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, at, event, user, actor, details FROM audit_log \
             WHERE id > ?4 AND (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR at >= ?2) \
             AND (?3 IS NULL OR event = ?3) ORDER BY id LIMIT ?5",
        )?;
        let user = q.user.as_ref().map(|u| u.as_str());
        let event = q.event.map(|e| e.as_str());
        let rows = stmt.query_map(params![user, q.since, event, after, limit], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn audit_log(&mut self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut sql = String::from(
            "SELECT id, at, event, user, actor, details FROM audit_log \
             WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR at >= ?2) \
             AND (?3 IS NULL OR event = ?3) ORDER BY id DESC",
        );
        if q.limit.is_some() {
            sql.push_str(" LIMIT ?4");
        }
        let mut stmt = self.tx.prepare(&sql)?;
        let user = q.user.as_ref().map(|u| u.as_str());
        let event = q.event.map(|e| e.as_str());
        let map = entry_from_row;
        let rows = match q.limit {
            Some(l) => stmt.query_map(params![user, q.since, event, l], map)?,
            None => stmt.query_map(params![user, q.since, event], map)?,
        };
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn dump(&mut self) -> Result<StoreDump> {
        // Every user with their ciphertext (disabled ones have none).
        let users = self.all_users(Ciphertexts::All)?;
        let recipients = {
            let mut stmt = self.tx.prepare(
                "SELECT recipient, added_at FROM recipient ORDER BY added_at, recipient",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let settings = self.settings()?;
        let recovery_codes = {
            let mut stmt = self.tx.prepare(
                "SELECT user_id, code_hash, created_at, used_at FROM recovery_code \
                 ORDER BY user_id, code_hash",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(RecoveryCodeRow {
                    user_id: r.get(0)?,
                    code_hash: r.get(1)?,
                    created_at: r.get(2)?,
                    used_at: r.get(3)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let audit = {
            let mut stmt = self.tx.prepare(
                "SELECT id, at, event, user, actor, details, hash FROM audit_log ORDER BY id",
            )?;
            let rows = stmt.query_map([], audit_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        Ok(StoreDump {
            users,
            recipients,
            settings,
            recovery_codes,
            audit,
        })
    }

    fn load(&mut self, dump: &StoreDump) -> Result<()> {
        {
            let mut user = self.tx.prepare(
                "INSERT INTO mfa_user (id, user, created_at, updated_at, failed_attempts, \
                 locked_at, locked_until, lockouts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut token = self.tx.prepare(
                "INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, \
                 period, issuer, created_at, updated_at, enabled_at, disabled_at, last_used_at, \
                 last_used_step, enrolled_at, drift) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?;
            for u in &dump.users {
                user.execute(params![
                    u.id,
                    u.user.as_str(),
                    u.created_at,
                    u.updated_at,
                    u.failures,
                    u.locked_at,
                    u.locked_until,
                    u.lockouts,
                ])?;
                // Every token, with its id and label.
                for t in &u.tokens {
                    token.execute(params![
                        t.id,
                        u.id,
                        t.label.as_str(),
                        t.secret,
                        t.status,
                        t.params.algorithm(),
                        t.params.digits(),
                        t.params.period(),
                        t.issuer,
                        t.created_at,
                        t.updated_at,
                        t.enabled_at,
                        t.disabled_at,
                        t.last_used_at,
                        t.last_used_step.map(step_param),
                        t.enrolled_at,
                        t.drift,
                    ])?;
                }
            }
        }
        self.tx.execute("DELETE FROM recipient", [])?;
        for (r, at) in &dump.recipients {
            self.tx.execute(
                "INSERT INTO recipient (recipient, added_at) VALUES (?1, ?2)",
                params![r, at],
            )?;
        }
        self.tx.execute("DELETE FROM setting", [])?;
        for (k, v) in &dump.settings {
            self.put_setting(k, v)?;
        }
        for c in &dump.recovery_codes {
            self.tx.execute(
                "INSERT INTO recovery_code (user_id, code_hash, created_at, used_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![c.user_id, c.code_hash, c.created_at, c.used_at],
            )?;
        }
        self.tx.execute("DELETE FROM audit_log", [])?;
        let mut stmt = self.tx.prepare(
            "INSERT INTO audit_log (id, at, event, user, actor, details, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for a in &dump.audit {
            stmt.execute(params![
                a.id, a.at, a.event, a.user, a.actor, a.details, a.hash
            ])?;
        }
        Ok(())
    }

    fn counts(&mut self) -> Result<RowCounts> {
        Ok(RowCounts {
            users: self.count("mfa_user")?,
            recipients: self.count("recipient")?,
            settings: self.count("setting")?,
            recovery_codes: self.count("recovery_code")?,
            audit_rows: self.count("audit_log")?,
        })
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::store(e)
    }
}

fn conversion_error(e: Error) -> FromSqlError {
    FromSqlError::Other(Box::new(e))
}

impl ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.to_string()))
    }
}

impl FromSql for Timestamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            // Text, as `as_str` would take it, but not checked to be UTF-8 first: see
            // `parse_bytes`.
            ValueRef::Text(b) => Timestamp::parse_bytes(b).map_err(conversion_error),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// Enums stored as their text names (`pending`, `SHA1`, ...).
macro_rules! text_column {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(conversion_error)
            }
        }
    )*};
}

text_column!(Status, Algorithm);

impl FromSql for UserName {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        UserName::from_stored(value.as_str()?).map_err(conversion_error)
    }
}

/// An audit row as `SELECT id, at, event, user, actor, details, hash` returns it.
fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        event: r.get(2)?,
        user: r.get(3)?,
        actor: r.get(4)?,
        details: r.get(5)?,
        hash: r.get(6)?,
    })
}
