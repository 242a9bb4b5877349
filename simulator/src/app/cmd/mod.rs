//! The subcommands as library functions: each takes its validated arguments and a shutdown
//! future, prints its console report, and says whether the run succeeded. `main.rs` only
//! parses, sets up logging and maps the result to an exit code.

mod demo;
mod device;
mod fleet;
mod push;
mod receiver;
mod shared;
mod terminal;

use std::future::Future;

use crate::app::cli::{Cli, Command};

pub use demo::demo;
pub use device::device;
pub use fleet::fleet;
pub use push::push;
pub use receiver::receiver;
pub use shared::{
    CmdError, Finish, Stop, attempt_line, fit_columns, shutdown_signal, summary_lines,
};
pub(crate) use shared::{bind, finish, io_err};

/// Runs one parsed command line.
///
/// # Errors
/// [`CmdError`] when the command cannot run; see [`CmdError::exit_code`].
pub async fn run(
    cli: Cli,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Finish, CmdError> {
    match cli.command {
        Command::Device(args) => device(args, shutdown).await,
        Command::Fleet(args) => fleet(*args, shutdown).await,
        Command::Push(args) => push(args, shutdown).await,
        Command::Receiver(args) => receiver(args, shutdown).await,
        Command::Demo(args) => demo(args, shutdown).await,
        Command::Load(args) => Ok(finish(
            crate::app::load_cli::load_command(&args, shutdown).await?,
        )),
        Command::Merge(args) => Ok(finish(crate::app::load_cli::merge_command(&args)?)),
        Command::Completions(args) => {
            facesim_cli::write_completions::<Cli>(&args, &mut std::io::stdout());
            Ok(Finish::Success)
        }
        Command::Man(args) => {
            let pages = facesim_cli::write_man_pages::<Cli>(&args, &mut std::io::stdout())
                .map_err(io_err("cannot write the man pages"))?;
            for page in pages {
                println!("{}", page.display());
            }
            Ok(Finish::Success)
        }
    }
}
