//! The receiver zoo: faulty receivers, each of which behaves like the reference receiver
//! except that it breaks exactly one rule of the push protocol (or of good behaviour on the
//! wire). The conformance suite runs against every one of them to prove that its checks
//! catch what they claim to catch, and the simulator's reliability tests use them to prove
//! that the terminal survives them. Faults at the HTTP level are warp services on the
//! shared accept loop ([`crate::server::serve`]); faults below HTTP (resets, truncated or
//! garbage answers, silence) speak raw TCP, since no HTTP server can be made to misbehave
//! that way.

mod auth;
mod fault;
mod routes;
mod socket;
mod transport;

pub use fault::{Fault, UnknownFault, ZooOptions};

use std::future::Future;
use std::sync::Arc;

use rustls::ServerConfig;
use tokio::net::TcpListener;

/// Serves `fault` on `listener` with the default [`ZooOptions`] until `shutdown`
/// resolves. With `tls`, every connection is HTTPS (the transport faults misbehave inside
/// the TLS session, as a broken HTTPS receiver would).
pub async fn serve_faulty(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    fault: Fault,
    shutdown: impl Future<Output = ()>,
) {
    serve_faulty_with(listener, tls, fault, ZooOptions::default(), shutdown).await;
}

/// Serves `fault` on `listener` with the given options until `shutdown` resolves.
pub async fn serve_faulty_with(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    fault: Fault,
    options: ZooOptions,
    shutdown: impl Future<Output = ()>,
) {
    if fault.is_transport() {
        transport::serve(listener, tls, fault, &options, shutdown).await;
    } else {
        if fault == Fault::SmallBacklog {
            socket::shrink_backlog(&listener);
        }
        routes::serve(listener, tls, fault, options, shutdown).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for &fault in Fault::ALL {
            let name = fault.name();
            assert!(seen.insert(name), "duplicate name {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert_eq!(name.parse::<Fault>(), Ok(fault));
            assert!(
                fault.description().ends_with('.'),
                "{name}: description is a sentence"
            );
        }
        assert!(Fault::ALL.len() >= 15);
        assert!("no-such-fault".parse::<Fault>().is_err());
    }
}
