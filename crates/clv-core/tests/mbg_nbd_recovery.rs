//! MBG/NBD simulate-then-refit: the fitter recovers the parameters of
//! 100,000 customers simulated by `MbgNbdSimulation` within 5%, and 5% is at
//! least 2.5 of the fit's own standard errors for every parameter (so the
//! test is not a coin flip).

use clv_core::mbg_nbd::{MbgNbdFitter, MbgNbdParams, MbgNbdSimulation};

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
    assert!(fit.report.converged, "{}", fit.report.termination);
    let se = &fit.report.standard_errors;
    for (i, (name, want)) in ["r", "alpha", "a", "b"]
        .iter()
        .zip(truth.to_array())
        .enumerate()
    {
        let got = fit.params.to_array()[i];
        println!("{name}: {got:.4} (true {want}, se {:.4})", se[i]);
        assert!(0.05 * want >= 2.5 * se[i], "{name}: se {} too large", se[i]);
        assert!(
            (got - want).abs() <= 0.05 * want,
            "{name}: {got} not within 5% of {want}"
        );
    }
}
