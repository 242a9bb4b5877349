//! A broken invariant: which check, where, and one line saying what to do.

use std::fmt;
use std::path::PathBuf;

/// One violation of an architecture invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The check that found it (`cycles`, `layers`, `http`, `clap`, `public`, `paths`).
    pub check: &'static str,
    /// The file at fault, relative to the workspace root.
    pub file: PathBuf,
    /// The line at fault, 0 when the violation is the file as a whole.
    pub line: usize,
    /// What is wrong and what to do, in one line.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.check, self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        write!(f, ": {}", self.message)
    }
}
