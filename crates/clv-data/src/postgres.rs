//! PostgreSQL: transactions read from a table or a query
//! ([`PostgresSource`]), and result tables written back
//! ([`write_table_postgres`]).
//!
//! **Connecting** ([`PgConnect`]): a `postgres://user@host:port/db` URL (or
//! a `key=value` connection string); what it leaves out comes from the
//! `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` and `PGDATABASE` environment
//! variables, then the password file (`PGPASSFILE`, else `~/.pgpass`, in
//! libpq's format; ignored when group or others may read it, as libpq
//! does). No TLS. A password is never shown: messages, the source's name and
//! `Debug` use the URL without it ([`scrub_url`]).
//!
//! **Reading**: the three mapped columns are found among the table's or the
//! query's result columns by name (as for files) and fetched through a
//! cursor (a portal of a read-only transaction, [`FETCH_ROWS`] rows a
//! fetch), so a table is never held in memory whole. Ids may be text,
//! `varchar`, `char`, integers, `numeric` or `uuid`; dates `date`,
//! `timestamp`, `timestamptz` (its date in the session's time zone) or text
//! (parsed as file dates are); amounts `numeric`, `real`, `double precision`,
//! integers (converted to `f64` by the server) or text (parsed as file
//! amounts are). Other types are an error naming the column, its type and
//! the cast to use.
//!
//! **Pushdown** ([`Pushdown`]): when the caller needs only the per-customer
//! summary and the date and amount columns have native types, the source
//! can let the server group the rows by customer and day (`GROUP BY`, with
//! `count(*)` and `sum(amount ORDER BY amount)`) and hand over one row per
//! customer and day ([`crate::RowWriter::group`]). The summary merges a
//! customer's purchases of one day anyway and sums one day's amounts in
//! ascending order, so the result is identical to reading every row; the
//! data-quality counts (rows read, returns, zero amounts) are computed by
//! the server too. A group with a value the file readers would reject (a
//! NULL or empty id, a NULL or infinite date, a NULL, NaN or huge amount, a
//! date in the future) stops the pushdown and the rows are streamed
//! instead, so that the error (or the skipped rows) name the exact row.
//! `auto` pushes down when the planner expects at least a fifth fewer rows
//! grouped than streamed.
//!
//! **Writing** ([`write_table_postgres`]): one transaction creates a new
//! table, loads it with `COPY FROM STDIN`, drops the old table, renames the
//! new one to the target name and records the run in `clv_runs`; a reader
//! sees the old table or the new one, never a half-written one, and a
//! failure anywhere leaves the old table as it was.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use postgres::types::Type;
use postgres::{Client, NoTls};

use crate::error::{DataError, Location, Result};
use crate::source::{ReadContext, Rows, Source};
use crate::table::{Column, Table};

/// The `work_mem` of the pushdown's transaction (`SET LOCAL`): the
/// grouped query sorts the rows by customer and day.
pub const PUSHDOWN_WORK_MEM: &str = "256MB";

/// Rows fetched from the cursor at a time.
pub const FETCH_ROWS: i32 = 20_000;

/// Removes the password from a connection URL or `key=value` string, for
/// messages: `postgres://ann:secret@db/shop` becomes
/// `postgres://ann@db/shop`, `password=secret` is dropped.
pub fn scrub_url(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (auth, tail) = rest.split_at(auth_end);
        let auth = match auth.rfind('@') {
            Some(at) => {
                let userinfo = &auth[..at];
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{user}{}", &auth[at..])
            }
            None => auth.to_string(),
        };
        // A password in the query string.
        let tail = match tail.split_once('?') {
            Some((path, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|kv| !kv.to_ascii_lowercase().starts_with("password="))
                    .collect();
                if kept.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}?{}", kept.join("&"))
                }
            }
            None => tail.to_string(),
        };
        return format!("{}://{auth}{tail}", &url[..scheme_end]);
    }
    // key=value form: drop the password (quoted values may hold spaces).
    let mut out = Vec::new();
    let mut rest = url.trim();
    while !rest.is_empty() {
        let (key, after) = match rest.split_once('=') {
            Some((k, a)) => (k.trim(), a.trim_start()),
            None => {
                out.push(rest.to_string());
                break;
            }
        };
        let (value, next) = if let Some(q) = after.strip_prefix('\'') {
            let mut end = q.len();
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '\'' {
                    end = i;
                    break;
                }
            }
            (format!("'{}'", &q[..end]), q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        if !key.eq_ignore_ascii_case("password") {
            out.push(format!("{key}={value}"));
        }
        rest = next.trim_start();
    }
    out.join(" ")
}

/// A connection URL as the user gave it, password included: its `Debug`
/// and `Display` show it without the password ([`scrub_url`]); only
/// [`PgUrl::expose`] gives the text to connect with.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl(String);

impl PgUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        PgUrl(url.into())
    }

    /// The URL with its password, to connect with (never to print).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({:?})", scrub_url(&self.0))
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&scrub_url(&self.0))
    }
}

impl FromStr for PgUrl {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(PgUrl::new(s))
    }
}

/// How to reach a PostgreSQL server: the parsed URL completed from the
/// environment and the password file. Its `Debug` and [`PgConnect::shown`]
/// never include the password.
#[derive(Clone)]
pub struct PgConnect {
    config: postgres::Config,
    shown: String,
    /// Where the password came from (for the hint of a failed login).
    password_from: &'static str,
    /// A password file that was ignored, and why.
    passfile_note: Option<String>,
}

impl fmt::Debug for PgConnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgConnect({})", self.shown)
    }
}

impl PgConnect {
    /// Parses `url` (`postgres://` or `postgresql://`, or `key=value`
    /// pairs) and fills in what it leaves out from the `PG*` environment
    /// variables and the password file.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidOptions`] for a URL that cannot be parsed (the
    /// message shows it without its password).
    pub fn parse(url: &PgUrl) -> Result<Self> {
        Self::parse_with_env(url.expose(), &|k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        })
    }

    /// [`PgConnect::parse`] with the environment given as a function.
    fn parse_with_env(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let mut config = postgres::Config::from_str(url).map_err(|e| {
            DataError::InvalidOptions(format!(
                "{}: not a PostgreSQL URL ({e}); expected postgres://USER@HOST:PORT/DATABASE",
                scrub_url(url)
            ))
        })?;
        if config.get_hosts().is_empty() {
            let host = env("PGHOST").unwrap_or_else(|| "localhost".into());
            for h in host.split(',') {
                if h.starts_with('/') {
                    config.host_path(h);
                } else {
                    config.host(h);
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(p) = env("PGPORT")
        {
            let port: u16 = p.parse().map_err(|_| {
                DataError::InvalidOptions(format!("PGPORT={p:?} is not a port number"))
            })?;
            config.port(port);
        }
        if config.get_user().is_none()
            && let Some(u) = env("PGUSER").or_else(|| env("USER"))
        {
            config.user(&u);
        }
        if config.get_dbname().is_none()
            && let Some(d) = env("PGDATABASE").or_else(|| config.get_user().map(str::to_string))
        {
            config.dbname(&d);
        }
        if config.get_application_name().is_none() {
            config.application_name("clv");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or_default().to_string();
        let db = config.get_dbname().unwrap_or_default().to_string();
        let mut password_from = "the URL";
        let mut passfile_note = None;
        if config.get_password().is_none() {
            if let Some(p) = env("PGPASSWORD") {
                config.password(p);
                password_from = "PGPASSWORD";
            } else {
                let file = env("PGPASSFILE")
                    .map(std::path::PathBuf::from)
                    .or_else(|| env("HOME").map(|h| std::path::Path::new(&h).join(".pgpass")));
                if let Some(file) = file {
                    let pass_host = if host.starts_with('/') {
                        "localhost"
                    } else {
                        &host
                    };
                    match passfile_password(&file, pass_host, port, &db, &user) {
                        Ok(Some(p)) => {
                            config.password(p);
                            password_from = "the password file";
                        }
                        Ok(None) => {
                            password_from = "nowhere (no URL password, PGPASSWORD or matching password file line)"
                        }
                        Err(note) => {
                            password_from = "nowhere";
                            passfile_note = Some(note);
                        }
                    }
                } else {
                    password_from = "nowhere";
                }
            }
        }
        let shown = if host.starts_with('/') {
            format!("postgres://{user}@/{db}?host={host}&port={port}")
        } else if host.contains(':') {
            format!("postgres://{user}@[{host}]:{port}/{db}")
        } else {
            format!("postgres://{user}@{host}:{port}/{db}")
        };
        Ok(PgConnect {
            config,
            shown,
            password_from,
            passfile_note,
        })
    }

    /// The server's address without the password, as messages show it:
    /// `postgres://USER@HOST:PORT/DATABASE`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// Opens a connection.
    ///
    /// # Errors
    ///
    /// [`DataError::Database`] naming the server (without the password)
    /// and saying why: unreachable, refused login (with where the password
    /// came from), unknown database.
    pub fn connect(&self) -> Result<Client> {
        self.config.connect(NoTls).map_err(|e| {
            let mut message = describe(&e);
            let code = e.code().map(|c| c.code().to_string());
            let login = matches!(code.as_deref(), Some("28P01" | "28000"))
                || message.contains("password missing");
            if login {
                message.push_str(&format!(
                    "; check the user and the password (taken from {}; give it in the URL, PGPASSWORD or the password file)",
                    self.password_from
                ));
                if let Some(note) = &self.passfile_note {
                    message.push_str(&format!("; {note}"));
                }
            } else if code.as_deref() == Some("3D000") {
                message.push_str("; check the database name at the end of the URL");
            }
            DataError::Database {
                context: format!("{}: cannot connect", self.shown),
                message,
            }
        })
    }
}

/// The password for `host:port:db:user` in a libpq password file; an error
/// (a note for messages) when the file may be read by others.
fn passfile_password(
    file: &std::path::Path,
    host: &str,
    port: u16,
    db: &str,
    user: &str,
) -> std::result::Result<Option<String>, String> {
    let Ok(meta) = std::fs::metadata(file) else {
        return Ok(None);
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "password file {} ignored: group or others may read it (chmod 0600 it)",
                file.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    let port = port.to_string();
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        // Fields separated by unescaped `:`; `\:` and `\\` are escapes.
        let mut fields = Vec::with_capacity(5);
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(&fields[0], host)
            && matches(&fields[1], &port)
            && matches(&fields[2], db)
            && matches(&fields[3], user)
        {
            return Ok(Some(fields.pop().expect("five fields")));
        }
    }
    Ok(None)
}

/// A PostgreSQL error as one line: the server's severity, message, detail,
/// hint and SQLSTATE, or the client's error and its causes.
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" ({d})"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        s.push_str(&format!(" [SQLSTATE {}]", db.code().code()));
        return s;
    }
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let t = c.to_string();
        if !s.ends_with(&t) {
            s.push_str(&format!(": {t}"));
        }
        cause = c.source();
    }
    s
}

/// Quotes an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether to let the server aggregate per customer and day (see the
/// module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pushdown {
    /// When only the summary is needed, the columns allow it and the
    /// planner expects at least a fifth fewer rows grouped than streamed.
    #[default]
    Auto,
    /// Whenever only the summary is needed and the columns allow it.
    Always,
    /// Never: every row is streamed.
    Never,
}

impl Pushdown {
    /// `auto`, `always` or `never`.
    pub fn name(self) -> &'static str {
        match self {
            Pushdown::Auto => "auto",
            Pushdown::Always => "always",
            Pushdown::Never => "never",
        }
    }
}

impl FromStr for Pushdown {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Pushdown::Auto),
            "always" => Ok(Pushdown::Always),
            "never" => Ok(Pushdown::Never),
            _ => Err(DataError::InvalidOptions(format!(
                "unknown pushdown {s:?}; use auto, always or never"
            ))),
        }
    }
}

/// What a [`PostgresSource`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgInput {
    /// A table or view, by name (`orders`, `sales.orders`, `"Orders"`).
    Table(String),
    /// A query whose result rows are the transactions.
    Query(String),
}

/// Transactions in a PostgreSQL table or query result (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct PostgresSource {
    conn: PgConnect,
    input: PgInput,
    pushdown: Pushdown,
}

/// The reader names of the data report: which path ran.
const STREAMED: &str = "PostgreSQL reader, rows streamed";
const PUSHED: &str =
    "PostgreSQL reader, rows grouped per customer and day by the server (pushdown)";
const STREAMED_AFTER_PUSHDOWN: &str =
    "PostgreSQL reader, rows streamed (the pushdown met a malformed value)";

/// How a date or amount column is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fetch {
    /// Converted by the server (days since 1970-01-01; `float8`).
    Native,
    /// As text, parsed as a file's values are.
    Text,
}

impl PostgresSource {
    /// Reads `input` from the server of `conn`, pushing down as `pushdown` says.
    pub fn new(conn: PgConnect, input: PgInput, pushdown: Pushdown) -> Self {
        PostgresSource {
            conn,
            input,
            pushdown,
        }
    }

    /// The SQL that yields the input's rows (a query is wrapped as a
    /// subquery), after checking that a table exists.
    fn input_sql(&self, client: &mut postgres::Transaction<'_>) -> Result<String> {
        match &self.input {
            PgInput::Table(name) => {
                let row = client
                    .query_one(
                        "SELECT current_database()::text, current_setting('search_path'), to_regclass($1::text)::text",
                        &[name],
                    )
                    .map_err(|e| DataError::Database {
                        context: format!("{}: looking up table {name:?}", self.conn.shown()),
                        message: describe(&e),
                    })?;
                let db: String = row.get(0);
                let path: String = row.get(1);
                let found: Option<String> = row.get(2);
                match found {
                    Some(t) => Ok(format!("SELECT * FROM {t}")),
                    None => Err(DataError::Database {
                        context: format!("{}: reading table {name:?}", self.conn.shown()),
                        message: format!(
                            "no table or view {name:?} in database {db:?} (search_path: {path}); check --source-table (schema.table for another schema)"
                        ),
                    }),
                }
            }
            PgInput::Query(q) => {
                let q = q.trim().trim_end_matches(';').trim_end();
                Ok(format!("SELECT * FROM (\n{q}\n) AS clv_source"))
            }
        }
    }

    fn query_error(&self, e: &postgres::Error, what: &str) -> DataError {
        match &self.input {
            PgInput::Query(q) => DataError::Database {
                context: format!("{}: the query failed ({what})", self.conn.shown()),
                message: format!("{}; the query: {}", describe(e), q.trim()),
            },
            PgInput::Table(t) => DataError::Database {
                context: format!("{}: reading table {t:?} ({what})", self.conn.shown()),
                message: describe(e),
            },
        }
    }

    /// The expressions fetching the three columns, and how dates and
    /// amounts arrive.
    fn columns(
        &self,
        stmt: &postgres::Statement,
        ctx: &ReadContext<'_>,
    ) -> Result<([String; 3], Fetch, Fetch)> {
        let names: Vec<String> = stmt
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let wanted = ctx.options().columns();
        let idx = crate::engine::find_columns(&names, &wanted, &self.name())?;
        let col = |k: usize| ident(&names[idx[k]]);
        let ty = |k: usize| stmt.columns()[idx[k]].type_();
        let bad = |k: usize, role, expected: &str, hint: String| DataError::ColumnType {
            source_name: self.name(),
            column: names[idx[k]].clone(),
            pg_type: ty(k).name().to_string(),
            role,
            advice: format!("expected {expected}. {hint}"),
        };
        let cast_hint = |k: usize, cast: &str| {
            let c = &names[idx[k]];
            format!(
                "Cast it in a --query, e.g. --query \"select ..., {}::{cast} as {} from ...\"",
                ident(c),
                ident(c)
            )
        };
        let (id_t, date_t, amount_t) = (ty(0), ty(1), ty(2));
        let text_like =
            |t: &Type| [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(t);
        let int_like = |t: &Type| [Type::INT2, Type::INT4, Type::INT8].contains(t);
        if !(text_like(id_t) || int_like(id_t) || *id_t == Type::NUMERIC || *id_t == Type::UUID) {
            return Err(bad(
                0,
                "a customer id",
                "text, varchar, char, an integer type, numeric or uuid",
                cast_hint(0, "text"),
            ));
        }
        let id = format!("{}::text", col(0));
        let date = if [Type::DATE, Type::TIMESTAMP, Type::TIMESTAMPTZ].contains(date_t) {
            Fetch::Native
        } else if text_like(date_t) {
            Fetch::Text
        } else {
            let hint = if int_like(date_t) {
                let c = ident(&names[idx[1]]);
                format!(
                    "For YYYYMMDD numbers use e.g. --query \"select ..., to_date({c}::text, 'YYYYMMDD') as {c} from ...\""
                )
            } else {
                cast_hint(1, "date")
            };
            return Err(bad(
                1,
                "a date",
                "date, timestamp, timestamptz or text",
                hint,
            ));
        };
        let amount = if int_like(amount_t)
            || [Type::NUMERIC, Type::FLOAT4, Type::FLOAT8].contains(amount_t)
        {
            Fetch::Native
        } else if text_like(amount_t) {
            Fetch::Text
        } else {
            return Err(bad(
                2,
                "an amount",
                "numeric, real, double precision, an integer type or text",
                cast_hint(2, "numeric"),
            ));
        };
        Ok(([id, col(1), col(2)], date, amount))
    }

    /// Streams every row through one writer.
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        tx: &mut postgres::Transaction<'_>,
        from: &str,
        cols: &[String; 3],
        date: Fetch,
        amount: Fetch,
        ctx: &ReadContext<'_>,
        reader: &'static str,
    ) -> Result<Rows<'static>> {
        let [id, d, a] = cols;
        let (day_sql, day_text_sql) = match date {
            Fetch::Native => (
                format!("CASE WHEN isfinite({d}) THEN {d}::date - DATE '1970-01-01' END"),
                format!("CASE WHEN isfinite({d}) THEN NULL ELSE {d}::text END"),
            ),
            Fetch::Text => ("NULL::int4".to_string(), format!("{d}::text")),
        };
        let (amount_sql, amount_text_sql) = match amount {
            Fetch::Native => (format!("{a}::float8"), "NULL::text".to_string()),
            Fetch::Text => ("NULL::float8".to_string(), format!("{a}::text")),
        };
        let sql = format!(
            "SELECT {id}, {day_sql}, {day_text_sql}, {amount_sql}, {amount_text_sql} FROM ({from}) AS s"
        );
        let stmt = tx
            .prepare(&sql)
            .map_err(|e| self.query_error(&e, "preparing"))?;
        let portal = tx
            .bind(&stmt, &[])
            .map_err(|e| self.query_error(&e, "running"))?;
        let name = self.name();
        let at = |pos: u64| Location::Row {
            file: name.clone(),
            row: pos + 1,
        };
        let mut w = ctx.writer();
        let mut pos = 0u64;
        loop {
            let rows = tx
                .query_portal(&portal, FETCH_ROWS)
                .map_err(|e| self.query_error(&e, "fetching rows"))?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let id: Option<&str> = r.get(0);
                let day_text: Option<&str> = r.get(2);
                let day = match date {
                    Fetch::Native => r.get::<_, Option<i32>>(1).ok_or(day_text.unwrap_or("")),
                    Fetch::Text => {
                        let t = day_text.unwrap_or("");
                        ctx.parse_date(t.as_bytes()).ok_or(t)
                    }
                };
                let pushed = match amount {
                    Fetch::Native => {
                        let a: Option<f64> = r.get(3);
                        w.push(pos, id.unwrap_or(""), day, a.ok_or(""))
                    }
                    Fetch::Text => w.push_text_amount(pos, id.unwrap_or(""), day, r.get(4)),
                };
                pushed.map_err(|e| ctx.error(e, at(pos)))?;
                pos += 1;
            }
        }
        Rows::from_writers(ctx, name.clone(), reader, vec![w], |p| Ok(at(p)))
    }

    /// The grouped query of the pushdown.
    fn grouped_sql(&self, from: &str, cols: &[String; 3], ctx: &ReadContext<'_>) -> String {
        let [id, d, a] = cols;
        let future = match ctx.future_limit() {
            Some(limit) => format!(" OR day > {limit}"),
            None => String::new(),
        };
        let kept = if ctx.keeps_zero_amounts() {
            "a >= 0"
        } else {
            "a > 0"
        };
        format!(
            "SELECT id, day, count(*), count(*) FILTER (WHERE bad), \
             count(*) FILTER (WHERE NOT bad AND a < 0), sum(a) FILTER (WHERE NOT bad AND a < 0), \
             count(*) FILTER (WHERE NOT bad AND a = 0), count(*) FILTER (WHERE NOT bad AND {kept}), \
             sum(a ORDER BY a) FILTER (WHERE NOT bad AND {kept}) \
             FROM (SELECT id, day, a, coalesce(id IS NULL OR id = '' OR day IS NULL OR a IS NULL \
                   OR NOT (abs(a) <= 1e15){future}, true) AS bad \
                   FROM (SELECT btrim({id}, E' \\t\\n\\f\\r') AS id, \
                         CASE WHEN isfinite({d}) THEN {d}::date - DATE '1970-01-01' END AS day, \
                         {a}::float8 AS a FROM ({from}) AS s) AS r) AS v \
             GROUP BY id, day"
        )
    }

    /// Whether `auto` pushes down: the planner's row estimates of the
    /// grouped and the streamed queries.
    fn worth_pushing(
        &self,
        tx: &mut postgres::Transaction<'_>,
        from: &str,
        grouped: &str,
    ) -> Result<bool> {
        let estimate = |tx: &mut postgres::Transaction<'_>, sql: &str| -> Result<f64> {
            let row = tx
                .query_one(&format!("EXPLAIN (FORMAT JSON) {sql}"), &[])
                .map_err(|e| self.query_error(&e, "estimating its size"))?;
            let text: String = row.try_get(0).unwrap_or_default();
            let plan: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            Ok(plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(f64::NAN))
        };
        let rows = estimate(tx, from)?;
        let groups = estimate(tx, grouped)?;
        Ok(groups <= 0.8 * rows)
    }

    /// The pushdown: one row per customer and day. `None` when a group
    /// holds a value the readers would reject (the caller then streams).
    fn read_grouped(
        &self,
        tx: &mut postgres::Transaction<'_>,
        sql: &str,
        ctx: &ReadContext<'_>,
    ) -> Result<Option<Rows<'static>>> {
        let stmt = tx
            .prepare(sql)
            .map_err(|e| self.query_error(&e, "preparing the grouped query"))?;
        let portal = tx
            .bind(&stmt, &[])
            .map_err(|e| self.query_error(&e, "running the grouped query"))?;
        let mut w = ctx.writer();
        loop {
            let rows = tx
                .query_portal(&portal, FETCH_ROWS)
                .map_err(|e| self.query_error(&e, "fetching groups"))?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let bad: i64 = r.get(3);
                let (Some(id), Some(day)) =
                    (r.get::<_, Option<&str>>(0), r.get::<_, Option<i32>>(1))
                else {
                    return Ok(None);
                };
                if bad > 0 {
                    return Ok(None);
                }
                let count = |k: usize| r.get::<_, i64>(k) as u64;
                let kept = count(7);
                w.group(
                    id,
                    day,
                    count(2),
                    count(4),
                    r.get::<_, Option<f64>>(5).unwrap_or(0.0),
                    count(6),
                    u32::try_from(kept).unwrap_or(u32::MAX),
                    r.get::<_, Option<f64>>(8).unwrap_or(0.0),
                );
            }
        }
        let name = self.name();
        Rows::from_writers(ctx, name.clone(), PUSHED, vec![w], |p| {
            Ok(Location::Row {
                file: name.clone(),
                row: p + 1,
            })
        })
        .map(Some)
    }
}

impl Source for PostgresSource {
    fn name(&self) -> String {
        match &self.input {
            PgInput::Table(t) => format!("{t} ({})", self.conn.shown()),
            PgInput::Query(_) => format!("query ({})", self.conn.shown()),
        }
    }

    fn read<'s>(&'s self, ctx: &ReadContext<'_>) -> Result<Rows<'s>> {
        let mut client = self.conn.connect()?;
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(|e| self.query_error(&e, "starting a read-only transaction"))?;
        let from = self.input_sql(&mut tx)?;
        let probe = tx
            .prepare(&from)
            .map_err(|e| self.query_error(&e, "preparing"))?;
        let (cols, date, amount) = self.columns(&probe, ctx)?;
        let can_push = ctx.summary_only() && date == Fetch::Native && amount == Fetch::Native;
        let mut reader = STREAMED;
        if can_push && self.pushdown != Pushdown::Never {
            let grouped = self.grouped_sql(&from, &cols, ctx);
            let push = self.pushdown == Pushdown::Always
                || self.worth_pushing(&mut tx, &from, &grouped)?;
            if push {
                // The grouping sorts the rows (an ordered aggregate): room
                // for it in memory rather than on disk, for this
                // transaction only.
                tx.batch_execute(&format!("SET LOCAL work_mem = '{PUSHDOWN_WORK_MEM}'"))
                    .map_err(|e| self.query_error(&e, "setting work_mem"))?;
                if let Some(rows) = self.read_grouped(&mut tx, &grouped, ctx)? {
                    return Ok(rows);
                }
                reader = STREAMED_AFTER_PUSHDOWN;
            }
        }
        self.stream(&mut tx, &from, &cols, date, amount, ctx, reader)
    }
}

/// A run of a command whose table [`write_table_postgres`] writes, as
/// recorded in the `clv_runs` table.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    /// The command (`predict`, `segment`, `actions`).
    pub command: String,
    /// The model's name, when there is one.
    pub model: Option<String>,
    /// The model's parameters and the command's settings, as JSON.
    pub parameters: String,
}

/// What [`write_table_postgres`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkReport {
    /// The run's id in `clv_runs`.
    pub run_id: i64,
    /// Rows written.
    pub rows: u64,
    /// The table written (as given).
    pub table: String,
}

/// The environment variable of the test-only pause: after this many rows
/// the load flushes what it has sent and sleeps for 10 seconds, so
/// that a test can kill the connection in the middle of a write and check
/// that the old table survives. Not for use outside tests.
pub const SINK_PAUSE_ENV: &str = "CLV_TEST_PG_SINK_PAUSE_AFTER_ROWS";

/// Splits `schema.table` (each part quoted as given).
fn qualified(name: &str) -> Result<(Option<String>, String)> {
    let parts: Vec<&str> = name.split('.').collect();
    let ok = |p: &str| !p.is_empty() && !p.contains('"');
    match parts.as_slice() {
        [t] if ok(t) => Ok((None, t.to_string())),
        [s, t] if ok(s) && ok(t) => Ok((Some(s.to_string()), t.to_string())),
        _ => Err(DataError::InvalidOptions(format!(
            "--sink-table {name:?}: expected TABLE or SCHEMA.TABLE (no quotes)"
        ))),
    }
}

/// Writes `table` to the table `name` of the server of `conn`, atomically
/// (see the module documentation), and records the run in `clv_runs` (in
/// the same schema): run id, time, command, table, rows, model and
/// parameters. Text columns become `text`, numbers `double precision`.
///
/// # Errors
///
/// [`DataError::Database`] naming the server and the table; the old table
/// is then untouched.
pub fn write_table_postgres(
    conn: &PgConnect,
    name: &str,
    table: &Table,
    run: &RunRecord,
) -> Result<SinkReport> {
    let mut reports = write_tables_postgres(conn, &[(name, table)], run)?;
    Ok(reports.pop().expect("one table written"))
}

/// Writes several tables as [`write_table_postgres`] writes one, all in one
/// transaction: every table is replaced, or (on any failure) none is. Each
/// table gets its row in `clv_runs`.
///
/// # Errors
///
/// As [`write_table_postgres`].
pub fn write_tables_postgres(
    conn: &PgConnect,
    tables: &[(&str, &Table)],
    run: &RunRecord,
) -> Result<Vec<SinkReport>> {
    let mut client = conn.connect()?;
    let mut tx = client.transaction().map_err(|e| DataError::Database {
        context: format!("{}: starting a transaction", conn.shown()),
        message: describe(&e),
    })?;
    let mut reports = Vec::with_capacity(tables.len());
    for (name, table) in tables {
        reports.push(load_table(&mut tx, conn, name, table, run)?);
    }
    tx.commit().map_err(|e| DataError::Database {
        context: format!("{}: committing the new tables", conn.shown()),
        message: describe(&e),
    })?;
    Ok(reports)
}

/// Loads `table` into a new table, swaps it in for `name` and records the
/// run, inside `tx`.
fn load_table(
    tx: &mut postgres::Transaction<'_>,
    conn: &PgConnect,
    name: &str,
    table: &Table,
    run: &RunRecord,
) -> Result<SinkReport> {
    let (schema, base) = qualified(name)?;
    let in_schema = |t: &str| match &schema {
        Some(s) => format!("{}.{}", ident(s), ident(t)),
        None => ident(t),
    };
    let target = in_schema(&base);
    let staging_name = format!("{base}__clv_new");
    let staging = in_schema(&staging_name);
    let runs = in_schema("clv_runs");
    let fail = |what: &str, e: &postgres::Error| DataError::Database {
        context: format!("{}: writing table {name:?} ({what})", conn.shown()),
        message: describe(e),
    };
    let columns: Vec<String> = table
        .column_names()
        .iter()
        .map(|c| {
            let ty = match table.column(c) {
                Some(Column::Str(_)) => "text",
                _ => "double precision",
            };
            format!("{} {ty}", ident(c))
        })
        .collect();
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {runs} (run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         run_at timestamptz NOT NULL DEFAULT now(), command text NOT NULL, table_name text NOT NULL, \
         row_count bigint NOT NULL, model text, parameters jsonb);\
         DROP TABLE IF EXISTS {staging}; CREATE TABLE {staging} ({});",
        columns.join(", ")
    ))
    .map_err(|e| fail("creating the new table", &e))?;
    let pause_after: Option<usize> = std::env::var(SINK_PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    let mut writer = tx
        .copy_in(&format!("COPY {staging} FROM STDIN"))
        .map_err(|e| fail("starting COPY", &e))?;
    let cols: Vec<&Column> = table
        .column_names()
        .iter()
        .filter_map(|c| table.column(c))
        .collect();
    let n = table.num_rows();
    let mut line = String::new();
    let io_fail = |e: std::io::Error| DataError::Database {
        context: format!("{}: writing table {name:?} (COPY)", conn.shown()),
        message: e.to_string(),
    };
    for i in 0..n {
        line.clear();
        for (k, c) in cols.iter().enumerate() {
            if k > 0 {
                line.push('\t');
            }
            match c {
                Column::Str(a) => {
                    if datafusion::arrow::array::Array::is_null(a, i) {
                        line.push_str("\\N");
                    } else {
                        copy_escape(&mut line, a.value(i));
                    }
                }
                Column::F64(v) => push_f64(&mut line, Some(v[i])),
                Column::OptF64(v) => push_f64(&mut line, v[i]),
            }
        }
        line.push('\n');
        writer.write_all(line.as_bytes()).map_err(io_fail)?;
        if pause_after == Some(i + 1) {
            writer.flush().map_err(io_fail)?;
            eprintln!("{SINK_PAUSE_ENV}: paused after {} rows", i + 1);
            std::thread::sleep(Duration::from_secs(10));
        }
    }
    writer.finish().map_err(|e| fail("COPY", &e))?;
    tx.batch_execute(&format!(
        "DROP TABLE IF EXISTS {target}; ALTER TABLE {staging} RENAME TO {};",
        ident(&base)
    ))
    .map_err(|e| fail("replacing the old table", &e))?;
    let parameters: Option<serde_json::Value> = serde_json::from_str(&run.parameters).ok();
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO {runs} (command, table_name, row_count, model, parameters) \
                 VALUES ($1, $2, $3, $4, $5::text::jsonb) RETURNING run_id"
            ),
            &[
                &run.command,
                &name,
                &(n as i64),
                &run.model,
                &parameters.map(|p| p.to_string()),
            ],
        )
        .map_err(|e| fail("recording the run in clv_runs", &e))?;
    Ok(SinkReport {
        run_id: row.get(0),
        rows: n as u64,
        table: name.to_string(),
    })
}

/// Appends `s` escaped for COPY's text format.
fn copy_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
}

/// Appends a number in COPY's text format (`\N` for a missing one).
fn push_f64(out: &mut String, v: Option<f64>) {
    match v {
        None => out.push_str("\\N"),
        Some(v) if v.is_nan() => out.push_str("NaN"),
        Some(v) if v == f64::INFINITY => out.push_str("Infinity"),
        Some(v) if v == f64::NEG_INFINITY => out.push_str("-Infinity"),
        Some(v) => {
            let mut b = ryu::Buffer::new();
            out.push_str(b.format_finite(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            scrub_url("postgres://ann:s3cret@db.example:5433/shop"),
            "postgres://ann@db.example:5433/shop"
        );
        assert_eq!(
            scrub_url("postgresql://ann:p%40ss@db/shop?password=x&sslmode=disable"),
            "postgresql://ann@db/shop?sslmode=disable"
        );
        assert_eq!(
            scrub_url("host=db user=ann password='a b' dbname=shop"),
            "host=db user=ann dbname=shop"
        );
        assert_eq!(scrub_url("postgres://db/shop"), "postgres://db/shop");
    }

    #[test]
    fn urls_never_show_their_password() {
        let u: PgUrl = "postgres://ann:s3cret@db/shop".parse().unwrap();
        assert_eq!(u.to_string(), "postgres://ann@db/shop");
        assert!(!format!("{u:?}").contains("s3cret"));
        assert!(u.expose().contains("s3cret"));
    }

    #[test]
    fn the_environment_fills_what_the_url_leaves_out() {
        let env = |k: &str| match k {
            "PGHOST" => Some("db.internal".to_string()),
            "PGPORT" => Some("6543".to_string()),
            "PGUSER" => Some("ann".to_string()),
            "PGPASSWORD" => Some("hunter2".to_string()),
            "PGDATABASE" => Some("shop".to_string()),
            _ => None,
        };
        let c = PgConnect::parse_with_env("postgres://", &env).unwrap();
        assert_eq!(c.shown(), "postgres://ann@db.internal:6543/shop");
        assert_eq!(c.config.get_password(), Some(&b"hunter2"[..]));
        assert!(!format!("{c:?}").contains("hunter2"));
        // The URL wins over the environment.
        let c = PgConnect::parse_with_env("postgres://bob:pw@h:1/other", &env).unwrap();
        assert_eq!(c.shown(), "postgres://bob@h:1/other");
        assert_eq!(c.config.get_password(), Some(&b"pw"[..]));
        let e = PgConnect::parse_with_env("postgres://bob:pw@h:notaport/x", &env).unwrap_err();
        assert!(!e.to_string().contains("pw@"), "{e}");
    }

    #[test]
    fn password_files_match_like_libpq() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:*:*:*:nope\ndb:5432:shop:ann:first\n*:*:*:ann:with\\:colon\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let p = |h, port, db, u| passfile_password(&file, h, port, db, u).unwrap();
        assert_eq!(p("db", 5432, "shop", "ann").as_deref(), Some("first"));
        assert_eq!(p("db", 5433, "shop", "ann").as_deref(), Some("with:colon"));
        assert_eq!(p("db", 5432, "shop", "bob"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(passfile_password(&file, "db", 5432, "shop", "ann").is_err());
        }
    }

    #[test]
    fn copy_text_is_escaped() {
        let mut s = String::new();
        copy_escape(&mut s, "a\tb\\c\nd");
        assert_eq!(s, "a\\tb\\\\c\\nd");
        let mut s = String::new();
        push_f64(&mut s, Some(0.1));
        push_f64(&mut s, None);
        push_f64(&mut s, Some(f64::NAN));
        assert_eq!(s, "0.1\\NNaN");
    }

    #[test]
    fn pushdown_names_parse() {
        assert_eq!("ALWAYS".parse::<Pushdown>().unwrap(), Pushdown::Always);
        assert!("sometimes".parse::<Pushdown>().is_err());
    }
}
