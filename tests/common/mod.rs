//! Shared helpers for the integration tests: a temporary store, the real binary, and
//! independent oracles (an RFC 4226 HOTP written here against the hmac crate, a QR decoder,
//! the store read directly with SQLite or PostgreSQL).
//!
//! Every test runs on the backend the environment selects: a SQLite file by default, or, when
//! `MFACTL_TEST_PG` holds a PostgreSQL URL (a superuser; `.ci/pg-cluster start` prints one), a
//! fresh database per [`TestEnv`], dropped with it. Tests about files as such (modes, sidecar
//! files, hostile non-database files, crash consistency of the file) return early on
//! PostgreSQL through [`skip_on_pg`].
//!
//! Locally: `eval "$(.ci/pg-cluster start /tmp/mfpg)"; cargo test; .ci/pg-cluster stop /tmp/mfpg`.
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use hmac::{Hmac, Mac};

/// The environment variable naming the PostgreSQL server to test against (superuser URL).
pub const PG_ENV: &str = "MFACTL_TEST_PG";

/// The admin (superuser) URL of the test PostgreSQL server, when the run is against one.
pub fn pg_admin_url() -> Option<String> {
    std::env::var(PG_ENV).ok().filter(|s| !s.is_empty())
}

/// True (after saying so on stderr) when this run is against PostgreSQL: for tests that are
/// about SQLite files as such and have no PostgreSQL counterpart. Use as
/// `if skip_on_pg("why") { return; }`.
pub fn skip_on_pg(why: &str) -> bool {
    if pg_admin_url().is_some() {
        eprintln!("skipped on PostgreSQL (a test about SQLite files: {why})");
        true
    } else {
        false
    }
}

/// `url` (a `postgres://` / `postgresql://` URL) with its database name replaced by `db`;
/// user, password, host, port and query options stay as they are.
pub fn pg_url_with_db(url: &str, db: &str) -> String {
    let authority = url.find("://").expect("a URL with a scheme") + 3;
    let query = url.find('?').unwrap_or(url.len());
    let path = url[authority..query].find('/').map(|i| authority + i);
    match path {
        Some(p) => format!("{}/{db}{}", &url[..p], &url[query..]),
        None => format!("{}/{db}{}", &url[..query], &url[query..]),
    }
}

/// A PostgreSQL error with the server's message (the plain Display says only "db error").
fn pg_err(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{e}: {} ({})", db.message(), db.code().code()),
        None => format!("{e:?}"),
    }
}

fn pg_connect(url: &str) -> postgres::Client {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "connecting to the test PostgreSQL server ({url}): {}",
            pg_err(&e)
        )
    });
    // mfactl keeps its tables in a schema of their own.
    client
        .batch_execute("SET search_path TO mfactl, public")
        .unwrap_or_else(|e| panic!("setting the search path: {}", pg_err(&e)));
    client
}

/// A fresh, empty PostgreSQL database on the test server, dropped (with its connections) when
/// this value is dropped.
pub struct PgDatabase {
    pub name: String,
    /// The superuser's URL of this database (Unix socket, no password).
    pub url: String,
}

impl PgDatabase {
    pub fn create() -> Self {
        Self::create_owned_by(None)
    }

    /// A database owned by `owner` (a role of the test cluster), so that the role can create
    /// mfactl's tables in its `mfactl` schema.
    pub fn create_owned_by(owner: Option<&str>) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let admin = pg_admin_url().expect("MFACTL_TEST_PG is set");
        let name = format!(
            "mfactl_t{}_{}_{:08x}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            getrandom::u32().unwrap()
        );
        let owner = owner.map(|o| format!(" OWNER \"{o}\"")).unwrap_or_default();
        pg_connect(&admin)
            .batch_execute(&format!("CREATE DATABASE \"{name}\"{owner}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {}", pg_err(&e)));
        let url = pg_url_with_db(&admin, &name);
        PgDatabase { name, url }
    }

    pub fn store(&self) -> Store {
        Store::Pg(self.url.clone())
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let Some(admin) = pg_admin_url() else { return };
        let dropped = postgres::Client::connect(&admin, postgres::NoTls).and_then(|mut c| {
            c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
        });
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {}", self.name, pg_err(&e));
        }
    }
}

/// A store read and changed directly (not through mfactl): a SQLite file or a PostgreSQL
/// database (by a superuser URL).
#[derive(Debug, Clone)]
pub enum Store {
    File(PathBuf),
    Pg(String),
}

/// A row of a direct query: every value as text (NULL as `None`, integers in decimal, blobs
/// and BYTEA as `\x` and lower-case hex, as PostgreSQL prints BYTEA).
pub type TextRow = Vec<Option<String>>;

/// `bytes` as PostgreSQL prints a BYTEA: `\x` and lower-case hex.
pub fn hex_bytea(bytes: &[u8]) -> String {
    format!("\\x{}", data_encoding::HEXLOWER.encode(bytes))
}

/// The inverse of [`hex_bytea`].
pub fn unhex_bytea(text: &str) -> Vec<u8> {
    let hex = text.strip_prefix("\\x").expect("a \\x... BYTEA text");
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.as_bytes())
        .expect("hex")
}

impl Store {
    pub fn is_pg(&self) -> bool {
        matches!(self, Store::Pg(_))
    }

    /// The name of the user column of `mfa_user` and `audit_log` (`user` in SQLite,
    /// `username` in PostgreSQL, where `user` is reserved).
    pub fn user_col(&self) -> &'static str {
        match self {
            Store::File(_) => "user",
            Store::Pg(_) => "username",
        }
    }

    /// `sql` with `%USER%` replaced by [`Store::user_col`], and `%USER_TOKENS%` by every
    /// (user, token) pair of the store, read from `mfa_user` joined with `mfa_token`, one row
    /// per token, under the column names of the old one-row-per-user table: `id` (the user's),
    /// the user column, `created_at`, `updated_at` (the later of the two rows'),
    /// `failed_attempts`, `locked_at`, then the token's `token_id`, `label`, `secret`,
    /// `status`, `algorithm`, `digits`, `period`, `issuer`, `enrolled_at`, `enabled_at`,
    /// `disabled_at`, `last_used_at`, `last_used_step`, and the lockout part's `locked_until`
    /// and `lockouts` (the user's), the token's `drift`.
    fn dialect(&self, sql: &str) -> String {
        let greatest = if self.is_pg() { "GREATEST" } else { "max" };
        let user_tokens = format!(
            "(SELECT u.id AS id, u.%USER% AS %USER%, u.created_at AS created_at, \
             {greatest}(u.updated_at, t.updated_at) AS updated_at, \
             u.failed_attempts AS failed_attempts, u.locked_at AS locked_at, \
             t.id AS token_id, t.label AS label, t.secret AS secret, t.status AS status, \
             t.algorithm AS algorithm, t.digits AS digits, t.period AS period, \
             t.issuer AS issuer, t.enrolled_at AS enrolled_at, t.enabled_at AS enabled_at, \
             t.disabled_at AS disabled_at, t.last_used_at AS last_used_at, \
             t.last_used_step AS last_used_step, u.locked_until AS locked_until, \
             u.lockouts AS lockouts, t.drift AS drift \
             FROM mfa_user u JOIN mfa_token t ON t.user_id = u.id) AS user_tokens"
        );
        sql.replace("%USER_TOKENS%", &user_tokens)
            .replace("%USER%", self.user_col())
    }

    /// A literal for `bytes` in this backend's SQL.
    pub fn blob_literal(&self, bytes: &[u8]) -> String {
        let hex = data_encoding::HEXLOWER.encode(bytes);
        match self {
            Store::File(_) => format!("X'{hex}'"),
            Store::Pg(_) => format!("'\\x{hex}'::bytea"),
        }
    }

    /// Runs a query (with `%USER%` for the user column); every value as text.
    pub fn query(&self, sql: &str) -> Vec<TextRow> {
        let sql = self.dialect(sql);
        match self {
            Store::File(db) => {
                // Read-write with `query_only`, not a read-only open: after a killed write
                // the file has a hot rollback journal, which a read-only connection cannot
                // roll back ("attempt to write a readonly database"). Any real opener rolls it
                // back first, so this reads what the next mfactl would read, and still cannot
                // change a row.
                let conn = rusqlite::Connection::open_with_flags(
                    db,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
                )
                .expect("open store");
                conn.pragma_update(None, "query_only", true)
                    .expect("PRAGMA query_only");
                let mut stmt = conn.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let n = stmt.column_count();
                stmt.query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            use rusqlite::types::Value;
                            Ok(match r.get::<_, Value>(i)? {
                                Value::Null => None,
                                Value::Integer(v) => Some(v.to_string()),
                                Value::Real(v) => Some(v.to_string()),
                                Value::Text(t) => Some(t),
                                Value::Blob(b) => Some(hex_bytea(&b)),
                            })
                        })
                        .collect()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            }
            Store::Pg(url) => pg_connect(url)
                .simple_query(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {}", pg_err(&e)))
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_owned))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The first column of every row of a query, none of them NULL.
    pub fn query_strings(&self, sql: &str) -> Vec<String> {
        self.query(sql)
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_else(|| panic!("NULL from {sql}")))
            .collect()
    }

    /// The single integer a query returns (e.g. a count).
    pub fn query_i64(&self, sql: &str) -> i64 {
        let rows = self.query_strings(sql);
        assert_eq!(rows.len(), 1, "{sql} returned {} rows", rows.len());
        rows[0].parse().unwrap()
    }

    /// Runs one statement (with `%USER%` for the user column); returns the rows it changed.
    pub fn execute(&self, sql: &str) -> u64 {
        let sql = self.dialect(sql);
        match self {
            Store::File(db) => rusqlite::Connection::open(db)
                .unwrap()
                .execute(&sql, [])
                .unwrap_or_else(|e| panic!("{sql}: {e}")) as u64,
            Store::Pg(url) => pg_connect(url)
                .execute(sql.as_str(), &[])
                .unwrap_or_else(|e| panic!("{sql}: {}", pg_err(&e))),
        }
    }

    /// Runs `sqlite_sql` or `pg_sql`, whichever fits the backend (for statements whose
    /// dialects differ).
    pub fn execute_sql(&self, sqlite_sql: &str, pg_sql: &str) {
        match self {
            Store::File(db) => rusqlite::Connection::open(db)
                .unwrap()
                .execute_batch(sqlite_sql)
                .unwrap_or_else(|e| panic!("{sqlite_sql}: {e}")),
            Store::Pg(url) => pg_connect(url)
                .batch_execute(pg_sql)
                .unwrap_or_else(|e| panic!("{pg_sql}: {}", pg_err(&e))),
        }
    }

    /// Whether anything is there: the file exists, or the database has a table in the
    /// `mfactl` schema.
    pub fn exists(&self) -> bool {
        match self {
            Store::File(db) => db.exists(),
            Store::Pg(_) => !self.tables().is_empty(),
        }
    }

    /// The tables (of the `mfactl` schema on PostgreSQL), sorted.
    pub fn tables(&self) -> Vec<String> {
        match self {
            Store::File(_) => self
                .query_strings("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"),
            Store::Pg(_) => self.query_strings(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'mfactl' ORDER BY 1",
            ),
        }
    }

    /// Every row of every table, as text: equal snapshots mean an unchanged store.
    pub fn snapshot(&self) -> String {
        let mut out = String::new();
        for t in self.tables() {
            out.push_str(&format!("== {t}\n"));
            let sql = match self {
                Store::File(_) => format!("SELECT * FROM \"{t}\" ORDER BY 1"),
                Store::Pg(_) => format!("SELECT t::text FROM \"{t}\" t ORDER BY 1"),
            };
            for row in self.query(&sql) {
                let line: Vec<String> = row
                    .iter()
                    .map(|v| v.clone().unwrap_or_else(|| "NULL".into()))
                    .collect();
                out.push_str(&line.join("|"));
                out.push('\n');
            }
        }
        out
    }

    /// The stored ciphertext of `user`'s secret (None: no secret, e.g. disabled). Panics if
    /// there is no such user.
    pub fn stored_secret(&self, user: &str) -> Option<Vec<u8>> {
        let rows = self.query(&format!(
            "SELECT secret FROM %USER_TOKENS% WHERE %USER% = '{}'",
            user.replace('\'', "''")
        ));
        assert_eq!(rows.len(), 1, "no single row for user {user:?}");
        rows[0][0].as_deref().map(unhex_bytea)
    }

    /// Every stored (user, ciphertext), sorted by user (bytewise, whatever the database's
    /// collation).
    pub fn stored_secrets(&self) -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<(String, Vec<u8>)> = self
            .query("SELECT %USER%, secret FROM %USER_TOKENS% WHERE secret IS NOT NULL")
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), unhex_bytea(r[1].as_deref().unwrap())))
            .collect();
        all.sort();
        all
    }

    /// Replaces `user`'s stored ciphertext with `blob`.
    pub fn set_stored_secret(&self, user: &str, blob: &[u8]) {
        let n = self.execute(&format!(
            "UPDATE mfa_token SET secret = {} \
             WHERE user_id IN (SELECT id FROM mfa_user WHERE %USER% = '{}')",
            self.blob_literal(blob),
            user.replace('\'', "''")
        ));
        assert_eq!(n, 1, "no row for {user}");
    }

    /// Turns a current store back into schema version 3, as the last mfactl before labelled
    /// tokens left it (one `mfa_secret` row per user, recovery codes keyed by `secret_id`):
    /// for the tests of the migrations. Each user must have exactly one token.
    pub fn downgrade_to_v3(&self) {
        let singles = self.query_i64(
            "SELECT count(*) FROM (SELECT user_id FROM mfa_token GROUP BY user_id \
             HAVING count(*) > 1) AS several",
        );
        assert_eq!(singles, 0, "a version-3 store has one secret per user");
        let sql = |blob: &str, bigint: &str, user: &str, version: &str| {
            format!(
                "CREATE TABLE mfa_secret (
                    id TEXT PRIMARY KEY NOT NULL, {user} TEXT NOT NULL UNIQUE, secret {blob},
                    status TEXT NOT NULL CHECK (status IN ('pending', 'enabled', 'disabled')),
                    algorithm TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
                    digits INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 8),
                    period INTEGER NOT NULL CHECK (period BETWEEN 10 AND 300),
                    issuer TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                    enabled_at TEXT, disabled_at TEXT, last_used_at TEXT, last_used_step {bigint},
                    failed_attempts INTEGER NOT NULL DEFAULT 0, locked_at TEXT,
                    enrolled_at TEXT,
                    CHECK ((status = 'disabled') = (secret IS NULL)));
                CREATE INDEX mfa_secret_status ON mfa_secret (status);
                INSERT INTO mfa_secret SELECT u.id, u.{user}, t.secret, t.status, t.algorithm,
                    t.digits, t.period, t.issuer, u.created_at, t.updated_at, t.enabled_at,
                    t.disabled_at, t.last_used_at, t.last_used_step, u.failed_attempts,
                    u.locked_at, t.enrolled_at
                    FROM mfa_user u JOIN mfa_token t ON t.user_id = u.id;
                CREATE TABLE recovery_code_v3 (
                    secret_id TEXT NOT NULL REFERENCES mfa_secret (id) ON DELETE CASCADE,
                    code_hash {blob} NOT NULL, created_at TEXT NOT NULL, used_at TEXT,
                    PRIMARY KEY (secret_id, code_hash));
                INSERT INTO recovery_code_v3 SELECT user_id, code_hash, created_at, used_at
                    FROM recovery_code;
                DROP TABLE recovery_code;
                DROP TABLE mfa_token;
                DROP TABLE mfa_user;
                ALTER TABLE recovery_code_v3 RENAME TO recovery_code;
                {version}"
            )
        };
        self.execute_sql(
            &sql("BLOB", "INTEGER", "user", "PRAGMA user_version = 3;"),
            &sql(
                "BYTEA",
                "BIGINT",
                "username",
                "UPDATE mfactl_meta SET value = '3' WHERE key = 'schema_version';",
            ),
        );
    }

    /// The recipients table, sorted (bytewise).
    pub fn stored_recipients(&self) -> Vec<String> {
        let mut all = self.query_strings("SELECT recipient FROM recipient");
        all.sort();
        all
    }

    /// Rows in `table`.
    pub fn count(&self, table: &str) -> i64 {
        self.query_i64(&format!("SELECT count(*) FROM \"{table}\""))
    }
}

/// A temporary home for one test: the store and identity live inside it (or, on PostgreSQL,
/// the store is a fresh database of its own).
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// Where a SQLite store lives (also on PostgreSQL runs, where nothing is created there).
    pub db: PathBuf,
    /// What `MFACTL_DB` gets: `db` as text, or the PostgreSQL database's URL.
    pub store: String,
    pub identity: PathBuf,
    pg: Option<PgDatabase>,
}

impl TestEnv {
    /// An empty directory and no store yet, on the backend this run tests.
    pub fn new() -> Self {
        if pg_admin_url().is_some() {
            let pg = PgDatabase::create();
            let mut env = Self::new_sqlite();
            env.store = pg.url.clone();
            env.pg = Some(pg);
            env
        } else {
            Self::new_sqlite()
        }
    }

    /// An empty directory, with `db` (read and changed directly as the superuser) as the
    /// store, reached by mfactl through `store` (e.g. a URL with another role, over TCP).
    pub fn on_pg_database(db: PgDatabase, store: String) -> Self {
        let mut env = Self::new_sqlite();
        env.store = store;
        env.pg = Some(db);
        env
    }

    /// An empty directory and no store yet, with a SQLite file as the store whatever the run.
    pub fn new_sqlite() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("data").join("mfactl.db");
        let identity = dir.path().join("config").join("identity.txt");
        TestEnv {
            store: db.to_str().expect("UTF-8 temp path").to_owned(),
            dir,
            db,
            identity,
            pg: None,
        }
    }

    /// A store created with `mfactl init` (which also generates the identity).
    pub fn initialised() -> Self {
        let env = Self::new();
        env.cmd().arg("init").assert().success();
        // The store is where the test reads it directly (and not, say, a file named after
        // a URL the binary did not recognise).
        assert!(
            env.store_exists(),
            "init succeeded but created no store at {}",
            env.location()
        );
        env
    }

    pub fn is_pg(&self) -> bool {
        self.pg.is_some()
    }

    /// The PostgreSQL database of this test (None on SQLite).
    pub fn pg(&self) -> Option<&PgDatabase> {
        self.pg.as_ref()
    }

    /// The store, for direct reads and changes.
    pub fn direct(&self) -> Store {
        match &self.pg {
            Some(pg) => pg.store(),
            None => Store::File(self.db.clone()),
        }
    }

    /// What an error about the store must name: the file's path, or the database's name.
    pub fn location(&self) -> String {
        match &self.pg {
            Some(pg) => pg.name.clone(),
            None => self.db.display().to_string(),
        }
    }

    /// The environment every invocation of the binary gets (and nothing else).
    pub fn env_vars(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("HOME", self.dir.path().into()),
            ("XDG_DATA_HOME", self.dir.path().join("xdg-data").into()),
            ("XDG_CONFIG_HOME", self.dir.path().join("xdg-config").into()),
            ("MFACTL_DB", self.store.clone().into()),
            ("MFACTL_IDENTITY", self.identity.clone().into()),
            ("MFACTL_ACTOR", "test-operator".into()),
            ("NO_COLOR", "1".into()),
        ]
    }

    /// The real binary, isolated from the caller's environment (its working directory is the
    /// test's own), with no stdin.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("mfactl").expect("binary");
        c.env_clear()
            .envs(self.env_vars())
            .current_dir(self.dir.path())
            .write_stdin("");
        c
    }

    /// The real binary as a plain `std::process::Command` with the same environment as
    /// [`TestEnv::cmd`], for tests that spawn processes and keep their handles (to run many
    /// at once, or to kill them). stdin, stdout and stderr are the caller's to set.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("mfactl"));
        c.env_clear()
            .envs(self.env_vars())
            .current_dir(self.dir.path());
        c
    }

    /// Runs `mfactl --json verify USER` with `code` on stdin; returns the exit code and the
    /// JSON document printed on stdout.
    pub fn verify(&self, user: &str, code: &str) -> (i32, serde_json::Value) {
        let out = self
            .cmd()
            .args(["--json", "verify", user])
            .write_stdin(format!("{code}\n"))
            .output()
            .expect("run mfactl verify");
        let code = out.status.code().expect("verify exited normally");
        let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "verify --json printed no JSON ({e}); stdout {:?}, stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, doc)
    }

    /// `mfactl --json list` (with `extra` arguments), parsed.
    pub fn list(&self, extra: &[&str]) -> Vec<serde_json::Value> {
        let out = self
            .cmd()
            .args(["--json", "list"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let doc: serde_json::Value = serde_json::from_slice(&out).expect("list --json prints JSON");
        doc.as_array().expect("list --json prints an array").clone()
    }

    /// Enrolls `user` with `--json` plus `extra` arguments; returns the JSON document.
    pub fn enroll(&self, user: &str, extra: &[&str]) -> serde_json::Value {
        let out = self
            .cmd()
            .args(["--json", "enroll", user])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).expect("enroll --json prints JSON")
    }

    /// Enrolls and confirms `user`; returns the base32 secret.
    pub fn enroll_enabled(&self, user: &str) -> String {
        let doc = self.enroll(user, &[]);
        let secret = doc["secret"].as_str().unwrap().to_owned();
        let code = totp_now(&secret, "SHA1", 6, 30);
        self.cmd()
            .args(["verify", user])
            .write_stdin(format!("{code}\n"))
            .assert()
            .code(0);
        secret
    }

    /// Every row of every table, as text: equal snapshots mean an unchanged store.
    pub fn snapshot(&self) -> String {
        self.direct().snapshot()
    }

    /// Whether the store exists (file, or any table in the database).
    pub fn store_exists(&self) -> bool {
        self.direct().exists()
    }

    /// See [`Store::query`].
    pub fn query(&self, sql: &str) -> Vec<TextRow> {
        self.direct().query(sql)
    }

    /// See [`Store::query_strings`].
    pub fn query_strings(&self, sql: &str) -> Vec<String> {
        self.direct().query_strings(sql)
    }

    /// See [`Store::query_i64`].
    pub fn query_i64(&self, sql: &str) -> i64 {
        self.direct().query_i64(sql)
    }

    /// See [`Store::execute`].
    pub fn execute(&self, sql: &str) -> u64 {
        self.direct().execute(sql)
    }

    /// See [`Store::execute_sql`].
    pub fn execute_sql(&self, sqlite_sql: &str, pg_sql: &str) {
        self.direct().execute_sql(sqlite_sql, pg_sql)
    }

    /// See [`Store::stored_secret`].
    pub fn stored_secret(&self, user: &str) -> Option<Vec<u8>> {
        self.direct().stored_secret(user)
    }

    /// See [`Store::stored_secrets`].
    pub fn stored_secrets(&self) -> Vec<(String, Vec<u8>)> {
        self.direct().stored_secrets()
    }

    /// See [`Store::set_stored_secret`].
    pub fn set_stored_secret(&self, user: &str, blob: &[u8]) {
        self.direct().set_stored_secret(user, blob)
    }

    /// See [`Store::stored_recipients`].
    pub fn stored_recipients(&self) -> Vec<String> {
        self.direct().stored_recipients()
    }
}

/// Reads every table of a SQLite file directly (not through mfactl) into a comparable string.
pub fn snapshot(db: &Path) -> String {
    Store::File(db.to_owned()).snapshot()
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// RFC 4226 HOTP, written here from the RFC against the hmac crate: an oracle independent of
/// mfactl's and totp-rs's code.
pub fn hotp(key: &[u8], counter: u64, digits: u32, algorithm: &str) -> String {
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).unwrap();
        m.update(msg);
        m.finalize().into_bytes().to_vec()
    }
    let msg = counter.to_be_bytes();
    let h = match algorithm {
        "SHA1" => mac::<Hmac<sha1::Sha1>>(key, &msg),
        "SHA256" => mac::<Hmac<sha2::Sha256>>(key, &msg),
        "SHA512" => mac::<Hmac<sha2::Sha512>>(key, &msg),
        other => panic!("unknown algorithm {other}"),
    };
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

/// The TOTP code for `secret_b32` at `unix_time`.
pub fn totp_at(
    secret_b32: &str,
    algorithm: &str,
    digits: u32,
    period: u64,
    unix_time: u64,
) -> String {
    let key = data_encoding::BASE32_NOPAD
        .decode(secret_b32.as_bytes())
        .expect("base32 secret");
    hotp(&key, unix_time / period, digits, algorithm)
}

/// The current TOTP time step for the default 30 s period.
pub fn step_now() -> u64 {
    unix_now() / 30
}

/// Runs `scenario` with the current 30 s step, and returns its result if the step did not
/// change while it ran; a run that straddles a step boundary is thrown away and repeated (at
/// most three times). For scenarios about "the previous step" or "the next step": this never
/// waits, it only repeats, so `scenario` must set up its own fresh store and return what it
/// observed rather than assert.
pub fn in_one_step<T>(mut scenario: impl FnMut(u64) -> T) -> T {
    for _ in 0..3 {
        let step = step_now();
        let out = scenario(step);
        if step_now() == step {
            return out;
        }
    }
    panic!("three runs in a row straddled a TOTP step boundary");
}

/// The code for `secret_b32` (SHA1, 6 digits, 30 s) at time step `step`.
pub fn code_at_step(secret_b32: &str, step: u64) -> String {
    totp_at(secret_b32, "SHA1", 6, 30, step * 30)
}

/// The TOTP code for now.
pub fn totp_now(secret_b32: &str, algorithm: &str, digits: u32, period: u64) -> String {
    totp_at(secret_b32, algorithm, digits, period, unix_now())
}

/// A code for `secret_b32` that is wrong at every step in ±2 of now.
pub fn wrong_code(secret_b32: &str) -> String {
    let now = unix_now();
    let near: Vec<String> = (0..5)
        .map(|i| totp_at(secret_b32, "SHA1", 6, 30, now - 60 + i * 30))
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// Decodes a QR code printed as unicode half blocks (as mfactl prints it: light modules are
/// the printed glyphs) with the rqrr decoder. Returns the decoded text.
pub fn decode_terminal_qr(text: &str) -> String {
    decode_half_blocks(text, false, 0)
}

/// Decodes the half-block lines of `text` with rqrr. `glyphs_are_dark`: the glyphs are the dark
/// modules (`--qr-invert`) rather than the light ones; `margin` blank cells are added around
/// them (a light quiet zone, for a code that prints none).
pub fn decode_half_blocks(text: &str, glyphs_are_dark: bool, margin: usize) -> String {
    let lines: Vec<Vec<char>> = text
        .lines()
        .filter(|l| l.chars().any(|c| matches!(c, '█' | '▀' | '▄')))
        .map(|l| l.chars().collect())
        .collect();
    assert!(!lines.is_empty(), "no QR code in output");
    let width = lines.iter().map(Vec::len).max().unwrap() + 2 * margin;
    let height = lines.len() * 2 + 2 * margin;
    // drawn[y][x] = whether that half-cell is drawn
    let mut drawn = vec![vec![false; width]; height];
    for (row, line) in lines.iter().enumerate() {
        for (x, c) in line.iter().enumerate() {
            drawn[margin + row * 2][margin + x] = matches!(c, '█' | '▀');
            drawn[margin + row * 2 + 1][margin + x] = matches!(c, '█' | '▄');
        }
    }
    let scale = 4;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(width * scale, height * scale, |x, y| {
            let dark = drawn[y / scale][x / scale] == glyphs_are_dark;
            if dark {
                0
            } else {
                255
            }
        });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected exactly one QR code");
    let (_, content) = grids[0].decode().expect("QR decodes");
    content
}

/// One audit row as the store holds it, read directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub user: Option<String>,
    pub actor: String,
    pub details: String,
    /// The hash chain's value (see README "Audit trail"); None only on a damaged row.
    pub hash: Option<String>,
}

impl AuditRow {
    /// The details column, parsed.
    pub fn details(&self) -> serde_json::Value {
        serde_json::from_str(&self.details).expect("details is JSON")
    }

    /// Every column as one text, for scans that must find nothing in any of them.
    pub fn text(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.id,
            self.at,
            self.event,
            self.user.as_deref().unwrap_or(""),
            self.actor,
            self.details,
            self.hash.as_deref().unwrap_or("")
        )
    }
}

/// Every audit row, oldest first, read directly from the store.
pub fn audit_rows(env: &TestEnv) -> Vec<AuditRow> {
    env.query("SELECT id, at, event, %USER%, actor, details, hash FROM audit_log ORDER BY id")
        .into_iter()
        .map(|r| AuditRow {
            id: r[0].as_deref().unwrap().parse().unwrap(),
            at: r[1].clone().unwrap(),
            event: r[2].clone().unwrap(),
            user: r[3].clone(),
            actor: r[4].clone().unwrap(),
            details: r[5].clone().unwrap(),
            hash: r[6].clone(),
        })
        .collect()
}

/// The `script` binary from util-linux, which runs a command under a pseudo-terminal.
pub fn script_path() -> std::path::PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("script"))
            .find(|p| p.is_file())
    });
    found.expect(
        "this test needs `script` from util-linux (apt-get install bsdutils) to get a terminal",
    )
}

/// `bin args...` as one POSIX shell command line, every word single-quoted (for `script -c`).
pub fn shell_line(bin: &Path, args: &[&str]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(bin.to_str().unwrap());
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line
}

/// Makes a FIFO at `path` for [`hold_inside_write`].
pub fn make_fifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// For a child started with `MFACTL_TEST_HOLD_BEFORE_COMMIT=fifo` (a debug-build hook in the
/// store's write path): returns once the child is inside a write transaction, every statement
/// run and nothing committed, where it stays until the returned writer is dropped. `None` if the
/// child exited without getting there. Opening a FIFO for writing succeeds only once its reader
/// has opened it, so this waits for that condition (checking meanwhile that the child lives); it
/// never guesses a duration. Panics in a release build, which has no hook.
pub fn hold_inside_write(child: &mut std::process::Child, fifo: &Path) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    if !cfg!(debug_assertions) {
        panic!("the hold-before-commit hook exists in debug builds only");
    }
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
        {
            Ok(f) => return Some(f),
            // ENXIO: no reader yet.
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {}
            Err(e) => panic!("open {}: {e}", fifo.display()),
        }
        if child.try_wait().expect("child status").is_some() {
            return None;
        }
        std::thread::yield_now();
    }
}
