//! The `facesim` binary: parse the command line, set up logging, run, map to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use app::cli::{Cli, Command};
use app::cmd::{self, Finish};
use tracing_subscriber::EnvFilter;

mod app;

fn main() -> ExitCode {
    let cli: Cli = match app::cli::parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Servers log what they do; one-shot commands print their own report and log only
    // problems. RUST_LOG overrides either.
    let default = match cli.command {
        Command::Device(_) | Command::Fleet(_) | Command::Receiver(_) => "facesim=info",
        _ => "facesim=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    facesim::tls::install_crypto_provider();
    // Servers hold many connections: run out of connection caps, never of open files.
    if let Err(e) = facesim::server::raise_open_files_limit() {
        tracing::warn!(error = %e, "cannot raise the open-files limit");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // The signal handlers go in before anything starts (see `shutdown_signal`).
    let shutdown = {
        let _runtime = runtime.enter();
        cmd::shutdown_signal()
    };
    match runtime.block_on(cmd::run(cli, shutdown)) {
        Ok(Finish::Success) => ExitCode::SUCCESS,
        Ok(Finish::Failed) => ExitCode::from(1),
        Err(e) => {
            let code = e.exit_code();
            let chain = anyhow::Error::from(e);
            let text: Vec<String> = chain.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", text.join(": "));
            ExitCode::from(code)
        }
    }
}
