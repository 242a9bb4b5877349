//! The one HTTP(S) accept loop every facesim server runs on: the device API, the reference
//! receiver and the test receivers. warp 0.4 has no TLS of its own, so connections are
//! accepted here, optionally wrapped in rustls, and served by hyper-util.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Largest request head (request line plus headers) any facesim server reads. Real
/// terminals and receivers send a few hundred bytes; anything near this is hostile.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests may run on after shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The response type of warp services.
pub type Response = warp::reply::Response;

/// Serves `service` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (up to a few seconds) and returns. With `tls`, every connection is HTTPS.
///
/// The caller binds the listener (tests use `127.0.0.1:0`), so the address is known before
/// the first request and no port is ever fixed in this module.
pub async fn serve<S>(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    service: S,
    shutdown: impl Future<Output = ()>,
) where
    S: tower_service::Service<http::Request<Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    serve_paced(listener, tls, service, |_| None, shutdown).await;
}

/// [`serve`], with `pace` asked after every accept how long to wait before the next one,
/// given how many connections are open then. Only the zoo paces: a receiver whose accept
/// loop stalls is one of the faults a terminal meets.
pub(crate) async fn serve_paced<S>(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    service: S,
    mut pace: impl FnMut(usize) -> Option<Duration>,
    shutdown: impl Future<Output = ()>,
) where
    S: tower_service::Service<http::Request<Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let acceptor = tls.map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().max_buf_size(MAX_HEAD_BYTES.max(8192));
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
        let _ = stream.set_nodelay(true);
        let open_now = open.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let guard = OpenGuard(open.clone());
        let svc = TowerToHyperService::new(service.clone());
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let result = match acceptor {
                None => {
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
                    watcher.watch(conn.into_owned()).await
                }
                Some(acceptor) => {
                    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), svc);
                    watcher.watch(conn.into_owned()).await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
        if let Some(wait) = pace(open_now) {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut shutdown => break,
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {DRAIN_TIMEOUT:?}");
    }
}

/// Counts a connection as open for as long as its task lives.
struct OpenGuard(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
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

/// A JSON reply with the given HTTP status.
pub fn json_reply<T: serde::Serialize>(status: http::StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(bytes.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// The device's error envelope: `{"code": <status>, "msg": .., "data": null}`, with the
/// HTTP status matching `code`, so clients that read either agree.
pub fn error_reply(status: http::StatusCode, msg: impl Into<String>) -> Response {
    let envelope = crate::wire::Envelope::<Option<crate::wire::Empty>> {
        code: i64::from(status.as_u16()),
        msg: msg.into(),
        data: None,
    };
    json_reply(status, &envelope)
}

/// Turns every warp rejection (unknown path, wrong method, oversized or missing body,
/// bad headers) into the JSON error envelope, so no request ever gets a bare text error.
pub async fn recover(rejection: warp::Rejection) -> Result<Response, Infallible> {
    use warp::reject;
    let (status, msg) = if let Some(e) = rejection.find::<crate::body::BodyError>() {
        match e {
            crate::body::BodyError::TooLarge => (
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large".to_string(),
            ),
            crate::body::BodyError::Unreadable => (
                http::StatusCode::BAD_REQUEST,
                "request body ended before it was complete".to_string(),
            ),
        }
    } else if rejection.is_not_found() {
        (http::StatusCode::NOT_FOUND, "no such path".to_string())
    } else if rejection.find::<reject::PayloadTooLarge>().is_some() {
        (
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large".into(),
        )
    } else if rejection.find::<reject::LengthRequired>().is_some() {
        (
            http::StatusCode::LENGTH_REQUIRED,
            "request body needs a Content-Length".into(),
        )
    } else if rejection.find::<reject::MethodNotAllowed>().is_some() {
        (
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on this path".into(),
        )
    } else if rejection.find::<reject::UnsupportedMediaType>().is_some() {
        (
            http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json".into(),
        )
    } else if let Some(e) = rejection.find::<reject::InvalidHeader>() {
        (http::StatusCode::BAD_REQUEST, e.to_string())
    } else if let Some(e) = rejection.find::<reject::MissingHeader>() {
        (http::StatusCode::BAD_REQUEST, e.to_string())
    } else {
        tracing::debug!(?rejection, "unhandled rejection");
        (http::StatusCode::BAD_REQUEST, "bad request".into())
    };
    Ok(error_reply(status, msg))
}
