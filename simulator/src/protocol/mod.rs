//! The protocol core: the wire types and the API versions as data (no I/O in either), the
//! one HTTP/1.1 client layer, the one accept loop every server runs, TLS, and the one
//! histogram and aggregator. The terminal, the receivers and the load engine are built on
//! it.

pub(crate) mod histogram;
pub mod net;
pub mod profile;
pub mod seed;
pub mod server;
pub mod stats;
pub mod tls;
pub mod wire;
