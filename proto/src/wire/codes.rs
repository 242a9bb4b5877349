//! The numbers the guide fixes for everyone: event types, the success code, and the lengths
//! the device holds to.

/// Event `type` 0: a recognition record (every version).
pub const EVENT_TYPE_RECOGNITION: i64 = 0;
/// Event `type` 1: a device alarm (API 1.3).
pub const EVENT_TYPE_ALARM: i64 = 1;
/// The success `code` of every answer, in the device API and in push answers alike.
pub const CODE_OK: i64 = 200;
/// Longest `event_dest` the device accepts, in bytes.
pub const MAX_EVENT_DEST_BYTES: usize = 1024;
/// Longest user name the device stores, in bytes.
pub const MAX_USER_NAME_BYTES: usize = 128;
/// Recommended upper bound of `customtips`, in characters (not bytes).
pub const RECOMMENDED_TIPS_CHARS: usize = 10;
