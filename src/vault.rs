//! age encryption of TOTP secrets: recipients (public keys) to encrypt to, identities (private
//! keys) to decrypt with, and identity files as `age-keygen` writes them.
//!
//! The store keeps only recipients, so enrolling needs no private key; decrypting (show-qr,
//! verify, export, rekey) needs an identity.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret_buf::SecretBuf;
use crate::totp::TotpSecret;

/// An age X25519 recipient (`age1...`).
#[derive(Clone)]
pub struct Recipient(x25519::Recipient);

impl Recipient {
    /// Parses `age1...`.
    pub fn parse(text: &str) -> Result<Self> {
        x25519::Recipient::from_str(text.trim())
            .map(Recipient)
            .map_err(|_| Error::InvalidRecipient {
                // A private key pasted by mistake must not be echoed to the terminal or logs.
                // Anywhere in the text, not only at its start: `MFACTL_AGE_KEY=AGE-SECRET-...`.
                recipient: crate::redact::input(
                    text,
                    "AGE-SECRET-KEY-1... (a private key: pass its public key, from age-keygen -y)",
                )
                .chars()
                .take(100)
                .collect(),
            })
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.0)
    }
}

impl PartialEq for Recipient {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

/// Encrypts a secret to every recipient. The plaintext is the secret's base32 text, so that
/// `age -d -i identity.txt` on a stored blob prints what the otpauth URI carries.
pub fn encrypt_secret(recipients: &[Recipient], secret: &TotpSecret) -> Result<Vec<u8>> {
    if recipients.is_empty() {
        return Err(Error::Encrypt("the store has no recipients".into()));
    }
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| &r.0 as &dyn age::Recipient))
            .map_err(|e| Error::Encrypt(e.to_string()))?;
    let plaintext = secret.to_base32();
    let mut out = Vec::with_capacity(plaintext.len() + 200 * recipients.len());
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    writer
        .write_all(plaintext.as_bytes())
        .and_then(|_| writer.finish().map(|_| ()))
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    Ok(out)
}

/// The length in bits of the secret sealed in `ciphertext`, read from the age file's layout
/// without decrypting it (age v1, <https://age-encryption.org/v1>: the header ends with a
/// `--- MAC` line; the payload is a 16-byte nonce, then the plaintext in 64 KiB chunks each
/// followed by a 16-byte tag). The plaintext is the secret's unpadded base32 text, so its length
/// gives the secret's. `None` for anything that is not such a file. Ciphertext lengths are no
/// secret: anyone who can read the store sees them.
pub fn sealed_secret_bits(ciphertext: &[u8]) -> Option<usize> {
    let at = memchr::memmem::find(ciphertext, b"\n--- ")?;
    let mac_line_end = at + 1 + ciphertext[at + 1..].iter().position(|&b| b == b'\n')?;
    let payload = ciphertext.len().checked_sub(mac_line_end + 1)?;
    // One chunk: a secret's base32 text is far below 64 KiB.
    let text_len = payload.checked_sub(16 + 16)?;
    // Unpadded base32: 8 characters carry 5 bytes; a partial group carries whole bytes only.
    Some(text_len * 5 / 8 * 8)
}

/// Whether the age file `ciphertext` holds a secret shorter than the 128 bits mfactl enrolls
/// (a legacy import, `--allow-short-secrets`), from its length alone ([`sealed_secret_bits`]).
pub fn sealed_secret_is_short(ciphertext: &[u8]) -> bool {
    sealed_secret_bits(ciphertext).is_some_and(|bits| bits < TotpSecret::MIN_LEN * 8)
}

/// Someone outside the store a file is sealed to (`enroll --seal-to`, `export --to`): an age
/// X25519 recipient (`age1...`) or an SSH public key (`ssh-ed25519 ...`, `ssh-rsa ...`, the
/// line of `~/.ssh/id_ed25519.pub` or of GitHub's `.keys`), parsed by the age crate.
#[derive(Clone)]
pub struct SealRecipient {
    key: SealKey,
    /// The key without its comment: `age1...`, or `ssh-ed25519 AAAA...`.
    canonical: String,
}

#[derive(Clone)]
enum SealKey {
    X25519(x25519::Recipient),
    Ssh(age::ssh::Recipient),
}

impl SealRecipient {
    /// Parses one recipient: `age1...` or an SSH public key line (its comment is ignored).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if let Ok(r) = x25519::Recipient::from_str(text) {
            return Ok(SealRecipient {
                canonical: r.to_string(),
                key: SealKey::X25519(r),
            });
        }
        if text.starts_with("ssh-") {
            return match age::ssh::Recipient::from_str(text) {
                Ok(r) => Ok(SealRecipient {
                    // Key type and key, without the comment (an address, a host name).
                    canonical: text
                        .split_whitespace()
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" "),
                    key: SealKey::Ssh(r),
                }),
                Err(e) => Err(Error::invalid(
                    "recipient",
                    format!(
                        "{}: {}",
                        head(text),
                        match e {
                            age::ssh::ParseRecipientKeyError::RsaModulusTooSmall =>
                                "an ssh-rsa key under 2048 bits is too weak".to_owned(),
                            age::ssh::ParseRecipientKeyError::RsaModulusTooLarge =>
                                "an ssh-rsa key over 4096 bits is not supported".to_owned(),
                            age::ssh::ParseRecipientKeyError::Unsupported(t) => format!(
                                "SSH key type {t} is not supported (use ssh-ed25519 or ssh-rsa)"
                            ),
                            _ => "not a valid SSH public key".to_owned(),
                        }
                    ),
                )),
            };
        }
        Err(Error::invalid(
            "recipient",
            format!(
                "{}: expected an age public key (age1...) or an SSH public key (ssh-ed25519 ..., ssh-rsa ...)",
                // A private key pasted by mistake is never echoed.
                head(crate::redact::input(
                    text,
                    "AGE-SECRET-KEY-1... (a private key: pass its public key)"
                ))
            ),
        ))
    }

    /// Reads a recipients file as `age -R` does: one recipient a line; empty lines and lines
    /// starting with `#` are skipped. `name` names the file in errors.
    pub fn parse_file(text: &str, name: &str) -> Result<Vec<Self>> {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push(Self::parse(line).map_err(|e| {
                Error::invalid("recipients file", format!("{name}, line {}: {e}", n + 1))
            })?);
        }
        if out.is_empty() {
            return Err(Error::invalid(
                "recipients file",
                format!("{name} holds no recipient"),
            ));
        }
        Ok(out)
    }

    /// The recipient's fingerprint, for output and the audit log: `SHA256:` and the first 16
    /// hex digits of the SHA-256 of the key as text without its comment (`age1...` or
    /// `ssh-ed25519 AAAA...`). Reproducible with
    /// `printf %s 'ssh-ed25519 AAAA...' | sha256sum | cut -c1-16`.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.canonical.as_bytes());
        format!("SHA256:{}", &data_encoding::HEXLOWER.encode(&digest)[..16])
    }

    /// The kind of key: `age`, `ssh-ed25519` or `ssh-rsa`.
    pub fn kind(&self) -> &'static str {
        match &self.key {
            SealKey::X25519(_) => "age",
            SealKey::Ssh(age::ssh::Recipient::SshEd25519(..)) => "ssh-ed25519",
            SealKey::Ssh(age::ssh::Recipient::SshRsa(..)) => "ssh-rsa",
        }
    }

    fn as_age(&self) -> &dyn age::Recipient {
        match &self.key {
            SealKey::X25519(r) => r,
            SealKey::Ssh(r) => r,
        }
    }
}

impl fmt::Debug for SealRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealRecipient({} {})", self.kind(), self.fingerprint())
    }
}

fn head(text: &str) -> String {
    let mut h: String = text.chars().take(40).collect();
    if h.len() < text.len() {
        h.push_str("...");
    }
    crate::names::escape_invisible(&h).into_owned()
}

/// Encrypts `plaintext` to every recipient as one age file: binary, or ASCII-armored
/// (`-----BEGIN AGE ENCRYPTED FILE-----`) with `armor`.
pub fn seal(recipients: &[SealRecipient], plaintext: &[u8], armor: bool) -> Result<Vec<u8>> {
    use age::armor::{ArmoredWriter, Format};
    if recipients.is_empty() {
        return Err(Error::invalid("recipient", "none given"));
    }
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_age()))
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    let format = if armor {
        Format::AsciiArmor
    } else {
        Format::Binary
    };
    let mut out = Vec::with_capacity(plaintext.len() * 4 / 3 + 300 * recipients.len() + 100);
    let enc = |out: &mut Vec<u8>| -> std::io::Result<()> {
        let armored = ArmoredWriter::wrap_output(out, format)?;
        let mut w = encryptor.wrap_output(armored)?;
        w.write_all(plaintext)?;
        w.finish()?.finish()?;
        Ok(())
    };
    enc(&mut out).map_err(|e| Error::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Whether `bytes` start like an age file: binary (`age-encryption.org/v1`) or armored
/// (`-----BEGIN AGE ENCRYPTED FILE-----`, leading whitespace allowed as age allows it).
pub fn is_age_file(bytes: &[u8]) -> bool {
    const BINARY: &[u8] = b"age-encryption.org/";
    const ARMOR: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &bytes[i..]);
    bytes.starts_with(BINARY) || trimmed.starts_with(ARMOR)
}

/// Identity files are a few lines; anything larger is not one.
const MAX_IDENTITY_FILE: u64 = 64 * 1024;

/// The private keys at hand, able to decrypt the store's secrets.
pub struct Identities {
    keys: Vec<x25519::Identity>,
    source: String,
}

impl fmt::Debug for Identities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Identities({} keys from {})",
            self.keys.len(),
            self.source
        )
    }
}

/// Where an identity comes from.
#[derive(Clone, Debug)]
pub enum IdentitySource {
    /// The contents of `MFACTL_AGE_KEY`.
    Env(Zeroizing<String>),
    /// A file path.
    File(PathBuf),
}

impl IdentitySource {
    /// A name for messages: the path, or `MFACTL_AGE_KEY`.
    pub fn describe(&self) -> String {
        match self {
            IdentitySource::Env(_) => "MFACTL_AGE_KEY".into(),
            // A key passed where a path belongs (`-i AGE-SECRET-KEY-...`) is not echoed.
            IdentitySource::File(p) => {
                crate::redact::message(&p.display().to_string()).into_owned()
            }
        }
    }
}

impl Identities {
    /// Loads identities from `source`. A passphrase-protected file (age's scrypt, binary or
    /// armored, as `age -p` writes) is decrypted with the passphrase `ask_passphrase` returns;
    /// it is asked for once.
    pub fn load(
        source: &IdentitySource,
        ask_passphrase: &mut dyn FnMut() -> Result<SecretString>,
    ) -> Result<Self> {
        let name = source.describe();
        let bad = |reason: String| Error::Identity {
            source_name: name.clone(),
            reason,
        };
        let raw: Zeroizing<Vec<u8>> = match source {
            IdentitySource::Env(text) => Zeroizing::new(text.as_bytes().to_vec()),
            IdentitySource::File(path) => {
                // Bounded: `-i /dev/zero` must fail, not exhaust memory. FIFOs (`-i <(...)`)
                // stay allowed, so the size is checked while reading, not from metadata.
                // Read into a buffer that zeroizes every allocation it outgrows.
                let buf = fs::File::open(path)
                    .and_then(|f| SecretBuf::read_from(f, MAX_IDENTITY_FILE + 1, 4096))
                    .map_err(|e| bad(io_reason(&e)))?;
                if buf.len() as u64 > MAX_IDENTITY_FILE {
                    return Err(bad(format!(
                        "larger than {} KiB; not an identity file",
                        MAX_IDENTITY_FILE / 1024
                    )));
                }
                buf.into_inner()
            }
        };
        let text = if is_age_file(&raw) {
            decrypt_identity_file(&raw, ask_passphrase).map_err(&bad)?
        } else {
            raw
        };
        let text = std::str::from_utf8(&text).map_err(|_| bad("not UTF-8 text".into()))?;
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // Never echo the line: it is (or resembles) a private key.
            let key = x25519::Identity::from_str(line).map_err(|_| {
                bad(format!(
                    "line {} is not an age X25519 identity (AGE-SECRET-KEY-1...)",
                    n + 1
                ))
            })?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(bad("contains no identity".into()));
        }
        Ok(Identities { keys, source: name })
    }

    /// Wraps a freshly generated key.
    pub fn from_key(key: x25519::Identity, source: String) -> Self {
        Identities {
            keys: vec![key],
            source,
        }
    }

    /// The public keys of these identities.
    pub fn recipients(&self) -> Vec<Recipient> {
        self.keys.iter().map(|k| Recipient(k.to_public())).collect()
    }

    /// Where they were loaded from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Decrypts a stored secret. `None` when no identity matches or the blob is damaged:
    /// the caller names the user in its error.
    pub fn decrypt_secret(&self, ciphertext: &[u8]) -> Option<TotpSecret> {
        let decryptor = age::Decryptor::new_buffered(ciphertext).ok()?;
        if decryptor.is_scrypt() {
            return None;
        }
        let reader = decryptor
            .decrypt(self.keys.iter().map(|k| k as &dyn age::Identity))
            .ok()?;
        // The base32 text of a generated secret (at most 103 characters) fits without growing.
        let plain = SecretBuf::read_from(reader, u64::MAX, 128).ok()?;
        let text = std::str::from_utf8(&plain).ok()?;
        // A stored secret may be a legacy short one, imported with --allow-short-secrets.
        TotpSecret::ingest(text).ok()
    }

    /// Decrypts a whole age file (binary or ASCII-armored, as `export --to` writes it) into
    /// zeroizing memory. Reads at most `limit` bytes of plaintext: a longer one leaves the
    /// buffer `limit` long, for the caller to refuse. A passphrase-encrypted file, or one made
    /// for other keys, is [`Error::Identity`].
    pub fn decrypt_file(&self, ciphertext: &[u8], limit: u64) -> Result<SecretBuf> {
        let refuse = |reason: String| Error::Identity {
            source_name: self.source.clone(),
            reason,
        };
        let reader = age::armor::ArmoredReader::new(ciphertext);
        let decryptor = age::Decryptor::new_buffered(reader)
            .map_err(|e| refuse(format!("cannot read the age file: {e}")))?;
        if decryptor.is_scrypt() {
            return Err(refuse(
                "cannot open a passphrase-encrypted file (expected one encrypted to a key)".into(),
            ));
        }
        let reader = decryptor
            .decrypt(self.keys.iter().map(|k| k as &dyn age::Identity))
            .map_err(|_| {
                refuse("does not open this age file (it was encrypted to other keys)".into())
            })?;
        let plain = SecretBuf::read_from(reader, limit, 64 * 1024)
            .map_err(|e| refuse(format!("cannot decrypt the age file: {e}")))?;
        Ok(plain)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn decrypt_identity_file(
    data: &[u8],
    ask_passphrase: &mut dyn FnMut() -> Result<SecretString>,
) -> std::result::Result<Zeroizing<Vec<u8>>, String> {
    let reader = age::armor::ArmoredReader::new(data);
    let decryptor =
        age::Decryptor::new(reader).map_err(|e| format!("not a readable age file: {e}"))?;
    if !decryptor.is_scrypt() {
        return Err(
            "is age-encrypted to a key, not a passphrase; decrypt it first (age -d)".into(),
        );
    }
    // The callback's own identity error already names the source: keep only its reason, or
    // the message would say "identity X: identity X: ...".
    let passphrase = ask_passphrase().map_err(|e| match e {
        Error::Identity { reason, .. } => reason,
        e => e.to_string(),
    })?;
    let identity = age::scrypt::Identity::new(passphrase);
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|_| "wrong passphrase (or damaged file)".to_string())?;
    let plain = SecretBuf::read_from(reader, MAX_IDENTITY_FILE + 1, 4096)
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    if plain.len() as u64 > MAX_IDENTITY_FILE {
        return Err(format!(
            "decrypts to more than {} KiB; not an identity file",
            MAX_IDENTITY_FILE / 1024
        ));
    }
    Ok(plain.into_inner())
}

/// Generates a new X25519 identity and writes it to `path` the way `age-keygen` does, with
/// the file 0600 and a newly created directory 0700. Refuses to overwrite.
pub fn generate_identity_file(path: &Path) -> Result<Identities> {
    let key = x25519::Identity::generate();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let contents = Zeroizing::new(format!(
        "# created: {created}\n# public key: {}\n{}\n",
        key.to_public(),
        key.to_string().expose_secret()
    ));
    crate::files::write_private_new(path, contents.as_bytes(), false)?;
    Ok(Identities::from_key(key, path.display().to_string()))
}

/// Creates `dir` (and parents) with mode 0700 where the platform has modes.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create directory {}", dir.display()), e))
}

/// A warning when an identity file is readable or writable by group or others, as ssh gives.
pub fn permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Some(format!(
                "identity file {} is accessible by others (mode {:04o}); run 'chmod 600 {}'",
                path.display(),
                mode & 0o7777,
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    None
}

/// Reads a passphrase for scripts from `MFACTL_PASSPHRASE`.
pub fn passphrase_from_env() -> Option<SecretString> {
    std::env::var("MFACTL_PASSPHRASE")
        .ok()
        .map(SecretString::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_bits_reads_the_length_without_decrypting() {
        let keys: Vec<Recipient> = (0..3)
            .map(|_| Recipient(x25519::Identity::generate().to_public()))
            .collect();
        for len in [10, 15, 16, 20, 32, 64] {
            for n in [1, 3] {
                let secret = TotpSecret::from_bytes(vec![7u8; len]);
                // The age crate adds random "grease" stanzas to some headers: try several.
                for _ in 0..8 {
                    let ct = encrypt_secret(&keys[..n], &secret).unwrap();
                    assert_eq!(
                        sealed_secret_bits(&ct),
                        Some(len * 8),
                        "{len} bytes, {n} keys"
                    );
                }
            }
        }
        assert_eq!(sealed_secret_bits(b"not age"), None);
        assert_eq!(sealed_secret_bits(b""), None);
    }

    #[test]
    fn a_sealed_secret_is_short_below_128_bits() {
        let to = [Recipient(x25519::Identity::generate().to_public())];
        let sealed = |len: usize| encrypt_secret(&to, &TotpSecret::from_bytes(vec![7u8; len]));
        for (len, short) in [(10, true), (15, true), (16, false), (20, false)] {
            assert_eq!(
                sealed_secret_is_short(&sealed(len).unwrap()),
                short,
                "{len}"
            );
        }
        assert!(!sealed_secret_is_short(b"not age"));
    }

    #[test]
    fn encrypt_then_decrypt_with_each_recipient() {
        let a = x25519::Identity::generate();
        let b = x25519::Identity::generate();
        let recips = vec![Recipient(a.to_public()), Recipient(b.to_public())];
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        let ct = encrypt_secret(&recips, &secret).unwrap();
        for k in [a, b] {
            let ids = Identities::from_key(k, "test".into());
            assert_eq!(
                ids.decrypt_secret(&ct).unwrap().as_bytes(),
                secret.as_bytes()
            );
        }
        let other = Identities::from_key(x25519::Identity::generate(), "x".into());
        assert!(other.decrypt_secret(&ct).is_none());
    }

    #[test]
    fn an_endless_identity_file_is_refused_not_read_forever() {
        let err = Identities::load(
            &IdentitySource::File("/dev/zero".into()),
            &mut || unreachable!(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("larger than 64 KiB"), "{err}");
    }

    #[test]
    fn a_private_key_given_as_recipient_is_not_echoed() {
        let key = x25519::Identity::generate();
        let text = key.to_string().expose_secret().to_owned();
        let err = Recipient::parse(&text).unwrap_err().to_string();
        assert!(!err.contains(&text[20..]), "{err}");
        assert!(err.contains("public key"), "{err}");
    }

    #[test]
    fn identity_errors_never_echo_key_material() {
        let key = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
        let src = IdentitySource::Env(Zeroizing::new(key.to_string()));
        let err = Identities::load(&src, &mut || unreachable!())
            .unwrap_err()
            .to_string();
        assert!(!err.contains("QQQQ"), "{err}");
        assert!(err.contains("MFACTL_AGE_KEY"), "{err}");
    }

    #[test]
    fn passphrase_protected_identity_file_loads() {
        let key = x25519::Identity::generate();
        let text = format!("{}\n", key.to_string().expose_secret());
        let mut r = age::scrypt::Recipient::new(SecretString::from("hunter2".to_string()));
        r.set_work_factor(10);
        let enc = age::encrypt(&r, text.as_bytes()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id.age");
        fs::write(&path, &enc).unwrap();
        let mut asked = 0;
        let ids = Identities::load(&IdentitySource::File(path.clone()), &mut || {
            asked += 1;
            Ok(SecretString::from("hunter2".to_string()))
        })
        .unwrap();
        assert_eq!(asked, 1);
        assert_eq!(ids.recipients(), vec![Recipient(key.to_public())]);
        let wrong = Identities::load(&IdentitySource::File(path), &mut || {
            Ok(SecretString::from("nope".to_string()))
        });
        assert!(wrong.unwrap_err().to_string().contains("wrong passphrase"));
    }
}
