//! sBG simulate-then-refit: 100,000 simulated subscribers over 24 periods;
//! the fitter recovers `alpha` and `beta` within 5%, and 5% is at least 2.5
//! of the fit's own standard errors (so the test is not a coin flip).

mod common;

use clv_core::sbg::{SbgFitter, SbgParams, SbgSimulation};
use common::check_recovered;

#[test]
fn sbg_recovers_simulated_parameters() {
    for truth in [
        SbgParams::new(0.7, 1.2).unwrap(),
        SbgParams::new(3.0, 8.0).unwrap(),
    ] {
        let sim = SbgSimulation {
            params: truth,
            subscribers: 100_000,
            periods: 24,
            seed: 7_2007,
        };
        let data = sim.run().unwrap();
        assert_eq!(data.total_weight(), 100_000.0);
        assert_eq!(data, sim.run().unwrap(), "deterministic for a seed");
        let fit = SbgFitter::default().fit(&data).unwrap();
        check_recovered(&truth, &fit.params, &fit.report);
    }
}
