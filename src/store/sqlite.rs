//! The SQLite backend: one local file, WAL mode, one transaction per operation.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::json;

use super::schema::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
use super::{EnrollOutcome, Enrollment, Store, StoreInit, StoredSecret, VerifyResult};
use crate::audit::{AuditEntry, AuditEvent, AuditQuery, Op};
use crate::error::{Error, Result};
use crate::model::{Algorithm, Status, Timestamp, TotpParams, UserFilter, UserName, UserRecord};
use crate::settings::{SettingKey, Settings};
use crate::totp::{RejectReason, Verdict};
use crate::vault::{self, Recipient};

/// How long a command waits for another mfactl process holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens an existing store and migrates it forward.
    pub fn open(path: &Path) -> Result<Self> {
        match fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::StoreMissing {
                    location: path.display().to_string(),
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
                    location: path.display().to_string(),
                    reason: "it is a directory".into(),
                })
            }
            // A FIFO, socket or device: SQLite would fail with a bare I/O error (or, on
            // /dev/null, call it an empty database).
            Ok(m) if !m.is_file() => {
                return Err(Error::NotAStore {
                    location: path.display().to_string(),
                    reason: "it is not a regular file".into(),
                })
            }
            Ok(_) => {}
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| classify(path, e.into()))?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
        };
        store
            .configure()
            .and_then(|_| store.check_and_migrate())
            .map_err(|e| classify(path, e))?;
        Ok(store)
    }

    /// Creates a store: built in a temporary file beside `path`, then moved into place, so a
    /// crash or a concurrent `init` never leaves a half-made store behind.
    pub fn create(path: &Path, op: &Op, init: &StoreInit) -> Result<Self> {
        if fs::symlink_metadata(path).is_ok() {
            return Err(Error::StoreExists {
                location: path.display().to_string(),
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
            // WAL is a property of the file: set once here, never on the hot open path.
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            debug_assert_eq!(mode, "wal");
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
            let mut store = SqliteStore {
                conn,
                path: tmp.path().to_owned(),
            };
            store.configure()?;
            store.migrate()?;
            store.write(|tx| {
                for r in &init.recipients {
                    tx.execute(
                        "INSERT OR IGNORE INTO recipient (recipient, added_at) VALUES (?1, ?2)",
                        params![r.to_string(), op.now],
                    )?;
                }
                if let Some(issuer) = &init.issuer {
                    crate::model::validate_issuer(issuer)?;
                    tx.execute(
                        "INSERT INTO setting (key, value) VALUES ('issuer', ?1)",
                        params![issuer],
                    )?;
                }
                let recipients: Vec<String> =
                    init.recipients.iter().map(|r| r.to_string()).collect();
                audit(
                    tx,
                    op,
                    AuditEvent::Init,
                    None,
                    json!({ "recipients": recipients, "schema_version": SCHEMA_VERSION }),
                )
            })?;
        }
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::StoreExists {
                    location: path.display().to_string(),
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

    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn.pragma_update(None, "foreign_keys", true)?;
        // Freed pages (an erased secret's old ciphertext) are zeroed, not left in the file.
        self.conn.pragma_update(None, "secure_delete", true)?;
        Ok(())
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
                location: self.path.display().to_string(),
                reason,
            });
        }
        if version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                location: self.path.display().to_string(),
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
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so a
    /// concurrent writer waits (busy timeout) instead of failing half-way; any error rolls
    /// everything back.
    fn write<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let run = || -> Result<T> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().map_err(|e| classify(&path, e))
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.conn).map_err(|e| classify(&self.path, e))
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
    match se.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::NotAStore {
            location: path.display().to_string(),
            reason: "it is not an SQLite database".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::NotAStore {
            location: path.display().to_string(),
            reason: "the database file is damaged".into(),
        },
        Some(ErrorCode::ReadOnly)
        | Some(ErrorCode::CannotOpen)
        | Some(ErrorCode::PermissionDenied) => Error::ReadOnly {
            location: path.display().to_string(),
            reason,
        },
        _ => e,
    }
}

fn audit(
    tx: &rusqlite::Transaction<'_>,
    op: &Op,
    event: AuditEvent,
    user: Option<&UserName>,
    details: serde_json::Value,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log (at, event, user, actor, details) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        op.now,
        event.as_str(),
        user.map(|u| u.as_str()),
        op.actor,
        details.to_string()
    ])?;
    Ok(())
}

const USER_COLUMNS: &str = "m.id, m.user, m.status, m.algorithm, m.digits, m.period, m.issuer, \
     m.created_at, m.updated_at, m.enabled_at, m.disabled_at, m.last_used_at, m.last_used_step, \
     m.failed_attempts, m.locked_at, \
     (SELECT count(*) FROM recovery_code r WHERE r.secret_id = m.id AND r.used_at IS NULL)";

fn user_from_row(row: &rusqlite::Row<'_>, secret: Option<Vec<u8>>) -> rusqlite::Result<UserRecord> {
    let algorithm: Algorithm = row.get(3)?;
    Ok(UserRecord {
        id: row.get(0)?,
        user: row.get(1)?,
        status: row.get(2)?,
        params: TotpParams {
            algorithm,
            digits: row.get(4)?,
            period: row.get(5)?,
        },
        issuer: row.get(6)?,
        secret,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
        enabled_at: row.get(9)?,
        disabled_at: row.get(10)?,
        last_used_at: row.get(11)?,
        last_used_step: row.get::<_, Option<i64>>(12)?.map(|s| s.max(0) as u64),
        failures: row.get(13)?,
        locked_at: row.get(14)?,
        recovery_codes_left: row.get(15)?,
    })
}

fn load_user(conn: &Connection, user: &UserName) -> Result<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLUMNS}, m.secret FROM mfa_secret m WHERE m.user = ?1");
    let rec = conn
        .prepare_cached(&sql)?
        .query_row(params![user.as_str()], |row| {
            let secret: Option<Vec<u8>> = row.get(16)?;
            user_from_row(row, secret)
        })
        .optional()?;
    Ok(rec)
}

fn require_user(conn: &Connection, user: &UserName) -> Result<UserRecord> {
    load_user(conn, user)?.ok_or_else(|| Error::UnknownUser {
        user: user.to_string(),
    })
}

fn load_settings(conn: &Connection) -> Result<Settings> {
    let mut settings = Settings::default();
    let mut stmt = conn.prepare_cached("SELECT key, value FROM setting")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (key, value) = row?;
        // Keys this build does not know are left for the build that wrote them.
        if let Ok(key) = key.parse::<SettingKey>() {
            settings.set(key, &value)?;
        }
    }
    Ok(settings)
}

/// Writes a new secret into the user's row, inserting it if needed: one upsert that keeps the
/// row's id and creation time and resets everything tied to the old secret. Shared by enroll and
/// import so both reset exactly the same state.
fn put_secret(
    tx: &rusqlite::Transaction<'_>,
    op: &Op,
    e: &Enrollment,
    existing: Option<&str>,
) -> Result<()> {
    if let Some(id) = existing {
        tx.execute(
            "DELETE FROM recovery_code WHERE secret_id = ?1",
            params![id],
        )?;
    }
    let enabled_at = (e.status == Status::Enabled).then_some(op.now);
    tx.prepare_cached(
        "INSERT INTO mfa_secret (id, user, secret, status, algorithm, digits, period, \
         issuer, created_at, updated_at, enabled_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10) \
         ON CONFLICT (user) DO UPDATE SET secret = excluded.secret, status = excluded.status, \
         algorithm = excluded.algorithm, digits = excluded.digits, period = excluded.period, \
         issuer = excluded.issuer, updated_at = excluded.updated_at, \
         enabled_at = excluded.enabled_at, disabled_at = NULL, last_used_at = NULL, \
         last_used_step = NULL, failed_attempts = 0, locked_at = NULL",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        e.user.as_str(),
        e.ciphertext,
        e.status,
        e.params.algorithm,
        e.params.digits,
        e.params.period,
        e.issuer,
        op.now,
        enabled_at,
    ])?;
    Ok(())
}

fn existing_status(
    tx: &rusqlite::Transaction<'_>,
    user: &UserName,
) -> Result<Option<(String, Status)>> {
    Ok(tx
        .prepare_cached("SELECT id, status FROM mfa_secret WHERE user = ?1")?
        .query_row(params![user.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn settings(&self) -> Result<Settings> {
        self.read(load_settings)
    }

    fn set_setting(&mut self, op: &Op, key: SettingKey, value: &str) -> Result<String> {
        self.write(|tx| {
            let mut settings = load_settings(tx)?;
            let old = settings.get(key);
            settings.set(key, value)?;
            let new = settings.get(key);
            tx.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key.as_str(), new],
            )?;
            audit(
                tx,
                op,
                AuditEvent::ConfigSet,
                None,
                json!({ "key": key.as_str(), "old": old, "new": new }),
            )?;
            Ok(old)
        })
    }

    fn recipients(&self) -> Result<Vec<Recipient>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT recipient FROM recipient ORDER BY added_at, recipient")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for r in rows {
                out.push(Recipient::parse(&r?)?);
            }
            Ok(out)
        })
    }

    fn user(&self, user: &UserName) -> Result<Option<UserRecord>> {
        self.read(|conn| load_user(conn, user))
    }

    fn users(&self, filter: UserFilter) -> Result<Vec<UserRecord>> {
        self.read(|conn| {
            let (clause, status) = match filter {
                UserFilter::All => ("", None),
                UserFilter::Status(s) => ("WHERE m.status = ?1", Some(s)),
                UserFilter::Locked => ("WHERE m.locked_at IS NOT NULL", None),
            };
            let sql = format!("SELECT {USER_COLUMNS} FROM mfa_secret m {clause} ORDER BY m.user");
            let mut stmt = conn.prepare(&sql)?;
            let map = |r: &rusqlite::Row<'_>| user_from_row(r, None);
            let rows = match status {
                Some(s) => stmt.query_map(params![s], map)?,
                None => stmt.query_map([], map)?,
            };
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn enroll(&mut self, op: &Op, e: &Enrollment, force: bool) -> Result<EnrollOutcome> {
        self.write(|tx| {
            let existing = existing_status(tx, &e.user)?;
            let outcome = match &existing {
                None => EnrollOutcome::New,
                Some((_, Status::Disabled)) => EnrollOutcome::Reenrolled,
                Some((_, status)) if force => EnrollOutcome::Replaced(*status),
                Some((_, status)) => {
                    return Err(Error::AlreadyEnrolled {
                        user: e.user.to_string(),
                        status: status.to_string(),
                    })
                }
            };
            put_secret(tx, op, e, existing.as_ref().map(|(id, _)| id.as_str()))?;
            let details = json!({
                "algorithm": e.params.algorithm,
                "digits": e.params.digits,
                "period": e.params.period,
                "issuer": e.issuer,
                "previous_status": existing.as_ref().map(|(_, s)| s.as_str()),
            });
            let event = match outcome {
                EnrollOutcome::Replaced(_) => AuditEvent::Reenroll,
                _ => AuditEvent::Enroll,
            };
            audit(tx, op, event, Some(&e.user), details)?;
            Ok(outcome)
        })
    }

    fn import(&mut self, op: &Op, enrollments: &[Enrollment]) -> Result<()> {
        self.write(|tx| {
            for e in enrollments {
                let existing = existing_status(tx, &e.user)?;
                if let Some((_, status)) = &existing {
                    if *status != Status::Disabled {
                        return Err(Error::AlreadyEnrolled {
                            user: e.user.to_string(),
                            status: status.to_string(),
                        });
                    }
                }
                put_secret(tx, op, e, existing.as_ref().map(|(id, _)| id.as_str()))?;
                audit(
                    tx,
                    op,
                    AuditEvent::Import,
                    Some(&e.user),
                    json!({
                        "status": e.status,
                        "algorithm": e.params.algorithm,
                        "digits": e.params.digits,
                        "period": e.params.period,
                        "issuer": e.issuer,
                    }),
                )?;
            }
            Ok(())
        })
    }

    fn verify(
        &mut self,
        op: &Op,
        user: &UserName,
        decide: &mut dyn FnMut(&UserRecord, &Settings) -> Result<Verdict>,
    ) -> Result<VerifyResult> {
        self.write(|tx| {
            let rec = require_user(tx, user)?;
            let settings = load_settings(tx)?;
            let verdict = decide(&rec, &settings)?;
            apply_verdict(tx, op, &rec, &settings, verdict)
        })
    }

    fn use_recovery_code(
        &mut self,
        op: &Op,
        user: &UserName,
        code_hash: &[u8],
    ) -> Result<VerifyResult> {
        self.write(|tx| {
            let rec = require_user(tx, user)?;
            let settings = load_settings(tx)?;
            let rejected = if rec.status == Status::Disabled {
                Some(RejectReason::Disabled)
            } else if rec.is_locked() {
                Some(RejectReason::Locked)
            } else {
                // The guard on used_at makes the claim atomic even without the lock.
                let used = tx.execute(
                    "UPDATE recovery_code SET used_at = ?3 \
                     WHERE secret_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
                    params![rec.id, code_hash, op.now],
                )?;
                (used != 1).then_some(RejectReason::Invalid)
            };
            apply_recovery_verdict(tx, op, &rec, &settings, rejected)
        })
    }

    fn set_recovery_codes(&mut self, op: &Op, user: &UserName, hashes: &[Vec<u8>]) -> Result<()> {
        self.write(|tx| {
            let rec = require_user(tx, user)?;
            if rec.status != Status::Enabled {
                return Err(Error::InvalidState {
                    message: format!(
                        "user {:?} is {}; recovery codes are issued only to enabled users",
                        user.as_str(),
                        rec.status
                    ),
                });
            }
            tx.execute(
                "DELETE FROM recovery_code WHERE secret_id = ?1",
                params![rec.id],
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO recovery_code (secret_id, code_hash, created_at) VALUES (?1, ?2, ?3)",
            )?;
            for h in hashes {
                stmt.execute(params![rec.id, h, op.now])?;
            }
            audit(
                tx,
                op,
                AuditEvent::RecoveryCodes,
                Some(user),
                json!({ "count": hashes.len(), "replaced": rec.recovery_codes_left }),
            )
        })
    }

    fn disable(&mut self, op: &Op, user: &UserName, reason: Option<&str>) -> Result<bool> {
        self.write(|tx| {
            let rec = require_user(tx, user)?;
            if rec.status == Status::Disabled {
                return Ok(false);
            }
            tx.execute(
                "DELETE FROM recovery_code WHERE secret_id = ?1",
                params![rec.id],
            )?;
            tx.execute(
                "UPDATE mfa_secret SET status = 'disabled', secret = NULL, disabled_at = ?2, \
                 updated_at = ?2, failed_attempts = 0, locked_at = NULL WHERE id = ?1",
                params![rec.id, op.now],
            )?;
            audit(
                tx,
                op,
                AuditEvent::Disable,
                Some(user),
                json!({ "reason": reason, "previous_status": rec.status }),
            )?;
            Ok(true)
        })
    }

    fn unlock(&mut self, op: &Op, user: &UserName) -> Result<bool> {
        self.write(|tx| {
            let rec = require_user(tx, user)?;
            if !rec.is_locked() && rec.failures == 0 {
                return Ok(false);
            }
            tx.execute(
                "UPDATE mfa_secret SET locked_at = NULL, failed_attempts = 0, updated_at = ?2 \
                 WHERE id = ?1",
                params![rec.id, op.now],
            )?;
            audit(
                tx,
                op,
                AuditEvent::Unlock,
                Some(user),
                json!({ "was_locked": rec.is_locked(), "failures": rec.failures }),
            )?;
            Ok(true)
        })
    }

    fn record(
        &mut self,
        op: &Op,
        event: AuditEvent,
        user: Option<&UserName>,
        details: serde_json::Value,
    ) -> Result<()> {
        self.write(|tx| audit(tx, op, event, user, details))
    }

    fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.read(|conn| {
            let mut sql = String::from(
                "SELECT id, at, event, user, actor, details FROM audit_log \
                 WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR at >= ?2) \
                 AND (?3 IS NULL OR event = ?3) ORDER BY id DESC",
            );
            if q.limit.is_some() {
                sql.push_str(" LIMIT ?4");
            }
            let mut stmt = conn.prepare(&sql)?;
            let user = q.user.as_ref().map(|u| u.as_str());
            let event = q.event.map(|e| e.as_str());
            let map = |r: &rusqlite::Row<'_>| {
                let details: String = r.get(5)?;
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    event: r.get(2)?,
                    user: r.get(3)?,
                    actor: r.get(4)?,
                    details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                })
            };
            let rows = match q.limit {
                Some(l) => stmt.query_map(params![user, q.since, event, l], map)?,
                None => stmt.query_map(params![user, q.since, event], map)?,
            };
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn secrets(&self, filter: UserFilter) -> Result<Vec<UserRecord>> {
        self.read(|conn| {
            let (clause, status) = match filter {
                UserFilter::All => ("", None),
                UserFilter::Status(s) => ("AND m.status = ?1", Some(s)),
                UserFilter::Locked => ("AND m.locked_at IS NOT NULL", None),
            };
            let sql = format!(
                "SELECT {USER_COLUMNS}, m.secret FROM mfa_secret m \
                 WHERE m.secret IS NOT NULL {clause} ORDER BY m.user"
            );
            let mut stmt = conn.prepare(&sql)?;
            let map = |r: &rusqlite::Row<'_>| {
                let secret: Option<Vec<u8>> = r.get(16)?;
                user_from_row(r, secret)
            };
            let rows = match status {
                Some(s) => stmt.query_map(params![s], map)?,
                None => stmt.query_map([], map)?,
            };
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn rekey(
        &mut self,
        op: &Op,
        recipients: &[Recipient],
        reencrypt: &mut dyn FnMut(&StoredSecret) -> Result<Vec<u8>>,
    ) -> Result<usize> {
        self.write(|tx| {
            let secrets = {
                let mut stmt = tx.prepare(
                    "SELECT user, secret FROM mfa_secret WHERE secret IS NOT NULL ORDER BY user",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(StoredSecret {
                        user: r.get(0)?,
                        ciphertext: r.get(1)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            let mut update = tx.prepare("UPDATE mfa_secret SET secret = ?2 WHERE user = ?1")?;
            for s in &secrets {
                let ct = reencrypt(s)?;
                update.execute(params![s.user.as_str(), ct])?;
            }
            tx.execute("DELETE FROM recipient", [])?;
            for r in recipients {
                tx.execute(
                    "INSERT OR IGNORE INTO recipient (recipient, added_at) VALUES (?1, ?2)",
                    params![r.to_string(), op.now],
                )?;
            }
            let names: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
            audit(
                tx,
                op,
                AuditEvent::Rekey,
                None,
                json!({ "secrets": secrets.len(), "recipients": names }),
            )?;
            Ok(secrets.len())
        })
    }
}

fn apply_verdict(
    tx: &rusqlite::Transaction<'_>,
    op: &Op,
    rec: &UserRecord,
    settings: &Settings,
    verdict: Verdict,
) -> Result<VerifyResult> {
    match verdict {
        Verdict::Accept { step } => {
            // The guard repeats the replay and lock rules in SQL, so the row can never record
            // an older step or a locked user's success, whatever the caller decided.
            let changed = tx
                .prepare_cached(
                    "UPDATE mfa_secret SET last_used_step = ?2, last_used_at = ?3, \
                     failed_attempts = 0, updated_at = ?3, status = 'enabled', \
                     enabled_at = COALESCE(enabled_at, ?3) \
                     WHERE id = ?1 AND status IN ('pending', 'enabled') AND locked_at IS NULL \
                     AND (last_used_step IS NULL OR last_used_step < ?2)",
                )?
                .execute(params![rec.id, step as i64, op.now])?;
            if changed != 1 {
                return record_rejection(tx, op, rec, settings, RejectReason::Replayed);
            }
            let confirmed = rec.status == Status::Pending;
            audit(
                tx,
                op,
                AuditEvent::VerifyAccepted,
                Some(&rec.user),
                json!({}),
            )?;
            if confirmed {
                audit(tx, op, AuditEvent::Confirm, Some(&rec.user), json!({}))?;
            }
            Ok(VerifyResult {
                rejected: None,
                status: Status::Enabled,
                confirmed,
                failures: 0,
                locked_now: false,
            })
        }
        Verdict::Reject(reason) => record_rejection(tx, op, rec, settings, reason),
    }
}

fn apply_recovery_verdict(
    tx: &rusqlite::Transaction<'_>,
    op: &Op,
    rec: &UserRecord,
    settings: &Settings,
    rejected: Option<RejectReason>,
) -> Result<VerifyResult> {
    match rejected {
        None => {
            tx.execute(
                "UPDATE mfa_secret SET failed_attempts = 0, last_used_at = ?2, updated_at = ?2 \
                 WHERE id = ?1",
                params![rec.id, op.now],
            )?;
            audit(
                tx,
                op,
                AuditEvent::VerifyAccepted,
                Some(&rec.user),
                json!({ "method": "recovery-code", "recovery_codes_left": rec.recovery_codes_left.saturating_sub(1) }),
            )?;
            Ok(VerifyResult {
                rejected: None,
                status: rec.status,
                confirmed: false,
                failures: 0,
                locked_now: false,
            })
        }
        Some(reason) => record_rejection(tx, op, rec, settings, reason),
    }
}

fn record_rejection(
    tx: &rusqlite::Transaction<'_>,
    op: &Op,
    rec: &UserRecord,
    settings: &Settings,
    reason: RejectReason,
) -> Result<VerifyResult> {
    let mut failures = rec.failures;
    let mut locked_now = false;
    if reason.counts_as_failure() {
        failures = failures.saturating_add(1);
        locked_now = !rec.is_locked() && failures >= settings.max_failures;
        tx.prepare_cached(
            "UPDATE mfa_secret SET failed_attempts = ?2, updated_at = ?3, \
             locked_at = CASE WHEN ?4 THEN ?3 ELSE locked_at END WHERE id = ?1",
        )?
        .execute(params![rec.id, failures, op.now, locked_now])?;
    }
    audit(
        tx,
        op,
        AuditEvent::VerifyRejected,
        Some(&rec.user),
        json!({ "reason": reason, "failures": failures }),
    )?;
    if locked_now {
        audit(
            tx,
            op,
            AuditEvent::Lock,
            Some(&rec.user),
            json!({ "failures": failures, "max_failures": settings.max_failures }),
        )?;
    }
    Ok(VerifyResult {
        rejected: Some(reason),
        status: rec.status,
        confirmed: false,
        failures,
        locked_now,
    })
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
        Timestamp::parse(value.as_str()?).map_err(conversion_error)
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
        UserName::parse(value.as_str()?).map_err(conversion_error)
    }
}
