//! The native part of the Python package `clv` (`clv._clv`): a thin front end
//! over the application layer, as the CLI is (see `crates/clv-cli`).
//!
//! The Python package (`python/clv`) turns keyword arguments into the dict
//! of settings read here, hands data frames over as Arrow streams
//! (`__arrow_c_stream__`) and wraps the Arrow tables that come back into the
//! kind of frame the user gave. Heavy work runs with the GIL released;
//! errors (and panics, which should not happen) become `clv.ClvError`.
//!
//! Two groups of functions:
//!
//! - the use cases (`summarize`, `fit`, `predict`, `validate`,
//!   `economics`, `segment`, `actions`), on settings built exactly as the
//!   CLI builds them from its flags;
//! - numeric kernels for `clv.lifetimes`: fits and predictions of one
//!   registry model on `(x, t_x, T)` arrays (passed as float64 bytes), all
//!   through `clv_core`'s one MLE driver and model registry.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use arrow_array::ffi_stream::ArrowArrayStreamReader;
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use clv_app::progress::Silent;
use clv_app::settings::{
    ActionsSettings, DataSettings, EconomicsFormat, EconomicsSettings, FitSettings,
    InfluenceSettings, ModelChoice, PredictSettings, SpendModel, TableSource, ValidateSettings,
};
use clv_core::models::{FitOptions, ModelKind};
use clv_core::{Customer, CustomerData, Horizon, TimeUnit};
use clv_data::datafusion::arrow::record_batch::RecordBatch;
use clv_data::{BatchSource, Convention, NaiveDate, ZeroAmounts};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

create_exception!(
    _clv,
    ClvError,
    PyValueError,
    "Bad input or a failed computation in clv (a malformed value, a missing column, a model that cannot be fitted). The message names the file (or table), the line (or row) and the column where the input is at fault."
);

/// An application-layer error as one line, with its causes (as the CLI
/// prints it).
fn message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cause = c.source();
    }
    s
}

fn err(e: impl std::error::Error + 'static) -> PyErr {
    ClvError::new_err(message(&e))
}

fn usage(msg: impl Into<String>) -> PyErr {
    ClvError::new_err(msg.into())
}

/// Runs `f` with the GIL released, turning a panic into a `ClvError`
/// instead of letting it cross into Python.
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
    py.detach(|| {
        catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(ClvError::new_err(format!(
                "internal error in clv (please report it): {what}"
            )))
        })
    })
}

// ---------------------------------------------------------------- settings

fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<T>> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => Ok(Some(v.extract::<T>().map_err(|e| {
            let e: PyErr = e.into();
            usage(format!("{key}: {e}"))
        })?)),
        _ => Ok(None),
    }
}

fn date(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<NaiveDate>> {
    get::<String>(d, key)?
        .map(|s| {
            clv_data::date::parse_iso_or_compact(s.as_bytes())
                .map(clv_data::date::from_days)
                .ok_or_else(|| usage(format!("{key}: not a date (YYYY-MM-DD): {s:?}")))
        })
        .transpose()
}

fn time_unit(s: &str) -> PyResult<TimeUnit> {
    s.parse::<TimeUnit>()
        .map_err(|e| usage(format!("time_unit: {e}")))
}

/// The data settings from the Python side's dict, with the transactions
/// from `data`: a path, or an Arrow stream (read here, while the GIL is
/// held).
fn data_settings(data: &Bound<'_, PyAny>, d: &Bound<'_, PyDict>) -> PyResult<DataSettings> {
    let mut s = DataSettings::default();
    if !data.is_none() {
        if let Ok(path) = data.extract::<PathBuf>() {
            s.transactions = Some(path);
        } else {
            let name = get::<String>(d, "name")?.unwrap_or_else(|| "<data frame>".into());
            s.table = Some(TableSource::new(BatchSource::new(name, read_stream(data)?)));
        }
    }
    if let Some(v) = get::<String>(d, "customer_col")? {
        s.customer_col = v;
    }
    if let Some(v) = get::<String>(d, "date_col")? {
        s.date_col = v;
    }
    if let Some(v) = get::<String>(d, "amount_col")? {
        s.amount_col = v;
    }
    s.date_format = get(d, "date_format")?;
    s.time_unit = get::<String>(d, "time_unit")?
        .map(|u| time_unit(&u))
        .transpose()?;
    if let Some(c) = get::<String>(d, "convention")? {
        s.convention = match c.as_str() {
            "exact" => Convention::Exact,
            "period" => Convention::Period,
            _ => {
                return Err(usage(format!(
                    "convention: expected exact or period, got {c:?}"
                )));
            }
        };
    }
    s.calibration_end = date(d, "calibration_end")?;
    s.observation_end = date(d, "observation_end")?;
    if let Some(z) = get::<String>(d, "zero_amounts")? {
        s.zero_amounts = match z.as_str() {
            "keep" => ZeroAmounts::Keep,
            "drop" => ZeroAmounts::Drop,
            _ => {
                return Err(usage(format!(
                    "zero_amounts: expected keep or drop, got {z:?}"
                )));
            }
        };
    }
    s.skip_invalid = get(d, "skip_invalid")?.unwrap_or(false);
    s.decimal_comma = get(d, "decimal_comma")?.unwrap_or(false);
    s.delimiter = match get::<String>(d, "delimiter")? {
        None => None,
        Some(x) if x.len() == 1 => Some(x.as_bytes()[0]),
        Some(x) => return Err(usage(format!("delimiter must be one character, got {x:?}"))),
    };
    Ok(s)
}

/// Every batch of an object with `__arrow_c_stream__` (or a pyarrow
/// table or reader).
fn read_stream(data: &Bound<'_, PyAny>) -> PyResult<Vec<RecordBatch>> {
    let reader = ArrowArrayStreamReader::from_pyarrow_bound(data).map_err(|e| {
        usage(format!(
            "expected a path, or a table with the Arrow PyCapsule interface (__arrow_c_stream__: pyarrow, polars, pandas through pyarrow): {e}"
        ))
    })?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(format!("reading the Arrow stream: {e}")))
}

fn horizon(d: &Bound<'_, PyDict>, default: &str) -> PyResult<Horizon> {
    get::<String>(d, "horizon")?
        .unwrap_or_else(|| default.to_string())
        .parse::<Horizon>()
        .map_err(|e| usage(format!("horizon: {e}")))
}

fn model_choice(name: &str) -> PyResult<ModelChoice> {
    name.parse::<ModelChoice>().map_err(err)
}

fn spend_model(name: Option<String>) -> PyResult<Option<SpendModel>> {
    name.map(|n| {
        SpendModel::from_name(&n).ok_or_else(|| {
            usage(format!(
                "unknown spend model {n:?} (expected one of {})",
                SpendModel::ALL
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    })
    .transpose()
}

/// A model file held by the Python `Model`, written where the use cases
/// that read a `--model-file` find it.
struct ModelOnDisk {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn model_on_disk(json: &str) -> PyResult<ModelOnDisk> {
    let dir = tempfile::tempdir().map_err(err)?;
    let path = dir.path().join("model.json");
    std::fs::write(&path, json).map_err(err)?;
    Ok(ModelOnDisk { _dir: dir, path })
}

fn to_pyarrow(py: Python<'_>, table: &clv_data::Table) -> PyResult<Py<PyAny>> {
    let batch = table.to_record_batch().map_err(err)?;
    Ok(batch.to_pyarrow(py)?.unbind())
}

// ---------------------------------------------------------------- use cases

/// The per-customer summary of the transactions (`clv summarize`), as a
/// pyarrow RecordBatch.
#[pyfunction]
fn summarize(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    settings: &Bound<'_, PyDict>,
) -> PyResult<Py<PyAny>> {
    let s = data_settings(data, settings)?;
    let summary = run(py, || clv_app::load::summarize(&s, &Silent).map_err(err))?;
    to_pyarrow(py, &summary.to_table())
}

/// Fits a purchase model (and spend model): the model file's JSON.
#[pyfunction]
fn fit(py: Python<'_>, data: &Bound<'_, PyAny>, settings: &Bound<'_, PyDict>) -> PyResult<String> {
    let mut s = FitSettings {
        data: data_settings(data, settings)?,
        ..Default::default()
    };
    s.tables.summary = get(settings, "summary_file")?;
    let model: String = get(settings, "model")?.unwrap_or_else(|| "bg-nbd".into());
    s.model.model = Some(model_choice(&model)?);
    if s.model.model == Some(ModelChoice::Sbg) {
        return Err(usage(
            "model='sbg' fits subscriptions: use the CLI (clv fit --model sbg)",
        ));
    }
    s.model.spend = spend_model(get(settings, "spend")?)?;
    s.model.penalty = get(settings, "penalty")?.unwrap_or(0.0);
    s.model.check_penalty().map_err(err)?;
    run(py, || {
        clv_app::fit::fit(&s, &Silent)
            .and_then(|o| o.to_json())
            .map_err(err)
    })
}

/// Checks a model file's JSON (as `clv predict --model-file` reads it) and
/// returns it normalised.
#[pyfunction]
fn check_model(json: &str) -> PyResult<String> {
    let file: clv_app::model_file::ModelFile =
        serde_json::from_str(json).map_err(|e| usage(format!("not a clv model file: {e}")))?;
    clv_app::fitting::Fitted::from_file(&file).map_err(err)?;
    serde_json::to_string_pretty(&file).map_err(err)
}

/// Predicts every customer (`clv predict`) from a model file's JSON.
#[pyfunction]
fn predict(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    model: &str,
    settings: &Bound<'_, PyDict>,
) -> PyResult<Py<PyAny>> {
    let disk = model_on_disk(model)?;
    let mut s = PredictSettings::new(
        data_settings(data, settings)?,
        horizon(settings, "12 months")?,
    );
    s.model_file = Some(disk.path.clone());
    s.tables.summary = get(settings, "summary_file")?;
    if let Some(v) = get(settings, "discount_rate")? {
        s.discount_rate = v;
    }
    if let Some(v) = get(settings, "margin")? {
        s.margin = v;
    }
    s.intervals = get(settings, "intervals")?;
    s.bootstrap = get(settings, "bootstrap")?;
    if let Some(v) = get(settings, "draws")? {
        s.draws = v;
    }
    if let Some(v) = get(settings, "seed")? {
        s.seed = v;
    }
    s.allow_unidentified = get(settings, "allow_unidentified")?.unwrap_or(false);
    let table = run(py, || {
        clv_app::predict::predict(&s, &Silent)
            .map(|p| p.into_table())
            .map_err(err)
    })?;
    to_pyarrow(py, &table)
}

/// Validates models on the holdout (`clv validate --format json`): the JSON
/// report.
#[pyfunction]
fn validate(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    settings: &Bound<'_, PyDict>,
) -> PyResult<String> {
    let mut s = ValidateSettings {
        data: data_settings(data, settings)?,
        ..Default::default()
    };
    if let Some(models) = get::<Vec<String>>(settings, "models")? {
        s.models = models
            .iter()
            .map(|m| m.parse::<ModelKind>().map_err(err))
            .collect::<PyResult<_>>()?;
    }
    s.penalty = get(settings, "penalty")?.unwrap_or(0.0);
    s.charts = get(settings, "charts")?;
    run(py, || {
        let v = clv_app::validate::validate(&s, &Silent).map_err(err)?;
        let json = clv_app::validate::json(&v).map_err(err)?;
        serde_json::to_string(&json).map_err(err)
    })
}

/// Unit economics (`clv economics --format json`): the JSON report.
#[pyfunction]
#[pyo3(signature = (data, model, settings))]
fn economics(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    model: Option<&str>,
    settings: &Bound<'_, PyDict>,
) -> PyResult<String> {
    let disk = model.map(model_on_disk).transpose()?;
    let mut s = EconomicsSettings::new(data_settings(data, settings)?);
    s.format = EconomicsFormat::Json;
    s.model_file = disk.as_ref().map(|d| d.path.clone());
    s.customers = get(settings, "customers")?;
    s.spend = get(settings, "spend")?;
    if let Some(v) = get(settings, "margin")? {
        s.margin = v;
    }
    if let Some(v) = get(settings, "cost_to_serve")? {
        s.cost_to_serve = v;
    }
    if settings.contains("horizon")? {
        s.horizon = horizon(settings, "36 months")?;
    }
    if let Some(v) = get(settings, "discount_rate")? {
        s.discount_rate = v;
    }
    if let Some(v) = get(settings, "resamples")? {
        s.resamples = v;
    }
    if let Some(v) = get(settings, "seed")? {
        s.seed = v;
    }
    s.cost_col = get(settings, "cost_col")?;
    s.segment = get(settings, "segment")?;
    s.allow_unidentified = get(settings, "allow_unidentified")?.unwrap_or(false);
    run(py, || {
        clv_app::economics::economics(&s, &Silent).map_err(err)
    })
}

fn influence_settings(
    data: &Bound<'_, PyAny>,
    model: &ModelOnDisk,
    settings: &Bound<'_, PyDict>,
) -> PyResult<InfluenceSettings> {
    let mut s = InfluenceSettings::new(data_settings(data, settings)?);
    s.model_file = Some(model.path.clone());
    if settings.contains("horizon")? {
        s.horizon = horizon(settings, "12 months")?;
    }
    if let Some(v) = get(settings, "discount_rate")? {
        s.discount_rate = v;
    }
    if let Some(v) = get(settings, "margin")? {
        s.margin = v;
    }
    s.customers = get(settings, "customers")?;
    s.spend = get(settings, "spend")?;
    s.events = get(settings, "events")?;
    s.segment_map = get(settings, "segment_map")?;
    if let Some(v) = get(settings, "windows")? {
        s.windows_days = v;
    }
    s.allow_unidentified = get(settings, "allow_unidentified")?.unwrap_or(false);
    Ok(s)
}

/// Segments every customer (`clv segment`) from a model file's JSON.
#[pyfunction]
fn segment(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    model: &str,
    settings: &Bound<'_, PyDict>,
) -> PyResult<Py<PyAny>> {
    let disk = model_on_disk(model)?;
    let s = influence_settings(data, &disk, settings)?;
    let table = run(py, || {
        clv_app::influence::score(&s, &Silent)
            .map(|scored| clv_app::influence::segment_table(&scored))
            .map_err(err)
    })?;
    to_pyarrow(py, &table)
}

/// The action lists (`clv actions`): a list of `(file name, table)`.
#[pyfunction]
fn actions<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    model: &str,
    settings: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyList>> {
    let disk = model_on_disk(model)?;
    let s = influence_settings(data, &disk, settings)?;
    let mut a = ActionsSettings::default();
    if let Some(v) = get(settings, "max_per_list")? {
        a.max_per_list = Some(v);
    }
    if let Some(v) = get(settings, "win_back_below")? {
        a.win_back_below = v;
    }
    if let Some(v) = get(settings, "remind_days")? {
        a.remind_days = v;
    }
    let tables = run(py, || {
        let lists = clv_app::actions::actions(&s, &a, &Silent).map_err(err)?;
        Ok(lists
            .lists
            .iter()
            .map(|(list, rows)| {
                (
                    list.file_name().trim_end_matches(".csv").to_string(),
                    clv_app::actions::list_table(&lists, rows),
                )
            })
            .collect::<Vec<_>>())
    })?;
    let out = PyList::empty(py);
    for (name, t) in tables {
        out.append((name, to_pyarrow(py, &t)?))?;
    }
    Ok(out)
}

// ------------------------------------------------- kernels for clv.lifetimes

fn floats(b: &[u8], what: &str) -> PyResult<Vec<f64>> {
    if !b.len().is_multiple_of(8) {
        return Err(usage(format!("{what}: not an array of float64")));
    }
    Ok(b.chunks_exact(8)
        .map(|c| f64::from_ne_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn bytes<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyBytes> {
    let mut out = Vec::with_capacity(v.len() * 8);
    for x in v {
        out.extend_from_slice(&x.to_ne_bytes());
    }
    PyBytes::new(py, &out)
}

fn kind(name: &str) -> PyResult<ModelKind> {
    name.parse::<ModelKind>().map_err(err)
}

/// Fits registry model `model` on `(x, t_x, T, weight)` (float64 bytes)
/// with clv-core's MLE driver: `(params, standard errors, covariance,
/// log-likelihood, converged, iterations)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn fit_purchase(
    py: Python<'_>,
    model: &str,
    x: &[u8],
    t_x: &[u8],
    age: &[u8],
    weight: &[u8],
    penalty: f64,
) -> PyResult<(Vec<f64>, Vec<f64>, Vec<Vec<f64>>, f64, bool, usize)> {
    let k = kind(model)?;
    let (x, t_x, age, w) = (
        floats(x, "frequency")?,
        floats(t_x, "recency")?,
        floats(age, "T")?,
        floats(weight, "weights")?,
    );
    run(py, || {
        let data = CustomerData::with_weights(x, t_x, age, w).map_err(err)?;
        let fitted = k.fit(&data, &FitOptions { penalty }).map_err(err)?;
        let r = fitted.report;
        Ok((
            fitted.model.param_values(),
            r.standard_errors,
            r.covariance,
            r.log_likelihood,
            r.converged,
            r.iterations,
        ))
    })
}

/// Per-customer predictions of model `model` at `params`: `what` is
/// `p_alive` or `expected` (expected purchases in `t` more periods).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn predict_purchase<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    what: &str,
    x: &[u8],
    t_x: &[u8],
    age: &[u8],
    t: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let m = kind(model)?.from_params(&params).map_err(err)?;
    let (x, t_x, age, t) = (
        floats(x, "frequency")?,
        floats(t_x, "recency")?,
        floats(age, "T")?,
        floats(t, "t")?,
    );
    let n = x.len();
    if t_x.len() != n || age.len() != n || !(t.len() == n || t.len() == 1) {
        return Err(usage(
            "frequency, recency, T (and t) must have the same length",
        ));
    }
    let expected = match what {
        "p_alive" => false,
        "expected" => true,
        _ => return Err(usage(format!("unknown prediction {what:?}"))),
    };
    let out = run(py, || {
        use rayon::prelude::*;
        (0..n)
            .into_par_iter()
            .map(|i| {
                let c = Customer::new(x[i], t_x[i], age[i])
                    .map_err(|e| usage(format!("customer at position {i}: {}", message(&e))))?;
                Ok(if expected {
                    m.expected_purchases(&c, if t.len() == 1 { t[0] } else { t[i] })
                } else {
                    m.p_alive(&c)
                })
            })
            .collect::<PyResult<Vec<f64>>>()
    })?;
    Ok(bytes(py, &out))
}

/// BG/BB's `P(alive at opportunity n+m | x, t_x, n)` for every customer
/// (see `clv_core::bgbb::BgBbParams::probability_alive_after`).
#[pyfunction]
fn bgbb_p_alive_after<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    m: &[u8],
    x: &[u8],
    t_x: &[u8],
    n: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    use clv_core::model::Parameters;
    let p = clv_core::bgbb::BgBbParams::from_values(&params).map_err(err)?;
    let (m, x, t_x, n) = (
        floats(m, "m_periods_in_future")?,
        floats(x, "frequency")?,
        floats(t_x, "recency")?,
        floats(n, "n_periods")?,
    );
    if m.len() != x.len() || t_x.len() != x.len() || n.len() != x.len() {
        return Err(usage(
            "m_periods_in_future, frequency, recency and n_periods must have the same length",
        ));
    }
    let out = run(py, || {
        (0..x.len())
            .map(|i| {
                p.probability_alive_after(x[i], t_x[i], n[i], m[i])
                    .map_err(err)
            })
            .collect::<PyResult<Vec<f64>>>()
    })?;
    Ok(bytes(py, &out))
}

/// For a new customer: expected purchases in `(0, t]` (`n` is `None`) or
/// `P(X(t) = n)`, for every `t`.
#[pyfunction]
#[pyo3(signature = (model, params, t, n=None))]
fn predict_new<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    t: &[u8],
    n: Option<u64>,
) -> PyResult<Bound<'py, PyBytes>> {
    let m = kind(model)?.from_params(&params).map_err(err)?;
    let t = floats(t, "t")?;
    let mut out = Vec::with_capacity(t.len());
    for &ti in &t {
        out.push(match n {
            None => m.expected_purchases_new(ti),
            Some(n) => m
                .probability_of_purchases_new(n, ti)
                .ok_or_else(|| usage(format!("{model} has no closed form for P(X(t) = n)")))?,
        });
    }
    Ok(bytes(py, &out))
}

/// Fits Gamma-Gamma on repeat buyers' `(x, mean spend, weight)`:
/// `(params p, q, v; standard errors; covariance; log-likelihood; converged)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn fit_gamma_gamma(
    py: Python<'_>,
    x: &[u8],
    m: &[u8],
    weight: &[u8],
    penalty: f64,
) -> PyResult<(Vec<f64>, Vec<f64>, Vec<Vec<f64>>, f64, bool)> {
    let (x, m, w) = (
        floats(x, "frequency")?,
        floats(m, "monetary_value")?,
        floats(weight, "weights")?,
    );
    run(py, || {
        let fitter = clv_core::gamma_gamma::GammaGammaFitter {
            penalty,
            ..Default::default()
        };
        let f = fitter.fit(&x, &m, &w).map_err(err)?;
        use clv_core::model::Parameters;
        Ok((
            f.params.values(),
            f.report.standard_errors,
            f.report.covariance,
            f.report.log_likelihood,
            f.report.converged,
        ))
    })
}

/// Gamma-Gamma's expected spend per purchase given `x` purchases of mean
/// `m` (population mean where `x = 0`).
#[pyfunction]
fn gamma_gamma_spend<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    x: &[u8],
    m: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    use clv_core::model::Parameters;
    let p = clv_core::gamma_gamma::GammaGammaParams::from_values(&params).map_err(err)?;
    let (x, m) = (floats(x, "frequency")?, floats(m, "monetary_value")?);
    if x.len() != m.len() {
        return Err(usage(
            "frequency and monetary_value must have the same length",
        ));
    }
    let out = run(py, || {
        x.iter()
            .zip(&m)
            .map(|(&xi, &mi)| p.conditional_expected_spend(xi, mi).map_err(err))
            .collect::<PyResult<Vec<f64>>>()
    })?;
    Ok(bytes(py, &out))
}

/// The registry: `(name, label, parameter names, discrete)` per model.
#[pyfunction]
fn models() -> Vec<(String, String, Vec<String>, bool)> {
    ModelKind::ALL
        .iter()
        .map(|k| {
            (
                k.name().to_string(),
                k.label().to_string(),
                k.param_names().iter().map(|s| s.to_string()).collect(),
                k.is_discrete(),
            )
        })
        .collect()
}

/// The native module `clv._clv`.
#[pymodule]
fn _clv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ClvError", m.py().get_type::<ClvError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(summarize, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(check_model, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(economics, m)?)?;
    m.add_function(wrap_pyfunction!(segment, m)?)?;
    m.add_function(wrap_pyfunction!(actions, m)?)?;
    m.add_function(wrap_pyfunction!(fit_purchase, m)?)?;
    m.add_function(wrap_pyfunction!(predict_purchase, m)?)?;
    m.add_function(wrap_pyfunction!(predict_new, m)?)?;
    m.add_function(wrap_pyfunction!(bgbb_p_alive_after, m)?)?;
    m.add_function(wrap_pyfunction!(fit_gamma_gamma, m)?)?;
    m.add_function(wrap_pyfunction!(gamma_gamma_spend, m)?)?;
    m.add_function(wrap_pyfunction!(models, m)?)?;
    Ok(())
}
