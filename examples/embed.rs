//! mfactl embedded in a web application: the second step of a login checks the code the user
//! typed against the store the operators administer with `mfactl`.
//!
//! Copy `check_login` into your handler. It needs no web framework: give it the store (opened
//! once at start-up, [`Mfa::open`]), the user the first step (password) identified and the
//! code from the form, and map its answer to your response.
//!
//! Run the demonstration (a throwaway store in a temporary directory):
//!
//! ```sh
//! cargo run --example embed
//! ```
//!
//! In production, open the operators' store instead:
//!
//! ```no_run
//! # fn main() -> mfactl::Result<()> {
//! use mfactl::store::Location;
//! use mfactl::vault::{IdentitySource, Identities};
//!
//! let location = Location::parse("postgresql://mfa@db.internal/mfa".as_ref())?;
//! let identity = Identities::load(
//!     &IdentitySource::File("/etc/myapp/mfactl-identity.txt".into()),
//!     // A passphrase-protected identity file asks here; this one has none.
//!     &mut || Err(mfactl::Error::invalid("identity", "no passphrase configured")),
//! )?;
//! let mfa = mfactl::Mfa::open(&location, identity)?.with_actor("myapp")?;
//! # let _ = mfa; Ok(()) }
//! ```

use std::sync::Mutex;

use mfactl::totp::RejectReason;
use mfactl::Mfa;

/// What the login handler answers.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The code is right: log the user in.
    Ok,
    /// Wrong, already used, or not a code at all: ask again.
    WrongCode,
    /// Too many wrong codes: the user must ask an operator (`mfactl unlock USER`), or use a
    /// recovery code.
    Locked,
    /// The user has no MFA (never enrolled, or disabled): your policy decides.
    NoMfa,
    /// The store or identity failed: answer 500 and log `error` (it never holds a secret).
    Unavailable(mfactl::Error),
}

/// Checks `code` for `user`, recording the attempt in the store's audit log (and its failure
/// count, towards the lockout) as `mfactl verify` would.
///
/// `Mfa` is `Send`, not `Sync`: share one behind a `Mutex` (or open one per worker thread).
/// Each call is one short transaction.
pub fn check_login(mfa: &Mutex<Mfa>, user: &str, code: &str) -> LoginOutcome {
    let mut mfa = match mfa.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    match mfa.verify(user, code) {
        Ok(v) if v.accepted() => LoginOutcome::Ok,
        Ok(v) => match v.rejected {
            Some(RejectReason::Locked) => LoginOutcome::Locked,
            Some(RejectReason::Disabled) => LoginOutcome::NoMfa,
            // This rejection locked the user.
            _ if v.locked_now => LoginOutcome::Locked,
            _ => LoginOutcome::WrongCode,
        },
        // A letter, a digit too many: nothing was recorded.
        Err(e) if e.kind() == "invalid_input" => LoginOutcome::WrongCode,
        // Give an unknown user the same answer as a user without MFA, or as a wrong code,
        // as your policy on user enumeration requires.
        Err(e) if e.kind() == "unknown_user" || e.kind() == "user_disabled" => LoginOutcome::NoMfa,
        Err(e) => LoginOutcome::Unavailable(e),
    }
}

fn main() -> mfactl::Result<()> {
    // A throwaway store with one enrolled user, as `mfactl init` and `mfactl enroll` would make.
    let dir = tempfile::tempdir().map_err(|e| mfactl::Error::io("cannot make a temp dir", e))?;
    let identity = mfactl::vault::generate_identity_file(&dir.path().join("identity.txt"))?;
    let location = mfactl::store::Location::file(dir.path().join("mfa.db"));
    let mut mfa = Mfa::create(&location, identity)?.with_actor("embed-example")?;
    let enrollment = mfa.enroll("alice", &mfactl::EnrollOptions::new())?;
    println!(
        "Enrolled alice; her app pairs with {} characters of otpauth URI",
        enrollment.uri.len()
    );

    // What alice's authenticator app shows now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let step = mfactl::totp::step_at(now, &enrollment.params);
    let code = mfactl::totp::code_for_step(&enrollment.secret, &enrollment.params, step)?;

    let mfa = Mutex::new(mfa);
    println!("wrong code:  {:?}", check_login(&mfa, "alice", "000000"));
    println!("not a code:  {:?}", check_login(&mfa, "alice", "abc"));
    println!(
        "right code:  {:?}",
        check_login(&mfa, "alice", code.as_str())
    );
    println!(
        "same again:  {:?}",
        check_login(&mfa, "alice", code.as_str())
    );
    println!("nobody:      {:?}", check_login(&mfa, "mallory", "123456"));
    Ok(())
}
