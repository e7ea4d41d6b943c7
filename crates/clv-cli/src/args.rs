//! Command-line arguments (the interface is a contract: add, never rename).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Customer lifetime value from a transaction log: summaries, BG/NBD and
/// Gamma-Gamma models, predictions and simulation.
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
    Economics(crate::commands::economics::EconomicsArgs),
    /// Fit on a calibration window, predict the holdout and compare models.
    Validate(crate::commands::validate::ValidateArgs),
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

/// Models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelName {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    #[value(name = "bg-nbd")]
    BgNbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    #[value(name = "pareto-nbd")]
    ParetoNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007).
    #[value(name = "mbg-nbd")]
    MbgNbd,
    /// BG/BB for discrete opportunities (Fader, Hardie & Shang 2010); --time-unit is the period.
    #[value(name = "bg-bb")]
    BgBb,
    /// Shifted-beta-geometric for subscriptions (Fader & Hardie 2007); needs --subscriptions.
    #[value(name = "sbg")]
    Sbg,
    /// Fit every purchase model on a calibration window and keep the one with the
    /// lowest holdout error (needs --calibration-end).
    #[value(name = "auto")]
    Auto,
}

/// Spend models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SpendName {
    /// Gamma-Gamma (Fader, Hardie & Lee 2005; Colombo & Jiang 1999).
    #[value(name = "gamma-gamma")]
    GammaGamma,
}

/// Where the transactions are and how to read them.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Transaction log: CSV (any delimiter), Parquet or newline-delimited JSON; one row per purchase
    /// (`fit` and `predict` can take --summary or --subscriptions instead).
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
    /// CSV field delimiter (one character; `\t` for tab) [default: ,].
    #[arg(long)]
    pub delimiter: Option<String>,
}

impl DataArgs {
    /// The transaction log, or a usage error saying it is required.
    pub fn transactions_path(&self) -> Result<&std::path::Path, anyhow::Error> {
        self.transactions
            .as_deref()
            .ok_or_else(|| crate::error::usage("the TRANSACTIONS file is required"))
    }
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
    #[arg(long, conflicts_with = "transactions")]
    pub summary: Option<PathBuf>,
    /// Subscribers for --model sbg: CSV with columns customer_id,duration,churned
    /// and an optional cohort (duration = whole periods stayed).
    #[arg(long, conflicts_with_all = ["transactions", "summary"])]
    pub subscriptions: Option<PathBuf>,
}

/// `clv fit`.
#[derive(Debug, Args)]
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

/// `clv predict`.
#[derive(Debug, Args)]
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
    /// Output CSV file (written atomically); stdout when absent.
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
}

fn parse_unit(s: &str) -> Result<clv_core::TimeUnit, String> {
    s.parse().map_err(|e: clv_core::Error| e.to_string())
}

fn parse_horizon(s: &str) -> Result<clv_core::Horizon, String> {
    s.parse().map_err(|e: clv_core::Error| e.to_string())
}
