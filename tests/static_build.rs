//! The binary cargo builds here, with the repository's `.cargo/config.toml`, is a static
//! position-independent executable on Linux with glibc: no dynamic loader runs before `main`,
//! and ASLR is kept. Read with binutils' `readelf` (installed with the C compiler the bundled
//! SQLite needs), not with anything of mfactl's.

#![cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]

use std::process::Command;

/// `readelf ARGS mfactl`'s output.
fn readelf(args: &[&str]) -> String {
    let out = Command::new("readelf")
        .args(args)
        .arg(env!("CARGO_BIN_EXE_mfactl"))
        .env("LC_ALL", "C")
        .output()
        .expect("readelf (Debian package binutils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("readelf prints ASCII")
}

#[test]
fn the_binary_is_a_static_pie() {
    // The linker script's own conditions for a static link.
    if std::env::var_os("MFACTL_DYNAMIC").is_some_and(|v| v == "1") {
        eprintln!("skipped: MFACTL_DYNAMIC=1 links dynamically");
        return;
    }
    let libc = Command::new("cc")
        .arg("-print-file-name=libc.a")
        .output()
        .expect("cc");
    if String::from_utf8_lossy(&libc.stdout).trim() == "libc.a" {
        eprintln!("skipped: no static C library here (Debian: libc6-dev)");
        return;
    }

    let header = readelf(&["-hW"]);
    let kind = header
        .lines()
        .find(|l| l.trim_start().starts_with("Type:"))
        .expect("an ELF header has a type");
    // ET_DYN for an executable is a PIE: loaded at a random address.
    assert!(kind.contains("DYN"), "not position-independent: {kind}");

    let segments = readelf(&["-lW"]);
    assert!(
        !segments.contains("INTERP"),
        "the binary names a program interpreter (it is dynamically linked):\n{segments}"
    );
    let dynamic = readelf(&["-dW"]);
    assert!(
        !dynamic.contains("(NEEDED)"),
        "the binary needs shared libraries:\n{dynamic}"
    );
}
