//! The verification policy: which codes are accepted for a user, in which order the rules
//! apply. The store runs it under its write lock and records the outcome.

use crate::error::{Error, Result};
use crate::model::{Status, Timestamp, UserRecord};
use crate::settings::Settings;
use crate::totp::{self, Code, RejectReason, ResyncVerdict, Verdict};
use crate::vault::Identities;

/// Decides whether `input` is an acceptable code for `record` at `unix_now`.
///
/// Malformed input is an error (nothing is recorded). Then: a disabled user is refused, a
/// user locked at `unix_now` is refused even with a correct code (a timed lock whose end has
/// come no longer blocks), a pending user whose enrollment is older
/// than `settings.pending_ttl` is refused as expired (nothing is decrypted), and otherwise the
/// code must match a step within ±`settings.skew` of now shifted by the token's drift
/// ([`totp::window`], bounded by `settings.max_drift`) that is newer than the last accepted
/// one. A code that matches none of them but is the token's code at another step within the
/// resync search (an hour either side, after the last accepted step) is still refused as
/// wrong, with the clock hint ([`Verdict::ClockOff`]).
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
    let secret = decrypt(record, identities)?;
    let now_step = totp::step_at(unix_now, &record.params);
    let window = totp::window(
        now_step,
        record.drift,
        settings.skew(),
        settings.max_drift(),
    );
    let matches = totp::matching_steps_in(&secret, &record.params, &code, window.clone())?;
    let verdict = totp::judge(&matches, record.last_used_step);
    if verdict != Verdict::Reject(RejectReason::Invalid) {
        return Ok(verdict);
    }
    // A code of the undrifted window (±skew of now) that is at or before the last accepted
    // step is a replay, as it was before the window could move: the window moved with a newer
    // code, which superseded this one (a stale code proves knowledge of a real one; not counted).
    let undrifted = totp::window(now_step, 0, settings.skew(), 0);
    let stale = totp::matching_steps_in(&secret, &record.params, &code, undrifted)?;
    if stale
        .iter()
        .any(|s| record.last_used_step.is_some_and(|last| *s <= last))
    {
        return Ok(Verdict::Reject(RejectReason::Replayed));
    }
    Ok(
        match totp::clock_offset(
            &secret,
            &record.params,
            &code,
            now_step,
            &window,
            record.last_used_step,
        )? {
            Some(offset) => Verdict::ClockOff { offset },
            None => verdict,
        },
    )
}

/// Decides where `first` and `second`, two consecutive codes of `record`'s token, are
/// ([`totp::find_consecutive`], an hour either side of `unix_now`). Malformed input is an
/// error (nothing is recorded); a disabled, locked or expired pending user is refused before
/// anything is decrypted. The store judges the offset against `max-drift` and the replay mark.
pub fn decide_resync(
    record: &UserRecord,
    settings: &Settings,
    first: &str,
    second: &str,
    unix_now: u64,
    identities: &Identities,
) -> Result<ResyncVerdict> {
    let first = Code::parse(first, record.params.digits())?;
    let second = Code::parse(second, record.params.digits())?;
    if record.status == Status::Disabled {
        return Ok(ResyncVerdict::Reject(RejectReason::Disabled));
    }
    let now = Timestamp::from_unix(i64::try_from(unix_now).unwrap_or(i64::MAX));
    if record.is_locked_at(now) {
        return Ok(ResyncVerdict::Reject(RejectReason::Locked));
    }
    if record.pending_expired(settings.pending_ttl(), now) {
        return Ok(ResyncVerdict::Reject(RejectReason::Expired));
    }
    let secret = decrypt(record, identities)?;
    let now_step = totp::step_at(unix_now, &record.params);
    Ok(
        match totp::find_consecutive(&secret, &record.params, &first, &second, now_step)? {
            Some(step) => ResyncVerdict::Found { step },
            None => ResyncVerdict::Reject(RejectReason::Invalid),
        },
    )
}

fn decrypt(record: &UserRecord, identities: &Identities) -> Result<totp::TotpSecret> {
    let ciphertext = record
        .secret
        .as_deref()
        .ok_or_else(|| Error::UserDisabled {
            user: record.user.as_str().to_owned(),
        })?;
    identities
        .decrypt_secret(ciphertext)
        .ok_or_else(|| Error::Decrypt {
            user: record.user.as_str().to_owned(),
        })
}
