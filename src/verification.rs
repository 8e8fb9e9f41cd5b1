//! The verification policy: which codes are accepted for a user, in which order the rules
//! apply. The store runs it under its write lock and records the outcome.

use crate::error::{Error, Result};
use crate::model::{Status, Timestamp, UserRecord};
use crate::settings::Settings;
use crate::totp::{self, Code, RejectReason, Verdict};
use crate::vault::Identities;

/// Decides whether `input` is an acceptable code for `record` at `unix_now`.
///
/// Malformed input is an error (nothing is recorded). Then: a disabled user is refused, a
/// user locked at `unix_now` is refused even with a correct code (a timed lock whose end has
/// come no longer blocks), a pending user whose enrollment is older
/// than `settings.pending_ttl` is refused as expired (nothing is decrypted), and otherwise the
/// code must match a step within ±`settings.skew` that is newer than the last accepted one.
pub fn decide(
    record: &UserRecord,
    settings: &Settings,
    input: &str,
    unix_now: u64,
    identities: &Identities,
) -> Result<Verdict> {
    let code = Code::parse(input, record.params.digits())?;
    if record.status == Status::Disabled {
        return Ok(Verdict::Reject(RejectReason::Disabled));
    }
    let now = Timestamp::from_unix(i64::try_from(unix_now).unwrap_or(i64::MAX));
    if record.is_locked_at(now) {
        return Ok(Verdict::Reject(RejectReason::Locked));
    }
    if record.pending_expired(settings.pending_ttl(), now) {
        return Ok(Verdict::Reject(RejectReason::Expired));
    }
    let ciphertext = record
        .secret
        .as_deref()
        .ok_or_else(|| Error::UserDisabled {
            user: record.user.as_str().to_owned(),
        })?;
    let secret = identities
        .decrypt_secret(ciphertext)
        .ok_or_else(|| Error::Decrypt {
            user: record.user.as_str().to_owned(),
        })?;
    let matches = totp::matching_steps(&secret, &record.params, &code, unix_now, settings.skew())?;
    Ok(totp::judge(&matches, record.last_used_step))
}
