//! The `period` convention against Python `lifetimes`' published examples,
//! the `exact` convention's edge cases, holdout columns and id ordering,
//! through the in-memory entry point.

use clv_core::TimeUnit;
use clv_data::date::to_days;
use clv_data::{Convention, DataError, NaiveDate, SummaryOptions, summarize};

fn d(s: &str) -> i32 {
    to_days(date(s))
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn opts(
    unit: TimeUnit,
    convention: Convention,
    obs: Option<&str>,
    cal: Option<&str>,
) -> SummaryOptions {
    SummaryOptions {
        time_unit: unit,
        convention,
        observation_end: obs.map(date),
        calibration_end: cal.map(date),
        ..Default::default()
    }
}

#[test]
fn lifetimes_daily_periods_reference_customers() {
    // reference-values.md: daily periods, observed to 2015-02-07.
    let ids = ["a", "a", "b", "b", "b"];
    let days = [
        d("2015-02-01"),
        d("2015-02-06"),
        d("2015-01-01"),
        d("2015-01-02"),
        d("2015-01-05"),
    ];
    let amounts = [1.0, 2.0, 3.0, 4.0, 5.0];
    let (s, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(TimeUnit::Day, Convention::Period, Some("2015-02-07"), None),
    )
    .unwrap();
    assert_eq!(s.customer_id(0), "a");
    assert_eq!((s.frequency[0], s.recency[0], s.age[0]), (1.0, 5.0, 6.0));
    assert_eq!((s.frequency[1], s.recency[1], s.age[1]), (2.0, 4.0, 37.0));
    assert_eq!(s.monetary_value[0], 2.0);
    assert_eq!(s.monetary_value[1], 4.5);
    // The exact convention in days gives the same numbers here.
    let (e, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(TimeUnit::Day, Convention::Exact, Some("2015-02-07"), None),
    )
    .unwrap();
    assert_eq!(e.frequency, s.frequency);
    assert_eq!(e.recency, s.recency);
    assert_eq!(e.age, s.age);
}

#[test]
fn weekly_periods_run_monday_to_sunday() {
    // 2015-02-01 is a Sunday: its week is 01-26..02-01; 02-02 starts the next.
    let ids = ["a", "a", "a"];
    let days = [d("2015-01-26"), d("2015-02-01"), d("2015-02-02")];
    let amounts = [1.0, 2.0, 4.0];
    let (s, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(TimeUnit::Week, Convention::Period, Some("2015-02-15"), None),
    )
    .unwrap();
    // Periods: week of 01-26 (3.0 total), week of 02-02 (4.0); obs week of 02-09.
    assert_eq!((s.frequency[0], s.recency[0], s.age[0]), (1.0, 1.0, 2.0));
    assert_eq!(s.monetary_value[0], 4.0);
    // Exact weeks: three distinct days.
    let (e, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(TimeUnit::Week, Convention::Exact, Some("2015-02-15"), None),
    )
    .unwrap();
    assert_eq!(e.frequency[0], 2.0);
    assert!((e.recency[0] - 1.0).abs() < 1e-12);
    assert!((e.age[0] - 20.0 / 7.0).abs() < 1e-12);
    assert_eq!(e.monetary_value[0], 3.0);
}

#[test]
fn monthly_and_yearly_periods_are_calendar_periods() {
    let ids = ["a", "a", "a"];
    let days = [d("2015-01-31"), d("2015-02-01"), d("2015-02-28")];
    let amounts = [1.0, 2.0, 3.0];
    let (m, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(
            TimeUnit::Month,
            Convention::Period,
            Some("2015-06-10"),
            None,
        ),
    )
    .unwrap();
    assert_eq!((m.frequency[0], m.recency[0], m.age[0]), (1.0, 1.0, 5.0));
    assert_eq!(m.monetary_value[0], 5.0);
    let (y, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(TimeUnit::Year, Convention::Period, Some("2017-01-01"), None),
    )
    .unwrap();
    assert_eq!((y.frequency[0], y.recency[0], y.age[0]), (0.0, 0.0, 2.0));
    assert_eq!(y.monetary_value[0], 0.0);
}

#[test]
fn same_day_purchases_merge_and_the_first_day_is_excluded_from_monetary() {
    let ids = ["c", "c", "c", "c"];
    let days = [
        d("2020-01-01"),
        d("2020-01-01"),
        d("2020-01-08"),
        d("2020-01-08"),
    ];
    let amounts = [100.0, 50.0, 10.0, 5.0];
    let (s, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(TimeUnit::Week, Convention::Exact, None, None),
    )
    .unwrap();
    assert_eq!((s.frequency[0], s.recency[0], s.age[0]), (1.0, 1.0, 1.0));
    assert_eq!(s.monetary_value[0], 15.0);
    assert_eq!(s.observation_end, date("2020-01-08"));
}

#[test]
fn holdout_columns_and_late_customers() {
    let ids = ["a", "a", "a", "a", "b", "late"];
    let days = [
        d("2020-01-01"),
        d("2020-01-05"),
        d("2020-02-01"),
        d("2020-02-01"),
        d("2020-01-10"),
        d("2020-02-05"),
    ];
    let amounts = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let (s, r) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(
            TimeUnit::Day,
            Convention::Exact,
            Some("2020-02-10"),
            Some("2020-01-31"),
        ),
    )
    .unwrap();
    assert_eq!(s.len(), 2);
    let h = s.holdout.as_ref().unwrap();
    assert_eq!((s.frequency[0], s.recency[0], s.age[0]), (1.0, 4.0, 30.0));
    assert_eq!(h.frequency, vec![1.0, 0.0]);
    assert_eq!(h.monetary_value, vec![7.0, 0.0]);
    assert_eq!(h.duration, 10.0);
    assert_eq!(r.late_customers, 1);
    assert_eq!(r.late_customer_rows, 1);
    assert_eq!(r.rows_used, 5);
    let t = s.to_table();
    assert_eq!(
        t.column_names(),
        [
            "customer_id",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout"
        ]
    );
}

#[test]
fn policy_drops_are_counted() {
    let ids = ["a", "a", "a", "a", "a"];
    let days = [
        d("2020-01-01"),
        d("2020-01-02"),
        d("2020-01-03"),
        d("2020-01-04"),
        d("2020-03-01"),
    ];
    let amounts = [10.0, -4.0, 0.0, -1.5, 9.0];
    let mut options = opts(TimeUnit::Day, Convention::Exact, Some("2020-02-01"), None);
    options.zero_amounts = clv_data::ZeroAmounts::Drop;
    let (s, r) = summarize(&ids, &days, &amounts, &options).unwrap();
    assert_eq!(s.frequency[0], 0.0);
    assert_eq!(r.negative_rows, 2);
    assert_eq!(r.negative_total, -5.5);
    assert_eq!(r.zero_rows, 1);
    assert_eq!(r.after_observation_end, 1);
    assert_eq!(r.rows_used, 1);
    assert_eq!(r.rows_read, r.rows_used + r.rows_dropped());
    let text = r.to_string();
    assert!(
        text.contains("2 rows with negative amounts (returns), total -5.5"),
        "{text}"
    );
    assert!(text.contains("1 rows with zero amounts"), "{text}");
    assert!(
        text.contains("1 rows dated after the observation end"),
        "{text}"
    );
}

#[test]
fn zero_amounts_are_purchases_by_default() {
    let ids = ["a", "a", "a"];
    let days = [d("2020-01-01"), d("2020-01-03"), d("2020-01-05")];
    let amounts = [10.0, 0.0, 4.0];
    let (s, r) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(TimeUnit::Day, Convention::Exact, None, None),
    )
    .unwrap();
    // Two repeat purchases (days 2 and 4), worth 0 and 4: mean 2.
    assert_eq!(s.frequency[0], 2.0);
    assert_eq!(s.recency[0], 4.0);
    assert_eq!(s.monetary_value[0], 2.0);
    assert_eq!(r.zero_rows, 1);
    assert!(r.zero_rows_kept);
    assert!(
        r.to_string()
            .contains("kept 1 rows with zero amounts as purchases")
    );
    assert_eq!(r.rows_read, r.rows_used + r.rows_dropped());
}

#[test]
fn calibration_end_is_checked() {
    let ids = ["a", "a"];
    let days = [d("2020-01-01"), d("2020-01-10")];
    let amounts = [1.0, 1.0];
    let run = |cal: &str| {
        summarize(
            &ids,
            &days,
            &amounts,
            &opts(TimeUnit::Day, Convention::Exact, None, Some(cal)),
        )
    };
    assert!(matches!(
        run("2020-01-10"),
        Err(DataError::InvalidOptions(_))
    ));
    assert!(matches!(
        run("2019-12-31"),
        Err(DataError::InvalidOptions(_))
    ));
    assert!(run("2020-01-01").is_ok());
}

#[test]
fn ids_sort_numerically_when_all_are_integers() {
    let ids = ["10", "9", "100", "-1", "007"];
    let days = [0, 0, 0, 0, 0];
    let amounts = [1.0; 5];
    let (s, _) = summarize(&ids, &days, &amounts, &SummaryOptions::default()).unwrap();
    let got: Vec<&str> = (0..s.len()).map(|i| s.customer_id(i)).collect();
    assert_eq!(got, ["-1", "007", "9", "10", "100"]);
    let ids = ["b10", "b9", "a", "B"];
    let (s, _) = summarize(&ids, &days[..4], &amounts[..4], &SummaryOptions::default()).unwrap();
    let got: Vec<&str> = (0..s.len()).map(|i| s.customer_id(i)).collect();
    assert_eq!(got, ["B", "a", "b10", "b9"]);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let n = 20_000;
    let ids: Vec<String> = (0..n)
        .map(|i| format!("cust{}", (i * 7919) % 3001))
        .collect();
    let days: Vec<i32> = (0..n).map(|i| 18_000 + (i * 31) % 400).collect();
    let amounts: Vec<f64> = (0..n).map(|i| 0.01 + (i % 97) as f64 * 1.37).collect();
    let mut results = Vec::new();
    for threads in [1, 2, 3, 5] {
        let o = SummaryOptions {
            threads: Some(threads),
            calibration_end: Some(clv_data::date::from_days(18_200)),
            ..Default::default()
        };
        results.push(summarize(&ids, &days, &amounts, &o).unwrap().0);
    }
    for r in &results[1..] {
        assert_eq!(r, &results[0]);
    }
    assert_eq!(results[0].len(), 3001);
    let s = &results[0];
    assert!((1..s.len()).all(|i| s.customer_id(i - 1) < s.customer_id(i)));
    // Integer ids sort numerically across all partitions.
    let ids: Vec<String> = (0..n).map(|i| ((i * 7919) % 3001).to_string()).collect();
    let (s, _) = summarize(&ids, &days, &amounts, &SummaryOptions::default()).unwrap();
    let nums: Vec<i64> = (0..s.len())
        .map(|i| s.customer_id(i).parse().unwrap())
        .collect();
    assert_eq!(nums, (0..3001).collect::<Vec<i64>>());
}

#[test]
fn empty_input_is_an_error() {
    let none: [&str; 0] = [];
    assert!(matches!(
        summarize(&none, &[], &[], &SummaryOptions::default()),
        Err(DataError::Empty { .. })
    ));
    let err = summarize(&["a"], &[0], &[-1.0], &SummaryOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no purchases"), "{err}");
    let err = summarize(&[""], &[0], &[1.0], &SummaryOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "<memory>: row 1: column \"customer_id\": empty customer id"
    );
}

#[test]
fn totals_count_every_row_of_the_calibration_window_with_the_first_purchase() {
    // a: two rows on the first day (10 + 5), one later (7), one in the
    // holdout (100); b: a single purchase of 3.
    let ids = ["a", "a", "a", "a", "b"];
    let days = [
        d("2024-01-01"),
        d("2024-01-01"),
        d("2024-01-10"),
        d("2024-03-01"),
        d("2024-01-05"),
    ];
    let amounts = [10.0, 5.0, 7.0, 100.0, 3.0];
    let (s, _) = summarize(
        &ids,
        &days,
        &amounts,
        &opts(
            TimeUnit::Day,
            Convention::Exact,
            Some("2024-03-31"),
            Some("2024-01-31"),
        ),
    )
    .unwrap();
    let t = s.totals.as_ref().expect("totals of transactions");
    // Same-day rows are one purchase for x but two orders here.
    assert_eq!(s.frequency, vec![1.0, 0.0]);
    assert_eq!(t.orders, vec![3.0, 1.0]);
    assert_eq!(t.revenue, vec![22.0, 3.0]);
}
