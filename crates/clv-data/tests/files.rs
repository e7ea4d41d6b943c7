//! Reading files: formats, options, validation messages, both CSV readers,
//! and writing tables.

use std::path::{Path, PathBuf};

use clv_core::TimeUnit;
use clv_data::{
    Column, Convention, CsvReader, DataError, InputFormat, NaiveDate, OutputFormat, ReadOptions,
    Summary, SummaryOptions, Table, summarize_file, write_table,
};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn today() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2025, 1, 1)
}

fn read_opts(reader: CsvReader) -> ReadOptions {
    ReadOptions {
        today: today(),
        csv_reader: reader,
        ..Default::default()
    }
}

const READERS: [CsvReader; 2] = [CsvReader::HandWritten, CsvReader::DataFusion];

fn summary(path: &Path, read: &ReadOptions) -> Result<Summary, DataError> {
    let opts = SummaryOptions {
        time_unit: TimeUnit::Day,
        ..Default::default()
    };
    summarize_file(path, read, &opts).map(|(s, _)| s)
}

#[test]
fn bad_amount_names_file_line_and_column() {
    let dir = tmp();
    let mut text = String::from("customer_id,date,amount\n");
    for i in 0..15 {
        text.push_str(&format!("{i},2024-01-01,1.5\n"));
    }
    text.push_str("x,2024-01-02,abc\n");
    let p = write(dir.path(), "orders.csv", &text);
    for reader in READERS {
        let err = summary(&p, &read_opts(reader)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.ends_with("orders.csv:17: column \"amount\": cannot parse \"abc\" as a number"),
            "{reader:?}: {msg}"
        );
    }
}

#[test]
fn bad_dates_and_empty_ids_are_located() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "t.csv",
        "customer_id,date,amount\n1,2024-01-01,1\n\n2,2024-02-30,1\n",
    );
    for reader in READERS {
        let msg = summary(&p, &read_opts(reader)).unwrap_err().to_string();
        assert!(
            msg.contains("t.csv:4: column \"date\": cannot parse \"2024-02-30\" as a date"),
            "{msg}"
        );
    }
    let p = write(
        dir.path(),
        "u.csv",
        "customer_id,date,amount\n1,2024-01-01,1\n ,2024-01-01,1\n",
    );
    for reader in READERS {
        let msg = summary(&p, &read_opts(reader)).unwrap_err().to_string();
        assert!(
            msg.ends_with("u.csv:3: column \"customer_id\": empty customer id"),
            "{msg}"
        );
    }
}

#[test]
fn skip_invalid_counts_and_lists_lines() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "s.csv",
        "customer_id,date,amount\n1,2024-01-01,1\n1,bad,1\n2,2024-01-03,x\n2,2024-01-04,2\n,2024-01-01,3\n3\n",
    );
    for reader in READERS {
        let read = ReadOptions {
            skip_invalid: true,
            ..read_opts(reader)
        };
        let (s, r) = summarize_file(&p, &read, &SummaryOptions::default()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(r.rows_read, 6);
        assert_eq!(r.invalid_rows(), 4);
        assert_eq!(r.rows_used, 2);
        let lines: Vec<String> = r
            .invalid_examples
            .iter()
            .map(|e| {
                e.location
                    .to_string()
                    .replace(&*dir.path().to_string_lossy(), "")
            })
            .collect();
        assert_eq!(
            lines,
            ["/s.csv:3", "/s.csv:4", "/s.csv:6", "/s.csv:7"],
            "{reader:?}"
        );
        let text = r.to_string();
        assert!(
            text.contains("skipped 1 malformed rows: unparseable date"),
            "{text}"
        );
        assert!(
            text.contains("s.csv:4: column \"amount\": cannot parse \"x\" as a number"),
            "{text}"
        );
    }
}

#[test]
fn missing_column_lists_the_columns_found() {
    let dir = tmp();
    let p = write(dir.path(), "m.csv", "id,date,value\n1,2024-01-01,1\n");
    for reader in READERS {
        let msg = summary(&p, &read_opts(reader)).unwrap_err().to_string();
        assert_eq!(
            msg,
            format!(
                "{}: no customer column \"customer_id\"; columns found: id, date, value",
                p.display()
            )
        );
    }
}

#[test]
fn empty_files_are_errors() {
    let dir = tmp();
    for (name, text) in [
        ("e.csv", ""),
        ("h.csv", "customer_id,date,amount\n"),
        ("b.csv", "customer_id,date,amount\n\n\n"),
    ] {
        let p = write(dir.path(), name, text);
        for reader in READERS {
            let err = summary(&p, &read_opts(reader)).unwrap_err();
            assert!(
                matches!(err, DataError::Empty { .. }),
                "{name} {reader:?}: {err}"
            );
        }
    }
}

#[test]
fn future_dates_are_errors_unless_an_observation_end_covers_them() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "f.csv",
        "customer_id,date,amount\n1,2024-01-01,1\n1,2099-01-01,1\n",
    );
    for reader in READERS {
        let msg = summary(&p, &read_opts(reader)).unwrap_err().to_string();
        assert!(
            msg.contains("f.csv:3: column \"date\": date 2099-01-01 is in the future"),
            "{msg}"
        );
        let opts = SummaryOptions {
            observation_end: NaiveDate::from_ymd_opt(2024, 6, 30),
            ..Default::default()
        };
        let (s, r) = summarize_file(&p, &read_opts(reader), &opts).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(r.after_observation_end, 1);
    }
}

#[test]
fn delimiters_quotes_timestamps_and_formats() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "q.csv",
        "\u{feff}\"customer_id\";note;date;amount\r\n\
         \"a;1\";\"multi\nline\";2024-03-01T23:30:00-05:00;\"10.5\"\r\n\
         \"a;1\";x;2024-03-02 08:00;2\r\n\
         b;\"say \"\"hi\"\"\";20240305;3\r\n",
    );
    for reader in READERS {
        let read = ReadOptions {
            delimiter: Some(b';'),
            ..read_opts(reader)
        };
        let s = summary(&p, &read).unwrap();
        assert_eq!(s.customer_id(0), "a;1");
        assert_eq!((s.frequency[0], s.recency[0], s.age[0]), (1.0, 1.0, 4.0));
        assert_eq!(s.monetary_value[0], 2.0);
        assert_eq!(s.customer_id(1), "b");
    }
    let p = write(
        dir.path(),
        "d.tsv",
        "customer_id\tdate\tamount\n7\t01/03/2024\t5\n7\t15/03/2024\t6\n",
    );
    for reader in READERS {
        let read = ReadOptions {
            date_format: Some("%d/%m/%Y".into()),
            ..read_opts(reader)
        };
        let s = summary(&p, &read).unwrap();
        assert_eq!((s.frequency[0], s.recency[0]), (1.0, 14.0));
    }
}

#[test]
fn column_mapping() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "c.csv",
        "when,who,paid\n2024-01-01,u1,3\n2024-01-08,u1,4\n",
    );
    let read = ReadOptions {
        customer_col: "who".into(),
        date_col: "when".into(),
        amount_col: "paid".into(),
        ..read_opts(CsvReader::Auto)
    };
    let s = summary(&p, &read).unwrap();
    assert_eq!(
        (s.customer_id(0), s.frequency[0], s.recency[0]),
        ("u1", 1.0, 7.0)
    );
}

fn sample_table() -> Table {
    Table::new()
        .with_str(
            "customer_id",
            vec!["1".into(), "2".into(), "1".into(), "3".into()],
        )
        .with_str(
            "date",
            vec![
                "2024-01-01".into(),
                "2024-01-02".into(),
                "2024-01-11".into(),
                "2024-01-05".into(),
            ],
        )
        .with_f64("amount", vec![1.25, 2.5, 0.1 + 0.2, 7.0])
}

#[test]
fn written_tables_read_back_in_every_format() {
    let dir = tmp();
    let t = sample_table();
    let mut got = Vec::new();
    for (name, fmt) in [
        ("t.csv", OutputFormat::Csv),
        ("t.json", OutputFormat::Json),
        ("t.parquet", OutputFormat::Parquet),
    ] {
        let p = dir.path().join(name);
        write_table(&t, Some(&p), fmt).unwrap();
        let s = summary(&p, &read_opts(CsvReader::Auto)).unwrap();
        got.push(s);
    }
    assert_eq!(got[0], got[1]);
    assert_eq!(got[0], got[2]);
    assert_eq!(got[0].monetary_value[0], 0.1 + 0.2);
    // Only the temporary-free final files are left.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["t.csv", "t.json", "t.parquet"]);
    // New files get the usual permissions (not the temporary file's 0600).
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("t.csv"))
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(mode & 0o044, 0, "mode {mode:o}");
}

#[test]
fn ndjson_with_numbers_and_a_bad_line() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "n.ndjson",
        "{\"customer_id\": 5, \"date\": 20240101, \"amount\": 2}\n\n{\"customer_id\": 5, \"date\": 20240103, \"amount\": 3.5}\n",
    );
    // Numeric ids become text; integer dates are YYYYMMDD.
    let s = summary(&p, &read_opts(CsvReader::Auto)).unwrap();
    assert_eq!(
        (s.customer_id(0), s.frequency[0], s.recency[0]),
        ("5", 1.0, 2.0)
    );
    let p = write(
        dir.path(),
        "bad.json",
        "{\"customer_id\": \"a\", \"date\": \"2024-01-01\", \"amount\": 2}\n\n{\"customer_id\": \"b\", \"date\": \"nope\", \"amount\": 3}\n",
    );
    let msg = summary(&p, &read_opts(CsvReader::Auto))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("bad.json:3: column \"date\": cannot parse \"nope\""),
        "{msg}"
    );
}

#[test]
fn parquet_typed_columns() {
    use clv_data::datafusion::arrow::array::{
        Date32Array, Float32Array, Int64Array, RecordBatch, TimestampSecondArray,
    };
    use clv_data::datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit as ArrowUnit};
    use clv_data::datafusion::parquet::arrow::ArrowWriter;
    use std::sync::Arc;
    let dir = tmp();
    let d0 = clv_data::date::to_days(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    // Timestamps: 2024-01-03 23:00 UTC is 2024-01-04 in +02:00.
    let ts = (d0 as i64 + 2) * 86_400 + 23 * 3600;
    let cases: Vec<(
        &str,
        Arc<dyn clv_data::datafusion::arrow::array::Array>,
        DataType,
    )> = vec![
        (
            "date32",
            Arc::new(Date32Array::from(vec![d0, d0 + 3])),
            DataType::Date32,
        ),
        (
            "int",
            Arc::new(Int64Array::from(vec![20240101, 20240104])),
            DataType::Int64,
        ),
        (
            "tz",
            Arc::new(
                TimestampSecondArray::from(vec![d0 as i64 * 86_400, ts]).with_timezone("+02:00"),
            ),
            DataType::Timestamp(ArrowUnit::Second, Some("+02:00".into())),
        ),
    ];
    for (name, dates, dt) in cases {
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", DataType::Int64, false),
            Field::new("date", dt, false),
            Field::new("amount", DataType::Float32, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![42, 42])),
                dates,
                Arc::new(Float32Array::from(vec![1.5, 2.5])),
            ],
        )
        .unwrap();
        let p = dir.path().join(format!("{name}.parquet"));
        let f = std::fs::File::create(&p).unwrap();
        let mut w = ArrowWriter::try_new(f, schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let s = summary(&p, &read_opts(CsvReader::Auto)).unwrap();
        assert_eq!(s.customer_id(0), "42", "{name}");
        assert_eq!((s.frequency[0], s.recency[0]), (1.0, 3.0), "{name}");
        assert_eq!(s.monetary_value[0], 2.5, "{name}");
    }
}

#[test]
fn format_override_and_unknown_extension() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "data.dat",
        "customer_id,date,amount\n1,2024-01-01,1\n",
    );
    assert!(matches!(
        summary(&p, &read_opts(CsvReader::Auto)),
        Err(DataError::InvalidOptions(_))
    ));
    for reader in READERS {
        let read = ReadOptions {
            format: Some(InputFormat::Csv),
            ..read_opts(reader)
        };
        assert_eq!(summary(&p, &read).unwrap().len(), 1);
    }
}

#[test]
fn parquet_to_stdout_is_refused_and_failed_writes_leave_nothing() {
    let t = sample_table();
    let err = write_table(&t, None, OutputFormat::Parquet).unwrap_err();
    assert!(
        err.to_string()
            .contains("refusing to write Parquet to standard output")
    );
    let dir = tmp();
    let p = dir.path().join("out.csv");
    std::fs::write(&p, "old").unwrap();
    let bad = Table::new().with_f64("a", vec![1.0]).with_f64("b", vec![]);
    assert!(write_table(&bad, Some(&p), OutputFormat::Csv).is_err());
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert!(
        write_table(
            &t,
            Some(&dir.path().join("no/such/dir/x.csv")),
            OutputFormat::Csv
        )
        .is_err()
    );
}

#[test]
fn floats_round_trip_through_csv() {
    let dir = tmp();
    let vals = vec![0.1 + 0.2, 1.0 / 3.0, 1e-300, 123_456_789.123_456_78, 2.0];
    let t = Table::new().with_f64("v", vals.clone());
    let p = dir.path().join("f.csv");
    write_table(&t, Some(&p), OutputFormat::Csv).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let back: Vec<f64> = text.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    assert_eq!(back, vals);
    assert!(matches!(t.column("v"), Some(Column::F64(_))));
}

#[test]
fn both_readers_agree_on_a_messy_file() {
    let dir = tmp();
    let mut text = String::from("customer_id,date,amount,extra\n");
    for i in 0..30_000u64 {
        let c = (i * 2_654_435_761) % 4_001;
        let day = 1 + (i * 17) % 28;
        let month = 1 + (i * 7) % 12;
        let amount = match i % 50 {
            0 => "-3.5".to_string(),
            1 => "0".to_string(),
            _ => format!("{}.{:02}", i % 300, i % 100),
        };
        let id = if i % 11 == 0 {
            format!("\"c,{c}\"")
        } else {
            format!("c{c}")
        };
        let date = if i % 3 == 0 {
            format!("2023{month:02}{day:02}")
        } else {
            format!("2023-{month:02}-{day:02}T10:00:00Z")
        };
        text.push_str(&format!("{id},{date},{amount},\"x\ny\"\n"));
    }
    let p = write(dir.path(), "big.csv", &text);
    let opts = SummaryOptions {
        calibration_end: NaiveDate::from_ymd_opt(2023, 9, 1),
        convention: Convention::Period,
        ..Default::default()
    };
    let mut out = Vec::new();
    for reader in READERS {
        for threads in [1, 2, 3] {
            let read = ReadOptions {
                threads: Some(threads),
                ..read_opts(reader)
            };
            out.push(summarize_file(&p, &read, &opts).unwrap());
        }
    }
    for (s, r) in &out[1..] {
        assert_eq!(s, &out[0].0);
        assert_eq!(r.rows_read, out[0].1.rows_read);
        assert_eq!(r.rows_used, out[0].1.rows_used);
        assert_eq!(r.negative_rows, out[0].1.negative_rows);
    }
    assert_eq!(out[0].1.rows_read, 30_000);
    let s = &out[0].0;
    assert!((1..s.len()).all(|i| s.customer_id(i - 1) < s.customer_id(i)));
    assert_eq!(out[0].1.negative_rows, 600);
}

#[test]
fn long_ids_and_block_boundaries_in_the_streaming_pass() {
    // Quote-free file over several 1 MiB blocks, ids longer than 8 bytes,
    // a blank line, CRLF endings, an extra column.
    let dir = tmp();
    let mut text = String::from("customer_id,date,amount,note\r\n");
    for i in 0..120_000u64 {
        let c = (i * 2_654_435_761) % 9_973;
        let id = if c % 3 == 0 {
            format!("customer-{c:08}")
        } else {
            format!("{c}")
        };
        let day = 1 + (i * 13) % 28;
        text.push_str(&format!(
            "{id},2023-{:02}-{day:02},{}.5,n\r\n",
            1 + i % 12,
            i % 90
        ));
        if i == 50_000 {
            text.push_str("\r\n");
        }
    }
    let p = write(dir.path(), "long.csv", &text);
    let opts = SummaryOptions {
        calibration_end: NaiveDate::from_ymd_opt(2023, 6, 30),
        ..Default::default()
    };
    let mut out = Vec::new();
    for reader in READERS {
        for threads in [1, 2, 3] {
            let read = ReadOptions {
                threads: Some(threads),
                ..read_opts(reader)
            };
            out.push(summarize_file(&p, &read, &opts).unwrap());
        }
    }
    for (s, r) in &out[1..] {
        assert_eq!(s, &out[0].0);
        assert_eq!(r.rows_read, out[0].1.rows_read);
        assert_eq!(r.rows_used, out[0].1.rows_used);
    }
    assert_eq!(out[0].1.rows_read, 120_000);
    let ids: Vec<&str> = (0..out[0].0.len())
        .map(|i| out[0].0.customer_id(i))
        .collect();
    assert!(ids.iter().any(|id| id.starts_with("customer-")));
    // Not all ids are integers: byte order, strictly increasing.
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    // An error late in the file is located exactly.
    let mut bad = text.clone();
    bad.push_str("x,2023-01-01,oops,n\n");
    let p = write(dir.path(), "late.csv", &bad);
    for reader in READERS {
        let msg = summary(&p, &read_opts(reader)).unwrap_err().to_string();
        assert!(
            msg.ends_with(&format!(
                "late.csv:{}: column \"amount\": cannot parse \"oops\" as a number",
                120_000 + 3
            )),
            "{msg}"
        );
    }
}
