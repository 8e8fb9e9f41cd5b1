//! Domain types shared by the store, the verification rules and the commands.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// A validated user name: 1–255 bytes, no control characters, no `:` (it would break the
/// otpauth label), no leading or trailing whitespace, in Unicode Normalization Form C.
///
/// A name typed by a person is normalised to NFC ([`UserName::parse`]); a name read from the
/// store is kept exactly as stored ([`UserName::from_stored`]), so that rows written before
/// names were normalised stay addressable. New names must also pass
/// [`UserName::check_new`]. `Display` shows the name escaped for people
/// ([`crate::names::display_safe`]); [`UserName::as_str`] and `Serialize` give it exactly.
#[derive(Clone, Debug)]
pub struct UserName {
    name: String,
    /// The text as given, when NFC changed it: a second form to look the user up by.
    given: Option<Box<str>>,
}

impl PartialEq for UserName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for UserName {}

impl std::hash::Hash for UserName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl PartialOrd for UserName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UserName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}

impl Serialize for UserName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl UserName {
    /// Longest accepted name, in bytes.
    pub const MAX_LEN: usize = 255;

    /// Normalises `name` to NFC and validates it. The error never echoes a long or
    /// control-character-laden name.
    pub fn parse(name: &str) -> Result<Self> {
        let nfc = crate::names::nfc(name);
        validate_label("user name", &nfc, Self::MAX_LEN)?;
        let given = (nfc != name).then(|| name.into());
        Ok(UserName {
            name: nfc.into_owned(),
            given,
        })
    }

    /// A name as the store holds it: validated like [`UserName::parse`], but not normalised.
    pub fn from_stored(name: &str) -> Result<Self> {
        validate_label("user name", name, Self::MAX_LEN)?;
        Ok(UserName {
            name: name.to_owned(),
            given: None,
        })
    }

    /// The rules for a name that is about to be stored for the first time, on top of
    /// [`UserName::parse`]'s: no invisible or format character ([`crate::names::is_invisible`]:
    /// zero-width spaces and joiners, bidi controls, non-ASCII spaces, ...), which would make
    /// names that look the same.
    pub fn check_new(&self) -> Result<()> {
        if let Some((pos, c)) = self
            .name
            .char_indices()
            .find(|(_, c)| crate::names::is_invisible(*c))
        {
            return Err(Error::invalid(
                "user name",
                format!(
                    "invisible or format character U+{:04X} at byte {pos} is not allowed (names that look the same must be the same)",
                    c as u32
                ),
            ));
        }
        Ok(())
    }

    /// The name as text, exactly.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The name as it was typed, when that differs from the NFC form: a store written before
    /// names were normalised may hold it so.
    pub fn as_given(&self) -> Option<UserName> {
        self.given.as_deref().map(|g| UserName {
            name: g.to_owned(),
            given: None,
        })
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::names::display_safe(&self.name))
    }
}

impl FromStr for UserName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// The label of one of a user's tokens (`phone`, `yubikey-2`, `backup.old`): 1 to 32 characters
/// of lowercase ASCII letters, digits, `.`, `_` and `-`, starting with a letter or a digit.
/// `default` names the token of a user enrolled without a label (and each user's token in a
/// store made before labels).
///
/// Narrow on purpose: a label goes into otpauth URIs (`&token=LABEL`), CSV cells, audit rows and
/// terminal tables without escaping; one case only, so `Phone` and `phone` cannot be two tokens
/// of one user; no look-alike letters from other scripts; short enough for a table column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TokenLabel(String);

impl TokenLabel {
    /// Longest accepted label, in characters (bytes: it is ASCII).
    pub const MAX_LEN: usize = 32;
    /// The label of a token enrolled without one.
    pub const DEFAULT: &'static str = "default";

    /// Validates a label. The error never echoes the label (it may hold control characters).
    pub fn parse(label: &str) -> Result<Self> {
        const WHAT: &str = "token label";
        if label.is_empty() {
            return Err(Error::invalid(WHAT, "must not be empty"));
        }
        if label.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                WHAT,
                format!("{} bytes long, the limit is {}", label.len(), Self::MAX_LEN),
            ));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        if let Some((pos, c)) = label
            .char_indices()
            .find(|&(i, c)| !(allowed(c) || (i > 0 && matches!(c, '.' | '_' | '-'))))
        {
            let what = if c.is_ascii_graphic() {
                format!("{c:?}")
            } else {
                format!("U+{:04X}", c as u32)
            };
            return Err(Error::invalid(
                WHAT,
                format!(
                    "{what} at byte {pos} is not allowed: use lowercase letters a-z, digits, \
                     and (after the first character) '.', '_' and '-'"
                ),
            ));
        }
        Ok(TokenLabel(label.to_owned()))
    }

    /// `default`.
    pub fn default_label() -> Self {
        TokenLabel(Self::DEFAULT.to_owned())
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TokenLabel {
    fn default() -> Self {
        Self::default_label()
    }
}

impl fmt::Display for TokenLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TokenLabel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Validates an issuer name with the same rules as a user name.
pub fn validate_issuer(issuer: &str) -> Result<()> {
    validate_label("issuer", issuer, 255)
}

fn validate_label(what: &'static str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    if value.len() > max {
        return Err(Error::invalid(
            what,
            format!("{} bytes long, the limit is {max}", value.len()),
        ));
    }
    if let Some((pos, c)) = value.char_indices().find(|(_, c)| c.is_control()) {
        return Err(Error::invalid(
            what,
            format!(
                "control character U+{:04X} at byte {pos} is not allowed",
                c as u32
            ),
        ));
    }
    if value.contains(':') {
        return Err(Error::invalid(
            what,
            "':' is not allowed (it separates issuer and user in otpauth URIs)",
        ));
    }
    if value.trim() != value {
        return Err(Error::invalid(
            what,
            "leading or trailing whitespace is not allowed",
        ));
    }
    Ok(())
}

/// The MFA state of a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Enrolled; the user has not yet proven they paired an authenticator.
    Pending,
    /// Paired and confirmed with a valid code.
    Enabled,
    /// MFA turned off; the secret has been erased.
    Disabled,
}

impl Status {
    /// A user's status, derived from their tokens': enabled if any token is enabled, pending
    /// if only pending ones are left (with disabled ones or not), disabled if none is live
    /// (or there is no token at all).
    pub fn of_tokens(tokens: impl IntoIterator<Item = Status>) -> Status {
        tokens
            .into_iter()
            .min_by_key(|s| s.precedence())
            .unwrap_or(Status::Disabled)
    }

    /// Which status speaks for a user with several tokens: the smallest (enabled, then
    /// pending, then disabled).
    pub(crate) fn precedence(self) -> u8 {
        match self {
            Status::Enabled => 0,
            Status::Pending => 1,
            Status::Disabled => 2,
        }
    }

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Enabled => "enabled",
            Status::Disabled => "disabled",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(Status::Pending),
            "enabled" => Ok(Status::Enabled),
            "disabled" => Ok(Status::Disabled),
            other => Err(Error::invalid(
                "status",
                format!("{other:?} (expected pending, enabled or disabled)"),
            )),
        }
    }
}

/// HMAC algorithm of a TOTP secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Algorithm {
    /// HMAC-SHA1, the default every authenticator app supports.
    #[serde(rename = "SHA1")]
    Sha1,
    /// HMAC-SHA256.
    #[serde(rename = "SHA256")]
    Sha256,
    /// HMAC-SHA512.
    #[serde(rename = "SHA512")]
    Sha512,
}

impl Algorithm {
    /// Name as used in otpauth URIs and the store (`SHA1`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// Length of a freshly generated secret: the hash's output size, as RFC 6238's
    /// reference implementation and its test vectors use.
    pub fn secret_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    pub(crate) fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
            Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
            Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            _ => Err(Error::invalid(
                "algorithm",
                format!("{s:?} (expected sha1, sha256 or sha512)"),
            )),
        }
    }
}

/// The parameters of a TOTP secret, validated: digits 6–8, period 10–300 s.
///
/// The fields are private: every value was checked by [`TotpParams::new`] (or is the
/// default), so code that divides by the period or builds codes of `digits` can rely on it.
///
/// ```compile_fail,E0451
/// use mfactl::model::{Algorithm, TotpParams};
/// // A period of 0 would make every step computation divide by zero: not constructible.
/// let p = TotpParams { algorithm: Algorithm::Sha1, digits: 6, period: 0 };
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TotpParams {
    algorithm: Algorithm,
    digits: u8,
    period: u32,
}

impl TotpParams {
    /// Accepted code lengths: the one definition of the range (settings and URIs use it too).
    pub const DIGITS: std::ops::RangeInclusive<u8> = 6..=8;
    /// Accepted periods, in seconds: the one definition of the range.
    pub const PERIOD: std::ops::RangeInclusive<u32> = 10..=300;

    /// Validates and builds.
    pub fn new(algorithm: Algorithm, digits: u8, period: u32) -> Result<Self> {
        check_digits(digits)?;
        check_period(period)?;
        Ok(TotpParams {
            algorithm,
            digits,
            period,
        })
    }

    /// HMAC algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Code length, within [`TotpParams::DIGITS`].
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// Time step in seconds, within [`TotpParams::PERIOD`] (never 0).
    pub fn period(&self) -> u32 {
        self.period
    }
}

impl Default for TotpParams {
    /// SHA1, 6 digits, 30 s: what every authenticator app assumes.
    fn default() -> Self {
        TotpParams {
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

/// Checks a code length.
pub fn check_digits(digits: u8) -> Result<()> {
    if TotpParams::DIGITS.contains(&digits) {
        Ok(())
    } else {
        Err(Error::invalid(
            "digits",
            format!(
                "{digits} (expected {} to {})",
                TotpParams::DIGITS.start(),
                TotpParams::DIGITS.end()
            ),
        ))
    }
}

/// Checks a period.
pub fn check_period(period: u32) -> Result<()> {
    if TotpParams::PERIOD.contains(&period) {
        Ok(())
    } else {
        Err(Error::invalid(
            "period",
            format!(
                "{period} seconds (expected {} to {})",
                TotpParams::PERIOD.start(),
                TotpParams::PERIOD.end()
            ),
        ))
    }
}

/// A point in time, UTC, to the second. Stored and printed as `YYYY-MM-DDTHH:MM:SSZ`, which
/// sorts as text in time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

const TS_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from_unix(OffsetDateTime::now_utc().unix_timestamp())
    }

    /// From seconds since the Unix epoch (clamped to the representable range).
    pub fn from_unix(secs: i64) -> Self {
        let dt = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Timestamp(dt)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Parses the stored form, or any RFC 3339 time (converted to UTC).
    pub fn parse(s: &str) -> Result<Self> {
        if let Some(ts) = Self::parse_stored(s.as_bytes()) {
            return Ok(ts);
        }
        // What the fixed-width reader leaves to `time` (a signed year, say) is read as before.
        if let Ok(dt) = time::PrimitiveDateTime::parse(s, TS_FORMAT) {
            return Ok(Timestamp(dt.assume_utc()));
        }
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(|dt| Self::from_unix(dt.unix_timestamp()))
            .map_err(|_| {
                Error::invalid(
                    "time",
                    format!("{s:?} (expected RFC 3339, e.g. 2026-01-31T12:00:00Z)"),
                )
            })
    }
}

impl Timestamp {
    /// [`Timestamp::parse`] of a column's bytes: the stored form is read from them as they are
    /// (it is ASCII or it is not the stored form), and only anything else is checked to be
    /// UTF-8 and parsed.
    pub(crate) fn parse_bytes(b: &[u8]) -> Result<Self> {
        match Self::parse_stored(b) {
            Some(ts) => Ok(ts),
            None => Self::parse(
                std::str::from_utf8(b)
                    .map_err(|_| Error::invalid("time", "not UTF-8 text".to_string()))?,
            ),
        }
    }

    /// The stored form, `YYYY-MM-DDTHH:MM:SSZ`, read at fixed offsets: the store holds
    /// nothing else, and `list` reads several per row. Whatever it accepts, `time` reads the
    /// same for `TS_FORMAT` (checked against it in tests/timestamps.rs); `None` otherwise.
    fn parse_stored(b: &[u8]) -> Option<Self> {
        let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1, b'Z'] =
            b
        else {
            return None;
        };
        fn num(digits: &[u8]) -> Option<u16> {
            digits.iter().try_fold(0u16, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
            })
        }
        let year = num(&[y0, y1, y2, y3])?;
        let month = time::Month::try_from(num(&[m0, m1])? as u8).ok()?;
        let date = time::Date::from_calendar_date(i32::from(year), month, num(&[d0, d1])? as u8);
        let time = time::Time::from_hms(
            num(&[h0, h1])? as u8,
            num(&[i0, i1])? as u8,
            num(&[s0, s1])? as u8,
        );
        Some(Timestamp(date.ok()?.with_time(time.ok()?).assume_utc()))
    }
}

impl Timestamp {
    /// The stored form, `YYYY-MM-DDTHH:MM:SSZ`, written at fixed offsets (no allocation, no
    /// formatter): `None` for a year before 0 (only from `from_unix` of a far past) or past
    /// 9999 (only with `time`'s large-dates), which `time`'s general formatter writes.
    fn stored_form(&self) -> Option<[u8; 20]> {
        let (year, month, day) = self.0.to_calendar_date();
        let (hour, minute, second) = self.0.to_hms();
        let year = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
        let mut out = *b"0000-00-00T00:00:00Z";
        let two = |out: &mut [u8; 20], at: usize, v: u8| {
            out[at] = b'0' + v / 10;
            out[at + 1] = b'0' + v % 10;
        };
        two(&mut out, 0, (year / 100) as u8);
        two(&mut out, 2, (year % 100) as u8);
        two(&mut out, 5, month as u8);
        two(&mut out, 8, day);
        two(&mut out, 11, hour);
        two(&mut out, 14, minute);
        two(&mut out, 17, second);
        Some(out)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stored_form() {
            // Only ASCII digits and punctuation were written.
            Some(out) => f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?),
            None => match self.0.format(TS_FORMAT) {
                Ok(s) => f.write_str(&s),
                Err(_) => Err(fmt::Error),
            },
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        // The string itself, not through a formatter: a listing writes hundreds of thousands.
        match self
            .stored_form()
            .as_ref()
            .map(|out| std::str::from_utf8(out))
        {
            Some(Ok(text)) => s.serialize_str(text),
            _ => s.collect_str(self),
        }
    }
}

/// A length of time given by a person: `90s`, `30m`, `24h`, `7d`, `2w`, or `0` (for settings
/// where zero means "never"). Whole seconds; printed in the largest unit that divides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span(u64);

impl Span {
    const UNITS: [(char, u64); 5] = [
        ('w', 604_800),
        ('d', 86_400),
        ('h', 3_600),
        ('m', 60),
        ('s', 1),
    ];

    /// A span of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Span(secs)
    }

    /// Its length in seconds.
    pub const fn secs(self) -> u64 {
        self.0
    }

    /// Whether it is zero long.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses `90s`, `30m`, `24h`, `7d`, `2w` or `0`; `what` names the option or setting in the
    /// error.
    pub fn parse(what: &'static str, s: &str) -> Result<Self> {
        let s = s.trim();
        if s == "0" {
            return Ok(Span(0));
        }
        let bad = || {
            Error::invalid(
                what,
                format!("{s:?} (expected a number and a unit, like 90s, 30m, 24h, 7d or 2w)"),
            )
        };
        let unit = s.chars().last().ok_or_else(bad)?;
        let mult = Self::UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, m)| *m)
            .ok_or_else(bad)?;
        let number = &s[..s.len() - unit.len_utf8()];
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        // Beyond what a timestamp can hold is a typo, not a policy.
        n.checked_mul(mult)
            .filter(|secs| i64::try_from(*secs).is_ok())
            .map(Span)
            .ok_or_else(bad)
    }

    /// The time this long before `t` (clamped like [`Timestamp::from_unix`]).
    pub fn before(self, t: Timestamp) -> Timestamp {
        let secs = i64::try_from(self.0).unwrap_or(i64::MAX);
        Timestamp::from_unix(t.unix().saturating_sub(secs))
    }

    /// The time this long after `t` (clamped like [`Timestamp::from_unix`]).
    pub fn after(self, t: Timestamp) -> Timestamp {
        let secs = i64::try_from(self.0).unwrap_or(i64::MAX);
        Timestamp::from_unix(t.unix().saturating_add(secs))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0");
        }
        let (unit, mult) = Self::UNITS
            .iter()
            .find(|(_, m)| self.0.is_multiple_of(*m))
            .copied()
            .unwrap_or(('s', 1));
        write!(f, "{}{unit}", self.0 / mult)
    }
}

impl FromStr for Span {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Span::parse("duration", s)
    }
}

/// One user's row, as the store holds it. `secret` is the age ciphertext, never plaintext.
#[derive(Clone, Debug)]
pub struct UserRecord {
    /// Stable identifier of the user (UUID v4).
    pub id: String,
    /// The user.
    pub user: UserName,
    /// MFA state, derived from the tokens' ([`Status::of_tokens`]).
    pub status: Status,
    /// The id of the user's primary token: the one the per-token fields below (`params` to
    /// `last_used_step`) describe, chosen as enabled before pending before disabled, then the
    /// latest enrolled. With one token per user, it is that token. (At the end of issue 13 those
    /// fields move to [`TokenRecord`] and `tokens` is the only view of them.)
    pub token_id: String,
    /// TOTP parameters.
    pub params: TotpParams,
    /// Issuer shown in the authenticator app.
    pub issuer: String,
    /// age ciphertext of the base32 secret; `None` once disabled.
    pub secret: Option<Vec<u8>>,
    /// First enrollment.
    pub created_at: Timestamp,
    /// Last change of any kind.
    pub updated_at: Timestamp,
    /// When the current secret was enrolled (or imported): `pending-ttl` counts from here.
    pub enrolled_at: Timestamp,
    /// When the pairing was confirmed.
    pub enabled_at: Option<Timestamp>,
    /// When MFA was disabled.
    pub disabled_at: Option<Timestamp>,
    /// Last accepted code.
    pub last_used_at: Option<Timestamp>,
    /// Time step of the last accepted code (replay protection).
    pub last_used_step: Option<u64>,
    /// The token's clock drift, in time steps (signed): the offset from now of its last
    /// accepted code (or of a `resync`), bounded by the `max-drift` setting; verification
    /// centres its ±skew window on it. The primary token's, as the fields above
    /// ([`TokenRecord::drift`]).
    pub drift: i64,
    /// Consecutive failed verifications.
    pub failures: u32,
    /// Set when the user was locked out by too many failures (user level). A timed lock that
    /// lifted stays recorded until the next failure, success or `unlock`.
    pub locked_at: Option<Timestamp>,
    /// When that lock lifts by itself (`lockout` setting); `None` with a lock: until `unlock`
    /// (user level).
    pub locked_until: Option<Timestamp>,
    /// Locks in a row since the last success or `unlock`: each timed one lasts twice as long
    /// as the one before (user level).
    pub lockouts: u32,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// Whether any unused recovery code is of the legacy kind (60 bits, unsalted SHA-256),
    /// weaker against an offline attack on a stolen store: issue a new set.
    pub recovery_codes_legacy: bool,
    /// Every token of the user, by label (with their ciphertexts where the record has one).
    pub tokens: Vec<TokenRecord>,
}

/// One of a user's tokens: a secret and everything tied to it (the user's lockout state and
/// recovery codes are the user's, in [`UserRecord`]).
#[derive(Clone, Debug)]
pub struct TokenRecord {
    /// Stable identifier of the token (UUID v4).
    pub id: String,
    /// The token's label, unique per user.
    pub label: TokenLabel,
    /// The token's state.
    pub status: Status,
    /// TOTP parameters.
    pub params: TotpParams,
    /// Issuer shown in the authenticator app.
    pub issuer: String,
    /// age ciphertext of the base32 secret; `None` once disabled (and in records read without
    /// ciphertexts).
    pub secret: Option<Vec<u8>>,
    /// When the token was first enrolled.
    pub created_at: Timestamp,
    /// The token's last change.
    pub updated_at: Timestamp,
    /// When the current secret was enrolled (or imported): `pending-ttl` counts from here.
    pub enrolled_at: Timestamp,
    /// When the pairing was confirmed.
    pub enabled_at: Option<Timestamp>,
    /// When the token was disabled.
    pub disabled_at: Option<Timestamp>,
    /// The token's last accepted code.
    pub last_used_at: Option<Timestamp>,
    /// Time step of the token's last accepted code (replay protection, per token).
    pub last_used_step: Option<u64>,
    /// The token's clock drift, in time steps (signed): where its verification window is
    /// centred ([`crate::totp::window`]).
    pub drift: i64,
}

impl TokenRecord {
    /// Whether the token is still pending at `now` although `ttl` (the `pending-ttl` setting;
    /// `None`: never) has passed since its enrollment: it can no longer be confirmed.
    pub fn pending_expired(&self, ttl: Option<Span>, now: Timestamp) -> bool {
        self.status == Status::Pending
            && ttl.is_some_and(|ttl| ttl.after(self.enrolled_at).unix() <= now.unix())
    }
}

impl UserRecord {
    /// This record with `token`'s fields in the per-token ones (`token_id`, `status`, `params`
    /// to `last_used_step`, `drift`): what the single-token rules (`verification::decide`, the
    /// pending-ttl rule) judge, once per token.
    pub fn for_token(&self, token: &TokenRecord) -> UserRecord {
        UserRecord {
            token_id: token.id.clone(),
            status: token.status,
            params: token.params,
            issuer: token.issuer.clone(),
            secret: token.secret.clone(),
            enrolled_at: token.enrolled_at,
            enabled_at: token.enabled_at,
            disabled_at: token.disabled_at,
            last_used_at: token.last_used_at,
            last_used_step: token.last_used_step,
            drift: token.drift,
            ..self.clone()
        }
    }

    /// Whether verification is blocked at `now`: a lock until `unlock`, or one whose
    /// `locked_until` is still to come ([`crate::lockout::LockState::is_locked_at`]).
    pub fn is_locked_at(&self, now: Timestamp) -> bool {
        crate::lockout::LockState::of(self).is_locked_at(now)
    }

    /// When the lock in force at `now` lifts by itself: `None` when not locked then, or locked
    /// until `unlock`.
    pub fn locked_until_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.locked_until.filter(|_| self.is_locked_at(now))
    }

    /// Whether the user is still pending at `now` although `ttl` (the `pending-ttl` setting;
    /// `None`: never) has passed since the enrollment: the pairing can no longer be confirmed.
    pub fn pending_expired(&self, ttl: Option<Span>, now: Timestamp) -> bool {
        self.status == Status::Pending
            && ttl.is_some_and(|ttl| ttl.after(self.enrolled_at).unix() <= now.unix())
    }

    /// When a pending enrollment stops being confirmable (`None`: not pending, or never).
    pub fn pending_expires_at(&self, ttl: Option<Span>) -> Option<Timestamp> {
        (self.status == Status::Pending)
            .then_some(ttl)
            .flatten()
            .map(|ttl| ttl.after(self.enrolled_at))
    }
}

/// Which users `list` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserFilter {
    /// Everyone.
    All,
    /// Users in one status.
    Status(Status),
    /// Users locked out by failed verifications (a timed lock that lifted is not).
    Locked,
}

/// A selection of users (`list`'s filters, the janitor's rules), judged by [`UserQuery::matches`].
/// Every condition given must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserQuery {
    /// Status or lockout.
    pub filter: UserFilter,
    /// Only users locked out (at `at`).
    pub locked: bool,
    /// The time a lock is judged at: a lock whose `locked_until` is at or before it has lifted
    /// and is not "locked". `None`: the clock when the query runs.
    pub at: Option<Timestamp>,
    /// Only users not used since this time: created before it, and never used or last used
    /// before it (a user enrolled after it has not been unused that long).
    pub unused_before: Option<Timestamp>,
    /// Only pending users enrolled before this time (their current secret, `enrolled_at`).
    pub pending_before: Option<Timestamp>,
    /// Only disabled users disabled before this time.
    pub disabled_before: Option<Timestamp>,
}

impl UserQuery {
    /// Whether `user` meets every condition of this query, locks judged at `at` (the query's
    /// own `at` is the caller's to resolve).
    pub fn matches(&self, user: &UserRecord, at: Timestamp) -> bool {
        let status = match self.filter {
            UserFilter::Status(s) => user.status == s,
            UserFilter::All | UserFilter::Locked => true,
        };
        let locked = self.locked || self.filter == UserFilter::Locked;
        status
            && (!locked || user.is_locked_at(at))
            && self.unused_before.is_none_or(|t| {
                user.created_at < t
                    && user
                        .tokens
                        .iter()
                        .all(|k| k.last_used_at.is_none_or(|used| used < t))
            })
            && self
                .pending_before
                .is_none_or(|t| user.status == Status::Pending && user.enrolled_at < t)
            && self.disabled_before.is_none_or(|t| {
                user.status == Status::Disabled && user.disabled_at.unwrap_or(user.updated_at) < t
            })
    }
}

impl From<UserFilter> for UserQuery {
    fn from(filter: UserFilter) -> Self {
        UserQuery {
            filter,
            ..UserQuery::default()
        }
    }
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery {
            filter: UserFilter::All,
            locked: false,
            at: None,
            unused_before: None,
            pending_before: None,
            disabled_before: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_status_is_derived_from_the_tokens() {
        use Status::*;
        for (tokens, want) in [
            (vec![], Disabled),
            (vec![Disabled], Disabled),
            (vec![Disabled, Pending], Pending),
            (vec![Pending, Pending], Pending),
            (vec![Pending, Enabled, Disabled], Enabled),
            (vec![Disabled, Enabled], Enabled),
        ] {
            assert_eq!(Status::of_tokens(tokens.clone()), want, "{tokens:?}");
        }
    }

    #[test]
    fn token_labels_are_short_lowercase_ascii() {
        for good in [
            "default",
            "phone",
            "a",
            "yubikey-2",
            "old.phone",
            "x_1",
            &"a".repeat(32),
        ] {
            assert_eq!(TokenLabel::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "Phone",
            "-phone",
            ".x",
            "_x",
            "ph one",
            "t\u{1b}[31m",
            "t\u{430}",
            "a:b",
            "a&b",
            &"a".repeat(33),
        ] {
            let e = TokenLabel::parse(bad).unwrap_err();
            assert_eq!(e.kind(), "invalid_input", "{bad:?}");
            assert!(!e.to_string().contains('\u{1b}'), "{e}");
        }
        assert_eq!(TokenLabel::default().as_str(), TokenLabel::DEFAULT);
    }

    #[test]
    fn span_parses_each_unit() {
        for (text, secs) in [
            ("0", 0),
            ("90s", 90),
            ("30m", 1_800),
            ("24h", 86_400),
            ("7d", 604_800),
            ("2w", 1_209_600),
            (" 15m ", 900),
        ] {
            assert_eq!(Span::parse("x", text).unwrap().secs(), secs, "{text}");
        }
    }

    #[test]
    fn span_refuses_what_is_not_a_number_and_a_unit() {
        for bad in [
            "",
            "m",
            "15",
            "-5m",
            "+5m",
            "5y",
            "1.5h",
            "5 m",
            "5mm",
            "0x10s",
            "١٥m",
            "99999999999999999999w",
        ] {
            let err = Span::parse("--unused-since", bad).unwrap_err();
            assert!(err.to_string().contains("--unused-since"), "{bad}: {err}");
        }
    }

    #[test]
    fn span_prints_in_the_largest_exact_unit_and_reads_back() {
        for (secs, text) in [
            (0, "0"),
            (90, "90s"),
            (3_600, "1h"),
            (86_400 * 14, "2w"),
            (86_400 * 10, "10d"),
        ] {
            let span = Span::from_secs(secs);
            assert_eq!(span.to_string(), text);
            assert_eq!(text.parse::<Span>().unwrap(), span);
        }
    }

    #[test]
    fn a_columns_bytes_parse_as_their_text_would_and_non_utf8_is_refused() {
        for text in [
            "2026-01-31T12:00:00Z",
            "2026-01-31T13:00:00+01:00",
            "2024-02-29T23:59:59Z",
            "2026-02-30T00:00:00Z",
            "2026-01-31 12:00:00",
            "",
        ] {
            assert_eq!(
                Timestamp::parse_bytes(text.as_bytes()).ok(),
                Timestamp::parse(text).ok(),
                "{text}"
            );
        }
        assert_eq!(
            Timestamp::parse_bytes(b"2026-01-31T12:00:00Z")
                .unwrap()
                .unix(),
            1_769_860_800
        );
        assert!(Timestamp::parse_bytes(b"2026-01-31T12:00:0\xffZ").is_err());
        assert!(Timestamp::parse_bytes(b"\xff").is_err());
    }

    #[test]
    fn span_moves_a_timestamp_both_ways() {
        let t = Timestamp::from_unix(1_000_000);
        let d = Span::from_secs(3_600);
        assert_eq!(d.before(t).unix(), 1_000_000 - 3_600);
        assert_eq!(d.after(t).unix(), 1_000_000 + 3_600);
    }
}
