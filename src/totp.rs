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
    /// Shortest secret accepted (RFC 4226 §4: at least 128 bits).
    pub const MIN_LEN: usize = 16;

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

    /// Decodes base32 (RFC 4648). Case, spaces and trailing `=` padding are tolerated, as
    /// authenticator apps and exports write secrets in all of those ways.
    pub fn from_base32(text: &str) -> Result<Self> {
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
        let bytes = BASE32_NOPAD
            .decode(clean.as_bytes())
            .map_err(|_| Error::invalid("secret", "not valid base32 (RFC 4648)"))?;
        let secret = TotpSecret(Zeroizing::new(bytes));
        if secret.0.len() < Self::MIN_LEN {
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

    /// Base32, uppercase, no padding: the form apps accept and the store encrypts.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.0))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self, params: &TotpParams) -> Result<totp_rs::Totp> {
        totp_rs::Builder::new()
            .with_algorithm(params.algorithm().to_totp_rs())
            .with_digits(params.digits())
            .with_step_duration(u64::from(params.period()))
            .with_skew(0)
            .with_secret(totp_rs::Secret::new(self.0.to_vec().into_boxed_slice()))
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
}

impl RejectReason {
    /// The reason's name in output and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Invalid => "invalid",
            RejectReason::Replayed => "replayed",
            RejectReason::Disabled => "disabled",
            RejectReason::Locked => "locked",
        }
    }

    /// Whether this rejection counts toward the brute-force lockout. Only wrong guesses do:
    /// a replayed code proves knowledge of a real code, and locked/disabled users are already
    /// refused outright.
    pub fn counts_as_failure(self) -> bool {
        matches!(self, RejectReason::Invalid)
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

/// Parses an `otpauth://totp/...` URI with totp-rs and validates it against mfactl's rules.
/// Errors never echo the URI (it holds a secret).
pub fn parse_otpauth_uri(uri: &str) -> Result<ParsedUri> {
    let uri = uri.trim();
    if !uri.starts_with("otpauth://") {
        return Err(Error::invalid(
            "otpauth URI",
            "does not start with otpauth://",
        ));
    }
    let totp = totp_rs::Totp::from_url(uri).map_err(|e| {
        let reason = match &e {
            totp_rs::TotpError::InvalidSecret => "the secret is not valid base32".to_owned(),
            totp_rs::TotpError::SecretTooShort { bits } => {
                format!("the secret is {bits} bits, at least 128 are required")
            }
            totp_rs::TotpError::SecretNotSet => "no secret parameter".to_owned(),
            totp_rs::TotpError::InvalidHost { .. } => {
                "only otpauth://totp/ is supported".to_owned()
            }
            totp_rs::TotpError::UrlParse(_) => "not a valid URL".to_owned(),
            totp_rs::TotpError::InvalidDigits { digits } => {
                format!("{digits} digits (expected 6-8)")
            }
            totp_rs::TotpError::InvalidAlgorithm { .. } => {
                "unknown algorithm (expected SHA1, SHA256 or SHA512)".to_owned()
            }
            totp_rs::TotpError::DigitsParse { .. } => "digits is not a number".to_owned(),
            totp_rs::TotpError::StepParse { .. } => "period is not a number".to_owned(),
            // Remaining variants name only labels and issuers, never the secret.
            other => other.to_string(),
        };
        Error::invalid("otpauth URI", reason)
    })?;
    let algorithm = match totp.algorithm() {
        totp_rs::Algorithm::SHA1 => Algorithm::Sha1,
        totp_rs::Algorithm::SHA256 => Algorithm::Sha256,
        totp_rs::Algorithm::SHA512 => Algorithm::Sha512,
        _ => return Err(Error::invalid("otpauth URI", "unsupported algorithm")),
    };
    let period = u32::try_from(totp.step())
        .map_err(|_| Error::invalid("otpauth URI", "period out of range"))?;
    let params = TotpParams::new(algorithm, totp.digits(), period)?;
    let user = UserName::parse(totp.account_name())?;
    let issuer = match totp.issuer() {
        Some(i) if !i.is_empty() => {
            crate::model::validate_issuer(i)?;
            Some(i.to_owned())
        }
        _ => None,
    };
    let secret = TotpSecret::from_bytes(totp.secret().as_bytes().to_vec());
    Ok(ParsedUri {
        user,
        issuer,
        params,
        secret,
    })
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
    fn base32_is_lenient_about_case_spaces_and_padding_but_not_length() {
        let s = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq====").unwrap();
        assert_eq!(s.as_bytes(), SEED20);
        assert!(
            TotpSecret::from_base32("GEZDGNBV").is_err(),
            "40-bit secret accepted"
        );
        assert!(TotpSecret::from_base32("not base32!").is_err());
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
