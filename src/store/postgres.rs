//! The PostgreSQL backend: a shared database for fleets of servers and CI runners.
//!
//! mfactl's tables live in their own PostgreSQL schema, `mfactl`, so an existing database
//! (empty or not) can hold them beside an application's tables. Locks: per-user changes take a
//! shared advisory lock and the user's row (`SELECT ... FOR UPDATE`), so different users change
//! in parallel; store-wide changes take the advisory lock exclusively, so they run alone.

use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, Row, SimpleQueryMessage};

use super::pg_conn::PgLocation;
use super::schema::SCHEMA_VERSION;
use super::{
    step_param, AuditRow, Backend, Ciphertexts, Enrollment, Lock, NewAudit, RecoveryCodeRow,
    RowCounts, Rows, StoreDump, TxFn, UnusedCodes, UserRow, UserScan,
};
use crate::audit::{AuditEntry, AuditEvent, AuditQuery, Op};
use crate::error::{Error, Result};
use crate::lockout::LockState;
use crate::model::{Status, Timestamp, TokenLabel, TokenRecord, TotpParams, UserName, UserRecord};

/// `PG_MIGRATIONS[n]` takes the `mfactl` schema from version `n` to `n + 1`; append-only, in
/// step with the SQLite migrations (same version numbers, same meaning).
const PG_MIGRATIONS: &[&str] = &[
    // 1: the initial schema. `user` is reserved in PostgreSQL: the column is `username`.
    r#"
CREATE TABLE mfa_secret (
    id              TEXT PRIMARY KEY NOT NULL,
    username        TEXT NOT NULL UNIQUE,
    secret          BYTEA,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'enabled', 'disabled')),
    algorithm       TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits          INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 8),
    period          INTEGER NOT NULL CHECK (period BETWEEN 10 AND 300),
    issuer          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    enabled_at      TEXT,
    disabled_at     TEXT,
    last_used_at    TEXT,
    last_used_step  BIGINT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at       TEXT,
    CHECK ((status = 'disabled') = (secret IS NULL))
);
CREATE INDEX mfa_secret_status ON mfa_secret (status);

CREATE TABLE recipient (
    recipient TEXT PRIMARY KEY NOT NULL,
    added_at  TEXT NOT NULL
);

CREATE TABLE setting (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE recovery_code (
    secret_id  TEXT NOT NULL REFERENCES mfa_secret (id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (secret_id, code_hash)
);

CREATE TABLE audit_log (
    id       BIGSERIAL PRIMARY KEY,
    at       TEXT NOT NULL,
    event    TEXT NOT NULL,
    username TEXT,
    actor    TEXT NOT NULL,
    details  TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_user ON audit_log (username, id);
CREATE INDEX audit_log_at ON audit_log (at);
"#,
    // 2: the audit log's hash chain (crate::audit::chain); `migrate` chains the existing rows
    // once, in id order, in the same transaction.
    r#"
ALTER TABLE audit_log ADD COLUMN hash TEXT;
"#,
    // 3: when the row's current secret was enrolled, as in SQLite.
    r#"
ALTER TABLE mfa_secret ADD COLUMN enrolled_at TEXT;
UPDATE mfa_secret SET enrolled_at = updated_at;
"#,
    // 4: several labelled tokens per user, as in SQLite.
    r#"
CREATE TABLE mfa_user (
    id              TEXT PRIMARY KEY NOT NULL,
    username        TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at       TEXT,
    locked_until    TEXT,
    lockouts        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE mfa_token (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES mfa_user (id) ON DELETE CASCADE,
    label           TEXT NOT NULL,
    secret          BYTEA,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'enabled', 'disabled')),
    algorithm       TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits          INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 8),
    period          INTEGER NOT NULL CHECK (period BETWEEN 10 AND 300),
    issuer          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    enrolled_at     TEXT,
    enabled_at      TEXT,
    disabled_at     TEXT,
    last_used_at    TEXT,
    last_used_step  BIGINT,
    drift           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, label),
    CHECK ((status = 'disabled') = (secret IS NULL))
);
CREATE INDEX mfa_token_status ON mfa_token (status);

INSERT INTO mfa_user (id, username, created_at, updated_at, failed_attempts, locked_at,
                      lockouts)
    SELECT id, username, created_at, updated_at, failed_attempts, locked_at,
           CASE WHEN locked_at IS NULL THEN 0 ELSE 1 END FROM mfa_secret;
INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, period, issuer,
                       created_at, updated_at, enrolled_at, enabled_at, disabled_at,
                       last_used_at, last_used_step)
    SELECT id, id, 'default', secret, status, algorithm, digits, period, issuer,
           created_at, updated_at, enrolled_at, enabled_at, disabled_at,
           last_used_at, last_used_step FROM mfa_secret;

CREATE TABLE recovery_code_v4 (
    user_id    TEXT NOT NULL REFERENCES mfa_user (id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, code_hash)
);
INSERT INTO recovery_code_v4 (user_id, code_hash, created_at, used_at)
    SELECT secret_id, code_hash, created_at, used_at FROM recovery_code;
DROP TABLE recovery_code;
DROP TABLE mfa_secret;
ALTER TABLE recovery_code_v4 RENAME TO recovery_code;
ALTER TABLE recovery_code RENAME CONSTRAINT recovery_code_v4_pkey TO recovery_code_pkey;
ALTER TABLE recovery_code RENAME CONSTRAINT recovery_code_v4_user_id_fkey
    TO recovery_code_user_id_fkey;
"#,
];

const _: () = assert!(PG_MIGRATIONS.len() as i64 == SCHEMA_VERSION);

/// The advisory lock every mfactl transaction takes: "MFAC". Advisory locks are per database.
const LOCK_KEY: i64 = 0x4D46_4143;

/// The advisory lock an audit append takes (exclusively) from reading the chain's last row
/// until its transaction ends, so concurrent writers under the shared store lock append one at a
/// time and never fork the chain: "MFAU".
const AUDIT_LOCK_KEY: i64 = 0x4D46_4155;

/// Session settings: mfactl's schema first, and lock waits bounded like SQLite's busy timeout.
const SESSION_SETUP: &str = "SET search_path TO mfactl; SET lock_timeout = '10s'";

/// A store in a PostgreSQL database.
pub(crate) struct PgBackend {
    client: Client,
    location: PgLocation,
}

/// What the `mfactl_meta` table says, if it exists.
enum Meta {
    Missing,
    Found { application: String, version: i64 },
}

/// The two-column (`key`, `value`) rows of `simple_query` messages; rows of other shapes (an
/// advisory lock's empty result) are skipped.
fn text_rows(messages: &[SimpleQueryMessage]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) if r.len() == 2 => Some((
                r.try_get(0).ok().flatten()?.to_owned(),
                r.try_get(1).ok().flatten()?.to_owned(),
            )),
            _ => None,
        })
        .collect()
}

/// Sets the session up and reads `mfactl_meta`, in one round trip (every command pays it).
fn open_session(client: &mut Client) -> std::result::Result<Meta, postgres::Error> {
    let messages = match client.simple_query(&format!(
        "{SESSION_SETUP}; SELECT key, value FROM mfactl_meta"
    )) {
        Ok(m) => m,
        // No mfactl schema (search_path names a schema that need not exist).
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => return Ok(Meta::Missing),
        Err(e) => return Err(e),
    };
    let mut application = String::new();
    let mut version = 0;
    for (key, value) in text_rows(&messages) {
        match key.as_str() {
            "application" => application = value,
            "schema_version" => version = value.parse().unwrap_or(i64::MAX),
            _ => {}
        }
    }
    Ok(Meta::Found {
        application,
        version,
    })
}

fn migrate(tx: &mut postgres::Transaction<'_>, from: i64) -> Result<()> {
    for (n, sql) in PG_MIGRATIONS.iter().enumerate().skip(from.max(0) as usize) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO mfactl_meta (key, value) VALUES ('schema_version', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&(n as i64 + 1).to_string()],
        )?;
    }
    if from < super::CHAIN_VERSION {
        super::chain_existing_rows(&mut PgRows { tx })?;
    }
    Ok(())
}

impl PgBackend {
    /// Connects to an existing store and migrates it forward.
    pub(crate) fn open(location: &PgLocation) -> Result<Self> {
        let client = location.connect()?;
        let mut backend = PgBackend {
            client,
            location: location.clone(),
        };
        let loc = backend.location.display().to_owned();
        let meta = open_session(&mut backend.client).map_err(|e| backend.classify(e.into()))?;
        match meta {
            Meta::Missing => return Err(Error::StoreMissing { location: loc }),
            Meta::Found { application, .. } if application != "mfactl" => {
                return Err(Error::NotAStore {
                    location: loc,
                    reason: format!(
                        "database {:?} has a schema \"mfactl\" that mfactl did not create",
                        backend.location.dbname()
                    ),
                })
            }
            Meta::Found { version, .. } if version > SCHEMA_VERSION => {
                return Err(Error::SchemaTooNew {
                    location: loc,
                    found: version,
                    supported: SCHEMA_VERSION,
                })
            }
            Meta::Found { version, .. } => {
                if version < SCHEMA_VERSION {
                    backend.write(Lock::Store, &mut |_| Ok(()))?;
                }
            }
        }
        Ok(backend)
    }

    /// Creates mfactl's schema in the database and fills it with `fill`, all in one
    /// transaction. A database that already holds mfactl's schema is refused.
    pub(crate) fn create(location: &PgLocation, fill: &mut TxFn<'_>) -> Result<Self> {
        let client = location.connect()?;
        let mut backend = PgBackend {
            client,
            location: location.clone(),
        };
        let mut run = |client: &mut Client, loc: &str| -> Result<()> {
            let mut tx = client.transaction()?;
            tx.batch_execute(&format!(
                "SET LOCAL lock_timeout = '10s'; SELECT pg_advisory_xact_lock({LOCK_KEY})"
            ))?;
            // Re-checked under the lock: two concurrent inits create one store.
            let exists: bool = tx
                .query_one("SELECT to_regclass('mfactl.mfactl_meta') IS NOT NULL", &[])?
                .get(0);
            if exists {
                return Err(Error::StoreExists {
                    location: loc.to_owned(),
                });
            }
            tx.batch_execute(
                "CREATE SCHEMA IF NOT EXISTS mfactl; SET LOCAL search_path TO mfactl; \
                 CREATE TABLE mfactl_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL); \
                 INSERT INTO mfactl_meta (key, value) VALUES ('application', 'mfactl')",
            )?;
            migrate(&mut tx, 0)?;
            fill(&mut PgRows { tx: &mut tx })?;
            tx.commit()?;
            Ok(())
        };
        let loc = backend.location.display().to_owned();
        run(&mut backend.client, &loc).map_err(|e| backend.classify(e))?;
        backend
            .client
            .batch_execute(SESSION_SETUP)
            .map_err(|e| backend.classify(e.into()))?;
        Ok(backend)
    }

    /// Turns PostgreSQL's errors into ones that say what is wrong with the store.
    fn classify(&self, e: Error) -> Error {
        let location = self.location.display().to_owned();
        let Error::Store {
            source: Some(ref source),
            ..
        } = e
        else {
            return e;
        };
        let Some(pe) = source.downcast_ref::<postgres::Error>() else {
            return e;
        };
        let io_error = std::error::Error::source(pe).is_some_and(|s| s.is::<std::io::Error>());
        if pe.is_closed() || io_error {
            return Error::StoreUnavailable {
                location,
                reason: format!(
                    "the connection to {} was lost ({pe})",
                    self.location.endpoint()
                ),
            };
        }
        match pe.code() {
            Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE => Error::Store {
                message: "another mfactl process held the store's lock for more than 10 s; \
                          try again"
                    .into(),
                source: None,
            },
            Some(c)
                if *c == SqlState::INSUFFICIENT_PRIVILEGE
                    || *c == SqlState::READ_ONLY_SQL_TRANSACTION =>
            {
                Error::ReadOnly {
                    location,
                    reason: pe
                        .as_db_error()
                        .map_or_else(|| pe.to_string(), |d| d.message().to_owned()),
                }
            }
            Some(c)
                if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW =>
            {
                Error::StoreUnavailable {
                    location,
                    reason: format!(
                        "the server at {} is shutting down",
                        self.location.endpoint()
                    ),
                }
            }
            _ => e,
        }
    }

    fn transaction(&mut self, read_only: bool, lock: Option<Lock>, f: &mut TxFn<'_>) -> Result<()> {
        let mut run = |client: &mut Client| -> Result<()> {
            let mut tx = if read_only {
                // One consistent snapshot for multi-statement reads (list, dump).
                client
                    .build_transaction()
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?
            } else {
                client.transaction()?
            };
            match lock {
                // Simple queries: one round trip each, no statement to prepare.
                Some(Lock::User) => {
                    tx.batch_execute(&format!("SELECT pg_advisory_xact_lock_shared({LOCK_KEY})"))?;
                }
                Some(Lock::Store) => {
                    // Migrations run under the store lock, re-checking the version there.
                    let messages = tx.simple_query(&format!(
                        "SELECT pg_advisory_xact_lock({LOCK_KEY}); \
                         SELECT key, value FROM mfactl_meta WHERE key = 'schema_version'"
                    ))?;
                    let version: i64 = text_rows(&messages)
                        .first()
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(SCHEMA_VERSION);
                    if version < SCHEMA_VERSION {
                        migrate(&mut tx, version)?;
                    }
                }
                None => {}
            }
            f(&mut PgRows { tx: &mut tx })?;
            tx.commit()?;
            Ok(())
        };
        run(&mut self.client).map_err(|e| self.classify(e))
    }
}

impl Backend for PgBackend {
    fn location(&self) -> String {
        self.location.display().to_owned()
    }

    fn read(&mut self, f: &mut TxFn<'_>) -> Result<()> {
        self.transaction(true, None, f)
    }

    fn write(&mut self, lock: Lock, f: &mut TxFn<'_>) -> Result<()> {
        self.transaction(false, Some(lock), f)
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::store(e)
    }
}

/// The rows of one open PostgreSQL transaction.
struct PgRows<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
}

/// A user's own row (`u`), as [`user_from_row`] reads it; the counts of their unused recovery
/// codes follow ([`UNUSED_CODES`], or zeros in a scan of every user, which counts them apart).
const USER_COLUMNS: &str = "u.id, u.username, u.created_at, u.updated_at, u.failed_attempts, \
     u.locked_at, u.locked_until, u.lockouts";

/// The count of the user's (`u`) unused recovery codes, and whether any is of the legacy kind.
const UNUSED_CODES: &str = "(SELECT count(*) FROM recovery_code r WHERE r.user_id = u.id \
     AND r.used_at IS NULL), EXISTS (SELECT 1 FROM recovery_code r WHERE r.user_id = u.id \
     AND r.used_at IS NULL AND octet_length(r.code_hash) = 32)";

/// A token, as [`token_from_row`] reads it (the ciphertext last, or NULL).
const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.label, t.status, t.algorithm, t.digits, \
     t.period, t.issuer, t.created_at, t.updated_at, t.enrolled_at, t.enabled_at, \
     t.disabled_at, t.last_used_at, t.last_used_step, t.drift";

/// The token of a `SELECT {TOKEN_COLUMNS}, secret-or-NULL` row (its user's id is column 1).
fn token_from_row(row: &Row, ciphertexts: Ciphertexts) -> Result<TokenRecord> {
    let digits = small(row.try_get(5)?)?;
    let token = TokenRecord {
        id: row.try_get(0)?,
        label: TokenLabel::parse(row.try_get(2)?).map_err(bad_row)?,
        status: row.try_get::<_, &str>(3)?.parse().map_err(bad_row)?,
        params: TotpParams::new(
            row.try_get::<_, &str>(4)?.parse().map_err(bad_row)?,
            u8::try_from(digits).unwrap_or(u8::MAX),
            small(row.try_get(6)?)?,
        )
        .map_err(bad_row)?,
        issuer: row.try_get(7)?,
        created_at: ts(row, 8)?,
        updated_at: ts(row, 9)?,
        enrolled_at: match opt_ts(row, 10)? {
            Some(t) => t,
            None => ts(row, 9)?,
        },
        enabled_at: opt_ts(row, 11)?,
        disabled_at: opt_ts(row, 12)?,
        last_used_at: opt_ts(row, 13)?,
        last_used_step: row.try_get::<_, Option<i64>>(14)?.map(|s| s.max(0) as u64),
        drift: i64::from(row.try_get::<_, i32>(15)?),
        // Borrowed from the row: only what the read keeps is copied.
        secret: ciphertexts.keep(row.try_get(16)?),
    };
    Ok(token)
}

fn bad_row(e: Error) -> Error {
    Error::Store {
        message: format!("a row in the store is not valid: {e}"),
        source: None,
    }
}

fn ts(row: &Row, i: usize) -> Result<Timestamp> {
    Timestamp::parse(row.try_get::<_, &str>(i)?).map_err(bad_row)
}

fn audit_entry(r: &Row) -> Result<AuditEntry> {
    let details: &str = r.try_get(5)?;
    Ok(AuditEntry {
        id: r.try_get(0)?,
        at: ts(r, 1)?,
        event: r.try_get(2)?,
        user: r.try_get(3)?,
        actor: r.try_get(4)?,
        details: serde_json::from_str(details).unwrap_or(serde_json::Value::Null),
    })
}

fn audit_row(r: &Row) -> Result<AuditRow> {
    Ok(AuditRow {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        event: r.try_get(2)?,
        user: r.try_get(3)?,
        actor: r.try_get(4)?,
        details: r.try_get(5)?,
        hash: r.try_get(6)?,
    })
}

fn opt_ts(row: &Row, i: usize) -> Result<Option<Timestamp>> {
    row.try_get::<_, Option<&str>>(i)?
        .map(Timestamp::parse)
        .transpose()
        .map_err(bad_row)
}

fn opt_ts_text(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

fn small(v: i32) -> Result<u32> {
    u32::try_from(v).map_err(|_| bad_row(Error::invalid("number", v.to_string())))
}

fn user_from_row(row: &Row) -> Result<UserRow> {
    Ok(UserRow {
        id: row.try_get(0)?,
        user: UserName::from_stored(row.try_get(1)?).map_err(bad_row)?,
        created_at: ts(row, 2)?,
        updated_at: ts(row, 3)?,
        failures: small(row.try_get(4)?)?,
        locked_at: opt_ts(row, 5)?,
        locked_until: opt_ts(row, 6)?,
        lockouts: small(row.try_get(7)?)?,
        recovery_codes_left: u32::try_from(row.try_get::<_, i64>(8)?).unwrap_or(u32::MAX),
        recovery_codes_legacy: row.try_get(9)?,
    })
}

/// A drift (bounded by `max-drift`, at most 60 steps) as the `INTEGER` column takes it.
fn drift_param(drift: i64) -> i32 {
    i32::try_from(drift).unwrap_or(if drift < 0 { i32::MIN } else { i32::MAX })
}

impl PgRows<'_, '_> {
    /// One user's tokens, with their ciphertexts; with `for_update`, locked until the end of
    /// the transaction.
    fn tokens_of(&mut self, user_id: &str, for_update: bool) -> Result<Vec<TokenRecord>> {
        let lock = if for_update { "FOR UPDATE" } else { "" };
        self.tx
            .query(
                &format!(
                    "SELECT {TOKEN_COLUMNS}, t.secret FROM mfa_token t WHERE t.user_id = $1 {lock}"
                ),
                &[&user_id],
            )?
            .iter()
            .map(|r| token_from_row(r, Ciphertexts::All))
            .collect()
    }

    fn count(&mut self, table: &str) -> Result<u64> {
        let n: i64 = self
            .tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        Ok(n.max(0) as u64)
    }
}

impl Rows for PgRows<'_, '_> {
    fn user(&mut self, user: &UserName, for_update: bool) -> Result<Option<UserRecord>> {
        let lock = if for_update { "FOR UPDATE OF u" } else { "" };
        let row = self.tx.query_opt(
            &format!(
                "SELECT {USER_COLUMNS}, {UNUSED_CODES} FROM mfa_user u WHERE u.username = $1 {lock}"
            ),
            &[&user.as_str()],
        )?;
        match row.map(|r| user_from_row(&r)).transpose()? {
            Some(row) => {
                let tokens = self.tokens_of(&row.id, for_update)?;
                Ok(row.into_record(tokens))
            }
            None => Ok(None),
        }
    }

    fn scan_users(&mut self, ciphertexts: Ciphertexts) -> Result<UserScan> {
        let users = self
            .tx
            .query(
                &format!("SELECT {USER_COLUMNS}, 0::bigint, FALSE FROM mfa_user u"),
                &[],
            )?
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>>>()?;
        let secret = if ciphertexts.read() {
            "t.secret"
        } else {
            "NULL::bytea"
        };
        let rows = self.tx.query(
            &format!("SELECT {TOKEN_COLUMNS}, {secret} FROM mfa_token t"),
            &[],
        )?;
        let codes = self.tx.query(
            "SELECT user_id, count(*), bool_or(octet_length(code_hash) = 32) FROM recovery_code \
             WHERE used_at IS NULL GROUP BY user_id",
            &[],
        )?;
        UserScan::join(
            users,
            |push| {
                for row in &rows {
                    // The user id borrowed from the row: it only finds the user.
                    push(row.try_get(1)?, token_from_row(row, ciphertexts)?);
                }
                Ok(())
            },
            |push| {
                for row in &codes {
                    let count = u32::try_from(row.try_get::<_, i64>(1)?).unwrap_or(u32::MAX);
                    let legacy = row.try_get(2)?;
                    push(row.try_get(0)?, UnusedCodes { count, legacy });
                }
                Ok(())
            },
        )
    }

    fn delete_user(&mut self, id: &str) -> Result<()> {
        self.tx
            .execute("DELETE FROM mfa_user WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn user_names(&mut self) -> Result<Vec<String>> {
        self.tx
            .query("SELECT username FROM mfa_user", &[])?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self
            .tx
            .query(
                "SELECT key, value FROM setting ORDER BY key COLLATE \"C\"",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO setting (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn recipients(&mut self) -> Result<Vec<String>> {
        Ok(self
            .tx
            .query(
                "SELECT recipient FROM recipient ORDER BY added_at, recipient COLLATE \"C\"",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn replace_recipients(&mut self, recipients: &[String], now: Timestamp) -> Result<()> {
        self.tx.execute("DELETE FROM recipient", &[])?;
        let now = now.to_string();
        for r in recipients {
            self.tx.execute(
                "INSERT INTO recipient (recipient, added_at) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
                &[r, &now],
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
        let now = op.now.to_string();
        let user_id = match existing_id {
            Some(id) if !reset_user => {
                self.tx.execute(
                    "UPDATE mfa_user SET updated_at = $2 WHERE id = $1",
                    &[&id, &now],
                )?;
                id.to_owned()
            }
            Some(id) => {
                self.tx
                    .execute("DELETE FROM recovery_code WHERE user_id = $1", &[&id])?;
                self.tx.execute(
                    "UPDATE mfa_user SET updated_at = $2, failed_attempts = 0, locked_at = NULL, \
                     locked_until = NULL, lockouts = 0 WHERE id = $1",
                    &[&id, &now],
                )?;
                id.to_owned()
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                self.tx.execute(
                    "INSERT INTO mfa_user (id, username, created_at, updated_at) \
                     VALUES ($1, $2, $3, $3)",
                    &[&id, &e.user.as_str(), &now],
                )?;
                id
            }
        };
        let enabled_at = (e.status == Status::Enabled).then(|| now.clone());
        self.tx.execute(
            "INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, \
             period, issuer, created_at, updated_at, enabled_at, enrolled_at) \
             VALUES ($1, $2, $11, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9) \
             ON CONFLICT (user_id, label) DO UPDATE SET secret = excluded.secret, \
             status = excluded.status, algorithm = excluded.algorithm, \
             digits = excluded.digits, period = excluded.period, issuer = excluded.issuer, \
             updated_at = excluded.updated_at, enabled_at = excluded.enabled_at, \
             enrolled_at = excluded.enrolled_at, \
             disabled_at = NULL, last_used_at = NULL, last_used_step = NULL, drift = 0",
            &[
                &uuid::Uuid::new_v4().to_string(),
                &user_id,
                &e.ciphertext,
                &e.status.as_str(),
                &e.params.algorithm().as_str(),
                &i32::from(e.params.digits()),
                &(e.params.period() as i32),
                &e.issuer,
                &now,
                &enabled_at,
                &e.label.as_str(),
            ],
        )?;
        Ok(())
    }

    fn raise_replay_mark(&mut self, token_id: &str, step: u64) -> Result<()> {
        self.tx.execute(
            "UPDATE mfa_token SET last_used_step = $2 \
             WHERE id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
            &[&token_id, &step_param(step)],
        )?;
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
        let changed = self.tx.execute(
            "UPDATE mfa_token SET last_used_step = $2, last_used_at = $3, \
             updated_at = $3, status = 'enabled', enabled_at = COALESCE(enabled_at, $3), \
             drift = $5 \
             WHERE id = $4 AND user_id = $1 AND status IN ('pending', 'enabled') \
             AND (last_used_step IS NULL OR last_used_step < $2) \
             AND EXISTS (SELECT 1 FROM mfa_user WHERE id = $1 \
                 AND (locked_at IS NULL OR locked_until COLLATE \"C\" <= $3::text))",
            &[
                &id,
                &step_param(step),
                &now.to_string(),
                &token_id,
                &drift_param(drift),
            ],
        )?;
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
        let changed = self.tx.execute(
            "UPDATE mfa_token SET last_used_step = $2, drift = $3, updated_at = $4 \
             WHERE id = $5 AND user_id = $1 AND status IN ('pending', 'enabled') \
             AND (last_used_step IS NULL OR last_used_step < $2) \
             AND EXISTS (SELECT 1 FROM mfa_user WHERE id = $1 \
                 AND (locked_at IS NULL OR locked_until COLLATE \"C\" <= $4::text))",
            &[
                &id,
                &step_param(step),
                &drift_param(drift),
                &now.to_string(),
                &token_id,
            ],
        )?;
        Ok(changed == 1)
    }

    fn set_lock_state(&mut self, id: &str, state: &LockState, now: Timestamp) -> Result<()> {
        self.tx.execute(
            "UPDATE mfa_user SET failed_attempts = $2, locked_at = $3, locked_until = $4, \
             lockouts = $5, updated_at = $6 WHERE id = $1",
            &[
                &id,
                &i32::try_from(state.failures).unwrap_or(i32::MAX),
                &opt_ts_text(state.locked_at),
                &opt_ts_text(state.locked_until),
                &i32::try_from(state.lockouts).unwrap_or(i32::MAX),
                &now.to_string(),
            ],
        )?;
        Ok(())
    }

    fn claim_recovery_code(&mut self, id: &str, code_hash: &[u8], now: Timestamp) -> Result<bool> {
        let used = self.tx.execute(
            "UPDATE recovery_code SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            &[&id, &code_hash, &now.to_string()],
        )?;
        Ok(used == 1)
    }

    fn unused_recovery_codes(&mut self, id: &str) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .tx
            .query(
                "SELECT code_hash FROM recovery_code WHERE user_id = $1 AND used_at IS NULL",
                &[&id],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<Vec<Vec<u8>>, _>>()?)
    }

    fn recovery_code_accepted(&mut self, id: &str, now: Timestamp) -> Result<()> {
        self.tx.execute(
            "UPDATE mfa_user SET failed_attempts = 0, locked_at = NULL, locked_until = NULL, \
             lockouts = 0, updated_at = $2 WHERE id = $1",
            &[&id, &now.to_string()],
        )?;
        // The user was active: their live tokens count as used (the janitor's unused rule).
        self.tx.execute(
            "UPDATE mfa_token SET last_used_at = $2, updated_at = $2 \
             WHERE user_id = $1 AND status <> 'disabled'",
            &[&id, &now.to_string()],
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
            .execute("DELETE FROM recovery_code WHERE user_id = $1", &[&id])?;
        let now = now.to_string();
        let stmt = self.tx.prepare(
            "INSERT INTO recovery_code (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )?;
        for h in hashes {
            self.tx.execute(&stmt, &[&id, h, &now])?;
        }
        Ok(())
    }

    fn disable(&mut self, id: &str, now: Timestamp) -> Result<()> {
        self.tx
            .execute("DELETE FROM recovery_code WHERE user_id = $1", &[&id])?;
        self.tx.execute(
            "UPDATE mfa_token SET status = 'disabled', secret = NULL, disabled_at = $2, \
             updated_at = $2 WHERE user_id = $1 AND status <> 'disabled'",
            &[&id, &now.to_string()],
        )?;
        self.tx.execute(
            "UPDATE mfa_user SET updated_at = $2, failed_attempts = 0, locked_at = NULL, \
             locked_until = NULL, lockouts = 0 WHERE id = $1",
            &[&id, &now.to_string()],
        )?;
        Ok(())
    }

    fn disable_token(&mut self, id: &str, token_id: &str, now: Timestamp) -> Result<()> {
        let now = now.to_string();
        self.tx.execute(
            "UPDATE mfa_token SET status = 'disabled', secret = NULL, disabled_at = $3, \
             updated_at = $3 WHERE id = $2 AND user_id = $1",
            &[&id, &token_id, &now],
        )?;
        self.tx.execute(
            "UPDATE mfa_user SET updated_at = $2 WHERE id = $1",
            &[&id, &now],
        )?;
        Ok(())
    }

    fn unlock(&mut self, id: &str, now: Timestamp) -> Result<()> {
        self.tx.execute(
            "UPDATE mfa_user SET locked_at = NULL, locked_until = NULL, lockouts = 0, \
             failed_attempts = 0, updated_at = $2 WHERE id = $1",
            &[&id, &now.to_string()],
        )?;
        Ok(())
    }

    fn replace_secret(&mut self, user: &UserName, old: &[u8], new: &[u8]) -> Result<bool> {
        let changed = self.tx.execute(
            "UPDATE mfa_token SET secret = $3 WHERE secret = $2 \
             AND user_id = (SELECT id FROM mfa_user WHERE username = $1)",
            &[&user.as_str(), &old, &new],
        )?;
        Ok(changed == 1)
    }

    fn audit(
        &mut self,
        op: &Op,
        event: AuditEvent,
        user: Option<&UserName>,
        details: &str,
    ) -> Result<()> {
        // Writers under the shared store lock run in parallel: the chain's own lock makes
        // appends take turns until commit. Taken in its own statement, so the next one's
        // snapshot (READ COMMITTED) sees the previous holder's committed row.
        self.tx
            .batch_execute(&format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"))?;
        let row = self.tx.query_one(
            "SELECT nextval(pg_get_serial_sequence('mfactl.audit_log', 'id')), \
             (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1)",
            &[],
        )?;
        let id: i64 = row.try_get(0)?;
        let prev: Option<String> = row.try_get(1)?;
        let at = op.now.to_string();
        let user = user.map(|u| u.as_str());
        let hash = super::appended_hash(prev.as_deref(), id, &at, op, event, user, details);
        self.tx.execute(
            "INSERT INTO audit_log (id, at, event, username, actor, details, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&id, &at, &event.as_str(), &user, &op.actor, &details, &hash],
        )?;
        Ok(())
    }

    /// Set-based: under the chain's lock, the next N ids are taken from the sequence at once
    /// (in the rows' order), the hashes are chained here, and the rows go in with one
    /// `INSERT ... SELECT FROM unnest(...)`.
    fn audit_many(&mut self, op: &Op, rows: &[NewAudit<'_>]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        self.tx
            .batch_execute(&format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"))?;
        // N ids in one statement: every append (here and in `audit`) takes the sequence's
        // values only under the chain's lock, so nothing takes one between this nextval and
        // setval, and the block is the next N ids, above every committed row.
        let last: i64 = self
            .tx
            .query_one(
                "SELECT setval(pg_get_serial_sequence('mfactl.audit_log', 'id'), \
                 nextval(pg_get_serial_sequence('mfactl.audit_log', 'id')) + $1 - 1)",
                &[&n],
            )?
            .try_get(0)?;
        let ids: Vec<i64> = (last - n + 1..=last).collect();
        let mut prev: Option<String> = self
            .tx
            .query_opt("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", &[])?
            .map(|r| r.try_get(0))
            .transpose()?
            .flatten();
        let at = op.now.to_string();
        let mut events = Vec::with_capacity(rows.len());
        let mut users = Vec::with_capacity(rows.len());
        let mut details = Vec::with_capacity(rows.len());
        let mut hashes = Vec::with_capacity(rows.len());
        for (r, &id) in rows.iter().zip(&ids) {
            let user = r.user.map(|u| u.as_str());
            let hash = super::chained_hash(
                prev.as_deref(),
                &crate::audit::chain::RowContent {
                    id,
                    at: &at,
                    event: r.event.as_str(),
                    user,
                    actor: &op.actor,
                    details: &r.details,
                },
            );
            events.push(r.event.as_str());
            users.push(user);
            details.push(r.details.as_str());
            hashes.push(hash.clone());
            prev = Some(hash);
        }
        self.tx.execute(
            "INSERT INTO audit_log (id, at, event, username, actor, details, hash) \
             SELECT t.id, $2, t.event, t.username, $3, t.details, t.hash \
             FROM unnest($1::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) \
                  AS t(id, event, username, details, hash)",
            &[&ids, &at, &op.actor, &events, &users, &details, &hashes],
        )?;
        Ok(())
    }

    fn disable_many(&mut self, ids: &[&str], now: Timestamp) -> Result<()> {
        self.tx
            .execute("DELETE FROM recovery_code WHERE user_id = ANY($1)", &[&ids])?;
        self.tx.execute(
            "UPDATE mfa_token SET status = 'disabled', secret = NULL, disabled_at = $2, \
             updated_at = $2 WHERE user_id = ANY($1) AND status <> 'disabled'",
            &[&ids, &now.to_string()],
        )?;
        self.tx.execute(
            "UPDATE mfa_user SET updated_at = $2, failed_attempts = 0, locked_at = NULL, \
             locked_until = NULL, lockouts = 0 WHERE id = ANY($1)",
            &[&ids, &now.to_string()],
        )?;
        Ok(())
    }

    fn delete_users(&mut self, ids: &[&str]) -> Result<()> {
        self.tx
            .execute("DELETE FROM mfa_user WHERE id = ANY($1)", &[&ids])?;
        Ok(())
    }

    fn audit_rows(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRow>> {
        self.tx
            .query(
                "SELECT id, at, event, username, actor, details, hash FROM audit_log \
                 WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &i64::from(limit)],
            )?
            .iter()
            .map(audit_row)
            .collect()
    }

    fn audit_tail(&mut self) -> Result<Option<(i64, Option<String>)>> {
        let row = self.tx.query_opt(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
            &[],
        )?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    fn set_audit_hash(&mut self, id: i64, hash: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE audit_log SET hash = $2 WHERE id = $1",
            &[&id, &hash],
        )?;
        Ok(())
    }

    fn audit_after(&mut self, q: &AuditQuery, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let user = q.user.as_ref().map(|u| u.as_str());
        let since = q.since.map(|t| t.to_string());
        let event = q.event.map(|e| e.as_str());
        self.tx
            .query(
                "SELECT id, at, event, username, actor, details FROM audit_log \
                 WHERE id > $4 AND ($1::text IS NULL OR username = $1) \
                 AND ($2::text IS NULL OR at >= $2) AND ($3::text IS NULL OR event = $3) \
                 ORDER BY id LIMIT $5",
                &[&user, &since, &event, &after, &i64::from(limit)],
            )?
            .iter()
            .map(audit_entry)
            .collect()
    }

    fn audit_log(&mut self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let user = q.user.as_ref().map(|u| u.as_str());
        let since = q.since.map(|t| t.to_string());
        let event = q.event.map(|e| e.as_str());
        let limit = q.limit.map(i64::from);
        let rows = self.tx.query(
            "SELECT id, at, event, username, actor, details FROM audit_log \
             WHERE ($1::text IS NULL OR username = $1) AND ($2::text IS NULL OR at >= $2) \
             AND ($3::text IS NULL OR event = $3) ORDER BY id DESC LIMIT $4",
            &[&user, &since, &event, &limit],
        )?;
        rows.iter().map(audit_entry).collect()
    }

    fn dump(&mut self) -> Result<StoreDump> {
        let users = self.all_users(Ciphertexts::All)?;
        let recipients = self
            .tx
            .query(
                "SELECT recipient, added_at FROM recipient \
                 ORDER BY added_at, recipient COLLATE \"C\"",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, ts(r, 1)?)))
            .collect::<Result<Vec<_>>>()?;
        let settings = self.settings()?;
        let recovery_codes = self
            .tx
            .query(
                "SELECT user_id, code_hash, created_at, used_at FROM recovery_code \
                 ORDER BY user_id, code_hash",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(RecoveryCodeRow {
                    user_id: r.try_get(0)?,
                    code_hash: r.try_get(1)?,
                    created_at: ts(r, 2)?,
                    used_at: opt_ts(r, 3)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let audit = self
            .tx
            .query(
                "SELECT id, at, event, username, actor, details, hash FROM audit_log \
                 ORDER BY id",
                &[],
            )?
            .iter()
            .map(audit_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(StoreDump {
            users,
            recipients,
            settings,
            recovery_codes,
            audit,
        })
    }

    fn load(&mut self, dump: &StoreDump) -> Result<()> {
        let insert_user = self.tx.prepare(
            "INSERT INTO mfa_user (id, username, created_at, updated_at, failed_attempts, \
             locked_at, locked_until, lockouts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )?;
        let insert_token = self.tx.prepare(
            "INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, \
             period, issuer, created_at, updated_at, enabled_at, disabled_at, last_used_at, \
             last_used_step, enrolled_at, drift) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )?;
        for u in &dump.users {
            self.tx.execute(
                &insert_user,
                &[
                    &u.id,
                    &u.user.as_str(),
                    &u.created_at.to_string(),
                    &u.updated_at.to_string(),
                    &i32::try_from(u.failures).unwrap_or(i32::MAX),
                    &opt_ts_text(u.locked_at),
                    &opt_ts_text(u.locked_until),
                    &i32::try_from(u.lockouts).unwrap_or(i32::MAX),
                ],
            )?;
            // Every token, with its id and label.
            for t in &u.tokens {
                self.tx.execute(
                    &insert_token,
                    &[
                        &t.id,
                        &u.id,
                        &t.label.as_str(),
                        &t.secret,
                        &t.status.as_str(),
                        &t.params.algorithm().as_str(),
                        &i32::from(t.params.digits()),
                        &(t.params.period() as i32),
                        &t.issuer,
                        &t.created_at.to_string(),
                        &t.updated_at.to_string(),
                        &opt_ts_text(t.enabled_at),
                        &opt_ts_text(t.disabled_at),
                        &opt_ts_text(t.last_used_at),
                        &t.last_used_step.map(step_param),
                        &t.enrolled_at.to_string(),
                        &drift_param(t.drift),
                    ],
                )?;
            }
        }
        self.tx.execute("DELETE FROM recipient", &[])?;
        for (r, at) in &dump.recipients {
            self.tx.execute(
                "INSERT INTO recipient (recipient, added_at) VALUES ($1, $2)",
                &[r, &at.to_string()],
            )?;
        }
        self.tx.execute("DELETE FROM setting", &[])?;
        for (k, v) in &dump.settings {
            self.put_setting(k, v)?;
        }
        let insert_code = self.tx.prepare(
            "INSERT INTO recovery_code (user_id, code_hash, created_at, used_at) \
             VALUES ($1, $2, $3, $4)",
        )?;
        for c in &dump.recovery_codes {
            self.tx.execute(
                &insert_code,
                &[
                    &c.user_id,
                    &c.code_hash,
                    &c.created_at.to_string(),
                    &opt_ts_text(c.used_at),
                ],
            )?;
        }
        self.tx.execute("DELETE FROM audit_log", &[])?;
        let insert_audit = self.tx.prepare(
            "INSERT INTO audit_log (id, at, event, username, actor, details, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )?;
        for a in &dump.audit {
            self.tx.execute(
                &insert_audit,
                &[
                    &a.id, &a.at, &a.event, &a.user, &a.actor, &a.details, &a.hash,
                ],
            )?;
        }
        // The next row continues the copied sequence.
        self.tx.execute(
            "SELECT setval(pg_get_serial_sequence('mfactl.audit_log', 'id'), \
             COALESCE((SELECT max(id) FROM audit_log), 0) + 1, false)",
            &[],
        )?;
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
