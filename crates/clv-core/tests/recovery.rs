//! Simulate-then-refit: the fitters recover the parameters of data simulated
//! from the models (`clv_core::sim`) within 5% at 100,000 customers. The
//! settings (4 years of observation, 6 months of acquisition) are chosen so
//! that 5% is about 3 standard errors or more for every parameter (from 3.0
//! for Gamma-Gamma's `v` to 20 for `r`; asserted below with a margin, from
//! the fits' own standard errors), so the test is not flaky.

mod common;

use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::sim::{Simulation, summarize};
use common::check_recovered;

#[test]
fn bgnbd_and_gamma_gamma_recover_simulated_parameters() {
    let truth = BgNbdParams::new(0.9, 4.0, 1.2, 3.0).unwrap();
    let spend = GammaGammaParams::new(2.0, 3.0, 10.0).unwrap();
    let sim = Simulation {
        purchases: truth,
        spend: Some(spend),
        customers: 100_000,
        acquisition: 26.0,
        end: 208.0,
        seed: 20_240_601,
    };
    let customers = sim.run().unwrap();
    let (data, monetary) = summarize(&customers, sim.end).unwrap();

    let fit = BgNbdFitter::default().fit(&data).unwrap();
    check_recovered(&truth, &fit.params, &fit.report);

    let weights = vec![1.0; data.len()];
    let gg = GammaGammaFitter::default()
        .fit(&data.frequency, &monetary, &weights)
        .unwrap();
    check_recovered(&spend, &gg.params, &gg.report);
}
