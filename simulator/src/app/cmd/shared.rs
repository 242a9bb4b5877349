//! What the subcommands share: how a run ends, why a command could not run, the shutdown
//! signal, and the console lines they print alike.

use crate::app::cli::UsageError;
use facesim::device::Attempt;
use std::future::Future;
use tokio::sync::watch;

/// How a run ended, when it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Everything the command promised happened (exit 0).
    Success,
    /// The command ran but its check failed, e.g. a push got no success answer (exit 1).
    Failed,
}

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CmdError {
    /// Arguments that parse but make no sense (exit 2).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The device could not start.
    #[error(transparent)]
    Device(#[from] facesim::device::DeviceError),
    /// The state directory is unusable.
    #[error(transparent)]
    Store(#[from] facesim::store::StoreError),
    /// TLS material is unusable.
    #[error(transparent)]
    Tls(#[from] facesim::tls::TlsError),
    /// The terminal could not (re)start: its state directory, device or certificate.
    #[error(transparent)]
    Host(#[from] facesim::host::HostError),
    /// A fleet could not start or run.
    #[error(transparent)]
    Fleet(#[from] facesim::fleet::FleetError),
    /// An HTTP client could not be built.
    #[error(transparent)]
    Push(#[from] facesim::push::PushError),
    /// A socket or file operation failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A load run or merge could not be done.
    #[error(transparent)]
    Load(#[from] facesim::load::LoadError),
    /// Something the command relies on did not happen.
    #[error("{0}")]
    Broken(String),
}

impl CmdError {
    /// The process exit code for this error: 2 for usage, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CmdError::Usage(_) => 2,
            CmdError::Load(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// Wraps an I/O error with what was being done.
pub(crate) fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CmdError {
    let what = what.into();
    move |source| CmdError::Io { what, source }
}

/// Binds a listener and reads back its address (the port, when 0 asked for any).
pub(crate) async fn bind(
    addr: std::net::SocketAddr,
) -> Result<(tokio::net::TcpListener, std::net::SocketAddr), CmdError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(io_err(format!("cannot listen on {addr}")))?;
    let bound = listener
        .local_addr()
        .map_err(io_err("cannot read the bound address"))?;
    Ok((listener, bound))
}

pub(crate) fn finish(ok: bool) -> Finish {
    if ok { Finish::Success } else { Finish::Failed }
}

/// Resolves on Ctrl-C or SIGTERM: the signals a terminal's supervisor sends to stop it.
///
/// On Unix the handlers are installed when this is called, not when the future is first
/// polled: a supervisor's SIGTERM that arrives while a command is still starting (a fleet
/// of hundreds takes a while) must stop it cleanly, not kill it. Call it inside a runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            // A handler that could not be installed leaves its signal's default action.
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {}
                () = wait(terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}

/// A shutdown signal that many tasks can wait on.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// Forwards `shutdown` to every clone of the returned [`Stop`].
    pub fn after(
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> (Stop, watch::Sender<bool>) {
        let (tx, rx) = watch::channel(false);
        let forward = tx.clone();
        tokio::spawn(async move {
            shutdown.await;
            let _ = forward.send(true);
        });
        (Stop(rx), tx)
    }

    /// Resolves once stop is requested.
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

/// One console line for a delivery attempt: device, record, status, person, latency and
/// what the door and screen did.
pub fn attempt_line(a: &Attempt) -> String {
    let status = a.label;
    let person = a.person.as_deref().unwrap_or("-");
    let result = match (a.outcome.answer(), a.door) {
        (Some(answer), Some(door)) => format!(
            "{}  {:?}",
            if door { "door OPEN" } else { "door shut" },
            answer.customtips.as_deref().unwrap_or("")
        ),
        (Some(_), None) => "delivered".to_string(),
        (None, _) => format!("FAILED: {}", a.outcome.describe()),
    };
    format!(
        "{} #{:<5} {:<11} {} {:>8.1} ms  {}",
        a.sn,
        a.seq,
        status,
        fit_columns(person, 18),
        a.latency.as_secs_f64() * 1000.0,
        result
    )
}

/// Cuts or pads `text` to exactly `columns` terminal columns. Names are often CJK, whose
/// characters take two columns each, so counting characters would misalign the table.
pub fn fit_columns(text: &str, columns: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    let budget = if total > columns {
        columns - 1
    } else {
        columns
    };
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > budget {
            break;
        }
        out.push(c);
        used += w;
    }
    if total > columns {
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(used)));
    out
}

/// The closing summary of a set of pushes.
pub fn summary_lines(stats: &facesim::stats::Stats, elapsed: std::time::Duration) -> Vec<String> {
    let r = stats.report();
    let p = r.latency_ms;
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mut lines = vec![
        format!(
            "sent {}  ok {}  failed {}  in {:.2} s ({:.1} events/s)",
            r.sent,
            r.ok,
            r.sent - r.ok,
            secs,
            r.sent as f64 / secs
        ),
        format!("door opened {}  kept shut {}", r.passed, r.denied),
        format!(
            "latency ms  p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            p.p50, p.p90, p.p99, p.max
        ),
    ];
    if !r.errors.is_empty() {
        let errors: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
        lines.push(format!("failures: {}", errors.join(", ")));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::fit_columns;

    #[test]
    fn columns_count_display_width() {
        assert_eq!(fit_columns("张伟", 6), "张伟  ");
        assert_eq!(fit_columns("Ann", 5), "Ann  ");
        assert_eq!(fit_columns("张伟张伟张伟", 6), "张伟… ");
        assert_eq!(fit_columns("Abcdefgh", 5), "Abcd…");
    }
}
