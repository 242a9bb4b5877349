//! The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external
//! assets) with the run's facts, the verdict table with each finding's evidence, and a
//! latency chart of the load phase, so the page can be attached to a certificate or
//! archived by CI and still open years later.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{LoadReport, Outcome, RunReport};
use crate::verdict::CheckResult;
use facesim::html::escape;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}\
h1{font-size:1.5em}table{border-collapse:collapse;width:100%}th,td{padding:.35em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}\
.v{font-weight:700;border-radius:3px;padding:.1em .45em;color:#fff}.PASS{background:#2e7d32}.FAIL{background:#c62828}\
.WARN{background:#ef6c00}.INFO{background:#1565c0}.SKIP{background:#757575}code,pre{font-family:ui-monospace,monospace;font-size:.92em}\
pre{white-space:pre-wrap;background:#f6f6f6;padding:.6em;margin:.3em 0}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}\
dt{font-weight:600}.result{font-size:1.2em;font-weight:700}.nowrap{white-space:nowrap}";

/// Writes the page.
///
/// # Errors
/// Any error of the writer.
pub fn write(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    out.write_all(render(report).as_bytes())
}

/// Renders the page as a string.
pub fn render(report: &RunReport) -> String {
    let mut page = String::with_capacity(32 * 1024);
    let title = format!("{} report — {}", report.suite, report.target);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let class = match report.outcome() {
        Outcome::Passed => "PASS",
        Outcome::Failed => "FAIL",
        Outcome::NothingJudged => "SKIP",
    };
    let text = report.headline();
    let c = &report.counts;
    let _ = write!(
        page,
        "<p class=\"result\"><span class=\"v {class}\">{}</span></p>\n<dl><dt>Target</dt><dd><code>{}</code></dd>\
<dt>Suite</dt><dd>{} {}</dd><dt>API version</dt><dd>{} (only the checks that apply to it)</dd><dt>Seed</dt><dd>{}</dd><dt>Settings</dt><dd>timeout {} ms, p99 limit {} ms, {} load events from {} devices, TLS {}</dd>\
<dt>Verdicts</dt><dd>{} pass, {} fail, {} warn, {} info, {} skip</dd><dt>Duration</dt><dd>{:.1} s</dd></dl>\n",
        escape(text),
        escape(&report.target),
        report.suite,
        report.version,
        report.api,
        report.seed,
        report.settings.timeout_ms,
        report.settings.p99_ms,
        report.settings.load_events,
        report.settings.concurrency,
        report.settings.tls,
        c.pass,
        c.fail,
        c.warn,
        c.info,
        c.skip,
        report.duration_ms / 1000.0
    );
    page.push_str("<h2>Checks</h2>\n<table><tr><th>Verdict</th><th>ID</th><th>Level</th><th>Versions</th><th>Requirement</th><th>Result</th></tr>\n");
    for check in &report.checks {
        row(&mut page, check);
    }
    page.push_str("</table>\n<h2>Latency under load</h2>\n");
    match &report.load {
        Some(load) => chart(
            &mut page,
            load,
            report.settings.p99_ms as f64,
            report.certifies,
        ),
        None => page.push_str("<p>The load phase did not run.</p>\n"),
    }
    let _ = writeln!(
        page,
        "<p>Connections: {}.</p>",
        escape(&report.connections.summary())
    );

    page.push_str("</body></html>\n");
    page
}

fn row(page: &mut String, check: &CheckResult) {
    let verdict = check.verdict.label();
    let _ = write!(
        page,
        "<tr id=\"{id}\"><td class=\"nowrap\"><span class=\"v {verdict}\">{verdict}</span></td><td class=\"nowrap\">{id}</td><td class=\"nowrap\">{}</td><td>{}</td><td>{}<br><small>{}</small></td><td>{}",
        check.level,
        check.versions,
        escape(check.requirement),
        escape(check.section),
        escape(&check.summary),
        id = check.id,
    );
    if let (Some(e), true) = (&check.evidence, check.verdict.is_finding()) {
        let _ = write!(
            page,
            "<details><summary>evidence</summary><dl><dt>expected</dt><dd>{}</dd><dt>actual</dt><dd>{}</dd>",
            escape(&e.expected),
            escape(&e.actual)
        );
        if let Some(fix) = &e.fix {
            let _ = write!(page, "<dt>fix</dt><dd>{}</dd>", escape(fix));
        }
        if let Some(line) = &e.reproduce {
            let _ = write!(
                page,
                "<dt>reproduce</dt><dd><pre>{}</pre></dd>",
                escape(line)
            );
        }
        if let Some(file) = &e.body_file {
            let _ = write!(page, "<dt>body</dt><dd><code>{}</code></dd>", escape(file));
        }
        page.push_str("</dl></details>");
    }
    page.push_str("</td></tr>\n");
}

/// An SVG bar chart of the latency histogram on a logarithmic time axis, with the
/// percentiles and the p99 limit marked.
fn chart(page: &mut String, load: &LoadReport, limit_ms: f64, suite: crate::check::Suite) {
    const W: f64 = 760.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 50.0;
    const BOTTOM: f64 = 30.0;
    const BINS: usize = 40;
    let samples: Vec<(f64, u64)> = load
        .stats
        .histogram_us
        .iter()
        .map(|&(us, n)| ((us.max(1) as f64) / 1000.0, n))
        .collect();
    let _ = writeln!(page, "<p>{}.</p>", escape(&load.summary(suite)));
    let p = &load.stats.latency_ms;
    if samples.is_empty() {
        page.push_str("<p>No latency was recorded.</p>\n");
        return;
    }
    let lo = samples.iter().map(|s| s.0).fold(f64::MAX, f64::min) / 1.25;
    let hi = samples.iter().map(|s| s.0).fold(limit_ms, f64::max) * 1.25;
    let (llo, lhi) = (lo.ln(), hi.ln());
    let x = |ms: f64| LEFT + (ms.max(lo).ln() - llo) / (lhi - llo) * (W - LEFT - 10.0);
    let mut bins = [0u64; BINS];
    for &(ms, n) in &samples {
        let i = (((ms.ln() - llo) / (lhi - llo)) * BINS as f64) as usize;
        bins[i.min(BINS - 1)] += n;
    }
    let top = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let plot_h = H - BOTTOM - 20.0;
    let _ = write!(
        page,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"latency histogram\">\
<rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/><line x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#444\"/>\
<text x=\"4\" y=\"24\" font-size=\"11\">{top}</text><text x=\"4\" y=\"{y0}\" font-size=\"11\">0</text>",
        y0 = H - BOTTOM,
        x1 = W - 10.0,
    );
    let bin_w = (W - LEFT - 10.0) / BINS as f64;
    for (i, &n) in bins.iter().enumerate().filter(|(_, n)| **n > 0) {
        let h = n as f64 / top * plot_h;
        let _ = write!(
            page,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#5c8fd6\"><title>{n} events</title></rect>",
            LEFT + i as f64 * bin_w + 1.0,
            H - BOTTOM - h,
            (bin_w - 2.0).max(1.0)
        );
    }
    // Round-number ticks that fall inside the axis.
    for tick in [
        0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10_000.0,
    ] {
        if tick >= lo && tick <= hi {
            let _ = write!(
                page,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{tick} ms</text>",
                x(tick),
                H - 10.0
            );
        }
    }
    for (label, ms, colour) in [
        ("p50", p.p50, "#2e7d32"),
        ("p95", p.p95, "#ef6c00"),
        ("p99", p.p99, "#6a1b9a"),
        ("limit", limit_ms, "#c62828"),
    ] {
        let dash = if label == "limit" {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        let _ = write!(
            page,
            "<line x1=\"{x:.1}\" y1=\"14\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"{colour}\"{dash}/><text x=\"{:.1}\" y=\"12\" font-size=\"11\" fill=\"{colour}\">{label}</text>",
            H - BOTTOM,
            x(ms) + 2.0,
            x = x(ms),
        );
    }
    page.push_str("</svg>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    #[test]
    fn verdict_classes_exist_in_the_style() {
        for v in Verdict::ALL {
            assert!(
                STYLE.contains(&format!(".{}{{", v.label())),
                "{}",
                v.label()
            );
        }
    }
}
