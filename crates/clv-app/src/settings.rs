//! Plain settings for every use case: what a front end fills in (from
//! command-line flags, a JSON request body or Python keyword arguments)
//! before calling the use case. No parsing library's types, no defaults
//! hidden in a front end: `Default` gives what the CLI's flags default to.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clv_core::models::ModelKind;
use clv_core::{Horizon, TimeUnit};
use clv_data::{Convention, NaiveDate, ZeroAmounts};

use crate::error::{Error, Result, usage};

/// Where the transactions are and how to read them.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSettings {
    /// The transaction log (CSV, Parquet or JSON); `None` when the use case
    /// reads a summary or subscriptions file instead.
    pub transactions: Option<PathBuf>,
    /// Column holding the customer id.
    pub customer_col: String,
    /// Column holding the purchase date or timestamp.
    pub date_col: String,
    /// Column holding the purchase amount.
    pub amount_col: String,
    /// A chrono date format; `None` for ISO dates and timestamps or `YYYYMMDD`.
    pub date_format: Option<String>,
    /// Time unit of recency, `T` and the model; `None` for the use case's
    /// default (weeks; a model file's own unit when one is given).
    pub time_unit: Option<TimeUnit>,
    /// How purchase times become `(x, t_x, T)`.
    pub convention: Convention,
    /// End of the calibration window; later purchases form the holdout.
    pub calibration_end: Option<NaiveDate>,
    /// End of observation; `None` for the last date in the data.
    pub observation_end: Option<NaiveDate>,
    /// Whether zero-amount rows are purchases.
    pub zero_amounts: ZeroAmounts,
    /// Skip (and count) malformed rows instead of stopping at the first.
    pub skip_invalid: bool,
    /// CSV field delimiter; `None` to sniff it from the header (`,` `;` tab `|`).
    pub delimiter: Option<u8>,
    /// `,` is the decimal separator of text amounts (`1.234,50`); when
    /// `false` it is still detected when the first rows settle it.
    pub decimal_comma: bool,
    /// Transactions already in memory (a data frame from the Python module),
    /// read instead of `transactions`; its name stands for the file's in
    /// messages.
    pub table: Option<TableSource>,
    /// A SQL query whose result is the transactions: run by the PostgreSQL
    /// server of `source` when it is set, else by the embedded engine over
    /// `transactions` (a table named by its file stem) and the files of
    /// `register`; the column flags then name columns of the result.
    pub query: Option<String>,
    /// More files for `query`, as `(table name, file)` (not with `source`).
    pub register: Vec<(String, PathBuf)>,
    /// Cap on the memory the embedded engine's `query` holds, in bytes,
    /// beyond which it spills to disk; `None` for half the machine's memory.
    pub query_memory_limit: Option<usize>,
    /// A PostgreSQL server to read the transactions from
    /// (`postgres://USER@HOST:PORT/DATABASE`), with `source_table` or `query`.
    pub source: Option<clv_data::PgUrl>,
    /// The table (or view) of `source` holding the transactions.
    pub source_table: Option<String>,
    /// Whether the PostgreSQL server groups the rows per customer and day
    /// when only the summary is needed.
    pub pushdown: clv_data::Pushdown,
}

/// Transactions in memory, shared between the settings that read them (see
/// [`DataSettings::table`]). Two are equal when they are the same table.
#[derive(Clone)]
pub struct TableSource(pub std::sync::Arc<dyn clv_data::Source + Send + Sync>);

impl TableSource {
    /// Wraps a source.
    pub fn new(source: impl clv_data::Source + Send + Sync + 'static) -> Self {
        TableSource(std::sync::Arc::new(source))
    }
}

impl fmt::Debug for TableSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TableSource({:?})", self.0.name())
    }
}

impl PartialEq for TableSource {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for DataSettings {
    fn default() -> Self {
        DataSettings {
            transactions: None,
            customer_col: "customer_id".into(),
            date_col: "date".into(),
            amount_col: "amount".into(),
            date_format: None,
            time_unit: None,
            convention: Convention::Exact,
            calibration_end: None,
            observation_end: None,
            zero_amounts: ZeroAmounts::Keep,
            skip_invalid: false,
            delimiter: None,
            decimal_comma: false,
            table: None,
            query: None,
            register: Vec::new(),
            query_memory_limit: None,
            source: None,
            source_table: None,
            pushdown: clv_data::Pushdown::Auto,
        }
    }
}

impl DataSettings {
    /// Settings for the transaction log at `path`, everything else default.
    pub fn for_file(path: impl Into<PathBuf>) -> Self {
        DataSettings {
            transactions: Some(path.into()),
            ..Default::default()
        }
    }

    /// The transaction log, or a usage error saying it is required.
    pub fn transactions_path(&self) -> Result<&Path> {
        self.transactions
            .as_deref()
            .ok_or_else(|| usage("the TRANSACTIONS file (or --source) is required"))
    }

    /// The source of the transactions: the in-memory table, else the
    /// PostgreSQL `source` (its table, or `query` run by the server), else
    /// the result of `query` over the registered files, else the file source
    /// of `transactions` (a usage error when none is given), with the path
    /// messages and the model file name it by.
    pub fn source(&self) -> Result<(std::sync::Arc<dyn clv_data::Source + Send + Sync>, PathBuf)> {
        if let Some(t) = &self.table {
            return Ok((t.0.clone(), PathBuf::from(t.0.name())));
        }
        if let Some(pg) = self.postgres_source()? {
            let name = clv_data::Source::name(&pg);
            return Ok((std::sync::Arc::new(pg), PathBuf::from(name)));
        }
        if let Some(q) = &self.query {
            let sql = clv_data::SqlSource::new(q.clone(), self.sql_tables())?
                .with_memory_limit(self.query_memory_limit);
            return Ok((
                std::sync::Arc::new(sql),
                PathBuf::from(clv_data::sql::QUERY_RESULT),
            ));
        }
        if !self.register.is_empty() {
            return Err(usage(
                "--register names tables for --query; give the query too (or drop --register)",
            ));
        }
        let path = self.transactions_path()?;
        Ok((
            std::sync::Arc::new(clv_data::FileSource::new(path)),
            path.to_path_buf(),
        ))
    }

    /// The tables of `query`: `transactions` under its file stem, then the
    /// files of `register`.
    pub fn sql_tables(&self) -> Vec<clv_data::SqlTable> {
        self.transactions
            .iter()
            .map(clv_data::SqlTable::from_path)
            .chain(self.register.iter().map(|(name, path)| clv_data::SqlTable {
                name: name.clone(),
                path: path.clone(),
            }))
            .collect()
    }

    /// Registers the other input files of a use case (customers, spend,
    /// events) as tables of `query` under their file stems, unless a table
    /// of that name is already there. Nothing happens without a query, or
    /// when the query runs on a PostgreSQL `source`.
    pub fn register_inputs<'p>(&mut self, files: impl IntoIterator<Item = Option<&'p Path>>) {
        if self.query.is_none() || self.source.is_some() {
            return;
        }
        for path in files.into_iter().flatten() {
            let name = clv_data::sql::table_name(path);
            if !self.sql_tables().iter().any(|t| t.name == name) {
                self.register.push((name, path.to_path_buf()));
            }
        }
    }

    /// The PostgreSQL source of `source` with `source_table` or `query`;
    /// `None` without `source`; a usage error for flags that do not go
    /// together.
    pub fn postgres_source(&self) -> Result<Option<clv_data::PostgresSource>> {
        let Some(url) = &self.source else {
            if self.source_table.is_some() {
                return Err(usage("--source-table needs --source postgres://..."));
            }
            return Ok(None);
        };
        if self.transactions.is_some() {
            return Err(usage(
                "--source reads the transactions from PostgreSQL: give no TRANSACTIONS file with it",
            ));
        }
        if !self.register.is_empty() {
            return Err(usage(
                "--register names files for the embedded engine's --query; with --source the \
                 query runs on the PostgreSQL server, over its tables",
            ));
        }
        let input = match (&self.source_table, &self.query) {
            (Some(t), None) => clv_data::PgInput::Table(t.clone()),
            (None, Some(q)) => clv_data::PgInput::Query(q.clone()),
            (None, None) => {
                return Err(usage(
                    "--source needs --source-table NAME or --query SQL (which rows are the transactions)",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(usage("give --source-table or --query, not both"));
            }
        };
        let conn = clv_data::PgConnect::parse(url)?;
        Ok(Some(clv_data::PostgresSource::new(
            conn,
            input,
            self.pushdown,
        )))
    }

    /// Whether the transactions come from somewhere (a file, a table in
    /// memory, a database).
    pub fn has_transactions(&self) -> bool {
        self.transactions.is_some() || self.table.is_some() || self.source.is_some()
    }

    /// The data layer's read options.
    pub fn read_options(&self) -> clv_data::ReadOptions {
        clv_data::ReadOptions {
            customer_col: self.customer_col.clone(),
            date_col: self.date_col.clone(),
            amount_col: self.amount_col.clone(),
            date_format: self.date_format.clone(),
            delimiter: self.delimiter,
            skip_invalid: self.skip_invalid,
            decimal_comma: self.decimal_comma,
            ..Default::default()
        }
    }

    /// The data layer's summary options, times in `time_unit`.
    pub fn summary_options(&self, time_unit: TimeUnit) -> clv_data::SummaryOptions {
        clv_data::SummaryOptions {
            time_unit,
            convention: self.convention,
            calibration_end: self.calibration_end,
            zero_amounts: self.zero_amounts,
            observation_end: self.observation_end,
            ..Default::default()
        }
    }
}

/// The name a model file and messages use for a convention.
pub fn convention_name(c: Convention) -> &'static str {
    match c {
        Convention::Exact => "exact",
        Convention::Period => "period",
    }
}

/// The name a model file uses for a zero-amount policy.
pub fn zero_amounts_name(z: ZeroAmounts) -> &'static str {
    match z {
        ZeroAmounts::Keep => "keep",
        ZeroAmounts::Drop => "drop",
    }
}

/// The model a fit asks for: a purchase model from the registry, the sBG
/// subscription model, or the automatic choice between purchase models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelChoice {
    /// A purchase model on `(x, t_x, T)` summaries.
    Purchase(ModelKind),
    /// Shifted-beta-geometric on a subscriptions file.
    Sbg,
    /// Every continuous-time purchase model fitted on a calibration window;
    /// the one with the lowest holdout error is kept.
    Auto,
}

impl ModelChoice {
    /// Every choice, in the order the CLI lists them: the registry's models,
    /// then `sbg` and `auto`.
    pub fn all() -> Vec<ModelChoice> {
        ModelKind::ALL
            .iter()
            .map(|&k| ModelChoice::Purchase(k))
            .chain([ModelChoice::Sbg, ModelChoice::Auto])
            .collect()
    }

    /// Every choice's name, `", "`-separated (for messages).
    pub fn names() -> String {
        ModelChoice::all()
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The name on the command line and in requests.
    pub fn name(self) -> &'static str {
        match self {
            ModelChoice::Purchase(k) => k.name(),
            ModelChoice::Sbg => "sbg",
            ModelChoice::Auto => "auto",
        }
    }

    /// The purchase model, or a usage error for `sbg` and `auto`, which
    /// have no `(x, t_x, T)` path of their own.
    pub fn purchase_kind(self) -> Result<ModelKind> {
        match self {
            ModelChoice::Purchase(k) => Ok(k),
            ModelChoice::Sbg => Err(usage(
                "--model sbg fits subscriptions: use clv fit --model sbg --subscriptions FILE",
            )),
            ModelChoice::Auto => Err(usage("--model auto is only for clv fit")),
        }
    }
}

impl fmt::Display for ModelChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ModelChoice::all()
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                usage(format!(
                    "unknown model {s:?} (expected one of {})",
                    ModelChoice::names()
                ))
            })
    }
}

/// Spend models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpendModel {
    /// Gamma-Gamma (Fader, Hardie & Lee 2005; Colombo & Jiang 1999).
    GammaGamma,
}

impl SpendModel {
    /// Every spend model.
    pub const ALL: &'static [SpendModel] = &[SpendModel::GammaGamma];

    /// The name on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            SpendModel::GammaGamma => "gamma-gamma",
        }
    }

    /// A one-line description with the model's papers.
    pub fn summary(self) -> &'static str {
        match self {
            SpendModel::GammaGamma => {
                "Gamma-Gamma (Fader, Hardie & Lee 2005; Colombo & Jiang 1999)"
            }
        }
    }

    /// Parameter names, as in the papers.
    pub fn param_names(self) -> &'static [&'static str] {
        match self {
            SpendModel::GammaGamma => {
                <clv_core::gamma_gamma::GammaGammaParams as clv_core::model::Parameters>::NAMES
            }
        }
    }

    /// The spend model with this name, if any.
    pub fn from_name(name: &str) -> Option<SpendModel> {
        SpendModel::ALL.iter().copied().find(|m| m.name() == name)
    }
}

/// Model choice and fitting options shared by `fit` and `predict`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ModelSettings {
    /// Purchase model to fit.
    pub model: Option<ModelChoice>,
    /// Spend model to fit beside the purchase model.
    pub spend: Option<SpendModel>,
    /// L2 penalty weight on the parameters (0 = plain maximum likelihood).
    pub penalty: f64,
}

impl ModelSettings {
    /// Checks the penalty.
    pub fn check_penalty(&self) -> Result<()> {
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(usage(format!(
                "--penalty must be a non-negative number, got {}",
                self.penalty
            )));
        }
        Ok(())
    }
}

/// Inputs that replace the transaction log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputTables {
    /// A per-customer summary file (`frequency,recency,T` and optional
    /// `weight`, `customer_id`, `monetary_value`).
    pub summary: Option<PathBuf>,
    /// Subscribers for sBG (`customer_id,duration,churned[,cohort]`).
    pub subscriptions: Option<PathBuf>,
}

/// `fit`: a purchase model (and maybe a spend model) on transactions or a
/// summary, sBG on subscriptions, or the automatic choice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitSettings {
    /// The transactions and how to read them.
    pub data: DataSettings,
    /// A summary or subscriptions file instead of transactions.
    pub tables: InputTables,
    /// Which models.
    pub model: ModelSettings,
}

/// `predict`: P(alive), expected purchases, expected spend and CLV.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictSettings {
    /// The transactions and how to read them.
    pub data: DataSettings,
    /// Models to fit first (when there is no model file).
    pub model: ModelSettings,
    /// A summary file instead of transactions.
    pub tables: InputTables,
    /// A model written by `fit`.
    pub model_file: Option<PathBuf>,
    /// Prediction horizon.
    pub horizon: Horizon,
    /// Annual discount rate of CLV.
    pub discount_rate: f64,
    /// Margin factor applied to revenue.
    pub margin: f64,
    /// Interval level (0.9 for 5%-95%), or no intervals.
    pub intervals: Option<f64>,
    /// Intervals from this many bootstrap refits instead of parametric draws.
    pub bootstrap: Option<usize>,
    /// Parametric draws for the intervals.
    pub draws: usize,
    /// Random seed of the intervals.
    pub seed: u64,
    /// Predict even from a model that is not identified (see
    /// [`crate::model_file::require_identified`]).
    pub allow_unidentified: bool,
}

impl PredictSettings {
    /// Settings with the CLI's defaults for `horizon`.
    pub fn new(data: DataSettings, horizon: Horizon) -> Self {
        PredictSettings {
            data,
            model: ModelSettings::default(),
            tables: InputTables::default(),
            model_file: None,
            horizon,
            discount_rate: 0.1,
            margin: 1.0,
            intervals: None,
            bootstrap: None,
            draws: 1000,
            seed: 42,
            allow_unidentified: false,
        }
    }
}

/// `simulate`: a synthetic transaction log from BG/NBD + Gamma-Gamma.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateSettings {
    /// Number of customers.
    pub customers: usize,
    /// First day of the simulated period (`YYYY-MM-DD`).
    pub start: String,
    /// Length of the simulated period in days.
    pub days: u32,
    /// BG/NBD parameters, `r=..,alpha=..,a=..,b=..` (rates per `time_unit`).
    pub params: String,
    /// Gamma-Gamma parameters, `p=..,q=..,v=..`; `None` for CDNOW's.
    pub spend: Option<String>,
    /// Random seed.
    pub seed: u64,
    /// Time unit of the BG/NBD parameters.
    pub time_unit: TimeUnit,
    /// First purchases are spread over this many days; `None` for a quarter
    /// of `days`.
    pub acquisition_days: Option<u32>,
    /// Acquisition channels, `name:share:cac[:rate[:spend]],...`.
    pub channels: Option<String>,
    /// Where to write the customers file (with channels).
    pub customers_output: Option<PathBuf>,
    /// Where to write the monthly marketing spend (with channels).
    pub spend_output: Option<PathBuf>,
    /// How referral customers' referrers are drawn (with channels and a
    /// customers file); [`ReferralGraph::Uniform`] keeps the earlier files.
    pub referrals: ReferralGraph,
    /// Where to write the engagement events (with channels); see
    /// [`crate::simulate`] for the generating rule.
    pub events_output: Option<PathBuf>,
    /// Plant customer attributes: `region` (no effect) and `plan` (`plus`
    /// doubles the purchase rate); needs channels and a customers file.
    pub attributes: bool,
    /// Write the transactions as Parquet (`customer_id` Int64, `date`
    /// Date32, `amount` Float64) instead of CSV; without channels only.
    pub parquet: bool,
}

/// How `clv simulate` draws the referrer of a customer of the `referral`
/// channel, always among the customers acquired on an earlier day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReferralGraph {
    /// Every earlier customer equally likely (the original rule).
    #[default]
    Uniform,
    /// Probability proportional to the earlier customer's purchase rate:
    /// customers who buy more refer more, so referral counts are heavy-tailed.
    Preferential,
}

/// Output formats of `economics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EconomicsFormat {
    /// Human-readable tables.
    #[default]
    Table,
    /// One JSON object.
    Json,
    /// Long ("tidy") CSV: `section,channel,cohort,month,metric,value`.
    Csv,
}

/// The period of a cost to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostPeriod {
    /// Per customer per day.
    Day,
    /// Per customer per week.
    Week,
    /// Per customer per month.
    #[default]
    Month,
    /// Per customer per year.
    Year,
}

impl CostPeriod {
    /// Months in one period (a month is 30.4375 days).
    pub fn per_month(self) -> f64 {
        match self {
            CostPeriod::Day => 30.4375,
            CostPeriod::Week => 30.4375 / 7.0,
            CostPeriod::Month => 1.0,
            CostPeriod::Year => 1.0 / 12.0,
        }
    }
}

/// `economics`: formula and model LTV, CAC, LTV:CAC, payback, cohorts.
#[derive(Debug, Clone, PartialEq)]
pub struct EconomicsSettings {
    /// The transactions and how to read them.
    pub data: DataSettings,
    /// Customers file (id, acquired_at, channel, acquisition_cost, referred_by, attributes).
    pub customers: Option<PathBuf>,
    /// Marketing spend file (date, channel, amount).
    pub spend: Option<PathBuf>,
    /// Gross margin as a fraction of revenue.
    pub margin: f64,
    /// Cost to serve per customer per `cost_period`.
    pub cost_to_serve: f64,
    /// The period of `cost_to_serve`.
    pub cost_period: CostPeriod,
    /// A model file for model LTV and projected payback.
    pub model_file: Option<PathBuf>,
    /// Horizon of the projection and of the full formula's duration.
    pub horizon: Horizon,
    /// Annual discount rate of projected revenue.
    pub discount_rate: f64,
    /// Report format.
    pub format: EconomicsFormat,
    /// Where to write the cohort retention heatmap (SVG).
    pub heatmap: Option<PathBuf>,
    /// Where to write per-customer historic (and model) value.
    pub per_customer: Option<PathBuf>,
    /// A cost-of-goods column of the transactions.
    pub cost_col: Option<String>,
    /// A customers-file column to segment by.
    pub segment: Option<String>,
    /// Use a model file that is not identified (see
    /// [`crate::model_file::require_identified`]).
    pub allow_unidentified: bool,
    /// Complete months the formula LTV needs (below, `ltv` and `full_ltv` are withheld).
    pub min_months: u32,
    /// Bootstrap resamples of the channel and cohort intervals.
    pub resamples: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Where to write the channel chart (margin LTV and CAC with intervals, SVG).
    pub channel_chart: Option<PathBuf>,
    /// Where to write the payback chart (payback month per channel with intervals, SVG).
    pub payback_chart: Option<PathBuf>,
}

impl EconomicsSettings {
    /// Settings with the CLI's defaults.
    pub fn new(data: DataSettings) -> Self {
        EconomicsSettings {
            data,
            customers: None,
            spend: None,
            margin: 1.0,
            cost_to_serve: 0.0,
            cost_period: CostPeriod::Month,
            model_file: None,
            horizon: "36 months".parse().expect("a valid horizon"),
            discount_rate: 0.0,
            format: EconomicsFormat::Table,
            heatmap: None,
            per_customer: None,
            cost_col: None,
            segment: None,
            allow_unidentified: false,
            min_months: clv_core::economics::DEFAULT_MIN_MONTHS,
            resamples: clv_core::economics::DEFAULT_RESAMPLES,
            seed: 1,
            channel_chart: None,
            payback_chart: None,
        }
    }
}

/// Report formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidateFormat {
    /// A readable table.
    #[default]
    Table,
    /// One JSON object.
    Json,
}

/// `validate`: fit on the calibration window, predict the holdout, compare.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidateSettings {
    /// The transactions (a calibration end is required).
    pub data: DataSettings,
    /// Models to validate; empty for every continuous-time model.
    pub models: Vec<ModelKind>,
    /// L2 penalty weight.
    pub penalty: f64,
    /// Directory for the SVG charts.
    pub charts: Option<PathBuf>,
}

/// Report formats of `referrals`, `engagement` and `profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// Readable tables.
    #[default]
    Table,
    /// One JSON object.
    Json,
}

/// What `segment`, `actions`, `referrals`, `engagement` and `profile`
/// share: the transactions, the model (a model file or models fitted
/// here), the value settings and the influence inputs (customers file with
/// `referred_by`, spend file, events file).
#[derive(Debug, Clone, PartialEq)]
pub struct InfluenceSettings {
    /// The transactions and how to read them (the whole history: no
    /// calibration end).
    pub data: DataSettings,
    /// Models to fit first (when there is no model file).
    pub model: ModelSettings,
    /// A model written by `fit`.
    pub model_file: Option<PathBuf>,
    /// Use a model that is not identified (see
    /// [`crate::model_file::require_identified`]).
    pub allow_unidentified: bool,
    /// Horizon of the CLV.
    pub horizon: Horizon,
    /// Annual discount rate of the CLV.
    pub discount_rate: f64,
    /// Margin factor applied to revenue (CLV and CRV are margin values).
    pub margin: f64,
    /// Customers file (`customer_id`, `channel`, `acquisition_cost`,
    /// `referred_by`, any attribute columns).
    pub customers: Option<PathBuf>,
    /// Marketing spend file (`date`, `channel`, `amount`): the blended CAC
    /// of paid channels is the acquisition cost a referral saves.
    pub spend: Option<PathBuf>,
    /// Engagement events (`customer_id`, `timestamp`, `kind`[, `weight`]).
    pub events: Option<PathBuf>,
    /// A segment map (CSV `segment,r_min,r_max,f_min,f_max,m_min,m_max`)
    /// replacing the default RFM map.
    pub segment_map: Option<PathBuf>,
    /// Windows (days) of the next-purchase probabilities; the first is the
    /// `p_purchase_30d` column's (30 by default), each adds a
    /// `p_purchase_{N}d` column.
    pub windows_days: Vec<u32>,
    /// P(alive) below this: high churn risk.
    pub churn_high_below: f64,
    /// P(alive) at or above this: low churn risk.
    pub churn_low_from: f64,
    /// Share of referred customers who would not have come otherwise.
    pub referral_incremental_share: f64,
    /// The acquisition cost a referral saves; `None`: the blended CAC of
    /// paid channels from the spend file, else the mean known
    /// acquisition cost of customers who were not referred.
    pub referral_cac_saved: Option<f64>,
    /// Half-life (days) of the recency weighting of engagement events.
    pub half_life_days: f64,
    /// CLV at or above this is "high" in the CLV x CRV quadrants; `None`:
    /// the median CLV.
    pub quadrant_clv_cut: Option<f64>,
    /// CRV at or above this (and above 0) is "high"; `None`: the median CRV
    /// of customers with a positive CRV.
    pub quadrant_crv_cut: Option<f64>,
}

impl InfluenceSettings {
    /// Settings with the CLI's defaults.
    pub fn new(data: DataSettings) -> Self {
        InfluenceSettings {
            data,
            model: ModelSettings::default(),
            model_file: None,
            allow_unidentified: false,
            horizon: "12 months".parse().expect("a valid horizon"),
            discount_rate: 0.1,
            margin: 1.0,
            customers: None,
            spend: None,
            events: None,
            segment_map: None,
            windows_days: vec![30],
            churn_high_below: 0.3,
            churn_low_from: 0.7,
            referral_incremental_share: 0.5,
            referral_cac_saved: None,
            half_life_days: 90.0,
            quadrant_clv_cut: None,
            quadrant_crv_cut: None,
        }
    }
}

/// `actions`: thresholds and caps of the action lists (see
/// [`clv_core::actions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionsSettings {
    /// Win back: P(alive) below this.
    pub win_back_below: f64,
    /// Win back: past revenue at least this; `None` for the median.
    pub win_back_min_value: Option<f64>,
    /// Remind: the window (days) of the next-purchase probability.
    pub remind_days: u32,
    /// Remind: next-purchase probability in the window at least this.
    pub remind_min_probability: f64,
    /// Reward: the top share of customers by total value.
    pub reward_top_share: f64,
    /// Ask for referrals: the top share of customers by CLV.
    pub ask_referral_top_share: f64,
    /// Ask for referrals: at most this many referrals so far.
    pub ask_referral_max_referrals: u32,
    /// At most this many customers per list.
    pub max_per_list: Option<usize>,
}

impl Default for ActionsSettings {
    fn default() -> Self {
        ActionsSettings {
            win_back_below: 0.3,
            win_back_min_value: None,
            remind_days: 14,
            remind_min_probability: 0.5,
            reward_top_share: 0.05,
            ask_referral_top_share: 0.2,
            ask_referral_max_referrals: 0,
            max_per_list: None,
        }
    }
}
