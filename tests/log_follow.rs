//! `log --follow`: a follower process sees the events other processes commit after it started,
//! as JSON lines (or one human line each), and ends cleanly (exit 0) on SIGTERM, SIGINT and a
//! closed pipe. No sleeps: every step waits for output or an exit, with a generous deadline.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use common::*;
use serde_json::Value;

/// Generous: the machine may be busy; nothing here waits this long when things work.
const DEADLINE: Duration = Duration::from_secs(60);

struct Follower {
    child: Child,
    lines: Receiver<String>,
}

fn lines_of(stdout: ChildStdout) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn follow(env: &TestEnv, args: &[&str]) -> Follower {
    let mut c = env.std_cmd();
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn the follower");
    let lines = lines_of(child.stdout.take().unwrap());
    Follower { child, lines }
}

impl Follower {
    /// The next line, waiting for it.
    fn next(&self) -> String {
        self.lines
            .recv_timeout(DEADLINE)
            .expect("the follower printed a line in time")
    }

    fn next_json(&self) -> Value {
        let line = self.next();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: a plain kill(2) of our own child.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, sig) },
            0
        );
    }
}

/// Waits for the child to exit, within the deadline; its exit status.
fn wait_exit(child: Child) -> std::process::ExitStatus {
    let (tx, rx) = channel();
    let mut child = child;
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    rx.recv_timeout(DEADLINE)
        .expect("the follower exited in time")
        .unwrap()
}

#[test]
fn a_follower_sees_events_other_processes_commit_then_stops_on_sigterm() {
    let env = TestEnv::initialised();
    let f = follow(&env, &["--json", "log", "--follow"]);
    let first = f.next_json();
    assert_eq!(first["event"], "init");
    // Written by other processes after the follower printed the existing events.
    env.enroll("alice", &[]);
    let e = f.next_json();
    assert_eq!(
        (e["event"].as_str(), e["user"].as_str()),
        (Some("enroll"), Some("alice"))
    );
    env.cmd()
        .args(["disable", "alice", "--yes"])
        .assert()
        .success();
    let d = f.next_json();
    assert_eq!(d["event"], "disable");
    assert!(d["id"].as_i64() > e["id"].as_i64());
    assert!(d["details"].is_object());
    f.signal(libc::SIGTERM);
    let status = wait_exit(f.child);
    assert_eq!(status.code(), Some(0), "{status:?}");
    // Nothing printed after the last event but whole lines.
    assert!(f
        .lines
        .try_iter()
        .all(|l| serde_json::from_str::<Value>(&l).is_ok()));
}

#[test]
fn sigint_ends_it_cleanly_too() {
    let env = TestEnv::initialised();
    let f = follow(&env, &["log", "--follow"]);
    let line = f.next();
    assert!(line.contains("  init  -  test-operator  "), "{line:?}");
    f.signal(libc::SIGINT);
    assert_eq!(wait_exit(f.child).code(), Some(0));
}

#[test]
fn a_closed_pipe_ends_it() {
    let env = TestEnv::initialised();
    let mut c = env.std_cmd();
    c.args(["--json", "log", "--follow"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("\"init\""), "{line:?}");
    // The reader goes away while the follower waits for new events.
    drop(out);
    assert_eq!(wait_exit(child).code(), Some(0));
}

#[test]
fn filters_apply_and_since_resumes() {
    let env = TestEnv::initialised();
    env.enroll("alice", &[]);
    env.enroll("bob", &[]);
    let f = follow(&env, &["--json", "log", "alice", "--follow"]);
    let e = f.next_json();
    assert_eq!(
        (e["event"].as_str(), e["user"].as_str()),
        (Some("enroll"), Some("alice"))
    );
    env.cmd()
        .args(["disable", "bob", "--yes"])
        .assert()
        .success();
    env.cmd()
        .args(["disable", "alice", "--yes"])
        .assert()
        .success();
    // bob's disable came first and is skipped.
    let d = f.next_json();
    assert_eq!(
        (d["event"].as_str(), d["user"].as_str()),
        (Some("disable"), Some("alice"))
    );
    f.signal(libc::SIGTERM);
    assert_eq!(wait_exit(f.child).code(), Some(0));

    // Resuming from the time of the last event shipped: that second's events come again (same
    // ids, to deduplicate on), oldest first, then the ones after.
    let at = d["at"].as_str().unwrap().to_owned();
    let f = follow(
        &env,
        &[
            "--json", "log", "--follow", "--event", "disable", "--since", &at,
        ],
    );
    let again = f.next_json();
    assert_eq!(again["event"], "disable");
    assert!(again["at"].as_str().unwrap() >= at.as_str());
    let mut ids = vec![again["id"].as_i64().unwrap()];
    if again["id"] != d["id"] {
        ids.push(f.next_json()["id"].as_i64().unwrap());
    }
    assert_eq!(ids.last(), d["id"].as_i64().as_ref());
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    f.signal(libc::SIGTERM);
    assert_eq!(wait_exit(f.child).code(), Some(0));
}

#[test]
fn without_follow_json_stays_one_array() {
    let env = TestEnv::initialised();
    let out = env.cmd().args(["--json", "log"]).assert().success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(doc.is_array());
    env.cmd()
        .args(["log", "--follow", "--limit", "3"])
        .assert()
        .code(2);
    env.cmd()
        .args(["log", "--follow", "--interval", "0"])
        .assert()
        .code(2);
}
