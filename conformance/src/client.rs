//! A small HTTP/1.1 client that sends exactly the bytes a check asks for. General-purpose
//! clients add headers, fix Content-Types, pool connections and retry; a conformance suite
//! must control all of that, see whether the receiver kept the connection open, and still
//! read an answer that arrives before the body is fully sent (a 413 to a huge body). So
//! the request is written and the answer read at the same time. It is a thin driver on
//! facesim's HTTP/1.1 layer: the URL is taken apart by its `Origin`, the connection is
//! its `Stream` (plain TCP or rustls), the head is written and the answer framed by its
//! `http1` framer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use facesim::net::{Origin, Stream, Tls};
use facesim::tls::Trust;
use facesim_proto::http1;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use url::Url;

use crate::wireio::{self, Failure, Response};

/// Why the client could not be set up for a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not an absolute http or https URL with a host.
    #[error("target `{0}` is not an http or https URL with a host")]
    BadUrl(String),
    /// The TLS configuration could not be built.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// One request to the target: a POST with this Content-Type (or none) and body, or a
/// GET (a remote-authentication server's heartbeat), which has neither.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub content_type: Option<String>,
    pub body: Bytes,
    /// Whether the target's identity headers go with it.
    pub identity: bool,
}

/// The HTTP methods a terminal uses: POST for pushes and callbacks, GET for heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    #[default]
    Post,
    Get,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Get => "GET",
        }
    }
}

impl Request {
    /// A request labelled `application/json`, as a terminal sends it.
    pub fn json(body: impl Into<Bytes>) -> Self {
        Self {
            method: Method::Post,
            content_type: Some("application/json".into()),
            body: body.into(),
            identity: true,
        }
    }
}

/// The receiver under test: where to connect and how to speak to it.
#[derive(Clone)]
pub struct Target {
    origin: Origin,
    tls: Option<Tls>,
    /// Headers every request carries, as the terminal's firmware sends them (the
    /// identity headers from API 1.2.1).
    identity: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.origin.url().as_str())
            .finish()
    }
}

impl Target {
    /// Prepares a target; nothing is connected yet.
    ///
    /// # Errors
    /// [`ClientError`] when the URL is unusable or the trust cannot be set up.
    pub fn new(url: &Url, trust: &Trust) -> Result<Self, ClientError> {
        let origin = Origin::new(url).map_err(|_| ClientError::BadUrl(url.to_string()))?;
        let tls = origin
            .tls_under(trust)
            .map_err(|e| ClientError::Tls(e.to_string()))?;
        Ok(Self {
            origin,
            tls,
            identity: Vec::new(),
        })
    }

    /// The target with headers that every request carries from now on (the identity
    /// headers of API 1.2.1 and later).
    #[must_use]
    pub fn with_identity(mut self, headers: Vec<(&'static str, String)>) -> Self {
        self.identity = headers;
        self
    }

    pub fn is_https(&self) -> bool {
        self.tls.is_some()
    }

    /// Opens and closes a TCP connection: tells a target that cannot be reached from one
    /// that misbehaves once connected.
    ///
    /// # Errors
    /// [`Failure::Connect`].
    pub async fn reach(&self) -> Result<(), Failure> {
        TcpStream::connect(self.origin.host_port())
            .await
            .map(drop)
            .map_err(|e| Failure::Connect(e.to_string()))
    }

    /// Opens a fresh connection (TCP, then TLS for https) within `limit`, and says how
    /// long each part took: the TCP connect apart from the whole, since a connect that
    /// waited for a SYN retransmission tells of the receiver's listen backlog, not of its
    /// answers.
    ///
    /// # Errors
    /// [`Failure::Connect`] (also when no connection was made within `limit`) or
    /// [`Failure::Tls`], with the time spent trying.
    pub async fn open(
        &self,
        limit: Duration,
    ) -> Result<(Connection, ConnectTime), (Failure, ConnectTime)> {
        let start = Instant::now();
        let tcp =
            match tokio::time::timeout(limit, TcpStream::connect(self.origin.host_port())).await {
                Ok(Ok(tcp)) => tcp,
                Ok(Err(e)) => {
                    return Err((Failure::Connect(e.to_string()), ConnectTime::failed(start)));
                }
                Err(_) => {
                    let failure =
                        Failure::Connect(format!("no connection within {} ms", limit.as_millis()));
                    return Err((failure, ConnectTime::failed(start)));
                }
            };
        let tcp_time = start.elapsed();
        let _ = tcp.set_nodelay(true);
        let left = limit.saturating_sub(tcp_time);
        let stream = match tokio::time::timeout(left, Stream::secure(tcp, self.tls.as_ref())).await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                let time = ConnectTime {
                    tcp: tcp_time,
                    total: start.elapsed(),
                };
                return Err((Failure::Tls(facesim::net::error_chain(&e)), time));
            }
            Err(_) => {
                let time = ConnectTime {
                    tcp: tcp_time,
                    total: start.elapsed(),
                };
                let failure = Failure::Tls(format!("no handshake within {} ms", limit.as_millis()));
                return Err((failure, time));
            }
        };
        let time = ConnectTime {
            tcp: tcp_time,
            total: start.elapsed(),
        };
        Ok((
            Connection {
                stream,
                answered: 0,
            },
            time,
        ))
    }

    /// Sends one request on a fresh connection and reads the answer: the connection may
    /// take up to `limit` to open, and the answer up to `limit` from the first byte sent.
    /// The connection is returned for reuse when the receiver kept it open.
    pub async fn exchange(&self, request: &Request, limit: Duration) -> Exchange {
        let (mut connection, connect) = match self.open(limit).await {
            Ok(opened) => opened,
            Err((failure, connect)) => {
                return Exchange {
                    connect: Some(connect),
                    elapsed: Duration::ZERO,
                    connection: None,
                    result: Err(failure),
                };
            }
        };
        let (elapsed, result) = connection.send_within(self, request, limit).await;
        let reusable = matches!(&result, Ok(r) if r.reusable);
        Exchange {
            connect: Some(connect),
            elapsed,
            connection: reusable.then_some(connection),
            result,
        }
    }

    /// The request head for `request`.
    fn head(&self, request: &Request) -> Vec<u8> {
        let user_agent = concat!("facecert/", env!("CARGO_PKG_VERSION"));
        let mut headers = vec![("User-Agent", user_agent)];
        if let Some(ct) = &request.content_type {
            headers.push(("Content-Type", ct));
        }
        if request.identity {
            headers.extend(self.identity.iter().map(|(n, v)| (*n, v.as_str())));
        }
        // A GET without a body sends no Content-Length, as every client does.
        let length = (request.method == Method::Post || !request.body.is_empty())
            .then_some(request.body.len());
        let mut head = Vec::with_capacity(256);
        http1::write_request_head(
            &mut head,
            request.method.as_str(),
            self.origin.target(),
            self.origin.authority(),
            &headers,
            length,
        );
        head
    }
}

/// How long opening a connection took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectTime {
    /// The TCP handshake alone.
    pub tcp: Duration,
    /// TCP and, for https, the TLS handshake.
    pub total: Duration,
}

impl ConnectTime {
    /// The time of an attempt that made no connection.
    fn failed(start: Instant) -> Self {
        let spent = start.elapsed();
        Self {
            tcp: spent,
            total: spent,
        }
    }

    /// Whether the TCP handshake waited for a retransmitted SYN. A SYN the receiver's
    /// kernel dropped (its listen backlog was full) is sent again after the initial
    /// retransmission timeout of one second; nothing else makes a connect take that long
    /// on a network fit for a door terminal.
    pub fn waited_for_syn_retransmission(&self) -> bool {
        self.tcp >= SYN_RETRANSMISSION
    }
}

/// A TCP connect at least this long waited for a SYN retransmission (the initial
/// retransmission timeout is 1 s; a little less allows for timer slack).
pub const SYN_RETRANSMISSION: Duration = Duration::from_millis(950);

/// What one exchange on a fresh connection came to.
#[derive(Debug)]
pub struct Exchange {
    /// How long the connection took to open (absent when it was already open).
    pub connect: Option<ConnectTime>,
    /// From the first byte of the request sent to the end of the answer (or the failure).
    pub elapsed: Duration,
    pub result: Result<Response, Failure>,
    /// The connection, when the receiver kept it open.
    pub connection: Option<Connection>,
}

/// An open connection to the target.
pub struct Connection {
    stream: Stream,
    answered: usize,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("answered", &self.answered)
            .finish()
    }
}

impl Connection {
    /// How many answers this connection has carried.
    pub fn answered(&self) -> usize {
        self.answered
    }

    /// Sends `request` and reads the answer within `limit`, measured from the first byte
    /// sent; returns the time taken with the outcome.
    pub async fn send_within(
        &mut self,
        target: &Target,
        request: &Request,
        limit: Duration,
    ) -> (Duration, Result<Response, Failure>) {
        let start = Instant::now();
        match tokio::time::timeout(limit, self.send(target, request)).await {
            Ok(result) => (start.elapsed(), result),
            Err(_) => (limit, Err(Failure::Timeout(limit))),
        }
    }

    /// Sends `request` and reads the answer. The body is written while the answer is read,
    /// so an early answer (a refusal before the body is complete) is still seen.
    ///
    /// # Errors
    /// A [`Failure`] saying how the exchange broke; the connection is then unusable.
    pub async fn send(&mut self, target: &Target, request: &Request) -> Result<Response, Failure> {
        let head = target.head(request);
        let total = (head.len() + request.body.len()) as u64;
        let (mut reader, mut writer) = tokio::io::split(&mut self.stream);
        // Shared with the writing future; atomic only so that the future stays `Send`.
        let sent = AtomicU64::new(0);
        let write = async {
            writer.write_all(&head).await?;
            sent.fetch_add(head.len() as u64, Ordering::Relaxed);
            for chunk in request.body.chunks(64 * 1024) {
                writer.write_all(chunk).await?;
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            writer.flush().await
        };
        let read = wireio::read_response(&mut reader);
        tokio::pin!(write, read);
        let mut write_error: Option<std::io::Error> = None;
        let mut written = false;
        let outcome = loop {
            tokio::select! {
                done = &mut write, if !written => {
                    written = true;
                    if let Err(e) = done {
                        write_error = Some(e);
                    }
                }
                answer = &mut read => break answer,
            }
        };
        let sent = sent.load(Ordering::Relaxed);
        match outcome {
            Ok(mut response) => {
                // An answer before the whole request was taken leaves the connection in
                // an unknown state, whatever its headers say.
                response.reusable &= written && write_error.is_none();
                self.answered += 1;
                Ok(response)
            }
            Err(Failure::Closed { reason, .. }) => Err(Failure::Closed {
                sent,
                total,
                reason: write_error.map(|e| e.to_string()).or(reason),
            }),
            Err(other) => Err(other),
        }
    }
}
