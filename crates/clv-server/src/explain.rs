//! The numbers behind one customer's predictions, in words.

use crate::results::CustomerRow;

fn money(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_at(s.find('.').unwrap_or(s.len()));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out}{frac}", if v < 0.0 { "-" } else { "" })
}

fn pct(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

/// Sentences that explain a customer's row: what we saw, what the model
/// makes of it, and where the segment comes from.
pub fn explain(r: &CustomerRow, summary: &serde_json::Value) -> Vec<String> {
    let unit = summary
        .pointer("/charts/p_alive_matrix/unit")
        .and_then(|v| v.as_str())
        .unwrap_or("week");
    let unit = if unit.ends_with('s') {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    let horizon = summary
        .pointer("/overview/horizon")
        .and_then(|v| v.as_str())
        .unwrap_or("the horizon");
    let model = summary
        .pointer("/model/name")
        .and_then(|v| v.as_str())
        .unwrap_or("the model");
    let mut out = Vec::new();
    let orders = r.orders.round() as i64;
    out.push(format!(
        "Seen: {orders} purchase{} worth {} in all{}. The model counts {} repeat purchase{}; the last came {:.1} {unit} after the first, and the first was {:.1} {unit} before the end of the data.",
        if orders == 1 { "" } else { "s" },
        money(r.revenue),
        match (&r.first_purchase, &r.last_purchase) {
            (Some(f), Some(l)) if f != l => format!(", from {f} to {l}"),
            (Some(f), _) => format!(", on {f}"),
            _ => String::new(),
        },
        r.frequency,
        if r.frequency == 1.0 { "" } else { "s" },
        r.recency,
        r.age,
    ));
    let silence = r.age - r.recency;
    out.push(if r.frequency == 0.0 {
        format!(
            "P(alive) {}: with no repeat purchase yet, {model} judges this customer by the population's habits alone.",
            pct(r.p_alive)
        )
    } else {
        format!(
            "P(alive) {}: {model} weighs {:.1} {unit} of silence since the last purchase against a rhythm of {} repeat purchase{} in {:.1} {unit}; the longer the silence compared with the rhythm, the lower it falls.",
            pct(r.p_alive),
            silence,
            r.frequency,
            if r.frequency == 1.0 { "" } else { "s" },
            r.recency,
        )
    });
    out.push(format!(
        "Expected purchases over {horizon}: {:.2} (already weighted by P(alive)).",
        r.expected_purchases
    ));
    out.push(match r.monetary_value {
        Some(m) => format!(
            "Expected value of a purchase: {} (their repeat purchases averaged {}, pulled towards the population's mean by the spend model the fewer there are).",
            money(r.expected_spend),
            money(m)
        ),
        None => format!(
            "Expected value of a purchase: {} (no repeat purchase yet: the population's mean).",
            money(r.expected_spend)
        ),
    });
    out.push(format!(
        "CLV over {horizon}: {} = expected purchases × value of a purchase, with the margin applied and discounted.",
        money(r.clv)
    ));
    if let Some(p) = r.p_purchase_30d {
        out.push(format!(
            "Chance of a purchase within 30 days: {}{}.",
            pct(p),
            match &r.expected_next_purchase {
                Some(d) =>
                    format!("; if still active, an even chance of having bought again by {d}"),
                None => String::new(),
            }
        ));
    }
    out.push(format!(
        "Segment \"{}\" from RFM scores {} (recency, frequency, monetary, 1 to 5 against the other customers); value tier {}, churn risk {}.",
        r.segment, r.rfm, r.value_tier, r.churn_risk
    ));
    if let (Some(crv), Some(n)) = (r.crv, r.referrals) {
        out.push(format!(
            "Referral value {} from {n} referred customer{}.",
            money(crv),
            if n == 1 { "" } else { "s" }
        ));
    }
    out
}
