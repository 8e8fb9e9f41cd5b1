//! Cross-checks mfactl against Debian's oathtool, a C implementation sharing no code with it.
//! Ignored by default (oathtool is not on every machine); `.ci/run` installs it and runs these.

mod common;

use std::process::Command;

use common::*;

fn oathtool(args: &[&str]) -> String {
    let out = Command::new("oathtool")
        .args(args)
        .output()
        .expect("oathtool is installed (apt-get install oathtool)");
    assert!(out.status.success(), "oathtool {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
#[ignore = "needs oathtool; .ci/run installs it and runs this"]
fn codes_from_oathtool_are_accepted_for_every_algorithm() {
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
#[ignore = "needs oathtool; .ci/run installs it and runs this"]
fn test_oracle_agrees_with_oathtool_at_fixed_times() {
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
