//! The library's error type: every failure a caller may need to branch on, each with a stable
//! machine-readable kind and, where there is one, a hint saying what to do next.
//!
//! Messages never carry secret material: no TOTP secret, no code, no key.

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside mfactl's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given by the user (name, code, parameter, setting) is not acceptable.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was being parsed ("user name", "code", ...).
        what: &'static str,
        /// Why it was refused, without echoing secret material.
        reason: String,
    },

    /// No store exists at the location (no file, or a database without mfactl's schema).
    #[error("no store at {location}")]
    StoreMissing {
        /// Where it was looked for (a path, or a URL with its password masked).
        location: String,
    },

    /// `init` was asked to create a store where one already exists.
    #[error("a store already exists at {location}")]
    StoreExists {
        /// The existing store (a path, or a URL with its password masked).
        location: String,
    },

    /// The file exists but is not an mfactl store (or is damaged).
    #[error("{location} is not a usable mfactl store: {reason}")]
    NotAStore {
        /// The offending file or database.
        location: String,
        /// What was wrong with it.
        reason: String,
    },

    /// The store was written by a newer mfactl.
    #[error(
        "store {location} has schema version {found}; this mfactl understands up to {supported}"
    )]
    SchemaTooNew {
        /// The store.
        location: String,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },

    /// The store cannot be written (read-only file, directory or file system).
    #[error("store {location} is read-only: {reason}")]
    ReadOnly {
        /// The store.
        location: String,
        /// What the OS or the database said.
        reason: String,
    },

    /// A store may not be created there: anyone could replace it.
    #[error("refusing to create a store at {location}: {reason}")]
    UnsafeLocation {
        /// The store file asked for.
        location: String,
        /// What is unsafe about it.
        reason: String,
    },

    /// A database server could not be reached, refused the login or timed out.
    #[error("store {location} is unavailable: {reason}")]
    StoreUnavailable {
        /// The server's URL, its password masked.
        location: String,
        /// What went wrong, naming host and port (never the password).
        reason: String,
    },

    /// No such user in the store.
    #[error("no user {} in the store", crate::names::quoted(.user))]
    UnknownUser {
        /// The name asked for.
        user: String,
        /// Existing names close to it, for the hint ("did you mean ...?"); filled in by the
        /// caller where naming other users is acceptable ([`crate::names::suggestions`]).
        suggestions: Vec<String>,
    },

    /// The user already has MFA pending or enabled.
    #[error("user {} is already {status}", crate::names::quoted(.user))]
    AlreadyEnrolled {
        /// The user.
        user: String,
        /// `pending` or `enabled`.
        status: String,
    },

    /// A new user's name looks like an existing user's (same case-folded NFKC form or the
    /// same UTS #39 confusable skeleton), which support staff could mistake for them.
    #[error("user {} looks like the existing user {}", crate::names::quoted(.user), crate::names::quoted(.existing))]
    SimilarUser {
        /// The new name.
        user: String,
        /// The name already in the store (or earlier in the same batch).
        existing: String,
    },

    /// The command needs a secret, but the user is disabled (their secret was erased).
    #[error("user {} is disabled and has no secret", crate::names::quoted(.user))]
    UserDisabled {
        /// The user.
        user: String,
    },

    /// Refused because it would re-expose or replace a live secret without `--force`.
    #[error("{message}")]
    NeedsForce {
        /// What would happen.
        message: String,
    },

    /// The operation is not allowed in the user's current state.
    #[error("{message}")]
    InvalidState {
        /// Why not.
        message: String,
    },

    /// The age identity could not be read or parsed.
    #[error("identity {source_name}: {reason}")]
    Identity {
        /// Where the identity came from (a path, or `MFACTL_AGE_KEY`).
        source_name: String,
        /// What went wrong (never key material).
        reason: String,
    },

    /// A secret could not be decrypted with the identity at hand.
    #[error(
        "cannot decrypt the secret of user {} with the identity in use",
        crate::names::quoted(.user)
    )]
    Decrypt {
        /// Whose secret.
        user: String,
    },

    /// A recipient string is not a valid age X25519 recipient.
    #[error("invalid recipient {recipient:?}: expected an age X25519 public key (age1...)")]
    InvalidRecipient {
        /// The string given.
        recipient: String,
    },

    /// A destructive action needs confirmation and none could be asked.
    #[error("{message}")]
    ConfirmationRequired {
        /// What needed confirming.
        message: String,
    },

    /// The operator declined a confirmation prompt.
    #[error("aborted: {message}")]
    Aborted {
        /// What was not done.
        message: String,
    },

    /// The operating system gave no randomness (no secret or code can be made safely).
    #[error("no randomness from the operating system: {reason}")]
    Random {
        /// What the OS said.
        reason: String,
    },

    /// The store stayed locked by another command for longer than mfactl waits.
    #[error(
        "store {location} is busy: another command held its lock for more than {waited_secs} s"
    )]
    StoreBusy {
        /// The store.
        location: String,
        /// How long this command waited.
        waited_secs: u64,
    },

    /// Encryption failed (should not happen with valid recipients).
    #[error("encryption failed: {0}")]
    Encrypt(String),

    /// A database error not covered by a more specific variant.
    #[error("store error: {message}")]
    Store {
        /// What the database said.
        message: String,
        /// The backend's own error, for callers that log causes.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },

    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what,
            reason: reason.into(),
        }
    }

    /// Wraps a backend's error that no more specific kind covers.
    pub fn store(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Store {
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// The OS's random number generator failed.
    pub fn random(e: getrandom::Error) -> Self {
        Error::Random {
            reason: e.to_string(),
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A stable, machine-readable name for this kind of failure (used in `--json` errors).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::StoreMissing { .. } => "store_missing",
            Error::StoreExists { .. } => "store_exists",
            Error::NotAStore { .. } => "not_a_store",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::ReadOnly { .. } => "read_only",
            Error::UnsafeLocation { .. } => "unsafe_location",
            Error::StoreUnavailable { .. } => "store_unavailable",
            Error::UnknownUser { .. } => "unknown_user",
            Error::AlreadyEnrolled { .. } => "already_enrolled",
            Error::SimilarUser { .. } => "similar_user",
            Error::UserDisabled { .. } => "user_disabled",
            Error::NeedsForce { .. } => "needs_force",
            Error::InvalidState { .. } => "invalid_state",
            Error::Identity { .. } => "identity",
            Error::Decrypt { .. } => "decrypt",
            Error::InvalidRecipient { .. } => "invalid_recipient",
            Error::ConfirmationRequired { .. } => "confirmation_required",
            Error::Aborted { .. } => "aborted",
            Error::Random { .. } => "random",
            Error::StoreBusy { .. } => "store_busy",
            Error::Encrypt(_) => "encrypt",
            Error::Store { .. } => "store",
            Error::Io { .. } => "io",
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::StoreMissing { .. } => {
                "run 'mfactl init' to create it, or pass --db (or set MFACTL_DB) to use another store"
                    .into()
            }
            Error::StoreExists { .. } => {
                "use the existing store, or pass --db with a new path".into()
            }
            Error::NotAStore { .. } => {
                "check the --db path; restore the store from a backup if it was damaged".into()
            }
            Error::SchemaTooNew { .. } => "upgrade mfactl to open this store".into(),
            Error::ReadOnly { .. } => {
                "check the permissions of the store file and its directory".into()
            }
            Error::UnsafeLocation { .. } => {
                "put the store in a directory only you can write to (--db / MFACTL_DB), or make this one safe with 'chmod o-w DIR' (or 'chmod +t DIR')".into()
            }
            Error::StoreUnavailable { .. } => {
                "check that the server is running and reachable, and the user name and password (PGPASSWORD); connect_timeout=SECONDS in the URL waits longer".into()
            }
            Error::UnknownUser { suggestions, .. } if !suggestions.is_empty() => {
                let names: Vec<String> =
                    suggestions.iter().map(|n| crate::names::quoted(n)).collect();
                format!(
                    "did you mean {}? ('mfactl list' shows every user)",
                    or_list(&names)
                )
            }
            Error::StoreBusy { .. } => {
                "try again; if it stays busy, look for a long-running mfactl command (or another program) using the store".into()
            }
            Error::UnknownUser { .. } => "run 'mfactl list' to see enrolled users".into(),
            Error::AlreadyEnrolled { .. } => {
                "pass --force to replace the secret (the user must pair their app again)".into()
            }
            Error::SimilarUser { .. } => {
                "use the existing user's name; if this is really someone else, pass --allow-similar".into()
            }
            Error::UserDisabled { .. } => "run 'mfactl enroll' to enroll the user again".into(),
            Error::Identity { .. } => {
                "pass -i/--identity (or set MFACTL_IDENTITY / MFACTL_AGE_KEY) with the store's age identity".into()
            }
            Error::Decrypt { .. } => {
                "use the identity the store was encrypted to ('mfactl recipients' lists its public keys)".into()
            }
            Error::ConfirmationRequired { .. } => {
                "pass --yes to confirm when not running on a terminal".into()
            }
            _ => return None,
        })
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of every variant. The match in [`index`] has no wildcard: a new variant does
    /// not compile until it is listed there, and the count below fails until it is here too.
    fn samples() -> Vec<Error> {
        let s = || String::from("x");
        vec![
            Error::invalid("code", "x"),
            Error::StoreMissing { location: s() },
            Error::StoreExists { location: s() },
            Error::NotAStore {
                location: s(),
                reason: s(),
            },
            Error::SchemaTooNew {
                location: s(),
                found: 2,
                supported: 1,
            },
            Error::ReadOnly {
                location: s(),
                reason: s(),
            },
            Error::UnsafeLocation {
                location: s(),
                reason: s(),
            },
            Error::StoreUnavailable {
                location: s(),
                reason: s(),
            },
            Error::UnknownUser {
                user: s(),
                suggestions: Vec::new(),
            },
            Error::AlreadyEnrolled {
                user: s(),
                status: s(),
            },
            Error::SimilarUser {
                user: s(),
                existing: s(),
            },
            Error::UserDisabled { user: s() },
            Error::NeedsForce { message: s() },
            Error::InvalidState { message: s() },
            Error::Identity {
                source_name: s(),
                reason: s(),
            },
            Error::Decrypt { user: s() },
            Error::InvalidRecipient { recipient: s() },
            Error::ConfirmationRequired { message: s() },
            Error::Aborted { message: s() },
            Error::Encrypt(s()),
            Error::Store {
                message: s(),
                source: None,
            },
            Error::io("x", std::io::Error::other("x")),
            Error::random(getrandom::Error::UNSUPPORTED),
            Error::StoreBusy {
                location: s(),
                waited_secs: 1,
            },
        ]
    }

    fn index(e: &Error) -> usize {
        match e {
            Error::InvalidInput { .. } => 0,
            Error::StoreMissing { .. } => 1,
            Error::StoreExists { .. } => 2,
            Error::NotAStore { .. } => 3,
            Error::SchemaTooNew { .. } => 4,
            Error::ReadOnly { .. } => 5,
            Error::UnsafeLocation { .. } => 6,
            Error::StoreUnavailable { .. } => 7,
            Error::UnknownUser { .. } => 8,
            Error::AlreadyEnrolled { .. } => 9,
            Error::SimilarUser { .. } => 10,
            Error::UserDisabled { .. } => 11,
            Error::NeedsForce { .. } => 12,
            Error::InvalidState { .. } => 13,
            Error::Identity { .. } => 14,
            Error::Decrypt { .. } => 15,
            Error::InvalidRecipient { .. } => 16,
            Error::ConfirmationRequired { .. } => 17,
            Error::Aborted { .. } => 18,
            Error::Encrypt(_) => 19,
            Error::Store { .. } => 20,
            Error::Io { .. } => 21,
            Error::Random { .. } => 22,
            Error::StoreBusy { .. } => 23,
        }
    }

    /// The kinds the README's "JSON output" section lists after "Error kinds".
    fn documented_kinds() -> Vec<String> {
        let readme = include_str!("../README.md");
        let start = readme
            .find("Error kinds,")
            .expect("README lists the error kinds");
        let end = start + readme[start..].find("\n\n").expect("end of the paragraph");
        readme[start..end]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_error_kind_is_documented_and_every_documented_kind_exists() {
        let samples = samples();
        let indices: Vec<usize> = samples.iter().map(index).collect();
        assert_eq!(
            indices,
            (0..24).collect::<Vec<_>>(),
            "one sample per variant"
        );
        let mut kinds: Vec<&str> = samples.iter().map(Error::kind).collect();
        // Made outside the library: a command-line usage error, and the binary's fallbacks
        // for an error without a library kind (an I/O failure is "io"; anything else is a bug).
        kinds.extend(["usage", "internal"]);
        kinds.sort();
        let mut documented = documented_kinds();
        documented.sort();
        assert_eq!(kinds, documented, "README's list of kinds");
        assert!(!kinds.contains(&"error"));
        for k in &kinds {
            assert!(
                k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "kind {k} is not snake_case"
            );
        }
    }

    #[test]
    fn a_failed_rng_is_its_own_kind_not_an_encryption_failure() {
        let e = Error::random(getrandom::Error::UNSUPPORTED);
        assert_eq!(e.kind(), "random");
        assert!(
            e.to_string()
                .starts_with("no randomness from the operating system: "),
            "{e}"
        );
    }

    #[test]
    fn a_busy_store_says_so_and_what_to_do() {
        let e = Error::StoreBusy {
            location: "/s/mfactl.db".into(),
            waited_secs: 10,
        };
        assert_eq!(e.kind(), "store_busy");
        assert_eq!(
            e.to_string(),
            "store /s/mfactl.db is busy: another command held its lock for more than 10 s"
        );
        assert!(e.hint().is_some());
    }
}
