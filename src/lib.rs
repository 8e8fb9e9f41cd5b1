//! mfactl's library: TOTP multi-factor authentication over an age-encrypted store (a SQLite
//! file, or a shared PostgreSQL database).
//!
//! The binary is a thin layer over these modules; none of them touches the terminal.
//!
//! - [`store`]: the store and its rules, over a SQLite or PostgreSQL backend;
//! - [`vault`]: age identities and recipients, encryption of secrets;
//! - [`totp`]: secrets, codes, otpauth URIs and the replay rule;
//! - [`verification`]: the order in which a verification's rules apply;
//! - [`qr`]: pairing QR codes;
//! - [`recovery`]: one-time recovery codes;
//! - [`audit`], [`settings`], [`model`]: the domain types around them.

#![warn(missing_docs)]

pub mod audit;
pub mod bundle;
pub mod error;
pub mod files;
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
