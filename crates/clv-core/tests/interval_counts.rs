//! Predictive intervals of purchase counts (BG/NBD) against simulated
//! holdout purchases.

use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::interval::{IntervalSettings, bgnbd_purchase_count_intervals, parametric_draws};
use clv_core::sim::{Simulation, summarize};

#[test]
fn count_distribution_sums_to_one_and_has_the_conditional_mean() {
    // With level close to 1 the upper bound approaches the support; check
    // the distribution behind it: P(Y = 0) and the mean from the pmf.
    let p = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let t = 39.0;
    for (x, tx, age) in [(0.0, 0.0, 30.0), (2.0, 20.0, 38.0), (7.0, 35.0, 39.0)] {
        let alive = p.probability_alive(x, tx, age);
        let updated = BgNbdParams::new(p.r() + x, p.alpha() + age, p.a(), p.b() + x).unwrap();
        let (mut total, mut mean) = (1.0 - alive, 0.0);
        for n in 0..2000u64 {
            let q = alive * updated.prob_purchases(n, t).unwrap();
            total += q;
            mean += n as f64 * q;
        }
        let want = p.conditional_expected_purchases(x, tx, age, t).unwrap();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert!((mean - want).abs() < 1e-7 * want, "{mean} vs {want}");
        let data = clv_core::CustomerData::new(vec![x], vec![tx], vec![age]).unwrap();
        let iv = bgnbd_purchase_count_intervals(&p, None, &data, t, 0.9).unwrap();
        let p0 = 1.0 - alive + alive * updated.prob_purchases(0, t).unwrap();
        assert!((iv.p_none[0] - p0).abs() < 1e-15);
        assert!(iv.lo[0] <= iv.hi[0]);
    }
}

#[test]
fn count_intervals_cover_holdout_purchases() {
    let truth = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let (calibration, end) = (52.0, 78.0);
    let sim = Simulation {
        purchases: truth,
        spend: None,
        customers: 20_000,
        acquisition: 12.0,
        end,
        seed: 17,
    };
    let cs = sim.run().unwrap();
    let (data, _) = summarize(&cs, calibration).unwrap();
    let holdout: Vec<u64> = cs
        .iter()
        .map(|c| c.purchases.iter().filter(|&&t| t > calibration).count() as u64)
        .collect();
    let fit = BgNbdFitter::default().fit(&data).unwrap();
    let settings = IntervalSettings::new(0.9, 50, 2).unwrap();
    let draws = parametric_draws(&fit.params, &fit.report.covariance, None, &settings).unwrap();
    let horizon = end - calibration;
    let mut covered = Vec::new();
    for (level, draws) in [(0.5, None), (0.9, None), (0.9, Some(&draws))] {
        let iv = bgnbd_purchase_count_intervals(&fit.params, draws, &data, horizon, level).unwrap();
        let n = data.len() as f64;
        let share =
            |f: &dyn Fn(usize) -> bool| (0..data.len()).filter(|&i| f(i)).count() as f64 / n;
        let inside = share(&|i| iv.lo[i] <= holdout[i] && holdout[i] <= iv.hi[i]);
        // Each tail holds at most (1 - level)/2 of the probability.
        let (below, above) = (
            share(&|i| holdout[i] < iv.lo[i]),
            share(&|i| holdout[i] > iv.hi[i]),
        );
        let tail = (1.0 - level) / 2.0;
        assert!(
            below <= tail + 0.01 && above <= tail + 0.01,
            "level {level}: {below} {above}"
        );
        assert!(
            above > 0.0,
            "level {level}: the upper bound is never exceeded"
        );
        // Expected number of customers without holdout purchases.
        let none: f64 = iv.p_none.iter().sum::<f64>() / data.len() as f64;
        let observed = holdout.iter().filter(|&&h| h == 0).count() as f64 / data.len() as f64;
        assert!(
            (none - observed).abs() < 0.015,
            "P(none) {none} vs {observed}"
        );
        covered.push(inside);
    }
    eprintln!(
        "holdout coverage: 50% {:.3}, 90% {:.3}, 90% with draws {:.3}",
        covered[0], covered[1], covered[2]
    );
    // Discrete intervals cover at least their level (up to sampling noise),
    // and a 50% interval less than a 90% one.
    assert!(
        covered[0] >= 0.49 && covered[0] < covered[1] - 0.05,
        "{covered:?}"
    );
    assert!(covered[1] >= 0.89 && covered[1] < 0.995, "{covered:?}");
    assert!(covered[2] >= covered[1] - 0.005, "{covered:?}");
    assert!(bgnbd_purchase_count_intervals(&fit.params, None, &data, -1.0, 0.9).is_err());
    assert!(bgnbd_purchase_count_intervals(&fit.params, None, &data, 1.0, 1.0).is_err());
}
