//! Sealed pairing bundles (`enroll --seal-to`): what a remote user needs to pair their app,
//! encrypted to their own public key, so that the operator who enrolls them never sees it.
//!
//! A bundle is one age file. Its plaintext is, by default, text for a terminal: the QR code as
//! unicode half blocks, the otpauth URI, the secret for manual entry and how to confirm; the
//! user opens it with the tool they already have (`age -d -i ~/.ssh/id_ed25519 FILE`). Or a
//! PNG image of the QR code ([`BundleFormat::Png`]).

use zeroize::Zeroizing;

use crate::error::Result;
use crate::model::{Timestamp, TotpParams, UserName};
use crate::vault::{self, SealRecipient};

/// What the sealed file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BundleFormat {
    /// Text for a terminal: QR code, URI, secret, how to confirm.
    #[default]
    Text,
    /// A PNG image of the QR code.
    Png,
}

/// One pairing, as the user needs it.
pub struct Pairing<'a> {
    /// Who.
    pub user: &'a UserName,
    /// The issuer apps show.
    pub issuer: &'a str,
    /// TOTP parameters.
    pub params: TotpParams,
    /// The otpauth URI (holds the secret).
    pub uri: &'a str,
    /// The secret in base32, for manual entry.
    pub secret_b32: &'a str,
    /// When the pending enrollment stops being confirmable (`pending-ttl`), if ever.
    pub expires_at: Option<Timestamp>,
}

/// The bundle's plaintext, in zeroizing memory.
pub fn plaintext(p: &Pairing<'_>, format: BundleFormat) -> Result<Zeroizing<Vec<u8>>> {
    match format {
        BundleFormat::Png => Ok(crate::qr::png(p.uri)?),
        BundleFormat::Text => {
            let mut text = Zeroizing::new(String::with_capacity(4096));
            let user = crate::names::display_safe(p.user.as_str());
            let issuer = crate::names::display_safe(p.issuer);
            text.push_str(&format!(
                "MFA pairing for {user} (issuer {issuer})\n\n\
                 Scan this QR code with your authenticator app:\n\n"
            ));
            // Drawn for a dark-background terminal, as `mfactl enroll` draws it. A URI too
            // long for a QR code leaves the URI and the secret.
            match crate::qr::terminal(p.uri, crate::qr::Shade::DarkBackground) {
                Ok(qr) => text.push_str(&qr),
                Err(_) => text.push_str("(too long for a QR code: use the link or the secret)\n"),
            }
            text.push_str(&format!(
                "\nOr add it by hand:\n  otpauth URI: {}\n  secret:      {}  ({}, {} digits, every {} s)\n\n",
                p.uri,
                p.secret_b32,
                p.params.algorithm(),
                p.params.digits(),
                p.params.period()
            ));
            let by = p
                .expires_at
                .map(|t| format!(" before {t}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "To confirm: give the first code your app shows to whoever sent you this file (or sign in once with it){by}; the first accepted code completes the pairing. Then delete this file.\n"
            ));
            Ok(Zeroizing::new(std::mem::take(&mut *text).into_bytes()))
        }
    }
}

/// The sealed bundle: [`plaintext`] encrypted to `recipients` ([`vault::seal`]).
pub fn seal(
    p: &Pairing<'_>,
    format: BundleFormat,
    recipients: &[SealRecipient],
    armor: bool,
) -> Result<Vec<u8>> {
    let plain = plaintext(p, format)?;
    vault::seal(recipients, &plain, armor)
}

/// The file name a bundle gets without `--out`: `USER.mfa.age` (`.png.age` for a PNG), with
/// every character outside `A-Z a-z 0-9 . _ - @ +` replaced by `_` and no leading dot, so that
/// any user name gives one plain file name in the current directory.
pub fn default_file_name(user: &UserName, format: BundleFormat) -> String {
    let mut stem: String = user
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.starts_with('.') || stem.starts_with('-') {
        stem.replace_range(0..1, "_");
    }
    // Long names: a file name stays well under the usual 255-byte limit.
    stem.truncate(200);
    match format {
        BundleFormat::Text => format!("{stem}.mfa.age"),
        BundleFormat::Png => format!("{stem}.mfa.png.age"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_plain_file_names() {
        for (user, name) in [
            ("alice@example.com", "alice@example.com.mfa.age"),
            ("../etc/passwd", "_._etc_passwd.mfa.age"),
            (".hidden", "_hidden.mfa.age"),
            ("-rf", "_rf.mfa.age"),
            ("Zoë Ünal", "Zo___nal.mfa.age"),
        ] {
            let u = UserName::parse(user).unwrap();
            assert_eq!(default_file_name(&u, BundleFormat::Text), name, "{user}");
        }
        let u = UserName::parse(&"x".repeat(255)).unwrap();
        assert!(default_file_name(&u, BundleFormat::Png).len() < 255);
    }
}
