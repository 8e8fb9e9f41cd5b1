//! `mfactl disable`: turn MFA off for a user and crypto-shred their secret.

use anyhow::Result;
use mfactl::model::{Status, TokenLabel, UserRecord};
use serde_json::json;

use super::{confirm_typed_or_refuse, parse_user, report_scrub, Context, Typed};
use crate::cli::DisableArgs;
use crate::exit_codes::ExitCode;

pub fn run(ctx: &Context, args: DisableArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let label = args
        .token
        .as_deref()
        .map(str::parse::<TokenLabel>)
        .transpose()?;
    let mut mfa = ctx.mfa()?;
    let rec = mfa.show(&user)?.record;
    // The name as stored (a row older than NFC normalisation may hold another form).
    let user = rec.user.clone();
    if let Some(label) = label {
        return disable_token(ctx, &mut mfa, &rec, &label, &args);
    }
    if args.dry_run {
        return dry_run(ctx, &user, rec.status);
    }
    let changed = if rec.status == Status::Disabled {
        false
    } else {
        confirm_typed_or_refuse(
            ctx,
            args.yes,
            &format!(
                "This disables MFA for {user} and erases their secret: they must enroll again."
            ),
            Typed::User(&user),
            &format!("disabling MFA for {user}"),
        )?;
        mfa.disable(&user, args.reason.as_deref())?
    };
    let scrubbed = report_scrub(mfa.store());
    if ctx.json() {
        ctx.print_json(&json!({
            "user": user,
            "status": Status::Disabled,
            "changed": changed,
            "scrubbed": scrubbed,
        }))?;
    } else if changed {
        match scrubbed {
            Some(false) => outln!(
                "Disabled MFA for {user}; their secret is erased from the table (not yet from the \
                 write-ahead log, see the warning)"
            )?,
            _ => outln!("Disabled MFA for {user}; their secret is erased")?,
        }
    } else {
        outln!("MFA is already disabled for {user}; nothing to do")?;
    }
    Ok(ExitCode::Success)
}

/// `disable --dry-run`: what would change; nothing is written, not even an audit row.
fn dry_run(ctx: &Context, user: &mfactl::model::UserName, status: Status) -> Result<ExitCode> {
    let would_change = status != Status::Disabled;
    if ctx.json() {
        ctx.print_json(&json!({
            "user": user,
            "status": status,
            "would_change": would_change,
            "dry_run": true,
        }))?;
    } else if would_change {
        outln!("Would disable MFA for {user} (now {status}) and erase their secret")?;
        outln!("Nothing changed (--dry-run)")?;
    } else {
        outln!("MFA is already disabled for {user}; nothing to do")?;
    }
    Ok(ExitCode::Success)
}

/// `disable --token LABEL`: one token only (the user's last live one disables the user).
fn disable_token(
    ctx: &Context,
    mfa: &mut mfactl::Mfa,
    rec: &UserRecord,
    label: &TokenLabel,
    args: &DisableArgs,
) -> Result<ExitCode> {
    let user = &rec.user;
    let token = rec
        .tokens
        .iter()
        .find(|t| &t.label == label)
        .ok_or_else(|| {
            let labels: Vec<&str> = rec.tokens.iter().map(|t| t.label.as_str()).collect();
            mfactl::Error::invalid(
                "token",
                format!(
                    "user {user} has no token {label} (tokens: {})",
                    labels.join(", ")
                ),
            )
        })?;
    let live = token.status != Status::Disabled;
    if args.dry_run {
        if ctx.json() {
            ctx.print_json(&json!({
                "user": user,
                "token": label,
                "status": token.status,
                "would_change": live,
                "dry_run": true,
            }))?;
        } else if live {
            outln!(
                "Would disable the token {label} of {user} (now {}) and erase its secret",
                token.status
            )?;
            outln!("Nothing changed (--dry-run)")?;
        } else {
            outln!("The token {label} of {user} is already disabled; nothing to do")?;
        }
        return Ok(ExitCode::Success);
    }
    let changed = if live {
        confirm_typed_or_refuse(
            ctx,
            args.yes,
            &format!(
                "This disables the token {label} of {user} and erases its secret: that \
                 authenticator entry stops working."
            ),
            Typed::User(user),
            &format!("disabling the token {label} of {user}"),
        )?;
        mfa.disable_token(user, label, args.reason.as_deref())?
    } else {
        false
    };
    let scrubbed = report_scrub(mfa.store());
    if ctx.json() {
        ctx.print_json(&json!({
            "user": user,
            "token": label,
            "status": Status::Disabled,
            "changed": changed,
            "scrubbed": scrubbed,
        }))?;
    } else if changed {
        outln!("Disabled the token {label} of {user}; its secret is erased")?;
    } else {
        outln!("The token {label} of {user} is already disabled; nothing to do")?;
    }
    Ok(ExitCode::Success)
}
