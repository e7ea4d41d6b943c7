//! SVG charts of a holdout validation, hand-written (no dependency): the
//! tracking curve (cumulative and per week), the calibration histogram and
//! the calibration-vs-holdout plot. Each chart has a title, axis labels,
//! ticks and a legend, and is written atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clv_core::validation::ValidationReport;

use crate::error::{Context, Result};
use crate::output::write_file;

const WIDTH: f64 = 820.0;
const HEIGHT: f64 = 500.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 56.0;
const BOTTOM: f64 = 64.0;
const ACTUAL: &str = "#222222";
const PALETTE: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];
const FONT: &str = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

/// The colour of the `i`-th model.
fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Tick positions from 0 (or `lo`) to at least `hi` with a 1-2-5 step.
fn ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let span = (hi - lo).max(1e-9);
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut t = start;
    while t <= hi + step * 1e-9 {
        out.push(t);
        t += step;
    }
    if out.last().is_some_and(|&l| l < hi - step * 1e-9) {
        out.push(t);
    }
    (out, step)
}

/// A tick label: integers without decimals, else as few decimals as the step needs.
fn tick_label(v: f64, step: f64) -> String {
    if step >= 1.0 && v.fract().abs() < 1e-9 {
        let n = v.round() as i64;
        // Thousands separators for readability.
        let s = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    } else {
        // As many decimals as the step needs to be written exactly.
        let d = (0..10)
            .find(|&d| {
                let x = step * 10f64.powi(d as i32);
                (x - x.round()).abs() < 1e-6 * x.abs().max(1.0)
            })
            .unwrap_or(10);
        format!("{v:.d$}")
    }
}

/// The frame of a chart: plotting area, scales, grid, axes, title, labels.
struct Frame {
    svg: String,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn new(title: &str, subtitle: &str, x_label: &str, y_label: &str) -> Frame {
        let mut svg = String::new();
        let _ = write!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
             viewBox=\"0 0 {WIDTH} {HEIGHT}\" {FONT}>\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">{}</text>\n\
             <text x=\"{}\" y=\"42\" text-anchor=\"middle\" font-size=\"12\" fill=\"#555\">{}</text>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n\
             <text x=\"18\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 {})\">{}</text>\n",
            WIDTH / 2.0,
            esc(title),
            WIDTH / 2.0,
            esc(subtitle),
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
            HEIGHT - 16.0,
            esc(x_label),
            TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
            TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
            esc(y_label),
        );
        Frame {
            svg,
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: 1.0,
        }
    }

    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)
    }

    fn py(&self, y: f64) -> f64 {
        HEIGHT - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)
    }

    /// Sets the y scale from 0 to a rounded maximum and draws the y grid and ticks.
    fn y_axis(&mut self, max: f64) {
        let (ys, step) = ticks(0.0, max.max(1e-9) * 1.02, 6);
        self.y0 = 0.0;
        self.y1 = *ys.last().unwrap_or(&1.0);
        for &y in &ys {
            let p = self.py(y);
            let _ = writeln!(
                self.svg,
                "<line x1=\"{LEFT}\" y1=\"{p:.1}\" x2=\"{:.1}\" y2=\"{p:.1}\" stroke=\"#e3e3e3\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
                WIDTH - RIGHT,
                LEFT - 6.0,
                p + 4.0,
                tick_label(y, step)
            );
        }
    }

    /// Numeric x ticks.
    fn x_numeric(&mut self, lo: f64, hi: f64) {
        self.x0 = lo;
        self.x1 = hi;
        let (xs, step) = ticks(lo, hi, 10);
        for &x in xs.iter().filter(|&&x| x <= hi + 1e-9) {
            let p = self.px(x);
            let _ = writeln!(
                self.svg,
                "<line x1=\"{p:.1}\" y1=\"{:.1}\" x2=\"{p:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\
                 <text x=\"{p:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
                HEIGHT - BOTTOM,
                HEIGHT - BOTTOM + 5.0,
                HEIGHT - BOTTOM + 19.0,
                tick_label(x, step)
            );
        }
    }

    /// Category x ticks centred in `n` slots.
    fn x_categories(&mut self, labels: &[String]) {
        self.x0 = 0.0;
        self.x1 = labels.len() as f64;
        for (i, l) in labels.iter().enumerate() {
            let p = self.px(i as f64 + 0.5);
            let _ = writeln!(
                self.svg,
                "<text x=\"{p:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
                HEIGHT - BOTTOM + 19.0,
                esc(l)
            );
        }
    }

    fn axes(&mut self) {
        let _ = writeln!(
            self.svg,
            "<line x1=\"{LEFT}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#333\"/>\
             <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b:.1}\" stroke=\"#333\"/>",
            WIDTH - RIGHT,
            b = HEIGHT - BOTTOM
        );
    }

    fn polyline(&mut self, points: &[(f64, f64)], color: &str, dashed: bool, markers: bool) {
        let pts: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", self.px(x), self.py(y)))
            .collect();
        let _ = writeln!(
            self.svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{} points=\"{}\"/>",
            if dashed {
                " stroke-dasharray=\"7 4\""
            } else {
                ""
            },
            pts.join(" ")
        );
        if markers {
            for &(x, y) in points {
                let _ = writeln!(
                    self.svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{color}\"/>",
                    self.px(x),
                    self.py(y)
                );
            }
        }
    }

    fn vline(&mut self, x: f64, label: &str) {
        let p = self.px(x);
        let _ = writeln!(
            self.svg,
            "<line x1=\"{p:.1}\" y1=\"{TOP}\" x2=\"{p:.1}\" y2=\"{:.1}\" stroke=\"#777\" stroke-dasharray=\"3 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#555\">{}</text>",
            HEIGHT - BOTTOM,
            p + 5.0,
            TOP + 14.0,
            esc(label)
        );
    }

    /// A legend box at the top left, or the top right with `right` (`bar`:
    /// filled squares instead of lines; an entry with colour `None` is a
    /// note in italics).
    fn legend(&mut self, entries: &[(String, Option<&str>, bool)], bar: bool, right: bool) {
        let w = entries
            .iter()
            .map(|e| e.0.chars().count())
            .max()
            .unwrap_or(0) as f64
            * 7.2
            + 48.0;
        let x = if right {
            WIDTH - RIGHT - 12.0 - w
        } else {
            LEFT + 12.0
        };
        let y = TOP + 8.0;
        let _ = writeln!(
            self.svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"white\" \
             fill-opacity=\"0.9\" stroke=\"#bbb\"/>",
            entries.len() as f64 * 20.0 + 8.0
        );
        for (i, (name, color, dashed)) in entries.iter().enumerate() {
            let cy = y + 14.0 + i as f64 * 20.0;
            let Some(color) = color else {
                let _ = writeln!(
                    self.svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-style=\"italic\" fill=\"#555\">{}</text>",
                    x + 8.0,
                    cy + 4.0,
                    esc(name)
                );
                continue;
            };
            if bar {
                let _ = write!(
                    self.svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"22\" height=\"11\" fill=\"{color}\"/>",
                    x + 8.0,
                    cy - 6.0
                );
            } else {
                let _ = write!(
                    self.svg,
                    "<line x1=\"{:.1}\" y1=\"{cy:.1}\" x2=\"{:.1}\" y2=\"{cy:.1}\" stroke=\"{color}\" \
                     stroke-width=\"2\"{}/>",
                    x + 8.0,
                    x + 32.0,
                    if *dashed {
                        " stroke-dasharray=\"7 4\""
                    } else {
                        ""
                    }
                );
            }
            let _ = writeln!(
                self.svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
                x + 40.0,
                cy + 4.0,
                esc(name)
            );
        }
    }

    fn finish(mut self) -> String {
        self.svg.push_str("</svg>\n");
        self.svg
    }
}

/// What the charts need besides the report.
pub struct ChartContext<'a> {
    /// The data source, for subtitles.
    pub source: &'a str,
    /// Calibration end (date), for labels.
    pub calibration_end: &'a str,
    /// Observation end (date), for labels.
    pub observation_end: &'a str,
    /// The models' time unit (the tracking curve's x axis).
    pub time_unit: clv_core::TimeUnit,
    /// The calibration end on the tracking curve's time axis.
    pub calibration_end_time: f64,
}

/// The cumulative tracking curve: actual against each model.
pub fn tracking_cumulative(report: &ValidationReport, ctx: &ChartContext<'_>) -> String {
    tracking(report, ctx, true)
}

/// Repeat purchases per week: actual against each model.
pub fn tracking_weekly(report: &ValidationReport, ctx: &ChartContext<'_>) -> String {
    tracking(report, ctx, false)
}

fn tracking(report: &ValidationReport, ctx: &ChartContext<'_>, cumulative: bool) -> String {
    let unit = ctx.time_unit.name();
    let (title, y_label) = if cumulative {
        (
            "Cumulative repeat purchases: actual vs predicted",
            "Cumulative repeat purchases",
        )
    } else {
        (
            "Repeat purchases per week: actual vs predicted",
            "Repeat purchases per week",
        )
    };
    let mut f = Frame::new(
        title,
        &format!(
            "{}; fitted to {}, holdout to {}",
            ctx.source, ctx.calibration_end, ctx.observation_end
        ),
        &format!("{}s since the first purchase in the data", capitalise(unit)),
        y_label,
    );
    let pick = |p: &clv_core::validation::TrackingPoint| {
        if cumulative {
            (p.actual_cumulative, p.predicted_cumulative)
        } else {
            (p.actual, p.predicted)
        }
    };
    let Some(first) = report.models.iter().find(|m| !m.tracking.is_empty()) else {
        return f.finish();
    };
    let end = first.tracking.last().map_or(1.0, |p| p.time);
    let max = report
        .models
        .iter()
        .flat_map(|m| m.tracking.iter().map(|p| pick(p).0.max(pick(p).1)))
        .fold(0.0, f64::max);
    f.y_axis(max);
    f.x_numeric(0.0, end);
    let start = if cumulative { vec![(0.0, 0.0)] } else { vec![] };
    let actual: Vec<(f64, f64)> = start
        .iter()
        .copied()
        .chain(first.tracking.iter().map(|p| (p.time, pick(p).0)))
        .collect();
    f.polyline(&actual, ACTUAL, false, false);
    let mut legend = vec![("Actual".to_string(), Some(ACTUAL), false)];
    for (i, m) in report.models.iter().enumerate() {
        if m.tracking.is_empty() {
            continue;
        }
        let pts: Vec<(f64, f64)> = start
            .iter()
            .copied()
            .chain(m.tracking.iter().map(|p| (p.time, pick(p).1)))
            .collect();
        f.polyline(&pts, color(i), true, false);
        legend.push((m.model.clone(), Some(color(i)), true));
    }
    f.vline(
        ctx.calibration_end_time,
        &format!("calibration end ({})", ctx.calibration_end),
    );
    f.axes();
    // The weekly curve peaks early: its legend goes to the right.
    f.legend(&legend, false, !cumulative);
    f.finish()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Customers by number of calibration repeat purchases: actual against each
/// model's expectation (grouped bars).
pub fn histogram(report: &ValidationReport, ctx: &ChartContext<'_>) -> String {
    let mut f = Frame::new(
        "Repeat purchases in calibration: actual vs expected customers",
        &format!("{}; calibration to {}", ctx.source, ctx.calibration_end),
        "Repeat purchases in the calibration period",
        "Customers",
    );
    let with: Vec<(usize, &clv_core::validation::ModelValidation)> = report
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| m.histogram.is_some())
        .collect();
    let Some((_, first)) = with.first() else {
        return f.finish();
    };
    let bins = first.histogram.as_ref().expect("filtered");
    let labels: Vec<String> = bins.iter().map(|b| b.purchases.clone()).collect();
    let max = with
        .iter()
        .flat_map(|(_, m)| {
            m.histogram
                .as_ref()
                .expect("filtered")
                .iter()
                .map(|b| b.actual.max(b.expected))
        })
        .fold(0.0, f64::max);
    f.y_axis(max);
    f.x_categories(&labels);
    let groups = with.len() + 1;
    let slot = 0.8 / groups as f64;
    let bar = |f: &mut Frame, b: usize, k: usize, v: f64, color: &str| {
        let x = b as f64 + 0.1 + k as f64 * slot;
        let (px0, px1) = (f.px(x), f.px(x + slot * 0.92));
        let (py0, py1) = (f.py(v), f.py(0.0));
        let _ = writeln!(
            f.svg,
            "<rect x=\"{px0:.1}\" y=\"{py0:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"/>",
            px1 - px0,
            (py1 - py0).max(0.0)
        );
    };
    for (b, bin) in bins.iter().enumerate() {
        bar(&mut f, b, 0, bin.actual, ACTUAL);
        for (k, (i, m)) in with.iter().enumerate() {
            let e = m.histogram.as_ref().expect("filtered")[b].expected;
            bar(&mut f, b, k + 1, e, color(*i));
        }
    }
    f.axes();
    let mut legend = vec![("Actual".to_string(), Some(ACTUAL), false)];
    for (i, m) in &with {
        legend.push((format!("{} (expected)", m.model), Some(color(*i)), false));
    }
    let skipped: Vec<&str> = report
        .models
        .iter()
        .filter(|m| m.histogram.is_none())
        .map(|m| m.model.as_str())
        .collect();
    if !skipped.is_empty() {
        legend.push((
            format!(
                "not shown: {} (no closed-form P(X = n))",
                skipped.join(", ")
            ),
            None,
            false,
        ));
    }
    // The tallest bars are at the left: the legend goes to the right.
    f.legend(&legend, true, true);
    f.finish()
}

/// Mean holdout repeat purchases by calibration frequency: actual against
/// each model.
pub fn calibration_vs_holdout(report: &ValidationReport, ctx: &ChartContext<'_>) -> String {
    let mut f = Frame::new(
        "Holdout purchases by calibration frequency: actual vs predicted",
        &format!(
            "{}; calibration to {}, holdout to {}",
            ctx.source, ctx.calibration_end, ctx.observation_end
        ),
        "Repeat purchases in the calibration period",
        "Mean repeat purchases in the holdout",
    );
    let Some(first) = report.models.first() else {
        return f.finish();
    };
    let labels: Vec<String> = first
        .calibration_vs_holdout
        .iter()
        .map(|b| b.frequency.clone())
        .collect();
    let max = report
        .models
        .iter()
        .flat_map(|m| {
            m.calibration_vs_holdout
                .iter()
                .map(|b| b.mean_actual.max(b.mean_predicted))
        })
        .fold(0.0, f64::max);
    f.y_axis(max);
    f.x_categories(&labels);
    let pts = |get: &dyn Fn(&clv_core::validation::FrequencyBin) -> f64| -> Vec<(f64, f64)> {
        first
            .calibration_vs_holdout
            .iter()
            .enumerate()
            .filter(|(_, b)| b.customers > 0.0)
            .map(|(i, b)| (i as f64 + 0.5, get(b)))
            .collect()
    };
    f.polyline(&pts(&|b| b.mean_actual), ACTUAL, false, true);
    let mut legend = vec![("Actual".to_string(), Some(ACTUAL), false)];
    for (i, m) in report.models.iter().enumerate() {
        let p: Vec<(f64, f64)> = m
            .calibration_vs_holdout
            .iter()
            .enumerate()
            .filter(|(_, b)| b.customers > 0.0)
            .map(|(k, b)| (k as f64 + 0.5, b.mean_predicted))
            .collect();
        f.polyline(&p, color(i), true, true);
        legend.push((m.model.clone(), Some(color(i)), true));
    }
    f.axes();
    f.legend(&legend, false, false);
    f.finish()
}

/// Writes every chart into `dir` (created if needed), each atomically;
/// returns the paths written.
pub fn write_all(
    report: &ValidationReport,
    ctx: &ChartContext<'_>,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the chart directory {}", dir.display()))?;
    let charts = [
        ("tracking_cumulative.svg", tracking_cumulative(report, ctx)),
        ("tracking_weekly.svg", tracking_weekly(report, ctx)),
        ("histogram.svg", histogram(report, ctx)),
        (
            "calibration_vs_holdout.svg",
            calibration_vs_holdout(report, ctx),
        ),
    ];
    let mut out = Vec::new();
    for (name, svg) in charts {
        let path = dir.join(name);
        write_file(&path, |w| Ok(w.write_all(svg.as_bytes())?))?;
        out.push(path);
    }
    Ok(out)
}

/// Width of an economics chart: wide enough for its title and its bars.
fn econ_width(title: &str, bars: usize, per_bar: f64) -> f64 {
    let title_w = 8.0 * title.len() as f64 + LEFT + RIGHT;
    (LEFT + RIGHT + per_bar * bars as f64)
        .max(title_w)
        .max(480.0)
}

/// The channel chart of `clv economics`: per channel, the margin LTV per
/// customer (with its bootstrap interval as a whisker) beside the CAC, both
/// in currency per customer, and the customers behind them. Bars are
/// `<rect class="ltv">` and `<rect class="cac">`, whiskers
/// `<line class="interval">`.
pub fn channel_chart(e: &clv_core::economics::Economics, level: f64) -> String {
    let title = "Margin LTV and CAC per channel (currency per customer)";
    let n = e.channels.len().max(1);
    let width = econ_width(title, n, 120.0);
    let height = HEIGHT;
    let plot_h = height - TOP - BOTTOM - 30.0;
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    for c in &e.channels {
        for v in [c.ltv, c.cac]
            .into_iter()
            .flatten()
            .chain(c.intervals.ltv.iter().flat_map(|i| [i.lo, i.hi]))
        {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let (tk, step) = ticks(lo, hi, 6);
    let (y0, y1) = (tk[0].min(lo), *tk.last().unwrap_or(&hi));
    let y = |v: f64| TOP + plot_h * (1.0 - (v - y0) / (y1 - y0));
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        esc(title)
    );
    for t in &tk {
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy}" y2="{yy}" stroke="#e0e0e0"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
            width - RIGHT,
            LEFT - 6.0,
            y(*t) + 4.0,
            tick_label(*t, step),
            yy = y(*t)
        );
    }
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" x2="{}" y1="{yy}" y2="{yy}" stroke="#444"/>"##,
        width - RIGHT,
        yy = y(0.0)
    );
    let slot = (width - LEFT - RIGHT) / n as f64;
    let bar = (slot * 0.3).min(40.0);
    for (k, c) in e.channels.iter().enumerate() {
        let cx = LEFT + slot * (k as f64 + 0.5);
        let mut rect = |class: &str, x: f64, v: Option<f64>, fill: &str| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
                let _ = writeln!(
                    s,
                    r#"<rect class="{class}" x="{x}" y="{top}" width="{bar}" height="{}" fill="{fill}"><title>{} {class}: {v:.2}</title></rect>"#,
                    (bottom - top).max(0.5),
                    esc(&c.channel)
                );
            } else {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" text-anchor="middle" fill="#777">-</text>"##,
                    x + bar / 2.0,
                    y(0.0) - 4.0
                );
            }
        };
        rect("ltv", cx - bar - 2.0, c.ltv, color(0));
        rect("cac", cx + 2.0, c.cac, color(1));
        if let Some(iv) = c.intervals.ltv {
            let x = cx - bar / 2.0 - 2.0;
            let _ = writeln!(
                s,
                r##"<line class="interval" x1="{x}" x2="{x}" y1="{}" y2="{}" stroke="#111" stroke-width="1.5"/><line x1="{}" x2="{}" y1="{a}" y2="{a}" stroke="#111"/><line x1="{}" x2="{}" y1="{b}" y2="{b}" stroke="#111"/>"##,
                y(iv.lo),
                y(iv.hi),
                x - 5.0,
                x + 5.0,
                x - 5.0,
                x + 5.0,
                a = y(iv.lo),
                b = y(iv.hi)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{cx}" y="{}" text-anchor="middle">{}</text><text x="{cx}" y="{}" text-anchor="middle" font-size="10">n = {}; {}</text>"#,
            TOP + plot_h + 18.0,
            esc(&c.channel),
            TOP + plot_h + 32.0,
            c.new_customers,
            esc(c.verdict.name())
        );
    }
    let ly = height - 22.0;
    let _ = writeln!(
        s,
        r##"<g class="legend"><rect x="{LEFT}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{ly}">margin LTV per customer (whisker: {:.0}% bootstrap interval)</text><rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{ly}">CAC</text></g>"##,
        ly - 10.0,
        color(0),
        LEFT + 16.0,
        100.0 * level,
        LEFT + 380.0,
        ly - 10.0,
        color(1),
        LEFT + 396.0
    );
    s.push_str("</svg>\n");
    s
}

/// The payback chart of `clv economics`: per channel, the payback month
/// (months since acquisition) as a bar with its bootstrap interval; a
/// channel not paid back within the months covered gets a hatched bar to
/// that limit labelled "> N", one with an unknown CAC a note. Bars are
/// `<rect class="payback">`.
pub fn payback_chart(e: &clv_core::economics::Economics, level: f64, model: bool) -> String {
    let title =
        "Payback per channel (months since acquisition until margin per customer reaches CAC)";
    let n = e.channels.len().max(1);
    let row = 34.0;
    let width = econ_width(title, 0, 0.0).max(760.0);
    let height = TOP + row * n as f64 + BOTTOM + 20.0;
    let left = 160.0;
    let plot_w = width - left - RIGHT - 80.0;
    let max = e
        .channels
        .iter()
        .map(|c| c.payback_checked_months)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (tk, step) = ticks(0.0, max, 8);
    let x1 = *tk.last().unwrap_or(&max);
    let x = |v: f64| left + plot_w * v / x1;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="24" font-size="15" font-weight="bold">{}</text>"#,
        esc(title)
    );
    let bottom = TOP + row * n as f64;
    for t in &tk {
        let _ = writeln!(
            s,
            r##"<line x1="{xx}" x2="{xx}" y1="{TOP}" y2="{bottom}" stroke="#e0e0e0"/><text x="{xx}" y="{}" text-anchor="middle">{}</text>"##,
            bottom + 16.0,
            tick_label(*t, step),
            xx = x(*t)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">months since acquisition (0 = the acquisition month)</text>"#,
        left + plot_w / 2.0,
        bottom + 34.0
    );
    for (k, c) in e.channels.iter().enumerate() {
        let yy = TOP + row * k as f64 + 6.0;
        let h = row - 12.0;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{} (n = {})</text>"#,
            left - 8.0,
            yy + h * 0.7,
            esc(&c.channel),
            c.new_customers
        );
        let label = match (c.cac, c.payback_months) {
            (None, _) => {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" fill="#777">CAC unknown</text>"##,
                    left + 4.0,
                    yy + h * 0.7
                );
                continue;
            }
            (Some(_), Some(m)) => {
                let _ = writeln!(
                    s,
                    r#"<rect class="payback" x="{left}" y="{yy}" width="{}" height="{h}" fill="{}"{}/>"#,
                    (x(f64::from(m) + 1.0) - left).max(1.0),
                    color(2),
                    if c.payback_projected {
                        r#" fill-opacity="0.55""#
                    } else {
                        ""
                    }
                );
                format!("{m}{}", if c.payback_projected { "*" } else { "" })
            }
            (Some(_), None) => {
                let lim = f64::from(c.payback_checked_months);
                let _ = writeln!(
                    s,
                    r##"<rect class="payback beyond" x="{left}" y="{yy}" width="{}" height="{h}" fill="url(#hatch)" stroke="#999"/>"##,
                    (x(lim) - left).max(1.0)
                );
                format!("> {}", c.payback_checked_months.saturating_sub(1))
            }
        };
        if let Some(iv) = c.intervals.payback {
            let a = iv.lo.map_or(x(x1), |m| x(f64::from(m) + 1.0));
            let b = iv.hi.map_or(x(x1), |m| x(f64::from(m) + 1.0));
            let cy = yy + h / 2.0;
            let _ = writeln!(
                s,
                r##"<line class="interval" x1="{a}" x2="{b}" y1="{cy}" y2="{cy}" stroke="#111" stroke-width="1.5"/><line x1="{a}" x2="{a}" y1="{}" y2="{}" stroke="#111"/>{}"##,
                cy - 5.0,
                cy + 5.0,
                if iv.hi.is_some() {
                    format!(
                        r##"<line x1="{b}" x2="{b}" y1="{}" y2="{}" stroke="#111"/>"##,
                        cy - 5.0,
                        cy + 5.0
                    )
                } else {
                    format!(r##"<path d="M{b} {cy} l-6 -4 v8 z" fill="#111"/>"##)
                }
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}">{}</text>"#,
            width - RIGHT - 72.0,
            yy + h * 0.7,
            esc(&label)
        );
    }
    let _ = writeln!(
        s,
        r##"<g class="legend"><text x="16" y="{}" fill="#555">Bar: payback month (ends after the month it is reached in){}; hatched: not paid back within the {} (&gt; N = beyond month N); whisker: {:.0}% bootstrap interval, an arrow when its upper end is beyond.</text></g>"##,
        height - 10.0,
        if model {
            "; faded and * = projected by the model"
        } else {
            ""
        },
        if model {
            "data and the projection horizon"
        } else {
            "months observed"
        },
        100.0 * level
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let (t, step) = ticks(0.0, 4300.0, 6);
        assert_eq!(step, 1000.0);
        assert_eq!(t.first(), Some(&0.0));
        assert!(*t.last().unwrap() >= 4300.0);
        let (t, step) = ticks(0.0, 0.37, 6);
        assert_eq!(step, 0.1);
        assert_eq!(t.len(), 5);
        assert_eq!(tick_label(2500.0, 500.0), "2,500");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
        assert_eq!(tick_label(0.2, 0.1), "0.2");
        assert_eq!(tick_label(7.5, 2.5), "7.5");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
