//! Reading the customer-attributes and marketing-spend files of
//! `clv economics`.
//!
//! # Customers file ([`read_customers`])
//!
//! One row per customer. Columns (names configurable in
//! [`CustomerColumns`]; only the id is required):
//!
//! | column | meaning |
//! |---|---|
//! | `customer_id` | the id used in the transactions (required, unique) |
//! | `acquired_at` | acquisition date; empty: the first purchase |
//! | `channel` | acquisition channel; empty: `(none)` |
//! | `acquisition_cost` | what acquiring this customer cost, when known (`>= 0`) |
//! | `referred_by` | the id of the customer who referred this one |
//! | any other | kept as text attributes (for segmentation) |
//!
//! # Spend file ([`read_spend`])
//!
//! Marketing spend by `date` and `channel` with an `amount` (`>= 0`), and an
//! optional `campaign`. A date within a month is enough for monthly spend;
//! `YYYY-MM` is accepted for a whole month. Two rows for the same channel,
//! date and campaign, or a whole-month row (`YYYY-MM`) beside any other row
//! of the same channel, month and campaign, are *overlapping spend rows*: an
//! error naming both lines (sum them, or tell them apart with a `campaign`
//! column), never a silently doubled CAC.
//!
//! # Events file ([`read_events`])
//!
//! Engagement events (reviews, mentions, shares, events attended, forum
//! posts, support tickets, ...): `customer_id`, `timestamp`, `kind` and an
//! optional `weight`, one row per event; see [`read_events`] for the
//! timestamp forms and the errors.
//!
//! All three files may be CSV (any delimiter, quoted fields), Parquet or JSON
//! (by extension). Bad values are errors naming file, line (or row) and
//! column, as for transactions.

use std::borrow::Cow;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{JsonReadOptions, ParquetReadOptions, SessionContext};
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::date::{DateParser, civil_from_days, days_from_civil};
use crate::error::{DataError, Location, Result};
use crate::read::InputFormat;

/// Text cells of one column, stored in one buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    data: String,
    ends: Vec<u32>,
}

impl TextColumn {
    fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len() as u32);
    }

    /// Appends every cell of `other`.
    fn append(&mut self, other: &TextColumn) {
        let base = self.data.len() as u32;
        self.data.push_str(&other.data);
        self.ends.extend(other.ends.iter().map(|&e| e + base));
    }

    /// Cell `i`.
    pub fn get(&self, i: usize) -> &str {
        let a = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[a..self.ends[i] as usize]
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True without cells.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// A whole file as text columns, with where each row came from.
struct TextTable {
    file: String,
    names: Vec<String>,
    columns: Vec<TextColumn>,
    /// 1-based line of each row (text files) or `None` (Parquet: rows).
    lines: Option<Vec<u64>>,
    rows: usize,
}

impl TextTable {
    fn location(&self, row: usize) -> Location {
        match &self.lines {
            Some(l) => Location::Line {
                file: self.file.clone(),
                line: l[row],
            },
            None => Location::Row {
                file: self.file.clone(),
                row: row as u64 + 1,
            },
        }
    }

    /// The index of column `name` (exact, else a unique case-insensitive match).
    fn find(&self, name: &str) -> Option<usize> {
        crate::tables::find_column(&self.names, name)
    }

    fn require(&self, name: &str, role: &'static str) -> Result<usize> {
        crate::tables::require_column(&self.file, &self.names, name, role)
    }

    fn bad(&self, row: usize, col: usize, message: String) -> DataError {
        DataError::InvalidValue {
            location: self.location(row),
            column: self.names[col].clone(),
            message,
        }
    }
}

fn read_table(path: &Path, delimiter: Option<u8>) -> Result<TextTable> {
    let file = path.display().to_string();
    match InputFormat::from_path(path)? {
        InputFormat::Csv => {
            let delim =
                delimiter.unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
                    Some("tsv" | "tab") => b'\t',
                    _ => b',',
                });
            read_csv_table(path, delim)
        }
        format => read_engine_table(path, format, file),
    }
}

fn read_csv_table(path: &Path, delim: u8) -> Result<TextTable> {
    let mut records =
        crate::tables::CsvRecords::open(path, delim, "empty file (no header and no data)")?;
    let names = records.names.clone();
    let mut columns = vec![TextColumn::default(); names.len()];
    let mut lines = Vec::new();
    let rows = records.for_each(
        |found, header| format!("{found} fields where the header has {header}"),
        |line, fields| {
            for (c, f) in columns.iter_mut().zip(fields) {
                let s: Cow<'_, str> = String::from_utf8_lossy(f.trim_ascii());
                c.push(&s);
            }
            lines.push(line);
            Ok(())
        },
    )?;
    Ok(TextTable {
        file: records.name,
        names,
        columns,
        lines: Some(lines),
        rows,
    })
}

fn read_engine_table(path: &Path, format: InputFormat, file: String) -> Result<TextTable> {
    let err =
        |e: datafusion::error::DataFusionError| DataError::engine(format!("{file}: reading"), e);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .map_err(|e| DataError::io(path, e))?;
    let p = path
        .to_str()
        .ok_or_else(|| DataError::InvalidOptions(format!("{file}: path is not valid UTF-8")))?;
    let batches = rt.block_on(async {
        let ctx = SessionContext::new();
        let df = match format {
            InputFormat::Parquet => {
                ctx.read_parquet(p, ParquetReadOptions::default().file_extension(""))
                    .await
            }
            _ => {
                ctx.read_json(p, JsonReadOptions::default().file_extension(""))
                    .await
            }
        }
        .map_err(err)?;
        df.collect().await.map_err(err)
    })?;
    let names: Vec<String> = match batches.first() {
        Some(b) => b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
        None => {
            return Err(DataError::Empty {
                file,
                message: "no data rows".into(),
            });
        }
    };
    let mut columns = vec![TextColumn::default(); names.len()];
    let mut rows = 0;
    for b in &batches {
        for (c, col) in columns.iter_mut().zip(b.columns()) {
            let text =
                cast(col, &DataType::Utf8).map_err(|e| DataError::engine(file.clone(), e))?;
            let text = text.as_string::<i32>();
            for i in 0..text.len() {
                c.push(if text.is_null(i) {
                    ""
                } else {
                    text.value(i).trim()
                });
            }
        }
        rows += b.num_rows();
    }
    Ok(TextTable {
        file,
        names,
        columns,
        lines: None,
        rows,
    })
}

fn parse_cost(s: &str) -> Option<f64> {
    crate::rows::parse_amount(s.as_bytes())
}

/// Column names of the customers file.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerColumns {
    /// Customer id (required). Default `customer_id`.
    pub id: String,
    /// Acquisition date. Default `acquired_at`.
    pub acquired_at: String,
    /// Channel. Default `channel`.
    pub channel: String,
    /// Acquisition cost. Default `acquisition_cost`.
    pub acquisition_cost: String,
    /// Referrer. Default `referred_by`.
    pub referred_by: String,
    /// Date format of `acquired_at` (chrono strftime); default ISO or `YYYYMMDD`.
    pub date_format: Option<String>,
    /// CSV delimiter (default `,`, tab for `.tsv`).
    pub delimiter: Option<u8>,
}

impl Default for CustomerColumns {
    fn default() -> Self {
        CustomerColumns {
            id: "customer_id".into(),
            acquired_at: "acquired_at".into(),
            channel: "channel".into(),
            acquisition_cost: "acquisition_cost".into(),
            referred_by: "referred_by".into(),
            date_format: None,
            delimiter: None,
        }
    }
}

/// Hash of an id of at most 8 bytes from its inline bytes and length.
fn short_hash(prefix: u64, len: u32) -> u64 {
    let x = (prefix ^ (len as u64).rotate_left(59)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

/// (first 8 bytes, length, hash) of an id.
fn id_key(hasher: &foldhash::fast::FixedState, id: &str) -> (u64, u32, u64) {
    let b = id.as_bytes();
    let p = crate::rows::prefix_key(b);
    let len = b.len() as u32;
    let h = if len <= 8 {
        short_hash(p, len)
    } else {
        hasher.hash_one(id)
    };
    (p, len, h)
}

/// The channel name given to customers without one.
pub const NO_CHANNEL: &str = "(none)";

/// The customers file, validated.
#[derive(Debug, Clone)]
pub struct CustomerAttributes {
    /// The file's name.
    pub file: String,
    /// Customer ids, unique.
    pub ids: TextColumn,
    /// Acquisition day (days since 1970-01-01), when given.
    pub acquired_at: Vec<Option<i32>>,
    /// Channel index into `channel_names`.
    pub channel: Vec<u32>,
    /// Channel names in order of first appearance.
    pub channel_names: Vec<String>,
    /// Whether the file has a channel column.
    pub has_channel: bool,
    /// Acquisition cost, `NaN` when unknown.
    pub acquisition_cost: Vec<f64>,
    /// Referrer id (empty when none).
    pub referred_by: Option<TextColumn>,
    /// Other columns, kept as text.
    pub attributes: Vec<(String, TextColumn)>,
    /// The place of each row, for messages.
    locations: Vec<u64>,
    by_line: bool,
    /// (id's first 8 bytes, length, row) of every id: ids of at most 8
    /// bytes compare without touching their text.
    index: HashTable<(u64, u32, u32)>,
    hasher: foldhash::fast::FixedState,
}

impl CustomerAttributes {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True without customers.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The row of customer `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        let (p, len, h) = id_key(&self.hasher, id);
        self.index
            .find(h, |&(ep, el, r)| {
                ep == p && el == len && (len <= 8 || self.ids.get(r as usize) == id)
            })
            .map(|&(_, _, r)| r as usize)
    }

    /// Where row `i` is in the file (for messages).
    pub fn location(&self, i: usize) -> Location {
        if self.by_line {
            Location::Line {
                file: self.file.clone(),
                line: self.locations[i],
            }
        } else {
            Location::Row {
                file: self.file.clone(),
                row: i as u64 + 1,
            }
        }
    }
}

/// Reads and validates a customers file (see the module docs). Duplicate
/// ids, bad dates and bad or negative costs are errors naming the place.
pub fn read_customers(path: &Path, cols: &CustomerColumns) -> Result<CustomerAttributes> {
    let t = read_table(path, cols.delimiter)?;
    let id_c = t.require(&cols.id, "customer")?;
    let acq_c = t.find(&cols.acquired_at);
    let ch_c = t.find(&cols.channel);
    let cost_c = t.find(&cols.acquisition_cost);
    let ref_c = t.find(&cols.referred_by);
    let dates = DateParser::new(cols.date_format.as_deref()).map_err(DataError::InvalidOptions)?;
    let hasher = foldhash::fast::FixedState::with_seed(0xc0575);
    let mut index: HashTable<(u64, u32, u32)> = HashTable::with_capacity(t.rows);
    let mut channel = Vec::with_capacity(t.rows);
    let mut channel_names: Vec<String> = Vec::new();
    let mut channel_index: std::collections::HashMap<String, u32> = Default::default();
    let mut acquired_at = Vec::with_capacity(t.rows);
    let mut acquisition_cost = Vec::with_capacity(t.rows);
    let mut t = t;
    let ids = std::mem::take(&mut t.columns[id_c]);
    for r in 0..t.rows {
        let id = ids.get(r);
        if id.is_empty() {
            return Err(t.bad(r, id_c, "empty customer id".into()));
        }
        let (pk, len, h) = id_key(&hasher, id);
        if let Some(&(_, _, prev)) = index.find(h, |&(ep, el, p)| {
            ep == pk && el == len && (len <= 8 || ids.get(p as usize) == id)
        }) {
            return Err(t.bad(
                r,
                id_c,
                format!(
                    "customer {id:?} appears twice (first at {})",
                    t.location(prev as usize)
                ),
            ));
        }
        index.insert_unique(h, (pk, len, r as u32), |&(ep, el, p)| {
            if el <= 8 {
                short_hash(ep, el)
            } else {
                hasher.hash_one(ids.get(p as usize))
            }
        });
        acquired_at.push(match acq_c {
            Some(c) => {
                let s = t.columns[c].get(r);
                if s.is_empty() {
                    None
                } else {
                    Some(dates.parse(s.as_bytes()).ok_or_else(|| {
                        t.bad(
                            r,
                            c,
                            format!(
                                "cannot parse {s:?} as a date{}",
                                crate::read::date_hint(cols.date_format.as_deref())
                            ),
                        )
                    })?)
                }
            }
            None => None,
        });
        let name = ch_c.map(|c| t.columns[c].get(r)).unwrap_or("");
        let name = if name.is_empty() { NO_CHANNEL } else { name };
        // Few channels: a scan beats hashing the name.
        let found = if channel_names.len() <= 16 {
            channel_names
                .iter()
                .position(|c| c == name)
                .map(|k| k as u32)
        } else {
            channel_index.get(name).copied()
        };
        let k = match found {
            Some(k) => k,
            None => {
                let k = channel_names.len() as u32;
                channel_names.push(name.to_string());
                channel_index.insert(name.to_string(), k);
                k
            }
        };
        channel.push(k);
        acquisition_cost.push(match cost_c {
            Some(c) => {
                let s = t.columns[c].get(r);
                if s.is_empty() {
                    f64::NAN
                } else {
                    match parse_cost(s) {
                        Some(v) if v >= 0.0 => v,
                        Some(_) => {
                            return Err(t.bad(r, c, format!("acquisition cost {s} is negative")));
                        }
                        None => {
                            return Err(t.bad(r, c, format!("cannot parse {s:?} as a number")));
                        }
                    }
                }
            }
            None => f64::NAN,
        });
    }
    let known = [Some(id_c), acq_c, ch_c, cost_c, ref_c];
    let referred_by = ref_c.map(|c| std::mem::take(&mut t.columns[c]));
    let attributes = (0..t.names.len())
        .filter(|c| !known.contains(&Some(*c)))
        .map(|c| (t.names[c].clone(), std::mem::take(&mut t.columns[c])))
        .collect();
    Ok(CustomerAttributes {
        file: t.file.clone(),
        ids,
        acquired_at,
        channel,
        channel_names,
        has_channel: ch_c.is_some(),
        acquisition_cost,
        referred_by,
        attributes,
        by_line: t.lines.is_some(),
        locations: t.lines.take().unwrap_or_default(),
        index,
        hasher,
    })
}

/// One row of the spend file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendRow {
    /// Where the row is.
    pub location: Location,
    /// Day (days since 1970-01-01); the first of the month for `YYYY-MM`.
    pub day: i32,
    /// Absolute month, `year * 12 + month - 1`.
    pub month: i32,
    /// Channel name.
    pub channel: String,
    /// Amount spent (`>= 0`).
    pub amount: f64,
}

/// Column names of the spend file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendColumns {
    /// Date (or `YYYY-MM`). Default `date`; a column `month` is used when there is no `date`.
    pub date: String,
    /// Channel. Default `channel`.
    pub channel: String,
    /// Amount. Default `amount`.
    pub amount: String,
    /// Optional campaign column telling rows of one channel and date apart. Default `campaign`.
    pub campaign: String,
    /// Date format (chrono strftime); default ISO, `YYYYMMDD` or `YYYY-MM`.
    pub date_format: Option<String>,
    /// CSV delimiter.
    pub delimiter: Option<u8>,
}

impl Default for SpendColumns {
    fn default() -> Self {
        SpendColumns {
            date: "date".into(),
            channel: "channel".into(),
            amount: "amount".into(),
            campaign: "campaign".into(),
            date_format: None,
            delimiter: None,
        }
    }
}

/// `YYYY-MM` as the first day of the month.
fn year_month(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 7 || b[4] != b'-' {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u32 = s[5..].parse().ok()?;
    (1..=12).contains(&m).then(|| days_from_civil(y, m, 1))
}

/// The absolute month of a day.
pub fn month_of_day(day: i32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    clv_core::economics::month_index(y, m)
}

/// Reads and validates a spend file (see the module docs): bad dates,
/// amounts and channels, negative amounts and overlapping rows are errors.
pub fn read_spend(path: &Path, cols: &SpendColumns) -> Result<Vec<SpendRow>> {
    let t = read_table(path, cols.delimiter)?;
    let date_c = match t.find(&cols.date) {
        Some(c) => c,
        None => t
            .find("month")
            .map_or_else(|| t.require(&cols.date, "date"), Ok)?,
    };
    let ch_c = t.require(&cols.channel, "channel")?;
    let amt_c = t.require(&cols.amount, "amount")?;
    let camp_c = t.find(&cols.campaign);
    let dates = DateParser::new(cols.date_format.as_deref()).map_err(DataError::InvalidOptions)?;
    let mut out = Vec::with_capacity(t.rows);
    // (channel, campaign, day) -> row; (channel, campaign, month) -> (row, whole month?)
    let mut by_day: std::collections::HashMap<(String, String, i32), usize> = Default::default();
    let mut by_month: std::collections::HashMap<(String, String, i32), (usize, bool)> =
        Default::default();
    for r in 0..t.rows {
        let ds = t.columns[date_c].get(r);
        let (day, whole) = match year_month(ds) {
            Some(d) => (d, true),
            None => (
                dates.parse(ds.as_bytes()).ok_or_else(|| {
                    t.bad(
                        r,
                        date_c,
                        format!(
                            "cannot parse {ds:?} as a date{}",
                            match &cols.date_format {
                                Some(f) => format!(" with format {f:?}"),
                                None => " (expected YYYY-MM-DD, YYYYMMDD or YYYY-MM)".into(),
                            }
                        ),
                    )
                })?,
                false,
            ),
        };
        let channel = t.columns[ch_c].get(r);
        if channel.is_empty() {
            return Err(t.bad(r, ch_c, "empty channel".into()));
        }
        let s = t.columns[amt_c].get(r);
        let amount = match parse_cost(s) {
            Some(v) if v >= 0.0 => v,
            Some(_) => {
                return Err(t.bad(
                    r,
                    amt_c,
                    format!("spend {s} is negative (enter refunds as lower spend)"),
                ));
            }
            None => return Err(t.bad(r, amt_c, format!("cannot parse {s:?} as a number"))),
        };
        let campaign = camp_c
            .map(|c| t.columns[c].get(r))
            .unwrap_or("")
            .to_string();
        let month = month_of_day(day);
        let overlap = |prev: usize, what: &str| DataError::InvalidRecord {
            location: t.location(r),
            message: format!(
                "overlapping spend rows: {what} as {} (channel {channel:?}{}); sum them into one \
                 row or tell them apart with a campaign column",
                t.location(prev),
                if campaign.is_empty() {
                    String::new()
                } else {
                    format!(", campaign {campaign:?}")
                }
            ),
        };
        let mkey = (channel.to_string(), campaign.clone(), month);
        if let Some(&(prev, prev_whole)) = by_month.get(&mkey)
            && (whole || prev_whole)
        {
            return Err(overlap(
                prev,
                &format!("the same month {}", clv_core::economics::month_label(month)),
            ));
        }
        by_month.insert(mkey, (r, whole));
        let dkey = (channel.to_string(), campaign.clone(), day);
        if let Some(&prev) = by_day.get(&dkey) {
            return Err(overlap(prev, &format!("the same date {ds}")));
        }
        by_day.insert(dkey, r);
        out.push(SpendRow {
            location: t.location(r),
            day,
            month,
            channel: channel.to_string(),
            amount,
        });
    }
    if out.is_empty() {
        return Err(DataError::Empty {
            file: t.file,
            message: "no spend rows".into(),
        });
    }
    Ok(out)
}

/// Column names of the engagement-events file ([`read_events`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EventColumns {
    /// Customer id (required). Default `customer_id`.
    pub customer: String,
    /// When the event happened (required). Default `timestamp`.
    pub timestamp: String,
    /// What kind of event (required). Default `kind`.
    pub kind: String,
    /// Weight of the event (optional column). Default `weight`.
    pub weight: String,
    /// Format of the timestamps (chrono strftime, a date or a date-time);
    /// default ISO dates and timestamps or `YYYYMMDD`.
    pub date_format: Option<String>,
    /// CSV delimiter (default `,`, tab for `.tsv`).
    pub delimiter: Option<u8>,
}

impl Default for EventColumns {
    fn default() -> Self {
        EventColumns {
            customer: "customer_id".into(),
            timestamp: "timestamp".into(),
            kind: "kind".into(),
            weight: "weight".into(),
            date_format: None,
            delimiter: None,
        }
    }
}

/// The engagement-events file, validated: one entry per event, in file order.
#[derive(Debug, Clone)]
pub struct Events {
    /// The file's name.
    pub file: String,
    /// Customer id of each event (not checked against any customer list).
    pub ids: TextColumn,
    /// Day of each event (days since 1970-01-01).
    pub day: Vec<i32>,
    /// Kind of each event, an index into `kind_names`.
    pub kind: Vec<u16>,
    /// Kind names in order of first appearance.
    pub kind_names: Vec<String>,
    /// Weight of each event (`>= 0`, finite); 1 without a weight column or
    /// for an empty weight cell.
    pub weight: Vec<f64>,
    locations: Vec<u64>,
    by_line: bool,
}

impl Events {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.day.len()
    }

    /// True without events.
    pub fn is_empty(&self) -> bool {
        self.day.is_empty()
    }

    /// Where event `i` is in the file (for messages): its line in a text
    /// file, its row in a Parquet file.
    pub fn location(&self, i: usize) -> Location {
        if self.by_line {
            Location::Line {
                file: self.file.clone(),
                line: self.locations[i],
            }
        } else {
            Location::Row {
                file: self.file.clone(),
                row: i as u64 + 1,
            }
        }
    }
}

/// Most distinct event kinds a file may have (kinds are stored as `u16`).
pub const MAX_EVENT_KINDS: usize = u16::MAX as usize + 1;

/// Reads and validates an engagement-events file: columns `customer_id`,
/// `timestamp`, `kind` and optionally `weight` (names in [`EventColumns`];
/// other columns are ignored), as CSV (any delimiter, quoted fields),
/// Parquet or JSON.
///
/// **Timestamps** may be `YYYY-MM-DD`, `YYYYMMDD`,
/// `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+hh:mm|-hhmm|+hh]`, `YYYY-MM-DD HH:MM:SS`,
/// or follow [`EventColumns::date_format`] (a date or a date-time format);
/// Parquet date and timestamp columns are read as their text. Only the
/// calendar date **as written** is kept: `2024-03-01T23:30:00-05:00` is
/// 2024-03-01 (the date in the timestamp's own offset, not converted to
/// UTC), the same rule as for the dates of transactions, so an event and a
/// purchase written with the same clock fall on the same day.
///
/// **Errors** (each naming file, line or row, and column): a missing
/// required column (listing the columns found), an empty customer id, a
/// timestamp in none of the forms above, an empty kind, more than
/// [`MAX_EVENT_KINDS`] kinds, a weight that is not a number, negative or
/// not finite. An empty weight cell is weight 1. An events file without
/// events is an error. Whether the customers are known is not checked here.
pub fn read_events(path: &Path, cols: &EventColumns) -> Result<Events> {
    let dates = DateParser::new(cols.date_format.as_deref()).map_err(DataError::InvalidOptions)?;
    let mut b = EventsBuilder {
        dates,
        date_format: cols.date_format.clone(),
        ids: TextColumn::default(),
        day: Vec::new(),
        kind: Vec::new(),
        weight: Vec::new(),
        kind_names: Vec::new(),
        kind_index: Default::default(),
    };
    let (file, locations, by_line) = match InputFormat::from_path(path)? {
        // CSV: records parsed as they are read (no text copy of the
        // timestamp, kind and weight columns), in chunks on several threads
        // when the file is large and has no quotes.
        InputFormat::Csv => {
            let delim =
                cols.delimiter
                    .unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
                        Some("tsv" | "tab") => b'\t',
                        _ => b',',
                    });
            let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
            let threads = crate::summary::default_threads(None);
            let (lines, builder) = read_events_csv(
                &bytes,
                &path.display().to_string(),
                delim,
                cols,
                &b,
                threads,
                PARALLEL_EVENTS_BYTES,
            )?;
            b = builder;
            (path.display().to_string(), lines, true)
        }
        format => {
            let t = read_engine_table(path, format, path.display().to_string())?;
            let id_c = t.require(&cols.customer, "customer")?;
            let ts_c = t.require(&cols.timestamp, "timestamp")?;
            let kind_c = t.require(&cols.kind, "kind")?;
            let w_c = t.find(&cols.weight);
            for r in 0..t.rows {
                b.push(
                    t.columns[id_c].get(r).as_bytes(),
                    t.columns[ts_c].get(r).as_bytes(),
                    t.columns[kind_c].get(r).as_bytes(),
                    w_c.map(|c| t.columns[c].get(r).as_bytes()),
                    |which, message| {
                        t.bad(
                            r,
                            match which {
                                Field::Id => id_c,
                                Field::Timestamp => ts_c,
                                Field::Kind => kind_c,
                                Field::Weight => w_c.unwrap_or(id_c),
                            },
                            message,
                        )
                    },
                )?;
            }
            (t.file, Vec::new(), false)
        }
    };
    if b.day.is_empty() {
        return Err(DataError::Empty {
            file,
            message: "no events".into(),
        });
    }
    Ok(Events {
        file,
        ids: b.ids,
        day: b.day,
        kind: b.kind,
        kind_names: b.kind_names,
        weight: b.weight,
        by_line,
        locations,
    })
}

/// Event files smaller than this are parsed by one thread.
const PARALLEL_EVENTS_BYTES: usize = 4 << 20;

/// Parses the events CSV in `bytes` (header included): in chunks cut at
/// line ends, one per thread share, when the file is at least
/// `min_parallel` bytes ([`PARALLEL_EVENTS_BYTES`]) and holds no quote character (so that no line
/// end is inside a quoted field); else in one piece. The chunks' events are
/// joined in file order, so the result (and the first error, in file order)
/// does not depend on the number of threads. `template` gives the date
/// parser and the format. Returns the line of each event and the events.
fn read_events_csv(
    bytes: &[u8],
    file: &str,
    delim: u8,
    cols: &EventColumns,
    template: &EventsBuilder,
    threads: usize,
    min_parallel: usize,
) -> Result<(Vec<u64>, EventsBuilder)> {
    let mut header = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let names: Vec<String> = header
        .byte_headers()
        .map_err(|e| DataError::io(file, std::io::Error::other(e.to_string())))?
        .iter()
        .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
        .collect();
    if names.is_empty() || (names.len() == 1 && names[0].is_empty()) {
        return Err(DataError::Empty {
            file: file.to_string(),
            message: "empty file (no header and no data)".into(),
        });
    }
    let pos = header.position().clone();
    let body = &bytes[(pos.byte() as usize).min(bytes.len())..];
    let first_line = pos.line();
    let col =
        |name: &str, role: &'static str| crate::tables::require_column(file, &names, name, role);
    let c = EventFields {
        id: col(&cols.customer, "customer")?,
        ts: col(&cols.timestamp, "timestamp")?,
        kind: col(&cols.kind, "kind")?,
        weight: crate::tables::find_column(&names, &cols.weight),
    };
    // Chunks: (byte range, line of its first byte).
    let mut chunks = vec![(0..body.len(), first_line)];
    if threads > 1 && body.len() >= min_parallel && memchr::memchr(b'"', body).is_none() {
        let pieces = threads * 4;
        chunks.clear();
        let (mut start, mut line) = (0usize, first_line);
        for k in 1..=pieces {
            let target = body.len() * k / pieces;
            let end = if k == pieces || target <= start {
                if k == pieces { body.len() } else { continue }
            } else {
                match memchr::memchr(b'\n', &body[target..]) {
                    Some(i) => target + i + 1,
                    None => body.len(),
                }
            };
            if end <= start {
                continue;
            }
            chunks.push((start..end, line));
            line += memchr::memchr_iter(b'\n', &body[start..end]).count() as u64;
            start = end;
            if start == body.len() {
                break;
            }
        }
    }
    use rayon::prelude::*;
    let parsed: Vec<(Vec<u64>, EventsBuilder, Option<DataError>)> = chunks
        .par_iter()
        .map(|(range, line)| {
            parse_events_chunk(
                &body[range.clone()],
                *line,
                file,
                delim,
                &names,
                &c,
                template,
            )
        })
        .collect();
    // Join in file order; the first chunk with an error decides.
    let mut parsed = parsed;
    if parsed.len() == 1 {
        let (lines, part, err) = parsed.pop().expect("one chunk");
        return match err {
            Some(e) => Err(e),
            None => Ok((lines, part)),
        };
    }
    let total: usize = parsed.iter().map(|p| p.1.day.len()).sum();
    let id_bytes: usize = parsed.iter().map(|p| p.1.ids.data.len()).sum();
    let mut lines = Vec::with_capacity(total);
    let mut all = template.empty();
    all.day.reserve(total);
    all.kind.reserve(total);
    all.weight.reserve(total);
    all.ids.data.reserve(id_bytes);
    all.ids.ends.reserve(total);
    for (l, part, err) in parsed {
        if let Some(e) = err {
            return Err(e);
        }
        let remap: Vec<u16> = part
            .kind_names
            .iter()
            .map(|name| -> Result<u16> {
                if let Some(k) = all.kind_names.iter().position(|k| k == name) {
                    return Ok(k as u16);
                }
                if all.kind_names.len() == MAX_EVENT_KINDS {
                    return Err(DataError::InvalidOptions(format!(
                        "{file}: more than {MAX_EVENT_KINDS} distinct event kinds"
                    )));
                }
                all.kind_names.push(name.clone());
                all.kind_index
                    .insert(name.clone(), (all.kind_names.len() - 1) as u16);
                Ok((all.kind_names.len() - 1) as u16)
            })
            .collect::<Result<_>>()?;
        all.kind
            .extend(part.kind.iter().map(|&k| remap[k as usize]));
        all.day.extend_from_slice(&part.day);
        all.weight.extend_from_slice(&part.weight);
        all.ids.append(&part.ids);
        lines.extend_from_slice(&l);
    }
    Ok((lines, all))
}

/// The columns of the event fields in a header.
struct EventFields {
    id: usize,
    ts: usize,
    kind: usize,
    weight: Option<usize>,
}

/// Parses one chunk of records (no header) whose first byte is on `line`;
/// stops at the first error, returned with what was parsed before it.
fn parse_events_chunk(
    bytes: &[u8],
    line: u64,
    file: &str,
    delim: u8,
    names: &[String],
    c: &EventFields,
    template: &EventsBuilder,
) -> (Vec<u64>, EventsBuilder, Option<DataError>) {
    let mut b = template.empty();
    let mut lines = Vec::new();
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = ::csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let e = DataError::io(file, std::io::Error::other(e.to_string()));
                return (lines, b, Some(e));
            }
        }
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            continue; // blank line
        }
        let at_line = line + record.position().map_or(1, |p| p.line()) - 1;
        let location = || Location::Line {
            file: file.to_string(),
            line: at_line,
        };
        if record.len() != names.len() {
            let e = DataError::InvalidRecord {
                location: location(),
                message: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    names.len()
                ),
            };
            return (lines, b, Some(e));
        }
        let pushed = b.push(
            &record[c.id],
            &record[c.ts],
            &record[c.kind],
            c.weight.map(|w| &record[w]),
            |which, message| DataError::InvalidValue {
                location: location(),
                column: names[match which {
                    Field::Id => c.id,
                    Field::Timestamp => c.ts,
                    Field::Kind => c.kind,
                    Field::Weight => c.weight.unwrap_or(c.id),
                }]
                .clone(),
                message,
            },
        );
        if let Err(e) = pushed {
            return (lines, b, Some(e));
        }
        lines.push(at_line);
    }
    (lines, b, None)
}

/// The fields of an event, for error messages.
#[derive(Debug, Clone, Copy)]
enum Field {
    Id,
    Timestamp,
    Kind,
    Weight,
}

/// The columns of [`Events`] being filled, one row at a time.
#[derive(Debug)]
struct EventsBuilder {
    dates: DateParser,
    date_format: Option<String>,
    ids: TextColumn,
    day: Vec<i32>,
    kind: Vec<u16>,
    weight: Vec<f64>,
    kind_names: Vec<String>,
    kind_index: std::collections::HashMap<String, u16>,
}

impl EventsBuilder {
    /// An empty builder with this one's date parser and format.
    fn empty(&self) -> EventsBuilder {
        EventsBuilder {
            dates: self.dates.clone(),
            date_format: self.date_format.clone(),
            ids: TextColumn::default(),
            day: Vec::new(),
            kind: Vec::new(),
            weight: Vec::new(),
            kind_names: Vec::new(),
            kind_index: Default::default(),
        }
    }

    /// Parses and appends one event; `bad` makes the error of a field.
    fn push(
        &mut self,
        id: &[u8],
        ts: &[u8],
        kind: &[u8],
        weight: Option<&[u8]>,
        bad: impl Fn(Field, String) -> DataError,
    ) -> Result<()> {
        let text = |b: &[u8]| -> String { String::from_utf8_lossy(b.trim_ascii()).into_owned() };
        let id = id.trim_ascii();
        if id.is_empty() {
            return Err(bad(Field::Id, "empty customer id".into()));
        }
        let ts = ts.trim_ascii();
        let day = self.dates.parse(ts).ok_or_else(|| {
            bad(
                Field::Timestamp,
                format!(
                    "cannot parse {:?} as a timestamp{}",
                    text(ts),
                    match &self.date_format {
                        Some(f) => format!(" with format {f:?}"),
                        None => " (expected YYYY-MM-DD, YYYYMMDD, an ISO date-time such as \
                                 2024-03-01T10:00:00Z, or YYYY-MM-DD HH:MM:SS)"
                            .into(),
                    }
                ),
            )
        })?;
        let kind = kind.trim_ascii();
        if kind.is_empty() {
            return Err(bad(Field::Kind, "empty event kind".into()));
        }
        // Few kinds: a scan beats hashing the name.
        let found = if self.kind_names.len() <= 16 {
            self.kind_names
                .iter()
                .position(|k| k.as_bytes() == kind)
                .map(|k| k as u16)
        } else {
            std::str::from_utf8(kind)
                .ok()
                .and_then(|k| self.kind_index.get(k).copied())
        };
        let k = match found {
            Some(k) => k,
            None => {
                if self.kind_names.len() == MAX_EVENT_KINDS {
                    return Err(bad(
                        Field::Kind,
                        format!("more than {MAX_EVENT_KINDS} distinct event kinds"),
                    ));
                }
                let k = self.kind_names.len() as u16;
                let name = text(kind);
                self.kind_names.push(name.clone());
                self.kind_index.insert(name, k);
                k
            }
        };
        let w = match weight.map(<[u8]>::trim_ascii) {
            None | Some(b"") => 1.0,
            Some(b) => {
                let parsed = std::str::from_utf8(b)
                    .map_err(|_| ())
                    .and_then(|s| s.parse::<f64>().map_err(|_| ()));
                let s = || text(b);
                match parsed {
                    Ok(v) if v.is_finite() && v >= 0.0 => v,
                    Ok(v) if v.is_finite() => {
                        return Err(bad(Field::Weight, format!("weight {} is negative", s())));
                    }
                    Ok(_) => {
                        return Err(bad(
                            Field::Weight,
                            format!("weight {:?} is not finite", s()),
                        ));
                    }
                    Err(()) => {
                        return Err(bad(
                            Field::Weight,
                            format!("cannot parse {:?} as a number", s()),
                        ));
                    }
                }
            }
        };
        match std::str::from_utf8(id) {
            Ok(s) => self.ids.push(s),
            Err(_) => self.ids.push(&String::from_utf8_lossy(id)),
        }
        self.day.push(day);
        self.kind.push(k);
        self.weight.push(w);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The chunked parse gives the events, lines and first error of the
    /// one-piece parse, whatever the number of threads.
    #[test]
    fn events_in_chunks_equal_events_in_one_piece() {
        let mut text = String::from("customer_id,timestamp,kind,weight\n");
        for i in 0..200 {
            let kind = ["review", "share", "mention", "event"][(i * 7) % 4];
            text.push_str(&format!(
                "c{},2024-02-{:02}T10:00:00Z,{kind},{}\n",
                i % 13,
                1 + i % 28,
                i % 3
            ));
            if i % 50 == 7 {
                text.push('\n'); // a blank line
            }
        }
        let cols = EventColumns::default();
        let template = EventsBuilder {
            dates: DateParser::new(None).unwrap(),
            date_format: None,
            ids: TextColumn::default(),
            day: Vec::new(),
            kind: Vec::new(),
            weight: Vec::new(),
            kind_names: Vec::new(),
            kind_index: Default::default(),
        };
        let run = |text: &str, threads| {
            read_events_csv(text.as_bytes(), "e.csv", b',', &cols, &template, threads, 0)
        };
        let (lines1, one) = run(&text, 1).unwrap();
        assert_eq!(one.day.len(), 200);
        assert_eq!(lines1[0], 2);
        assert_eq!(one.kind_names, ["review", "event", "mention", "share"]);
        for threads in [2, 3, 8] {
            let (lines, many) = run(&text, threads).unwrap();
            assert_eq!(lines, lines1, "{threads} threads");
            assert_eq!(many.kind_names, one.kind_names);
            assert_eq!(
                (many.kind, many.day, many.weight),
                (one.kind.clone(), one.day.clone(), one.weight.clone())
            );
            assert_eq!(many.ids, one.ids);
        }
        // Two bad rows: the first in file order is the error reported.
        let bad = text.replacen("c5,2024-02-06", "c5,yesterday", 1).replace(
            "c12,2024-02-26T10:00:00Z,event,1",
            "c12,2024-02-26T10:00:00Z,event,-1",
        );
        let first = run(&bad, 1).unwrap_err().to_string();
        assert!(first.contains("e.csv:7"), "{first}");
        for threads in [2, 8] {
            assert_eq!(run(&bad, threads).unwrap_err().to_string(), first);
        }
    }

    use super::*;

    #[test]
    fn year_months_and_months_of_days() {
        assert_eq!(year_month("2024-02"), Some(days_from_civil(2024, 2, 1)));
        assert_eq!(year_month("2024-13"), None);
        assert_eq!(year_month("2024-02-01"), None);
        assert_eq!(
            month_of_day(days_from_civil(2024, 2, 29)),
            clv_core::economics::month_index(2024, 2)
        );
    }
}
