//! The one HTTP(S) accept loop every facesim server runs on: the device API, the reference
//! receiver and the test receivers. warp 0.4 has no TLS of its own, so connections are
//! accepted here, counted against the caps (`limits`), optionally wrapped in rustls, and
//! served by hyper-util over HTTP/1.1 or HTTP/2, each connection closed when its first
//! request head is slower than the header timeout, or when it has been idle after an answer
//! for longer than the idle timeout.

mod body;
mod limits;
pub(crate) mod read_body;
mod reply;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

pub use body::RequestBody;
pub use limits::raise_open_files_limit;
pub use reply::{error_reply, json_reply, recover};

use body::{AnswerBody, Busy};
use limits::{Admission, Caps, Registry, Slot};

pub use facesim_proto::http1::MAX_HEAD_BYTES;
/// How long in-flight requests may run on after shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a connection told to close while idle (too long, or to make room under a cap)
/// may take: none, since nothing is in progress on it to finish, and a flood of newcomers
/// must not find the room still taken.
const CLOSE_GRACE: Duration = Duration::ZERO;

/// The response type of warp services.
pub type Response = warp::reply::Response;

/// How a server guards itself against slow and greedy clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// How long a new connection may take to deliver its first request head (the TLS
    /// handshake included): a client that trickles it, or says nothing, is cut.
    pub header_timeout: Duration,
    /// How long a kept connection may stay with no request in progress after an answer
    /// before it is closed. Longer than the header timeout, as clients keep their pooled
    /// connections for a minute or more and every close races their next request.
    pub idle_timeout: Duration,
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// The most connections open at once. Beyond it the connection idle longest is
    /// closed to make room, or, when none is idle, the new one is refused.
    pub max_connections: usize,
    /// The most connections open at once from one client address, enforced the same way
    /// among that client's connections.
    pub max_per_client: usize,
}

impl ServeOptions {
    /// A terminal's API: a handful of integrators and browsers, on a device whose open
    /// files are few (1,024 is the usual limit).
    pub const fn terminal() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            handshake_timeout: Duration::from_secs(10),
            max_connections: 256,
            max_per_client: 32,
        }
    }

    /// A receiver: a fleet of terminals, or a load test from one host, each terminal
    /// keeping one connection.
    pub const fn receiver() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            handshake_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_per_client: 1024,
        }
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self::receiver()
    }
}

/// Serves `service` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (up to a few seconds) and returns. With `tls`, every connection is HTTPS. The
/// limits are a receiver's ([`ServeOptions::receiver`]).
///
/// The caller binds the listener (tests use `127.0.0.1:0`), so the address is known before
/// the first request and no port is ever fixed in this module.
pub async fn serve<S>(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    service: S,
    shutdown: impl Future<Output = ()>,
) where
    S: tower_service::Service<http::Request<RequestBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    serve_with(listener, tls, service, ServeOptions::receiver(), shutdown).await;
}

/// [`serve`] with the given limits.
pub async fn serve_with<S>(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    service: S,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) where
    S: tower_service::Service<http::Request<RequestBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    run(listener, tls, service, options, |_| None, shutdown).await;
}

/// [`serve`], with `pace` asked after every accept how long to wait before the next one,
/// given how many connections are open then. Only the zoo paces: a receiver whose accept
/// loop stalls is one of the faults a terminal meets.
pub(crate) async fn serve_paced<S>(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    service: S,
    pace: impl FnMut(usize) -> Option<Duration>,
    shutdown: impl Future<Output = ()>,
) where
    S: tower_service::Service<http::Request<RequestBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    run(
        listener,
        tls,
        service,
        ServeOptions::receiver(),
        pace,
        shutdown,
    )
    .await;
}

/// A connection's byte stream, plain or TLS, so that both are served by one code path.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn run<S>(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    service: S,
    options: ServeOptions,
    mut pace: impl FnMut(usize) -> Option<Duration>,
    shutdown: impl Future<Output = ()>,
) where
    S: tower_service::Service<http::Request<RequestBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let registry = Registry::new(Caps {
        total: options.max_connections,
        per_client: options.max_per_client,
    });
    let acceptor = tls.map(TlsAcceptor::from);
    let (stop, stopped) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The idle clock of each connection (below) times request heads, for both versions
    // alike; hyper's own header timeout would also close kept connections after it.
    builder
        .http1()
        .max_buf_size(MAX_HEAD_BYTES.max(8192))
        .header_read_timeout(None);
    builder
        .http2()
        .max_header_list_size(u32::try_from(MAX_HEAD_BYTES).unwrap_or(u32::MAX));
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = accept(&listener) => accepted,
            () = &mut shutdown => break,
        };
        // Counted and capped before any TLS work, so that refusing costs one accept.
        let registration = match registry.admit(peer.ip()) {
            Admission::Admitted(registration) => registration,
            Admission::Refused => continue,
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            slot: registration.slot().clone(),
            options,
            stopped: stopped.clone(),
        };
        let service = Tracked {
            inner: service.clone(),
            slot: connection.slot.clone(),
        };
        let builder = builder.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _registration = registration;
            let mut connection = connection;
            let io: Box<dyn Io> = match acceptor {
                None => Box::new(stream),
                Some(acceptor) => match connection.handshake(&acceptor, stream, peer).await {
                    Some(tls) => tls,
                    None => return,
                },
            };
            let conn = builder.serve_connection_with_upgrades(
                TokioIo::new(io),
                TowerToHyperService::new(service),
            );
            tokio::pin!(conn);
            // Until told to close, the connection runs; then, unless it is idle, it gets a
            // grace period to end by itself (hyper finishes what is in progress) before it
            // is dropped.
            let mut close_by: Option<Instant> = None;
            loop {
                let reason = tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        return;
                    }
                    () = sleep_until(close_by), if close_by.is_some() => {
                        tracing::debug!(%peer, "connection dropped after its grace period");
                        return;
                    }
                    reason = connection.close_reason(), if close_by.is_none() => reason,
                };
                let Some((why, grace)) = reason else {
                    continue;
                };
                tracing::debug!(%peer, "closing the connection: {why}");
                if grace.is_zero() {
                    return;
                }
                conn.as_mut().graceful_shutdown();
                close_by = Some(Instant::now() + grace);
            }
        });
        if let Some(wait) = pace(registry.open()) {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut shutdown => break,
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    if tokio::time::timeout(DRAIN_TIMEOUT, registry.emptied())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {DRAIN_TIMEOUT:?}");
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What a connection's task watches besides hyper: its idle clock, the caps and the
/// server's shutdown.
struct Connection {
    slot: Arc<Slot>,
    options: ServeOptions,
    stopped: watch::Receiver<bool>,
}

impl Connection {
    /// The TLS handshake, within its timeout, given up when the connection must close.
    async fn handshake(
        &mut self,
        acceptor: &TlsAcceptor,
        stream: tokio::net::TcpStream,
        peer: std::net::SocketAddr,
    ) -> Option<Box<dyn Io>> {
        let handshake =
            tokio::time::timeout(self.options.handshake_timeout, acceptor.accept(stream));
        tokio::select! {
            done = handshake => match done {
                Ok(Ok(tls)) => {
                    // An HTTP/2 client has said what it speaks and keeps the connection
                    // for requests to come, often unused at first (a pool's spare): it
                    // idles like a kept connection, not like a head still on its way.
                    if tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice()) {
                        self.slot.keep();
                    }
                    Some(Box::new(tls))
                }
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    None
                }
            },
            () = self.slot.evicted() => None,
            _ = self.stopped.wait_for(|stop| *stop) => None,
        }
    }

    /// Waits until the connection must close, and says why and how long it may take;
    /// `None` when only the idle clock needs looking at again.
    async fn close_reason(&mut self) -> Option<(&'static str, Duration)> {
        let limit = if self.slot.served() {
            self.options.idle_timeout
        } else {
            self.options.header_timeout
        };
        let idle_at = self.slot.idle_deadline(limit);
        tokio::select! {
            () = self.slot.evicted() => Some(("making room under a connection cap", CLOSE_GRACE)),
            _ = self.stopped.wait_for(|stop| *stop) => Some(("the server is stopping", DRAIN_TIMEOUT)),
            // While a request is in progress there is no deadline; look again later.
            () = tokio::time::sleep_until(idle_at.unwrap_or_else(|| Instant::now() + limit)) => {
                let idle = self.slot.idle_deadline(limit).is_some_and(|at| at <= Instant::now());
                idle.then_some(("no request within the header or idle timeout", CLOSE_GRACE))
            }
        }
    }
}

/// The routes' service, seen by hyper: request bodies become [`RequestBody`], and each
/// request counts as in progress on its connection until its answer is written.
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    slot: Arc<Slot>,
}

impl<S, B> tower_service::Service<http::Request<Incoming>> for Tracked<S>
where
    S: tower_service::Service<
            http::Request<RequestBody>,
            Response = http::Response<B>,
            Error = Infallible,
        >,
    S::Future: Send + 'static,
{
    type Response = http::Response<AnswerBody<B>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Incoming>) -> Self::Future {
        let busy = Busy::begin(self.slot.clone());
        let answer = self.inner.call(request.map(RequestBody::new));
        Box::pin(async move {
            let answer = answer.await?;
            Ok(answer.map(|body| AnswerBody::new(body, busy)))
        })
    }
}

/// Accepts the next connection. Accept errors (running out of file descriptors, a
/// connection reset before it was taken) are transient: back off briefly and go on,
/// rather than spinning or giving up on the server.
pub async fn accept(listener: &TcpListener) -> (tokio::net::TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(pair) => return pair,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
