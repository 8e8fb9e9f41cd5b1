//! `mfactl rekey` and `mfactl recipients`: key rotation.

use std::collections::HashMap;

use anyhow::Result;
use mfactl::model::UserName;
use mfactl::vault::{self, IdentitySource, Recipient};
use serde_json::json;

use super::{confirm_typed_or_refuse, par_map, report_scrub, Context, Typed};
use crate::cli::RekeyArgs;
use crate::exit_codes::ExitCode;

pub fn list_recipients(ctx: &Context) -> Result<ExitCode> {
    let recipients: Vec<String> = ctx
        .open_store()?
        .recipients()?
        .iter()
        .map(|r| r.to_string())
        .collect();
    if ctx.json() {
        ctx.print_json(&recipients)?;
    } else {
        for r in recipients {
            outln!("{r}")?;
        }
    }
    Ok(ExitCode::Success)
}

pub fn run(ctx: &Context, args: RekeyArgs) -> Result<ExitCode> {
    let mut recipients = args
        .recipients
        .iter()
        .map(|r| Recipient::parse(r))
        .collect::<mfactl::Result<Vec<_>>>()?;
    if recipients.is_empty() && args.new_identity.is_none() {
        return Err(mfactl::Error::invalid(
            "arguments",
            "give the new keys with --recipient, or --new-identity PATH to generate one",
        )
        .into());
    }
    if let Some(p) = &args.new_identity {
        if p.exists() {
            return Err(mfactl::Error::invalid(
                "--new-identity",
                format!("{} already exists; choose a new path", p.display()),
            )
            .into());
        }
    }
    let mut store = ctx.open_store()?;
    let ids = ctx.identities()?;
    // A valid but mistyped key would leave every secret encrypted to a key nobody has: someone
    // at hand must hold one of the new keys, unless the operator says they are held elsewhere.
    if args.new_identity.is_none() && !args.no_identity_check {
        let mut held = ids.recipients();
        if let Some(path) = &args.check_identity {
            held.extend(
                ctx.load_identities(IdentitySource::File(path.clone()))?
                    .recipients(),
            );
        }
        if !recipients.iter().any(|r| held.contains(r)) {
            let checked = match &args.check_identity {
                Some(p) => format!("the current identity or {}", p.display()),
                None => "the current identity".to_owned(),
            };
            return Err(mfactl::Error::invalid(
                "recipients",
                format!(
                    "no new recipient matches a key of {checked}: after the rekey nobody here could read a secret, so nothing was changed; \
                     pass --check-identity FILE with an identity for one of the new keys, or --no-identity-check if they are held elsewhere"
                ),
            )
            .into());
        }
    }
    let secrets = store.secrets(mfactl::model::UserFilter::All)?;
    let count = secrets.len();
    if args.dry_run {
        let current = store.recipients()?;
        return dry_run(ctx, &args, &ids, &secrets, &current, &recipients);
    }
    confirm_typed_or_refuse(
        ctx,
        args.yes,
        &format!(
            "This re-encrypts {count} secret{} to the new recipients: keys not among them\n\
             lose access to every secret.",
            if count == 1 { "" } else { "s" }
        ),
        Typed::Word("rekey"),
        "re-keying the store",
    )?;
    let new_identity = match &args.new_identity {
        Some(p) => {
            let generated = vault::generate_identity_file(p)?;
            recipients.extend(generated.recipients());
            Some(p.clone())
        }
        None => None,
    };
    let bar = crate::ui::progress(count, "re-encrypting", ctx.json());
    let reencrypt = |user: &UserName, ciphertext: &[u8]| {
        bar.inc(1);
        let secret = ids
            .decrypt_secret(ciphertext)
            .ok_or_else(|| mfactl::Error::Decrypt {
                user: user.to_string(),
            })?;
        vault::encrypt_secret(&recipients, &secret)
    };
    // The age work (nearly all of a rekey's time) runs on every core before the write
    // transaction. Inside it, a prepared ciphertext is used only if the stored one is still the
    // one it was made from; a secret changed meanwhile is re-encrypted there, as before.
    let result = par_map(&secrets, |rec| {
        reencrypt(&rec.user, rec.secret.as_deref().unwrap_or_default())
    })
    .and_then(|prepared| {
        let index: HashMap<&UserName, usize> = secrets
            .iter()
            .enumerate()
            .map(|(i, rec)| (&rec.user, i))
            .collect();
        store.rekey(&ctx.op(), &recipients, &mut |s| match index.get(&s.user) {
            Some(&i) if secrets[i].secret.as_deref() == Some(s.ciphertext.as_slice()) => {
                Ok(prepared[i].clone())
            }
            _ => reencrypt(&s.user, &s.ciphertext),
        })
    });
    bar.finish_and_clear();
    let count = match result {
        Ok(n) => n,
        Err(e) => {
            // Nothing was re-encrypted: a freshly generated key would only mislead.
            if let Some(p) = &new_identity {
                let _ = std::fs::remove_file(p);
            }
            return Err(e.into());
        }
    };
    let names: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
    let scrubbed = report_scrub(&store);
    if ctx.json() {
        ctx.print_json(&json!({
            "secrets": count,
            "recipients": names,
            "new_identity": new_identity.as_ref().map(|p| p.display().to_string()),
            "scrubbed": scrubbed,
        }))?;
    } else {
        outln!(
            "Re-encrypted {} to:",
            crate::ui::count(count as u64, "secret", "secrets")
        )?;
        for n in &names {
            outln!("  {n}")?;
        }
        if let Some(p) = &new_identity {
            outln!(
                "New identity: {} (back it up; use it with -i or MFACTL_IDENTITY)",
                p.display()
            )?;
        }
    }
    Ok(ExitCode::Success)
}

/// `rekey --dry-run`: every secret is decrypted (as the rekey would, proving the identity at
/// hand reads them all) and nothing is encrypted, generated or written.
fn dry_run(
    ctx: &Context,
    args: &RekeyArgs,
    ids: &vault::Identities,
    secrets: &[mfactl::model::UserRecord],
    current: &[Recipient],
    new: &[Recipient],
) -> Result<ExitCode> {
    par_map(secrets, |rec| {
        ids.decrypt_secret(rec.secret.as_deref().unwrap_or_default())
            .map(drop)
            .ok_or_else(|| mfactl::Error::Decrypt {
                user: rec.user.to_string(),
            })
    })?;
    let names =
        |list: &[Recipient]| -> Vec<String> { list.iter().map(|r| r.to_string()).collect() };
    let removed: Vec<String> = names(current)
        .into_iter()
        .filter(|r| !new.iter().any(|n| n.to_string() == *r))
        .collect();
    let new_identity = args.new_identity.as_ref().map(|p| p.display().to_string());
    if ctx.json() {
        ctx.print_json(&json!({
            "dry_run": true,
            "secrets": secrets.len(),
            "recipients": names(new),
            "removed_recipients": removed,
            "new_identity": new_identity,
        }))?;
    } else {
        outln!(
            "Would re-encrypt {} secret{} (all decrypt with the identity at hand) to:",
            secrets.len(),
            if secrets.len() == 1 { "" } else { "s" }
        )?;
        for n in names(new) {
            outln!("  {n}")?;
        }
        if let Some(p) = &new_identity {
            outln!("  and the key of a new identity, which the rekey would write to {p}")?;
        }
        for r in &removed {
            outln!("Would remove {r}: its key could no longer read any secret")?;
        }
        outln!("Nothing changed (--dry-run)")?;
    }
    Ok(ExitCode::Success)
}
