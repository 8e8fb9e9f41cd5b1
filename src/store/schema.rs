//! The SQLite schema and its forward migrations, tracked with `PRAGMA user_version`.
//!
//! Migrations are append-only: a released schema is never edited, a change is a new entry.

/// Marks a file as an mfactl store (`PRAGMA application_id`): "MFAC".
pub const APPLICATION_ID: i64 = 0x4D46_4143;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `MIGRATIONS[n]` takes a store from version `n` to `n + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE mfa_secret (
    id              TEXT PRIMARY KEY NOT NULL,          -- UUID v4, stable for the user's row
    user            TEXT NOT NULL UNIQUE,
    secret          BLOB,                               -- age ciphertext of the base32 secret
    status          TEXT NOT NULL CHECK (status IN ('pending', 'enabled', 'disabled')),
    algorithm       TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits          INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 8),
    period          INTEGER NOT NULL CHECK (period BETWEEN 10 AND 300),
    issuer          TEXT NOT NULL,
    created_at      TEXT NOT NULL,                      -- UTC, YYYY-MM-DDTHH:MM:SSZ
    updated_at      TEXT NOT NULL,
    enabled_at      TEXT,
    disabled_at     TEXT,
    last_used_at    TEXT,
    last_used_step  INTEGER,                            -- replay protection
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at       TEXT,
    CHECK ((status = 'disabled') = (secret IS NULL))
);
CREATE INDEX mfa_secret_status ON mfa_secret (status);

CREATE TABLE recipient (
    recipient TEXT PRIMARY KEY NOT NULL,                -- age1...
    added_at  TEXT NOT NULL
);

CREATE TABLE setting (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE recovery_code (
    secret_id  TEXT NOT NULL REFERENCES mfa_secret (id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL,                           -- SHA-256 of the normalised code
    created_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (secret_id, code_hash)
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    event   TEXT NOT NULL,
    user    TEXT,
    actor   TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'                  -- JSON; never secrets or codes
);
CREATE INDEX audit_log_user ON audit_log (user, id);
CREATE INDEX audit_log_at ON audit_log (at);
"#,
    // 2: the audit log's hash chain (crate::audit::chain). The migration's Rust step chains the
    // existing rows once, in id order, in the same transaction.
    r#"
ALTER TABLE audit_log ADD COLUMN hash TEXT;                -- 64 hex digits
"#,
    // 3: when the row's current secret was enrolled (pending-ttl counts from it). Rows from
    // version 1 take their last change, the closest later bound.
    r#"
ALTER TABLE mfa_secret ADD COLUMN enrolled_at TEXT;
UPDATE mfa_secret SET enrolled_at = updated_at;
"#,
    // 4: several labelled tokens per user. `mfa_secret` splits into the user (`mfa_user`: the
    // name, the lockout state; it keeps the row's id) and its tokens (`mfa_token`: a secret and
    // everything tied to it). Each existing row becomes the user's `default` token, which keeps
    // the row's id too. Recovery codes belong to the user. A lock from before stays manual
    // (`locked_until` NULL) and counts as one lockout; `drift` (per-token clock drift) starts at
    // 0, the window the token had.
    r#"
CREATE TABLE mfa_user (
    id              TEXT PRIMARY KEY NOT NULL,          -- UUID v4 (the old mfa_secret.id)
    user            TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,                      -- UTC, YYYY-MM-DDTHH:MM:SSZ
    updated_at      TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,         -- per user, over all tokens
    locked_at       TEXT,
    locked_until    TEXT,                               -- an automatic lock lifts then
    lockouts        INTEGER NOT NULL DEFAULT 0          -- locks since the last success
);

CREATE TABLE mfa_token (
    id              TEXT PRIMARY KEY NOT NULL,          -- UUID v4
    user_id         TEXT NOT NULL REFERENCES mfa_user (id) ON DELETE CASCADE,
    label           TEXT NOT NULL,
    secret          BLOB,                               -- age ciphertext of the base32 secret
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
    last_used_step  INTEGER,                            -- replay protection, per token
    drift           INTEGER NOT NULL DEFAULT 0,         -- steps, signed
    UNIQUE (user_id, label),
    CHECK ((status = 'disabled') = (secret IS NULL))
);
CREATE INDEX mfa_token_status ON mfa_token (status);

INSERT INTO mfa_user (id, user, created_at, updated_at, failed_attempts, locked_at, lockouts)
    SELECT id, user, created_at, updated_at, failed_attempts, locked_at,
           CASE WHEN locked_at IS NULL THEN 0 ELSE 1 END FROM mfa_secret;
INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, period, issuer,
                       created_at, updated_at, enrolled_at, enabled_at, disabled_at,
                       last_used_at, last_used_step)
    SELECT id, id, 'default', secret, status, algorithm, digits, period, issuer,
           created_at, updated_at, enrolled_at, enabled_at, disabled_at,
           last_used_at, last_used_step FROM mfa_secret;

CREATE TABLE recovery_code_v4 (
    user_id    TEXT NOT NULL REFERENCES mfa_user (id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL,                           -- SHA-256 of the normalised code
    created_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, code_hash)
);
INSERT INTO recovery_code_v4 (user_id, code_hash, created_at, used_at)
    SELECT secret_id, code_hash, created_at, used_at FROM recovery_code;
-- The child first: with foreign keys on, dropping mfa_secret would cascade into it.
DROP TABLE recovery_code;
DROP TABLE mfa_secret;
ALTER TABLE recovery_code_v4 RENAME TO recovery_code;
"#,
];
