//! `--query` and `--register`: SQL over the input files (DataFusion), its
//! results equal to the plain file path, cleaning queries (statuses, order
//! lines, test accounts, joins across formats) and bad queries reported as
//! clearly as bad CSV rows (exit 2, the place and the column named).

mod common;

use common::*;

/// Writes `content` to `dir/name` and returns the path as a string.
fn write(dir: &std::path::Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

#[test]
fn select_star_equals_reading_the_file() {
    let sample = sample();
    let plain = clv_ok(&["summarize", &sample]);
    let queried = clv_ok(&[
        "summarize",
        &sample,
        "--query",
        "SELECT * FROM cdnow_sample",
    ]);
    assert_eq!(plain, queried);
    // Also through predict (fit + scores), the whole output identical.
    let args = [
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--horizon",
        "12 months",
    ];
    let mut a = vec!["predict", sample.as_str()];
    a.extend(args);
    let plain = clv_ok(&a);
    a.extend([
        "--query",
        "select customer_id, date, amount from cdnow_sample",
    ]);
    assert_eq!(plain, clv_ok(&a));
}

/// A raw export needing every kind of cleaning: cancelled orders, a return,
/// a test account listed in a second file, and order lines to be summed per
/// order. The query's result must give the same summary as the cleaned file
/// written by hand.
#[test]
fn a_cleaning_query_equals_the_cleaned_file() {
    let dir = scratch("sql-cleaning");
    let orders = write(
        &dir,
        "orders.csv",
        "order_id,customer,ordered_at,status,line_amount\n\
         1,007,2024-01-03,paid,10.00\n\
         1,007,2024-01-03,paid,5.50\n\
         2,007,2024-02-10,cancelled,99.00\n\
         3,007,2024-03-01,paid,20.00\n\
         4,042,2024-01-15,paid,8.00\n\
         5,042,2024-01-20,refunded,8.00\n\
         6,042,2024-04-02,paid,12.00\n\
         6,042,2024-04-02,paid,3.00\n\
         7,999,2024-02-01,paid,1.00\n\
         8,999,2024-03-01,paid,1.00\n\
         9,7,2024-05-01,paid,30.00\n",
    );
    let tests = write(&dir, "accounts.csv", "account,kind\n999,test\n042,real\n");
    let cleaned = write(
        &dir,
        "cleaned.csv",
        "customer_id,date,amount\n\
         007,2024-01-03,15.5\n\
         007,2024-03-01,20\n\
         042,2024-01-15,8\n\
         042,2024-04-02,15\n\
         7,2024-05-01,30\n",
    );
    let query = "SELECT customer AS customer_id, ordered_at AS date, SUM(line_amount) AS amount \
                 FROM orders \
                 WHERE status = 'paid' \
                   AND customer NOT IN (SELECT CAST(account AS VARCHAR) FROM test_accounts WHERE kind = 'test') \
                 GROUP BY order_id, customer, ordered_at";
    let end = ["--observation-end", "2024-06-30"];
    let register = format!("test_accounts={tests}");
    let mut a = vec![
        "summarize",
        orders.as_str(),
        "--query",
        query,
        "--register",
        register.as_str(),
    ];
    a.extend(end);
    let from_query = clv_ok(&a);
    let mut b = vec!["summarize", cleaned.as_str()];
    b.extend(end);
    let from_file = clv_ok(&b);
    assert_eq!(from_query, from_file);
    // "007" and "7" stay two customers: the customer column is text.
    assert!(
        from_query.lines().any(|l| l.starts_with("007,")),
        "{from_query}"
    );
    assert!(
        from_query.lines().any(|l| l.starts_with("7,")),
        "{from_query}"
    );
    assert_eq!(from_query.lines().count(), 4, "{from_query}");
}

/// Parquet and JSON files are tables too: the summary written as Parquet
/// joined back to the transactions keeps the repeat buyers only.
#[test]
fn parquet_and_json_files_join_in_a_query() {
    let dir = scratch("sql-formats");
    let sample = sample();
    let summary = dir.join("summary.parquet").display().to_string();
    clv_ok(&["summarize", &sample, "--output", &summary]);
    let json = dir.join("summary.json").display().to_string();
    clv_ok(&["summarize", &sample, "--output", &json]);
    let repeat = |table: &str| {
        format!(
            "SELECT t.customer_id, t.date, t.amount FROM cdnow_sample t \
             JOIN {table} s ON t.customer_id = CAST(s.customer_id AS VARCHAR) \
             WHERE s.frequency > 0"
        )
    };
    let end = "1998-06-30";
    let from_parquet = clv_ok(&[
        "summarize",
        &sample,
        "--observation-end",
        end,
        "--query",
        &repeat("summary"),
        "--register",
        &format!("summary={summary}"),
    ]);
    let from_json = clv_ok(&[
        "summarize",
        &sample,
        "--observation-end",
        end,
        "--query",
        &repeat("s2"),
        "--register",
        &format!("s2={json}"),
    ]);
    assert_eq!(from_parquet, from_json);
    let all = clv_ok(&["summarize", &sample, "--observation-end", end]);
    // A join does not keep the file's order: compare the sorted rows.
    let mut repeaters: Vec<&str> = all
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1).is_some_and(|f| f != "0.0"))
        .collect();
    let mut got: Vec<&str> = from_parquet.lines().skip(1).collect();
    repeaters.sort_unstable();
    got.sort_unstable();
    assert!(repeaters.len() > 100, "{} repeat buyers", repeaters.len());
    assert!(
        got == repeaters,
        "{} rows from the query, {} repeat buyers",
        got.len(),
        repeaters.len()
    );
}

/// `segment` registers its customers file under its stem, so a query can
/// keep one channel's customers.
#[test]
fn segment_registers_the_customers_file() {
    let sample = sample();
    let customers = fixture("cdnow_customers.csv");
    let out = clv_ok(&[
        "segment",
        &sample,
        "--model",
        "bg-nbd",
        "--customers",
        &customers,
        "--query",
        "SELECT t.* FROM cdnow_sample t JOIN cdnow_customers c \
         ON t.customer_id = c.customer_id WHERE c.channel = 'search'",
    ]);
    let all = clv_ok(&[
        "segment",
        &sample,
        "--model",
        "bg-nbd",
        "--customers",
        &customers,
    ]);
    let n = out.lines().count() - 1;
    assert!(n > 10 && n < all.lines().count() - 1, "{n} rows");
}

#[test]
fn a_query_that_does_not_parse_names_the_query() {
    let sample = sample();
    let out = clv(&[
        "summarize",
        &sample,
        "--query",
        "SELEKT * FROM cdnow_sample",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("query result:"), "{err}");
    assert!(
        err.contains("the query: SELEKT * FROM cdnow_sample"),
        "{err}"
    );
}

#[test]
fn a_missing_table_lists_the_registered_tables() {
    let sample = sample();
    let out = clv(&["summarize", &sample, "--query", "SELECT * FROM orders"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("orders"), "{err}");
    assert!(err.contains("not found"), "{err}");
    assert!(err.contains("the tables are: cdnow_sample ("), "{err}");
    assert!(err.contains("--register NAME=PATH"), "{err}");
}

#[test]
fn a_null_customer_id_names_the_row_of_the_result() {
    let sample = sample();
    fails_with(
        &[
            "summarize",
            &sample,
            "--query",
            "SELECT CASE WHEN customer_id = '3' THEN NULL ELSE customer_id END AS customer_id, \
             date, amount FROM cdnow_sample ORDER BY customer_id NULLS FIRST",
        ],
        "query result: row 1: column \"customer_id\"",
    );
}

#[test]
fn a_text_amount_names_the_column_and_the_value() {
    let sample = sample();
    let out = clv(&[
        "summarize",
        &sample,
        "--query",
        "SELECT customer_id, date, CASE WHEN customer_id = '2' THEN 'n/a' ELSE CAST(amount AS VARCHAR) END AS amount \
         FROM cdnow_sample ORDER BY customer_id, date",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("query result: row "), "{err}");
    assert!(err.contains("column \"amount\""), "{err}");
    assert!(err.contains("n/a"), "{err}");
}

#[test]
fn a_result_without_the_mapped_columns_lists_its_columns() {
    let sample = sample();
    fails_with(
        &[
            "summarize",
            &sample,
            "--query",
            "SELECT customer_id, date AS day, amount FROM cdnow_sample",
        ],
        "query result: no date column \"date\"; columns found: customer_id, day, amount",
    );
}

#[test]
fn a_boolean_amount_is_refused_by_type() {
    let sample = sample();
    fails_with(
        &[
            "summarize",
            &sample,
            "--query",
            "SELECT customer_id, date, amount > 10 AS amount FROM cdnow_sample",
        ],
        "column \"amount\" has type Boolean, which cannot be read as an amount",
    );
}

#[test]
fn register_needs_a_query_and_a_name() {
    let sample = sample();
    let out = clv(&["summarize", &sample, "--register", "x=y.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--query"));
    let out = clv(&[
        "summarize",
        &sample,
        "--query",
        "select 1",
        "--register",
        "y.csv",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("expected NAME=PATH"), "{err}");
}

#[test]
fn a_registered_file_that_does_not_exist_is_named() {
    let sample = sample();
    fails_with(
        &[
            "summarize",
            &sample,
            "--query",
            "SELECT * FROM cdnow_sample",
            "--register",
            "extra=/nonexistent/extra.csv",
        ],
        "/nonexistent/extra.csv",
    );
}

#[test]
fn two_files_under_one_name_are_refused() {
    let dir = scratch("sql-two-names");
    let other = write(
        &dir,
        "cdnow_sample.csv",
        "customer_id,date,amount\n1,2020-01-01,1\n",
    );
    let sample = sample();
    fails_with(
        &[
            "summarize",
            &sample,
            "--query",
            "SELECT * FROM cdnow_sample",
            "--register",
            &format!("cdnow_sample={other}"),
        ],
        "two files are registered as table \"cdnow_sample\"",
    );
}
