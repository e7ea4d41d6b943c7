//! Command-line arguments (the interface is a contract: add, never rename).

use std::path::PathBuf;

use std::sync::OnceLock;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clv_app::settings as app;
use clv_app::{Error, Result};
use clv_core::Horizon;
use clv_core::models::ModelKind;

/// Customer lifetime value from a transaction log: customer summaries,
/// purchase and spend models, predictions with error bars, holdout
/// validation, unit economics and simulation.
#[derive(Debug, Parser)]
#[command(name = "clv", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing on stderr but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Per-customer summary: frequency, recency, T, monetary value (and holdout columns).
    Summarize(SummarizeArgs),
    /// Fit a purchase model (and optionally a spend model); writes the model as JSON.
    Fit(FitArgs),
    /// Predict P(alive), expected purchases, expected spend and CLV for every customer.
    Predict(PredictArgs),
    /// Write a synthetic transaction log from BG/NBD + Gamma-Gamma.
    Simulate(SimulateArgs),
    /// Unit economics: formula and model LTV, CAC, LTV:CAC, payback, cohorts.
    Economics(EconomicsArgs),
    /// Fit on a calibration window, predict the holdout and compare models.
    Validate(ValidateArgs),
    /// One row per customer: RFM scores and segment, CLV tier, churn risk,
    /// next purchase, referral value (CRV), total value, engagement.
    Segment(SegmentArgs),
    /// Lists to act on (win back, remind, reward, ask for referrals,
    /// activate advocates), one CSV each, ranked by the value of acting.
    Actions(ActionsArgs),
    /// Referral sources: referred customers and their value by referrer and
    /// channel, top referrers by CRV, the CLV x CRV quadrants.
    Referrals(ReferralsArgs),
    /// Community engagement per kind, and engaged vs not engaged customers
    /// compared (with intervals; an association, not a cause).
    Engagement(EngagementArgs),
    /// Ideal customer profile: attribute values over-represented among the
    /// top decile by total value, with lift and Wilson intervals.
    Profile(ProfileArgs),
    /// Serve the HTTP API (for the CRM) and the web dashboard (for the
    /// marketing team) until stopped with Ctrl-C.
    Serve(ServeArgs),
}

/// `clv serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory of the datasets, the results and the database (created when missing).
    #[arg(long, value_name = "DIR", default_value = "clv-data")]
    pub data: PathBuf,
    /// Address to listen on; without a token only loopback addresses are allowed.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Token that writes and customer-level reads need (Authorization: Bearer TOKEN);
    /// default: the environment variable CLV_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Largest upload, in megabytes.
    #[arg(long, value_name = "MB", default_value_t = 1024)]
    pub max_upload_mb: u64,
    /// Analyses that run at once (more wait in the queue).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub jobs: usize,
}

/// How purchase times become (x, t_x, T).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Convention {
    /// Same-day purchases merged, fractional time in the chosen unit (BTYD papers).
    Exact,
    /// Dates floored to day/week/month/year periods, whole periods (Python `lifetimes`).
    Period,
}

/// What a zero-amount row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ZeroAmounts {
    /// A purchase worth 0 (a free or fully discounted order): counted in
    /// frequency, recency and T and in the monetary mean; always reported.
    Keep,
    /// Not a purchase: dropped and reported.
    Drop,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header.
    Csv,
    /// A JSON array of objects.
    Json,
    /// Apache Parquet (requires --output).
    Parquet,
}

/// `--model`: the purchase models of the registry
/// (`clv_core::models::ModelKind`), then `sbg` and `auto`; the possible values
/// and their help come from the registry, so a new model needs no change here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelName(pub app::ModelChoice);

impl ValueEnum for ModelName {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: OnceLock<Vec<ModelName>> = OnceLock::new();
        ALL.get_or_init(|| app::ModelChoice::all().into_iter().map(ModelName).collect())
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self.0 {
            app::ModelChoice::Purchase(k) if k.is_discrete() => {
                format!("{}; --time-unit is the period", k.summary())
            }
            app::ModelChoice::Purchase(k) => k.summary().to_string(),
            app::ModelChoice::Sbg => {
                "Shifted-beta-geometric for subscriptions (Fader & Hardie 2007); needs --subscriptions"
                    .into()
            }
            app::ModelChoice::Auto => "Fit every purchase model on a calibration window and keep \
                                      the one with the lowest holdout error (needs --calibration-end)"
                .into(),
        };
        Some(PossibleValue::new(self.0.name()).help(help))
    }
}

/// `clv predict --model`: parses every name (so that `sbg` and `auto` get
/// the application layer's explanation) but lists only the purchase models.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseModelParser;

impl clap::builder::TypedValueParser for PurchaseModelParser {
    type Value = ModelName;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<ModelName, clap::Error> {
        let values: Vec<PossibleValue> = self.possible_values().into_iter().flatten().collect();
        let name = clap::builder::PossibleValuesParser::new(values).parse_ref(cmd, arg, value)?;
        Ok(*ModelName::value_variants()
            .iter()
            .find(|m| m.0.name() == name)
            .expect("a possible value is a model"))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(ModelName::value_variants().iter().filter_map(
            |m| {
                let value = m.to_possible_value()?;
                Some(match m.0 {
                    app::ModelChoice::Purchase(_) => value,
                    _ => value.hide(true),
                })
            },
        )))
    }
}

/// `--spend`: the spend models (`clv_app::settings::SpendModel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendName(pub app::SpendModel);

impl ValueEnum for SpendName {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: OnceLock<Vec<SpendName>> = OnceLock::new();
        ALL.get_or_init(|| {
            app::SpendModel::ALL
                .iter()
                .copied()
                .map(SpendName)
                .collect()
        })
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name()).help(self.0.summary()))
    }
}

/// Where the transactions are and how to read them.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Transaction log: CSV (any delimiter), Parquet or newline-delimited JSON; one row per purchase.
    pub transactions: Option<PathBuf>,
    /// Column holding the customer id.
    #[arg(long, default_value = "customer_id")]
    pub customer_col: String,
    /// Column holding the purchase date or timestamp.
    #[arg(long, default_value = "date")]
    pub date_col: String,
    /// Column holding the purchase amount.
    #[arg(long, default_value = "amount")]
    pub amount_col: String,
    /// Date format (chrono strftime, e.g. "%d/%m/%Y"); default: ISO dates and
    /// timestamps, or YYYYMMDD.
    #[arg(long)]
    pub date_format: Option<String>,
    /// Time unit of recency, T and the model [default: week].
    #[arg(long, value_parser = parse_unit)]
    pub time_unit: Option<clv_core::TimeUnit>,
    /// Summary convention.
    #[arg(long, value_enum, default_value_t = Convention::Exact)]
    pub convention: Convention,
    /// End of the calibration window (YYYY-MM-DD); later purchases form the holdout.
    #[arg(long)]
    pub calibration_end: Option<String>,
    /// End of observation (YYYY-MM-DD) [default: the last date in the data].
    #[arg(long)]
    pub observation_end: Option<String>,
    /// Whether zero-amount rows count as purchases (reported either way).
    #[arg(long, value_enum, default_value_t = ZeroAmounts::Keep)]
    pub zero_amounts: ZeroAmounts,
    /// Skip (and count) malformed rows instead of stopping at the first.
    #[arg(long)]
    pub skip_invalid: bool,
    /// CSV field delimiter (one character; `\t` for tab) [default: sniffed
    /// from the header among , ; tab |].
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Amounts use a decimal comma and `.` (or a space) groups thousands,
    /// as in "1.234,50 EUR" [default: detected when the first rows settle it].
    #[arg(long)]
    pub decimal_comma: bool,
    /// SQL query whose result is the transactions, e.g. "SELECT customer_id,
    /// date, SUM(amount) AS amount FROM orders WHERE status = 'paid' GROUP BY
    /// customer_id, date": run by the embedded engine (DataFusion) over the
    /// files, TRANSACTIONS (if given) being the table named by its file stem
    /// in lower case; with --source, run by that PostgreSQL server. The
    /// column flags name columns of the result.
    #[arg(long, value_name = "SQL")]
    pub query: Option<String>,
    /// Another file (CSV, Parquet, JSON) as table NAME of --query (repeatable).
    #[arg(
        long,
        value_name = "NAME=PATH",
        value_parser = parse_register,
        requires = "query",
        conflicts_with = "source"
    )]
    pub register: Vec<(String, PathBuf)>,
    /// Memory the --query engine may hold (e.g. 512M, 4G) before its sorts and
    /// aggregations spill to temporary files [default: half the machine's memory].
    #[arg(
        long,
        value_name = "SIZE",
        value_parser = parse_size,
        requires = "query",
        conflicts_with = "source"
    )]
    pub query_memory_limit: Option<usize>,
    /// Read the transactions from PostgreSQL instead of a file:
    /// postgres://USER@HOST:PORT/DATABASE (a password from the URL,
    /// PGPASSWORD or ~/.pgpass; PGHOST, PGPORT, PGUSER, PGDATABASE fill in
    /// the rest), with --source-table or --query.
    #[arg(long, value_name = "URL", conflicts_with = "transactions", value_parser = pg_url)]
    pub source: Option<clv_data::PgUrl>,
    /// The table (or view, SCHEMA.TABLE) of --source holding the transactions.
    #[arg(long, value_name = "NAME", conflicts_with = "query")]
    pub source_table: Option<String>,
    /// With --source, let PostgreSQL group the rows per customer and day
    /// when only the summary is needed (same result, less data moved):
    /// always, never, or auto: when the planner expects at least a fifth
    /// fewer rows grouped than streamed.
    #[arg(long, value_enum, default_value_t = Pushdown::Auto, hide_possible_values = true)]
    pub pushdown: Pushdown,
}

fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (
            &t[..i],
            match c.to_ascii_uppercase() {
                'K' => 1usize << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("expected a size such as 512M or 4G, got {s:?}")),
            },
        ),
        _ => (t, 1),
    };
    match num.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x * mult as f64 >= 1.0 => Ok((x * mult as f64) as usize),
        _ => Err(format!("expected a size such as 512M or 4G, got {s:?}")),
    }
}

fn parse_register(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.trim().is_empty() && !path.is_empty() => {
            Ok((name.trim().to_string(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "expected NAME=PATH (a table name for --query, then the file), got {s:?}"
        )),
    }
}

/// A PostgreSQL URL (kept as given; shown without its password).
fn pg_url(s: &str) -> std::result::Result<clv_data::PgUrl, String> {
    Ok(clv_data::PgUrl::new(s))
}

/// Whether PostgreSQL aggregates the rows (`--pushdown`): `auto` when the
/// planner expects at least a fifth fewer rows grouped, `always` whenever
/// only the summary is needed and the columns allow it, `never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pushdown {
    /// When the planner expects at least a fifth fewer rows grouped.
    Auto,
    /// Whenever only the summary is needed and the columns allow it.
    Always,
    /// Never: every row is streamed.
    Never,
}

/// Where to write a result table in PostgreSQL (`--sink`, `--sink-table`).
#[derive(Debug, Clone, Args)]
pub struct SinkArgs {
    /// Write the result table to PostgreSQL: postgres://USER@HOST:PORT/DATABASE
    /// (credentials as for --source). The table is replaced atomically and
    /// the run recorded in clv_runs.
    #[arg(long, value_name = "URL", requires = "sink_table", value_parser = pg_url)]
    pub sink: Option<clv_data::PgUrl>,
    /// The table of --sink to replace with the result (SCHEMA.TABLE or TABLE).
    #[arg(long, value_name = "NAME", requires = "sink")]
    pub sink_table: Option<String>,
}

/// Where and how to write a table.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output file (written atomically); stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Output format [default: from the --output extension, else csv].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `clv summarize`.
#[derive(Debug, Args)]
pub struct SummarizeArgs {
    #[command(flatten)]
    /// Input.
    pub data: DataArgs,
    #[command(flatten)]
    /// Output.
    pub out: OutputArgs,
}

/// Model choice and fitting options shared by `fit` and `predict`.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Purchase model to fit.
    #[arg(long, value_enum)]
    pub model: Option<ModelName>,
    /// Spend model to fit beside the purchase model.
    #[arg(long, value_enum)]
    pub spend: Option<SpendName>,
    /// L2 penalty weight on the parameters (0 = plain maximum likelihood).
    #[arg(long, default_value_t = 0.0)]
    pub penalty: f64,
}

/// Inputs that replace the transaction log.
#[derive(Debug, Clone, Args)]
pub struct TableInputs {
    /// A per-customer summary instead of transactions: CSV with columns
    /// frequency,recency,T and optional weight, customer_id, monetary_value (for
    /// BG/BB: T = opportunities, recency = last opportunity with a transaction).
    #[arg(long, conflicts_with_all = ["transactions", "query", "source"])]
    pub summary: Option<PathBuf>,
    /// Subscribers for --model sbg: CSV with columns customer_id,duration,churned
    /// and an optional cohort (duration = whole periods stayed).
    #[arg(long, conflicts_with_all = ["transactions", "summary", "query", "source"])]
    pub subscriptions: Option<PathBuf>,
}

/// `clv fit`.
#[derive(Debug, Args)]
#[command(mut_arg("transactions", |a| a.help(
    "Transaction log: CSV (any delimiter), Parquet or newline-delimited JSON; one row per \
     purchase (or --summary, or --subscriptions for --model sbg, instead)"
)))]
pub struct FitArgs {
    #[command(flatten)]
    /// Input.
    pub data: DataArgs,
    #[command(flatten)]
    /// Summary or subscription input instead of transactions.
    pub tables: TableInputs,
    #[command(flatten)]
    /// Model.
    pub model: ModelArgs,
    /// Model JSON file (written atomically); stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// `clv predict`. `--subscriptions` (of the shared [`TableInputs`]) is hidden:
/// subscriptions are predicted by `clv fit --model sbg`, and the flag only
/// says so; `--model` lists the purchase models only.
#[derive(Debug, Args)]
#[command(
    mut_arg("transactions", |a| a.help(
        "Transaction log: CSV (any delimiter), Parquet or newline-delimited JSON; one row per \
         purchase (or --summary instead)"
    )),
    mut_arg("subscriptions", |a| a.hide(true)),
    mut_arg("model", |a| a
        .value_parser(PurchaseModelParser)
        .help("Purchase model to fit first (instead of --model-file)")),
)]
pub struct PredictArgs {
    #[command(flatten)]
    /// Input.
    pub data: DataArgs,
    #[command(flatten)]
    /// Model to fit first (instead of --model-file).
    pub model: ModelArgs,
    #[command(flatten)]
    /// Summary input instead of transactions.
    pub tables: TableInputs,
    /// A model written by `clv fit`.
    #[arg(long, conflicts_with_all = ["model", "spend"])]
    pub model_file: Option<PathBuf>,
    /// Use a model that is not identified ("identified": false in the model
    /// file: too few customers or repeat buyers, no or huge standard errors,
    /// a parameter run off to 0 or infinity) instead of refusing it; its
    /// warnings are printed
    #[arg(long)]
    pub allow_unidentified: bool,
    /// Prediction horizon with its unit, e.g. "12 months", "52 weeks", "90 days".
    #[arg(long, value_parser = parse_horizon)]
    pub horizon: clv_core::Horizon,
    /// Annual discount rate for CLV (0.1 = 10% a year).
    #[arg(long, default_value_t = 0.1)]
    pub discount_rate: f64,
    /// Margin factor applied to revenue (1 = revenue, 0.3 = 30% gross margin).
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Add prediction intervals at this level (e.g. 0.9 for 5%-95%) for
    /// P(alive), expected purchases and CLV, from parameter uncertainty.
    #[arg(long)]
    pub intervals: Option<f64>,
    /// Intervals from N customer-resampling bootstrap refits instead of
    /// parametric draws from the estimates' covariance.
    #[arg(long, requires = "intervals")]
    pub bootstrap: Option<usize>,
    /// Number of parametric draws for --intervals.
    #[arg(long, default_value_t = 1000, requires = "intervals")]
    pub draws: usize,
    /// Random seed for --intervals (same seed, same intervals).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    /// Output.
    pub out: OutputArgs,
    #[command(flatten)]
    /// PostgreSQL output.
    pub sink: SinkArgs,
}

/// `clv simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Number of customers.
    #[arg(long)]
    pub customers: usize,
    /// First day of the simulated period (YYYY-MM-DD).
    #[arg(long)]
    pub start: String,
    /// Length of the simulated period in days.
    #[arg(long)]
    pub days: u32,
    /// BG/NBD parameters, e.g. "r=0.243,alpha=4.414,a=0.793,b=2.426" (rates per --time-unit).
    #[arg(long)]
    pub params: String,
    /// Gamma-Gamma parameters, e.g. "p=6.25,q=3.74,v=15.44" [default: those values, fitted on CDNOW].
    #[arg(long)]
    pub spend: Option<String>,
    /// Random seed (same seed, same file).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Time unit the BG/NBD parameters are expressed in.
    #[arg(long, value_parser = parse_unit, default_value = "week")]
    pub time_unit: clv_core::TimeUnit,
    /// First purchases are spread uniformly over this many days from the start [default: a quarter of --days].
    #[arg(long)]
    pub acquisition_days: Option<u32>,
    /// Output file (written atomically): CSV, or Parquet when the name ends in
    /// .parquet or .pq (customer_id Int64, date Date32, amount Float64; without
    /// --channels); CSV on stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Acquisition channels, `name:share:cac[:rate[:spend]],...`: the share of
    /// customers, the acquisition cost per customer, and multipliers of the
    /// purchase rate and of the spend per purchase (default 1). A channel named
    /// "referral" gets referrers and per-customer costs instead of spend rows.
    #[arg(long)]
    pub channels: Option<String>,
    /// Write the customers file (customer_id, acquired_at, channel, acquisition_cost, referred_by); needs --channels.
    #[arg(long, requires = "channels")]
    pub customers_output: Option<PathBuf>,
    /// Write the monthly marketing spend (date, channel, amount); needs --channels.
    #[arg(long, requires = "channels")]
    pub spend_output: Option<PathBuf>,
    /// How the "referral" channel's referrers are drawn among the customers
    /// acquired on earlier days: uniform (all alike) or preferential (in
    /// proportion to their purchase rate, so referral counts are
    /// heavy-tailed) [default: uniform]; needs --customers-output.
    #[arg(
        long,
        value_enum,
        hide_possible_values = true,
        requires = "customers_output"
    )]
    pub referrals: Option<ReferralsArg>,
    /// Write engagement events (customer_id, timestamp, kind, weight); needs
    /// --channels. 40% of customers never engage; the others' events arrive
    /// at the daily rate lambda^0.7 * G (lambda: purchases per day, G ~
    /// Gamma(2, 1/2) noise with mean 1), from the first purchase until
    /// dropout or the end; kinds review, mention, share, event, forum_post,
    /// support_ticket.
    #[arg(long, requires = "channels")]
    pub events_output: Option<PathBuf>,
    /// Add region (north/south/east/west, no effect) and plan (plus for 20%
    /// of customers, who buy twice as often; else basic) to the customers
    /// file; needs --customers-output.
    #[arg(long, requires = "customers_output")]
    pub attributes: bool,
}

/// Values of `clv simulate --referrals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReferralsArg {
    /// Every customer acquired earlier is equally likely.
    Uniform,
    /// In proportion to the earlier customer's purchase rate.
    Preferential,
}

/// Output formats of `clv economics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EconomicsFormat {
    /// Human-readable tables.
    Table,
    /// One JSON object (the contract: formula_ltv, channels, cohorts, warnings, ...).
    Json,
    /// Long ("tidy") CSV: section,channel,cohort,month,metric,value.
    Csv,
}

/// The period of `--cost-to-serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostPeriod {
    /// Per customer per day.
    Day,
    /// Per customer per week.
    Week,
    /// Per customer per month.
    Month,
    /// Per customer per year.
    Year,
}

/// `clv economics`. `--calibration-end` (of the shared [`DataArgs`]) is
/// hidden: economics uses the whole history, and the flag only says so.
#[derive(Debug, Args)]
#[command(mut_arg("calibration_end", |a| a.hide(true)))]
pub struct EconomicsArgs {
    #[command(flatten)]
    /// Input.
    pub data: DataArgs,
    /// Customers file: customer_id (or the --customer-col name), acquired_at
    /// (dates as in --date-format), channel, acquisition_cost, referred_by and
    /// any other attribute columns (CSV, Parquet or JSON).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Marketing spend file: date (or YYYY-MM), channel, amount [, campaign].
    #[arg(long)]
    pub spend: Option<PathBuf>,
    /// Gross margin as a fraction of revenue (0.3 = 30%).
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Cost to serve (retention cost) per customer per --cost-period.
    #[arg(long, default_value_t = 0.0)]
    pub cost_to_serve: f64,
    /// The period of --cost-to-serve.
    #[arg(long, value_enum, default_value_t = CostPeriod::Month)]
    pub cost_period: CostPeriod,
    /// A model written by `clv fit` (a purchase model [+ Gamma-Gamma]) for model LTV and projected payback.
    #[arg(long)]
    pub model_file: Option<PathBuf>,
    /// Use a model that is not identified ("identified": false in the model
    /// file: too few customers or repeat buyers, no or huge standard errors,
    /// a parameter run off to 0 or infinity) instead of refusing it; its
    /// warnings are printed
    #[arg(long)]
    pub allow_unidentified: bool,
    /// Horizon of the model projection and of the full formula's duration.
    #[arg(long, value_parser = parse_horizon, default_value = "36 months")]
    pub horizon: Horizon,
    /// Annual discount rate of projected revenue (0 = undiscounted, like the formula).
    #[arg(long, default_value_t = 0.0)]
    pub discount_rate: f64,
    /// Output format [default: from the --output extension (.json, .csv),
    /// else table]; an explicit --format wins over the extension.
    #[arg(long, value_enum)]
    pub format: Option<EconomicsFormat>,
    /// Output file (written atomically); stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Write the cohort retention heatmap as SVG to this file.
    #[arg(long)]
    pub heatmap: Option<PathBuf>,
    /// Write per-customer historic value (and model value) to this file (CSV, JSON or Parquet by extension).
    #[arg(long)]
    pub per_customer: Option<PathBuf>,
    /// A cost-of-goods column of the transactions: margins are amount - cost
    /// per purchase (instead of --margin); read in a second pass.
    #[arg(long, conflicts_with = "margin")]
    pub cost_col: Option<String>,
    /// A column of the customers file to segment by (CAC, LTV, LTV:CAC and loss flag per segment).
    #[arg(long, requires = "customers")]
    pub segment: Option<String>,
    /// Complete months of data the formula LTV needs; below, its ltv and
    /// full_ltv are withheld (null) with a warning.
    #[arg(long, default_value_t = clv_core::economics::DEFAULT_MIN_MONTHS, value_parser = clap::value_parser!(u32).range(2..))]
    pub min_months: u32,
    /// Bootstrap resamples (of customers within each acquisition month and
    /// channel) behind the 90% intervals of the channels and cohorts.
    #[arg(long, default_value_t = clv_core::economics::DEFAULT_RESAMPLES as u64, value_parser = clap::value_parser!(u64).range(20..=100_000))]
    pub resamples: u64,
    /// Seed of the bootstrap (the same seed gives the same intervals).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the channel chart as SVG to this file: margin LTV and CAC per
    /// channel side by side, with 90% intervals.
    #[arg(long, value_name = "FILE")]
    pub channel_chart: Option<PathBuf>,
    /// Write the payback chart as SVG to this file: payback month per channel
    /// with its 90% interval.
    #[arg(long, value_name = "FILE")]
    pub payback_chart: Option<PathBuf>,
}

/// `clv validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    /// Input (--calibration-end is required).
    pub data: DataArgs,
    /// Purchase model to validate; repeat for several [default: every
    /// continuous-time model].
    #[arg(long = "model", value_name = "M", value_parser = parse_model)]
    pub models: Vec<ModelKind>,
    /// L2 penalty weight on the parameters (0 = plain maximum likelihood).
    #[arg(long, default_value_t = 0.0)]
    pub penalty: f64,
    /// Report file (written atomically); stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Report format [default: json for a .json --output, else table].
    #[arg(long, value_enum)]
    pub format: Option<ValidateFormat>,
    /// Directory for the SVG charts (tracking curves, histogram,
    /// calibration vs holdout); created if needed.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
}

/// Report formats of `clv validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// A readable table.
    Table,
    /// One JSON object.
    Json,
}

/// The lower-case extension of an optional path.
pub fn extension(path: Option<&std::path::Path>) -> Option<String> {
    path.and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

fn parse_model(s: &str) -> Result<clv_core::models::ModelKind, String> {
    s.parse().map_err(|e: clv_core::Error| e.to_string())
}

fn parse_unit(s: &str) -> Result<clv_core::TimeUnit, String> {
    s.parse().map_err(|e: clv_core::Error| e.to_string())
}

fn parse_horizon(s: &str) -> Result<clv_core::Horizon, String> {
    s.parse().map_err(|e: clv_core::Error| e.to_string())
}

// From flags to the application layer's settings.

fn parse_date(flag: &str, s: &str) -> Result<clv_data::NaiveDate> {
    clv_data::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| Error::Usage(format!("{flag} {s:?}: {e} (expected YYYY-MM-DD)")))
}

impl DataArgs {
    /// The data settings for these flags.
    pub fn settings(&self) -> Result<app::DataSettings> {
        let delimiter = match self.delimiter.as_deref() {
            None => None,
            Some("\\t") | Some("tab") => Some(b'\t'),
            Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
            Some(d) => {
                return Err(Error::Usage(format!(
                    "--delimiter must be one character, got {d:?}"
                )));
            }
        };
        Ok(app::DataSettings {
            transactions: self.transactions.clone(),
            customer_col: self.customer_col.clone(),
            date_col: self.date_col.clone(),
            amount_col: self.amount_col.clone(),
            date_format: self.date_format.clone(),
            time_unit: self.time_unit,
            convention: match self.convention {
                Convention::Exact => clv_data::Convention::Exact,
                Convention::Period => clv_data::Convention::Period,
            },
            calibration_end: self
                .calibration_end
                .as_deref()
                .map(|s| parse_date("--calibration-end", s))
                .transpose()?,
            observation_end: self
                .observation_end
                .as_deref()
                .map(|s| parse_date("--observation-end", s))
                .transpose()?,
            zero_amounts: match self.zero_amounts {
                ZeroAmounts::Keep => clv_data::ZeroAmounts::Keep,
                ZeroAmounts::Drop => clv_data::ZeroAmounts::Drop,
            },
            skip_invalid: self.skip_invalid,
            delimiter,
            decimal_comma: self.decimal_comma,
            table: None,
            query: self.query.clone(),
            register: self.register.clone(),
            query_memory_limit: self.query_memory_limit,
            source: self.source.clone(),
            source_table: self.source_table.clone(),
            pushdown: match self.pushdown {
                Pushdown::Auto => clv_data::Pushdown::Auto,
                Pushdown::Always => clv_data::Pushdown::Always,
                Pushdown::Never => clv_data::Pushdown::Never,
            },
        })
    }
}

impl ModelArgs {
    /// The model settings for these flags.
    pub fn settings(&self) -> app::ModelSettings {
        app::ModelSettings {
            model: self.model.map(|m| m.0),
            spend: self.spend.map(|s| s.0),
            penalty: self.penalty,
        }
    }
}

impl TableInputs {
    /// The input-table settings for these flags.
    pub fn settings(&self) -> app::InputTables {
        app::InputTables {
            summary: self.summary.clone(),
            subscriptions: self.subscriptions.clone(),
        }
    }
}

impl OutputArgs {
    /// The table format: `--format`, else from the `--output` extension, else CSV.
    pub fn table_format(&self) -> clv_data::OutputFormat {
        match self.format {
            Some(Format::Csv) => clv_data::OutputFormat::Csv,
            Some(Format::Json) => clv_data::OutputFormat::Json,
            Some(Format::Parquet) => clv_data::OutputFormat::Parquet,
            None => self.output.as_deref().map_or(
                clv_data::OutputFormat::Csv,
                clv_data::OutputFormat::from_path,
            ),
        }
    }
}

impl FitArgs {
    /// The fit settings for these flags.
    pub fn settings(&self) -> Result<app::FitSettings> {
        Ok(app::FitSettings {
            data: self.data.settings()?,
            tables: self.tables.settings(),
            model: self.model.settings(),
        })
    }
}

impl PredictArgs {
    /// The predict settings for these flags.
    pub fn settings(&self) -> Result<app::PredictSettings> {
        Ok(app::PredictSettings {
            data: self.data.settings()?,
            model: self.model.settings(),
            tables: self.tables.settings(),
            model_file: self.model_file.clone(),
            horizon: self.horizon,
            discount_rate: self.discount_rate,
            margin: self.margin,
            intervals: self.intervals,
            bootstrap: self.bootstrap,
            draws: self.draws,
            seed: self.seed,
            allow_unidentified: self.allow_unidentified,
        })
    }
}

impl SimulateArgs {
    /// The simulate settings for these flags.
    pub fn settings(&self) -> app::SimulateSettings {
        app::SimulateSettings {
            customers: self.customers,
            start: self.start.clone(),
            days: self.days,
            params: self.params.clone(),
            spend: self.spend.clone(),
            seed: self.seed,
            time_unit: self.time_unit,
            acquisition_days: self.acquisition_days,
            channels: self.channels.clone(),
            customers_output: self.customers_output.clone(),
            spend_output: self.spend_output.clone(),
            referrals: match self.referrals {
                None | Some(ReferralsArg::Uniform) => app::ReferralGraph::Uniform,
                Some(ReferralsArg::Preferential) => app::ReferralGraph::Preferential,
            },
            events_output: self.events_output.clone(),
            attributes: self.attributes,
            parquet: self.output.as_deref().is_some_and(|p| {
                clv_data::OutputFormat::from_path(p) == clv_data::OutputFormat::Parquet
            }),
        }
    }
}

impl EconomicsArgs {
    /// The format the `--output` extension implies: `.json` JSON, `.csv`
    /// CSV, anything else (or stdout) the table.
    pub fn format_from_extension(&self) -> EconomicsFormat {
        match extension(self.output.as_deref()).as_deref() {
            Some("json") => EconomicsFormat::Json,
            Some("csv") => EconomicsFormat::Csv,
            _ => EconomicsFormat::Table,
        }
    }

    /// The economics settings for these flags.
    pub fn settings(&self) -> Result<app::EconomicsSettings> {
        let mut data = self.data.settings()?;
        data.register_inputs([self.customers.as_deref(), self.spend.as_deref()]);
        Ok(app::EconomicsSettings {
            data,
            customers: self.customers.clone(),
            spend: self.spend.clone(),
            margin: self.margin,
            cost_to_serve: self.cost_to_serve,
            cost_period: match self.cost_period {
                CostPeriod::Day => app::CostPeriod::Day,
                CostPeriod::Week => app::CostPeriod::Week,
                CostPeriod::Month => app::CostPeriod::Month,
                CostPeriod::Year => app::CostPeriod::Year,
            },
            model_file: self.model_file.clone(),
            horizon: self.horizon,
            discount_rate: self.discount_rate,
            format: match self.format.unwrap_or_else(|| self.format_from_extension()) {
                EconomicsFormat::Table => app::EconomicsFormat::Table,
                EconomicsFormat::Json => app::EconomicsFormat::Json,
                EconomicsFormat::Csv => app::EconomicsFormat::Csv,
            },
            heatmap: self.heatmap.clone(),
            per_customer: self.per_customer.clone(),
            cost_col: self.cost_col.clone(),
            segment: self.segment.clone(),
            allow_unidentified: self.allow_unidentified,
            min_months: self.min_months,
            resamples: self.resamples as usize,
            seed: self.seed,
            channel_chart: self.channel_chart.clone(),
            payback_chart: self.payback_chart.clone(),
        })
    }
}

impl ValidateArgs {
    /// The validate settings for these flags.
    pub fn settings(&self) -> Result<app::ValidateSettings> {
        Ok(app::ValidateSettings {
            data: self.data.settings()?,
            models: self.models.clone(),
            penalty: self.penalty,
            charts: self.charts.clone(),
        })
    }

    /// The report format: `--format`, else JSON for a `.json` output, else a table.
    pub fn report_format(&self) -> app::ValidateFormat {
        match self.format {
            Some(ValidateFormat::Table) => app::ValidateFormat::Table,
            Some(ValidateFormat::Json) => app::ValidateFormat::Json,
            None => match self
                .output
                .as_ref()
                .and_then(|p| p.extension())
                .and_then(|e| e.to_str())
                .map(|e| e.to_ascii_lowercase())
                .as_deref()
            {
                Some("json") => app::ValidateFormat::Json,
                _ => app::ValidateFormat::Table,
            },
        }
    }
}

/// What `segment`, `actions`, `referrals`, `engagement` and `profile` share:
/// the transactions, the model and the influence inputs.
#[derive(Debug, Args)]
pub struct InfluenceArgs {
    #[command(flatten)]
    /// Input.
    pub data: DataArgs,
    #[command(flatten)]
    /// Model to fit first (instead of --model-file).
    pub model: ModelArgs,
    /// A model written by `clv fit` (any purchase model [+ Gamma-Gamma]).
    #[arg(long, conflicts_with_all = ["model", "spend"])]
    pub model_file: Option<PathBuf>,
    /// Use a model that is not identified ("identified": false in the model
    /// file: too few customers or repeat buyers, no or huge standard errors,
    /// a parameter run off to 0 or infinity) instead of refusing it; its
    /// warnings are printed
    #[arg(long)]
    pub allow_unidentified: bool,
    /// Horizon of the CLV, e.g. "12 months", "52 weeks", "365 days".
    #[arg(long, value_parser = parse_horizon, default_value = "12 months")]
    pub horizon: clv_core::Horizon,
    /// Annual discount rate of the CLV (0.1 = 10% a year).
    #[arg(long, default_value_t = 0.1)]
    pub discount_rate: f64,
    /// Gross margin as a fraction of revenue (0.3 = 30%): CLV and CRV are margin values.
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Customers file: customer_id (or the --customer-col name), channel,
    /// acquisition_cost, referred_by (the referrer's id) and any attribute
    /// columns (CSV, Parquet or JSON).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Marketing spend file (date, channel, amount): its blended CAC of paid
    /// channels is the acquisition cost a referral saves.
    #[arg(long = "spend-file")]
    pub spend_file: Option<PathBuf>,
    /// Engagement events: customer_id, timestamp, kind [, weight] (CSV,
    /// Parquet or JSON); kinds such as review, mention, share, event.
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Half-life in days of the recency weighting of engagement events (an
    /// event that old counts half).
    #[arg(long = "half-life", default_value_t = 90.0)]
    pub half_life: f64,
    /// Share of referred customers who would not have come without the
    /// referral (f in CRV = f x CLV + (1 - f) x (CAC saved - reward)).
    #[arg(long, default_value_t = 0.5)]
    pub referral_incremental_share: f64,
    /// The acquisition cost a referral saves [default: the blended CAC of
    /// paid channels from --spend-file, else the mean known acquisition cost of
    /// customers who were not referred].
    #[arg(long)]
    pub referral_cac_saved: Option<f64>,
    /// CLV at or above this is "high" in the CLV x CRV quadrants [default: the median CLV].
    #[arg(long)]
    pub clv_cut: Option<f64>,
    /// CRV at or above this (and above 0) is "high" [default: the median CRV of referrers].
    #[arg(long)]
    pub crv_cut: Option<f64>,
    /// P(alive) below this is high churn risk.
    #[arg(long, default_value_t = 0.3)]
    pub churn_high_below: f64,
    /// P(alive) at or above this is low churn risk (between the two: medium).
    #[arg(long, default_value_t = 0.7)]
    pub churn_low_from: f64,
}

impl InfluenceArgs {
    /// The influence settings for these flags.
    pub fn settings(&self) -> Result<app::InfluenceSettings> {
        let mut data = self.data.settings()?;
        data.register_inputs([
            self.customers.as_deref(),
            self.spend_file.as_deref(),
            self.events.as_deref(),
        ]);
        let mut s = app::InfluenceSettings::new(data);
        s.model = self.model.settings();
        s.model_file = self.model_file.clone();
        s.allow_unidentified = self.allow_unidentified;
        s.horizon = self.horizon;
        s.discount_rate = self.discount_rate;
        s.margin = self.margin;
        s.customers = self.customers.clone();
        s.spend = self.spend_file.clone();
        s.events = self.events.clone();
        s.half_life_days = self.half_life;
        s.referral_incremental_share = self.referral_incremental_share;
        s.referral_cac_saved = self.referral_cac_saved;
        s.quadrant_clv_cut = self.clv_cut;
        s.quadrant_crv_cut = self.crv_cut;
        s.churn_high_below = self.churn_high_below;
        s.churn_low_from = self.churn_low_from;
        Ok(s)
    }

    /// Every input file these flags name.
    pub fn inputs(&self) -> Vec<Option<&std::path::Path>> {
        let mut v = vec![
            self.data.transactions.as_deref(),
            self.model_file.as_deref(),
            self.customers.as_deref(),
            self.spend_file.as_deref(),
            self.events.as_deref(),
        ];
        v.extend(self.data.register.iter().map(|(_, p)| Some(p.as_path())));
        v
    }
}

/// `clv segment`.
#[derive(Debug, Args)]
#[command(
    mut_arg("calibration_end", |a| a.hide(true)),
    mut_arg("model", |a| a
        .value_parser(PurchaseModelParser)
        .help("Purchase model to fit first (instead of --model-file)")),
)]
pub struct SegmentArgs {
    #[command(flatten)]
    /// Inputs and model.
    pub input: InfluenceArgs,
    /// RFM segment map replacing the default: CSV with header
    /// segment,r_min,r_max,f_min,f_max,m_min,m_max (scores 1-5; the first
    /// matching row wins; every score combination must be covered).
    #[arg(long)]
    pub segment_map: Option<PathBuf>,
    /// Also give P(at least one purchase within N days) as p_purchase_{N}d
    /// (repeatable; p_purchase_30d is always there).
    #[arg(long = "window")]
    pub windows: Vec<u32>,
    #[command(flatten)]
    /// Output.
    pub out: OutputArgs,
    #[command(flatten)]
    /// PostgreSQL output.
    pub sink: SinkArgs,
}

/// `clv actions`.
#[derive(Debug, Args)]
#[command(
    mut_arg("calibration_end", |a| a.hide(true)),
    mut_arg("sink_table", |a| a.help(
        "The tables of --sink are NAME_win_back, NAME_remind, NAME_reward, NAME_ask_referral \
         and NAME_activate_advocates, replaced together in one transaction"
    )),
    mut_arg("model", |a| a
        .value_parser(PurchaseModelParser)
        .help("Purchase model to fit first (instead of --model-file)")),
)]
pub struct ActionsArgs {
    #[command(flatten)]
    /// Inputs and model.
    pub input: InfluenceArgs,
    /// Directory for the lists: win_back.csv, remind.csv, reward.csv,
    /// ask_referral.csv, activate_advocates.csv (created when missing; its
    /// parent must exist). Not needed with --sink.
    #[arg(long, required_unless_present = "sink")]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    /// The lists as PostgreSQL tables, `<sink-table>_<list>`.
    pub sink: SinkArgs,
    /// Win back: customers whose P(alive) is below this.
    #[arg(long, default_value_t = 0.3)]
    pub win_back_below: f64,
    /// Win back: and whose past revenue is at least this [default: the median past revenue].
    #[arg(long)]
    pub win_back_min_value: Option<f64>,
    /// Remind: the window in days of the next-purchase probability.
    #[arg(long, default_value_t = 14)]
    pub remind_days: u32,
    /// Remind: customers whose probability of buying within --remind-days is at least this.
    #[arg(long, default_value_t = 0.5)]
    pub remind_min_probability: f64,
    /// Reward: the top share of customers by total value (CLV + CRV).
    #[arg(long, default_value_t = 0.05)]
    pub reward_top_share: f64,
    /// Ask for referrals: the top share of customers by CLV ...
    #[arg(long, default_value_t = 0.2)]
    pub ask_referral_top_share: f64,
    /// ... who have referred at most this many customers so far.
    #[arg(long, default_value_t = 0)]
    pub ask_referral_max_referrals: u32,
    /// At most this many customers per list (the highest expected value of acting first).
    #[arg(long)]
    pub max_per_list: Option<usize>,
}

impl ActionsArgs {
    /// The actions settings for these flags.
    pub fn settings(&self) -> app::ActionsSettings {
        app::ActionsSettings {
            win_back_below: self.win_back_below,
            win_back_min_value: self.win_back_min_value,
            remind_days: self.remind_days,
            remind_min_probability: self.remind_min_probability,
            reward_top_share: self.reward_top_share,
            ask_referral_top_share: self.ask_referral_top_share,
            ask_referral_max_referrals: self.ask_referral_max_referrals,
            max_per_list: self.max_per_list,
        }
    }
}

/// Report formats of `referrals`, `engagement` and `profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable tables.
    Table,
    /// One JSON object.
    Json,
}

/// Where a report goes.
#[derive(Debug, Args)]
pub struct ReportOutput {
    /// Report format [default: json for a .json --output, else table].
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Output file (written atomically); stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

impl ReportOutput {
    /// The format asked for, or implied by the output's extension.
    pub fn settings(&self) -> app::ReportFormat {
        match self.format {
            Some(ReportFormat::Json) => app::ReportFormat::Json,
            Some(ReportFormat::Table) => app::ReportFormat::Table,
            None if extension(self.output.as_deref()).as_deref() == Some("json") => {
                app::ReportFormat::Json
            }
            None => app::ReportFormat::Table,
        }
    }
}

/// `clv referrals`.
#[derive(Debug, Args)]
#[command(
    mut_arg("calibration_end", |a| a.hide(true)),
    mut_arg("model", |a| a
        .value_parser(PurchaseModelParser)
        .help("Purchase model to fit first (instead of --model-file)")),
)]
pub struct ReferralsArgs {
    #[command(flatten)]
    /// Inputs and model.
    pub input: InfluenceArgs,
    /// How many top referrers to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    #[command(flatten)]
    /// Output.
    pub out: ReportOutput,
}

/// `clv engagement`.
#[derive(Debug, Args)]
#[command(
    mut_arg("calibration_end", |a| a.hide(true)),
    mut_arg("model", |a| a
        .value_parser(PurchaseModelParser)
        .help("Purchase model to fit first (instead of --model-file)")),
)]
pub struct EngagementArgs {
    #[command(flatten)]
    /// Inputs and model.
    pub input: InfluenceArgs,
    /// A customer is engaged with at least one event and an engagement
    /// score at least this.
    #[arg(long, default_value_t = 0.0)]
    pub engaged_min_score: f64,
    #[command(flatten)]
    /// Output.
    pub out: ReportOutput,
}

/// `clv profile`.
#[derive(Debug, Args)]
#[command(
    mut_arg("calibration_end", |a| a.hide(true)),
    mut_arg("model", |a| a
        .value_parser(PurchaseModelParser)
        .help("Purchase model to fit first (instead of --model-file)")),
)]
pub struct ProfileArgs {
    #[command(flatten)]
    /// Inputs and model.
    pub input: InfluenceArgs,
    /// Leave out attribute values with fewer customers than this.
    #[arg(long, default_value_t = 30)]
    pub min_support: usize,
    #[command(flatten)]
    /// Output.
    pub out: ReportOutput,
}
