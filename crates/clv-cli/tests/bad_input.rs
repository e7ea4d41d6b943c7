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
