//! `clv` against a real PostgreSQL server: `--source` with a table and a
//! query, the pushdown against the streamed rows, `--sink` and its atomic
//! swap (a write killed half-way leaves the old scores), credentials and
//! the messages of bad input.
//!
//! One throw-away server serves every test of this file (each test has its
//! own database): `initdb` in a temporary directory, the server on a free
//! loopback port with its socket in that directory. Its binaries are looked
//! up on `PATH`, then in `/usr/lib/postgresql/*/bin` (Debian's place). As
//! root (CI), the directory is given to the `postgres` user and the server
//! runs as that user (`initdb` refuses root). When the binaries are missing
//! the tests are skipped with a message, unless `CI` is set: then they fail.
//!
//! The server lives in a static, which is never dropped: it is started by a
//! small shell wrapper whose standard input is a pipe from this process;
//! when the pipe closes (the test process ends, however it ends), the
//! wrapper stops the server and removes its directory. `Drop` does the same
//! for a server value that is dropped.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::*;

/// The superuser's password (scram-sha-256 over TCP).
const PASSWORD: &str = "clv-Test-pw-7f3a9";

struct Server {
    port: u16,
    wrapper: Mutex<Child>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(mut child) = self.wrapper.lock() {
            drop(child.stdin.take()); // the wrapper stops the server
            let _ = child.wait();
        }
    }
}

/// The directory of `initdb`, `pg_ctl` and `postgres`.
fn pg_bin() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("postgres").is_file() {
                return Some(dir);
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args...`, as the `postgres` user when we are root.
fn as_server_user(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    fn start(bin: &Path) -> Server {
        let root = is_root();
        let dir = std::env::temp_dir().join(format!("clv-pg-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data");
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, format!("{PASSWORD}\n")).unwrap();
        if root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(ok.success(), "chown of {} failed", dir.display());
        }
        let out = as_server_user(root, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .args(["-E", "UTF8", "--locale=C", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        // Runs the server until our end of its standard input closes.
        let script = r#"
"$0" -D "$1" -p "$2" -k "$3" -c listen_addresses=127.0.0.1 -c fsync=off \
  -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC >"$3/server.log" 2>&1 &
pid=$!
while read -r _; do :; done
kill -INT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$3"
"#;
        let wrapper = as_server_user(root, Path::new("sh"))
            .arg("-c")
            .arg(script)
            .arg(bin.join("postgres"))
            .arg(&data)
            .arg(port.to_string())
            .arg(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let server = Server {
            port,
            wrapper: Mutex::new(wrapper),
        };
        let start = Instant::now();
        loop {
            match postgres::Client::connect(&server.url("postgres"), postgres::NoTls) {
                Ok(_) => break,
                Err(e) => {
                    if start.elapsed() > Duration::from_secs(60) {
                        let log =
                            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                        panic!("the server did not start: {e}\n{log}");
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        server
    }

    fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{db}",
            self.port
        )
    }

    fn client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls).unwrap()
    }

    /// A new database `db` holding the CDNOW sample as `orders(customer_id
    /// int, date date, amount numeric)`; its URL.
    fn database(&self, db: &str) -> String {
        let mut admin = self.client("postgres");
        for sql in [
            format!("DROP DATABASE IF EXISTS {db}"),
            format!("CREATE DATABASE {db}"),
        ] {
            admin.batch_execute(&sql).unwrap();
        }
        let mut c = self.client(db);
        c.batch_execute("CREATE TABLE orders (customer_id int, date date, amount numeric(12,2))")
            .unwrap();
        let text = std::fs::read_to_string(data("cdnow_sample.csv")).unwrap();
        let mut w = c.copy_in("COPY orders FROM STDIN").unwrap();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let d = f[1];
            writeln!(
                w,
                "{}\t{}-{}-{}\t{}",
                f[0],
                &d[..4],
                &d[4..6],
                &d[6..],
                f[3]
            )
            .unwrap();
        }
        w.finish().unwrap();
        self.url(db)
    }
}

/// The shared server, or `None` (tests skip) when PostgreSQL is not installed
/// and `CI` is not set.
fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| match pg_bin() {
            Some(bin) => Some(Server::start(&bin)),
            None if std::env::var_os("CI").is_some() => {
                panic!("CI is set but PostgreSQL's initdb was not found (PATH, /usr/lib/postgresql/*/bin): .ci/run installs it")
            }
            None => {
                eprintln!(
                    "skipping the PostgreSQL tests: no initdb on PATH or in /usr/lib/postgresql/*/bin"
                );
                None
            }
        })
        .as_ref()
}

fn run(args: &[&str]) -> (String, String) {
    let out = clv(args);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "clv {args:?} failed: {stderr}");
    assert!(
        !stderr.contains(PASSWORD),
        "the password was printed: {stderr}"
    );
    (stdout, stderr)
}

/// Runs clv expecting a user error (exit 2) whose message holds every needle
/// and never the password.
fn fails(args: &[&str], needles: &[&str]) -> String {
    let out = clv(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "clv {args:?}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "expected {n:?} in: {stderr}");
    }
    assert!(
        !stderr.contains(PASSWORD),
        "the password was printed: {stderr}"
    );
    stderr
}

#[test]
fn a_table_a_query_and_text_columns_give_the_files_summary() {
    let Some(pg) = server() else { return };
    let url = pg.database("t_read");
    let (file, _) = run(&["summarize", &sample(), "--calibration-end", "1997-09-30"]);
    let (table, err) = run(&[
        "summarize",
        "--source",
        &url,
        "--source-table",
        "orders",
        "--calibration-end",
        "1997-09-30",
        "--pushdown",
        "never",
    ]);
    assert_eq!(table, file);
    assert!(err.contains("rows streamed"), "{err}");
    assert!(
        err.contains("orders (postgres://postgres@127.0.0.1:"),
        "{err}"
    );
    let (query, _) = run(&[
        "summarize",
        "--source",
        &url,
        "--query",
        "select customer_id, date, amount from orders where amount is not null;",
        "--calibration-end",
        "1997-09-30",
    ]);
    assert_eq!(query, file);
    // Text dates and amounts are parsed as a file's are; other column names.
    let (text, _) = run(&[
        "summarize",
        "--source",
        &url,
        "--query",
        "select customer_id::text as cust, to_char(date, 'YYYYMMDD') as day, \
         '$' || amount::text as value from orders",
        "--customer-col",
        "cust",
        "--date-col",
        "day",
        "--amount-col",
        "value",
        "--calibration-end",
        "1997-09-30",
    ]);
    assert_eq!(text, file);
    // The model file names the source without the password.
    let dir = scratch("pg-fit");
    let model = dir.join("model.json").display().to_string();
    run(&[
        "fit",
        "--source",
        &url,
        "--source-table",
        "orders",
        "--model",
        "bg-nbd",
        "-o",
        &model,
    ]);
    let json = std::fs::read_to_string(&model).unwrap();
    assert!(
        json.contains("orders (postgres://postgres@127.0.0.1:"),
        "{json}"
    );
    assert!(!json.contains(PASSWORD));
    // A command that needs more than the summary (validation's purchases
    // per day) streams the rows even when the pushdown is asked for.
    let (_, err) = run(&[
        "validate",
        "--source",
        &url,
        "--source-table",
        "orders",
        "--calibration-end",
        "1997-09-30",
        "--model",
        "bg-nbd",
        "--pushdown",
        "always",
    ]);
    assert!(err.contains("rows streamed"), "{err}");
}

/// Rows with many same-day purchases (amounts whose sums depend on the
/// order of addition), returns, zero amounts and timestamps.
fn mixed_table(pg: &Server, db: &str) -> String {
    let url = pg.database(db);
    let mut c = pg.client(db);
    c.batch_execute(
        "CREATE TABLE mixed AS SELECT 'c' || (i % 300) AS customer, \
           timestamptz '2024-01-01 00:00+00' + ((i * 7919) % 61) * interval '1 day' \
             + (i % 24) * interval '1 hour' AS ts, \
           CASE WHEN i % 53 = 0 THEN -5.25 WHEN i % 41 = 0 THEN 0 \
                ELSE ((i * 37) % 1000) / 10.0 + 0.1 END::float8 AS amount \
         FROM generate_series(1, 30000) AS i; ANALYZE mixed",
    )
    .unwrap();
    url
}

#[test]
fn the_pushdown_gives_the_streamed_summary_exactly() {
    let Some(pg) = server() else { return };
    let url = mixed_table(pg, "t_pushdown");
    let base = [
        "summarize",
        "--source",
        &url,
        "--source-table",
        "mixed",
        "--customer-col",
        "customer",
        "--date-col",
        "ts",
        "--observation-end",
        "2024-03-31",
    ];
    let variants: [&[&str]; 6] = [
        &[],
        &["--convention", "period"],
        &["--calibration-end", "2024-02-01"],
        &["--zero-amounts", "drop", "--time-unit", "day"],
        &[
            "--convention",
            "period",
            "--time-unit",
            "month",
            "--calibration-end",
            "2024-01-20",
        ],
        &[
            "--convention",
            "period",
            "--time-unit",
            "day",
            "--zero-amounts",
            "drop",
        ],
    ];
    let rows_read = |err: &str| -> String {
        err.lines()
            .filter(|l| l.contains("rows") && !l.contains("reader"))
            .map(|l| l.split('[').next().unwrap_or(l).trim().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for v in variants {
        let mut pushed: Vec<&str> = base.to_vec();
        pushed.extend(v);
        let mut streamed = pushed.clone();
        pushed.extend(["--pushdown", "always"]);
        streamed.extend(["--pushdown", "never"]);
        let (a, err_a) = run(&pushed);
        let (b, err_b) = run(&streamed);
        assert!(err_a.contains("(pushdown)"), "{err_a}");
        assert!(err_b.contains("rows streamed"), "{err_b}");
        assert_eq!(a, b, "pushdown and streaming differ with {v:?}");
        assert_eq!(
            rows_read(&err_a),
            rows_read(&err_b),
            "reports differ with {v:?}"
        );
        assert!(a.lines().count() > 250, "{a}");
    }
    // auto decides by the planner's estimates, and says which path ran.
    let mut auto: Vec<&str> = base.to_vec();
    auto.extend(["--pushdown", "auto"]);
    let (c, err) = run(&auto);
    assert!(
        err.contains("(pushdown)") || err.contains("rows streamed"),
        "{err}"
    );
    let mut never: Vec<&str> = base.to_vec();
    never.extend(["--pushdown", "never"]);
    assert_eq!(c, run(&never).0);
    // The same through a query.
    let (q, _) = run(&[
        "summarize",
        "--source",
        &url,
        "--query",
        "select customer as customer_id, ts as date, amount from mixed",
        "--observation-end",
        "2024-03-31",
        "--pushdown",
        "always",
    ]);
    assert_eq!(q, c);
    // A malformed value stops the pushdown: the rows are streamed, and the
    // skipped row is named as without pushdown.
    let mut c2 = pg.client("t_pushdown");
    c2.batch_execute("INSERT INTO mixed VALUES ('c1', '2024-01-05', NULL)")
        .unwrap();
    let mut skip: Vec<&str> = base.to_vec();
    skip.extend(["--skip-invalid", "--pushdown", "always"]);
    let (s, err) = run(&skip);
    assert!(err.contains("the pushdown met a malformed value"), "{err}");
    assert!(err.contains("row 30001"), "{err}");
    let mut skip_never: Vec<&str> = base.to_vec();
    skip_never.extend(["--skip-invalid", "--pushdown", "never"]);
    assert_eq!(s, run(&skip_never).0);
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn count(c: &mut postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).unwrap().get(0)
}

fn predict_args<'a>(url: &'a str, table: &'a str) -> Vec<&'a str> {
    vec![
        "predict",
        "--source",
        url,
        "--source-table",
        "orders",
        "--calibration-end",
        "1997-09-30",
        "--model",
        "bg-nbd",
        "--horizon",
        "12 months",
        "--sink",
        url,
        "--sink-table",
        table,
    ]
}

#[test]
fn the_sink_replaces_the_table_and_records_each_run() {
    let Some(pg) = server() else { return };
    let url = pg.database("t_sink");
    let (file, _) = run(&[
        "predict",
        &sample(),
        "--calibration-end",
        "1997-09-30",
        "--model",
        "bg-nbd",
        "--horizon",
        "12 months",
    ]);
    let customers = file.lines().count() as i64 - 1;
    let (stdout, err) = run(&predict_args(&url, "clv_scores"));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(err.contains("(run 1 in clv_runs)"), "{err}");
    let mut c = pg.client("t_sink");
    assert_eq!(count(&mut c, "select count(*) from clv_scores"), customers);
    // The values are the file's (CSV round-trips floats; so does COPY).
    let first = file.lines().nth(1).unwrap();
    let row = c
        .query_one(
            "select customer_id, clv from clv_scores order by customer_id::int limit 1",
            &[],
        )
        .unwrap();
    let (id, clv): (String, f64) = (row.get(0), row.get(1));
    assert_eq!(first.split(',').next().unwrap(), id);
    let k = file
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "clv")
        .unwrap();
    assert_eq!(
        first.split(',').nth(k).unwrap().parse::<f64>().unwrap(),
        clv
    );
    // A second run (and --output too) replaces the table and adds a run.
    let dir = scratch("pg-sink");
    let out = dir.join("scores.csv").display().to_string();
    let mut args = predict_args(&url, "clv_scores");
    args.extend(["--output", &out]);
    let (_, err) = run(&args);
    assert!(err.contains("(run 2 in clv_runs)"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), file);
    assert_eq!(count(&mut c, "select count(*) from clv_scores"), customers);
    let runs = c
        .query(
            "select command, table_name, row_count, model, parameters->>'horizon' from clv_runs order by run_id",
            &[],
        )
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].get::<_, String>(0), "predict");
    assert_eq!(runs[1].get::<_, String>(1), "clv_scores");
    assert_eq!(runs[1].get::<_, i64>(2), customers);
    assert_eq!(
        runs[1].get::<_, Option<String>>(3).as_deref(),
        Some("bg-nbd")
    );
    assert_eq!(
        runs[1].get::<_, Option<String>>(4).as_deref(),
        Some("12 months")
    );
    // segment writes its table the same way.
    let (_, err) = run(&[
        "segment",
        "--source",
        &url,
        "--source-table",
        "orders",
        "--sink",
        &url,
        "--sink-table",
        "public.clv_segments",
        "--model",
        "bg-nbd",
    ]);
    assert!(err.contains("(run 3 in clv_runs)"), "{err}");
    assert_eq!(
        count(&mut c, "select count(*) from clv_segments"),
        customers
    );
    // actions: one table per list, all in one transaction; no --out-dir needed.
    let (_, err) = run(&[
        "actions",
        "--source",
        &url,
        "--source-table",
        "orders",
        "--model",
        "bg-nbd",
        "--sink",
        &url,
        "--sink-table",
        "clv_actions",
    ]);
    for list in [
        "win_back",
        "remind",
        "reward",
        "ask_referral",
        "activate_advocates",
    ] {
        let table = format!("clv_actions_{list}");
        assert!(err.contains(&format!("{table}: ")), "{err}");
        count(&mut c, &format!("select count(*) from {table}"));
    }
    assert_eq!(
        count(
            &mut c,
            "select count(*) from clv_runs where command = 'actions'"
        ),
        5
    );
    assert!(count(&mut c, "select count(*) from clv_actions_reward") > 0);
}

#[test]
fn a_write_killed_half_way_leaves_the_old_scores() {
    let Some(pg) = server() else { return };
    let url = pg.database("t_killed");
    run(&predict_args(&url, "clv_scores"));
    let mut c = pg.client("t_killed");
    let before: Vec<(String, f64)> = c
        .query(
            "select customer_id, clv from clv_scores order by customer_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    // A different horizon: different scores, were they written.
    let mut args = predict_args(&url, "clv_scores");
    args[10] = "24 months";
    let child = Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(&args)
        .env("CLV_TEST_PG_SINK_PAUSE_AFTER_ROWS", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let pid: i32 = loop {
        let rows = c
            .query(
                "select pid from pg_stat_activity where datname = 't_killed' \
                 and application_name = 'clv' and query ilike 'COPY%'",
                &[],
            )
            .unwrap();
        if let Some(r) = rows.first() {
            break r.get(0);
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the write never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let killed: bool = c
        .query_one("select pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(killed);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the killed write succeeded: {err}");
    assert!(err.contains("writing table \"clv_scores\""), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    let after: Vec<(String, f64)> = c
        .query(
            "select customer_id, clv from clv_scores order by customer_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(after, before);
    assert_eq!(count(&mut c, "select count(*) from clv_runs"), 1);
    let staging: Option<String> = c
        .query_one("select to_regclass('clv_scores__clv_new')::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(staging, None);
}

#[test]
fn credentials_come_from_the_url_the_environment_or_a_password_file() {
    let Some(pg) = server() else { return };
    pg.database("t_auth");
    let secret = "Wrong-Secret-991";
    let bad = format!("postgres://postgres:{secret}@127.0.0.1:{}/t_auth", pg.port);
    for args in [
        vec!["summarize", "--source", &bad, "--source-table", "orders"],
        predict_args(&bad, "x"),
    ] {
        let err = fails(
            &args,
            &[
                "password authentication failed",
                "postgres://postgres@127.0.0.1",
            ],
        );
        assert!(!err.contains(secret), "{err}");
    }
    // PGPASSWORD, and the password file, for a URL without a password.
    let bare = format!("postgres://postgres@127.0.0.1:{}/t_auth", pg.port);
    let args = [
        "summarize",
        "--source",
        &bare,
        "--source-table",
        "orders",
        "-q",
    ];
    let with_env = |k: &str, v: &str| {
        Command::new(env!("CARGO_BIN_EXE_clv"))
            .args(args)
            .env_remove("PGPASSWORD")
            .env_remove("PGPASSFILE")
            .env(k, v)
            .output()
            .unwrap()
    };
    let out = with_env("PGPASSWORD", secret);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("taken from PGPASSWORD") && !err.contains(secret),
        "{err}"
    );
    assert!(with_env("PGPASSWORD", PASSWORD).status.success());
    let dir = scratch("pg-pass");
    let passfile = dir.join("pgpass");
    std::fs::write(
        &passfile,
        format!("127.0.0.1:{}:t_auth:postgres:{PASSWORD}\n", pg.port),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = with_env("PGPASSFILE", &passfile.display().to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_input_is_named_precisely() {
    let Some(pg) = server() else { return };
    let url = pg.database("t_bad");
    let q = |sql: &'static str| -> Vec<String> {
        ["summarize", "--source", &url, "--query", sql]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    // A column of the wrong type.
    fails(
        &strs(&q(
            "select customer_id, date, amount > 50 as amount from orders",
        )),
        &[
            "column \"amount\" has PostgreSQL type bool",
            "an amount",
            "::numeric",
        ],
    );
    fails(
        &strs(&q(
            "select customer_id, 20240101 as date, amount from orders",
        )),
        &["column \"date\" has PostgreSQL type int4", "to_date("],
    );
    // A NULL customer id: the row of the result and the column.
    fails(
        &strs(&q(
            "select case when rn = 3 then null else customer_id end as customer_id, date, amount \
             from (select o.*, row_number() over (order by customer_id, date, amount) as rn \
                   from orders o) s order by rn",
        )),
        &[
            "query (postgres://postgres@127.0.0.1:",
            "row 3",
            "column \"customer_id\"",
            "empty customer id",
        ],
    );
    // A failing query: the server's message and the query.
    fails(
        &strs(&q(
            "select customer_id, date, amount from orders where nonsense > 0",
        )),
        &[
            "the query failed",
            "column \"nonsense\" does not exist",
            "where nonsense > 0",
        ],
    );
    // A missing table: which table, which database.
    fails(
        &[
            "summarize",
            "--source",
            &url,
            "--source-table",
            "no_such_table",
        ],
        &[
            "no table or view \"no_such_table\" in database \"t_bad\"",
            "--source-table",
        ],
    );
    // A missing column: the columns there are.
    fails(
        &[
            "summarize",
            "--source",
            &url,
            "--source-table",
            "orders",
            "--amount-col",
            "price",
        ],
        &["no amount column \"price\"", "customer_id, date, amount"],
    );
}

#[test]
fn source_flags_that_do_not_go_together_are_usage_errors() {
    // No server needed: refused before connecting.
    let url = "postgres://nobody:Not-Shown-1@127.0.0.1:9/none";
    let err = fails(
        &["summarize", "--source", url],
        &["--source needs --source-table NAME or --query SQL"],
    );
    assert!(!err.contains("Not-Shown-1"));
    let out = clv(&[
        "summarize",
        &sample(),
        "--source",
        url,
        "--source-table",
        "t",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Without --source a query runs on the embedded engine (over no
    // tables here), and says what its result lacks.
    fails(
        &["summarize", "--query", "select 1"],
        &["query result: no customer column \"customer_id\""],
    );
    // --register and --query-memory-limit are the embedded engine's.
    for extra in [["--register", "x=y.csv"], ["--query-memory-limit", "1G"]] {
        let mut a = vec!["summarize", "--source", url, "--query", "select 1"];
        a.extend(extra);
        fails(&a, &[extra[0], "--source"]);
    }
    fails(
        &["summarize", "--source-table", "t"],
        &["--source-table needs --source"],
    );
}
