//! Fitter behaviour beyond the golden values: errors, penalties, weights.

mod common;

use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::gamma_gamma::GammaGammaFitter;
use clv_core::{CustomerData, Error};
use common::{assert_rel, cdnow};

#[test]
fn no_repeat_purchases_is_not_enough_data() {
    let d = CustomerData::new(vec![0.0; 3], vec![0.0; 3], vec![5.0, 6.0, 7.0]).unwrap();
    assert!(matches!(
        BgNbdFitter::default().fit(&d),
        Err(Error::NotEnoughData(_))
    ));
    assert!(matches!(
        BgNbdFitter::default().fit(&CustomerData::default()),
        Err(Error::NotEnoughData(_))
    ));
    let bad = BgNbdFitter {
        penalty: -1.0,
        ..Default::default()
    };
    let (data, _) = cdnow();
    assert!(matches!(
        bad.fit(&data),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn weights_are_the_same_as_repeated_rows() {
    let (data, _) = cdnow();
    let compressed = data.compress();
    assert!(compressed.len() < data.len());
    let a = BgNbdFitter::default().fit(&data).unwrap();
    let b = BgNbdFitter::default().fit(&compressed).unwrap();
    for (x, y) in a.params.to_array().iter().zip(b.params.to_array()) {
        assert_rel("parameter", *x, y, 1e-6);
    }
    assert_rel(
        "LL",
        a.report.log_likelihood,
        b.report.log_likelihood,
        1e-10,
    );
}

#[test]
fn penalty_shrinks_parameters_and_lowers_the_likelihood() {
    let (data, zbar) = cdnow();
    let plain = BgNbdFitter::default().fit(&data).unwrap();
    let pen = BgNbdFitter {
        penalty: 0.01,
        ..Default::default()
    }
    .fit(&data)
    .unwrap();
    assert!(pen.report.converged);
    assert_eq!(pen.report.penalty, 0.01);
    let norm = |p: BgNbdParams| p.to_array().iter().map(|v| v * v).sum::<f64>();
    assert!(norm(pen.params) < norm(plain.params));
    assert!(pen.report.log_likelihood < plain.report.log_likelihood);

    let w = vec![1.0; data.len()];
    let gg = GammaGammaFitter::default()
        .fit(&data.frequency, &zbar, &w)
        .unwrap();
    let gg_pen = GammaGammaFitter {
        penalty: 0.01,
        ..Default::default()
    }
    .fit(&data.frequency, &zbar, &w)
    .unwrap();
    assert!(gg_pen.params.v() < gg.params.v());
    assert!(gg_pen.report.log_likelihood < gg.report.log_likelihood);
}

#[test]
fn a_given_start_is_used() {
    let (data, _) = cdnow();
    let fit = BgNbdFitter {
        start: Some(BgNbdParams::new(2.0, 10.0, 3.0, 3.0).unwrap()),
        ..Default::default()
    }
    .fit(&data)
    .unwrap();
    assert!(fit.report.converged);
    assert_rel("LL", fit.report.log_likelihood, -9582.43, 1e-5);
}
