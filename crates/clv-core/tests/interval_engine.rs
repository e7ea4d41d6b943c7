//! Prediction intervals: the streaming engine against a direct computation,
//! determinism, chunking and basic properties.

use clv_core::CustomerData;
use clv_core::TimeUnit;
use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::interval::{
    IntervalSettings, ParameterDraws, Spend, intervals_from_draws, parametric_draws,
    prediction_intervals,
};
use clv_core::model::ParametricModel;
use clv_core::sim::Simulation;
use clv_core::value::ValueSettings;

/// Simulated customers with times floored to days and expressed in weeks
/// (few distinct `T`, as real data), mean spends rounded to cents.
fn daily(customers: usize, seed: u64) -> (CustomerData, Vec<f64>) {
    let end = 52.0;
    let sim = Simulation {
        purchases: BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap(),
        spend: Some(GammaGammaParams::new(6.25, 3.74, 15.44).unwrap()),
        customers,
        acquisition: 12.0,
        end,
        seed,
    };
    let day = |t: f64| (t * 7.0).floor();
    let (mut x, mut tx, mut age, mut m) = (vec![], vec![], vec![], vec![]);
    for c in sim.run().unwrap() {
        let mut days: Vec<(f64, f64)> = Vec::new();
        for (&t, &z) in c.purchases.iter().zip(&c.amounts) {
            match days.last_mut() {
                Some(last) if last.0 == day(t) => last.1 += z,
                _ => days.push((day(t), z)),
            }
        }
        let first = days[0].0;
        let n = days.len() - 1;
        x.push(n as f64);
        tx.push((days[n].0 - first) / 7.0);
        age.push((day(end) - first) / 7.0);
        m.push(if n > 0 {
            let mean = days[1..].iter().map(|d| d.1).sum::<f64>() / n as f64;
            ((mean * 100.0).round() / 100.0).max(0.01)
        } else {
            0.0
        });
    }
    (CustomerData::new(x, tx, age).unwrap(), m)
}

fn value_settings() -> ValueSettings {
    ValueSettings::new("6 months".parse().unwrap(), TimeUnit::Week, 0.1, 0.5).unwrap()
}

struct Fitted {
    data: CustomerData,
    monetary: Vec<f64>,
    bgnbd: clv_core::bgnbd::FittedBgNbd,
    gg: clv_core::gamma_gamma::FittedGammaGamma,
}

fn fitted(customers: usize, seed: u64) -> Fitted {
    let (data, monetary) = daily(customers, seed);
    let bgnbd = BgNbdFitter::default().fit(&data).unwrap();
    let gg = GammaGammaFitter::default()
        .fit(&data.frequency, &monetary, &data.weight)
        .unwrap();
    Fitted {
        data,
        monetary,
        bgnbd,
        gg,
    }
}

fn type7(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let k = h.floor() as usize;
    if k + 1 < v.len() {
        v[k] + (h - k as f64) * (v[k + 1] - v[k])
    } else {
        v[k]
    }
}

/// The intervals computed directly: every customer, every draw.
struct Reference {
    p: Vec<[f64; 3]>,
    e: Vec<[f64; 3]>,
    v: Vec<[f64; 3]>,
    total_e: Vec<f64>,
    total_v: Vec<f64>,
}

#[allow(clippy::needless_range_loop)]
fn reference(
    model: &dyn ParametricModel,
    draws: &ParameterDraws,
    data: &CustomerData,
    monetary: &[f64],
    value: &ValueSettings,
    level: f64,
) -> Reference {
    let (lo, hi) = ((1.0 - level) / 2.0, (1.0 + level) / 2.0);
    let nd = draws.len();
    let models: Vec<Box<dyn ParametricModel>> = draws
        .purchase
        .iter()
        .map(|p| model.with_params(p).unwrap())
        .collect();
    let spend = draws.spend.as_ref().unwrap();
    let schedule = value.schedule();
    let stats = |v: Vec<f64>| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        [type7(v.clone(), lo), type7(v, hi), mean]
    };
    let mut out = Reference {
        p: vec![],
        e: vec![],
        v: vec![],
        total_e: vec![0.0; nd],
        total_v: vec![0.0; nd],
    };
    for i in 0..data.len() {
        let c = data.customer(i);
        let (mut ps, mut es, mut vs) = (vec![], vec![], vec![]);
        for d in 0..nd {
            let m = &models[d];
            let p = m.p_alive(&c);
            let (mut previous, mut discounted) = (0.0, 0.0);
            for &(tau, factor) in &schedule {
                let e = m.expected_purchases_if_alive(c.frequency, c.age, tau);
                discounted += (e - previous) * factor;
                previous = e;
            }
            let s = spend[d]
                .conditional_expected_spend(c.frequency, monetary[i])
                .unwrap();
            let v = value.margin() * s * p * discounted;
            ps.push(p);
            es.push(p * previous);
            vs.push(v);
            out.total_e[d] += data.weight[i] * p * previous;
            out.total_v[d] += data.weight[i] * v;
        }
        out.p.push(stats(ps));
        out.e.push(stats(es));
        out.v.push(stats(vs));
    }
    out
}

/// A small data set with repeated rows, equal (x, t_x, T) with different
/// spends, and non-unit weights.
fn small() -> (CustomerData, Vec<f64>, BgNbdParams, GammaGammaParams) {
    let f = fitted(600, 11);
    let n = 150;
    let mut x = f.data.frequency[..n].to_vec();
    let mut tx = f.data.recency[..n].to_vec();
    let mut t = f.data.age[..n].to_vec();
    let mut m = f.monetary[..n].to_vec();
    // Duplicates of earlier rows, some with another spend.
    for i in 0..40 {
        x.push(x[i]);
        tx.push(tx[i]);
        t.push(t[i]);
        m.push(if i % 2 == 0 { m[i] } else { m[i] + 1.5 });
    }
    let w: Vec<f64> = (0..x.len()).map(|i| 1.0 + (i % 3) as f64).collect();
    let data = CustomerData::with_weights(x, tx, t, w).unwrap();
    (data, m, f.bgnbd.params, f.gg.params)
}

fn small_draws(seed: u64, draws: usize) -> (ParameterDraws, IntervalSettings) {
    let f = fitted(600, 11);
    let s = IntervalSettings::new(0.8, draws, seed).unwrap();
    let d = parametric_draws(
        &f.bgnbd.params,
        &f.bgnbd.report.covariance,
        Some((&f.gg.params, &f.gg.report.covariance)),
        &s,
    )
    .unwrap();
    (d, s)
}

#[test]
fn engine_equals_the_direct_computation_for_every_chunking() {
    let (data, m, bg, gg) = small();
    let value = value_settings();
    let (draws, settings) = small_draws(5, 41);
    let want = reference(&bg, &draws, &data, &m, &value, settings.level());
    let spend = Spend::GammaGamma {
        params: &gg,
        monetary: &m,
    };
    let mut first = None;
    for rows in [1usize, 2, 7, 1024] {
        let s = settings.with_chunk_rows(rows).unwrap();
        let got = intervals_from_draws(&bg, spend, &draws, &data, &value, &s).unwrap();
        for i in 0..data.len() {
            let p = [got.p_alive.lo[i], got.p_alive.hi[i], got.p_alive.mean[i]];
            let e = [
                got.expected_purchases.lo[i],
                got.expected_purchases.hi[i],
                got.expected_purchases.mean[i],
            ];
            let v = [got.clv.lo[i], got.clv.hi[i], got.clv.mean[i]];
            assert_eq!(p, want.p[i], "p_alive row {i}, chunk rows {rows}");
            assert_eq!(
                e, want.e[i],
                "expected purchases row {i}, chunk rows {rows}"
            );
            assert_eq!(v, want.v[i], "clv row {i}, chunk rows {rows}");
        }
        let mut te = want.total_e.clone();
        let mut tv = want.total_v.clone();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        assert!(close(got.total_purchases.lo, type7(te.clone(), 0.1)));
        assert!(close(got.total_purchases.hi, type7(te.clone(), 0.9)));
        assert!(close(got.total_clv.lo, type7(tv.clone(), 0.1)));
        assert!(close(got.total_clv.hi, type7(tv.clone(), 0.9)));
        te.sort_by(f64::total_cmp);
        tv.sort_by(f64::total_cmp);
        assert!(got.total_purchases.mean > te[0] && got.total_purchases.mean < te[40]);
        assert_eq!(got.draws_used, 41);
        // Everything but the totals' rounding is independent of the chunking.
        let mut per_customer = got.clone();
        per_customer.total_clv = Default::default();
        per_customer.total_purchases = Default::default();
        match &first {
            None => first = Some(per_customer),
            Some(f) => assert_eq!(f, &per_customer, "chunk rows {rows}"),
        }
    }
}

#[test]
fn points_are_the_point_predictions_and_totals_are_weighted() {
    let (data, m, bg, gg) = small();
    let value = value_settings();
    let (draws, settings) = small_draws(5, 20);
    let spend: Vec<f64> = (0..data.len())
        .map(|i| {
            gg.conditional_expected_spend(data.frequency[i], m[i])
                .unwrap()
        })
        .collect();
    let point = clv_core::value::predict(&bg, &data, &spend, &value).unwrap();
    let got = intervals_from_draws(
        &bg,
        Spend::GammaGamma {
            params: &gg,
            monetary: &m,
        },
        &draws,
        &data,
        &value,
        &settings,
    )
    .unwrap();
    assert_eq!(got.p_alive.point, point.p_alive);
    assert_eq!(got.expected_purchases.point, point.expected_purchases);
    assert_eq!(got.clv.point, point.clv);
    let total: f64 = (0..data.len()).map(|i| data.weight[i] * point.clv[i]).sum();
    assert!((got.total_clv.point - total).abs() <= 1e-12 * total);
}

#[test]
fn same_seed_same_intervals_whatever_the_thread_count() {
    let f = fitted(3000, 3);
    let value = value_settings();
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let s = IntervalSettings::new(0.9, 60, seed)
                .unwrap()
                .with_chunk_rows(50)
                .unwrap();
            prediction_intervals(
                &f.bgnbd.params,
                &f.bgnbd.report.covariance,
                Spend::GammaGamma {
                    params: &f.gg.params,
                    monetary: &f.monetary,
                },
                Some(&f.gg.report.covariance),
                &f.data,
                &value,
                &s,
            )
            .unwrap()
        })
    };
    let a = run(1, 42);
    assert_eq!(a, run(2, 42));
    assert_eq!(a, run(3, 42));
    let b = run(2, 43);
    assert_ne!(a.clv.lo, b.clv.lo);
    assert_ne!(a.total_clv, b.total_clv);
}

#[test]
fn intervals_are_ordered_bounded_and_contain_the_point_estimates() {
    let f = fitted(5000, 8);
    let value = value_settings();
    let s = IntervalSettings::new(0.9, 200, 1).unwrap();
    let iv = prediction_intervals(
        &f.bgnbd.params,
        &f.bgnbd.report.covariance,
        Spend::GammaGamma {
            params: &f.gg.params,
            monetary: &f.monetary,
        },
        Some(&f.gg.report.covariance),
        &f.data,
        &value,
        &s,
    )
    .unwrap();
    let n = f.data.len();
    let mut inside = [0usize; 3];
    for (k, b) in [&iv.p_alive, &iv.expected_purchases, &iv.clv]
        .into_iter()
        .enumerate()
    {
        for i in 0..n {
            assert!(b.lo[i] <= b.hi[i], "quantity {k} row {i}");
            assert!(b.lo[i] <= b.mean[i] && b.mean[i] <= b.hi[i] * (1.0 + 1e-12) + 1e-300);
            if b.lo[i] <= b.point[i] && b.point[i] <= b.hi[i] {
                inside[k] += 1;
            }
        }
    }
    for i in 0..n {
        assert!(iv.p_alive.lo[i] >= 0.0 && iv.p_alive.hi[i] <= 1.0);
        if f.data.frequency[i] == 0.0 {
            // BG/NBD: a customer without repeat purchases is alive.
            assert_eq!((iv.p_alive.lo[i], iv.p_alive.hi[i]), (1.0, 1.0));
        }
    }
    for (k, &c) in inside.iter().enumerate() {
        assert!(c as f64 >= 0.95 * n as f64, "quantity {k}: {c} of {n}");
    }
    // Repeat buyers' P(alive) does vary with the parameters.
    let wide = (0..n)
        .filter(|&i| iv.p_alive.hi[i] - iv.p_alive.lo[i] > 1e-3)
        .count();
    assert!(wide > n / 10, "{wide}");
    for t in [iv.total_purchases, iv.total_clv] {
        assert!(t.lo < t.point && t.point < t.hi, "{t:?}");
        assert!(t.lo < t.mean && t.mean < t.hi);
    }
}

#[test]
fn fixed_spend_scales_the_purchase_interval() {
    let f = fitted(2000, 4);
    let value = value_settings();
    let s = IntervalSettings::new(0.9, 50, 9).unwrap();
    let draws = parametric_draws(&f.bgnbd.params, &f.bgnbd.report.covariance, None, &s).unwrap();
    let spend: Vec<f64> = (0..f.data.len()).map(|i| 10.0 + (i % 7) as f64).collect();
    let iv = intervals_from_draws(
        &f.bgnbd.params,
        Spend::Fixed(&spend),
        &draws,
        &f.data,
        &value,
        &s,
    )
    .unwrap();
    // Without discounting... here with it: CLV = margin * s * p * D, so the
    // ratio CLV / s is the same for customers with the same (x, t_x, T).
    for i in 0..f.data.len() {
        for j in [i + 1, i + 7] {
            if j < f.data.len() && f.data.customer(i) == f.data.customer(j) {
                let (ri, rj) = (iv.clv.hi[i] / spend[i], iv.clv.hi[j] / spend[j]);
                assert!((ri - rj).abs() <= 1e-12 * ri, "{i} {j}");
            }
        }
    }
    assert!(
        intervals_from_draws(
            &f.bgnbd.params,
            Spend::Fixed(&spend[1..]),
            &draws,
            &f.data,
            &value,
            &s
        )
        .is_err()
    );
    let mut bad = spend.clone();
    bad[3] = f64::NAN;
    assert!(
        intervals_from_draws(
            &f.bgnbd.params,
            Spend::Fixed(&bad),
            &draws,
            &f.data,
            &value,
            &s
        )
        .is_err()
    );
}

#[test]
fn settings_and_covariances_are_validated() {
    assert!(IntervalSettings::new(1.0, 100, 1).is_err());
    assert!(IntervalSettings::new(0.0, 100, 1).is_err());
    assert!(IntervalSettings::new(f64::NAN, 100, 1).is_err());
    assert!(IntervalSettings::new(0.9, 1, 1).is_err());
    let s = IntervalSettings::new(0.9, 100, 1).unwrap();
    assert!(s.with_chunk_rows(0).is_err());
    let (lo, hi) = s.probabilities();
    assert!((lo - 0.05).abs() < 1e-15 && (hi - 0.95).abs() < 1e-15);
    let p = BgNbdParams::new(0.24, 4.4, 0.79, 2.4).unwrap();
    assert!(parametric_draws(&p, &[], None, &s).is_err());
    let not_pd = vec![
        vec![1.0, 2.0, 0.0, 0.0],
        vec![2.0, 1.0, 0.0, 0.0],
        vec![0.0, 0.0, 1.0, 0.0],
        vec![0.0, 0.0, 0.0, 1.0],
    ];
    assert!(parametric_draws(&p, &not_pd, None, &s).is_err());
    let mut asym = vec![vec![0.0; 4]; 4];
    for (i, row) in asym.iter_mut().enumerate() {
        row[i] = 0.01;
    }
    asym[0][1] = 0.001;
    assert!(parametric_draws(&p, &asym, None, &s).is_err());
}

#[test]
fn log_space_draws_have_the_delta_method_moments() {
    // Cov(ln θ) = D^-1 Σ D^-1: the sample covariance of ln θ_d matches it.
    let f = fitted(3000, 21);
    let theta = f.bgnbd.params.param_values();
    let cov = &f.bgnbd.report.covariance;
    let s = IntervalSettings::new(0.9, 20_000, 3).unwrap();
    let d = parametric_draws(&f.bgnbd.params, cov, None, &s).unwrap();
    assert!(d.spend.is_none());
    let logs: Vec<Vec<f64>> = d
        .purchase
        .iter()
        .map(|v| v.iter().map(|x| x.ln()).collect())
        .collect();
    let n = logs.len() as f64;
    for i in 0..4 {
        let mean_i = logs.iter().map(|l| l[i]).sum::<f64>() / n;
        let sd = (cov[i][i]).sqrt() / theta[i];
        assert!(
            (mean_i - theta[i].ln()).abs() < 4.0 * sd / n.sqrt(),
            "mean {i}"
        );
        for j in 0..4 {
            let mean_j = logs.iter().map(|l| l[j]).sum::<f64>() / n;
            let c = logs
                .iter()
                .map(|l| (l[i] - mean_i) * (l[j] - mean_j))
                .sum::<f64>()
                / (n - 1.0);
            let want = cov[i][j] / (theta[i] * theta[j]);
            let scale = (cov[i][i] * cov[j][j]).sqrt() / (theta[i] * theta[j]);
            assert!((c - want).abs() < 0.05 * scale, "cov {i}{j}: {c} vs {want}");
        }
    }
}

#[test]
fn empty_data_gives_empty_intervals() {
    let f = fitted(500, 2);
    let (draws, settings) = small_draws(1, 10);
    let empty = CustomerData::default();
    let iv = intervals_from_draws(
        &f.bgnbd.params,
        Spend::GammaGamma {
            params: &f.gg.params,
            monetary: &[],
        },
        &draws,
        &empty,
        &value_settings(),
        &settings,
    )
    .unwrap();
    assert!(iv.clv.lo.is_empty() && iv.p_alive.hi.is_empty());
    assert_eq!((iv.total_clv.lo, iv.total_clv.hi), (0.0, 0.0));
    assert_eq!(iv.draws_used, 10);
}

#[test]
fn spend_draws_are_independent_of_purchase_draws() {
    let f = fitted(3000, 21);
    let s = IntervalSettings::new(0.9, 5000, 8).unwrap();
    let d = parametric_draws(
        &f.bgnbd.params,
        &f.bgnbd.report.covariance,
        Some((&f.gg.params, &f.gg.report.covariance)),
        &s,
    )
    .unwrap();
    let spend = d.spend.as_ref().unwrap();
    let n = d.len() as f64;
    let corr = |a: &[f64], b: &[f64]| {
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    };
    for i in 0..4 {
        let a: Vec<f64> = d.purchase.iter().map(|p| p[i].ln()).collect();
        for j in 0..3 {
            let b: Vec<f64> = spend.iter().map(|p| p.to_array()[j].ln()).collect();
            // sd of a sample correlation of 5,000 independent pairs: 0.014.
            assert!(corr(&a, &b).abs() < 0.06, "{i} {j}: {}", corr(&a, &b));
        }
    }
    // The Gamma-Gamma draws do follow their own covariance: p and q are
    // strongly correlated in the fit.
    let lp: Vec<f64> = spend.iter().map(|p| p.p().ln()).collect();
    let lq: Vec<f64> = spend.iter().map(|p| p.q().ln()).collect();
    let c = &f.gg.report.covariance;
    let want = c[0][1] / (c[0][0] * c[1][1]).sqrt();
    assert!(
        (corr(&lp, &lq) - want).abs() < 0.1,
        "{} vs {want}",
        corr(&lp, &lq)
    );
}
