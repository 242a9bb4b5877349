//! The enrolled photos' per-person state ([`Enrolled`]: decoded pixels and the face box),
//! built once per photo and kept for the process, so that a record of an enrolled person
//! derives its snapshot without reading, decoding and searching the photo again.
//!
//! One store for the whole process rather than one per terminal: a platform enrols the
//! same people into every terminal of a building, and a fleet of a thousand terminals
//! then keeps each photo once. Entries are keyed by the digest of the photo's content
//! (part of its file name in the library), so a changed photo is a new entry and the old
//! one simply ages out; the store is bounded by the bytes it holds.

use std::sync::{Arc, LazyLock};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::synth::avatar::Enrolled;

/// At most this many bytes of decoded photos are kept: about 180 enrolment photos of
/// 480×640, more than a lobby's regulars.
const BUDGET: u64 = 160 << 20;

/// Weighs an entry by the bytes it holds.
#[derive(Debug, Clone, Copy)]
struct Bytes;

impl Weighter<String, Arc<Enrolled>> for Bytes {
    fn weight(&self, _key: &String, value: &Arc<Enrolled>) -> u64 {
        value.weight()
    }
}

/// The process's store.
static KEPT: LazyLock<Cache<String, Arc<Enrolled>, Bytes>> =
    LazyLock::new(|| Cache::with_weighter(256, BUDGET, Bytes));

/// The state of the photo whose content digest is `key`, built from `load`'s bytes when it
/// is not kept yet. `None` when the photo cannot be read or decoded (it is tried again next
/// time, as a photo that could not be used is rare and may be a passing I/O error).
pub(crate) fn enrolled(key: &str, load: impl FnOnce() -> Option<Vec<u8>>) -> Option<Arc<Enrolled>> {
    KEPT.get_or_insert_with(key, || {
        load()
            .and_then(|bytes| Enrolled::new(&bytes).ok())
            .map(Arc::new)
            .ok_or(())
    })
    .ok()
}
