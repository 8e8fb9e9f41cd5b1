//! Everything mfactl prints on stdout goes through here.
//!
//! A reader that stops early (`mfactl list | head -1`) closes the pipe; the next write fails
//! with `EPIPE` (Rust ignores `SIGPIPE`, and `println!` would panic with exit 101). Here that is
//! not an error: the first broken-pipe write marks stdout closed, every later write is
//! discarded, and the command goes on to finish what it was doing, so that its exit status is
//! the status of what it did (an `enroll --force` that committed exits 0, a `verify` still
//! exits with its verdict). Restoring `SIGPIPE`'s default instead would kill a command wherever
//! it writes, which need not be after its transaction. Any other write error (a full disk
//! behind `> file`) is an error.
//!
//! Each call writes and flushes, so that the failure is seen here and not in the flush at exit;
//! callers print whole blocks (a table is one string), not many small pieces.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to stdout (nothing once stdout was found closed).
pub fn write(bytes: &[u8]) -> Result<()> {
    write_with(|out| out.write_all(bytes))
}

/// Writes formatted text to stdout without an intermediate `String` (the text may hold a
/// secret; only stdout's own buffer sees it).
pub fn write_fmt(args: std::fmt::Arguments<'_>) -> Result<()> {
    write_with(|out| out.write_fmt(args))
}

fn write_with(
    f: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>,
) -> Result<()> {
    if closed() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match f(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

/// Records that stdout's reader is gone (seen without writing, e.g. by `poll`).
pub fn mark_closed() {
    CLOSED.store(true, Ordering::Relaxed);
}

/// Whether a write found stdout closed by its reader.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// `println!` through [`write_fmt`]: returns `anyhow::Result<()>`, never panics.
macro_rules! outln {
    () => {
        $crate::out::write(b"\n")
    };
    ($($arg:tt)*) => {
        $crate::out::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`write_fmt`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write_fmt(format_args!($($arg)*))
    };
}

/// A line on stderr that never panics: a closed stderr loses the line, nothing more.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
