//! The store: every user's MFA state, the recipients secrets are encrypted to, settings,
//! recovery codes and the audit log.
//!
//! Commands speak to it only through [`Store`], in domain types, so that a second backend
//! (a shared PostgreSQL for fleets of servers) can be added without touching them. Every method
//! that changes anything does it in one transaction, together with its audit row: after a crash
//! or a failed check, the store is as it was before the call.

mod schema;
mod sqlite;

use std::path::Path;

use crate::audit::{AuditEntry, AuditEvent, AuditQuery, Op};
use crate::error::Result;
use crate::model::{Status, TotpParams, UserFilter, UserName, UserRecord};
use crate::settings::{SettingKey, Settings};
use crate::totp::{RejectReason, Verdict};
use crate::vault::Recipient;

pub use schema::SCHEMA_VERSION;
pub use sqlite::SqliteStore;

/// A secret ready to be stored: validated parameters and the age ciphertext.
#[derive(Clone, Debug)]
pub struct Enrollment {
    /// Who.
    pub user: UserName,
    /// TOTP parameters.
    pub params: TotpParams,
    /// Issuer shown in the app.
    pub issuer: String,
    /// age ciphertext of the base32 secret.
    pub ciphertext: Vec<u8>,
    /// `Pending` for a fresh enrollment; `Enabled` for imports of already-paired users.
    pub status: Status,
}

/// What `enroll` replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrollOutcome {
    /// The user was not in the store.
    New,
    /// The user was disabled and is enrolled again.
    Reenrolled,
    /// A pending or enabled secret was replaced (`--force`).
    Replaced(Status),
}

/// The result of a verification as applied to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyResult {
    /// Why the code was refused; `None` when it was accepted.
    pub rejected: Option<RejectReason>,
    /// The user's status afterwards.
    pub status: Status,
    /// Whether this acceptance moved the user from pending to enabled.
    pub confirmed: bool,
    /// Consecutive failures afterwards.
    pub failures: u32,
    /// Whether this rejection locked the user.
    pub locked_now: bool,
}

impl VerifyResult {
    /// Whether the code was accepted.
    pub fn accepted(&self) -> bool {
        self.rejected.is_none()
    }
}

/// Settings and recipients a new store starts with.
#[derive(Clone, Debug)]
pub struct StoreInit {
    /// Public keys every secret is encrypted to.
    pub recipients: Vec<Recipient>,
    /// Issuer, if not the default.
    pub issuer: Option<String>,
}

/// One user's secret blob, for bulk work (rekey, export).
#[derive(Clone, Debug)]
pub struct StoredSecret {
    /// Whose.
    pub user: UserName,
    /// age ciphertext.
    pub ciphertext: Vec<u8>,
}

/// The operations mfactl needs from a store.
pub trait Store {
    /// Where the store is, for messages.
    fn location(&self) -> String;

    /// The settings, defaults filled in.
    fn settings(&self) -> Result<Settings>;

    /// Validates and changes one setting; returns the previous value.
    fn set_setting(&mut self, op: &Op, key: SettingKey, value: &str) -> Result<String>;

    /// The recipients new secrets are encrypted to.
    fn recipients(&self) -> Result<Vec<Recipient>>;

    /// One user, with their encrypted secret.
    fn user(&self, user: &UserName) -> Result<Option<UserRecord>>;

    /// One user, or [`crate::Error::UnknownUser`].
    fn require_user(&self, user: &UserName) -> Result<UserRecord> {
        self.user(user)?.ok_or_else(|| crate::Error::UnknownUser {
            user: user.to_string(),
        })
    }

    /// Users matching `filter`, sorted by name, without secrets (never decrypts anything).
    fn users(&self, filter: UserFilter) -> Result<Vec<UserRecord>>;

    /// Stores a new secret for `enrollment.user`. A pending or enabled user is refused with
    /// [`crate::Error::AlreadyEnrolled`] unless `force`; a disabled user is enrolled again.
    fn enroll(&mut self, op: &Op, enrollment: &Enrollment, force: bool) -> Result<EnrollOutcome>;

    /// Enrolls many users in one transaction: all or nothing. Every user must be new or
    /// disabled.
    fn import(&mut self, op: &Op, enrollments: &[Enrollment]) -> Result<()>;

    /// Verifies under the store's write lock: loads the user, asks `decide` for the verdict
    /// (it decrypts and checks the code), and records it. Two concurrent verifications of one
    /// code are serialized, so at most one is accepted.
    fn verify(
        &mut self,
        op: &Op,
        user: &UserName,
        decide: &mut dyn FnMut(&UserRecord, &Settings) -> Result<Verdict>,
    ) -> Result<VerifyResult>;

    /// Consumes the recovery code whose hash is `code_hash`, atomically, or counts a failure.
    fn use_recovery_code(
        &mut self,
        op: &Op,
        user: &UserName,
        code_hash: &[u8],
    ) -> Result<VerifyResult>;

    /// Replaces the user's recovery codes with these hashes.
    fn set_recovery_codes(&mut self, op: &Op, user: &UserName, hashes: &[Vec<u8>]) -> Result<()>;

    /// Disables MFA: status disabled, secret and recovery codes erased. Returns false when
    /// the user was already disabled (nothing changes).
    fn disable(&mut self, op: &Op, user: &UserName, reason: Option<&str>) -> Result<bool>;

    /// Clears a lockout and the failure count. Returns false when the user was not locked.
    fn unlock(&mut self, op: &Op, user: &UserName) -> Result<bool>;

    /// Records a sensitive read (show-qr, export) in the audit log.
    fn record(
        &mut self,
        op: &Op,
        event: AuditEvent,
        user: Option<&UserName>,
        details: serde_json::Value,
    ) -> Result<()>;

    /// Reads the audit log, newest first.
    fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;

    /// Users matching `filter` who have a secret (pending and enabled), with their encrypted
    /// secrets, sorted by name.
    fn secrets(&self, filter: UserFilter) -> Result<Vec<UserRecord>>;

    /// Re-encrypts every secret in one transaction: `reencrypt` maps each ciphertext to the
    /// new one; any error leaves the store unchanged. Replaces the recipient list.
    fn rekey(
        &mut self,
        op: &Op,
        recipients: &[Recipient],
        reencrypt: &mut dyn FnMut(&StoredSecret) -> Result<Vec<u8>>,
    ) -> Result<usize>;
}

/// Whether a store exists at `path`.
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// Opens the store at `path`, migrating its schema forward if needed.
pub fn open(path: &Path) -> Result<Box<dyn Store>> {
    Ok(Box::new(SqliteStore::open(path)?))
}

/// Creates a new store at `path` (atomically: it appears complete or not at all).
pub fn create(path: &Path, op: &Op, init: &StoreInit) -> Result<Box<dyn Store>> {
    Ok(Box::new(SqliteStore::create(path, op, init)?))
}
