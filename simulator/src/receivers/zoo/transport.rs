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
use crate::net::http1;
use crate::server::MAX_HEAD_BYTES;
use crate::wire::AnswerBody;

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// What `garbage-answer` sends: neither HTTP nor anything else a client could parse.
const GARBAGE: &[u8] = b"\x00\xffSMTP 220 ready? no.\r\n\x1b[31mgarbage\x1b[0m\r\n\r\n";

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
            let _ = read_head(&mut stream).await;
            // Dropping with zero linger sends RST (set at accept time).
            drop(stream);
        }
        Fault::CloseWithoutAnswer => {
            if read_request(&mut stream).await.is_ok() {
                let _ = stream.shutdown().await;
            }
        }
        Fault::TruncatedAnswer => {
            if read_request(&mut stream).await.is_ok() {
                let body = serde_json::to_vec(&AnswerBody::decision(false, Some("Hi".into())))
                    .unwrap_or_default();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body[..body.len() / 2]).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            }
        }
        Fault::GarbageAnswer => {
            if read_request(&mut stream).await.is_ok() {
                let _ = stream.write_all(GARBAGE).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            }
        }
        Fault::NagleDelay => super::socket::answer_in_two_writes(stream, None).await,
        Fault::SlowWhenConcurrent => super::socket::answer_in_two_writes(stream, crowd).await,
        other => tracing::error!(fault = %other, "not a transport fault"),
    }
}

/// Reads up to the end of the request head and returns what was read (head and any body
/// bytes that came with it) and where the head ends.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<(Vec<u8>, usize)> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = http1::find_head_end(&buf, 0) {
            return Ok((buf, end));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(std::io::Error::other("request head too large"));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads a whole request: the head, then as many body bytes as its Content-Length says
/// (the clients these receivers face always send one).
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<()> {
    let (buf, head_end) = read_head(stream).await?;
    let length = content_length(&buf[..head_end]).unwrap_or(0);
    let mut remaining = length.saturating_sub(buf.len() - head_end);
    let mut chunk = vec![0u8; 64 * 1024];
    while remaining > 0 {
        let want = remaining.min(chunk.len());
        let n = stream.read(&mut chunk[..want]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        remaining -= n;
    }
    Ok(())
}

/// The Content-Length of a request head (through its blank line), if it has a readable
/// one.
fn content_length(head: &[u8]) -> Option<usize> {
    let value = http1::header(head, head.len(), "content-length")?;
    std::str::from_utf8(value).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_is_found_case_insensitively() {
        let head = b"POST / HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 42\r\n\r\n";
        assert_eq!(content_length(head), Some(42));
        assert_eq!(content_length(b"GET / HTTP/1.1\r\n\r\n"), None);
    }

    #[tokio::test]
    async fn read_request_consumes_the_announced_body() {
        let request = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        let mut reader = &request[..];
        read_request(&mut reader).await.unwrap();
        assert!(reader.is_empty());
        let mut short = &b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nhi"[..];
        assert!(read_request(&mut short).await.is_err());
    }
}
