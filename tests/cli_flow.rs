//! The five commands end to end against a real store file: the contract of enroll, show-qr,
//! verify, disable, list and init, and their error paths (exit code, message, store unchanged).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use common::*;
use predicates::prelude::*;
use serde_json::Value;

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(out)
        )
    })
}

fn status_of(env: &TestEnv, user: &str) -> String {
    env.list(&[])
        .iter()
        .find(|u| u["user"] == user)
        .map(|u| u["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{user} not listed"))
}

fn identity_key(env: &TestEnv) -> age::x25519::Identity {
    let text = fs::read_to_string(&env.identity).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("identity line");
    age::x25519::Identity::from_str(line).unwrap()
}

fn stored_blob(env: &TestEnv, user: &str) -> Option<Vec<u8>> {
    env.stored_secret(user)
}

#[test]
fn enroll_verify_list_disable_reenroll_lifecycle() {
    let env = TestEnv::initialised();
    let doc = env.enroll("alice@example.com", &[]);
    assert_eq!(doc["status"], "pending");
    assert_eq!(doc["algorithm"], "SHA1");
    assert_eq!(doc["digits"], 6);
    assert_eq!(doc["period"], 30);
    assert_eq!(doc["issuer"], "mfactl");
    let secret = doc["secret"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&env, "alice@example.com"), "pending");

    // The code computed independently from the returned secret is accepted and enables MFA.
    let code = totp_now(&secret, "SHA1", 6, 30);
    let (rc, v) = env.verify("alice@example.com", &code);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(v["accepted"], true);
    assert_eq!(v["reason"], "ok");
    assert_eq!(v["status"], "enabled");
    assert_eq!(status_of(&env, "alice@example.com"), "enabled");

    // A wrong code is rejected with exit 1.
    let (rc, v) = env.verify("alice@example.com", &wrong_code(&secret));
    assert_eq!(rc, 1);
    assert_eq!(v["accepted"], false);
    assert_eq!(v["reason"], "invalid");

    // list shows the user, never the secret.
    let out = env.cmd().arg("list").assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        table.contains("alice@example.com") && table.contains("enabled"),
        "{table}"
    );
    assert!(!table.contains(&secret));

    env.cmd()
        .args([
            "disable",
            "alice@example.com",
            "--yes",
            "--reason",
            "lost phone",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Disabled"));
    assert_eq!(status_of(&env, "alice@example.com"), "disabled");
    assert_eq!(
        stored_blob(&env, "alice@example.com"),
        None,
        "secret erased"
    );

    let code = totp_now(&secret, "SHA1", 6, 30);
    let (rc, v) = env.verify("alice@example.com", &code);
    assert_eq!(rc, 1);
    assert_eq!(v["reason"], "disabled");

    // A disabled user is enrolled again freely, with a new secret, in the same row.
    let row_id = |env: &TestEnv| -> String {
        let ids = env.query_strings("SELECT id FROM mfa_user WHERE %USER% = 'alice@example.com'");
        assert_eq!(ids.len(), 1);
        ids[0].clone()
    };
    let id_before = row_id(&env);
    let again = env.enroll("alice@example.com", &[]);
    assert_eq!(row_id(&env), id_before, "re-enrollment keeps the row's id");
    assert_eq!(again["status"], "pending");
    assert_ne!(again["secret"], doc["secret"]);
    assert_eq!(status_of(&env, "alice@example.com"), "pending");
}

#[test]
fn otpauth_uri_carries_label_and_leaves_out_default_parameters() {
    let env = TestEnv::initialised();
    let doc = env.enroll("alice@example.com", &[]);
    let uri = doc["otpauth_uri"].as_str().unwrap();
    let secret = doc["secret"].as_str().unwrap();
    // Apps assume SHA1, 6 digits and 30 s when the URI does not say: the pairing URI leaves
    // them out (a smaller QR code); non-default ones are kept (see the next test).
    assert_eq!(
        uri,
        format!("otpauth://totp/mfactl:alice%40example.com?secret={secret}&issuer=mfactl")
    );
    // 20 random bytes for SHA1: 32 base32 characters without padding.
    assert_eq!(secret.len(), 32);
    assert!(secret
        .bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
}

#[test]
fn algorithm_digits_and_period_options_produce_working_secrets() {
    let env = TestEnv::initialised();
    for (user, alg, digits, period, bytes) in
        [("s256", "sha256", 8, 60, 32), ("s512", "sha512", 7, 45, 64)]
    {
        let doc = env.enroll(
            user,
            &[
                "--algorithm",
                alg,
                "--digits",
                &digits.to_string(),
                "--period",
                &period.to_string(),
                "--issuer",
                "Acme Corp",
            ],
        );
        let secret = doc["secret"].as_str().unwrap();
        let raw = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .unwrap();
        assert_eq!(raw.len(), bytes, "{alg} secret length");
        let uri = doc["otpauth_uri"].as_str().unwrap();
        assert!(
            uri.starts_with(&format!("otpauth://totp/Acme%20Corp:{user}?")),
            "{uri}"
        );
        assert!(uri.contains(&format!("algorithm={}", alg.to_uppercase())));
        assert!(
            uri.contains(&format!("digits={digits}")) && uri.contains(&format!("period={period}"))
        );
        let code = totp_now(secret, &alg.to_uppercase(), digits, period);
        let (rc, v) = env.verify(user, &code);
        assert_eq!(rc, 0, "{alg}: {v}");
    }
}

#[test]
fn enroll_on_missing_store_bootstraps_store_and_identity_privately() {
    let env = TestEnv::new();
    let out = env.cmd().args(["enroll", "bob"]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("created one"), "{stderr}");
    assert!(stderr.contains("back it up"), "{stderr}");
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    if env.is_pg() {
        assert!(
            env.store_exists(),
            "enroll created no tables in the database"
        );
    } else {
        assert_eq!(mode(&env.db), 0o600, "store file mode");
    }
    assert_eq!(mode(&env.identity), 0o600, "identity file mode");
    assert_eq!(
        mode(env.identity.parent().unwrap()),
        0o700,
        "identity dir mode"
    );
    // The identity is in age-keygen's format and its key is the store's recipient.
    let key = identity_key(&env);
    env.cmd()
        .arg("recipients")
        .assert()
        .success()
        .stdout(predicate::str::contains(key.to_public().to_string()));
}

#[test]
fn commands_other_than_enroll_refuse_a_missing_store() {
    let env = TestEnv::new();
    for args in [
        vec!["list"],
        vec!["verify", "bob", "123456"],
        vec!["show-qr", "bob"],
        vec!["disable", "bob", "--yes"],
    ] {
        env.cmd()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(env.location()))
            .stderr(predicate::str::contains("mfactl init"));
        assert!(!env.store_exists(), "{args:?} created a store");
    }
}

#[test]
fn init_refuses_an_existing_store_and_leaves_it_alone() {
    let env = TestEnv::initialised();
    env.enroll("carol", &[]);
    let before = env.snapshot();
    env.cmd()
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(env.snapshot(), before);
    // The store is checked before anything is made for it: init with an identity path where
    // there is no file yet refuses without generating an identity nobody would use.
    let unused = env.dir.path().join("unused-identity.txt");
    env.cmd()
        .env("MFACTL_IDENTITY", &unused)
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert!(!unused.exists(), "init generated an identity for no store");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn init_with_recipients_enrolls_without_a_private_key() {
    let env = TestEnv::new();
    let escrow = age::x25519::Identity::generate();
    let ops = age::x25519::Identity::generate();
    env.cmd()
        .args(["init", "--issuer", "Acme", "-r"])
        .arg(ops.to_public().to_string())
        .arg("-r")
        .arg(escrow.to_public().to_string())
        .assert()
        .success();
    assert!(
        !env.identity.exists(),
        "no identity is generated when recipients are given"
    );
    let doc = env.enroll("dave", &[]);
    assert_eq!(doc["issuer"], "Acme");
    // Either recipient's key decrypts the blob to the base32 secret.
    let blob = stored_blob(&env, "dave").unwrap();
    for key in [&ops, &escrow] {
        let plain = age::decrypt(key, &blob).unwrap();
        assert_eq!(plain, doc["secret"].as_str().unwrap().as_bytes());
    }
    // Verifying needs a private key: none is configured, so it is an error (exit 2).
    env.cmd()
        .args(["verify", "dave", "123456"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("identity"));
    // MFACTL_AGE_KEY supplies it (and wins over the missing file).
    let code = totp_now(doc["secret"].as_str().unwrap(), "SHA1", 6, 30);
    env.cmd()
        .env("MFACTL_AGE_KEY", ops.to_string().expose_secret())
        .args(["verify", "dave"])
        .write_stdin(code)
        .assert()
        .code(0);
}

#[test]
fn database_never_holds_the_secret_and_blob_decrypts_with_age() {
    let env = TestEnv::initialised();
    let mut secrets = Vec::new();
    for user in ["u1", "u2", "u3"] {
        secrets.push(env.enroll(user, &[])["secret"].as_str().unwrap().to_owned());
    }
    // Every row of every table as text (blobs in hex), and on SQLite the raw file and its WAL.
    let mut files = vec![env.snapshot().into_bytes()];
    if !env.is_pg() {
        files.push(fs::read(&env.db).unwrap());
        let wal = env.db.with_extension("db-wal");
        if wal.exists() {
            files.push(fs::read(&wal).unwrap());
        }
    }
    for s in &secrets {
        let raw = data_encoding::BASE32_NOPAD.decode(s.as_bytes()).unwrap();
        for f in &files {
            assert!(
                !contains(f, s.as_bytes()),
                "base32 secret in the store file"
            );
            assert!(!contains(f, &raw), "raw secret bytes in the store file");
            let raw_hex = data_encoding::HEXLOWER.encode(&raw);
            assert!(
                !contains(f, raw_hex.as_bytes()),
                "raw secret bytes (as hex) in the store"
            );
        }
    }
    let key = identity_key(&env);
    let plain = age::decrypt(&key, &stored_blob(&env, "u2").unwrap()).unwrap();
    assert_eq!(plain, secrets[1].as_bytes());
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn printed_qr_codes_decode_to_the_otpauth_uri() {
    let env = TestEnv::initialised();
    let out = env
        .cmd()
        .args(["enroll", "erin@example.com", "--qr"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let secret = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("secret: "))
        .expect("secret printed")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let scanned = decode_terminal_qr(&text);
    assert_eq!(
        scanned,
        format!("otpauth://totp/mfactl:erin%40example.com?secret={secret}&issuer=mfactl")
    );

    // Not a terminal and no --qr: no QR, but the URI and secret are there.
    let out = env.cmd().args(["enroll", "frank"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(!text.contains('█'), "QR printed to a pipe without --qr");
    assert!(text.contains("otpauth://totp/"));

    // show-qr always prints it, followed by the URI; same URI as enrollment.
    let out = env
        .cmd()
        .args(["show-qr", "erin@example.com"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let last = text.lines().last().unwrap();
    assert_eq!(last, scanned);
    assert_eq!(decode_terminal_qr(&text), scanned);
}

#[test]
fn show_qr_guards_live_and_erased_secrets() {
    let env = TestEnv::initialised();
    env.enroll_enabled("gina");
    let before = env.snapshot();
    env.cmd()
        .args(["show-qr", "gina"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(env.snapshot(), before);
    env.cmd()
        .args(["show-qr", "gina", "--force"])
        .assert()
        .success();

    env.cmd()
        .args(["disable", "gina", "--yes"])
        .assert()
        .success();
    env.cmd()
        .args(["show-qr", "gina", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("disabled"));
}

#[test]
fn enrolled_users_are_refused_without_force_and_replaced_with_it() {
    let env = TestEnv::initialised();
    let old = env.enroll_enabled("hank");
    for user_state in ["enabled", "pending"] {
        if user_state == "pending" {
            env.enroll("ivy", &[]);
        }
        let user = if user_state == "enabled" {
            "hank"
        } else {
            "ivy"
        };
        let before = env.snapshot();
        env.cmd()
            .args(["enroll", user])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("already {user_state}")))
            .stderr(predicate::str::contains("--force"));
        assert_eq!(
            env.snapshot(),
            before,
            "{user} refused enroll changed the store"
        );
    }
    let new = env.enroll("hank", &["--force"]);
    assert_eq!(new["status"], "pending");
    assert_ne!(new["secret"].as_str().unwrap(), old);
    assert_eq!(status_of(&env, "hank"), "pending");
    // The old secret no longer works; the new one does.
    let (rc, _) = env.verify("hank", &totp_now(&old, "SHA1", 6, 30));
    assert_eq!(rc, 1);
    let (rc, v) = env.verify(
        "hank",
        &totp_now(new["secret"].as_str().unwrap(), "SHA1", 6, 30),
    );
    assert_eq!(rc, 0, "{v}");
}

#[test]
fn invalid_enroll_arguments_are_errors_that_change_nothing() {
    let env = TestEnv::initialised();
    env.enroll("existing", &[]);
    let before = env.snapshot();
    let long = "x".repeat(256);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["enroll", "a:b"], "':' is not allowed"),
        (vec!["enroll", "tab\there"], "control character"),
        (vec!["enroll", ""], "must not be empty"),
        (vec!["enroll", " padded"], "whitespace"),
        (vec!["enroll", &long], "256 bytes"),
        (vec!["enroll", "ok", "--digits", "9"], "invalid digits"),
        (vec!["enroll", "ok", "--digits", "5"], "invalid digits"),
        (vec!["enroll", "ok", "--period", "5"], "invalid period"),
        (vec!["enroll", "ok", "--period", "301"], "invalid period"),
        (vec!["enroll", "ok", "--issuer", "A:B"], "invalid issuer"),
        (vec!["enroll", "ok", "--algorithm", "md5"], "md5"),
    ];
    for (args, message) in cases {
        env.cmd()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
        assert_eq!(env.snapshot(), before, "{args:?} changed the store");
    }
}

#[test]
fn verify_reads_codes_from_argument_or_stdin_and_ignores_spaces() {
    // Three consecutive steps around the current one, so each verification uses a fresh one
    // (no replay). The previous step is accepted only while it is inside the skew window: a
    // run that straddles a step boundary is thrown away and repeated (`in_one_step`).
    let (first, second, third) = in_one_step(|step| {
        let env = TestEnv::initialised();
        let secret = env.enroll("jo", &[])["secret"].as_str().unwrap().to_owned();
        let prev = code_at_step(&secret, step - 1);
        let cur = code_at_step(&secret, step);
        let next = code_at_step(&secret, step + 1);
        let first = env.cmd().args(["verify", "jo", &prev]).output().unwrap();
        let second = env
            .cmd()
            .args(["verify", "jo", "-"])
            .write_stdin(format!("{} {}\n", &cur[..3], &cur[3..]))
            .output()
            .unwrap();
        let third = env
            .cmd()
            .args(["verify", "jo"])
            .write_stdin(format!("  {next}  \n"))
            .output()
            .unwrap();
        (first, second, third)
    });
    assert_eq!(
        first.status.code(),
        Some(0),
        "previous step, as an argument"
    );
    assert_eq!(
        second.status.code(),
        Some(0),
        "current step, spaced, on stdin via -"
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("accepted"));
    assert_eq!(third.status.code(), Some(0), "next step, padded, on stdin");
}

#[test]
fn verify_quiet_prints_nothing_and_answers_with_its_exit_code() {
    // The README's CI recipe: `mfactl verify --quiet USER` in an `if`.
    let (ok, replay, wrong) = in_one_step(|step| {
        let env = TestEnv::initialised();
        let secret = env.enroll("qa", &[])["secret"].as_str().unwrap().to_owned();
        let code = code_at_step(&secret, step);
        let run = |c: &str| {
            env.cmd()
                .args(["verify", "--quiet", "qa"])
                .write_stdin(format!("{c}\n"))
                .output()
                .unwrap()
        };
        (run(&code), run(&code), run(&wrong_code(&secret)))
    });
    for (out, rc) in [(&ok, 0), (&replay, 1), (&wrong, 1)] {
        assert_eq!(out.status.code(), Some(rc));
        assert!(out.stdout.is_empty(), "--quiet printed {:?}", out.stdout);
        assert!(out.stderr.is_empty(), "--quiet printed {:?}", out.stderr);
    }
}

#[test]
fn verify_errors_exit_2_and_change_nothing() {
    let env = TestEnv::initialised();
    let secret = env.enroll("kim", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = env.snapshot();
    for (args, stdin, message) in [
        (vec!["verify", "nobody", "123456"], "", "no user \"nobody\""),
        (vec!["verify", "kim", "12a456"], "", "invalid code"),
        (vec!["verify", "kim", "12345"], "", "5 digits"),
        (vec!["verify", "kim"], "", "invalid code"),
        (vec!["verify", "kim"], "1234567\n", "7 digits"),
    ] {
        env.cmd()
            .args(&args)
            .write_stdin(stdin)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
        assert_eq!(env.snapshot(), before, "{args:?} changed the store");
    }
    // A key that is not the store's: exit 2, names the user, store unchanged.
    let stranger = age::x25519::Identity::generate();
    env.cmd()
        .env("MFACTL_AGE_KEY", stranger.to_string().expose_secret())
        .args(["verify", "kim", &totp_now(&secret, "SHA1", 6, 30)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot decrypt the secret of user \"kim\"",
        ));
    assert_eq!(env.snapshot(), before);
}

#[test]
fn disable_needs_confirmation_off_a_terminal_and_is_idempotent() {
    let env = TestEnv::initialised();
    env.enroll_enabled("lee");
    let before = env.snapshot();
    env.cmd()
        .args(["disable", "lee"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(env.snapshot(), before, "refused disable changed the store");
    env.cmd().args(["disable", "lee", "-y"]).assert().success();
    let after = env.snapshot();
    env.cmd()
        .args(["disable", "lee", "--yes"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("already disabled"));
    assert_eq!(env.snapshot(), after);
    env.cmd()
        .args(["disable", "nobody", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no user"));
}

#[test]
fn list_is_sorted_filters_by_status_and_handles_an_empty_store() {
    let env = TestEnv::initialised();
    // Piped: the table's header alone.
    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stdout("USER\tSTATUS\tTOKENS\tLAST USED\tFAILURES\tRECOVERY\n");
    let out = env.cmd().args(["list", "--json"]).assert().success();
    assert_eq!(json_of(&out.get_output().stdout), serde_json::json!([]));

    env.enroll("zed", &[]);
    env.enroll_enabled("amy");
    env.enroll("mo", &[]);
    env.cmd()
        .args(["disable", "mo", "--yes"])
        .assert()
        .success();
    let names: Vec<String> = env
        .list(&[])
        .iter()
        .map(|u| u["user"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["amy", "mo", "zed"]);
    for (status, expect) in [("pending", "zed"), ("enabled", "amy"), ("disabled", "mo")] {
        let rows = env.list(&["--status", status]);
        let users: Vec<&str> = rows.iter().map(|u| u["user"].as_str().unwrap()).collect();
        assert_eq!(users, [expect], "--status {status}");
    }
    // Every field the contract names is there; no secret.
    let amy = &env.list(&[])[0];
    for field in [
        "user",
        "status",
        "issuer",
        "algorithm",
        "digits",
        "period",
        "created_at",
        "updated_at",
        "enabled_at",
        "last_used_at",
    ] {
        assert!(amy.get(field).is_some(), "list --json lacks {field}");
    }
    assert!(!amy["enabled_at"].is_null() && !amy["last_used_at"].is_null());
    assert!(amy.get("secret").is_none());
}

#[test]
fn verify_reads_one_line_and_does_not_wait_for_the_pipe_to_close() {
    use std::io::Write;
    use std::process::Stdio;
    let env = TestEnv::initialised();
    let secret = env.enroll("pat", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut child = env
        .std_cmd()
        .args(["verify", "pat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The write end stays open for the whole wait, as a coprocess or a long-lived caller keeps it.
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", totp_now(&secret, "SHA1", 6, 30)).unwrap();
    // A deadline, not a wait for a result: a verify that waits for EOF is killed and fails.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("verify waited for EOF instead of reading one line");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    drop(stdin);
    assert_eq!(status.code(), Some(0));
}

/// The global options are taken before the subcommand and after it (and after `config`'s
/// subcommand): the one given last on the command line wins, and one given on the command
/// line anywhere wins over its environment variable.
#[test]
fn global_options_are_taken_at_every_level_the_last_one_winning() {
    let env = TestEnv::new();
    env.enroll("alice", &[]);
    let missing = env.dir.path().join("missing.db");
    let missing = missing.to_str().unwrap();
    let store = env.store.as_str();
    let lists_alice = |args: &[&str], db_env: &str| {
        let out = env
            .cmd()
            .env("MFACTL_DB", db_env)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed = json_of(&out.stdout);
        assert_eq!(listed[0]["user"], "alice", "{args:?}: {listed}");
    };
    lists_alice(&["--db", store, "--json", "list"], missing);
    lists_alice(&["list", "--db", store, "--json"], missing);
    lists_alice(&["--db", missing, "list", "--json", "--db", store], missing);
    lists_alice(&["--json", "--db", store, "list"], store);

    let skew = |args: &[&str]| {
        env.cmd()
            .env("MFACTL_DB", missing)
            .args(args)
            .output()
            .unwrap()
    };
    for args in [
        &["config", "--db", store, "get", "skew"][..],
        &["config", "get", "skew", "--db", store],
        &[
            "--db", missing, "config", "--db", missing, "get", "--db", store, "skew",
        ],
    ] {
        let out = skew(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1", "{args:?}");
    }
    // The last one names a store that does not exist: refused, whatever came before.
    let out = skew(&[
        "--db", store, "config", "--db", store, "get", "--db", missing, "skew",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
