//! `clv simulate`: a synthetic transaction log from BG/NBD + Gamma-Gamma.
//!
//! Purchases follow [`clv_core::sim`] (BG/NBD purchases and dropout,
//! Gamma-Gamma spend). With channels (`--channels`) the customers are split
//! between acquisition channels, and a customers file and monthly spend can
//! be written beside the transactions. Three more outputs plant what the
//! influence commands (`clv referrals`, `clv engagement`, `clv profile`)
//! should find; each needs channels, and without them every output is what
//! it was before they existed.
//!
//! # Referral graph ([`ReferralGraph`], `--referrals`)
//!
//! A customer of the channel named `referral` gets a referrer among the
//! customers whose first purchase is on an earlier day (none for the
//! customers of the first day). `uniform` (the default) draws every
//! earlier customer with equal probability. `preferential` draws earlier
//! customer `j` with probability `lambda_j / sum of lambda over the earlier
//! customers`, where `lambda` is the customer's purchase rate: customers who
//! buy more refer more, and since `lambda` is Gamma-distributed with a
//! small shape (`r` = 0.243 at CDNOW's parameters) the number of customers a
//! referrer brings is heavy-tailed (a few refer many, most none). A referrer
//! is always acquired before the customers they referred, and with
//! `preferential` is still active (not yet dropped out) on the day of the
//! referral: draws of inactive customers are rejected, at most
//! [`REFERRER_TRIES`] times, after which the customer has no referrer
//! (counted in a note).
//!
//! # Planted attributes (`--attributes`)
//!
//! The customers file gains `region` (`north`, `south`, `east`, `west`,
//! equally likely, without any effect on behaviour) and `plan`: `plus` for
//! each customer independently with probability [`PLUS_SHARE`] (20%), else
//! `basic`. A plus customer's purchase rate is drawn with `alpha /`
//! [`PLUS_RATE`], so it is twice that of a basic customer of the same
//! channel in distribution (`E[lambda] = r / alpha`); spend per purchase is
//! unchanged (x1.0). Plus customers therefore buy about twice as often and
//! are over-represented among the most valuable: the attribute `clv profile`
//! should find. The plus customers of a channel come from a random stream
//! of their own.
//!
//! # Engagement events (`--events-output`)
//!
//! `customer_id,timestamp,kind,weight`, one row per event, customers in id
//! order and each customer's events in time order. For each customer:
//! - with probability [`NEVER_ENGAGE`] (40%) the customer never engages;
//! - otherwise events arrive as a Poisson process with rate (per day)
//!   `k * lambda^0.7 * G`, where `lambda` is the customer's purchase rate per
//!   day, `k` = [`EVENT_SCALE`] = 1, the exponent [`EVENT_EXPONENT`] = 0.7 and
//!   `G ~ Gamma(shape 2, scale 1/2)` noise with mean 1 (the mean of two unit
//!   exponentials): customers who buy more engage more, the planted
//!   association `clv engagement` should find;
//! - events happen only while the customer is active: from their first
//!   purchase until their dropout (the repeat purchase after which they
//!   dropped out) or the end of the period;
//! - each event's kind and weight are drawn from [`EVENT_KINDS`]: review
//!   (20%, weight 2), mention (25%, 1), share (20%, 1), event attended (5%,
//!   3), forum_post (20%, 1), support_ticket (10%, 0.5);
//! - timestamps are ISO date-times in UTC, `2024-03-01T13:45:12Z`.
//!
//! All three draw from random streams of their own (splitmix64 hashes of
//! the seed, a salt and the customer), so the same seed gives the same
//! files and `--referrals` and `--events-output` leave the transactions
//! unchanged.

use std::io::Write;

use chrono::{Duration, NaiveDate};
use clv_core::bgnbd::BgNbdParams;
use clv_core::gamma_gamma::GammaGammaParams;
use clv_core::sim::{BLOCK, SimulatedCustomer, Simulation};

use crate::error::{Context, Result, usage};
use crate::progress::Progress;
use crate::settings::{ReferralGraph, SimulateSettings};

/// What a simulation wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simulated {
    /// Purchase rows written.
    pub purchases: usize,
    /// Customers simulated.
    pub customers: usize,
}

/// Parses "k1=v1,k2=v2" into values in the order of `names`, all required.
pub fn parse_params(text: &str, names: &[&str], flag: &str) -> Result<Vec<f64>> {
    let mut values = vec![None; names.len()];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| usage(format!("{flag}: expected name=value, got {part:?}")))?;
        let i = names.iter().position(|n| *n == k.trim()).ok_or_else(|| {
            usage(format!(
                "{flag}: unknown parameter {:?} (expected {})",
                k.trim(),
                names.join(", ")
            ))
        })?;
        let x: f64 = v
            .trim()
            .parse()
            .map_err(|_| usage(format!("{flag}: {k} = {v:?} is not a number")))?;
        values[i] = Some(x);
    }
    names
        .iter()
        .zip(values)
        .map(|(n, v)| v.ok_or_else(|| usage(format!("{flag}: missing parameter {n}"))))
        .collect()
}

/// Simulates `settings.customers` customers and writes their purchases to
/// `out` as CSV (`customer_id,date,amount`); with channels, also the
/// customers file and the monthly spend to the paths in `settings`.
pub fn simulate(
    args: &SimulateSettings,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<Simulated> {
    let p = parse_params(&args.params, &["r", "alpha", "a", "b"], "--params")?;
    let purchases =
        BgNbdParams::new(p[0], p[1], p[2], p[3]).map_err(|e| usage(format!("--params: {e}")))?;
    let s = parse_params(
        args.spend.as_deref().unwrap_or("p=6.25,q=3.74,v=15.44"),
        &["p", "q", "v"],
        "--spend",
    )?;
    let spend =
        GammaGammaParams::new(s[0], s[1], s[2]).map_err(|e| usage(format!("--spend: {e}")))?;
    let start = NaiveDate::parse_from_str(&args.start, "%Y-%m-%d").map_err(|e| {
        usage(format!(
            "--start {:?}: {e} (expected YYYY-MM-DD)",
            args.start
        ))
    })?;
    if args.days == 0 {
        return Err(usage("--days must be at least 1"));
    }
    if args.customers == 0 {
        return Err(usage("--customers must be at least 1"));
    }
    let acquisition_days = args.acquisition_days.unwrap_or(args.days.div_ceil(4));
    if acquisition_days == 0 || acquisition_days > args.days {
        return Err(usage("--acquisition-days must be between 1 and --days"));
    }
    let unit_days = args.time_unit.days();
    let sim = Simulation {
        purchases,
        spend: Some(spend),
        customers: args.customers,
        // Simulated times are in the parameters' unit; purchases on day d of
        // the period fall in [d, d + 1) days, at most one per customer and
        // day (see `SimulatedCustomer::purchase_days`).
        acquisition: acquisition_days as f64 / unit_days,
        end: args.days as f64 / unit_days,
        seed: args.seed,
    };
    sim.validate().map_err(|e| usage(e.to_string()))?;
    // Date strings for every day of the period, formatted once.
    let dates: Vec<String> = (0..args.days)
        .map(|d| {
            (start + Duration::days(d as i64))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    if args.channels.is_none() {
        for (set, flag) in [
            (args.events_output.is_some(), "--events-output"),
            (args.attributes, "--attributes"),
            (args.referrals != ReferralGraph::Uniform, "--referrals"),
        ] {
            if set {
                return Err(usage(format!("{flag} needs --channels")));
            }
        }
    }
    if let Some(spec) = &args.channels {
        if args.parquet {
            return Err(usage(
                "Parquet output is for plain transaction logs: with --channels, write CSV",
            ));
        }
        let channels = parse_channels(spec)?;
        return run_channels(args, &sim, &channels, &dates, out, progress);
    }
    if args.parquet {
        let first_day = clv_data::date::to_days(start);
        let mut w = clv_data::PurchaseParquetWriter::new(out)?;
        progress.stage(
            &format!(
                "simulated {} customers over {} days",
                args.customers, args.days
            ),
            || -> Result<()> {
                let chunk = 64 * BLOCK;
                for from in (0..args.customers).step_by(chunk) {
                    let customers = sim.run_range(from, chunk).context("simulation failed")?;
                    for (k, c) in customers.iter().enumerate() {
                        let id = (from + k + 1) as i64;
                        for (day, i) in c.purchase_days(unit_days, dates.len() - 1) {
                            w.push(
                                id,
                                first_day + day as i32,
                                cents(c.amounts[i]) as f64 / 100.0,
                            )?;
                        }
                    }
                }
                Ok(())
            },
        )?;
        let rows = w.rows() as usize;
        w.finish()?;
        return Ok(Simulated {
            purchases: rows,
            customers: args.customers,
        });
    }
    let mut rows = 0usize;
    progress.stage(
        &format!(
            "simulated {} customers over {} days",
            args.customers, args.days
        ),
        || -> Result<()> {
            let w: &mut dyn Write = &mut *out;
            {
                w.write_all(b"customer_id,date,amount\n")?;
                let chunk = 64 * BLOCK;
                let mut line = String::with_capacity(64);
                for from in (0..args.customers).step_by(chunk) {
                    let customers = sim.run_range(from, chunk).context("simulation failed")?;
                    for (k, c) in customers.iter().enumerate() {
                        let id = from + k + 1;
                        for (day, i) in c.purchase_days(unit_days, dates.len() - 1) {
                            purchase_line(&mut line, id, &dates[day], c.amounts[i]);
                            w.write_all(line.as_bytes())?;
                            rows += 1;
                        }
                    }
                }
                Ok(())
            }
        },
    )?;
    Ok(Simulated {
        purchases: rows,
        customers: args.customers,
    })
}

/// One simulated acquisition channel (see `--channels`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSpec {
    /// Name.
    pub name: String,
    /// Share of the customers (normalised over the channels).
    pub share: f64,
    /// Acquisition cost per customer.
    pub cac: f64,
    /// Multiplier of the purchase rate (`alpha / rate`).
    pub rate: f64,
    /// Multiplier of the spend per purchase (`v * spend`: the mean purchase value `p v / (q - 1)` scales with it).
    pub spend: f64,
}

/// Parses `name:share:cac[:rate[:spend]],...`.
pub fn parse_channels(text: &str) -> Result<Vec<ChannelSpec>> {
    let mut out: Vec<ChannelSpec> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let f: Vec<&str> = part.split(':').map(str::trim).collect();
        if !(3..=5).contains(&f.len()) || f[0].is_empty() {
            return Err(usage(format!(
                "--channels: expected name:share:cac[:rate[:spend]], got {part:?}"
            )));
        }
        let num = |i: usize, what: &str| -> Result<f64> {
            match f.get(i) {
                None => Ok(1.0),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                    _ => Err(usage(format!(
                        "--channels: {what} of {:?} must be a non-negative number, got {v:?}",
                        f[0]
                    ))),
                },
            }
        };
        let c = ChannelSpec {
            name: f[0].to_string(),
            share: num(1, "share")?,
            cac: num(2, "cac")?,
            rate: num(3, "rate")?,
            spend: num(4, "spend")?,
        };
        if c.rate <= 0.0 || c.spend <= 0.0 {
            return Err(usage(format!(
                "--channels: rate and spend multipliers of {:?} must be positive",
                c.name
            )));
        }
        if out.iter().any(|o| o.name == c.name) {
            return Err(usage(format!("--channels: {:?} given twice", c.name)));
        }
        out.push(c);
    }
    if out.len() > 255 {
        return Err(usage("--channels: at most 255 channels"));
    }
    let total: f64 = out.iter().map(|c| c.share).sum();
    if out.is_empty() || total <= 0.0 {
        return Err(usage(
            "--channels: give at least one channel with a positive share",
        ));
    }
    for c in &mut out {
        c.share /= total;
    }
    Ok(out)
}

/// `customer_id,date,amount` with the amount in cents, rounded half away
/// from zero, at least one cent.
/// An amount in whole cents, at least one (as written to the log).
fn cents(amount: f64) -> u64 {
    ((amount * 100.0).round() as u64).max(1)
}

fn purchase_line(line: &mut String, id: usize, date: &str, amount: f64) {
    use std::fmt::Write as _;
    line.clear();
    let cents = cents(amount);
    let _ = writeln!(line, "{id},{date},{}.{:02}", cents / 100, cents % 100);
}

/// splitmix64: a deterministic hash for the referrer draw.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic random stream (splitmix64) for the draws of the
/// influence flags (plans, regions, referrers, events). It is kept apart
/// from the purchase streams, so these flags never change the purchases
/// a seed gives (except `plan`, which changes purchase rates on purpose).
struct Mixer(u64);

impl Mixer {
    fn new(seed: u64, salt: u64, i: u64) -> Self {
        Mixer(mix(seed ^ salt ^ mix(i)))
    }

    fn next_u64(&mut self) -> u64 {
        let r = mix(self.0);
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        r
    }

    /// Uniform on `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with mean 1 (`-ln(1 - U)`, finite since `1 - U > 0`).
    fn exponential(&mut self) -> f64 {
        -(1.0 - self.uniform()).ln()
    }
}

/// Salts of the influence draws.
const SALT_PLAN: u64 = 0x706c_616e;
const SALT_REGION: u64 = 0x7265_6769_6f6e;
const SALT_REFERRER: u64 = 0x0072_6566_6572;
const SALT_EVENTS: u64 = 0x6576_656e_7473;
const SALT_PLUS_STREAM: u64 = 0x706c_7573;

/// Share of customers on the `plus` plan with `--attributes`.
pub const PLUS_SHARE: f64 = 0.2;
/// Purchase-rate multiplier of the `plus` plan.
pub const PLUS_RATE: f64 = 2.0;
/// Regions of `--attributes`, equally likely, without effect on behaviour.
pub const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
/// Share of customers who never engage (no events at all).
pub const NEVER_ENGAGE: f64 = 0.4;
/// Scale `k` of the event rate `k * lambda^0.7 * G` (`lambda` in purchases
/// per day, the rate in events per day).
pub const EVENT_SCALE: f64 = 1.0;
/// Exponent of the purchase rate in the event rate.
pub const EVENT_EXPONENT: f64 = 0.7;
/// Event kinds with their probabilities and weights.
pub const EVENT_KINDS: [(&str, f64, f64); 6] = [
    ("review", 0.20, 2.0),
    ("mention", 0.25, 1.0),
    ("share", 0.20, 1.0),
    ("event", 0.05, 3.0),
    ("forum_post", 0.20, 1.0),
    ("support_ticket", 0.10, 0.5),
];

/// The customers of one simulation, drawn chunk by chunk in id order.
struct Stream {
    sim: Simulation,
    from: usize,
    buf: std::vec::IntoIter<SimulatedCustomer>,
}

impl Stream {
    const CHUNK: usize = 64 * BLOCK;

    fn new(sim: Simulation) -> Self {
        Stream {
            sim,
            from: 0,
            buf: Vec::new().into_iter(),
        }
    }

    fn next(&mut self) -> Result<SimulatedCustomer> {
        loop {
            if let Some(c) = self.buf.next() {
                return Ok(c);
            }
            if self.from >= self.sim.customers {
                return None.context("simulation: a customer stream ran out");
            }
            self.buf = self
                .sim
                .run_range(self.from, Self::CHUNK)
                .context("simulation failed")?
                .into_iter();
            self.from += Self::CHUNK;
        }
    }
}

/// Draws of a preferential referrer before a referral customer is left
/// without one (every draw fell on a customer no longer active).
pub const REFERRER_TRIES: u64 = 64;

/// What the influence outputs need of each customer.
#[derive(Debug, Clone, Copy)]
struct Traits {
    /// Purchase rate per day.
    lambda_day: f64,
    /// Birth (first purchase) in days from the start.
    start: f64,
    /// End of the active life in days from the start.
    until: f64,
}

/// The channel path of `clv simulate`: customers are split between the
/// channels (ids in channel order), each channel simulated with its own
/// purchase-rate and spend multipliers and its own random stream; the
/// customers file and the monthly spend (the channel's CAC times its new
/// customers of the month) are written beside the transactions, and the
/// engagement events when asked (see the module docs).
fn run_channels(
    args: &SimulateSettings,
    base: &Simulation,
    channels: &[ChannelSpec],
    dates: &[String],
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<Simulated> {
    let unit_days = args.time_unit.days();
    let n = args.customers;
    if args.attributes && args.customers_output.is_none() {
        return Err(usage("--attributes needs --customers-output"));
    }
    if args.referrals != ReferralGraph::Uniform && args.customers_output.is_none() {
        return Err(usage("--referrals needs --customers-output"));
    }
    // Customers per channel: rounded shares, the remainder to the last.
    let mut counts: Vec<usize> = channels
        .iter()
        .map(|c| (c.share * n as f64).round() as usize)
        .collect();
    let assigned: usize = counts[..counts.len() - 1].iter().sum();
    let last = counts.len() - 1;
    counts[last] = n.saturating_sub(assigned.min(n));
    // Plans (with --attributes): plus with probability PLUS_SHARE, by id.
    let plus: Vec<bool> = if args.attributes {
        (0..n)
            .map(|i| Mixer::new(args.seed, SALT_PLAN, i as u64).uniform() < PLUS_SHARE)
            .collect()
    } else {
        Vec::new()
    };
    let keep_traits = args.events_output.is_some() || args.referrals != ReferralGraph::Uniform;
    let mut traits: Vec<Traits> = Vec::with_capacity(if keep_traits { n } else { 0 });
    let mut births: Vec<(u32, u8)> = Vec::with_capacity(n); // (birth day, channel)
    let mut rows = 0usize;
    progress.stage(
        &format!(
            "simulated {n} customers in {} channels over {} days",
            channels.len(),
            args.days
        ),
        || -> Result<()> {
            let w: &mut dyn Write = &mut *out;
            {
                w.write_all(b"customer_id,date,amount\n")?;
                let mut line = String::with_capacity(64);
                let mut id0 = 0usize;
                for (k, (c, &count)) in channels.iter().zip(&counts).enumerate() {
                    let p = base.purchases;
                    let channel_sim = |rate: f64, customers: usize, seed: u64| {
                        Ok::<_, crate::Error>(Simulation {
                            purchases: BgNbdParams::new(
                                p.r(),
                                p.alpha() / (c.rate * rate),
                                p.a(),
                                p.b(),
                            )
                            .map_err(|e| usage(format!("--channels {}: {e}", c.name)))?,
                            spend: base
                                .spend
                                .map(|s| GammaGammaParams::new(s.p(), s.q(), s.v() * c.spend))
                                .transpose()
                                .map_err(|e| usage(format!("--channels {}: {e}", c.name)))?,
                            customers,
                            seed,
                            ..*base
                        })
                    };
                    let seed = mix(base.seed ^ (k as u64 + 1));
                    let plus_here = if plus.is_empty() {
                        0
                    } else {
                        plus[id0..id0 + count].iter().filter(|&&x| x).count()
                    };
                    // Basic customers keep the channel's stream; plus
                    // customers come from a second stream at PLUS_RATE.
                    let mut basic = Stream::new(channel_sim(1.0, count - plus_here, seed)?);
                    let mut plus_stream = Stream::new(channel_sim(
                        PLUS_RATE,
                        plus_here,
                        mix(seed ^ SALT_PLUS_STREAM),
                    )?);
                    for j in 0..count {
                        let i = id0 + j;
                        let cu = if !plus.is_empty() && plus[i] {
                            plus_stream.next()?
                        } else {
                            basic.next()?
                        };
                        let id = i + 1;
                        let mut first = None;
                        for (day, pi) in cu.purchase_days(unit_days, dates.len() - 1) {
                            first.get_or_insert(day);
                            purchase_line(&mut line, id, &dates[day], cu.amounts[pi]);
                            w.write_all(line.as_bytes())?;
                            rows += 1;
                        }
                        births.push((first.unwrap_or(0) as u32, k as u8));
                        if keep_traits {
                            traits.push(Traits {
                                lambda_day: cu.lambda / unit_days,
                                start: cu.birth * unit_days,
                                until: cu.active_until * unit_days,
                            });
                        }
                    }
                    id0 += count;
                }
                Ok(())
            }
        },
    )?;
    let referral = channels.iter().position(|c| c.name == "referral");
    if let Some(path) = &args.customers_output {
        // Referrers: a customer acquired on an earlier day, drawn
        // deterministically (uniformly, or in proportion to purchase rates).
        let mut by_birth: Vec<u32> = (0..n as u32).collect();
        by_birth.sort_by_key(|&i| (births[i as usize].0, i));
        let starts: Vec<u32> = by_birth.iter().map(|&i| births[i as usize].0).collect();
        // Running sums of the purchase rates in birth order.
        let cumulative: Vec<f64> = if args.referrals == ReferralGraph::Preferential {
            by_birth
                .iter()
                .scan(0.0, |sum, &i| {
                    *sum += traits[i as usize].lambda_day;
                    Some(*sum)
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut no_referrer = 0usize;
        crate::output::write_file(path, |w| {
            w.write_all(b"customer_id,acquired_at,channel,acquisition_cost,referred_by")?;
            w.write_all(if args.attributes {
                b",region,plan\n"
            } else {
                b"\n"
            })?;
            let mut line = String::with_capacity(64);
            for (i, &(day, k)) in births.iter().enumerate() {
                let c = &channels[k as usize];
                line.clear();
                use std::fmt::Write as _;
                let (cost, by) = if Some(k as usize) == referral {
                    let earlier = starts.partition_point(|&d| d < day);
                    let by = if earlier == 0 {
                        String::new()
                    } else {
                        let j = match args.referrals {
                            ReferralGraph::Preferential if cumulative[earlier - 1] > 0.0 => {
                                // In proportion to the purchase rate, among
                                // those still active on the day (rejection:
                                // at most REFERRER_TRIES draws).
                                let mut found = None;
                                for attempt in 0..REFERRER_TRIES {
                                    let u = Mixer::new(
                                        args.seed,
                                        SALT_REFERRER,
                                        ((i as u64) << 8) | attempt,
                                    )
                                    .uniform();
                                    let j = pick_weighted(&cumulative[..earlier], u);
                                    if traits[by_birth[j] as usize].until >= day as f64 {
                                        found = Some(j);
                                        break;
                                    }
                                }
                                match found {
                                    Some(j) => j,
                                    None => {
                                        no_referrer += 1;
                                        usize::MAX
                                    }
                                }
                            }
                            _ => (mix(args.seed ^ mix(i as u64)) % earlier as u64) as usize,
                        };
                        if j == usize::MAX {
                            String::new()
                        } else {
                            (by_birth[j] + 1).to_string()
                        }
                    };
                    (format!("{:.2}", c.cac), by)
                } else {
                    (String::new(), String::new())
                };
                let _ = write!(
                    line,
                    "{},{},{},{cost},{by}",
                    i + 1,
                    dates[day as usize],
                    c.name
                );
                if args.attributes {
                    let region = REGIONS[(Mixer::new(args.seed, SALT_REGION, i as u64).next_u64()
                        % REGIONS.len() as u64) as usize];
                    let plan = if plus[i] { "plus" } else { "basic" };
                    let _ = write!(line, ",{region},{plan}");
                }
                line.push('\n');
                w.write_all(line.as_bytes())?;
            }
            Ok(())
        })?;
        progress.say(format!("wrote {n} customers to {}", path.display()));
        if no_referrer > 0 {
            progress.say(format!(
                "note: {no_referrer} referral customers found no active referrer in \
                 {REFERRER_TRIES} draws and have none"
            ));
        }
    }
    if let Some(path) = &args.spend_output {
        let mut new: std::collections::BTreeMap<(String, usize), u64> = Default::default();
        for &(day, k) in &births {
            if Some(k as usize) == referral {
                continue;
            }
            let month = &dates[day as usize][..7];
            *new.entry((month.to_string(), k as usize)).or_default() += 1;
        }
        let mut written = 0;
        crate::output::write_file(path, |w| {
            w.write_all(b"date,channel,amount\n")?;
            for ((month, k), count) in &new {
                let c = &channels[*k];
                writeln!(w, "{month}-01,{},{:.2}", c.name, c.cac * *count as f64)?;
                written += 1;
            }
            Ok(())
        })?;
        progress.say(format!("wrote {written} spend rows to {}", path.display()));
    }
    if let Some(path) = &args.events_output {
        let mut written = 0usize;
        crate::output::write_file(path, |w| {
            written = write_events(w, &traits, dates, args.seed)?;
            Ok(())
        })?;
        progress.say(format!("wrote {written} events to {}", path.display()));
    }
    Ok(Simulated {
        purchases: rows,
        customers: n,
    })
}

/// The index `j` drawn with probability `w_j / sum w` from the running sums
/// `cumulative` of non-negative weights `w` (last entry positive), for a
/// uniform `u` on `[0, 1)`: the first `j` with `cumulative[j] > u * total`.
fn pick_weighted(cumulative: &[f64], u: f64) -> usize {
    let target = u * cumulative[cumulative.len() - 1];
    cumulative
        .partition_point(|&s| s <= target)
        .min(cumulative.len() - 1)
}

/// The event kind (index into [`EVENT_KINDS`]) for a uniform `u` on `[0, 1)`.
fn pick_kind(u: f64) -> usize {
    let mut target = u * EVENT_KINDS.iter().map(|k| k.1).sum::<f64>();
    for (i, k) in EVENT_KINDS.iter().enumerate() {
        target -= k.1;
        if target < 0.0 {
            return i;
        }
    }
    EVENT_KINDS.len() - 1
}

/// Writes the engagement events of every customer (see the module docs)
/// and returns how many were written.
fn write_events(
    w: &mut (dyn Write + Send),
    traits: &[Traits],
    dates: &[String],
    seed: u64,
) -> Result<usize> {
    use std::fmt::Write as _;
    w.write_all(b"customer_id,timestamp,kind,weight\n")?;
    let period = dates.len() as f64;
    let mut line = String::with_capacity(64);
    let mut written = 0;
    for (i, t) in traits.iter().enumerate() {
        let mut rng = Mixer::new(seed, SALT_EVENTS, i as u64);
        if rng.uniform() < NEVER_ENGAGE {
            continue;
        }
        // Gamma(2, 1/2) noise with mean 1: the mean of two exponentials.
        let noise = (rng.exponential() + rng.exponential()) / 2.0;
        let rate = EVENT_SCALE * t.lambda_day.powf(EVENT_EXPONENT) * noise;
        if !(rate > 0.0 && rate.is_finite()) {
            continue;
        }
        let end = t.until.min(period);
        let mut at = t.start;
        loop {
            at += rng.exponential() / rate;
            if at >= end {
                break;
            }
            let day = at.floor();
            let seconds = (((at - day) * 86_400.0) as u32).min(86_399);
            let (kind, _, weight) = EVENT_KINDS[pick_kind(rng.uniform())];
            line.clear();
            let _ = writeln!(
                line,
                "{},{}T{:02}:{:02}:{:02}Z,{kind},{weight}",
                i + 1,
                dates[day as usize],
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            );
            w.write_all(line.as_bytes())?;
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_picks_follow_the_running_sums() {
        // Weights 1, 2, 3: running sums 1, 3, 6; u * 6 picks 0 below 1, 1 in [1, 3), 2 in [3, 6).
        let cumulative = [1.0, 3.0, 6.0];
        assert_eq!(pick_weighted(&cumulative, 0.0), 0);
        assert_eq!(pick_weighted(&cumulative, 0.9 / 6.0), 0);
        assert_eq!(pick_weighted(&cumulative, 1.0 / 6.0), 1);
        assert_eq!(pick_weighted(&cumulative, 2.9 / 6.0), 1);
        assert_eq!(pick_weighted(&cumulative, 3.0 / 6.0), 2);
        assert_eq!(pick_weighted(&cumulative, 0.999_999), 2);
        // A zero weight (running sum unchanged) is never picked.
        assert_eq!(pick_weighted(&[1.0, 1.0, 2.0], 0.5), 2);
    }

    #[test]
    fn event_kinds_follow_their_probabilities() {
        // Probabilities 0.20, 0.25, 0.20, 0.05, 0.20, 0.10: boundaries 0.20,
        // 0.45, 0.65, 0.70, 0.90.
        let total: f64 = EVENT_KINDS.iter().map(|k| k.1).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let kind = |u: f64| EVENT_KINDS[pick_kind(u)].0;
        assert_eq!(kind(0.0), "review");
        assert_eq!(kind(0.19), "review");
        assert_eq!(kind(0.21), "mention");
        assert_eq!(kind(0.44), "mention");
        assert_eq!(kind(0.46), "share");
        assert_eq!(kind(0.66), "event");
        assert_eq!(kind(0.71), "forum_post");
        assert_eq!(kind(0.91), "support_ticket");
        assert_eq!(kind(0.999_999), "support_ticket");
    }

    #[test]
    fn mixer_uniforms_lie_in_the_unit_interval_and_repeat_for_a_seed() {
        let mut a = Mixer::new(7, SALT_EVENTS, 3);
        let mut b = Mixer::new(7, SALT_EVENTS, 3);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let u = a.uniform();
            assert_eq!(u, b.uniform());
            assert!((0.0..1.0).contains(&u));
            sum += u;
        }
        // Mean 1/2, standard error sqrt(1/12 / 10000) = 0.0029.
        assert!((sum / 10_000.0 - 0.5).abs() < 0.012, "{sum}");
        assert_ne!(
            Mixer::new(7, SALT_EVENTS, 4).uniform(),
            Mixer::new(7, SALT_EVENTS, 3).uniform()
        );
    }

    #[test]
    fn channels_parse_with_defaults_and_normalised_shares() {
        let c = parse_channels("search:3:40:1.2, social:1:20").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].share, c[0].cac, c[0].rate, c[0].spend),
            (0.75, 40.0, 1.2, 1.0)
        );
        assert_eq!((c[1].share, c[1].rate), (0.25, 1.0));
        assert!(parse_channels("search:1").is_err());
        assert!(parse_channels("search:1:x").is_err());
        assert!(parse_channels("a:1:1,a:1:1").is_err());
        assert!(parse_channels("a:0:1").is_err());
        assert!(parse_channels("a:1:1:0").is_err());
    }

    #[test]
    fn params_parse_in_any_order_and_reject_mistakes() {
        let v = parse_params(
            "alpha=4, r=0.2,b=2.5,a=0.8",
            &["r", "alpha", "a", "b"],
            "--params",
        )
        .unwrap();
        assert_eq!(v, vec![0.2, 4.0, 0.8, 2.5]);
        assert!(
            parse_params("r=0.2,alpha=4,a=0.8", &["r", "alpha", "a", "b"], "--params").is_err()
        );
        assert!(
            parse_params(
                "r=x,alpha=4,a=0.8,b=1",
                &["r", "alpha", "a", "b"],
                "--params"
            )
            .is_err()
        );
        assert!(
            parse_params(
                "r=1,alpha=4,a=0.8,b=1,c=2",
                &["r", "alpha", "a", "b"],
                "--params"
            )
            .is_err()
        );
    }
}
