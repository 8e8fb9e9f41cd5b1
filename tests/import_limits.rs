//! `import` reads at most a bounded amount, whatever it is given (/dev/zero, a huge file, an
//! endless stdin): a clear error, exit 2, the store unchanged. Memory is bounded by running
//! the binary under `ulimit -v`: without the cap it would fail to allocate instead.
//! A UTF-8 byte order mark at the start of a URI file is accepted, as for CSV.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::*;

/// The cap import documents (README): 64 MiB.
const CAP: u64 = 64 * 1024 * 1024;

/// `mfactl ARGS` (stdin: /dev/null unless ARGS redirects it) under a 1 GiB address-space limit (a 64 MiB read needs far less; an unbounded
/// read of /dev/zero hits it within a second).
fn bounded(env: &TestEnv, args: &str) -> Output {
    std::process::Command::new("sh")
        .env_clear()
        .envs(env.env_vars())
        .current_dir(env.dir.path())
        .args(["-c", &format!("ulimit -v 1048576; exec \"$0\" {args}")])
        .arg(assert_cmd::cargo::cargo_bin("mfactl"))
        .output()
        .unwrap()
}

fn assert_too_large(out: &Output, name: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains(name) && err.contains("larger than 64 MiB"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
}

#[test]
fn dev_zero_is_refused_after_a_bounded_read() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let out = bounded(&env, "import /dev/zero");
    assert_too_large(&out, "/dev/zero");
    let out = bounded(&env, "import --format csv /dev/zero");
    assert_too_large(&out, "/dev/zero");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn an_endless_stdin_is_refused_after_a_bounded_read() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let out = bounded(&env, "import - < /dev/zero");
    assert_too_large(&out, "stdin");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_file_over_the_cap_is_refused_and_one_under_it_imports() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    // Sparse: a gigabyte that costs no disk.
    let big = env.dir.path().join("big.txt");
    fs::File::create(&big).unwrap().set_len(1 << 30).unwrap();
    let out = bounded(&env, "import big.txt");
    assert_too_large(&out, "big.txt");
    assert_eq!(env.snapshot(), before);

    // Exactly the cap: one user and blank lines.
    let line = "otpauth://totp/acme:zed?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=acme\n";
    let mut text = line.as_bytes().to_vec();
    text.resize(CAP as usize, b'\n');
    let ok = env.dir.path().join("ok.txt");
    fs::write(&ok, &text).unwrap();
    let out = bounded(&env, "import ok.txt");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.list(&[]).len(), 1);
    // One byte more is refused.
    text.push(b'\n');
    fs::write(&ok, &text).unwrap();
    let out = bounded(&env, "import ok.txt");
    assert_too_large(&out, "ok.txt");
    assert!(Path::new(&ok).exists());
}

#[test]
fn a_byte_order_mark_before_a_uri_file_is_accepted() {
    let env = TestEnv::initialised();
    let file = env.dir.path().join("bom.txt");
    fs::write(
        &file,
        "\u{feff}otpauth://totp/acme:bo?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=acme\n",
    )
    .unwrap();
    let out = env.cmd().arg("import").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let users: Vec<_> = env.list(&[]).iter().map(|u| u["user"].clone()).collect();
    assert_eq!(users, ["bo"]);
}
