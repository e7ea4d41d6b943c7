//! Reading the engagement-events file (`--events`): timestamps, kinds,
//! weights, formats and the errors that name file, line and column.

use std::path::PathBuf;

use clv_data::{EventColumns, NaiveDate, OutputFormat, Table, read_events, write_table};

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clv-data-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn day(s: &str) -> i32 {
    clv_data::date::to_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn err(name: &str, text: &str) -> String {
    read_events(&scratch(name, text), &EventColumns::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn every_timestamp_form_keeps_the_date_as_written() {
    let p = scratch(
        "forms.csv",
        "customer_id,timestamp,kind\n\
         c1,2024-03-01,review\n\
         c1,20240302,share\n\
         c2,2024-03-03T10:15:00,review\n\
         c2,2024-03-04T23:30:00.250Z,forum_post\n\
         c3,2024-03-05T23:30:00-05:00,review\n\
         c3,2024-03-06 08:00:00,share\n",
    );
    let e = read_events(&p, &EventColumns::default()).unwrap();
    assert_eq!(e.len(), 6);
    assert!(!e.is_empty());
    // 23:30 at -05:00 is 04:30 UTC on the 6th; the date as written (the 5th) is kept.
    let want: Vec<i32> = (1..=6).map(|d| day(&format!("2024-03-{d:02}"))).collect();
    assert_eq!(e.day, want);
    // Kinds in order of first appearance: review 0, share 1, forum_post 2.
    assert_eq!(e.kind_names, ["review", "share", "forum_post"]);
    assert_eq!(e.kind, [0, 1, 0, 2, 0, 1]);
    // No weight column: every weight is 1.
    assert_eq!(e.weight, [1.0; 6]);
    assert_eq!(
        (0..6).map(|i| e.ids.get(i)).collect::<Vec<_>>(),
        ["c1", "c1", "c2", "c2", "c3", "c3"]
    );
    // The header is line 1, so event 4 (0-based) is on line 6.
    assert_eq!(e.location(4).to_string(), format!("{}:6", p.display()));
}

#[test]
fn weights_renamed_columns_a_delimiter_and_a_date_format() {
    let p = scratch(
        "semi.csv",
        "who;when;what;w;extra\n\
         a;01/02/2024 10:00;event;2.5;x\n\
         b;15/02/2024 22:00;event;;y\n\
         a;29/02/2024 00:00;support_ticket;0;z\n",
    );
    let cols = EventColumns {
        customer: "who".into(),
        timestamp: "when".into(),
        kind: "what".into(),
        weight: "w".into(),
        date_format: Some("%d/%m/%Y %H:%M".into()),
        delimiter: Some(b';'),
    };
    let e = read_events(&p, &cols).unwrap();
    assert_eq!(
        e.day,
        [day("2024-02-01"), day("2024-02-15"), day("2024-02-29")]
    );
    // 2.5 as given, an empty cell is 1, zero is allowed.
    assert_eq!(e.weight, [2.5, 1.0, 0.0]);
    assert_eq!(e.kind_names, ["event", "support_ticket"]);
    assert_eq!(e.kind, [0, 0, 1]);
    // A date-only format works too.
    let p = scratch(
        "dmy.csv",
        "customer_id,timestamp,kind\na,31.12.2023,mention\n",
    );
    let cols = EventColumns {
        date_format: Some("%d.%m.%Y".into()),
        ..Default::default()
    };
    assert_eq!(read_events(&p, &cols).unwrap().day, [day("2023-12-31")]);
}

#[test]
fn bad_events_are_errors_naming_file_line_and_column() {
    let e = err(
        "ts.csv",
        "customer_id,timestamp,kind\nc1,2024-03-01,review\nc2,2024-13-01,review\n",
    );
    assert!(
        e.contains(
            "ts.csv:3: column \"timestamp\": cannot parse \"2024-13-01\" as a timestamp (expected"
        ),
        "{e}"
    );
    let e = err("id.csv", "customer_id,timestamp,kind\n,2024-03-01,review\n");
    assert!(
        e.ends_with("id.csv:2: column \"customer_id\": empty customer id"),
        "{e}"
    );
    let e = err("kind.csv", "customer_id,timestamp,kind\nc1,2024-03-01,\n");
    assert!(
        e.ends_with("kind.csv:2: column \"kind\": empty event kind"),
        "{e}"
    );
    let e = err(
        "neg.csv",
        "customer_id,timestamp,kind,weight\nc1,2024-03-01,review,1\nc1,2024-03-01,review,-2\n",
    );
    assert!(
        e.ends_with("neg.csv:3: column \"weight\": weight -2 is negative"),
        "{e}"
    );
    let e = err(
        "inf.csv",
        "customer_id,timestamp,kind,weight\nc1,2024-03-01,review,inf\n",
    );
    assert!(
        e.ends_with("inf.csv:2: column \"weight\": weight \"inf\" is not finite"),
        "{e}"
    );
    let e = err(
        "nan.csv",
        "customer_id,timestamp,kind,weight\nc1,2024-03-01,review,NaN\n",
    );
    assert!(
        e.ends_with("nan.csv:2: column \"weight\": weight \"NaN\" is not finite"),
        "{e}"
    );
    let e = err(
        "txt.csv",
        "customer_id,timestamp,kind,weight\nc1,2024-03-01,review,lots\n",
    );
    assert!(
        e.ends_with("txt.csv:2: column \"weight\": cannot parse \"lots\" as a number"),
        "{e}"
    );
    let e = err(
        "nokind.csv",
        "customer_id,timestamp,type\nc1,2024-03-01,review\n",
    );
    assert!(
        e.contains(
            "nokind.csv: no kind column \"kind\"; columns found: customer_id, timestamp, type"
        ),
        "{e}"
    );
    let e = err("nots.csv", "customer_id,date,kind\nc1,2024-03-01,review\n");
    assert!(
        e.contains("no timestamp column \"timestamp\"; columns found: customer_id, date, kind"),
        "{e}"
    );
    let e = err("empty.csv", "customer_id,timestamp,kind\n");
    assert!(e.ends_with("empty.csv: no events"), "{e}");
    // A user format that the text does not follow names the format.
    let p = scratch(
        "fmt.csv",
        "customer_id,timestamp,kind\nc1,2024-03-01,review\n",
    );
    let cols = EventColumns {
        date_format: Some("%d/%m/%Y".into()),
        ..Default::default()
    };
    let e = read_events(&p, &cols).unwrap_err().to_string();
    assert!(
        e.ends_with("fmt.csv:2: column \"timestamp\": cannot parse \"2024-03-01\" as a timestamp with format \"%d/%m/%Y\""),
        "{e}"
    );
}

#[test]
fn parquet_and_json_events() {
    let dir = std::env::temp_dir().join(format!("clv-data-events-pq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = Table::new()
        .with_str("customer_id", vec!["c1".into(), "c2".into()])
        .with_str(
            "timestamp",
            vec!["2024-01-31T23:59:59Z".into(), "2024-02-01".into()],
        )
        .with_str("kind", vec!["share".into(), "review".into()])
        .with_f64("weight", vec![3.0, 0.5]);
    let p = dir.join("events.parquet");
    write_table(&t, Some(&p), OutputFormat::Parquet).unwrap();
    // JSON input is newline-delimited, one object per event.
    let j = dir.join("events.json");
    std::fs::write(
        &j,
        "{\"customer_id\":\"c1\",\"timestamp\":\"2024-01-31T23:59:59Z\",\"kind\":\"share\",\"weight\":3.0}\n\
         {\"customer_id\":\"c2\",\"timestamp\":\"2024-02-01\",\"kind\":\"review\",\"weight\":0.5}\n",
    )
    .unwrap();
    for p in [p, j] {
        let e = read_events(&p, &EventColumns::default()).unwrap();
        let name = p.display();
        assert_eq!(e.day, [day("2024-01-31"), day("2024-02-01")], "{name}");
        assert_eq!(e.kind_names, ["share", "review"], "{name}");
        assert_eq!(e.weight, [3.0, 0.5], "{name}");
        assert_eq!(e.ids.get(1), "c2", "{name}");
    }
    // A Parquet event is named by its row.
    let bad = Table::new()
        .with_str("customer_id", vec!["c1".into(), "c2".into()])
        .with_str("timestamp", vec!["2024-01-31".into(), "yesterday".into()])
        .with_str("kind", vec!["share".into(), "share".into()]);
    let p = dir.join("bad.parquet");
    write_table(&bad, Some(&p), OutputFormat::Parquet).unwrap();
    let e = read_events(&p, &EventColumns::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("{}: row 2: column \"timestamp\"", p.display())),
        "{e}"
    );
}
