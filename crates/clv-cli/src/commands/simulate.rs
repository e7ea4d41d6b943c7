//! `clv simulate`: a synthetic transaction log from BG/NBD + Gamma-Gamma.

use std::io::Write;

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate};
use clv_core::bgnbd::BgNbdParams;
use clv_core::gamma_gamma::GammaGammaParams;
use clv_core::sim::{BLOCK, Simulation};

use crate::args::SimulateArgs;
use crate::error::usage;
use crate::output::write_to;
use crate::progress::Progress;

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

/// Runs `clv simulate`.
pub fn run(args: &SimulateArgs, progress: &Progress) -> Result<()> {
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
        // the period fall in [d, d + 1) days.
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
    let mut rows = 0usize;
    progress.stage(
        &format!(
            "simulated {} customers over {} days",
            args.customers, args.days
        ),
        || -> Result<()> {
            write_to(args.output.as_deref(), |w: &mut dyn Write| {
                w.write_all(b"customer_id,date,amount\n")?;
                let chunk = 64 * BLOCK;
                let mut line = String::with_capacity(64);
                for from in (0..args.customers).step_by(chunk) {
                    let customers = sim.run_range(from, chunk).context("simulation failed")?;
                    for (k, c) in customers.iter().enumerate() {
                        let id = from + k + 1;
                        for (t, z) in c.purchases.iter().zip(&c.amounts) {
                            let day = ((t * unit_days).floor() as usize).min(dates.len() - 1);
                            line.clear();
                            use std::fmt::Write as _;
                            // Cents, rounded half away from zero; at least one cent.
                            let cents = ((z * 100.0).round() as u64).max(1);
                            let _ = writeln!(
                                line,
                                "{id},{},{}.{:02}",
                                dates[day],
                                cents / 100,
                                cents % 100
                            );
                            w.write_all(line.as_bytes())?;
                            rows += 1;
                        }
                    }
                }
                Ok(())
            })
        },
    )?;
    progress.say(format!(
        "wrote {rows} purchases of {} customers{}",
        args.customers,
        args.output
            .as_ref()
            .map(|p| format!(" to {}", p.display()))
            .unwrap_or_default()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
