//! The hand-written parallel CSV pass.
//!
//! Two ways in, the same line parser. Files without a quote (the common
//! case) are streamed: [`parse_streaming`] splits the file into one byte
//! range per thread at newlines, and every thread reads its range in 1 MiB
//! blocks into a reused buffer (positioned reads, see
//! [`crate::source`]) and parses the complete lines of each block, so the
//! file is never held in memory whole. A file with quotes anywhere is read
//! into memory once and [`parse_parallel`] splits it into one chunk per
//! thread at record boundaries (a newline outside quotes, by quote parity).
//! Lines are split with `memchr`: lines without a quote on the delimiter
//! without copying; lines with one take a small RFC 4180 state machine
//! (quoted fields, `""` escapes, delimiters and newlines inside quotes).
//! Only the three mapped columns are looked at. Values are trimmed of
//! surrounding ASCII whitespace. Blank lines are skipped and are not rows.
//!
//! Problems are recorded with the byte offset of their record, turned into
//! an exact 1-based line number (header = line 1) only when reported.

use std::borrow::Cow;

use memchr::{memchr, memchr_iter};

use crate::rows::{Checked, Col, InvalidReason, Part, PartBuilder, Problem, Validator};
use crate::source::read_at;

/// Where the mapped columns are, and where the data start.
#[derive(Debug, Clone)]
pub(crate) struct CsvLayout {
    pub delimiter: u8,
    /// Header names, as read (unquoted, trimmed).
    pub names: Vec<String>,
    /// Field indices of the customer, date and amount columns.
    pub cols: [usize; 3],
    /// Byte offset of the first data record.
    pub data_start: usize,
}

/// Skips a UTF-8 byte-order mark.
pub(crate) fn bom_len(buf: &[u8]) -> usize {
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    }
}

/// Parses one record starting at `pos`, quote-aware. Returns its fields and
/// the offset just past its terminating newline.
pub(crate) fn parse_record(
    buf: &[u8],
    pos: usize,
    end: usize,
    delim: u8,
) -> (Vec<Cow<'_, [u8]>>, usize) {
    let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
    let mut i = pos;
    loop {
        // One field starting at i.
        if i < end && buf[i] == b'"' {
            let mut owned: Option<Vec<u8>> = None;
            let mut j = i + 1;
            let seg_start = j;
            let mut closed_at = None;
            while j < end {
                if buf[j] == b'"' {
                    if j + 1 < end && buf[j + 1] == b'"' {
                        let o = owned.get_or_insert_with(|| buf[seg_start..j].to_vec());
                        o.push(b'"');
                        j += 2;
                        continue;
                    }
                    closed_at = Some(j);
                    break;
                }
                if let Some(o) = owned.as_mut() {
                    o.push(buf[j]);
                }
                j += 1;
            }
            let close = closed_at.unwrap_or(end);
            let field: Cow<'_, [u8]> = match owned {
                Some(o) => Cow::Owned(o),
                None => Cow::Borrowed(&buf[seg_start..close]),
            };
            // Anything after the closing quote up to the delimiter is appended
            // (lenient, like most readers).
            let mut k = (close + 1).min(end);
            let tail_start = k;
            while k < end && buf[k] != delim && buf[k] != b'\n' {
                k += 1;
            }
            let tail = &buf[tail_start..k];
            let tail = tail.strip_suffix(b"\r").unwrap_or(tail);
            let field = if tail.trim_ascii().is_empty() {
                field
            } else {
                let mut o = field.into_owned();
                o.extend_from_slice(tail);
                Cow::Owned(o)
            };
            fields.push(field);
            i = k;
        } else {
            let mut k = i;
            while k < end && buf[k] != delim && buf[k] != b'\n' {
                k += 1;
            }
            let f = &buf[i..k];
            fields.push(Cow::Borrowed(f.strip_suffix(b"\r").unwrap_or(f)));
            i = k;
        }
        if i >= end {
            return (fields, end);
        }
        if buf[i] == b'\n' {
            return (fields, i + 1);
        }
        i += 1; // delimiter
    }
}

/// Finds the header and the mapped columns.
pub(crate) fn layout(
    buf: &[u8],
    delimiter: u8,
    wanted: [&str; 3],
) -> Result<CsvLayout, LayoutError> {
    let mut pos = bom_len(buf);
    // Skip blank lines before the header.
    while pos < buf.len() && (buf[pos] == b'\n' || buf[pos] == b'\r') {
        pos += 1;
    }
    if pos >= buf.len() {
        return Err(LayoutError::Empty);
    }
    let (fields, next) = parse_record(buf, pos, buf.len(), delimiter);
    let names: Vec<String> = fields
        .iter()
        .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
        .collect();
    let mut cols = [0usize; 3];
    for (k, want) in wanted.iter().enumerate() {
        let exact = names.iter().position(|n| n == want);
        let found = exact.or_else(|| {
            let ci: Vec<usize> = (0..names.len())
                .filter(|&i| names[i].eq_ignore_ascii_case(want))
                .collect();
            (ci.len() == 1).then(|| ci[0])
        });
        match found {
            Some(i) => cols[k] = i,
            None => return Err(LayoutError::Missing { which: k, names }),
        }
    }
    Ok(CsvLayout {
        delimiter,
        names,
        cols,
        data_start: next,
    })
}

/// The `(date, amount)` texts of up to `max` records of `buf[start..end]`
/// (blank lines and short records skipped): the sample that settles the date
/// format and the decimal separator. A record cut by `end` is left out.
pub(crate) fn sample(
    buf: &[u8],
    start: usize,
    end: usize,
    lay: &CsvLayout,
    max: usize,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let [_, di, ai] = lay.cols;
    let end = end.min(buf.len());
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end && out.len() < max {
        let (fields, next) = parse_record(buf, pos, end, lay.delimiter);
        if next >= end && end < buf.len() {
            break; // cut by the end of the sample
        }
        pos = next;
        if let (Some(d), Some(a)) = (fields.get(di), fields.get(ai)) {
            out.push((d.trim_ascii().to_vec(), a.trim_ascii().to_vec()));
        }
    }
    out
}

/// Why the header could not be used.
#[derive(Debug)]
pub(crate) enum LayoutError {
    /// No header at all.
    Empty,
    /// Column `which` (0 customer, 1 date, 2 amount) is missing.
    Missing { which: usize, names: Vec<String> },
}

/// Splits `[start, buf.len())` into `n` chunks at record boundaries.
///
/// With quotes in the data, the records are walked from the previous split
/// point exactly as [`parse_chunk`] reads them (a line without a quote is a
/// record; a line with one is read by [`parse_record`], where a quote opens a
/// quoted field only at the start of a field): counting quote parity alone
/// is fooled by a quote inside an unquoted field (`a"b`), and chunks could
/// then start inside a quoted field.
pub(crate) fn split_points(buf: &[u8], start: usize, n: usize, delim: u8) -> Vec<usize> {
    let len = buf.len();
    let mut points = vec![start];
    let has_quotes = memchr(b'"', &buf[start..]).is_some();
    for k in 1..n {
        let last = *points.last().expect("non-empty");
        let target = start + (len - start) * k / n;
        if target <= last {
            continue;
        }
        let p = if has_quotes {
            let mut pos = last;
            while pos < target {
                let nl = memchr(b'\n', &buf[pos..]).map_or(len, |i| pos + i);
                pos = if memchr(b'"', &buf[pos..nl]).is_none() {
                    (nl + 1).min(len)
                } else {
                    parse_record(buf, pos, len, delim).1
                };
            }
            pos
        } else {
            match memchr(b'\n', &buf[target..]) {
                Some(i) => target + i + 1,
                None => break,
            }
        };
        if p >= len {
            break;
        }
        points.push(p);
    }
    points.push(len);
    points
}

/// 1-based line number of the record starting at byte `pos`.
pub(crate) fn line_of(buf: &[u8], pos: u64) -> u64 {
    let pos = (pos as usize).min(buf.len());
    1 + memchr_iter(b'\n', &buf[..pos]).count() as u64
}

fn short(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b.trim_ascii());
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(40).collect();
        t.push('…');
        t
    } else {
        s.into_owned()
    }
}

/// Parses one chunk into a part. Stops at the first fatal problem.
pub(crate) fn parse_chunk<'a>(
    buf: &'a [u8],
    start: usize,
    end: usize,
    lay: &CsvLayout,
    v: &Validator,
    nshards: usize,
) -> Result<Part<'a>, Problem> {
    let mut b = PartBuilder::new(buf, nshards);
    // Reserve from the average line length of a sample.
    let sample = &buf[start..end.min(start + (1 << 16))];
    let lines = memchr_iter(b'\n', sample).count().max(1);
    b.reserve((end - start) / (sample.len() / lines).max(1) + 1);
    if memchr(b'"', &buf[start..end]).is_none() {
        parse_plain(&buf[start..end], start as u64, true, lay, v, &mut b)?;
        return Ok(b.finish());
    }
    let [ci, di, ai] = lay.cols;
    let need = ci.max(di).max(ai) + 1;
    let delim = lay.delimiter;
    let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(need);
    let mut pos = start;
    while pos < end {
        let nl = memchr(b'\n', &buf[pos..end]).map_or(end, |i| pos + i);
        let mut line = &buf[pos..nl];
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        if line.is_empty() || line.iter().all(|c| c.is_ascii_whitespace()) {
            pos = nl + 1;
            continue;
        }
        let rec_pos = pos as u64;
        let checked = if memchr(b'"', line).is_none() {
            bounds.clear();
            let mut f0 = 0usize;
            for d in memchr_iter(delim, line) {
                bounds.push((f0, d));
                f0 = d + 1;
                if bounds.len() == need {
                    break;
                }
            }
            if bounds.len() < need {
                bounds.push((f0, line.len()));
            }
            pos = nl + 1;
            if bounds.len() < need {
                let p = Problem {
                    pos: rec_pos,
                    reason: InvalidReason::FieldCount,
                    col: Col::Record,
                    text: format!("expected at least {need} fields, found {}", bounds.len()),
                };
                b.stats_row();
                b.invalid(v, p)
            } else {
                let f = |i: usize| &line[bounds[i].0..bounds[i].1];
                let (id, ds, am) = (f(ci), f(di), f(ai));
                b.row(
                    v,
                    rec_pos,
                    id,
                    true,
                    v.dates.parse(ds),
                    &|| short(ds),
                    v.amount(am),
                    &|| short(am),
                )
            }
        } else {
            let (fields, next) = parse_record(buf, pos, end, delim);
            pos = next;
            if fields.len() < need {
                let p = Problem {
                    pos: rec_pos,
                    reason: InvalidReason::FieldCount,
                    col: Col::Record,
                    text: format!("expected at least {need} fields, found {}", fields.len()),
                };
                b.stats_row();
                b.invalid(v, p)
            } else {
                let (id, ds, am) = (&fields[ci], &fields[di], &fields[ai]);
                let in_base = matches!(id, Cow::Borrowed(_));
                b.row(
                    v,
                    rec_pos,
                    id,
                    in_base,
                    v.dates.parse(ds),
                    &|| short(ds),
                    v.amount(am),
                    &|| short(am),
                )
            }
        };
        if let Checked::Fatal(p) = checked {
            return Err(p);
        }
    }
    Ok(b.finish())
}

/// The fast path for a chunk without any quote: one `memchr2` scan over the
/// whole chunk yields every delimiter and newline in order.
///
/// `hay` starts at byte `start` of the file; `in_base` says whether it lies
/// inside the builder's base buffer (ids can then be referenced there).
fn parse_plain(
    hay: &[u8],
    start: u64,
    in_base: bool,
    lay: &CsvLayout,
    v: &Validator,
    b: &mut PartBuilder<'_>,
) -> Result<(), Problem> {
    let [ci, di, ai] = lay.cols;
    let need = ci.max(di).max(ai) + 1;
    let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(need);
    let mut line_start = 0usize;
    let mut field_start = 0usize;
    let mut finish =
        |bounds: &mut Vec<(usize, usize)>, ls: usize, field_start: usize, le: usize| {
            let mut le = le;
            if le > ls && hay[le - 1] == b'\r' {
                le -= 1;
            }
            if bounds.len() < need {
                bounds.push((field_start.min(le), le));
            }
            if bounds.len() == 1 && hay[ls..le].iter().all(|c| c.is_ascii_whitespace()) {
                return Checked::Ok; // blank line: not a row
            }
            let rec_pos = start + ls as u64;
            if bounds.len() < need {
                let p = Problem {
                    pos: rec_pos,
                    reason: InvalidReason::FieldCount,
                    col: Col::Record,
                    text: format!("expected at least {need} fields, found {}", bounds.len()),
                };
                b.stats_row();
                return b.invalid(v, p);
            }
            let f = |i: usize| &hay[bounds[i].0..bounds[i].1];
            let (id, ds, am) = (f(ci), f(di), f(ai));
            b.row(
                v,
                rec_pos,
                id,
                in_base,
                v.dates.parse(ds),
                &|| short(ds),
                v.amount(am),
                &|| short(am),
            )
        };
    for p in memchr::memchr2_iter(lay.delimiter, b'\n', hay) {
        if hay[p] == b'\n' {
            if let Checked::Fatal(e) = finish(&mut bounds, line_start, field_start, p) {
                return Err(e);
            }
            bounds.clear();
            line_start = p + 1;
            field_start = p + 1;
        } else if bounds.len() < need {
            bounds.push((field_start, p));
            field_start = p + 1;
        }
    }
    if line_start < hay.len()
        && let Checked::Fatal(e) = finish(&mut bounds, line_start, field_start, hay.len())
    {
        return Err(e);
    }
    Ok(())
}

/// Why the streaming pass gave up.
pub(crate) enum StreamError {
    /// A malformed value (position = file offset of its record).
    Problem(Problem),
    /// The file has quotes: chunks cannot be split at any newline.
    Quotes,
    /// Reading failed.
    Io(std::io::Error),
}

/// The streaming pass for files without quotes: each thread reads its own
/// byte range in blocks into a reused buffer and parses complete lines, so
/// the file is never held in memory whole. Ids of at most 8 bytes are kept
/// inline in the rows; longer ones are copied.
pub(crate) fn parse_streaming(
    f: &std::fs::File,
    len: u64,
    lay: &CsvLayout,
    v: &Validator,
    threads: usize,
) -> Result<Vec<Part<'static>>, StreamError> {
    const BLOCK: usize = 1 << 20;
    let start = lay.data_start as u64;
    // Split points at line starts.
    let mut points = vec![start];
    let mut window = vec![0u8; 1 << 16];
    for k in 1..threads as u64 {
        let mut at = start + (len - start) * k / threads as u64;
        if at <= *points.last().expect("non-empty") {
            continue;
        }
        loop {
            let n = read_at(f, &mut window, at).map_err(StreamError::Io)?;
            if n == 0 {
                at = len;
                break;
            }
            if let Some(i) = memchr(b'\n', &window[..n]) {
                at += i as u64 + 1;
                break;
            }
            at += n as u64;
        }
        if at >= len {
            break;
        }
        points.push(at);
    }
    points.push(len);
    let nparts = crate::rows::partitions(threads);
    let chunk = |s: u64, e: u64| -> Result<Part<'static>, StreamError> {
        let mut b = PartBuilder::new(&[], nparts);
        b.reserve(((e - s) / 24) as usize);
        let mut buf = vec![0u8; BLOCK];
        let mut carry = 0usize;
        let mut pos = s; // file offset of buf[0]
        loop {
            let read_from = pos + carry as u64;
            let want = ((e - read_from) as usize).min(buf.len() - carry);
            let n =
                read_at(f, &mut buf[carry..carry + want], read_from).map_err(StreamError::Io)?;
            let valid = carry + n;
            let at_end = read_from + n as u64 >= e || n == 0;
            let upto = if at_end {
                valid
            } else {
                match memchr::memrchr(b'\n', &buf[..valid]) {
                    Some(i) => i + 1,
                    None => {
                        // A line longer than the buffer: grow it.
                        carry = valid;
                        buf.resize(buf.len() * 2, 0);
                        continue;
                    }
                }
            };
            if memchr(b'"', &buf[..upto]).is_some() {
                return Err(StreamError::Quotes);
            }
            parse_plain(&buf[..upto], pos, false, lay, v, &mut b).map_err(StreamError::Problem)?;
            if at_end {
                break;
            }
            buf.copy_within(upto..valid, 0);
            carry = valid - upto;
            pos += upto as u64;
        }
        Ok(b.finish())
    };
    let results: Vec<Result<Part<'static>, StreamError>> = if points.len() <= 2 {
        vec![chunk(points[0], points[points.len() - 1])]
    } else {
        std::thread::scope(|sc| {
            let hs: Vec<_> = points
                .windows(2)
                .map(|w| {
                    let (s, e) = (w[0], w[1]);
                    let chunk = &chunk;
                    sc.spawn(move || chunk(s, e))
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("CSV parsing thread panicked"))
                .collect()
        })
    };
    // The first error in file order wins; quotes anywhere mean a re-read.
    let mut parts = Vec::with_capacity(results.len());
    let mut first_err = None;
    for r in results {
        match r {
            Ok(p) => parts.push(p),
            Err(StreamError::Quotes) => return Err(StreamError::Quotes),
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(parts),
    }
}

/// Parses `buf` (the whole file) with `threads` threads. Returns the parts
/// (in file order) or the first fatal problem in file order.
pub(crate) fn parse_parallel<'a>(
    buf: &'a [u8],
    lay: &CsvLayout,
    v: &Validator,
    threads: usize,
) -> Result<Vec<Part<'a>>, Problem> {
    let points = split_points(buf, lay.data_start, threads, lay.delimiter);
    let nshards = crate::rows::partitions(threads);
    if points.len() <= 2 {
        return Ok(vec![parse_chunk(
            buf,
            points[0],
            points[points.len() - 1],
            lay,
            v,
            nshards,
        )?]);
    }
    let results: Vec<Result<Part<'a>, Problem>> = std::thread::scope(|sc| {
        let hs: Vec<_> = points
            .windows(2)
            .map(|w| {
                let (s, e) = (w[0], w[1]);
                sc.spawn(move || parse_chunk(buf, s, e, lay, v, nshards))
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("CSV parsing thread panicked"))
            .collect()
    });
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_with_quotes() {
        let buf = b"a,\"b,\"\"c\"\"\",\"multi\nline\"\nnext,1,2\n";
        let (f, next) = parse_record(buf, 0, buf.len(), b',');
        assert_eq!(f.len(), 3);
        assert_eq!(&*f[0], b"a");
        assert_eq!(&*f[1], b"b,\"c\"");
        assert_eq!(&*f[2], b"multi\nline");
        let (f, next2) = parse_record(buf, next, buf.len(), b',');
        assert_eq!(f.len(), 3);
        assert_eq!(&*f[0], b"next");
        assert_eq!(next2, buf.len());
    }

    #[test]
    fn crlf_and_empty_fields() {
        let buf = b"x;;z\r\n";
        let (f, _) = parse_record(buf, 0, buf.len(), b';');
        assert_eq!(
            f.iter().map(|x| x.to_vec()).collect::<Vec<_>>(),
            vec![b"x".to_vec(), b"".to_vec(), b"z".to_vec()]
        );
    }

    #[test]
    fn splits_respect_quotes() {
        let mut buf = b"h\n".to_vec();
        for i in 0..100 {
            buf.extend_from_slice(format!("\"a\n{i}\",1\n").as_bytes());
        }
        for n in 1..6 {
            let p = split_points(&buf, 2, n, b',');
            for &q in &p[1..p.len() - 1] {
                let quotes = buf[..q].iter().filter(|&&c| c == b'"').count();
                assert_eq!(quotes % 2, 0);
                assert_eq!(buf[q - 1], b'\n');
            }
        }
    }

    #[test]
    fn line_numbers() {
        let buf = b"h\nx\ny\n";
        assert_eq!(line_of(buf, 0), 1);
        assert_eq!(line_of(buf, 2), 2);
        assert_eq!(line_of(buf, 4), 3);
    }
}
