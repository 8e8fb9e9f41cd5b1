//! PostgreSQL-specific behaviour: connection failures (`store_unavailable`, naming host and
//! port), passwords that never show, TLS modes against the test cluster's roles, schema
//! detection in a database (missing, foreign tables, too new, `init` twice), `copy-store`
//! between backends, and a verify killed mid-transaction.
//!
//! Every test returns early (with a note) unless `MFACTL_TEST_PG` names a test cluster started
//! by `.ci/pg-cluster start`, which also provides `MFACTL_TEST_PG_TCP`, `MFACTL_TEST_PG_CA` and
//! `MFACTL_TEST_PG_PASSWORD` (the password of the roles `mfactl_pw` and `mfactl_tls`; the
//! cluster refuses `mfactl_tls` without TLS and asks every TCP login for its password).

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The test cluster, from the environment.
struct Cluster {
    host: String,
    port: u16,
    ca: String,
    password: String,
}

/// The cluster, or None (after a note on stderr) when this run is not against PostgreSQL.
fn cluster() -> Option<Cluster> {
    if pg_admin_url().is_none() {
        eprintln!("skipped: {PG_ENV} is not set (start a cluster with .ci/pg-cluster start DIR)");
        return None;
    }
    let var =
        |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{PG_ENV} is set but {k} is not"));
    let tcp = var("MFACTL_TEST_PG_TCP");
    let (host, port) = tcp
        .rsplit_once(':')
        .expect("MFACTL_TEST_PG_TCP is HOST:PORT");
    Some(Cluster {
        host: host.to_owned(),
        port: port.parse().expect("a port"),
        ca: var("MFACTL_TEST_PG_CA"),
        password: var("MFACTL_TEST_PG_PASSWORD"),
    })
}

impl Cluster {
    /// A TCP URL to database `db` as `role` (with `password` in the URL when given), with the
    /// extra query `options`.
    fn url(
        &self,
        role: &str,
        password: Option<&str>,
        host: &str,
        db: &str,
        options: &str,
    ) -> String {
        let auth = match password {
            Some(p) => format!("{role}:{p}"),
            None => role.to_owned(),
        };
        format!("postgresql://{auth}@{host}:{}/{db}?{options}", self.port)
    }

    /// A fresh database owned by `role`, and a TestEnv whose mfactl reaches it as `role` over
    /// TCP with the given options and the right password in the URL.
    fn env_as(&self, role: &str, options: &str) -> TestEnv {
        let db = PgDatabase::create_owned_by(Some(role));
        let url = self.url(role, Some(&self.password), &self.host, &db.name, options);
        TestEnv::on_pg_database(db, url)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `{"error": {...}}` document of a failed `--json` run, checking exit status 2.
fn json_error(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout {} stderr {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON on stdout ({e}): {} / {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    doc["error"].clone()
}

/// Asserts `needle` appears in neither stdout nor stderr.
fn assert_absent(out: &Output, needle: &str, what: &str) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text(bytes).contains(needle),
            "{what}: {stream} shows the password: {}",
            text(bytes)
        );
    }
}

/// A 127.0.0.1 port with nothing listening (bound by the OS for us, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

// ---------------------------------------------------------------------------------------
// Connection failures

#[test]
fn an_unreachable_server_is_store_unavailable_naming_host_and_port() {
    let Some(_) = cluster() else { return };
    let env = TestEnv::new_sqlite();
    let port = closed_port();
    let url = format!("postgresql://mfactl_pw@127.0.0.1:{port}/mfactl?connect_timeout=5");
    for args in [
        vec!["list"],
        vec!["init"],
        vec!["enroll", "alice"],
        vec!["verify", "alice", "123456"],
        vec!["config", "get"],
    ] {
        let started = Instant::now();
        let out = env
            .cmd()
            .env("MFACTL_DB", &url)
            .arg("--json")
            .args(&args)
            .output()
            .unwrap();
        let err = json_error(&out);
        assert_eq!(err["kind"], "store_unavailable", "{args:?}: {err}");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains("127.0.0.1"), "{args:?}: {message}");
        assert!(message.contains(&port.to_string()), "{args:?}: {message}");
        // The human line on stderr says the same.
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("127.0.0.1") && stderr.contains(&port.to_string()),
            "{args:?}: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{args:?} took {:?} to notice a closed port",
            started.elapsed()
        );
        // Without --json: the same exit status.
        env.cmd()
            .env("MFACTL_DB", &url)
            .args(&args)
            .assert()
            .code(2);
    }
}

#[test]
fn a_wrong_password_in_the_url_is_store_unavailable_and_never_shown() {
    let Some(pg) = cluster() else { return };
    let env = pg.env_as("mfactl_pw", "sslmode=disable");
    let wrong = "wr0ng-Pa55-qqzx";
    let url = pg.url(
        "mfactl_pw",
        Some(wrong),
        &pg.host,
        &env.pg().unwrap().name,
        "sslmode=disable",
    );
    for json in [true, false] {
        for args in [vec!["init"], vec!["list"], vec!["enroll", "alice"]] {
            let mut cmd = env.cmd();
            cmd.env("MFACTL_DB", &url);
            if json {
                cmd.arg("--json");
            }
            let out = cmd.args(&args).output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(2),
                "{args:?}: {}",
                text(&out.stderr)
            );
            assert_absent(&out, wrong, &format!("{args:?} json={json}"));
            assert_absent(&out, &pg.password, &format!("{args:?} json={json}"));
            let shown = if json {
                let err = json_error(&out);
                assert_eq!(err["kind"], "store_unavailable", "{err}");
                err["message"].as_str().unwrap().to_owned()
            } else {
                text(&out.stderr)
            };
            assert!(shown.contains(&pg.host), "{shown}");
            assert!(shown.contains(&pg.port.to_string()), "{shown}");
        }
    }
    assert!(!env.store_exists(), "a refused login created tables");
}

#[test]
fn pgpassword_is_used_and_a_wrong_one_is_never_shown() {
    let Some(pg) = cluster() else { return };
    let env = pg.env_as("mfactl_pw", "sslmode=disable");
    let url = pg.url(
        "mfactl_pw",
        None,
        &pg.host,
        &env.pg().unwrap().name,
        "sslmode=disable",
    );
    let wrong = "wr0ng-Pa55-pgpw";
    for args in [vec!["--json", "init"], vec!["init"], vec!["--json", "list"]] {
        let out = env
            .cmd()
            .env("MFACTL_DB", &url)
            .env("PGPASSWORD", wrong)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_absent(&out, wrong, &format!("{args:?}"));
        if args[0] == "--json" {
            assert_eq!(json_error(&out)["kind"], "store_unavailable");
        }
    }
    assert!(!env.store_exists());
    // The right one in PGPASSWORD works, and is not shown either.
    for args in [
        vec!["--json", "init"],
        vec!["--json", "enroll", "alice"],
        vec!["list"],
    ] {
        let out = env
            .cmd()
            .env("MFACTL_DB", &url)
            .env("PGPASSWORD", &pg.password)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_absent(&out, &pg.password, &format!("{args:?}"));
    }
    assert!(env.store_exists());
    assert_eq!(env.direct().count("mfa_user"), 1);
}

#[test]
fn a_password_in_the_url_never_appears_in_output_or_the_store() {
    let Some(pg) = cluster() else { return };
    let env = pg.env_as("mfactl_pw", "sslmode=disable");
    let pw = pg.password.clone();
    let mut outputs: Vec<(String, Output)> = Vec::new();
    let mut run = |args: &[&str], stdin: &str| -> Output {
        let out = env.cmd().args(args).write_stdin(stdin).output().unwrap();
        outputs.push((args.join(" "), out.clone()));
        out
    };

    let out = run(&["--json", "init"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let store = doc["store"].as_str().unwrap();
    assert!(store.contains("***"), "the password is not masked: {store}");
    assert!(store.contains(&env.pg().unwrap().name), "{store}");

    let out = run(&["--json", "enroll", "alice"], "");
    assert!(out.status.success());
    let secret = serde_json::from_slice::<Value>(&out.stdout).unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = run(
        &["verify", "alice"],
        &format!("{}\n", totp_now(&secret, "SHA1", 6, 30)),
    );
    assert_eq!(out.status.code(), Some(0));
    run(&["list"], "");
    run(&["--json", "list"], "");
    run(&["--json", "config", "set", "skew", "2"], "");
    run(&["recipients"], "");
    // Errors, human and JSON.
    let out = run(&["--json", "unlock", "nobody"], "");
    assert_eq!(json_error(&out)["kind"], "unknown_user");
    let out = run(&["init"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--json", "init"], "");
    assert_eq!(json_error(&out)["kind"], "store_exists");
    let out = run(&["--json", "log"], "");
    assert!(out.status.success());
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(log.as_array().unwrap().len() >= 4, "{log}");
    run(&["log"], "");
    // --db instead of MFACTL_DB.
    let url = env.store.clone();
    let out = run(&["--db", &url, "--json", "list"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));

    for (what, out) in &outputs {
        assert_absent(out, &pw, what);
    }
    let everything = env.snapshot();
    assert!(everything.contains("alice"), "the snapshot sees the store");
    assert!(!everything.contains(&pw), "the store holds the password");
}

// ---------------------------------------------------------------------------------------
// TLS (the cluster refuses mfactl_tls without it)

#[test]
fn tls_modes_against_a_server_that_requires_tls() {
    let Some(pg) = cluster() else { return };
    let db = PgDatabase::create_owned_by(Some("mfactl_tls"));
    let name = db.name.clone();
    let env = TestEnv::on_pg_database(db, String::new());
    let pw = Some(pg.password.as_str());
    let run =
        |url: &str, args: &[&str]| env.cmd().env("MFACTL_DB", url).args(args).output().unwrap();

    // No TLS: the server refuses the login.
    let plain = pg.url("mfactl_tls", pw, &pg.host, &name, "sslmode=disable");
    let err = json_error(&run(&plain, &["--json", "init"]));
    assert_eq!(err["kind"], "store_unavailable", "{err}");
    assert!(!env.store_exists());

    // TLS without verification.
    let require = pg.url("mfactl_tls", pw, &pg.host, &name, "sslmode=require");
    let out = run(&require, &["--json", "init"]);
    assert!(
        out.status.success(),
        "sslmode=require: {}",
        text(&out.stderr)
    );
    assert!(env.store_exists());
    // The connection really used TLS: the server logs nothing we can read, but it refuses
    // mfactl_tls without TLS (above), so a working login is a TLS one.

    // Full verification against the test CA, by name.
    let verified = pg.url(
        "mfactl_tls",
        pw,
        "localhost",
        &name,
        &format!("sslmode=verify-full&sslrootcert={}", pg.ca),
    );
    let out = run(&verified, &["--json", "enroll", "alice"]);
    assert!(out.status.success(), "verify-full: {}", text(&out.stderr));
    let out = run(&verified, &["--json", "list"]);
    assert!(out.status.success());
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap()[0]["user"],
        "alice"
    );

    // A CA that did not sign the server's certificate: refused, nothing changes.
    let other_ca = env.dir.path().join("other-ca.pem");
    let key = env.dir.path().join("other-ca.key");
    let status = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
        ])
        .arg("ec_paramgen_curve:prime256v1")
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&other_ca)
        .args(["-days", "1", "-subj", "/CN=another test CA"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the openssl CLI (Debian package openssl)");
    assert!(status.success());
    let before = env.snapshot();
    let wrong_ca = pg.url(
        "mfactl_tls",
        pw,
        "localhost",
        &name,
        &format!("sslmode=verify-full&sslrootcert={}", other_ca.display()),
    );
    for args in [&["--json", "list"][..], &["--json", "enroll", "bob"]] {
        let out = run(&wrong_ca, args);
        let err = json_error(&out);
        assert_eq!(err["kind"], "store_unavailable", "{args:?}: {err}");
        assert_absent(&out, &pg.password, "wrong CA");
    }
    assert_eq!(env.snapshot(), before);
}

// ---------------------------------------------------------------------------------------
// Schema detection

#[test]
fn init_creates_the_documented_schema_and_init_twice_is_store_exists() {
    let Some(_) = cluster() else { return };
    let env = TestEnv::new();
    env.cmd().arg("init").assert().success();
    let d = env.direct();
    assert_eq!(
        d.tables(),
        [
            "audit_log",
            "mfa_token",
            "mfa_user",
            "mfactl_meta",
            "recipient",
            "recovery_code",
            "setting"
        ]
    );
    assert_eq!(
        d.query_strings("SELECT key || '=' || value FROM mfactl_meta ORDER BY key"),
        [
            "application=mfactl".to_owned(),
            format!("schema_version={}", mfactl::store::SCHEMA_VERSION)
        ]
    );
    // The column the contract names, and the types it gives.
    let types = d.query_strings(
        "SELECT table_name || '.' || column_name || ':' || data_type \
         FROM information_schema.columns WHERE table_schema = 'mfactl' \
         AND (table_name, column_name) IN (('mfa_user', 'username'), ('mfa_token', 'secret'), \
         ('mfa_token', 'last_used_step'), ('mfa_user', 'failed_attempts'), \
         ('recovery_code', 'code_hash'), ('audit_log', 'id'), ('audit_log', 'username')) \
         ORDER BY 1",
    );
    assert_eq!(
        types,
        [
            "audit_log.id:bigint",
            "audit_log.username:text",
            "mfa_token.last_used_step:bigint",
            "mfa_token.secret:bytea",
            "mfa_user.failed_attempts:integer",
            "mfa_user.username:text",
            "recovery_code.code_hash:bytea",
        ]
    );

    env.enroll("carol", &[]);
    let before = env.snapshot();
    let out = env.cmd().args(["--json", "init"]).output().unwrap();
    assert_eq!(json_error(&out)["kind"], "store_exists");
    env.cmd().arg("init").assert().code(2);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_database_without_the_schema_is_store_missing() {
    let Some(_) = cluster() else { return };
    let env = TestEnv::new();
    for args in [
        vec!["list"],
        vec!["verify", "bob", "123456"],
        vec!["show-qr", "bob"],
        vec!["disable", "bob", "--yes"],
        vec!["unlock", "bob"],
        vec!["config", "get"],
        vec!["config", "set", "skew", "2"],
        vec!["log"],
        vec!["recipients"],
        vec!["export", "--yes"],
        vec!["recovery-codes", "bob"],
    ] {
        let out = env.cmd().arg("--json").args(&args).output().unwrap();
        let err = json_error(&out);
        assert_eq!(err["kind"], "store_missing", "{args:?}: {err}");
        let message = format!("{} {}", err["message"], err["hint"]);
        assert!(message.contains("mfactl init"), "{args:?}: {message}");
        let out = env.cmd().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("mfactl init"), "{args:?}");
        assert!(!env.store_exists(), "{args:?} created tables");
    }
    // enroll bootstraps it, as for files.
    env.enroll("bob", &[]);
    assert!(env.store_exists());
    assert_eq!(env.query_strings("SELECT username FROM mfa_user"), ["bob"]);
}

#[test]
fn init_in_a_database_with_unrelated_tables_leaves_them_alone() {
    let Some(_) = cluster() else { return };
    let env = TestEnv::new();
    env.execute_sql(
        "",
        "CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL); \
         INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace'); \
         CREATE TABLE audit (line text)",
    );
    let theirs = |env: &TestEnv| {
        (
            env.query_strings("SELECT id || ':' || name FROM customers ORDER BY id"),
            env.direct().count("audit"),
        )
    };
    let before = theirs(&env);
    // Not an mfactl store yet: the foreign tables do not make it one.
    let err = json_error(&env.cmd().args(["--json", "list"]).output().unwrap());
    assert_eq!(err["kind"], "store_missing", "{err}");

    env.cmd().arg("init").assert().success();
    let secret = env.enroll_enabled("alice");
    assert!(!secret.is_empty());
    assert_eq!(theirs(&env), before);
    assert_eq!(
        env.query_strings(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_name = 'customers' ORDER BY ordinal_position"
        ),
        ["id", "name"]
    );
    // Theirs stay in their schema; mfactl's tables are in a schema of their own.
    assert_eq!(
        env.query_strings(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY 1"
        ),
        ["audit", "customers"]
    );
    assert!(env.direct().tables().contains(&"mfa_user".to_owned()));
}

#[test]
fn a_newer_schema_version_is_refused_and_changes_nothing() {
    let Some(_) = cluster() else { return };
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    env.execute("UPDATE mfactl_meta SET value = '99' WHERE key = 'schema_version'");
    let before = env.snapshot();
    for args in [
        vec!["list"],
        vec!["verify", "alice", "123456"],
        vec!["enroll", "bob"],
        vec!["config", "set", "skew", "2"],
        vec!["init"],
    ] {
        let out = env.cmd().arg("--json").args(&args).output().unwrap();
        let err = json_error(&out);
        let kind = err["kind"].as_str().unwrap();
        if args == ["init"] {
            // A store is there, whatever its version.
            assert!(matches!(kind, "store_exists" | "schema_too_new"), "{err}");
        } else {
            assert_eq!(kind, "schema_too_new", "{args:?}: {err}");
            assert!(err["message"].as_str().unwrap().contains("99"), "{err}");
        }
    }
    assert_eq!(env.snapshot(), before);
}

// ---------------------------------------------------------------------------------------
// copy-store

/// The rows of every mfactl table, column by column in a fixed order, as text (blobs in hex):
/// comparable across backends (integers and text print alike in both).
fn logical_dump(store: &Store) -> Vec<(String, Vec<TextRow>)> {
    let tables: [(&str, &str); 6] = [
        (
            "mfa_user",
            "SELECT id, %USER%, created_at, updated_at, failed_attempts, locked_at, \
             locked_until, lockouts FROM mfa_user ORDER BY id",
        ),
        // Token ids are the copy's own: tokens are compared by user and label.
        (
            "mfa_token",
            "SELECT user_id, label, secret, status, algorithm, digits, period, issuer, \
             created_at, updated_at, enrolled_at, enabled_at, disabled_at, last_used_at, \
             last_used_step, drift FROM mfa_token ORDER BY 1, 2",
        ),
        (
            "recipient",
            "SELECT recipient, added_at FROM recipient ORDER BY 1",
        ),
        ("setting", "SELECT key, value FROM setting ORDER BY 1"),
        (
            "recovery_code",
            "SELECT user_id, code_hash, created_at, used_at FROM recovery_code ORDER BY 1, 2",
        ),
        (
            "audit_log",
            "SELECT id, at, event, %USER%, actor, details FROM audit_log ORDER BY id",
        ),
    ];
    tables
        .iter()
        .map(|(t, sql)| {
            let mut rows = store.query(sql);
            // Bytewise order whatever the database's collation (audit_log: by id, as read).
            if *t != "audit_log" {
                rows.sort();
            }
            (t.to_string(), rows)
        })
        .collect()
}

/// The dump without the target's own last audit row, which must be the `copy-store` row.
fn without_copy_row(mut dump: Vec<(String, Vec<TextRow>)>) -> Vec<(String, Vec<TextRow>)> {
    let audit = &mut dump.iter_mut().find(|(t, _)| t == "audit_log").unwrap().1;
    let last = audit.pop().expect("an audit row");
    assert_eq!(last[2].as_deref(), Some("copy-store"), "{last:?}");
    dump
}

fn copy_store(env: &TestEnv, from: &str, to: &str) -> Output {
    env.cmd()
        .env("MFACTL_DB", from)
        .args(["--json", "copy-store", "--to", to])
        .output()
        .unwrap()
}

#[test]
fn copy_store_file_to_postgres_to_file_keeps_everything() {
    let Some(_) = cluster() else { return };
    // The source: a file, with users in every state, recovery codes, settings and history.
    let src = TestEnv::new_sqlite();
    src.cmd()
        .args(["init", "--issuer", "Acme"])
        .assert()
        .success();
    let alice = src.enroll_enabled("alice");
    let bob = src.enroll("bob", &[])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    src.enroll_enabled("carol");
    src.cmd()
        .args(["disable", "--yes", "carol", "--reason", "lost phone"])
        .assert()
        .success();
    src.cmd()
        .args(["--json", "config", "set", "max-failures", "7"])
        .assert()
        .success();
    // dave is in his third timed lock in a row, lifting long after this test.
    src.enroll_enabled("dave");
    src.execute(
        "UPDATE mfa_user SET failed_attempts = 7, locked_at = '2026-01-01T00:00:00Z', \
         locked_until = '2999-01-01T00:00:00Z', lockouts = 3 WHERE user = 'dave'",
    );
    src.cmd()
        .args(["recovery-codes", "alice", "--count", "3"])
        .assert()
        .success();
    let file = Store::File(src.db.clone());
    let dump = logical_dump(&file);
    let count = |t: &str| file.count(t);

    // file -> PostgreSQL
    let pg = PgDatabase::create();
    let pg_store = pg.store();
    let out = copy_store(&src, &src.store, &pg.url);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["from"], src.store.as_str());
    assert!(doc["to"].as_str().unwrap().contains(&pg.name), "{doc}");
    assert_eq!(doc["users"], count("mfa_user"));
    assert_eq!(doc["recipients"], count("recipient"));
    assert_eq!(doc["settings"], count("setting"));
    assert_eq!(doc["recovery_codes"], count("recovery_code"));
    assert_eq!(doc["audit_rows"], count("audit_log"));
    assert_eq!(
        (count("mfa_user"), count("recovery_code")),
        (4, 3),
        "the source is what this test set up"
    );
    assert_eq!(without_copy_row(logical_dump(&pg_store)), dump);
    // The source is read, not changed.
    assert_eq!(logical_dump(&file), dump);

    // PostgreSQL -> a new file
    let back = src.dir.path().join("back").join("copy.db");
    std::fs::create_dir_all(back.parent().unwrap()).unwrap();
    let back_str = back.to_str().unwrap().to_owned();
    let pg_dump = logical_dump(&pg_store);
    let out = copy_store(&src, &pg.url, &back_str);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["audit_rows"], count("audit_log") + 1);
    let back_store = Store::File(back.clone());
    assert_eq!(without_copy_row(logical_dump(&back_store)), pg_dump);

    // A target that already holds a store is refused and left as it was: both directions.
    let pg_before = pg_store.snapshot();
    let file_before = std::fs::read(&back).unwrap();
    let out = copy_store(&src, &src.store, &pg.url);
    assert_eq!(json_error(&out)["kind"], "store_exists");
    assert_eq!(pg_store.snapshot(), pg_before);
    let out = copy_store(&src, &pg.url, &back_str);
    assert_eq!(json_error(&out)["kind"], "store_exists");
    assert_eq!(std::fs::read(&back).unwrap(), file_before);

    // The copies work with the same identity: codes verify, replay state came along.
    let used: u64 = file
        .query_strings("SELECT last_used_step FROM %USER_TOKENS% WHERE user = 'alice'")[0]
        .parse()
        .unwrap();
    let step = step_now();
    for store in [pg.url.as_str(), back_str.as_str()] {
        let verify = |user: &str, code: &str| {
            let out = src
                .cmd()
                .env("MFACTL_DB", store)
                .args(["--json", "verify", user])
                .write_stdin(format!("{code}\n"))
                .output()
                .unwrap();
            let doc: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|_| panic!("{store}: {}", text(&out.stderr)));
            (
                out.status.code().unwrap(),
                doc["reason"].as_str().unwrap().to_owned(),
            )
        };
        // alice's code of the step she confirmed with is a replay...
        let (rc, reason) = verify("alice", &code_at_step(&alice, used));
        assert_eq!((rc, reason.as_str()), (1, "replayed"), "{store}");
        // ...the next step's is accepted (within the skew of now): her secret decrypts with
        // the same identity.
        let (rc, reason) = verify("alice", &code_at_step(&alice, used + 1));
        assert_eq!((rc, reason.as_str()), (0, "ok"), "{store}");
        let (rc, reason) = verify("bob", &code_at_step(&bob, step));
        assert_eq!((rc, reason.as_str()), (0, "ok"), "{store}");
        let (rc, reason) = verify("carol", "123456");
        assert_eq!((rc, reason.as_str()), (1, "disabled"), "{store}");
        // dave's lock came along with its end and backoff.
        let (rc, reason) = verify("dave", "123456");
        assert_eq!((rc, reason.as_str()), (1, "locked"), "{store}");
    }
}

#[test]
fn copy_store_into_a_database_with_a_store_or_a_file_that_exists_is_refused() {
    let Some(_) = cluster() else { return };
    let src = TestEnv::new_sqlite();
    src.cmd().arg("init").assert().success();
    src.enroll("alice", &[]);
    // A PostgreSQL target initialised by mfactl (empty of users, but a store).
    let target = TestEnv::initialised();
    assert!(target.is_pg());
    let before = target.snapshot();
    let out = copy_store(&src, &src.store, &target.store);
    assert_eq!(
        json_error(&out)["kind"],
        "store_exists",
        "{}",
        text(&out.stderr)
    );
    assert_eq!(target.snapshot(), before);
    // The other way: a PostgreSQL source into an existing file.
    let target_file = TestEnv::new_sqlite();
    target_file.cmd().arg("init").assert().success();
    let bytes = std::fs::read(&target_file.db).unwrap();
    let out = copy_store(&target, &target.store, &target_file.store);
    assert_eq!(json_error(&out)["kind"], "store_exists");
    assert_eq!(std::fs::read(&target_file.db).unwrap(), bytes);
}

// ---------------------------------------------------------------------------------------
// A verify killed mid-way

#[test]
fn verifies_killed_mid_transaction_leave_counts_and_audit_rows_in_step() {
    let Some(_) = cluster() else { return };
    // 4 verifies a round: at most 82 failures in all, below max-failures (100), no lockout.
    const ROUNDS: usize = 20;
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("alice");
    env.cmd()
        .args(["config", "set", "max-failures", "100"])
        .assert()
        .success();
    let wrong = wrong_code(&secret);

    // How long one wrong verify takes here: kill points are drawn from a bit more than that.
    let started = Instant::now();
    let (rc, _) = env.verify("alice", &wrong);
    assert_eq!(rc, 1);
    let full = started.elapsed().as_micros() as u64;

    let (mut killed, mut finished) = (0, 0);
    for _ in 0..ROUNDS {
        let mut batch: Vec<_> = (0..4)
            .map(|_| {
                let mut c = env
                    .std_cmd()
                    .args(["--json", "verify", "alice"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                use std::io::Write;
                let _ = writeln!(c.stdin.take().unwrap(), "{wrong}");
                c
            })
            .collect();
        // This sleep only picks where the kills land.
        std::thread::sleep(Duration::from_micros(
            getrandom::u64().unwrap() % (full * 5 / 4 + 1),
        ));
        for c in &mut batch {
            let _ = c.kill();
        }
        for c in batch {
            let out = c.wait_with_output().unwrap();
            match out.status.signal() {
                Some(9) => killed += 1,
                _ => {
                    assert_eq!(out.status.code(), Some(1));
                    finished += 1;
                }
            }
        }
    }
    eprintln!("{killed} verifies killed, {finished} finished");
    assert!(killed > 0, "no verify was killed: the test proved nothing");

    // The store still answers at once (no lock left behind by a dead client)...
    let started = Instant::now();
    let (rc, doc) = env.verify("alice", &wrong);
    assert_eq!((rc, doc["reason"].as_str()), (1, Some("invalid")));
    assert!(started.elapsed() < Duration::from_secs(20));
    // ...and every counted failure has its audit row, and no row lacks its count.
    let failures = env.query_i64("SELECT failed_attempts FROM mfa_user WHERE username = 'alice'");
    let rejected = env.query_i64(
        "SELECT count(*) FROM audit_log WHERE username = 'alice' AND event = 'verify-rejected'",
    );
    assert_eq!(failures, rejected);
    assert!(failures as usize >= finished + 2);
}

// ---------------------------------------------------------------------------------------
// The harness itself: the direct reads these tests (and every test's snapshot) rely on

#[test]
fn the_direct_postgres_oracle_sees_every_change() {
    let Some(_) = cluster() else { return };
    let db = PgDatabase::create();
    let name = db.name.clone();
    let store = db.store();
    assert!(!store.exists() && store.tables().is_empty());
    let empty = store.snapshot();
    store.execute_sql(
        "",
        "CREATE SCHEMA mfactl; \
         CREATE TABLE mfactl.mfa_user (id text PRIMARY KEY, username text, created_at text, \
         updated_at text, failed_attempts integer, locked_at text, locked_until text, \
         lockouts integer); \
         CREATE TABLE mfactl.mfa_token (id text PRIMARY KEY, user_id text, label text, \
         secret bytea, status text, algorithm text, digits integer, period integer, \
         issuer text, enrolled_at text, enabled_at text, disabled_at text, last_used_at text, \
         last_used_step bigint, updated_at text, drift integer); \
         CREATE TABLE mfactl.recipient (recipient text, added_at text)",
    );
    assert!(store.exists());
    assert_eq!(store.tables(), ["mfa_token", "mfa_user", "recipient"]);
    let tables_only = store.snapshot();
    assert_ne!(tables_only, empty);
    store.execute(
        "INSERT INTO mfa_user (id, username, created_at, updated_at) \
         VALUES ('1', 'o''brien', 'x', 'x')",
    );
    store.execute(
        "INSERT INTO mfa_token (id, user_id, label, secret, updated_at) \
         VALUES ('t1', '1', 'default', NULL, 'x')",
    );
    let with_row = store.snapshot();
    assert_ne!(with_row, tables_only);
    assert_eq!(store.stored_secret("o'brien"), None);
    let blob = [0u8, 1, 2, 0xfe, 0xff];
    store.set_stored_secret("o'brien", &blob);
    assert_eq!(store.stored_secret("o'brien"), Some(blob.to_vec()));
    assert_eq!(
        store.stored_secrets(),
        [("o'brien".to_owned(), blob.to_vec())]
    );
    let with_blob = store.snapshot();
    assert_ne!(with_blob, with_row);
    assert_eq!(store.query_i64("SELECT count(*) FROM mfa_user"), 1);
    assert_eq!(store.snapshot(), with_blob, "a snapshot is repeatable");
    // The database goes away with its value.
    drop(db);
    let admin = pg_admin_url().unwrap();
    let left = Store::Pg(admin).query_i64(&format!(
        "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
    ));
    assert_eq!(left, 0, "the test database was not dropped");
}

#[test]
fn a_percent_encoded_password_is_masked_in_both_forms() {
    let Some(pg) = cluster() else { return };
    // A role of this test's own, whose password needs percent-encoding in a URL.
    let role = format!("mfactl_enc_{:08x}", getrandom::u32().unwrap());
    let plain = "p@ss:w/rd%x-Zq9";
    let encoded = "p%40ss%3Aw%2Frd%25x-Zq9";
    let admin = Store::Pg(pg_admin_url().unwrap());
    admin.execute(&format!("CREATE ROLE \"{role}\" LOGIN PASSWORD '{plain}'"));
    {
        let db = PgDatabase::create_owned_by(Some(&role));
        let url = format!(
            "postgresql://{role}:{encoded}@{}:{}/{}?sslmode=disable",
            pg.host, pg.port, db.name
        );
        let env = TestEnv::on_pg_database(db, url);
        let mut outputs = Vec::new();
        for args in [
            &["--json", "init"][..],
            &["--json", "enroll", "alice"],
            &["list"],
            &["--json", "log"],
            &["--json", "unlock", "nobody"],
            &["--json", "init"],
        ] {
            outputs.push((args.join(" "), env.cmd().args(args).output().unwrap()));
        }
        assert!(
            outputs[0].1.status.success(),
            "{}",
            text(&outputs[0].1.stderr)
        );
        let doc: Value = serde_json::from_slice(&outputs[0].1.stdout).unwrap();
        assert!(doc["store"].as_str().unwrap().contains("***"), "{doc}");
        assert!(outputs[1].1.status.success());
        for (what, out) in &outputs {
            assert_absent(out, plain, what);
            assert_absent(out, encoded, what);
        }
        let everything = env.snapshot();
        assert!(!everything.contains(plain) && !everything.contains(encoded));
    }
    admin.execute(&format!("DROP ROLE \"{role}\""));
}

// ---------------------------------------------------------------------------------------
// Locks: one user's row, not the whole store

#[test]
fn a_locked_user_row_does_not_hold_up_another_users_verify() {
    let Some(_) = cluster() else { return };
    let env = TestEnv::initialised();
    env.enroll_enabled("alice");
    let bob = env.enroll_enabled("bob");
    // Another session holds what a verify of alice in progress holds: the store's advisory
    // lock in shared mode ("MFAC") and alice's row.
    let url = &env.pg().expect("a PostgreSQL test").url;
    let mut holder = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut tx = holder.transaction().unwrap();
    tx.execute(
        "SELECT pg_advisory_xact_lock_shared(x'4D464143'::int::bigint)",
        &[],
    )
    .unwrap();
    let locked = tx
        .query(
            "SELECT id FROM mfactl.mfa_user WHERE username = 'alice' FOR UPDATE",
            &[],
        )
        .unwrap();
    assert_eq!(locked.len(), 1);
    // bob's verify does not wait for it: with one store-wide lock it would wait for the lock
    // timeout and fail (exit 2); with row locks it is accepted. The next step's code is fresh.
    let (rc, doc) = env.verify("bob", &code_at_step(&bob, step_now() + 1));
    assert_eq!(rc, 0, "{doc}");
    assert_eq!(doc["reason"], "ok");
    tx.rollback().unwrap();
}
