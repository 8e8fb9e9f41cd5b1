//! The committed man pages and completion scripts are what the current clap definition
//! generates. Regenerate with `cargo run -- generate-docs --out-dir .`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn committed_man_pages_and_completions_are_up_to_date() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("mfactl")
        .unwrap()
        .env_clear()
        .args(["generate-docs", "--out-dir"])
        .arg(out.path())
        .assert()
        .success();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["man", "completions"] {
        let fresh = files_in(&out.path().join(dir));
        let committed = files_in(&repo.join(dir));
        assert_eq!(
            fresh.keys().collect::<Vec<_>>(),
            committed.keys().collect::<Vec<_>>(),
            "{dir}/ has missing or extra files; run `cargo run -- generate-docs --out-dir .`"
        );
        for (name, bytes) in &fresh {
            assert!(
                committed[name] == *bytes,
                "{dir}/{name} is stale; run `cargo run -- generate-docs --out-dir .`"
            );
        }
    }
}

#[test]
fn completions_subcommand_prints_the_committed_bash_script() {
    let out = Command::cargo_bin("mfactl")
        .unwrap()
        .env_clear()
        .args(["completions", "bash"])
        .assert()
        .success();
    let committed =
        fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/mfactl.bash")).unwrap();
    assert_eq!(out.get_output().stdout, committed);
    let text = String::from_utf8_lossy(&committed);
    for sub in ["enroll", "verify", "show-qr", "disable", "list"] {
        assert!(text.contains(sub), "bash completion lacks {sub}");
    }
}
