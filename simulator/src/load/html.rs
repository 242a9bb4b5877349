//! The `--html` report: one self-contained page (inline CSS and SVG, no script, no external
//! asset) with the summary, latency over time (p50, p99 and max per second), throughput
//! over time (successes and errors per second), and the latency distribution as a
//! percentile spectrum read from the full histogram.

use std::fmt::Write as _;
use std::path::Path;

use super::LoadError;
use super::report::LoadResult;
use crate::html::escape;

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 32.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 40.0;

/// Writes the page for `result` to `path`.
///
/// # Errors
/// [`LoadError::Output`] when the file cannot be written.
pub fn write_html(result: &LoadResult, path: &Path) -> Result<(), LoadError> {
    std::fs::write(path, render(result)).map_err(|e| LoadError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The page for `result`.
pub fn render(result: &LoadResult) -> String {
    let mut page = String::with_capacity(64 * 1024);
    page.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>facesim load report</title><style>\
         body{font-family:system-ui,sans-serif;margin:2em auto;max-width:900px;color:#222}\
         h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}\
         table{border-collapse:collapse}td,th{padding:2px 12px 2px 0;text-align:left}\
         pre{background:#f6f6f6;padding:1em;overflow-x:auto}\
         .bad{color:#b00020;font-weight:bold}svg{background:#fff;border:1px solid #ddd}\
         </style></head><body>\n",
    );
    let _ = writeln!(page, "<h1>facesim load: {}</h1>", escape(&result.to));
    page.push_str("<pre>");
    page.push_str(&escape(&result.summary()));
    page.push_str("</pre>\n");
    for v in &result.thresholds.violations {
        let _ = writeln!(
            page,
            "<p class=\"bad\">Threshold violated: {}</p>",
            escape(v)
        );
    }
    page.push_str(
        "<h2>Latency over time (from the scheduled send time, per second of completion)</h2>\n",
    );
    page.push_str(&latency_over_time(result));
    page.push_str("<h2>Throughput over time</h2>\n");
    page.push_str(&throughput_over_time(result));
    page.push_str("<h2>Latency distribution (percentile spectrum)</h2>\n");
    page.push_str(&distribution(result));
    page.push_str("</body></html>\n");
    page
}

fn latency_over_time(result: &LoadResult) -> String {
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut max = Vec::new();
    for point in &result.series {
        // A point stands for the whole second: plot it in the middle.
        let t = point.t as f64 + 0.5;
        p50.push((t, point.quantile_ms(0.5)));
        p99.push((t, point.quantile_ms(0.99)));
        max.push((t, point.max_ms()));
    }
    let x = time_axis(result);
    let y = log_axis(p50.iter().chain(&max).map(|p| p.1));
    chart(
        &x,
        &y,
        "seconds",
        "ms",
        &[
            ("p50", "#1f77b4", &p50),
            ("p99", "#ff7f0e", &p99),
            ("max", "#d62728", &max),
        ],
    )
}

fn throughput_over_time(result: &LoadResult) -> String {
    let (Some(first), Some(last)) = (result.series.first(), result.series.last()) else {
        return chart(
            &time_axis(result),
            &Axis::linear(0.0, 1.0),
            "seconds",
            "events/s",
            &[],
        );
    };
    // Seconds without a single completion are real: the receiver stalled. Show them as 0.
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    let mut points = result.series.iter().peekable();
    for t in first.t..=last.t {
        let (o, e) = match points.next_if(|p| p.t == t) {
            Some(p) => (p.ok as f64, p.errors as f64),
            None => (0.0, 0.0),
        };
        // The last second is usually cut short by the end of the run; its count is a rate
        // over the part the run covered, and a sliver of a second (the answers to the last
        // sends) says nothing about the rate, so it is left out rather than drawn as a drop.
        let covered = (result.duration_s - t as f64).clamp(0.0, 1.0);
        if covered < 0.1 && t > first.t {
            continue;
        }
        let scale = if covered >= 0.1 { 1.0 / covered } else { 1.0 };
        ok.push((t as f64 + 0.5, o * scale));
        errors.push((t as f64 + 0.5, e * scale));
    }
    let top = ok.iter().chain(&errors).map(|p| p.1).fold(1.0, f64::max);
    chart(
        &time_axis(result),
        &Axis::linear(0.0, top * 1.1),
        "seconds",
        "events/s",
        &[("ok", "#2ca02c", &ok), ("errors", "#d62728", &errors)],
    )
}

fn distribution(result: &LoadResult) -> String {
    let total: u64 = result.stats.histogram_us.iter().map(|p| p.1).sum();
    let mut points = Vec::new();
    let mut below = 0u64;
    for &(us, n) in &result.stats.histogram_us {
        let q = below as f64 / total as f64;
        points.push((-(1.0 - q).log10(), us as f64 / 1000.0));
        below += n;
        let q = (below as f64 / total as f64).min(1.0 - 1e-7);
        points.push((-(1.0 - q).log10(), us as f64 / 1000.0));
    }
    let nines = (total.max(10) as f64).log10().ceil().clamp(1.0, 6.0);
    let mut x = Axis::linear(0.0, nines);
    x.ticks = (0..=nines as u32)
        .map(|k| {
            let label = match k {
                0 => "0%".to_string(),
                k => format!("{}%", 100.0 - 100.0 / 10f64.powi(k as i32)),
            };
            (f64::from(k), label)
        })
        .collect();
    let y = log_axis(points.iter().map(|p| p.1));
    chart(
        &x,
        &y,
        "percentile",
        "ms",
        &[("latency", "#1f77b4", &points)],
    )
}

fn time_axis(result: &LoadResult) -> Axis {
    let end = result.series.last().map_or(1.0, |p| p.t as f64 + 1.0);
    Axis::linear(0.0, end.max(result.duration_s.ceil()).max(1.0))
}

/// A log axis from the power of ten below the smallest positive value to the one above the
/// largest.
fn log_axis(values: impl Iterator<Item = f64>) -> Axis {
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if hi == 0.0 { (0.01, 1.0) } else { (lo, hi) };
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
    let mut axis = Axis {
        min: lo,
        max: hi,
        log: true,
        ticks: Vec::new(),
    };
    let mut v = lo;
    while v <= hi * 1.0001 {
        axis.ticks.push((v, trim_number(v)));
        v *= 10.0;
    }
    axis
}

struct Axis {
    min: f64,
    max: f64,
    log: bool,
    ticks: Vec<(f64, String)>,
}

impl Axis {
    /// A linear axis with about six round ticks.
    fn linear(min: f64, max: f64) -> Self {
        let span = (max - min).max(1e-9);
        let raw = span / 6.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(magnitude * 10.0);
        let mut ticks = Vec::new();
        let mut v = (min / step).ceil() * step;
        while v <= max + step * 1e-9 {
            ticks.push((v, trim_number(v)));
            v += step;
        }
        Self {
            min,
            max,
            log: false,
            ticks,
        }
    }

    /// Where `v` falls, from 0 (min) to 1 (max).
    fn fraction(&self, v: f64) -> f64 {
        let f = if self.log {
            (v.max(self.min).log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
        } else {
            (v - self.min) / (self.max - self.min)
        };
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

fn trim_number(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

type Line<'a> = (&'a str, &'a str, &'a Vec<(f64, f64)>);

fn chart(x: &Axis, y: &Axis, x_label: &str, y_label: &str, lines: &[Line<'_>]) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let px = |v: f64| LEFT + x.fraction(v) * plot_w;
    let py = |v: f64| TOP + (1.0 - y.fraction(v)) * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-size=\"11\" font-family=\"sans-serif\">"
    );
    for (v, label) in &y.ticks {
        let yy = py(*v);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    for (v, label) in &x.ticks {
        let xx = px(*v);
        let _ = write!(
            svg,
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#eee\"/>\
             <text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            TOP + plot_h,
            TOP + plot_h + 16.0,
            escape(label)
        );
    }
    let _ = write!(
        svg,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#999\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x_label}</text>\
         <text x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">{y_label}</text>",
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    for (i, (name, color, points)) in lines.iter().enumerate() {
        let path: Vec<String> = points
            .iter()
            .map(|&(a, b)| format!("{:.1},{:.1}", px(a), py(b)))
            .collect();
        if path.len() == 1 {
            let _ = write!(
                svg,
                "<circle cx=\"{}\" r=\"3\" fill=\"{color}\" cy=\"{}\"/>",
                px(points[0].0),
                py(points[0].1)
            );
        } else if !path.is_empty() {
            let _ = write!(
                svg,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>",
                path.join(" ")
            );
        }
        let lx = LEFT + 10.0 + 90.0 * i as f64;
        let _ = write!(
            svg,
            "<rect x=\"{lx:.1}\" y=\"8\" width=\"12\" height=\"4\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"14\">{}</text>",
            lx + 16.0,
            escape(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::report::tests::sample_result;

    #[test]
    fn page_is_self_contained_with_three_plots() {
        let mut result = sample_result();
        result.to = "http://x/<script>".into();
        let page = render(&result);
        assert_eq!(page.matches("<svg").count(), 3);
        assert!(page.contains("<polyline"));
        assert!(!page.contains("<script"), "the URL must be escaped");
        for external in ["src=", "href=", "@import", "url("] {
            assert!(!page.contains(external), "external reference {external}");
        }
    }

    #[test]
    fn axes_have_round_ticks() {
        let a = Axis::linear(0.0, 10.0);
        assert_eq!(a.ticks.first().unwrap().1, "0");
        assert_eq!(a.ticks.last().unwrap().1, "10");
        let l = log_axis([0.3, 42.0].into_iter());
        assert_eq!((l.min, l.max), (0.1, 100.0));
        assert_eq!(l.ticks.len(), 4);
        assert!((l.fraction(10.0) - 2.0 / 3.0).abs() < 1e-9);
    }
}
