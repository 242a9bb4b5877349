//! The request body limit the device API's routes share: a leaf, so that each route
//! module names it without naming the API that assembles them.

/// Largest request body the API reads. A subscription is at most ~1.1 KB; trigger
/// overrides are small too. Anything larger is refused with 413 before it is read.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;
