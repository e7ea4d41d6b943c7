//! MBG/NBD simulate-then-refit: the fitter recovers the parameters of
//! 100,000 customers simulated by `MbgNbdSimulation` within 5%, and 5% is at
//! least 2.5 of the fit's own standard errors for every parameter (so the
//! test is not a coin flip).

mod common;

use clv_core::mbg_nbd::{MbgNbdFitter, MbgNbdParams, MbgNbdSimulation};
use common::{check_recovered, within_four_sd};

#[test]
fn mbg_nbd_recovers_simulated_parameters() {
    let truth = MbgNbdParams::new(0.9, 4.0, 1.2, 3.0).unwrap();
    let sim = MbgNbdSimulation {
        params: truth,
        customers: 100_000,
        acquisition: 26.0,
        end: 208.0,
        seed: 20_261_201,
    };
    let data = sim.run().unwrap();
    assert_eq!(data.len(), 100_000);
    assert_eq!(data, sim.run().unwrap(), "deterministic for a seed");
    let fit = MbgNbdFitter::default().fit(&data).unwrap();
    check_recovered(&truth, &fit.params, &fit.report);
}

#[test]
fn predictions_match_simulated_holdout_and_latent_state() {
    // With the true parameters, P(alive | history) is the conditional mean of
    // the simulated "active at calibration" flag and E[Y(t) | history] that
    // of the holdout purchases, customer by customer; their sums over
    // 100,000 customers are checked to 4 standard deviations, overall and
    // for the one-time buyers (where MBG/NBD differs from BG/NBD).
    use clv_core::model::PurchaseModel;
    let truth = MbgNbdParams::new(0.9, 4.0, 1.2, 3.0).unwrap();
    let sim = MbgNbdSimulation {
        params: truth,
        customers: 100_000,
        acquisition: 26.0,
        end: 104.0,
        seed: 42,
    };
    let split = sim.run_split(52.0).unwrap();
    let data = &split.calibration;
    for one_time_only in [false, true] {
        let (mut alive, mut p_alive, mut var_alive) = (0.0, 0.0, 0.0);
        let (mut held, mut expected, mut var_held) = (0.0, 0.0, 0.0);
        for i in 0..data.len() {
            let c = data.customer(i);
            if one_time_only && c.frequency > 0.0 {
                continue;
            }
            let p = truth.p_alive(&c);
            alive += f64::from(u8::from(split.alive[i]));
            p_alive += p;
            var_alive += p * (1.0 - p);
            let e = truth.expected_purchases(&c, 52.0);
            held += split.holdout[i];
            expected += e;
            var_held += (split.holdout[i] - e).powi(2);
        }
        let group = if one_time_only {
            "one-time buyers"
        } else {
            "all"
        };
        within_four_sd(&format!("active ({group})"), alive, p_alive, var_alive);
        within_four_sd(
            &format!("holdout purchases ({group})"),
            held,
            expected,
            var_held,
        );
    }
    // The split's calibration data are the full-run customers cut at 52.
    assert_eq!(split.calibration.len(), 100_000);
    assert!(sim.run_split(20.0).is_err());
}
