//! Properties of the library, over generated inputs: the verification window against an
//! independent RFC 4226 oracle, otpauth URIs that round-trip, parsers that never panic on
//! outside input, and `Debug` output that never shows a secret.

mod common;

use mfactl::model::{validate_issuer, Algorithm, TotpParams, UserName};
use mfactl::recovery::{self, RecoveryCode};
use mfactl::settings::{SettingKey, Settings};
use mfactl::totp::{
    code_for_step, matching_steps, otpauth_uri, parse_otpauth_uri, Code, TotpSecret,
};
use mfactl::vault::{Identities, IdentitySource};
use proptest::prelude::*;
use zeroize::Zeroizing;

use common::hotp;

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

fn params() -> impl Strategy<Value = TotpParams> {
    (algorithm(), 6u8..=8, 10u32..=300).prop_map(|(a, d, p)| TotpParams::new(a, d, p).unwrap())
}

fn secret_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 16..=80)
}

/// Text a user might paste or an attacker might send: any Unicode, or any bytes read as
/// UTF-8 lossily, or short strings over the characters parsers care about.
fn outside_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "[0-9a-zA-Z =:%&?#/+\\-_.~\t\n\u{0}\u{7f}\u{a0}\u{200b}\u{ff11}]{0,40}",
    ]
}

/// Valid user names and issuers, leaning on characters that need escaping in a URI.
fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,40}",
        "[a-zA-Z0-9 %?&#/+=@.~_\\-]{1,30}",
        "[a-z]{1,8}@[a-z]{1,8}\\.(com|org)",
    ]
    .prop_filter("a valid name", |s| {
        UserName::parse(s).is_ok() && validate_issuer(s).is_ok()
    })
}

fn alg_name(a: Algorithm) -> &'static str {
    a.as_str()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The code for a step verifies when "now" is that step or up to `skew` steps either side,
    /// and not `skew + 1` steps away; at every "now", `matching_steps` reports exactly the
    /// steps of the window whose code (by the independent HOTP oracle) is this one.
    #[test]
    fn a_step_code_verifies_within_skew_and_not_beyond(
        secret in secret_bytes(),
        p in params(),
        step in 11u64..(1u64 << 33),
        skew in 0u8..=10,
        offset in any::<u32>(),
    ) {
        let s = TotpSecret::from_bytes(secret.clone());
        let digits = u32::from(p.digits());
        let alg = alg_name(p.algorithm());
        let code = code_for_step(&s, &p, step).unwrap();
        prop_assert_eq!(code.as_str(), hotp(&secret, step, digits, alg));
        let skew_i = i64::from(skew);
        for k in -(skew_i + 1)..=(skew_i + 1) {
            let now_step = (step as i64 + k) as u64;
            // Any second inside that step.
            let t = now_step * u64::from(p.period()) + u64::from(offset % p.period());
            let found = matching_steps(&s, &p, &code, t, skew).unwrap();
            let lo = now_step.saturating_sub(u64::from(skew));
            let expected: Vec<u64> = (lo..=now_step + u64::from(skew))
                .rev()
                .filter(|&st| hotp(&secret, st, digits, alg) == code.as_str())
                .collect();
            prop_assert_eq!(&found, &expected, "now = step {}{:+}", step, k);
            prop_assert_eq!(found.contains(&step), k.abs() <= skew_i, "offset {}", k);
        }
    }

    /// A code typed with spaces and surrounding whitespace is the same code.
    #[test]
    fn spaced_codes_parse_to_the_same_digits(
        secret in secret_bytes(), p in params(), step in 0u64..(1u64 << 33),
    ) {
        let code = code_for_step(&TotpSecret::from_bytes(secret), &p, step).unwrap();
        let digits = code.as_str();
        let (a, b) = digits.split_at(3);
        let typed = format!("  {a} {b}\n");
        let parsed = Code::parse(&typed, p.digits()).unwrap();
        prop_assert_eq!(parsed.as_str(), code.as_str());
        prop_assert!(Code::parse(digits, p.digits() + 1).is_err());
    }

    /// Build then parse gives back the same user, issuer, parameters and secret.
    #[test]
    fn otpauth_uris_round_trip(
        secret in secret_bytes(), p in params(), user in label(), issuer in label(),
    ) {
        let s = TotpSecret::from_bytes(secret.clone());
        let u = UserName::parse(&user).unwrap();
        let uri = otpauth_uri(&s, &p, &issuer, &u);
        let parsed = parse_otpauth_uri(&uri)
            .unwrap_or_else(|e| panic!("{uri:?} does not parse: {e}"));
        prop_assert_eq!(&parsed.user, &u);
        prop_assert_eq!(parsed.issuer.as_deref(), Some(issuer.as_str()));
        prop_assert_eq!(parsed.params, p);
        prop_assert_eq!(parsed.secret.as_bytes(), &secret[..]);
    }

    /// A URI that is refused never echoes its secret in the error.
    #[test]
    fn otpauth_errors_never_echo_the_secret(
        secret in secret_bytes(), p in params(), user in label(),
        damage in prop_oneof![
            Just(("digits=", "digits=9&x=")),
            Just(("period=", "period=abc&x=")),
            Just(("algorithm=", "algorithm=MD5&x=")),
            Just(("otpauth://totp/", "otpauth://hotp/")),
            Just(("otpauth://totp/", "otpauth://totp/a:b:")),
        ],
    ) {
        let s = TotpSecret::from_bytes(secret);
        let uri = otpauth_uri(&s, &p, "Acme", &UserName::parse(&user).unwrap());
        let broken = uri.replacen(damage.0, damage.1, 1);
        prop_assert_ne!(&broken, uri.as_str(), "the damage was not applied");
        // Every damage above breaks a rule: a URI that is accepted anyway would make this
        // test check nothing, so that is a failure too.
        match parse_otpauth_uri(&broken) {
            Ok(_) => prop_assert!(false, "a damaged URI was accepted ({} -> {})", damage.0, damage.1),
            Err(e) => {
                let b32 = s.to_base32();
                prop_assert!(!e.to_string().contains(b32.as_str()), "{}", e);
                let dbg = format!("{e:?}");
                prop_assert!(!dbg.contains(b32.as_str()), "{}", dbg);
            }
        }
    }

    /// Every parser that reads outside input returns (Ok or Err); none panics.
    #[test]
    fn parsers_never_panic(text in outside_text(), digits in any::<u8>()) {
        let _ = Code::parse(&text, digits);
        if let Ok(c) = Code::parse(&text, digits) {
            prop_assert_eq!(c.as_str().len(), usize::from(digits));
            prop_assert!(c.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
        if let Ok(u) = UserName::parse(&text) {
            prop_assert!(!u.as_str().is_empty() && u.as_str().len() <= UserName::MAX_LEN);
            prop_assert!(!u.as_str().contains(':'));
            prop_assert!(!u.as_str().chars().any(char::is_control));
        }
        let _ = parse_otpauth_uri(&text);
        let _ = parse_otpauth_uri(&format!("otpauth://totp/{text}"));
        let _ = parse_otpauth_uri(&format!("otpauth://totp/a:b?secret={text}"));
        if let Ok(s) = TotpSecret::from_base32(&text) {
            prop_assert!(s.as_bytes().len() >= TotpSecret::MIN_LEN);
            let again = TotpSecret::from_base32(&s.to_base32()).unwrap();
            prop_assert_eq!(again.as_bytes(), s.as_bytes());
        }
        if let Ok(c) = recovery::TypedCode::parse(&text) {
            prop_assert!(!c.matches(&[0u8; 32]));
        }
        for key in SettingKey::ALL {
            let mut settings = Settings::default();
            match settings.set(key, &text) {
                // A refused value changes nothing.
                Err(_) => prop_assert_eq!(&settings, &Settings::default()),
                // An accepted one reads back as a value that is itself accepted, unchanged.
                Ok(()) => {
                    let shown = settings.get(key);
                    let mut again = settings.clone();
                    again.set(key, &shown).unwrap();
                    prop_assert_eq!(&again, &settings);
                }
            }
        }
    }

    /// otpauth URIs with every parameter drawn from outside text.
    #[test]
    fn structured_otpauth_garbage_never_panics(
        label in outside_text(),
        secret in prop_oneof![outside_text(), "[A-Z2-7]{0,120}"],
        issuer in outside_text(),
        algorithm in prop_oneof![outside_text(), Just("SHA256".to_owned())],
        digits in prop_oneof![outside_text(), (0u64..100).prop_map(|n| n.to_string())],
        period in prop_oneof![
            outside_text(),
            any::<u64>().prop_map(|n| n.to_string()),
            Just("0".to_owned()),
        ],
    ) {
        let uri = format!(
            "otpauth://totp/{label}?secret={secret}&issuer={issuer}&algorithm={algorithm}\
             &digits={digits}&period={period}"
        );
        if let Ok(parsed) = parse_otpauth_uri(&uri) {
            // Whatever is accepted is within mfactl's rules.
            prop_assert!(TotpParams::DIGITS.contains(&parsed.params.digits()));
            prop_assert!(TotpParams::PERIOD.contains(&parsed.params.period()));
            // Legacy short secrets are read (import refuses them without a flag); never less.
            prop_assert!(parsed.secret.as_bytes().len() >= TotpSecret::LEGACY_MIN_LEN);
            prop_assert_eq!(
                parsed.secret.is_short(),
                parsed.secret.as_bytes().len() < TotpSecret::MIN_LEN
            );
        }
    }

    /// Debug of a secret, a code and a parsed URI never shows the secret or the digits.
    #[test]
    fn debug_never_shows_secrets(secret in secret_bytes(), p in params(), step in any::<u32>()) {
        let s = TotpSecret::from_bytes(secret.clone());
        let b32 = s.to_base32();
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let dbg = format!("{s:?} {s:#?}");
        prop_assert!(!dbg.contains(b32.as_str()) && !dbg.contains(&b32[..8]), "{}", dbg);
        prop_assert!(!dbg.contains(&hex[..16]), "{}", dbg);
        prop_assert!(!dbg.contains(&format!("{:?}", &secret[..4])[1..8]), "{}", dbg);

        let code = code_for_step(&s, &p, u64::from(step)).unwrap();
        let dbg = format!("{code:?} {code:#?}");
        prop_assert!(!dbg.contains(code.as_str()), "{}", dbg);

        let user = UserName::parse("alice").unwrap();
        let parsed = parse_otpauth_uri(&otpauth_uri(&s, &p, "Acme", &user)).unwrap();
        let dbg = format!("{parsed:?}");
        prop_assert!(!dbg.contains(b32.as_str()) && !dbg.contains(&b32[..8]), "{}", dbg);
    }
}

#[test]
fn debug_of_recovery_codes_never_shows_them() {
    for _ in 0..32 {
        let code = RecoveryCode::generate().unwrap();
        let dbg = format!("{code:?} {code:#?}");
        for group in code.as_str().split('-') {
            assert!(!dbg.contains(group), "{dbg}");
        }
    }
}

#[test]
fn debug_of_identities_and_their_source_never_shows_the_key() {
    use age::secrecy::ExposeSecret;
    let key = age::x25519::Identity::generate();
    let text = key.to_string().expose_secret().to_owned();
    let payload = &text["AGE-SECRET-KEY-1".len()..];
    let source = IdentitySource::Env(Zeroizing::new(format!("{text}\n")));
    let ids = Identities::load(&source, &mut || unreachable!("not passphrase-protected")).unwrap();
    for dbg in [
        format!("{ids:?}"),
        format!("{ids:#?}"),
        format!("{source:?}"),
        format!("{source:#?}"),
    ] {
        assert!(!dbg.contains(&payload[..10]), "{dbg}");
        assert!(!dbg.to_ascii_uppercase().contains(&payload[..10]), "{dbg}");
    }
    // From a file as well.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identity.txt");
    std::fs::write(&path, format!("# a comment\n{text}\n")).unwrap();
    let ids = Identities::load(&IdentitySource::File(path), &mut || unreachable!()).unwrap();
    assert!(!format!("{ids:?}").contains(&payload[..10]));
    assert_eq!(ids.recipients()[0].to_string(), key.to_public().to_string());
}
