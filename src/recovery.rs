//! One-time recovery codes: 60 random bits each, shown once as `xxxx-xxxx-xxxx`, stored only
//! as SHA-256 hashes (the codes are random and long, so a fast hash is enough).

use std::fmt;

use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Characters in a code (base32, 5 bits each: 60 bits).
const CODE_CHARS: usize = 12;

/// A recovery code in its display form. Zeroized on drop; `Debug` hides it.
pub struct RecoveryCode(Zeroizing<String>);

impl RecoveryCode {
    /// Generates a fresh code from the OS CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 8]);
        getrandom::fill(bytes.as_mut())
            .map_err(|e| Error::Encrypt(format!("no randomness from the OS: {e}")))?;
        let text = Zeroizing::new(BASE32_NOPAD.encode(bytes.as_ref()).to_ascii_lowercase());
        let chars = &text[..CODE_CHARS];
        Ok(RecoveryCode(Zeroizing::new(format!(
            "{}-{}-{}",
            &chars[0..4],
            &chars[4..8],
            &chars[8..12]
        ))))
    }

    /// The display form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Hash for storage.
    pub fn hash(&self) -> Vec<u8> {
        // The display form always normalises.
        hash_input(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// Normalises typed input (case, dashes and spaces are ignored) and hashes it.
pub fn hash_input(input: &str) -> Result<Vec<u8>> {
    let clean: Zeroizing<String> = Zeroizing::new(
        input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    let valid = clean.len() == CODE_CHARS
        && clean
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
    if !valid {
        return Err(Error::invalid(
            "recovery code",
            "expected 12 letters and digits like xxxx-xxxx-xxxx",
        ));
    }
    Ok(Sha256::digest(clean.as_bytes()).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_unique_and_hash_like_their_typed_forms() {
        let a = RecoveryCode::generate().unwrap();
        let b = RecoveryCode::generate().unwrap();
        assert_ne!(a.as_str(), b.as_str());
        let s = a.as_str();
        assert_eq!(s.len(), 14);
        assert_eq!((&s[4..5], &s[9..10]), ("-", "-"));
        let typed = s.replace('-', " ").to_uppercase();
        assert_eq!(hash_input(&typed).unwrap(), a.hash());
        assert_ne!(a.hash(), b.hash());
        assert!(!format!("{a:?}").contains(&s[..4]));
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "abcd-efgh-ij", "abcd-efgh-ijk1", "abcd-efgh-ijklm"] {
            assert!(hash_input(bad).is_err(), "{bad:?}");
        }
    }
}
