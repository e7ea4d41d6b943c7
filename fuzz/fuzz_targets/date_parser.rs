//! `clv_data::date`: the built-in ISO / timestamp / `YYYYMMDD` parser, user
//! chrono formats, and the day-number conversions.
//!
//! Input: a user format, a 0xFF byte, then the text to parse (without 0xFF
//! the whole input is the text and only the built-in parser and a fixed set
//! of formats run).
//!
//! Asserted invariants:
//! * the built-in parser accepts only dates it can write back: the date part
//!   of the trimmed text is `from_days(d)` as `%Y-%m-%d` (or `%Y%m%d`), and
//!   chrono agrees on it; every ISO date chrono reads as `%Y-%m-%d`
//!   (10 bytes) or `%Y%m%d` (8 digits), and every RFC 3339 timestamp, is
//!   accepted, with the calendar date as written;
//! * a user format gives exactly chrono's own `NaiveDate::parse_from_str`;
//! * `days_from_civil` / `civil_from_days` / `from_days` / `to_days` round-trip,
//!   and `from_days` saturates (never panics) for any `i32`.
#![no_main]

use chrono::{DateTime, Datelike, NaiveDate};
use clv_data::date::{
    DateParser, civil_from_days, days_from_civil, from_days, parse_iso_or_compact, to_days,
};
use libfuzzer_sys::fuzz_target;

const FORMATS: [&str; 7] = [
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d",
    "%Y%m%d",
    "%d.%m.%y",
    "%b %e %Y",
    "%Y-%m-%dT%H:%M:%S%z",
];

fn check_iso(text: &[u8]) {
    let got = parse_iso_or_compact(text);
    // The iso parser behind DateParser::iso() is the same function.
    assert_eq!(DateParser::iso().parse(text), got);
    let t = text.trim_ascii();
    let s = std::str::from_utf8(t).ok();
    if let Some(d) = got {
        let date = from_days(d);
        assert_eq!(to_days(date), d);
        assert!((0..=9999).contains(&date.year()), "{date}");
        let (written, want) = if t.len() == 8 {
            (&t[..], date.format("%Y%m%d").to_string())
        } else {
            (&t[..10], date.format("%Y-%m-%d").to_string())
        };
        assert_eq!(written, want.as_bytes(), "{date} from {:?}", s);
        let chrono_fmt = if t.len() == 8 { "%Y%m%d" } else { "%Y-%m-%d" };
        let written = std::str::from_utf8(written).expect("digits and dashes");
        assert_eq!(
            NaiveDate::parse_from_str(written, chrono_fmt).ok(),
            Some(date),
            "chrono reads {written:?} differently"
        );
    }
    let Some(s) = s else { return };
    // Strict forms chrono accepts must be accepted.
    let strict_iso = t.len() == 10
        && t.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let strict_compact = t.len() == 8 && t.iter().all(u8::is_ascii_digit);
    if strict_iso || strict_compact {
        let fmt = if strict_iso { "%Y-%m-%d" } else { "%Y%m%d" };
        let want = NaiveDate::parse_from_str(s, fmt).ok().map(to_days);
        assert_eq!(got, want, "{s:?}");
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s)
        && (0..=9999).contains(&dt.year())
    {
        assert_eq!(got, Some(to_days(dt.date_naive())), "RFC 3339 {s:?}");
    }
}

fn check_format(fmt: &str, text: &[u8]) {
    let Ok(p) = DateParser::with_format(fmt) else {
        return;
    };
    assert!(p.is_custom());
    let got = p.parse(text);
    let Ok(s) = std::str::from_utf8(text) else {
        assert_eq!(got, None);
        return;
    };
    let want = NaiveDate::parse_from_str(s.trim(), fmt).ok().map(to_days);
    assert_eq!(got, want, "format {fmt:?} on {s:?}");
}

fn check_days(text: &[u8]) {
    if let Some(b) = text.first_chunk::<4>() {
        let z = i32::from_le_bytes(*b);
        // Documented to saturate outside chrono's range.
        let date = from_days(z);
        if date != NaiveDate::MIN && date != NaiveDate::MAX {
            assert_eq!(to_days(date), z);
            let (y, m, d) = civil_from_days(z);
            assert_eq!((y, m, d), (date.year(), date.month(), date.day()));
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (fmt, text) = match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (std::str::from_utf8(&data[..i]).ok(), &data[i + 1..]),
        None => (None, data),
    };
    check_iso(text);
    check_days(text);
    if let Some(f) = fmt {
        check_format(f, text);
    }
    for f in FORMATS {
        check_format(f, text);
    }
});
