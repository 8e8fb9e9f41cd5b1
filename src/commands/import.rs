//! `mfactl import`: enroll users from otpauth URIs or CSV, all or nothing.

use std::collections::HashMap;

use anyhow::{Context as _, Result};
use mfactl::model::{Status, UserName};
use mfactl::names::{quoted, Lookalike};
use mfactl::secret_buf::SecretBuf;
use mfactl::store::Enrollment;
use mfactl::totp::{self, ParsedUri};
use mfactl::vault;
use serde_json::json;
use zeroize::Zeroizing;

use super::Context;
use crate::cli::{ExportStatus, ImportArgs, ImportFormat};
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    let text = read_input(&args.file)?;
    let (parsed, mut problems) = match args.format {
        ImportFormat::Uri => parse_uri_lines(&text),
        ImportFormat::Csv => parse_csv(&text)?,
    };
    let status = match args.status {
        ExportStatus::Pending => Status::Pending,
        ExportStatus::Enabled => Status::Enabled,
    };

    let mut store = ctx.open_store()?;
    let mut seen: HashMap<UserName, usize> = HashMap::new();
    for (line, p) in &parsed {
        if let Some(first) = seen.insert(p.user.clone(), *line) {
            problems.push((
                *line,
                format!("user {:?} also on line {first}", p.user.as_str()),
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
        let names: Vec<&UserName> = parsed.iter().map(|(_, p)| &p.user).collect();
        for (i, like) in store.lookalikes(&names)? {
            let (Some((line, p)), like) = (parsed.get(i), like) else {
                continue;
            };
            let like = match like {
                Lookalike::Existing(name) => format!("the existing user {}", quoted(&name)),
                Lookalike::Earlier(j) => match parsed.get(j) {
                    Some((other, q)) => format!("{} on line {other}", quoted(q.user.as_str())),
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
            eprintln!("line {line}: {}", mfactl::redact::message(msg));
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
    let enrollments = super::par_map(&parsed, |(_, p)| {
        bar.inc(1);
        Ok(Enrollment {
            user: p.user.clone(),
            params: p.params,
            issuer: p
                .issuer
                .clone()
                .unwrap_or_else(|| settings.issuer().to_owned()),
            ciphertext: vault::encrypt_secret(&recipients, &p.secret)?,
            status,
        })
    })?;
    bar.finish_and_clear();
    if !args.dry_run {
        // Entries are re-sealed under the store's lock if a rekey committed meanwhile.
        let secrets: HashMap<&UserName, &totp::TotpSecret> =
            parsed.iter().map(|(_, p)| (&p.user, &p.secret)).collect();
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
    if ctx.json() {
        ctx.print_json(&json!({
            "imported": if args.dry_run { 0 } else { enrollments.len() },
            "valid": enrollments.len(),
            "dry_run": args.dry_run,
            "status": status,
        }))?;
    } else if args.dry_run {
        println!(
            "{} entries are valid; nothing imported (--dry-run)",
            enrollments.len()
        );
    } else {
        println!("Imported {} users as {status}", enrollments.len());
    }
    Ok(ExitCode::Success)
}

/// The most `import` reads: far more than any real export (100,000 users are about 15 MB), and
/// little enough that memory stays bounded whatever it is given (`/dev/zero`, an endless pipe).
const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Reads the whole input, at most [`MAX_INPUT`] bytes, as UTF-8 text without a byte order mark.
fn read_input(file: &str) -> Result<Zeroizing<String>> {
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
    let bytes = read.with_context(|| format!("cannot read {name}"))?;
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

type Parsed = (Vec<(usize, ParsedUri)>, Vec<(usize, String)>);

fn parse_uri_lines(text: &str) -> Parsed {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match totp::parse_otpauth_uri(line) {
            Ok(p) => ok.push((i + 1, p)),
            Err(e) => bad.push((i + 1, e.to_string())),
        }
    }
    (ok, bad)
}

/// CSV with a header naming a `uri` column and optionally a `user` column (which then wins
/// over the URI's label).
fn parse_csv(text: &str) -> Result<Parsed> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .context("cannot read the CSV header")?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let uri_col = col("uri")
        .ok_or_else(|| mfactl::Error::invalid("import", "the CSV header has no 'uri' column"))?;
    let user_col = col("user").or_else(|| col("username"));
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
        let Some(uri) = record.get(uri_col) else {
            bad.push((line, "no uri field".into()));
            continue;
        };
        let mut parsed = match totp::parse_otpauth_uri(uri) {
            Ok(p) => p,
            Err(e) => {
                bad.push((line, e.to_string()));
                continue;
            }
        };
        if let Some(name) = user_col
            .and_then(|c| record.get(c))
            .filter(|s| !s.is_empty())
        {
            match UserName::parse(name) {
                Ok(u) => parsed.user = u,
                Err(e) => {
                    bad.push((line, e.to_string()));
                    continue;
                }
            }
        }
        ok.push((line, parsed));
    }
    Ok((ok, bad))
}
