//! Validated purchase rows as the readers produce them, before aggregation.
//!
//! Every reader (the hand-written CSV pass, the DataFusion path, the
//! in-memory entry point) turns its input into one or more [`Part`]s, one per
//! worker thread. A part holds the rows that passed validation, already
//! bucketed by a hash of the customer id into shards, so that aggregation can
//! run one shard per thread with no merge of hash maps.

use std::hash::BuildHasher;

use crate::date::DateParser;

/// Why a row was rejected as malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InvalidReason {
    /// The customer id is empty or missing.
    EmptyCustomer,
    /// The date cannot be parsed.
    BadDate,
    /// The amount cannot be parsed as a finite number.
    BadAmount,
    /// The date is later than today and no observation end covers it.
    FutureDate,
    /// The record has too few fields.
    FieldCount,
    /// The amount is a number too large to be a purchase (more than
    /// `MAX_AMOUNT` in absolute value, such as `1e300`): sums of such
    /// values overflow.
    HugeAmount,
}

/// The largest amount accepted, in absolute value (10^15). Anything larger is
/// [`InvalidReason::HugeAmount`]: no purchase is worth that much, and sums
/// and squares of such values would overflow to infinity.
pub const MAX_AMOUNT: f64 = 1e15;

impl InvalidReason {
    /// All reasons, in report order.
    pub const ALL: [InvalidReason; 6] = [
        InvalidReason::EmptyCustomer,
        InvalidReason::BadDate,
        InvalidReason::BadAmount,
        InvalidReason::FutureDate,
        InvalidReason::FieldCount,
        InvalidReason::HugeAmount,
    ];

    /// A short description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            InvalidReason::EmptyCustomer => "empty customer id",
            InvalidReason::BadDate => "unparseable date",
            InvalidReason::BadAmount => "unparseable amount",
            InvalidReason::FutureDate => "date in the future",
            InvalidReason::FieldCount => "too few fields",
            InvalidReason::HugeAmount => "amount too large",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Which of the three mapped columns a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Customer,
    Date,
    Amount,
    Record,
}

/// A rejected value: where (a byte offset or row index, resolved to a line
/// later), which column, and what.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// Byte offset of the record (text readers) or 0-based row index.
    pub pos: u64,
    pub reason: InvalidReason,
    pub col: Col,
    /// The offending text (shortened), or a message for `FieldCount`.
    pub text: String,
}

/// How many offending positions are remembered for the report.
pub(crate) const KEEP_PROBLEMS: usize = 5;

/// Reference to a customer id's bytes, packed in a `u64`: offset (39 bits)
/// and length (24 bits) in the shared input buffer, or (top bit set) in the
/// part's own arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdRef(u64);

const ARENA_BIT: u64 = 1 << 63;
const LEN_BITS: u32 = 24;
const MAX_OFF: u64 = (1 << 39) - 1;
const MAX_LEN: usize = (1 << LEN_BITS) - 1;

impl IdRef {
    fn new(off: u64, len: usize, arena: bool) -> Self {
        IdRef((off << LEN_BITS) | len as u64 | if arena { ARENA_BIT } else { 0 })
    }

    #[inline]
    fn parts(self) -> (bool, usize, usize) {
        let arena = self.0 & ARENA_BIT != 0;
        let off = ((self.0 & !ARENA_BIT) >> LEN_BITS) as usize;
        (arena, off, (self.0 & MAX_LEN as u64) as usize)
    }
}

/// One validated purchase row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// The id's first 8 bytes, big-endian, zero-padded (orders like the bytes).
    pub prefix: u64,
    pub id: IdRef,
    pub amount: f64,
    pub day: i32,
    /// How many source rows this row stands for: 1, or the rows of one
    /// customer and day that a database summed before sending them (see
    /// [`PartBuilder::group`]); `amount` is then their total.
    pub n: u32,
}

impl Row {
    /// Length of the id in bytes.
    #[inline]
    pub fn id_len(&self) -> usize {
        self.id.parts().2
    }
}

/// Parses an id as an integer sort key (optional `-`, 1 to 18 digits).
#[inline]
pub(crate) fn int_key(b: &[u8]) -> Option<i64> {
    let (neg, d) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if d.is_empty() || d.len() > 18 {
        return None;
    }
    let mut v = 0i64;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(if neg { -v } else { v })
}

/// The first 8 bytes of an id, big-endian, zero-padded.
#[inline]
pub(crate) fn prefix_key(b: &[u8]) -> u64 {
    if let Some(first) = b.first_chunk::<8>() {
        return u64::from_be_bytes(*first);
    }
    let mut k = 0u64;
    for (i, &c) in b.iter().enumerate() {
        k |= (c as u64) << (56 - 8 * i);
    }
    k
}

/// The hash of an id (not stored: recomputed where needed). Ids of at most 8
/// bytes: a multiply-mix of the inline bytes and the length; longer ids:
/// foldhash of the bytes.
#[inline]
pub(crate) fn id_hash(hasher: &IdHasher, prefix: u64, id: &[u8]) -> u64 {
    if id.len() <= 8 {
        mix(prefix, id.len() as u64)
    } else {
        hasher.hash_one(id)
    }
}

/// A 64-bit hash of `(a, b)`: two folded 128-bit multiplies.
#[inline]
fn mix(a: u64, b: u64) -> u64 {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let m = (a ^ K1) as u128 * (b ^ K2) as u128;
    let x = (m as u64) ^ ((m >> 64) as u64);
    let m = (x ^ K2) as u128 * K1 as u128;
    (m as u64) ^ ((m >> 64) as u64)
}

/// Counts kept while reading.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadStats {
    /// Data rows seen (blank lines excluded).
    pub rows_read: u64,
    pub negative_rows: u64,
    pub negative_total: f64,
    pub zero_rows: u64,
    pub invalid: [u64; 6],
    /// Amounts read after stripping a currency symbol or code (`$`, `EUR`).
    pub currency_stripped: u64,
    /// Amounts read after removing thousands separators (`1,234.50`).
    pub thousands_stripped: u64,
    /// The first few problems (by position within the part).
    pub problems: Vec<Problem>,
    /// Smallest and largest day among the kept (positive) rows.
    /// Whether every kept row's customer id is an integer (see [`int_key`]).
    pub all_int: bool,
    pub min_day: i32,
    pub max_day: i32,
}

impl ReadStats {
    pub fn new() -> Self {
        ReadStats {
            all_int: true,
            min_day: i32::MAX,
            max_day: i32::MIN,
            ..Default::default()
        }
    }

    pub fn merge(&mut self, o: &ReadStats) {
        self.rows_read += o.rows_read;
        self.negative_rows += o.negative_rows;
        self.negative_total += o.negative_total;
        self.zero_rows += o.zero_rows;
        self.currency_stripped += o.currency_stripped;
        self.thousands_stripped += o.thousands_stripped;
        for (a, b) in self.invalid.iter_mut().zip(o.invalid) {
            *a += b;
        }
        self.problems.extend(o.problems.iter().cloned());
        self.min_day = self.min_day.min(o.min_day);
        self.max_day = self.max_day.max(o.max_day);
        self.all_int &= o.all_int;
    }

    pub fn invalid_total(&self) -> u64 {
        self.invalid.iter().sum()
    }
}

/// One worker's validated rows, bucketed into partitions by id hash.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    base: &'a [u8],
    arena: Vec<u8>,
    pub shards: Vec<Vec<Row>>,
    pub stats: ReadStats,
}

impl<'a> Part<'a> {
    /// The id's bytes of a row whose id is longer than 8 bytes (shorter ids
    /// are entirely in [`Row::prefix`]).
    #[inline]
    pub fn id(&self, r: IdRef) -> &[u8] {
        let (arena, off, len) = r.parts();
        let buf = if arena { &self.arena[..] } else { self.base };
        &buf[off..off + len]
    }
}

/// How many hash partitions readers produce for `threads` workers: enough
/// that each partition's hash table stays in cache during aggregation.
pub(crate) fn partitions(threads: usize) -> usize {
    threads * 16
}

/// The shared hasher for customer ids (fixed seed: deterministic).
pub(crate) type IdHasher = foldhash::fast::FixedState;

pub(crate) fn id_hasher() -> IdHasher {
    foldhash::fast::FixedState::with_seed(0x5eed_c1f0)
}

/// Which shard a hash belongs to (bits 24..56: not the top 7 bits that
/// `hashbrown` compares, nor the low bits that pick its buckets).
#[inline]
pub(crate) fn shard_of(hash: u64, n: usize) -> usize {
    ((((hash >> 24) & 0xffff_ffff) * n as u64) >> 32) as usize
}

/// What a reader needs to validate values.
#[derive(Debug, Clone)]
pub(crate) struct Validator {
    pub dates: DateParser,
    /// Days after this are an error ("in the future"), when set.
    pub future_limit: Option<i32>,
    pub skip_invalid: bool,
    /// Zero amounts are purchases (see [`crate::ZeroAmounts::Keep`]).
    pub keep_zero: bool,
    /// `,` is the decimal separator of text amounts (`1.234,50`).
    pub decimal_comma: bool,
}

impl Validator {
    /// Parses a text amount in this validator's style (see [`parse_amount_styled`]).
    #[inline]
    pub fn amount(&self, s: &[u8]) -> Option<(f64, u8)> {
        parse_amount_styled(s, self.decimal_comma)
    }
}

/// The outcome of validating one row.
pub(crate) enum Checked {
    /// Kept or dropped by policy (non-positive amount): nothing to report.
    Ok,
    /// Invalid, and skipping is allowed: counted.
    Skipped,
    /// Invalid, and it stops the read.
    Fatal(Problem),
}

/// Builds a [`Part`] row by row.
pub(crate) struct PartBuilder<'a> {
    part: Part<'a>,
    hasher: IdHasher,
    nshards: usize,
}

impl<'a> PartBuilder<'a> {
    pub fn new(base: &'a [u8], nshards: usize) -> Self {
        PartBuilder {
            part: Part {
                base,
                arena: Vec::new(),
                shards: (0..nshards).map(|_| Vec::new()).collect(),
                stats: ReadStats::new(),
            },
            hasher: id_hasher(),
            nshards,
        }
    }

    pub fn finish(self) -> Part<'a> {
        self.part
    }

    /// Reserves room for about `rows` more rows, spread over the shards.
    pub fn reserve(&mut self, rows: usize) {
        let per = rows / self.nshards + rows / self.nshards / 16 + 16;
        for sh in &mut self.part.shards {
            sh.reserve(per);
        }
    }

    /// Counts a data row that does not go through [`PartBuilder::row`].
    pub fn stats_row(&mut self) {
        self.part.stats.rows_read += 1;
    }

    /// Records an invalid row; returns `Fatal` unless skipping is allowed.
    pub fn invalid(&mut self, v: &Validator, p: Problem) -> Checked {
        let s = &mut self.part.stats;
        s.invalid[p.reason.index()] += 1;
        if !v.skip_invalid {
            return Checked::Fatal(p);
        }
        if s.problems.len() < KEEP_PROBLEMS {
            s.problems.push(p);
        }
        Checked::Skipped
    }

    /// Validates and stores one row. `id` is the raw id (trimmed here);
    /// `in_base` says whether `id` lies inside the shared base buffer (then it
    /// is referenced, not copied). `date` and `amount` are already parsed
    /// (`None`: unparseable; the raw text is passed for messages).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn row(
        &mut self,
        v: &Validator,
        pos: u64,
        id: &[u8],
        in_base: bool,
        day: Option<i32>,
        date_text: &dyn Fn() -> String,
        amount: Option<(f64, u8)>,
        amount_text: &dyn Fn() -> String,
    ) -> Checked {
        self.part.stats.rows_read += 1;
        let id_trim = id.trim_ascii();
        if id_trim.is_empty() {
            return self.invalid(
                v,
                Problem {
                    pos,
                    reason: InvalidReason::EmptyCustomer,
                    col: Col::Customer,
                    text: String::new(),
                },
            );
        }
        let Some(day) = day else {
            return self.invalid(
                v,
                Problem {
                    pos,
                    reason: InvalidReason::BadDate,
                    col: Col::Date,
                    text: date_text(),
                },
            );
        };
        let Some((amount, stripped)) = amount else {
            return self.invalid(
                v,
                Problem {
                    pos,
                    reason: InvalidReason::BadAmount,
                    col: Col::Amount,
                    text: amount_text(),
                },
            );
        };
        if amount.abs() > MAX_AMOUNT {
            return self.invalid(
                v,
                Problem {
                    pos,
                    reason: InvalidReason::HugeAmount,
                    col: Col::Amount,
                    text: amount_text(),
                },
            );
        }
        if stripped != 0 {
            let s = &mut self.part.stats;
            s.currency_stripped += u64::from(stripped & STRIPPED_CURRENCY != 0);
            s.thousands_stripped += u64::from(stripped & STRIPPED_THOUSANDS != 0);
        }
        if let Some(limit) = v.future_limit
            && day > limit
        {
            return self.invalid(
                v,
                Problem {
                    pos,
                    reason: InvalidReason::FutureDate,
                    col: Col::Date,
                    text: crate::date::from_days(day).to_string(),
                },
            );
        }
        let s = &mut self.part.stats;
        if amount <= 0.0 {
            if amount < 0.0 {
                s.negative_rows += 1;
                s.negative_total += amount;
                return Checked::Ok;
            }
            s.zero_rows += 1;
            if !v.keep_zero {
                return Checked::Ok;
            }
        }
        self.store(id_trim, in_base, day, amount, 1);
        Checked::Ok
    }

    /// Stores a kept row of `n` source rows worth `amount` in total.
    #[inline]
    fn store(&mut self, id_trim: &[u8], in_base: bool, day: i32, amount: f64, n: u32) {
        let s = &mut self.part.stats;
        if s.all_int && int_key(id_trim).is_none() {
            s.all_int = false;
        }
        s.min_day = s.min_day.min(day);
        s.max_day = s.max_day.max(day);
        let len = id_trim.len().min(MAX_LEN);
        let id_trim = &id_trim[..len];
        let base_off = (id_trim.as_ptr() as usize).wrapping_sub(self.part.base.as_ptr() as usize);
        let id = if len <= 8 {
            // Short ids live entirely in the row's prefix.
            IdRef::new(0, len, false)
        } else if in_base && (base_off as u64) <= MAX_OFF {
            IdRef::new(base_off as u64, len, false)
        } else {
            let off = self.part.arena.len() as u64;
            self.part.arena.extend_from_slice(id_trim);
            IdRef::new(off, len, true)
        };
        let prefix = prefix_key(id_trim);
        let hash = id_hash(&self.hasher, prefix, id_trim);
        self.part.shards[shard_of(hash, self.nshards)].push(Row {
            prefix,
            id,
            amount,
            day,
            n,
        });
    }

    /// Adds the rows of one customer and day that a database has already
    /// validated and summed (see [`crate::Source`] implementations that push
    /// the aggregation down): `rows` rows in all, of which `negative` had a
    /// negative amount (summing to `negative_total`), `zero` a zero amount,
    /// and `kept` were kept (positive, or zero when zero amounts are
    /// purchases) with the total `kept_total`, summed in ascending order of
    /// the amounts as the summary sums one day's amounts. `id` must be
    /// trimmed and non-empty; the day and amounts already checked.
    #[allow(clippy::too_many_arguments)]
    pub fn group(
        &mut self,
        id: &[u8],
        day: i32,
        rows: u64,
        negative: u64,
        negative_total: f64,
        zero: u64,
        kept: u32,
        kept_total: f64,
    ) {
        let s = &mut self.part.stats;
        s.rows_read += rows;
        s.negative_rows += negative;
        s.negative_total += negative_total;
        s.zero_rows += zero;
        if kept > 0 {
            self.store(id, false, day, kept_total, kept);
        }
    }
}

/// Parses an amount: Clinger's exact fast path for plain decimals with at
/// most 15 significant digits, the standard library otherwise. Surrounding
/// ASCII whitespace is ignored; non-finite values (`NaN`, `inf`) are rejected.
#[inline]
pub(crate) fn parse_amount(s: &[u8]) -> Option<f64> {
    let s = s.trim_ascii();
    if let Some(v) = fast_decimal(s) {
        return Some(v);
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    v.is_finite().then_some(v)
}

/// An amount was read after stripping a currency symbol or code.
pub(crate) const STRIPPED_CURRENCY: u8 = 1;
/// An amount was read after removing thousands separators.
pub(crate) const STRIPPED_THOUSANDS: u8 = 2;

/// Parses a text amount as people write them: the plain forms of
/// [`parse_amount`] first (the fast path, nothing else is looked at), then a
/// currency symbol or code before or after the number (`$12.50`, `12.50 EUR`,
/// `€ 3`, `-$4`), and thousands separators in valid groups of three
/// (`1,234,567.50`; with `decimal_comma`: `1.234.567,50`, and `1 234,50` or
/// `1'234.50` either way). With `decimal_comma` the comma is the decimal
/// separator and the point groups thousands. Returns the value and which of
/// [`STRIPPED_CURRENCY`] and [`STRIPPED_THOUSANDS`] applied. No allocation.
#[inline]
pub(crate) fn parse_amount_styled(s: &[u8], decimal_comma: bool) -> Option<(f64, u8)> {
    let t = s.trim_ascii();
    if !decimal_comma || memchr::memchr2(b'.', b',', t).is_none() {
        if let Some(v) = fast_decimal(t) {
            return Some((v, 0));
        }
        // Exponents (`1e3`); an infinite value is kept for the caller to
        // reject as too large, NaN is not a number.
        if let Some(v) = std::str::from_utf8(t)
            .ok()
            .and_then(|x| x.parse::<f64>().ok())
            .filter(|v| !v.is_nan())
        {
            return Some((v, 0));
        }
    }
    lenient_amount(t, decimal_comma)
}

/// Bytes of a currency symbol or code, or spaces around one: ASCII letters,
/// `$`, and any non-ASCII byte (`€`, `£`, `¥`, `₹`, no-break spaces).
#[inline]
fn is_currency_byte(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'$' || c >= 0x80 || c == b' '
}

#[cold]
fn lenient_amount(t: &[u8], decimal_comma: bool) -> Option<(f64, u8)> {
    let mut flags = 0u8;
    let mut neg = false;
    let mut t = t;
    // A sign before the currency: `-$5`.
    if let Some((&c, rest)) = t.split_first()
        && (c == b'-' || c == b'+')
        && rest
            .first()
            .is_some_and(|&c| !c.is_ascii_digit() && c != b'.' && c != b',')
    {
        neg = c == b'-';
        t = rest;
    }
    // Currency before and after the number.
    let lead = t.iter().take_while(|&&c| is_currency_byte(c)).count();
    let trail = t[lead..]
        .iter()
        .rev()
        .take_while(|&&c| is_currency_byte(c))
        .count();
    let (pre, core, post) = (&t[..lead], &t[lead..t.len() - trail], &t[t.len() - trail..]);
    for affix in [pre, post] {
        let a = affix.trim_ascii();
        if affix.is_empty() {
            continue;
        }
        // A code of 1 to 3 letters (`EUR`, `US$`, `kr`) or symbols; not words.
        let letters = a.iter().filter(|c| c.is_ascii_alphabetic()).count();
        if a.is_empty() || letters > 3 {
            return None;
        }
        flags |= STRIPPED_CURRENCY;
    }
    // The sign may follow the currency: `$-5`.
    let mut core = core;
    if let Some((&c, rest)) = core.split_first()
        && (c == b'-' || c == b'+')
    {
        if neg {
            return None;
        }
        neg = c == b'-';
        core = rest;
    }
    let (dec, group) = if decimal_comma {
        (b',', b'.')
    } else {
        (b'.', b',')
    };
    // Digits and the decimal point into a small buffer; grouping checked.
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    let mut sep: Option<u8> = None; // the one thousands separator used
    let mut group_len = 0usize; // digits since the last separator
    let mut first_group = true;
    let mut seen_dec = false;
    let mut i = 0;
    while i < core.len() {
        let c = core[i];
        // Non-ASCII spaces as group separators: U+00A0, U+202F, U+2009.
        let (is_sep, width, kind) = match c {
            b'0'..=b'9' => (false, 1, 0),
            b' ' | b'\'' => (true, 1, c),
            _ if c == group => (true, 1, c),
            0xC2 if core.get(i + 1) == Some(&0xA0) => (true, 2, 0xA0),
            0xE2 if core.get(i + 1) == Some(&0x80)
                && matches!(core.get(i + 2), Some(0xAF) | Some(0x89)) =>
            {
                (true, 3, 0xA0)
            }
            _ if c == dec => {
                if seen_dec {
                    return None;
                }
                if sep.is_some() && (first_group || group_len != 3) {
                    return None;
                }
                seen_dec = true;
                if n >= buf.len() {
                    return None;
                }
                buf[n] = b'.';
                n += 1;
                i += 1;
                continue;
            }
            _ => return None,
        };
        if is_sep {
            if seen_dec || group_len == 0 || sep.is_some_and(|s| s != kind) {
                return None;
            }
            if (first_group && group_len > 3) || (!first_group && group_len != 3) {
                return None;
            }
            sep = Some(kind);
            first_group = false;
            group_len = 0;
            i += width;
            continue;
        }
        if n >= buf.len() {
            return None;
        }
        buf[n] = c;
        n += 1;
        if !seen_dec {
            group_len += 1;
        }
        i += 1;
    }
    if sep.is_some() {
        if !seen_dec && group_len != 3 {
            return None;
        }
        flags |= STRIPPED_THOUSANDS;
    }
    let digits = &buf[..n];
    let v = match fast_decimal(digits) {
        Some(v) => v,
        None => std::str::from_utf8(digits).ok()?.parse::<f64>().ok()?,
    };
    Some((if neg { -v } else { v }, flags))
}

/// What one text amount says about the decimal separator of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalEvidence {
    /// Only a decimal point reads it (`1,234.50`, `12.5`, `1,234,567`).
    Point,
    /// Only a decimal comma reads it (`1.234,50`, `12,5`, `1.234.567`).
    Comma,
    /// Both or neither (`1,234`, `1.234`, `12`).
    Either,
}

/// Classifies an amount for decimal-separator detection: the separator that
/// comes last and is not followed by exactly three digits, or appears
/// together with the other one, settles it; a lone separator before exactly
/// three digits (`1,234`, `1.234`) settles nothing.
pub(crate) fn decimal_evidence(s: &[u8]) -> DecimalEvidence {
    let dots = memchr::memchr_iter(b'.', s).count();
    let commas = memchr::memchr_iter(b',', s).count();
    let last = |c: u8| memchr::memrchr(c, s).expect("present");
    let digits_after = |p: usize| s[p + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    match (dots, commas) {
        (0, 0) => DecimalEvidence::Either,
        (_, 0) if dots > 1 => DecimalEvidence::Comma,
        (0, _) if commas > 1 => DecimalEvidence::Point,
        (1, 0) if digits_after(last(b'.')) == 3 => DecimalEvidence::Either,
        (1, 0) => DecimalEvidence::Point,
        (0, 1) if digits_after(last(b',')) == 3 => DecimalEvidence::Either,
        (0, 1) => DecimalEvidence::Comma,
        _ if last(b',') > last(b'.') => DecimalEvidence::Comma,
        _ => DecimalEvidence::Point,
    }
}

#[inline]
fn fast_decimal(s: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (neg, s) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mut mant: u64 = 0;
    let mut ndigits = 0usize;
    let mut frac = 0usize;
    let mut seen_dot = false;
    let mut any = false;
    for &c in s {
        if c.is_ascii_digit() {
            any = true;
            if mant != 0 || c != b'0' {
                ndigits += 1;
            }
            mant = mant * 10 + (c - b'0') as u64;
            if seen_dot {
                frac += 1;
            }
            if ndigits > 15 || frac > 15 {
                return None;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            return None;
        }
    }
    if !any {
        return None;
    }
    let v = mant as f64 / POW10[frac];
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        for s in [
            "0",
            "1",
            "29.33",
            "-14.96",
            "+3.5",
            ".5",
            "5.",
            "123456789012345",
            "0.000001",
            "1e3",
            "1.5E-2",
            "12345678901234567890.5",
        ] {
            let want: f64 = s.parse().unwrap();
            assert_eq!(parse_amount(s.as_bytes()), Some(want), "{s}");
        }
        assert_eq!(parse_amount(b"  7.25 "), Some(7.25));
        for bad in ["", "abc", "1,5", "NaN", "inf", "-", ".", "1.2.3", "$5"] {
            assert_eq!(parse_amount(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn currency_symbols_and_codes_are_stripped_and_flagged() {
        let p = |s: &str| parse_amount_styled(s.as_bytes(), false);
        assert_eq!(p("$12.50"), Some((12.5, STRIPPED_CURRENCY)));
        assert_eq!(p("12.50 EUR"), Some((12.5, STRIPPED_CURRENCY)));
        assert_eq!(p("€3"), Some((3.0, STRIPPED_CURRENCY)));
        assert_eq!(p("-$4"), Some((-4.0, STRIPPED_CURRENCY)));
        assert_eq!(p("$-4"), Some((-4.0, STRIPPED_CURRENCY)));
        assert_eq!(p("12.50"), Some((12.5, 0)));
        assert_eq!(p("1e3"), Some((1000.0, 0)));
        for bad in ["ten", "twelve dollars", "$", "5$5", "NaN", "$1.2.3", "--5"] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn thousands_separators_need_groups_of_three() {
        let p = |s: &str| parse_amount_styled(s.as_bytes(), false);
        let both = STRIPPED_CURRENCY | STRIPPED_THOUSANDS;
        assert_eq!(p("$1,234.50"), Some((1234.5, both)));
        assert_eq!(p("1,234,567"), Some((1_234_567.0, STRIPPED_THOUSANDS)));
        assert_eq!(p("1,234"), Some((1234.0, STRIPPED_THOUSANDS)));
        assert_eq!(p("1'234.5"), Some((1234.5, STRIPPED_THOUSANDS)));
        for bad in [
            "12,5", "1,23,456", "1234,567", "1,2345", ",123", "1.234,50", "1,234,5",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn decimal_comma_swaps_the_separators() {
        let p = |s: &str| parse_amount_styled(s.as_bytes(), true);
        let both = STRIPPED_CURRENCY | STRIPPED_THOUSANDS;
        assert_eq!(p("1.234,50 EUR"), Some((1234.5, both)));
        assert_eq!(p("12,5"), Some((12.5, 0)));
        assert_eq!(p("1.234"), Some((1234.0, STRIPPED_THOUSANDS)));
        assert_eq!(p("1\u{a0}234,50"), Some((1234.5, STRIPPED_THOUSANDS)));
        assert_eq!(p("7"), Some((7.0, 0)));
        assert_eq!(p("12.5"), None);
    }

    #[test]
    fn decimal_evidence_needs_an_unambiguous_value() {
        use DecimalEvidence::*;
        let e = |s: &str| decimal_evidence(s.as_bytes());
        assert_eq!(e("1.234,50"), Comma);
        assert_eq!(e("12,5"), Comma);
        assert_eq!(e("1.234.567"), Comma);
        assert_eq!(e("1,234.50"), Point);
        assert_eq!(e("12.5"), Point);
        assert_eq!(e("1,234,567"), Point);
        assert_eq!(e("1,234"), Either);
        assert_eq!(e("1.234"), Either);
        assert_eq!(e("12"), Either);
    }

    #[test]
    fn huge_amounts_are_rejected_with_their_own_reason() {
        let v = Validator {
            dates: DateParser::iso(),
            future_limit: None,
            skip_invalid: true,
            keep_zero: true,
            decimal_comma: false,
        };
        let mut b = PartBuilder::new(&[], 1);
        for (i, text) in ["1e300", "1e308", "1e400", "5"].iter().enumerate() {
            let _ = b.row(
                &v,
                i as u64,
                b"c",
                false,
                Some(0),
                &|| String::new(),
                v.amount(text.as_bytes()),
                &|| text.to_string(),
            );
        }
        let part = b.finish();
        assert_eq!(part.stats.invalid[InvalidReason::HugeAmount.index()], 3);
        assert_eq!(part.shards[0].len(), 1);
    }

    #[test]
    fn shards_cover_all() {
        for n in 1..5 {
            for h in [0u64, u64::MAX, 1 << 40, 0xdead_beef_0000_0000] {
                assert!(shard_of(h, n) < n);
            }
        }
    }
}
