//! `facesim merge`: combines the results of several load processes (the shards of one
//! load, or separate runs against the same receiver) into one, exactly: latency and
//! service histograms are added bucket by bucket and the percentiles read from the sum,
//! never averaged; per-second series add second by second.
//!
//! Rates add up (shards run side by side, so the load they made together is the sum of
//! theirs), durations take the longest, counts add. Thresholds are checked again on the
//! merged figures, which is what a CI job running shards on several machines wants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::LoadError;
use super::aggregate::SeriesPoint;
use super::report::{LoadResult, PartSummary, ThresholdReport, Thresholds};
use crate::histogram::{Histogram, Precision};
use crate::stats::Stats;

/// Reads the result files and merges them. `thresholds`, when given, replace those the
/// inputs were run with.
///
/// # Errors
/// [`LoadError::Input`] for an unreadable file, [`LoadError::Usage`] for no input or the
/// same shard given twice.
pub fn run_merge(
    inputs: &[PathBuf],
    thresholds: Option<Thresholds>,
) -> Result<LoadResult, LoadError> {
    let results = inputs
        .iter()
        .map(|p| LoadResult::read_json(p))
        .collect::<Result<Vec<_>, _>>()?;
    merge_results(&results, thresholds)
}

/// Merges results already in memory.
///
/// # Errors
/// [`LoadError::Usage`] for an empty list or the same shard given twice.
pub fn merge_results(
    results: &[LoadResult],
    thresholds: Option<Thresholds>,
) -> Result<LoadResult, LoadError> {
    let Some(first) = results.first() else {
        return Err(LoadError::Usage(
            "merge needs at least one result file".into(),
        ));
    };
    let mut seen = BTreeSet::new();
    for shard in results.iter().filter_map(|r| r.shard.as_deref()) {
        if !seen.insert(shard) {
            return Err(LoadError::Usage(format!(
                "shard {shard} is given twice; each shard's result must be merged once"
            )));
        }
    }
    let mut stats = Stats::default();
    let mut service = Histogram::new(Precision::Fine);
    let mut series: BTreeMap<u64, SeriesPoint> = BTreeMap::new();
    let mut merged = first.clone();
    for r in results {
        stats.merge(&Stats::from_report(&r.stats));
        service.merge(&Histogram::from_pairs(
            &r.service_histogram_us,
            Precision::Fine,
        ));
        for point in &r.series {
            series
                .entry(point.t)
                .and_modify(|p| p.merge(point))
                .or_insert_with(|| point.clone());
        }
    }
    let same = |f: fn(&LoadResult) -> String| results.iter().all(|r| f(r) == f(first));
    if !same(|r| r.mode.clone()) {
        merged.mode = "mixed".into();
    }
    if !same(|r| format!("{:?}", r.arrival)) {
        merged.arrival = None;
    }
    if !same(|r| format!("{:?}", r.rate_spec)) {
        merged.rate_spec = None;
    }
    if !same(|r| r.to.clone()) {
        let targets: BTreeSet<&str> = results.iter().map(|r| r.to.as_str()).collect();
        merged.to = targets.into_iter().collect::<Vec<_>>().join(", ");
    }
    merged.target_rate = results.iter().map(|r| r.target_rate).sum::<Option<f64>>();
    merged.achieved_rate = results.iter().map(|r| r.achieved_rate).sum();
    merged.duration_s = results.iter().map(|r| r.duration_s).fold(0.0, f64::max);
    merged.started_unix_ms = results.iter().map(|r| r.started_unix_ms).min().unwrap_or(0);
    merged.connections = results.iter().map(|r| r.connections).sum();
    merged.devices = results.iter().map(|r| r.devices).sum();
    merged.shard = None;
    merged.stats = stats.report();
    merged.scheduled = results.iter().map(|r| r.scheduled).sum();
    merged.unsent = results.iter().map(|r| r.unsent).sum();
    merged.service_ms = service.percentiles();
    merged.service_histogram_us = service.pairs();
    merged.error_examples = BTreeMap::new();
    for r in results {
        for (class, example) in &r.error_examples {
            merged
                .error_examples
                .entry(class.clone())
                .or_insert_with(|| example.clone());
        }
    }
    merged.interrupted = results.iter().any(|r| r.interrupted);
    merged.parts = results
        .iter()
        .flat_map(|r| {
            if r.parts.is_empty() {
                vec![PartSummary {
                    shard: r.shard.clone(),
                    sent: r.stats.sent,
                    ok: r.stats.ok,
                    achieved_rate: r.achieved_rate,
                    p99_ms: r.stats.latency_ms.p99,
                }]
            } else {
                r.parts.clone()
            }
        })
        .collect();
    merged.series = series.into_values().collect();
    merged.thresholds = ThresholdReport::default();
    merged.complete_counts();
    merged.apply_thresholds(thresholds.unwrap_or(first.thresholds.limits));
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::report::tests::sample_result;

    #[test]
    fn merging_adds_histograms_not_percentiles() {
        let mut a = sample_result();
        a.shard = Some("0/2".into());
        let mut b = sample_result();
        b.shard = Some("1/2".into());
        b.stats.histogram_us = vec![(500_000, 100)];
        b.stats.latency_ms.p99 = 500.0;
        let merged = merge_results(&[a.clone(), b.clone()], None).unwrap();
        assert_eq!(merged.stats.sent, 200);
        assert_eq!(merged.stats.ok, 190);
        assert_eq!(merged.stats.errors["timeout"], 10);
        assert_eq!(merged.achieved_rate, 199.0);
        assert_eq!(merged.target_rate, Some(200.0));
        assert_eq!(merged.parts.len(), 2);
        // Half the events took 500 ms: the merged median sits between, p99 at 500 ms.
        assert!(
            merged.stats.latency_ms.p99 > 499.0,
            "{:?}",
            merged.stats.latency_ms
        );
        let total: u64 = merged.stats.histogram_us.iter().map(|p| p.1).sum();
        assert_eq!(total, 200);
        assert_eq!(merged.series.len(), 1);
        assert_eq!(merged.series[0].sent, 200);
        assert!(merge_results(&[a.clone(), a], None).is_err());
        assert!(merge_results(&[], None).is_err());
    }

    #[test]
    fn merge_rechecks_thresholds() {
        let merged = merge_results(
            &[sample_result()],
            Some(Thresholds {
                max_p99_ms: Some(1.0),
                max_error_rate_pct: None,
            }),
        )
        .unwrap();
        assert!(!merged.passed());
    }
}
