//! The audit log: what happened, to whom, by whom. Written by the store in the same
//! transaction as the change it records. Details never hold a secret or a code.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Timestamp, UserName};

/// Who performs an operation and when; every change the store makes is logged with it.
#[derive(Clone, Debug)]
pub struct Op {
    /// The OS user running mfactl, or `--actor` / `MFACTL_ACTOR`.
    pub actor: String,
    /// The operation's time.
    pub now: Timestamp,
}

impl Op {
    /// An operation by `actor`, now.
    pub fn new(actor: impl Into<String>) -> Self {
        Op {
            actor: actor.into(),
            now: Timestamp::now(),
        }
    }
}

/// Checks who is acting (`--actor`, `MFACTL_ACTOR` or the OS user) as a user name is checked,
/// and returns it in NFC: 1–255 bytes, no control, format or other invisible character
/// ([`crate::names::is_invisible`]), no leading or trailing whitespace. Unlike a user name it
/// may hold `:` (`uid:1000`, `ci:deploy`). The audit log stores it, and `log` shows it.
pub fn validate_actor(actor: &str) -> Result<String> {
    let actor = crate::names::nfc(actor);
    if actor.is_empty() {
        return Err(Error::invalid("actor", "must not be empty"));
    }
    if actor.len() > 255 {
        return Err(Error::invalid(
            "actor",
            format!("{} bytes long, the limit is 255", actor.len()),
        ));
    }
    if let Some((pos, c)) = actor
        .char_indices()
        .find(|(_, c)| crate::names::is_invisible(*c))
    {
        return Err(Error::invalid(
            "actor",
            format!(
                "control, format or invisible character U+{:04X} at byte {pos} is not allowed",
                c as u32
            ),
        ));
    }
    if actor.trim() != actor {
        return Err(Error::invalid(
            "actor",
            "leading or trailing whitespace is not allowed",
        ));
    }
    Ok(actor.into_owned())
}

macro_rules! events {
    ($($variant:ident => $name:literal: $doc:literal,)*) => {
        /// A kind of audited event.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum AuditEvent {
            $(#[doc = $doc] $variant,)*
        }

        impl AuditEvent {
            /// Every event, in documentation order.
            pub const ALL: &'static [AuditEvent] = &[$(AuditEvent::$variant,)*];

            /// The event's name in the log.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditEvent::$variant => $name,)*
                }
            }
        }
    };
}

events! {
    Init => "init": "The store was created.",
    Enroll => "enroll": "A user was enrolled (a new secret, status pending).",
    Reenroll => "re-enroll": "A pending or enabled user's secret was replaced (--force).",
    Confirm => "confirm": "A pending user's first valid code enabled MFA.",
    VerifyAccepted => "verify-accepted": "A code was accepted.",
    VerifyRejected => "verify-rejected": "A code was rejected (details give the reason).",
    Lock => "lock": "Too many failures locked the user.",
    Unlock => "unlock": "An operator unlocked the user.",
    Disable => "disable": "MFA was disabled and the secret erased.",
    ShowQr => "show-qr": "A secret was displayed again.",
    RecoveryCodes => "recovery-codes": "A new set of recovery codes was issued.",
    Export => "export": "Secrets were exported in plaintext.",
    Import => "import": "Users were imported.",
    Rekey => "rekey": "Every secret was re-encrypted to a new recipient set.",
    ConfigSet => "config-set": "A store setting changed.",
    CopyStore => "copy-store": "The store was created as a copy of another (details name the source).",
}

impl fmt::Display for AuditEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditEvent {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        AuditEvent::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = AuditEvent::ALL.iter().map(|e| e.as_str()).collect();
                Error::invalid(
                    "event",
                    format!("{s:?} (expected one of: {})", names.join(", ")),
                )
            })
    }
}

/// One row of the audit log.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    /// Sequence number (increases with time).
    pub id: i64,
    /// When, UTC.
    pub at: Timestamp,
    /// Event name.
    pub event: String,
    /// The user concerned, if any.
    pub user: Option<String>,
    /// Who did it.
    pub actor: String,
    /// Event-specific facts (reason, failure count, ...), never secrets.
    pub details: serde_json::Value,
}

/// Which audit rows to read; newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this user's rows.
    pub user: Option<UserName>,
    /// Only rows at or after this time.
    pub since: Option<Timestamp>,
    /// Only this event.
    pub event: Option<AuditEvent>,
    /// At most this many rows.
    pub limit: Option<u32>,
}
