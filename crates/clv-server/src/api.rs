//! The routes, their handlers and the OpenAPI document generated from them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State as Ext};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::State;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::jobs::{JobStatus, Work};
use crate::results::{ActionRowOut, CustomerPage, CustomerQuery, CustomerRow, Loaded, MonthBucket};
use crate::store::{AnalysisRecord, Dataset};

type S = Ext<Arc<State>>;

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "clv",
        description = "Customer lifetime value: upload transactions, run analyses, read every customer's predictions, segments and action lists, score customers in real time.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        healthz, config, list_datasets, upload_dataset, get_dataset, delete_dataset,
        create_analysis, list_analyses, get_analysis, delete_analysis, get_job, cancel_job,
        list_customers, get_customer, customer_history, get_action_list, download_result,
        score_customer
    ),
    components(schemas(ErrorBody, Dataset, AnalysisRecord, JobStatus, CustomerRow, CustomerPage,
        MonthBucket, ActionRowOut, AnalysisRequest, Created, Health, ServerConfig, DatasetList,
        AnalysisList, AnalysisView, History, PAlivePoint, ActionPage, ScoreRequest, Transaction, ScoreOut)),
    modifiers(&Security),
    tags((name = "clv", description = "The clv API"))
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the server's --token"))
                    .build(),
            ),
        );
    }
}

/// The router of every route (for `serve` and for in-process tests).
pub fn router(state: Arc<State>) -> axum::Router {
    let upload_limit = state.config.max_upload_bytes as usize;
    axum::Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/api/config", get(config))
        .route(
            "/api/datasets",
            get(list_datasets)
                .post(upload_dataset)
                .layer(DefaultBodyLimit::max(upload_limit.saturating_add(1))),
        )
        .route(
            "/api/datasets/{name}",
            get(get_dataset).delete(delete_dataset),
        )
        .route("/api/analyses", get(list_analyses).post(create_analysis))
        .route(
            "/api/analyses/{id}",
            get(get_analysis).delete(delete_analysis),
        )
        .route("/api/jobs/{id}", get(get_job))
        .route("/api/jobs/{id}/cancel", post(cancel_job))
        .route("/api/analyses/{id}/customers", get(list_customers))
        .route(
            "/api/analyses/{id}/customers/{customer_id}",
            get(get_customer),
        )
        .route(
            "/api/analyses/{id}/customers/{customer_id}/history",
            get(customer_history),
        )
        .route("/api/analyses/{id}/actions/{name}", get(get_action_list))
        .route("/api/analyses/{id}/results/{file}", get(download_result))
        .route("/api/analyses/{id}/score", post(score_customer))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(4 << 20))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such path; the API is described at /openapi.json".into())
}

/// A request that carried the right token (or a server without one).
pub struct Auth;

impl FromRequestParts<Arc<State>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<State>) -> ApiResult<Auth> {
        let Some(token) = &state.config.token else {
            return Ok(Auth);
        };
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthorized);
        };
        let value = value.as_bytes();
        let Some(given) = value
            .strip_prefix(b"Bearer ")
            .or_else(|| value.strip_prefix(b"bearer "))
        else {
            return Err(ApiError::Unauthorized);
        };
        if constant_time_eq(given, token.as_bytes()) {
            Ok(Auth)
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Compares in time independent of where the inputs differ (the length of
/// the token is not secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

// ---------------------------------------------------------------- static

async fn index() -> Response {
    asset_response("index.html")
}

async fn asset(Path(path): Path<String>) -> Response {
    asset_response(&path)
}

fn asset_response(path: &str) -> Response {
    match crate::assets::get(path) {
        Some((bytes, ty)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ty)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    header::HeaderName::from_static("x-content-type-options"),
                    HeaderValue::from_static("nosniff"),
                ),
                // The page runs only its own script and talks only to this
                // server; no other site may frame it.
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(
                        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                         img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; \
                         base-uri 'none'; form-action 'self'",
                    ),
                ),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => ApiError::NotFound(format!("no asset {path}")).into_response(),
    }
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// The server is up.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

async fn openapi() -> Response {
    let json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into());
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

/// What the dashboard needs to know about the server.
#[derive(Serialize, ToSchema)]
pub struct ServerConfig {
    /// Whether protected calls need a token.
    pub auth: bool,
    /// The server's version.
    pub version: String,
    /// The purchase models an analysis can use.
    pub models: Vec<String>,
}

/// The server's settings the dashboard needs.
#[utoipa::path(get, path = "/api/config", responses((status = 200, body = ServerConfig)))]
async fn config(Ext(state): S) -> Json<ServerConfig> {
    Json(ServerConfig {
        auth: state.config.token.is_some(),
        version: env!("CARGO_PKG_VERSION").into(),
        models: clv_core::models::ModelKind::ALL
            .iter()
            .filter(|k| !k.is_discrete() || k.name() == "bg-bb")
            .map(|k| k.name().to_string())
            .collect(),
    })
}

// ---------------------------------------------------------------- datasets

/// Every dataset.
#[derive(Serialize, ToSchema)]
pub struct DatasetList {
    /// The datasets, by name.
    pub datasets: Vec<Dataset>,
}

/// The stored datasets.
#[utoipa::path(get, path = "/api/datasets", responses((status = 200, body = DatasetList)))]
async fn list_datasets(Ext(state): S) -> ApiResult<Json<DatasetList>> {
    let st = state.clone();
    let datasets = blocking(move || st.store.datasets()).await?;
    Ok(Json(DatasetList { datasets }))
}

/// The query of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The dataset's name: letters, digits, `_` and `-`, at most 64.
    pub name: String,
    /// The customer id column (default `customer_id`).
    pub customer_col: Option<String>,
    /// The date column (default `date`).
    pub date_col: Option<String>,
    /// The amount column (default `amount`).
    pub amount_col: Option<String>,
    /// A strftime date format (default: detected).
    pub date_format: Option<String>,
    /// What the file holds: `transactions` (default), `customers`
    /// (acquisition date, channel, cost, referred_by, attributes), `spend`
    /// (marketing spend by month and channel) or `events` (reviews,
    /// mentions, event attendance), as the CLI's `--customers`,
    /// `--spend-file` and `--events` read them.
    pub kind: Option<String>,
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "a dataset name is 1 to 64 letters, digits, '_' or '-'".into(),
        ))
    }
}

fn check_column(what: &str, v: &Option<String>) -> ApiResult<()> {
    if let Some(c) = v
        && (c.is_empty() || c.len() > 256 || c.chars().any(char::is_control))
    {
        return Err(ApiError::BadRequest(format!(
            "{what} must be a column name of 1 to 256 printable characters"
        )));
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("task: {e}")))?
}

fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::AtomicU64;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", h.finish())
}

/// Uploads a transactions file (CSV or Parquet, detected), checked with the
/// CLI's reader and messages.
#[utoipa::path(
    post, path = "/api/datasets", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the raw file"),
    responses(
        (status = 201, body = Dataset, description = "stored and checked"),
        (status = 400, body = ErrorBody, description = "bad data: the message names the line and column"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the name is taken"),
        (status = 413, body = ErrorBody, description = "over the upload limit")
    ),
    security(("token" = []))
)]
async fn upload_dataset(
    Ext(state): S,
    _auth: Auth,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> ApiResult<(StatusCode, Json<Dataset>)> {
    check_name(&q.name)?;
    check_column("customer_col", &q.customer_col)?;
    check_column("date_col", &q.date_col)?;
    check_column("amount_col", &q.amount_col)?;
    check_column("date_format", &q.date_format)?;
    let kind = match q.kind.as_deref().unwrap_or("transactions") {
        "transactions" => None,
        "customers" => Some(clv_app::load::InputKind::Customers),
        "spend" => Some(clv_app::load::InputKind::Spend),
        "events" => Some(clv_app::load::InputKind::Events),
        k => {
            return Err(ApiError::BadRequest(format!(
                "kind must be transactions, customers, spend or events, got {k}"
            )));
        }
    };
    {
        let st = state.clone();
        let name = q.name.clone();
        if blocking(move || st.store.dataset(&name)).await?.is_some() {
            return Err(ApiError::Conflict(format!(
                "a dataset named {} exists; delete it first or choose another name",
                q.name
            )));
        }
    }
    // Stream the body to a private temporary directory.
    let tmp_dir = state.config.data_dir.join("tmp").join(random_id());
    tokio::fs::create_dir_all(&tmp_dir).await?;
    let cleanup = TempDir(tmp_dir.clone());
    let raw = tmp_dir.join("upload");
    let mut file = tokio::fs::File::create(&raw).await?;
    let mut stream = body.into_data_stream();
    let limit = state.config.max_upload_bytes;
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(4);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if e.to_string().contains("length limit") {
                ApiError::TooLarge(format!("the upload is over the limit of {limit} bytes"))
            } else {
                ApiError::BadRequest(format!("reading the upload failed: {e}"))
            }
        })?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::TooLarge(format!(
                "the upload is over the limit of {limit} bytes"
            )));
        }
        if head.len() < 4 {
            head.extend(chunk.iter().take(4 - head.len()));
        }
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    drop(file);
    if size == 0 {
        return Err(ApiError::BadRequest(
            "the upload is empty: send the file as the request body".into(),
        ));
    }
    let format = if head == b"PAR1" { "parquet" } else { "csv" };
    let named = tmp_dir.join(format!("{}.{format}", q.name));
    tokio::fs::rename(&raw, &named).await?;

    let mut data = clv_app::settings::DataSettings::for_file(&named);
    if let Some(c) = &q.customer_col {
        data.customer_col = c.clone();
    }
    if let Some(c) = &q.date_col {
        data.date_col = c.clone();
    }
    if let Some(c) = &q.amount_col {
        data.amount_col = c.clone();
    }
    data.date_format = q.date_format.clone();
    let st = state.clone();
    let name = q.name.clone();
    let columns = serde_json::json!({
        "customer_col": data.customer_col,
        "date_col": data.date_col,
        "amount_col": data.amount_col,
        "date_format": data.date_format,
    });
    let dataset = blocking(move || {
        let user = |e: clv_app::Error| {
            if e.is_user_error() {
                ApiError::BadRequest(st.scrub(&e.to_string()))
            } else {
                ApiError::internal(e)
            }
        };
        let (rows, customers, report) = match kind {
            None => {
                let (summary, report) =
                    clv_app::load::inspect(&data, &clv_app::progress::Silent).map_err(user)?;
                let lines: Vec<String> = st
                    .scrub(&report.to_string())
                    .lines()
                    .map(str::to_string)
                    .collect();
                (
                    report.rows_read,
                    summary.len() as u64,
                    serde_json::json!({
                        "rows_read": report.rows_read,
                        "rows_used": report.rows_used,
                        "customers": summary.len(),
                        "first_date": report.first_date.map(|d| d.to_string()),
                        "last_date": report.last_date.map(|d| d.to_string()),
                        "negative_rows": report.negative_rows,
                        "zero_rows": report.zero_rows,
                        "invalid_rows": report.invalid_rows(),
                        "lines": lines,
                    }),
                )
            }
            Some(k) => {
                if format != "csv" {
                    return Err(ApiError::BadRequest(format!(
                        "a {} file is read as CSV; send it as CSV",
                        k.name()
                    )));
                }
                let (rows, customers, lines) =
                    clv_app::load::inspect_input(k, &named, &data).map_err(user)?;
                let lines: Vec<String> = lines.iter().map(|l| st.scrub(l)).collect();
                (
                    rows,
                    customers,
                    serde_json::json!({"rows_read": rows, "customers": customers, "lines": lines}),
                )
            }
        };
        let d = Dataset {
            name: name.clone(),
            kind: kind.map_or("transactions", |k| k.name()).into(),
            format: format.into(),
            bytes: size,
            rows,
            customers,
            uploaded_at: crate::store::Store::now(),
            report,
            columns,
        };
        let _guard = st.datasets_lock.lock().expect("datasets lock");
        let dest = st.dataset_path(&name, format);
        if st.store.dataset(&name)?.is_some() {
            return Err(ApiError::Conflict(format!(
                "a dataset named {name} exists; delete it first or choose another name"
            )));
        }
        std::fs::rename(&named, &dest)?;
        if let Err(e) = st.store.insert_dataset(&d) {
            let _ = std::fs::remove_file(&dest);
            return Err(e);
        }
        Ok(d)
    })
    .await?;
    drop(cleanup);
    Ok((StatusCode::CREATED, Json(dataset)))
}

/// Removes a directory when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One dataset.
#[utoipa::path(
    get, path = "/api/datasets/{name}",
    params(("name" = String, Path, description = "the dataset's name")),
    responses((status = 200, body = Dataset), (status = 404, body = ErrorBody))
)]
async fn get_dataset(Ext(state): S, Path(name): Path<String>) -> ApiResult<Json<Dataset>> {
    let st = state.clone();
    let n = name.clone();
    blocking(move || st.store.dataset(&n))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no dataset named {name}")))
}

/// Deletes a dataset (refused while an analysis reads it; its analyses'
/// results stay).
#[utoipa::path(
    delete, path = "/api/datasets/{name}",
    params(("name" = String, Path, description = "the dataset's name")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "an analysis is reading it")
    ),
    security(("token" = []))
)]
async fn delete_dataset(
    Ext(state): S,
    _auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let st = state.clone();
    blocking(move || {
        let _guard = st.datasets_lock.lock().expect("datasets lock");
        let Some(d) = st.store.dataset(&name)? else {
            return Err(ApiError::NotFound(format!("no dataset named {name}")));
        };
        if st.jobs.dataset_in_use(&name) {
            return Err(ApiError::Conflict(format!(
                "an analysis is reading {name}; wait for it or cancel it first"
            )));
        }
        st.store.delete_dataset(&name)?;
        let _ = std::fs::remove_file(st.dataset_path(&name, &d.format));
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

// ---------------------------------------------------------------- analyses

/// What to analyse (the CLI's options and meanings; only `dataset` is
/// required).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysisRequest {
    /// The dataset's name.
    pub dataset: String,
    /// Purchase model: `bg-nbd` (default), `pareto-nbd`, `mbg-nbd`, `bg-bb`.
    pub model: Option<String>,
    /// Spend model: `gamma-gamma` (default) or `none` (each customer's mean purchase).
    pub spend: Option<String>,
    /// Prediction horizon, e.g. `12 months` (default), `52 weeks`, `365 days`.
    pub horizon: Option<String>,
    /// A date `YYYY-MM-DD`: validate the model fitted up to it on the purchases after it.
    pub calibration_end: Option<String>,
    /// A date `YYYY-MM-DD`: ignore purchases after it (default: the last purchase).
    pub observation_end: Option<String>,
    /// Margin on revenue, in (0, 1] (default 1).
    pub margin: Option<f64>,
    /// Yearly discount rate (default 0.1).
    pub discount_rate: Option<f64>,
    /// A dataset of kind `customers`: channels, referrals (CRV, quadrants),
    /// acquisition costs.
    pub customers: Option<String>,
    /// A dataset of kind `spend`: with `customers`, CAC, LTV:CAC and payback per channel.
    pub spend_file: Option<String>,
    /// A dataset of kind `events`: engagement.
    pub events: Option<String>,
}

/// The id of a new analysis.
#[derive(Serialize, ToSchema)]
pub struct Created {
    /// The analysis id (also its job id).
    pub id: String,
}

fn parse_date(what: &str, v: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError::BadRequest(format!("{what} must be a date YYYY-MM-DD, got {s:?}"))
            }),
    }
}

/// The datasets an analysis reads besides its transactions, checked for
/// existence and kind: (field, dataset).
fn side_inputs(state: &State, req: &AnalysisRequest) -> ApiResult<Vec<(&'static str, Dataset)>> {
    let mut out = Vec::new();
    for (field, name, kind) in [
        ("customers", &req.customers, "customers"),
        ("spend_file", &req.spend_file, "spend"),
        ("events", &req.events, "events"),
    ] {
        let Some(name) = name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        let Some(d) = state.store.dataset(name)? else {
            return Err(ApiError::NotFound(format!(
                "{field}: no dataset named {name}"
            )));
        };
        if d.kind != kind {
            return Err(ApiError::BadRequest(format!(
                "{field}: dataset {name} holds {}, not {kind} (upload it with kind={kind})",
                d.kind
            )));
        }
        out.push((field, d));
    }
    if req.spend_file.is_some() && req.customers.is_none() {
        return Err(ApiError::BadRequest(
            "spend_file needs customers too (the channel of each customer)".into(),
        ));
    }
    Ok(out)
}

fn settings_for(
    state: &State,
    req: &AnalysisRequest,
    dataset: &Dataset,
    side: &[(&'static str, Dataset)],
    id: &str,
) -> ApiResult<clv_app::analysis::AnalysisSettings> {
    use clv_app::settings::{ModelChoice, SpendModel};
    let path = state.dataset_path(&dataset.name, &dataset.format);
    let mut data = clv_app::settings::DataSettings::for_file(path);
    let col = |k: &str| {
        dataset
            .columns
            .get(k)
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    if let Some(c) = col("customer_col") {
        data.customer_col = c;
    }
    if let Some(c) = col("date_col") {
        data.date_col = c;
    }
    if let Some(c) = col("amount_col") {
        data.amount_col = c;
    }
    data.date_format = col("date_format");
    data.observation_end = parse_date("observation_end", &req.observation_end)?;
    let mut s = clv_app::analysis::AnalysisSettings::new(
        data,
        clv_app::analysis::model_path(&state.analysis_dir(id)),
    );
    if let Some(m) = req.model.as_deref().filter(|m| !m.is_empty()) {
        let choice: ModelChoice = m
            .parse()
            .map_err(|e: clv_app::Error| ApiError::BadRequest(format!("model: {e}")))?;
        if !matches!(choice, ModelChoice::Purchase(_)) {
            return Err(ApiError::BadRequest(format!(
                "model must be a purchase model (bg-nbd, pareto-nbd, mbg-nbd, bg-bb), got {m}"
            )));
        }
        s.model = choice;
    }
    match req.spend.as_deref() {
        None | Some("") => {}
        Some("none") => s.spend = None,
        Some(name) => {
            s.spend = Some(SpendModel::from_name(name).ok_or_else(|| {
                ApiError::BadRequest(format!("spend must be gamma-gamma or none, got {name}"))
            })?)
        }
    }
    if let Some(h) = req.horizon.as_deref().filter(|h| !h.is_empty()) {
        s.horizon = h.parse().map_err(|e| {
            ApiError::BadRequest(format!(
                "horizon must be like \"12 months\", \"52 weeks\" or \"365 days\": {e}"
            ))
        })?;
    }
    for (field, d) in side {
        let p = state.dataset_path(&d.name, &d.format);
        match *field {
            "customers" => s.customers = Some(p),
            "spend_file" => s.spend_file = Some(p),
            _ => s.events = Some(p),
        }
    }
    s.calibration_end = parse_date("calibration_end", &req.calibration_end)?;
    if let (Some(c), Some(o)) = (s.calibration_end, s.data.observation_end)
        && c >= o
    {
        return Err(ApiError::BadRequest(format!(
            "calibration_end ({c}) must be before observation_end ({o})"
        )));
    }
    if let Some(m) = req.margin {
        if !(m.is_finite() && m > 0.0 && m <= 1.0) {
            return Err(ApiError::BadRequest(format!(
                "margin must be in (0, 1], got {m}"
            )));
        }
        s.margin = m;
    }
    if let Some(d) = req.discount_rate {
        if !(d.is_finite() && (0.0..=10.0).contains(&d)) {
            return Err(ApiError::BadRequest(format!(
                "discount_rate must be between 0 and 10 (a yearly rate), got {d}"
            )));
        }
        s.discount_rate = d;
    }
    Ok(s)
}

/// Starts an analysis of a dataset: fit, predictions, segments, action
/// lists, validation (with `calibration_end`), chart data.
#[utoipa::path(
    post, path = "/api/analyses", request_body = AnalysisRequest,
    responses(
        (status = 202, body = Created, description = "queued; poll /api/jobs/{id}"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "no such dataset")
    ),
    security(("token" = []))
)]
async fn create_analysis(
    Ext(state): S,
    _auth: Auth,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let req: AnalysisRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be an analysis request: {e}")))?;
    let st = state.clone();
    let id = blocking(move || {
        let id = random_id();
        let _guard = st.datasets_lock.lock().expect("datasets lock");
        let Some(dataset) = st.store.dataset(&req.dataset)? else {
            return Err(ApiError::NotFound(format!(
                "no dataset named {}",
                req.dataset
            )));
        };
        if dataset.kind != "transactions" {
            return Err(ApiError::BadRequest(format!(
                "dataset {} holds {}; an analysis reads transactions (give it as {})",
                dataset.name,
                dataset.kind,
                if dataset.kind == "spend" {
                    "spend_file"
                } else {
                    dataset.kind.as_str()
                }
            )));
        }
        let side = side_inputs(&st, &req)?;
        let settings = settings_for(&st, &req, &dataset, &side, &id)?;
        let mut datasets = vec![dataset.name.clone()];
        datasets.extend(side.iter().map(|(_, d)| d.name.clone()));
        let record = AnalysisRecord {
            id: id.clone(),
            dataset: dataset.name.clone(),
            state: "queued".into(),
            progress: 0.0,
            stage: "queued".into(),
            error: None,
            options: serde_json::to_value(&req).unwrap_or_default(),
            created_at: crate::store::Store::now(),
            finished_at: None,
        };
        st.store.insert_analysis(&record)?;
        let dir = st.analysis_dir(&id);
        let staging = st
            .config
            .data_dir
            .join("analyses")
            .join(format!(".{id}.tmp"));
        st.jobs.submit(Work {
            id: id.clone(),
            datasets,
            settings,
            dir,
            staging,
        });
        Ok(id)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(Created { id })))
}

/// Every analysis.
#[derive(Serialize, ToSchema)]
pub struct AnalysisList {
    /// Newest first.
    pub analyses: Vec<AnalysisRecord>,
}

/// The analyses, newest first.
#[utoipa::path(get, path = "/api/analyses", responses((status = 200, body = AnalysisList)))]
async fn list_analyses(Ext(state): S) -> ApiResult<Json<AnalysisList>> {
    let st = state.clone();
    let mut analyses = blocking(move || st.store.analyses()).await?;
    for a in &mut analyses {
        live_overlay(&state, a);
    }
    Ok(Json(AnalysisList { analyses }))
}

fn live_overlay(state: &State, a: &mut AnalysisRecord) {
    if let Some(job) = state.jobs.get(&a.id) {
        let s = job.status.lock().expect("status lock");
        a.state = s.state.clone();
        a.progress = s.progress;
        a.stage = s.stage.clone();
        a.error = s.error.clone();
    }
}

/// An analysis with its results.
#[derive(Serialize, ToSchema)]
pub struct AnalysisView {
    /// The analysis.
    #[serde(flatten)]
    pub record: AnalysisRecord,
    /// The results once done: overview, model, validation, economics,
    /// charts, actions, results, warnings.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
}

async fn record(state: &Arc<State>, id: &str) -> ApiResult<AnalysisRecord> {
    let st = state.clone();
    let i = id.to_string();
    let mut r = blocking(move || st.store.analysis(&i))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no analysis {id}")))?;
    live_overlay(state, &mut r);
    Ok(r)
}

/// The loaded results of a finished analysis.
async fn loaded(state: &Arc<State>, id: &str) -> ApiResult<Arc<Loaded>> {
    if let Some(l) = state.loaded.lock().expect("loaded lock").get(id) {
        return Ok(l.clone());
    }
    let r = record(state, id).await?;
    if r.state != "done" {
        return Err(ApiError::Conflict(format!(
            "analysis {id} is {}; its results are there once it is done",
            r.state
        )));
    }
    let dir = state.analysis_dir(id);
    let l = Arc::new(blocking(move || Loaded::load(&dir)).await?);
    state
        .loaded
        .lock()
        .expect("loaded lock")
        .insert(id.to_string(), l.clone());
    Ok(l)
}

/// One analysis, with its results when done.
#[utoipa::path(
    get, path = "/api/analyses/{id}",
    params(("id" = String, Path, description = "the analysis id")),
    responses((status = 200, body = AnalysisView), (status = 404, body = ErrorBody))
)]
async fn get_analysis(Ext(state): S, Path(id): Path<String>) -> ApiResult<Json<AnalysisView>> {
    let r = record(&state, &id).await?;
    let result = if r.state == "done" {
        Some(loaded(&state, &id).await?.summary.clone())
    } else {
        None
    };
    Ok(Json(AnalysisView { record: r, result }))
}

/// Deletes a finished analysis and its results.
#[utoipa::path(
    delete, path = "/api/analyses/{id}",
    params(("id" = String, Path, description = "the analysis id")),
    responses(
        (status = 204, description = "deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "still queued or running: cancel it first")
    ),
    security(("token" = []))
)]
async fn delete_analysis(
    Ext(state): S,
    _auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let r = record(&state, &id).await?;
    if matches!(r.state.as_str(), "queued" | "running") {
        return Err(ApiError::Conflict(format!(
            "analysis {id} is {}; cancel it first",
            r.state
        )));
    }
    state.loaded.lock().expect("loaded lock").remove(&id);
    let st = state.clone();
    blocking(move || {
        st.store.delete_analysis(&id)?;
        let _ = std::fs::remove_dir_all(st.analysis_dir(&id));
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// A job's state and progress.
#[utoipa::path(
    get, path = "/api/jobs/{id}",
    params(("id" = String, Path, description = "the analysis id")),
    responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody))
)]
async fn get_job(Ext(state): S, Path(id): Path<String>) -> ApiResult<Json<JobStatus>> {
    if let Some(job) = state.jobs.get(&id) {
        return Ok(Json(job.status.lock().expect("status lock").clone()));
    }
    let r = record(&state, &id).await?;
    Ok(Json(JobStatus {
        id: r.id,
        state: r.state,
        progress: r.progress,
        stage: r.stage,
        error: r.error,
        messages: Vec::new(),
    }))
}

/// Cancels a queued or running job (it stops at its next step).
#[utoipa::path(
    post, path = "/api/jobs/{id}/cancel",
    params(("id" = String, Path, description = "the analysis id")),
    responses(
        (status = 202, body = JobStatus), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already ended")
    ),
    security(("token" = []))
)]
async fn cancel_job(
    Ext(state): S,
    _auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<JobStatus>)> {
    let r = record(&state, &id).await?;
    let Some(job) = state.jobs.get(&id) else {
        return Err(ApiError::Conflict(format!("analysis {id} is {}", r.state)));
    };
    let status = {
        let mut s = job.status.lock().expect("status lock");
        if !matches!(s.state.as_str(), "queued" | "running") {
            return Err(ApiError::Conflict(format!("analysis {id} is {}", s.state)));
        }
        job.cancel.store(true, Ordering::SeqCst);
        s.state = "cancelled".into();
        s.stage = "cancelled".into();
        s.clone()
    };
    let st = state.clone();
    blocking(move || {
        st.store
            .set_state(&id, "cancelled", 0.0, "cancelled", None, true)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(status)))
}

// ---------------------------------------------------------------- customers

/// A page of customers, sorted and filtered.
#[utoipa::path(
    get, path = "/api/analyses/{id}/customers",
    params(("id" = String, Path, description = "the analysis id"), CustomerQuery),
    responses(
        (status = 200, body = CustomerPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not done")
    ),
    security(("token" = []))
)]
async fn list_customers(
    Ext(state): S,
    _auth: Auth,
    Path(id): Path<String>,
    q: Result<Query<CustomerQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<CustomerPage>> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let l = loaded(&state, &id).await?;
    if l.rows.len() > 100_000 {
        blocking(move || l.query(&q)).await.map(Json)
    } else {
        l.query(&q).map(Json)
    }
}

/// One customer's row.
#[utoipa::path(
    get, path = "/api/analyses/{id}/customers/{customer_id}",
    params(("id" = String, Path, description = "the analysis id"),
           ("customer_id" = String, Path, description = "the customer's id")),
    responses(
        (status = 200, body = CustomerRow), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not done")
    ),
    security(("token" = []))
)]
async fn get_customer(
    Ext(state): S,
    _auth: Auth,
    Path((id, customer)): Path<(String, String)>,
) -> ApiResult<Response> {
    let l = loaded(&state, &id).await?;
    let Some(&i) = l.by_id.get(customer.as_str()) else {
        return Err(ApiError::NotFound(format!(
            "no customer {customer} in analysis {id}"
        )));
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        l.row_json[i as usize].clone(),
    )
        .into_response())
}

/// P(alive) at one date.
#[derive(Serialize, ToSchema)]
pub struct PAlivePoint {
    /// The date.
    pub date: String,
    /// P(alive) as it stood then.
    pub p_alive: f64,
}

/// A customer's history and the story of their numbers.
#[derive(Serialize, ToSchema)]
pub struct History {
    /// The customer's id.
    pub customer_id: String,
    /// Every purchase row.
    pub purchases: Vec<Transaction>,
    /// Purchases by month.
    pub months: Vec<MonthBucket>,
    /// P(alive) over time (at each month end and at the observation end).
    pub p_alive: Vec<PAlivePoint>,
    /// The numbers behind each prediction, in words.
    pub explanation: Vec<String>,
}

/// A customer's purchases by month, P(alive) over time and the numbers
/// behind the predictions in words.
#[utoipa::path(
    get, path = "/api/analyses/{id}/customers/{customer_id}/history",
    params(("id" = String, Path, description = "the analysis id"),
           ("customer_id" = String, Path, description = "the customer's id")),
    responses(
        (status = 200, body = History), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not done")
    ),
    security(("token" = []))
)]
async fn customer_history(
    Ext(state): S,
    _auth: Auth,
    Path((id, customer)): Path<(String, String)>,
) -> ApiResult<Json<History>> {
    let l = loaded(&state, &id).await?;
    let Some(&i) = l.by_id.get(customer.as_str()) else {
        return Err(ApiError::NotFound(format!(
            "no customer {customer} in analysis {id}"
        )));
    };
    let row = &l.rows[i as usize];
    let months = l.history.get(i as usize).cloned().unwrap_or_default();
    let purchases = l.purchases.dated(i as usize);
    let end = l
        .summary
        .pointer("/overview/observation_end")
        .and_then(|v| v.as_str())
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let p_alive = match (purchases.first(), end) {
        (Some(&(first, _)), Some(end)) => {
            let dates = path_dates(first, end, &purchases);
            l.scorer
                .p_alive_path(&purchases, &dates)
                .map_err(|e| ApiError::internal(format!("p_alive path: {e}")))?
                .into_iter()
                .map(|(d, p)| PAlivePoint {
                    date: d.to_string(),
                    p_alive: p,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(Json(History {
        customer_id: customer,
        purchases: purchases
            .into_iter()
            .map(|(d, a)| Transaction {
                date: d.to_string(),
                amount: a,
            })
            .collect(),
        p_alive,
        explanation: crate::explain::explain(row, &l.summary),
        months,
    }))
}

/// The dates of a P(alive) path: each purchase day, the day before it
/// (the low point), every ~week (or month, for long histories) and the
/// observation end; at most about 400.
fn path_dates(first: NaiveDate, end: NaiveDate, purchases: &[(NaiveDate, f64)]) -> Vec<NaiveDate> {
    let span = (end - first).num_days().max(0);
    let step = (span / 200).max(1);
    let mut dates: Vec<NaiveDate> = (0..=span / step)
        .map(|k| first + chrono::Duration::days(k * step))
        .collect();
    for &(d, _) in purchases.iter().take(100) {
        dates.push(d);
        if d > first {
            dates.push(d - chrono::Duration::days(1));
        }
    }
    dates.push(end);
    dates.retain(|d| *d >= first && *d <= end);
    dates.sort();
    dates.dedup();
    dates
}

/// A page of an action list.
#[derive(Serialize, ToSchema)]
pub struct ActionPage {
    /// The list's name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Customers on the list.
    pub total: usize,
    /// The page, ranked by the expected value of acting.
    pub rows: Vec<ActionRowOut>,
}

/// Paging of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows per page, 1 to 1000 (default 50).
    pub limit: Option<usize>,
    /// Rows to skip (default 0).
    pub offset: Option<usize>,
}

/// A page of an action list.
#[utoipa::path(
    get, path = "/api/analyses/{id}/actions/{name}",
    params(("id" = String, Path, description = "the analysis id"),
           ("name" = String, Path, description = "win_back, remind, reward, ask_referral or activate_advocates"),
           PageQuery),
    responses(
        (status = 200, body = ActionPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not done")
    ),
    security(("token" = []))
)]
async fn get_action_list(
    Ext(state): S,
    _auth: Auth,
    Path((id, name)): Path<(String, String)>,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ActionPage>> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and 1000, got {limit}"
        )));
    }
    let offset = q.offset.unwrap_or(0);
    let l = loaded(&state, &id).await?;
    let Some(list) = l.lists.iter().find(|x| x.name == name) else {
        return Err(ApiError::NotFound(format!(
            "no action list {name}; the lists are win_back, remind, reward, ask_referral, activate_advocates"
        )));
    };
    Ok(Json(ActionPage {
        name: list.name.clone(),
        description: list.description.clone(),
        total: list.rows.len(),
        rows: list.rows.iter().skip(offset).take(limit).cloned().collect(),
    }))
}

/// Downloads a result table as CSV or Parquet: `customers.csv`,
/// `customers.parquet`, `win_back.csv`, ...
#[utoipa::path(
    get, path = "/api/analyses/{id}/results/{file}",
    params(("id" = String, Path, description = "the analysis id"),
           ("file" = String, Path, description = "NAME.csv or NAME.parquet; NAME is customers or an action list")),
    responses(
        (status = 200, description = "the file", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not done")
    ),
    security(("token" = []))
)]
async fn download_result(
    Ext(state): S,
    _auth: Auth,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (name, ext) = file.rsplit_once('.').ok_or_else(|| {
        ApiError::NotFound(format!(
            "no result {file}: ask for NAME.csv or NAME.parquet"
        ))
    })?;
    let ty = match ext {
        "csv" => "text/csv; charset=utf-8",
        "parquet" => "application/vnd.apache.parquet",
        _ => {
            return Err(ApiError::NotFound(format!(
                "no result {file}: the formats are csv and parquet"
            )));
        }
    };
    if !crate::results::result_names().contains(&name) {
        return Err(ApiError::NotFound(format!(
            "no result {name}; the results are {}",
            crate::results::result_names().join(", ")
        )));
    }
    let r = record(&state, &id).await?;
    if r.state != "done" {
        return Err(ApiError::Conflict(format!("analysis {id} is {}", r.state)));
    }
    let path = state.analysis_dir(&id).join(format!("{name}.{ext}"));
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| ApiError::internal(format!("reading {}: {e}", path.display())))?;
    let disposition = format!("attachment; filename=\"{}-{name}.{ext}\"", r.dataset);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ty)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------- scoring

/// One purchase.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Transaction {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Its amount.
    pub amount: f64,
}

/// A customer to score: their summary (`frequency`, `recency`, `T`,
/// optional `monetary_value`, in the model's time unit) or their
/// `transactions` (with `observation_end`, default today).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// Repeat purchases.
    pub frequency: Option<f64>,
    /// Time from first to last purchase.
    pub recency: Option<f64>,
    /// Time from first purchase to the observation end.
    #[serde(rename = "T")]
    pub age: Option<f64>,
    /// Mean value of the repeat purchases.
    pub monetary_value: Option<f64>,
    /// The purchases, instead of the summary.
    pub transactions: Option<Vec<Transaction>>,
    /// With `transactions`: the observation end (default: today).
    pub observation_end: Option<String>,
}

/// A customer's predictions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreOut {
    /// Repeat purchases.
    pub frequency: f64,
    /// Recency.
    pub recency: f64,
    /// Age.
    #[serde(rename = "T")]
    pub age: f64,
    /// Mean repeat purchase.
    pub monetary_value: Option<f64>,
    /// P(alive).
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected value of one purchase.
    pub expected_spend: f64,
    /// CLV over the horizon.
    pub clv: f64,
    /// The horizon.
    pub horizon: String,
}

/// Scores one customer with the analysis's model (the CRM's real-time call).
#[utoipa::path(
    post, path = "/api/analyses/{id}/score",
    params(("id" = String, Path, description = "the analysis id")),
    request_body = ScoreRequest,
    responses(
        (status = 200, body = ScoreOut), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not done")
    ),
    security(("token" = []))
)]
async fn score_customer(
    Ext(state): S,
    _auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ScoreOut>> {
    let req: ScoreRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be a customer to score: {e}")))?;
    let l = loaded(&state, &id).await?;
    let score = match (&req.transactions, req.frequency, req.recency, req.age) {
        (Some(tx), None, None, None) => {
            if tx.len() > 100_000 {
                return Err(ApiError::BadRequest(
                    "at most 100,000 transactions per customer".into(),
                ));
            }
            let mut purchases = Vec::with_capacity(tx.len());
            for (k, t) in tx.iter().enumerate() {
                let d = NaiveDate::parse_from_str(&t.date, "%Y-%m-%d").map_err(|_| {
                    ApiError::BadRequest(format!(
                        "transactions[{k}].date must be a date YYYY-MM-DD, got {:?}",
                        t.date
                    ))
                })?;
                purchases.push((d, t.amount));
            }
            let end = match parse_date("observation_end", &req.observation_end)? {
                Some(d) => d,
                None => chrono::Utc::now().date_naive(),
            };
            l.scorer.score_transactions(&purchases, end)
        }
        (None, Some(x), Some(r), Some(t)) => {
            if req.observation_end.is_some() {
                return Err(ApiError::BadRequest(
                    "observation_end goes with transactions, not with a summary".into(),
                ));
            }
            l.scorer.score_summary(x, r, t, req.monetary_value)
        }
        _ => {
            return Err(ApiError::BadRequest(
                "send either frequency, recency and T (and monetary_value), or transactions".into(),
            ));
        }
    };
    let s = score.map_err(|e| {
        if e.is_user_error() {
            ApiError::BadRequest(e.to_string())
        } else {
            ApiError::internal(e)
        }
    })?;
    Ok(Json(ScoreOut {
        frequency: s.frequency,
        recency: s.recency,
        age: s.age,
        monetary_value: s.monetary_value,
        p_alive: s.p_alive,
        expected_purchases: s.expected_purchases,
        expected_spend: s.expected_spend,
        clv: s.clv,
        horizon: s.horizon,
    }))
}
