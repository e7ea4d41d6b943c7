//! `p_alive_many` (shared series per distinct `(x, t)`) equals P(alive)
//! customer by customer, bit for bit, for Pareto/NBD and for the default.

use clv_core::Customer;
use clv_core::bgnbd::BgNbdParams;
use clv_core::model::PurchaseModel;
use clv_core::pareto_nbd::ParetoNbdParams;

fn customers() -> Vec<Customer> {
    let mut v = Vec::new();
    for x in [0.0, 1.0, 2.0, 7.0, 26.0, 221.0] {
        for (t_x, t) in [
            (0.0, 31.0),
            (5.0, 31.0),
            (30.86, 31.0),
            (5.0, 40.0),
            (31.0, 31.0),
        ] {
            let t_x = if x == 0.0 { 0.0 } else { t_x };
            v.push(Customer::new(x, t_x, t).unwrap());
        }
    }
    // Repeats, in another order.
    let again: Vec<Customer> = v.iter().rev().copied().collect();
    v.extend(again);
    v
}

fn check(model: &dyn PurchaseModel) {
    let cs = customers();
    let mut out = vec![f64::NAN; cs.len()];
    model.p_alive_many(&cs, &mut out);
    for (c, p) in cs.iter().zip(&out) {
        let one = model.p_alive(c);
        assert_eq!(
            p.to_bits(),
            one.to_bits(),
            "{} {c:?}: {p} vs {one}",
            model.name()
        );
        assert!((0.0..=1.0).contains(p));
    }
}

#[test]
fn batched_p_alive_equals_one_at_a_time() {
    // Both branches of the series (alpha > beta and alpha < beta) and rates
    // far apart (quadrature).
    for (r, alpha, s, beta) in [
        (0.5534, 10.5802, 0.6061, 11.6562),
        (0.5534, 12.0, 0.6061, 8.0),
        (0.5143, 2.8845, 0.2856, 14.1087),
        (0.5, 1.0, 0.7, 300.0),
    ] {
        check(&ParetoNbdParams::new(r, alpha, s, beta).unwrap());
    }
    check(&BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap());
}
