//! The JSON report: the whole run as one document (suite version, seed, target, settings,
//! every check with its verdict, evidence and timing, and the load phase's latency
//! histogram), for tools to read and for runs to be compared.

use std::io::{self, Write};

use super::RunReport;

/// Writes the report as pretty-printed JSON.
///
/// # Errors
/// Any error of the writer.
pub fn write(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
