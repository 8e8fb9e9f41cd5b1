//! Cross-checks mfactl against Debian's oathtool, a C implementation sharing no code with it.
//! Part of the normal suite when `oathtool` is on PATH (`.ci/run` installs it); without it each
//! test says "skipped: oathtool not installed" on stderr and passes without checking anything.

mod common;

use std::process::Command;

use common::*;

/// Whether oathtool can be run; when not, says so (visible with `--nocapture`, and in the
/// summary of a failing run).
fn have_oathtool(test: &str) -> bool {
    let found = Command::new("oathtool").arg("--version").output().is_ok();
    if !found {
        eprintln!("{test}: skipped: oathtool not installed (apt-get install oathtool)");
    }
    found
}

fn oathtool(args: &[&str]) -> String {
    let out = Command::new("oathtool")
        .args(args)
        .output()
        .expect("oathtool is installed (apt-get install oathtool)");
    assert!(out.status.success(), "oathtool {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn codes_from_oathtool_are_accepted_for_every_algorithm() {
    if !have_oathtool("codes_from_oathtool_are_accepted_for_every_algorithm") {
        return;
    }
    let env = TestEnv::initialised();
    for (user, alg, digits) in [
        ("a1", "sha1", "6"),
        ("a256", "sha256", "8"),
        ("a512", "sha512", "7"),
    ] {
        let doc = env.enroll(user, &["--algorithm", alg, "--digits", digits]);
        let secret = doc["secret"].as_str().unwrap();
        let flag = format!("--totp={alg}");
        let code = oathtool(&[&flag, "-d", digits, "-s", "30s", "-b", secret]);
        env.cmd()
            .args(["verify", user])
            .write_stdin(code)
            .assert()
            .code(0);
    }
}

#[test]
fn test_oracle_agrees_with_oathtool_at_fixed_times() {
    if !have_oathtool("test_oracle_agrees_with_oathtool_at_fixed_times") {
        return;
    }
    // The tests' own HOTP oracle must agree with oathtool, or every test using it is suspect.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    for t in [59u64, 1_111_111_109, 1_234_567_890, 2_000_000_000] {
        let when = format!("@{t}");
        let expect = oathtool(&[
            "--totp", "-d", "8", "-s", "30s", "--now", &when, "-b", secret,
        ]);
        assert_eq!(totp_at(secret, "SHA1", 8, 30, t), expect, "t={t}");
    }
}
