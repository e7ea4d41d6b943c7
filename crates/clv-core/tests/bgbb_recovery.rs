//! BG/BB simulate-then-refit: 100,000 customers simulated by
//! `BgBbSimulation` over 24 opportunities; the fitter recovers the four
//! parameters within 5%, and 5% is at least 2.5 of the fit's own standard
//! errors (so the test is not a coin flip).

mod common;

use clv_core::bgbb::{BgBbFitter, BgBbParams, BgBbSimulation};
use common::{check_recovered, within_four_sd};

#[test]
fn bgbb_recovers_simulated_parameters() {
    let truth = BgBbParams::new(1.2, 0.75, 0.66, 2.8).unwrap();
    let sim = BgBbSimulation {
        params: truth,
        customers: 100_000,
        opportunities: 24,
        seed: 2010,
    };
    let data = sim.run().unwrap();
    assert_eq!(data.len(), 100_000);
    assert_eq!(data, sim.run().unwrap(), "deterministic for a seed");
    let fit = BgBbFitter::default().fit(&data).unwrap();
    check_recovered(&truth, &fit.params, &fit.report);
}

#[test]
fn predictions_match_simulated_holdout_and_latent_state() {
    // With the true parameters, P(alive at n+1 | history) is the conditional
    // mean of the simulated "active at n+1" flag and E[X(n, n+5) | history]
    // that of the holdout transactions; their sums over 100,000 customers
    // are checked to 4 standard deviations, as is the calibration histogram.
    use clv_core::model::PurchaseModel;
    let truth = BgBbParams::new(1.2, 0.75, 0.66, 2.8).unwrap();
    let sim = BgBbSimulation {
        params: truth,
        customers: 100_000,
        opportunities: 11,
        seed: 6,
    };
    let split = sim.run_split(6).unwrap();
    let data = &split.calibration;
    let (mut alive, mut p_alive, mut var_alive) = (0.0, 0.0, 0.0);
    let (mut held, mut expected, mut var_held) = (0.0, 0.0, 0.0);
    for i in 0..data.len() {
        let c = data.customer(i);
        let p = truth.p_alive(&c);
        alive += f64::from(u8::from(split.alive[i]));
        p_alive += p;
        var_alive += p * (1.0 - p);
        let e = truth.expected_purchases(&c, 5.0);
        held += split.holdout[i];
        expected += e;
        var_held += (split.holdout[i] - e).powi(2);
    }
    within_four_sd("active at n+1", alive, p_alive, var_alive);
    within_four_sd("holdout transactions", held, expected, var_held);
    // Calibration histories follow equation (7).
    let dist = truth.transaction_count_distribution(6);
    for (x, p) in dist.iter().enumerate() {
        let count = data.frequency.iter().filter(|&&f| f == x as f64).count() as f64;
        within_four_sd(
            &format!("customers with {x} transactions"),
            count,
            100_000.0 * p,
            100_000.0 * p * (1.0 - p),
        );
    }
    assert!(sim.run_split(11).is_err());
}
