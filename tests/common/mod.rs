//! Shared helpers for the integration tests: a temporary store, the real binary, and
//! independent oracles (an RFC 4226 HOTP written here against the hmac crate, a QR decoder,
//! SQLite read directly).
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use hmac::{Hmac, Mac};

/// A temporary home for one test: the store and identity live inside it.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub identity: PathBuf,
}

impl TestEnv {
    /// An empty directory; no store yet.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("data").join("mfactl.db");
        let identity = dir.path().join("config").join("identity.txt");
        TestEnv { dir, db, identity }
    }

    /// A store created with `mfactl init` (which also generates the identity).
    pub fn initialised() -> Self {
        let env = Self::new();
        env.cmd().arg("init").assert().success();
        env
    }

    /// The environment every invocation of the binary gets (and nothing else).
    pub fn env_vars(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("HOME", self.dir.path().into()),
            ("XDG_DATA_HOME", self.dir.path().join("xdg-data").into()),
            ("XDG_CONFIG_HOME", self.dir.path().join("xdg-config").into()),
            ("MFACTL_DB", self.db.clone().into()),
            ("MFACTL_IDENTITY", self.identity.clone().into()),
            ("MFACTL_ACTOR", "test-operator".into()),
            ("NO_COLOR", "1".into()),
        ]
    }

    /// The real binary, isolated from the caller's environment, with no stdin.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("mfactl").expect("binary");
        c.env_clear().envs(self.env_vars()).write_stdin("");
        c
    }

    /// The real binary as a plain `std::process::Command` with the same environment as
    /// [`TestEnv::cmd`], for tests that spawn processes and keep their handles (to run many
    /// at once, or to kill them). stdin, stdout and stderr are the caller's to set.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("mfactl"));
        c.env_clear().envs(self.env_vars());
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
        snapshot(&self.db)
    }
}

/// Reads every table directly with SQLite (not through mfactl) into a comparable string.
pub fn snapshot(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open store read-only");
    let mut out = String::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in tables {
        out.push_str(&format!("== {t}\n"));
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut line = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push(format!("{v:?}"));
                }
                Ok(line.join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(&row.unwrap());
            out.push('\n');
        }
    }
    out
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
    let lines: Vec<Vec<char>> = text
        .lines()
        .filter(|l| l.chars().any(|c| matches!(c, '█' | '▀' | '▄')))
        .map(|l| l.chars().collect())
        .collect();
    assert!(!lines.is_empty(), "no QR code in output");
    let width = lines.iter().map(Vec::len).max().unwrap();
    let height = lines.len() * 2;
    // printed[y][x] = whether that half-cell is drawn
    let mut light = vec![vec![false; width]; height];
    for (row, line) in lines.iter().enumerate() {
        for (x, c) in line.iter().enumerate() {
            light[row * 2][x] = matches!(c, '█' | '▀');
            light[row * 2 + 1][x] = matches!(c, '█' | '▄');
        }
    }
    let scale = 4;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(width * scale, height * scale, |x, y| {
            if light[y / scale][x / scale] {
                255
            } else {
                0
            }
        });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected exactly one QR code");
    let (_, content) = grids[0].decode().expect("QR decodes");
    content
}
