//! The on-device record log behind `POST /v1/event/records`: every recognition record the
//! device makes, kept in the state directory, bounded, surviving restarts and `kill -9`,
//! and queried by time, person, page and order. The routes are in [`routes`].
//!
//! Layout under `<state dir>/history/`:
//!
//! - `segments/<n>.jsonl`: the records, one [`LogLine`] of JSON per line (the record with
//!   its `rgb_image` emptied), [`Limits::segment_records`] lines per segment file. A line
//!   is appended with one write and synced before the record counts as logged; a line cut
//!   short by a kill (no final newline, or not parseable) is cut off at the next start, so
//!   the log always ends on a whole record.
//! - `images/<seq>.jpg`: the snapshots, as JPEG bytes, written atomically, only while
//!   `record_image` is on, and only for the newest [`Limits::images`] records (older ones
//!   answer `rgb_image: ""`, which the guide allows).
//! - `dropped`: how many records were dropped to make room, since the log was created.
//!
//! The bound: at most [`Limits::records`] records (100,000 by default). When a new record
//! would go beyond it, the oldest segment is deleted whole, so the log then holds between
//! `records - segment_records + 1` and `records` records; the records dropped are counted
//! (`/sim/history` reports them). Alarms are not logged: the guide's history items are
//! recognition records only.
//!
//! An index of every record (sequence number, time, the three fields the query filters
//! on, and where its line is) is kept in memory, so a query scans the index and reads only
//! the lines of the page it answers.

pub(crate) mod routes;

use std::collections::{BTreeSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::store::write_atomic;
use crate::wire::{
    EVENT_TYPE_RECOGNITION, Event, EventData, HistoryItem, ItemLayout, LogLine, LogLineHead,
    Record, RecordPage, RecordQuery, UserId, Who,
};

/// The log's directory in the state directory.
pub const DIR: &str = "history";
const SEGMENTS_DIR: &str = "segments";
const IMAGES_DIR: &str = "images";
const DROPPED_FILE: &str = "dropped";
const SEGMENT_EXT: &str = "jsonl";
const IMAGE_EXT: &str = "jpg";

/// How much the log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most records kept.
    pub records: usize,
    /// Records per segment file; also how many are dropped at once when full.
    pub segment_records: usize,
    /// The most snapshots kept (the newest records').
    pub images: usize,
}

impl Default for Limits {
    /// 100,000 records (twice the push cache of 50,000) in segments of 1,000, and the
    /// snapshots of the newest 2,000 (about 70 MB at the default snapshot size).
    fn default() -> Self {
        Self {
            records: 100_000,
            segment_records: 1_000,
            images: 2_000,
        }
    }
}

/// Why the log could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A state file could not be written atomically.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A line the index points at no longer parses.
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HistoryError + '_ {
    move |source| HistoryError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the index knows of one logged record.
#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    timestamp: i64,
    user_id: Option<Box<str>>,
    job_number: Option<Box<str>>,
    ic_number: Option<Box<str>>,
    segment: u64,
    offset: u64,
    len: u32,
}

/// The record log of one device.
#[derive(Debug)]
pub struct RecordLog {
    dir: PathBuf,
    limits: Limits,
    /// Oldest first; the order records were made in.
    entries: VecDeque<Entry>,
    /// Segment numbers on disk, oldest first, with how many lines each holds.
    segments: VecDeque<(u64, usize)>,
    /// The segment being appended to, open for appending, and its length in bytes.
    current: Option<(u64, File, u64)>,
    /// Records whose snapshot is kept, oldest first.
    images: VecDeque<u64>,
    dropped: u64,
}

impl RecordLog {
    /// Opens (creating if needed) the log in `dir`, recovering from an interrupted append.
    ///
    /// # Errors
    /// [`HistoryError`] when the directory cannot be created or read.
    pub fn open(dir: &Path, limits: Limits) -> Result<Self, HistoryError> {
        let limits = Limits {
            records: limits.records.max(1),
            segment_records: limits.segment_records.clamp(1, limits.records.max(1)),
            images: limits.images,
        };
        let seg_dir = dir.join(SEGMENTS_DIR);
        let img_dir = dir.join(IMAGES_DIR);
        fs::create_dir_all(&seg_dir).map_err(io(&seg_dir))?;
        fs::create_dir_all(&img_dir).map_err(io(&img_dir))?;
        let dropped = fs::read_to_string(dir.join(DROPPED_FILE))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let mut log = Self {
            dir: dir.to_path_buf(),
            limits,
            entries: VecDeque::new(),
            segments: VecDeque::new(),
            current: None,
            images: VecDeque::new(),
            dropped,
        };
        let numbers = numbered_files(&seg_dir, SEGMENT_EXT)?;
        let last = numbers.last().copied();
        for n in numbers {
            let lines = log.load_segment(n, Some(n) == last)?;
            log.segments.push_back((n, lines));
        }
        // Snapshots whose record is not in the log (dropped, or a kill between writing
        // the image and its line) are removed; the rest are kept, oldest first.
        let logged: BTreeSet<u64> = log.entries.iter().map(|e| e.seq).collect();
        for seq in numbered_files(&img_dir, IMAGE_EXT)? {
            if logged.contains(&seq) {
                log.images.push_back(seq);
            } else {
                let _ = fs::remove_file(log.image_path(seq));
            }
        }
        log.trim_images();
        Ok(log)
    }

    fn segment_path(&self, n: u64) -> PathBuf {
        self.dir
            .join(SEGMENTS_DIR)
            .join(format!("{n:012}.{SEGMENT_EXT}"))
    }

    fn image_path(&self, seq: u64) -> PathBuf {
        self.dir.join(IMAGES_DIR).join(format!("{seq}.{IMAGE_EXT}"))
    }

    /// Indexes segment `n`; in the last segment a torn final line is cut off. Returns the
    /// number of lines indexed.
    fn load_segment(&mut self, n: u64, last: bool) -> Result<usize, HistoryError> {
        let path = self.segment_path(n);
        let bytes = fs::read(&path).map_err(io(&path))?;
        let mut offset = 0usize;
        let mut lines = 0;
        while offset < bytes.len() {
            let Some(len) = bytes[offset..].iter().position(|&b| b == b'\n') else {
                break;
            };
            let line = &bytes[offset..offset + len];
            match serde_json::from_slice::<LogLineHead>(line) {
                Ok(head) => {
                    let user = head.record.user;
                    self.entries.push_back(Entry {
                        seq: head.seq,
                        timestamp: head.record.timestamp,
                        user_id: user.as_ref().map(|u| id_text(&u.user_id).into()),
                        job_number: user
                            .as_ref()
                            .and_then(|u| u.job_number.as_deref().map(Into::into)),
                        ic_number: user
                            .as_ref()
                            .and_then(|u| u.ic_number.as_deref().map(Into::into)),
                        segment: n,
                        offset: offset as u64,
                        len: len as u32,
                    });
                    lines += 1;
                }
                Err(e) if !last => {
                    // A whole line that does not parse was written by something else;
                    // keep the rest of the log rather than refuse to start.
                    tracing::warn!(path = %path.display(), offset, error = %e, "skipping a corrupt history line");
                }
                Err(_) => break,
            }
            offset += len + 1;
        }
        if last {
            if offset < bytes.len() {
                tracing::warn!(path = %path.display(), kept = offset, "cutting off a torn history line");
                let file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io(&path))?;
                file.set_len(offset as u64).map_err(io(&path))?;
                file.sync_all().map_err(io(&path))?;
            }
            let file = OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(io(&path))?;
            self.current = Some((n, file, offset as u64));
        }
        Ok(lines)
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Records in the log.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log holds no record.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records dropped to make room, since the log was created.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Snapshots kept.
    pub fn images(&self) -> usize {
        self.images.len()
    }

    /// The oldest and newest sequence numbers logged.
    pub fn seq_range(&self) -> Option<(u64, u64)> {
        Some((self.entries.front()?.seq, self.entries.back()?.seq))
    }

    /// Appends record `seq`, with its snapshot (JPEG bytes) when one is to be kept. The
    /// record's own `rgb_image` is not stored in the line.
    ///
    /// # Errors
    /// [`HistoryError`] when the line or the snapshot cannot be written; the log is then
    /// as it was.
    pub fn append(
        &mut self,
        seq: u64,
        record: &Record,
        image: Option<&[u8]>,
    ) -> Result<(), HistoryError> {
        let mut stored = record.clone();
        stored.rgb_image.clear();
        let line = LogLine {
            seq,
            image: image.is_some() && self.limits.images > 0,
            record: stored,
        };
        let mut bytes = serde_json::to_vec(&line).map_err(|e| HistoryError::Corrupt {
            path: self.dir.clone(),
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
        if let Some(jpeg) = image.filter(|_| line.image) {
            write_atomic(&self.image_path(seq), jpeg)?;
        }
        let segment_full = self
            .segments
            .back()
            .is_none_or(|&(_, lines)| lines >= self.limits.segment_records);
        if segment_full || self.current.is_none() {
            self.start_segment()?;
        }
        let image_path = self.image_path(seq);
        let Some((n, file, size)) = self.current.as_mut() else {
            return Err(HistoryError::Corrupt {
                path: self.dir.join(SEGMENTS_DIR),
                reason: "no segment open for appending".into(),
            });
        };
        let written = file.write_all(&bytes).and_then(|()| file.sync_data());
        if let Err(e) = written {
            // Leave no half line behind for the next append to follow.
            let _ = file.set_len(*size);
            if line.image {
                let _ = fs::remove_file(&image_path);
            }
            let path = self
                .dir
                .join(SEGMENTS_DIR)
                .join(format!("{n:012}.{SEGMENT_EXT}"));
            return Err(io(&path)(e));
        }
        let user = record.user.as_ref();
        self.entries.push_back(Entry {
            seq,
            timestamp: record.timestamp,
            user_id: user.map(|u| id_text(&u.user_id).into()),
            job_number: user.and_then(|u| u.job_number.as_deref().map(Into::into)),
            ic_number: user.and_then(|u| u.ic_number.as_deref().map(Into::into)),
            segment: *n,
            offset: *size,
            len: (bytes.len() - 1) as u32,
        });
        *size += bytes.len() as u64;
        if let Some(last) = self.segments.back_mut() {
            last.1 += 1;
        }
        if line.image {
            self.images.push_back(seq);
            self.trim_images();
        }
        self.trim_records()?;
        Ok(())
    }

    /// Opens a new, empty segment for appending.
    fn start_segment(&mut self) -> Result<(), HistoryError> {
        let n = self.segments.back().map_or(0, |&(n, _)| n + 1);
        let path = self.segment_path(n);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        if let Ok(dir) = File::open(self.dir.join(SEGMENTS_DIR)) {
            let _ = dir.sync_all();
        }
        self.segments.push_back((n, 0));
        self.current = Some((n, file, 0));
        Ok(())
    }

    /// Drops the oldest segments while the log holds more than its bound.
    fn trim_records(&mut self) -> Result<(), HistoryError> {
        while self.entries.len() > self.limits.records && self.segments.len() > 1 {
            let Some((n, lines)) = self.segments.pop_front() else {
                break;
            };
            let path = self.segment_path(n);
            fs::remove_file(&path).map_err(io(&path))?;
            let mut gone = 0u64;
            while self.entries.front().is_some_and(|e| e.segment == n) {
                if let Some(e) = self.entries.pop_front()
                    && self.images.front() == Some(&e.seq)
                {
                    self.images.pop_front();
                    let _ = fs::remove_file(self.image_path(e.seq));
                }
                gone += 1;
            }
            self.dropped += gone;
            write_atomic(
                &self.dir.join(DROPPED_FILE),
                self.dropped.to_string().as_bytes(),
            )?;
            tracing::warn!(
                segment = n,
                records = lines,
                "history full: oldest records dropped"
            );
        }
        Ok(())
    }

    /// Removes the oldest snapshots beyond the bound.
    fn trim_images(&mut self) {
        while self.images.len() > self.limits.images {
            if let Some(seq) = self.images.pop_front() {
                let _ = fs::remove_file(self.image_path(seq));
            }
        }
    }

    /// Answers a history query: the page of matching records in the requested order, each
    /// in the history layout.
    ///
    /// # Errors
    /// [`HistoryError`] when a record of the page cannot be read back.
    pub fn query(&self, q: &RecordQuery, layout: ItemLayout) -> Result<RecordPage, HistoryError> {
        let matches = |e: &&Entry| {
            q.begin.is_none_or(|b| e.timestamp >= b)
                && q.end.is_none_or(|end| e.timestamp <= end)
                && match &q.who {
                    None => true,
                    Some(Who::UserId(id)) => e.user_id.as_deref() == Some(id.as_str()),
                    Some(Who::JobNumber(n)) => e.job_number.as_deref() == Some(n.as_str()),
                    Some(Who::IcNumber(n)) => e.ic_number.as_deref() == Some(n.as_str()),
                }
        };
        let mut hits: Vec<&Entry> = self.entries.iter().filter(matches).collect();
        // By time, and in the order they were made where times are equal (a clock may be
        // set back, so the log's order alone is not enough).
        hits.sort_by_key(|e| (e.timestamp, e.seq));
        if q.descending {
            hits.reverse();
        }
        let total = hits.len();
        let items = hits
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|e| self.item(e, layout))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordPage {
            offset: q.offset,
            limit: q.limit,
            count: items.len(),
            total,
            items,
        })
    }

    /// Reads one record back and renders it as a history item.
    fn item(&self, e: &Entry, layout: ItemLayout) -> Result<HistoryItem, HistoryError> {
        let path = self.segment_path(e.segment);
        let mut file = File::open(&path).map_err(io(&path))?;
        file.seek(SeekFrom::Start(e.offset)).map_err(io(&path))?;
        let mut line = vec![0; e.len as usize];
        file.read_exact(&mut line).map_err(io(&path))?;
        let line: LogLine = serde_json::from_slice(&line).map_err(|err| HistoryError::Corrupt {
            path: path.clone(),
            reason: format!("record {}: {err}", e.seq),
        })?;
        // A snapshot may have been removed (beyond the bound) since the line was written.
        let image = if line.image {
            fs::read(self.image_path(e.seq))
                .map(|jpeg| STANDARD.encode(jpeg))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(HistoryItem::of(&line.record, image, layout))
    }
}

/// What the device does with every record it makes: logs it (with its snapshot when
/// `keep_image`) and sends it to the live feed. Alarms, and bodies that are not a
/// recognition record (a trigger's overrides may make anything), are neither. A record
/// that cannot be logged is still delivered: it is already in the push queue.
pub fn record_made(
    log: &Mutex<RecordLog>,
    live: &crate::live::Hub,
    seq: u64,
    body: &[u8],
    keep_image: bool,
) {
    let record = match serde_json::from_slice::<Event>(body) {
        Ok(event) => match event.data {
            EventData::Record(record) if event.kind == EVENT_TYPE_RECOGNITION => record,
            _ => return,
        },
        Err(e) => {
            tracing::debug!(seq, error = %e, "record not logged: it is not a recognition record");
            return;
        }
    };
    let image = keep_image
        .then(|| STANDARD.decode(&record.rgb_image).ok())
        .flatten()
        .filter(|jpeg| !jpeg.is_empty());
    let appended = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .append(seq, &record, image.as_deref());
    if let Err(e) = appended {
        tracing::error!(seq, error = %e, "cannot log a record in the history");
    }
    live.publish(&record);
}

/// A user id as the query compares it: the integer's digits or the string.
fn id_text(id: &UserId) -> String {
    id.to_string()
}

/// The numbers of the files `<n>.<ext>` in `dir`, ascending; other files are left alone.
fn numbered_files(dir: &Path, ext: &str) -> Result<Vec<u64>, HistoryError> {
    let mut numbers = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == ext)
            && let Some(n) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok())
        {
            numbers.push(n);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

#[cfg(test)]
mod tests;
