//! One-time recovery codes: 100 random bits each, shown once as `xxxx-xxxx-xxxx-xxxx-xxxx`
//! (base32: letters and the digits 2-7, no 0/1/8/9 to mistake for O/I/B), stored only as a
//! salted SHA-256 hash.
//!
//! Why a fast hash is enough: an offline attacker with the store must guess a code. With a
//! random 16-byte salt per stored code, one SHA-256 evaluation tests one guess against one
//! stored code, never against every code in the store at once; a 100-bit code therefore costs
//! 2^100 evaluations to find (2^99 on average), far above the 2^80 the threat model asks for
//! (see the README). Verification hashes the typed code once per unused code of that user
//! (at most 100): microseconds.
//!
//! Codes issued before this scheme (60 bits, 12 characters, unsalted SHA-256: the stored value
//! is exactly 32 bytes) still verify until used or replaced; [`is_legacy`] tells them apart, so
//! `list` can flag their users.

use std::fmt;

use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Characters in a code (base32, 5 bits each: 100 bits).
const CODE_CHARS: usize = 20;
/// Characters in a legacy code (60 bits).
const LEGACY_CHARS: usize = 12;
/// Characters per group in the display form.
const GROUP: usize = 4;
/// The first byte of a stored value of the current scheme.
const VERSION_SALTED: u8 = 2;
/// Bytes of random salt per stored code.
const SALT_LEN: usize = 16;
/// Length of a stored value of the current scheme: version, salt, digest.
const STORED_LEN: usize = 1 + SALT_LEN + 32;
/// Length of a legacy stored value: a bare SHA-256 digest.
const LEGACY_LEN: usize = 32;
/// Domain separation: these digests are recovery codes of this scheme and nothing else.
const DOMAIN: &[u8] = b"mfactl recovery code v2\0";

/// A recovery code in its display form. Zeroized on drop; `Debug` hides it.
pub struct RecoveryCode(Zeroizing<String>);

fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(Error::random)
}

impl RecoveryCode {
    /// Generates a fresh code from the OS CSPRNG.
    pub fn generate() -> Result<Self> {
        // 13 bytes = 104 bits; the first 20 base32 characters carry 100 of them.
        let mut bytes = Zeroizing::new([0u8; 13]);
        random(bytes.as_mut())?;
        let text = Zeroizing::new(BASE32_NOPAD.encode(bytes.as_ref()).to_ascii_lowercase());
        let chars = text.get(..CODE_CHARS).unwrap_or_default();
        let mut out = Zeroizing::new(String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP));
        for (i, c) in chars.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        Ok(RecoveryCode(out))
    }

    /// The display form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value to store: version byte, a fresh random salt, and the salted digest.
    pub fn stored_hash(&self) -> Result<Vec<u8>> {
        let typed = TypedCode::parse(&self.0)?;
        let mut salt = [0u8; SALT_LEN];
        random(&mut salt)?;
        let mut out = Vec::with_capacity(STORED_LEN);
        out.push(VERSION_SALTED);
        out.extend_from_slice(&salt);
        out.extend_from_slice(&salted_digest(&salt, typed.0.as_bytes()));
        Ok(out)
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

fn salted_digest(salt: &[u8], code: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(salt);
    h.update(code);
    h.finalize().into()
}

/// Compares without stopping at the first differing byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A code as an operator typed it, normalised (case, dashes and spaces ignored). Zeroized on
/// drop; `Debug` hides it.
pub struct TypedCode(Zeroizing<String>);

impl TypedCode {
    /// Normalises typed input. A code of the current form (20 characters) or a legacy one (12)
    /// is accepted; anything else is invalid input.
    pub fn parse(input: &str) -> Result<Self> {
        // Sized up front: no growth leaves an unzeroized copy of the code behind.
        let mut clean = Zeroizing::new(String::with_capacity(input.len()));
        clean.extend(
            input
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase()),
        );
        let valid = (clean.len() == CODE_CHARS || clean.len() == LEGACY_CHARS)
            && clean
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        if !valid {
            return Err(Error::invalid(
                "recovery code",
                "expected 20 letters and digits like xxxx-xxxx-xxxx-xxxx-xxxx \
                 (or 12, like xxxx-xxxx-xxxx, for a code of the older kind)",
            ));
        }
        Ok(TypedCode(clean))
    }

    /// Whether this is the code behind `stored` (a value of either scheme).
    pub fn matches(&self, stored: &[u8]) -> bool {
        let code = self.0.as_bytes();
        match stored.len() {
            STORED_LEN if stored[0] == VERSION_SALTED && code.len() == CODE_CHARS => {
                let (salt, digest) = stored[1..].split_at(SALT_LEN);
                same(&salted_digest(salt, code), digest)
            }
            LEGACY_LEN if code.len() == LEGACY_CHARS => same(&Sha256::digest(code), stored),
            _ => false,
        }
    }
}

impl fmt::Debug for TypedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TypedCode(<redacted>)")
    }
}

/// Whether a stored value uses the legacy scheme (60-bit code, unsalted SHA-256).
pub fn is_legacy(stored: &[u8]) -> bool {
    stored.len() == LEGACY_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_unique_and_match_their_typed_forms() {
        let a = RecoveryCode::generate().unwrap();
        let b = RecoveryCode::generate().unwrap();
        assert_ne!(a.as_str(), b.as_str());
        let s = a.as_str();
        assert_eq!(s.len(), 24);
        assert_eq!(s.split('-').count(), 5);
        assert!(s.split('-').all(|g| g.len() == 4));
        let stored = a.stored_hash().unwrap();
        assert_eq!(stored.len(), STORED_LEN);
        assert!(!is_legacy(&stored));
        // Salted: the same code never stores the same value twice.
        assert_ne!(stored, a.stored_hash().unwrap());
        let typed = s.replace('-', " ").to_uppercase();
        assert!(TypedCode::parse(&typed).unwrap().matches(&stored));
        assert!(!TypedCode::parse(b.as_str()).unwrap().matches(&stored));
        assert!(!format!("{a:?}").contains(&s[..4]));
    }

    #[test]
    fn legacy_codes_still_match() {
        let stored = Sha256::digest(b"ABCDEFGHIJKL").to_vec();
        assert!(is_legacy(&stored));
        assert!(TypedCode::parse("abcd-efgh-ijkl").unwrap().matches(&stored));
        assert!(!TypedCode::parse("abcd-efgh-ijkm").unwrap().matches(&stored));
        // A current-form code never matches a legacy value, nor the reverse.
        let new = RecoveryCode::generate().unwrap();
        assert!(!TypedCode::parse(new.as_str()).unwrap().matches(&stored));
        assert!(!TypedCode::parse("abcd-efgh-ijkl")
            .unwrap()
            .matches(&new.stored_hash().unwrap()));
    }

    /// Each scheme is tried only with a code of its own shape: a value hashed the other
    /// scheme's way from a code of the wrong length (or under an unknown version byte) never
    /// matches, even though its digest is right for the typed text.
    #[test]
    fn a_stored_value_matches_only_codes_of_its_own_scheme() {
        let salt = [7u8; SALT_LEN];
        let salted_from = |version: u8, code: &[u8]| {
            let mut v = vec![version];
            v.extend_from_slice(&salt);
            v.extend_from_slice(&salted_digest(&salt, code));
            v
        };
        let long = "ABCDEFGHIJKLMNOPQRST";
        let short = "ABCDEFGHIJKL";
        // The control: the right shape and version match.
        assert!(TypedCode::parse(long)
            .unwrap()
            .matches(&salted_from(VERSION_SALTED, long.as_bytes())));
        // A salted value made from a 12-character code: salted codes are always 20 long.
        assert!(!TypedCode::parse(short)
            .unwrap()
            .matches(&salted_from(VERSION_SALTED, short.as_bytes())));
        // An unknown version byte is not read as this scheme.
        assert!(!TypedCode::parse(long)
            .unwrap()
            .matches(&salted_from(VERSION_SALTED + 1, long.as_bytes())));
        // A legacy (unsalted) value made from a 20-character code: legacy codes were 12 long.
        assert!(!TypedCode::parse(long)
            .unwrap()
            .matches(&Sha256::digest(long.as_bytes())));
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "abcd-efgh-ij",
            "abcd-efgh-ijk1",
            "abcd-efgh-ijklm",
            "abcd-efgh-ijkl-mnop-qrs",
            "abcd-efgh-ijkl-mnop-qrs8",
        ] {
            assert!(TypedCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
