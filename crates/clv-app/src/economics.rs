//! `clv economics`: unit economics (CAC, LTV:CAC, payback, formula LTV, cohorts).
//!
//! Reads the transactions (and optionally a customers file, a spend file
//! and a model file), builds the [`clv_core::economics::EconomicsInput`],
//! runs [`clv_core::economics::analyze`] and writes a table, JSON or CSV,
//! plus optional files: a cohort retention heatmap (SVG) and a per-customer
//! table of historic value. The definitions are in the core module's docs.

use std::collections::HashMap;
use std::fmt::Write as _;

use clv_core::TimeUnit;
use clv_core::economics::{self, Economics, EconomicsInput, Settings, SpendMonth, month_label};
use clv_core::value::ValueSettings;
use clv_data::attributes::{NO_CHANNEL, month_of_day};
use serde_json::{Value, json};

use crate::error::{Context, Result, usage};
use crate::fitting::Fitted;
use crate::load::{Loaded, examples};
use crate::model_file::ModelFile;
use crate::output::OutputSet;
use crate::progress::Progress;
use crate::settings::{DataSettings, EconomicsFormat, EconomicsSettings};

/// What the command assembled besides the core's figures.
struct Assembled {
    input: EconomicsInput,
    warnings: Vec<String>,
    /// Row of each customer in the customers file.
    rows: Vec<Option<usize>>,
    acquired_day: Vec<i32>,
    observation_end: clv_data::NaiveDate,
    referrals: Option<Value>,
}

/// `economics`: reads the inputs, joins them, computes the unit economics
/// and returns the report in `settings.format`; the heatmap, the charts and
/// the per-customer table are written to their paths when asked for, as one
/// set (see [`economics_staged`] to add the report itself to the set).
pub fn economics(args: &EconomicsSettings, progress: &dyn Progress) -> Result<String> {
    let mut outputs = OutputSet::new();
    let text = economics_staged(args, progress, &mut outputs)?;
    outputs.commit()?;
    Ok(text)
}

/// As [`economics()`], but the files it writes (heatmap, charts, per-customer
/// table) are only staged in `outputs`: the caller stages the report too
/// and commits the set, so that a failure anywhere leaves no output at all.
pub fn economics_staged(
    args: &EconomicsSettings,
    progress: &dyn Progress,
    outputs: &mut OutputSet,
) -> Result<String> {
    if args.data.calibration_end.is_some() {
        return Err(usage(
            "clv economics uses the whole history; --calibration-end does not apply \
             (give --observation-end to cut the data)",
        ));
    }
    if !(args.margin.is_finite() && (0.0..=1.0).contains(&args.margin)) {
        return Err(usage(format!(
            "--margin must be a fraction between 0 and 1 (0.3 for a 30% gross margin), got {}",
            args.margin
        )));
    }
    if !(args.cost_to_serve.is_finite() && args.cost_to_serve >= 0.0) {
        return Err(usage(format!(
            "--cost-to-serve must be a non-negative number, got {}",
            args.cost_to_serve
        )));
    }
    let model = args
        .model_file
        .as_deref()
        .map(|p| -> Result<ModelFile> {
            let m = ModelFile::read_for(p, args.data.time_unit)?;
            let source = format!("the model in {}", p.display());
            crate::model_file::require_identified(&m, &source, args.allow_unidentified, progress)?;
            Ok(m)
        })
        .transpose()?;
    let unit = model.as_ref().map(|m| m.time_unit);

    // Read the three inputs; the attribute files beside the transactions.
    let (loaded, customers, spend) = std::thread::scope(|sc| -> Result<_> {
        let customers = sc.spawn(|| {
            args.customers
                .as_deref()
                .map(|p| crate::load::read_customers_file(p, &args.data))
                .transpose()
        });
        let spend = sc.spawn(|| -> Result<Option<Vec<clv_data::SpendRow>>> {
            let Some(p) = &args.spend else {
                return Ok(None);
            };
            Ok(Some(clv_data::read_spend(
                p,
                &clv_data::SpendColumns::default(),
            )?))
        });
        let loaded = load(&args.data, unit, progress)?;
        let customers = customers.join().expect("customers reader panicked")?;
        let spend = spend.join().expect("spend reader panicked")?;
        Ok((loaded, customers, spend))
    })?;
    if let Some(c) = &customers {
        progress.say(format!("customers: {} ({} rows)", c.file, c.len()));
    }
    if let Some(s) = &spend {
        progress.say(format!(
            "spend: {} rows, total {:.2}",
            s.len(),
            s.iter().map(|r| r.amount).sum::<f64>()
        ));
    }
    let (loaded, history) = loaded;

    let mut a = progress.stage("joined customers, purchases and spend", || {
        assemble(
            &loaded.summary,
            history,
            customers.as_ref(),
            spend.as_deref(),
        )
    })?;

    // Costs per purchase: the same file read with the cost column as the
    // amount; every purchase must line up with its cost.
    if let Some(col) = &args.cost_col {
        let mut data = args.data.clone();
        data.amount_col = col.clone();
        data.zero_amounts = clv_data::ZeroAmounts::Keep;
        let read = data.read_options();
        let mut opts = data.summary_options(loaded.time_unit);
        opts.observation_end = Some(a.observation_end);
        let (source, path) = data.source()?;
        let out = progress.stage(&format!("read the costs ({col})"), || {
            clv_data::ingest(&*source, &read, &opts, HISTORY)
        })?;
        let (report, costs) = (out.report, out.history.expect("histories asked for"));
        let h = &a.input.history;
        let c = &costs.monthly;
        if report.negative_rows > 0
            || c.offsets != h.offsets
            || c.month != h.month
            || c.orders != h.orders
        {
            return Err(usage(format!(
                "{}: the cost column {col:?} does not line up with the purchases ({} negative costs; \
                 {} purchases with costs, {} with amounts): every kept purchase needs a cost >= 0, \
                 and rows dropped from the amounts (returns) cannot keep a cost",
                path.display(),
                report.negative_rows,
                c.orders.iter().map(|&o| o as u64).sum::<u64>(),
                h.orders.iter().map(|&o| o as u64).sum::<u64>(),
            )));
        }
        a.input.cost = Some(costs.monthly.revenue);
    }

    // Model projection.
    let mut model_values: Option<Vec<f64>> = None;
    if let Some(file) = &model {
        let fitted = Fitted::from_file(file)?;
        let loaded_c = &loaded;
        let spend_values = fitted.expected_spend(loaded_c, progress)?;
        let vs = ValueSettings::new(args.horizon, file.time_unit, args.discount_rate, 1.0)
            .map_err(|e| usage(e.to_string()))?;
        let (groups, ng) = a.input.groups();
        let projection = progress
            .stage(
                &format!(
                    "projected {} customers over {} with the model",
                    loaded_c.data.len(),
                    args.horizon
                ),
                || {
                    economics::project(
                        fitted.purchase.model.as_ref(),
                        &loaded_c.data,
                        &spend_values,
                        &vs.schedule(),
                        &groups,
                        ng,
                    )
                },
            )
            .context("projection failed")?;
        model_values = Some(projection.customer_revenue.clone());
        a.input.projection = Some(projection);
    }

    let cost_per_month = args.cost_to_serve * args.cost_period.per_month();
    let settings = Settings {
        margin: args.margin,
        cost_to_serve_per_month: cost_per_month,
        duration_years: args.horizon.in_unit(TimeUnit::Year),
        min_months: args.min_months,
        resamples: args.resamples,
        seed: args.seed,
        level: economics::DEFAULT_LEVEL,
    };
    let result = progress
        .stage("computed unit economics", || {
            economics::analyze(&a.input, &settings)
        })
        .context("unit economics failed")?;
    let mut warnings = std::mem::take(&mut a.warnings);
    warnings.extend(result.warnings.iter().cloned());
    let segments = match (&args.segment, &customers) {
        (Some(col), Some(c)) => {
            let column = c
                .attributes
                .iter()
                .find(|(name, _)| name == col)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    usage(format!(
                        "--segment {col:?}: no such attribute column in {} (columns: {})",
                        c.file,
                        c.attributes
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            let mut names: Vec<String> = Vec::new();
            let mut index: HashMap<String, u32> = HashMap::new();
            let seg: Vec<u32> = a
                .rows
                .iter()
                .map(|r| {
                    let v = r.map(|r| column.get(r)).unwrap_or("");
                    let v = if v.is_empty() { NO_CHANNEL } else { v };
                    *index.entry(v.to_string()).or_insert_with(|| {
                        names.push(v.to_string());
                        (names.len() - 1) as u32
                    })
                })
                .collect();
            let (s, w) = economics::segments(&a.input, &settings, &result, &seg, &names)
                .context("segments failed")?;
            warnings.extend(w);
            Some((col.clone(), s))
        }
        _ => None,
    };
    if args.margin == 1.0 && args.cost_col.is_none() {
        warnings.push(
            "no --margin given: margins equal revenue (give --margin 0.3 for a 30% gross margin)"
                .into(),
        );
    }
    for w in &warnings {
        progress.say(format!("warning: {w}"));
    }

    let report = Report {
        args,
        econ: &result,
        a: &a,
        warnings: &warnings,
        model: model.is_some(),
        segments: segments.as_ref(),
    };
    let text = match args.format {
        EconomicsFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report.json())?;
            s.push('\n');
            s
        }
        EconomicsFormat::Csv => report.csv(),
        EconomicsFormat::Table => report.table(),
    };
    if let Some(path) = &args.heatmap {
        outputs.stage(path, |w| Ok(w.write_all(heatmap_svg(&result).as_bytes())?))?;
        progress.say(format!("wrote the cohort heatmap to {}", path.display()));
    }
    if let Some(path) = &args.channel_chart {
        let svg = crate::charts::channel_chart(&result, settings.level);
        outputs.stage(path, |w| Ok(w.write_all(svg.as_bytes())?))?;
        progress.say(format!("wrote the channel chart to {}", path.display()));
    }
    if let Some(path) = &args.payback_chart {
        let svg = crate::charts::payback_chart(&result, settings.level, model.is_some());
        outputs.stage(path, |w| Ok(w.write_all(svg.as_bytes())?))?;
        progress.say(format!("wrote the payback chart to {}", path.display()));
    }
    if let Some(path) = &args.per_customer {
        let values = a.input.customer_values(&settings);
        let names = &a.input.channel_names;
        let mut t = clv_data::Table::new()
            .with_strings("customer_id", loaded.summary.customer_ids.clone())
            .with_str(
                "channel",
                a.input
                    .channel
                    .iter()
                    .map(|&c| names[c as usize].clone())
                    .collect(),
            )
            .with_str(
                "cohort",
                a.input
                    .acquisition_month
                    .iter()
                    .map(|&m| month_label(m))
                    .collect(),
            )
            .with_str(
                "acquired_at",
                a.acquired_day
                    .iter()
                    .map(|&d| clv_data::date::from_days(d).to_string())
                    .collect(),
            )
            .with_f64("orders", values.orders)
            .with_f64("revenue", values.revenue)
            .with_f64("margin", values.margin);
        if let Some(v) = model_values {
            let m = a.input.effective_margin(&settings);
            t = t.with_f64(
                "model_future_margin",
                v.iter()
                    .zip(
                        &a.input
                            .projection
                            .as_ref()
                            .expect("projection")
                            .customer_active_months,
                    )
                    .map(|(r, act)| m * r - cost_per_month * act)
                    .collect(),
            );
        }
        let rows = t.num_rows();
        let format = clv_data::OutputFormat::from_path(path);
        outputs.stage(path, |w| Ok(clv_data::write_table_to(&t, w, format)?))?;
        progress.say(format!("wrote {rows} customers to {}", path.display()));
    }
    Ok(text)
}

/// The transactions with their monthly purchase histories, from one read.
const HISTORY: clv_data::Aggregations = clv_data::Aggregations {
    history: true,
    purchase_days: false,
    purchases: false,
};

type LoadedHistory = (Loaded, clv_data::PurchaseHistory);

/// Reads the transactions with their monthly histories.
fn load(
    args: &DataSettings,
    unit: Option<TimeUnit>,
    progress: &dyn Progress,
) -> Result<LoadedHistory> {
    let (loaded, extra) = crate::load::load_with(args, unit, HISTORY, progress)?;
    Ok((loaded, extra.history.expect("histories asked for")))
}

/// Joins purchases, customers and spend into the core's input; collects
/// warnings about what does not match.
fn assemble(
    summary: &clv_data::Summary,
    history: clv_data::PurchaseHistory,
    customers: Option<&clv_data::CustomerAttributes>,
    spend: Option<&[clv_data::SpendRow]>,
) -> Result<Assembled> {
    let n = summary.len();
    let mut warnings = Vec::new();
    let obs_end = history.observation_end;
    let mut channel_names: Vec<String> = match customers {
        Some(c) => c.channel_names.clone(),
        None => vec!["all".into()],
    };
    let mut channel = Vec::with_capacity(n);
    let mut acquired_day = Vec::with_capacity(n);
    let mut acquisition_cost = Vec::with_capacity(n);
    let mut row_of = Vec::with_capacity(n);
    let mut not_in_file = Vec::new();
    let mut late_acq = Vec::new();
    let mut none_channel: Option<u32> = None;
    let mut seen = vec![false; customers.map_or(0, |c| c.len())];
    for i in 0..n {
        let first = history.first_day[i];
        match customers {
            None => {
                channel.push(0);
                acquired_day.push(first);
                acquisition_cost.push(f64::NAN);
                row_of.push(None);
            }
            Some(c) => {
                let id = summary.customer_id(i);
                match c.find(id) {
                    Some(r) => {
                        seen[r] = true;
                        channel.push(c.channel[r]);
                        let acq = match c.acquired_at[r] {
                            Some(d) if d > first => {
                                late_acq.push(id.to_string());
                                first
                            }
                            Some(d) => d,
                            None => first,
                        };
                        acquired_day.push(acq);
                        acquisition_cost.push(c.acquisition_cost[r]);
                        row_of.push(Some(r));
                    }
                    None => {
                        not_in_file.push(id.to_string());
                        let k = *none_channel.get_or_insert_with(|| {
                            match channel_names.iter().position(|x| x == NO_CHANNEL) {
                                Some(k) => k as u32,
                                None => {
                                    channel_names.push(NO_CHANNEL.into());
                                    (channel_names.len() - 1) as u32
                                }
                            }
                        });
                        channel.push(k);
                        acquired_day.push(first);
                        acquisition_cost.push(f64::NAN);
                        row_of.push(None);
                    }
                }
            }
        }
    }
    if let Some(c) = customers {
        if !not_in_file.is_empty() {
            warnings.push(format!(
                "{} buyers are not in {} ({}); their channel is {NO_CHANNEL} and their CAC unknown",
                not_in_file.len(),
                c.file,
                examples(&not_in_file)
            ));
        }
        let never: Vec<String> = (0..c.len())
            .filter(|&r| !seen[r])
            .map(|r| c.ids.get(r).to_string())
            .collect();
        if !never.is_empty() {
            warnings.push(format!(
                "{} customers in {} never bought (first at {}: {}); they are left out: customers \
                 here are buyers, and CAC counts new buyers",
                never.len(),
                c.file,
                c.location(c.find(&never[0]).expect("listed")),
                examples(&never)
            ));
        }
        if !late_acq.is_empty() {
            warnings.push(format!(
                "{} customers in {} have an acquired_at after their first purchase ({}); their \
                 first purchase is used",
                late_acq.len(),
                c.file,
                examples(&late_acq)
            ));
        }
    }

    // Referrals: referrers must be known customers.
    let referrals = customers.and_then(|c| {
        let refs = c.referred_by.as_ref()?;
        let mut unknown = Vec::new();
        let mut self_ref = Vec::new();
        let mut by_channel: HashMap<u32, (u64, f64)> = HashMap::new();
        let mut referred = 0u64;
        let mut referred_revenue = 0.0;
        let mut referrers = std::collections::HashSet::new();
        for (i, row) in row_of.iter().enumerate() {
            let Some(r) = *row else { continue };
            let by = refs.get(r);
            if by.is_empty() {
                continue;
            }
            if by == c.ids.get(r) {
                self_ref.push(by.to_string());
                continue;
            }
            let Some(rr) = c.find(by) else {
                unknown.push(by.to_string());
                continue;
            };
            referred += 1;
            referrers.insert(rr);
            let rev: f64 = history.monthly.revenue[history.monthly.range(i)]
                .iter()
                .sum();
            referred_revenue += rev;
            let e = by_channel.entry(c.channel[rr]).or_default();
            e.0 += 1;
            e.1 += rev;
        }
        if !unknown.is_empty() {
            warnings.push(format!(
                "{} referred_by values name no customer of {} ({}); those referrals are not counted",
                unknown.len(),
                c.file,
                examples(&unknown)
            ));
        }
        if !self_ref.is_empty() {
            warnings.push(format!(
                "{} customers refer themselves ({}); not counted",
                self_ref.len(),
                examples(&self_ref)
            ));
        }
        let mut rows: Vec<(u32, (u64, f64))> = by_channel.into_iter().collect();
        rows.sort_by_key(|r| r.0);
        Some(json!({
            "referred_customers": referred,
            "referrers": referrers.len(),
            "referred_revenue": referred_revenue,
            "by_referrer_channel": rows.iter().map(|(ch, (k, rev))| json!({
                "channel": c.channel_names[*ch as usize],
                "referrals": k,
                "referred_revenue": rev,
            })).collect::<Vec<_>>(),
        }))
    });

    // Spend per channel and month.
    let mut spend_months: Vec<SpendMonth> = Vec::new();
    if let Some(rows) = spend {
        let mut sums: std::collections::BTreeMap<(u32, i32), f64> = Default::default();
        let mut unknown: Vec<String> = Vec::new();
        let mut after_end = 0usize;
        for r in rows {
            if r.day > obs_end {
                after_end += 1;
                continue;
            }
            let k = if customers.is_none() {
                0
            } else {
                match channel_names.iter().position(|x| *x == r.channel) {
                    Some(k) => k as u32,
                    None => {
                        unknown.push(format!("{} ({})", r.channel, r.location));
                        channel_names.push(r.channel.clone());
                        (channel_names.len() - 1) as u32
                    }
                }
            };
            *sums.entry((k, r.month)).or_default() += r.amount;
        }
        if customers.is_none() {
            let names: std::collections::BTreeSet<&str> =
                rows.iter().map(|r| r.channel.as_str()).collect();
            if names.len() > 1 {
                warnings.push(format!(
                    "no --customers file: the spend of {} channels is pooled into one channel \
                     \"all\" (give --customers with a channel column for CAC per channel)",
                    names.len()
                ));
            }
        }
        if !unknown.is_empty() {
            warnings.push(format!(
                "spend file: channels no customer was acquired through: {}",
                unknown.join(", ")
            ));
        }
        if after_end > 0 {
            warnings.push(format!(
                "spend file: {after_end} rows after the observation end {} are ignored",
                clv_data::date::from_days(obs_end)
            ));
        }
        spend_months = sums
            .into_iter()
            .map(|((channel, month), amount)| SpendMonth {
                channel,
                month,
                amount,
            })
            .collect();
    }

    let acquisition_month: Vec<i32> = acquired_day.iter().map(|&d| month_of_day(d)).collect();
    let last_month = month_of_day(obs_end);
    let input = EconomicsInput {
        history: history.monthly,
        acquisition_month,
        channel,
        channel_names,
        acquisition_cost,
        spend: spend_months,
        last_month,
        last_month_complete: month_of_day(obs_end + 1) != last_month,
        projection: None,
        cost: None,
    };
    Ok(Assembled {
        input,
        warnings,
        rows: row_of,
        acquired_day,
        observation_end: clv_data::date::from_days(obs_end),
        referrals,
    })
}

struct Report<'a> {
    args: &'a EconomicsSettings,
    econ: &'a Economics,
    a: &'a Assembled,
    warnings: &'a [String],
    model: bool,
    segments: Option<&'a (String, Vec<economics::SegmentEconomics>)>,
}

fn num(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

fn fmt_money(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.2}"),
        _ => "-".into(),
    }
}

fn interval_json(iv: Option<economics::Interval>) -> Value {
    match iv {
        Some(i) if i.lo.is_finite() && i.hi.is_finite() => json!({"lo": i.lo, "hi": i.hi}),
        _ => Value::Null,
    }
}

fn payback_interval_json(iv: Option<economics::PaybackInterval>) -> Value {
    match iv {
        Some(i) => json!({"lo": i.lo, "hi": i.hi}),
        None => Value::Null,
    }
}

/// What a payback month means: reached, not within the months covered
/// (observed, plus the projection with a model), or not computed.
fn payback_status(cac: Option<f64>, months: Option<u32>, checked: u32, model: bool) -> String {
    match (cac, months) {
        (None, _) => "unknown CAC".into(),
        (Some(_), Some(_)) => "reached".into(),
        (Some(_), None) if model => {
            format!("not within the {checked} months of data and projection (beyond the horizon)")
        }
        (Some(_), None) => format!("not within the {checked} months observed"),
    }
}

/// The payback cell of the tables: `-` without a CAC, `> N` when not paid
/// back by month N (the last month covered), `*` when projected.
fn payback_cell(cac: Option<f64>, months: Option<u32>, projected: bool, checked: u32) -> String {
    match (cac, months) {
        (None, _) => "-".into(),
        (Some(_), Some(m)) => format!("{m}{}", if projected { "*" } else { "" }),
        (Some(_), None) => format!(">{}", checked.saturating_sub(1)),
    }
}

fn fmt_interval(iv: Option<economics::Interval>, decimals: usize) -> String {
    match iv {
        Some(i) => format!("[{:.*}, {:.*}]", decimals, i.lo, decimals, i.hi),
        None => "".into(),
    }
}

fn fmt_payback_interval(iv: Option<economics::PaybackInterval>) -> String {
    let b = |m: Option<u32>| m.map_or("beyond".into(), |m| m.to_string());
    match iv {
        Some(i) => format!("[{}, {}]", b(i.lo), b(i.hi)),
        None => "".into(),
    }
}

/// How the cost to serve is charged, with its unit.
fn cost_to_serve_rule(per_month: f64) -> String {
    format!(
        "{per_month:.2} per customer per month: in the history and the model projection, for each \
         month in which a customer buys (or is expected to); in the formula, for each month of a \
         customer's expected active life (12 x expected_years months)"
    )
}

fn fmt_pct(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.1}%", 100.0 * x),
        _ => "-".into(),
    }
}

impl Report<'_> {
    fn json(&self) -> Value {
        let e = self.econ;
        let f = &e.formula;
        let formula = json!({
            "average_order_value": num(f.average_order_value),
            "purchase_frequency": num(f.purchase_frequency),
            "lifespan": num(f.lifespan),
            "revenue_ltv": num(f.ltv),
            "net_margin_ltv": num(f.full_ltv),
            "margin_ltv": num(f.value_before_acquisition),
            "ltv": num(f.ltv),
            "full_ltv": num(f.full_ltv),
            "aliases": {
                "ltv": "revenue_ltv",
                "full_ltv": "net_margin_ltv",
                "value_before_acquisition": "margin_ltv",
            },
            "withheld": f.complete_months < f.min_months,
            "complete_months": f.complete_months,
            "min_months": f.min_months,
            "period_retention": num(f.period_retention),
            "retention_period_months": f.retention_period_months,
            "retention_rate": num(f.retention_rate),
            "margin": f.margin,
            "duration": num(Some(f.duration)),
            "expected_years": num(f.expected_years),
            "acquisition_cost": if f.acquisition_cost_known { json!(f.acquisition_cost) } else { Value::Null },
            "cost_to_serve_per_year": f.cost_to_serve_per_year,
            "retention_cost": num(f.retention_cost),
            "value_before_acquisition": num(f.value_before_acquisition),
            "cost_to_serve_rule": cost_to_serve_rule(f.cost_to_serve_per_year / 12.0),
            "window": {
                "rule": "the last 2p complete months, p = min(6, floor(complete_months / 2)): half A its first p months, half B its last p; retention = active in A and B / active in A (over p months); order value and frequency from B",
                "months": f.window_months,
                "half_months": f.retention_period_months,
                "start": month_label(f.window_start),
                "end": month_label(f.window_end),
                "active_customers": f.active,
                "active_customers_before": f.active_before,
                "retained_customers": f.retained,
                "orders": f.orders,
                "revenue": f.revenue,
            },
            "units": "average_order_value, revenue_ltv (ltv), margin_ltv and net_margin_ltv (full_ltv) in currency per customer; purchase_frequency in orders per active customer per year; period_retention per retention_period_months months; retention_rate per year (annual equivalent, not used for the lifespan); lifespan, duration and expected_years in years",
        });
        let sensitivity: Vec<Value> = e
            .sensitivity
            .iter()
            .map(|l| {
                json!({
                    "lever": l.lever,
                    "base": l.base,
                    "changed": l.changed,
                    "full_ltv": l.full_ltv,
                    "change": l.change,
                    "change_pct": num(l.change_pct),
                })
            })
            .collect();
        let channels: Vec<Value> = e
            .channels
            .iter()
            .map(|c| {
                json!({
                    "channel": c.channel,
                    "new_customers": c.new_customers,
                    "spend": num(c.spend),
                    "cac": num(c.cac),
                    "cac_source": c.cac_source.name(),
                    "customers": c.new_customers,
                    "margin_ltv": num(c.ltv),
                    "margin_ltv_interval": interval_json(c.intervals.ltv),
                    "ltv": num(c.ltv),
                    "ltv_source": if self.model { "model" } else { "formula" },
                    "ltv_to_cac": num(c.ltv_to_cac),
                    "ltv_to_cac_interval": interval_json(c.intervals.ltv_to_cac),
                    "payback_months": c.payback_months,
                    "payback_projected": c.payback_projected,
                    "payback_status": payback_status(c.cac, c.payback_months, c.payback_checked_months, self.model),
                    "payback_checked_months": c.payback_checked_months,
                    "payback_interval": payback_interval_json(c.intervals.payback),
                    "net_ltv": num(c.net_ltv),
                    "net_ltv_interval": interval_json(c.intervals.net_ltv),
                    "verdict": c.verdict.name(),
                    "loses_money": c.loses_money,
                    "formula_ltv": num(c.formula_ltv),
                    "model_ltv": num(c.model_ltv),
                    "revenue_per_customer": c.revenue_per_customer,
                    "margin_per_customer": c.margin_per_customer,
                    "customers_with_cac": c.customers_with_cac,
                })
            })
            .collect();
        let cac: Vec<Value> = e
            .cac_by_month
            .iter()
            .map(|c| {
                json!({
                    "channel": c.channel,
                    "month": month_label(c.month),
                    "spend": num(c.spend),
                    "new_customers": c.new_customers,
                    "cac": num(c.cac),
                })
            })
            .collect();
        let cohorts: Vec<Value> = e
            .cohorts
            .iter()
            .map(|c| {
                json!({
                    "cohort": month_label(c.cohort),
                    "customers": c.customers,
                    "cac": num(c.cac),
                    "payback_months": c.payback_months,
                    "payback_projected": c.payback_projected,
                    "payback_status": payback_status(c.cac, c.payback_months, c.payback_checked_months, self.model),
                    "payback_checked_months": c.payback_checked_months,
                    "payback_interval": payback_interval_json(c.intervals.payback),
                    "model_ltv": num(c.model_ltv),
                    "model_ltv_interval": interval_json(c.intervals.ltv),
                    "ltv_to_cac": num(c.ltv_to_cac),
                    "ltv_to_cac_interval": interval_json(c.intervals.ltv_to_cac),
                    "months": c.months.iter().map(|m| json!({
                        "month": m.month,
                        "active": m.active,
                        "retention": m.retention,
                        "revenue": m.revenue,
                        "cumulative_revenue_per_customer": m.cumulative_revenue_per_customer,
                        "orders": m.orders,
                        "margin": m.margin,
                        "cumulative_margin_per_customer": m.cumulative_margin_per_customer,
                        "partial": m.partial,
                    })).collect::<Vec<_>>(),
                    "projected": c.projected.iter().map(|m| json!({
                        "month": m.month,
                        "expected_active": m.expected_active,
                        "expected_revenue": m.expected_revenue,
                        "cumulative_margin_per_customer": m.cumulative_margin_per_customer,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let n = e.customers as f64;
        json!({
            "observation_end": self.a.observation_end.to_string(),
            "customers": e.customers,
            "orders": e.orders,
            "historic": {
                "revenue": e.revenue,
                "margin": e.margin,
                "revenue_per_customer": e.revenue / n,
                "margin_per_customer": e.margin / n,
            },
            "settings": {
                "margin": self.args.margin,
                "cost_col": self.args.cost_col,
                "cost_to_serve_per_month": self.a_cost_per_month(),
                "horizon": self.args.horizon.to_string(),
                "discount_rate": self.args.discount_rate,
                "model_file": self.args.model_file.as_ref().map(|p| p.display().to_string()),
                "min_months": self.args.min_months,
            },
            "formula_ltv": formula,
            "intervals": {
                "method": "bootstrap: the customers of each acquisition month and channel resampled with replacement (group sizes kept)",
                "resamples": self.args.resamples,
                "seed": self.args.seed,
                "level": economics::DEFAULT_LEVEL,
                "min_customers": economics::MIN_CUSTOMERS_FOR_INTERVAL,
                "verdict_rule": "loses money: the interval of net_ltv (margin LTV - CAC) is below 0; makes money: above 0; otherwise not enough data to tell",
            },
            "sensitivity": sensitivity,
            "channels": channels,
            "cac_by_month": cac,
            "cohorts": cohorts,
            "segments": self.segments.map(|(col, s)| json!({
                "column": col,
                "segments": s.iter().map(|g| json!({
                    "segment": g.segment,
                    "customers": g.customers,
                    "cac": num(g.cac),
                    "customers_with_cac": g.customers_with_cac,
                    "ltv": num(g.ltv),
                    "ltv_to_cac": num(g.ltv_to_cac),
                    "net_ltv": num(g.net_ltv),
                    "loses_money": g.loses_money,
                    "revenue_per_customer": g.revenue_per_customer,
                    "margin_per_customer": g.margin_per_customer,
                })).collect::<Vec<_>>(),
            })).unwrap_or(Value::Null),
            "referrals": self.a.referrals.clone().unwrap_or(Value::Null),
            "warnings": self.warnings,
        })
    }

    fn a_cost_per_month(&self) -> f64 {
        self.econ.formula.cost_to_serve_per_year / 12.0
    }

    fn csv(&self) -> String {
        let mut out = String::from("section,channel,cohort,month,metric,value\n");
        let mut row =
            |section: &str, ch: &str, cohort: &str, month: &str, metric: &str, v: Option<f64>| {
                let q = |s: &str| {
                    if s.contains([',', '"', '\n']) {
                        format!("\"{}\"", s.replace('"', "\"\""))
                    } else {
                        s.to_string()
                    }
                };
                let v = match v {
                    Some(x) if x.is_finite() => x.to_string(),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "{section},{},{},{month},{metric},{v}",
                    q(ch),
                    q(cohort)
                );
            };
        let f = &self.econ.formula;
        for (k, v) in [
            ("average_order_value", f.average_order_value),
            ("purchase_frequency", f.purchase_frequency),
            ("retention_rate", f.retention_rate),
            ("lifespan", f.lifespan),
            ("ltv", f.ltv),
            ("margin", Some(f.margin)),
            ("duration", Some(f.duration)),
            ("expected_years", f.expected_years),
            (
                "acquisition_cost",
                f.acquisition_cost_known.then_some(f.acquisition_cost),
            ),
            ("retention_cost", f.retention_cost),
            ("full_ltv", f.full_ltv),
            ("revenue_ltv", f.ltv),
            ("margin_ltv", f.value_before_acquisition),
            ("net_margin_ltv", f.full_ltv),
            ("period_retention", f.period_retention),
            (
                "retention_period_months",
                Some(f64::from(f.retention_period_months)),
            ),
            ("complete_months", Some(f64::from(f.complete_months))),
        ] {
            row("formula_ltv", "", "", "", k, v);
        }
        for l in &self.econ.sensitivity {
            row(
                "sensitivity",
                "",
                "",
                "",
                &format!("{}_change", l.lever),
                Some(l.change),
            );
        }
        for c in &self.econ.channels {
            for (k, v) in [
                ("new_customers", Some(c.new_customers as f64)),
                ("spend", c.spend),
                ("cac", c.cac),
                ("ltv", c.ltv),
                ("ltv_to_cac", c.ltv_to_cac),
                ("payback_months", c.payback_months.map(f64::from)),
                ("net_ltv", c.net_ltv),
                ("formula_ltv", c.formula_ltv),
                ("model_ltv", c.model_ltv),
                ("revenue_per_customer", Some(c.revenue_per_customer)),
                ("margin_per_customer", Some(c.margin_per_customer)),
                ("margin_ltv", c.ltv),
                ("margin_ltv_lo", c.intervals.ltv.map(|i| i.lo)),
                ("margin_ltv_hi", c.intervals.ltv.map(|i| i.hi)),
                ("ltv_to_cac_lo", c.intervals.ltv_to_cac.map(|i| i.lo)),
                ("ltv_to_cac_hi", c.intervals.ltv_to_cac.map(|i| i.hi)),
                ("net_ltv_lo", c.intervals.net_ltv.map(|i| i.lo)),
                ("net_ltv_hi", c.intervals.net_ltv.map(|i| i.hi)),
                (
                    "payback_checked_months",
                    Some(f64::from(c.payback_checked_months)),
                ),
            ] {
                row("channels", &c.channel, "", "", k, v);
            }
        }
        if let Some((_, segs)) = self.segments {
            for g in segs {
                for (k, v) in [
                    ("customers", Some(g.customers as f64)),
                    ("cac", g.cac),
                    ("ltv", g.ltv),
                    ("ltv_to_cac", g.ltv_to_cac),
                    ("net_ltv", g.net_ltv),
                ] {
                    row("segments", &g.segment, "", "", k, v);
                }
            }
        }
        for c in &self.econ.cac_by_month {
            let m = month_label(c.month);
            row("cac_by_month", &c.channel, "", &m, "spend", c.spend);
            row(
                "cac_by_month",
                &c.channel,
                "",
                &m,
                "new_customers",
                Some(c.new_customers as f64),
            );
            row("cac_by_month", &c.channel, "", &m, "cac", c.cac);
        }
        for c in &self.econ.cohorts {
            let label = month_label(c.cohort);
            row(
                "cohorts",
                "",
                &label,
                "",
                "customers",
                Some(c.customers as f64),
            );
            row("cohorts", "", &label, "", "cac", c.cac);
            row(
                "cohorts",
                "",
                &label,
                "",
                "payback_months",
                c.payback_months.map(f64::from),
            );
            for m in &c.months {
                let k = m.month.to_string();
                row("cohorts", "", &label, &k, "active", Some(m.active as f64));
                row("cohorts", "", &label, &k, "retention", Some(m.retention));
                row("cohorts", "", &label, &k, "revenue", Some(m.revenue));
                row(
                    "cohorts",
                    "",
                    &label,
                    &k,
                    "cumulative_revenue_per_customer",
                    Some(m.cumulative_revenue_per_customer),
                );
                row(
                    "cohorts",
                    "",
                    &label,
                    &k,
                    "cumulative_margin_per_customer",
                    Some(m.cumulative_margin_per_customer),
                );
            }
        }
        out
    }

    fn table(&self) -> String {
        let e = self.econ;
        let f = &e.formula;
        let mut s = String::new();
        let n = e.customers as f64;
        let _ = writeln!(
            s,
            "Unit economics to {}: {} customers, {} orders, revenue {:.2} ({:.2} per customer), margin {:.2} ({:.2} per customer)",
            self.a.observation_end,
            e.customers,
            e.orders,
            e.revenue,
            e.revenue / n,
            e.margin,
            e.margin / n
        );
        let _ = writeln!(
            s,
            "\nFormula LTV (window {} to {}, {} months: halves of {}; {} active customers in the later half, {} in the earlier, {} in both; {} complete months of data, {} needed)",
            month_label(f.window_start),
            month_label(f.window_end),
            f.window_months,
            f.retention_period_months,
            f.active,
            f.active_before,
            f.retained,
            f.complete_months,
            f.min_months
        );
        let ret_label = match f.retention_period_months {
            1 => "retention over 1 month (measured)".to_string(),
            p => format!("retention over {p} months (measured)"),
        };
        let rows: Vec<(&str, String)> = vec![
            ("average order value", fmt_money(f.average_order_value)),
            (
                "purchase frequency (orders/year)",
                f.purchase_frequency
                    .map_or("-".into(), |v| format!("{v:.3}")),
            ),
            (ret_label.as_str(), fmt_pct(f.period_retention)),
            (
                "retention rate (annual equivalent)",
                fmt_pct(f.retention_rate),
            ),
            (
                "lifespan (years)",
                f.lifespan.map_or("-".into(), |v| format!("{v:.3}")),
            ),
            ("revenue LTV = AOV x freq. x lifespan", fmt_money(f.ltv)),
            ("gross margin", fmt_pct(Some(f.margin))),
            (
                "duration (years)",
                if f.duration.is_finite() {
                    format!("{:.3}", f.duration)
                } else {
                    "unbounded".into()
                },
            ),
            (
                "expected active years",
                f.expected_years.map_or("-".into(), |v| format!("{v:.3}")),
            ),
            (
                "acquisition cost",
                if f.acquisition_cost_known {
                    fmt_money(Some(f.acquisition_cost))
                } else {
                    "unknown (0)".into()
                },
            ),
            (
                "retention cost (cost to serve)",
                fmt_money(f.retention_cost),
            ),
            (
                "margin LTV (before CAC)",
                fmt_money(f.value_before_acquisition),
            ),
            ("net margin LTV (full LTV)", fmt_money(f.full_ltv)),
        ];
        for (k, v) in rows {
            let _ = writeln!(s, "  {k:<36} {v:>14}");
        }
        let _ = writeln!(
            s,
            "  (cost to serve: {})",
            cost_to_serve_rule(self.a_cost_per_month())
        );
        if !e.sensitivity.is_empty() {
            let _ = writeln!(
                s,
                "\nSensitivity of the net margin LTV to +10% on each lever (change in currency per customer)"
            );
            let _ = writeln!(
                s,
                "  {:<22} {:>12} {:>12} {:>12} {:>10}",
                "lever", "from", "to", "net LTV", "change"
            );
            for l in &e.sensitivity {
                let _ = writeln!(
                    s,
                    "  {:<22} {:>12.4} {:>12.4} {:>12.2} {:>+10.2} ({})",
                    l.lever,
                    l.base,
                    l.changed,
                    l.full_ltv,
                    l.change,
                    l.change_pct
                        .map_or("-".into(), |p| format!("{:+.1}%", 100.0 * p))
                );
            }
            if e.sensitivity.iter().any(|l| l.change_pct.is_none()) {
                let _ = writeln!(
                    s,
                    "  (net margin LTV near zero: changes in currency only, a percentage of it would mislead)"
                );
            }
        }
        let level = 100.0 * economics::DEFAULT_LEVEL;
        let _ = writeln!(
            s,
            "\nChannels (margin LTV: {}; [{level:.0}% intervals], {} bootstrap resamples)",
            if self.model {
                "margin to date + model projection over the horizon, per customer, before CAC"
            } else {
                "formula margin over the expected years less cost to serve, per customer, before CAC"
            },
            self.args.resamples
        );
        let _ = writeln!(
            s,
            "  {:<14} {:>9} {:>11} {:>8} {:>10} {:<20} {:>7} {:<15} {:>7} {:<15} verdict",
            "channel", "customers", "spend", "CAC", "margin LTV", "", "LTV:CAC", "", "payback", "",
        );
        for c in &e.channels {
            let _ = writeln!(
                s,
                "  {:<14} {:>9} {:>11} {:>8} {:>10} {:<20} {:>7} {:<15} {:>7} {:<15} {}",
                c.channel,
                c.new_customers,
                fmt_money(c.spend),
                fmt_money(c.cac),
                fmt_money(c.ltv),
                fmt_interval(c.intervals.ltv, 2),
                c.ltv_to_cac.map_or("-".into(), |v| format!("{v:.2}")),
                fmt_interval(c.intervals.ltv_to_cac, 2),
                payback_cell(
                    c.cac,
                    c.payback_months,
                    c.payback_projected,
                    c.payback_checked_months
                ),
                fmt_payback_interval(c.intervals.payback),
                match c.verdict {
                    economics::Verdict::LosesMoney => "LOSES MONEY on the average customer",
                    v => v.name(),
                }
            );
        }
        let _ = writeln!(
            s,
            "  (payback: months since acquisition, 0 = the acquisition month; * = projected by the model; \
             >N = not paid back by month N, the last month {}; - = CAC unknown. Verdict from the interval \
             of margin LTV - CAC; intervals need at least {} customers)",
            if self.model {
                "of data and projection (the horizon)"
            } else {
                "observed"
            },
            economics::MIN_CUSTOMERS_FOR_INTERVAL
        );
        if let Some((col, segs)) = self.segments {
            let _ = writeln!(s, "\nSegments by {col}");
            let _ = writeln!(
                s,
                "  {:<16} {:>9} {:>9} {:>10} {:>9} {:>10}",
                "segment", "customers", "CAC", "margin LTV", "LTV:CAC", "LTV - CAC"
            );
            for g in segs {
                let _ = writeln!(
                    s,
                    "  {:<16} {:>9} {:>9} {:>10} {:>9} {:>10}{}",
                    g.segment,
                    g.customers,
                    fmt_money(g.cac),
                    fmt_money(g.ltv),
                    g.ltv_to_cac.map_or("-".into(), |v| format!("{v:.2}")),
                    fmt_money(g.net_ltv),
                    if g.loses_money {
                        "  LOSES MONEY on the average customer"
                    } else {
                        ""
                    }
                );
            }
        }
        let _ = writeln!(s, "\nCohorts: retention by months since acquisition");
        let width = e.cohorts.iter().map(|c| c.months.len()).max().unwrap_or(0);
        let mut head = format!(
            "  {:<8} {:>9} {:>9} {:>8}",
            "cohort", "customers", "CAC", "payback"
        );
        for k in 0..width {
            let _ = write!(head, " {:>6}", format!("m{k}"));
        }
        let _ = writeln!(s, "{head}");
        for c in &e.cohorts {
            let mut line = format!(
                "  {:<8} {:>9} {:>9} {:>8}",
                month_label(c.cohort),
                c.customers,
                fmt_money(c.cac),
                payback_cell(
                    c.cac,
                    c.payback_months,
                    c.payback_projected,
                    c.payback_checked_months
                )
            );
            for m in &c.months {
                let _ = write!(
                    line,
                    " {:>6}",
                    format!(
                        "{:.1}{}",
                        100.0 * m.retention,
                        if m.partial { "~" } else { "" }
                    )
                );
            }
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(
            s,
            "  (retention in %; ~ = partial month, cut by the observation end; payback as for channels)"
        );
        if e.cohorts.iter().any(|c| c.intervals != Default::default()) {
            let _ = writeln!(
                s,
                "\nCohorts: {level:.0}% intervals ({} bootstrap resamples)",
                self.args.resamples
            );
            let _ = writeln!(
                s,
                "  {:<8} {:>9} {:>10} {:<20} {:>7} {:<15} {:>7} {:<15}",
                "cohort", "customers", "model LTV", "", "LTV:CAC", "", "payback", ""
            );
            for c in &e.cohorts {
                let _ = writeln!(
                    s,
                    "  {:<8} {:>9} {:>10} {:<20} {:>7} {:<15} {:>7} {:<15}",
                    month_label(c.cohort),
                    c.customers,
                    fmt_money(c.model_ltv),
                    fmt_interval(c.intervals.ltv, 2),
                    c.ltv_to_cac.map_or("-".into(), |v| format!("{v:.2}")),
                    fmt_interval(c.intervals.ltv_to_cac, 2),
                    payback_cell(
                        c.cac,
                        c.payback_months,
                        c.payback_projected,
                        c.payback_checked_months
                    ),
                    fmt_payback_interval(c.intervals.payback),
                );
            }
        }
        let _ = writeln!(s, "\nCohorts: cumulative revenue per customer");
        let mut head2 = format!("  {:<8} {:>9}", "cohort", "customers");
        for k in 0..width {
            let _ = write!(head2, " {:>6}", format!("m{k}"));
        }
        let _ = writeln!(s, "{head2}");
        for c in &e.cohorts {
            let mut line = format!("  {:<8} {:>9}", month_label(c.cohort), c.customers);
            for m in &c.months {
                let _ = write!(line, " {:>6.1}", m.cumulative_revenue_per_customer);
            }
            let _ = writeln!(s, "{line}");
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "\nWarnings");
            for w in self.warnings {
                let _ = writeln!(s, "  - {w}");
            }
        }
        s
    }
}

/// The cohort retention heatmap: cohorts down, months since acquisition
/// across, cells shaded by retention and labelled in %, with a colour scale
/// (`<g class="legend">`); partial months (cut by the observation end) are
/// hatched grey (`class="partial"`) so they do not read as low retention; the
/// chart is at least as wide as its title.
pub fn heatmap_svg(e: &Economics) -> String {
    let cell_w = 44.0;
    let cell_h = 22.0;
    let left = 140.0;
    let top = 56.0;
    let title = "Retention by monthly acquisition cohort (% of the cohort buying in the month)";
    let cols = e.cohorts.iter().map(|c| c.months.len()).max().unwrap_or(0);
    let width = (left + cell_w * cols as f64 + 20.0)
        .max(left + 7.5 * title.len() as f64 + 20.0)
        .max(720.0);
    let legend_y = top + cell_h * e.cohorts.len() as f64 + 24.0;
    let height = legend_y + 90.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r##"<defs><pattern id="partial" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#e6e6e6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b0b0b0" stroke-width="2"/></pattern></defs>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="8" y="20" font-size="14" font-weight="bold">{title}</text>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="8" y="{}" font-weight="bold">cohort (customers)</text>"#,
        top - 8.0
    );
    for k in 0..cols {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">m{k}</text>"#,
            left + cell_w * (k as f64 + 0.5),
            top - 8.0
        );
    }
    // Colour scale relative to the highest retention after month 0 (month 0 is 100%).
    let max_later = e
        .cohorts
        .iter()
        .flat_map(|c| {
            c.months
                .iter()
                .skip(1)
                .filter(|m| !m.partial)
                .map(|m| m.retention)
        })
        .fold(0.0f64, f64::max)
        .max(1e-9);
    // White to dark blue.
    let shade = |t: f64| {
        let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        let (cr, cg, cb) = (lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0));
        format!("#{cr:02x}{cg:02x}{cb:02x}")
    };
    for (r, c) in e.cohorts.iter().enumerate() {
        let y = top + cell_h * r as f64;
        let _ = writeln!(
            s,
            r#"<text x="8" y="{}">{} ({})</text>"#,
            y + cell_h * 0.7,
            month_label(c.cohort),
            c.customers
        );
        for m in &c.months {
            let x = left + cell_w * m.month as f64;
            let t = if m.month == 0 {
                1.0
            } else {
                (m.retention / max_later).clamp(0.0, 1.0)
            };
            let (fill, text, class) = if m.partial {
                ("url(#partial)".to_string(), "#444", "partial")
            } else {
                (shade(t), if t > 0.55 { "white" } else { "black" }, "cell")
            };
            let _ = writeln!(
                s,
                r#"<rect class="{class}" x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{fill}" stroke="white"/>"#,
            );
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" text-anchor="middle" fill="{text}"{}>{:.1}{}</text>"#,
                x + cell_w / 2.0,
                y + cell_h * 0.7,
                if m.partial {
                    r#" font-style="italic""#
                } else {
                    ""
                },
                100.0 * m.retention,
                if m.partial { "~" } else { "" }
            );
        }
    }
    // The colour scale: 0 to the highest later retention, in 5 steps.
    let _ = writeln!(s, r#"<g class="legend">"#);
    let _ = writeln!(
        s,
        r#"<text x="8" y="{}">colour scale (% buying)</text>"#,
        legend_y + 14.0
    );
    let steps = 5;
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        let x = left + 40.0 * i as f64;
        let _ = writeln!(
            s,
            r##"<rect class="scale" x="{x}" y="{legend_y}" width="40" height="16" fill="{}" stroke="#ccc"/><text x="{}" y="{}" text-anchor="middle">{:.1}</text>"##,
            shade(t),
            x + 20.0,
            legend_y + 30.0,
            100.0 * max_later * t
        );
    }
    let px = left + 40.0 * (steps + 1) as f64 + 24.0;
    let _ = writeln!(
        s,
        r##"<rect x="{px}" y="{legend_y}" width="40" height="16" fill="url(#partial)" stroke="#ccc"/><text x="{}" y="{}">partial month (cut by the observation end; ~)</text>"##,
        px + 48.0,
        legend_y + 12.0
    );
    let _ = writeln!(s, "</g>");
    let _ = writeln!(
        s,
        r##"<text x="8" y="{}" fill="#555">Month 0 is the acquisition month (100%); the scale runs to the highest later retention ({:.1}%) of complete months.</text>"##,
        legend_y + 56.0,
        100.0 * max_later
    );
    s.push_str("</svg>\n");
    s
}
