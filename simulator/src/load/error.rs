//! Why a load run or a merge could not be done.

use std::path::PathBuf;

/// Why a load run or merge could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// An argument, or a combination of them, cannot be used.
    #[error("{0}")]
    Usage(String),
    /// The receiver's host name has no address.
    #[error("cannot resolve {0}")]
    Resolve(String),
    /// An input file (a result to merge, a CA certificate) cannot be read or parsed.
    #[error("{path}: {reason}")]
    Input { path: PathBuf, reason: String },
    /// A result file cannot be written.
    #[error("cannot write {path}: {reason}")]
    Output { path: PathBuf, reason: String },
    /// A task of the run failed unexpectedly.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::net::EndpointError> for LoadError {
    fn from(e: crate::net::EndpointError) -> Self {
        use crate::net::EndpointError;
        match e {
            EndpointError::Url(e) => LoadError::Usage(format!("--to {e}")),
            EndpointError::Resolve(host) => LoadError::Resolve(host),
            EndpointError::Tls(e) => LoadError::Usage(e),
        }
    }
}

impl LoadError {
    /// The process exit code: 2 for bad usage (arguments, inputs, an unknown host), 1 for
    /// failures while running.
    pub fn exit_code(&self) -> u8 {
        match self {
            LoadError::Usage(_) | LoadError::Resolve(_) | LoadError::Input { .. } => 2,
            LoadError::Output { .. } | LoadError::Internal(_) => 1,
        }
    }
}
