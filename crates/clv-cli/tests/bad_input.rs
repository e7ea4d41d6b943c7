//! Bad inputs as a new user makes them: each gives a clear error naming the
//! file, line and column, exit code 2, and no output file.

mod common;

use common::*;

/// Writes `content` to `input.csv` in a scratch dir, runs `clv ARGS... --output out.csv`
/// on it, and checks exit code 2, that stderr contains every `needle`, and
/// that no output (not even a temporary file) is left behind.
fn rejects(name: &str, content: &str, extra: &[&str], needles: &[&str]) {
    let dir = scratch(name);
    let input = dir.join("input.csv");
    std::fs::write(&input, content).unwrap();
    let output = dir.join("out.csv");
    for verb in ["summarize", "predict"] {
        let mut args = vec![verb, input.to_str().unwrap()];
        if verb == "predict" {
            args.extend(["--model", "bg-nbd", "--horizon", "12 months"]);
        }
        args.extend(extra);
        args.extend(["--output", output.to_str().unwrap()]);
        let out = clv(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{verb} {name}: exit code, stderr:\n{stderr}"
        );
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{verb} {name}: {needle:?} not in stderr:\n{stderr}"
            );
        }
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f != "input.csv")
            .collect();
        assert!(left.is_empty(), "{verb} {name}: left {left:?}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_column() {
    rejects(
        "missing-column",
        "customer,date,amount\n1,2024-01-01,10\n",
        &[],
        &["input.csv", "customer_id", "customer"],
    );
}

#[test]
fn bad_date() {
    rejects(
        "bad-date",
        "customer_id,date,amount\n1,2024-01-01,10\n1,2024-13-45,12\n",
        &[],
        &["input.csv:3", "date", "2024-13-45"],
    );
}

#[test]
fn text_in_the_amount_column() {
    rejects(
        "text-amount",
        "customer_id,date,amount\n1,2024-01-01,10\n2,2024-01-02,ten\n",
        &[],
        &["input.csv:3", "amount", "ten"],
    );
}

#[test]
fn empty_file() {
    rejects("empty", "", &[], &["input.csv", "empty"]);
    rejects(
        "header-only",
        "customer_id,date,amount\n",
        &[],
        &["input.csv"],
    );
}

#[test]
fn a_purchase_in_the_future() {
    rejects(
        "future",
        "customer_id,date,amount\n1,2024-01-01,10\n1,2099-01-01,10\n",
        &[],
        &["input.csv:3", "2099-01-01", "future"],
    );
}

#[test]
fn skip_invalid_counts_and_continues() {
    let dir = scratch("skip-invalid");
    let input = dir.join("input.csv");
    std::fs::write(
        &input,
        "customer_id,date,amount\n1,2024-01-01,10\n1,2024-02-01,ten\n1,2024-03-01,12\n",
    )
    .unwrap();
    let out = clv(&[
        "summarize",
        input.to_str().unwrap(),
        "--skip-invalid",
        "--time-unit",
        "day",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = Csv::parse(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(csv.f64s("frequency"), vec![1.0]);
    assert_eq!(csv.f64s("recency"), vec![60.0]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains('3'),
        "the skipped line is reported:\n{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    let sample = data("cdnow_sample.csv");
    let s = sample.to_str().unwrap();
    for args in [
        vec![
            "predict",
            s,
            "--model",
            "bg-nbd",
            "--horizon",
            "12 fortnights",
        ],
        vec!["predict", s, "--horizon", "12 months"],
        vec!["fit", s],
        vec!["summarize", s, "--time-unit", "decade"],
        vec!["summarize", s, "--calibration-end", "1997-31-12"],
        vec![
            "simulate",
            "--customers",
            "10",
            "--start",
            "2024-01-01",
            "--days",
            "10",
            "--params",
            "r=1,alpha=2",
        ],
    ] {
        let out = clv(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_model_file_that_is_not_one() {
    let dir = scratch("bad-model");
    let model = dir.join("model.json");
    std::fs::write(&model, "{\"model\": \"bg-nbd\"}").unwrap();
    let s = data("cdnow_sample.csv");
    fails_with(
        &[
            "predict",
            s.to_str().unwrap(),
            "--model-file",
            model.to_str().unwrap(),
            "--horizon",
            "1 year",
        ],
        "model.json",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn huge_amounts_are_a_row_error_not_infinite_revenue() {
    rejects(
        "huge-amount",
        "customer_id,date,amount\n1,2024-01-01,10\n1,2024-01-05,1e308\n",
        &[],
        &["input.csv:3", "amount", "1e308", "too large"],
    );
}

#[test]
fn ambiguous_dates_name_both_date_formats() {
    rejects(
        "ambiguous-dates",
        "customer_id,date,amount\n1,01/02/2024,10\n1,03/04/2024,12\n",
        &[],
        &[
            "input.csv",
            "--date-format \"%d/%m/%Y\"",
            "--date-format \"%m/%d/%Y\"",
        ],
    );
}

#[test]
fn a_header_on_another_delimiter_suggests_delimiter() {
    rejects(
        "wrong-delimiter",
        "customer_id;date;amount\n1;2024-01-01;10\n",
        &["--delimiter", ","],
        &["input.csv", "customer_id", "--delimiter \";\""],
    );
}

/// Runs `clv summarize` on `content` and returns (stdout, stderr).
fn summarize_text(name: &str, content: &str, extra: &[&str]) -> (String, String) {
    let dir = scratch(name);
    let input = dir.join("input.csv");
    std::fs::write(&input, content).unwrap();
    let mut args = vec!["summarize", input.to_str().unwrap(), "--time-unit", "day"];
    args.extend(extra);
    let out = clv(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{name}: {stderr}");
    std::fs::remove_dir_all(dir).unwrap();
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

#[test]
fn semicolon_files_are_read_without_a_delimiter_flag() {
    let (out, err) = summarize_text(
        "sniff-semicolon",
        "customer_id;date;amount\n1;2024-01-01;10\n1;2024-01-11;20\n",
        &[],
    );
    let csv = Csv::parse(&out);
    assert_eq!(csv.f64s("frequency"), vec![1.0]);
    assert!(err.contains("delimiter \";\""), "{err}");
}

#[test]
fn a_day_above_twelve_settles_day_first_dates_and_says_so() {
    let (out, err) = summarize_text(
        "day-first",
        "customer_id,date,amount\n1,02/01/2024,10\n1,13/01/2024,20\n",
        &[],
    );
    assert_eq!(Csv::parse(&out).f64s("recency"), vec![11.0]);
    assert!(err.contains("%d/%m/%Y"), "{err}");
}

#[test]
fn currency_symbols_and_thousands_separators_are_read_and_counted() {
    let (out, err) = summarize_text(
        "currency",
        "customer_id,date,amount\n1,2024-01-01,$5\n1,2024-01-02,\"$1,234.50\"\n",
        &[],
    );
    assert_eq!(Csv::parse(&out).f64s("monetary_value"), vec![1234.5]);
    assert!(
        err.contains("read 2 amounts after stripping a currency"),
        "{err}"
    );
    assert!(
        err.contains("read 1 amounts after removing thousands"),
        "{err}"
    );
}

#[test]
fn decimal_comma_reads_european_amounts() {
    let content = "customer_id;date;amount\n1;01.02.2024;5\n1;05.02.2024;1.234,50 EUR\n";
    let (out, _) = summarize_text("decimal-comma", content, &["--decimal-comma"]);
    assert_eq!(Csv::parse(&out).f64s("monetary_value"), vec![1234.5]);
    // Detected without the flag: "1.234,50" can only be a decimal comma.
    let (out, err) = summarize_text("decimal-comma-detected", content, &[]);
    assert_eq!(Csv::parse(&out).f64s("monetary_value"), vec![1234.5]);
    assert!(err.contains("decimal comma"), "{err}");
}

#[test]
fn skip_invalid_drops_the_row_not_the_customer() {
    let (out, err) = summarize_text(
        "skip-row",
        "customer_id,date,amount\n1,2024-01-01,10\n1,2024-01-05,ten\n1,2024-01-11,20\n2,2024-01-02,5\n",
        &["--skip-invalid"],
    );
    let csv = Csv::parse(&out);
    assert_eq!(csv.f64s("frequency"), vec![1.0, 0.0]);
    assert!(err.contains("skipped 1 malformed rows"), "{err}");
    assert!(err.contains("input.csv:3"), "{err}");
}

#[test]
fn an_output_equal_to_an_input_is_refused_before_reading() {
    let dir = scratch("output-is-input");
    let input = dir.join("input.csv");
    // Unreadable as transactions: the refusal must come first.
    std::fs::write(&input, "not,a,log\n").unwrap();
    let same = dir.join(".").join("input.csv");
    fails_with(
        &[
            "summarize",
            input.to_str().unwrap(),
            "-o",
            same.to_str().unwrap(),
        ],
        "refusing to overwrite an input",
    );
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "not,a,log\n");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_output_directory_is_named_by_the_users_path_and_leaves_nothing() {
    let dir = scratch("missing-outdir");
    let e = dir.join("e.json");
    let heat = dir.join("nodir").join("h.svg");
    let tx = std::path::PathBuf::from(fixture("econ_transactions.csv"));
    let out = clv(&[
        "economics",
        tx.to_str().unwrap(),
        "-o",
        e.to_str().unwrap(),
        "--heatmap",
        heat.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("nodir") && !stderr.contains(".tmp"),
        "{stderr}"
    );
    assert!(!e.exists(), "e.json must not be written");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn economics_outputs_appear_as_a_set_or_not_at_all() {
    let dir = scratch("output-set");
    let e = dir.join("e.json");
    let heat = dir.join("h.svg");
    let per = dir.join("per.csv");
    let tx = std::path::PathBuf::from(fixture("econ_transactions.csv"));
    // A chart whose directory is missing: the run stops before reading, and
    // none of the other outputs appears.
    let bad = dir.join("nodir").join("c.svg");
    let out = clv(&[
        "economics",
        tx.to_str().unwrap(),
        "-o",
        e.to_str().unwrap(),
        "--heatmap",
        heat.to_str().unwrap(),
        "--per-customer",
        per.to_str().unwrap(),
        "--payback-chart",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!e.exists() && !heat.exists() && !per.exists());
    // All paths good: every output is there.
    let chart = dir.join("c.svg");
    clv_ok(&[
        "economics",
        tx.to_str().unwrap(),
        "-o",
        e.to_str().unwrap(),
        "--heatmap",
        heat.to_str().unwrap(),
        "--per-customer",
        per.to_str().unwrap(),
        "--channel-chart",
        chart.to_str().unwrap(),
        "-q",
    ]);
    assert!(e.exists() && heat.exists() && per.exists() && chart.exists());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn economics_output_format_follows_the_extension() {
    let dir = scratch("econ-ext");
    let e = dir.join("e.json");
    let tx = std::path::PathBuf::from(fixture("econ_transactions.csv"));
    clv_ok(&["economics", tx.to_str().unwrap(), "-o", e.to_str().unwrap()]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&e).unwrap()).expect("JSON by extension");
    assert!(v.is_object());
    // An explicit --format wins, with a note.
    let out = clv(&[
        "economics",
        tx.to_str().unwrap(),
        "-o",
        e.to_str().unwrap(),
        "--format",
        "table",
    ]);
    assert!(out.status.success());
    assert!(
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&e).unwrap()).is_err()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("as --format asks"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_directory_as_input_says_is_a_directory() {
    let dir = scratch("dir-input");
    let d = dir.join("orders.csv");
    std::fs::create_dir_all(&d).unwrap();
    fails_with(&["summarize", d.to_str().unwrap()], "is a directory");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    let dir = scratch("closed-pipe");
    let log = dir.join("log.csv");
    clv_ok(&[
        "simulate",
        "--customers",
        "20000",
        "--start",
        "2020-01-01",
        "--days",
        "300",
        "--params",
        "r=0.243,alpha=4.414,a=0.793,b=2.426",
        "-o",
        log.to_str().unwrap(),
    ]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(["summarize", log.to_str().unwrap(), "-q"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe like `head -1`.
    {
        use std::io::BufRead;
        let mut r = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_bad_input_exits_2() {
    let dir = scratch("all-bad-inputs");
    for (i, content) in [
        "",
        "customer_id,date,amount\n1,2024-13-45,1\n",
        "customer_id,date,amount\n1,2024-01-01,ten\n",
        "customer_id,date,amount\n1,2024-01-01,1e300\n",
        "customer_id,date,amount\n1,01/02/2024,1\n",
        "customer_id,date,amount\n1,2024-01-01,\"1,234.50\"\n1,2024-01-02,\"1.234,50\"\n",
        "id;date;amount\n1;2024-01-01;1\n",
        "customer_id,date,amount\n,2024-01-01,1\n",
        "customer_id,date,amount\n1,2099-01-01,1\n",
    ]
    .iter()
    .enumerate()
    {
        let f = dir.join(format!("bad{i}.csv"));
        std::fs::write(&f, content).unwrap();
        let out = clv(&["summarize", f.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{content:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gamma_gamma_with_q_at_most_one_is_a_usage_error_not_a_bug() {
    // A penalty pulls CDNOW's Gamma-Gamma q to 0.97: the expected spend of a
    // customer without repeat purchases is then infinite. Exit 2 and say
    // what to change, not exit 1 with "numerical failure".
    let out = clv(&[
        "predict",
        &common::sample(),
        "--calibration-end",
        "1997-09-30",
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--penalty",
        "0.01",
        "--horizon",
        "12 months",
        "-q",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("q = 0.96") && stderr.contains("--penalty"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
