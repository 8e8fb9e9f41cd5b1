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
    Remove => "remove": "The janitor deleted a disabled user's row (their audit history stays).",
    Resync => "resync": "Two consecutive codes set a token's clock drift (details: the old and new drift), or a resync was refused (details: the reason).",
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

/// The audit log's hash chain: every row stores SHA-256 over the previous row's hash and its
/// own canonical content, so an edited, deleted, inserted or reordered row breaks the chain from
/// that row on. The encoding (version 1), which any tool can recompute:
///
/// ```text
/// hash(row) = SHA-256( "mfactl-audit-chain-v1" 0x00
///                      || prev                    32 raw bytes: the previous row's hash
///                                                 (32 zero bytes before the first row)
///                      || id                      8 bytes, signed big-endian
///                      || str(at) || str(event) || opt(user) || str(actor) || str(details) )
/// str(s)       = length of s in bytes, 4 bytes big-endian || the UTF-8 bytes as stored
/// opt(absent)  = 0x00
/// opt(s)       = 0x01 || str(s)
/// ```
///
/// The `hash` column holds the 64 lowercase hex digits. Rows are chained in `id` order.
pub mod chain {
    use std::fmt;
    use std::str::FromStr;

    use serde::Serialize;
    use sha2::{Digest, Sha256};

    use crate::error::{Error, Result};

    /// The domain-separation prefix of version 1 of the encoding.
    pub const DOMAIN: &[u8] = b"mfactl-audit-chain-v1\0";

    /// The "previous hash" of the first row.
    pub const GENESIS: [u8; 32] = [0; 32];

    /// The stored fields of one row, as the chain sees them.
    #[derive(Clone, Copy, Debug)]
    pub struct RowContent<'a> {
        /// `id`.
        pub id: i64,
        /// `at`, as stored.
        pub at: &'a str,
        /// `event`.
        pub event: &'a str,
        /// `user`.
        pub user: Option<&'a str>,
        /// `actor`.
        pub actor: &'a str,
        /// `details`, the JSON text as stored.
        pub details: &'a str,
    }

    fn put_str(h: &mut Sha256, s: &str) {
        // Stored strings are far below 4 GiB; a longer one could not be stored anyway.
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        h.update(len.to_be_bytes());
        h.update(s.as_bytes());
    }

    /// The row's hash given the previous row's.
    pub fn row_hash(prev: &[u8; 32], row: &RowContent<'_>) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(prev);
        h.update(row.id.to_be_bytes());
        put_str(&mut h, row.at);
        put_str(&mut h, row.event);
        match row.user {
            None => h.update([0u8]),
            Some(u) => {
                h.update([1u8]);
                put_str(&mut h, u);
            }
        }
        put_str(&mut h, row.actor);
        put_str(&mut h, row.details);
        h.finalize().into()
    }

    /// Lowercase hex, as stored.
    pub fn to_hex(hash: &[u8; 32]) -> String {
        data_encoding::HEXLOWER.encode(hash)
    }

    /// A stored hash back to bytes; `None` unless exactly 64 lowercase hex digits.
    pub fn from_hex(text: &str) -> Option<[u8; 32]> {
        let bytes = data_encoding::HEXLOWER.decode(text.as_bytes()).ok()?;
        bytes.try_into().ok()
    }

    /// A row of the chain, `ID:HASH`: what `log --head` prints and `log --verify --anchor`
    /// takes.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct ChainHead {
        /// The row's id.
        pub id: i64,
        /// Its hash, 64 lowercase hex digits.
        pub hash: String,
    }

    impl fmt::Display for ChainHead {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}:{}", self.id, self.hash)
        }
    }

    impl FromStr for ChainHead {
        type Err = Error;
        fn from_str(s: &str) -> Result<Self> {
            let bad = || {
                Error::invalid(
                    "--anchor",
                    format!(
                        "{s:?} (expected ID:HASH as `mfactl log --head` prints it, \
                         e.g. 42:{})",
                        "0".repeat(64)
                    ),
                )
            };
            let (id, hash) = s.trim().split_once(':').ok_or_else(bad)?;
            let id: i64 = id.parse().map_err(|_| bad())?;
            let hash = hash.to_ascii_lowercase();
            if id < 1 || from_hex(&hash).is_none() {
                return Err(bad());
            }
            Ok(ChainHead { id, hash })
        }
    }

    /// Why a chain does not verify.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum BreakKind {
        /// The row's stored hash is not the hash of its content after the row before it: the
        /// row was edited, or rows before it were deleted, inserted or reordered.
        Mismatch,
        /// The row has no hash, or one that is not 64 hex digits.
        MissingHash,
        /// The anchor's row is gone: the log was truncated after it, or the row deleted.
        AnchorMissing,
        /// The anchor's row holds another hash: the chain was rewritten up to it.
        AnchorMismatch,
    }

    /// The first place where a chain breaks.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct ChainBreak {
        /// The kind of break.
        pub kind: BreakKind,
        /// The row that breaks it (for `anchor-missing`, the anchor's id).
        pub id: i64,
        /// What is wrong, in words.
        pub message: String,
    }

    /// What verifying the audit chain found.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct ChainReport {
        /// Whether the whole chain (and the anchor, if given) checks out.
        pub intact: bool,
        /// How many rows were checked.
        pub rows: u64,
        /// The last row, as stored (`None` for an empty log).
        pub head: Option<ChainHead>,
        /// The first break, if any.
        pub broken: Option<ChainBreak>,
    }

    /// A streaming checker: feed it rows in id order, then [`Verifier::finish`].
    #[derive(Debug)]
    pub struct Verifier {
        prev: [u8; 32],
        prev_id: Option<i64>,
        rows: u64,
        anchor: Option<ChainHead>,
        anchor_seen: bool,
        head: Option<ChainHead>,
        broken: Option<ChainBreak>,
    }

    impl Verifier {
        /// A checker; with `anchor`, that row must be present with that hash.
        pub fn new(anchor: Option<ChainHead>) -> Self {
            Verifier {
                prev: GENESIS,
                prev_id: None,
                rows: 0,
                anchor,
                anchor_seen: false,
                head: None,
                broken: None,
            }
        }

        /// Whether a break was found (the rest need not be read).
        pub fn is_broken(&self) -> bool {
            self.broken.is_some()
        }

        /// Checks the next row, with its stored hash.
        pub fn push(&mut self, row: &RowContent<'_>, stored: Option<&str>) {
            self.rows += 1;
            self.head = Some(ChainHead {
                id: row.id,
                hash: stored.unwrap_or_default().to_owned(),
            });
            if self.broken.is_some() {
                return;
            }
            let expected = row_hash(&self.prev, row);
            let after = match self.prev_id {
                Some(p) if p + 1 < row.id => format!(
                    " (ids {} to {} are absent: deleted rows, or transactions that rolled back)",
                    p + 1,
                    row.id - 1
                ),
                _ => String::new(),
            };
            let Some(stored_bytes) = stored.and_then(from_hex) else {
                self.broken = Some(ChainBreak {
                    kind: BreakKind::MissingHash,
                    id: row.id,
                    message: format!("row {} has no valid hash", row.id),
                });
                return;
            };
            if stored_bytes != expected {
                let before = match self.prev_id {
                    Some(p) => format!("row {p}"),
                    None => "the start of the log".to_owned(),
                };
                self.broken = Some(ChainBreak {
                    kind: BreakKind::Mismatch,
                    id: row.id,
                    message: format!(
                        "row {} does not match its content after {before}: it was edited, or \
                         rows before it were deleted, inserted or reordered{after}",
                        row.id
                    ),
                });
                return;
            }
            if let Some(anchor) = &self.anchor {
                if anchor.id == row.id {
                    self.anchor_seen = true;
                    if anchor.hash != to_hex(&expected) {
                        self.broken = Some(ChainBreak {
                            kind: BreakKind::AnchorMismatch,
                            id: row.id,
                            message: format!(
                                "row {} is not the row the anchor recorded: the chain was \
                                 rewritten up to it",
                                row.id
                            ),
                        });
                        return;
                    }
                } else if anchor.id < row.id && !self.anchor_seen {
                    self.broken = Some(ChainBreak {
                        kind: BreakKind::AnchorMissing,
                        id: anchor.id,
                        message: format!(
                            "the anchor's row {} is gone: it was deleted or the chain rewritten",
                            anchor.id
                        ),
                    });
                    return;
                }
            }
            self.prev = expected;
            self.prev_id = Some(row.id);
        }

        /// The verdict.
        pub fn finish(mut self) -> ChainReport {
            if self.broken.is_none() {
                if let Some(anchor) = &self.anchor {
                    if !self.anchor_seen {
                        self.broken = Some(ChainBreak {
                            kind: BreakKind::AnchorMissing,
                            id: anchor.id,
                            message: format!(
                                "the anchor's row {} is gone: the log was truncated after row \
                                 {}",
                                anchor.id,
                                self.prev_id
                                    .map_or_else(|| "0".to_owned(), |p| p.to_string())
                            ),
                        });
                    }
                }
            }
            ChainReport {
                intact: self.broken.is_none(),
                rows: self.rows,
                head: self.head,
                broken: self.broken,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn row(id: i64, details: &'static str) -> RowContent<'static> {
            RowContent {
                id,
                at: "2026-01-01T00:00:00Z",
                event: "init",
                user: None,
                actor: "root",
                details,
            }
        }

        #[test]
        fn encoding_is_pinned() {
            // Recomputed by hand from the documented encoding with Python's hashlib.
            let h = row_hash(&GENESIS, &row(1, "{}"));
            let mut m = Vec::new();
            m.extend_from_slice(DOMAIN);
            m.extend_from_slice(&[0; 32]);
            m.extend_from_slice(&1i64.to_be_bytes());
            for s in ["2026-01-01T00:00:00Z", "init"] {
                m.extend_from_slice(&(s.len() as u32).to_be_bytes());
                m.extend_from_slice(s.as_bytes());
            }
            m.push(0);
            for s in ["root", "{}"] {
                m.extend_from_slice(&(s.len() as u32).to_be_bytes());
                m.extend_from_slice(s.as_bytes());
            }
            let direct: [u8; 32] = Sha256::digest(&m).into();
            assert_eq!(h, direct);
            // A user of "" differs from no user.
            let with_user = RowContent {
                user: Some(""),
                ..row(1, "{}")
            };
            assert_ne!(row_hash(&GENESIS, &with_user), h);
        }

        fn chain(n: i64) -> Vec<(RowContent<'static>, String)> {
            let mut prev = GENESIS;
            (1..=n)
                .map(|id| {
                    let r = row(id, "{}");
                    prev = row_hash(&prev, &r);
                    (r, to_hex(&prev))
                })
                .collect()
        }

        fn check(rows: &[(RowContent<'_>, String)], anchor: Option<ChainHead>) -> ChainReport {
            let mut v = Verifier::new(anchor);
            for (r, h) in rows {
                v.push(r, Some(h));
            }
            v.finish()
        }

        #[test]
        fn intact_chain_and_anchors() {
            let rows = chain(5);
            let report = check(&rows, None);
            assert!(report.intact);
            assert_eq!(report.head.as_ref().unwrap().id, 5);
            let anchor = ChainHead {
                id: 3,
                hash: rows[2].1.clone(),
            };
            assert!(check(&rows, Some(anchor.clone())).intact);
            // Truncated after the anchor.
            let r = check(&rows[..2], Some(anchor.clone()));
            assert_eq!(r.broken.unwrap().kind, BreakKind::AnchorMissing);
            // Another hash at the anchor's id.
            let wrong = ChainHead {
                id: 3,
                hash: rows[1].1.clone(),
            };
            assert_eq!(
                check(&rows, Some(wrong)).broken.unwrap().kind,
                BreakKind::AnchorMismatch
            );
        }

        #[test]
        fn edits_and_deletions_break_at_the_right_row() {
            let mut rows = chain(5);
            rows[2].0.details = "{\"x\":1}";
            let b = check(&rows, None).broken.unwrap();
            assert_eq!((b.kind, b.id), (BreakKind::Mismatch, 3));
            let mut rows = chain(5);
            rows.remove(1);
            assert_eq!(check(&rows, None).broken.unwrap().id, 3);
            let mut rows = chain(5);
            rows.swap(1, 2);
            assert_eq!(check(&rows, None).broken.unwrap().id, 3);
        }

        #[test]
        fn anchors_parse() {
            let h = format!("7:{}", "AB".repeat(32));
            let a: ChainHead = h.parse().unwrap();
            assert_eq!(a.id, 7);
            assert_eq!(a.hash, "ab".repeat(32));
            for bad in [
                "",
                "7",
                "7:",
                "x:00",
                "0:00",
                &format!("-1:{}", "0".repeat(64)),
            ] {
                assert!(bad.parse::<ChainHead>().is_err(), "{bad:?}");
            }
        }
    }
}
