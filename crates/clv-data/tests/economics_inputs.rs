//! Reading the inputs of `clv economics`: monthly purchase histories beside
//! the summary, the customers file and the spend file.

use std::path::PathBuf;

use clv_core::economics::month_index;
use clv_data::attributes::month_of_day;
use clv_data::{
    CsvReader, CustomerColumns, NaiveDate, ReadOptions, SpendColumns, SummaryOptions,
    read_customers, read_spend, summarize_with_history,
};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clv-data-econ-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const JAN: i32 = 2024 * 12;

/// c1: Jan 100, Mar 50; c2: Jan 15 + 25, Feb 60, Apr 20; c3: Feb 30;
/// c4: Feb, Mar, Apr 10 each; c5: Mar 80.
/// (id, first purchase day, monthly buckets (month, revenue, orders)).
type Expected = (&'static str, i32, Vec<(i32, f64, u32)>);

fn expected() -> Vec<Expected> {
    let d = |s: &str| clv_data::date::to_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
    vec![
        (
            "c1",
            d("2024-01-05"),
            vec![(JAN, 100.0, 1), (JAN + 2, 50.0, 1)],
        ),
        (
            "c2",
            d("2024-01-07"),
            vec![(JAN, 40.0, 2), (JAN + 1, 60.0, 1), (JAN + 3, 20.0, 1)],
        ),
        ("c3", d("2024-02-03"), vec![(JAN + 1, 30.0, 1)]),
        (
            "c4",
            d("2024-02-14"),
            vec![(JAN + 1, 10.0, 1), (JAN + 2, 10.0, 1), (JAN + 3, 10.0, 1)],
        ),
        ("c5", d("2024-03-09"), vec![(JAN + 2, 80.0, 1)]),
    ]
}

fn check(path: &std::path::Path, read: &ReadOptions) {
    let opts = SummaryOptions {
        observation_end: NaiveDate::from_ymd_opt(2024, 4, 30),
        ..Default::default()
    };
    let (summary, report, h) = summarize_with_history(path, read, &opts).unwrap();
    assert_eq!(report.rows_used, 11);
    assert_eq!(summary.len(), 5);
    assert_eq!(h.monthly.len(), 5);
    assert_eq!(
        h.observation_end,
        clv_data::date::to_days(NaiveDate::from_ymd_opt(2024, 4, 30).unwrap())
    );
    for (i, (id, first, buckets)) in expected().into_iter().enumerate() {
        assert_eq!(summary.customer_id(i), id);
        assert_eq!(h.first_day[i], first, "{id}");
        let r = h.monthly.range(i);
        let got: Vec<(i32, f64, u32)> = r
            .map(|k| {
                (
                    h.monthly.month[k],
                    h.monthly.revenue[k],
                    h.monthly.orders[k],
                )
            })
            .collect();
        assert_eq!(got, buckets, "{id}");
    }
}

#[test]
fn histories_follow_the_summary_order_with_every_reader() {
    let p = data("econ_transactions.csv");
    check(&p, &ReadOptions::default());
    check(
        &p,
        &ReadOptions {
            csv_reader: CsvReader::DataFusion,
            ..Default::default()
        },
    );
    // Quoted fields take the whole-file path; shuffled rows, one thread.
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let quoted = format!(
        "{header}\n{}\n",
        lines
            .iter()
            .map(|l| {
                let (id, rest) = l.split_once(',').unwrap();
                format!("\"{id}\",{rest}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    );
    let q = scratch("quoted.csv", &quoted);
    check(
        &q,
        &ReadOptions {
            threads: Some(1),
            ..Default::default()
        },
    );
}

#[test]
fn rows_after_the_observation_end_are_left_out_of_histories() {
    let p = data("econ_transactions.csv");
    let opts = SummaryOptions {
        observation_end: NaiveDate::from_ymd_opt(2024, 3, 31),
        ..Default::default()
    };
    let (summary, report, h) = summarize_with_history(&p, &ReadOptions::default(), &opts).unwrap();
    assert_eq!(report.after_observation_end, 2); // c2's and c4's April purchases
    assert_eq!(summary.len(), 5);
    let months: usize = h.monthly.month.len();
    assert_eq!(months, 10 - 2);
    assert!(h.monthly.month.iter().all(|&m| m <= JAN + 2));
    // A calibration end is refused: histories are the whole observation.
    let cal = SummaryOptions {
        calibration_end: NaiveDate::from_ymd_opt(2024, 2, 1),
        ..Default::default()
    };
    assert!(summarize_with_history(&p, &ReadOptions::default(), &cal).is_err());
}

#[test]
fn customers_file_columns_and_lookups() {
    let c = read_customers(&data("econ_customers.csv"), &CustomerColumns::default()).unwrap();
    assert_eq!(c.len(), 6);
    assert_eq!(c.channel_names, vec!["search", "social", "organic"]);
    let r = c.find("c3").unwrap();
    assert_eq!(c.channel[r], 1);
    assert_eq!(c.acquisition_cost[r], 70.0);
    assert!(c.acquisition_cost[0].is_nan());
    assert_eq!(c.acquired_at[1], None); // c2: empty, the first purchase is used
    assert_eq!(
        month_of_day(c.acquired_at[0].unwrap()),
        month_index(2024, 1)
    );
    assert_eq!(c.referred_by.as_ref().unwrap().get(r), "c1");
    assert_eq!(c.attributes.len(), 1);
    assert_eq!(c.attributes[0].0, "plan");
    assert_eq!(c.attributes[0].1.get(1), "pro");
    assert_eq!(c.find("nobody"), None);
    assert_eq!(
        c.location(5).to_string(),
        format!("{}:7", data("econ_customers.csv").display())
    );
}

#[test]
fn customers_file_errors() {
    let cols = CustomerColumns::default();
    let e = read_customers(&scratch("a.csv", "id,channel\nc1,x\n"), &cols).unwrap_err();
    assert!(
        e.to_string().contains("no customer column \"customer_id\""),
        "{e}"
    );
    let e = read_customers(
        &scratch("b.csv", "customer_id,acquisition_cost\nc1,-3\n"),
        &cols,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .ends_with("b.csv:2: column \"acquisition_cost\": acquisition cost -3 is negative"),
        "{e}"
    );
    let e = read_customers(&scratch("c.csv", "customer_id,channel\nc1,x,y\n"), &cols).unwrap_err();
    assert!(
        e.to_string()
            .contains("c.csv:2: 3 fields where the header has 2"),
        "{e}"
    );
    let e = read_customers(&scratch("d.csv", "customer_id,channel\n,x\n"), &cols).unwrap_err();
    assert!(
        e.to_string()
            .contains("d.csv:2: column \"customer_id\": empty customer id"),
        "{e}"
    );
}

#[test]
fn spend_file_rows_months_and_overlaps() {
    let rows = read_spend(&data("econ_spend.csv"), &SpendColumns::default()).unwrap();
    let got: Vec<(i32, &str, f64)> = rows
        .iter()
        .map(|r| (r.month, r.channel.as_str(), r.amount))
        .collect();
    assert_eq!(
        got,
        vec![
            (JAN, "search", 60.0),
            (JAN, "search", 40.0),
            (JAN + 1, "search", 50.0)
        ]
    );
    let cols = SpendColumns::default();
    // A `month` column instead of `date`.
    let m = read_spend(
        &scratch("m.csv", "month,channel,amount\n2024-03,tv,10\n"),
        &cols,
    )
    .unwrap();
    assert_eq!(m[0].month, JAN + 2);
    let e = read_spend(
        &scratch(
            "o.csv",
            "date,channel,amount\n2024-03,tv,10\n2024-03-05,tv,1\n",
        ),
        &cols,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("o.csv:3: overlapping spend rows: the same month 2024-03 as"),
        "{e}"
    );
    assert!(e.contains("o.csv:2"), "{e}");
    // Different channels or campaigns do not overlap.
    read_spend(
        &scratch(
            "ok.csv",
            "date,channel,campaign,amount\n2024-03,tv,a,10\n2024-03,tv,b,1\n2024-03,radio,a,1\n",
        ),
        &cols,
    )
    .unwrap();
    let e = read_spend(
        &scratch("x.csv", "date,channel,amount\n2024-03-01,,1\n"),
        &cols,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("x.csv:2: column \"channel\": empty channel"),
        "{e}"
    );
    let e = read_spend(&scratch("y.csv", "date,channel,amount\n"), &cols)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no spend rows"), "{e}");
}

#[test]
fn parquet_customers_and_spend_files() {
    let dir = std::env::temp_dir().join(format!("clv-data-econ-pq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let customers = dir.join("customers.parquet");
    let t = clv_data::Table::new()
        .with_str("customer_id", vec!["c1".into(), "c2".into()])
        .with_str("channel", vec!["search".into(), "".into()])
        .with_f64("acquisition_cost", vec![12.5, f64::NAN]);
    clv_data::write_table(&t, Some(&customers), clv_data::OutputFormat::Parquet).unwrap();
    let c = read_customers(&customers, &CustomerColumns::default()).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        c.channel_names,
        vec!["search", clv_data::attributes::NO_CHANNEL]
    );
    assert_eq!(c.acquisition_cost[0], 12.5);
    assert_eq!(c.find("c2"), Some(1));
    assert_eq!(
        c.location(1).to_string(),
        format!("{}: row 2", customers.display())
    );
    let spend = dir.join("spend.parquet");
    let t = clv_data::Table::new()
        .with_str("date", vec!["2024-01-01".into(), "2024-02".into()])
        .with_str("channel", vec!["search".into(), "search".into()])
        .with_f64("amount", vec![10.0, 20.0]);
    clv_data::write_table(&t, Some(&spend), clv_data::OutputFormat::Parquet).unwrap();
    let rows = read_spend(&spend, &SpendColumns::default()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1].month, rows[1].amount), (JAN + 1, 20.0));
}
