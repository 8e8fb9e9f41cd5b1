//! Lockouts: when consecutive failed verifications lock a user, how long the lock lasts, and
//! when it has lifted. [`crate::store::Store`] applies these rules under the user's row lock,
//! with the one clock reading of the command ([`crate::audit::Op::now`]).
//!
//! With the `lockout` setting `manual` (the default) a lock lasts until an operator runs
//! `unlock`. With a duration, the `n`-th lock in a row (no success in between) lasts
//! `lockout × 2^(n−1)`, at most `lockout-max` ([`duration`]); once its end has come
//! (`now >= locked_until`) the lock no longer blocks, and the user has `max-failures` fresh
//! tries before the next, longer one. An accepted code (or recovery code) and `unlock` clear
//! everything, the count of lockouts included.

use crate::model::{Span, Timestamp, UserRecord};

/// How long the `lockouts`-th lock in a row lasts: `base × 2^(lockouts−1)`, capped at `max`
/// (never overflowing; `lockouts` 0 counts as the first).
pub fn duration(base: Span, max: Span, lockouts: u32) -> Span {
    let doublings = lockouts.saturating_sub(1);
    let secs = 1u64
        .checked_shl(doublings)
        .and_then(|factor| base.secs().checked_mul(factor))
        .unwrap_or(u64::MAX);
    Span::from_secs(secs.min(max.secs()))
}

/// A user's lockout state, as the store holds it (user level: after several tokens per user,
/// it stays one per user).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockState {
    /// Consecutive failed verifications.
    pub failures: u32,
    /// When the current (or last, lifted) lock began.
    pub locked_at: Option<Timestamp>,
    /// When that lock lifts by itself; `None` with a lock: until `unlock`.
    pub locked_until: Option<Timestamp>,
    /// Locks in a row since the last success or `unlock`.
    pub lockouts: u32,
}

/// What one more counted failure did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The state to store.
    pub state: LockState,
    /// Whether this failure locked the user.
    pub locked_now: bool,
}

impl LockState {
    /// No failures, no lock, no lockouts: after a success or `unlock`.
    pub const CLEAR: LockState = LockState {
        failures: 0,
        locked_at: None,
        locked_until: None,
        lockouts: 0,
    };

    /// The state of `rec`.
    pub fn of(rec: &UserRecord) -> LockState {
        LockState {
            failures: rec.failures,
            locked_at: rec.locked_at,
            locked_until: rec.locked_until,
            lockouts: rec.lockouts,
        }
    }

    /// Whether verification is blocked at `now`: locked, and either until `unlock` or until a
    /// time still to come (at `locked_until` itself the lock has lifted).
    pub fn is_locked_at(&self, now: Timestamp) -> bool {
        self.locked_at.is_some() && self.locked_until.is_none_or(|until| now < until)
    }

    /// Whether a timed lock is still stored but has lifted by `now`.
    pub fn has_lifted_at(&self, now: Timestamp) -> bool {
        self.locked_at.is_some() && self.locked_until.is_some_and(|until| until <= now)
    }

    /// The failures that count at `now`: none left from a lock that lifted.
    pub fn failures_at(&self, now: Timestamp) -> u32 {
        if self.has_lifted_at(now) {
            0
        } else {
            self.failures
        }
    }

    /// The state after one more counted failure at `now`. A lifted lock is forgotten first (its
    /// failures too; its count of lockouts stays); at `max_failures` an unlocked user locks:
    /// `lockouts` grows by one and, unless `lockout` is `None` (manual), the lock lasts
    /// [`duration`]`(lockout, lockout_max, lockouts)`.
    pub fn after_failure(
        self,
        max_failures: u32,
        lockout: Option<Span>,
        lockout_max: Span,
        now: Timestamp,
    ) -> Failure {
        let mut state = if self.has_lifted_at(now) {
            LockState {
                lockouts: self.lockouts,
                ..LockState::CLEAR
            }
        } else {
            self
        };
        state.failures = state.failures.saturating_add(1);
        let locked_now = state.locked_at.is_none() && state.failures >= max_failures;
        if locked_now {
            state.lockouts = state.lockouts.saturating_add(1);
            state.locked_at = Some(now);
            state.locked_until =
                lockout.map(|base| duration(base, lockout_max, state.lockouts).after(now));
        }
        Failure { state, locked_now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;

    #[test]
    fn each_lock_in_a_row_doubles_up_to_the_cap() {
        let (base, max) = (Span::from_secs(15 * MIN), Span::from_secs(24 * 3_600));
        let got: Vec<u64> = (1..=9)
            .map(|n| duration(base, max, n).secs() / MIN)
            .collect();
        assert_eq!(got, [15, 30, 60, 120, 240, 480, 960, 1_440, 1_440]);
        assert_eq!(duration(base, max, 0), base);
    }

    #[test]
    fn the_cap_holds_without_overflow() {
        let max = Span::from_secs(3_600);
        for n in [63, 64, 65, 1_000, u32::MAX] {
            assert_eq!(duration(Span::from_secs(1), max, n), max, "{n}");
            assert_eq!(duration(Span::from_secs(u64::MAX / 2), max, n), max, "{n}");
        }
        // A cap below the first lock's length wins too.
        assert_eq!(duration(Span::from_secs(7_200), max, 1), max);
    }

    #[test]
    fn a_lock_blocks_until_the_second_it_lifts() {
        let at = Timestamp::from_unix(1_000_000);
        let until = Timestamp::from_unix(1_000_900);
        let locked = LockState {
            failures: 5,
            locked_at: Some(at),
            locked_until: Some(until),
            lockouts: 1,
        };
        assert!(locked.is_locked_at(Timestamp::from_unix(1_000_899)));
        assert!(!locked.has_lifted_at(Timestamp::from_unix(1_000_899)));
        assert!(!locked.is_locked_at(until));
        assert!(locked.has_lifted_at(until));
        assert_eq!(locked.failures_at(until), 0);
        let manual = LockState {
            locked_until: None,
            ..locked
        };
        assert!(manual.is_locked_at(Timestamp::from_unix(i64::from(u32::MAX))));
        assert!(!LockState::CLEAR.is_locked_at(at));
    }

    #[test]
    fn failures_after_a_lifted_lock_start_again_and_the_next_lock_is_longer() {
        let base = Some(Span::from_secs(60));
        let max = Span::from_secs(86_400);
        let mut now = 1_000_000;
        let mut state = LockState::CLEAR;
        for lock in 1..=3u32 {
            for n in 1..=3u32 {
                let f = state.after_failure(3, base, max, Timestamp::from_unix(now));
                assert_eq!(f.state.failures, n);
                assert_eq!(f.locked_now, n == 3, "lock {lock}, failure {n}");
                state = f.state;
            }
            let expected = 60 * (1 << (lock - 1));
            assert_eq!(state.lockouts, lock);
            assert_eq!(
                state.locked_until,
                Some(Timestamp::from_unix(now + expected))
            );
            // A failure while locked (a caller's own verdict) counts without locking again.
            let f = state.after_failure(3, base, max, Timestamp::from_unix(now + 1));
            assert!(!f.locked_now);
            assert_eq!(f.state.locked_at, state.locked_at);
            now += expected;
        }
    }

    #[test]
    fn manual_locks_have_no_end_and_still_count_lockouts() {
        let f =
            LockState::CLEAR.after_failure(1, None, Span::from_secs(60), Timestamp::from_unix(5));
        assert!(f.locked_now);
        assert_eq!(f.state.locked_until, None);
        assert_eq!(f.state.lockouts, 1);
        assert!(f.state.is_locked_at(Timestamp::from_unix(i64::MAX / 4)));
    }
}
