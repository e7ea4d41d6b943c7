//! Calendar dates as days since the Unix epoch, and their parsing.
//!
//! Dates are stored as `i32` days since 1970-01-01 (the Arrow `Date32`
//! convention). The parser accepts, without any configuration:
//!
//! * ISO dates: `2024-03-01`;
//! * ISO timestamps with or without a zone: `2024-03-01T10:00:00`,
//!   `2024-03-01 10:00`, `2024-03-01T10:00:00.123Z`, `2024-03-01T23:30:00+02:00`.
//!   The **calendar date as written** is used: the timestamp is *not*
//!   converted to UTC, so `2024-03-01T23:30:00-05:00` is a purchase on
//!   2024-03-01 (the customer's own day), even though it is 2024-03-02 in UTC;
//! * compact dates `YYYYMMDD`: `20240301`.
//!
//! These are parsed by a hand-written parser (no allocation, no chrono). A
//! user format (chrono strftime syntax, such as `%d/%m/%Y`) goes through
//! chrono; it may contain time and zone fields, of which only the date is kept.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{Datelike, NaiveDate};

/// Days from 0000-03-01 (proleptic Gregorian) shifted so that 1970-01-01 is 0.
/// Howard Hinnant's `days_from_civil`.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy as i32; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month, day)`.
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    // In i64: `z + 719_468` overflows i32 for days near i32::MAX.
    let z = z as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = (yoe + era * 400) as i32;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Converts a [`NaiveDate`] to days since 1970-01-01.
pub fn to_days(date: NaiveDate) -> i32 {
    days_from_civil(date.year(), date.month(), date.day())
}

/// Converts days since 1970-01-01 to a [`NaiveDate`].
///
/// Days outside chrono's range (about ±262,000 years) saturate to its limits.
pub fn from_days(days: i32) -> NaiveDate {
    let (y, m, d) = civil_from_days(days);
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(if days < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

#[inline]
fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(..N)? {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u32;
    }
    Some(v)
}

#[inline]
fn ymd(y: u32, m: u32, d: u32) -> Option<i32> {
    let y = y as i32;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Checks the time-and-zone tail of an ISO timestamp after the date
/// (`T10:00`, ` 10:00:00.5`, `T10:00:00Z`, `T10:00+02:00`, ...).
fn valid_time_tail(t: &[u8]) -> bool {
    // separator
    let Some((&sep, t)) = t.split_first() else {
        return true;
    };
    if sep != b'T' && sep != b't' && sep != b' ' {
        return false;
    }
    // HH:MM
    let (Some(h), Some(mi)) = (digits::<2>(t), t.get(3..).and_then(digits::<2>)) else {
        return false;
    };
    if t.get(2) != Some(&b':') || h > 23 || mi > 59 {
        return false;
    }
    let mut t = &t[5..];
    // :SS(.fff)
    if t.first() == Some(&b':') {
        match t.get(1..).and_then(digits::<2>) {
            Some(s) if s <= 60 => t = &t[3..],
            _ => return false,
        }
        if matches!(t.first(), Some(b'.') | Some(b',')) {
            let n = t[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            t = &t[1 + n..];
        }
    }
    // zone
    match t {
        [] | [b'Z'] | [b'z'] => true,
        [b'+' | b'-', rest @ ..] => match rest.len() {
            2 => digits::<2>(rest).is_some_and(|h| h <= 23),
            4 => digits::<2>(rest).is_some_and(|h| h <= 23) && digits::<2>(&rest[2..]).is_some(),
            5 => {
                rest[2] == b':'
                    && digits::<2>(rest).is_some_and(|h| h <= 23)
                    && digits::<2>(&rest[3..]).is_some()
            }
            _ => false,
        },
        _ => false,
    }
}

/// Parses an ISO date, ISO timestamp or `YYYYMMDD` into days since the epoch.
///
/// Leading and trailing ASCII whitespace is ignored. Returns `None` when the
/// text is none of these forms or names an impossible date (2023-02-29).
#[inline]
pub fn parse_iso_or_compact(s: &[u8]) -> Option<i32> {
    let s = s.trim_ascii();
    if s.len() == 8 {
        return ymd(
            digits::<4>(s)?,
            digits::<2>(&s[4..])?,
            digits::<2>(&s[6..])?,
        );
    }
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let d = ymd(
        digits::<4>(s)?,
        digits::<2>(&s[5..])?,
        digits::<2>(&s[8..])?,
    )?;
    if s.len() == 10 || valid_time_tail(&s[10..]) {
        Some(d)
    } else {
        None
    }
}

/// Parses `D.M.YYYY` (`sep` = `.`) or `D/M/YYYY` style dates with one or two
/// digit day and month and a four-digit year, day first or month first; a
/// time after a space or `T` is ignored.
#[inline]
fn parse_dmy(s: &[u8], sep: u8, day_first: bool) -> Option<i32> {
    let s = s.trim_ascii();
    let num = |s: &[u8]| -> Option<(u32, usize)> {
        let n = s.iter().take(2).take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let v = s[..n].iter().fold(0u32, |v, c| v * 10 + (c - b'0') as u32);
        Some((v, n))
    };
    let (a, n1) = num(s)?;
    if s.get(n1) != Some(&sep) {
        return None;
    }
    let s = &s[n1 + 1..];
    let (b, n2) = num(s)?;
    if s.get(n2) != Some(&sep) {
        return None;
    }
    let s = &s[n2 + 1..];
    let y = digits::<4>(s)?;
    match s.get(4) {
        None | Some(b' ') | Some(b'T') => {}
        _ => return None,
    }
    let (d, m) = if day_first { (a, b) } else { (b, a) };
    ymd(y, m, d)
}

#[derive(Debug, Clone)]
enum Kind {
    /// ISO dates and timestamps, `YYYYMMDD`.
    Iso,
    /// `DD<sep>MM<sep>YYYY` (`day_first`) or `MM<sep>DD<sep>YYYY`, then ISO.
    DayMonth { sep: u8, day_first: bool },
    /// A chrono format.
    Custom(Vec<Item<'static>>),
}

/// How dates in text are parsed: the built-in ISO / `YYYYMMDD` parser, a
/// format detected from the data ([`DateParser::detect`]), or a user format.
#[derive(Debug, Clone)]
pub struct DateParser {
    kind: Kind,
    /// The format in strftime syntax (user-given or detected).
    format: Option<String>,
    /// Whether the format was detected from the data.
    detected: bool,
}

/// Why dates could not be settled by [`DateParser::detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmbiguousDates {
    /// What to tell the user (names the `--date-format` values to use).
    pub message: String,
}

impl DateParser {
    /// The built-in parser (ISO dates and timestamps, `YYYYMMDD`).
    pub fn iso() -> Self {
        DateParser {
            kind: Kind::Iso,
            format: None,
            detected: false,
        }
    }

    /// A parser for a chrono strftime format such as `%d/%m/%Y` or
    /// `%m/%d/%Y %H:%M`. Returns the reason when the format is invalid.
    pub fn with_format(format: &str) -> Result<Self, String> {
        let items: Vec<Item<'static>> = StrftimeItems::new(format)
            .map(|i| match i {
                Item::Literal(s) => Item::OwnedLiteral(s.into()),
                Item::Space(s) => Item::OwnedSpace(s.into()),
                other => other.to_owned(),
            })
            .collect();
        if items.iter().any(|i| matches!(i, Item::Error)) {
            return Err(format!("invalid date format {format:?}"));
        }
        Ok(DateParser {
            kind: Kind::Custom(items),
            format: Some(format.to_string()),
            detected: false,
        })
    }

    /// Builds the parser for an optional user format.
    pub fn new(format: Option<&str>) -> Result<Self, String> {
        match format {
            None => Ok(Self::iso()),
            Some(f) => Self::with_format(f),
        }
    }

    /// Settles the date format from a sample of date texts (the built-in
    /// parser's job when no format is given).
    ///
    /// The rule: if every sampled date is ISO (or `YYYYMMDD`), ISO. Else the
    /// non-ISO dates decide: `DD.MM.YYYY` for dots; for `/` (or `-`) with the
    /// year last, `DD/MM/YYYY` when a first field is above 12, `MM/DD/YYYY`
    /// when a second field is; dates with both fields at most 12 settle
    /// nothing, and if nothing settles it (or both orders are seen) this is
    /// an error naming both `--date-format` values. Dates in no known form
    /// leave the ISO parser (the row's error then says what is expected).
    /// The detected parsers still read ISO dates.
    pub fn detect<'a>(sample: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, AmbiguousDates> {
        let mut sep = None;
        let (mut day_first, mut month_first) = (None::<String>, None::<String>);
        let mut ambiguous = None::<String>;
        for s in sample {
            let s = s.trim_ascii();
            if s.is_empty() || parse_iso_or_compact(s).is_some() {
                continue;
            }
            for c in [b'.', b'/', b'-'] {
                let dmy = parse_dmy(s, c, true).is_some();
                let mdy = parse_dmy(s, c, false).is_some();
                if !dmy && !mdy {
                    continue;
                }
                if sep.is_some_and(|x| x != c) {
                    continue; // a second separator: its rows will fail and say so
                }
                sep = Some(c);
                let text = || String::from_utf8_lossy(s).into_owned();
                match (dmy, mdy) {
                    (true, false) => {
                        day_first.get_or_insert_with(text);
                    }
                    (false, true) => {
                        month_first.get_or_insert_with(text);
                    }
                    _ => {
                        ambiguous.get_or_insert_with(text);
                    }
                }
                break;
            }
        }
        let Some(sep) = sep else {
            return Ok(Self::iso());
        };
        let c = sep as char;
        let fmt = |day_first: bool| {
            if day_first {
                format!("%d{c}%m{c}%Y")
            } else {
                format!("%m{c}%d{c}%Y")
            }
        };
        let day_first = match (day_first, month_first) {
            (Some(a), Some(b)) => {
                return Err(AmbiguousDates {
                    message: format!(
                        "dates are written both day first ({a:?}) and month first ({b:?}); \
                         make them consistent or give --date-format \"{}\" or --date-format \"{}\"",
                        fmt(true),
                        fmt(false)
                    ),
                });
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) if sep == b'.' => true,
            (None, None) => {
                return Err(AmbiguousDates {
                    message: format!(
                        "cannot tell whether dates such as {:?} are day/month or month/day \
                         (no day above 12 in the first rows); give --date-format \"{}\" \
                         (day first) or --date-format \"{}\" (month first)",
                        ambiguous.unwrap_or_default(),
                        fmt(true),
                        fmt(false)
                    ),
                });
            }
        };
        Ok(DateParser {
            kind: Kind::DayMonth { sep, day_first },
            format: Some(fmt(day_first)),
            detected: true,
        })
    }

    /// Whether a user format was given (`false` for the built-in and
    /// detected parsers).
    pub fn is_custom(&self) -> bool {
        matches!(self.kind, Kind::Custom(_))
    }

    /// The format in strftime syntax, user-given or detected (`None` for the
    /// built-in ISO parser).
    pub fn format(&self) -> Option<&str> {
        self.format.as_deref()
    }

    /// Whether the format was detected from the data rather than given.
    pub fn is_detected(&self) -> bool {
        self.detected
    }

    /// Parses one date to days since the epoch.
    #[inline]
    pub fn parse(&self, s: &[u8]) -> Option<i32> {
        match &self.kind {
            Kind::Iso => parse_iso_or_compact(s),
            Kind::DayMonth { sep, day_first } => {
                parse_dmy(s, *sep, *day_first).or_else(|| parse_iso_or_compact(s))
            }
            Kind::Custom(items) => {
                let s = std::str::from_utf8(s).ok()?.trim();
                let mut parsed = Parsed::new();
                chrono::format::parse(&mut parsed, s, items.iter()).ok()?;
                parsed.to_naive_date().ok().map(to_days)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> i32 {
        to_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn civil_round_trips() {
        for z in -800_000..800_000 {
            let (y, m, dd) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, dd), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(from_days(d("1997-09-30")).to_string(), "1997-09-30");
    }

    #[test]
    fn iso_and_compact_forms() {
        let p = |s: &str| parse_iso_or_compact(s.as_bytes());
        assert_eq!(p("2024-03-01"), Some(d("2024-03-01")));
        assert_eq!(p(" 2024-03-01 "), Some(d("2024-03-01")));
        assert_eq!(p("20240301"), Some(d("2024-03-01")));
        assert_eq!(p("2024-02-29"), Some(d("2024-02-29")));
        assert_eq!(p("2023-02-29"), None);
        assert_eq!(p("2023-13-01"), None);
        assert_eq!(p("2023-00-10"), None);
        assert_eq!(p("20231301"), None);
        assert_eq!(p("2024-3-1"), None);
        assert_eq!(p("abc"), None);
        assert_eq!(p(""), None);
        for ts in [
            "2024-03-01T10:00:00",
            "2024-03-01 10:00:00",
            "2024-03-01T10:00",
            "2024-03-01T10:00:00Z",
            "2024-03-01T10:00:00.123456Z",
            "2024-03-01T23:30:00+02:00",
            "2024-03-01T23:30:00-0500",
            "2024-03-01T23:30:00+02",
        ] {
            assert_eq!(p(ts), Some(d("2024-03-01")), "{ts}");
        }
        for bad in [
            "2024-03-01T25:00:00",
            "2024-03-01T10",
            "2024-03-01X10:00",
            "2024-03-01T10:00:00+2",
            "2024-03-01T10:00:00 UTC",
            "2024-03-01T10:00:00.",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn user_formats() {
        let p = DateParser::with_format("%d/%m/%Y").unwrap();
        assert_eq!(p.parse(b"01/03/2024"), Some(d("2024-03-01")));
        assert_eq!(p.parse(b"2024-03-01"), None);
        let p = DateParser::with_format("%m/%d/%Y %H:%M").unwrap();
        assert_eq!(p.parse(b"03/01/2024 23:59"), Some(d("2024-03-01")));
        assert!(DateParser::with_format("%Q").is_err());
        assert!(!DateParser::iso().is_custom());
    }

    fn detect(v: &[&str]) -> Result<DateParser, AmbiguousDates> {
        DateParser::detect(v.iter().map(|s| s.as_bytes()))
    }

    #[test]
    fn iso_data_stay_iso() {
        let p = detect(&["2024-03-01", "20240302", "2024-03-01T10:00:00Z"]).unwrap();
        assert_eq!(p.format(), None);
        assert!(!p.is_detected());
    }

    #[test]
    fn a_day_above_twelve_settles_day_first() {
        let p = detect(&["01/03/2024", "13/03/2024"]).unwrap();
        assert_eq!(p.format(), Some("%d/%m/%Y"));
        assert!(p.is_detected());
        assert_eq!(p.parse(b"02/03/2024"), Some(d("2024-03-02")));
        assert_eq!(p.parse(b"2/3/2024 10:00"), Some(d("2024-03-02")));
        assert_eq!(p.parse(b"2024-03-02"), Some(d("2024-03-02")));
        assert_eq!(p.parse(b"31/02/2024"), None);
    }

    #[test]
    fn a_second_field_above_twelve_settles_month_first() {
        let p = detect(&["03/01/2024", "03/25/2024"]).unwrap();
        assert_eq!(p.format(), Some("%m/%d/%Y"));
        assert_eq!(p.parse(b"03/02/2024"), Some(d("2024-03-02")));
    }

    #[test]
    fn dotted_dates_are_day_first() {
        let p = detect(&["01.03.2024", "02.03.2024"]).unwrap();
        assert_eq!(p.format(), Some("%d.%m.%Y"));
        assert_eq!(p.parse(b"02.03.2024"), Some(d("2024-03-02")));
    }

    #[test]
    fn ambiguous_slashed_dates_name_both_formats() {
        let e = detect(&["01/03/2024", "02/03/2024"]).unwrap_err();
        assert!(
            e.message.contains("--date-format \"%d/%m/%Y\""),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("--date-format \"%m/%d/%Y\""),
            "{}",
            e.message
        );
        let e = detect(&["13/01/2024", "01/13/2024"]).unwrap_err();
        assert!(e.message.contains("both day first"), "{}", e.message);
    }
}
