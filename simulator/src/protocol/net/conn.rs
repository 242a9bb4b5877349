//! The keep-alive HTTP/1.1 connection every facesim client sends through (the device's
//! pusher, `facesim push`, `facesim load`, the demo's API calls): one connection, opened
//! on first use and again after any failure or `Connection: close`, writing a prebuilt
//! request and reading the answer into a reused buffer. No per-request task hop, header
//! map or body channel: the request is assembled from slices the caller already holds
//! (a big base64 image is shared and never copied in memory).
//!
//! Every request leaves in one vectored write of its three parts. That is also the
//! cheapest way on plain TCP: measured side by side (`scripts/bench-vs-wrk.sh`), handing
//! the shared image to the kernel by `sendfile` between a corked front and back cost 16%
//! more CPU per request than copying it, because the four extra system calls cost more
//! than the copy of 30 KB they save.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::http1::{self, BodyKind, FramingError};
use super::stream::{Origin, OriginError, Stream, Tls};
use crate::tls::Trust;
use crate::wire::Outcome;

/// Largest answer body read from a server; real answers are well under a kilobyte.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The `User-Agent` of every request facesim sends.
const USER_AGENT: &str = concat!("facesim/", env!("CARGO_PKG_VERSION"));

/// Why an endpoint cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The URL is not one an HTTP/1.1 client can reach.
    #[error(transparent)]
    Url(#[from] OriginError),
    /// The host has no address.
    #[error("cannot resolve {0}")]
    Resolve(String),
    /// The TLS trust cannot be set up (a CA file without a certificate, say).
    #[error("{0}")]
    Tls(String),
}

/// A server every connection of a client talks to: its origin, resolved addresses, TLS
/// settings and the fixed part of the usual request head.
pub struct Endpoint {
    origin: Origin,
    addrs: Vec<SocketAddr>,
    tls: Option<Tls>,
    /// `POST /path HTTP/1.1` and the fixed headers of a JSON push, ending with
    /// `Content-Length: `.
    head_prefix: Vec<u8>,
}

impl Endpoint {
    /// Resolves the server's host once, so that name lookups are not part of any
    /// request's latency, and prepares TLS for `https` URLs under `trust`.
    ///
    /// # Errors
    /// [`EndpointError`] for an unusable URL or trust setting, or a host with no address.
    pub async fn new(url: &url::Url, trust: &Trust) -> Result<Self, EndpointError> {
        let origin = Origin::new(url)?;
        let tls = origin
            .tls_under(trust)
            .map_err(|e| EndpointError::Tls(e.to_string()))?;
        Self::with_tls(origin, tls).await
    }

    /// [`Endpoint::new`] with TLS prepared by the caller (from a configuration built once
    /// for many endpoints), or none.
    ///
    /// # Errors
    /// [`EndpointError::Resolve`] when the host has no address.
    pub async fn with_tls(origin: Origin, tls: Option<Tls>) -> Result<Self, EndpointError> {
        let addrs = origin.resolve().await.map_err(EndpointError::Resolve)?;
        let mut head_prefix = Vec::with_capacity(192);
        http1::write_request_head(
            &mut head_prefix,
            "POST",
            origin.target(),
            origin.authority(),
            &JSON_HEADERS,
            None,
        );
        // The blank line goes; the length and the blank line are written per request.
        head_prefix.truncate(head_prefix.len() - 2);
        head_prefix.extend_from_slice(b"Content-Length: ");
        Ok(Self {
            origin,
            addrs,
            tls,
            head_prefix,
        })
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Appends the head of a JSON POST of `body_len` bytes to the endpoint's URL to
    /// `out`: the hot path of load runs, a copy of bytes prepared once.
    pub fn write_head(&self, body_len: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.head_prefix);
        http1::write_decimal(out, body_len);
        out.extend_from_slice(b"\r\n\r\n");
    }

    /// Appends any request head to `out`: `method` on `path` (the endpoint's own URL for
    /// `None`), facesim's usual headers, then `headers`, and a `Content-Length` when there
    /// is a body (always for a POST).
    pub fn write_head_with(
        &self,
        method: &str,
        path: Option<&str>,
        headers: &[(&str, &str)],
        body_len: usize,
        out: &mut Vec<u8>,
    ) {
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(3 + headers.len());
        all.extend_from_slice(&JSON_HEADERS[..2]);
        all.extend_from_slice(headers);
        let length = (method == "POST" || body_len > 0).then_some(body_len);
        let target = path.unwrap_or(self.origin.target());
        http1::write_request_head(out, method, target, self.origin.authority(), &all, length);
    }

    async fn connect(&self) -> io::Result<Stream> {
        let tcp = Stream::connect_tcp(&self.addrs).await?;
        Stream::secure(tcp, self.tls.as_ref()).await
    }
}

/// The `Content-Type` header of a JSON body.
pub const JSON_CONTENT_TYPE: (&str, &str) = ("Content-Type", "application/json");

/// The headers of a JSON push, after `Host`.
const JSON_HEADERS: [(&str, &str); 3] = [
    ("User-Agent", USER_AGENT),
    ("Accept", "*/*"),
    JSON_CONTENT_TYPE,
];

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("origin", &self.origin)
            .field("addrs", &self.addrs)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// How an exchange failed before a complete answer arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The connection could not be made (refused, unreachable, TLS handshake failed).
    #[error("connect error: {0}")]
    Connect(String),
    /// The connection broke during the exchange (reset, truncated, oversized or
    /// unframed answer).
    #[error("transport error: {0}")]
    Transport(String),
}

impl Failure {
    /// What happened, without the class's prefix.
    pub fn detail(&self) -> &str {
        match self {
            Failure::Connect(d) | Failure::Transport(d) => d,
        }
    }

    fn connect(e: &io::Error) -> Self {
        Failure::Connect(e.to_string())
    }

    fn transport(message: impl std::fmt::Display) -> Self {
        Failure::Transport(message.to_string())
    }
}

/// What an exchange that failed came to, in the one outcome type every client counts.
impl<A> From<Failure> for Outcome<A> {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Connect(detail) => Outcome::Connect(detail),
            Failure::Transport(detail) => Outcome::Transport(detail),
        }
    }
}

impl From<FramingError> for Failure {
    fn from(e: FramingError) -> Self {
        Failure::transport(e)
    }
}

/// One request as the client sends it: a small per-event front (head and the start of the
/// body), the large shared middle, a small per-event back.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub front: &'a [u8],
    pub middle: &'a [u8],
    pub back: &'a [u8],
}

impl<'a> From<[&'a [u8]; 3]> for Request<'a> {
    fn from([front, middle, back]: [&'a [u8]; 3]) -> Self {
        Self {
            front,
            middle,
            back,
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint.origin)
            .field("open", &self.stream.is_some())
            .finish_non_exhaustive()
    }
}

/// One connection to an endpoint, opened on first use and again after any failure or
/// `Connection: close`.
pub struct Connection {
    endpoint: Arc<Endpoint>,
    stream: Option<Stream>,
    /// Bytes read from the server; holds the current answer.
    buf: Vec<u8>,
    /// The decoded body of a chunked answer.
    chunked: Vec<u8>,
}

impl Connection {
    pub fn new(endpoint: Arc<Endpoint>) -> Self {
        Self {
            endpoint,
            stream: None,
            buf: Vec::with_capacity(4096),
            chunked: Vec::new(),
        }
    }

    /// Drops the connection, after a timeout left it mid-exchange.
    pub fn reset(&mut self) {
        self.stream = None;
    }

    /// Whether a connection is open for the next request.
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    pub fn endpoint(&self) -> &Arc<Endpoint> {
        &self.endpoint
    }

    /// Sends one request and reads the answer. Returns the HTTP status and the answer
    /// body.
    ///
    /// # Errors
    /// A [`Failure`] classed as a connect or transport error; the connection is dropped.
    pub async fn exchange(&mut self, request: Request<'_>) -> Result<(u16, &[u8]), Failure> {
        let reused = self.stream.is_some();
        let mut result = self.exchange_inner(request).await;
        if result.is_err() && reused && self.buf.is_empty() {
            // Not a byte of answer on a kept-alive connection: the receiver had closed it
            // while idle (a keep-alive timeout or request limit), so it never saw this
            // request. Clients retry that once on a fresh connection, as general HTTP
            // clients do; the retry's time counts in the latency.
            self.stream = None;
            result = self.exchange_inner(request).await;
        }
        if result.is_err() {
            self.stream = None;
        }
        match result {
            Ok((status, Some(range))) => Ok((status, &self.buf[range])),
            Ok((status, None)) => Ok((status, &self.chunked)),
            Err(e) => Err(e),
        }
    }

    /// The exchange proper; the body is `buf[range]`, or the chunked buffer for `None`.
    async fn exchange_inner(
        &mut self,
        request: Request<'_>,
    ) -> Result<(u16, Option<std::ops::Range<usize>>), Failure> {
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let s = self
                    .endpoint
                    .connect()
                    .await
                    .map_err(|e| Failure::connect(&e))?;
                self.stream.insert(s)
            }
        };
        self.buf.clear();
        write_all(stream, [request.front, request.middle, request.back])
            .await
            .map_err(Failure::transport)?;
        let mut searched = 0;
        loop {
            // Find a complete head, skipping interim 1xx answers.
            let head = loop {
                if let Some(end) = http1::find_head_end(&self.buf, searched) {
                    break http1::parse_head(&self.buf, end)?;
                }
                http1::check_start(&self.buf)?;
                if self.buf.len() > http1::MAX_HEAD_BYTES {
                    return Err(FramingError::HeadTooLarge.into());
                }
                searched = self.buf.len();
                read_more(stream, &mut self.buf).await?;
            };
            if (100..200).contains(&head.status) {
                self.buf.drain(..head.len);
                searched = 0;
                continue;
            }
            let (range, used) = match head.body {
                BodyKind::Empty => (Some(head.len..head.len), head.len),
                BodyKind::Length(n) => {
                    if n > MAX_ANSWER_BYTES {
                        return Err(Failure::transport(format!(
                            "answer larger than {MAX_ANSWER_BYTES} bytes"
                        )));
                    }
                    while self.buf.len() < head.len + n {
                        read_more(stream, &mut self.buf).await?;
                    }
                    (Some(head.len..head.len + n), head.len + n)
                }
                BodyKind::Chunked => loop {
                    let data = &self.buf[head.len..];
                    if let Some(used) =
                        http1::decode_chunked(data, &mut self.chunked, MAX_ANSWER_BYTES)?
                    {
                        break (None, head.len + used);
                    }
                    read_more(stream, &mut self.buf).await?;
                },
                BodyKind::UntilClose => {
                    loop {
                        if self.buf.len() > head.len + MAX_ANSWER_BYTES {
                            return Err(Failure::transport(format!(
                                "answer larger than {MAX_ANSWER_BYTES} bytes"
                            )));
                        }
                        let n = stream
                            .read_buf(&mut self.buf)
                            .await
                            .map_err(Failure::transport)?;
                        if n == 0 {
                            break;
                        }
                    }
                    (Some(head.len..self.buf.len()), self.buf.len())
                }
            };
            // Bytes beyond the answer mean the server and this client disagree on
            // framing; the connection cannot be trusted for the next request.
            if head.close || used != self.buf.len() {
                self.stream = None;
            }
            return Ok((head.status, range));
        }
    }
}

/// Writes every part, in as few system calls as the stream allows.
async fn write_all(stream: &mut Stream, parts: [&[u8]; 3]) -> io::Result<()> {
    let mut slices = parts.map(IoSlice::new);
    let mut bufs = &mut slices[..];
    // Advancing by nothing drops empty parts at the front, so that a request with nothing
    // left to write ends the loop instead of a write of nothing, which would read as
    // WriteZero.
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        let n = stream.write_vectored(bufs).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut bufs, n);
    }
    stream.flush().await
}

/// Reads at least one more byte of the answer.
async fn read_more(stream: &mut Stream, buf: &mut Vec<u8>) -> Result<(), Failure> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(8192);
    }
    match stream.read_buf(buf).await {
        Ok(0) => Err(Failure::transport(
            "connection closed before the answer was complete",
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::transport(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that answers the `i`th request (over all connections) with `script[i]`,
    /// closing the connection afterwards when the entry says so.
    async fn scripted(script: Vec<(&'static [u8], bool)>) -> url::Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/e", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            let mut script = script.into_iter();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut reader = super::super::RequestReader::new();
                while let Ok(Some(_)) = reader.next(&mut socket, u64::MAX).await {
                    let Some((answer, close)) = script.next() else {
                        return;
                    };
                    socket.write_all(answer).await.unwrap();
                    if close {
                        break;
                    }
                }
            }
        });
        url
    }

    #[tokio::test]
    async fn framings_reconnects_and_broken_answers() {
        let ok: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        let url = scripted(vec![
            (ok, false),
            // Closed after answering, without saying so: the next request finds the
            // connection dead and is retried on a fresh one.
            (ok, true),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n1\r\n]\r\n0\r\n\r\n", false),
            (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", false),
            (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true),
            (b"HTTP/1.0 200 OK\r\n\r\nuntil close", true),
            (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", true),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true),
            (ok, false),
        ])
        .await;
        let endpoint = Arc::new(Endpoint::new(&url, &Trust::System).await.unwrap());
        let mut conn = Connection::new(endpoint.clone());
        let mut head = Vec::new();
        endpoint.write_head(4, &mut head);
        let parts: [&[u8]; 3] = [&head, b"{\"a\"", b":1}"];
        for (status, body) in [
            (200, &b"{}"[..]),
            (200, b"{}"),
            (200, b"[]"),
            (201, b"x"),
            (200, b"ok"),
            (200, b"until close"),
        ] {
            assert_eq!(owned(&mut conn, parts).await, Ok((status, body.to_vec())));
        }
        let err = owned(&mut conn, parts).await.unwrap_err();
        assert!(matches!(err, Failure::Transport(_)), "{err:?}");
        let err = owned(&mut conn, parts).await.unwrap_err();
        assert!(err.detail().contains("closed before"), "{err:?}");
        assert_eq!(owned(&mut conn, parts).await, Ok((200, b"{}".to_vec())));
    }

    /// One exchange, with the answer copied out of the connection's buffer.
    async fn owned(conn: &mut Connection, parts: [&[u8]; 3]) -> Result<(u16, Vec<u8>), Failure> {
        conn.exchange(parts.into())
            .await
            .map(|(s, b)| (s, b.to_vec()))
    }

    /// A request larger than the socket buffer (so written in several goes) arrives byte
    /// for byte, twice in a row on one kept-alive connection.
    #[tokio::test]
    async fn a_request_larger_than_the_socket_buffer_arrives_intact() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/e", listener.local_addr().unwrap())).unwrap();
        let (got_tx, mut got) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut reader = super::super::RequestReader::new();
            while let Ok(Some(request)) = reader.next(&mut socket, u64::MAX).await {
                let _ = got_tx.send(request.bytes().to_vec());
                let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
                socket.write_all(ok).await.unwrap();
            }
        });
        // A middle large enough to take several writes' worth of socket buffer.
        let middle: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let endpoint = Arc::new(Endpoint::new(&url, &Trust::System).await.unwrap());
        let (back, body_len) = (b"]}".as_slice(), 1 + middle.len() + 2);
        let mut front = Vec::new();
        endpoint.write_head(body_len, &mut front);
        front.push(b'[');
        let request = Request {
            front: &front,
            middle: &middle,
            back,
        };
        let expected = [front.as_slice(), middle.as_slice(), back].concat();
        let mut conn = Connection::new(endpoint);
        for _ in 0..2 {
            let (status, body) = conn.exchange(request).await.unwrap();
            assert_eq!((status, body), (200, &b"{}"[..]));
            assert!(
                got.recv().await.unwrap() == expected,
                "the request changed on the way"
            );
        }
    }

    #[tokio::test]
    async fn head_carries_the_length_and_host() {
        let url = url::Url::parse("http://127.0.0.1:8080/event?x=1").unwrap();
        let ep = Endpoint::new(&url, &Trust::System).await.unwrap();
        let mut out = Vec::new();
        ep.write_head(31_337, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("POST /event?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"),
            "{text}"
        );
        assert!(text.ends_with("Content-Length: 31337\r\n\r\n"), "{text}");
        let bad = url::Url::parse("ftp://example.invalid/").unwrap();
        assert!(matches!(
            Endpoint::new(&bad, &Trust::System).await,
            Err(EndpointError::Url(OriginError::Scheme(_)))
        ));
    }
}
