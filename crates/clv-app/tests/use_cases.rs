//! The use cases called the way a second front end (a server, a notebook)
//! calls them: settings in, values out, nothing printed.

use clv_app::Error;
use clv_app::fit::FitOutput;
use clv_app::progress::{Recorder, Silent};
use clv_app::settings::{
    DataSettings, EconomicsFormat, EconomicsSettings, FitSettings, ModelChoice, PredictSettings,
    SpendModel, ValidateSettings,
};

fn cdnow() -> DataSettings {
    let mut d = DataSettings::for_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/cdnow_sample.csv"
    ));
    d.calibration_end = clv_data::NaiveDate::from_ymd_opt(1997, 9, 30);
    d
}

#[test]
fn fit_then_predict_from_the_model_file_equals_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let mut fit = FitSettings {
        data: cdnow(),
        ..Default::default()
    };
    fit.model.model = Some(ModelChoice::Purchase("bg-nbd".parse().unwrap()));
    fit.model.spend = Some(SpendModel::GammaGamma);
    let recorder = Recorder::default();
    let FitOutput::Model(file) = clv_app::fit::fit(&fit, &recorder).unwrap() else {
        panic!("bg-nbd gives a model file");
    };
    // The data report and the stages went to the progress receiver.
    let lines = recorder.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("done: read and summarised"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("done: fitted bg-nbd on 2357 customers"))
    );
    let r = file.purchase.params["r"].as_f64().unwrap();
    assert!((r - 0.2426).abs() < 1e-3, "r = {r}");
    let path = dir.path().join("model.json");
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();

    let mut from_file = PredictSettings::new(cdnow(), "12 months".parse().unwrap());
    from_file.model_file = Some(path);
    let a = clv_app::predict::predict(&from_file, &Silent).unwrap();
    let mut one_pass = PredictSettings::new(cdnow(), "12 months".parse().unwrap());
    one_pass.model = fit.model;
    let b = clv_app::predict::predict(&one_pass, &Silent).unwrap();
    assert_eq!(a.predictions.clv.len(), 2357);
    for (x, y) in a.predictions.clv.iter().zip(&b.predictions.clv) {
        assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0), "{x} vs {y}");
    }
    let table = b.into_table();
    assert_eq!(table.num_rows(), 2357);
}

#[test]
fn mistakes_are_user_errors_and_say_what_to_do() {
    // No model named.
    let e = clv_app::fit::fit(
        &FitSettings {
            data: cdnow(),
            ..Default::default()
        },
        &Silent,
    )
    .unwrap_err();
    assert!(e.is_user_error());
    assert!(
        e.to_string()
            .starts_with("--model is required (one of: bg-nbd, ")
    );
    // A missing file names the file.
    let mut data = cdnow();
    data.transactions = Some("no/such/orders.csv".into());
    let e = clv_app::load::summarize(&data, &Silent).unwrap_err();
    assert!(matches!(e, Error::Data(_)), "{e:?}");
    assert!(e.is_user_error());
    assert!(e.to_string().contains("no/such/orders.csv"));
    // Validation needs a calibration end.
    let mut v = ValidateSettings {
        data: cdnow(),
        ..Default::default()
    };
    v.data.calibration_end = None;
    let Err(e) = clv_app::validate::validate(&v, &Silent) else {
        panic!("validation without a calibration end");
    };
    assert!(e.is_user_error());
    assert!(e.to_string().contains("--calibration-end"));
}

#[test]
fn economics_returns_the_report_in_the_format_asked_for() {
    let mut s = EconomicsSettings::new(DataSettings::for_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/cdnow_sample.csv"
    )));
    s.margin = 0.3;
    s.format = EconomicsFormat::Json;
    let text = clv_app::economics::economics(&s, &Silent).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["formula_ltv"].is_object(), "{v}");
    s.format = EconomicsFormat::Csv;
    let csv = clv_app::economics::economics(&s, &Silent).unwrap();
    assert!(csv.starts_with("section,channel,cohort,month,metric,value\n"));
}

#[test]
fn validation_fits_every_continuous_model_by_default() {
    let mut data = cdnow();
    data.observation_end = clv_data::NaiveDate::from_ymd_opt(1998, 6, 30);
    let v = clv_app::validate::validate(
        &ValidateSettings {
            data,
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    let names: Vec<&str> = v.report.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(names, ["bg-nbd", "pareto-nbd", "mbg-nbd"]);
    let json = clv_app::validate::json(&v).unwrap();
    assert_eq!(json["data"]["calibration_end"], "1997-09-30");
}
