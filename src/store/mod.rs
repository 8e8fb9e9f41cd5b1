//! The store: every user's MFA state, the recipients secrets are encrypted to, settings,
//! recovery codes and the audit log.
//!
//! [`Store`] holds the rules (enrollment, verification, lockout, import, rekey) once; a backend
//! only reads and writes rows inside the transactions it is given (`Rows`). Two backends: one
//! SQLite file (`sqlite`), or a shared PostgreSQL database (`postgres`, behind the cargo
//! feature of that name). Every method that changes anything does it in one transaction,
//! together with its audit row: after a crash or a failed check, the store is as it was.

mod file_perms;
mod location;
#[cfg(feature = "postgres")]
pub(crate) mod pg_conn;
#[cfg(feature = "postgres")]
mod postgres;
mod schema;
mod sqlite;

use serde_json::json;

use crate::audit::{AuditEntry, AuditEvent, AuditQuery, Op};
use crate::error::{Error, Result};
use crate::lockout::LockState;
use crate::model::{
    Status, Timestamp, TokenLabel, TokenRecord, TotpParams, UserFilter, UserName, UserQuery,
    UserRecord,
};
use crate::recovery::TypedCode;
use crate::settings::{SettingKey, Settings};
use crate::totp::{RejectReason, Verdict};
use crate::vault::Recipient;

pub use location::Location;
pub use schema::SCHEMA_VERSION;
pub use sqlite::disable_sqlite_memory_statistics;

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
    /// The token's label: a new token, or the one it replaces.
    pub label: TokenLabel,
}

/// How [`Store::enroll_with`] enrolls.
pub struct EnrollWith<'a, 'r> {
    /// Replace a pending or enabled user's secret.
    pub force: bool,
    /// The recipients the enrollment's ciphertext was made for.
    pub sealed_to: &'a [Recipient],
    /// Re-encrypts the secret if a rekey changed the recipients meanwhile.
    pub reseal: Option<&'a mut Reseal<'r>>,
    /// Allow a name that looks like an existing user's.
    pub allow_similar: bool,
    /// Fingerprints of the keys a pairing bundle was sealed to (audited); empty otherwise.
    pub bundle_sealed_to: &'a [String],
}

/// Makes a new ciphertext for an enrollment when the store's recipients changed (a `rekey`
/// committed) between encrypting it and taking the store's lock.
pub type Reseal<'a> = dyn FnMut(&Enrollment, &[Recipient]) -> Result<Vec<u8>> + 'a;

/// What `enroll` replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrollOutcome {
    /// The user, or the user's token of that label, was not in the store.
    New,
    /// The token (the user, with one token) was disabled and is enrolled again.
    Reenrolled,
    /// A pending or enabled token's secret was replaced (`--force`).
    Replaced(Status),
}

/// The result of a verification as applied to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The user's token the code matched (accepted, or replayed); `None` for a code that
    /// matched none, and for recovery codes (they are the user's).
    pub token: Option<TokenLabel>,
    /// When the user's lock lifts by itself, if this verification found the user locked or
    /// locked them and the lock is timed (`lockout` setting); `None` otherwise (not locked, or
    /// locked until `unlock`). Judged at the verification's clock reading.
    pub locked_until: Option<Timestamp>,
    /// The clock reading the verification was judged at (the command's one reading).
    pub at: Timestamp,
    /// The clock hint of a wrong code: it is the token's code for a step this many seconds
    /// from now (positive: the device's clock is ahead), outside the verification window but
    /// within the resync search; `mfactl resync` fixes it. `None` for any other outcome.
    pub clock_offset_seconds: Option<i64>,
}

impl VerifyResult {
    /// Whether the code was accepted.
    pub fn accepted(&self) -> bool {
        self.rejected.is_none()
    }
}

/// The result of a `resync` as applied to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResyncResult {
    /// Why it was refused; `None` when the drift was set.
    pub rejected: Option<RejectReason>,
    /// The user's status (a resync never changes it).
    pub status: Status,
    /// The token's drift before, in steps.
    pub previous_drift: i64,
    /// The token's drift afterwards, in steps (unchanged when refused).
    pub drift: i64,
    /// Where the two codes were found: the second one's offset from now, in steps (also when
    /// it was refused as beyond `max-drift`); `None` when they were not found.
    pub offset: Option<i64>,
    /// The token's period, in seconds, to turn steps into seconds.
    pub period: u32,
    /// The `max-drift` setting it was judged by.
    pub max_drift: u32,
    /// Consecutive failures afterwards.
    pub failures: u32,
    /// Whether this rejection locked the user.
    pub locked_now: bool,
}

impl ResyncResult {
    /// Whether the drift was set.
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

/// What `copy-store` copied, counted again in the target after the copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RowCounts {
    /// Users (with their ciphertexts).
    pub users: u64,
    /// Recipients.
    pub recipients: u64,
    /// Settings rows.
    pub settings: u64,
    /// Recovery-code hashes.
    pub recovery_codes: u64,
    /// Audit rows.
    pub audit_rows: u64,
}

/// Whether the ciphertexts a command removed (disable, rekey, a replaced enrollment) are gone
/// from the store's files once it returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scrub {
    /// Gone: the database file holds only the new pages, and its rollback journal (or, in a store
    /// not yet converted from WAL mode, its write-ahead log) was emptied.
    Done,
    /// Still in the SQLite file's write-ahead log (`-wal`), because another connection holds an
    /// older snapshot. The store remembers it, and the next command that can empty the log does.
    Pending {
        /// Why the log could not be emptied yet.
        reason: String,
    },
    /// Nothing the backend can do at once: PostgreSQL keeps old row versions until VACUUM.
    NotApplicable,
}

/// The `setting` row that marks a scrub still to do (SQLite): set in the transaction that
/// removes a ciphertext, deleted once the write-ahead log was emptied. Not a user setting.
pub(crate) const SCRUB_PENDING_KEY: &str = "scrub-pending";

/// Which of the store's locks a write transaction takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lock {
    /// A change to one user (verify, disable, unlock, ...): users change in parallel where the
    /// backend allows it, each row locked, but never while a store-wide change runs.
    User,
    /// A change that reads or rewrites the whole store (enroll and import read the recipients,
    /// rekey rewrites every secret, config set, migrations): one at a time.
    Store,
}

/// A row of the recovery-code table, as copied between stores.
#[derive(Clone, Debug)]
pub(crate) struct RecoveryCodeRow {
    pub user_id: String,
    pub code_hash: Vec<u8>,
    pub created_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// An audit row exactly as stored, as copied between stores.
#[derive(Clone, Debug)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub user: Option<String>,
    pub actor: String,
    pub details: String,
    /// The chain hash, 64 hex digits (`None` only where something outside mfactl removed it).
    pub hash: Option<String>,
}

impl AuditRow {
    pub(crate) fn content(&self) -> crate::audit::chain::RowContent<'_> {
        crate::audit::chain::RowContent {
            id: self.id,
            at: &self.at,
            event: &self.event,
            user: self.user.as_deref(),
            actor: &self.actor,
            details: &self.details,
        }
    }
}

/// Everything in a store, as `copy-store` moves it.
#[derive(Clone, Debug, Default)]
pub(crate) struct StoreDump {
    pub users: Vec<UserRecord>,
    pub recipients: Vec<(String, Timestamp)>,
    pub settings: Vec<(String, String)>,
    pub recovery_codes: Vec<RecoveryCodeRow>,
    pub audit: Vec<AuditRow>,
}

impl StoreDump {
    fn counts(&self) -> RowCounts {
        RowCounts {
            users: self.users.len() as u64,
            recipients: self.recipients.len() as u64,
            settings: self.settings.len() as u64,
            recovery_codes: self.recovery_codes.len() as u64,
            audit_rows: self.audit.len() as u64,
        }
    }
}

/// The row-level operations a backend offers inside one transaction. They do what they say and
/// nothing more: every rule (who may be enrolled, when a code is accepted, when a user locks) is
/// in [`Store`].
pub(crate) trait Rows {
    /// One user with their ciphertext; with `for_update`, the row stays locked until the end of
    /// the transaction.
    fn user(&mut self, user: &UserName, for_update: bool) -> Result<Option<UserRecord>>;
    /// Every user with their tokens, with the `ciphertexts` asked for: one scan each of the
    /// users, the tokens and the unused recovery codes, joined by [`UserScan::join`]. Every
    /// selection (status, lock, the janitor's ages) is made above, by [`UserQuery::matches`].
    fn scan_users(&mut self, ciphertexts: Ciphertexts) -> Result<UserScan>;
    /// Every user's record, by name ([`Rows::scan_users`]).
    fn all_users(&mut self, ciphertexts: Ciphertexts) -> Result<Vec<UserRecord>> {
        Ok(self.scan_users(ciphertexts)?.records(Some))
    }
    /// Deletes the user's row (and, by cascade, their recovery codes).
    fn delete_user(&mut self, id: &str) -> Result<()>;
    /// Every user's name exactly as stored, in no particular order.
    fn user_names(&mut self) -> Result<Vec<String>>;
    /// The settings table as stored.
    fn settings(&mut self) -> Result<Vec<(String, String)>>;
    /// Inserts or replaces one setting.
    fn put_setting(&mut self, key: &str, value: &str) -> Result<()>;
    /// The recipients, in the order they were added.
    fn recipients(&mut self) -> Result<Vec<String>>;
    /// Replaces the recipient list.
    fn replace_recipients(&mut self, recipients: &[String], now: Timestamp) -> Result<()>;
    /// Writes a new secret into the user's token labelled `e.label` (inserting the user if
    /// `existing_id` is `None`, the token if the user has none of that label): keeps the token's
    /// id and creation time and resets everything tied to its old secret (replay mark, drift).
    /// With `reset_user` (the user has no other live token), also clears the user's failures,
    /// lock and lockouts and deletes their recovery codes, as replacing a user's only secret
    /// always did.
    fn put_secret(
        &mut self,
        op: &Op,
        e: &Enrollment,
        existing_id: Option<&str>,
        reset_user: bool,
    ) -> Result<()>;
    /// Raises the token's replay mark to `step` (never lowers it), nothing else: for another
    /// token of the user that accepted the same code.
    fn raise_replay_mark(&mut self, token_id: &str, step: u64) -> Result<()>;
    /// Records an accepted code at `step` on token `token_id` of user `id`, and the token's new
    /// `drift`, guarded in the statement itself: only a token that is not disabled, whose last
    /// step is older, of a user not locked at `now` (no lock, or a timed one whose
    /// `locked_until` is at or before `now`). The user's row is not written (the caller clears
    /// its lockout state with [`Rows::set_lock_state`] when it has any). Returns whether the
    /// token changed.
    fn accept_step(
        &mut self,
        id: &str,
        token_id: &str,
        step: u64,
        drift: i64,
        now: Timestamp,
    ) -> Result<bool>;
    /// Records a resync of token `token_id` of user `id`: its replay mark moves to `step` and
    /// its drift becomes `drift`, under the same guard as [`Rows::accept_step`] (never
    /// backwards, never for a locked user or a disabled token); nothing else changes (not a
    /// login). Returns whether the token changed.
    fn resync_step(
        &mut self,
        id: &str,
        token_id: &str,
        step: u64,
        drift: i64,
        now: Timestamp,
    ) -> Result<bool>;
    /// Writes the user's lockout state as given (failures, lock time, lock end, lockouts).
    fn set_lock_state(&mut self, id: &str, state: &LockState, now: Timestamp) -> Result<()>;
    /// The stored values of the user's unused recovery codes.
    fn unused_recovery_codes(&mut self, id: &str) -> Result<Vec<Vec<u8>>>;
    /// Marks an unused recovery code used. Returns whether one was.
    fn claim_recovery_code(&mut self, id: &str, code_hash: &[u8], now: Timestamp) -> Result<bool>;
    /// Clears the failures, the lock and the count of lockouts, and records the use, after an
    /// accepted recovery code.
    fn recovery_code_accepted(&mut self, id: &str, now: Timestamp) -> Result<()>;
    /// Replaces the user's recovery codes.
    fn replace_recovery_codes(
        &mut self,
        id: &str,
        hashes: &[Vec<u8>],
        now: Timestamp,
    ) -> Result<()>;
    /// Disables the user: every token disabled with its secret erased, recovery codes erased,
    /// lock cleared.
    fn disable(&mut self, id: &str, now: Timestamp) -> Result<()>;
    /// Disables one token of user `id` (status disabled, secret erased); the user's other
    /// tokens, lockout state and recovery codes stay.
    fn disable_token(&mut self, id: &str, token_id: &str, now: Timestamp) -> Result<()>;
    /// Clears the lock, the failure count and the count of lockouts.
    fn unlock(&mut self, id: &str, now: Timestamp) -> Result<()>;
    /// Replaces the user's ciphertext if it is still `old`. Returns whether it was.
    fn replace_secret(&mut self, user: &UserName, old: &[u8], new: &[u8]) -> Result<bool>;
    /// Records, in this transaction, that it removes a ciphertext: the backend must scrub its
    /// files of the old copies ([`Backend::scrub`]). Nothing to record by default.
    fn note_erasure(&mut self) -> Result<()> {
        Ok(())
    }
    /// Appends an audit row, chained to the last one ([`crate::audit::chain`]): the backend
    /// makes sure no other transaction appends between reading the last row and committing.
    fn audit(
        &mut self,
        op: &Op,
        event: AuditEvent,
        user: Option<&UserName>,
        details: &str,
    ) -> Result<()>;
    /// Appends `rows` in order, each chained to the one before as [`Rows::audit`] would, in
    /// one go where the backend can (the janitor writes one per user it changes).
    fn audit_many(&mut self, op: &Op, rows: &[NewAudit<'_>]) -> Result<()> {
        for r in rows {
            self.audit(op, r.event, r.user, &r.details)?;
        }
        Ok(())
    }
    /// Disables every row in `ids` as [`Rows::disable`] does, in one go where the backend can.
    fn disable_many(&mut self, ids: &[&str], now: Timestamp) -> Result<()> {
        for id in ids {
            self.disable(id, now)?;
        }
        Ok(())
    }
    /// Deletes every row in `ids` as [`Rows::delete_user`] does, in one go where the backend
    /// can.
    fn delete_users(&mut self, ids: &[&str]) -> Result<()> {
        for id in ids {
            self.delete_user(id)?;
        }
        Ok(())
    }
    /// Up to `limit` audit rows exactly as stored (with their hashes) whose id is above
    /// `after`, in id order.
    fn audit_rows(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRow>>;
    /// The last audit row's id and stored hash.
    fn audit_tail(&mut self) -> Result<Option<(i64, Option<String>)>>;
    /// Sets one audit row's hash (the migration that chains existing rows).
    fn set_audit_hash(&mut self, id: i64, hash: &str) -> Result<()>;
    /// Up to `limit` audit rows matching `query` (its limit aside) whose id is above `after`,
    /// oldest first.
    fn audit_after(
        &mut self,
        query: &AuditQuery,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
    /// Reads audit rows, newest first.
    fn audit_log(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// Everything, for `copy-store`.
    fn dump(&mut self) -> Result<StoreDump>;
    /// Writes everything from `dump` into this (empty) store, ids kept.
    fn load(&mut self, dump: &StoreDump) -> Result<()>;
    /// Counts the rows of every table.
    fn counts(&mut self) -> Result<RowCounts>;
}

/// Runs `f` over a backend's rows inside one transaction.
pub(crate) type TxFn<'a> = dyn FnMut(&mut dyn Rows) -> Result<()> + 'a;

/// A storage backend: transactions over [`Rows`]. `Send`, so that a [`Store`] (and the
/// facade over it) can move to another thread, as web servers' shared state requires.
pub(crate) trait Backend: Send {
    /// Where the store is, for messages (passwords masked).
    fn location(&self) -> String;
    /// Runs `f` in a read transaction (one consistent snapshot).
    fn read(&mut self, f: &mut TxFn<'_>) -> Result<()>;
    /// Runs `f` in a write transaction holding `lock`; any error rolls everything back.
    fn write(&mut self, lock: Lock, f: &mut TxFn<'_>) -> Result<()>;
    /// Removes the old copies of erased ciphertexts from the store's files, if it can now.
    fn scrub(&mut self) -> Result<Scrub> {
        Ok(Scrub::NotApplicable)
    }
}

/// An open store. The rules of enrollment, verification and lockout live here, once, above
/// the backends.
pub struct Store {
    backend: Box<dyn Backend>,
    /// What the last scrub after an erasure found.
    last_scrub: Option<Scrub>,
    /// The similarity keys of the stored names as [`Store::lookalikes`] computed them, kept for
    /// the enroll or import that follows (it tops them up under the lock).
    name_index: Option<crate::names::NameIndex>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.backend.location())
            .finish()
    }
}

/// A time step as both backends' integer columns hold it (steps beyond `i64` cannot come from
/// a real clock; they saturate).
pub(crate) fn step_param(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

/// A user's own row as a backend reads it: the part of a [`UserRecord`] that is not a token's.
pub(crate) struct UserRow {
    pub id: String,
    pub user: UserName,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub failures: u32,
    pub locked_at: Option<Timestamp>,
    pub locked_until: Option<Timestamp>,
    pub lockouts: u32,
    pub recovery_codes_left: u32,
    pub recovery_codes_legacy: bool,
}

impl UserRow {
    /// The user's record with `tokens`, sorted here by label (byte order, as both backends
    /// compare text). The per-token fields of the record are those of the primary token
    /// ([`UserRecord::token_id`]: enabled before pending before disabled, then the latest
    /// enrolled, then the smallest id), and its last change is the latest of the user's row's
    /// and every token's. `None` for a user row without any token, which is no user of the store.
    pub(crate) fn into_record(self, mut tokens: Vec<TokenRecord>) -> Option<UserRecord> {
        tokens.sort_by(|a, b| a.label.as_str().cmp(b.label.as_str()));
        let primary = tokens.iter().min_by(|a, b| {
            (
                a.status.precedence(),
                std::cmp::Reverse(a.enrolled_at),
                &a.id,
            )
                .cmp(&(
                    b.status.precedence(),
                    std::cmp::Reverse(b.enrolled_at),
                    &b.id,
                ))
        })?;
        Some(UserRecord {
            id: self.id,
            user: self.user,
            status: Status::of_tokens(tokens.iter().map(|t| t.status)),
            token_id: primary.id.clone(),
            params: primary.params,
            issuer: primary.issuer.clone(),
            secret: primary.secret.clone(),
            created_at: self.created_at,
            // "Last change of any kind" (UserRecord::updated_at): the row's or any token's.
            updated_at: tokens
                .iter()
                .map(|t| t.updated_at)
                .fold(self.updated_at, Timestamp::max),
            enrolled_at: primary.enrolled_at,
            enabled_at: primary.enabled_at,
            disabled_at: primary.disabled_at,
            last_used_at: primary.last_used_at,
            last_used_step: primary.last_used_step,
            drift: primary.drift,
            failures: self.failures,
            locked_at: self.locked_at,
            locked_until: self.locked_until,
            lockouts: self.lockouts,
            recovery_codes_left: self.recovery_codes_left,
            recovery_codes_legacy: self.recovery_codes_legacy,
            tokens,
        })
    }
}

/// Which of the tokens' ciphertexts a read of every user ([`Rows::all_users`]) carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ciphertexts {
    /// None: nothing of the read decrypts.
    None,
    /// Every one (rekey, export, copy).
    All,
    /// Only those of short secrets ([`crate::vault::sealed_secret_is_short`]), the only ones a
    /// listing flags: a listing of 100,000 users does not copy 100,000 ciphertexts to drop
    /// them.
    ShortOnly,
}

impl Ciphertexts {
    /// Whether the backend must read the ciphertext column at all.
    pub(crate) fn read(self) -> bool {
        self != Ciphertexts::None
    }

    /// What a record keeps of the ciphertext `stored` (borrowed from the row).
    pub(crate) fn keep(self, stored: Option<&[u8]>) -> Option<Vec<u8>> {
        let stored = stored?;
        match self {
            Ciphertexts::None => None,
            Ciphertexts::All => Some(stored.to_vec()),
            Ciphertexts::ShortOnly => {
                crate::vault::sealed_secret_is_short(stored).then(|| stored.to_vec())
            }
        }
    }
}

/// Some of a user's unused recovery codes, as a scan of them hands them to [`UserScan::join`]: a
/// backend may hand each code (`count` 1) or each user's total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UnusedCodes {
    /// How many.
    pub count: u32,
    /// Whether any of them is of the legacy kind (a bare 32-byte SHA-256).
    pub legacy: bool,
}

/// Every user of a store with their tokens and the counts of their unused recovery codes, as
/// a backend's scans found them (in the store's order), not yet made into records:
/// [`UserScan::records`] does that, in name order, building only the records it keeps.
pub(crate) struct UserScan {
    /// The users' rows; a slot is emptied when its record is built.
    users: Vec<Option<UserRow>>,
    /// The tokens of `users[i]`.
    tokens: Vec<Vec<TokenRecord>>,
}

impl UserScan {
    /// Every user of `users` with their tokens and the counts of their unused recovery codes.
    /// `scan_tokens` hands over the tokens one by one with their user's id, `scan_codes` the
    /// unused recovery codes likewise, each in any order. Joining here, rather than in SQL,
    /// keeps every read a plain sequential scan: a join picking each user's primary token, or
    /// a subquery counting each user's codes, costs B-tree searches per user (with ten codes a
    /// user, SQLite's counting subqueries took longer than all the rest of a listing). The
    /// tokens go straight to their user: no list of every token, no copy of every user id. The
    /// counts in `users` are replaced by the scan's.
    pub(crate) fn join(
        mut users: Vec<UserRow>,
        scan_tokens: impl FnOnce(&mut dyn FnMut(&str, TokenRecord)) -> Result<()>,
        scan_codes: impl FnOnce(&mut dyn FnMut(&str, UnusedCodes)) -> Result<()>,
    ) -> Result<UserScan> {
        let mut tokens: Vec<Vec<TokenRecord>> = Vec::new();
        tokens.resize_with(users.len(), Vec::new);
        let mut codes = vec![UnusedCodes::default(); users.len()];
        {
            let mut index = UserIndex::new(&users);
            // A token or code of no listed user cannot be (foreign keys): it is none of the
            // store.
            scan_tokens(&mut |user_id, token| {
                if let Some(i) = index.find(user_id) {
                    let user_tokens = &mut tokens[i];
                    // Most users have one token: room for one, not the four a first push makes.
                    if user_tokens.capacity() == 0 {
                        user_tokens.reserve_exact(1);
                    }
                    user_tokens.push(token);
                }
            })?;
            scan_codes(&mut |user_id, some| {
                if let Some(i) = index.find(user_id) {
                    codes[i].count = codes[i].count.saturating_add(some.count);
                    codes[i].legacy |= some.legacy;
                }
            })?;
        }
        for (u, codes) in users.iter_mut().zip(codes) {
            u.recovery_codes_left = codes.count;
            u.recovery_codes_legacy = codes.legacy;
        }
        Ok(UserScan {
            users: users.into_iter().map(Some).collect(),
            tokens,
        })
    }

    /// What `keep` makes of each user's record, for the records it keeps (`None`: left out),
    /// sorted by the users' names in byte order. The order is found over the rows, and each
    /// record is built once, in place: a listing of 100,000 users never moves its records
    /// around to sort them (whose names, in a real store, are in no particular order), nor
    /// builds those a filter leaves out. A user row without any token is no user of the store
    /// and is left out.
    pub(crate) fn records<T>(mut self, mut keep: impl FnMut(UserRecord) -> Option<T>) -> Vec<T> {
        let users = &self.users;
        let name = |i: usize| users[i].as_ref().map_or("", |u| u.user.as_str());
        // Each name's first bytes travel with its index, so that most comparisons read no
        // name: the names lie all over the heap, and chasing them was most of the sort.
        let mut order: Vec<(u128, usize)> = (0..users.len())
            .map(|i| (name_prefix(name(i)), i))
            .collect();
        // Names are unique: an unstable sort is the sort (and a store in name order, as
        // enroll and import of sorted names make it, is sorted in one pass).
        order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| name(a.1).cmp(name(b.1))));
        let mut kept = Vec::with_capacity(order.len());
        for (_, i) in order {
            let Some(user) = self.users[i].take() else {
                continue;
            };
            let tokens = std::mem::take(&mut self.tokens[i]);
            if let Some(t) = user.into_record(tokens).and_then(&mut keep) {
                kept.push(t);
            }
        }
        kept
    }
}

/// The first 16 bytes of `name`, zero-padded, as a big-endian number: names whose prefixes
/// differ are in the order of their prefixes (byte order), so only names with equal prefixes
/// need comparing in full.
fn name_prefix(name: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = name.len().min(16);
    bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

/// Finds users in a scan's order by id: first at the last one found or just after it (a user's
/// tokens are mostly stored in the users' own order, a user's codes together), then through a
/// map of every id, built at the first miss.
struct UserIndex<'a> {
    users: &'a [UserRow],
    last: usize,
    by_id: Option<std::collections::HashMap<&'a str, usize>>,
}

impl<'a> UserIndex<'a> {
    fn new(users: &'a [UserRow]) -> Self {
        UserIndex {
            users,
            last: 0,
            by_id: None,
        }
    }

    /// The position of the user whose id is `id`, if any.
    fn find(&mut self, id: &str) -> Option<usize> {
        let users = self.users;
        let i = [self.last, self.last + 1]
            .into_iter()
            .find(|&i| users.get(i).is_some_and(|u| u.id == id))
            .or_else(|| {
                let by_id = self.by_id.get_or_insert_with(|| {
                    users
                        .iter()
                        .enumerate()
                        .map(|(i, u)| (u.id.as_str(), i))
                        .collect()
                });
                by_id.get(id).copied()
            })?;
        self.last = i;
        Some(i)
    }
}

/// The users matching every condition of `query` (its time set: locks are judged then), by
/// name, with the `ciphertexts` asked for.
fn select_users(
    rows: &mut dyn Rows,
    query: &UserQuery,
    at: Timestamp,
    ciphertexts: Ciphertexts,
) -> Result<Vec<UserRecord>> {
    select_users_as(rows, query, at, ciphertexts, |u| u)
}

/// [`select_users`], each record made into what `wrap` makes of it as it is built.
fn select_users_as<T>(
    rows: &mut dyn Rows,
    query: &UserQuery,
    at: Timestamp,
    ciphertexts: Ciphertexts,
    mut wrap: impl FnMut(UserRecord) -> T,
) -> Result<Vec<T>> {
    Ok(rows
        .scan_users(ciphertexts)?
        .records(|u| query.matches(&u, at).then(|| wrap(u))))
}

/// The users matching `filter` at `at` that have a secret (pending or enabled), with their
/// ciphertexts, by name.
fn users_with_secrets(
    rows: &mut dyn Rows,
    filter: UserFilter,
    at: Timestamp,
) -> Result<Vec<UserRecord>> {
    let mut users = select_users(rows, &UserQuery::from(filter), at, Ciphertexts::All)?;
    users.retain(|u| u.secret.is_some());
    Ok(users)
}

/// [`Store::users_matching`] inside a transaction (the janitor's plan): locks judged at `at`.
pub(crate) fn users_matching(
    rows: &mut dyn Rows,
    query: &UserQuery,
    at: Timestamp,
) -> Result<Vec<UserRecord>> {
    select_users(rows, query, at, Ciphertexts::None)
}

/// Adapts a closure that returns a value to the backends' object-safe transaction callback.
fn run_tx<T>(
    run: impl FnOnce(&mut TxFn<'_>) -> Result<()>,
    f: impl FnOnce(&mut dyn Rows) -> Result<T>,
) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    run(&mut |rows| {
        let f = f.take().ok_or_else(|| Error::Store {
            message: "internal error: a transaction body ran twice".into(),
            source: None,
        })?;
        out = Some(f(rows)?);
        Ok(())
    })?;
    out.ok_or_else(|| Error::Store {
        message: "internal error: a transaction ended without running its body".into(),
        source: None,
    })
}

fn settings_from_rows(rows: &[(String, String)]) -> Result<Settings> {
    let mut settings = Settings::default();
    for (key, value) in rows {
        // Keys this build does not know are left for the build that wrote them.
        if let Ok(key) = key.parse::<SettingKey>() {
            settings.set(key, value)?;
        }
    }
    Ok(settings)
}

fn load_settings(rows: &mut dyn Rows) -> Result<Settings> {
    settings_from_rows(&rows.settings()?)
}

fn load_recipients(rows: &mut dyn Rows) -> Result<Vec<Recipient>> {
    rows.recipients()?
        .iter()
        .map(|r| Recipient::parse(r))
        .collect()
}

/// The user named `user` (NFC), or else the one stored under the name exactly as it was typed:
/// rows written before names were normalised may hold another form.
fn find_user(rows: &mut dyn Rows, user: &UserName, for_update: bool) -> Result<Option<UserRecord>> {
    if let Some(rec) = rows.user(user, for_update)? {
        return Ok(Some(rec));
    }
    match user.as_given() {
        Some(given) => rows.user(&given, for_update),
        None => Ok(None),
    }
}

/// Refuses `names` (not yet in the store) that look like another user's name, in the store or
/// earlier in `names`.
fn refuse_lookalikes(names: &[&str], index: &crate::names::NameIndex) -> Result<()> {
    if let Some((i, like)) = index.lookalikes(names).into_iter().next() {
        let existing = match like {
            crate::names::Lookalike::Existing(name) => name,
            crate::names::Lookalike::Earlier(j) => {
                names.get(j).map_or_else(String::new, |n| (*n).to_owned())
            }
        };
        return Err(Error::SimilarUser {
            user: names.get(i).map_or_else(String::new, |n| (*n).to_owned()),
            existing,
        });
    }
    Ok(())
}

fn require_user(rows: &mut dyn Rows, user: &UserName, for_update: bool) -> Result<UserRecord> {
    find_user(rows, user, for_update)?.ok_or_else(|| Error::UnknownUser {
        user: user.as_str().to_owned(),
        suggestions: Vec::new(),
    })
}

fn audit(
    rows: &mut dyn Rows,
    op: &Op,
    event: AuditEvent,
    user: Option<&UserName>,
    details: serde_json::Value,
) -> Result<()> {
    rows.audit(op, event, user, &details.to_string())
}

/// The hash of a new audit row after the row whose stored hash is `prev` (`None`: the first).
/// One audit row to append with [`Rows::audit_many`].
pub(crate) struct NewAudit<'a> {
    pub(crate) event: AuditEvent,
    pub(crate) user: Option<&'a UserName>,
    pub(crate) details: String,
}

pub(crate) fn chained_hash(
    prev: Option<&str>,
    row: &crate::audit::chain::RowContent<'_>,
) -> String {
    use crate::audit::chain;
    // A damaged predecessor (no valid hash) is chained over as if it were the start; `log
    // --verify` reports that row.
    let prev = prev.and_then(chain::from_hex).unwrap_or(chain::GENESIS);
    chain::to_hex(&chain::row_hash(&prev, row))
}

/// The hash of the row [`Rows::audit`] appends for `op` (with `id` and `at` as stored) after
/// the row whose hash is `prev`.
pub(crate) fn appended_hash(
    prev: Option<&str>,
    id: i64,
    at: &str,
    op: &Op,
    event: AuditEvent,
    user: Option<&str>,
    details: &str,
) -> String {
    chained_hash(
        prev,
        &crate::audit::chain::RowContent {
            id,
            at,
            event: event.as_str(),
            user,
            actor: &op.actor,
            details,
        },
    )
}

/// The schema version whose migration added the audit chain's `hash` column.
pub(crate) const CHAIN_VERSION: i64 = 2;

/// How many audit rows a chain walk reads at a time.
const CHAIN_BATCH: u32 = 5_000;

/// Chains every audit row in id order, once, for the migration that added the `hash` column.
pub(crate) fn chain_existing_rows(rows: &mut dyn Rows) -> Result<()> {
    let mut prev: Option<String> = None;
    let mut after = i64::MIN;
    loop {
        let batch = rows.audit_rows(after, CHAIN_BATCH)?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.id;
        for row in &batch {
            let hash = chained_hash(prev.as_deref(), &row.content());
            rows.set_audit_hash(row.id, &hash)?;
            prev = Some(hash);
        }
    }
}

/// `query` with its user as stored: a name stored before names were normalised is found under
/// the form it was typed in.
fn stored_user_query(rows: &mut dyn Rows, query: &AuditQuery) -> Result<AuditQuery> {
    if let Some(user) = &query.user {
        if rows.user(user, false)?.is_none() {
            if let Some(given) = user.as_given() {
                if rows.user(&given, false)?.is_some() {
                    return Ok(AuditQuery {
                        user: Some(given),
                        ..query.clone()
                    });
                }
            }
        }
    }
    Ok(query.clone())
}

/// Whether two recipient lists encrypt to the same keys (order does not matter).
fn same_recipients(a: &[Recipient], b: &[Recipient]) -> bool {
    let mut a: Vec<String> = a.iter().map(|r| r.to_string()).collect();
    let mut b: Vec<String> = b.iter().map(|r| r.to_string()).collect();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}

/// The enrollment as it will be stored: re-sealed to the recipients current under the lock when
/// they are not the ones it was encrypted to.
fn sealed_for_store<'e>(
    e: &'e Enrollment,
    sealed_to: &[Recipient],
    current: &[Recipient],
    reseal: Option<&mut Reseal<'_>>,
) -> Result<std::borrow::Cow<'e, Enrollment>> {
    if same_recipients(sealed_to, current) {
        return Ok(std::borrow::Cow::Borrowed(e));
    }
    let Some(reseal) = reseal else {
        return Err(Error::InvalidState {
            message: "the store's recipients changed (a rekey ran) after the secret was encrypted; encrypt it again to the current recipients".into(),
        });
    };
    let mut resealed = e.clone();
    resealed.ciphertext = reseal(e, current)?;
    Ok(std::borrow::Cow::Owned(resealed))
}

impl Store {
    /// Opens the existing store at `location`, migrating its schema forward if needed.
    pub fn open(location: &Location) -> Result<Store> {
        let backend: Box<dyn Backend> = match location.kind() {
            location::Kind::File(path) => Box::new(sqlite::SqliteBackend::open(path)?),
            #[cfg(feature = "postgres")]
            location::Kind::Postgres(pg) => Box::new(postgres::PgBackend::open(pg)?),
        };
        Ok(Store {
            backend,
            last_scrub: None,
            name_index: None,
        })
    }

    /// Warnings about a store file's ownership and permissions (as ssh gives for keys): the
    /// file or its directory writable by group or others, or owned by another user who is not
    /// root. Empty for a database URL and for a file that does not exist.
    pub fn permission_warnings(location: &Location) -> Vec<String> {
        match location.kind() {
            location::Kind::File(path) => file_perms::warnings(path),
            #[cfg(feature = "postgres")]
            location::Kind::Postgres(_) => Vec::new(),
        }
    }

    /// Refuses ([`Error::UnsafeLocation`]) a store file whose directory is world-writable
    /// without the sticky bit; [`Store::create`] checks it too.
    pub fn check_create_location(location: &Location) -> Result<()> {
        match location.kind() {
            location::Kind::File(path) => file_perms::check_create(path),
            #[cfg(feature = "postgres")]
            location::Kind::Postgres(_) => Ok(()),
        }
    }

    /// Whether a store exists at `location`: anything at a file path counts (it is not
    /// overwritten); a database counts when it holds mfactl's schema.
    pub fn exists(location: &Location) -> Result<bool> {
        match location.kind() {
            location::Kind::File(path) => Ok(std::fs::symlink_metadata(path).is_ok()),
            #[cfg(feature = "postgres")]
            location::Kind::Postgres(_) => match Store::open(location) {
                Ok(_) => Ok(true),
                Err(Error::StoreMissing { .. }) => Ok(false),
                Err(e) => Err(e),
            },
        }
    }

    /// Creates a new store at `location`: a file appears complete or not at all; a database
    /// gets mfactl's schema and first rows in one transaction. A store already there is
    /// [`Error::StoreExists`].
    pub fn create(location: &Location, op: &Op, init: &StoreInit) -> Result<Store> {
        if let Some(issuer) = &init.issuer {
            crate::model::validate_issuer(issuer)?;
        }
        let recipients: Vec<String> = init.recipients.iter().map(|r| r.to_string()).collect();
        Self::create_with(location, &mut |rows| {
            rows.replace_recipients(&recipients, op.now)?;
            if let Some(issuer) = &init.issuer {
                rows.put_setting(SettingKey::Issuer.as_str(), issuer)?;
            }
            audit(
                rows,
                op,
                AuditEvent::Init,
                None,
                json!({ "recipients": recipients, "schema_version": SCHEMA_VERSION }),
            )
        })
    }

    fn create_with(location: &Location, fill: &mut TxFn<'_>) -> Result<Store> {
        Self::check_create_location(location)?;
        let backend: Box<dyn Backend> = match location.kind() {
            location::Kind::File(path) => Box::new(sqlite::SqliteBackend::create(path, fill)?),
            #[cfg(feature = "postgres")]
            location::Kind::Postgres(pg) => Box::new(postgres::PgBackend::create(pg, fill)?),
        };
        Ok(Store {
            backend,
            last_scrub: None,
            name_index: None,
        })
    }

    /// Where the store is, for messages (a database password is masked).
    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// What became of the old copies of the ciphertexts the last change removed (`disable`,
    /// `rekey`, an enrollment that replaced a secret); `None` when no change of this `Store`
    /// removed one.
    pub fn last_scrub(&self) -> Option<&Scrub> {
        self.last_scrub.as_ref()
    }

    /// After a committed change that removed ciphertexts: scrub the store's files of them.
    /// The change stands whatever happens here; a failure leaves the scrub pending.
    fn scrub_after_erasure(&mut self) {
        let outcome = self.backend.scrub().unwrap_or_else(|e| Scrub::Pending {
            reason: e.to_string(),
        });
        self.last_scrub = Some(outcome);
    }

    fn read<T>(&mut self, f: impl FnOnce(&mut dyn Rows) -> Result<T>) -> Result<T> {
        let backend = &mut self.backend;
        run_tx(|body| backend.read(body), f)
    }

    fn write<T>(&mut self, lock: Lock, f: impl FnOnce(&mut dyn Rows) -> Result<T>) -> Result<T> {
        let backend = &mut self.backend;
        run_tx(
            |body| backend.write(lock, body),
            |rows| {
                let out = f(rows)?;
                hold_before_commit();
                Ok(out)
            },
        )
    }

    /// The settings, defaults filled in.
    pub fn settings(&mut self) -> Result<Settings> {
        self.read(load_settings)
    }

    /// Validates and changes one setting; returns the settings before and after. The audit
    /// row's details are `{"key", "value", "previous"}`, as `config set --json` prints them
    /// (rows written before 0.1's JSON conventions say `old`/`new`, with string values).
    pub fn set_setting(
        &mut self,
        op: &Op,
        key: SettingKey,
        value: &str,
    ) -> Result<(Settings, Settings)> {
        self.write(Lock::Store, |rows| {
            let before = load_settings(rows)?;
            let mut after = before.clone();
            after.set(key, value)?;
            rows.put_setting(key.as_str(), &after.get(key))?;
            audit(
                rows,
                op,
                AuditEvent::ConfigSet,
                None,
                json!({
                    "key": key.json_name(),
                    "value": after.json_value(key),
                    "previous": before.json_value(key),
                }),
            )?;
            Ok((before, after))
        })
    }

    /// The recipients new secrets are encrypted to.
    pub fn recipients(&mut self) -> Result<Vec<Recipient>> {
        self.read(load_recipients)
    }

    /// The similarity keys of every stored name, for the look-alike check of enroll and import
    /// (`None` when it is not wanted). Computing them is the check's expensive part: it runs
    /// before the store's lock is taken, so that other commands do not wait for it; under the
    /// lock only names added meanwhile are indexed.
    fn name_index(&mut self, allow_similar: bool) -> Result<Option<crate::names::NameIndex>> {
        if allow_similar {
            return Ok(None);
        }
        if let Some(index) = self.name_index.take() {
            return Ok(Some(index));
        }
        let names = self.read(|rows| rows.user_names())?;
        Ok(Some(crate::names::NameIndex::new(&names)))
    }

    /// One user, with their encrypted secret.
    pub fn user(&mut self, user: &UserName) -> Result<Option<UserRecord>> {
        self.read(|rows| find_user(rows, user, false))
    }

    /// For each of `names` that is not yet in the store and looks like another user's name (in
    /// the store, or earlier in `names`), its index and that name ([`crate::names::find_lookalikes`]):
    /// the check [`Store::enroll`] and [`Store::import`] make, for reporting every case at once.
    pub fn lookalikes(
        &mut self,
        names: &[&UserName],
    ) -> Result<Vec<(usize, crate::names::Lookalike)>> {
        let (index, found) = self.read(|rows| {
            let existing = rows.user_names()?;
            let stored: std::collections::HashSet<&str> =
                existing.iter().map(String::as_str).collect();
            let new: Vec<(usize, &str)> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| !stored.contains(n.as_str()))
                .map(|(i, n)| (i, n.as_str()))
                .collect();
            let texts: Vec<&str> = new.iter().map(|(_, n)| *n).collect();
            let index = crate::names::NameIndex::new(&existing);
            let found = index
                .lookalikes(&texts)
                .into_iter()
                .map(|(i, like)| {
                    let like = match like {
                        crate::names::Lookalike::Earlier(j) => {
                            crate::names::Lookalike::Earlier(new[j].0)
                        }
                        other => other,
                    };
                    (new[i].0, like)
                })
                .collect();
            Ok((index, found))
        })?;
        // The import that follows reuses these keys instead of computing them again.
        self.name_index = Some(index);
        Ok(found)
    }

    /// Every user's name exactly as stored, sorted (for suggesting a name that was mistyped).
    pub fn user_names(&mut self) -> Result<Vec<String>> {
        let mut names = self.read(|rows| rows.user_names())?;
        names.sort();
        Ok(names)
    }

    /// One user, or [`Error::UnknownUser`].
    pub fn require_user(&mut self, user: &UserName) -> Result<UserRecord> {
        self.read(|rows| require_user(rows, user, false))
    }

    /// Users matching `filter`, sorted by name, without secrets (never decrypts anything).
    /// [`UserFilter::Locked`] is judged now.
    pub fn users(&mut self, filter: UserFilter) -> Result<Vec<UserRecord>> {
        let now = Timestamp::now();
        self.read(|rows| select_users(rows, &UserQuery::from(filter), now, Ciphertexts::None))
    }

    /// Users matching every condition of `query` ([`UserQuery::matches`]), sorted by name,
    /// without secrets. Locks are judged at `query.at` (now if `None`).
    pub fn users_matching(&mut self, query: &UserQuery) -> Result<Vec<UserRecord>> {
        let at = query.at.unwrap_or_else(Timestamp::now);
        self.read(|rows| users_matching(rows, query, at))
    }

    /// [`Store::users_matching`] with the ciphertexts of short secrets only
    /// ([`Ciphertexts::ShortOnly`]: what a listing flags), locks judged at `at`, each record
    /// made into what `wrap` makes of it (which drops the ciphertexts) as it is built.
    pub(crate) fn users_matching_sealed<T>(
        &mut self,
        query: &UserQuery,
        at: Timestamp,
        wrap: impl FnMut(UserRecord) -> T,
    ) -> Result<Vec<T>> {
        self.read(|rows| select_users_as(rows, query, at, Ciphertexts::ShortOnly, wrap))
    }

    /// The janitor's plan at `now` (nothing changes).
    pub fn janitor_plan(
        &mut self,
        policy: &crate::janitor::Policy,
        now: Timestamp,
    ) -> Result<crate::janitor::Plan> {
        self.read(|rows| {
            let settings = load_settings(rows)?;
            crate::janitor::plan(rows, &settings, policy, now)
        })
    }

    /// Applies the janitor's rules in one transaction under the store's lock: the plan is
    /// recomputed there (what it returns is what was done), every user in it changed, one audit
    /// row each. Any error leaves the store unchanged.
    pub fn janitor_apply(
        &mut self,
        op: &Op,
        policy: &crate::janitor::Policy,
    ) -> Result<crate::janitor::Plan> {
        let plan = self.write(Lock::Store, |rows| {
            let settings = load_settings(rows)?;
            let plan = crate::janitor::plan(rows, &settings, policy, op.now)?;
            crate::janitor::apply(rows, op, &plan)?;
            Ok(plan)
        })?;
        if plan
            .actions
            .iter()
            .any(|p| p.action != crate::janitor::Action::Remove)
        {
            self.scrub_after_erasure();
        }
        Ok(plan)
    }

    /// Users matching `filter` who have a secret (pending and enabled), with their encrypted
    /// secrets, sorted by name.
    pub fn secrets(&mut self, filter: UserFilter) -> Result<Vec<UserRecord>> {
        self.secrets_at(filter, Timestamp::now())
    }

    /// [`Store::secrets`], with [`UserFilter::Locked`] judged at `now`.
    pub fn secrets_at(&mut self, filter: UserFilter, now: Timestamp) -> Result<Vec<UserRecord>> {
        self.read(|rows| users_with_secrets(rows, filter, now))
    }

    /// Stores a new secret for `enrollment.user`, encrypted to `sealed_to`. A pending or
    /// enabled user is refused with [`Error::AlreadyEnrolled`] unless `force`; a disabled user
    /// is enrolled again, and so is a pending one whose enrollment expired (`pending-ttl`). A name not yet in the store must pass [`UserName::check_new`], and
    /// one that looks like another user's is [`Error::SimilarUser`] unless `allow_similar`. If the store's recipients are no longer `sealed_to` (a rekey committed
    /// meanwhile), `reseal` encrypts the secret again to the current ones, under the lock;
    /// without `reseal` that is [`Error::InvalidState`] and nothing is stored.
    pub fn enroll(
        &mut self,
        op: &Op,
        enrollment: &Enrollment,
        force: bool,
        sealed_to: &[Recipient],
        reseal: Option<&mut Reseal<'_>>,
        allow_similar: bool,
    ) -> Result<EnrollOutcome> {
        self.enroll_with(
            op,
            enrollment,
            EnrollWith {
                force,
                sealed_to,
                reseal,
                allow_similar,
                bundle_sealed_to: &[],
            },
        )
    }

    /// [`Store::enroll`], with its options in one place; `bundle_sealed_to` (the fingerprints
    /// of the keys a pairing bundle was sealed to, `enroll --seal-to`) goes into the audit row
    /// as `"sealed": true, "sealed_to": [...]`.
    pub fn enroll_with(
        &mut self,
        op: &Op,
        enrollment: &Enrollment,
        options: EnrollWith<'_, '_>,
    ) -> Result<EnrollOutcome> {
        let EnrollWith {
            force,
            sealed_to,
            reseal,
            allow_similar,
            bundle_sealed_to,
        } = options;
        let e = enrollment;
        let mut index = self.name_index(allow_similar)?;
        let outcome = self.write(Lock::Store, |rows| {
            let existing = rows.user(&e.user, true)?;
            if existing.is_none() {
                e.user.check_new()?;
                if let Some(index) = index.as_mut() {
                    index.add_missing(&rows.user_names()?);
                    refuse_lookalikes(&[e.user.as_str()], index)?;
                }
            }
            // A pending enrollment past pending-ttl can no longer be confirmed: replacing it
            // loses nothing, so it needs no --force.
            let settings = load_settings(rows)?;
            let ttl = settings.pending_ttl();
            let tokens = existing.as_ref().map_or(&[][..], |r| &r.tokens[..]);
            let token = tokens.iter().find(|t| t.label == e.label);
            let expired = token.is_some_and(|t| t.pending_expired(ttl, op.now));
            let outcome = match token.map(|t| t.status) {
                None => EnrollOutcome::New,
                Some(Status::Disabled) => EnrollOutcome::Reenrolled,
                Some(status) if force || expired => EnrollOutcome::Replaced(status),
                Some(status) => {
                    return Err(already_enrolled(&e.user, &e.label, status));
                }
            };
            // The other tokens that are not disabled: the user keeps them, their lockout state
            // and their recovery codes.
            let others_live = tokens
                .iter()
                .filter(|t| t.label != e.label && t.status != Status::Disabled)
                .count();
            let max = settings.max_tokens() as usize;
            if others_live + 1 > max {
                return Err(too_many_tokens(&e.user, others_live, max));
            }
            let current = load_recipients(rows)?;
            let e = sealed_for_store(e, sealed_to, &current, reseal)?;
            if token.is_some_and(|t| t.secret.is_some()) {
                rows.note_erasure()?;
            }
            rows.put_secret(
                op,
                &e,
                existing.as_ref().map(|r| r.id.as_str()),
                others_live == 0,
            )?;
            let mut details = json!({
                "algorithm": e.params.algorithm(),
                "digits": e.params.digits(),
                "period": e.params.period(),
                "issuer": e.issuer,
                "previous_status": token.map(|t| t.status.as_str()),
            });
            if e.label.as_str() != TokenLabel::DEFAULT {
                details["token"] = e.label.as_str().into();
            }
            if !bundle_sealed_to.is_empty() {
                details["sealed"] = true.into();
                details["sealed_to"] = bundle_sealed_to.into();
            }
            let event = match outcome {
                EnrollOutcome::Replaced(_) => AuditEvent::Reenroll,
                _ => AuditEvent::Enroll,
            };
            audit(rows, op, event, Some(&e.user), details)?;
            Ok(outcome)
        })?;
        if matches!(outcome, EnrollOutcome::Replaced(_)) {
            self.scrub_after_erasure();
        }
        Ok(outcome)
    }

    /// Enrolls many tokens in one transaction: all or nothing. A user may get several (each
    /// label once); a token whose label is live for its user is refused with
    /// [`Error::AlreadyEnrolled`], a disabled one is enrolled again, a new label is added to
    /// an existing user within the `max-tokens` setting. New names follow the rules of [`Store::enroll`] (look-alikes of each other
    /// count too). Ciphertexts not made for the store's current recipients are re-sealed, as in
    /// [`Store::enroll`].
    pub fn import(
        &mut self,
        op: &Op,
        enrollments: &[Enrollment],
        sealed_to: &[Recipient],
        mut reseal: Option<&mut Reseal<'_>>,
        allow_similar: bool,
    ) -> Result<()> {
        let mut index = self.name_index(allow_similar)?;
        self.write(Lock::Store, |rows| {
            let current = load_recipients(rows)?;
            let names = rows.user_names()?;
            let stored: std::collections::HashSet<&str> =
                names.iter().map(String::as_str).collect();
            // Each new name once: a user's further tokens do not look like the user.
            let mut new: Vec<&str> = Vec::new();
            for n in enrollments.iter().map(|e| e.user.as_str()) {
                if !stored.contains(n) && !new.contains(&n) {
                    new.push(n);
                }
            }
            for e in enrollments {
                if !stored.contains(e.user.as_str()) {
                    e.user.check_new()?;
                }
            }
            if let Some(index) = index.as_mut() {
                index.add_missing(&names);
                refuse_lookalikes(&new, index)?;
            }
            let max = load_settings(rows)?.max_tokens() as usize;
            for e in enrollments {
                // Read again for each entry: it sees the tokens the import already added.
                let existing = rows.user(&e.user, true)?;
                let tokens = existing.as_ref().map_or(&[][..], |r| &r.tokens[..]);
                let token = tokens.iter().find(|t| t.label == e.label);
                if let Some(t) = token.filter(|t| t.status != Status::Disabled) {
                    return Err(already_enrolled(&e.user, &e.label, t.status));
                }
                let others_live = tokens
                    .iter()
                    .filter(|t| t.label != e.label && t.status != Status::Disabled)
                    .count();
                if others_live + 1 > max {
                    return Err(too_many_tokens(&e.user, others_live, max));
                }
                let e = sealed_for_store(e, sealed_to, &current, reseal.as_deref_mut())?;
                rows.put_secret(
                    op,
                    &e,
                    existing.as_ref().map(|r| r.id.as_str()),
                    others_live == 0,
                )?;
                let mut details = json!({
                    "status": e.status,
                    "algorithm": e.params.algorithm(),
                    "digits": e.params.digits(),
                    "period": e.params.period(),
                    "issuer": e.issuer,
                });
                if e.label.as_str() != TokenLabel::DEFAULT {
                    details["token"] = e.label.as_str().into();
                }
                audit(rows, op, AuditEvent::Import, Some(&e.user), details)?;
            }
            Ok(())
        })
    }

    /// Verifies under the user's row lock: loads the user, asks `decide` for the verdict of
    /// each of the user's live tokens (it decrypts and checks the code; the record it gets has
    /// that token's fields, [`UserRecord::for_token`]), and records the best one: an accept
    /// wins, else a replay (not counted as a failure) over a wrong code. Failures and the lock
    /// are the user's: one wrong code is one failure, however many tokens it missed. Two
    /// concurrent verifications of one code are serialized, so at most one is accepted.
    pub fn verify(
        &mut self,
        op: &Op,
        user: &UserName,
        decide: &mut dyn FnMut(&UserRecord, &Settings) -> Result<Verdict>,
    ) -> Result<VerifyResult> {
        self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            let settings = load_settings(rows)?;
            let mut live: Vec<UserRecord> = rec
                .tokens
                .iter()
                .filter(|t| t.status != Status::Disabled)
                .map(|t| rec.for_token(t))
                .collect();
            if live.is_empty() {
                // No live token: the user as stored (disabled), which `decide` refuses as such.
                live.push(rec.clone());
            }
            let tried = live.len();
            let mut judged: Vec<(u8, UserRecord, Verdict)> = Vec::with_capacity(tried);
            let mut malformed = None;
            for view in live {
                let verdict = match decide(&view, &settings) {
                    Ok(v) => v,
                    // A code of the wrong length for this token (tokens may differ in digits)
                    // is a wrong code for it, unless it is wrong for every token.
                    Err(e @ Error::InvalidInput { .. }) => {
                        malformed.get_or_insert(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                judged.push((verdict_rank(verdict), view, verdict));
            }
            // The best verdict; of equal ones, the first token's (by label).
            let best = (0..judged.len()).min_by_key(|&i| judged[i].0);
            match best {
                Some(i) => {
                    let (_, view, verdict) = judged.remove(i);
                    let result = apply_token_verdict(rows, op, &rec, &view, &settings, verdict)?;
                    if result.rejected.is_none() {
                        // A code that other tokens accept too (one secret held under two
                        // labels) is used up on all of them: it cannot be replayed through
                        // another label.
                        for (_, other, verdict) in &judged {
                            if let Verdict::Accept { step } = verdict {
                                rows.raise_replay_mark(&other.token_id, *step)?;
                            }
                        }
                    }
                    Ok(result)
                }
                None => Err(malformed.unwrap_or_else(|| Error::Store {
                    message: format!("no verdict for any of {tried} tokens"),
                    source: None,
                })),
            }
        })
    }

    /// Resynchronises the user's token under the user's row lock: loads the user, asks
    /// `decide` where two consecutive codes are (it decrypts and searches), and records it.
    ///
    /// Found within `max-drift` steps of now: the token's drift becomes the second code's
    /// offset, and the replay mark moves to its step (never backwards: a second code at or
    /// before the mark is refused as replayed, and neither code can be used again). It is not a
    /// login: the status, the failure count and the last-used time stay as they are. Found
    /// beyond `max-drift`: refused, not counted (two consecutive codes are no guess). Not found:
    /// a wrong code, counted as a failure (it may lock the user). Every outcome writes one
    /// `resync` audit row (never the codes).
    pub fn resync(
        &mut self,
        op: &Op,
        user: &UserName,
        label: Option<&TokenLabel>,
        decide: &mut dyn FnMut(&UserRecord, &Settings) -> Result<crate::totp::ResyncVerdict>,
    ) -> Result<ResyncResult> {
        self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            // The token's view: its replay mark and drift, the user's lockout state.
            let (view, _) = token_view(&rec, label)?;
            let settings = load_settings(rows)?;
            let verdict = decide(&view, &settings)?;
            apply_resync(rows, op, &view, &settings, verdict)
        })
    }

    /// Consumes the user's unused recovery code that `code` matches, atomically, or counts a
    /// failure.
    pub fn use_recovery_code(
        &mut self,
        op: &Op,
        user: &UserName,
        code: &TypedCode,
    ) -> Result<VerifyResult> {
        self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            let settings = load_settings(rows)?;
            let rejected = if rec.status == Status::Disabled {
                Some(RejectReason::Disabled)
            } else if rec.is_locked_at(op.now) {
                Some(RejectReason::Locked)
            } else if let Some(stored) = rows
                .unused_recovery_codes(&rec.id)?
                .into_iter()
                .find(|stored| code.matches(stored))
            {
                if rows.claim_recovery_code(&rec.id, &stored, op.now)? {
                    None
                } else {
                    Some(RejectReason::Invalid)
                }
            } else {
                Some(RejectReason::Invalid)
            };
            match rejected {
                None => {
                    rows.recovery_code_accepted(&rec.id, op.now)?;
                    audit(
                        rows,
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
                        token: None,
                        locked_until: None,
                        at: op.now,
                        clock_offset_seconds: None,
                    })
                }
                Some(reason) => record_rejection(rows, op, &rec, &settings, reason),
            }
        })
    }

    /// Replaces the user's recovery codes with these hashes (enabled users only).
    pub fn set_recovery_codes(
        &mut self,
        op: &Op,
        user: &UserName,
        hashes: &[Vec<u8>],
    ) -> Result<()> {
        self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            if rec.status != Status::Enabled {
                return Err(Error::InvalidState {
                    message: format!(
                        "user {} is {}; recovery codes are issued only to enabled users",
                        crate::names::quoted(rec.user.as_str()),
                        rec.status
                    ),
                });
            }
            rows.replace_recovery_codes(&rec.id, hashes, op.now)?;
            audit(
                rows,
                op,
                AuditEvent::RecoveryCodes,
                Some(&rec.user),
                json!({ "count": hashes.len(), "replaced": rec.recovery_codes_left }),
            )
        })
    }

    /// Disables MFA: status disabled, secret and recovery codes erased. Returns false when
    /// the user was already disabled (nothing changes).
    pub fn disable(&mut self, op: &Op, user: &UserName, reason: Option<&str>) -> Result<bool> {
        let changed = self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            if rec.status == Status::Disabled {
                return Ok(false);
            }
            rows.note_erasure()?;
            rows.disable(&rec.id, op.now)?;
            audit(
                rows,
                op,
                AuditEvent::Disable,
                Some(&rec.user),
                json!({ "reason": reason, "previous_status": rec.status }),
            )?;
            Ok(true)
        })?;
        if changed {
            self.scrub_after_erasure();
        }
        Ok(changed)
    }

    /// Disables the token `label` of `user` (`disable --token`): its secret is erased. If it
    /// was the user's last live token, the user is disabled as [`Store::disable`] does
    /// (recovery codes erased, lock cleared). Returns false when the token was already
    /// disabled; a label the user has none of is [`Error::InvalidInput`], naming their labels.
    pub fn disable_token(
        &mut self,
        op: &Op,
        user: &UserName,
        label: &TokenLabel,
        reason: Option<&str>,
    ) -> Result<bool> {
        let changed = self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            let token = rec
                .tokens
                .iter()
                .find(|t| &t.label == label)
                .ok_or_else(|| no_such_token(&rec, label))?;
            if token.status == Status::Disabled {
                return Ok(false);
            }
            let others_live = rec
                .tokens
                .iter()
                .filter(|t| t.id != token.id && t.status != Status::Disabled)
                .count();
            rows.note_erasure()?;
            if others_live == 0 {
                rows.disable(&rec.id, op.now)?;
            } else {
                rows.disable_token(&rec.id, &token.id, op.now)?;
            }
            audit(
                rows,
                op,
                AuditEvent::Disable,
                Some(&rec.user),
                json!({
                    "reason": reason,
                    "previous_status": token.status,
                    "token": label,
                    "user_disabled": others_live == 0,
                }),
            )?;
            Ok(true)
        })?;
        if changed {
            self.scrub_after_erasure();
        }
        Ok(changed)
    }

    /// Clears a lockout, the failure count and the count of lockouts (so the next timed lock
    /// is a first one again). Returns false when there was nothing to clear.
    pub fn unlock(&mut self, op: &Op, user: &UserName) -> Result<bool> {
        self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            if LockState::of(&rec) == LockState::CLEAR {
                return Ok(false);
            }
            rows.unlock(&rec.id, op.now)?;
            audit(
                rows,
                op,
                AuditEvent::Unlock,
                Some(&rec.user),
                json!({
                    "was_locked": rec.is_locked_at(op.now),
                    "failures": rec.failures,
                    "lockouts": rec.lockouts,
                }),
            )?;
            Ok(true)
        })
    }

    /// A sensitive read of one user (show-qr), judged and audited in one transaction under the
    /// user's row lock: `show` gets the user's record as it is under the lock, decides (it may
    /// refuse), prepares what it shows and returns it with the audit row's details. A change to
    /// the user (a confirming verify, a disable) waits for the lock, so the status `show` judged
    /// by is the status the audit row records. Nothing is recorded when `show` fails.
    pub fn audited_read<T>(
        &mut self,
        op: &Op,
        user: &UserName,
        event: AuditEvent,
        show: impl FnOnce(&UserRecord) -> Result<(T, serde_json::Value)>,
    ) -> Result<T> {
        self.write(Lock::User, |rows| {
            let rec = require_user(rows, user, true)?;
            let (out, details) = show(&rec)?;
            audit(rows, op, event, Some(&rec.user), details)?;
            Ok(out)
        })
    }

    /// Records a sensitive read (show-qr, export) in the audit log.
    pub fn record(
        &mut self,
        op: &Op,
        event: AuditEvent,
        user: Option<&UserName>,
        details: serde_json::Value,
    ) -> Result<()> {
        self.write(Lock::User, |rows| audit(rows, op, event, user, details))
    }

    /// Reads the audit log, newest first. A user is looked up as [`Store::user`] does, so that
    /// a name stored before names were normalised finds its rows.
    pub fn audit_log(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.read(|rows| {
            let query = stored_user_query(rows, query)?;
            rows.audit_log(&query)
        })
    }

    /// For following the log: up to `limit` rows matching `query` (its limit aside) after the
    /// row `after` (`None`: from the start), oldest first, in one short read transaction. Ids
    /// grow in commit order (appends take turns until commit), so polling with the last id seen
    /// misses nothing.
    pub fn audit_after(
        &mut self,
        query: &AuditQuery,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        self.read(|rows| {
            let query = stored_user_query(rows, query)?;
            rows.audit_after(&query, after.unwrap_or(i64::MIN), limit)
        })
    }

    /// The audit chain's last row, `ID:HASH` (`None` for an empty log).
    pub fn audit_head(&mut self) -> Result<Option<crate::audit::chain::ChainHead>> {
        self.read(|rows| {
            Ok(rows
                .audit_tail()?
                .map(|(id, hash)| crate::audit::chain::ChainHead {
                    id,
                    hash: hash.unwrap_or_default(),
                }))
        })
    }

    /// Recomputes the audit chain from the first row, in one consistent snapshot; with an
    /// `anchor` (a head kept elsewhere earlier), that row must still be there with that hash.
    pub fn verify_audit_chain(
        &mut self,
        anchor: Option<crate::audit::chain::ChainHead>,
    ) -> Result<crate::audit::chain::ChainReport> {
        self.read(|rows| {
            let mut verifier = crate::audit::chain::Verifier::new(anchor.clone());
            let mut after = i64::MIN;
            loop {
                let batch = rows.audit_rows(after, CHAIN_BATCH)?;
                let Some(last) = batch.last() else {
                    break;
                };
                after = last.id;
                for row in &batch {
                    verifier.push(&row.content(), row.hash.as_deref());
                }
            }
            Ok(verifier.finish())
        })
    }

    /// Re-encrypts every secret in one transaction: `reencrypt` maps each ciphertext to the
    /// new one; any error leaves the store unchanged. Replaces the recipient list.
    pub fn rekey(
        &mut self,
        op: &Op,
        recipients: &[Recipient],
        reencrypt: &mut dyn FnMut(&StoredSecret) -> Result<Vec<u8>>,
    ) -> Result<usize> {
        let count = self.write(Lock::Store, |rows| {
            // Every token's secret, of every user that has one.
            let secrets = token_secrets(rows.all_users(Ciphertexts::All)?);
            if !secrets.is_empty() {
                rows.note_erasure()?;
            }
            for stored in &secrets {
                let ct = reencrypt(stored)?;
                if !rows.replace_secret(&stored.user, &stored.ciphertext, &ct)? {
                    // The store's lock excludes every writer of secrets: this cannot happen
                    // unless something outside mfactl edits the store.
                    return Err(Error::Store {
                        message: format!(
                            "the secret of {} changed during the rekey; nothing was changed",
                            crate::names::quoted(stored.user.as_str())
                        ),
                        source: None,
                    });
                }
            }
            let names: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
            rows.replace_recipients(&names, op.now)?;
            audit(
                rows,
                op,
                AuditEvent::Rekey,
                None,
                json!({ "secrets": secrets.len(), "recipients": names }),
            )?;
            Ok(secrets.len())
        })?;
        if count > 0 {
            self.scrub_after_erasure();
        }
        Ok(count)
    }

    /// Copies everything in this store (ciphertexts as they are, recipients, settings,
    /// recovery-code hashes, the audit log with its ids) into a new store at `target`, in one
    /// transaction there, and appends a `copy-store` audit row to the copy. A target that holds a
    /// store already is refused and left untouched. Returns what was copied, counted again in
    /// the target.
    pub fn copy_to(&mut self, op: &Op, target: &Location) -> Result<RowCounts> {
        let mut dump = self.read(|rows| rows.dump())?;
        // A pending scrub is this file's business, not the copy's.
        dump.settings.retain(|(k, _)| k != SCRUB_PENDING_KEY);
        let expected = dump.counts();
        let from = self.location();
        let mut copy = Self::create_with(target, &mut |rows| {
            rows.load(&dump)?;
            audit(
                rows,
                op,
                AuditEvent::CopyStore,
                None,
                json!({ "from": from, "copied": expected }),
            )
        })?;
        let mut found = copy.read(|rows| rows.counts())?;
        // The copy's own audit row is not part of what was copied.
        found.audit_rows = found.audit_rows.saturating_sub(1);
        if found != expected {
            return Err(Error::Store {
                message: format!(
                    "the copy at {} does not hold what was copied (expected {expected:?}, found {found:?}); remove it and try again",
                    copy.location()
                ),
                source: None,
            });
        }
        Ok(found)
    }
}

/// A test hook, in debug builds only: with `MFACTL_TEST_HOLD_BEFORE_COMMIT` naming a FIFO, a
/// write transaction that ran every statement opens the FIFO for reading before it commits, and
/// waits there until the writer closes it. A crash test opening the FIFO for writing therefore
/// knows, without sleeping, that the process is inside a write transaction with its changes
/// made and not committed, and kills it there. Release builds have no such hook.
#[cfg(debug_assertions)]
fn hold_before_commit() {
    use std::io::Read;
    if let Some(path) = std::env::var_os("MFACTL_TEST_HOLD_BEFORE_COMMIT") {
        if let Ok(mut fifo) = std::fs::File::open(path) {
            let mut byte = [0u8; 1];
            let _ = fifo.read(&mut byte);
        }
    }
}

#[cfg(not(debug_assertions))]
fn hold_before_commit() {}

/// `rec` as its token `label` ([`UserRecord::for_token`]) with that label; without a label,
/// its only live token (none live: `rec` as it is, which is disabled; several: an error
/// listing them).
pub(crate) fn token_view(
    rec: &UserRecord,
    label: Option<&TokenLabel>,
) -> Result<(UserRecord, Option<TokenLabel>)> {
    let token = match label {
        Some(label) => Some(
            rec.tokens
                .iter()
                .find(|t| &t.label == label)
                .ok_or_else(|| no_such_token(rec, label))?,
        ),
        None => {
            let live: Vec<_> = rec
                .tokens
                .iter()
                .filter(|t| t.status != Status::Disabled)
                .collect();
            match live.as_slice() {
                [] => None,
                [one] => Some(*one),
                several => {
                    let labels: Vec<&str> = several.iter().map(|t| t.label.as_str()).collect();
                    return Err(Error::invalid(
                        "token",
                        format!(
                            "user {} has {} live tokens ({}): choose one with --token LABEL",
                            crate::names::quoted(rec.user.as_str()),
                            several.len(),
                            labels.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    Ok(match token {
        Some(t) => (rec.for_token(t), Some(t.label.clone())),
        None => (rec.clone(), None),
    })
}

/// Every token's ciphertext of `records` (a user may have several), user by user.
pub(crate) fn token_secrets(records: Vec<UserRecord>) -> Vec<StoredSecret> {
    records
        .into_iter()
        .flat_map(|rec| {
            let user = rec.user;
            rec.tokens.into_iter().filter_map(move |t| {
                t.secret.map(|ciphertext| StoredSecret {
                    user: user.clone(),
                    ciphertext,
                })
            })
        })
        .collect()
}

/// The error for a label `rec` has no token of, listing the labels it has.
pub(crate) fn no_such_token(rec: &UserRecord, label: &TokenLabel) -> Error {
    let labels: Vec<&str> = rec.tokens.iter().map(|t| t.label.as_str()).collect();
    Error::invalid(
        "token",
        format!(
            "user {} has no token {label} (tokens: {})",
            crate::names::quoted(rec.user.as_str()),
            labels.join(", ")
        ),
    )
}

/// How a verdict ranks among a user's tokens' (lower wins): an accept, then a replay (the code
/// is a real one, seen before: not counted), then a wrong code, then the rest.
fn verdict_rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Accept { .. } => 0,
        Verdict::Reject(RejectReason::Replayed) => 1,
        // A wrong code that is the token's code for another time carries the clock hint.
        Verdict::ClockOff { .. } => 2,
        Verdict::Reject(RejectReason::Invalid) => 3,
        Verdict::Reject(RejectReason::Expired) => 4,
        Verdict::Reject(RejectReason::Locked) => 5,
        Verdict::Reject(RejectReason::Disabled) => 6,
        Verdict::Reject(RejectReason::DriftTooLarge) => 7,
    }
}

/// Records `verdict`, given for the token `view` describes ([`UserRecord::for_token`]), on
/// the user `rec`: the result names the token when the code matched it, and carries the
/// user's status.
fn apply_token_verdict(
    rows: &mut dyn Rows,
    op: &Op,
    rec: &UserRecord,
    view: &UserRecord,
    settings: &Settings,
    verdict: Verdict,
) -> Result<VerifyResult> {
    let label = rec
        .tokens
        .iter()
        .find(|t| t.id == view.token_id)
        .map(|t| t.label.clone());
    let mut result = apply_verdict(rows, op, view, settings, verdict, label.as_ref())?;
    if result.rejected.is_some() {
        result.status = rec.status;
    }
    if matches!(result.rejected, None | Some(RejectReason::Replayed)) {
        result.token = label;
    }
    Ok(result)
}

/// [`Error::AlreadyEnrolled`] for the live token `label` of `user` (the message names a label
/// other than `default`). The facade refuses early with it; the store again, under its lock.
pub(crate) fn already_enrolled(user: &UserName, label: &TokenLabel, status: Status) -> Error {
    Error::AlreadyEnrolled {
        user: user.as_str().to_owned(),
        status: if label.as_str() == TokenLabel::DEFAULT {
            status.to_string()
        } else {
            format!("{status} (token {label})")
        },
    }
}

/// The refusal of one token more than `max-tokens` allows.
fn too_many_tokens(user: &UserName, live: usize, max: usize) -> Error {
    let name = crate::names::quoted(user.as_str());
    Error::InvalidState {
        message: format!(
            "user {name} has {live} tokens that are not disabled, and the setting max-tokens \
             allows {max}: disable one (mfactl disable {name} --token LABEL) or raise the \
             setting (mfactl config set max-tokens N)"
        ),
    }
}

fn apply_verdict(
    rows: &mut dyn Rows,
    op: &Op,
    rec: &UserRecord,
    settings: &Settings,
    verdict: Verdict,
    label: Option<&TokenLabel>,
) -> Result<VerifyResult> {
    // The token the code matched, in the audit rows of an acceptance.
    let details = match label {
        Some(label) => json!({ "token": label }),
        None => json!({}),
    };
    match verdict {
        // The pending-ttl rule holds whatever the caller decided: an expired pairing is never
        // confirmed (op.now is the command's one clock reading).
        Verdict::Accept { .. } if rec.pending_expired(settings.pending_ttl(), op.now) => {
            record_rejection(rows, op, rec, settings, RejectReason::Expired)
        }
        Verdict::Accept { step } => {
            // The token's drift becomes this code's offset from now (op.now, the command's one
            // clock reading), bounded by max-drift, whatever the caller decided.
            let drift = crate::totp::drift_after(step, now_step(op, rec), settings.max_drift());
            // The guard repeats the replay and lock rules in the statement, so the row can never
            // record an older step or a locked user's success, whatever the caller decided.
            if !rows.accept_step(&rec.id, &rec.token_id, step, drift, op.now)? {
                return record_rejection(rows, op, rec, settings, RejectReason::Replayed);
            }
            // A success clears the user's failures, lock and lockouts. A user with none of them
            // keeps its row as it is: no write of it (one page fewer to journal on SQLite, no
            // new row version on PostgreSQL). `rec` was read under the write lock.
            if LockState::of(rec) != LockState::CLEAR {
                rows.set_lock_state(&rec.id, &LockState::CLEAR, op.now)?;
            }
            let confirmed = rec.status == Status::Pending;
            // A moved window is recorded with the acceptance that moved it.
            let mut details = details;
            if drift != rec.drift {
                details["drift"] = drift.into();
                details["previous_drift"] = rec.drift.into();
            }
            audit(
                rows,
                op,
                AuditEvent::VerifyAccepted,
                Some(&rec.user),
                details.clone(),
            )?;
            if confirmed {
                audit(rows, op, AuditEvent::Confirm, Some(&rec.user), details)?;
            }
            Ok(VerifyResult {
                rejected: None,
                status: Status::Enabled,
                confirmed,
                failures: 0,
                locked_now: false,
                token: None,
                locked_until: None,
                at: op.now,
                clock_offset_seconds: None,
            })
        }
        Verdict::Reject(reason) => record_rejection(rows, op, rec, settings, reason),
        Verdict::ClockOff { offset } => {
            let seconds = offset.saturating_mul(i64::from(rec.params.period()));
            let mut details = json!({ "clock_offset_seconds": seconds });
            let mut result = record_rejection_as(
                rows,
                op,
                rec,
                settings,
                RejectReason::Invalid,
                AuditEvent::VerifyRejected,
                &mut details,
            )?;
            result.clock_offset_seconds = Some(seconds);
            Ok(result)
        }
    }
}

fn apply_resync(
    rows: &mut dyn Rows,
    op: &Op,
    rec: &UserRecord,
    settings: &Settings,
    verdict: crate::totp::ResyncVerdict,
) -> Result<ResyncResult> {
    use crate::totp::ResyncVerdict;
    let max_drift = settings.max_drift();
    let period = rec.params.period();
    let seconds = |steps: i64| steps.saturating_mul(i64::from(period));
    let refuse = |rows: &mut dyn Rows, reason: RejectReason, offset: Option<i64>| {
        let mut details = json!({ "accepted": false, "drift": rec.drift });
        if let Some(offset) = offset {
            details["offset_seconds"] = seconds(offset).into();
            details["max_drift"] = max_drift.into();
        }
        let r = record_rejection_as(
            rows,
            op,
            rec,
            settings,
            reason,
            AuditEvent::Resync,
            &mut details,
        )?;
        Ok(ResyncResult {
            rejected: Some(reason),
            status: rec.status,
            previous_drift: rec.drift,
            drift: rec.drift,
            offset,
            period,
            max_drift,
            failures: r.failures,
            locked_now: r.locked_now,
        })
    };
    let step = match verdict {
        ResyncVerdict::Reject(reason) => return refuse(rows, reason, None),
        ResyncVerdict::Found { step } => step,
    };
    if rec.status == Status::Disabled {
        return refuse(rows, RejectReason::Disabled, None);
    }
    if rec.is_locked_at(op.now) {
        return refuse(rows, RejectReason::Locked, None);
    }
    if rec.pending_expired(settings.pending_ttl(), op.now) {
        return refuse(rows, RejectReason::Expired, None);
    }
    let offset = crate::totp::step_offset(step, now_step(op, rec));
    if offset.unsigned_abs() > u64::from(max_drift) {
        return refuse(rows, RejectReason::DriftTooLarge, Some(offset));
    }
    // The guard repeats the replay and lock rules in the statement.
    if !rows.resync_step(&rec.id, &rec.token_id, step, offset, op.now)? {
        return refuse(rows, RejectReason::Replayed, Some(offset));
    }
    audit(
        rows,
        op,
        AuditEvent::Resync,
        Some(&rec.user),
        json!({
            "accepted": true,
            "drift": offset,
            "previous_drift": rec.drift,
            "offset_seconds": seconds(offset),
        }),
    )?;
    Ok(ResyncResult {
        rejected: None,
        status: rec.status,
        previous_drift: rec.drift,
        drift: offset,
        offset: Some(offset),
        period,
        max_drift,
        failures: rec.failures,
        locked_now: false,
    })
}

/// The time step of the command's clock reading for the user's token.
fn now_step(op: &Op, rec: &UserRecord) -> u64 {
    crate::totp::step_at(u64::try_from(op.now.unix()).unwrap_or(0), &rec.params)
}

fn record_rejection(
    rows: &mut dyn Rows,
    op: &Op,
    rec: &UserRecord,
    settings: &Settings,
    reason: RejectReason,
) -> Result<VerifyResult> {
    record_rejection_as(
        rows,
        op,
        rec,
        settings,
        reason,
        AuditEvent::VerifyRejected,
        &mut json!({}),
    )
}

/// Records a rejection under `event` (`verify-rejected`, or `resync`): counts the failure
/// when the reason does, locks when that reaches max-failures (for as long as the `lockout`
/// settings say), and writes the audit row with `details` plus the reason and the failure
/// count.
fn record_rejection_as(
    rows: &mut dyn Rows,
    op: &Op,
    rec: &UserRecord,
    settings: &Settings,
    reason: RejectReason,
    event: AuditEvent,
    details: &mut serde_json::Value,
) -> Result<VerifyResult> {
    let mut state = LockState::of(rec);
    let mut locked_now = false;
    if reason.counts_as_failure() {
        let failure = state.after_failure(
            settings.max_failures(),
            settings.lockout(),
            settings.lockout_max(),
            op.now,
        );
        (state, locked_now) = (failure.state, failure.locked_now);
        rows.set_lock_state(&rec.id, &state, op.now)?;
    }
    let failures = state.failures;
    details["reason"] = json!(reason);
    details["failures"] = json!(failures);
    audit(rows, op, event, Some(&rec.user), details.take())?;
    if locked_now {
        audit(
            rows,
            op,
            AuditEvent::Lock,
            Some(&rec.user),
            json!({
                "failures": failures,
                "max_failures": settings.max_failures(),
                "locked_until": state.locked_until,
                "lockouts": state.lockouts,
            }),
        )?;
    }
    let locked_until = state
        .locked_until
        .filter(|_| state.is_locked_at(op.now) && (locked_now || reason == RejectReason::Locked));
    Ok(VerifyResult {
        rejected: Some(reason),
        status: rec.status,
        confirmed: false,
        failures,
        locked_now,
        token: None,
        locked_until,
        at: op.now,
        clock_offset_seconds: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: &str, label: &str, status: Status, enrolled: i64) -> TokenRecord {
        let at = Timestamp::from_unix(enrolled);
        TokenRecord {
            id: id.into(),
            label: TokenLabel::parse(label).unwrap(),
            status,
            params: TotpParams::default(),
            issuer: format!("issuer-{id}"),
            secret: (status != Status::Disabled).then(|| id.as_bytes().to_vec()),
            created_at: at,
            updated_at: Timestamp::from_unix(enrolled + 5),
            enrolled_at: at,
            enabled_at: None,
            disabled_at: None,
            last_used_at: None,
            last_used_step: Some(enrolled as u64),
            drift: enrolled,
        }
    }

    fn row(id: &str, name: &str) -> UserRow {
        UserRow {
            id: id.into(),
            user: UserName::parse(name).unwrap(),
            created_at: Timestamp::from_unix(1),
            updated_at: Timestamp::from_unix(100),
            failures: 2,
            locked_at: None,
            locked_until: None,
            lockouts: 0,
            recovery_codes_left: 3,
            recovery_codes_legacy: false,
        }
    }

    /// The label, status and id of the primary token `tokens` give a user.
    fn primary(tokens: Vec<TokenRecord>) -> (String, Status, String) {
        let rec = row("u", "alice").into_record(tokens).unwrap();
        (rec.token_id.clone(), rec.status, rec.issuer.clone())
    }

    #[test]
    fn the_primary_token_is_enabled_before_pending_before_disabled() {
        let d = token("d", "a", Status::Disabled, 30);
        let p = token("p", "b", Status::Pending, 20);
        let e = token("e", "c", Status::Enabled, 10);
        assert_eq!(
            primary(vec![d.clone(), p.clone(), e]).0,
            "e",
            "enabled wins"
        );
        assert_eq!(primary(vec![d.clone(), p]).0, "p", "then pending");
        assert_eq!(
            primary(vec![d]),
            ("d".into(), Status::Disabled, "issuer-d".into())
        );
    }

    #[test]
    fn among_tokens_of_one_status_the_latest_enrolled_then_the_smallest_id_is_primary() {
        let old = token("a-old", "x", Status::Enabled, 10);
        let new = token("z-new", "y", Status::Enabled, 20);
        assert_eq!(primary(vec![old.clone(), new]).0, "z-new");
        let twin = token("b-twin", "z", Status::Enabled, 10);
        assert_eq!(primary(vec![twin, old]).0, "a-old");
    }

    #[test]
    fn a_record_carries_its_primary_tokens_fields_and_every_token_by_label() {
        let rec = row("u", "alice")
            .into_record(vec![
                token("t2", "phone", Status::Pending, 300),
                token("t1", "default", Status::Disabled, 50),
            ])
            .unwrap();
        assert_eq!(rec.token_id, "t2");
        assert_eq!(rec.status, Status::Pending);
        assert_eq!(rec.secret.as_deref(), Some(&b"t2"[..]));
        assert_eq!(rec.last_used_step, Some(300));
        assert_eq!(rec.drift, 300);
        assert_eq!(rec.enrolled_at, Timestamp::from_unix(300));
        // The latest of the user's last change (100) and its tokens' (305, 55).
        assert_eq!(rec.updated_at, Timestamp::from_unix(305));
        assert_eq!((rec.failures, rec.recovery_codes_left), (2, 3));
        let labels: Vec<&str> = rec.tokens.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["default", "phone"]);
    }

    #[test]
    fn a_records_last_change_is_the_latest_of_its_row_and_every_token() {
        // The primary (enabled) token last changed at 15, the user's row at 100, and a
        // disabled token at 405: a change to any token is a change of the user's MFA.
        let rec = row("u", "alice")
            .into_record(vec![
                token("t1", "default", Status::Enabled, 10),
                token("t2", "old-phone", Status::Disabled, 400),
            ])
            .unwrap();
        assert_eq!(rec.token_id, "t1");
        assert_eq!(rec.updated_at, Timestamp::from_unix(405));
    }

    #[test]
    fn a_user_row_without_tokens_is_no_user() {
        assert!(row("u", "alice").into_record(Vec::new()).is_none());
    }

    /// The records of [`scan`] of `users`, `tokens` and `codes`, all kept.
    fn join(
        users: Vec<UserRow>,
        tokens: Vec<(&str, TokenRecord)>,
        codes: Vec<(&str, UnusedCodes)>,
    ) -> Vec<UserRecord> {
        scan(users, tokens, codes).records(Some)
    }

    /// [`UserScan::join`] of `users` with scans handing over `tokens` and `codes` in that
    /// order.
    fn scan(
        users: Vec<UserRow>,
        tokens: Vec<(&str, TokenRecord)>,
        codes: Vec<(&str, UnusedCodes)>,
    ) -> UserScan {
        UserScan::join(
            users,
            |push| {
                for (user_id, token) in tokens {
                    push(user_id, token);
                }
                Ok(())
            },
            |push| {
                for (user_id, some) in codes {
                    push(user_id, some);
                }
                Ok(())
            },
        )
        .unwrap()
    }

    #[test]
    fn joined_users_come_sorted_by_name_in_byte_order_with_their_own_tokens() {
        let users = vec![
            row("1", "bob"),
            row("2", "Zed"),
            row("3", "alice"),
            row("4", "nobody"),
        ];
        let tokens = vec![
            ("3", token("a", "default", Status::Enabled, 1)),
            ("1", token("b", "default", Status::Pending, 1)),
            ("2", token("z", "default", Status::Disabled, 1)),
            ("1", token("b2", "laptop", Status::Enabled, 2)),
        ];
        let joined = join(users, tokens, Vec::new());
        let got: Vec<(&str, usize, Status)> = joined
            .iter()
            .map(|u| (u.user.as_str(), u.tokens.len(), u.status))
            .collect();
        assert_eq!(
            got,
            [
                ("Zed", 1, Status::Disabled),
                ("alice", 1, Status::Enabled),
                ("bob", 2, Status::Enabled),
            ]
        );
    }

    proptest::proptest! {
        /// Whatever order the scan found them in, and however long the prefix they share
        /// (past the 16 bytes of the sort's key), the records come in the byte order of the
        /// names, as `str`'s own sort has it.
        #[test]
        fn records_come_in_the_byte_order_of_the_names(
            names in proptest::collection::hash_set(
                "(user000000000000|u|\u{e9}|Z)[a-c\u{e9}\u{10348}]{0,4}", 1..40),
        ) {
            let names: Vec<String> = names.into_iter().collect();
            let users = names.iter().enumerate().map(|(i, n)| row(&i.to_string(), n)).collect();
            let tokens = (0..names.len())
                .map(|i| (i.to_string(), token(&format!("t{i}"), "default", Status::Enabled, 1)))
                .collect::<Vec<_>>();
            let tokens = tokens.iter().map(|(id, t)| (id.as_str(), t.clone())).collect();
            let got: Vec<String> =
                join(users, tokens, Vec::new()).into_iter().map(|u| u.user.to_string()).collect();
            let mut want = names.clone();
            want.sort();
            proptest::prop_assert_eq!(got, want);
        }

        /// Two names whose keys differ are in the order of their keys (equal keys leave it to
        /// the names), whatever they hold, NULs included; and the keys differ whenever the
        /// first 16 bytes do (the point of them), zero bytes past a name's end counting as
        /// such.
        #[test]
        fn the_name_prefix_never_contradicts_the_names_order(a in ".{0,20}", b in ".{0,20}") {
            let (ka, kb) = (name_prefix(&a), name_prefix(&b));
            if ka != kb {
                proptest::prop_assert_eq!(ka.cmp(&kb), a.as_bytes().cmp(b.as_bytes()));
            }
            let first16 = |s: &str| {
                let mut b = s.as_bytes().iter().copied().chain(std::iter::repeat(0)).take(16);
                std::array::from_fn::<u8, 16, _>(|_| b.next().unwrap_or(0))
            };
            proptest::prop_assert_eq!(ka == kb, first16(&a) == first16(&b));
        }
    }

    #[test]
    fn records_are_built_only_for_users_with_tokens_and_kept_only_when_kept() {
        let users = vec![row("1", "bob"), row("2", "carol"), row("3", "alice")];
        let tokens = vec![
            ("1", token("b", "default", Status::Enabled, 1)),
            ("3", token("a", "default", Status::Pending, 1)),
        ];
        let mut seen = Vec::new();
        let kept = scan(users, tokens, Vec::new()).records(|u| {
            seen.push(u.user.to_string());
            (u.status == Status::Enabled).then(|| (u.user.to_string(), u.token_id))
        });
        // carol has no token: no record; alice's is built and left out.
        assert_eq!(seen, ["alice", "bob"]);
        assert_eq!(kept, [("bob".to_string(), "b".to_string())]);
    }

    #[test]
    fn the_user_index_finds_every_id_in_any_order_and_no_other() {
        let users: Vec<UserRow> = (0..5).map(|i| row(&i.to_string(), "u")).collect();
        let mut index = UserIndex::new(&users);
        // In order (the guesses), repeated, backwards, skipping (the map), then unknown.
        for id in ["0", "1", "1", "2", "4", "3", "0", "2", "9", "3"] {
            let want = users.iter().position(|u| u.id == id);
            assert_eq!(index.find(id), want, "{id}");
        }
    }

    #[test]
    fn joined_users_get_the_unused_codes_of_their_own_id_summed_and_none_else() {
        let users = vec![row("1", "bob"), row("2", "carol"), row("3", "alice")];
        let tokens = ["1", "2", "3"]
            .map(|id| (id, token(id, "default", Status::Enabled, 1)))
            .to_vec();
        let some = |count, legacy| UnusedCodes { count, legacy };
        let codes = vec![
            ("3", some(1, false)),
            ("1", some(1, false)),
            ("3", some(2, false)),
            ("1", some(1, true)),
            ("3", some(1, false)),
            ("9", some(5, true)),
        ];
        let joined = join(users, tokens, codes);
        let got: Vec<(&str, u32, bool)> = joined
            .iter()
            .map(|u| {
                (
                    u.user.as_str(),
                    u.recovery_codes_left,
                    u.recovery_codes_legacy,
                )
            })
            .collect();
        // carol has none: the row's own counts (3 in `row`) are not kept.
        assert_eq!(
            got,
            [("alice", 4, false), ("bob", 2, true), ("carol", 0, false)]
        );
    }

    fn at(t: i64) -> Option<Timestamp> {
        Some(Timestamp::from_unix(t))
    }

    #[test]
    fn query_conditions_are_strict_at_their_boundaries() {
        // alice: created at 1, one enabled token last used at 50.
        let mut used = token("a", "default", Status::Enabled, 10);
        used.last_used_at = at(50);
        let alice = row("u", "alice").into_record(vec![used]).unwrap();
        let unused = |t| UserQuery {
            unused_before: at(t),
            ..UserQuery::default()
        };
        let now = Timestamp::from_unix(1000);
        assert!(
            !unused(50).matches(&alice, now),
            "used at the cutoff itself"
        );
        assert!(unused(51).matches(&alice, now));
        // Never used, created at 1: not unused since a time before its creation.
        let idle = row("i", "ida")
            .into_record(vec![token("i", "default", Status::Enabled, 1)])
            .unwrap();
        assert!(
            !unused(1).matches(&idle, now),
            "created at the cutoff itself"
        );
        assert!(unused(2).matches(&idle, now));

        let pending = row("p", "pat")
            .into_record(vec![token("p", "default", Status::Pending, 20)])
            .unwrap();
        let pending_before = |t| UserQuery {
            pending_before: at(t),
            ..UserQuery::default()
        };
        assert!(!pending_before(20).matches(&pending, now));
        assert!(pending_before(21).matches(&pending, now));
        assert!(!pending_before(21).matches(&alice, now), "not pending");

        // A disabled token without disabled_at counts from the user's last change (105).
        let gone = row("d", "dan")
            .into_record(vec![token("d", "default", Status::Disabled, 100)])
            .unwrap();
        let disabled_before = |t| UserQuery {
            disabled_before: at(t),
            ..UserQuery::default()
        };
        assert!(!disabled_before(105).matches(&gone, now));
        assert!(disabled_before(106).matches(&gone, now));
    }

    #[test]
    fn the_locked_filter_judges_a_timed_lock_at_the_given_time() {
        let mut r = row("u", "alice");
        r.locked_at = at(10);
        r.locked_until = at(100);
        let alice = r
            .into_record(vec![token("a", "default", Status::Enabled, 1)])
            .unwrap();
        let locked = UserQuery::from(UserFilter::Locked);
        let also_locked = UserQuery {
            locked: true,
            ..UserQuery::from(UserFilter::Status(Status::Enabled))
        };
        for q in [&locked, &also_locked] {
            assert!(q.matches(&alice, Timestamp::from_unix(99)));
            assert!(
                !q.matches(&alice, Timestamp::from_unix(100)),
                "lifted at its end"
            );
        }
        let pending_only = UserQuery {
            locked: true,
            ..UserQuery::from(UserFilter::Status(Status::Pending))
        };
        assert!(!pending_only.matches(&alice, Timestamp::from_unix(50)));
    }

    #[test]
    fn a_token_view_has_every_per_token_field_of_that_token_and_the_users_own() {
        let mut other = token("t2", "laptop", Status::Pending, 700);
        other.params = TotpParams::new(crate::model::Algorithm::Sha256, 8, 60).unwrap();
        other.enabled_at = Some(Timestamp::from_unix(710));
        other.disabled_at = Some(Timestamp::from_unix(720));
        other.last_used_at = Some(Timestamp::from_unix(730));
        let rec = row("u", "alice")
            .into_record(vec![
                token("t1", "default", Status::Enabled, 10),
                other.clone(),
            ])
            .unwrap();
        assert_eq!(rec.token_id, "t1", "the primary token is the enabled one");
        let view = rec.for_token(&other);
        assert_eq!(view.token_id, other.id);
        assert_eq!(view.status, other.status);
        assert_eq!(view.params, other.params);
        assert_eq!(view.issuer, other.issuer);
        assert_eq!(view.secret, other.secret);
        assert_eq!(view.enrolled_at, other.enrolled_at);
        assert_eq!(view.enabled_at, other.enabled_at);
        assert_eq!(view.disabled_at, other.disabled_at);
        assert_eq!(view.last_used_at, other.last_used_at);
        assert_eq!(view.last_used_step, other.last_used_step);
        assert_eq!(view.drift, other.drift);
        // The user's own state stays the user's.
        assert_eq!((view.id.as_str(), view.user.as_str()), ("u", "alice"));
        assert_eq!((view.failures, view.recovery_codes_left), (2, 3));
        assert_eq!(view.tokens.len(), 2);
    }

    #[test]
    fn a_read_keeps_the_ciphertexts_it_was_asked_for() {
        use crate::totp::TotpSecret;
        use crate::vault::{encrypt_secret, Recipient};
        let key = age::x25519::Identity::generate().to_public().to_string();
        let to = [Recipient::parse(&key).unwrap()];
        // 80 bits: a legacy import; 160 bits: what enroll makes.
        let short = encrypt_secret(&to, &TotpSecret::from_bytes(vec![1; 10])).unwrap();
        let long = encrypt_secret(&to, &TotpSecret::from_bytes(vec![2; 20])).unwrap();
        for ct in [&short, &long] {
            assert_eq!(Ciphertexts::All.keep(Some(ct)).as_ref(), Some(ct));
            assert_eq!(Ciphertexts::None.keep(Some(ct)), None);
        }
        assert_eq!(
            Ciphertexts::ShortOnly.keep(Some(&short)),
            Some(short.clone())
        );
        assert_eq!(Ciphertexts::ShortOnly.keep(Some(&long)), None);
        for mode in [Ciphertexts::All, Ciphertexts::None, Ciphertexts::ShortOnly] {
            assert_eq!(mode.keep(None), None, "{mode:?}");
        }
        assert!(Ciphertexts::All.read() && Ciphertexts::ShortOnly.read());
        assert!(!Ciphertexts::None.read());
    }
}
