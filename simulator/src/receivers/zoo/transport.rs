//! Faults below HTTP: receivers that reset, fall silent, or answer with truncated or
//! garbage bytes. An HTTP server library cannot be made to do any of this, so these
//! receivers run their own accept loop over raw TCP (optionally inside rustls) and read
//! just enough of each request to misbehave at the right moment.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::fault::{Fault, ZooOptions};
use super::socket::Crowd;
use crate::net::{RequestReader, http1};
use crate::wire::AnswerBody;

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// What `garbage-answer` sends: neither HTTP nor anything else a client could parse, up to
/// the end of a head (the framer's), so that a client looking for one finds it.
fn garbage() -> Vec<u8> {
    [
        &b"\x00\xffSMTP 220 ready? no.\r\n\x1b[31mgarbage\x1b[0m"[..],
        http1::HEAD_END,
    ]
    .concat()
}

/// Serves a transport fault until `shutdown` resolves. Connections still open then (the
/// silent ones) are dropped.
pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    fault: Fault,
    options: &ZooOptions,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    // Every connection of `slow-when-concurrent` counts its requests in the one crowd.
    let crowd =
        (fault == Fault::SlowWhenConcurrent).then(|| Arc::new(Crowd::new(options.crowd_hold)));
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = crate::server::accept(&listener) => accepted,
            () = &mut shutdown => break,
        };
        if fault == Fault::ResetMidRequest {
            // A zero linger turns the close into a RST, which is the point of this fault.
            let _ = stream.set_zero_linger();
        }
        let (acceptor, crowd) = (acceptor.clone(), crowd.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let work = async move {
                match acceptor {
                    None => misbehave(stream, fault, crowd.as_deref()).await,
                    Some(acceptor) => {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                        {
                            Ok(Ok(tls)) => misbehave(tls, fault, crowd.as_deref()).await,
                            _ => tracing::debug!(%peer, "TLS handshake failed"),
                        }
                    }
                }
            };
            tokio::select! {
                () = work => {}
                _ = stop.changed() => {}
            }
        });
    }
    // Dropping the sender wakes every connection task, which then drops its connection.
    drop(stop_tx);
}

/// Reads a request from `stream` and fails to answer it the way `fault` says; `crowd` is
/// the requests in flight that `slow-when-concurrent` counts.
async fn misbehave<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    fault: Fault,
    crowd: Option<&Crowd>,
) {
    match fault {
        Fault::NeverAnswers => {
            // Keep reading so the client's writes never block, and never write a byte.
            let mut sink = vec![0u8; 16 * 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        }
        Fault::ResetMidRequest => {
            let _ = RequestReader::new().head(&mut stream).await;
            // Dropping with zero linger sends RST (set at accept time).
            drop(stream);
        }
        Fault::CloseWithoutAnswer => {
            if read_request(&mut stream).await {
                let _ = stream.shutdown().await;
            }
        }
        Fault::TruncatedAnswer => {
            if read_request(&mut stream).await {
                let body = serde_json::to_vec(&AnswerBody::decision(false, Some("Hi".into())))
                    .unwrap_or_default();
                let mut head = Vec::new();
                http1::write_response_head(
                    &mut head,
                    200,
                    "OK",
                    &[("Content-Type", "application/json")],
                    body.len(),
                );
                let _ = stream.write_all(&head).await;
                let _ = stream.write_all(&body[..body.len() / 2]).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            }
        }
        Fault::GarbageAnswer => {
            if read_request(&mut stream).await {
                let _ = stream.write_all(&garbage()).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            }
        }
        Fault::NagleDelay => super::socket::answer_in_two_writes(stream, None).await,
        Fault::SlowWhenConcurrent => super::socket::answer_in_two_writes(stream, crowd).await,
        other => tracing::error!(fault = %other, "not a transport fault"),
    }
}

/// Reads one whole request, whatever its size; false when none came whole.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> bool {
    matches!(
        RequestReader::new().next(stream, u64::MAX).await,
        Ok(Some(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn read_request_consumes_the_announced_body() {
        let request = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        let mut reader = &request[..];
        assert!(read_request(&mut reader).await);
        assert!(reader.is_empty());
        let mut short = &b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nhi"[..];
        assert!(!read_request(&mut short).await);
    }
}
