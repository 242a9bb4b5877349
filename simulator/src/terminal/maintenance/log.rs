//! The terminal's system log, `GET /v2/device/logs`: what the terminal did (boots,
//! reboots, restores, upgrades, logins, configuration changes, pushes failing and
//! recovering), one JSON line per entry in `system.log` in the state directory, so that it
//! survives reboots. It is bounded: the newest [`MAX_ENTRIES`] are kept and answered, and
//! the file is rewritten with just those once it holds twice as many lines.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::store::{StoreError, write_atomic};
use crate::wire::LogEntry;

/// The log's file in the state directory.
pub const LOG_FILE: &str = "system.log";
/// Most entries kept and answered.
pub const MAX_ENTRIES: usize = 1000;

/// How serious an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

#[derive(Debug)]
struct State {
    path: PathBuf,
    entries: VecDeque<LogEntry>,
    /// Lines in the file, which may hold more than `entries` until it is compacted.
    lines: usize,
}

/// The system log of one state directory. Cheap to clone; clones share the log.
#[derive(Clone)]
pub struct SystemLog {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SystemLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemLog").finish_non_exhaustive()
    }
}

impl SystemLog {
    /// Reads the log of `state_dir` (none yet: an empty log). A line that does not parse
    /// (the last one, torn by a kill) is skipped.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file exists but cannot be read.
    pub fn open(state_dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let path = state_dir.join(LOG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let mut entries = VecDeque::new();
        let mut lines = 0;
        for line in text.lines() {
            lines += 1;
            if let Ok(entry) = serde_json::from_str::<LogEntry>(line) {
                entries.push_back(entry);
                if entries.len() > MAX_ENTRIES {
                    entries.pop_front();
                }
            }
        }
        Ok(Self {
            state: Arc::new(Mutex::new(State {
                path,
                entries,
                lines,
            })),
            clock,
        })
    }

    /// Adds an entry. The log is the terminal's own record, not a durable store: a write
    /// that fails is reported through `tracing` and the entry kept in memory.
    pub fn write(&self, level: Level, module: &str, msg: impl Into<String>) {
        let entry = LogEntry {
            time: self.clock.unix_now().saturating_mul(1000),
            level: level.name().into(),
            module: module.into(),
            msg: msg.into(),
        };
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = serde_json::to_string(&entry).unwrap_or_default();
        state.entries.push_back(entry);
        if state.entries.len() > MAX_ENTRIES {
            state.entries.pop_front();
        }
        state.lines += 1;
        let written = if state.lines > 2 * MAX_ENTRIES {
            let mut text = String::new();
            for e in &state.entries {
                text.push_str(&serde_json::to_string(e).unwrap_or_default());
                text.push('\n');
            }
            state.lines = state.entries.len();
            write_atomic(&state.path, text.as_bytes()).map_err(|e| e.to_string())
        } else {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&state.path)
                .and_then(|mut f| writeln!(f, "{line}"))
                .map_err(|e| e.to_string())
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "cannot write the system log");
        }
    }

    /// [`write`](Self::write) at [`Level::Info`].
    pub fn info(&self, module: &str, msg: impl Into<String>) {
        self.write(Level::Info, module, msg);
    }

    /// [`write`](Self::write) at [`Level::Warn`].
    pub fn warn(&self, module: &str, msg: impl Into<String>) {
        self.write(Level::Warn, module, msg);
    }

    /// The entries kept, oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entries
            .iter()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_survives_a_reopen_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let clock = crate::clock::ManualClock::at(1_700_000_000);
        let log = SystemLog::open(dir.path(), clock.clone()).unwrap();
        for i in 0..(2 * MAX_ENTRIES + 5) {
            log.info("test", format!("entry {i}"));
        }
        let entries = log.entries();
        assert_eq!(entries.len(), MAX_ENTRIES);
        assert_eq!(
            entries.last().unwrap().msg,
            format!("entry {}", 2 * MAX_ENTRIES + 4)
        );
        assert_eq!(entries[0].time, 1_700_000_000_000);
        let text = std::fs::read_to_string(dir.path().join(LOG_FILE)).unwrap();
        assert!(
            text.lines().count() <= 2 * MAX_ENTRIES,
            "the file is compacted"
        );
        // A torn last line is skipped.
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(LOG_FILE))
            .unwrap()
            .write_all(b"{\"time\":")
            .unwrap();
        let again = SystemLog::open(dir.path(), clock).unwrap();
        assert_eq!(again.entries(), entries);
    }
}
