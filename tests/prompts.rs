//! The interactive paths, driven through a pseudo-terminal (rexpect): the typed confirmations
//! of disable, `enroll --force`, recovery-codes and rekey; enroll's confirmation offer with its
//! hidden code, retries and hint; verify's hidden code prompt; the passphrase prompt; and
//! `--json` on a terminal, which never prompts. The test makes the terminal, so these run with
//! no stdin at all (`cargo test </dev/null`).
//!
//! rexpect turns the terminal's echo off; every command here runs through `sh -c 'stty echo;
//! ...'` so that the terminal echoes what is typed, as a person's terminal does: whatever is
//! hidden, mfactl hid. The timeout only detects a hang; every step waits for text.

mod common;

use age::secrecy::{ExposeSecret, SecretString};
use common::*;
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;

/// Fails a step that waits this long (a hang), never a synchronisation.
const TIMEOUT_MS: u64 = 20_000;

/// `mfactl ARGS` on a fresh 80x24 terminal that echoes, then (for [`leftover`]) a shell that
/// reports mfactl's exit status and reads one more line from the same terminal.
fn spawn(env: &TestEnv, args: &[&str]) -> PtySession {
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(
            "stty echo cols 80 rows 24; \"$0\" \"$@\"; echo \"[exit $?]\"; \
             IFS= read -r rest; echo \"[leftover <$rest>]\"",
        )
        .arg(assert_cmd::cargo::cargo_bin("mfactl"))
        .args(args)
        .env_clear()
        .envs(env.env_vars())
        .current_dir(env.dir.path());
    rexpect::session::spawn_command(c, Some(TIMEOUT_MS)).expect("spawn mfactl on a pty")
}

/// Waits for `text` (ASCII); returns what came before it, decoded as UTF-8 (rexpect hands
/// over each byte as a char), with terminal line ends as `\n`.
fn expect(p: &mut PtySession, text: &str) -> String {
    let raw = p
        .exp_string(text)
        .unwrap_or_else(|e| panic!("waiting for {text:?}: {e}"));
    let bytes: Vec<u8> = raw.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8(bytes)
        .expect("UTF-8 output")
        .replace("\r\n", "\n")
}

/// Waits for mfactl to exit; returns its exit status and what it printed since the last
/// [`expect`]. Then checks that it left nothing typed for the shell: the next line the shell
/// reads is the one sent after mfactl exited.
fn finish(p: &mut PtySession) -> (i32, String) {
    let before = expect(p, "[exit ");
    let code: i32 = expect(p, "]").trim().parse().expect("an exit status");
    p.send_line("END").unwrap();
    expect(p, "[leftover <");
    let rest = expect(p, ">]");
    assert_eq!(rest, "END", "mfactl left typed input for the shell to read");
    p.exp_eof().unwrap();
    assert!(matches!(p.process().wait(), Ok(WaitStatus::Exited(_, 0))));
    (code, before)
}

fn status_of(env: &TestEnv, user: &str) -> String {
    env.query_strings(&format!(
        "SELECT status FROM %USER_TOKENS% WHERE %USER% = '{user}'"
    ))[0]
        .clone()
}

const TYPE_NAME: &str = "Type the user's name to confirm (Enter cancels): ";

/// Every line of a prompt (up to and including the prompt itself) fits 80 columns.
fn assert_fits_80(text: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line:?}",
            line.chars().count()
        );
    }
}

#[test]
fn disable_asks_for_the_users_name_and_only_the_name_disables() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let before = env.snapshot();

    // `yes` is not the name: nothing changes, and no letter of it reaches the shell (the
    // old prompt took the `y` and left `es` for the shell to run).
    for typed in ["yes", "y", "bob", "", "alic"] {
        let mut p = spawn(&env, &["disable", "alice"]);
        let prompt = expect(&mut p, TYPE_NAME);
        assert!(prompt.contains("disables MFA for alice"), "{prompt}");
        assert_fits_80(&format!("{prompt}{TYPE_NAME}"));
        assert_eq!(
            prompt.matches("disables MFA").count(),
            1,
            "prompt drawn twice: {prompt}"
        );
        p.send_line(typed).unwrap();
        let (code, out) = finish(&mut p);
        assert_eq!(code, 2, "{typed:?}: {out}");
        assert!(out.contains("was not confirmed; nothing changed"), "{out}");
        assert_eq!(env.snapshot(), before, "{typed:?} changed the store");
    }

    let mut p = spawn(&env, &["disable", "alice"]);
    expect(&mut p, TYPE_NAME);
    p.send_line("alice").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Disabled MFA for alice"), "{out}");
    assert_eq!(status_of(&env, "alice"), "disabled");
    assert_eq!(env.stored_secret("alice"), None);
}

#[test]
fn disable_with_yes_on_a_terminal_does_not_ask() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let mut p = spawn(&env, &["disable", "alice", "--yes"]);
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("Type "), "{out}");
    assert_eq!(status_of(&env, "alice"), "disabled");
}

#[test]
fn enroll_force_of_an_enabled_user_asks_for_the_name() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let old = env.stored_secret("alice");
    let before = env.snapshot();

    let mut p = spawn(&env, &["enroll", "alice", "--force"]);
    let prompt = expect(&mut p, TYPE_NAME);
    assert!(prompt.contains("alice has MFA enabled"), "{prompt}");
    assert_fits_80(&format!("{prompt}{TYPE_NAME}"));
    p.send_line("yes").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert_eq!(env.snapshot(), before);

    let mut p = spawn(&env, &["enroll", "alice", "--force"]);
    expect(&mut p, TYPE_NAME);
    p.send_line("alice").unwrap();
    // Then the usual confirmation offer, skipped.
    expect(&mut p, "(Enter to skip): ");
    p.send_line("").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert_ne!(
        env.stored_secret("alice"),
        old,
        "the secret was not replaced"
    );
    assert_eq!(status_of(&env, "alice"), "pending");

    // A pending user is replaced without the question (nothing live is lost), and --yes skips it.
    for args in [&["enroll", "alice", "--force"][..], &["enroll", "bob"]] {
        let mut p = spawn(&env, args);
        let before_prompt = expect(&mut p, "(Enter to skip): ");
        assert!(
            !before_prompt.contains("Type "),
            "{args:?}: {before_prompt}"
        );
        p.send_line("").unwrap();
        assert_eq!(finish(&mut p).0, 0);
    }
    env.enroll_enabled("carol");
    let mut p = spawn(&env, &["enroll", "carol", "--force", "--yes"]);
    let before_prompt = expect(&mut p, "(Enter to skip): ");
    assert!(!before_prompt.contains("Type "), "{before_prompt}");
    p.send_line("").unwrap();
    assert_eq!(finish(&mut p).0, 0);
    assert_eq!(status_of(&env, "carol"), "pending");
}

#[test]
fn recovery_codes_ask_for_the_name_only_when_codes_would_be_voided() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    // No codes yet: nothing to lose, no question.
    let mut p = spawn(&env, &["recovery-codes", "alice", "--count", "3"]);
    let (code, first) = finish(&mut p);
    assert_eq!(code, 0, "{first}");
    assert!(!first.contains("Type "), "{first}");
    assert_eq!(env.direct().count("recovery_code"), 3);
    let before = env.snapshot();

    let mut p = spawn(&env, &["recovery-codes", "alice"]);
    let prompt = expect(&mut p, TYPE_NAME);
    assert!(
        prompt.contains("alice has 3 unused recovery codes"),
        "{prompt}"
    );
    p.send_line("y").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert_eq!(env.snapshot(), before, "the old codes were touched");

    let mut p = spawn(&env, &["recovery-codes", "alice", "--count", "4"]);
    expect(&mut p, TYPE_NAME);
    p.send_line("alice").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Recovery codes for alice"), "{out}");
    assert_ne!(env.snapshot(), before);
}

#[test]
fn rekey_asks_for_the_word_rekey() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    let own = env.stored_recipients();
    let extra = age::x25519::Identity::generate().to_public().to_string();
    let before = env.snapshot();
    let args = ["rekey", "-r", own[0].as_str(), "-r", extra.as_str()];

    let mut p = spawn(&env, &args);
    let prompt = expect(&mut p, "Type 'rekey' to confirm (Enter cancels): ");
    assert!(prompt.contains("re-encrypts 1 secret to"), "{prompt}");
    assert_fits_80(&prompt);
    p.send_line("yes").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert_eq!(env.snapshot(), before);

    let mut p = spawn(&env, &args);
    expect(&mut p, "Type 'rekey' to confirm (Enter cancels): ");
    p.send_line("rekey").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    let mut expected = vec![own[0].clone(), extra];
    expected.sort();
    assert_eq!(env.stored_recipients(), expected);
}

/// The secret from enroll's text output (`secret: BASE32 ...`).
fn printed_secret(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("secret:"))
        .expect("a secret line")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

const CODE_PROMPT: &str = "Code from the app to confirm pairing (Enter to skip): ";

#[test]
fn default_enrollment_with_its_prompt_fits_80x24_and_the_qr_code_scans() {
    let env = TestEnv::initialised();
    let mut p = spawn(&env, &["enroll", "alice@example.com"]);
    let screen = expect(&mut p, CODE_PROMPT);
    let screen = format!("{screen}{CODE_PROMPT}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines.len() <= 24,
        "{} lines on a 24-line terminal:\n{screen}",
        lines.len()
    );
    assert_fits_80(&screen);
    // The QR code is last before the prompt, and scans to the pairing URI (no default
    // parameters).
    let qr_end = lines
        .iter()
        .rposition(|l| l.contains(['█', '▀', '▄']))
        .unwrap();
    assert_eq!(qr_end, lines.len() - 2, "{screen}");
    let secret = printed_secret(&screen);
    assert_eq!(
        decode_terminal_qr(&screen),
        format!("otpauth://totp/mfactl:alice%40example.com?secret={secret}&issuer=mfactl")
    );
    p.send_line("").unwrap();
    assert_eq!(finish(&mut p).0, 0);
}

#[test]
fn enroll_confirmation_hides_the_code_allows_a_retry_and_counts_the_failure() {
    let env = TestEnv::initialised();
    let mut p = spawn(&env, &["enroll", "bob", "--no-qr"]);
    let screen = expect(&mut p, CODE_PROMPT);
    let secret = printed_secret(&screen);

    let wrong = wrong_code(&secret);
    p.send_line(&wrong).unwrap();
    let shown = expect(&mut p, "Try again (2 tries left), or press Enter to skip");
    assert!(
        shown.contains("rejected: wrong code (1 consecutive failure)"),
        "{shown}"
    );
    assert!(!shown.contains(&wrong), "the code was echoed: {shown}");

    // Not a code at all: said so, nothing recorded, one try fewer.
    p.send_line("12ab56").unwrap();
    let shown = expect(&mut p, "Try again (1 try left), or press Enter to skip");
    assert!(shown.contains("not checked"), "{shown}");
    assert!(!shown.contains("12ab56"), "the input was echoed: {shown}");

    expect(&mut p, CODE_PROMPT);
    let good = totp_now(&secret, "SHA1", 6, 30);
    p.send_line(&good).unwrap();
    let shown = expect(&mut p, "pairing confirmed, MFA is now enabled");
    assert!(!shown.contains(&good), "the code was echoed: {shown}");
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("Not confirmed"), "{out}");
    assert_eq!(status_of(&env, "bob"), "enabled");
    // The wrong code counted as a failed verification, as `mfactl verify` counts it.
    assert_eq!(
        env.query_i64(
            "SELECT count(*) FROM audit_log WHERE event = 'verify-rejected' AND %USER% = 'bob'"
        ),
        1
    );
}

#[test]
fn enroll_confirmation_skipped_or_failed_says_how_to_confirm_later() {
    let env = TestEnv::initialised();
    let mut p = spawn(&env, &["enroll", "carol", "--no-qr"]);
    expect(&mut p, CODE_PROMPT);
    p.send_line("").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Not confirmed yet"), "{out}");
    assert!(out.contains("  mfactl verify carol"), "{out}");
    assert_eq!(status_of(&env, "carol"), "pending");

    // Three wrong codes: three failures recorded, then the hint.
    let mut p = spawn(&env, &["enroll", "dave", "--no-qr"]);
    let screen = expect(&mut p, CODE_PROMPT);
    let wrong = wrong_code(&printed_secret(&screen));
    for _ in 0..3 {
        p.send_line(&wrong).unwrap();
        expect(&mut p, "rejected: wrong code");
    }
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("mfactl verify dave"), "{out}");
    assert_eq!(status_of(&env, "dave"), "pending");
    assert_eq!(
        env.query_i64(
            "SELECT count(*) FROM audit_log WHERE event = 'verify-rejected' AND %USER% = 'dave'"
        ),
        3
    );
}

#[test]
fn verify_prompts_for_the_code_without_echo() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("erin");
    let mut p = spawn(&env, &["verify", "erin"]);
    expect(&mut p, "Code for erin: ");
    let code = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    p.send_line(&code).unwrap();
    let shown = expect(&mut p, "accepted: code valid for erin");
    assert!(!shown.contains(&code), "the code was echoed: {shown}");
    assert_eq!(finish(&mut p).0, 0);
}

#[test]
fn resync_prompts_for_two_codes_without_echo_and_never_with_json() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("ivy");
    let mut p = spawn(&env, &["resync", "ivy"]);
    expect(&mut p, "A code for ivy: ");
    // The device runs 3 and 4 steps ahead.
    let now = step_now();
    let (c1, c2) = (
        code_at_step(&secret, now + 3),
        code_at_step(&secret, now + 4),
    );
    p.send_line(&c1).unwrap();
    expect(&mut p, "The next code, once the app shows a new one: ");
    p.send_line(&c2).unwrap();
    let shown = expect(&mut p, "resynced: the device of ivy runs about");
    assert!(
        !shown.contains(&c1) && !shown.contains(&c2),
        "a code was echoed: {shown}"
    );
    assert_eq!(finish(&mut p).0, 0);
    // --json on a terminal: no prompt; the codes are one line read as from a pipe.
    let (c1, c2) = (
        code_at_step(&secret, now + 5),
        code_at_step(&secret, now + 6),
    );
    let mut p = spawn(&env, &["--json", "resync", "ivy"]);
    p.send_line(&format!("{c1} {c2}")).unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("A code for"), "{out}");
    assert!(out.contains("\"accepted\": true"), "{out}");
}

/// Makes `env`'s identity file passphrase-protected (age scrypt, low work factor), holding a
/// fresh key the store is then created for.
fn passphrase_store(env: &TestEnv, passphrase: &str) {
    let key = age::x25519::Identity::generate();
    env.cmd()
        .args(["init", "-r", &key.to_public().to_string()])
        .assert()
        .success();
    let mut r = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    r.set_work_factor(10);
    let enc = age::encrypt(
        &r,
        format!("{}\n", key.to_string().expose_secret()).as_bytes(),
    )
    .unwrap();
    std::fs::create_dir_all(env.identity.parent().unwrap()).unwrap();
    std::fs::write(&env.identity, enc).unwrap();
    std::fs::set_permissions(
        &env.identity,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
}

#[test]
fn passphrase_prompt_hides_the_passphrase() {
    let env = TestEnv::new();
    passphrase_store(&env, "hunter2 staple");
    let doc = env.enroll("bob", &[]);
    let uri = doc["otpauth_uri"].as_str().unwrap().to_owned();

    let mut p = spawn(&env, &["show-qr", "bob"]);
    expect(&mut p, "Passphrase for ");
    expect(&mut p, ": ");
    p.send_line("hunter2 staple").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("hunter2"), "the passphrase was echoed: {out}");
    assert_eq!(decode_terminal_qr(&out), uri);

    let mut p = spawn(&env, &["show-qr", "bob"]);
    expect(&mut p, "Passphrase for ");
    expect(&mut p, ": ");
    p.send_line("wrong one").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("wrong passphrase"), "{out}");
    assert!(
        !out.contains("wrong one"),
        "the passphrase was echoed: {out}"
    );
}

#[test]
fn json_on_a_terminal_never_prompts() {
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let before = env.snapshot();

    // disable: refused for want of --yes, as without a terminal.
    let mut p = spawn(&env, &["--json", "disable", "alice"]);
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("\"confirmation_required\""), "{out}");
    assert!(!out.contains("Type "), "{out}");
    // rekey likewise.
    let own = env.stored_recipients();
    let mut p = spawn(&env, &["--json", "rekey", "-r", own[0].as_str()]);
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("\"confirmation_required\""), "{out}");
    assert_eq!(env.snapshot(), before);

    // enroll: no code prompt and no QR code, one JSON document.
    let mut p = spawn(&env, &["--json", "enroll", "bob"]);
    let (code, out) = finish(&mut p);
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains("Code from the app") && !out.contains('█'),
        "{out}"
    );
    let doc: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON document");
    assert_eq!(doc["status"], "pending");

    // verify with no code: no hidden prompt; one line is read, as from a pipe.
    let mut p = spawn(&env, &["--json", "verify", "bob"]);
    p.send_line("").unwrap();
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert!(!out.contains("Code for"), "{out}");

    // A passphrase-protected identity: an error naming MFACTL_PASSPHRASE, no prompt.
    let env = TestEnv::new();
    passphrase_store(&env, "hunter2");
    env.enroll("carol", &[]);
    let mut p = spawn(&env, &["--json", "show-qr", "carol"]);
    let (code, out) = finish(&mut p);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("MFACTL_PASSPHRASE"), "{out}");
    assert!(!out.contains("Passphrase for"), "{out}");
}

#[test]
fn ctrl_c_at_a_hidden_prompt_leaves_the_terminal_echoing() {
    let env = TestEnv::initialised();
    env.enroll_enabled("erin");
    // The shell survives the Ctrl-C (a trap, which mfactl does not inherit: it gets the
    // default action) and then shows the terminal's settings.
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg("stty echo; trap ':' INT; \"$0\" \"$@\"; echo \"[exit $?]\"; stty -a; echo '[done]'")
        .arg(assert_cmd::cargo::cargo_bin("mfactl"))
        .args(["verify", "erin"])
        .env_clear()
        .envs(env.env_vars())
        .current_dir(env.dir.path());
    let mut p = rexpect::session::spawn_command(c, Some(TIMEOUT_MS)).unwrap();
    expect(&mut p, "Code for erin: ");
    p.send_control('c').unwrap();
    expect(&mut p, "[exit ");
    let code = expect(&mut p, "]");
    assert_eq!(code.trim(), "130", "mfactl did not die of SIGINT");
    let settings = expect(&mut p, "[done]");
    let flags: Vec<&str> = settings.split_whitespace().collect();
    assert!(
        flags.contains(&"echo") && !flags.contains(&"-echo"),
        "echo left off: {settings}"
    );
    p.exp_eof().unwrap();
}
