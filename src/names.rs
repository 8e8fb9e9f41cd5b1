//! Text meant for people: which characters are invisible or deceptive, how to show any stored
//! or typed string so that it cannot act on a terminal or hide what it is, and when two user
//! names look alike. Pure string functions; the library knows nothing of the terminal.

use std::borrow::Cow;
use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

// Generated from unicode-security's tables (tests/confusables_table.rs): arrays, not slices.
// That crate keeps each of its 6,712 prototypes behind a pointer, which the start-up of a
// position-independent binary must relocate: 160 KB of pages written by every process,
// though only a new name's look-alike check reads them. Plain arrays stay on disk until read.
#[rustfmt::skip]
mod confusables;

/// Whether `c` must not appear raw in output for a person, and is refused in new names:
/// control characters (C0, DEL, C1: they drive terminals), format characters (Unicode
/// category Cf: bidi overrides and isolates, zero-width spaces and joiners, soft hyphen, BOM,
/// tags), line and paragraph separators, spaces other than U+0020, private-use and unassigned
/// code points, and the other default-ignorable code points (variation selectors, Hangul
/// fillers, ...), which render as nothing.
pub fn is_invisible(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::SpaceSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    ) || is_default_ignorable(c)
}

/// The default-ignorable code points (UCD `DerivedCoreProperties.txt`) that are not in a
/// category [`is_invisible`] already refuses.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{34F}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// `s` as it may be shown to a person: every [`is_invisible`] character is written as a
/// visible Rust-style escape (`\u{202e}`), and a backslash that could be read as the start of
/// such an escape (one followed by `u`, by a backslash or by an escaped character) is doubled,
/// so two different strings never look the same. Borrowed when nothing needed escaping, which
/// is the usual case.
pub fn display_safe(s: &str) -> Cow<'_, str> {
    let needs = is_invisible;
    if !s.chars().any(needs) && !s.contains("\\u") && !s.contains("\\\\") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if needs(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else if c == '\\'
            && chars
                .peek()
                .is_some_and(|&n| n == 'u' || n == '\\' || needs(n))
        {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` in double quotes, shown with [`display_safe`]: how messages name a user.
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", display_safe(s))
}

/// Only the [`is_invisible`] characters of `s` escaped, backslashes left as they are: for whole
/// messages (which may already contain escapes) on their way to a terminal, as a last guard.
pub fn escape_invisible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_invisible) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_invisible(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` in Unicode Normalization Form C (borrowed when it already is).
pub fn nfc(s: &str) -> Cow<'_, str> {
    if unicode_normalization::is_nfc(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// The forms under which two names count as the same to a reader: the case-folded NFKC form
/// (`ａｌｉｃｅ`, `Alice` and `alice` agree), and the UTS #39 confusable skeletons of the name
/// and of that folded form (`al\u{456}ce` with a Cyrillic і agrees with `alice`; so does a name
/// with zero-width characters with the one without).
fn similarity_keys(name: &str) -> [String; 3] {
    let lower: String = name.nfkc().flat_map(char::to_lowercase).collect();
    let folded: String = lower
        .as_str()
        .nfkc()
        .filter(|c| !is_invisible(*c))
        .collect();
    let (name_skeleton, folded_skeleton) = (skeleton(name), skeleton(&folded));
    [folded, name_skeleton, folded_skeleton]
}

/// The UTS #39 skeleton of `s`: its NFD with each character replaced by its confusable
/// prototype (default-ignorable ones by nothing), in NFD. The same as
/// `unicode_security::skeleton` (tested on every character and on random strings).
fn skeleton(s: &str) -> String {
    let mut mapped = String::with_capacity(s.len());
    for c in s.chars().nfd() {
        match confusables::CHARS.binary_search(&c) {
            Ok(i) => {
                let start = i.checked_sub(1).map_or(0, |j| confusables::ENDS[j]);
                let end = confusables::ENDS[i];
                mapped.extend(&confusables::PROTOTYPES[usize::from(start)..usize::from(end)]);
            }
            Err(_) => mapped.push(c),
        }
    }
    mapped.nfd().collect()
}

/// What a new name was found to look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookalike {
    /// A name already in the store.
    Existing(String),
    /// An earlier name of the same batch, by its index.
    Earlier(usize),
}

/// The similarity keys of a set of names, computed once: the expensive part of the look-alike
/// check, which a store builds before it takes its lock and then only tops up.
#[derive(Clone, Debug, Default)]
pub struct NameIndex {
    /// Every similarity key, with the first name that has it.
    keys: HashMap<String, String>,
    /// The names indexed so far.
    names: std::collections::HashSet<String>,
}

impl NameIndex {
    /// Indexes `names`.
    pub fn new(names: &[String]) -> Self {
        let mut index = NameIndex::default();
        index.add_missing(names);
        index
    }

    /// Indexes those of `names` not indexed yet (names added since the index was built).
    pub fn add_missing(&mut self, names: &[String]) {
        for name in names {
            if self.names.insert(name.clone()) {
                for key in similarity_keys(name) {
                    self.keys.entry(key).or_insert_with(|| name.clone());
                }
            }
        }
    }

    /// For each of `new` (names not yet in the store) that looks like a different indexed name
    /// or an earlier name of `new`, its index and the first such name. Names equal as text are
    /// not look-alikes of each other (a duplicate is another kind of problem).
    pub fn lookalikes(&self, new: &[&str]) -> Vec<(usize, Lookalike)> {
        let mut batch: HashMap<String, (&str, usize)> = HashMap::new();
        let mut found = Vec::new();
        for (i, name) in new.iter().enumerate() {
            let keys = similarity_keys(name);
            // A key belongs to the first name that has it: a stored one, else an earlier one.
            let hit = keys
                .iter()
                .filter_map(|k| match self.keys.get(k) {
                    Some(other) => Some((other.as_str(), Lookalike::Existing(other.clone()))),
                    None => batch
                        .get(k)
                        .map(|(other, j)| (*other, Lookalike::Earlier(*j))),
                })
                .find(|(other, _)| other != name);
            if let Some((_, like)) = hit {
                found.push((i, like));
            }
            for key in keys {
                if !self.keys.contains_key(&key) {
                    batch.entry(key).or_insert((*name, i));
                }
            }
        }
        found
    }
}

/// For each of `new` (names not yet in the store) that looks like a different name in
/// `existing` or earlier in `new`, its index and the first such name. Names equal as text are
/// not look-alikes of each other (a duplicate is another kind of problem).
pub fn find_lookalikes(new: &[&str], existing: &[String]) -> Vec<(usize, Lookalike)> {
    NameIndex::new(existing).lookalikes(new)
}

/// At most this many names are suggested.
const MAX_SUGGESTIONS: usize = 3;

/// Names in `existing` close to `typed`, a name that is not in the store, best first (at most
/// three): for "did you mean ...?" after a typo. Close means a few edits apart (insertions,
/// deletions, substitutions or swaps of neighbours, ignoring case, at most one per three
/// characters and never more than three), or the same as an existing name's part before `@`
/// (`alice` for `alice@example.com`).
pub fn suggestions(typed: &str, existing: &[String]) -> Vec<String> {
    // ASCII (most names) is its own NFKC form: lower-casing is all there is to do.
    let fold = |s: &str| -> String {
        if s.is_ascii() {
            s.to_ascii_lowercase()
        } else {
            s.nfkc().flat_map(char::to_lowercase).collect()
        }
    };
    let typed = fold(typed);
    let len = typed.chars().count();
    let limit = (len / 3).clamp(1, 3);
    let mut found: Vec<(usize, &String)> = existing
        .iter()
        .filter_map(|name| {
            let folded = fold(name);
            if folded.split('@').next() == Some(typed.as_str()) && folded.contains('@') {
                return Some((0, name));
            }
            // Cheap bound first: the distance is at least the difference in length.
            if folded.chars().count().abs_diff(len) > limit {
                return None;
            }
            let d = strsim::osa_distance(&typed, &folded);
            (d <= limit).then_some((d, name))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, n)| n.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_safe_escapes_what_a_terminal_would_act_on_or_hide() {
        assert_eq!(display_safe("alice@example.com"), "alice@example.com");
        assert!(matches!(display_safe("älice"), Cow::Borrowed(_)));
        assert_eq!(display_safe("bob\u{1b}[2J\u{7}"), "bob\\u{1b}[2J\\u{7}");
        assert_eq!(display_safe("a\u{202e}b\u{200b}"), "a\\u{202e}b\\u{200b}");
        assert_eq!(display_safe("a\u{a0}b\u{3164}"), "a\\u{a0}b\\u{3164}");
        assert_eq!(display_safe("a\u{85}b\u{2028}"), "a\\u{85}b\\u{2028}");
        assert_eq!(display_safe("DOMAIN\\alice"), "DOMAIN\\alice");
    }

    #[test]
    fn display_safe_never_shows_two_strings_alike() {
        let cases = [
            "alice\u{200b}",
            "alice\\u{200b}",
            "alice\\\u{200b}",
            "alice\\\\u{200b}",
            "DOMAIN\\user",
            "DOMAIN\\\\user",
            "a\\",
            "a\\\\",
        ];
        let shown: std::collections::HashSet<String> =
            cases.iter().map(|c| display_safe(c).into_owned()).collect();
        assert_eq!(shown.len(), cases.len(), "{shown:?}");
        for c in cases {
            assert!(!display_safe(c).chars().any(is_invisible));
        }
    }

    #[test]
    fn default_ignorables_are_invisible() {
        // The UTS #39 skeleton drops exactly the default-ignorable code points.
        for c in [
            '\u{ad}',
            '\u{34f}',
            '\u{200b}',
            '\u{2060}',
            '\u{fe0f}',
            '\u{e0001}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
            assert_eq!(unicode_security::skeleton(&c.to_string()).count(), 0);
        }
        for c in ['a', 'é', 'і', '-', ' ', '\u{301}'] {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_skeleton_is_unicode_securitys_for_every_character() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let alone = c.to_string();
            let want: String = unicode_security::skeleton(&alone).collect();
            assert_eq!(skeleton(&alone), want, "U+{:04X}", u32::from(c));
        }
    }

    proptest::proptest! {
        /// Strings of characters with prototypes, characters of prototypes, combining marks
        /// (which NFD moves across a prototype's characters), characters that decompose,
        /// default-ignorables and any others: the skeleton is unicode-security's.
        #[test]
        fn the_skeleton_is_unicode_securitys_for_any_string(
            chars in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(&confusables::CHARS[..]),
                    proptest::sample::select(&confusables::PROTOTYPES[..]),
                    proptest::char::range('\u{300}', '\u{36f}'),
                    proptest::sample::select(&['\u{e9}', '\u{1ec7}', '\u{ac00}', '\u{ad}', '\u{fe0f}'][..]),
                    proptest::char::any(),
                ],
                0..12,
            ),
        ) {
            let s: String = chars.into_iter().collect();
            let want: String = unicode_security::skeleton(&s).collect();
            proptest::prop_assert_eq!(skeleton(&s), want);
        }
    }

    #[test]
    fn lookalikes() {
        let existing = vec!["alice".to_owned(), "bob\u{200b}".to_owned()];
        let new = [
            "al\u{456}ce",
            "ａｌｉｃｅ",
            "Alice",
            "bob",
            "carol",
            "c\u{430}rol",
            "alice",
            "a\u{308}lice",
        ];
        let found = find_lookalikes(&new, &existing);
        assert_eq!(
            found,
            vec![
                (0, Lookalike::Existing("alice".into())),
                (1, Lookalike::Existing("alice".into())),
                (2, Lookalike::Existing("alice".into())),
                (3, Lookalike::Existing("bob\u{200b}".into())),
                (5, Lookalike::Earlier(4)),
            ]
        );
    }

    #[test]
    fn suggestions_are_close_names_best_first() {
        let existing: Vec<String> = [
            "bob",
            "bobby",
            "Rob",
            "alice@example.com",
            "carol",
            "dave",
            "eve",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // A swap of neighbours is one edit.
        assert_eq!(suggestions("bbo", &existing), ["bob"]);
        // Case is ignored; the nearest come first, ties by name.
        assert_eq!(suggestions("BOB", &existing), ["bob", "Rob"]);
        assert_eq!(suggestions("bobb", &existing), ["bob", "bobby"]);
        assert_eq!(suggestions("alice", &existing), ["alice@example.com"]);
        assert_eq!(
            suggestions("alice@exmaple.com", &existing),
            ["alice@example.com"]
        );
        assert_eq!(suggestions("karol", &existing), ["carol"]);
        // Nothing close: nothing suggested.
        assert!(suggestions("zed", &existing).is_empty());
        assert!(suggestions("mallory", &existing).is_empty());
        assert!(suggestions("", &existing).is_empty());
        // At most three.
        let many: Vec<String> = (0..10).map(|i| format!("user{i}")).collect();
        assert_eq!(suggestions("user", &many).len(), 3);
    }
}
