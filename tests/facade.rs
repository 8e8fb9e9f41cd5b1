//! The library's facade, `mfactl::Mfa`, used as an embedding application would: no binary is
//! run. Each test takes a store on the backend of this run (a SQLite file, or a PostgreSQL
//! database when MFACTL_TEST_PG is set) and checks the outcome against the store read directly
//! and codes computed by the tests' own RFC 6238 implementation.

mod common;

use common::*;
use mfactl::model::{Status, UserFilter};
use mfactl::store::Location;
use mfactl::totp::RejectReason;
use mfactl::vault::{self, Identities};
use mfactl::{EnrollOptions, ExportFormat, ImportFormat, ImportOptions, Mfa, RekeyOptions};

fn location(env: &TestEnv) -> Location {
    Location::parse(std::ffi::OsStr::new(&env.store)).unwrap()
}

/// A new store on this run's backend, its identity generated at `env.identity`.
fn new_store() -> (TestEnv, Mfa) {
    let env = TestEnv::new();
    let ids = vault::generate_identity_file(&env.identity).unwrap();
    let mfa = Mfa::create(&location(&env), ids)
        .unwrap()
        .with_actor("web-app")
        .unwrap();
    (env, mfa)
}

fn load_identity(path: &std::path::Path) -> Identities {
    Identities::load(&vault::IdentitySource::File(path.to_owned()), &mut || {
        panic!("no passphrase expected")
    })
    .unwrap()
}

fn events(env: &TestEnv) -> Vec<String> {
    env.query_strings("SELECT event FROM audit_log ORDER BY id")
}

#[test]
fn enroll_then_the_code_from_the_returned_secret_enables_the_user_once() {
    let (env, mut mfa) = new_store();
    let e = mfa.enroll("alice", &EnrollOptions::new()).unwrap();
    assert_eq!(e.status, Status::Pending);
    let b32 = e.secret.to_base32();
    assert!(e.uri.contains(&format!("secret={}", b32.as_str())));
    // The Debug form shows neither the secret nor the URI.
    let debug = format!("{e:?}");
    assert!(!debug.contains(b32.as_str()), "{debug}");

    let code = totp_now(&b32, "SHA1", 6, 30);
    let first = mfa.verify("alice", &code).unwrap();
    assert!(first.accepted() && first.confirmed, "{first:?}");
    let info = mfa.show("alice").unwrap();
    assert_eq!(info.record.status, Status::Enabled);
    assert!(
        info.record.secret.is_none(),
        "show never hands out the ciphertext"
    );
    // The same audit rows as the CLI writes, under the facade's actor.
    let ev = events(&env);
    assert!(ev.iter().any(|e| e == "enroll"), "{ev:?}");
    assert!(ev.iter().any(|e| e == "confirm"), "{ev:?}");
    let actors = env.query_strings("SELECT DISTINCT actor FROM audit_log WHERE event = 'enroll'");
    assert_eq!(actors, ["web-app"]);
}

#[test]
fn a_replayed_code_is_refused_and_a_wrong_one_counts_as_a_failure() {
    let (_env, mut mfa) = new_store();
    let e = mfa.enroll("bob", &EnrollOptions::new().qr(false)).unwrap();
    assert!(e.qr_svg.is_none());
    let b32 = e.secret.to_base32();
    let (first, replay) = in_one_step(|_| {
        let code = totp_now(&b32, "SHA1", 6, 30);
        (
            mfa.verify("bob", &code).unwrap(),
            mfa.verify("bob", &code).unwrap(),
        )
    });
    assert!(first.accepted() && first.confirmed);
    assert_eq!(replay.rejected, Some(RejectReason::Replayed));
    let wrong = mfa.verify("bob", &wrong_code(&b32)).unwrap();
    assert_eq!(wrong.rejected, Some(RejectReason::Invalid));
    assert_eq!(wrong.failures, 1);
    // Malformed input is an error, and nothing is recorded.
    let err = mfa.verify("bob", "12a456").unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert_eq!(mfa.show("bob").unwrap().record.failures, 1);
}

#[test]
fn a_timed_lockout_is_in_the_verification_result_and_the_record() {
    let (_env, mut mfa) = new_store();
    let e = mfa.enroll("bob", &EnrollOptions::new().qr(false)).unwrap();
    let b32 = e.secret.to_base32();
    let op = mfactl::audit::Op::new("web-app");
    for (key, value) in [("max-failures", "2"), ("lockout", "10m")] {
        mfa.store()
            .set_setting(&op, key.parse().unwrap(), value)
            .unwrap();
    }
    let first = mfa.verify("bob", &wrong_code(&b32)).unwrap();
    assert_eq!((first.locked_now, first.locked_until), (false, None));
    let locking = mfa.verify("bob", &wrong_code(&b32)).unwrap();
    assert!(locking.locked_now);
    // Ten minutes from the verification's own clock reading.
    let until = mfactl::model::Timestamp::from_unix(locking.at.unix() + 600);
    assert_eq!(locking.locked_until, Some(until));
    let locked = mfa.verify("bob", &totp_now(&b32, "SHA1", 6, 30)).unwrap();
    assert_eq!(locked.rejected, Some(RejectReason::Locked));
    assert_eq!(locked.locked_until, Some(until));
    let rec = mfa.show("bob").unwrap().record;
    assert_eq!((rec.locked_until, rec.lockouts), (Some(until), 1));
    assert!(rec.is_locked_at(locking.at));
    assert!(!rec.is_locked_at(until));
    // unlock clears it all.
    assert!(mfa.unlock("bob").unwrap());
    let rec = mfa.show("bob").unwrap().record;
    assert_eq!(
        (rec.locked_at, rec.locked_until, rec.lockouts),
        (None, None, 0)
    );
}

#[test]
fn enrolling_again_needs_force_and_options_are_applied() {
    let (env, mut mfa) = new_store();
    let opts = EnrollOptions::new()
        .algorithm(mfactl::model::Algorithm::Sha256)
        .digits(8)
        .issuer("Example Corp");
    let e = mfa.enroll("carol", &opts).unwrap();
    let err = mfa.enroll("carol", &EnrollOptions::new()).unwrap_err();
    assert_eq!(err.kind(), "already_enrolled");
    let rec = mfa.show("carol").unwrap().record;
    assert_eq!(rec.params.digits(), 8);
    assert_eq!(rec.issuer, "Example Corp");
    // The code of an 8-digit SHA-256 secret, computed independently, is accepted.
    let code = totp_now(&e.secret.to_base32(), "SHA256", 8, 30);
    assert!(mfa.verify("carol", &code).unwrap().accepted());

    let before = env.stored_secret("carol").unwrap();
    let again = mfa
        .enroll("carol", &EnrollOptions::new().force(true))
        .unwrap();
    assert_eq!(
        again.outcome,
        mfactl::store::EnrollOutcome::Replaced(Status::Enabled)
    );
    assert_ne!(env.stored_secret("carol").unwrap(), before);
    // A bad option is refused before anything is stored.
    let err = mfa
        .enroll("dave", &EnrollOptions::new().digits(5))
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert!(mfa.store().user(&"dave".parse_user()).unwrap().is_none());
}

trait ParseUser {
    fn parse_user(&self) -> mfactl::model::UserName;
}

impl ParseUser for str {
    fn parse_user(&self) -> mfactl::model::UserName {
        mfactl::model::UserName::parse(self).unwrap()
    }
}

#[test]
fn the_qr_code_decodes_to_the_uri() {
    let (_env, mut mfa) = new_store();
    let e = mfa.enroll("erin", &EnrollOptions::new()).unwrap();
    let svg = e.qr_svg.as_ref().expect("an SVG QR code");
    assert!(svg.contains("<svg"));
    let png = e.qr_png().unwrap();
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().unwrap();
    assert_eq!(text, e.uri.as_str());
}

#[test]
fn disable_erases_the_secret_and_is_recorded_with_its_reason() {
    let (env, mut mfa) = new_store();
    mfa.enroll("frank", &EnrollOptions::new()).unwrap();
    assert!(env.stored_secret("frank").is_some());
    assert!(mfa.disable("frank", Some("left the company")).unwrap());
    assert!(!mfa.disable("frank", None).unwrap(), "already disabled");
    assert!(env.stored_secret("frank").is_none());
    assert_eq!(mfa.show("frank").unwrap().record.status, Status::Disabled);
    let details =
        env.query_strings("SELECT details FROM audit_log WHERE event = 'disable' ORDER BY id");
    assert_eq!(details.len(), 1);
    assert!(details[0].contains("left the company"), "{details:?}");
    let err = mfa.verify("frank", "123456").unwrap();
    assert_eq!(err.rejected, Some(RejectReason::Disabled));
    assert_eq!(mfa.show("nobody").unwrap_err().kind(), "unknown_user");
}

#[test]
fn list_filters_by_status() {
    let (_env, mut mfa) = new_store();
    let e = mfa.enroll("gina", &EnrollOptions::new()).unwrap();
    mfa.enroll("hank", &EnrollOptions::new()).unwrap();
    let code = totp_now(&e.secret.to_base32(), "SHA1", 6, 30);
    assert!(mfa.verify("gina", &code).unwrap().accepted());
    fn mfa_list(mfa: &mut Mfa, f: UserFilter) -> Vec<String> {
        mfa.list(f)
            .unwrap()
            .into_iter()
            .map(|u| {
                assert!(u.record.secret.is_none());
                u.record.user.as_str().to_owned()
            })
            .collect()
    }
    assert_eq!(mfa_list(&mut mfa, UserFilter::All), ["gina", "hank"]);
    assert_eq!(
        mfa_list(&mut mfa, UserFilter::Status(Status::Enabled)),
        ["gina"]
    );
    assert_eq!(
        mfa_list(&mut mfa, UserFilter::Status(Status::Pending)),
        ["hank"]
    );
}

#[test]
fn recovery_codes_work_once_each_and_a_new_set_voids_the_old() {
    let (env, mut mfa) = new_store();
    let e = mfa.enroll("ivan", &EnrollOptions::new()).unwrap();
    // Only enabled users get recovery codes.
    assert_eq!(
        mfa.recovery_codes("ivan").unwrap_err().kind(),
        "invalid_state"
    );
    let code = totp_now(&e.secret.to_base32(), "SHA1", 6, 30);
    assert!(mfa.verify("ivan", &code).unwrap().accepted());
    let codes = mfa.recovery_codes("ivan").unwrap();
    assert_eq!(codes.len(), 10);
    // Only hashes are stored.
    let stored = env.query_i64("SELECT COUNT(*) FROM recovery_code");
    assert_eq!(stored, 10);
    assert!(mfa
        .verify_recovery("ivan", codes[0].as_str())
        .unwrap()
        .accepted());
    let again = mfa.verify_recovery("ivan", codes[0].as_str()).unwrap();
    assert!(!again.accepted());
    let newer = mfa.recovery_codes_n("ivan", 3).unwrap();
    assert_eq!(newer.len(), 3);
    assert!(!mfa
        .verify_recovery("ivan", codes[1].as_str())
        .unwrap()
        .accepted());
    assert!(mfa
        .verify_recovery("ivan", newer[2].as_str())
        .unwrap()
        .accepted());
    assert_eq!(
        mfa.recovery_codes_n("ivan", 0).unwrap_err().kind(),
        "invalid_input"
    );
}

#[test]
fn export_then_import_into_another_store_keeps_every_secret() {
    let (env, mut mfa) = new_store();
    let a = mfa.enroll("jane", &EnrollOptions::new()).unwrap();
    let code = totp_now(&a.secret.to_base32(), "SHA1", 6, 30);
    assert!(mfa.verify("jane", &code).unwrap().accepted());
    let b = mfa.enroll("kurt", &EnrollOptions::new()).unwrap();
    for format in [ExportFormat::Uri, ExportFormat::Csv, ExportFormat::Json] {
        let export = mfa.export(UserFilter::All, format).unwrap();
        assert_eq!(export.count, 2);
        assert!(!format!("{export:?}").contains(a.secret.to_base32().as_str()));
        let import_format = match format {
            ExportFormat::Uri => ImportFormat::Uri,
            ExportFormat::Csv => ImportFormat::Csv,
            _ => ImportFormat::Json,
        };
        let (_other_env, mut other) = new_store();
        let report = other
            .import(export.text.as_bytes(), import_format, &ImportOptions::new())
            .unwrap();
        assert_eq!((report.imported, report.enabled, report.pending), (2, 1, 1));
        // The imported secret works in the other store; the status came along.
        let code = totp_now(&b.secret.to_base32(), "SHA1", 6, 30);
        let v = other.verify("kurt", &code).unwrap();
        assert!(v.accepted() && v.confirmed);
        assert_eq!(other.show("jane").unwrap().record.status, Status::Enabled);
    }
    let exports = env.query_strings("SELECT details FROM audit_log WHERE event = 'export'");
    assert_eq!(exports.len(), 3);
    assert!(exports
        .iter()
        .all(|d| d.contains("jane") && d.contains("kurt")));
}

#[test]
fn an_import_with_a_problem_imports_nothing_and_the_plan_names_it() {
    let (env, mut mfa) = new_store();
    mfa.enroll("lena", &EnrollOptions::new()).unwrap();
    let text = "otpauth://totp/X:mike?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=X\n\
                otpauth://totp/X:lena?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=X\n";
    let err = mfa
        .import(text.as_bytes(), ImportFormat::Uri, &ImportOptions::new())
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert!(mfa.store().user(&"mike".parse_user()).unwrap().is_none());
    let plan = mfa
        .plan_import(text, ImportFormat::Uri, &ImportOptions::new())
        .unwrap();
    assert_eq!(plan.problems().len(), 1);
    assert_eq!(plan.problems()[0].0, 2);
    assert!(plan.problems()[0].1.contains("already pending"), "{plan:?}");
    // A dry run stores nothing.
    let ok = "otpauth://totp/X:mike?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=X\n";
    let report = mfa
        .import(
            ok.as_bytes(),
            ImportFormat::Uri,
            &ImportOptions::new().dry_run(true),
        )
        .unwrap();
    assert_eq!((report.valid, report.imported), (1, 0));
    assert!(mfa.store().user(&"mike".parse_user()).unwrap().is_none());
    assert!(!events(&env).iter().any(|e| e == "import"));
}

#[test]
fn rekey_to_a_new_identity_leaves_the_old_one_unable_to_read() {
    let (env, mut mfa) = new_store();
    let e = mfa.enroll("nina", &EnrollOptions::new()).unwrap();
    let new_path = env.dir.path().join("new-identity.txt");
    let new_ids = vault::generate_identity_file(&new_path).unwrap();
    let new_keys = new_ids.recipients();
    // A key nobody here holds is refused, and nothing changes.
    let stranger = vault::Identities::from_key(age::x25519::Identity::generate(), "x".into());
    let err = mfa
        .rekey(&stranger.recipients(), &RekeyOptions::new())
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    let before = env.stored_secret("nina").unwrap();

    let report = mfa
        .rekey(&new_keys, &RekeyOptions::new().skip_identity_check(true))
        .unwrap();
    assert_eq!(report.secrets, 1);
    assert_eq!(env.stored_recipients(), [new_keys[0].to_string()]);
    let after = env.stored_secret("nina").unwrap();
    assert_ne!(before, after);
    // Decrypted with the age crate directly: the new key reads it, the old does not.
    let new_key = load_identity(&new_path);
    let old_key = load_identity(&env.identity);
    assert_eq!(
        new_key.decrypt_secret(&after).unwrap().to_base32(),
        e.secret.to_base32()
    );
    assert!(old_key.decrypt_secret(&after).is_none());
    // With the old identity the facade can no longer verify; with the new one it can.
    let code = totp_now(&e.secret.to_base32(), "SHA1", 6, 30);
    assert_eq!(mfa.verify("nina", &code).unwrap_err().kind(), "decrypt");
    mfa.set_identities(new_key);
    assert!(mfa.verify("nina", &code).unwrap().accepted());
    assert!(events(&env).iter().any(|e| e == "rekey"));
}

#[test]
fn jobs_that_decrypt_need_an_identity_and_open_needs_a_store() {
    let (env, mfa) = new_store();
    let mut bare = Mfa::from_store(mfa.into_store());
    bare.enroll("olga", &EnrollOptions::new()).unwrap();
    assert_eq!(
        bare.verify("olga", "123456").unwrap_err().kind(),
        "identity"
    );
    assert_eq!(
        bare.export(UserFilter::All, ExportFormat::Uri)
            .unwrap_err()
            .kind(),
        "identity"
    );
    // Without an identity nothing was recorded for the attempted export.
    assert!(!events(&env).iter().any(|e| e == "export"));
    let missing = TestEnv::new();
    let ids = vault::generate_identity_file(&missing.identity).unwrap();
    assert_eq!(
        Mfa::open(&location(&missing), ids).unwrap_err().kind(),
        "store_missing"
    );
    // Opening the existing store finds the user.
    let mut again = Mfa::open(&location(&env), load_identity(&env.identity)).unwrap();
    assert_eq!(again.show("olga").unwrap().record.status, Status::Pending);
    assert_eq!(
        Mfa::from_store(again.into_store())
            .with_actor("")
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
}

#[test]
fn the_facade_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Mfa>();
    let (_env, mfa) = new_store();
    let shared = std::sync::Arc::new(std::sync::Mutex::new(mfa));
    let other = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || {
        let mut mfa = other.lock().unwrap();
        mfa.enroll("pia", &EnrollOptions::new()).unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(
        shared.lock().unwrap().show("pia").unwrap().record.status,
        Status::Pending
    );
}

#[test]
fn a_pairing_is_shown_again_for_pending_users_and_audited() {
    let (env, mut mfa) = new_store();
    let e = mfa.enroll("quinn", &EnrollOptions::new()).unwrap();
    let p = mfa.pairing("quinn", false).unwrap();
    assert_eq!(p.uri.as_str(), e.uri.as_str());
    assert!(!format!("{p:?}").contains(e.secret.to_base32().as_str()));
    let code = totp_now(&e.secret.to_base32(), "SHA1", 6, 30);
    assert!(mfa.verify("quinn", &code).unwrap().accepted());
    // Enabled: a live secret, only with force.
    assert_eq!(
        mfa.pairing("quinn", false).unwrap_err().kind(),
        "needs_force"
    );
    assert_eq!(
        mfa.check_pairing("quinn", false).unwrap_err().kind(),
        "needs_force"
    );
    assert_eq!(mfa.pairing("quinn", true).unwrap().status, Status::Enabled);
    // A failing hook records nothing.
    let err = mfa
        .pairing_with("quinn", true, |_| -> mfactl::Result<()> {
            Err(mfactl::Error::invalid("test", "refused"))
        })
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    let shown = env.query_i64("SELECT COUNT(*) FROM audit_log WHERE event = 'show-qr'");
    assert_eq!(shown, 2);
}
