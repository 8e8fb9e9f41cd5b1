//! A byte buffer for secrets that leaves no unzeroized copy behind when it grows.
//!
//! A `Zeroizing<Vec<u8>>` zeroizes its last allocation on drop, but every time a `Vec` grows
//! (`read_to_end`, `push`, a serializer writing into it) the allocator copies it and frees the
//! old block as it is, secret and all. [`SecretBuf`] grows by hand instead: a new zeroizing
//! allocation, a copy, and the old one zeroized before it is freed.

use std::io::{self, Read, Write};

use zeroize::Zeroizing;

/// A growable byte buffer whose every allocation is zeroized before it is freed.
#[derive(Default)]
pub struct SecretBuf(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for SecretBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBuf(<{} bytes redacted>)", self.0.len())
    }
}

impl SecretBuf {
    /// The smallest allocation a growing buffer makes.
    const MIN_GROWTH: usize = 256;

    /// An empty buffer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        SecretBuf(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    /// Makes room for `additional` more bytes: when the allocation is too small, moves the
    /// contents to a larger zeroizing one (at least twice the size) and zeroizes the old.
    pub fn reserve(&mut self, additional: usize) {
        let needed = self.0.len().saturating_add(additional);
        if needed <= self.0.capacity() {
            return;
        }
        let capacity = needed
            .max(self.0.capacity().saturating_mul(2))
            .max(Self::MIN_GROWTH);
        let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
        grown.extend_from_slice(&self.0);
        // The old allocation is zeroized as it is dropped here.
        self.0 = grown;
    }

    /// Appends `bytes`.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// Reads everything `reader` gives, at most `limit` bytes (a reader with more leaves the
    /// rest unread: compare the length with `limit` to tell). Starts with `initial` bytes of
    /// room; the reads go straight into the buffer, never through another one.
    pub fn read_from(reader: impl Read, limit: u64, initial: usize) -> io::Result<Self> {
        let mut reader = reader.take(limit);
        let mut buf = Self::with_capacity(initial);
        // The vector's length covers the zero-filled (initialised) room; `filled` the bytes
        // read. Each byte of room is zero-filled once, however short the reads.
        let mut filled = 0;
        let result = loop {
            if filled == buf.0.len() {
                buf.reserve(1);
                let capacity = buf.0.capacity();
                // Within the capacity: no reallocation.
                buf.0.resize(capacity, 0);
            }
            match reader.read(&mut buf.0[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buf.0.truncate(filled);
        result.map(|()| buf)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, in their (zeroizing) vector.
    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Deref for SecretBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Write for SecretBuf {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_everything_up_to_the_limit_across_many_growths() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let buf = SecretBuf::read_from(&data[..], 1 << 20, 16).unwrap();
        assert_eq!(buf.as_slice(), &data[..]);
        let cut = SecretBuf::read_from(&data[..], 1000, 16).unwrap();
        assert_eq!(cut.as_slice(), &data[..1000]);
        let empty = SecretBuf::read_from(&[][..], 10, 0).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn writes_append() {
        let mut buf = SecretBuf::with_capacity(1);
        for _ in 0..1000 {
            buf.write_all(b"abc").unwrap();
        }
        assert_eq!(buf.len(), 3000);
        assert!(buf.chunks(3).all(|c| c == b"abc"));
    }
}
