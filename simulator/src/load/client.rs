//! The load generator's HTTP path: one keep-alive HTTP/1.1 connection per worker, over TCP
//! or rustls, writing a prebuilt request and reading the answer into a reused buffer. No
//! per-request task hop, header map or body channel: the request is assembled from slices
//! the body builder already holds (the big base64 image is shared and never copied in
//! memory), and answers identical to the previous one are judged by comparing bytes
//! instead of decoding JSON again.
//!
//! Copying the 30 KB image into the socket was most of a request's CPU, so on plain TCP
//! (Linux) the image is not written from memory at all: the pool keeps it in an in-memory
//! file that never changes, and `sendfile` hands its pages to the kernel by reference,
//! between the small front and back written from memory with the socket corked. Over TLS
//! the bytes must be encrypted anyway, and one vectored write sends everything.
//!
//! Every failure is classified into an [`OutcomeClass`] exactly as the simulated device's
//! [`Pusher`](crate::push::Pusher) does, so `facesim load` and `facesim push` count alike.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::LoadError;
use super::http1::{self, BodyKind, FramingError};
use crate::push::MAX_ANSWER_BYTES;
use crate::tls::{self, Trust};
use crate::wire;
use crate::wire::OutcomeClass;

/// The receiver every connection talks to: resolved addresses, TLS settings and the
/// fixed part of the request head.
pub(crate) struct Endpoint {
    addrs: Vec<SocketAddr>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    /// `POST /path HTTP/1.1` and the fixed headers, ending with `Content-Length: `.
    head_prefix: Vec<u8>,
}

impl Endpoint {
    /// Resolves the receiver's host once, so that name lookups are not part of any
    /// event's latency, and prepares TLS for `https` URLs.
    ///
    /// # Errors
    /// [`LoadError::Usage`] for an unusable URL or trust setting, [`LoadError::Resolve`]
    /// when the host has no address.
    pub(crate) async fn new(url: &url::Url, trust: &Trust) -> Result<Self, LoadError> {
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(LoadError::Usage(format!(
                    "--to must be an http or https URL, not {other}:"
                )));
            }
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| LoadError::Usage(format!("--to {url} has no port")))?;
        let (addrs, name) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (vec![SocketAddr::from((ip, port))], ip.to_string()),
            Some(url::Host::Ipv6(ip)) => (vec![SocketAddr::from((ip, port))], ip.to_string()),
            Some(url::Host::Domain(d)) => {
                let found: Vec<SocketAddr> = tokio::net::lookup_host((d, port))
                    .await
                    .map_err(|e| LoadError::Resolve(format!("{d}: {e}")))?
                    .collect();
                if found.is_empty() {
                    return Err(LoadError::Resolve(format!("{d}: no address")));
                }
                (found, d.to_string())
            }
            None => return Err(LoadError::Usage(format!("--to {url} has no host"))),
        };
        let tls = if https {
            let server_name = ServerName::try_from(name).map_err(|e| {
                LoadError::Usage(format!("--to host is not a TLS server name: {e}"))
            })?;
            Some((TlsConnector::from(client_config(trust)?), server_name))
        } else {
            None
        };
        let mut target = url.path().to_string();
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let head_prefix = format!(
            "POST {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: facesim/{}\r\n\
             Accept: */*\r\nContent-Type: application/json\r\nContent-Length: ",
            env!("CARGO_PKG_VERSION")
        )
        .into_bytes();
        Ok(Self {
            addrs,
            tls,
            head_prefix,
        })
    }

    /// Appends the request head for a body of `body_len` bytes to `out`.
    pub(crate) fn write_head(&self, body_len: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.head_prefix);
        let mut digits = [0u8; 20];
        let mut n = body_len;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[i..]);
        out.extend_from_slice(b"\r\n\r\n");
    }

    async fn connect(&self) -> io::Result<Stream> {
        let mut last = None;
        for addr in &self.addrs {
            match TcpStream::connect(addr).await {
                Ok(tcp) => {
                    tcp.set_nodelay(true)?;
                    return match &self.tls {
                        None => Ok(Stream::Plain(tcp)),
                        Some((connector, name)) => {
                            let tls = connector.connect(name.clone(), tcp).await?;
                            Ok(Stream::Tls(Box::new(tls)))
                        }
                    };
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no address to connect to")))
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("addrs", &self.addrs)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// The rustls client configuration for the trust choice; a bad `--ca-cert` is bad usage.
fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, LoadError> {
    tls::client_config(trust).map_err(|e| LoadError::Usage(e.to_string()))
}

/// A plain or TLS connection.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One request as the client sends it: a small per-event front (head and the start of the
/// body), the large shared middle, a small per-event back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub front: &'a [u8],
    pub middle: &'a [u8],
    pub back: &'a [u8],
    /// The middle's bytes again, at this offset of a file that never changes: a plain
    /// connection then has the kernel send them by reference (`sendfile`) instead of
    /// copying them into the socket, which is most of a request's CPU.
    pub middle_file: Option<(&'a std::fs::File, u64)>,
}

impl<'a> From<[&'a [u8]; 3]> for Request<'a> {
    fn from([front, middle, back]: [&'a [u8]; 3]) -> Self {
        Self {
            front,
            middle,
            back,
            middle_file: None,
        }
    }
}

/// How one push failed before a complete answer arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub class: OutcomeClass,
    pub message: String,
}

impl Failure {
    fn connect(e: &io::Error) -> Self {
        Self {
            class: OutcomeClass::ConnectError,
            message: format!("connect error: {e}"),
        }
    }

    fn transport(message: impl std::fmt::Display) -> Self {
        Self {
            class: OutcomeClass::TransportError,
            message: format!("transport error: {message}"),
        }
    }
}

impl From<FramingError> for Failure {
    fn from(e: FramingError) -> Self {
        Failure::transport(e)
    }
}

/// One worker's connection to the receiver, opened on first use and again after any
/// failure or `Connection: close`.
pub(crate) struct Connection {
    endpoint: Arc<Endpoint>,
    stream: Option<Stream>,
    /// Bytes read from the server; holds the current answer.
    buf: Vec<u8>,
    /// The decoded body of a chunked answer.
    chunked: Vec<u8>,
}

impl Connection {
    pub(crate) fn new(endpoint: Arc<Endpoint>) -> Self {
        Self {
            endpoint,
            stream: None,
            buf: Vec::with_capacity(4096),
            chunked: Vec::new(),
        }
    }

    /// Drops the connection, after a timeout left it mid-exchange.
    pub(crate) fn reset(&mut self) {
        self.stream = None;
    }

    /// Sends one request and reads the answer. Returns the HTTP status and the answer
    /// body.
    ///
    /// # Errors
    /// A [`Failure`] classed as a connect or transport error; the connection is dropped.
    pub(crate) async fn exchange(&mut self, request: Request<'_>) -> Result<(u16, &[u8]), Failure> {
        let reused = self.stream.is_some();
        let mut result = self.exchange_inner(request).await;
        if result.is_err() && reused && self.buf.is_empty() {
            // Not a byte of answer on a kept-alive connection: the receiver had closed it
            // while idle (a keep-alive timeout or request limit), so it never saw this
            // request. Clients retry that once on a fresh connection, as reqwest does for
            // the simulated device; the retry's time counts in the latency.
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
        write_request(stream, request)
            .await
            .map_err(Failure::transport)?;
        let mut searched = 0;
        loop {
            // Find a complete head, skipping interim 1xx answers.
            let head = loop {
                if let Some(end) = http1::find_head_end(&self.buf, searched) {
                    break http1::parse_head(&self.buf, end)?;
                }
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

/// Writes the request: by reference from its file on a plain connection that has one,
/// else from memory.
async fn write_request(stream: &mut Stream, request: Request<'_>) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    if let (Stream::Plain(tcp), Some((file, offset))) = (&mut *stream, request.middle_file) {
        return write_spliced(tcp, request, file, offset).await;
    }
    write_all(stream, [request.front, request.middle, request.back]).await
}

/// Front from memory, middle by `sendfile` from its file, back from memory, with the
/// socket corked meanwhile so that the three leave as the one stream of segments the
/// single vectored write would have made (nodelay alone would send the small back in a
/// segment of its own, and wake the receiver twice per request).
#[cfg(target_os = "linux")]
async fn write_spliced(
    tcp: &mut TcpStream,
    request: Request<'_>,
    file: &std::fs::File,
    offset: u64,
) -> io::Result<()> {
    use rustix::net::sockopt::set_tcp_cork;
    set_tcp_cork(&*tcp, true)?;
    let sent = async {
        tcp.write_all(request.front).await?;
        let shared: &TcpStream = tcp;
        let (mut at, end) = (offset, offset + request.middle.len() as u64);
        while at < end {
            let left = usize::try_from(end - at).unwrap_or(usize::MAX);
            let n = shared
                .async_io(tokio::io::Interest::WRITABLE, || {
                    let mut from = at;
                    rustix::fs::sendfile(shared, file, Some(&mut from), left)
                        .map_err(io::Error::from)
                })
                .await?;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::WriteZero));
            }
            at += n as u64;
        }
        tcp.write_all(request.back).await
    }
    .await;
    // Uncorking pushes whatever is queued; on error the connection is dropped anyway.
    let uncorked = set_tcp_cork(&*tcp, false);
    sent?;
    Ok(uncorked?)
}

/// Writes every part, in as few system calls as the stream allows.
async fn write_all(stream: &mut Stream, parts: [&[u8]; 3]) -> io::Result<()> {
    let mut slices = parts.map(IoSlice::new);
    let mut bufs = &mut slices[..];
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

/// What an answer counts as, and the door decision of a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub class: OutcomeClass,
    pub pass: Option<bool>,
}

/// Judges answers, remembering the last HTTP 200 body and its verdict: receivers under
/// load answer the same bytes over and over, and comparing bytes is far cheaper than
/// decoding JSON.
#[derive(Debug)]
pub(crate) struct Judge {
    rule: wire::AnswerRule,
    /// Judge auth answers instead, `data.user_id` typed so.
    auth: Option<wire::IdKind>,
    last_body: Vec<u8>,
    last: Option<(Verdict, Option<String>)>,
}

impl Judge {
    /// A judge applying `rule`, the API version's.
    pub(crate) fn new(rule: wire::AnswerRule, auth: Option<wire::IdKind>) -> Self {
        Self {
            rule,
            auth,
            last_body: Vec::new(),
            last: None,
        }
    }

    /// The verdict on an answer, and for a failure a description of it.
    pub(crate) fn judge(&mut self, status: u16, body: &[u8]) -> (Verdict, Option<String>) {
        if status != 200 {
            let verdict = Verdict {
                class: OutcomeClass::HttpStatus,
                pass: None,
            };
            return (verdict, Some(format!("HTTP {status}")));
        }
        if let Some(last) = self.last.as_ref().filter(|_| self.last_body == body) {
            return last.clone();
        }
        // The same classifier for both: push answers by the version's rule, auth answers
        // by theirs.
        let (verdict, description) = match self.auth {
            None => {
                let judged = wire::judge_answer(status, body, self.rule);
                let verdict = Verdict {
                    class: judged.class(),
                    pass: judged.pass(),
                };
                (verdict, judged.describe())
            }
            Some(ids) => {
                let judged = wire::judge_auth_answer(status, body, ids);
                let verdict = Verdict {
                    class: judged.class(),
                    pass: judged.decision().map(|d| d.pass),
                };
                (verdict, judged.describe())
            }
        };
        let why = (verdict.class != OutcomeClass::Success).then_some(description);
        let judged = (verdict, why);
        self.last_body.clear();
        self.last_body.extend_from_slice(body);
        self.last = Some(judged.clone());
        judged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judge_classifies_and_remembers() {
        let mut j = Judge::new(wire::AnswerRule::Decision, None);
        let ok = br#"{"code":200,"msg":"ok","data":{"pass":true}}"#;
        assert_eq!(
            j.judge(200, ok).0,
            Verdict {
                class: OutcomeClass::Success,
                pass: Some(true)
            }
        );
        assert_eq!(j.judge(200, ok).0.pass, Some(true));
        let deny = br#"{"code":200,"msg":"ok","data":{"pass":false}}"#;
        assert_eq!(j.judge(200, deny).0.pass, Some(false));
        let (v, why) = j.judge(200, br#"{"code":500,"msg":"busy","data":{"pass":false}}"#);
        assert_eq!(v.class, OutcomeClass::CodeNotOk);
        assert!(why.unwrap().contains("busy"));
        assert_eq!(j.judge(200, b"nope").0.class, OutcomeClass::Malformed);
        assert_eq!(j.judge(503, ok).0.class, OutcomeClass::HttpStatus);
    }

    /// A server that answers the `i`th request (over all connections) with `script[i]`,
    /// closing the connection afterwards when the entry says so.
    async fn scripted(script: Vec<(&'static [u8], bool)>) -> url::Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/e", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            let mut script = script.into_iter();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = Vec::new();
                loop {
                    // Read one request: the head, then Content-Length bytes.
                    let end = loop {
                        if let Some(end) = http1::find_head_end(&buf, 0) {
                            break end;
                        }
                        if socket.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                            break 0;
                        }
                    };
                    if end == 0 {
                        break;
                    }
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    let length: usize = head
                        .split("content-length: ")
                        .nth(1)
                        .and_then(|r| r.split("\r\n").next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < end + length {
                        socket.read_buf(&mut buf).await.unwrap();
                    }
                    buf.drain(..end + length);
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
        assert_eq!(err.class, OutcomeClass::TransportError, "{err:?}");
        let err = owned(&mut conn, parts).await.unwrap_err();
        assert!(err.message.contains("closed before"), "{err:?}");
        assert_eq!(owned(&mut conn, parts).await, Ok((200, b"{}".to_vec())));
    }

    /// One exchange, with the answer copied out of the connection's buffer.
    async fn owned(conn: &mut Connection, parts: [&[u8]; 3]) -> Result<(u16, Vec<u8>), Failure> {
        conn.exchange(parts.into())
            .await
            .map(|(s, b)| (s, b.to_vec()))
    }

    /// A request whose middle comes from a file arrives byte for byte as the one written
    /// from memory, twice in a row on one kept-alive connection.
    #[tokio::test]
    async fn a_middle_sent_from_its_file_arrives_intact() {
        use std::io::Write as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/e", listener.local_addr().unwrap())).unwrap();
        let (got_tx, mut got) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            loop {
                let end = loop {
                    if let Some(end) = http1::find_head_end(&buf, 0) {
                        break end;
                    }
                    if socket.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                        return;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                let length: usize = head
                    .split("content-length: ")
                    .nth(1)
                    .and_then(|r| r.split("\r\n").next())
                    .and_then(|n| n.parse().ok())
                    .unwrap();
                while buf.len() < end + length {
                    socket.read_buf(&mut buf).await.unwrap();
                }
                let _ = got_tx.send(buf.drain(..end + length).collect());
                let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
                socket.write_all(ok).await.unwrap();
            }
        });
        // A middle large enough to take several sendfile calls' worth of socket buffer.
        let middle: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"ignored prefix").unwrap();
        file.write_all(&middle).unwrap();
        let endpoint = Arc::new(Endpoint::new(&url, &Trust::System).await.unwrap());
        let (back, body_len) = (b"]}".as_slice(), 1 + middle.len() + 2);
        let mut front = Vec::new();
        endpoint.write_head(body_len, &mut front);
        front.push(b'[');
        let request = Request {
            front: &front,
            middle: &middle,
            back,
            middle_file: Some((&file, 14)),
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
            Err(LoadError::Usage(_))
        ));
    }
}
