//! Reading the files `import` takes: otpauth URIs, CSV (mfactl's or Authelia's), mfactl's JSON
//! export or Authelia's YAML export. Parsing only: [`crate::Mfa::import`] checks the entries
//! against the store and enrolls them, all or nothing.

use std::io::Read;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::{Status, TokenLabel, UserName};
use crate::secret_buf::SecretBuf;
use crate::totp::{self, ParsedUri};

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportFormat {
    /// One otpauth URI per line (`#` comments and blank lines skipped), as `export` writes by
    /// default.
    Uri,
    /// CSV with a header: mfactl's export (`user,token,status,uri`; the older
    /// `user,status,uri` still reads, as the `default` token) or Authelia's
    /// (`issuer,username,algorithm,digits,period,secret`).
    Csv,
    /// The array `export --format json` writes.
    Json,
    /// Authelia's `storage user totp export` YAML.
    Yaml,
}

impl ImportFormat {
    /// What a problem's position counts: `line` (URI, CSV) or `entry` (JSON, YAML).
    pub fn place(self) -> &'static str {
        match self {
            ImportFormat::Uri | ImportFormat::Csv => "line",
            ImportFormat::Json | ImportFormat::Yaml => "entry",
        }
    }
}

/// One entry read from the input: what to enroll, and the status and token label the input
/// gave it (export writes them; other tools' files have none).
#[derive(Debug)]
pub struct Entry {
    /// The user, parameters and secret.
    pub parsed: ParsedUri,
    /// The status the input gave, if any.
    pub status: Option<Status>,
    /// The token's label the input gave, if any (none: the `default` token).
    pub label: Option<TokenLabel>,
}

/// Entries read (with their line or entry number) and the problems found (same numbering).
pub type Parsed = (Vec<(usize, Entry)>, Vec<(usize, String)>);

/// Parses `text` in `format`. A malformed entry is a problem, not an error: every one is
/// reported; an error is a file that cannot be read as the format at all (a CSV header
/// without a secret column).
pub fn parse(text: &str, format: ImportFormat) -> Result<Parsed> {
    Ok(match format {
        ImportFormat::Uri => parse_uri_lines(text),
        ImportFormat::Csv => parse_csv(text)?,
        ImportFormat::Json => parse_json(text),
        ImportFormat::Yaml => parse_yaml(text),
    })
}

/// The most `import` reads: far more than any real export (100,000 users are about 15 MB), and
/// little enough that memory stays bounded whatever it is given (`/dev/zero`, an endless pipe).
pub const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Reads the whole input, at most [`MAX_INPUT`] bytes, as UTF-8 text without a byte order mark,
/// into zeroized memory. `name` names the input in errors; `size_hint` is the room to start
/// with (a file's size, so that it is read without growing).
pub fn read_text(reader: impl Read, name: &str, size_hint: usize) -> Result<Zeroizing<String>> {
    into_text(read_bytes(reader, name, size_hint)?, name)
}

/// Reads the whole input, at most [`MAX_INPUT`] bytes, into memory that zeroizes every
/// allocation it outgrows. `name` names the input in errors.
pub fn read_bytes(reader: impl Read, name: &str, size_hint: usize) -> Result<SecretBuf> {
    let bytes = SecretBuf::read_from(reader, MAX_INPUT + 1, size_hint)
        .map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(too_large(name, "is larger than"));
    }
    Ok(bytes)
}

/// Whether `bytes` is an age file (`export --to`), binary or ASCII-armored.
pub fn is_encrypted(bytes: &SecretBuf) -> bool {
    crate::vault::is_age_file(bytes.as_slice())
}

/// Decrypts an age-encrypted input with `identities`, in memory, under the same
/// [`MAX_INPUT`] cap.
pub fn decrypt(
    bytes: &SecretBuf,
    identities: &crate::vault::Identities,
    name: &str,
) -> Result<SecretBuf> {
    let plain = identities.decrypt_file(bytes.as_slice(), MAX_INPUT + 1)?;
    if plain.len() as u64 > MAX_INPUT {
        return Err(too_large(name, "decrypts to more than"));
    }
    Ok(plain)
}

fn too_large(name: &str, what: &str) -> Error {
    Error::invalid(
        "import",
        format!(
            "{name} {what} {} MiB; split it into smaller files",
            MAX_INPUT / 1024 / 1024
        ),
    )
}

/// The input as UTF-8 text without a byte order mark, still in zeroized memory.
pub fn into_text(bytes: SecretBuf, name: &str) -> Result<Zeroizing<String>> {
    // Checked in place, then moved, not copied: the only copy of the secrets stays in zeroized
    // memory (a failed check drops the bytes zeroized, with the buffer).
    if std::str::from_utf8(&bytes).is_err() {
        return Err(Error::invalid(
            "import",
            format!("{name} is not UTF-8 text"),
        ));
    }
    let mut bytes = bytes.into_inner();
    let text = String::from_utf8(std::mem::take(&mut *bytes))
        .map_err(|_| Error::invalid("import", format!("{name} is not UTF-8 text")))?;
    let mut text = Zeroizing::new(text);
    // A byte order mark, as Windows editors write, is not part of the first line.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// Reads `file` (`-` for stdin) with [`read_bytes`], unprocessed.
pub fn read_file_bytes(file: &str) -> Result<SecretBuf> {
    if file == "-" {
        return read_bytes(std::io::stdin().lock(), "stdin", 64 * 1024);
    }
    let f = std::fs::File::open(file).map_err(|e| Error::io(format!("cannot read {file}"), e))?;
    let size = f.metadata().map_or(0, |m| m.len()).min(MAX_INPUT) as usize;
    read_bytes(f, file, size.saturating_add(1))
}

/// Reads `file` (`-` for stdin) with [`read_text`].
pub fn read_file(file: &str) -> Result<Zeroizing<String>> {
    into_text(read_file_bytes(file)?, input_name(file))
}

/// How errors name `file`.
pub fn input_name(file: &str) -> &str {
    if file == "-" {
        "stdin"
    } else {
        file
    }
}

fn parse_uri_lines(text: &str) -> Parsed {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match uri_entry(line) {
            Ok(e) => ok.push((i + 1, e)),
            Err(e) => bad.push((i + 1, e.to_string())),
        }
    }
    (ok, bad)
}

/// An otpauth URI, with the `status` and `token` parameters `export --format uri` adds.
fn uri_entry(uri: &str) -> Result<Entry> {
    let parsed = totp::parse_otpauth_uri(uri)?;
    let param = |name: &str| {
        uri.split_once('?')
            .map_or("", |(_, q)| q)
            .split(['&', '#'])
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
    };
    let status = param("status").map(str::parse).transpose()?;
    let label = param("token").map(TokenLabel::parse).transpose()?;
    Ok(Entry {
        parsed,
        status,
        label,
    })
}

/// CSV with a header: mfactl's export (`user,token,status,uri`; only `uri` is required, `user`
/// then wins over the URI's label, and without `token` the entry is the `default` token), or Authelia's `storage user totp export csv`
/// (`issuer,username,algorithm,digits,period,secret`). Columns are found by name.
fn parse_csv(text: &str) -> Result<Parsed> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| Error::invalid("import", "cannot read the CSV header"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let uri_col = col("uri");
    let secret_col = col("secret");
    if uri_col.is_none() && secret_col.is_none() {
        return Err(Error::invalid(
            "import",
            "the CSV header has neither a 'uri' nor a 'secret' column (expected \
             user,token,status,uri as export writes, or Authelia's \
             issuer,username,algorithm,digits,period,secret)",
        ));
    }
    let user_col = col("user").or_else(|| col("username"));
    let status_col = col("status");
    let token_col = col("token");
    let (issuer_col, alg_col, digits_col, period_col) = (
        col("issuer"),
        col("algorithm"),
        col("digits"),
        col("period"),
    );
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                bad.push((line, "malformed CSV row".to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim);
        let entry = || -> Result<Entry> {
            let status = field(status_col)
                .filter(|s| !s.is_empty())
                .map(str::parse)
                .transpose()?;
            let label = field(token_col)
                .filter(|s| !s.is_empty())
                .map(TokenLabel::parse)
                .transpose()?;
            let user = field(user_col).filter(|s| !s.is_empty());
            let mut parsed = match (uri_col, field(secret_col)) {
                (Some(c), _) => {
                    let uri = record
                        .get(c)
                        .ok_or_else(|| Error::invalid("CSV row", "no uri field"))?;
                    totp::parse_otpauth_uri(uri)?
                }
                (None, Some(secret)) => {
                    let number = |what: &'static str, c| -> Result<Option<u64>> {
                        match field(c).filter(|s| !s.is_empty()) {
                            None => Ok(None),
                            Some(t) => t.parse().map(Some).map_err(|_| {
                                Error::invalid(what, format!("{t:?} is not a number"))
                            }),
                        }
                    };
                    ParsedUri::from_fields(
                        user.ok_or_else(|| Error::invalid("CSV row", "no username"))?,
                        field(issuer_col),
                        field(alg_col),
                        number("digits", digits_col)?,
                        number("period", period_col)?,
                        secret,
                    )?
                }
                (None, None) => return Err(Error::invalid("CSV row", "no secret field")),
            };
            if let Some(name) = user {
                parsed.user = UserName::parse(name)?;
            }
            Ok(Entry {
                parsed,
                status,
                label,
            })
        };
        match entry() {
            Ok(e) => ok.push((line, e)),
            Err(e) => bad.push((line, e.to_string())),
        }
    }
    Ok((ok, bad))
}

/// A string read from JSON or YAML that may be a secret: zeroized on drop.
struct SecretText(Zeroizing<String>);

impl<'de> serde::Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(|s| SecretText(Zeroizing::new(s)))
    }
}

/// One entry of `export --format json`, or of Authelia's YAML export (`username`, no status).
/// Unknown keys (times, `short_secret`, ...) are ignored.
#[derive(serde::Deserialize)]
struct FieldEntry {
    #[serde(alias = "username")]
    user: Option<String>,
    token: Option<String>,
    status: Option<String>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<u64>,
    period: Option<u64>,
    secret: Option<SecretText>,
    otpauth_uri: Option<SecretText>,
}

impl FieldEntry {
    fn entry(self) -> Result<Entry> {
        let status = self.status.as_deref().map(str::parse).transpose()?;
        let label = self.token.as_deref().map(TokenLabel::parse).transpose()?;
        let mut parsed = match (&self.secret, &self.otpauth_uri) {
            (Some(secret), _) => ParsedUri::from_fields(
                self.user
                    .as_deref()
                    .ok_or_else(|| Error::invalid("entry", "no user"))?,
                self.issuer.as_deref(),
                self.algorithm.as_deref(),
                self.digits,
                self.period,
                &secret.0,
            )?,
            (None, Some(uri)) => totp::parse_otpauth_uri(&uri.0)?,
            (None, None) => return Err(Error::invalid("entry", "no secret")),
        };
        if let Some(user) = &self.user {
            parsed.user = UserName::parse(user)?;
        }
        Ok(Entry {
            parsed,
            status,
            label,
        })
    }
}

/// Entries numbered from 1, each validated on its own.
fn number_entries(list: Vec<FieldEntry>) -> Parsed {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, e) in list.into_iter().enumerate() {
        match e.entry() {
            Ok(e) => ok.push((i + 1, e)),
            Err(e) => bad.push((i + 1, e.to_string())),
        }
    }
    (ok, bad)
}

/// A parser's message without the quoted input it may echo (it may be a secret).
fn without_quotes(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('"').enumerate() {
        out.push_str(if i % 2 == 0 { part } else { "\"...\"" });
    }
    out
}

/// The array `export --format json` writes.
fn parse_json(text: &str) -> Parsed {
    match serde_json::from_str::<Vec<FieldEntry>>(text) {
        Ok(list) => number_entries(list),
        Err(e) => (
            Vec::new(),
            vec![(
                e.line(),
                format!(
                    "not an array of entries as export --format json writes: {}",
                    without_quotes(&e.to_string())
                ),
            )],
        ),
    }
}

/// Authelia's `storage user totp export` YAML: a `totp_configurations` list of maps with
/// `created_at`, `last_used_at`, `username`, `issuer`, `algorithm`, `digits`, `period` and
/// `secret` (base32).
fn parse_yaml(text: &str) -> Parsed {
    #[derive(serde::Deserialize)]
    struct AutheliaExport {
        totp_configurations: Vec<FieldEntry>,
    }
    match serde_yaml_ng::from_str::<AutheliaExport>(text) {
        Ok(doc) => number_entries(doc.totp_configurations),
        Err(e) => (
            Vec::new(),
            vec![(
                e.location().map_or(0, |l| l.line()),
                format!(
                    "not a totp_configurations list as Authelia exports: {}",
                    without_quotes(&e.to_string())
                ),
            )],
        ),
    }
}
