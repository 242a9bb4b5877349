//! The console report: a line per check (verdict, ID, level, short reason) grouped by
//! area, the evidence under every check that found something, and a summary. Written for
//! a person reading a terminal or a CI log; plain text, no colour codes, so logs stay
//! clean.

use std::io::{self, Write};

use super::RunReport;
use crate::check::{Group, Suite};
use crate::verdict::{CheckResult, Verdict};

/// Writes the whole console report.
///
/// # Errors
/// Any error of the writer.
pub fn write(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let suite = report.certifies;
    writeln!(
        out,
        "{} {} — {} ({}, API {}: {} of {} checks apply; seed {})",
        report.suite,
        report.version,
        report.target,
        match suite {
            Suite::Push => "push receiver",
            Suite::Auth => "auth server",
        },
        report.api,
        report.checks_applicable,
        crate::catalog::CATALOG
            .iter()
            .filter(|c| c.suite() == suite)
            .count(),
        report.seed
    )?;
    for group in Group::ALL {
        let checks: Vec<&CheckResult> = report.checks.iter().filter(|c| c.group == group).collect();
        if checks.is_empty() {
            continue;
        }
        writeln!(out, "\n{}", group.title())?;
        for check in checks {
            write_check(check, out)?;
        }
    }
    writeln!(out)?;
    if let Some(load) = &report.load {
        writeln!(out, "load: {}", load.summary(report.certifies))?;
    }
    writeln!(out, "connections: {}", report.connections.summary())?;
    let c = &report.counts;
    writeln!(
        out,
        "{} passed, {} failed, {} warnings, {} info, {} skipped in {:.1} s",
        c.pass,
        c.fail,
        c.warn,
        c.info,
        c.skip,
        report.duration_ms / 1000.0
    )?;
    writeln!(out, "result: {}", report.headline())
}

/// The closing table of a run of every version: for each, its firmware, whether the
/// receiver conforms and, if not, the first failing check (the first warning when only
/// SHOULD checks failed), then the versions it conforms to in one line.
///
/// # Errors
/// Any error of the writer.
pub fn write_versions(reports: &[RunReport], out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "\nAPI versions")?;
    writeln!(
        out,
        "  {:<6} {:<9} {:<9} first failing check",
        "API", "firmware", "result"
    )?;
    let mut conforming = Vec::new();
    for report in reports {
        let firmware = report
            .api
            .parse::<facesim_proto::profile::ApiVersion>()
            .map_or("?", |v| v.profile().firmware);
        let first = |verdict: Verdict| report.checks.iter().find(|c| c.verdict == verdict);
        let (result, check) = match report.exit_code() {
            0 => {
                conforming.push(report.api);
                match first(Verdict::Warn) {
                    Some(c) => ("conforms", Some(c)),
                    None => ("conforms", None),
                }
            }
            1 => ("FAIL", first(Verdict::Fail)),
            _ => ("NOTHING", None),
        };
        let detail = match check {
            Some(c) => format!("{} {} {} {}", c.verdict.label(), c.id, c.level, c.summary),
            None if result == "NOTHING" => "every check was skipped".into(),
            None => "—".into(),
        };
        writeln!(
            out,
            "  {:<6} {firmware:<9} {result:<9} {detail}",
            report.api
        )?;
    }
    let names = if conforming.is_empty() {
        "none".to_string()
    } else {
        conforming.join(", ")
    };
    writeln!(
        out,
        "conforms to: {names} ({} of {} versions)",
        conforming.len(),
        reports.len()
    )
}

/// One check: its line, and its evidence when it found something.
fn write_check(check: &CheckResult, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "  {:<4}  {:<5}  {:<6}  {}",
        check.verdict.label(),
        check.id.as_str(),
        check.level.to_string(),
        check.summary
    )?;
    if !check.verdict.is_finding() {
        return Ok(());
    }
    let Some(evidence) = &check.evidence else {
        return Ok(());
    };
    let field = |out: &mut dyn Write, name: &str, value: &str| {
        writeln!(out, "          {name:<12} {value}")
    };
    field(out, "requirement", evidence.requirement)?;
    field(out, "expected", &evidence.expected)?;
    field(out, "actual", &evidence.actual)?;
    if let Some(fix) = &evidence.fix {
        field(out, "fix", fix)?;
    }
    if let Some(request) = &evidence.request {
        field(out, "request", request)?;
    }
    if let Some(line) = &evidence.reproduce {
        field(out, "reproduce", line)?;
        let body = evidence
            .body_file
            .clone()
            .unwrap_or_else(|| "(run with --artifacts DIR to save the request body)".into());
        field(out, "body", &body)?;
    }
    Ok(())
}

/// The verdict counts as one line, for logs.
pub fn summary_line(report: &RunReport) -> String {
    Verdict::ALL
        .iter()
        .map(|v| format!("{} {}", report.counts.get(*v), v.label()))
        .collect::<Vec<_>>()
        .join(", ")
}
