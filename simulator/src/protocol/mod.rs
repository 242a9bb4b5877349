//! The protocol layer with I/O, on the pure core of `facesim-proto`: the one HTTP/1.1
//! client layer, the one accept loop every server runs, TLS, and the one aggregator. The
//! terminal, the receivers and the load engine are built on it.

pub(crate) mod metrics;
pub mod net;
pub mod server;
pub mod stats;
pub mod tls;
