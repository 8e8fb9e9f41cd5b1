//! TOTP secrets, otpauth URIs, code parsing and the verification rules (RFC 6238).
//!
//! HMAC and truncation are totp-rs's; this module adds what a verifier needs around them:
//! secrets that zeroize and never print, strict code parsing, a skew window that reports the
//! matching time step, and the replay rule.

use std::fmt;

use data_encoding::BASE32_NOPAD;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::{Algorithm, TotpParams, UserName};

/// A TOTP shared secret. Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TotpSecret(<{} bytes redacted>)", self.0.len())
    }
}

impl TotpSecret {
    /// Shortest secret accepted for new secrets and, by default, imports (RFC 4226 §4: at least
    /// 128 bits).
    pub const MIN_LEN: usize = 16;

    /// Shortest legacy secret `import --allow-short-secrets` accepts, and a stored secret may
    /// have: 80 bits, the 16-character base32 secrets older systems (and Google Authenticator's
    /// early examples) used. Anything shorter is refused outright.
    pub const LEGACY_MIN_LEN: usize = 10;

    /// A fresh random secret of the algorithm's natural length, from the OS CSPRNG.
    pub fn generate(algorithm: Algorithm) -> Result<Self> {
        let mut bytes = Zeroizing::new(vec![0u8; algorithm.secret_len()]);
        getrandom::fill(&mut bytes).map_err(Error::random)?;
        Ok(TotpSecret(bytes))
    }

    /// Wraps raw bytes (e.g. a test vector).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(Zeroizing::new(bytes))
    }

    /// Decodes base32 (RFC 4648) of at least [`TotpSecret::MIN_LEN`] bytes, through
    /// [`TotpSecret::ingest`].
    pub fn from_base32(text: &str) -> Result<Self> {
        let secret = Self::ingest(text)?;
        if secret.is_short() {
            return Err(Error::invalid(
                "secret",
                format!(
                    "{} bits is too short (at least {} bits)",
                    secret.0.len() * 8,
                    Self::MIN_LEN * 8
                ),
            ));
        }
        Ok(secret)
    }

    /// The one way secret text from outside becomes a secret: otpauth URIs, CSV, YAML and JSON
    /// imports, and the store's own plaintexts. Base32 (RFC 4648) in the forms authenticator
    /// apps and exports write it: any case, spaces between groups, trailing `=` padding. At least [`TotpSecret::LEGACY_MIN_LEN`] bytes; callers that want the full
    /// 128 bits check [`TotpSecret::is_short`]. Errors never echo the text.
    pub fn ingest(text: &str) -> Result<Self> {
        // Sized up front (filtering and ASCII upper-casing never lengthen it): no growth leaves
        // an unzeroized copy behind.
        let mut clean = Zeroizing::new(String::with_capacity(text.len()));
        clean.extend(
            text.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase()),
        );
        while clean.ends_with('=') {
            clean.pop();
        }
        if clean.is_empty() {
            return Err(Error::invalid("secret", "empty"));
        }
        let bytes = BASE32_NOPAD
            .decode(clean.as_bytes())
            .map_err(|_| Error::invalid("secret", "not valid base32 (RFC 4648)"))?;
        let secret = TotpSecret(Zeroizing::new(bytes));
        if secret.0.len() < Self::LEGACY_MIN_LEN {
            return Err(Error::invalid(
                "secret",
                format!(
                    "{} bits is too short (at least {} bits)",
                    secret.0.len() * 8,
                    Self::MIN_LEN * 8
                ),
            ));
        }
        Ok(secret)
    }

    /// Shorter than 128 bits: a legacy secret, accepted only on import with
    /// `--allow-short-secrets` and flagged by `list`.
    pub fn is_short(&self) -> bool {
        self.0.len() < Self::MIN_LEN
    }

    /// The secret's length in bits.
    pub fn bits(&self) -> usize {
        self.0.len() * 8
    }

    /// Base32, uppercase, no padding: the form apps accept and the store encrypts.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.0))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self, params: &TotpParams) -> Result<totp_rs::Totp> {
        let builder = totp_rs::Builder::new()
            .with_algorithm(params.algorithm().to_totp_rs())
            .with_digits(params.digits())
            .with_step_duration(u64::from(params.period()))
            .with_skew(0)
            .with_secret(totp_rs::Secret::new(self.0.to_vec().into_boxed_slice()));
        if self.is_short() {
            // totp-rs refuses secrets under 128 bits; legacy ones (at least 80) were accepted
            // on purpose, and `params` is already validated (digits 6-8, period 10-300).
            if self.0.len() < Self::LEGACY_MIN_LEN {
                return Err(Error::invalid(
                    "secret",
                    format!("{} bits is too short", self.0.len() * 8),
                ));
            }
            return Ok(builder.build_noncompliant());
        }
        builder
            .build()
            .map_err(|e| Error::invalid("secret", totp_error_text(&e)))
    }
}

fn totp_error_text(e: &totp_rs::TotpError) -> String {
    match e {
        totp_rs::TotpError::SecretTooShort { bits } => {
            format!("{bits} bits is too short (at least 128 bits)")
        }
        totp_rs::TotpError::InvalidDigits { digits } => format!("{digits} digits (expected 6-8)"),
        // TotpError's Display never includes the secret itself.
        other => other.to_string(),
    }
}

/// A code as typed by a user, validated to be exactly `digits` ASCII digits. Zeroized on drop.
///
/// No `PartialEq`: `==` on strings stops at the first differing byte, and would tell an
/// attacker timing the verifier how much of a guess was right. Codes are compared only by
/// [`matching_steps`] (totp-rs's constant-time comparison).
///
/// ```compile_fail,E0369
/// use mfactl::totp::Code;
/// let same = Code::parse("123456", 6).unwrap() == Code::parse("123456", 6).unwrap();
/// ```
#[derive(Clone)]
pub struct Code(Zeroizing<String>);

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

impl Code {
    /// Parses user input: surrounding whitespace and spaces inside (`123 456`) are ignored;
    /// anything else must be ASCII digits, exactly `digits` of them.
    pub fn parse(input: &str, digits: u8) -> Result<Self> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid(
                "code",
                "empty (expected the digits from the app)",
            ));
        }
        let mut compact = Zeroizing::new(String::with_capacity(trimmed.len()));
        compact.extend(trimmed.chars().filter(|&c| c != ' '));
        if !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "code",
                "only digits (and spaces) are allowed",
            ));
        }
        let len = compact.len();
        if len != usize::from(digits) {
            return Err(Error::invalid(
                "code",
                format!("{len} digits, this user's codes have {digits}"),
            ));
        }
        Ok(Code(compact))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The code for a given time step. Used by tests and by `enroll`'s self-check; the verifier
/// compares through [`matching_steps`].
pub fn code_for_step(secret: &TotpSecret, params: &TotpParams, step: u64) -> Result<Code> {
    let totp = secret.totp(params)?;
    let token = totp.generate(step.saturating_mul(u64::from(params.period())));
    Ok(Code(Zeroizing::new(token.to_string())))
}

/// The time step containing `unix_time`.
pub fn step_at(unix_time: u64, params: &TotpParams) -> u64 {
    unix_time / u64::from(params.period())
}

/// Every step in `[now - skew, now + skew]` whose code equals `code`, newest first.
/// The comparison is totp-rs's constant-time token equality.
pub fn matching_steps(
    secret: &TotpSecret,
    params: &TotpParams,
    code: &Code,
    unix_time: u64,
    skew: u8,
) -> Result<Vec<u64>> {
    let totp = secret.totp(params)?;
    let now = step_at(unix_time, params);
    let skew = u64::from(skew);
    let mut out = Vec::new();
    for step in (now.saturating_sub(skew)..=now.saturating_add(skew)).rev() {
        if totp
            .check(
                code.as_str(),
                step.saturating_mul(u64::from(params.period())),
            )
            .is_some()
        {
            out.push(step);
        }
    }
    Ok(out)
}

/// How far `resync` and the clock hint search for a device's codes: an hour either side of now.
pub const RESYNC_SEARCH_SECS: u64 = 3_600;

/// The drift a verification centres its window on: the stored one, clamped to ±`max_drift`
/// steps (a stored value outside that range, e.g. after `max-drift` was lowered, counts as the
/// bound).
pub fn bounded_drift(drift: i64, max_drift: u32) -> i64 {
    let max = i64::from(max_drift);
    drift.clamp(-max, max)
}

/// The steps a code is checked against: ±`skew` around `now_step + drift` (the drift bounded by
/// [`bounded_drift`]), cut at step 0. It never reaches beyond ±(`max_drift` + `skew`) of now.
pub fn window(
    now_step: u64,
    drift: i64,
    skew: u8,
    max_drift: u32,
) -> std::ops::RangeInclusive<u64> {
    let centre = i128::from(now_step) + i128::from(bounded_drift(drift, max_drift));
    let skew = i128::from(skew);
    let clamp = |v: i128| u64::try_from(v.max(0)).unwrap_or(u64::MAX);
    clamp(centre - skew)..=clamp(centre + skew)
}

/// The signed offset of `step` from `now_step`, in steps.
pub fn step_offset(step: u64, now_step: u64) -> i64 {
    let d = i128::from(step) - i128::from(now_step);
    // Saturating: a difference beyond i64 (steps near 0 and near u64::MAX) is the nearer bound.
    // Clamped first, the cast is exact.
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The drift recorded with an accepted code at `step`: its offset from now, clamped to
/// ±`max_drift`.
pub fn drift_after(step: u64, now_step: u64, max_drift: u32) -> i64 {
    bounded_drift(step_offset(step, now_step), max_drift)
}

/// The steps `resync` and the clock hint search: ±[`RESYNC_SEARCH_SECS`] around now, in the
/// token's steps (120 each side at 30 s), cut at step 0.
pub fn search_steps(now_step: u64, params: &TotpParams) -> std::ops::RangeInclusive<u64> {
    let reach = RESYNC_SEARCH_SECS / u64::from(params.period());
    now_step.saturating_sub(reach)..=now_step.saturating_add(reach)
}

/// Every step in `steps` whose code equals `code`, newest first (totp-rs's constant-time
/// comparison).
pub fn matching_steps_in(
    secret: &TotpSecret,
    params: &TotpParams,
    code: &Code,
    steps: std::ops::RangeInclusive<u64>,
) -> Result<Vec<u64>> {
    let totp = secret.totp(params)?;
    let period = u64::from(params.period());
    Ok(steps
        .rev()
        .filter(|&step| {
            totp.check(code.as_str(), step.saturating_mul(period))
                .is_some()
        })
        .collect())
}

/// The clock hint: for a code that matched no step of `window` (nor a replayed one), the
/// offset from now, in steps, of the step nearest to now in the resync search range that it
/// does match, outside the window and after `last_used_step` (an old code already used says
/// nothing about the clock). `None`: it matches nowhere there, a plain wrong code.
pub fn clock_offset(
    secret: &TotpSecret,
    params: &TotpParams,
    code: &Code,
    now_step: u64,
    window: &std::ops::RangeInclusive<u64>,
    last_used_step: Option<u64>,
) -> Result<Option<i64>> {
    let found = matching_steps_in(secret, params, code, search_steps(now_step, params))?;
    Ok(found
        .into_iter()
        .filter(|s| !window.contains(s) && last_used_step.is_none_or(|last| *s > last))
        .map(|s| step_offset(s, now_step))
        // Newest first: of a code matching both +k and -k (a collision), the future one wins,
        // as min_by_key keeps the first of equal keys.
        .min_by_key(|o| o.unsigned_abs()))
}

/// `resync`'s search: the step `s + 1` of the consecutive steps `s`, `s + 1` nearest to now in
/// the resync search range whose codes are `first` then `second`. `None`: the two codes are
/// not consecutive codes of this token within an hour of now.
pub fn find_consecutive(
    secret: &TotpSecret,
    params: &TotpParams,
    first: &Code,
    second: &Code,
    now_step: u64,
) -> Result<Option<u64>> {
    let steps = search_steps(now_step, params);
    let lo = *steps.start();
    let mut seconds = matching_steps_in(secret, params, second, steps)?;
    // Nearest to now first; of +k and -k the future one, as the list comes newest first and
    // the sort is stable.
    seconds.sort_by_key(|&s| step_offset(s, now_step).unsigned_abs());
    for s2 in seconds {
        if s2 > lo && !matching_steps_in(secret, params, first, (s2 - 1)..=(s2 - 1))?.is_empty() {
            return Ok(Some(s2));
        }
    }
    Ok(None)
}

/// Why a verification was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RejectReason {
    /// The code does not match any step in the window.
    Invalid,
    /// The code matches, but only a step at or before the last accepted one.
    Replayed,
    /// MFA is disabled for the user.
    Disabled,
    /// Too many consecutive failures; an operator must unlock the user.
    Locked,
    /// The user is still pending and `pending-ttl` has passed since the enrollment: the
    /// pairing can no longer be confirmed; enroll the user again.
    Expired,
    /// `resync` only: the two codes are consecutive codes of the token, but at an offset from
    /// now beyond the `max-drift` setting; fix the device's clock or raise `max-drift`.
    #[serde(rename = "drift_too_large")]
    DriftTooLarge,
}

impl RejectReason {
    /// The reason's name in output and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Invalid => "invalid",
            RejectReason::Replayed => "replayed",
            RejectReason::Disabled => "disabled",
            RejectReason::Locked => "locked",
            RejectReason::Expired => "expired",
            RejectReason::DriftTooLarge => "drift_too_large",
        }
    }

    /// Whether this rejection counts toward the brute-force lockout. Only wrong guesses do:
    /// a replayed code proves knowledge of a real code, and locked/disabled users are already
    /// refused outright. A code for an expired pending enrollment counts too: nobody should be
    /// able to try codes against it without limit. A resync whose two codes are real but too
    /// far off ([`RejectReason::DriftTooLarge`]) does not: two consecutive codes are no guess.
    pub fn counts_as_failure(self) -> bool {
        matches!(self, RejectReason::Invalid | RejectReason::Expired)
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verifier's decision for one code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Accept, and record `step` as the last one used.
    Accept {
        /// The matching time step.
        step: u64,
    },
    /// Refuse.
    Reject(RejectReason),
    /// Refuse as a wrong code ([`RejectReason::Invalid`], counted as a failure), with the clock
    /// hint: the code is this token's code for the step `offset` steps from now, outside the
    /// window but within the resync search (the device's clock looks off).
    ClockOff {
        /// The matching step's offset from now, in steps.
        offset: i64,
    },
}

/// What `resync`'s check found for two codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResyncVerdict {
    /// The codes are the token's for the consecutive steps `step - 1` and `step`.
    Found {
        /// The second code's step: the new replay mark, its offset the new drift.
        step: u64,
    },
    /// Refuse.
    Reject(RejectReason),
}

/// The replay rule (RFC 6238 §5.2): of the matching steps, take the newest; it must be newer
/// than the last accepted step, otherwise the code is a replay.
pub fn judge(matches: &[u64], last_used_step: Option<u64>) -> Verdict {
    match matches.iter().copied().max() {
        None => Verdict::Reject(RejectReason::Invalid),
        Some(step) if last_used_step.is_some_and(|last| step <= last) => {
            Verdict::Reject(RejectReason::Replayed)
        }
        Some(step) => Verdict::Accept { step },
    }
}

// RFC 3986 unreserved characters stay as they are; everything else is percent-encoded.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Builds the Key URI Format link authenticator apps scan:
/// `otpauth://totp/ISSUER:USER?secret=...&issuer=...&algorithm=...&digits=...&period=...`.
/// Every parameter is explicit, so apps that assume other defaults still pair correctly.
pub fn otpauth_uri(
    secret: &TotpSecret,
    params: &TotpParams,
    issuer: &str,
    user: &UserName,
) -> Zeroizing<String> {
    let issuer = utf8_percent_encode(issuer, LABEL);
    let user = utf8_percent_encode(user.as_str(), LABEL);
    Zeroizing::new(format!(
        "otpauth://totp/{issuer}:{user}?secret={}&issuer={issuer}&algorithm={}&digits={}&period={}",
        secret.to_base32().as_str(),
        params.algorithm().as_str(),
        params.digits(),
        params.period()
    ))
}

/// The otpauth URI shown for pairing (enroll, show-qr): like [`otpauth_uri`], but the
/// parameters every app assumes when they are absent (SHA1, 6 digits, 30 s) are left out, and
/// only those that differ are written. The shorter text makes a smaller QR code: the default
/// enrollment fits a 24-line terminal. Export keeps writing every parameter.
pub fn pairing_uri(
    secret: &TotpSecret,
    params: &TotpParams,
    issuer: &str,
    user: &UserName,
) -> Zeroizing<String> {
    let issuer = utf8_percent_encode(issuer, LABEL);
    let user = utf8_percent_encode(user.as_str(), LABEL);
    let mut uri = Zeroizing::new(format!(
        "otpauth://totp/{issuer}:{user}?secret={}&issuer={issuer}",
        secret.to_base32().as_str()
    ));
    // The Key URI Format's defaults, which apps assume (not the store's default settings).
    if params.algorithm() != Algorithm::Sha1 {
        uri.push_str("&algorithm=");
        uri.push_str(params.algorithm().as_str());
    }
    if params.digits() != 6 {
        uri.push_str(&format!("&digits={}", params.digits()));
    }
    if params.period() != 30 {
        uri.push_str(&format!("&period={}", params.period()));
    }
    uri
}

/// An otpauth URI read back: what import needs to enroll a user.
#[derive(Debug)]
pub struct ParsedUri {
    /// The account name (the label after `ISSUER:`).
    pub user: UserName,
    /// The issuer (from the `issuer` parameter or the label).
    pub issuer: Option<String>,
    /// TOTP parameters.
    pub params: TotpParams,
    /// The secret.
    pub secret: TotpSecret,
}

/// Parses an `otpauth://totp/...` URI (Google's Key URI Format) and validates it against
/// mfactl's rules. Errors never echo the URI (it holds a secret).
///
/// Lenient where real exporters differ, strict where it matters:
/// - the secret goes through [`TotpSecret::ingest`] (any case, `%20`/`+` spaces, `=` padding),
///   so it may be a legacy short one: callers check [`TotpSecret::is_short`];
/// - label and parameters are percent-decoded (RFC 3986) exactly once; `+` stays a literal
///   `+` (as in `alice+tag@example.com`), except that an issuer given both in the label and
///   the `issuer` parameter may differ by `+` standing for a space in one of them (form
///   encoding, as some exporters write), and then the spelled-out space wins;
/// - an issuer in the label and a different `issuer` parameter are refused, as is a parameter
///   given twice; unknown parameters (`image`, `color`, ...) are ignored.
pub fn parse_otpauth_uri(uri: &str) -> Result<ParsedUri> {
    let bad = |reason: &str| Error::invalid("otpauth URI", reason.to_owned());
    let uri = uri.trim();
    let scheme = "otpauth://";
    let rest = match uri.get(..scheme.len()) {
        Some(s) if s.eq_ignore_ascii_case(scheme) => &uri[scheme.len()..],
        _ => return Err(bad("does not start with otpauth://")),
    };
    // No fragment in a Key URI; drop one rather than read it as part of a parameter.
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (kind, rest) = rest
        .split_once('/')
        .ok_or_else(|| bad("no label (expected otpauth://totp/ISSUER:USER?secret=...)"))?;
    if !kind.eq_ignore_ascii_case("totp") {
        return Err(bad("only otpauth://totp/ is supported"));
    }
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));

    // ISSUER:ACCOUNT, the colon literal or encoded; spaces may follow it.
    let (label_issuer, account) = match split_label(label) {
        (Some(i), a) => (Some(decode_component(i, "issuer")?), a),
        (None, a) => (None, a),
    };
    let account = decode_component(account, "account name")?;
    let account = account.trim_start();
    if account.is_empty() {
        return Err(bad("no account name in the label"));
    }

    let mut secret = None;
    let mut issuer_param = None;
    let mut algorithm = None;
    let mut digits = None;
    let mut period = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_component(key, "parameter name")?;
        let slot = match key.to_ascii_lowercase().as_str() {
            "secret" => {
                // Base32 has no '+': one is a form-encoded space between groups.
                let value = Zeroizing::new(value.replace('+', " "));
                let text = Zeroizing::new(decode_component(&value, "secret")?);
                if secret.is_some() {
                    return Err(bad("the secret parameter is given twice"));
                }
                secret = Some(
                    TotpSecret::ingest(&text)
                        .map_err(|e| bad(&format!("the secret: {}", error_reason(&e))))?,
                );
                continue;
            }
            "issuer" => &mut issuer_param,
            "algorithm" => &mut algorithm,
            "digits" => &mut digits,
            "period" => &mut period,
            _ => continue,
        };
        if slot.is_some() {
            return Err(bad(&format!("the {key} parameter is given twice")));
        }
        *slot = Some(decode_component(value, "parameter")?);
    }
    let secret = secret.ok_or_else(|| bad("no secret parameter"))?;
    let algorithm = match algorithm {
        None => Algorithm::Sha1,
        Some(a) => a
            .parse()
            .map_err(|_| bad("unknown algorithm (expected SHA1, SHA256 or SHA512)"))?,
    };
    let digits = match digits {
        None => 6,
        Some(d) => d
            .trim()
            .parse::<u8>()
            .map_err(|_| bad("digits is not a number from 6 to 8"))?,
    };
    let period = match period {
        None => 30,
        Some(p) => p
            .trim()
            .parse::<u32>()
            .map_err(|_| bad("period is not a number of seconds from 10 to 300"))?,
    };
    let params = TotpParams::new(algorithm, digits, period)?;
    let issuer = match (label_issuer, issuer_param) {
        (None, None) => None,
        (Some(i), None) | (None, Some(i)) => Some(i),
        // The same, or one of them wrote spaces as '+': the spelled-out space is what was meant.
        (Some(l), Some(p)) if l.replace('+', " ") == p.replace('+', " ") => {
            Some(if l.contains(' ') { l } else { p })
        }
        (Some(_), Some(_)) => {
            return Err(bad(
                "the issuer in the label differs from the issuer parameter",
            ))
        }
    };
    let issuer = match issuer {
        Some(i) if !i.is_empty() => {
            crate::model::validate_issuer(&i)?;
            Some(i)
        }
        _ => None,
    };
    let user = UserName::parse(account)?;
    Ok(ParsedUri {
        user,
        issuer,
        params,
        secret,
    })
}

impl ParsedUri {
    /// An entry given field by field (CSV columns, JSON or YAML keys), as Authelia's and
    /// mfactl's own exports write them: the same rules as a URI's parameters, the secret
    /// through [`TotpSecret::ingest`]. Missing parameters take the Key URI Format's defaults
    /// (SHA1, 6 digits, 30 s); an empty issuer is none.
    pub fn from_fields(
        user: &str,
        issuer: Option<&str>,
        algorithm: Option<&str>,
        digits: Option<u64>,
        period: Option<u64>,
        secret: &str,
    ) -> Result<ParsedUri> {
        let secret = TotpSecret::ingest(secret)?;
        let algorithm = match algorithm.map(str::trim).filter(|a| !a.is_empty()) {
            None => Algorithm::Sha1,
            Some(a) => a.parse()?,
        };
        let digits = u8::try_from(digits.unwrap_or(6))
            .map_err(|_| Error::invalid("digits", "expected 6 to 8"))?;
        let period = u32::try_from(period.unwrap_or(30))
            .map_err(|_| Error::invalid("period", "expected 10 to 300 seconds"))?;
        let params = TotpParams::new(algorithm, digits, period)?;
        let issuer = match issuer.filter(|i| !i.is_empty()) {
            Some(i) => {
                crate::model::validate_issuer(i)?;
                Some(i.to_owned())
            }
            None => None,
        };
        Ok(ParsedUri {
            user: UserName::parse(user)?,
            issuer,
            params,
            secret,
        })
    }
}

/// Splits a label at its first `:` (or `%3A`) into issuer and account name, still encoded.
fn split_label(label: &str) -> (Option<&str>, &str) {
    let colon = label.find(':').map(|at| (at, 1));
    let encoded = label
        .as_bytes()
        .windows(3)
        .position(|w| w.eq_ignore_ascii_case(b"%3a"))
        .map(|at| (at, 3));
    // (position, length) of whichever separator comes first.
    match colon.into_iter().chain(encoded).min() {
        Some((at, len)) => (Some(&label[..at]), &label[at + len..]),
        None => (None, label),
    }
}

/// Percent-decodes one component once (RFC 3986: `+` is a `+`), as UTF-8.
fn decode_component(text: &str, what: &str) -> Result<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Error::invalid("otpauth URI", format!("the {what} is not UTF-8")))
}

/// The reason of an [`Error::InvalidInput`], without its "invalid secret: " prefix.
fn error_reason(e: &Error) -> String {
    match e {
        Error::InvalidInput { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 Appendix B: the seeds are the ASCII strings below, repeated to the hash size.
    const SEED20: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    // (time, SHA1, SHA256, SHA512) from RFC 6238 Appendix B, 8 digits, 30 s.
    const VECTORS: &[(u64, &str, &str, &str)] = &[
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];

    fn params(algorithm: Algorithm) -> TotpParams {
        TotpParams::new(algorithm, 8, 30).unwrap()
    }

    #[test]
    fn rfc6238_appendix_b_vectors_verify_through_matching_steps() {
        for &(t, sha1, sha256, sha512) in VECTORS {
            for (alg, seed, code) in [
                (Algorithm::Sha1, SEED20, sha1),
                (Algorithm::Sha256, SEED32, sha256),
                (Algorithm::Sha512, SEED64, sha512),
            ] {
                let secret = TotpSecret::from_bytes(seed.to_vec());
                let p = params(alg);
                let code = Code::parse(code, 8).unwrap();
                let steps = matching_steps(&secret, &p, &code, t, 0).unwrap();
                assert_eq!(steps, vec![t / 30], "{alg} at {t}");
                assert_eq!(judge(&steps, None), Verdict::Accept { step: t / 30 });
                // The same code is refused once its step is recorded as used.
                assert_eq!(
                    judge(&steps, Some(t / 30)),
                    Verdict::Reject(RejectReason::Replayed)
                );
            }
        }
    }

    #[test]
    fn rfc6238_codes_generate_the_vectors() {
        for &(t, sha1, _, _) in VECTORS {
            let secret = TotpSecret::from_bytes(SEED20.to_vec());
            let c = code_for_step(&secret, &params(Algorithm::Sha1), t / 30).unwrap();
            assert_eq!(c.as_str(), sha1);
        }
    }

    #[test]
    fn skew_window_is_one_step_each_side() {
        let secret = TotpSecret::from_bytes(SEED20.to_vec());
        let p = TotpParams::default();
        let now = 1_700_000_000u64;
        let cur = step_at(now, &p);
        for (offset, expect) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let step = (cur as i64 + offset) as u64;
            let code = code_for_step(&secret, &p, step).unwrap();
            let m = matching_steps(&secret, &p, &code, now, 1).unwrap();
            assert_eq!(m.contains(&step), expect, "offset {offset}");
        }
    }

    #[test]
    fn older_step_inside_window_is_a_replay_after_newer_use() {
        assert_eq!(
            judge(&[10], Some(11)),
            Verdict::Reject(RejectReason::Replayed)
        );
        assert_eq!(judge(&[12, 10], Some(11)), Verdict::Accept { step: 12 });
        assert_eq!(judge(&[], Some(11)), Verdict::Reject(RejectReason::Invalid));
    }

    #[test]
    fn code_parsing() {
        assert_eq!(Code::parse("123 456", 6).unwrap().as_str(), "123456");
        assert_eq!(Code::parse(" 123456\n", 6).unwrap().as_str(), "123456");
        for bad in [
            "",
            "   ",
            "12345",
            "1234567",
            "12a456",
            "+12345",
            "１２３４５６",
            "123\t456",
        ] {
            assert!(Code::parse(bad, 6).is_err(), "{bad:?} accepted");
        }
        assert!(Code::parse("12345678", 8).is_ok());
    }

    #[test]
    fn otpauth_uri_has_every_parameter_and_round_trips() {
        let secret = TotpSecret::from_bytes(SEED32.to_vec());
        let p = TotpParams::new(Algorithm::Sha256, 8, 60).unwrap();
        let user = UserName::parse("alice@example.com").unwrap();
        let uri = otpauth_uri(&secret, &p, "Acme Corp", &user);
        assert_eq!(
            uri.as_str(),
            format!(
                "otpauth://totp/Acme%20Corp:alice%40example.com?secret={}&issuer=Acme%20Corp&algorithm=SHA256&digits=8&period=60",
                data_encoding::BASE32_NOPAD.encode(SEED32)
            )
        );
        let parsed = parse_otpauth_uri(&uri).unwrap();
        assert_eq!(parsed.user, user);
        assert_eq!(parsed.issuer.as_deref(), Some("Acme Corp"));
        assert_eq!(parsed.params, p);
        assert_eq!(parsed.secret.as_bytes(), SEED32);
    }

    #[test]
    fn pairing_uri_leaves_out_default_parameters_only() {
        let secret = TotpSecret::from_bytes(SEED20.to_vec());
        let user = UserName::parse("alice@example.com").unwrap();
        let b32 = data_encoding::BASE32_NOPAD.encode(SEED20);
        let base = format!("otpauth://totp/Acme:alice%40example.com?secret={b32}&issuer=Acme");
        for (alg, digits, period, tail) in [
            (Algorithm::Sha1, 6, 30, ""),
            (Algorithm::Sha256, 6, 30, "&algorithm=SHA256"),
            (Algorithm::Sha1, 8, 30, "&digits=8"),
            (Algorithm::Sha1, 6, 60, "&period=60"),
            (
                Algorithm::Sha512,
                7,
                45,
                "&algorithm=SHA512&digits=7&period=45",
            ),
        ] {
            let p = TotpParams::new(alg, digits, period).unwrap();
            let uri = pairing_uri(&secret, &p, "Acme", &user);
            assert_eq!(uri.as_str(), format!("{base}{tail}"));
            // Read back (by totp-rs, which assumes the same defaults), it is the same key.
            let parsed = parse_otpauth_uri(&uri).unwrap();
            assert_eq!(parsed.params, p);
            assert_eq!(parsed.secret.as_bytes(), SEED20);
            assert_eq!(parsed.user, user);
        }
    }

    #[test]
    fn base32_is_lenient_about_case_spaces_and_padding_but_not_length() {
        let s = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq====").unwrap();
        assert_eq!(s.as_bytes(), SEED20);
        assert!(
            TotpSecret::from_base32("GEZDGNBV").is_err(),
            "40-bit secret accepted"
        );
        assert!(TotpSecret::from_base32("not base32!").is_err());
    }

    /// SEED20 in base32, as the fixtures below write it.
    const B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    /// URIs in the shapes authenticator apps and password managers export (issue 17), each
    /// with what it must read as: (app, URI, user, issuer, algorithm, digits, period).
    #[test]
    fn uris_as_exporters_write_them() {
        let lower_spaced = "gezd%20gnbv%20gy3t%20qojq%20gezd%20gnbv%20gy3t%20qojq";
        type Case = (
            &'static str,
            String,
            &'static str,
            Option<&'static str>,
            Algorithm,
            u8,
            u32,
        );
        let cases: Vec<Case> = vec![
            // Google Authenticator (its plain Key URI form): spaces as %20, every parameter.
            (
                "Google Authenticator",
                format!("otpauth://totp/Example%20Co:alice%40example.com?secret={B32}&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"),
                "alice@example.com", Some("Example Co"), Algorithm::Sha1, 6, 30,
            ),
            // Authy (as export tools write its tokens): no issuer, 7 digits every 10 s,
            // a literal '@' in the label.
            (
                "Authy",
                format!("otpauth://totp/alice@example.com?secret={B32}&digits=7&period=10"),
                "alice@example.com", None, Algorithm::Sha1, 7, 10,
            ),
            // 1Password: the secret as the user typed it, lowercase in groups of four.
            (
                "1Password",
                format!("otpauth://totp/Acme%20Corp:alice%40example.com?secret={lower_spaced}&issuer=Acme%20Corp"),
                "alice@example.com", Some("Acme Corp"), Algorithm::Sha1, 6, 30,
            ),
            // Bitwarden: '+' in label and issuer alike; a '+' in the user name stays one.
            (
                "Bitwarden",
                format!("otpauth://totp/Acme+Corp:alice+tag@example.com?secret={B32}&issuer=Acme+Corp&algorithm=SHA1&digits=6&period=30"),
                "alice+tag@example.com", Some("Acme+Corp"), Algorithm::Sha1, 6, 30,
            ),
            // Aegis: parameters in its own order, the secret padded, SHA256.
            (
                "Aegis",
                format!("otpauth://totp/Acme%20Corp:alice%40example.com?period=30&digits=8&algorithm=SHA256&secret={B32}%3D%3D%3D%3D&issuer=Acme%20Corp"),
                "alice@example.com", Some("Acme Corp"), Algorithm::Sha256, 8, 30,
            ),
            // Form encoding in the parameter only: the %20 label says what '+' meant.
            (
                "form-encoded issuer",
                format!("otpauth://totp/Acme%20Corp:bob?secret={B32}====&issuer=Acme+Corp"),
                "bob", Some("Acme Corp"), Algorithm::Sha1, 6, 30,
            ),
            // The Key URI Format's encoded colon followed by an encoded space.
            (
                "encoded colon",
                format!("otpauth://totp/Example%3A%20carol?secret={}", B32.to_lowercase()),
                "carol", Some("Example"), Algorithm::Sha1, 6, 30,
            ),
        ];
        for (app, uri, user, issuer, algorithm, digits, period) in cases {
            let p = parse_otpauth_uri(&uri).unwrap_or_else(|e| panic!("{app}: {e}"));
            assert_eq!(p.user.as_str(), user, "{app}");
            assert_eq!(p.issuer.as_deref(), issuer, "{app}");
            assert_eq!(
                p.params,
                TotpParams::new(algorithm, digits, period).unwrap(),
                "{app}"
            );
            assert_eq!(p.secret.as_bytes(), SEED20, "{app}");
            assert!(!p.secret.is_short(), "{app}");
        }
    }

    #[test]
    fn uris_that_are_refused_say_why_without_the_secret() {
        for (uri, why) in [
            (
                format!("otpauth://hotp/a?secret={B32}&counter=1"),
                "only otpauth://totp/",
            ),
            (
                format!("otpauth://totp/A:alice?secret={B32}&issuer=B"),
                "differs",
            ),
            (
                format!("otpauth://totp/alice?secret={B32}&secret={B32}"),
                "twice",
            ),
            ("otpauth://totp/alice?issuer=A".to_owned(), "no secret"),
            (format!("otpauth://totp/alice?secret={B32}1"), "base32"),
            (
                format!("otpauth://totp/alice?secret={B32}&digits=9"),
                "digits",
            ),
            (
                format!("otpauth://totp/alice?secret={B32}&period=x"),
                "period",
            ),
            (
                format!("otpauth://totp/alice?secret={B32}&algorithm=MD5"),
                "algorithm",
            ),
            (format!("otpauth://totp/A:?secret={B32}"), "account name"),
            (format!("https://totp/alice?secret={B32}"), "otpauth://"),
            (
                "otpauth://totp/alice?secret=GEZDGNBV".to_owned(),
                "too short",
            ),
        ] {
            let e = parse_otpauth_uri(&uri).unwrap_err().to_string();
            assert!(e.contains(why), "{uri}: {e}");
            assert!(!e.contains("GEZDGNBV"), "{e}");
        }
    }

    #[test]
    fn legacy_80_bit_secrets_are_read_but_flagged_short() {
        // The 16-character secret of Google's Key URI Format example.
        let p = parse_otpauth_uri("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(p.secret.is_short());
        assert_eq!(p.secret.bits(), 80);
        assert_eq!(p.secret.as_bytes(), b"Hello!\xde\xad\xbe\xef");
        assert!(TotpSecret::from_base32("JBSWY3DPEHPK3PXP").is_err());
        // It still makes codes: HOTP(K, 1) by hand, RFC 4226 §5.3, as the oracle.
        let code = code_for_step(&p.secret, &TotpParams::default(), 1).unwrap();
        assert_eq!(code.as_str(), hotp_sha1(b"Hello!\xde\xad\xbe\xef", 1));
    }

    #[test]
    fn short_means_under_128_bits_and_codes_need_at_least_80() {
        let of_len = |n: usize| TotpSecret::from_bytes((1..=n as u8).collect());
        assert!(of_len(15).is_short());
        assert!(!of_len(16).is_short(), "128 bits is the minimum, not short");
        // Between 80 and 128 bits: codes still come, by the same HOTP.
        for n in [10, 12, 15, 16] {
            let key: Vec<u8> = (1..=n as u8).collect();
            let code = code_for_step(&of_len(n), &TotpParams::default(), 7).unwrap();
            assert_eq!(code.as_str(), hotp_sha1(&key, 7), "{n} bytes");
        }
        // Under 80 bits: no code at all.
        for n in [1, 9] {
            assert!(
                code_for_step(&of_len(n), &TotpParams::default(), 7).is_err(),
                "{n} bytes"
            );
        }
    }

    #[test]
    fn only_the_otpauth_scheme_is_read_in_any_case() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        for uri in [
            format!("https://example.com/totp/alice?secret={secret}"),
            format!("otpauth:/totp/alice?secret={secret}"),
            format!("xotpauth://totp/alice?secret={secret}"),
        ] {
            let e = parse_otpauth_uri(&uri).unwrap_err().to_string();
            assert!(e.contains("does not start with otpauth://"), "{uri}: {e}");
        }
        let p = parse_otpauth_uri(&format!("OTPAUTH://TOTP/alice?secret={secret}")).unwrap();
        assert_eq!(p.secret.to_base32().as_str(), secret);
    }

    #[test]
    fn a_label_splits_at_its_first_separator_plain_or_encoded() {
        assert_eq!(split_label("A%3Ab:c"), (Some("A"), "b:c"));
        assert_eq!(split_label("A:b%3Ac"), (Some("A"), "b%3Ac"));
        assert_eq!(split_label("Acme%3aalice"), (Some("Acme"), "alice"));
        assert_eq!(split_label("Acme:alice"), (Some("Acme"), "alice"));
        assert_eq!(split_label("alice"), (None, "alice"));
        assert_eq!(split_label(":alice"), (Some(""), "alice"));
    }

    #[test]
    fn an_empty_issuer_is_no_issuer() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        for uri in [
            format!("otpauth://totp/alice?secret={secret}&issuer="),
            format!("otpauth://totp/:alice?secret={secret}"),
        ] {
            assert_eq!(parse_otpauth_uri(&uri).unwrap().issuer, None, "{uri}");
        }
        let same = parse_otpauth_uri(&format!(
            "otpauth://totp/Acme%20Corp:alice?secret={secret}&issuer=Acme%20Corp"
        ))
        .unwrap();
        assert_eq!(same.issuer.as_deref(), Some("Acme Corp"));
    }

    #[test]
    fn a_reason_displays_and_serializes_as_its_documented_name() {
        use RejectReason::*;
        for (reason, name) in [
            (Invalid, "invalid"),
            (Replayed, "replayed"),
            (Disabled, "disabled"),
            (Locked, "locked"),
            (Expired, "expired"),
            (DriftTooLarge, "drift_too_large"),
        ] {
            assert_eq!(reason.to_string(), name);
            assert_eq!(reason.as_str(), name);
            assert_eq!(serde_json::to_value(reason).unwrap(), name);
        }
    }

    /// RFC 4226 §5.3 with SHA-1 and 6 digits, written out independently of totp-rs.
    fn hotp_sha1(key: &[u8], counter: u64) -> String {
        use hmac::Mac;
        let mut h = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
        h.update(&counter.to_be_bytes());
        let mac = h.finalize().into_bytes();
        let off = usize::from(mac[19] & 0x0f);
        let bin = (u32::from(mac[off]) & 0x7f) << 24
            | u32::from(mac[off + 1]) << 16
            | u32::from(mac[off + 2]) << 8
            | u32::from(mac[off + 3]);
        format!("{:06}", bin % 1_000_000)
    }

    /// The code of `step` by the independent HOTP below (SHA-1, 6 digits, 30 s).
    fn oracle(step: u64) -> Code {
        Code::parse(&hotp_sha1(SEED20, step), 6).unwrap()
    }

    #[test]
    fn the_window_is_centred_on_the_bounded_drift() {
        let secret = TotpSecret::from_bytes(SEED20.to_vec());
        let p = TotpParams::default();
        let now = 1_700_000_000u64 / 30;
        for max_drift in [0u32, 3, 10] {
            for drift in -13i64..=13 {
                for skew in [0u8, 1, 2] {
                    let w = window(now, drift, skew, max_drift);
                    let centre = now as i64 + drift.clamp(-(max_drift as i64), max_drift as i64);
                    assert_eq!(
                        (*w.start() as i64, *w.end() as i64),
                        (centre - i64::from(skew), centre + i64::from(skew)),
                        "drift {drift}, max {max_drift}, skew {skew}"
                    );
                    // Never beyond ±(max-drift + skew) of now.
                    let reach = i64::from(max_drift) + i64::from(skew);
                    assert!(step_offset(*w.start(), now) >= -reach);
                    assert!(step_offset(*w.end(), now) <= reach);
                    // The oracle's code of every step in it matches there; one step outside
                    // either side does not.
                    for k in -(i64::from(skew) + 1)..=(i64::from(skew) + 1) {
                        let step = (centre + k) as u64;
                        let found =
                            matching_steps_in(&secret, &p, &oracle(step), w.clone()).unwrap();
                        assert_eq!(found.contains(&step), k.abs() <= i64::from(skew), "k {k}");
                    }
                }
            }
        }
        // Cut at step 0, not wrapped.
        assert_eq!(window(1, -10, 1, 10), 0..=0);
    }

    #[test]
    fn the_recorded_drift_is_the_offset_clamped_to_max_drift() {
        assert_eq!(drift_after(105, 100, 10), 5);
        assert_eq!(drift_after(95, 100, 10), -5);
        assert_eq!(drift_after(125, 100, 10), 10);
        assert_eq!(drift_after(70, 100, 10), -10);
        assert_eq!(drift_after(103, 100, 0), 0);
        assert_eq!(step_offset(0, u64::MAX), i64::MIN);
        assert_eq!(step_offset(u64::MAX, 0), i64::MAX);
        assert_eq!(step_offset(7, 7), 0);
        assert_eq!(bounded_drift(i64::MIN, 60), -60);
    }

    #[test]
    fn resync_finds_two_consecutive_codes_within_an_hour_and_no_further() {
        let secret = TotpSecret::from_bytes(SEED20.to_vec());
        let p = TotpParams::default();
        let now = 1_700_000_000u64 / 30;
        assert_eq!(search_steps(now, &p), now - 120..=now + 120);
        for offset in [-119i64, -40, -11, -1, 0, 1, 2, 11, 60, 120] {
            let s2 = (now as i64 + offset) as u64;
            let found = find_consecutive(&secret, &p, &oracle(s2 - 1), &oracle(s2), now).unwrap();
            assert_eq!(found, Some(s2), "offset {offset}");
            // In the wrong order they are not consecutive codes.
            let swapped = find_consecutive(&secret, &p, &oracle(s2), &oracle(s2 - 1), now).unwrap();
            assert_ne!(swapped, Some(s2), "offset {offset}, swapped");
        }
        // Beyond an hour (121 steps, or a first code at -121): not found.
        for s2 in [now + 121, now - 120, now - 200] {
            assert_eq!(
                find_consecutive(&secret, &p, &oracle(s2 - 1), &oracle(s2), now).unwrap(),
                None,
                "step {s2}"
            );
        }
        // Two codes that are not neighbours are not found, nor one code typed twice.
        assert_eq!(
            find_consecutive(&secret, &p, &oracle(now - 1), &oracle(now + 1), now).unwrap(),
            None
        );
        assert_ne!(
            oracle(now).as_str(),
            oracle(now + 1).as_str(),
            "the test needs distinct neighbours"
        );
        assert_eq!(
            find_consecutive(&secret, &p, &oracle(now), &oracle(now), now).unwrap(),
            None
        );
        // A 60-second period searches 60 steps each side.
        let p60 = TotpParams::new(Algorithm::Sha1, 6, 60).unwrap();
        assert_eq!(search_steps(100, &p60), 40..=160);
    }

    #[test]
    fn the_clock_hint_names_the_offset_outside_the_window_only() {
        let secret = TotpSecret::from_bytes(SEED20.to_vec());
        let p = TotpParams::default();
        let now = 1_700_000_000u64 / 30;
        let w = window(now, 0, 1, 10);
        for offset in [-120i64, -30, -2, 2, 5, 11, 120] {
            let step = (now as i64 + offset) as u64;
            let hint = clock_offset(&secret, &p, &oracle(step), now, &w, None).unwrap();
            assert_eq!(hint, Some(offset), "offset {offset}");
        }
        // Inside the window: not a clock problem (the verdict there is accept or replayed).
        for offset in [-1i64, 0, 1] {
            let step = (now as i64 + offset) as u64;
            let hint = clock_offset(&secret, &p, &oracle(step), now, &w, None).unwrap();
            assert_ne!(hint, Some(offset), "offset {offset}");
        }
        // Beyond an hour, or at or before the last accepted step: no hint for that step.
        let far = clock_offset(&secret, &p, &oracle(now + 121), now, &w, None).unwrap();
        assert_ne!(far, Some(121));
        let old = clock_offset(&secret, &p, &oracle(now - 30), now, &w, Some(now - 30)).unwrap();
        assert_ne!(old, Some(-30));
        // With the window moved by a drift of +5, a code 5 steps ahead is inside it.
        let moved = window(now, 5, 1, 10);
        let inside = clock_offset(&secret, &p, &oracle(now + 5), now, &moved, None).unwrap();
        assert_ne!(inside, Some(5));
    }

    #[test]
    fn debug_never_prints_secret_or_code() {
        let s = TotpSecret::from_bytes(SEED20.to_vec());
        let b32 = s.to_base32();
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains(b32.as_str()) && !dbg.contains("1234567890"),
            "{dbg}"
        );
        let c = Code::parse("987654", 6).unwrap();
        assert!(!format!("{c:?}").contains("987654"));
    }
}
