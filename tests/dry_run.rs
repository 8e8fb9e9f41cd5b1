//! `disable --dry-run` and `rekey --dry-run`: they say what would change and write nothing,
//! which the tests prove by reading the store directly before and after (every row of every
//! table, the audit log included), on either backend.

mod common;

use common::*;
use serde_json::Value;

fn json(out: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&out.get_output().stdout).expect("one JSON document")
}

#[test]
fn disable_dry_run_says_what_would_change_and_writes_nothing() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    env.enroll("bob", &[]);
    let before = env.snapshot();

    // No --yes needed, no terminal needed: nothing is done.
    let out = env
        .cmd()
        .args(["disable", "alice", "--dry-run"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("Would disable MFA for alice (now enabled)"),
        "{text}"
    );
    assert!(text.contains("Nothing changed"), "{text}");
    let out = env
        .cmd()
        .args(["--json", "disable", "bob", "--dry-run", "--reason", "T-1"])
        .assert()
        .success();
    let doc = json(&out);
    assert_eq!(doc["user"], "bob");
    assert_eq!(doc["status"], "pending");
    assert_eq!(doc["would_change"], true);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(env.snapshot(), before, "a dry run changed the store");
    assert!(env.stored_secret("alice").is_some());

    // Already disabled: nothing would change.
    env.cmd()
        .args(["disable", "bob", "--yes"])
        .assert()
        .success();
    let before = env.snapshot();
    let out = env
        .cmd()
        .args(["--json", "disable", "bob", "--dry-run"])
        .assert()
        .success();
    let doc = json(&out);
    assert_eq!(doc["status"], "disabled");
    assert_eq!(doc["would_change"], false);
    assert_eq!(env.snapshot(), before);

    // An unknown user is still an error.
    env.cmd()
        .args(["disable", "nobody", "--dry-run"])
        .assert()
        .code(2);
}

#[test]
fn rekey_dry_run_decrypts_everything_and_writes_nothing() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    env.enroll("bob", &[]);
    let own = env.stored_recipients();
    let extra = age::x25519::Identity::generate().to_public().to_string();
    let new_identity = env.dir.path().join("new-identity.txt");
    let before = env.snapshot();

    let out = env
        .cmd()
        .args([
            "--json",
            "rekey",
            "--dry-run",
            "-r",
            &extra,
            "--new-identity",
        ])
        .arg(&new_identity)
        .assert()
        .success();
    let doc = json(&out);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["secrets"], 2);
    assert_eq!(doc["recipients"], serde_json::json!([extra]));
    assert_eq!(doc["removed_recipients"], serde_json::json!(own));
    assert_eq!(
        doc["new_identity"],
        new_identity.display().to_string().as_str()
    );
    assert!(!new_identity.exists(), "a dry run generated an identity");
    assert_eq!(env.snapshot(), before, "a dry run changed the store");

    let out = env
        .cmd()
        .args(["rekey", "--dry-run", "-r", &own[0], "-r", &extra])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("Would re-encrypt 2 secrets"), "{text}");
    assert!(
        text.contains(&extra) && !text.contains("Would remove"),
        "{text}"
    );
    assert!(text.contains("Nothing changed"), "{text}");
    assert_eq!(env.snapshot(), before);

    // A secret the identity cannot read: the dry run fails as the rekey would, still writing
    // nothing.
    let blob = age::encrypt(
        &age::x25519::Identity::generate().to_public(),
        b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    )
    .unwrap();
    env.set_stored_secret("bob", &blob);
    let before = env.snapshot();
    let out = env
        .cmd()
        .args(["--json", "rekey", "--dry-run", "-r", &own[0]])
        .assert()
        .code(2);
    assert_eq!(json(&out)["error"]["kind"], "decrypt");
    assert_eq!(env.snapshot(), before);

    // The identity check still applies: a key nobody here holds is refused.
    env.cmd()
        .args(["rekey", "--dry-run", "-r", &extra])
        .assert()
        .code(2);
}
