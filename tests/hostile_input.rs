//! Hostile and broken input: every case gets a clear message, exit status 2, and leaves the
//! store exactly as it was (compared row by row with SQLite, or byte by byte for files that
//! are not stores).

mod common;

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Output, Stdio};

use common::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit status 2 and an `error:` line containing `message` on stderr.
fn assert_error(out: &Output, message: &str) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2; stderr {err:?}, stdout {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains("error:"), "{err:?}");
    assert!(err.contains(message), "expected {message:?} in {err:?}");
    err
}

/// A store with one enabled user (alice, whose secret is returned) and one pending (bob).
fn store_with_users() -> (TestEnv, String) {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    env.enroll("bob", &[]);
    (env, secret)
}

// ---------------------------------------------------------------------------------------
// Codes

#[test]
fn malformed_codes_are_errors_that_record_nothing() {
    let (env, secret) = store_with_users();
    let before = env.snapshot();
    let valid = totp_now(&secret, "SHA1", 6, 30);
    let cases = [
        (format!("{}a{}", &valid[..2], &valid[3..]), "only digits"),
        ("12345".to_owned(), "5 digits, this user's codes have 6"),
        ("1234567".to_owned(), "7 digits, this user's codes have 6"),
        ("1".repeat(1000), "1000 digits"),
        ("-12345".to_owned(), "only digits"),
        ("１２３４５６".to_owned(), "only digits"),
        ("123\t456".to_owned(), "only digits"),
    ];
    for (code, message) in &cases {
        // On stdin, as scripts pass it...
        let out = env
            .cmd()
            .args(["verify", "alice"])
            .write_stdin(format!("{code}\n"))
            .output()
            .unwrap();
        let err = assert_error(&out, message);
        assert!(err.contains("invalid code"), "{err}");
        // ...and as an argument (after `--`, so a leading '-' is not an option).
        let out = env
            .cmd()
            .args(["verify", "alice", "--", code])
            .output()
            .unwrap();
        assert_error(&out, message);
        // A malformed code is not a guess: no failure is counted, no audit row is written.
        assert_eq!(env.snapshot(), before, "{code:?} changed the store");
    }
    // Also for the recovery-code parser.
    let out = env
        .cmd()
        .args(["verify", "--recovery", "alice"])
        .write_stdin("not-a-code!\n")
        .output()
        .unwrap();
    assert_error(&out, "invalid recovery code");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn empty_input_is_refused() {
    let (env, _) = store_with_users();
    let before = env.snapshot();
    for stdin in ["", "\n", "   \n", "\n123456\n"] {
        let out = env
            .cmd()
            .args(["verify", "alice"])
            .write_stdin(stdin)
            .output()
            .unwrap();
        assert_error(&out, "invalid code: none given");
    }
    let out = env.cmd().args(["verify", "alice", ""]).output().unwrap();
    assert_error(&out, "invalid code: empty");
    let out = env
        .cmd()
        .args(["verify", "alice"])
        .write_stdin(&b"12\xff456\n"[..])
        .output()
        .unwrap();
    assert_error(&out, "not UTF-8");
    assert_eq!(env.snapshot(), before);
}

/// Writes `total` bytes of `byte` to a verify process's stdin; returns its output and how many
/// bytes it took before closing the pipe.
fn flood_stdin(env: &TestEnv, byte: u8, total: usize) -> (Output, usize, std::io::Result<()>) {
    let mut child = env
        .std_cmd()
        .args(["verify", "alice"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![byte; 64 * 1024];
        let mut written = 0;
        while written < total {
            if let Err(e) = stdin.write_all(&chunk) {
                return (written, Err(e));
            }
            written += chunk.len();
        }
        (written, Ok(()))
    });
    let out = child.wait_with_output().unwrap();
    let (written, result) = writer.join().unwrap();
    (out, written, result)
}

#[test]
fn megabytes_on_stdin_are_refused_after_a_bounded_read() {
    let (env, _) = store_with_users();
    let before = env.snapshot();
    const TOTAL: usize = 64 * 1024 * 1024;
    for byte in [b'1', b'x', 0u8] {
        let (out, written, result) = flood_stdin(&env, byte, TOTAL);
        assert_error(&out, "more than 1024 bytes without a line break");
        // The process stopped reading and exited: the writer's pipe broke long before 64 MiB
        // (at most the pipe's buffer beyond what was read).
        let e = result.expect_err("mfactl read all 64 MiB");
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
        assert!(written < 4 * 1024 * 1024, "{written} bytes were accepted");
    }
    assert_eq!(env.snapshot(), before);
}

// ---------------------------------------------------------------------------------------
// User names

#[test]
fn hostile_user_names_are_refused_without_echoing_them() {
    let (env, _) = store_with_users();
    let before = env.snapshot();
    let long = "a".repeat(10_000);
    let cases: [(&str, &str); 6] = [
        ("ali\u{7}ce", "control character U+0007"),
        ("alice\n", "control character U+000A"),
        ("\u{1b}[31malice", "control character U+001B"),
        ("acme:alice", "':' is not allowed"),
        (&long, "10000 bytes long, the limit is 255"),
        (" alice", "whitespace"),
    ];
    for (name, message) in cases {
        for args in [
            vec!["enroll", name],
            vec!["verify", name, "123456"],
            vec!["unlock", name],
            vec!["disable", "--yes", name],
            vec!["show-qr", name],
        ] {
            let out = env.cmd().args(&args).output().unwrap();
            let err = assert_error(&out, message);
            assert!(err.contains("invalid user name"), "{err}");
            // The name is not echoed back: no terminal escapes, no 10 kB of it.
            assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
            assert!(err.len() < 1000, "{} bytes of error", err.len());
        }
    }
    assert_eq!(env.snapshot(), before);

    // Without a store, enroll does not create one for a bad name.
    let fresh = TestEnv::new();
    let out = fresh.cmd().args(["enroll", "a:b"]).output().unwrap();
    assert_error(&out, "':' is not allowed");
    assert!(!fresh.store_exists() && !fresh.identity.exists());
}

#[test]
fn invalid_utf8_in_argv_is_refused() {
    let (env, _) = store_with_users();
    let before = env.snapshot();
    let name = OsStr::from_bytes(b"al\xffice");
    for sub in ["enroll", "verify", "unlock"] {
        let out = env.cmd().arg(sub).arg(name).output().unwrap();
        assert_error(&out, "invalid UTF-8");
    }
    // In a global option's value too.
    let out = env
        .cmd()
        .arg("--actor")
        .arg(name)
        .args(["unlock", "alice"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(env.snapshot(), before);
}

// ---------------------------------------------------------------------------------------
// --db that is not a usable store

/// Runs a reading, a verifying and a writing command against `env`'s store path.
fn each_command(env: &TestEnv, check: impl Fn(&str, Output)) {
    let commands: [&[&str]; 5] = [
        &["list"],
        &["verify", "alice", "123456"],
        &["enroll", "carol"],
        &["config", "set", "skew", "2"],
        &["unlock", "alice"],
    ];
    for args in commands {
        check(&args.join(" "), env.cmd().args(args).output().unwrap());
    }
}

#[test]
fn db_that_is_a_directory() {
    if skip_on_pg("a directory where the store file should be") {
        return;
    }
    let env = TestEnv::new();
    fs::create_dir_all(&env.db).unwrap();
    each_command(&env, |what, out| {
        let err = assert_error(&out, "is not a usable mfactl store: it is a directory");
        assert!(err.contains(&env.db.display().to_string()), "{what}: {err}");
    });
    let out = env.cmd().arg("init").output().unwrap();
    assert_error(&out, "a store already exists");
    assert_eq!(
        fs::read_dir(&env.db).unwrap().count(),
        0,
        "the directory was written to"
    );
}

#[test]
fn db_that_is_a_fifo_or_a_device() {
    if skip_on_pg("a FIFO or device where the store file should be") {
        return;
    }
    let env = TestEnv::new();
    let data = env.db.parent().unwrap();
    fs::create_dir_all(data).unwrap();
    let fifo = data.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils)");
    assert!(made.success());
    for path in [fifo.as_path(), Path::new("/dev/null")] {
        for args in [
            &["list"][..],
            &["verify", "alice", "123456"],
            &["enroll", "carol"],
        ] {
            // Neither hangs on the FIFO nor reports a bare I/O error.
            let out = env.cmd().arg("--db").arg(path).args(args).output().unwrap();
            let err = assert_error(
                &out,
                "is not a usable mfactl store: it is not a regular file",
            );
            assert!(err.contains(&path.display().to_string()), "{err}");
        }
    }
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        !env.identity.exists(),
        "enroll went on to create an identity"
    );
}

/// Deterministic pseudo-random bytes (xorshift), not an SQLite header by construction.
fn junk(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// Asserts that nothing but `file` remains in its directory (no journal, WAL or temp file).
fn assert_alone(file: &Path) {
    let names: Vec<_> = fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [file.file_name().unwrap()], "left behind: {names:?}");
}

#[test]
fn db_that_is_not_sqlite() {
    if skip_on_pg("a file that is not SQLite") {
        return;
    }
    let env = TestEnv::new();
    fs::create_dir_all(env.db.parent().unwrap()).unwrap();
    for contents in [
        junk(65536, 0x9E37_79B9_7F4A_7C15),
        b"hello, world\n".to_vec(),
    ] {
        fs::write(&env.db, &contents).unwrap();
        each_command(&env, |what, out| {
            let err = assert_error(&out, "it is not an SQLite database");
            assert!(err.contains("hint:"), "{what}: {err}");
        });
        assert_eq!(
            fs::read(&env.db).unwrap(),
            contents,
            "the file was modified"
        );
        assert_alone(&env.db);
    }
}

#[test]
fn db_that_is_sqlite_but_not_an_mfactl_store() {
    if skip_on_pg(
        "a SQLite file of another application; tests/postgres.rs covers foreign databases",
    ) {
        return;
    }
    let env = TestEnv::new();
    fs::create_dir_all(env.db.parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(&env.db).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let bytes = fs::read(&env.db).unwrap();
    each_command(&env, |_, out| {
        assert_error(&out, "an SQLite database, but not one mfactl created");
    });
    assert_eq!(fs::read(&env.db).unwrap(), bytes);

    // An empty file (as `touch` leaves) is named as such.
    fs::write(&env.db, b"").unwrap();
    each_command(&env, |_, out| {
        assert_error(&out, "it is an empty database");
    });
    assert_eq!(fs::read(&env.db).unwrap(), b"");
}

/// A real store's bytes, with every process that used it gone (so no WAL holds data).
fn real_store() -> (TestEnv, Vec<u8>) {
    let (env, _) = store_with_users();
    env.enroll("carol", &[]);
    let wal = env.db.with_extension("db-wal");
    assert!(
        !wal.exists() || fs::metadata(&wal).unwrap().len() == 0,
        "the WAL was not checkpointed"
    );
    let bytes = fs::read(&env.db).unwrap();
    assert!(bytes.len() >= 4 * 4096, "store is {} bytes", bytes.len());
    (env, bytes)
}

#[test]
fn truncated_store() {
    if skip_on_pg("a truncated store file") {
        return;
    }
    let (env, bytes) = real_store();
    let page = 4096;
    for len in [bytes.len() - page, bytes.len() / 2, page, 100, 50] {
        let truncated = &bytes[..len];
        fs::write(&env.db, truncated).unwrap();
        each_command(&env, |what, out| {
            let err = assert_error(&out, "is not a usable mfactl store");
            assert!(
                err.contains("damaged") || err.contains("not an SQLite database"),
                "{what} on {len} bytes: {err}"
            );
        });
        assert_eq!(
            fs::read(&env.db).unwrap(),
            truncated,
            "{len}: file modified"
        );
    }
}

#[test]
fn corrupted_store() {
    if skip_on_pg("a corrupted store file") {
        return;
    }
    let (env, bytes) = real_store();
    // The header survives, every b-tree page after the first is garbage.
    let mut pages = bytes.clone();
    pages[4096..].copy_from_slice(&junk(bytes.len() - 4096, 7));
    // The first page's b-tree (the schema) is overwritten; the 100-byte header survives.
    let mut schema = bytes.clone();
    schema[100..4096].fill(0xff);
    for corrupted in [pages, schema] {
        fs::write(&env.db, &corrupted).unwrap();
        each_command(&env, |what, out| {
            let err = assert_error(&out, "the database file is damaged");
            assert!(
                err.contains("restore the store from a backup"),
                "{what}: {err}"
            );
        });
        assert_eq!(fs::read(&env.db).unwrap(), corrupted, "file modified");
    }
}

#[test]
fn store_from_a_newer_schema_version() {
    let (env, _) = store_with_users();
    let version_sqlite = "PRAGMA user_version";
    let version_pg = "SELECT value FROM mfactl_meta WHERE key = 'schema_version'";
    let version = |env: &TestEnv| -> i64 {
        if env.is_pg() {
            env.query_strings(version_pg)[0].parse().unwrap()
        } else {
            env.query_i64(version_sqlite)
        }
    };
    env.execute_sql(
        "PRAGMA user_version = 99",
        "UPDATE mfactl_meta SET value = '99' WHERE key = 'schema_version'",
    );
    assert_eq!(version(&env), 99);
    let before = env.snapshot();
    let expected = format!(
        "has schema version 99; this mfactl understands up to {}",
        mfactl::store::SCHEMA_VERSION
    );
    each_command(&env, |what, out| {
        let err = assert_error(&out, &expected);
        assert!(err.contains("upgrade mfactl"), "{what}: {err}");
    });
    let out = env.cmd().args(["--json", "list"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "schema_too_new");
    assert_eq!(env.snapshot(), before);
    assert_eq!(version(&env), 99, "the version was rewritten");
}

// ---------------------------------------------------------------------------------------
// Read-only store (file or directory)

const NOBODY: u32 = 65534;

fn running_as_root() -> bool {
    fs::metadata("/proc/self").unwrap().uid() == 0
}

/// The binary, run as an unprivileged user: as root, permission bits do not stop writes, so
/// the tests drop to uid/gid 65534 with `setpriv` (util-linux, present on every Debian
/// system). As any other user, the binary runs as that user.
fn unprivileged(env: &TestEnv) -> std::process::Command {
    if !running_as_root() {
        return env.std_cmd();
    }
    // uid 65534 must be able to reach the binary: link (or copy) it into the test directory.
    let bin = assert_cmd::cargo::cargo_bin("mfactl");
    let local = env.dir.path().join("mfactl");
    if !local.exists() && fs::hard_link(&bin, &local).is_err() {
        fs::copy(&bin, &local).unwrap();
    }
    fs::set_permissions(&local, fs::Permissions::from_mode(0o755)).unwrap();
    let mut c = std::process::Command::new("setpriv");
    c.args([
        &format!("--reuid={NOBODY}"),
        &format!("--regid={NOBODY}"),
        "--clear-groups",
    ])
    .arg(&local)
    .env_clear()
    .envs(env.env_vars());
    c
}

fn chown(path: &Path, uid: u32) {
    if running_as_root() {
        std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
    }
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs write commands on a store made read-only by `lock_down`, as a user that permissions
/// apply to; checks the error and that nothing changed.
fn read_only_case(lock_down: impl Fn(&TestEnv, u32), reads_work: bool) {
    let (env, secret) = store_with_users();
    let before = env.snapshot();
    let bytes = fs::read(&env.db).unwrap();
    // The snapshot's read-only connection leaves an empty WAL and its index behind, owned by
    // root: remove them, so that the store is in the state mfactl leaves it in.
    let wal = env.db.with_extension("db-wal");
    assert_eq!(
        fs::metadata(&wal).map_or(0, |m| m.len()),
        0,
        "the WAL holds data"
    );
    for sidecar in [wal, env.db.with_extension("db-shm")] {
        let _ = fs::remove_file(sidecar);
    }
    let me = if running_as_root() {
        NOBODY
    } else {
        fs::metadata("/proc/self").unwrap().uid()
    };
    // The identity stays readable (and private) for whoever runs the binary.
    chmod(env.dir.path(), 0o755);
    let config = env.identity.parent().unwrap();
    chown(config, me);
    chown(&env.identity, me);
    lock_down(&env, me);

    let smoke = unprivileged(&env).arg("--version").output().unwrap();
    assert!(smoke.status.success(), "cannot run the binary: {smoke:?}");

    let fresh = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    let runs: [(&[&str], &str); 4] = [
        (&["verify", "alice"], fresh.as_str()),
        (&["config", "set", "skew", "3"], ""),
        (&["enroll", "carol"], ""),
        (&["disable", "--yes", "bob"], ""),
    ];
    for (args, stdin) in runs {
        let mut child = unprivileged(&env)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{stdin}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = assert_error(&out, "is read-only");
        assert!(err.contains("check the permissions"), "{args:?}: {err}");
    }
    if reads_work {
        let out = unprivileged(&env)
            .args(["--json", "list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows.as_array().map(Vec::len), Some(2));
    }
    // Back to normal, and compare.
    chmod(env.db.parent().unwrap(), 0o700);
    chown(env.db.parent().unwrap(), 0);
    chown(&env.db, 0);
    chmod(&env.db, 0o600);
    assert_eq!(fs::read(&env.db).unwrap(), bytes, "the store file changed");
    assert_eq!(env.snapshot(), before);
    // And the code that could not be recorded is still good.
    assert_eq!(env.verify("alice", &fresh).0, 0);
}

#[test]
fn read_only_store_file() {
    if skip_on_pg("file permissions") {
        return;
    }
    read_only_case(
        |env, me| {
            let data = env.db.parent().unwrap();
            // The directory is the user's (SQLite may create its -wal and -shm there); the file
            // is readable but not writable.
            chown(data, me);
            chmod(data, 0o755);
            chown(&env.db, 0);
            chmod(&env.db, 0o444);
        },
        true,
    );
}

#[test]
fn read_only_store_directory() {
    if skip_on_pg("directory permissions") {
        return;
    }
    read_only_case(
        |env, me| {
            let data = env.db.parent().unwrap();
            // The file is the user's and writable, but no file can be created beside it.
            chown(data, 0);
            chmod(data, 0o555);
            chown(&env.db, me);
            chmod(&env.db, 0o600);
        },
        false,
    );
}

// ---------------------------------------------------------------------------------------
// Identities

/// Asserts that no age secret key (`AGE-SECRET-KEY-1` followed by its Bech32 payload) and
/// none of `key`'s text appears in the output.
fn assert_no_key_material(out: &Output, key: &str) {
    const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
    for text in [
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    ] {
        for (i, _) in text.match_indices("AGE-SECRET-KEY-1") {
            let next = text[i + 16..].chars().next();
            assert!(
                !next.is_some_and(|c| BECH32.contains(c.to_ascii_uppercase())),
                "key material in output: {text}"
            );
        }
        if key.len() > 20 {
            assert!(!text.contains(&key[16..]), "the key leaked: {text}");
        }
    }
}

fn fresh_key() -> String {
    use age::secrecy::ExposeSecret;
    age::x25519::Identity::generate()
        .to_string()
        .expose_secret()
        .to_owned()
}

#[test]
fn missing_empty_and_malformed_identity_files() {
    let (env, secret) = store_with_users();
    let before = env.snapshot();
    let original = fs::read_to_string(&env.identity).unwrap();
    let original_key = original
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap()
        .to_owned();
    let path = env.identity.display().to_string();
    // The next step's code: enroll_enabled used the current one.
    let code = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    let bad_key = format!("AGE-SECRET-KEY-1{}", "Q".repeat(58));
    let truncated_key = original_key[..original_key.len() - 5].to_owned();
    let cases: [(Option<String>, &str); 6] = [
        (None, "no such file"),
        (Some(String::new()), "contains no identity"),
        (Some("# only a comment\n\n".into()), "contains no identity"),
        (
            Some(format!("{bad_key}\n")),
            "line 1 is not an age X25519 identity",
        ),
        (
            Some(format!("# created: today\n{truncated_key}\n")),
            "line 2 is not an age X25519 identity",
        ),
        (
            Some("\u{0}\u{ff}\u{fe}garbage".into()),
            "not an age X25519 identity",
        ),
    ];
    for (contents, message) in cases {
        match &contents {
            None => fs::remove_file(&env.identity).unwrap(),
            Some(c) => fs::write(&env.identity, c).unwrap(),
        }
        chmod_if_exists(&env.identity);
        for args in [
            vec!["verify", "alice", code.as_str()],
            vec!["show-qr", "bob"],
        ] {
            let out = env.cmd().args(&args).output().unwrap();
            let err = assert_error(&out, message);
            assert!(err.contains(&format!("identity {path}")), "{err}");
            assert_no_key_material(&out, &bad_key);
            assert_no_key_material(&out, &original_key);
        }
        assert_eq!(env.snapshot(), before, "{contents:?}");
    }
    // Non-UTF-8 bytes.
    fs::write(&env.identity, b"\xff\xfe\x00garbage\n").unwrap();
    let out = env.cmd().args(["verify", "alice", &code]).output().unwrap();
    assert_error(&out, "not UTF-8 text");

    // The same rules for MFACTL_AGE_KEY, which is named instead of a path.
    let out = env
        .cmd()
        .env("MFACTL_AGE_KEY", &bad_key)
        .args(["verify", "alice", &code])
        .output()
        .unwrap();
    let err = assert_error(&out, "identity MFACTL_AGE_KEY: line 1 is not");
    assert!(!err.contains(&path), "{err}");
    assert_no_key_material(&out, &bad_key);

    // Restored, the code is still unused.
    fs::write(&env.identity, &original).unwrap();
    chmod_if_exists(&env.identity);
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.verify("alice", &code).0, 0);
}

fn chmod_if_exists(path: &Path) {
    if path.exists() {
        chmod(path, 0o600);
    }
}

#[test]
fn a_different_identity_names_the_user_and_never_prints_keys() {
    let (env, secret) = store_with_users();
    let before = env.snapshot();
    let original = fs::read_to_string(&env.identity).unwrap();
    let other = fresh_key();
    fs::write(&env.identity, format!("{other}\n")).unwrap();
    chmod(&env.identity, 0o600);
    // The next step's code: enroll_enabled used the current one.
    let code = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);

    let out = env
        .cmd()
        .args(["verify", "alice"])
        .write_stdin(format!("{code}\n"))
        .output()
        .unwrap();
    let err = assert_error(
        &out,
        "cannot decrypt the secret of user \"alice\" with the identity in use",
    );
    assert!(err.contains("mfactl recipients"), "{err}");
    assert_no_key_material(&out, &other);
    assert_no_key_material(&out, original.lines().last().unwrap());

    let out = env.cmd().args(["show-qr", "bob"]).output().unwrap();
    assert_error(&out, "cannot decrypt the secret of user \"bob\"");
    assert_no_key_material(&out, &other);

    let out = env
        .cmd()
        .args(["--json", "verify", "alice", &code])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "decrypt");
    assert_no_key_material(&out, &other);

    // Through MFACTL_AGE_KEY as well.
    let out = env
        .cmd()
        .env("MFACTL_AGE_KEY", &other)
        .args(["verify", "alice", &code])
        .output()
        .unwrap();
    assert_error(&out, "cannot decrypt the secret of user \"alice\"");
    assert_no_key_material(&out, &other);

    // Nothing was recorded: not a failure, not an audit row; the code still works.
    assert_eq!(env.snapshot(), before);
    fs::write(&env.identity, &original).unwrap();
    chmod(&env.identity, 0o600);
    assert_eq!(env.verify("alice", &code).0, 0);
}

#[test]
fn an_identity_readable_by_others_warns_but_works() {
    let (env, secret) = store_with_users();
    let key = fs::read_to_string(&env.identity).unwrap();
    let key = key.lines().last().unwrap().to_owned();
    chmod(&env.identity, 0o644);
    // A code from the next step: the current one was used to enable alice.
    let code = totp_at(&secret, "SHA1", 6, 30, unix_now() + 30);
    let out = env
        .cmd()
        .args(["verify", "alice"])
        .write_stdin(format!("{code}\n"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("warning:"), "{err}");
    assert!(
        err.contains(&format!(
            "identity file {} is accessible by others (mode 0644)",
            env.identity.display()
        )),
        "{err}"
    );
    assert!(err.contains("chmod 600"), "{err}");
    assert_no_key_material(&out, &key);
    // The file itself is left alone.
    assert_eq!(
        fs::metadata(&env.identity).unwrap().permissions().mode() & 0o777,
        0o644
    );

    // At 0600 there is no warning.
    chmod(&env.identity, 0o600);
    let out = env.cmd().args(["show-qr", "bob"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}
