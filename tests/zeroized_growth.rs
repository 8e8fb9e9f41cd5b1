//! Buffers that hold secrets leave no unzeroized copy behind when they grow (issue 17, bug 5).
//!
//! The oracle is the allocator itself: this test binary's global allocator looks into every
//! block as it is freed (reallocations included) and counts blocks that still hold a marker
//! planted in the secret data. A `Zeroizing<Vec<u8>>` that grows frees its earlier blocks
//! unzeroized (the control below shows the oracle sees it); mfactl's buffers must not.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use mfactl::secret_buf::SecretBuf;
use mfactl::vault::{Identities, IdentitySource};
use zeroize::Zeroizing;

const MARKER: &[u8; 16] = b"q7MARKERz3LEAKxk";

static ARMED: AtomicBool = AtomicBool::new(false);
static FREED_WITH_MARKER: AtomicUsize = AtomicUsize::new(0);
/// One scenario at a time: the counter is global.
static SERIAL: Mutex<()> = Mutex::new(());

struct Spy;

unsafe impl GlobalAlloc for Spy {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) && layout.size() >= MARKER.len() {
            let mut hit = false;
            'scan: for start in 0..=layout.size() - MARKER.len() {
                for (i, m) in MARKER.iter().enumerate() {
                    // Volatile: look at what is really in the block being freed.
                    if unsafe { std::ptr::read_volatile(ptr.add(start + i)) } != *m {
                        continue 'scan;
                    }
                }
                hit = true;
                break;
            }
            if hit {
                FREED_WITH_MARKER.fetch_add(1, Ordering::SeqCst);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Spy = Spy;

/// Runs `f` with the spy armed; returns how many freed blocks held the marker.
fn leaks(f: impl FnOnce()) -> usize {
    FREED_WITH_MARKER.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    FREED_WITH_MARKER.load(Ordering::SeqCst)
}

/// Text of `len` bytes with the marker every 64 bytes.
fn secret_text(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        out.extend_from_slice(MARKER);
        out.extend_from_slice(&[b'a'; 47]);
        out.push(b'\n');
    }
    out
}

#[test]
fn the_oracle_sees_a_growing_zeroizing_vec_leak() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = secret_text(40_000);
    let n = leaks(|| {
        let mut v = Zeroizing::new(Vec::new());
        for chunk in data.chunks(100) {
            v.extend_from_slice(chunk);
        }
        drop(v);
    });
    assert!(n > 0, "the allocator spy saw no leak where one is certain");
}

#[test]
fn an_identity_file_is_read_without_leaving_copies() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identity.txt");
    // A real key after 40 KB of comment lines that carry the marker (as a long identity
    // file with many keys would carry key material): far more than the first read buffer.
    let key = age::x25519::Identity::generate();
    let mut text = Vec::new();
    for line in secret_text(40_000).split(|b| *b == b'\n') {
        if !line.is_empty() {
            text.extend_from_slice(b"# ");
            text.extend_from_slice(line);
            text.push(b'\n');
        }
    }
    use age::secrecy::ExposeSecret;
    text.extend_from_slice(key.to_string().expose_secret().as_bytes());
    text.push(b'\n');
    std::fs::write(&path, &text).unwrap();
    let source = IdentitySource::File(path);
    let n = leaks(|| {
        let ids = Identities::load(&source, &mut || unreachable!("no passphrase")).unwrap();
        assert_eq!(ids.recipients().len(), 1);
    });
    assert_eq!(
        n, 0,
        "reading the identity file freed {n} unzeroized blocks"
    );
}

#[test]
fn a_secret_buf_read_grows_without_leaving_copies() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = secret_text(200_000);
    let n = leaks(|| {
        let buf = SecretBuf::read_from(&data[..], 1 << 20, 16).unwrap();
        assert_eq!(buf.len(), data.len());
    });
    assert_eq!(n, 0, "SecretBuf::read_from freed {n} unzeroized blocks");
}

#[test]
fn json_written_into_a_secret_buf_leaves_no_copies() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let secrets: Vec<String> = (0..2000)
        .map(|i| format!("{}-{i}", std::str::from_utf8(MARKER).unwrap()))
        .collect();
    let n = leaks(|| {
        // As print_json encodes a document that carries secrets.
        let mut buf = SecretBuf::with_capacity(4096);
        serde_json::to_writer_pretty(&mut buf, &secrets).unwrap();
        buf.write_all(b"\n").unwrap();
        assert!(buf.len() > 40_000);
    });
    assert_eq!(n, 0, "JSON encoding freed {n} unzeroized blocks");
}
