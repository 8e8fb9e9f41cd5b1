//! `mfactl init`: create the store (also run implicitly by the first `enroll`).

use std::path::PathBuf;

use anyhow::Result;
use mfactl::store::{Store, StoreInit};
use mfactl::vault::{self, IdentitySource, Recipient};
use serde_json::json;

use super::Context;
use crate::cli::InitArgs;
use crate::exit_codes::ExitCode;
use crate::ui;

/// What a bootstrap did.
pub struct Created {
    pub store: Store,
    pub recipients: Vec<Recipient>,
    pub identity_created: Option<PathBuf>,
}

/// Creates the store at the context's path. With no recipients given, encrypts to the
/// identity's key, generating an identity file if there is none.
pub fn bootstrap(
    ctx: &Context,
    recipient_args: &[String],
    issuer: Option<String>,
) -> Result<Created> {
    let location = ctx.location()?;
    // Checked first: an identity must not be generated for a store that is not created.
    if Store::exists(&location)? {
        return Err(mfactl::Error::StoreExists {
            location: location.to_string(),
        }
        .into());
    }
    Store::check_create_location(&location)?;
    if let Some(i) = &issuer {
        mfactl::model::validate_issuer(i)?;
    }
    let mut identity_created = None;
    let recipients = if !recipient_args.is_empty() {
        recipient_args
            .iter()
            .map(|r| Recipient::parse(r))
            .collect::<mfactl::Result<Vec<_>>>()?
    } else {
        match ctx.identity_source() {
            IdentitySource::File(p) if !p.exists() => {
                let ids = vault::generate_identity_file(&p)?;
                identity_created = Some(p);
                ids.recipients()
            }
            _ => ctx.identities()?.recipients(),
        }
    };
    let store = Store::create(
        &location,
        &ctx.op(),
        &StoreInit {
            recipients: recipients.clone(),
            issuer,
        },
    )?;
    ctx.warn_about_permissions(&location);
    if let Some(p) = &identity_created {
        ui::warn(&format!(
            "generated a new age identity at {}; back it up: without it no secret in the store can be read",
            p.display()
        ));
    }
    Ok(Created {
        store,
        recipients,
        identity_created,
    })
}

pub fn run(ctx: &Context, args: InitArgs) -> Result<ExitCode> {
    let issuer = args.issuer.clone();
    let mut created = bootstrap(ctx, &args.recipients, args.issuer).map_err(|e| {
        let exists = matches!(
            e.downcast_ref::<mfactl::Error>(),
            Some(mfactl::Error::StoreExists { .. })
        );
        match issuer {
            Some(i) if exists => e.context(ui::Hint(format!(
                "to change the existing store's issuer: mfactl config set issuer {}",
                ui::shell_quote(&i)
            ))),
            _ => e,
        }
    })?;
    let settings = created.store.settings()?;
    let recipients: Vec<String> = created.recipients.iter().map(|r| r.to_string()).collect();
    if ctx.json() {
        ctx.print_json(&json!({
            "store": created.store.location(),
            "recipients": recipients,
            "issuer": settings.issuer(),
            "identity_created": created.identity_created.as_ref().map(|p| p.display().to_string()),
        }))?;
    } else {
        outln!("Created store {}", created.store.location())?;
        for r in &recipients {
            outln!("  encrypting secrets to {r}")?;
        }
        outln!("Next: mfactl enroll <USER>")?;
    }
    Ok(ExitCode::Success)
}
