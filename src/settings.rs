//! Store-wide settings (`mfactl config`): the issuer, verification policy and enrollment defaults.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{self, Span, TotpParams};

/// A settings key, as `mfactl config` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKey {
    /// Issuer shown in authenticator apps.
    Issuer,
    /// Accepted time steps either side of now (0–10).
    Skew,
    /// Consecutive failures before a user is locked (1–100).
    MaxFailures,
    /// Default algorithm for new enrollments.
    Algorithm,
    /// Default code length for new enrollments.
    Digits,
    /// Default period for new enrollments.
    Period,
    /// How long a pending enrollment can still be confirmed (`0`: forever).
    PendingTtl,
    /// Most tokens a user may have that are not disabled (1–100).
    MaxTokens,
    /// How long a lockout lasts: `manual` (until `unlock`) or a duration, doubled for each
    /// further lock before a success.
    Lockout,
    /// The longest a timed lockout lasts, however often it doubled.
    LockoutMax,
    /// How far (in time steps, 0–60) a token's recorded clock drift may move the window.
    MaxDrift,
}

impl SettingKey {
    /// Every key, in display order.
    pub const ALL: [SettingKey; 11] = [
        SettingKey::Issuer,
        SettingKey::Skew,
        SettingKey::MaxFailures,
        SettingKey::Algorithm,
        SettingKey::Digits,
        SettingKey::Period,
        SettingKey::PendingTtl,
        SettingKey::MaxTokens,
        SettingKey::Lockout,
        SettingKey::LockoutMax,
        SettingKey::MaxDrift,
    ];

    /// The key's name in JSON output and audit details: snake_case, as every JSON key.
    pub fn json_name(self) -> &'static str {
        match self {
            SettingKey::MaxFailures => "max_failures",
            SettingKey::PendingTtl => "pending_ttl",
            SettingKey::MaxTokens => "max_tokens",
            SettingKey::LockoutMax => "lockout_max",
            SettingKey::MaxDrift => "max_drift",
            other => other.as_str(),
        }
    }

    /// The key's name on the command line and in the store's `setting` table.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::Issuer => "issuer",
            SettingKey::Skew => "skew",
            SettingKey::MaxFailures => "max-failures",
            SettingKey::Algorithm => "algorithm",
            SettingKey::Digits => "digits",
            SettingKey::Period => "period",
            SettingKey::PendingTtl => "pending-ttl",
            SettingKey::MaxTokens => "max-tokens",
            SettingKey::Lockout => "lockout",
            SettingKey::LockoutMax => "lockout-max",
            SettingKey::MaxDrift => "max-drift",
        }
    }
}

impl fmt::Display for SettingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SettingKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        SettingKey::ALL
            .into_iter()
            // The command line's name, or the JSON one (max_failures).
            .find(|k| k.as_str() == s || k.json_name() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "setting",
                    format!(
                        "{s:?} is not a setting (expected one of: {})",
                        SettingKey::ALL.map(|k| k.as_str()).join(", ")
                    ),
                )
            })
    }
}

/// All settings, with defaults for the ones never set.
///
/// The fields are private: a `Settings` holds only values [`Settings::set`] accepted (or the
/// defaults).
///
/// ```compile_fail,E0616
/// let mut s = mfactl::settings::Settings::default();
/// s.max_failures = 0; // would lock every user on the first failure: not possible
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    issuer: String,
    skew: u8,
    max_failures: u32,
    /// Enrollment defaults (serialized flat: `algorithm`, `digits`, `period`).
    #[serde(flatten)]
    defaults: TotpParams,
    /// How long a pending enrollment can be confirmed; zero: forever. Serialized as text
    /// (`"7d"`, `"0"`), as it is typed.
    #[serde(serialize_with = "serialize_span")]
    pending_ttl: Span,
    /// Most tokens a user may have that are not disabled.
    max_tokens: u32,
    /// How long a lockout lasts; `None`: until `unlock` (`manual`). Serialized as text
    /// (`"manual"`, `"15m"`).
    #[serde(serialize_with = "serialize_lockout")]
    lockout: Option<Span>,
    /// The cap of a timed lockout. Serialized as text (`"1d"`).
    #[serde(serialize_with = "serialize_span")]
    lockout_max: Span,
    /// How far a token's recorded drift may move its window, in steps.
    max_drift: u32,
}

fn serialize_lockout<S: serde::Serializer>(
    lockout: &Option<Span>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&lockout_text(*lockout))
}

/// `manual`, or the duration as typed (`15m`).
fn lockout_text(lockout: Option<Span>) -> String {
    lockout.map_or_else(|| Settings::MANUAL.to_owned(), |span| span.to_string())
}

fn serialize_span<S: serde::Serializer>(span: &Span, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(span)
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            issuer: "mfactl".into(),
            skew: 1,
            max_failures: 5,
            defaults: TotpParams::default(),
            pending_ttl: Self::DEFAULT_PENDING_TTL,
            max_tokens: 5,
            lockout: None,
            lockout_max: Self::DEFAULT_LOCKOUT_MAX,
            max_drift: Self::DEFAULT_MAX_DRIFT,
        }
    }
}

impl Settings {
    /// Accepted values of `skew`.
    pub const SKEW: std::ops::RangeInclusive<u8> = 0..=10;
    /// Accepted values of `max-failures`.
    pub const MAX_FAILURES: std::ops::RangeInclusive<u32> = 1..=100;
    /// Accepted values of `max-tokens`.
    pub const MAX_TOKENS: std::ops::RangeInclusive<u32> = 1..=100;
    /// Default of `pending-ttl`: a week.
    pub const DEFAULT_PENDING_TTL: Span = Span::from_secs(7 * 86_400);
    /// Default of `lockout-max`: a day.
    pub const DEFAULT_LOCKOUT_MAX: Span = Span::from_secs(86_400);
    /// The value of `lockout` that keeps a user locked until `unlock` (the default).
    pub const MANUAL: &'static str = "manual";
    /// Accepted values of `max-drift` (steps): up to half an hour at 30 s.
    pub const MAX_DRIFT: std::ops::RangeInclusive<u32> = 0..=60;
    /// Default of `max-drift`: 10 steps (5 minutes at 30 s), as django-otp's tolerance.
    pub const DEFAULT_MAX_DRIFT: u32 = 10;

    /// Issuer shown in authenticator apps.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Accepted time steps either side of now, within [`Settings::SKEW`].
    pub fn skew(&self) -> u8 {
        self.skew
    }

    /// Consecutive failures before a lockout, within [`Settings::MAX_FAILURES`] (never 0).
    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// How long after its enrollment a pending token can still be confirmed; `None`: forever
    /// (`pending-ttl` set to `0`).
    pub fn pending_ttl(&self) -> Option<Span> {
        (!self.pending_ttl.is_zero()).then_some(self.pending_ttl)
    }

    /// How long a first lockout lasts; `None`: until an operator runs `unlock` (`manual`, the
    /// default). Each further lock before a success lasts twice as long as the one before, up
    /// to [`Settings::lockout_max`] ([`crate::lockout::duration`]).
    pub fn lockout(&self) -> Option<Span> {
        self.lockout
    }

    /// The longest a timed lockout lasts (never zero).
    pub fn lockout_max(&self) -> Span {
        self.lockout_max
    }

    /// How far (in time steps) a token's recorded clock drift may move its verification window
    /// from now, within [`Settings::MAX_DRIFT`]; `0` turns drift tracking off.
    pub fn max_drift(&self) -> u32 {
        self.max_drift
    }

    /// Most tokens a user may have that are not disabled, within [`Settings::MAX_TOKENS`].
    pub fn max_tokens(&self) -> u32 {
        self.max_tokens
    }

    /// The value of `key`, as text.
    pub fn get(&self, key: SettingKey) -> String {
        match key {
            SettingKey::Issuer => self.issuer.clone(),
            SettingKey::Skew => self.skew.to_string(),
            SettingKey::MaxFailures => self.max_failures.to_string(),
            SettingKey::Algorithm => self.defaults.algorithm().as_str().to_owned(),
            SettingKey::Digits => self.defaults.digits().to_string(),
            SettingKey::Period => self.defaults.period().to_string(),
            SettingKey::PendingTtl => self.pending_ttl.to_string(),
            SettingKey::MaxTokens => self.max_tokens.to_string(),
            SettingKey::Lockout => lockout_text(self.lockout),
            SettingKey::LockoutMax => self.lockout_max.to_string(),
            SettingKey::MaxDrift => self.max_drift.to_string(),
        }
    }

    /// The value of `key` for JSON output and audit details: a number for the numeric
    /// settings, a string for the others.
    pub fn json_value(&self, key: SettingKey) -> serde_json::Value {
        match key {
            SettingKey::Issuer => self.issuer.clone().into(),
            SettingKey::Skew => self.skew.into(),
            SettingKey::MaxFailures => self.max_failures.into(),
            SettingKey::Algorithm => self.defaults.algorithm().as_str().into(),
            SettingKey::Digits => self.defaults.digits().into(),
            SettingKey::Period => self.defaults.period().into(),
            SettingKey::PendingTtl => self.pending_ttl.to_string().into(),
            SettingKey::MaxTokens => self.max_tokens.into(),
            SettingKey::Lockout => lockout_text(self.lockout).into(),
            SettingKey::LockoutMax => self.lockout_max.to_string().into(),
            SettingKey::MaxDrift => self.max_drift.into(),
        }
    }

    /// Validates `value` for `key` and applies it; on error nothing changes.
    pub fn set(&mut self, key: SettingKey, value: &str) -> Result<()> {
        match key {
            SettingKey::Issuer => {
                model::validate_issuer(value)?;
                self.issuer = value.to_owned();
            }
            SettingKey::Skew => self.skew = parse_in_range("skew", value, Self::SKEW)?,
            SettingKey::MaxFailures => {
                self.max_failures = parse_in_range("max-failures", value, Self::MAX_FAILURES)?
            }
            SettingKey::Algorithm => {
                let d = &self.defaults;
                self.defaults = TotpParams::new(value.parse()?, d.digits(), d.period())?;
            }
            SettingKey::Digits => {
                let d = &self.defaults;
                let digits = parse_in_range("digits", value, TotpParams::DIGITS)?;
                self.defaults = TotpParams::new(d.algorithm(), digits, d.period())?;
            }
            SettingKey::Period => {
                let d = &self.defaults;
                let period = parse_in_range("period", value, TotpParams::PERIOD)?;
                self.defaults = TotpParams::new(d.algorithm(), d.digits(), period)?;
            }
            SettingKey::PendingTtl => self.pending_ttl = Span::parse("pending-ttl", value)?,
            SettingKey::MaxTokens => {
                self.max_tokens = parse_in_range("max-tokens", value, Self::MAX_TOKENS)?
            }
            SettingKey::Lockout => {
                self.lockout = if value.trim() == Self::MANUAL {
                    None
                } else {
                    Some(nonzero_span("lockout", value, "or manual")?)
                }
            }
            SettingKey::LockoutMax => {
                self.lockout_max = nonzero_span("lockout-max", value, "")?;
            }
            SettingKey::MaxDrift => {
                self.max_drift = parse_in_range("max-drift", value, Self::MAX_DRIFT)?
            }
        }
        Ok(())
    }

    /// The default parameters for a new enrollment.
    pub fn default_params(&self) -> TotpParams {
        self.defaults
    }
}

/// A duration that is not zero (`what` names the setting; `or` adds the other value it takes).
fn nonzero_span(what: &'static str, value: &str, or: &str) -> Result<Span> {
    let span = Span::parse(what, value);
    match span {
        Ok(span) if !span.is_zero() => Ok(span),
        _ => Err(Error::invalid(
            what,
            format!(
                "{:?} (expected a duration like 90s, 30m, 24h, 7d or 2w{}{or})",
                value.trim(),
                if or.is_empty() { "" } else { ", " }
            ),
        )),
    }
}

fn parse_in_range<T>(
    what: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
{
    let bad = || {
        Error::invalid(
            what,
            format!(
                "{value:?} (expected a whole number from {} to {})",
                range.start(),
                range.end()
            ),
        )
    };
    let n: T = value.trim().parse().map_err(|_| bad())?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_validates_and_leaves_value_on_error() {
        let mut s = Settings::default();
        assert!(s.set(SettingKey::Skew, "11").is_err());
        assert!(s.set(SettingKey::Skew, "-1").is_err());
        assert!(s.set(SettingKey::MaxFailures, "0").is_err());
        assert!(s.set(SettingKey::Digits, "9").is_err());
        assert!(s.set(SettingKey::Period, "5").is_err());
        assert!(s.set(SettingKey::Issuer, "a:b").is_err());
        assert!(s.set(SettingKey::Algorithm, "md5").is_err());
        assert!(s.set(SettingKey::MaxDrift, "61").is_err());
        assert!(s.set(SettingKey::MaxDrift, "-1").is_err());
        assert_eq!(s, Settings::default());
        assert_eq!(s.max_drift(), 10);
        s.set(SettingKey::MaxDrift, "60").unwrap();
        assert_eq!(s.json_value(SettingKey::MaxDrift), 60);
        s.set(SettingKey::MaxDrift, "10").unwrap();
        s.set(SettingKey::Skew, "0").unwrap();
        s.set(SettingKey::Algorithm, "sha512").unwrap();
        assert_eq!(s.skew(), 0);
        assert_eq!(s.get(SettingKey::Algorithm), "SHA512");
    }

    #[test]
    fn pending_ttl_defaults_to_a_week_and_zero_means_never() {
        let mut s = Settings::default();
        assert_eq!(s.pending_ttl(), Some(Span::from_secs(604_800)));
        assert_eq!(s.get(SettingKey::PendingTtl), "1w");
        for bad in ["", "7", "-1d", "1.5h", "7 days", "d"] {
            let e = s.set(SettingKey::PendingTtl, bad).unwrap_err().to_string();
            assert!(e.contains("pending-ttl"), "{bad:?}: {e}");
        }
        assert_eq!(s, Settings::default());
        s.set(SettingKey::PendingTtl, "36h").unwrap();
        assert_eq!(s.pending_ttl(), Some(Span::from_secs(36 * 3_600)));
        assert_eq!(s.json_value(SettingKey::PendingTtl), "36h");
        s.set(SettingKey::PendingTtl, "0").unwrap();
        assert_eq!(s.pending_ttl(), None);
        assert_eq!(s.get(SettingKey::PendingTtl), "0");
    }

    #[test]
    fn lockout_is_manual_or_a_nonzero_duration_and_lockout_max_a_nonzero_duration() {
        let mut s = Settings::default();
        assert_eq!(s.lockout(), None);
        assert_eq!(s.get(SettingKey::Lockout), "manual");
        assert_eq!(s.lockout_max(), Span::from_secs(86_400));
        assert_eq!(s.get(SettingKey::LockoutMax), "1d");
        for bad in ["", "0", "15", "-1m", "Manual", "never", "1.5h"] {
            let e = s.set(SettingKey::Lockout, bad).unwrap_err().to_string();
            assert!(e.contains("lockout"), "{bad:?}: {e}");
            assert!(e.contains("manual"), "{bad:?}: {e}");
        }
        for bad in ["", "0", "manual", "24"] {
            let e = s.set(SettingKey::LockoutMax, bad).unwrap_err().to_string();
            assert!(e.contains("lockout-max"), "{bad:?}: {e}");
        }
        assert_eq!(s, Settings::default());
        s.set(SettingKey::Lockout, "15m").unwrap();
        assert_eq!(s.lockout(), Some(Span::from_secs(900)));
        assert_eq!(s.json_value(SettingKey::Lockout), "15m");
        s.set(SettingKey::LockoutMax, "2h").unwrap();
        assert_eq!(s.lockout_max(), Span::from_secs(7_200));
        assert_eq!(s.json_value(SettingKey::LockoutMax), "2h");
        assert_eq!(
            "lockout_max".parse::<SettingKey>().unwrap(),
            SettingKey::LockoutMax
        );
        s.set(SettingKey::Lockout, "manual").unwrap();
        assert_eq!(s.lockout(), None);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["lockout"], "manual");
        assert_eq!(json["lockout_max"], "2h");
    }

    #[test]
    fn keys_round_trip_and_unknown_is_refused() {
        for k in SettingKey::ALL {
            assert_eq!(k.as_str().parse::<SettingKey>().unwrap(), k);
            assert_eq!(k.json_name().parse::<SettingKey>().unwrap(), k);
            assert!(!k.json_name().contains('-'), "{k}");
        }
        let e = "colour".parse::<SettingKey>().unwrap_err().to_string();
        assert!(e.contains("max-failures"), "{e}");
    }
}
