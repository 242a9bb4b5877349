//! Delivery of one event to a receiver, and the classification of what came back. Both the
//! simulated device and the push and load commands send through a [`Pusher`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::net::{Connection, Endpoint, Origin, Request};
use crate::profile::ApiVersion;
use crate::tls::{self, Trust};
use crate::wire::{self, Answer, AnswerRule, AuthAnswer, Destination, Identity, Outcome};

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Time allowed for the whole exchange: connect, send, answer.
    pub timeout: Duration,
    /// How `https` receivers are verified.
    pub trust: Trust,
    /// Idle connections kept per receiver host; 0 opens a fresh connection for every event.
    pub idle_per_host: usize,
    /// The API version whose answer rule judges what comes back.
    pub api: ApiVersion,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            timeout: crate::profile::ANSWER_TIMEOUT,
            trust: Trust::System,
            idle_per_host: 64,
            api: ApiVersion::default(),
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The TLS configuration was refused.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// One push and how long it took, from the start of the request to the end of the answer.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub latency: Duration,
    pub outcome: Outcome<Answer>,
}

/// An HTTP client that pushes event bodies to receivers, over the workspace's one
/// HTTP/1.1 layer ([`crate::net`]). Cheap to clone; clones share their idle connections.
#[derive(Debug, Clone)]
pub struct Pusher {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    timeout: Duration,
    rule: AnswerRule,
    identity_headers: bool,
    idle_per_host: usize,
    /// Built once: the platform verifier is not free to start.
    tls: Arc<rustls::ClientConfig>,
    /// Per destination URL: its resolved endpoint and the connections idle on it.
    pool: Mutex<HashMap<url::Url, Idle>>,
}

#[derive(Debug)]
struct Idle {
    endpoint: Arc<Endpoint>,
    connections: Vec<Connection>,
}

/// Destinations whose endpoints are kept; a device has one, `push` one, so this only
/// bounds a client fed ever new URLs.
const MAX_ENDPOINTS: usize = 64;

impl Pusher {
    /// Builds a client.
    ///
    /// # Errors
    /// [`PushError::Client`] when the TLS trust cannot be set up.
    pub fn new(options: &PushOptions) -> Result<Self, PushError> {
        let tls =
            tls::client_config(&options.trust).map_err(|e| PushError::Client(e.to_string()))?;
        let profile = options.api.profile();
        Ok(Self {
            shared: Arc::new(Shared {
                timeout: options.timeout,
                rule: profile.answer,
                identity_headers: profile.identity_headers,
                idle_per_host: options.idle_per_host,
                tls,
                pool: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The answer timeout this client applies.
    pub fn timeout(&self) -> Duration {
        self.shared.timeout
    }

    /// POSTs one JSON event body and classifies what came back. Never fails: every kind of
    /// failure is an [`Outcome`].
    pub async fn push(&self, dest: &Destination, body: Bytes) -> Delivery {
        self.push_as(dest, body, None).await
    }

    /// [`Pusher::push`] from the device `identity` at Unix time `now`: the push carries its
    /// headers when the API version has them (from 1.2.1).
    pub async fn push_as(
        &self,
        dest: &Destination,
        body: Bytes,
        identity: Option<(&Identity, i64)>,
    ) -> Delivery {
        // tokio's clock, like every timer of the device, so that under a test's paused time
        // latencies follow the virtual clock the timeouts run on.
        let start = Instant::now();
        let outcome = match self.post_json(dest.url(), &body, identity).await {
            Ok((status, answer)) => wire::judge_answer(status, &answer, self.shared.rule),
            Err(outcome) => outcome,
        };
        Delivery {
            latency: start.elapsed(),
            outcome,
        }
    }

    /// POSTs a JSON body (with the identity headers where the version has them) and reads
    /// the whole answer (bounded): its status and bytes, or the failure as an [`Outcome`]
    /// (timeout, connect or transport error).
    async fn post_json<A>(
        &self,
        url: &url::Url,
        body: &[u8],
        identity: Option<(&Identity, i64)>,
    ) -> Result<(u16, Vec<u8>), Outcome<A>> {
        let headers = identity
            .filter(|_| self.shared.identity_headers)
            .map(|(identity, now)| identity.headers(now));
        let mut extra: Vec<(&str, &str)> = vec![crate::net::JSON_CONTENT_TYPE];
        for (name, value) in headers.iter().flatten() {
            extra.push((name, value));
        }
        self.send(url, "POST", &extra, body).await
    }

    /// Sends one request on an idle connection to `url` (or a new one) within the
    /// timeout, and gives the connection back when the server kept it open.
    async fn send<A>(
        &self,
        url: &url::Url,
        method: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), Outcome<A>> {
        let exchange = async {
            let mut conn = self.checkout(url).await?;
            let mut head = Vec::with_capacity(256);
            conn.endpoint()
                .write_head_with(method, None, headers, body.len(), &mut head);
            let request = Request {
                front: &head,
                middle: body,
                back: &[],
            };
            let answered = conn
                .exchange(request)
                .await
                .map(|(status, answer)| (status, answer.to_vec()));
            self.checkin(url, conn);
            answered.map_err(Outcome::from)
        };
        // A timed-out exchange drops its connection with the future: it is mid-answer.
        tokio::time::timeout(self.shared.timeout, exchange)
            .await
            .unwrap_or(Err(Outcome::Timeout))
    }

    /// An idle connection to `url`, or a new one on its (cached) endpoint.
    async fn checkout<A>(&self, url: &url::Url) -> Result<Connection, Outcome<A>> {
        if let Some(idle) = self.lock().get_mut(url) {
            return Ok(idle
                .connections
                .pop()
                .unwrap_or_else(|| Connection::new(idle.endpoint.clone())));
        }
        let origin = Origin::new(url).map_err(|e| Outcome::Connect(e.to_string()))?;
        let tls = origin.tls(&self.shared.tls);
        let endpoint = Endpoint::with_tls(origin, tls)
            .await
            .map_err(|e| Outcome::Connect(e.to_string()))?;
        let endpoint = Arc::new(endpoint);
        let mut pool = self.lock();
        if pool.len() >= MAX_ENDPOINTS {
            pool.clear();
        }
        pool.entry(url.clone()).or_insert_with(|| Idle {
            endpoint: endpoint.clone(),
            connections: Vec::new(),
        });
        Ok(Connection::new(endpoint))
    }

    /// Keeps `conn` for the next request to `url`, up to the idle limit.
    fn checkin(&self, url: &url::Url, conn: Connection) {
        if !conn.is_open() {
            return;
        }
        if let Some(idle) = self.lock().get_mut(url)
            && idle.connections.len() < self.shared.idle_per_host
        {
            idle.connections.push(conn);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<url::Url, Idle>> {
        // A panic elsewhere cannot leave the map inconsistent: every change is one call.
        self.shared
            .pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// POSTs a remote-authentication callback body to `dest` (with the identity headers
    /// where the version has them) and judges the answer by the same classifier as a push
    /// answer, `data.user_id` typed as `ids` says. Never fails: every failure is an
    /// [`Outcome`].
    pub async fn authenticate(
        &self,
        dest: &Destination,
        body: Bytes,
        identity: Option<(&Identity, i64)>,
        ids: wire::IdKind,
    ) -> AuthDelivery {
        let start = Instant::now();
        let outcome = match self.post_json(dest.url(), &body, identity).await {
            Ok((status, answer)) => wire::judge_auth_answer(status, &answer, ids),
            Err(outcome) => outcome,
        };
        AuthDelivery {
            latency: start.elapsed(),
            outcome,
        }
    }

    /// The remote-authentication heartbeat: `GET` on `dest`; the HTTP status, or why none
    /// came.
    ///
    /// # Errors
    /// One line saying why there was no answer (timeout, refused, reset).
    pub async fn heartbeat(&self, dest: &Destination) -> Result<u16, String> {
        match self.send::<Answer>(dest.url(), "GET", &[], &[]).await {
            Ok((status, _)) => Ok(status),
            Err(outcome) => Err(outcome.describe()),
        }
    }
}

/// One callback and how long it took.
#[derive(Debug, Clone)]
pub struct AuthDelivery {
    pub latency: Duration,
    pub outcome: Outcome<AuthAnswer>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::OutcomeClass;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    /// A server that answers every request with `answer` (or never, for `None`) and
    /// reports each request head with the number of the connection it came on.
    async fn server(
        answer: Option<&'static [u8]>,
    ) -> (Destination, mpsc::UnboundedReceiver<(usize, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dest =
            Destination::parse(&format!("http://{}/e", listener.local_addr().unwrap())).unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut connection = 0;
            while let Ok((mut socket, _)) = listener.accept().await {
                connection += 1;
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut reader = crate::net::RequestReader::new();
                    while let Ok(Some(request)) = reader.next(&mut socket, u64::MAX).await {
                        let head = String::from_utf8_lossy(request.head()).into_owned();
                        let _ = tx.send((connection, head));
                        match answer {
                            Some(a) => socket.write_all(a).await.unwrap(),
                            // Hold the connection open and never answer.
                            None => std::future::pending::<()>().await,
                        }
                    }
                });
            }
        });
        (dest, rx)
    }

    const OK: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Length: 44\r\n\r\n{\"code\":200,\"msg\":\"ok\",\"data\":{\"pass\":true}}";

    #[tokio::test]
    async fn pushes_share_one_kept_connection_and_say_they_are_json() {
        let (dest, mut heads) = server(Some(OK)).await;
        let pusher = Pusher::new(&PushOptions::default()).unwrap();
        for _ in 0..3 {
            let d = pusher.push(&dest, Bytes::from_static(b"{\"a\":1}")).await;
            assert_eq!(
                d.outcome.answer().and_then(|a| a.pass),
                Some(true),
                "{:?}",
                d.outcome
            );
        }
        for _ in 0..3 {
            let (connection, head) = heads.recv().await.unwrap();
            assert_eq!(connection, 1, "a push opened a connection of its own");
            assert!(head.starts_with("POST /e HTTP/1.1\r\n"), "{head}");
            assert!(
                head.contains("Content-Type: application/json\r\n"),
                "{head}"
            );
            assert!(head.contains("Content-Length: 7\r\n"), "{head}");
        }
        // No idle connections kept: each push opens its own.
        let (dest, mut heads) = server(Some(OK)).await;
        let options = PushOptions {
            idle_per_host: 0,
            ..PushOptions::default()
        };
        let fresh = Pusher::new(&options).unwrap();
        for want in 1..=2 {
            assert!(
                fresh
                    .push(&dest, Bytes::from_static(b"{}"))
                    .await
                    .outcome
                    .is_success()
            );
            assert_eq!(heads.recv().await.unwrap().0, want);
        }
    }

    #[tokio::test]
    async fn the_heartbeat_is_a_get_without_a_body() {
        let (dest, mut heads) = server(Some(b"HTTP/1.1 204 No Content\r\n\r\n")).await;
        let pusher = Pusher::new(&PushOptions::default()).unwrap();
        assert_eq!(pusher.heartbeat(&dest).await, Ok(204));
        let (_, head) = heads.recv().await.unwrap();
        assert!(head.starts_with("GET /e HTTP/1.1\r\n"), "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("content-length"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn silence_is_a_timeout_and_the_connection_is_not_reused() {
        tokio::time::pause();
        let (dest, mut heads) = server(None).await;
        let pusher = Pusher::new(&PushOptions::default()).unwrap();
        for want in 1..=2 {
            let d = pusher.push(&dest, Bytes::from_static(b"{}")).await;
            assert_eq!(d.outcome, Outcome::Timeout);
            assert!(
                d.latency >= crate::profile::ANSWER_TIMEOUT,
                "{:?}",
                d.latency
            );
            assert_eq!(heads.recv().await.unwrap().0, want);
        }
        let refused = Destination::parse("http://127.0.0.1:9/e").unwrap();
        let d = pusher.push(&refused, Bytes::from_static(b"{}")).await;
        assert_eq!(
            d.outcome.class(),
            OutcomeClass::ConnectError,
            "{:?}",
            d.outcome
        );
    }
}
