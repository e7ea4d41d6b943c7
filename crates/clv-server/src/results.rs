//! A finished analysis: written to files under its directory when the job
//! ends, and held in memory (loaded on first use) for fast paged queries
//! and one-customer lookups.

use std::path::Path;
use std::sync::{Arc, Mutex};

use clv_app::analysis::Analysis;
use clv_core::actions::ActionList;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// One customer's row: the summary, the predictions, the segment and the
/// referral value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerRow {
    /// The customer's id.
    pub customer_id: String,
    /// `x`: repeat purchases (model time unit convention).
    pub frequency: f64,
    /// `t_x`: time from the first to the last purchase (model time unit).
    pub recency: f64,
    /// `T`: time from the first purchase to the observation end.
    #[serde(rename = "T")]
    pub age: f64,
    /// Purchase rows.
    pub orders: f64,
    /// Revenue of every purchase.
    pub revenue: f64,
    /// Mean value of the repeat purchases (null without one).
    pub monetary_value: Option<f64>,
    /// P(alive) at the observation end.
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected value of one purchase.
    pub expected_spend: f64,
    /// Discounted CLV over the horizon (margin applied).
    pub clv: f64,
    /// The named RFM segment.
    pub segment: String,
    /// `top_1`, `top_10`, `top_50` or `rest`.
    pub value_tier: String,
    /// `low`, `medium` or `high`.
    pub churn_risk: String,
    /// The RFM scores as three digits (recency, frequency, monetary).
    pub rfm: String,
    /// P(a purchase within 30 days).
    pub p_purchase_30d: Option<f64>,
    /// The date by which an active customer has an even chance of having
    /// bought again (null beyond ten years).
    pub expected_next_purchase: Option<String>,
    /// Customer referral value (null without referral data).
    pub crv: Option<f64>,
    /// Customers referred (null without referral data).
    pub referrals: Option<u32>,
    /// Date of the first purchase.
    pub first_purchase: Option<String>,
    /// Date of the last purchase.
    pub last_purchase: Option<String>,
    /// Engagement score (events weighted by a half-life; null without events).
    pub engagement: Option<f64>,
    /// Engagement events (null without events).
    pub events: Option<u32>,
}

/// One row of an action list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionRowOut {
    /// The customer's id.
    pub customer_id: String,
    /// Why they are on the list, with the numbers.
    pub reason: String,
    /// The expected value of acting (the ranking).
    pub expected_value: f64,
    /// CLV over the horizon.
    pub clv: f64,
    /// P(alive).
    pub p_alive: f64,
    /// Revenue so far.
    pub revenue: f64,
}

/// One action list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredList {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its rows, ranked.
    pub rows: Vec<ActionRowOut>,
}

/// One customer's purchases by month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthBucket {
    /// `YYYY-MM`.
    pub month: String,
    /// Purchase rows in the month.
    pub orders: u32,
    /// Revenue in the month.
    pub revenue: f64,
}

fn month_name(m: i32) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// The result's names of the downloadable tables.
pub fn result_names() -> Vec<&'static str> {
    let mut v = vec!["customers"];
    v.extend(ActionList::ALL.iter().map(|l| l.name()));
    v
}

/// Builds the rows of every customer.
pub fn customer_rows(a: &Analysis) -> Vec<CustomerRow> {
    let s = &a.lists.scored;
    let p30 = s.p_purchase_within(30);
    (0..s.len())
        .map(|i| {
            let first = a.first_day.get(i).copied();
            let last =
                clv_data::date::to_days(s.observation_end) - s.recency_days[i].round() as i32;
            let x = s.loaded.data.frequency[i];
            CustomerRow {
                customer_id: s.id(i).to_string(),
                frequency: x,
                recency: s.loaded.data.recency[i],
                age: s.loaded.data.age[i],
                orders: s.orders[i],
                revenue: s.revenue[i],
                monetary_value: (x > 0.0)
                    .then(|| s.loaded.summary.monetary_value[i])
                    .filter(|v| v.is_finite()),
                p_alive: s.p_alive[i],
                expected_purchases: s.expected_purchases[i],
                expected_spend: s.expected_spend[i],
                clv: s.clv[i],
                segment: s.segment(i).to_string(),
                value_tier: s.value_tier[i].name().to_string(),
                churn_risk: s.churn_risk[i].name().to_string(),
                rfm: format!(
                    "{}{}{}",
                    s.recency_score[i], s.frequency_score[i], s.monetary_score[i]
                ),
                p_purchase_30d: p30.map(|p| p[i]),
                expected_next_purchase: s.next_purchase[i].map(|d| d.to_string()),
                crv: s.referrals.as_ref().map(|r| r.crv[i]),
                referrals: s.referrals.as_ref().map(|r| r.referred[i]),
                first_purchase: first.map(|d| clv_data::date::from_days(d).to_string()),
                last_purchase: s.recency_days[i]
                    .is_finite()
                    .then(|| clv_data::date::from_days(last).to_string()),
                engagement: s.engagement.as_ref().map(|e| e.score[i]),
                events: s.engagement.as_ref().map(|e| e.events[i]),
            }
        })
        .collect()
}

/// Each customer's monthly purchases.
pub fn histories(a: &Analysis) -> Vec<Vec<MonthBucket>> {
    let h = &a.history;
    (0..h.len())
        .map(|i| {
            (h.offsets[i]..h.offsets[i + 1])
                .map(|k| MonthBucket {
                    month: month_name(h.month[k]),
                    orders: h.orders[k],
                    revenue: h.revenue[k],
                })
                .collect()
        })
        .collect()
}

/// Each action list with its rows.
pub fn lists(a: &Analysis) -> Vec<StoredList> {
    let s = &a.lists.scored;
    a.lists
        .lists
        .iter()
        .map(|(l, rows)| StoredList {
            name: l.name().into(),
            description: l.description().into(),
            rows: rows
                .iter()
                .map(|r| ActionRowOut {
                    customer_id: s.id(r.customer).to_string(),
                    reason: r.reason.clone(),
                    expected_value: r.score,
                    clv: s.clv[r.customer],
                    p_alive: s.p_alive[r.customer],
                    revenue: s.revenue[r.customer],
                })
                .collect(),
        })
        .collect()
}

/// The `result` object of `GET /api/analyses/{id}`.
pub fn summary_json(a: &Analysis, rows: usize) -> serde_json::Value {
    let mut results = vec![serde_json::json!({"name": "customers", "rows": rows})];
    for (l, r) in &a.lists.lists {
        results.push(serde_json::json!({"name": l.name(), "rows": r.len()}));
    }
    serde_json::json!({
        "overview": a.overview,
        "model": a.model,
        "validation": a.validation_summary,
        "economics": a.economics,
        "charts": a.charts,
        "actions": a.actions,
        "results": results,
        "warnings": a.warnings,
    })
}

/// What the scorer of a finished analysis needs besides its model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreSettings {
    /// The horizon, as given.
    pub horizon: String,
    /// Yearly discount rate.
    pub discount_rate: f64,
    /// Margin.
    pub margin: f64,
    /// Mean repeat purchase value of the repeat buyers.
    pub mean_repeat_value: Option<f64>,
}

/// Each customer's purchase rows (days since 1970-01-01 and amounts).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredPurchases {
    /// Row ranges, customers + 1.
    pub offsets: Vec<usize>,
    /// Days.
    pub days: Vec<i32>,
    /// Amounts.
    pub amounts: Vec<f64>,
}

impl StoredPurchases {
    /// Customer `i`'s purchases as dates and amounts.
    pub fn dated(&self, i: usize) -> Vec<(chrono::NaiveDate, f64)> {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => (a..b)
                .map(|k| (clv_data::date::from_days(self.days[k]), self.amounts[k]))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Writes every file of a finished analysis into `dir` (a fresh staging
/// directory the caller renames into place).
pub fn write_all(
    dir: &Path,
    a: &Analysis,
    settings: &clv_app::analysis::AnalysisSettings,
    scrub: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let rows = customer_rows(a);
    let put = |name: &str, v: &dyn erased::Ser| -> Result<(), String> {
        let bytes = v.to_json().map_err(|e| format!("{name}: {e}"))?;
        std::fs::write(dir.join(name), bytes).map_err(|e| format!("{name}: {e}"))
    };
    // The summary's words (warnings, notes) go to the client: no paths.
    let summary =
        scrub(&serde_json::to_string(&summary_json(a, rows.len())).map_err(|e| e.to_string())?);
    let summary: serde_json::Value = serde_json::from_str(&summary).map_err(|e| e.to_string())?;
    put("result.json", &summary)?;
    put("customers.json", &rows)?;
    put("history.json", &histories(a))?;
    put("lists.json", &lists(a))?;
    put(
        "purchases.json",
        &StoredPurchases {
            offsets: a.purchases.offsets.clone(),
            days: a.purchases.days.clone(),
            amounts: a.purchases.amounts.clone(),
        },
    )?;
    put(
        "score.json",
        &ScoreSettings {
            horizon: settings.horizon.to_string(),
            discount_rate: settings.discount_rate,
            margin: settings.margin,
            mean_repeat_value: a.mean_repeat_value,
        },
    )?;
    let table = clv_app::influence::segment_table(&a.lists.scored);
    for (ext, fmt) in [
        ("csv", clv_data::OutputFormat::Csv),
        ("parquet", clv_data::OutputFormat::Parquet),
    ] {
        clv_data::write_table(&table, Some(&dir.join(format!("customers.{ext}"))), fmt)
            .map_err(|e| format!("customers.{ext}: {e}"))?;
        for (l, r) in &a.lists.lists {
            let t = clv_app::actions::list_table(&a.lists, r);
            clv_data::write_table(&t, Some(&dir.join(format!("{}.{ext}", l.name()))), fmt)
                .map_err(|e| format!("{}.{ext}: {e}", l.name()))?;
        }
    }
    Ok(())
}

mod erased {
    /// Object-safe JSON serialisation.
    pub trait Ser {
        fn to_json(&self) -> serde_json::Result<Vec<u8>>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> serde_json::Result<Vec<u8>> {
            serde_json::to_vec(self)
        }
    }
}

/// Sortable numeric fields of a row.
pub const SORT_KEYS: &[&str] = &[
    "customer_id",
    "clv",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "frequency",
    "recency",
    "T",
    "orders",
    "revenue",
    "monetary_value",
    "p_purchase_30d",
    "crv",
    "engagement",
];

fn key_value(r: &CustomerRow, key: &str) -> f64 {
    match key {
        "clv" => r.clv,
        "p_alive" => r.p_alive,
        "expected_purchases" => r.expected_purchases,
        "expected_spend" => r.expected_spend,
        "frequency" => r.frequency,
        "recency" => r.recency,
        "T" => r.age,
        "orders" => r.orders,
        "revenue" => r.revenue,
        "monetary_value" => r.monetary_value.unwrap_or(f64::NEG_INFINITY),
        "p_purchase_30d" => r.p_purchase_30d.unwrap_or(f64::NEG_INFINITY),
        "crv" => r.crv.unwrap_or(f64::NEG_INFINITY),
        "engagement" => r.engagement.unwrap_or(f64::NEG_INFINITY),
        _ => 0.0,
    }
}

/// Ids made of digits compare as numbers (2 before 10), others as text.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        ta.len()
            .cmp(&tb.len())
            .then_with(|| ta.cmp(tb))
            .then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

/// A finished analysis in memory.
pub struct Loaded {
    /// The `result` object.
    pub summary: serde_json::Value,
    /// Every customer.
    pub rows: Vec<CustomerRow>,
    /// Each row as JSON, ready to send.
    pub row_json: Vec<axum::body::Bytes>,
    /// Row of each id.
    pub by_id: hashbrown::HashMap<String, u32, foldhash::fast::RandomState>,
    /// Monthly purchases per row.
    pub history: Vec<Vec<MonthBucket>>,
    /// The action lists.
    pub lists: Vec<StoredList>,
    /// The model file.
    pub model: clv_app::model_file::ModelFile,
    /// Each customer's purchases.
    pub purchases: StoredPurchases,
    /// Scores customers with the model.
    pub scorer: clv_app::score::Scorer,
    /// Ascending orders computed so far, per sort key.
    sorted: Mutex<hashbrown::HashMap<String, Arc<Vec<u32>>>>,
}

fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> ApiResult<T> {
    let bytes = std::fs::read(dir.join(name))
        .map_err(|e| ApiError::internal(format!("reading {name}: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(format!("parsing {name}: {e}")))
}

impl Loaded {
    /// Loads the files of a finished analysis.
    pub fn load(dir: &Path) -> ApiResult<Loaded> {
        let summary: serde_json::Value = read_json(dir, "result.json")?;
        let rows: Vec<CustomerRow> = read_json(dir, "customers.json")?;
        let history = read_json(dir, "history.json")?;
        let lists = read_json(dir, "lists.json")?;
        let model = clv_app::model_file::ModelFile::read(&dir.join("model.json"))
            .map_err(|e| ApiError::internal(format!("model.json: {e}")))?;
        let purchases: StoredPurchases = read_json(dir, "purchases.json")?;
        let ss: ScoreSettings = read_json(dir, "score.json")?;
        let horizon = ss
            .horizon
            .parse()
            .map_err(|e| ApiError::internal(format!("score.json horizon: {e}")))?;
        let mut scorer = clv_app::score::Scorer::new(&model, horizon, ss.discount_rate, ss.margin)
            .map_err(|e| ApiError::internal(format!("scorer: {e}")))?;
        if let Some(m) = ss.mean_repeat_value {
            scorer = scorer
                .with_mean_repeat_value(m)
                .map_err(|e| ApiError::internal(format!("scorer: {e}")))?;
        }
        Ok(Loaded::new(
            summary, rows, history, lists, model, purchases, scorer,
        ))
    }

    fn new(
        summary: serde_json::Value,
        rows: Vec<CustomerRow>,
        history: Vec<Vec<MonthBucket>>,
        lists: Vec<StoredList>,
        model: clv_app::model_file::ModelFile,
        purchases: StoredPurchases,
        scorer: clv_app::score::Scorer,
    ) -> Loaded {
        let row_json = rows
            .iter()
            .map(|r| axum::body::Bytes::from(serde_json::to_vec(r).expect("rows serialise")))
            .collect();
        let mut by_id = hashbrown::HashMap::with_capacity_and_hasher(
            rows.len(),
            foldhash::fast::RandomState::default(),
        );
        for (i, r) in rows.iter().enumerate() {
            by_id.insert(r.customer_id.clone(), i as u32);
        }
        Loaded {
            summary,
            rows,
            row_json,
            by_id,
            history,
            lists,
            model,
            purchases,
            scorer,
            sorted: Mutex::new(hashbrown::HashMap::new()),
        }
    }

    /// Row indices in ascending order of `key` (ties by customer id).
    pub fn order(&self, key: &str) -> Arc<Vec<u32>> {
        if let Some(o) = self.sorted.lock().expect("sorted lock").get(key) {
            return o.clone();
        }
        let mut idx: Vec<u32> = (0..self.rows.len() as u32).collect();
        if key == "customer_id" {
            idx.sort_by(|&a, &b| {
                natural_cmp(
                    &self.rows[a as usize].customer_id,
                    &self.rows[b as usize].customer_id,
                )
            });
        } else {
            idx.sort_by(|&a, &b| {
                let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
                key_value(ra, key)
                    .total_cmp(&key_value(rb, key))
                    .then_with(|| ra.customer_id.cmp(&rb.customer_id))
            });
        }
        let idx = Arc::new(idx);
        self.sorted
            .lock()
            .expect("sorted lock")
            .insert(key.to_string(), idx.clone());
        idx
    }
}

/// A query of the customer table.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Sort key: `clv` (default) or another numeric field, or `customer_id`.
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    pub order: Option<String>,
    /// Rows per page, 1 to 1000 (default 50).
    pub limit: Option<usize>,
    /// Rows to skip (default 0).
    pub offset: Option<usize>,
    /// Only this named segment.
    pub segment: Option<String>,
    /// Only this value tier.
    pub tier: Option<String>,
    /// Only this churn risk.
    pub churn_risk: Option<String>,
    /// Only CLV at least this.
    pub min_clv: Option<f64>,
    /// Only CLV at most this.
    pub max_clv: Option<f64>,
    /// Only ids containing this text (case-insensitive).
    pub q: Option<String>,
}

/// A page of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    /// Customers matching the filters.
    pub total: usize,
    /// Rows skipped.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
    /// The page.
    pub customers: Vec<CustomerRow>,
}

impl Loaded {
    /// Filters, sorts and pages the customers.
    pub fn query(&self, q: &CustomerQuery) -> ApiResult<CustomerPage> {
        let key = q.sort.as_deref().unwrap_or("clv");
        if !SORT_KEYS.contains(&key) {
            return Err(ApiError::BadRequest(format!(
                "sort must be one of {}, got {key}",
                SORT_KEYS.join(", ")
            )));
        }
        let desc = match q.order.as_deref().unwrap_or("desc") {
            "desc" => true,
            "asc" => false,
            o => {
                return Err(ApiError::BadRequest(format!(
                    "order must be asc or desc, got {o}"
                )));
            }
        };
        let limit = q.limit.unwrap_or(50);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and 1000, got {limit}"
            )));
        }
        let offset = q.offset.unwrap_or(0);
        for (name, v) in [("min_clv", q.min_clv), ("max_clv", q.max_clv)] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(ApiError::BadRequest(format!(
                    "{name} must be a finite number"
                )));
            }
        }
        let needle =
            q.q.as_deref()
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase);
        let keep = |r: &CustomerRow| {
            q.segment
                .as_deref()
                .is_none_or(|s| s.is_empty() || r.segment == s)
                && q.tier
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || r.value_tier == s)
                && q.churn_risk
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || r.churn_risk == s)
                && q.min_clv.is_none_or(|m| r.clv >= m)
                && q.max_clv.is_none_or(|m| r.clv <= m)
                && needle
                    .as_deref()
                    .is_none_or(|n| r.customer_id.to_lowercase().contains(n))
        };
        let order = self.order(key);
        let iter: Box<dyn Iterator<Item = &u32>> = if desc {
            Box::new(order.iter().rev())
        } else {
            Box::new(order.iter())
        };
        let mut total = 0usize;
        let mut page = Vec::new();
        for &i in iter {
            let r = &self.rows[i as usize];
            if keep(r) {
                if total >= offset && page.len() < limit {
                    page.push(r.clone());
                }
                total += 1;
            }
        }
        Ok(CustomerPage {
            total,
            offset,
            limit,
            customers: page,
        })
    }
}
