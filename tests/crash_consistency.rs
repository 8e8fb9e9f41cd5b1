//! kill -9 at random points: `enroll`, `verify`, `disable` (and `unlock`) processes are killed
//! mid-flight in a loop, and after every kill the store must be intact and self-consistent:
//! SQLite's integrity check passes (on SQLite), every row obeys the invariants, and every row
//! agrees with the audit log written in the same transaction. Runs on both backends: on
//! PostgreSQL a killed client's transaction must be rolled back as a whole.
//!
//! Random kill points alone cannot show that any kill landed inside a write transaction, so
//! a second test kills each kind of command exactly there: a debug-build hook
//! (`MFACTL_TEST_HOLD_BEFORE_COMMIT`) holds the process after its transaction's last statement,
//! before the commit, and the test knows it got there (a FIFO rendezvous, no sleeping).

mod common;

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;

const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];
const ITERATIONS: usize = 60;

/// xorshift64*: enough randomness to pick kill points; the seed is printed so that a failing
/// run can be repeated with CRASH_SEED=<seed>.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("crash_consistency seed: CRASH_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn identity(env: &TestEnv) -> age::x25519::Identity {
    let text = std::fs::read_to_string(&env.identity).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("identity file holds a key");
    age::x25519::Identity::from_str(line).unwrap()
}

/// Decrypts a stored secret with the age library (not through mfactl) and checks it is the
/// base32 of a secret of the algorithm's length. Returns the base32 text.
fn decrypt(id: &age::x25519::Identity, user: &str, algorithm: &str, ct: &[u8]) -> String {
    let plain = age::decrypt(id, ct).unwrap_or_else(|e| panic!("{user}: cannot decrypt: {e}"));
    let b32 = String::from_utf8(plain).unwrap_or_else(|_| panic!("{user}: not text"));
    let bytes = data_encoding::BASE32_NOPAD
        .decode(b32.as_bytes())
        .unwrap_or_else(|e| panic!("{user}: not base32: {e}"));
    let expected = match algorithm {
        "SHA1" => 20,
        "SHA256" => 32,
        "SHA512" => 64,
        other => panic!("{user}: algorithm {other}"),
    };
    assert_eq!(bytes.len(), expected, "{user}: secret length");
    assert_eq!(
        b32.len(),
        (expected * 8).div_ceil(5),
        "{user}: base32 length"
    );
    b32
}

struct Row {
    status: String,
    secret: Option<Vec<u8>>,
    algorithm: String,
    last_used_step: Option<i64>,
    failures: i64,
    locked: bool,
}

/// Checks the store (read directly; on SQLite through a read-only connection) and returns each
/// user's base32 secret, if any. A kill in the middle of a commit leaves a hot rollback journal,
/// which only a connection that can write may roll back (a read-only one is refused): then
/// mfactl itself, the next command to open the store, recovers it first.
fn check_consistency(env: &TestEnv, id: &age::x25519::Identity) -> HashMap<String, String> {
    if !env.is_pg() {
        recover_hot_journal(env);
        assert_eq!(env.query_strings("PRAGMA integrity_check"), ["ok"]);
        assert_eq!(env.query("PRAGMA foreign_key_check").len(), 0);
    }

    let rows: Vec<(String, Row)> = env
        .query(
            "SELECT %USER%, status, secret, algorithm, last_used_step, failed_attempts, \
             CASE WHEN locked_at IS NULL THEN 0 ELSE 1 END FROM %USER_TOKENS% ORDER BY 1",
        )
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap(),
                Row {
                    status: r[1].clone().unwrap(),
                    secret: r[2].as_deref().map(unhex_bytea),
                    algorithm: r[3].clone().unwrap(),
                    last_used_step: r[4].as_deref().map(|v| v.parse().unwrap()),
                    failures: r[5].as_deref().unwrap().parse().unwrap(),
                    locked: r[6].as_deref() == Some("1"),
                },
            )
        })
        .collect();
    let max_failures: i64 = env
        .query_i64("SELECT coalesce((SELECT value FROM setting WHERE key = 'max-failures'), '5')");

    let mut secrets = HashMap::new();
    for (user, row) in &rows {
        match (row.status.as_str(), &row.secret) {
            ("disabled", None) => {}
            ("pending" | "enabled", Some(ct)) => {
                secrets.insert(user.clone(), decrypt(id, user, &row.algorithm, ct));
            }
            (status, secret) => panic!(
                "{user}: status {status} with secret {:?}",
                secret.as_ref().map(Vec::len)
            ),
        }
        if row.locked {
            assert!(
                row.failures >= max_failures,
                "{user}: locked with {} failures",
                row.failures
            );
        }

        // Replay the user's audit log: the row must be what its events say.
        let events: Vec<(String, serde_json::Value)> = env
            .query(&format!(
                "SELECT event, details FROM audit_log WHERE %USER% = '{user}' ORDER BY id"
            ))
            .into_iter()
            .map(|r| {
                (
                    r[0].clone().unwrap(),
                    serde_json::from_str(r[1].as_deref().unwrap()).unwrap(),
                )
            })
            .collect();
        let mut status = None;
        let mut used = false;
        let mut failures = 0;
        let mut locked = false;
        for (event, details) in &events {
            match event.as_str() {
                "enroll" | "re-enroll" => {
                    status = Some("pending");
                    used = false;
                    failures = 0;
                    locked = false;
                }
                "confirm" => status = Some("enabled"),
                "disable" => {
                    status = Some("disabled");
                    failures = 0;
                    locked = false;
                }
                "verify-accepted" => {
                    used = true;
                    failures = 0;
                }
                "verify-rejected" if details["reason"] == "invalid" => failures += 1,
                "verify-rejected" => {}
                "lock" => locked = true,
                "unlock" => {
                    failures = 0;
                    locked = false;
                }
                other => panic!("{user}: unexpected event {other}"),
            }
        }
        let expected = (status, used, failures, locked);
        let actual = (
            Some(row.status.as_str()),
            row.last_used_step.is_some(),
            row.failures,
            row.locked,
        );
        assert_eq!(actual, expected, "{user}: row vs audit log {events:?}");
    }
    // Every user the log says was enrolled has a row.
    let logged = env.query_i64(
        "SELECT count(DISTINCT %USER%) FROM audit_log WHERE event IN ('enroll', 're-enroll')",
    );
    assert_eq!(logged as usize, rows.len());
    secrets
}

/// On SQLite: a killed command may have left a hot rollback journal (a commit cut short),
/// which a read-only connection is refused to roll back; mfactl, the next command to open the
/// store, rolls it back.
fn recover_hot_journal(env: &TestEnv) {
    if env.is_pg() {
        return;
    }
    let mut journal = env.db.clone().into_os_string();
    journal.push("-journal");
    if std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0) {
        env.cmd().args(["--json", "list"]).assert().success();
    }
}

/// How many audit rows the store holds: changes when a command committed.
fn audit_rows(env: &TestEnv) -> i64 {
    recover_hot_journal(env);
    env.direct().count("audit_log")
}

/// The arguments (and stdin) of a random command.
fn random_command(rng: &mut Rng, secrets: &HashMap<String, String>) -> (Vec<String>, String) {
    let user = USERS[rng.below(USERS.len() as u64) as usize].to_owned();
    let args: Vec<&str> = match rng.below(10) {
        0..=2 => vec!["enroll", "--force", "--json", &user],
        3..=6 => vec!["verify", &user],
        7..=8 => vec!["disable", "--yes", &user],
        _ => vec!["unlock", &user],
    };
    let code = match secrets.get(&user) {
        // Mostly a real code (some steps of the window; often a replay), sometimes a wrong one.
        Some(secret) if rng.below(4) != 0 => {
            let t = unix_now() + 30 * rng.below(3) - 30;
            totp_at(secret, "SHA1", 6, 30, t)
        }
        Some(secret) => wrong_code(secret),
        None => "123456".into(),
    };
    (args.into_iter().map(String::from).collect(), code)
}

#[test]
fn kill_9_at_random_points_never_leaves_an_inconsistent_store() {
    let env = TestEnv::initialised();
    let id = identity(&env);
    for u in USERS {
        env.enroll(u, &[]);
    }
    let mut rng = Rng::new();
    let mut secrets = check_consistency(&env, &id);

    // How long a command takes when left alone: kill points are drawn from a little more
    // than that, so that some land during the write and some after the process is gone.
    let mut took = Vec::new();
    for _ in 0..5 {
        let (args, code) = random_command(&mut rng, &secrets);
        let start = Instant::now();
        let out = env.cmd().args(&args).write_stdin(code).output().unwrap();
        took.push(start.elapsed());
        assert_ne!(out.status.code(), Some(2), "{args:?}: {out:?}");
        secrets = check_consistency(&env, &id);
    }
    took.sort();
    let window = took[took.len() / 2].as_micros() as u64 * 5 / 4;

    let (mut killed, mut killed_after_commit, mut finished) = (0, 0, 0);
    for i in 0..ITERATIONS {
        let (args, code) = random_command(&mut rng, &secrets);
        let before = audit_rows(&env);
        let mut child = env
            .std_cmd()
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            let _ = writeln!(stdin, "{code}");
        }
        // This wait only chooses where the kill lands; it papers over nothing.
        std::thread::sleep(Duration::from_micros(rng.below(window + 1)));
        let _ = child.kill(); // SIGKILL; fails harmlessly if the process is already gone
        let out = child.wait_with_output().unwrap();
        match out.status.signal() {
            Some(9) => {
                killed += 1;
                if audit_rows(&env) != before {
                    killed_after_commit += 1;
                }
            }
            Some(s) => panic!("{args:?} died of signal {s}"),
            None => {
                finished += 1;
                // A run that got to finish must not have tripped over an earlier kill.
                let code = out.status.code();
                assert!(
                    matches!(code, Some(0) | Some(1)),
                    "iteration {i}: {args:?} exited {code:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        secrets = check_consistency(&env, &id);
    }
    eprintln!(
        "{killed} killed ({killed_after_commit} of them after their commit), {finished} finished"
    );
    assert!(killed > 0, "no process was killed: the test proved nothing");

    // mfactl itself recovers whatever the last kill left behind, and works normally.
    env.cmd().arg("list").assert().success();
    let doc = env.enroll("after", &[]);
    let secret = doc["secret"].as_str().unwrap();
    let (code, doc) = env.verify("after", &totp_now(secret, "SHA1", 6, 30));
    assert_eq!(code, 0, "{doc}");
    check_consistency(&env, &id);
}

#[test]
fn kill_9_inside_each_write_transaction_changes_nothing() {
    let env = TestEnv::initialised();
    let id = identity(&env);
    for u in USERS {
        env.enroll(u, &[]);
    }
    let secrets = check_consistency(&env, &id);
    let fifo = env.dir.path().join("hold.fifo");
    make_fifo(&fifo);
    let step = unix_now() / 30;
    let commands: Vec<(Vec<&str>, String)> = vec![
        (vec!["enroll", "--force", "u0"], String::new()),
        (vec!["enroll", "newcomer"], String::new()),
        (vec!["verify", "u1"], code_at_step(&secrets["u1"], step)),
        (vec!["verify", "u2"], wrong_code(&secrets["u2"])),
        (vec!["disable", "--yes", "u3"], String::new()),
    ];
    for (args, code) in &commands {
        let before = env.snapshot();
        let mut child = env
            .std_cmd()
            .args(args)
            .env("MFACTL_TEST_HOLD_BEFORE_COMMIT", &fifo)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            let _ = writeln!(stdin, "{code}");
        }
        let held = hold_inside_write(&mut child, &fifo);
        assert!(
            held.is_some(),
            "{args:?} ended without a write transaction: {:?}",
            child.wait_with_output()
        );
        // Inside the transaction: every change made, none visible to another connection.
        assert_eq!(
            env.snapshot(),
            before,
            "{args:?}: uncommitted changes visible"
        );
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "{args:?} was not killed");
        drop(held);
        assert_eq!(
            env.snapshot(),
            before,
            "{args:?}: a killed transaction left changes"
        );
        check_consistency(&env, &id);
        // The same command, left alone, does change the store: the kill is what stopped it.
        let out = env
            .cmd()
            .args(args)
            .write_stdin(format!("{code}\n"))
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0) | Some(1)),
            "{args:?}: {out:?}"
        );
        assert_ne!(
            env.snapshot(),
            before,
            "{args:?} changed nothing when left alone"
        );
        check_consistency(&env, &id);
    }
}
