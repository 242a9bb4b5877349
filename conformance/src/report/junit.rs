//! The JUnit XML report, as CI systems read it: one test suite, one test case per check.
//! A FAIL is a `<failure>` with the evidence; a SKIP is `<skipped>`; a WARN or INFO passes
//! (it must not break a build) but stays visible: its evidence goes to the case's
//! `<system-out>` and a `verdict` property names it.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{RunReport, SUITE};
use crate::verdict::{CheckResult, Verdict};

/// Writes the report as JUnit XML.
///
/// # Errors
/// Any error of the writer, or of the XML serialiser.
pub fn write(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let mut junit = Report::new(SUITE);
    let mut suite = TestSuite::new(format!("{SUITE} {} API {}", report.target, report.api));
    suite.set_time(Duration::from_secs_f64(report.duration_ms / 1000.0));
    suite.add_properties([
        Property::new("version", report.version),
        Property::new("target", report.target.as_str()),
        Property::new("seed", report.seed.to_string()),
        Property::new("api_version", report.api),
    ]);
    // The concurrency the load phase reached is part of what a pass means.
    if let Some(load) = &report.load {
        suite.add_properties([
            Property::new("load_concurrency", load.concurrency.to_string()),
            Property::new("load_bursts", load.bursts.to_string()),
            Property::new("load_peak_in_flight", load.peak_in_flight.to_string()),
        ]);
    }
    suite.add_test_cases(report.checks.iter().map(test_case));
    junit.add_test_suite(suite);
    junit.serialize(out).map_err(io::Error::other)
}

fn test_case(check: &CheckResult) -> TestCase {
    let details = evidence_text(check);
    let status = match check.verdict {
        Verdict::Pass | Verdict::Warn | Verdict::Info => TestCaseStatus::success(),
        Verdict::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(check.summary.as_str());
            status.set_type(check.level.to_string());
            status.set_description(details.as_str());
            status
        }
        Verdict::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(check.summary.as_str());
            status
        }
    };
    let mut case = TestCase::new(format!("{} {}", check.id, check.requirement), status);
    case.set_classname(format!("{SUITE}.{}", check.group.slug()));
    case.set_time(Duration::from_secs_f64(check.duration_ms / 1000.0));
    case.add_property(Property::new("verdict", check.verdict.label()));
    case.add_property(Property::new("level", check.level.to_string()));
    if matches!(check.verdict, Verdict::Warn | Verdict::Info) {
        case.set_system_out(format!(
            "{}: {}\n{details}",
            check.verdict.label(),
            check.summary
        ));
    }
    case
}

/// The evidence as plain text lines.
fn evidence_text(check: &CheckResult) -> String {
    let Some(e) = &check.evidence else {
        return check.summary.clone();
    };
    let mut text = format!(
        "requirement: {}\nexpected: {}\nactual: {}\n",
        e.requirement, e.expected, e.actual
    );
    if let Some(fix) = &e.fix {
        text.push_str(&format!("fix: {fix}\n"));
    }
    if let Some(line) = &e.reproduce {
        text.push_str(&format!("reproduce: {line}\n"));
    }
    if let Some(file) = &e.body_file {
        text.push_str(&format!("body: {file}\n"));
    }
    text
}
