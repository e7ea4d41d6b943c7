//! `clv simulate`: a synthetic transaction log from BG/NBD + Gamma-Gamma.

use std::io::Write;

use chrono::{Duration, NaiveDate};
use clv_core::bgnbd::BgNbdParams;
use clv_core::gamma_gamma::GammaGammaParams;
use clv_core::sim::{BLOCK, Simulation};

use crate::error::{Context, Result, usage};
use crate::progress::Progress;
use crate::settings::SimulateSettings;

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
    if let Some(spec) = &args.channels {
        let channels = parse_channels(spec)?;
        return run_channels(args, &sim, &channels, &dates, out, progress);
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
fn purchase_line(line: &mut String, id: usize, date: &str, amount: f64) {
    use std::fmt::Write as _;
    line.clear();
    let cents = ((amount * 100.0).round() as u64).max(1);
    let _ = writeln!(line, "{id},{date},{}.{:02}", cents / 100, cents % 100);
}

/// splitmix64: a deterministic hash for the referrer draw.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The channel path of `clv simulate`: customers are split between the
/// channels (ids in channel order), each channel simulated with its own
/// purchase-rate and spend multipliers and its own random stream; the
/// customers file and the monthly spend (the channel's CAC times its new
/// customers of the month) are written beside the transactions.
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
    // Customers per channel: rounded shares, the remainder to the last.
    let mut counts: Vec<usize> = channels
        .iter()
        .map(|c| (c.share * n as f64).round() as usize)
        .collect();
    let assigned: usize = counts[..counts.len() - 1].iter().sum();
    let last = counts.len() - 1;
    counts[last] = n.saturating_sub(assigned.min(n));
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
                    let sim = Simulation {
                        purchases: BgNbdParams::new(p.r(), p.alpha() / c.rate, p.a(), p.b())
                            .map_err(|e| usage(format!("--channels {}: {e}", c.name)))?,
                        spend: base
                            .spend
                            .map(|s| GammaGammaParams::new(s.p(), s.q(), s.v() * c.spend))
                            .transpose()
                            .map_err(|e| usage(format!("--channels {}: {e}", c.name)))?,
                        customers: count,
                        seed: mix(base.seed ^ (k as u64 + 1)),
                        ..*base
                    };
                    let chunk = 64 * BLOCK;
                    for from in (0..count).step_by(chunk) {
                        let customers = sim.run_range(from, chunk).context("simulation failed")?;
                        for (j, cu) in customers.iter().enumerate() {
                            let id = id0 + from + j + 1;
                            let mut first = None;
                            for (day, i) in cu.purchase_days(unit_days, dates.len() - 1) {
                                first.get_or_insert(day);
                                purchase_line(&mut line, id, &dates[day], cu.amounts[i]);
                                w.write_all(line.as_bytes())?;
                                rows += 1;
                            }
                            births.push((first.unwrap_or(0) as u32, k as u8));
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
        // Referrers: a customer acquired before, drawn deterministically.
        let mut by_birth: Vec<u32> = (0..n as u32).collect();
        by_birth.sort_by_key(|&i| (births[i as usize].0, i));
        let starts: Vec<u32> = by_birth.iter().map(|&i| births[i as usize].0).collect();
        crate::output::write_file(path, |w| {
            w.write_all(b"customer_id,acquired_at,channel,acquisition_cost,referred_by\n")?;
            let mut line = String::with_capacity(64);
            for (i, &(day, k)) in births.iter().enumerate() {
                let c = &channels[k as usize];
                line.clear();
                use std::fmt::Write as _;
                let (cost, by) = if Some(k as usize) == referral {
                    let earlier = starts.partition_point(|&d| d < day);
                    let by = if earlier > 0 {
                        let j = (mix(args.seed ^ mix(i as u64)) % earlier as u64) as usize;
                        (by_birth[j] + 1).to_string()
                    } else {
                        String::new()
                    };
                    (format!("{:.2}", c.cac), by)
                } else {
                    (String::new(), String::new())
                };
                let _ = writeln!(
                    line,
                    "{},{},{},{cost},{by}",
                    i + 1,
                    dates[day as usize],
                    c.name
                );
                w.write_all(line.as_bytes())?;
            }
            Ok(())
        })?;
        progress.say(format!("wrote {n} customers to {}", path.display()));
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
    Ok(Simulated {
        purchases: rows,
        customers: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
