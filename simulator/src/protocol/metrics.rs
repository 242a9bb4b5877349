//! The Prometheus exposition of the figures the simulator already keeps: a terminal's
//! `/sim/stats`, a fleet's, the reference receiver's and a load run's, as metric families
//! that `GET /metrics` answers. Nothing here counts anything: each scrape turns the
//! current statistics (the one aggregator's, with their histograms) into families, and
//! `prometheus-client` writes the text.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::wire::{SimStats, StatsReport};

/// The content type of the exposition: OpenMetrics text, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds: from a loopback answer to the
/// terminal's 3 s timeout and beyond.
const LATENCY_BOUNDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Labels of one series, such as `[("sn", "PS71…"), ("outcome", "timeout")]`.
pub type Labels = Vec<(String, String)>;

/// One series' value.
#[derive(Debug, Clone)]
enum Value {
    Counter(u64),
    Gauge(f64),
    /// Sum in seconds, count, and the count in each bucket of [`LATENCY_BOUNDS`] plus
    /// `+Inf` (not cumulative: the encoder adds them up).
    Histogram(f64, u64, Vec<(f64, u64)>),
}

#[derive(Debug, Clone)]
struct Family {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    series: Vec<(Labels, Value)>,
}

/// The families of one scrape, filled from statistics and written once.
#[derive(Debug, Default, Clone)]
pub struct Scrape {
    families: Vec<Family>,
}

impl Scrape {
    fn family(&mut self, name: &'static str, help: &'static str, kind: MetricType) -> &mut Family {
        if let Some(i) = self.families.iter().position(|f| f.name == name) {
            return &mut self.families[i];
        }
        self.families.push(Family {
            name,
            help,
            kind,
            series: Vec::new(),
        });
        self.families.last_mut().expect("just pushed")
    }

    /// A counter: `name` without its `_total`, which the text format adds.
    pub fn counter(&mut self, name: &'static str, help: &'static str, labels: Labels, v: u64) {
        self.family(name, help, MetricType::Counter)
            .series
            .push((labels, Value::Counter(v)));
    }

    /// A gauge.
    pub fn gauge(&mut self, name: &'static str, help: &'static str, labels: Labels, v: f64) {
        self.family(name, help, MetricType::Gauge)
            .series
            .push((labels, Value::Gauge(v)));
    }

    /// A latency histogram in seconds, from a statistics report's exact histogram.
    pub fn latency(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: Labels,
        report: &StatsReport,
    ) {
        let mut buckets: Vec<(f64, u64)> = LATENCY_BOUNDS
            .iter()
            .map(|b| (*b, 0))
            .chain([(f64::INFINITY, 0)])
            .collect();
        let (mut sum, mut count) = (0.0, 0);
        for &(micros, n) in &report.histogram_us {
            let seconds = micros as f64 / 1e6;
            sum += seconds * n as f64;
            count += n;
            let slot = buckets
                .iter()
                .position(|(bound, _)| seconds <= *bound)
                .unwrap_or(buckets.len() - 1);
            buckets[slot].1 += n;
        }
        self.family(name, help, MetricType::Histogram)
            .series
            .push((labels, Value::Histogram(sum, count, buckets)));
    }

    /// The families of a push (or callback) report: attempts by outcome class, and
    /// their latency.
    pub fn attempts(
        &mut self,
        (total, total_help): (&'static str, &'static str),
        (latency, latency_help): (&'static str, &'static str),
        labels: &Labels,
        report: &StatsReport,
    ) {
        self.counter(
            total,
            total_help,
            with(labels, "outcome", "success"),
            report.ok,
        );
        for (class, n) in &report.errors {
            self.counter(total, total_help, with(labels, "outcome", class), *n);
        }
        self.latency(latency, latency_help, labels.clone(), report);
    }

    /// Every figure of one terminal's `/sim/stats`, each series with `labels`.
    pub fn terminal(&mut self, labels: &Labels, stats: &SimStats) {
        self.counter(
            "facesim_records_generated",
            "Recognition records and alarms the terminal made in this process.",
            labels.clone(),
            stats.generated,
        );
        self.gauge(
            "facesim_queue_depth",
            "Records in the offline cache, waiting to be delivered.",
            labels.clone(),
            stats.queue.depth as f64,
        );
        self.counter(
            "facesim_queue_dropped",
            "Records dropped because the offline cache was full.",
            labels.clone(),
            stats.queue.dropped,
        );
        self.attempts(
            (
                "facesim_pushes",
                "Push attempts to the receiver, by outcome class.",
            ),
            (
                "facesim_push_latency_seconds",
                "Push answer time, from the first byte sent to the last byte of the answer.",
            ),
            labels,
            &stats.pushes,
        );
        self.counter(
            "facesim_redeliveries",
            "Push attempts repeated after an outcome the receiver may have taken.",
            labels.clone(),
            stats.redeliveries,
        );
        for (decision, n) in [
            ("opened", stats.door.opened),
            ("kept_shut", stats.door.kept_shut),
            ("remote", stats.door.remote),
        ] {
            self.counter(
                "facesim_door_decisions",
                "Door decisions: opened or kept shut after an answer, opened remotely.",
                with(labels, "decision", decision),
                n,
            );
        }
        let calls = &stats.callbacks;
        self.attempts(
            (
                "facesim_callbacks",
                "Remote-authentication callbacks, by outcome class.",
            ),
            (
                "facesim_callback_latency_seconds",
                "Remote-authentication answer time.",
            ),
            labels,
            &calls.calls,
        );
        for (result, n) in [
            ("ok", calls.heartbeats_ok),
            ("failed", calls.heartbeats_failed),
        ] {
            self.counter(
                "facesim_heartbeats",
                "Heartbeats to the remote-authentication server, by result.",
                with(labels, "result", result),
                n,
            );
        }
        self.counter(
            "facesim_auth_fallbacks",
            "Times the terminal fell back to local authentication.",
            labels.clone(),
            calls.fallbacks,
        );
    }

    /// The answer to `GET /metrics`: the text, with its content type.
    pub fn into_reply(self) -> crate::server::Response {
        let mut reply = crate::server::Response::new(self.render().into());
        reply.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(CONTENT_TYPE),
        );
        reply
    }

    /// The text of the exposition.
    pub fn render(self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        text
    }
}

/// `labels` and one more.
pub fn with(labels: &Labels, name: &str, value: &str) -> Labels {
    let mut out = labels.clone();
    out.push((name.to_owned(), value.to_owned()));
    out
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        for family in &self.families {
            let mut metric =
                encoder.encode_descriptor(family.name, family.help, None, family.kind)?;
            for (labels, value) in &family.series {
                let mut series = metric.encode_family(labels)?;
                match value {
                    Value::Counter(v) => series.encode_counter::<NoLabelSet, _, u64>(v, None)?,
                    Value::Gauge(v) => series.encode_gauge(v)?,
                    Value::Histogram(sum, count, buckets) => {
                        series.encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> StatsReport {
        StatsReport {
            sent: 5,
            ok: 3,
            errors: [("timeout".to_owned(), 2)].into(),
            // 0.2 ms twice, 40 ms once, 3.5 s twice.
            histogram_us: vec![(200, 2), (40_000, 1), (3_500_000, 2)],
            ..StatsReport::default()
        }
    }

    #[test]
    fn counters_gauges_and_histograms_are_written_in_the_text_format() {
        let mut scrape = Scrape::default();
        let labels = vec![("sn".to_owned(), "PS1".to_owned())];
        scrape.attempts(
            ("facesim_pushes", "Pushes."),
            ("facesim_push_latency_seconds", "Latency."),
            &labels,
            &report(),
        );
        scrape.gauge("facesim_queue_depth", "Depth.", labels.clone(), 7.0);
        let text = scrape.render();
        for line in [
            "# TYPE facesim_pushes counter",
            "facesim_pushes_total{sn=\"PS1\",outcome=\"success\"} 3",
            "facesim_pushes_total{sn=\"PS1\",outcome=\"timeout\"} 2",
            "facesim_queue_depth{sn=\"PS1\"} 7.0",
            "# TYPE facesim_push_latency_seconds histogram",
            "facesim_push_latency_seconds_count{sn=\"PS1\"} 5",
            "facesim_push_latency_seconds_bucket{le=\"0.0005\",sn=\"PS1\"} 2",
            "facesim_push_latency_seconds_bucket{le=\"0.05\",sn=\"PS1\"} 3",
            "facesim_push_latency_seconds_bucket{le=\"2.5\",sn=\"PS1\"} 3",
            "facesim_push_latency_seconds_bucket{le=\"5.0\",sn=\"PS1\"} 5",
            "facesim_push_latency_seconds_bucket{le=\"+Inf\",sn=\"PS1\"} 5",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
    }
}
