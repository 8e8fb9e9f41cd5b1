//! mfactl's library: TOTP multi-factor authentication over an age-encrypted store (a SQLite
//! file, or a shared PostgreSQL database).
//!
//! The `mfactl` binary is a thin layer over this crate, and an application can use the same
//! store the operators administer: [`Mfa`] does the common jobs — enroll, verify, disable,
//! show, list, recovery codes, import, export, rekey — with the same rules, transactions and
//! audit rows as the commands. Errors are [`Error`]s, with stable [`Error::kind`]s.
//!
//! # Example
//!
//! Enroll a user into a new store, compute the code their authenticator app would show, and
//! verify it:
//!
//! ```
//! use mfactl::{store::Location, vault, EnrollOptions, Mfa};
//!
//! # fn main() -> mfactl::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! // The age identity that reads the secrets (`mfactl init` makes one too).
//! let identity = vault::generate_identity_file(&dir.path().join("identity.txt"))?;
//! // A SQLite file here; `Location::parse` also takes `postgresql://` URLs.
//! let location = Location::file(dir.path().join("mfa.db"));
//! let mut mfa = Mfa::create(&location, identity)?.with_actor("my-web-app")?;
//!
//! let enrollment = mfa.enroll("alice", &EnrollOptions::new())?;
//! // Show `enrollment.uri` (or `enrollment.qr_svg`) to Alice once; her app computes:
//! let now = std::time::SystemTime::now()
//!     .duration_since(std::time::UNIX_EPOCH)
//!     .unwrap()
//!     .as_secs();
//! let params = enrollment.params;
//! let step = mfactl::totp::step_at(now, &params);
//! let code = mfactl::totp::code_for_step(&enrollment.secret, &params, step)?;
//!
//! let verification = mfa.verify("alice", code.as_str())?;
//! assert!(verification.accepted());
//! assert!(verification.confirmed); // her first code enabled MFA
//! // The same code is not accepted twice.
//! assert!(!mfa.verify("alice", code.as_str())?.accepted());
//! # Ok(())
//! # }
//! ```
//!
//! Later, open the existing store with [`Mfa::open`] (the identity from
//! [`vault::Identities::load`]).
//!
//! # Modules
//!
//! The facade is built on public lower-level modules, for what it does not cover:
//!
//! - [`mfa`]: the facade and its option and result types;
//! - [`store`]: the store and its rules, over a SQLite or PostgreSQL backend;
//! - [`vault`]: age identities and recipients, encryption of secrets;
//! - [`totp`]: secrets, codes, otpauth URIs and the replay rule;
//! - [`verification`]: the order in which a verification's rules apply;
//! - [`qr`]: pairing QR codes;
//! - [`recovery`]: one-time recovery codes;
//! - [`import`], [`export`]: the file formats of import and export;
//! - [`janitor`]: rules that clean a store of unused, stale and disabled users;
//! - [`lockout`]: when failures lock a user, and when a timed lock lifts;
//! - [`audit`], [`settings`], [`model`]: the domain types around them.
//!
//! # Features
//!
//! - `postgres` (default): PostgreSQL stores (`postgresql://` locations).
//! - `cli` (default): the `mfactl` binary and its terminal dependencies. The library needs
//!   none of them: `default-features = false` (with `features = ["postgres"]` if wanted).

#![warn(missing_docs)]

pub mod audit;
pub mod bundle;
pub mod error;
pub mod export;
pub mod files;
pub mod import;
pub mod janitor;
pub mod lockout;
pub mod mfa;
pub mod model;
pub mod names;
pub mod paths;
pub mod qr;
pub mod recovery;
pub mod redact;
pub mod secret_buf;
pub mod settings;
pub mod store;
pub mod totp;
pub mod vault;
pub mod verification;

pub use error::{Error, Result};
pub use import::ImportFormat;
pub use mfa::{
    EnrollOptions, Enrollment, Export, ExportFormat, ImportOptions, ImportReport, Mfa,
    PreparedEnrollment, RekeyOptions, RekeyReport, Resync, SealedExport, UserInfo, Verification,
};
