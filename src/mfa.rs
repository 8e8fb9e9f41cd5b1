//! [`Mfa`]: the common jobs on a store in one place — enroll, verify, disable, show, list,
//! recovery codes, import, export, rekey — with the rules, transactions and audit rows of the
//! `mfactl` commands, which are built on it.
//!
//! Most jobs are one call. Those the CLI asks about half-way (replacing a secret, printing
//! plaintext secrets, re-keying) also come in two steps, `prepare_*`/`plan_*` then
//! `commit_*`/`apply_*`/`finish_*`, so that a caller can look at what is about to happen, and
//! ask someone, before anything is written.
//!
//! Every change is recorded in the audit log under the facade's actor ([`Mfa::with_actor`]).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::json;
use zeroize::Zeroizing;

use crate::audit::{AuditEvent, Op};
use crate::error::{Error, Result};
use crate::import::{self, ImportFormat};
use crate::model::{
    Algorithm, Status, Timestamp, TokenLabel, TotpParams, UserFilter, UserName, UserQuery,
    UserRecord,
};
use crate::names::{quoted, Lookalike};
use crate::recovery::{RecoveryCode, TypedCode};
use crate::store::{self, EnrollOutcome, Location, Store, StoreInit, StoredSecret};
use crate::totp::{self, ParsedUri, TotpSecret};
use crate::vault::{self, Identities, Recipient};

pub use crate::store::ResyncResult as Resync;
pub use crate::store::VerifyResult as Verification;

/// The actor audit rows name when [`Mfa::with_actor`] was not called.
pub const DEFAULT_ACTOR: &str = "mfactl-library";

/// How many recovery codes [`Mfa::recovery_codes`] issues.
pub const DEFAULT_RECOVERY_CODES: u32 = 10;

/// Something that names a user: a `&str` (checked with [`UserName::parse`]) or a [`UserName`].
pub trait AsUser {
    /// The user name, checked.
    fn to_user(&self) -> Result<UserName>;
}

impl AsUser for str {
    fn to_user(&self) -> Result<UserName> {
        UserName::parse(self)
    }
}

impl AsUser for String {
    fn to_user(&self) -> Result<UserName> {
        UserName::parse(self)
    }
}

impl AsUser for UserName {
    fn to_user(&self) -> Result<UserName> {
        Ok(self.clone())
    }
}

impl<T: AsUser + ?Sized> AsUser for &T {
    fn to_user(&self) -> Result<UserName> {
        (**self).to_user()
    }
}

/// A store, the identity that reads its secrets, and who is acting.
///
/// ```
/// # fn main() -> mfactl::Result<()> {
/// use mfactl::{store::Location, vault, Mfa};
///
/// let dir = tempfile::tempdir().unwrap();
/// let identity = vault::generate_identity_file(&dir.path().join("identity.txt"))?;
/// let location = Location::file(dir.path().join("mfa.db"));
/// let mut mfa = Mfa::create(&location, identity)?.with_actor("web")?;
/// assert!(mfa.list(mfactl::model::UserFilter::All)?.is_empty());
/// # Ok(()) }
/// ```
pub struct Mfa {
    store: Store,
    actor: String,
    identities: Option<Identities>,
}

impl fmt::Debug for Mfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mfa")
            .field("store", &self.store.location())
            .field("actor", &self.actor)
            .field("identities", &self.identities)
            .finish()
    }
}

impl Mfa {
    /// Opens the existing store at `location` (a SQLite file, or a PostgreSQL URL parsed with
    /// [`Location::parse`]), reading secrets with `identities`.
    pub fn open(location: &Location, identities: Identities) -> Result<Mfa> {
        Ok(Mfa::from_store(Store::open(location)?).with_identities(identities))
    }

    /// Creates a new store at `location` whose secrets are encrypted to `identities`' keys
    /// (as `mfactl init` does); [`Error::StoreExists`] if there is one.
    pub fn create(location: &Location, identities: Identities) -> Result<Mfa> {
        if Store::exists(location)? {
            return Err(Error::StoreExists {
                location: location.to_string(),
            });
        }
        Store::check_create_location(location)?;
        let init = StoreInit {
            recipients: identities.recipients(),
            issuer: None,
        };
        let store = Store::create(location, &Op::new(DEFAULT_ACTOR), &init)?;
        Ok(Mfa::from_store(store).with_identities(identities))
    }

    /// Wraps an open store, with no identity yet: the jobs that decrypt (verify, export,
    /// rekey) need [`Mfa::with_identities`] first.
    pub fn from_store(store: Store) -> Mfa {
        Mfa {
            store,
            actor: DEFAULT_ACTOR.to_owned(),
            identities: None,
        }
    }

    /// Names who acts in the audit log (checked with [`crate::audit::validate_actor`]).
    pub fn with_actor(mut self, actor: &str) -> Result<Mfa> {
        self.actor = crate::audit::validate_actor(actor)?;
        Ok(self)
    }

    /// Reads secrets with `identities`.
    pub fn with_identities(mut self, identities: Identities) -> Mfa {
        self.identities = Some(identities);
        self
    }

    /// Reads secrets with `identities` from now on.
    pub fn set_identities(&mut self, identities: Identities) {
        self.identities = Some(identities);
    }

    /// Whether an identity was given.
    pub fn has_identities(&self) -> bool {
        self.identities.is_some()
    }

    /// The store underneath, for what the facade does not cover.
    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The store underneath.
    pub fn into_store(self) -> Store {
        self.store
    }

    fn op(&self) -> Op {
        Op::new(self.actor.clone())
    }

    fn ids(&self) -> Result<&Identities> {
        ids_of(&self.identities)
    }

    // ----- enroll -----

    /// Gives `user` a fresh secret, stored encrypted with status pending until a first code
    /// is verified. Returns what pairing needs: the otpauth URI, the secret, a QR code.
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// use mfactl::{EnrollOptions, model::Algorithm};
    ///
    /// let e = mfa.enroll("alice", &EnrollOptions::new().algorithm(Algorithm::Sha256))?;
    /// assert!(e.uri.starts_with("otpauth://totp/"));
    /// assert!(e.qr_svg.is_some());
    /// // A second enrollment needs `force`.
    /// assert!(mfa.enroll("alice", &EnrollOptions::new()).is_err());
    /// mfa.enroll("alice", &EnrollOptions::new().force(true))?;
    /// # Ok(()) }
    /// ```
    pub fn enroll(&mut self, user: impl AsUser, options: &EnrollOptions) -> Result<Enrollment> {
        let prepared = self.prepare_enroll(user, options)?;
        let mut enrollment = self.commit_enroll(prepared)?;
        if options.qr {
            // A URI too long for any QR code has none; the URI and secret still pair.
            enrollment.qr_svg = crate::qr::svg(&enrollment.uri).ok();
        }
        Ok(enrollment)
    }

    /// The first half of [`Mfa::enroll`]: checks, makes and encrypts the secret, writes
    /// nothing. [`PreparedEnrollment::replaces`] says whether a secret would be replaced.
    pub fn prepare_enroll(
        &mut self,
        user: impl AsUser,
        options: &EnrollOptions,
    ) -> Result<PreparedEnrollment> {
        let user = user.to_user()?;
        options.check()?;
        // A new name's rules are checked again, with the look-alike rule, under the store's
        // lock. A name already in the store may predate them.
        let existing = self.store.user(&user)?;
        if existing.is_none() {
            user.check_new()?;
        }
        let settings = self.store.settings()?;
        let defaults = settings.default_params();
        let params = TotpParams::new(
            options.algorithm.unwrap_or(defaults.algorithm()),
            options.digits.unwrap_or(defaults.digits()),
            options.period.unwrap_or(defaults.period()),
        )?;
        let issuer = options
            .issuer
            .clone()
            .unwrap_or_else(|| settings.issuer().to_owned());
        let secret = TotpSecret::generate(params.algorithm())?;
        let recipients = self.store.recipients()?;
        let ciphertext = vault::encrypt_secret(&recipients, &secret)?;
        let uri = totp::pairing_uri(&secret, &params, &issuer, &user);
        // A refusal the store would give anyway comes before anything else is done.
        // A pending enrollment past pending-ttl can no longer be confirmed: replacing it loses
        // nothing, so it needs no `force` (the store decides again under its lock).
        let now = self.op().now;
        let mut replaces = None;
        if let Some(rec) = existing {
            let token = rec.tokens.iter().find(|t| t.label == options.label);
            if let Some(token) = token.filter(|t| t.status != Status::Disabled) {
                if !options.force && !token.pending_expired(settings.pending_ttl(), now) {
                    return Err(store::already_enrolled(&user, &options.label, token.status));
                }
                replaces = Some((rec.user.clone(), token.status));
            }
        }
        Ok(PreparedEnrollment {
            user,
            params,
            issuer,
            secret,
            ciphertext,
            recipients,
            uri,
            replaces,
            force: options.force,
            allow_similar: options.allow_similar,
            label: options.label.clone(),
        })
    }

    /// The second half of [`Mfa::enroll`]: stores the prepared secret (no QR code is made).
    pub fn commit_enroll(&mut self, prepared: PreparedEnrollment) -> Result<Enrollment> {
        self.commit_enroll_audited(prepared, &[])
    }

    /// [`Mfa::commit_enroll`] for a pairing handed over sealed (an age file only the user can
    /// open, see [`crate::bundle`]): the audit row records `"sealed": true` and the keys'
    /// fingerprints.
    pub fn commit_enroll_sealed(
        &mut self,
        prepared: PreparedEnrollment,
        fingerprints: &[String],
    ) -> Result<Enrollment> {
        self.commit_enroll_audited(prepared, fingerprints)
    }

    fn commit_enroll_audited(
        &mut self,
        prepared: PreparedEnrollment,
        bundle_sealed_to: &[String],
    ) -> Result<Enrollment> {
        let p = prepared;
        let sealed = store::Enrollment {
            user: p.user.clone(),
            params: p.params,
            issuer: p.issuer.clone(),
            ciphertext: p.ciphertext,
            status: Status::Pending,
            label: p.label.clone(),
        };
        // A rekey that commits between reading the recipients and the write gets the secret
        // sealed again, under the store's lock, to the recipients it installed.
        let secret = &p.secret;
        let outcome = self.store.enroll_with(
            &self.op(),
            &sealed,
            store::EnrollWith {
                force: p.force,
                sealed_to: &p.recipients,
                reseal: Some(&mut |_, current| vault::encrypt_secret(current, secret)),
                allow_similar: p.allow_similar,
                bundle_sealed_to,
            },
        )?;
        Ok(Enrollment {
            user: p.user,
            status: Status::Pending,
            issuer: p.issuer,
            params: p.params,
            uri: p.uri,
            secret: p.secret,
            qr_svg: None,
            outcome,
        })
    }

    // ----- verify -----

    /// Checks a TOTP code for `user` now, and records the outcome (accepted codes move a
    /// pending user to enabled; wrong ones count towards the lockout; a code is accepted once).
    ///
    /// Malformed input (a letter, a digit too many) is [`Error::InvalidInput`], and nothing is
    /// recorded; an unknown user is [`Error::UnknownUser`].
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// # mfa.enroll("alice", &Default::default())?;
    /// let v = mfa.verify("alice", "000000")?;
    /// if v.accepted() {
    ///     // log in
    /// } else {
    ///     // v.rejected says why: a wrong or reused code, a locked or disabled user
    ///     // (v.locked_until: when a timed lock lifts by itself)
    /// }
    /// // Not a code at all: an error, and nothing is recorded.
    /// assert_eq!(mfa.verify("alice", "12345").unwrap_err().kind(), "invalid_input");
    /// # Ok(()) }
    /// ```
    pub fn verify(&mut self, user: impl AsUser, code: &str) -> Result<Verification> {
        let user = user.to_user()?;
        let ids = ids_of(&self.identities)?;
        // One clock reading: the step checked is the one the audit row is stamped with.
        let op = Op::new(self.actor.clone());
        let now = u64::try_from(op.now.unix()).unwrap_or(0);
        self.store.verify(&op, &user, &mut |rec, settings| {
            crate::verification::decide(rec, settings, code, now, ids)
        })
    }

    /// Resynchronises `user`'s token from two consecutive codes of their device (`mfactl
    /// resync`): searches an hour either side of now for the steps `s`, `s + 1` whose codes are
    /// `first` then `second`, and sets the token's drift to that offset (the replay mark moves
    /// to `s + 1`, never backwards). Not a login: nothing else changes. Refused as
    /// [`RejectReason::DriftTooLarge`](crate::totp::RejectReason::DriftTooLarge), and not
    /// counted, beyond the `max-drift` setting; two codes found nowhere count as a failure, as a
    /// wrong code does. Malformed input is [`Error::InvalidInput`] and nothing is recorded.
    pub fn resync(&mut self, user: impl AsUser, first: &str, second: &str) -> Result<Resync> {
        self.resync_token(user, None, first, second)
    }

    /// [`Mfa::resync`] for the token `label` of `user` (`resync --token`); without a label, the
    /// user's only live token (a user with several must choose one).
    pub fn resync_token(
        &mut self,
        user: impl AsUser,
        label: Option<&TokenLabel>,
        first: &str,
        second: &str,
    ) -> Result<Resync> {
        let user = user.to_user()?;
        let ids = ids_of(&self.identities)?;
        // One clock reading for the search and the audit row.
        let op = Op::new(self.actor.clone());
        let now = u64::try_from(op.now.unix()).unwrap_or(0);
        self.store.resync(&op, &user, label, &mut |rec, settings| {
            crate::verification::decide_resync(rec, settings, first, second, now, ids)
        })
    }

    /// Checks a one-time recovery code for `user` (used up when accepted), and records the
    /// outcome as [`Mfa::verify`] does. Needs no identity.
    pub fn verify_recovery(&mut self, user: impl AsUser, code: &str) -> Result<Verification> {
        let user = user.to_user()?;
        let code = TypedCode::parse(code)?;
        self.store.use_recovery_code(&self.op(), &user, &code)
    }

    // ----- show the pairing again -----

    /// The pairing of a pending `user` again (`mfactl show-qr`): their otpauth URI and secret,
    /// decrypted, with an audit row. An enabled user's live secret only with `force`
    /// ([`Error::NeedsForce`]); a disabled user has none ([`Error::UserDisabled`]).
    pub fn pairing(&mut self, user: impl AsUser, force: bool) -> Result<Pairing> {
        Ok(self.pairing_with(user, force, |_| Ok(()))?.0)
    }

    /// [`Mfa::pairing`], running `then` on the pairing inside the audited read: if `then`
    /// fails, nothing is recorded (e.g. files about to be written with the QR code).
    pub fn pairing_with<T>(
        &mut self,
        user: impl AsUser,
        force: bool,
        then: impl FnOnce(&Pairing) -> Result<T>,
    ) -> Result<(Pairing, T)> {
        self.token_pairing_with(user, None, force, then)
    }

    /// [`Mfa::pairing_with`] for the token `label` of `user` (`show-qr --token`); without a
    /// label, the user's only live token (a user with several must choose one).
    pub fn token_pairing_with<T>(
        &mut self,
        user: impl AsUser,
        label: Option<&TokenLabel>,
        force: bool,
        then: impl FnOnce(&Pairing) -> Result<T>,
    ) -> Result<(Pairing, T)> {
        let user = user.to_user()?;
        let ids = ids_of(&self.identities)?;
        let op = Op::new(self.actor.clone());
        // The decision that counts is made under the user's row lock, in the transaction that
        // writes the audit row: a user confirmed (or disabled) meanwhile is judged as they are
        // now, and audited so.
        self.store
            .audited_read(&op, &user, AuditEvent::ShowQr, |rec| {
                let (rec, token) = store::token_view(rec, label)?;
                let rec = &rec;
                let ciphertext = revealable(&user, rec, force)?;
                let secret = ids
                    .decrypt_secret(ciphertext)
                    .ok_or_else(|| Error::Decrypt {
                        user: user.to_string(),
                    })?;
                let uri = totp::pairing_uri(&secret, &rec.params, &rec.issuer, &user);
                let pairing = Pairing {
                    status: rec.status,
                    uri,
                    secret,
                };
                let out = then(&pairing)?;
                let mut details = json!({ "status": rec.status, "forced": force });
                // A token other than `default` is named (as in the enroll rows).
                if let Some(token) = token.filter(|t| t.as_str() != TokenLabel::DEFAULT) {
                    details["token"] = token.as_str().into();
                }
                Ok(((pairing, out), details))
            })
    }

    /// Whether [`Mfa::pairing`] would show `user`'s pairing (with `force`), from a first look
    /// that decrypts and records nothing: for refusing before an identity is loaded.
    pub fn check_pairing(&mut self, user: impl AsUser, force: bool) -> Result<()> {
        self.check_token_pairing(user, None, force)
    }

    /// [`Mfa::check_pairing`] for the token `label` (as [`Mfa::token_pairing_with`] picks it).
    pub fn check_token_pairing(
        &mut self,
        user: impl AsUser,
        label: Option<&TokenLabel>,
        force: bool,
    ) -> Result<()> {
        let user = user.to_user()?;
        let (rec, _) = store::token_view(&self.store.require_user(&user)?, label)?;
        revealable(&user, &rec, force).map(drop)
    }

    // ----- disable, show, list -----

    /// Clears `user`'s lockout, failure count and the backoff of timed lockouts (as `mfactl
    /// unlock`). Returns whether anything changed.
    pub fn unlock(&mut self, user: impl AsUser) -> Result<bool> {
        let user = user.to_user()?;
        self.store.unlock(&self.op(), &user)
    }

    /// Turns MFA off for `user` and erases their secret, with `reason` in the audit row.
    /// Returns whether anything changed (`false`: already disabled).
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// mfa.enroll("alice", &Default::default())?;
    /// assert!(mfa.disable("alice", Some("left the company"))?);
    /// assert!(!mfa.disable("alice", None)?); // already disabled
    /// assert_eq!(mfa.show("alice")?.record.status, mfactl::model::Status::Disabled);
    /// # Ok(()) }
    /// ```
    pub fn disable(&mut self, user: impl AsUser, reason: Option<&str>) -> Result<bool> {
        let user = user.to_user()?;
        self.store.disable(&self.op(), &user, reason)
    }

    /// Disables one of `user`'s tokens and erases its secret (the lost-phone flow for a user
    /// with several); the last live one disables the user ([`Store::disable_token`]). Returns
    /// false when it was already disabled.
    pub fn disable_token(
        &mut self,
        user: impl AsUser,
        label: &TokenLabel,
        reason: Option<&str>,
    ) -> Result<bool> {
        let user = user.to_user()?;
        self.store.disable_token(&self.op(), &user, label, reason)
    }

    /// One user, without their ciphertext. [`Error::UnknownUser`] if there is none.
    pub fn show(&mut self, user: impl AsUser) -> Result<UserInfo> {
        let user = user.to_user()?;
        Ok(UserInfo::new(self.store.require_user(&user)?))
    }

    /// The users matching `query` (a [`UserFilter`] or a whole [`UserQuery`]), sorted by name,
    /// without their ciphertexts.
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// use mfactl::model::{Status, UserFilter};
    /// mfa.enroll("alice", &Default::default())?;
    /// let pending = mfa.list(UserFilter::Status(Status::Pending))?;
    /// assert_eq!(pending[0].record.user.as_str(), "alice");
    /// # Ok(()) }
    /// ```
    pub fn list(&mut self, query: impl Into<UserQuery>) -> Result<Vec<UserInfo>> {
        let mut query = query.into();
        // One clock reading judges every lock (`list --locked`), in both reads.
        let at = *query.at.get_or_insert_with(Timestamp::now);
        // One read with the ciphertexts: which secrets are short shows in their lengths (nothing
        // is decrypted); they are dropped at once.
        self.store.users_matching_sealed(&query, at, |mut record| {
            let short_secret = is_short_secret(record.secret.as_deref());
            record.secret = None;
            for t in &mut record.tokens {
                t.secret = None;
            }
            UserInfo {
                record,
                short_secret,
            }
        })
    }

    // ----- recovery codes -----

    /// Issues [`DEFAULT_RECOVERY_CODES`] new recovery codes to an enabled `user`, voiding any
    /// older set. The codes are returned once; the store keeps only their hashes.
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// # let e = mfa.enroll("alice", &Default::default())?;
    /// # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// # let code = mfactl::totp::code_for_step(&e.secret, &e.params, mfactl::totp::step_at(now, &e.params))?;
    /// # assert!(mfa.verify("alice", code.as_str())?.accepted());
    /// // Alice is enabled (her first code was verified).
    /// let codes = mfa.recovery_codes("alice")?;
    /// // Show them to her once. Each works once, in place of a TOTP code:
    /// assert!(mfa.verify_recovery("alice", codes[0].as_str())?.accepted());
    /// assert!(!mfa.verify_recovery("alice", codes[0].as_str())?.accepted());
    /// # Ok(()) }
    /// ```
    pub fn recovery_codes(&mut self, user: impl AsUser) -> Result<Vec<RecoveryCode>> {
        self.recovery_codes_n(user, DEFAULT_RECOVERY_CODES)
    }

    /// [`Mfa::recovery_codes`] with `count` codes (1 to 100).
    pub fn recovery_codes_n(&mut self, user: impl AsUser, count: u32) -> Result<Vec<RecoveryCode>> {
        let user = user.to_user()?;
        if !(1..=100).contains(&count) {
            return Err(Error::invalid(
                "--count",
                format!("{count} (expected 1 to 100)"),
            ));
        }
        let codes = (0..count)
            .map(|_| RecoveryCode::generate())
            .collect::<Result<Vec<_>>>()?;
        let hashes = codes
            .iter()
            .map(RecoveryCode::stored_hash)
            .collect::<Result<Vec<_>>>()?;
        self.store.set_recovery_codes(&self.op(), &user, &hashes)?;
        Ok(codes)
    }

    // ----- import -----

    /// Enrolls every user in `reader` (read as `format`, at most [`import::MAX_INPUT`]
    /// bytes), all or nothing. Any problem refuses the whole input; [`Mfa::plan_import`] lists
    /// each one.
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// use mfactl::{ImportFormat, ImportOptions};
    /// let csv = "issuer,username,algorithm,digits,period,secret\n\
    ///            Example,bob,SHA1,6,30,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n";
    /// let report = mfa.import(csv.as_bytes(), ImportFormat::Csv, &ImportOptions::new())?;
    /// assert_eq!(report.imported, 1);
    /// assert_eq!(mfa.show("bob")?.record.status, mfactl::model::Status::Enabled);
    /// # Ok(()) }
    /// ```
    pub fn import(
        &mut self,
        reader: impl std::io::Read,
        format: ImportFormat,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let text = import::read_text(reader, "the input", 64 * 1024)?;
        let plan = self.plan_import(&text, format, options)?;
        plan.check("the input")?;
        self.apply_import(plan, &|| {})
    }

    /// Parses `text` and checks every entry against the store and the others (duplicates,
    /// users already enrolled, look-alike names, short secrets); writes nothing.
    pub fn plan_import(
        &mut self,
        text: &str,
        format: ImportFormat,
        options: &ImportOptions,
    ) -> Result<ImportPlan> {
        let (entries, mut problems) = import::parse(text, format)?;
        let place = format.place();
        let mut parsed = Vec::with_capacity(entries.len());
        for (line, e) in entries {
            // The option wins; otherwise the status the input gives, else enabled (paired
            // elsewhere).
            let status = options.status.or(e.status).unwrap_or(Status::Enabled);
            if status == Status::Disabled {
                problems.push((
                    line,
                    "status disabled: a disabled user has no secret to import".into(),
                ));
                continue;
            }
            if e.parsed.secret.is_short() && !options.allow_short_secrets {
                problems.push((
                    line,
                    format!(
                        "the secret is {} bits, shorter than {}; pass --allow-short-secrets to \
                         import legacy secrets (at least {} bits) anyway",
                        e.parsed.secret.bits(),
                        TotpSecret::MIN_LEN * 8,
                        TotpSecret::LEGACY_MIN_LEN * 8
                    ),
                ));
            }
            let label = e.label.unwrap_or_default();
            parsed.push((line, e.parsed, status, label));
        }
        // Several tokens of one user are allowed, each label once.
        let mut seen: HashMap<(&UserName, &TokenLabel), usize> = HashMap::new();
        // Per user: the store's record (None: a new user) and the entries' lines.
        let mut users: Vec<(&UserName, Option<crate::model::UserRecord>, Vec<usize>)> = Vec::new();
        let mut user_index: HashMap<&UserName, usize> = HashMap::new();
        for (line, p, _, label) in &parsed {
            if let Some(first) = seen.insert((&p.user, label), *line) {
                problems.push((
                    *line,
                    format!(
                        "token {label} of user {:?} also on {place} {first}",
                        p.user.as_str()
                    ),
                ));
                continue;
            }
            let i = match user_index.get(&p.user) {
                Some(&i) => i,
                None => {
                    let rec = self.store.user(&p.user)?;
                    if rec.is_none() {
                        if let Err(e) = p.user.check_new() {
                            problems.push((*line, e.to_string()));
                        }
                    }
                    users.push((&p.user, rec, Vec::new()));
                    user_index.insert(&p.user, users.len() - 1);
                    users.len() - 1
                }
            };
            let Some((_, rec, lines)) = users.get_mut(i) else {
                continue;
            };
            lines.push(*line);
            // A live token with that label is refused, as enroll refuses it without --force.
            let live = rec.as_ref().and_then(|r| {
                r.tokens
                    .iter()
                    .find(|t| &t.label == label && t.status != Status::Disabled)
            });
            if let Some(t) = live {
                let token = if label.as_str() == TokenLabel::DEFAULT {
                    String::new()
                } else {
                    format!("'s token {label}")
                };
                problems.push((
                    *line,
                    format!(
                        "user {:?}{token} is already {} in the store",
                        p.user.as_str(),
                        t.status
                    ),
                ));
            }
        }
        // max-tokens bounds the live tokens of each user, the imported ones included.
        let max = self.store.settings()?.max_tokens() as usize;
        for (user, rec, lines) in &users {
            let labels: std::collections::HashSet<&TokenLabel> = parsed
                .iter()
                .filter(|(_, p, _, _)| &p.user == *user)
                .map(|(_, _, _, l)| l)
                .collect();
            let others_live = rec.as_ref().map_or(0, |r| {
                r.tokens
                    .iter()
                    .filter(|t| t.status != Status::Disabled && !labels.contains(&t.label))
                    .count()
            });
            if others_live + lines.len() > max {
                let line = lines.get(max.saturating_sub(others_live)).copied();
                problems.push((
                    line.unwrap_or_default(),
                    format!(
                        "user {:?} would have {} tokens that are not disabled ({others_live} in \
                         the store), and the setting max-tokens allows {max}",
                        user.as_str(),
                        others_live + lines.len()
                    ),
                ));
            }
        }
        if !options.allow_similar {
            // Each name once: a user's further tokens do not look like the user.
            let mut firsts: Vec<usize> = Vec::new();
            let mut named: std::collections::HashSet<&UserName> = Default::default();
            for (i, (_, p, _, _)) in parsed.iter().enumerate() {
                if named.insert(&p.user) {
                    firsts.push(i);
                }
            }
            let names: Vec<&UserName> = firsts
                .iter()
                .filter_map(|&i| parsed.get(i).map(|(_, p, _, _)| &p.user))
                .collect();
            for (i, like) in self.store.lookalikes(&names)? {
                let Some(i) = firsts.get(i).copied() else {
                    continue;
                };
                let (Some((line, p, _, _)), like) = (parsed.get(i), like) else {
                    continue;
                };
                let like = match like {
                    Lookalike::Existing(name) => format!("the existing user {}", quoted(&name)),
                    Lookalike::Earlier(j) => match firsts.get(j).and_then(|&j| parsed.get(j)) {
                        Some((other, q, _, _)) => {
                            format!("{} on {place} {other}", quoted(q.user.as_str()))
                        }
                        None => continue,
                    },
                };
                problems.push((
                    *line,
                    format!(
                        "user {} looks like {like} (pass --allow-similar if they are different \
                         people)",
                        quoted(p.user.as_str())
                    ),
                ));
            }
        }
        problems.sort_by_key(|(line, _)| *line);
        Ok(ImportPlan {
            place,
            parsed,
            problems,
            options: options.clone(),
        })
    }

    /// Encrypts the planned entries (on every core) and enrolls them in one transaction
    /// (nothing with [`ImportOptions::dry_run`]). `progress` is called once per entry
    /// encrypted. Refused if the plan has problems ([`ImportPlan::check`]).
    pub fn apply_import(
        &mut self,
        plan: ImportPlan,
        progress: &(dyn Fn() + Sync),
    ) -> Result<ImportReport> {
        plan.check("the input")?;
        let ImportPlan {
            parsed, options, ..
        } = plan;
        let settings = self.store.settings()?;
        let recipients = self.store.recipients()?;
        // The age encryption is nearly all of an import's time: it runs on every core.
        let enrollments = par_map(&parsed, |(_, p, status, label)| {
            progress();
            Ok(store::Enrollment {
                user: p.user.clone(),
                params: p.params,
                issuer: p
                    .issuer
                    .clone()
                    .unwrap_or_else(|| settings.issuer().to_owned()),
                ciphertext: vault::encrypt_secret(&recipients, &p.secret)?,
                status: *status,
                label: label.clone(),
            })
        })?;
        if !options.dry_run {
            // Entries are re-sealed under the store's lock if a rekey committed meanwhile.
            let secrets: HashMap<(&UserName, &TokenLabel), &TotpSecret> = parsed
                .iter()
                .map(|(_, p, _, label)| ((&p.user, label), &p.secret))
                .collect();
            let mut reseal = |e: &store::Enrollment, current: &[Recipient]| {
                let secret = secrets.get(&(&e.user, &e.label)).ok_or_else(|| {
                    Error::invalid("import", format!("no secret for {:?}", e.user.as_str()))
                })?;
                vault::encrypt_secret(current, secret)
            };
            self.store.import(
                &self.op(),
                &enrollments,
                &recipients,
                Some(&mut reseal),
                options.allow_similar,
            )?;
        }
        let count = |s: Status| enrollments.iter().filter(|e| e.status == s).count();
        Ok(ImportReport {
            imported: if options.dry_run {
                0
            } else {
                enrollments.len()
            },
            users: if options.dry_run {
                0
            } else {
                enrollments
                    .iter()
                    .map(|e| &e.user)
                    .collect::<std::collections::HashSet<_>>()
                    .len()
            },
            valid: enrollments.len(),
            pending: count(Status::Pending),
            enabled: count(Status::Enabled),
            short_secrets: parsed
                .iter()
                .filter(|(_, p, _, _)| p.secret.is_short())
                .count(),
            dry_run: options.dry_run,
        })
    }

    // ----- export -----

    /// The plaintext secrets of the users matching `filter` (pending and enabled ones: the
    /// disabled have none), as `format`. Audited before it is returned.
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// use mfactl::{model::UserFilter, ExportFormat};
    /// mfa.enroll("alice", &Default::default())?;
    /// let export = mfa.export(UserFilter::All, ExportFormat::Csv)?; // one audit row
    /// assert_eq!(export.count, 1);
    /// assert!(export.text.starts_with("user,token,status,uri\n"));
    /// # Ok(()) }
    /// ```
    pub fn export(&mut self, filter: UserFilter, format: ExportFormat) -> Result<Export> {
        let plan = self.prepare_export(filter)?;
        self.finish_export(plan, format)
    }

    /// The first half of [`Mfa::export`]: reads the (still encrypted) secrets; decrypts,
    /// records and writes nothing. [`ExportPlan::len`] says how many would be exported.
    pub fn prepare_export(&mut self, filter: UserFilter) -> Result<ExportPlan> {
        Ok(ExportPlan {
            records: self.store.secrets(filter)?,
        })
    }

    /// The second half of [`Mfa::export`]: decrypts, records the export in the audit log,
    /// renders.
    pub fn finish_export(&mut self, plan: ExportPlan, format: ExportFormat) -> Result<Export> {
        self.render_export(plan, format, None)
    }

    /// [`Mfa::finish_export`], age-encrypted in memory to `to` (ASCII-armored with `armor`):
    /// the plaintext secrets never leave this call. The audit row names the recipients'
    /// fingerprints (`encrypted_to`).
    pub fn finish_export_sealed(
        &mut self,
        plan: ExportPlan,
        format: ExportFormat,
        to: &[crate::vault::SealRecipient],
        armor: bool,
    ) -> Result<SealedExport> {
        if to.is_empty() {
            return Err(Error::invalid(
                "export recipients",
                "an encrypted export needs at least one recipient",
            ));
        }
        let fingerprints: Vec<String> = to.iter().map(|r| r.fingerprint()).collect();
        let export = self.render_export(plan, format, Some(&fingerprints))?;
        Ok(SealedExport {
            count: export.count,
            bytes: crate::vault::seal(to, export.text.as_bytes(), armor)?,
        })
    }

    fn render_export(
        &mut self,
        plan: ExportPlan,
        format: ExportFormat,
        encrypted_to: Option<&[String]>,
    ) -> Result<Export> {
        let ids = self.ids()?;
        let mut rows = Vec::with_capacity(plan.len());
        // Every token with a secret, by user then label (as the store reads them).
        for (rec, token) in plan.tokens() {
            let ct = token.secret.as_deref().unwrap_or_default();
            let secret = ids.decrypt_secret(ct).ok_or_else(|| Error::Decrypt {
                user: rec.user.to_string(),
            })?;
            let uri = totp::otpauth_uri(&secret, &token.params, &token.issuer, &rec.user);
            rows.push(crate::export::Row {
                record: rec,
                token,
                secret: secret.to_base32(),
                uri,
            });
        }
        // Audited before anything is returned.
        self.store.record(&self.op(), AuditEvent::Export, None, {
            let mut details = json!({
                "count": rows.len(),
                "format": format.as_str(),
                "users": plan.records.iter().map(|r| r.user.as_str()).collect::<Vec<_>>(),
            });
            if let Some(fps) = encrypted_to {
                details["encrypted_to"] = fps.into();
            }
            details
        })?;
        Ok(Export {
            count: rows.len(),
            text: crate::export::render(&rows, format)?,
        })
    }

    // ----- rekey -----

    /// Re-encrypts every secret to `recipients` (and drops the old ones), in one transaction.
    /// One of the new keys must be held by the facade's identity (or be listed in
    /// [`RekeyOptions::held`]), unless [`RekeyOptions::skip_identity_check`].
    ///
    /// ```
    /// # fn main() -> mfactl::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let identity = mfactl::vault::generate_identity_file(&dir.path().join("id"))?;
    /// # let mut mfa = mfactl::Mfa::create(&mfactl::store::Location::file(dir.path().join("db")), identity)?;
    /// use mfactl::RekeyOptions;
    /// mfa.enroll("alice", &Default::default())?;
    /// let path = dir.path().join("new-identity.txt");
    /// let report = mfa.rekey(&[], &RekeyOptions::new().new_identity(&path))?;
    /// assert_eq!(report.secrets, 1);
    /// // From now on the secrets open with the new identity only.
    /// # Ok(()) }
    /// ```
    pub fn rekey(
        &mut self,
        recipients: &[Recipient],
        options: &RekeyOptions,
    ) -> Result<RekeyReport> {
        let plan = self.plan_rekey(recipients, options)?;
        self.apply_rekey(plan, &|| {})
    }

    /// The checks of [`Mfa::rekey`], and the secrets it would re-encrypt; writes nothing.
    pub fn plan_rekey(
        &mut self,
        recipients: &[Recipient],
        options: &RekeyOptions,
    ) -> Result<RekeyPlan> {
        if recipients.is_empty() && options.new_identity.is_none() {
            return Err(Error::invalid(
                "recipients",
                "none given, and no new identity to generate",
            ));
        }
        let ids = self.ids()?;
        // A valid but mistyped key would leave every secret encrypted to a key nobody has:
        // someone at hand must hold one of the new keys, unless they are held elsewhere.
        if options.new_identity.is_none() && !options.skip_identity_check {
            let mut held = ids.recipients();
            held.extend(options.held.iter().cloned());
            if !recipients.iter().any(|r| held.contains(r)) {
                let checked = match &options.held_description {
                    Some(d) => format!("the current identity or {d}"),
                    None => "the current identity".to_owned(),
                };
                return Err(Error::invalid(
                    "recipients",
                    format!(
                        "no new recipient matches a key of {checked}: after the rekey nobody here could read a secret, so nothing was changed; \
                         pass --check-identity FILE with an identity for one of the new keys, or --no-identity-check if they are held elsewhere"
                    ),
                ));
            }
        }
        Ok(RekeyPlan {
            recipients: recipients.to_vec(),
            new_identity: options.new_identity.clone(),
            // Every token's secret (a user may have several).
            secrets: store::token_secrets(self.store.secrets(UserFilter::All)?),
        })
    }

    /// What [`Mfa::apply_rekey`] would do: every secret is decrypted (proving the identity at
    /// hand reads them all); nothing is encrypted, generated or written.
    pub fn rekey_dry_run(&mut self, plan: &RekeyPlan) -> Result<RekeyDryRun> {
        let ids = self.ids()?;
        par_map(&plan.secrets, |s| {
            ids.decrypt_secret(&s.ciphertext)
                .map(drop)
                .ok_or_else(|| Error::Decrypt {
                    user: s.user.to_string(),
                })
        })?;
        let current = self.store.recipients()?;
        Ok(RekeyDryRun {
            secrets: plan.secrets.len(),
            removed: current
                .into_iter()
                .filter(|r| !plan.recipients.contains(r))
                .collect(),
        })
    }

    /// Generates the new identity if asked, re-encrypts every secret (on every core, before
    /// the write transaction) and installs the new recipients. `progress` is called once per
    /// secret re-encrypted. A generated identity file is removed again if the rekey fails.
    pub fn apply_rekey(
        &mut self,
        plan: RekeyPlan,
        progress: &(dyn Fn() + Sync),
    ) -> Result<RekeyReport> {
        let RekeyPlan {
            mut recipients,
            new_identity,
            secrets,
        } = plan;
        if let Some(p) = &new_identity {
            let generated = vault::generate_identity_file(p)?;
            recipients.extend(generated.recipients());
        }
        let op = self.op();
        let ids = ids_of(&self.identities)?;
        let reencrypt = |user: &UserName, ciphertext: &[u8]| {
            progress();
            let secret = ids
                .decrypt_secret(ciphertext)
                .ok_or_else(|| Error::Decrypt {
                    user: user.to_string(),
                })?;
            vault::encrypt_secret(&recipients, &secret)
        };
        // Inside the transaction, a prepared ciphertext is used only if the stored one is
        // still the one it was made from; a secret changed meanwhile is re-encrypted there.
        let store = &mut self.store;
        let result =
            par_map(&secrets, |s| reencrypt(&s.user, &s.ciphertext)).and_then(|prepared| {
                // By ciphertext: each token's is its own (age's random file key).
                let index: HashMap<&[u8], usize> = secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.ciphertext.as_slice(), i))
                    .collect();
                store.rekey(
                    &op,
                    &recipients,
                    &mut |s| match index.get(s.ciphertext.as_slice()) {
                        Some(&i) => Ok(prepared[i].clone()),
                        None => reencrypt(&s.user, &s.ciphertext),
                    },
                )
            });
        match result {
            Ok(count) => Ok(RekeyReport {
                secrets: count,
                recipients,
                new_identity,
            }),
            Err(e) => {
                // Nothing was re-encrypted: a freshly generated key would only mislead.
                if let Some(p) = &new_identity {
                    let _ = std::fs::remove_file(p);
                }
                Err(e)
            }
        }
    }
}

/// What [`Mfa::enroll`] may be told. Every field has a default (the store's settings, no
/// force); set them with the builder methods.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EnrollOptions {
    /// The issuer the app shows; default: the store's `issuer` setting.
    pub issuer: Option<String>,
    /// HMAC algorithm; default: the store's setting.
    pub algorithm: Option<Algorithm>,
    /// Code length (6 to 8); default: the store's setting.
    pub digits: Option<u8>,
    /// Step in seconds; default: the store's setting.
    pub period: Option<u32>,
    /// Replace the secret of a pending or enabled user.
    pub force: bool,
    /// Allow a name that looks like another user's.
    pub allow_similar: bool,
    /// Render [`Enrollment::qr_svg`] (default `true`).
    pub qr: bool,
    /// The token's label: a user may have several tokens (a phone, a backup device); `force`
    /// replaces only the one of this label. Default: `default`.
    pub label: TokenLabel,
}

impl Default for EnrollOptions {
    fn default() -> Self {
        EnrollOptions {
            issuer: None,
            algorithm: None,
            digits: None,
            period: None,
            force: false,
            allow_similar: false,
            qr: true,
            label: TokenLabel::default(),
        }
    }
}

impl EnrollOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`EnrollOptions::label`].
    pub fn label(mut self, label: TokenLabel) -> Self {
        self.label = label;
        self
    }

    /// Sets [`EnrollOptions::issuer`].
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets [`EnrollOptions::algorithm`].
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// Sets [`EnrollOptions::digits`].
    pub fn digits(mut self, digits: u8) -> Self {
        self.digits = Some(digits);
        self
    }

    /// Sets [`EnrollOptions::period`].
    pub fn period(mut self, seconds: u32) -> Self {
        self.period = Some(seconds);
        self
    }

    /// Sets [`EnrollOptions::force`].
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Sets [`EnrollOptions::allow_similar`].
    pub fn allow_similar(mut self, allow: bool) -> Self {
        self.allow_similar = allow;
        self
    }

    /// Sets [`EnrollOptions::qr`].
    pub fn qr(mut self, qr: bool) -> Self {
        self.qr = qr;
        self
    }

    /// Checks the options that do not depend on the store (issuer, digits, period).
    pub fn check(&self) -> Result<()> {
        if let Some(i) = &self.issuer {
            crate::model::validate_issuer(i)?;
        }
        if let Some(d) = self.digits {
            crate::model::check_digits(d)?;
        }
        if let Some(p) = self.period {
            crate::model::check_period(p)?;
        }
        Ok(())
    }
}

/// A secret made and encrypted for a user, not yet stored ([`Mfa::prepare_enroll`]).
pub struct PreparedEnrollment {
    user: UserName,
    params: TotpParams,
    issuer: String,
    secret: TotpSecret,
    ciphertext: Vec<u8>,
    recipients: Vec<Recipient>,
    uri: Zeroizing<String>,
    replaces: Option<(UserName, Status)>,
    force: bool,
    allow_similar: bool,
    label: TokenLabel,
}

impl fmt::Debug for PreparedEnrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedEnrollment")
            .field("user", &self.user)
            .field("replaces", &self.replaces)
            .finish_non_exhaustive()
    }
}

impl PreparedEnrollment {
    /// The pairing URI (it holds the secret).
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Who is enrolled.
    pub fn user(&self) -> &UserName {
        &self.user
    }

    /// The TOTP parameters.
    pub fn params(&self) -> TotpParams {
        self.params
    }

    /// The issuer shown in the authenticator app.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The new secret, for manual entry.
    pub fn secret(&self) -> &TotpSecret {
        &self.secret
    }

    /// The user as stored, and their status, when a pending or enabled secret would be
    /// replaced (`force`, or a pending enrollment past `pending-ttl`).
    pub fn replaces(&self) -> Option<(&UserName, Status)> {
        self.replaces.as_ref().map(|(u, s)| (u, *s))
    }
}

/// A stored enrollment: what the user's authenticator app needs, shown once.
#[non_exhaustive]
pub struct Enrollment {
    /// Who.
    pub user: UserName,
    /// Pending until a first code is verified.
    pub status: Status,
    /// The issuer the app shows.
    pub issuer: String,
    /// Algorithm, digits, period.
    pub params: TotpParams,
    /// The otpauth URI to pair with (it holds the secret).
    pub uri: Zeroizing<String>,
    /// The secret itself (zeroized on drop; `Debug` redacts it).
    pub secret: TotpSecret,
    /// The URI as an SVG QR code; `None` if not asked for, or if the URI is too long for one.
    pub qr_svg: Option<Zeroizing<String>>,
    /// What the enrollment replaced.
    pub outcome: EnrollOutcome,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment")
            .field("user", &self.user)
            .field("status", &self.status)
            .field("issuer", &self.issuer)
            .field("params", &self.params)
            .field("uri", &"<redacted>")
            .field("secret", &self.secret)
            .field("qr_svg", &self.qr_svg.as_ref().map(|_| "<redacted>"))
            .field("outcome", &self.outcome)
            .finish()
    }
}

impl Enrollment {
    /// The URI as a PNG QR code (it holds the secret).
    pub fn qr_png(&self) -> Result<Zeroizing<Vec<u8>>> {
        crate::qr::png(&self.uri)
    }

    /// The URI as a QR code of Unicode half blocks, for a terminal.
    pub fn qr_terminal(&self, shade: crate::qr::Shade) -> Result<Zeroizing<String>> {
        crate::qr::terminal(&self.uri, shade)
    }
}

/// One user as [`Mfa::show`] and [`Mfa::list`] give them: the record without its ciphertext.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UserInfo {
    /// The record; `secret` is always `None`.
    pub record: UserRecord,
    /// The secret is shorter than 128 bits (a legacy import): enroll the user again.
    pub short_secret: bool,
}

impl UserInfo {
    fn new(mut record: UserRecord) -> Self {
        // Its length says whether the secret is short (nothing is decrypted); the ciphertext
        // is dropped at once.
        let short_secret = is_short_secret(record.secret.take().as_deref());
        UserInfo {
            record,
            short_secret,
        }
    }
}

/// A pairing shown again ([`Mfa::pairing`]); zeroized on drop, redacted in `Debug`.
#[non_exhaustive]
pub struct Pairing {
    /// The user's status when it was read.
    pub status: Status,
    /// The otpauth URI (it holds the secret).
    pub uri: Zeroizing<String>,
    /// The secret.
    pub secret: TotpSecret,
}

impl fmt::Debug for Pairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pairing")
            .field("status", &self.status)
            .field("uri", &"<redacted>")
            .field("secret", &self.secret)
            .finish()
    }
}

/// The ciphertext a pairing may be shown from for `rec`: a pending user's, an enabled user's
/// only with `force`, never a disabled user's.
fn revealable<'a>(user: &UserName, rec: &'a UserRecord, force: bool) -> Result<&'a [u8]> {
    match (rec.secret.as_deref(), rec.status) {
        (Some(ct), Status::Pending) => Ok(ct),
        (Some(ct), Status::Enabled) if force => Ok(ct),
        (Some(_), Status::Enabled) => Err(Error::NeedsForce {
            message: format!(
                "{user} is enabled: showing the QR code again re-exposes a live secret; pass --force if that is intended"
            ),
        }),
        _ => Err(Error::UserDisabled {
            user: user.to_string(),
        }),
    }
}

/// Whether a sealed secret is shorter than 128 bits, from the ciphertext's length alone
/// (nothing is decrypted).
pub fn is_short_secret(ciphertext: Option<&[u8]>) -> bool {
    ciphertext.is_some_and(vault::sealed_secret_is_short)
}

/// What [`Mfa::import`] may be told.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Every entry gets this status, whatever the input says (default: the input's, else
    /// enabled).
    pub status: Option<Status>,
    /// Accept legacy secrets shorter than 128 bits (at least 80).
    pub allow_short_secrets: bool,
    /// Accept names that look like other users'.
    pub allow_similar: bool,
    /// Check and encrypt everything, store nothing.
    pub dry_run: bool,
}

impl ImportOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`ImportOptions::status`].
    pub fn status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets [`ImportOptions::allow_short_secrets`].
    pub fn allow_short_secrets(mut self, allow: bool) -> Self {
        self.allow_short_secrets = allow;
        self
    }

    /// Sets [`ImportOptions::allow_similar`].
    pub fn allow_similar(mut self, allow: bool) -> Self {
        self.allow_similar = allow;
        self
    }

    /// Sets [`ImportOptions::dry_run`].
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
}

/// Entries read and checked ([`Mfa::plan_import`]), not yet stored.
pub struct ImportPlan {
    place: &'static str,
    parsed: Vec<(usize, ParsedUri, Status, TokenLabel)>,
    problems: Vec<(usize, String)>,
    options: ImportOptions,
}

impl fmt::Debug for ImportPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportPlan")
            .field("entries", &self.parsed.len())
            .field("problems", &self.problems.len())
            .finish_non_exhaustive()
    }
}

impl ImportPlan {
    /// Each problem, by line (URI, CSV) or entry (JSON, YAML) number, in order. A message may
    /// quote the input: pass it through [`crate::redact::message`] before logging it.
    pub fn problems(&self) -> &[(usize, String)] {
        &self.problems
    }

    /// What the numbers of [`ImportPlan::problems`] count: `line` or `entry`.
    pub fn place(&self) -> &'static str {
        self.place
    }

    /// How many entries are valid.
    pub fn len(&self) -> usize {
        self.parsed.len()
    }

    /// Whether there is no valid entry.
    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }

    /// [`Error::InvalidInput`] if there is any problem, or no entry, in the input called
    /// `name` (in the message).
    pub fn check(&self, name: &str) -> Result<()> {
        if !self.problems.is_empty() {
            return Err(Error::invalid(
                "import",
                format!(
                    "{} problem(s) in {name}; nothing was imported",
                    self.problems.len()
                ),
            ));
        }
        if self.parsed.is_empty() {
            return Err(Error::invalid("import", format!("no entries in {name}")));
        }
        Ok(())
    }
}

/// What [`Mfa::import`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Tokens stored (0 on a dry run); a user may have several.
    pub imported: usize,
    /// The users those tokens belong to (0 on a dry run).
    pub users: usize,
    /// Valid entries.
    pub valid: usize,
    /// Of them, pending ones.
    pub pending: usize,
    /// Of them, enabled ones.
    pub enabled: usize,
    /// Of them, legacy secrets shorter than 128 bits.
    pub short_secrets: usize,
    /// Nothing was stored.
    pub dry_run: bool,
}

/// The formats [`Mfa::export`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportFormat {
    /// One otpauth URI per token, with `status` and `token` (label) parameters that import
    /// reads.
    Uri,
    /// `user,token,status,uri`, one row per token.
    Csv,
    /// An array of objects with every parameter, the base32 secret and the URI.
    Json,
}

impl ExportFormat {
    /// `uri`, `csv` or `json` (as the audit row names it).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Uri => "uri",
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The secrets an export would print ([`Mfa::prepare_export`]).
pub struct ExportPlan {
    records: Vec<UserRecord>,
}

impl fmt::Debug for ExportPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExportPlan({} secrets)", self.len())
    }
}

impl ExportPlan {
    /// How many secrets (tokens that have one; a user may have several).
    pub fn len(&self) -> usize {
        self.tokens().count()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.tokens().next().is_none()
    }

    /// The tokens with a secret, with their users, by user then label.
    fn tokens(&self) -> impl Iterator<Item = (&UserRecord, &crate::model::TokenRecord)> {
        self.records.iter().flat_map(|rec| {
            rec.tokens
                .iter()
                .filter(|t| t.secret.is_some())
                .map(move |t| (rec, t))
        })
    }
}

/// Plaintext secrets ([`Mfa::export`]); zeroized on drop, redacted in `Debug`.
#[non_exhaustive]
pub struct Export {
    /// How many secrets (tokens; a user may have several).
    pub count: usize,
    /// The text, in the format asked for.
    pub text: Zeroizing<String>,
}

impl fmt::Debug for Export {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Export({} secrets, <redacted>)", self.count)
    }
}

/// An export age-encrypted in memory ([`Mfa::finish_export_sealed`]): safe to write anywhere.
#[derive(Debug)]
#[non_exhaustive]
pub struct SealedExport {
    /// How many secrets (tokens; a user may have several).
    pub count: usize,
    /// The age file (binary, or ASCII-armored if asked).
    pub bytes: Vec<u8>,
}

/// What [`Mfa::rekey`] may be told.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RekeyOptions {
    /// Generate a new identity file here (it must not exist) and add its key.
    pub new_identity: Option<PathBuf>,
    /// Keys also known to be at hand (e.g. of another identity file), for the check that one
    /// of the new keys is held.
    pub held: Vec<Recipient>,
    /// Names [`RekeyOptions::held`]'s source in the check's error.
    pub held_description: Option<String>,
    /// Skip that check (the new keys are held elsewhere).
    pub skip_identity_check: bool,
}

impl RekeyOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`RekeyOptions::new_identity`].
    pub fn new_identity(mut self, path: impl AsRef<Path>) -> Self {
        self.new_identity = Some(path.as_ref().to_owned());
        self
    }

    /// Sets [`RekeyOptions::skip_identity_check`].
    pub fn skip_identity_check(mut self, skip: bool) -> Self {
        self.skip_identity_check = skip;
        self
    }
}

/// A checked rekey ([`Mfa::plan_rekey`]), not yet applied.
pub struct RekeyPlan {
    recipients: Vec<Recipient>,
    new_identity: Option<PathBuf>,
    secrets: Vec<StoredSecret>,
}

impl fmt::Debug for RekeyPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RekeyPlan")
            .field("recipients", &self.recipients.len())
            .field("new_identity", &self.new_identity)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl RekeyPlan {
    /// How many secrets would be re-encrypted.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The new recipients (without the key of an identity still to be generated).
    pub fn recipients(&self) -> &[Recipient] {
        &self.recipients
    }
}

/// What a rekey would do ([`Mfa::rekey_dry_run`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RekeyDryRun {
    /// Secrets that would be re-encrypted (all decrypt with the identity at hand).
    pub secrets: usize,
    /// Current recipients not among the new ones.
    pub removed: Vec<Recipient>,
}

/// What [`Mfa::rekey`] did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RekeyReport {
    /// Secrets re-encrypted.
    pub secrets: usize,
    /// The store's recipients now.
    pub recipients: Vec<Recipient>,
    /// The identity file generated, if asked for.
    pub new_identity: Option<PathBuf>,
}

fn ids_of(identities: &Option<Identities>) -> Result<&Identities> {
    identities.as_ref().ok_or_else(|| Error::Identity {
        source_name: "Mfa".into(),
        reason: "none was given (Mfa::with_identities)".into(),
    })
}

/// Maps `f` over `items` on every core (scoped threads over contiguous chunks), for the bulk age
/// work of import and rekey. The order is kept, and the error returned is the one of the first
/// failing item, as a sequential loop would return.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> Result<U> + Sync) -> Result<Vec<U>> {
    // Below this, spawning threads costs more than it saves.
    const MIN_PER_THREAD: usize = 64;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / MIN_PER_THREAD)
        .max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Result<Vec<U>>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(out)
    })
}
