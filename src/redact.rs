//! Keeps age private keys out of messages. Anything the user typed, passed or put in a file
//! may be a private key pasted in the wrong place (`-r "MFACTL_AGE_KEY=AGE-SECRET-KEY-1..."`),
//! and error messages end up in terminals and CI logs.

use std::borrow::Cow;

/// The prefix of every age X25519 private key; matched case-insensitively (Bech32 keys may be
/// written in lower case).
const MARKER: &[u8] = b"AGE-SECRET-KEY-";

/// What replaces a private key in a message.
pub const REDACTED: &str = "AGE-SECRET-KEY-[redacted]";

/// Whether `text` contains `AGE-SECRET-KEY-` anywhere, in any case.
pub fn contains_private_key(text: &str) -> bool {
    find_marker(text.as_bytes(), 0).is_some()
}

/// `text` for echoing in a message: as it is, or, if it contains a private key anywhere,
/// `placeholder` instead (the whole input: a key's surroundings may hold more of it).
pub fn input<'a>(text: &'a str, placeholder: &'a str) -> &'a str {
    if contains_private_key(text) {
        placeholder
    } else {
        text
    }
}

/// `message` with every private key in it (the marker and the key characters that follow it)
/// replaced by [`REDACTED`]: the last line of defence before a message is printed.
pub fn message(message: &str) -> Cow<'_, str> {
    let bytes = message.as_bytes();
    let Some(mut at) = find_marker(bytes, 0) else {
        return Cow::Borrowed(message);
    };
    let mut out = String::with_capacity(message.len());
    let mut copied = 0;
    loop {
        out.push_str(&message[copied..at]);
        out.push_str(REDACTED);
        // The key's Bech32 payload (and anything glued to it) is alphanumeric.
        let mut end = at + MARKER.len();
        while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
            end += 1;
        }
        copied = end;
        match find_marker(bytes, end) {
            Some(next) => at = next,
            None => break,
        }
    }
    out.push_str(&message[copied..]);
    Cow::Owned(out)
}

/// The byte offset of the next marker at or after `from` (always a char boundary: the marker
/// is ASCII).
fn find_marker(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(MARKER.len())
        .position(|w| w.eq_ignore_ascii_case(MARKER))
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS3NWLR0";

    #[test]
    fn finds_a_key_anywhere_in_any_case() {
        for text in [
            KEY.to_string(),
            format!("MFACTL_AGE_KEY={KEY}"),
            format!("\u{feff}{KEY}"),
            KEY.to_lowercase(),
        ] {
            assert!(contains_private_key(&text), "{text}");
            assert_eq!(input(&text, "(a key)"), "(a key)");
            let m = message(&text);
            assert!(!m.to_ascii_uppercase().contains("QYQSZQGP"), "{m}");
        }
        assert!(!contains_private_key("age1abc AGE-SECRET"));
        assert_eq!(input("age1abc", "(a key)"), "age1abc");
    }

    #[test]
    fn message_keeps_the_rest() {
        let text = format!("invalid \"{KEY}\" and é {KEY}x, done");
        let m = message(&text);
        assert_eq!(m, format!("invalid \"{REDACTED}\" and é {REDACTED}, done"));
        assert!(matches!(message("plain"), Cow::Borrowed("plain")));
    }
}
