//! The influence reports: `clv referrals` (where referred customers came
//! from and what they are worth), `clv engagement` (engaged and not engaged
//! customers compared, with intervals) and `clv profile` (the ideal
//! customer profile: attribute values over-represented among the top
//! decile by total value). Each is a value with a readable table and a JSON
//! form, built from the scores of [`crate::influence::score`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clv_core::engagement::{self, Estimate, GroupComparison};
use clv_core::profile::{self, CodedAttribute, Profile};
use serde_json::{Value, json};

use crate::error::{Result, usage};
use crate::influence::Scored;
use crate::settings::ReportFormat;

/// The sentence every engagement comparison carries.
pub const ASSOCIATION_NOT_CAUSE: &str = "This is an association, not a cause: engaged customers \
     may be the ones who would have bought more anyway. Test an engagement programme with a \
     holdout group before crediting it with the difference.";

/// The level of the intervals of the reports.
pub const LEVEL: f64 = 0.95;

fn r2(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1e6).round() / 1e6)
    } else {
        Value::Null
    }
}

fn estimate_json(e: &Estimate) -> Value {
    json!({"value": r2(e.point), "lo": r2(e.lo), "hi": r2(e.hi), "n": e.n})
}

/// `clv referrals`: the referral sources.
pub fn referrals(s: &Scored, format: ReportFormat, top: usize) -> Result<String> {
    let Some(r) = &s.referrals else {
        return Err(usage(
            "clv referrals needs --customers FILE with a referred_by column",
        ));
    };
    let c = s
        .customers
        .as_ref()
        .expect("referrals come from a customers file");
    let n = s.len();
    let total_revenue: f64 = s.revenue.iter().sum();
    let total_clv: f64 = s.clv.iter().sum();
    let total_crv: f64 = r.crv.iter().sum();
    let referred: Vec<usize> = (0..n).filter(|&i| r.referred_by[i].is_some()).collect();
    let referrers = r.referred.iter().filter(|&&k| k > 0).count();
    let referred_revenue: f64 = referred.iter().map(|&i| s.revenue[i]).sum();
    let referred_clv: f64 = referred.iter().map(|&i| s.clv[i]).sum();
    // By the referrer's channel.
    let channel_of = |i: usize| -> String {
        match s.customer_row[i] {
            Some(row) if c.has_channel => c.channel_names[c.channel[row] as usize].clone(),
            _ => clv_data::attributes::NO_CHANNEL.to_string(),
        }
    };
    let mut by_channel: BTreeMap<String, (usize, usize, f64, f64)> = BTreeMap::new();
    let mut seen_referrer = vec![false; n];
    for &j in &referred {
        let i = r.referred_by[j].expect("referred");
        let e = by_channel.entry(channel_of(i)).or_default();
        if !seen_referrer[i] {
            seen_referrer[i] = true;
            e.0 += 1;
        }
        e.1 += 1;
        e.2 += s.revenue[j];
        e.3 += s.clv[j];
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| r.referred[i] > 0).collect();
    order.sort_by(|&a, &b| r.crv[b].total_cmp(&r.crv[a]).then(a.cmp(&b)));
    order.truncate(top);
    let mut quad: BTreeMap<&str, (usize, f64, f64)> = BTreeMap::new();
    for i in 0..n {
        let e = quad.entry(r.quadrant[i].name()).or_default();
        e.0 += 1;
        e.1 += s.clv[i];
        e.2 += r.crv[i];
    }
    let share = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    match format {
        ReportFormat::Json => {
            let v = json!({
                "customers": n,
                "referred_customers": referred.len(),
                "referrers": referrers,
                "revenue": r2(total_revenue),
                "referred_revenue": r2(referred_revenue),
                "referred_revenue_share": r2(share(referred_revenue, total_revenue)),
                "clv": r2(total_clv),
                "referred_clv": r2(referred_clv),
                "crv": r2(total_crv),
                "total_value": r2(total_clv + total_crv),
                "incremental_share": r.incremental_share,
                "cac_saved": r2(r.cac_saved),
                "cac_saved_source": r.cac_source,
                "by_channel": by_channel.iter().map(|(ch, (refs, k, rev, clv))| json!({
                    "channel": ch, "referrers": refs, "referred_customers": k,
                    "referred_revenue": r2(*rev), "referred_clv": r2(*clv)})).collect::<Vec<_>>(),
                "top_referrers": order.iter().map(|&i| json!({
                    "customer_id": s.id(i), "channel": channel_of(i), "referred": r.referred[i],
                    "crv": r2(r.crv[i]), "second_generation": r2(r.second_generation[i]),
                    "clv": r2(s.clv[i]), "total_value": r2(s.clv[i] + r.crv[i]),
                    "quadrant": r.quadrant[i].name()})).collect::<Vec<_>>(),
                "quadrants": {
                    "cuts": {"clv": r2(r.cuts.clv), "crv": r2(r.cuts.crv)},
                    "groups": quad.iter().map(|(q, (k, clv, crv))| json!({
                        "quadrant": q, "customers": k, "clv": r2(*clv), "crv": r2(*crv)})).collect::<Vec<_>>(),
                },
                "problems": r.problems,
                "warnings": s.warnings,
            });
            Ok(serde_json::to_string_pretty(&v).expect("JSON") + "\n")
        }
        ReportFormat::Table => {
            let mut o = String::new();
            let _ = writeln!(
                o,
                "Referrals: {} of {n} customers were referred, by {referrers} referrers",
                referred.len()
            );
            let _ = writeln!(
                o,
                "  revenue through referrals {referred_revenue:.2} of {total_revenue:.2} ({:.1}%)",
                100.0 * share(referred_revenue, total_revenue)
            );
            let _ = writeln!(
                o,
                "  referred customers' CLV {referred_clv:.2}; CRV of their referrers {total_crv:.2}"
            );
            let _ = writeln!(
                o,
                "  CRV = sum over a referrer's referrals of {f} x their CLV + {g} x (CAC saved {cac:.2} - referral reward)",
                f = r.incremental_share,
                g = 1.0 - r.incremental_share,
                cac = r.cac_saved
            );
            let _ = writeln!(o, "  CAC saved: {}", r.cac_source);
            let _ = writeln!(
                o,
                "  total value {:.2} = CLV {total_clv:.2} + CRV {total_crv:.2}",
                total_clv + total_crv
            );
            let _ = writeln!(o, "\nBy the referrer's channel");
            let _ = writeln!(
                o,
                "{:<16} {:>9} {:>9} {:>14} {:>14}",
                "channel", "referrers", "referred", "revenue", "CLV"
            );
            for (ch, (refs, k, rev, clv)) in &by_channel {
                let _ = writeln!(o, "{ch:<16} {refs:>9} {k:>9} {rev:>14.2} {clv:>14.2}");
            }
            let _ = writeln!(o, "\nTop referrers by CRV");
            let _ = writeln!(
                o,
                "{:<14} {:<12} {:>8} {:>11} {:>11} {:>11} {:>11}  quadrant",
                "customer", "channel", "referred", "CRV", "2nd gen", "CLV", "total"
            );
            for &i in &order {
                let _ = writeln!(
                    o,
                    "{:<14} {:<12} {:>8} {:>11.2} {:>11.2} {:>11.2} {:>11.2}  {}",
                    s.id(i),
                    channel_of(i),
                    r.referred[i],
                    r.crv[i],
                    r.second_generation[i],
                    s.clv[i],
                    s.clv[i] + r.crv[i],
                    r.quadrant[i].name()
                );
            }
            let _ = writeln!(
                o,
                "\nCLV x CRV quadrants (high CLV: >= {:.2}; high CRV: >= {:.2} and > 0)",
                r.cuts.clv, r.cuts.crv
            );
            let _ = writeln!(
                o,
                "{:<10} {:>9} {:>14} {:>14}",
                "quadrant", "customers", "CLV", "CRV"
            );
            for (q, (k, clv, crv)) in &quad {
                let _ = writeln!(o, "{q:<10} {k:>9} {clv:>14.2} {crv:>14.2}");
            }
            if !r.problems.is_empty() {
                let _ = writeln!(o, "\nData errors (not followed): {}", r.problems.join("; "));
            }
            Ok(o)
        }
    }
}

/// `clv engagement`: engagement per kind, and engaged vs not engaged
/// customers compared with intervals.
pub fn engagement(s: &Scored, format: ReportFormat, min_score: f64) -> Result<String> {
    let Some(e) = &s.engagement else {
        return Err(usage("clv engagement needs --events FILE"));
    };
    if !(min_score.is_finite() && min_score >= 0.0) {
        return Err(usage(format!(
            "--engaged-min-score must be a non-negative number, got {min_score}"
        )));
    }
    let n = s.len();
    let engaged: Vec<bool> = (0..n)
        .map(|i| e.events[i] > 0 && e.score[i] >= min_score)
        .collect();
    let k_engaged = engaged.iter().filter(|&&b| b).count();
    let years = s.time_unit.days() / 365.25;
    let repeat: Vec<bool> = s.loaded.data.frequency.iter().map(|&x| x > 0.0).collect();
    let per_year: Vec<f64> = (0..n)
        .map(|i| {
            let tenure = (s.loaded.data.age[i] * years).max(30.0 / 365.25);
            s.orders[i] / tenure
        })
        .collect();
    let mut rows: Vec<(&str, &str, GroupComparison)> = vec![
        (
            "repeat_rate",
            "share who bought again after their first purchase",
            engagement::compare_proportions(&repeat, &engaged, LEVEL)?,
        ),
        (
            "purchases_per_year",
            "purchases per year of tenure",
            engagement::compare_means(&per_year, &engaged, LEVEL)?,
        ),
        (
            "p_alive",
            "P(alive) at the observation end",
            engagement::compare_means(&s.p_alive, &engaged, LEVEL)?,
        ),
        (
            "clv",
            "predicted CLV",
            engagement::compare_means(&s.clv, &engaged, LEVEL)?,
        ),
    ];
    if let Some(r) = &s.referrals {
        rows.push((
            "crv",
            "customer referral value",
            engagement::compare_means(&r.crv, &engaged, LEVEL)?,
        ));
    }
    let months: Vec<String> = {
        let mut m: Vec<String> = e
            .kinds
            .iter()
            .flat_map(|k| k.by_month.keys().cloned())
            .collect();
        m.sort();
        m.dedup();
        m
    };
    let total_events: u64 = e.kinds.iter().map(|k| k.events).sum();
    match format {
        ReportFormat::Json => {
            let v = json!({
                "customers": n,
                "events": total_events,
                "engaged": k_engaged,
                "not_engaged": n - k_engaged,
                "half_life_days": e.half_life_days,
                "engaged_min_score": min_score,
                "level": LEVEL,
                "kinds": e.kinds.iter().map(|k| json!({
                    "kind": k.kind, "events": k.events, "reach": k.reach,
                    "by_month": k.by_month})).collect::<Vec<_>>(),
                "comparison": rows.iter().map(|(name, what, c)| json!({
                    "metric": name, "definition": what,
                    "engaged": estimate_json(&c.a), "not_engaged": estimate_json(&c.b),
                    "difference": estimate_json(&c.difference)})).collect::<Vec<_>>(),
                "note": ASSOCIATION_NOT_CAUSE,
                "warnings": s.warnings,
            });
            Ok(serde_json::to_string_pretty(&v).expect("JSON") + "\n")
        }
        ReportFormat::Table => {
            let mut o = String::new();
            let _ = writeln!(
                o,
                "Engagement: {total_events} events; {k_engaged} of {n} customers engaged \
                 (at least one event up to the end of the data{}; half-life {} days)",
                if min_score > 0.0 {
                    format!(" and a score of at least {min_score}")
                } else {
                    String::new()
                },
                e.half_life_days
            );
            let _ = writeln!(o, "\n{:<16} {:>9} {:>9}", "kind", "events", "reach");
            for k in &e.kinds {
                let _ = writeln!(o, "{:<16} {:>9} {:>9}", k.kind, k.events, k.reach);
            }
            let _ = writeln!(o, "\nEvents by month");
            let mut head = format!("{:<8}", "month");
            for k in &e.kinds {
                let _ = write!(head, " {:>14}", k.kind);
            }
            let _ = writeln!(o, "{head}");
            for m in &months {
                let mut line = format!("{m:<8}");
                for k in &e.kinds {
                    let _ = write!(line, " {:>14}", k.by_month.get(m).copied().unwrap_or(0));
                }
                let _ = writeln!(o, "{line}");
            }
            let _ = writeln!(
                o,
                "\nEngaged vs not engaged ({:.0}% intervals)",
                LEVEL * 100.0
            );
            let _ = writeln!(
                o,
                "{:<19} {:>24} {:>24} {:>26}",
                "metric", "engaged", "not engaged", "difference"
            );
            let cell = |e: &Estimate| {
                if e.lo.is_finite() && e.hi.is_finite() && e.n >= 2 {
                    format!("{:.3} [{:.3}, {:.3}]", e.point, e.lo, e.hi)
                } else {
                    format!("{:.3} [-]", e.point)
                }
            };
            for (name, _, c) in &rows {
                let _ = writeln!(
                    o,
                    "{name:<19} {:>24} {:>24} {:>26}",
                    cell(&c.a),
                    cell(&c.b),
                    cell(&c.difference)
                );
            }
            let _ = writeln!(o, "\n{ASSOCIATION_NOT_CAUSE}");
            Ok(o)
        }
    }
}

/// The attribute columns of the customers file, coded, one value per
/// scored customer: the channel, whether they were referred, the
/// acquisition cost (binned) and every other column (numeric ones binned in
/// quintiles). Customers missing from the file get `(not in file)`.
fn attribute_columns(s: &Scored) -> Result<Vec<CodedAttribute>> {
    let Some(c) = &s.customers else {
        return Err(usage("clv profile needs --customers FILE"));
    };
    let n = s.len();
    let missing = "(not in file)";
    let rows = &s.customer_row;
    let numeric = |name: &str, get: &dyn Fn(usize) -> Option<f64>| -> CodedAttribute {
        let values: Vec<f64> = (0..n).map(|i| get(i).unwrap_or(f64::NAN)).collect();
        let (mut labels, mut codes) = profile::bin_numeric_coded(&values, 5);
        if rows.iter().any(Option::is_none) {
            labels.push(missing.to_string());
            let k = (labels.len() - 1) as u32;
            for (i, code) in codes.iter_mut().enumerate() {
                if rows[i].is_none() {
                    *code = k;
                }
            }
        }
        CodedAttribute {
            name: name.to_string(),
            labels,
            codes,
        }
    };
    let mut out = Vec::new();
    if c.has_channel {
        out.push(code_column(n, "channel", &|i| {
            rows[i].map(|r| c.channel_names[c.channel[r] as usize].as_str())
        }));
    }
    if let Some(refs) = &c.referred_by {
        out.push(code_column(n, "referred", &|i| {
            rows[i].map(|r| if refs.get(r).is_empty() { "no" } else { "yes" })
        }));
    }
    if c.acquisition_cost.iter().any(|v| v.is_finite()) {
        out.push(numeric("acquisition_cost", &|i| {
            rows[i]
                .map(|r| c.acquisition_cost[r])
                .filter(|v| v.is_finite())
        }));
    }
    for (name, col) in &c.attributes {
        // Numeric when every non-empty value parses and there are more
        // than five distinct values.
        let mut distinct = std::collections::HashSet::new();
        let mut all_numeric = true;
        let mut any = false;
        for r in 0..col.len() {
            let v = col.get(r).trim();
            if v.is_empty() {
                continue;
            }
            any = true;
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => {
                    if distinct.len() <= 5 {
                        distinct.insert(x.to_bits());
                    }
                }
                _ => {
                    all_numeric = false;
                    break;
                }
            }
        }
        if any && all_numeric && distinct.len() > 5 {
            out.push(numeric(name, &|i| {
                rows[i].and_then(|r| col.get(r).trim().parse::<f64>().ok())
            }));
        } else {
            out.push(code_column(n, name, &|i| {
                rows[i].map(|r| {
                    let v = col.get(r).trim();
                    if v.is_empty() { "(missing)" } else { v }
                })
            }));
        }
    }
    if out.is_empty() {
        return Err(usage(format!(
            "{} has no attribute columns to profile (only customer ids)",
            c.file
        )));
    }
    Ok(out)
}

/// Codes a text attribute: one lookup per customer, no text copied;
/// `value(i)` is `None` for a customer missing from the customers file.
fn code_column<'a>(
    n: usize,
    name: &str,
    value: &dyn Fn(usize) -> Option<&'a str>,
) -> CodedAttribute {
    let mut index: foldhash::HashMap<&'a str, u32> = foldhash::HashMap::default();
    let mut labels: Vec<String> = Vec::new();
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let v = value(i).unwrap_or("(not in file)");
        let code = match index.get(v) {
            Some(&k) => k,
            None => {
                labels.push(v.to_string());
                let k = (labels.len() - 1) as u32;
                index.insert(v, k);
                k
            }
        };
        codes.push(code);
    }
    CodedAttribute {
        name: name.to_string(),
        labels,
        codes,
    }
}

/// `clv profile`: the ideal customer profile.
pub fn profile(s: &Scored, format: ReportFormat, min_support: usize) -> Result<String> {
    let attributes = attribute_columns(s)?;
    let total = s.total_value();
    let is_top = profile::top_decile(&total);
    let p: Profile = profile::profile_coded(&attributes, &is_top, LEVEL, min_support)?;
    let basis = if s.referrals.is_some() {
        "total value (CLV + CRV)"
    } else {
        "CLV (no referral data: total value is the CLV)"
    };
    match format {
        ReportFormat::Json => {
            let v = json!({
                "customers": p.n,
                "top": p.top,
                "basis": basis,
                "base_rate": r2(p.base_rate),
                "min_support": min_support,
                "below_support": p.below_support,
                "level": LEVEL,
                "note": "each interval is for one value on its own: with many values, a few exclude 1 by chance",
                "rows": p.rows.iter().map(|r| json!({
                    "attribute": r.attribute, "value": r.value, "customers": r.customers,
                    "in_top": r.in_top, "share_of_top": r2(r.share_of_top),
                    "share_overall": r2(r.share_overall), "top_rate": estimate_json(&r.rate),
                    "lift": estimate_json(&r.lift)})).collect::<Vec<_>>(),
                "warnings": s.warnings,
            });
            Ok(serde_json::to_string_pretty(&v).expect("JSON") + "\n")
        }
        ReportFormat::Table => {
            let mut o = String::new();
            let _ = writeln!(
                o,
                "Ideal customer profile: the top decile by {basis}, {} of {} customers \
                 (base rate {:.1}%)",
                p.top,
                p.n,
                100.0 * p.base_rate
            );
            let _ = writeln!(
                o,
                "Attribute values with at least {min_support} customers, by lift ({:.0}% Wilson intervals)",
                LEVEL * 100.0
            );
            let _ = writeln!(
                o,
                "\n{:<18} {:<18} {:>9} {:>7} {:>8} {:>8} {:>20}",
                "attribute", "value", "customers", "in top", "of top", "overall", "lift"
            );
            for r in &p.rows {
                let _ = writeln!(
                    o,
                    "{:<18} {:<18} {:>9} {:>7} {:>7.1}% {:>7.1}% {:>20}",
                    clip(&r.attribute, 18),
                    clip(&r.value, 18),
                    r.customers,
                    r.in_top,
                    100.0 * r.share_of_top,
                    100.0 * r.share_overall,
                    format!("{:.2} [{:.2}, {:.2}]", r.lift.point, r.lift.lo, r.lift.hi)
                );
            }
            let _ = writeln!(
                o,
                "\nEach interval is for one value on its own: with many values, a few exclude 1 by \
                 chance. Trust a lift that is large, on many customers, and holds on new data."
            );
            if p.below_support > 0 {
                let _ = writeln!(
                    o,
                    "\n{} attribute values with fewer than {min_support} customers are not shown \
                     (--min-support)",
                    p.below_support
                );
            }
            Ok(o)
        }
    }
}

/// `s` cut to `w` characters.
fn clip(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(w - 1).collect();
        t.push('~');
        t
    }
}
