//! The device's persisted state in its state directory: the push configuration, the TLS
//! certificate, the record counter and the durable queue of records not yet delivered.
//! Every file is replaced atomically (write, sync, rename), so `kill -9` at any moment
//! leaves either the old or the new content, never a torn one.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::tls::CertPair;
use crate::wire::Subscription;

const CONFIG_FILE: &str = "config.json";
const SEQ_FILE: &str = "seq";
/// The factory certificate in a state directory (PEM), made on first boot when absent.
pub const CERT_FILE: &str = "cert.pem";
/// The factory certificate's private key (PEM).
pub const KEY_FILE: &str = "key.pem";
const QUEUE_DIR: &str = "queue";
const RECORD_EXT: &str = "json";

/// The default most records kept undelivered, as on the real terminal.
pub const DEFAULT_QUEUE_CAP: usize = 50_000;

/// Why the state directory could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A state file exists but does not parse; it is left untouched for inspection.
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// The certificate could not be generated.
    #[error("cannot make the device certificate: {0}")]
    Tls(#[from] crate::tls::TlsError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically: a sibling temporary file is written and synced,
/// then renamed over the target, and the directory is synced so the rename is durable.
///
/// # Errors
/// [`StoreError::Io`] naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state")
    ));
    let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io(path))?;
    // Syncing the directory makes the rename itself survive a power cut; some file
    // systems refuse to open directories for this, which is harmless to skip.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// What happened when a record was added to a full queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Stored; nothing was lost.
    Stored,
    /// Stored, and the oldest undelivered record (this seq) was dropped to make room.
    DroppedOldest(u64),
}

/// The state directory of one simulated device.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    queue_dir: PathBuf,
    /// Sequence numbers of the records waiting in `queue/`, oldest first.
    queued: BTreeSet<u64>,
    cap: usize,
    last_seq: u64,
}

impl Store {
    /// Opens (creating if needed) a state directory, and recovers the queue and the counter.
    ///
    /// # Errors
    /// [`StoreError`] when the directory cannot be created or read.
    pub fn open(dir: &Path, cap: usize) -> Result<Self, StoreError> {
        let queue_dir = dir.join(QUEUE_DIR);
        fs::create_dir_all(&queue_dir).map_err(io(&queue_dir))?;
        let mut queued = BTreeSet::new();
        for entry in fs::read_dir(&queue_dir).map_err(io(&queue_dir))? {
            let path = entry.map_err(io(&queue_dir))?.path();
            // Leftover temporary files are writes that a kill interrupted before their
            // rename: the record was never acknowledged as stored, so it is discarded.
            let is_record = path.extension().is_some_and(|e| e == RECORD_EXT);
            let seq = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok());
            match (is_record, seq) {
                (true, Some(seq)) => {
                    queued.insert(seq);
                }
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        let seq_path = dir.join(SEQ_FILE);
        let counted = match fs::read_to_string(&seq_path) {
            Ok(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|e| StoreError::Corrupt {
                    path: seq_path.clone(),
                    reason: e.to_string(),
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io(&seq_path)(e)),
        };
        let last_seq = counted.max(queued.last().copied().unwrap_or(0));
        Ok(Self {
            dir: dir.to_path_buf(),
            queue_dir,
            queued,
            cap: cap.max(1),
            last_seq,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The stored push configuration; the default (no destination, disabled) when none.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the file does not parse.
    pub fn subscription(&self) -> Result<Subscription, StoreError> {
        let path = self.dir.join(CONFIG_FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Subscription::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Replaces the push configuration atomically.
    ///
    /// # Errors
    /// [`StoreError::Io`].
    pub fn save_subscription(&self, sub: &Subscription) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(sub).unwrap_or_default();
        write_atomic(&self.dir.join(CONFIG_FILE), &bytes)
    }

    /// The device certificate, made and saved on first use so clients can pin it.
    ///
    /// # Errors
    /// [`StoreError`] when it can be neither read nor made.
    pub fn certificate(&self) -> Result<CertPair, StoreError> {
        let (cert, key) = (self.dir.join(CERT_FILE), self.dir.join(KEY_FILE));
        if cert.exists() && key.exists() {
            return Ok(CertPair::load(&cert, &key)?);
        }
        let pair = CertPair::self_signed(&[])?;
        write_atomic(&key, pair.key_pem.as_bytes())?;
        write_atomic(&cert, pair.cert_pem.as_bytes())?;
        Ok(pair)
    }

    /// Path of the device certificate (valid after [`certificate`](Self::certificate)).
    pub fn certificate_path(&self) -> PathBuf {
        self.dir.join(CERT_FILE)
    }

    /// The number of the last record made, across restarts.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The number the next record gets. Nothing is persisted until that record is
    /// [`enqueue`](Self::enqueue)d, so a kill before then leaves no gap in the numbering:
    /// the number is simply handed out again after the restart. Callers make one record at
    /// a time (the device serialises record making).
    pub fn next_seq(&self) -> u64 {
        self.last_seq + 1
    }

    fn record_path(&self, seq: u64) -> PathBuf {
        self.queue_dir.join(format!("{seq:020}.{RECORD_EXT}"))
    }

    /// Stores a record durably. When the queue is full the oldest record is dropped, as
    /// the real terminal's bounded offline cache does.
    ///
    /// # Errors
    /// [`StoreError::Io`]; the record is then not stored.
    pub fn enqueue(&mut self, seq: u64, body: &[u8]) -> Result<Enqueued, StoreError> {
        write_atomic(&self.record_path(seq), body)?;
        // The counter follows the record: were the record delivered and removed, the
        // counter alone would keep its number from being handed out again.
        if seq > self.last_seq {
            write_atomic(&self.dir.join(SEQ_FILE), seq.to_string().as_bytes())?;
            self.last_seq = seq;
        }
        self.queued.insert(seq);
        if self.queued.len() > self.cap {
            if let Some(oldest) = self.queued.pop_first() {
                let _ = fs::remove_file(self.record_path(oldest));
                return Ok(Enqueued::DroppedOldest(oldest));
            }
        }
        Ok(Enqueued::Stored)
    }

    /// The oldest undelivered record and its body.
    ///
    /// # Errors
    /// [`StoreError::Io`] when its file cannot be read.
    pub fn head(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let Some(&seq) = self.queued.first() else {
            return Ok(None);
        };
        let path = self.record_path(seq);
        let body = fs::read(&path).map_err(io(&path))?;
        Ok(Some((seq, body)))
    }

    /// The number of the oldest undelivered record, without reading it.
    pub fn head_seq(&self) -> Option<u64> {
        self.queued.first().copied()
    }

    /// Removes a delivered record.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file cannot be removed.
    pub fn remove(&mut self, seq: u64) -> Result<(), StoreError> {
        if self.queued.remove(&seq) {
            let path = self.record_path(seq);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
        }
        Ok(())
    }

    /// The numbers of the records waiting, oldest first.
    pub fn queued(&self) -> Vec<u64> {
        self.queued.iter().copied().collect()
    }

    /// The body of a waiting record.
    ///
    /// # Errors
    /// [`StoreError::Io`] when its file cannot be read.
    pub fn body(&self, seq: u64) -> Result<Vec<u8>, StoreError> {
        let path = self.record_path(seq);
        fs::read(&path).map_err(io(&path))
    }

    /// Replaces the body of a waiting record atomically, keeping its number and place
    /// (an upgrade rewrites the backlog in the new version's layout).
    ///
    /// # Errors
    /// [`StoreError::Io`]; the old body then stays.
    pub fn rewrite(&mut self, seq: u64, body: &[u8]) -> Result<(), StoreError> {
        if self.queued.contains(&seq) {
            write_atomic(&self.record_path(seq), body)?;
        }
        Ok(())
    }

    /// Removes every waiting record (a factory reset). The counter stays, so numbers are
    /// never handed out twice.
    ///
    /// # Errors
    /// [`StoreError::Io`] when a file cannot be removed.
    pub fn clear(&mut self) -> Result<(), StoreError> {
        for seq in self.queued() {
            self.remove(seq)?;
        }
        Ok(())
    }

    /// Forgets the push configuration (a factory reset): no destination, disabled.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file exists but cannot be removed.
    pub fn forget_subscription(&self) -> Result<(), StoreError> {
        let path = self.dir.join(CONFIG_FILE);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Records waiting.
    pub fn depth(&self) -> usize {
        self.queued.len()
    }

    /// The queue's capacity.
    pub fn cap(&self) -> usize {
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_destination_is_validated_when_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 10).unwrap();
        fs::write(
            dir.path().join(CONFIG_FILE),
            br#"{"event_dest":"ftp://127.0.0.1/x","enabled":true}"#,
        )
        .unwrap();
        let err = store.subscription().unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("http or https"), "{err}");
        fs::write(
            dir.path().join(CONFIG_FILE),
            br#"{"event_dest":"","enabled":false}"#,
        )
        .unwrap();
        assert_eq!(store.subscription().unwrap(), Subscription::default());
    }

    #[test]
    fn queue_survives_reopen_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), 10).unwrap();
        for _ in 0..3 {
            let seq = store.next_seq();
            store.enqueue(seq, format!("r{seq}").as_bytes()).unwrap();
        }
        store.remove(1).unwrap();
        // A number handed out but never stored (a kill came first) is handed out again.
        assert_eq!(store.next_seq(), 4);
        drop(store);
        let store = Store::open(dir.path(), 10).unwrap();
        assert_eq!(store.last_seq(), 3);
        assert_eq!(store.head().unwrap().unwrap(), (2, b"r2".to_vec()));
        assert_eq!(store.next_seq(), 4);
    }

    #[test]
    fn full_queue_drops_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), 2).unwrap();
        for seq in 1..=2 {
            assert_eq!(store.enqueue(seq, b"x").unwrap(), Enqueued::Stored);
        }
        assert_eq!(store.enqueue(3, b"x").unwrap(), Enqueued::DroppedOldest(1));
        assert_eq!(store.depth(), 2);
    }

    #[test]
    fn torn_temp_files_are_discarded_and_config_persists() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(QUEUE_DIR)).unwrap();
        fs::write(
            dir.path()
                .join(QUEUE_DIR)
                .join(".00000000000000000009.json.tmp"),
            b"{",
        )
        .unwrap();
        let store = Store::open(dir.path(), 5).unwrap();
        assert_eq!(store.depth(), 0);
        let sub = Subscription {
            event_dest: Some("http://127.0.0.1:1/x".parse().unwrap()),
            enabled: true,
        };
        store.save_subscription(&sub).unwrap();
        assert_eq!(
            Store::open(dir.path(), 5).unwrap().subscription().unwrap(),
            sub
        );
    }
}
