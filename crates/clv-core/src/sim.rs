//! Simulation of customers from BG/NBD purchase behaviour and Gamma-Gamma spend.
//!
//! Used to test that fitting recovers known parameters and to generate
//! benchmark data (`clv simulate`). Deterministic for a seed and independent of
//! the number of threads: customers are generated in fixed blocks of
//! [`BLOCK`] with one random stream per block.
//!
//! # The data-generating process (Fader, Hardie & Lee 2005, section 2)
//!
//! For each customer, independently:
//! - a purchase rate `lambda ~ Gamma(shape r, rate alpha)` and a dropout
//!   probability `p ~ Beta(a, b)`;
//! - the first purchase happens at the customer's birth time; while active,
//!   the gaps between purchases are exponential with rate `lambda`;
//! - after each *repeat* purchase the customer drops out for good with
//!   probability `p` (no dropout right after the first purchase, as in BG/NBD);
//! - with a spend model, the customer's `nu ~ Gamma(shape q, rate v)` and each
//!   purchase's value `z ~ Gamma(shape p, rate nu)`, so the customer's mean
//!   spend is `p / nu` (Colombo & Jiang 1999; Fader, Hardie & Lee 2005).

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use rayon::prelude::*;

use crate::bgnbd::BgNbdParams;
use crate::data::CustomerData;
use crate::error::{Error, Result};
use crate::gamma_gamma::GammaGammaParams;

/// Customers per random stream (see the module docs).
pub const BLOCK: usize = 4096;

/// One simulated customer: latent traits and observed purchases.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedCustomer {
    /// Time of the first purchase.
    pub birth: f64,
    /// Purchase rate while active (per time unit).
    pub lambda: f64,
    /// Dropout probability after each repeat purchase.
    pub p: f64,
    /// Gamma-Gamma `nu` (rate of the spend distribution); `NaN`-free, 0 when no spend model.
    pub nu: f64,
    /// Purchase times, the first equal to `birth`, all at most the simulation end.
    pub purchases: Vec<f64>,
    /// Value of each purchase (empty without a spend model).
    pub amounts: Vec<f64>,
    /// End of the customer's active life: the time of the repeat purchase
    /// after which they dropped out, or the simulation end when they were
    /// still active then. No random draw goes into it.
    pub active_until: f64,
}

impl SimulatedCustomer {
    /// The whole days on which the purchases are written when the time unit
    /// is `unit_days` days long and the period has days `0..=last_day`:
    /// `(day, purchase index)` pairs, at most one purchase per day.
    ///
    /// A purchase at time `t` falls on day `floor(t * unit_days)`; one that
    /// would fall on the same day as the customer's previous purchase is
    /// written on the next day (and a purchase pushed past `last_day` is
    /// left out). Readers of a dated log merge same-day purchases (the
    /// `exact` convention counts days with a purchase), so writing two
    /// purchases on one day would lose one: about 1.4% of the repeat
    /// purchases at the CDNOW parameters in weeks, enough to bias the
    /// fitted `alpha` 4-6% high at 100,000 customers (4 standard errors).
    /// Moving the rare collision by less than a day keeps every purchase
    /// and changes recency by a fraction of a day.
    pub fn purchase_days(&self, unit_days: f64, last_day: usize) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::with_capacity(self.purchases.len());
        for (i, t) in self.purchases.iter().enumerate() {
            let mut day = ((t * unit_days).floor().max(0.0) as usize).min(last_day);
            if let Some(&(previous, _)) = out.last()
                && day <= previous
            {
                day = previous + 1;
            }
            if day > last_day {
                break;
            }
            out.push((day, i));
        }
        out
    }
}

/// Settings of a simulation run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simulation {
    /// Purchase-process parameters.
    pub purchases: BgNbdParams,
    /// Spend parameters; `None` simulates no amounts.
    pub spend: Option<GammaGammaParams>,
    /// Number of customers.
    pub customers: usize,
    /// First purchases are spread uniformly over `[0, acquisition)`.
    pub acquisition: f64,
    /// End of the simulated period (`>= acquisition`).
    pub end: f64,
    /// Random seed.
    pub seed: u64,
}

impl Simulation {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.end.is_finite() && self.end > 0.0) {
            return Err(Error::InvalidParameter {
                name: "end",
                value: self.end,
                reason: "must be positive and finite",
            });
        }
        if !(self.acquisition.is_finite()
            && self.acquisition >= 0.0
            && self.acquisition <= self.end)
        {
            return Err(Error::InvalidParameter {
                name: "acquisition",
                value: self.acquisition,
                reason: "must lie in [0, end]",
            });
        }
        Ok(())
    }

    /// Simulates customers `start..start+count` (any sub-range gives the same
    /// customers as a full run; `start` must be a multiple of [`BLOCK`]).
    pub fn run_range(&self, start: usize, count: usize) -> Result<Vec<SimulatedCustomer>> {
        self.validate()?;
        if !start.is_multiple_of(BLOCK) {
            return Err(Error::InvalidData(format!(
                "start {start} must be a multiple of {BLOCK}"
            )));
        }
        let end = (start + count).min(self.customers);
        let blocks: Vec<usize> = (start..end).step_by(BLOCK).collect();
        let parts: Vec<Vec<SimulatedCustomer>> = blocks
            .par_iter()
            .map(|&b| self.block(b / BLOCK, b, (b + BLOCK).min(end)))
            .collect::<Result<_>>()?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Simulates all customers.
    pub fn run(&self) -> Result<Vec<SimulatedCustomer>> {
        self.run_range(0, self.customers)
    }

    fn block(&self, block: usize, from: usize, to: usize) -> Result<Vec<SimulatedCustomer>> {
        let bad = |e: &dyn std::fmt::Display| Error::InvalidData(format!("simulation: {e}"));
        let BgNbdParams { r, alpha, a, b } = self.purchases;
        let rate = Gamma::new(r, 1.0 / alpha).map_err(|e| bad(&e))?;
        let dropout = Beta::new(a, b).map_err(|e| bad(&e))?;
        let nu_dist = match self.spend {
            Some(s) => Some((Gamma::new(s.q, 1.0 / s.v).map_err(|e| bad(&e))?, s.p)),
            None => None,
        };
        let mut rng =
            StdRng::seed_from_u64(self.seed ^ (block as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut out = Vec::with_capacity(to - from);
        for _ in from..to {
            let birth = self.acquisition * rng.random::<f64>();
            let lambda: f64 = rate.sample(&mut rng);
            let p: f64 = dropout.sample(&mut rng);
            let mut purchases = vec![birth];
            let mut active_until = self.end;
            if lambda > 0.0 {
                let gap = Exp::new(lambda).map_err(|e| bad(&e))?;
                let mut t = birth;
                loop {
                    t += gap.sample(&mut rng);
                    if t > self.end {
                        break;
                    }
                    purchases.push(t);
                    if rng.random::<f64>() < p {
                        active_until = t;
                        break;
                    }
                }
            }
            let (nu, amounts) = match &nu_dist {
                Some((nu_dist, shape)) => {
                    // nu is almost surely positive; guard the measure-zero case.
                    let nu: f64 = nu_dist.sample(&mut rng).max(f64::MIN_POSITIVE);
                    let z = Gamma::new(*shape, 1.0 / nu).map_err(|e| bad(&e))?;
                    (nu, purchases.iter().map(|_| z.sample(&mut rng)).collect())
                }
                None => (0.0, Vec::new()),
            };
            out.push(SimulatedCustomer {
                birth,
                lambda,
                p,
                nu,
                purchases,
                amounts,
                active_until,
            });
        }
        Ok(out)
    }
}

/// Continuous-time summary of simulated customers observed until `end`:
/// `(x, t_x, T)` as [`CustomerData`], and each customer's mean repeat-purchase
/// value (0 when there is none or no amounts were simulated).
pub fn summarize(customers: &[SimulatedCustomer], end: f64) -> Result<(CustomerData, Vec<f64>)> {
    let mut x = Vec::with_capacity(customers.len());
    let mut t_x = Vec::with_capacity(customers.len());
    let mut age = Vec::with_capacity(customers.len());
    let mut monetary = Vec::with_capacity(customers.len());
    for c in customers {
        let seen: Vec<usize> = (0..c.purchases.len())
            .filter(|&i| c.purchases[i] <= end)
            .collect();
        if seen.is_empty() {
            continue;
        }
        let n = seen.len() - 1;
        x.push(n as f64);
        t_x.push(c.purchases[seen[n]] - c.birth);
        age.push(end - c.birth);
        let m = if n > 0 && !c.amounts.is_empty() {
            seen[1..].iter().map(|&i| c.amounts[i]).sum::<f64>() / n as f64
        } else {
            0.0
        };
        monetary.push(m);
    }
    Ok((CustomerData::new(x, t_x, age)?, monetary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(seed: u64) -> Simulation {
        Simulation {
            purchases: BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap(),
            spend: Some(GammaGammaParams::new(6.25, 3.74, 15.44).unwrap()),
            customers: 10_000,
            acquisition: 12.0,
            end: 78.0,
            seed,
        }
    }

    #[test]
    fn same_seed_same_customers_and_ranges_agree() {
        let s = settings(7);
        let all = s.run().unwrap();
        assert_eq!(all, s.run().unwrap());
        let tail = s.run_range(BLOCK, BLOCK).unwrap();
        assert_eq!(&all[BLOCK..2 * BLOCK], &tail[..]);
        assert_ne!(all, settings(8).run().unwrap());
    }

    #[test]
    fn purchases_are_ordered_and_within_the_window() {
        let mut dropped = 0;
        for c in settings(1).run().unwrap() {
            dropped += usize::from(c.active_until < 78.0);
            assert!(c.birth >= 0.0 && c.birth < 12.0);
            assert_eq!(c.purchases[0], c.birth);
            assert!(c.purchases.windows(2).all(|w| w[0] < w[1]));
            assert!(*c.purchases.last().unwrap() <= 78.0);
            assert_eq!(c.amounts.len(), c.purchases.len());
            assert!(c.amounts.iter().all(|&z| z > 0.0 && z.is_finite()));
            // Active until the last purchase (dropped out) or the end (alive).
            let last = *c.purchases.last().unwrap();
            assert!(c.active_until == last || c.active_until == 78.0);
            if c.purchases.len() == 1 {
                assert_eq!(c.active_until, 78.0); // no dropout before a repeat purchase
            }
        }
        // E[p] = 0.25: many of the 10,000 customers with a repeat purchase drop out.
        assert!(dropped > 1000, "{dropped}");
    }

    #[test]
    fn moments_match_the_model() {
        // E[lambda] = r / alpha and E[p] = a / (a + b) over 10,000 draws.
        let cs = settings(3).run().unwrap();
        let n = cs.len() as f64;
        let mean_lambda = cs.iter().map(|c| c.lambda).sum::<f64>() / n;
        let mean_p = cs.iter().map(|c| c.p).sum::<f64>() / n;
        // sd(lambda) = sqrt(r)/alpha = 0.112, so the standard error is 0.0011.
        assert!((mean_lambda - 0.243 / 4.414).abs() < 0.005, "{mean_lambda}");
        // sd(p) is about 0.22, standard error 0.0022.
        assert!((mean_p - 0.793 / (0.793 + 2.426)).abs() < 0.01, "{mean_p}");
    }

    #[test]
    fn purchase_days_keep_every_purchase_on_distinct_days() {
        let c = SimulatedCustomer {
            birth: 0.1,
            lambda: 1.0,
            p: 0.0,
            nu: 0.0,
            // Days (unit = 7 days): 0, 0, 0, 1, 6, 6 -> 0, 1, 2, 3, 6, 7 -> the
            // last is past day 6 and left out.
            purchases: vec![
                0.1 / 7.0,
                0.5 / 7.0,
                0.9 / 7.0,
                1.2 / 7.0,
                6.1 / 7.0,
                6.9 / 7.0,
            ],
            amounts: vec![],
            active_until: 1.0,
        };
        assert_eq!(
            c.purchase_days(7.0, 6),
            [(0, 0), (1, 1), (2, 2), (3, 3), (6, 4)]
        );
        // Without collisions the days are the floors.
        let cs = settings(2).run().unwrap();
        let mut moved = 0;
        let mut total = 0;
        for c in &cs {
            let days = c.purchase_days(7.0, 78 * 7 - 1);
            assert!(days.windows(2).all(|w| w[0].0 < w[1].0));
            assert_eq!(days[0].0, (c.birth * 7.0).floor() as usize);
            for &(d, i) in &days {
                let floor = (c.purchases[i] * 7.0).floor() as usize;
                assert!(d >= floor);
                moved += usize::from(d != floor);
            }
            total += days.len();
        }
        // Collisions are rare (about 1% of purchases at these parameters).
        assert!(
            moved > 0 && (moved as f64) < 0.03 * total as f64,
            "{moved} of {total}"
        );
    }

    #[test]
    fn summary_counts_repeat_purchases() {
        let cs = settings(5).run().unwrap();
        let (data, monetary) = summarize(&cs, 39.0).unwrap();
        assert_eq!(data.len(), cs.len());
        for (i, m) in monetary.iter().enumerate() {
            let c = data.customer(i);
            assert!(c.recency <= c.age);
            assert_eq!(c.frequency == 0.0, *m == 0.0);
        }
    }
}
