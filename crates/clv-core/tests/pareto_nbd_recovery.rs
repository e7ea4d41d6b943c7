//! Simulate-then-refit: the Pareto/NBD fitter recovers the parameters of
//! data simulated from the model (`clv_core::pareto_nbd::ParetoNbdSimulation`)
//! within 5% at 100,000 customers. With 4 years of observation and half a
//! year of acquisition, 5% is at least 2.5 standard errors for every
//! parameter (asserted from the fit's own standard errors), so the test is
//! not flaky.

mod common;

use clv_core::pareto_nbd::{
    ParetoNbdFitter, ParetoNbdParams, ParetoNbdSimulation, summarize_simulated,
};
use common::check_recovered;

#[test]
fn pareto_nbd_recovers_simulated_parameters() {
    let truth = ParetoNbdParams::new(0.9, 6.0, 1.2, 30.0).unwrap();
    let sim = ParetoNbdSimulation {
        params: truth,
        customers: 100_000,
        acquisition: 26.0,
        end: 208.0,
        seed: 20_240_602,
    };
    let customers = sim.run().unwrap();
    assert_eq!(customers, sim.run().unwrap(), "deterministic for a seed");
    let data = summarize_simulated(&customers, sim.end).unwrap();
    assert_eq!(data.len(), 100_000);

    let fit = ParetoNbdFitter::default().fit(&data).unwrap();
    println!("{:?}\n{:?}", fit.params, fit.report);
    check_recovered(&truth, &fit.params, &fit.report);
}

#[test]
fn simulated_moments_match_the_model() {
    let truth = ParetoNbdParams::new(0.9, 6.0, 1.2, 30.0).unwrap();
    let sim = ParetoNbdSimulation {
        params: truth,
        customers: 20_000,
        acquisition: 0.0,
        end: 52.0,
        seed: 3,
    };
    let cs = sim.run().unwrap();
    let n = cs.len() as f64;
    // E[lambda] = r/alpha = 0.15 (sd 0.176, standard error 0.0012);
    // E[mu] = s/beta = 0.04 (sd 0.037, standard error 0.0003).
    let mean_lambda = cs.iter().map(|c| c.lambda).sum::<f64>() / n;
    let mean_mu = cs.iter().map(|c| c.mu).sum::<f64>() / n;
    assert!((mean_lambda - 0.15).abs() < 0.006, "{mean_lambda}");
    assert!((mean_mu - 0.04).abs() < 0.0015, "{mean_mu}");
    // Everyone is acquired at 0: mean repeat purchases by week 52 is E[X(52)]
    // (sd about 6, standard error 0.045).
    let data = summarize_simulated(&cs, sim.end).unwrap();
    let mean_x = data.frequency.iter().sum::<f64>() / n;
    let want = truth.expected_purchases_new_customer(52.0).unwrap();
    assert!((mean_x - want).abs() < 0.2, "{mean_x} vs {want}");
    for c in &cs {
        assert_eq!(c.purchases[0], c.birth);
        assert!(c.purchases.windows(2).all(|w| w[0] < w[1]));
        assert!(*c.purchases.last().unwrap() <= c.death.min(sim.end));
    }
}

#[test]
fn fit_converges_when_the_two_rates_differ_a_hundredfold() {
    // alpha/beta = 1/150: z = (beta - alpha)/(beta + t) is above 0.9 for
    // small t, so the likelihood uses the quadrature branch during the fit.
    let truth = ParetoNbdParams::new(0.8, 1.0, 1.5, 150.0).unwrap();
    let sim = ParetoNbdSimulation {
        params: truth,
        customers: 30_000,
        acquisition: 26.0,
        end: 104.0,
        seed: 5,
    };
    let data = summarize_simulated(&sim.run().unwrap(), sim.end).unwrap();
    let t0 = std::time::Instant::now();
    let fit = ParetoNbdFitter::default().fit(&data).unwrap();
    println!("{:?} in {:?}\n{:?}", fit.params, t0.elapsed(), fit.report);
    assert!(fit.report.converged, "{}", fit.report.termination);
    let est = fit.params.to_array();
    let se = &fit.report.standard_errors;
    for i in 0..4 {
        assert!(
            (est[i] - truth.to_array()[i]).abs() <= 4.0 * se[i],
            "parameter {i}: {} vs {} (se {})",
            est[i],
            truth.to_array()[i],
            se[i]
        );
    }
}
