//! Prediction intervals on simulated data: they cover the truth at about the
//! nominal rate and shrink as the number of customers grows.

use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::interval::{IntervalSettings, Spend, parametric_draws, prediction_intervals};
use clv_core::sim::{Simulation, summarize};
use clv_core::value::{ValueSettings, predict};
use clv_core::{CustomerData, TimeUnit};

const TRUE_BGNBD: [f64; 4] = [0.243, 4.414, 0.793, 2.426];
const TRUE_GG: [f64; 3] = [6.25, 3.74, 15.44];

/// Simulated customers (weeks), times floored to days so that `T` takes
/// few values; `(data, mean repeat spend)`.
fn simulate(customers: usize, seed: u64) -> (CustomerData, Vec<f64>) {
    let [r, alpha, a, b] = TRUE_BGNBD;
    let [p, q, v] = TRUE_GG;
    let end = 52.0;
    let sim = Simulation {
        purchases: BgNbdParams::new(r, alpha, a, b).unwrap(),
        spend: Some(GammaGammaParams::new(p, q, v).unwrap()),
        customers,
        acquisition: 12.0,
        end,
        seed,
    };
    let mut cs = sim.run().unwrap();
    for c in &mut cs {
        // Days, in weeks; purchases on one day merge (keep the first amount).
        let day = |t: f64| (t * 7.0).floor() / 7.0;
        c.birth = day(c.birth);
        let mut seen = Vec::new();
        let mut amounts = Vec::new();
        for (&t, &z) in c.purchases.iter().zip(&c.amounts) {
            if seen.last() != Some(&day(t)) {
                seen.push(day(t));
                amounts.push(z);
            }
        }
        c.purchases = seen;
        c.amounts = amounts;
    }
    summarize(&cs, end).unwrap()
}

fn value() -> ValueSettings {
    ValueSettings::new("3 months".parse().unwrap(), TimeUnit::Week, 0.1, 1.0).unwrap()
}

#[test]
fn parametric_intervals_cover_the_truth_at_about_the_nominal_rate() {
    let truth_bg = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let truth_gg = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let seeds = 24;
    let (mut params_in, mut params_all) = (0, 0);
    let (mut purchases_in, mut clv_in) = (0, 0);
    for seed in 0..seeds {
        let (data, m) = simulate(3000, 100 + seed);
        let bg = BgNbdFitter::default().fit(&data).unwrap();
        let gg = GammaGammaFitter::default()
            .fit(&data.frequency, &m, &data.weight)
            .unwrap();
        let settings = IntervalSettings::new(0.9, 200, seed).unwrap();
        let draws = parametric_draws(
            &bg.params,
            &bg.report.covariance,
            Some((&gg.params, &gg.report.covariance)),
            &settings,
        )
        .unwrap();
        let purchase = draws.purchase_intervals(0.9).unwrap();
        let spend = draws.spend_intervals(0.9).unwrap().unwrap();
        for (&(lo, hi), &t) in purchase
            .iter()
            .chain(&spend)
            .zip(TRUE_BGNBD.iter().chain(&TRUE_GG))
        {
            params_all += 1;
            params_in += (lo <= t && t <= hi) as usize;
        }
        // The quantity the intervals are about: the expectation given each
        // customer's history, under the true parameters.
        let true_spend: Vec<f64> = (0..data.len())
            .map(|i| {
                truth_gg
                    .conditional_expected_spend(data.frequency[i], m[i])
                    .unwrap()
            })
            .collect();
        let truth = predict(&truth_bg, &data, &true_spend, &value()).unwrap();
        let iv = prediction_intervals(
            &bg.params,
            &bg.report.covariance,
            Spend::GammaGamma {
                params: &gg.params,
                monetary: &m,
            },
            Some(&gg.report.covariance),
            &data,
            &value(),
            &settings,
        )
        .unwrap();
        let total_e: f64 = truth.expected_purchases.iter().sum();
        let total_v: f64 = truth.clv.iter().sum();
        purchases_in +=
            (iv.total_purchases.lo <= total_e && total_e <= iv.total_purchases.hi) as usize;
        clv_in += (iv.total_clv.lo <= total_v && total_v <= iv.total_clv.hi) as usize;
    }
    eprintln!(
        "coverage of 90% intervals: parameters {params_in}/{params_all}, \
         total purchases {purchases_in}/{seeds}, total CLV {clv_in}/{seeds}"
    );
    // Binomial(24, 0.9): P(X <= 16) < 1%; Binomial(168, 0.9) has sd 3.9
    // around 151.2, and intervals twice too wide would cover about 100%.
    assert!(purchases_in >= 17, "{purchases_in}/{seeds}");
    assert!(clv_in >= 17, "{clv_in}/{seeds}");
    assert!((137..=162).contains(&params_in), "{params_in}/{params_all}");
}

#[test]
fn intervals_shrink_as_customers_increase() {
    let width = |customers: usize| {
        let (data, m) = simulate(customers, 7);
        let bg = BgNbdFitter::default().fit(&data).unwrap();
        let gg = GammaGammaFitter::default()
            .fit(&data.frequency, &m, &data.weight)
            .unwrap();
        let settings = IntervalSettings::new(0.9, 200, 3).unwrap();
        let iv = prediction_intervals(
            &bg.params,
            &bg.report.covariance,
            Spend::GammaGamma {
                params: &gg.params,
                monetary: &m,
            },
            Some(&gg.report.covariance),
            &data,
            &value(),
            &settings,
        )
        .unwrap();
        // One customer: the first without repeat purchases (P(alive) = 1,
        // so only E[Y | x = 0, T] varies; T is within the 12 weeks of
        // acquisition in both data sets).
        let per_customer = {
            let mut lo = f64::NAN;
            let mut hi = f64::NAN;
            for i in 0..data.len() {
                if data.frequency[i] == 0.0 {
                    lo = iv.expected_purchases.lo[i];
                    hi = iv.expected_purchases.hi[i];
                    break;
                }
            }
            (hi - lo) / ((hi + lo) / 2.0)
        };
        let total = &iv.total_purchases;
        ((total.hi - total.lo) / total.point, per_customer)
    };
    let (small_total, small_one) = width(2000);
    let (large_total, large_one) = width(32_000);
    eprintln!(
        "relative widths, 2,000 vs 32,000 customers: total {small_total:.4} vs {large_total:.4}, \
         one customer {small_one:.4} vs {large_one:.4}"
    );
    // 16 times the customers: about a quarter of the width.
    assert!(
        large_total < small_total / 2.5,
        "{small_total} {large_total}"
    );
    assert!(large_one < small_one / 2.5, "{small_one} {large_one}");
}
