//! `mfactl import`: enroll users from otpauth URIs, CSV (mfactl's or Authelia's), mfactl's JSON
//! export or Authelia's YAML export, all or nothing.

use std::collections::HashMap;

use anyhow::Result;
use mfactl::model::{Status, UserName};
use mfactl::names::{quoted, Lookalike};
use mfactl::secret_buf::SecretBuf;
use mfactl::store::Enrollment;
use mfactl::totp::{self, ParsedUri, TotpSecret};
use mfactl::vault;
use serde_json::json;
use zeroize::Zeroizing;

use super::Context;
use crate::cli::{ExportStatus, ImportArgs, ImportFormat};

/// One entry read from the input: what to enroll, and the status the input gave it (export
/// writes it; other tools' files have none).
#[derive(Debug)]
struct Entry {
    parsed: ParsedUri,
    status: Option<Status>,
}
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    let text = read_input(ctx, &args)?;
    let (entries, mut problems) = match args.format {
        ImportFormat::Uri => parse_uri_lines(&text),
        ImportFormat::Csv => parse_csv(&text)?,
        ImportFormat::Json => parse_json(&text),
        ImportFormat::Yaml => parse_yaml(&text),
    };
    // JSON and YAML entries are numbered; the others by line.
    let place = match args.format {
        ImportFormat::Uri | ImportFormat::Csv => "line",
        ImportFormat::Json | ImportFormat::Yaml => "entry",
    };
    // --status wins; otherwise the status the input gives, else enabled (paired elsewhere).
    let forced = args.status.map(|s| match s {
        ExportStatus::Pending => Status::Pending,
        ExportStatus::Enabled => Status::Enabled,
    });
    let mut parsed = Vec::with_capacity(entries.len());
    for (line, e) in entries {
        let status = forced.or(e.status).unwrap_or(Status::Enabled);
        if status == Status::Disabled {
            problems.push((
                line,
                "status disabled: a disabled user has no secret to import".into(),
            ));
            continue;
        }
        if e.parsed.secret.is_short() && !args.allow_short_secrets {
            problems.push((
                line,
                format!(
                    "the secret is {} bits, shorter than {}; pass --allow-short-secrets to \
                     import legacy secrets (at least {} bits) anyway",
                    e.parsed.secret.bits(),
                    TotpSecret::MIN_LEN * 8,
                    TotpSecret::LEGACY_MIN_LEN * 8
                ),
            ));
        }
        parsed.push((line, e.parsed, status));
    }

    let mut store = ctx.open_store()?;
    let mut seen: HashMap<UserName, usize> = HashMap::new();
    for (line, p, _) in &parsed {
        if let Some(first) = seen.insert(p.user.clone(), *line) {
            problems.push((
                *line,
                format!("user {:?} also on {place} {first}", p.user.as_str()),
            ));
        }
        if let Some(rec) = store.user(&p.user)? {
            if rec.status != Status::Disabled {
                problems.push((
                    *line,
                    format!(
                        "user {:?} is already {} in the store",
                        p.user.as_str(),
                        rec.status
                    ),
                ));
            }
        } else if let Err(e) = p.user.check_new() {
            problems.push((*line, e.to_string()));
        }
    }
    if !args.allow_similar {
        let names: Vec<&UserName> = parsed.iter().map(|(_, p, _)| &p.user).collect();
        for (i, like) in store.lookalikes(&names)? {
            let (Some((line, p, _)), like) = (parsed.get(i), like) else {
                continue;
            };
            let like = match like {
                Lookalike::Existing(name) => format!("the existing user {}", quoted(&name)),
                Lookalike::Earlier(j) => match parsed.get(j) {
                    Some((other, q, _)) => {
                        format!("{} on {place} {other}", quoted(q.user.as_str()))
                    }
                    None => continue,
                },
            };
            problems.push((
                *line,
                format!(
                    "user {} looks like {like} (pass --allow-similar if they are different people)",
                    quoted(p.user.as_str())
                ),
            ));
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|(line, _)| *line);
        for (line, msg) in &problems {
            // A line may quote the input, and the input may hold a private key.
            errln!("{place} {line}: {}", mfactl::redact::message(msg));
        }
        return Err(mfactl::Error::invalid(
            "import",
            format!(
                "{} problem(s) in {}; nothing was imported",
                problems.len(),
                args.file
            ),
        )
        .into());
    }
    if parsed.is_empty() {
        return Err(
            mfactl::Error::invalid("import", format!("no entries in {}", args.file)).into(),
        );
    }

    let settings = store.settings()?;
    let recipients = store.recipients()?;
    let bar = crate::ui::progress(parsed.len(), "encrypting", ctx.json());
    // The age encryption is nearly all of an import's time: it runs on every core.
    let enrollments = super::par_map(&parsed, |(_, p, status)| {
        bar.inc(1);
        Ok(Enrollment {
            user: p.user.clone(),
            params: p.params,
            issuer: p
                .issuer
                .clone()
                .unwrap_or_else(|| settings.issuer().to_owned()),
            ciphertext: vault::encrypt_secret(&recipients, &p.secret)?,
            status: *status,
        })
    })?;
    bar.finish_and_clear();
    if !args.dry_run {
        // Entries are re-sealed under the store's lock if a rekey committed meanwhile.
        let secrets: HashMap<&UserName, &totp::TotpSecret> = parsed
            .iter()
            .map(|(_, p, _)| (&p.user, &p.secret))
            .collect();
        let mut reseal = |e: &Enrollment, current: &[vault::Recipient]| {
            let secret = secrets.get(&e.user).ok_or_else(|| {
                mfactl::Error::invalid("import", format!("no secret for {:?}", e.user.as_str()))
            })?;
            vault::encrypt_secret(current, secret)
        };
        store.import(
            &ctx.op(),
            &enrollments,
            &recipients,
            Some(&mut reseal),
            args.allow_similar,
        )?;
    }
    let count = |s: Status| enrollments.iter().filter(|e| e.status == s).count();
    let (pending, enabled) = (count(Status::Pending), count(Status::Enabled));
    let short = parsed
        .iter()
        .filter(|(_, p, _)| p.secret.is_short())
        .count();
    if ctx.json() {
        ctx.print_json(&json!({
            "imported": if args.dry_run { 0 } else { enrollments.len() },
            "valid": enrollments.len(),
            "dry_run": args.dry_run,
            "pending": pending,
            "enabled": enabled,
            "short_secrets": short,
        }))?;
    } else {
        let split = format!("{enabled} enabled, {pending} pending");
        if args.dry_run {
            let n = enrollments.len() as u64;
            let are = if n == 1 { "is" } else { "are" };
            outln!(
                "{} {are} valid ({split}); nothing imported (--dry-run)",
                crate::ui::count(n, "entry", "entries")
            )?;
        } else {
            let users = crate::ui::count(enrollments.len() as u64, "user", "users");
            outln!("Imported {users} ({split})")?;
        }
        if short > 0 {
            crate::ui::warn(&format!(
                "{short} of them have secrets shorter than 128 bits; 'mfactl list' flags them: \
                 enroll them again when you can"
            ));
        }
    }
    Ok(ExitCode::Success)
}

/// The most `import` reads: far more than any real export (100,000 users are about 15 MB), and
/// little enough that memory stays bounded whatever it is given (`/dev/zero`, an endless pipe).
const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Reads the whole input, at most [`MAX_INPUT`] bytes, as UTF-8 text without a byte order mark.
fn read_input(ctx: &Context, args: &ImportArgs) -> Result<Zeroizing<String>> {
    let file = args.file.as_str();
    let name = if file == "-" { "stdin" } else { file };
    // Read into a buffer that zeroizes every allocation it outgrows; a file starts with room
    // for its size, so that it is read without growing.
    let read = if file == "-" {
        SecretBuf::read_from(std::io::stdin().lock(), MAX_INPUT + 1, 64 * 1024)
    } else {
        std::fs::File::open(file).and_then(|f| {
            let size = f.metadata().map_or(0, |m| m.len()).min(MAX_INPUT) as usize;
            SecretBuf::read_from(f, MAX_INPUT + 1, size.saturating_add(1))
        })
    };
    let bytes = read.map_err(|e| mfactl::Error::io(format!("cannot read {name}"), e))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(mfactl::Error::invalid(
            "import",
            format!(
                "{name} is larger than {} MiB; split it into smaller files",
                MAX_INPUT / 1024 / 1024
            ),
        )
        .into());
    }
    // An age file (export --to), binary or armored: decrypted in memory, into a zeroizing
    // buffer, under the same cap.
    let bytes = if mfactl::vault::is_age_file(bytes.as_slice()) {
        let ids = match &args.decrypt_with {
            Some(path) => ctx.load_identities(mfactl::vault::IdentitySource::File(path.clone()))?,
            None => ctx.identities()?,
        };
        let plain = ids.decrypt_file(bytes.as_slice(), MAX_INPUT + 1)?;
        if plain.len() as u64 > MAX_INPUT {
            return Err(mfactl::Error::invalid(
                "import",
                format!(
                    "{name} decrypts to more than {} MiB; split it into smaller files",
                    MAX_INPUT / 1024 / 1024
                ),
            )
            .into());
        }
        plain
    } else {
        bytes
    };
    // Checked in place, then moved, not copied: the only copy of the secrets stays in zeroized
    // memory (a failed check drops the bytes zeroized, with the buffer).
    if std::str::from_utf8(&bytes).is_err() {
        return Err(mfactl::Error::invalid("import", format!("{name} is not UTF-8 text")).into());
    }
    let mut bytes = bytes.into_inner();
    let text = String::from_utf8(std::mem::take(&mut *bytes))
        .map_err(|_| mfactl::Error::invalid("import", format!("{name} is not UTF-8 text")))?;
    let mut text = Zeroizing::new(text);
    // A byte order mark, as Windows editors write, is not part of the first line.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

type Parsed = (Vec<(usize, Entry)>, Vec<(usize, String)>);

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

/// An otpauth URI, with the `status` parameter `export --format uri` adds.
fn uri_entry(uri: &str) -> mfactl::Result<Entry> {
    let parsed = totp::parse_otpauth_uri(uri)?;
    let status = uri
        .split_once('?')
        .map_or("", |(_, q)| q)
        .split(['&', '#'])
        .find_map(|p| p.strip_prefix("status="))
        .map(str::parse)
        .transpose()?;
    Ok(Entry { parsed, status })
}

/// CSV with a header: mfactl's export (`user,status,uri`; only `uri` is required, and `user`
/// then wins over the URI's label), or Authelia's `storage user totp export csv`
/// (`issuer,username,algorithm,digits,period,secret`). Columns are found by name.
fn parse_csv(text: &str) -> Result<Parsed> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| mfactl::Error::invalid("import", "cannot read the CSV header"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let uri_col = col("uri");
    let secret_col = col("secret");
    if uri_col.is_none() && secret_col.is_none() {
        return Err(mfactl::Error::invalid(
            "import",
            "the CSV header has neither a 'uri' nor a 'secret' column (expected \
             user,status,uri as export writes, or Authelia's \
             issuer,username,algorithm,digits,period,secret)",
        )
        .into());
    }
    let user_col = col("user").or_else(|| col("username"));
    let status_col = col("status");
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
        let entry = || -> mfactl::Result<Entry> {
            let status = field(status_col)
                .filter(|s| !s.is_empty())
                .map(str::parse)
                .transpose()?;
            let user = field(user_col).filter(|s| !s.is_empty());
            let mut parsed = match (uri_col, field(secret_col)) {
                (Some(c), _) => {
                    let uri = record
                        .get(c)
                        .ok_or_else(|| mfactl::Error::invalid("CSV row", "no uri field"))?;
                    totp::parse_otpauth_uri(uri)?
                }
                (None, Some(secret)) => {
                    let number = |what: &'static str, c| -> mfactl::Result<Option<u64>> {
                        match field(c).filter(|s| !s.is_empty()) {
                            None => Ok(None),
                            Some(t) => t.parse().map(Some).map_err(|_| {
                                mfactl::Error::invalid(what, format!("{t:?} is not a number"))
                            }),
                        }
                    };
                    ParsedUri::from_fields(
                        user.ok_or_else(|| mfactl::Error::invalid("CSV row", "no username"))?,
                        field(issuer_col),
                        field(alg_col),
                        number("digits", digits_col)?,
                        number("period", period_col)?,
                        secret,
                    )?
                }
                (None, None) => return Err(mfactl::Error::invalid("CSV row", "no secret field")),
            };
            if let Some(name) = user {
                parsed.user = UserName::parse(name)?;
            }
            Ok(Entry { parsed, status })
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
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| SecretText(Zeroizing::new(s)))
    }
}

/// One entry of `export --format json`, or of Authelia's YAML export (`username`, no status).
/// Unknown keys (times, `short_secret`, ...) are ignored.
#[derive(serde::Deserialize)]
struct FieldEntry {
    #[serde(alias = "username")]
    user: Option<String>,
    status: Option<String>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<u64>,
    period: Option<u64>,
    secret: Option<SecretText>,
    otpauth_uri: Option<SecretText>,
}

impl FieldEntry {
    fn entry(self) -> mfactl::Result<Entry> {
        let status = self.status.as_deref().map(str::parse).transpose()?;
        let mut parsed = match (&self.secret, &self.otpauth_uri) {
            (Some(secret), _) => ParsedUri::from_fields(
                self.user
                    .as_deref()
                    .ok_or_else(|| mfactl::Error::invalid("entry", "no user"))?,
                self.issuer.as_deref(),
                self.algorithm.as_deref(),
                self.digits,
                self.period,
                &secret.0,
            )?,
            (None, Some(uri)) => totp::parse_otpauth_uri(&uri.0)?,
            (None, None) => return Err(mfactl::Error::invalid("entry", "no secret")),
        };
        if let Some(user) = &self.user {
            parsed.user = UserName::parse(user)?;
        }
        Ok(Entry { parsed, status })
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
