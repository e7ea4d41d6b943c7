//! Fit diagnostics through the binary: a model the data do not carry is
//! marked `"identified": false` with its reasons, and `predict` and
//! `economics` refuse it (exit 2) unless `--allow-unidentified`.

mod common;

use common::*;
use serde_json::Value;

fn fit_tiny(dir: &std::path::Path) -> (String, Value, String) {
    let tiny = fixture("tiny_four_customers.csv");
    let model = dir.join("model.json").display().to_string();
    let out = clv(&[
        "fit",
        &tiny,
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--output",
        &model,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    (model, json, stderr)
}

#[test]
fn four_customers_give_an_unidentified_model_file_with_reasons_in_words() {
    let dir = scratch("ident-tiny");
    let (_, m, stderr) = fit_tiny(&dir);
    assert_eq!(m["identified"], Value::Bool(false));
    let warnings = m["warnings"].as_array().unwrap();
    let codes: Vec<&str> = warnings
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"too-few-customers"), "{codes:?}");
    assert!(codes.contains(&"too-few-repeat-buyers"), "{codes:?}");
    assert!(codes.contains(&"short-window"), "{codes:?}");
    assert!(
        warnings
            .iter()
            .all(|w| !w["message"].as_str().unwrap().is_empty())
    );
    // The spend model has its own reasons.
    assert!(warnings.iter().any(|w| w["model"] == "gamma-gamma"));
    // Printed on stderr, with no NaN or inf.
    assert!(
        stderr.contains("warning: bg-nbd: too few customers"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-unidentified"), "{stderr}");
    assert!(
        !stderr.contains("NaN") && !stderr.contains("inf "),
        "{stderr}"
    );
    // The counts agree: 4 customers, 3 repeat buyers, Gamma-Gamma on 3.
    assert!(stderr.contains("4 customers"), "{stderr}");
    assert!(
        stderr.contains("fitted bg-nbd on 4 customers (3 repeat buyers)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fitted Gamma-Gamma on 3 repeat buyers"),
        "{stderr}"
    );
    assert!(stderr.contains("fitted on 3 repeat buyers"), "{stderr}");
}

#[test]
fn predict_and_economics_refuse_an_unidentified_model_unless_allowed() {
    let dir = scratch("ident-refuse");
    let (model, _, _) = fit_tiny(&dir);
    let tiny = fixture("tiny_four_customers.csv");
    let predict = [
        "predict",
        &tiny,
        "--model-file",
        &model,
        "--horizon",
        "12 weeks",
    ];
    fails_with(&predict, "is not identified");
    fails_with(&predict, "--allow-unidentified");
    fails_with(&predict, "too few customers");
    let mut allowed = predict.to_vec();
    allowed.push("--allow-unidentified");
    let out = clv(&allowed);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: bg-nbd: too few customers"),
        "{stderr}"
    );
    // Fitting in the same run follows the same rule.
    fails_with(
        &[
            "predict",
            &tiny,
            "--model",
            "bg-nbd",
            "--horizon",
            "12 weeks",
        ],
        "the model fitted here is not identified",
    );
    let economics = [
        "economics",
        &tiny,
        "--model-file",
        &model,
        "--format",
        "json",
    ];
    fails_with(&economics, "is not identified");
    let mut allowed = economics.to_vec();
    allowed.push("--allow-unidentified");
    clv_ok(&allowed);
}

#[test]
fn a_model_file_without_the_verdict_is_judged_again_when_read() {
    let dir = scratch("ident-old");
    // An old file of the degenerate fit: refused all the same.
    let (model, mut m, _) = fit_tiny(&dir);
    let o = m.as_object_mut().unwrap();
    o.remove("identified");
    o.remove("warnings");
    std::fs::write(&model, serde_json::to_string(&m).unwrap()).unwrap();
    let tiny = fixture("tiny_four_customers.csv");
    fails_with(
        &[
            "predict",
            &tiny,
            "--model-file",
            &model,
            "--horizon",
            "12 weeks",
        ],
        "too few customers",
    );
    // An old file of a healthy fit (CDNOW) still works.
    let good = dir.join("good.json").display().to_string();
    clv_ok(&[
        "-q",
        "fit",
        &sample(),
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--output",
        &good,
    ]);
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    assert_eq!(m["identified"], Value::Bool(true));
    let o = m.as_object_mut().unwrap();
    o.remove("identified");
    o.remove("warnings");
    std::fs::write(&good, serde_json::to_string(&m).unwrap()).unwrap();
    let out = clv_ok(&[
        "-q",
        "predict",
        &sample(),
        "--model-file",
        &good,
        "--horizon",
        "12 weeks",
    ]);
    assert_eq!(out.lines().count(), 2358);
}

#[test]
fn gamma_gamma_on_astronomical_amounts_is_a_usage_error_not_nan() {
    let dir = scratch("ident-huge");
    let input = dir.join("tx.csv");
    let mut text = String::from("customer_id,date,amount\n");
    for i in 0..60 {
        text += &format!("c{i},2020-01-{:02},{}e200\n", 1 + i % 28, 3 + i % 7);
        text += &format!("c{i},2020-0{}-15,{}e200\n", 2 + i % 7, 4 + i % 5);
    }
    std::fs::write(&input, text).unwrap();
    let out = clv(&[
        "fit",
        input.to_str().unwrap(),
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--output",
        dir.join("m.json").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // The reader refuses amounts above 1e15 with a row error before any fit
    // (a Gamma-Gamma fit on such amounts would overflow).
    assert!(
        stderr.contains("tx.csv:2") && stderr.contains("too large"),
        "{stderr}"
    );
    // No number printed as NaN or inf ("infinite" in the message is a word).
    assert!(
        !stderr
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "NaN" || w == "inf"),
        "{stderr}"
    );
    assert!(!dir.join("m.json").exists());
}
