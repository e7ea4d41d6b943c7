//! Customer-resampling bootstrap for prediction intervals.

mod common;

use clv_core::CustomerData;
use clv_core::TimeUnit;
use clv_core::bgnbd::BgNbdFitter;
use clv_core::error::Error;
use clv_core::gamma_gamma::GammaGammaFitter;
use clv_core::interval::{
    GammaGammaRefit, IntervalSettings, Spend, bgnbd_bootstrap_draws, bootstrap_draws,
    intervals_from_draws, parametric_draws,
};
use clv_core::value::ValueSettings;

type SpendRefit = fn(&[f64]) -> clv_core::Result<Vec<f64>>;

#[test]
fn resamples_are_multinomial_and_both_refits_see_the_same_customers() {
    // x takes values 0..9 with unequal frequencies; the "model" is the mean
    // of x, so its bootstrap distribution is known: sd(x) / sqrt(n).
    let n = 2000;
    let x: Vec<f64> = (0..n).map(|i| ((i * i) % 10) as f64).collect();
    let data = CustomerData::new(x.clone(), vec![0.0; n], vec![10.0; n]).unwrap();
    let mean_of = |d: &CustomerData| {
        let w = d.total_weight();
        (0..d.len())
            .map(|i| d.weight[i] * d.frequency[i])
            .sum::<f64>()
            / w
    };
    let settings = IntervalSettings::new(0.9, 400, 5).unwrap();
    let draws = bootstrap_draws(
        &data,
        &settings,
        |d: &CustomerData| {
            if d.total_weight() != n as f64 {
                return Err(Error::InvalidData("resample of the wrong size".into()));
            }
            Ok(vec![mean_of(d)])
        },
        Some(|counts: &[f64]| {
            // Per input row, in the data's order.
            let total: f64 = counts.iter().sum();
            let m = counts.iter().zip(&x).map(|(c, x)| c * x).sum::<f64>() / total;
            Ok(vec![m, total, 1.0])
        }),
    )
    .unwrap();
    assert_eq!((draws.len(), draws.failed), (400, 0));
    let spend = draws.spend.as_ref().unwrap();
    for (p, s) in draws.purchase.iter().zip(spend) {
        assert!(
            (p[0] - s.p()).abs() <= 1e-12 * s.p(),
            "{} vs {}",
            p[0],
            s.p()
        );
        assert_eq!(s.q(), n as f64);
    }
    let full = mean_of(&data);
    let sd =
        ((0..n).map(|i| (x[i] - full).powi(2)).sum::<f64>() / n as f64).sqrt() / (n as f64).sqrt();
    let means: Vec<f64> = draws.purchase.iter().map(|p| p[0]).collect();
    let m = means.iter().sum::<f64>() / means.len() as f64;
    let s = (means.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (means.len() - 1) as f64).sqrt();
    // 400 resamples: the mean is within 4 standard errors, the sd within 15%.
    assert!((m - full).abs() < 4.0 * sd / 20.0, "{m} vs {full}");
    assert!((s / sd - 1.0).abs() < 0.15, "{s} vs {sd}");
    // Weighted (compressed) input resamples the same customers.
    let compressed = data.compress();
    let wdraws = bootstrap_draws(
        &compressed,
        &settings,
        |d: &CustomerData| Ok(vec![mean_of(d)]),
        None::<SpendRefit>,
    )
    .unwrap();
    let wm: Vec<f64> = wdraws.purchase.iter().map(|p| p[0]).collect();
    let wmean = wm.iter().sum::<f64>() / wm.len() as f64;
    let ws = (wm.iter().map(|v| (v - wmean).powi(2)).sum::<f64>() / (wm.len() - 1) as f64).sqrt();
    assert!((ws / sd - 1.0).abs() < 0.15, "{ws} vs {sd}");
}

#[test]
fn failing_refits_are_counted_or_reported() {
    let (data, _) = common::cdnow();
    let settings = IntervalSettings::new(0.9, 40, 1).unwrap();
    // About half of the resamples have an odd number of distinct rows.
    let flaky = |d: &CustomerData| {
        if d.len() % 2 == 1 {
            Err(Error::FitFailed("odd".into()))
        } else {
            Ok(vec![1.0])
        }
    };
    assert_eq!(
        bootstrap_draws(&data, &settings, flaky, None::<SpendRefit>).unwrap_err(),
        Error::FitFailed("odd".into())
    );
    // One resample in 40 failing is within the 5% allowed.
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let once = |_: &CustomerData| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Err(Error::FitFailed("first".into()))
        } else {
            Ok(vec![1.0])
        }
    };
    let d = bootstrap_draws(&data, &settings, once, None::<SpendRefit>).unwrap();
    assert_eq!((d.len(), d.failed), (39, 1));
    let empty = CustomerData::default();
    assert!(
        bootstrap_draws(
            &empty,
            &settings,
            |_: &CustomerData| Ok(vec![1.0]),
            None::<SpendRefit>
        )
        .is_err()
    );
}

#[test]
fn bgnbd_bootstrap_agrees_with_the_parametric_draws_and_is_deterministic() {
    let (data, z) = common::cdnow();
    let bg = BgNbdFitter::default().fit(&data).unwrap();
    let fit_weight: Vec<f64> = (0..data.len())
        .map(|i| {
            if data.frequency[i] > 0.0 && z[i] <= 0.0 {
                0.0
            } else {
                1.0
            }
        })
        .collect();
    let gg_fitter = GammaGammaFitter::default();
    let gg = gg_fitter.fit(&data.frequency, &z, &fit_weight).unwrap();
    let settings = IntervalSettings::new(0.9, 60, 11).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                bgnbd_bootstrap_draws(
                    &bg.params,
                    &BgNbdFitter::default(),
                    Some(GammaGammaRefit {
                        params: &gg.params,
                        fitter: &gg_fitter,
                        monetary: &z,
                        fit_weight: &fit_weight,
                    }),
                    &data,
                    &settings,
                )
                .unwrap()
            })
    };
    let boot = run(2);
    assert_eq!(boot, run(1));
    assert_eq!((boot.len(), boot.failed), (60, 0));
    // Bootstrap spread of each parameter against the asymptotic standard
    // error (60 resamples: the sd is known to about 10%).
    let check = |what: &str, values: Vec<f64>, se: f64| {
        let m = values.iter().sum::<f64>() / values.len() as f64;
        let s = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64)
            .sqrt();
        assert!(
            s > 0.6 * se && s < 1.6 * se,
            "{what}: bootstrap sd {s}, se {se}"
        );
    };
    for j in 0..4 {
        check(
            "bg-nbd",
            boot.purchase.iter().map(|p| p[j]).collect(),
            bg.report.standard_errors[j],
        );
    }
    let spend = boot.spend.as_ref().unwrap();
    for j in 0..3 {
        check(
            "gamma-gamma",
            spend.iter().map(|p| p.to_array()[j]).collect(),
            gg.report.standard_errors[j],
        );
    }
    // Intervals from the bootstrap draws, next to the parametric ones.
    let value = ValueSettings::new("12 months".parse().unwrap(), TimeUnit::Week, 0.1, 1.0).unwrap();
    let spend = Spend::GammaGamma {
        params: &gg.params,
        monetary: &z,
    };
    let b = intervals_from_draws(&bg.params, spend, &boot, &data, &value, &settings).unwrap();
    let pdraws = parametric_draws(
        &bg.params,
        &bg.report.covariance,
        Some((&gg.params, &gg.report.covariance)),
        &IntervalSettings::new(0.9, 400, 11).unwrap(),
    )
    .unwrap();
    let p = intervals_from_draws(&bg.params, spend, &pdraws, &data, &value, &settings).unwrap();
    assert_eq!(b.clv.point, p.clv.point);
    let (wb, wp) = (
        b.total_clv.hi - b.total_clv.lo,
        p.total_clv.hi - p.total_clv.lo,
    );
    assert!(
        wb > 0.5 * wp && wb < 2.0 * wp,
        "total CLV widths {wb} vs {wp}"
    );
    let (wb, wp) = (
        b.total_purchases.hi - b.total_purchases.lo,
        p.total_purchases.hi - p.total_purchases.lo,
    );
    assert!(
        wb > 0.5 * wp && wb < 2.0 * wp,
        "total purchase widths {wb} vs {wp}"
    );
    assert!(b.total_clv.lo < b.total_clv.point && b.total_clv.point < b.total_clv.hi);
    // Mismatched spend columns are refused.
    assert!(
        bgnbd_bootstrap_draws(
            &bg.params,
            &BgNbdFitter::default(),
            Some(GammaGammaRefit {
                params: &gg.params,
                fitter: &gg_fitter,
                monetary: &z[1..],
                fit_weight: &fit_weight,
            }),
            &data,
            &settings,
        )
        .is_err()
    );
}
