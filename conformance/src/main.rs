//! The `facecert` binary: parses the command line, runs the suite, prints the console
//! report, writes the report files, and exits 0 (no MUST failed), 1 (one did) or 2 (the
//! suite could not run, or judged nothing).

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use app::cli::{Cli, Mode};
use tracing_subscriber::EnvFilter;

mod app;

fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("facecert=warn,facesim=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    // The load phase and the receivers under test hold many connections at once.
    if let Err(e) = facesim::server::raise_open_files_limit() {
        tracing::warn!(error = %e, "cannot raise the open-files limit");
    }
    // A usage error exits 2, as the suite does when it cannot run.
    let cli: Cli = match <Cli as clap::Parser>::try_parse() {
        Ok(cli) => cli,
        // --help and --version, printed in full.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!(
                "facecert: {}",
                facesim_cli::one_line(&e.render().to_string())
            );
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("facecert: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.mode()? {
        Mode::List => facesim_cli::print_to_reader(&facecert::catalog::listing()),
        Mode::Matrix => facesim_cli::print_to_reader(&facecert::matrix::markdown()),
        Mode::Schema(api) => {
            let document = facesim_proto::schema::document(api);
            let text =
                serde_json::to_string_pretty(&document).context("cannot write the schema")?;
            println!("{text}");
        }
        Mode::Completions(args) => {
            facesim_cli::write_completions::<Cli>(&args, &mut std::io::stdout());
        }
        Mode::Man(args) => {
            let pages = facesim_cli::write_man_pages::<Cli>(&args, &mut std::io::stdout())
                .context("cannot write the man pages")?;
            for page in pages {
                println!("{}", page.display());
            }
        }
        Mode::Body { name, seed, api } => {
            // The push suite's requests, then the auth suite's (`auth-…`).
            let body = facecert::probe::Factory::new(seed, api)
                .named(&name)
                .or_else(|| facecert::auth::probes::AuthFactory::new(seed, api).named(&name))
                .with_context(|| {
                    format!("no request named `{name}` (see a report's `request` line)")
                })?;
            let mut out = std::io::stdout().lock();
            out.write_all(&body.body)
                .and_then(|()| out.flush())
                .context("cannot write the body")?;
        }
        Mode::Run(config, outputs) => {
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let interrupted = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let report = runtime.block_on(facecert::certify(*config, interrupted))?;
            facecert::report::console::write(&report, &mut std::io::stdout().lock())
                .context("cannot write the report")?;
            facecert::write_outputs(&report, &outputs)?;
            return Ok(report.exit_code());
        }
        Mode::RunAll(config, outputs) => {
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let interrupted = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let reports = runtime.block_on(facecert::certify_all(*config, interrupted))?;
            let mut out = std::io::stdout().lock();
            for report in &reports {
                facecert::report::console::write(report, &mut out)
                    .and_then(|()| writeln!(out))
                    .context("cannot write the report")?;
                let api = report.api.parse().context("a version the suite ran")?;
                facecert::write_outputs(report, &outputs.for_version(api))?;
            }
            facecert::report::console::write_versions(&reports, &mut out)
                .context("cannot write the report")?;
            return Ok(facecert::exit_code_of_all(&reports));
        }
    }
    Ok(0)
}
