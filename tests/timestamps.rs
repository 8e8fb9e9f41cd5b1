//! Issue 12: `Timestamp` reads and writes the store's one format (`YYYY-MM-DDTHH:MM:SSZ`) at
//! fixed offsets instead of through `time`'s format descriptions. The `time` crate is the
//! oracle: the same strings are accepted, they mean the same instant, and the same text comes
//! out. RFC 3339 input is still accepted.

use mfactl::model::Timestamp;
use proptest::prelude::*;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// What `time` makes of `s` in the stored format, else as RFC 3339 (what `parse` accepted
/// before), as Unix seconds.
fn oracle_parse(s: &str) -> Option<i64> {
    if let Ok(dt) = PrimitiveDateTime::parse(s, FORMAT) {
        return Some(dt.assume_utc().unix_timestamp());
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|dt| dt.unix_timestamp())
}

fn oracle_format(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .format(FORMAT)
        .unwrap()
}

/// Strings of the stored shape, with any digits (invalid months, days, hours... included) and
/// sometimes another byte at any position.
fn stored_shaped() -> impl Strategy<Value = String> {
    (
        (0u32..=9999, 0u32..=99, 0u32..=99),
        (0u32..=99, 0u32..=99, 0u32..=99),
        proptest::option::of((0usize..20, any::<char>())),
    )
        .prop_map(|((y, mo, d), (h, mi, s), swap)| {
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
            match swap {
                Some((at, c)) => text
                    .chars()
                    .enumerate()
                    .map(|(i, old)| if i == at { c } else { old })
                    .collect(),
                None => text,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn formats_as_time_does(secs in -62_167_219_200i64..=253_402_300_799) {
        // Year 0 to year 9999, the range `[year]` writes in four digits.
        let ts = Timestamp::from_unix(secs);
        prop_assert_eq!(ts.to_string(), oracle_format(secs));
        prop_assert_eq!(Timestamp::parse(&ts.to_string()).unwrap().unix(), secs);
        // JSON holds the same text, as a string.
        prop_assert_eq!(
            serde_json::to_value(ts).unwrap(),
            serde_json::Value::String(oracle_format(secs))
        );
    }

    #[test]
    fn json_of_any_time_is_its_text(
        secs in prop_oneof![proptest::num::i64::ANY, -377_705_116_800i64..-62_167_219_200]
    ) {
        // Years before 0 (the second range) are written by `time`'s formatter, and out of
        // `time`'s range `from_unix` clamps: whatever the year, JSON holds `Display`'s text.
        let ts = Timestamp::from_unix(secs);
        prop_assert_eq!(serde_json::to_value(ts).unwrap(), serde_json::Value::String(ts.to_string()));
    }

    #[test]
    fn parses_the_stored_shape_as_time_does(s in stored_shaped()) {
        prop_assert_eq!(Timestamp::parse(&s).ok().map(Timestamp::unix), oracle_parse(&s), "{:?}", s);
    }

    #[test]
    fn parses_any_string_as_time_does(s in "\\PC{0,24}") {
        prop_assert_eq!(Timestamp::parse(&s).ok().map(Timestamp::unix), oracle_parse(&s), "{:?}", s);
    }

    #[test]
    fn rfc3339_with_offsets_and_fractions_is_still_accepted(
        secs in 0i64..4_102_444_800,
        offset_min in -1439i32..=1439,
        nanos in 0u32..1_000_000_000,
    ) {
        let offset = time::UtcOffset::from_whole_seconds(offset_min * 60).unwrap();
        let dt = OffsetDateTime::from_unix_timestamp(secs).unwrap()
            .replace_nanosecond(nanos).unwrap()
            .to_offset(offset);
        let text = dt.format(&Rfc3339).unwrap();
        prop_assert_eq!(Timestamp::parse(&text).unwrap().unix(), secs, "{}", text);
    }
}

#[test]
fn edges_of_the_calendar() {
    for (text, ok) in [
        ("2024-02-29T23:59:59Z", true),
        ("2023-02-29T00:00:00Z", false),
        ("2000-02-29T00:00:00Z", true),
        ("1900-02-29T00:00:00Z", false),
        ("0000-01-01T00:00:00Z", true),
        ("9999-12-31T23:59:59Z", true),
        ("2026-12-31T23:59:60Z", true), // a leap second, as RFC 3339 allows (read as :59)
        ("2026-06-30T12:59:60Z", false),
        ("2026-13-01T00:00:00Z", false),
        ("2026-00-10T00:00:00Z", false),
        ("2026-04-31T00:00:00Z", false),
        ("2026-04-30T24:00:00Z", false),
        ("2026-04-30T00:60:00Z", false),
        ("2026-04-30T00:00:00z", true), // RFC 3339 allows a lower-case z
        ("2026-04-30t00:00:00Z", true),
        ("2026-04-30 00:00:00Z", true), // ... and, in `time`, a space as separator
        ("+2026-04-30T00:00:00Z", true), // `time` reads a signed year
        ("2026-04-30T00:00:00Z ", false),
        ("２026-04-30T00:00:00Z", false),
    ] {
        assert_eq!(
            Timestamp::parse(text).is_ok(),
            ok,
            "{text:?} (time says {:?})",
            oracle_parse(text)
        );
        assert_eq!(
            Timestamp::parse(text).ok().map(Timestamp::unix),
            oracle_parse(text),
            "{text:?}"
        );
    }
}
