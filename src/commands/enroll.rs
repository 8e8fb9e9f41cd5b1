//! `mfactl enroll`: a fresh secret, stored encrypted, shown once for pairing.

use anyhow::Result;
use mfactl::model::{Status, TotpParams};
use mfactl::store::{EnrollOutcome, Enrollment};
use mfactl::totp::{self, RejectReason, TotpSecret};
use mfactl::vault;

use super::{init, parse_user, show_qr, verify, Context};

mod seal;
use crate::cli::{AlgorithmArg, EnrollArgs};
use crate::exit_codes::ExitCode;
use crate::ui;

impl From<AlgorithmArg> for mfactl::model::Algorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::Sha1 => Self::Sha1,
            AlgorithmArg::Sha256 => Self::Sha256,
            AlgorithmArg::Sha512 => Self::Sha512,
        }
    }
}

/// `enroll --json`. Borrows the secret rather than copying it into a `serde_json::Value`.
#[derive(serde::Serialize)]
struct EnrollOutput<'a> {
    user: &'a mfactl::model::UserName,
    status: Status,
    issuer: &'a str,
    algorithm: mfactl::model::Algorithm,
    digits: u8,
    period: u32,
    otpauth_uri: &'a str,
    secret: &'a str,
}

pub fn run(ctx: &Context, args: EnrollArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    // Checked before anything is created: a bad flag must not bootstrap a store.
    if let Some(i) = &args.issuer {
        mfactl::model::validate_issuer(i)?;
    }
    if let Some(d) = args.digits {
        mfactl::model::check_digits(d)?;
    }
    if let Some(p) = args.period {
        mfactl::model::check_period(p)?;
    }
    show_qr::check_qr_targets(&args.files)?;
    // Recipients and the bundle's target are checked before a store is created or changed.
    let seal = seal::Plan::from_args(ctx, &args.seal, &parse_user(&args.user)?)?;

    // A new name's rules are checked again, with the look-alike rule, under the store's lock;
    // here so that a bad name does not bootstrap a store. A name already in the store may
    // predate them.
    let mut store = match ctx.open_store() {
        Ok(mut store) => {
            if store.user(&user)?.is_none() {
                user.check_new()?;
            }
            store
        }
        Err(e) if is_store_missing(&e) => {
            user.check_new()?;
            let created = init::bootstrap(ctx, &[], None)?;
            ui::info(&format!(
                "No store at {}: created one (as 'mfactl init' would), encrypting to {}",
                created.store.location(),
                created
                    .recipients
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            created.store
        }
        Err(e) => return Err(e),
    };

    let settings = store.settings()?;
    let defaults = settings.default_params();
    let params = TotpParams::new(
        args.algorithm.map_or(defaults.algorithm(), Into::into),
        args.digits.unwrap_or(defaults.digits()),
        args.period.unwrap_or(defaults.period()),
    )?;
    let issuer = args.issuer.clone().unwrap_or(settings.issuer().to_owned());

    let secret = TotpSecret::generate(params.algorithm())?;
    let recipients = store.recipients()?;
    let ciphertext = vault::encrypt_secret(&recipients, &secret)?;
    let uri = totp::pairing_uri(&secret, &params, &issuer, &user);

    // A refusal the store would give anyway comes before any file is written.
    let op = ctx.op();
    if let Some(rec) = store.user(&user)? {
        let expired = rec.pending_expired(settings.pending_ttl(), op.now);
        if !args.force && rec.status != Status::Disabled && !expired {
            return Err(mfactl::Error::AlreadyEnrolled {
                user: user.to_string(),
                status: rec.status.to_string(),
            }
            .into());
        }
        if rec.status == Status::Enabled {
            super::confirm_on_terminal(
                ctx,
                args.yes,
                &format!(
                    "{} has MFA enabled: a new secret makes their authenticator entry useless.",
                    rec.user
                ),
                super::Typed::User(&rec.user),
                &format!("replacing the secret of {}", rec.user),
            )?;
        }
    }
    if let Some(plan) = seal {
        let enrollment = Enrollment {
            user: user.clone(),
            params,
            issuer: issuer.clone(),
            ciphertext,
            status: Status::Pending,
        };
        let pairing = mfactl::bundle::Pairing {
            user: &user,
            issuer: &issuer,
            params,
            uri: &uri,
            secret_b32: &secret.to_base32(),
            expires_at: settings.pending_ttl().map(|t| t.after(op.now)),
        };
        return plan.run(
            ctx,
            &mut store,
            &op,
            &enrollment,
            &pairing,
            &args,
            &recipients,
            &secret,
        );
    }
    // The terminal's QR code is drawn before anything is committed: a URI too long for any QR
    // code (a long issuer and name, SHA512) falls back to the URI and the secret, with a note,
    // rather than failing after the user was enrolled.
    let show_qr = !ctx.json() && !args.no_qr && (args.qr || ctx.stdout_is_terminal());
    let shade = if args.qr_invert {
        mfactl::qr::Shade::LightBackground
    } else {
        mfactl::qr::Shade::DarkBackground
    };
    let qr = show_qr.then(|| mfactl::qr::terminal(&uri, shade));
    // Image files are written to temporary files first: if one cannot be written, nothing is
    // enrolled; if the enrollment fails, dropping them leaves every target as it was. They are
    // put in place only once the enrollment has committed.
    let pending = show_qr::write_qr_files(&args.files, &uri)?;
    let enrollment = Enrollment {
        user: user.clone(),
        params,
        issuer: issuer.clone(),
        ciphertext,
        status: Status::Pending,
    };
    // A rekey that commits between reading the recipients and the write gets the secret sealed
    // again, under the store's lock, to the recipients it installed.
    let outcome = store.enroll(
        &op,
        &enrollment,
        args.force,
        &recipients,
        Some(&mut |_, current| vault::encrypt_secret(current, &secret)),
        args.allow_similar,
    )?;
    // --force replaced a secret: its old ciphertext may linger in the -wal (warned on stderr).
    let _ = super::report_scrub(&store);
    let written = show_qr::commit_files(pending)?;

    let b32 = secret.to_base32();
    if ctx.json() {
        ctx.print_json(&EnrollOutput {
            user: &user,
            status: Status::Pending,
            issuer: &issuer,
            algorithm: params.algorithm(),
            digits: params.digits(),
            period: params.period(),
            otpauth_uri: &uri,
            secret: &b32,
        })?;
        return Ok(ExitCode::Success);
    }

    match outcome {
        EnrollOutcome::New => {}
        EnrollOutcome::Reenrolled => ui::info(&format!("{user} was disabled; enrolled again")),
        EnrollOutcome::Replaced(Status::Pending) if !args.force => ui::info(&format!(
            "the pending enrollment of {user} had expired (pending-ttl): replaced it"
        )),
        EnrollOutcome::Replaced(s) => ui::warn(&format!(
            "replaced the {s} secret of {user}: their old authenticator entry no longer works"
        )),
    }
    let qr = match qr {
        Some(Ok(qr)) => Some(qr),
        Some(Err(_)) => {
            show_qr::note_too_long(&uri);
            None
        }
        None => None,
    };
    outln!(
        "Enrolled {user}, status pending ({})",
        ui::note("not yet confirmed")
    )?;
    if qr.is_some() {
        // Two lines of text, the code, the prompt: 24 lines for the default enrollment.
        outln!(
            "  secret: {}  (by hand: {}, {} digits, {} s)",
            b32.as_str(),
            params.algorithm(),
            params.digits(),
            params.period()
        )?;
    } else {
        outln!("  otpauth URI: {}", uri.as_str())?;
        outln!("  secret:      {}  (for manual entry)", b32.as_str())?;
        outln!(
            "  issuer {}, {} HMAC, {} digits, every {} s",
            mfactl::names::display_safe(&issuer),
            params.algorithm(),
            params.digits(),
            params.period()
        )?;
    }
    for path in &written {
        outln!("  QR image:    {}", path.display())?;
    }
    if let Some(qr) = &qr {
        // Last before the prompt, so that nothing pushes its top off a small terminal.
        out!("{}", qr.as_str())?;
    }

    let confirmed = ctx.interactive() && offer_confirmation(ctx, &mut store, &user)?;
    if !confirmed {
        outln!(
            "Not confirmed yet. Once {user} has paired their app, confirm with:\n  mfactl verify {}",
            ui::shell_quote(user.as_str())
        )?;
    }
    Ok(ExitCode::Success)
}

/// How many codes the operator may type to confirm the pairing. Each wrong one counts as a
/// failed verification, as `mfactl verify` would count it.
const CONFIRM_TRIES: u32 = 3;

/// Offers to check a first code right away (hidden input, like `mfactl verify`'s prompt). An
/// empty line skips. A wrong code may be typed again, up to [`CONFIRM_TRIES`] in all. Returns
/// whether the pairing was confirmed.
fn offer_confirmation(
    ctx: &Context,
    store: &mut mfactl::store::Store,
    user: &mfactl::model::UserName,
) -> Result<bool> {
    let mut ids = None;
    for attempt in 1..=CONFIRM_TRIES {
        let input = ui::read_hidden("Code from the app to confirm pairing (Enter to skip)")?;
        if input.trim().is_empty() {
            return Ok(false);
        }
        let ids = match &mut ids {
            Some(ids) => ids,
            None => ids.insert(ctx.identities()?),
        };
        let left = CONFIRM_TRIES - attempt;
        match verify::verify_totp(ctx, store, user, &input, ids) {
            Ok(result) => {
                verify::print_human(user, &result)?;
                if result.accepted() {
                    return Ok(true);
                }
                let retry = result.rejected == Some(RejectReason::Invalid) && !result.locked_now;
                if !retry || left == 0 {
                    return Ok(false);
                }
            }
            // Not a code at all (a letter, a digit too many): nothing was recorded.
            Err(e) if is_invalid_input(&e) => {
                outln!("{}: {e:#}", ui::bad("not checked"))?;
                if left == 0 {
                    return Ok(false);
                }
            }
            Err(e) => return Err(e),
        }
        outln!(
            "Try again ({left} {} left), or press Enter to skip",
            if left == 1 { "try" } else { "tries" }
        )?;
    }
    Ok(false)
}

fn is_invalid_input(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<mfactl::Error>(),
        Some(mfactl::Error::InvalidInput { .. })
    )
}

/// Whether opening failed only because there is no store yet (enroll then creates one).
fn is_store_missing(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<mfactl::Error>(),
        Some(mfactl::Error::StoreMissing { .. })
    )
}
