//! `mfactl enroll`: a fresh secret, stored encrypted, shown once for pairing.

use anyhow::Result;
use mfactl::model::Status;
use mfactl::store::EnrollOutcome;
use mfactl::totp::RejectReason;
use mfactl::{EnrollOptions, Mfa};
use zeroize::Zeroizing;

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
    /// The token's label (`default` without `--label`).
    token: &'a str,
}

pub fn run(ctx: &Context, args: EnrollArgs) -> Result<ExitCode> {
    let user = parse_user(&args.user)?;
    let mut options = EnrollOptions::new()
        .force(args.force)
        .allow_similar(args.allow_similar);
    if let Some(label) = &args.label {
        options = options.label(label.parse()?);
    }
    options.issuer = args.issuer.clone();
    options.algorithm = args.algorithm.map(Into::into);
    options.digits = args.digits;
    options.period = args.period;
    // Checked before anything is created: a bad flag must not bootstrap a store.
    options.check()?;
    show_qr::check_qr_targets(&args.files)?;
    // Recipients and the bundle's target are checked before a store is created or changed.
    let seal = seal::Plan::from_args(ctx, &args.seal, &parse_user(&args.user)?)?;

    // A bad name must not bootstrap a store: a new name's rules are checked before creating
    // one (and again when the enrollment is prepared, and under the store's lock).
    let mut mfa = match ctx.open_store() {
        Ok(store) => ctx.mfa_over(store)?,
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
            ctx.mfa_over(created.store)?
        }
        Err(e) => return Err(e),
    };

    // A refusal the store would give anyway (already enrolled) comes before any file is
    // written.
    let prepared = mfa.prepare_enroll(&user, &options)?;
    if let Some((name, Status::Enabled)) = prepared.replaces() {
        super::confirm_on_terminal(
            ctx,
            args.yes,
            &format!(
                "{name} has MFA enabled: a new secret makes their authenticator entry useless."
            ),
            super::Typed::User(name),
            &format!("replacing the secret of {name}"),
        )?;
    }
    let uri = Zeroizing::new(prepared.uri().to_owned());
    if let Some(plan) = seal {
        let ttl = mfa.store().settings()?.pending_ttl();
        let expires_at = ttl.map(|t| t.after(ctx.op().now));
        return plan.run(ctx, &mut mfa, prepared, expires_at);
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
    let enrolled = mfa.commit_enroll(prepared)?;
    // --force replaced a secret: its old ciphertext may linger in the -wal (warned on stderr).
    let _ = super::report_scrub(mfa.store());
    let written = show_qr::commit_files(pending)?;
    let (params, issuer, outcome) = (enrolled.params, &enrolled.issuer, enrolled.outcome);

    let b32 = enrolled.secret.to_base32();
    if ctx.json() {
        ctx.print_json(&EnrollOutput {
            user: &user,
            status: Status::Pending,
            issuer,
            algorithm: params.algorithm(),
            digits: params.digits(),
            period: params.period(),
            otpauth_uri: &uri,
            secret: &b32,
            token: args
                .label
                .as_deref()
                .unwrap_or(mfactl::model::TokenLabel::DEFAULT),
        })?;
        return Ok(ExitCode::Success);
    }

    // A labelled token is named (the label is validated: nothing to escape).
    let who = match args.label.as_deref() {
        Some(label) if label != mfactl::model::TokenLabel::DEFAULT => {
            format!("the token {label} of {user}")
        }
        _ => user.to_string(),
    };
    match outcome {
        EnrollOutcome::New => {}
        EnrollOutcome::Reenrolled => ui::info(&format!("{who} was disabled; enrolled again")),
        EnrollOutcome::Replaced(Status::Pending) if !args.force => ui::info(&format!(
            "the pending enrollment of {who} had expired (pending-ttl): replaced it"
        )),
        EnrollOutcome::Replaced(s) => ui::warn(&format!(
            "replaced the {s} secret of {who}: their old authenticator entry no longer works"
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
            mfactl::names::display_safe(issuer),
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

    let confirmed = ctx.interactive() && offer_confirmation(ctx, &mut mfa, &user)?;
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
    mfa: &mut Mfa,
    user: &mfactl::model::UserName,
) -> Result<bool> {
    for attempt in 1..=CONFIRM_TRIES {
        let input = ui::read_hidden("Code from the app to confirm pairing (Enter to skip)")?;
        if input.trim().is_empty() {
            return Ok(false);
        }
        if !mfa.has_identities() {
            mfa.set_identities(ctx.identities()?);
        }
        let left = CONFIRM_TRIES - attempt;
        match mfa.verify(user, &input) {
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
            Err(e @ mfactl::Error::InvalidInput { .. }) => {
                outln!("{}: {e:#}", ui::bad("not checked"))?;
                if left == 0 {
                    return Ok(false);
                }
            }
            Err(e) => return Err(e.into()),
        }
        outln!(
            "Try again ({left} {} left), or press Enter to skip",
            if left == 1 { "try" } else { "tries" }
        )?;
    }
    Ok(false)
}

/// Whether opening failed only because there is no store yet (enroll then creates one).
fn is_store_missing(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<mfactl::Error>(),
        Some(mfactl::Error::StoreMissing { .. })
    )
}
