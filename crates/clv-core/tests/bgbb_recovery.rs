//! BG/BB simulate-then-refit: 100,000 customers simulated by
//! `BgBbSimulation` over 24 opportunities; the fitter recovers the four
//! parameters within 5%, and 5% is at least 2.5 of the fit's own standard
//! errors (so the test is not a coin flip).

use clv_core::bgbb::{BgBbFitter, BgBbParams, BgBbSimulation};

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
    assert!(fit.report.converged, "{}", fit.report.termination);
    let se = &fit.report.standard_errors;
    for (i, (name, want)) in ["alpha", "beta", "gamma", "delta"]
        .iter()
        .zip(truth.to_array())
        .enumerate()
    {
        let got = fit.params.to_array()[i];
        println!("{name}: {got:.4} (true {want}, se {:.4})", se[i]);
        assert!(0.05 * want >= 2.5 * se[i], "{name}: se {} too large", se[i]);
        assert!((got - want).abs() <= 0.05 * want, "{name}: {got} vs {want}");
    }
}
