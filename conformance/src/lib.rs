//! facecert: the conformance suite for receivers of face-terminal recognition pushes (the
//! server at a terminal's `event_dest`). It sends a receiver the requests a real terminal
//! sends, and some it never should, judges every answer against a catalog of checks
//! (`catalog`, written in the types of `check`), and reports verdicts with evidence
//! (`verdict`, `report`). The suite proves itself against the simulator's reference
//! receiver and its zoo of faulty receivers.
//!
//! Flow: the binary validates the command line into a `run::Config`; `run` builds the requests
//! (`probe`), sends them with its own exact-bytes HTTP client (`client`, `wireio`), reads
//! each answer field by field (`shape`, `rules`), runs the bad requests (`robust`) and the
//! load phase (`load`), and returns a `report::RunReport` that the writers print.
//!
//! A run plays a terminal of one API version (`Config.api`): the probes are that
//! firmware's records and headers, and only the checks that apply to the version run.
//! [`certify_all`] runs every version in turn, for the table of the versions a receiver
//! takes.

pub mod auth;
pub mod catalog;
pub mod check;
mod client;
mod connection;
mod load;
pub mod matrix;
pub mod probe;
pub mod report;
mod robust;
mod rules;
pub mod run;
mod shape;
mod text;
pub mod verdict;
mod wireio;

use std::future::Future;
use std::path::Path;

use check::Suite;
use report::{Outputs, RunReport};
use run::{Config, SuiteError};

/// Runs the suite until it is done or `shutdown` resolves.
///
/// # Errors
/// [`SuiteError`] when the suite cannot run, or [`SuiteError::Interrupted`].
pub async fn certify(
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<RunReport, SuiteError> {
    tokio::select! {
        report = run::plan::execute(&config) => report,
        () = shutdown => Err(SuiteError::Interrupted),
    }
}

/// Runs the suite once per API version, oldest first, until done or `shutdown` resolves
/// (`config.api` is replaced by each version in turn).
///
/// # Errors
/// The first [`SuiteError`] of any version's run, or [`SuiteError::Interrupted`].
pub async fn certify_all(
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<Vec<RunReport>, SuiteError> {
    let every = async {
        let mut reports = Vec::new();
        for api in facesim_proto::profile::ApiVersion::ALL {
            // The auth suite runs the versions that have a callback.
            if config.suite == Suite::Auth && !api.profile().auth.callback {
                continue;
            }
            let config = Config {
                api,
                ..config.clone()
            };
            reports.push(run::plan::execute(&config).await?);
        }
        Ok(reports)
    };
    tokio::select! {
        reports = every => reports,
        () = shutdown => Err(SuiteError::Interrupted),
    }
}

/// The exit code of a run of every version: 0 only when every version passed, else the
/// worst version's (1 a MUST failed, 2 nothing judged).
pub fn exit_code_of_all(reports: &[RunReport]) -> u8 {
    reports.iter().map(RunReport::exit_code).max().unwrap_or(2)
}

/// Writes the report files that were asked for.
///
/// # Errors
/// [`SuiteError::Write`] naming the file that could not be written.
pub fn write_outputs(report: &RunReport, outputs: &Outputs) -> Result<(), SuiteError> {
    type Writer = fn(&RunReport, &mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>;
    let files: [(&Option<std::path::PathBuf>, Writer); 3] = [
        (&outputs.json, |r, w| report::json::write(r, w)),
        (&outputs.junit, |r, w| report::junit::write(r, w)),
        (&outputs.html, |r, w| report::html::write(r, w)),
    ];
    for (path, write) in files {
        if let Some(path) = path {
            write_file(path, |w| write(report, w))?;
        }
    }
    Ok(())
}

fn write_file(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), SuiteError> {
    use std::io::Write as _;
    let error = |e: std::io::Error| SuiteError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let file = std::fs::File::create(path).map_err(error)?;
    let mut out = std::io::BufWriter::new(file);
    write(&mut out).map_err(error)?;
    out.flush().map_err(error)
}
