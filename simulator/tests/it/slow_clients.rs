//! Slow and greedy clients cannot take a server down: request heads that trickle are cut
//! by the header timeout, connections over a cap make room by closing the longest idle
//! one, and the device API and the reference receiver keep their latency while 1,500
//! clients trickle request heads at them.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use facesim::receiver::ReceiverConfig;
use facesim::server::{self, ServeOptions};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch};
use warp::Filter;

use crate::support::{device, device_config, receiver};

/// The slow clients of the load tests.
const SLOW_CLIENTS: usize = 1_500;
/// The addresses they come from (127.0.0.2 and up), so that they fill the total cap as
/// well as each address's.
const SLOW_ADDRESSES: usize = 100;

/// Starts a server answering `200 {"ok":true}` on every path, with `options`.
async fn plain_server(options: ServeOptions) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let route = warp::any()
        .map(|| server::json_reply(http::StatusCode::OK, &serde_json::json!({"ok": true})));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server::serve_with(
        listener,
        None,
        warp::service(route),
        options,
        async {
            let _ = stopped.await;
        },
    ));
    (addr, stop)
}

/// Connects to `to` from `from` (any address of 127.0.0.0/8 is the loopback).
async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

fn loopback(n: usize) -> IpAddr {
    let n = u32::try_from(n).unwrap();
    IpAddr::from(std::net::Ipv4Addr::from(0x7f00_0000_u32 + n))
}

/// Writes `lines` one every `every` (the first at once), and returns as soon as the server
/// closes the connection: true when it did before the lines ran out.
async fn trickle<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    lines: &[&str],
    every: Duration,
) -> bool {
    let (mut read, mut write) = tokio::io::split(stream);
    let closed = async {
        let mut buf = [0u8; 1024];
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    // The pacing is the slow client under test, one line every `every`, not a wait for
    // the server: what the server does is read off the connection's close above.
    let writes = async {
        let mut pace = tokio::time::interval(every);
        pace.tick().await;
        for line in lines {
            if write.write_all(line.as_bytes()).await.is_err() {
                // Written into a closed connection: wait for the read side to say so.
                std::future::pending::<()>().await;
            }
            pace.tick().await;
        }
    };
    tokio::select! {
        () = closed => true,
        () = writes => false,
    }
}

/// A request head that never ends: one header line at a time.
fn endless_head() -> Vec<&'static str> {
    let mut lines = vec!["GET /slow HTTP/1.1\r\n", "Host: device\r\n"];
    lines.extend(std::iter::repeat_n("X-Still-Coming: yes\r\n", 40));
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_that_trickle_and_idle_connections_are_cut_by_their_timeouts() {
    let options = ServeOptions {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(600),
        ..ServeOptions::receiver()
    };
    let (addr, _stop) = plain_server(options).await;
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    // A line every 100 ms for 4 s: alive all along, but the head never completes.
    for _ in 0..10 {
        clients.spawn(async move {
            let stream = TcpStream::connect(addr).await.unwrap();
            (
                "trickling head",
                trickle(stream, &endless_head(), Duration::from_millis(100)).await,
            )
        });
    }
    // Silent after connecting; and the start of an HTTP/2 preface that never ends.
    for (what, first) in [
        ("silent", ""),
        ("half an HTTP/2 preface", "PRI * HTTP/2.0\r\n"),
    ] {
        for _ in 0..5 {
            clients.spawn(async move {
                let stream = TcpStream::connect(addr).await.unwrap();
                let lines = std::iter::once(first)
                    .chain(std::iter::repeat_n("", 40))
                    .collect::<Vec<_>>();
                (
                    what,
                    trickle(stream, &lines, Duration::from_millis(100)).await,
                )
            });
        }
    }
    // A kept connection that answered once and then stays idle.
    clients.spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /once HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        let idle = std::iter::repeat_n("", 40).collect::<Vec<_>>();
        (
            "idle after an answer",
            trickle(stream, &idle, Duration::from_millis(100)).await,
        )
    });
    while let Some(done) = clients.join_next().await {
        let (what, cut) = done.unwrap();
        assert!(cut, "a {what} connection was never cut");
    }
    // All cut well before their 4 s of trickling ran out.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // And the server still answers.
    let answer = reqwest::get(format!("http://{addr}/after")).await.unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_cap_the_longest_idle_connection_makes_room_for_a_new_client() {
    facesim::tls::install_crypto_provider();
    let options = ServeOptions {
        max_connections: 6,
        max_per_client: 3,
        ..ServeOptions::receiver()
    };
    let (addr, _stop) = plain_server(options).await;
    let greedy = loopback(2);
    // Three idle connections from one address, then a fourth: the first one is closed.
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(connect_from(greedy, addr).await.unwrap());
    }
    let mut fourth = connect_from(greedy, addr).await.unwrap();
    let mut buf = [0u8; 64];
    let eof = tokio::time::timeout(Duration::from_secs(5), idle[0].read(&mut buf))
        .await
        .expect("the longest idle connection was not closed");
    assert!(matches!(eof, Ok(0) | Err(_)), "{eof:?}");
    fourth
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    fourth.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
    // Other addresses fill the total cap; the next client still gets in, at the cost of
    // the longest idle connection of anyone (one of the greedy address's).
    let mut others = Vec::new();
    for n in 3..7 {
        others.push(connect_from(loopback(n), addr).await.unwrap());
    }
    let answer = reqwest::get(format!("http://{addr}/in")).await.unwrap();
    assert_eq!(answer.status(), 200);
    let eof = tokio::time::timeout(Duration::from_secs(5), idle[1].read(&mut buf))
        .await
        .expect("no idle connection made room under the total cap");
    assert!(matches!(eof, Ok(0) | Err(_)), "{eof:?}");
}

/// The median of `n` timed calls.
async fn median_latency<F: Future<Output = ()>>(n: usize, mut call: impl FnMut() -> F) -> Duration {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        call().await;
        times.push(start.elapsed());
    }
    times.sort();
    times[n / 2]
}

/// Raises this process's open-files limit for 1,500 clients and as many server sockets.
fn enough_open_files() {
    let limit = server::raise_open_files_limit().unwrap();
    assert!(
        limit.is_none_or(|l| l >= 4 * SLOW_CLIENTS as u64),
        "the open-files hard limit ({limit:?}) is too low for this test"
    );
}

/// Starts the slow clients: each connects from its address, `open`s its stream, and
/// sends a request head one line every 3 s (bounded: 12 lines). `cut` counts those the
/// server closed. Returns once every client has connected (or failed to).
async fn slow_clients<S, F>(
    target: SocketAddr,
    open: impl Fn(TcpStream) -> F + Clone + Send + 'static,
    cut: Arc<watch::Sender<usize>>,
) -> tokio::task::JoinSet<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Future<Output = Option<S>> + Send + 'static,
{
    let (ready_tx, mut ready) = tokio::sync::mpsc::channel::<()>(SLOW_CLIENTS);
    let mut clients = tokio::task::JoinSet::new();
    for n in 0..SLOW_CLIENTS {
        let (open, cut, ready_tx) = (open.clone(), cut.clone(), ready_tx.clone());
        clients.spawn(async move {
            let from = loopback(2 + n % SLOW_ADDRESSES);
            let stream = match connect_from(from, target).await {
                Ok(tcp) => open(tcp).await,
                Err(_) => None,
            };
            let _ = ready_tx.send(()).await;
            let Some(stream) = stream else {
                cut.send_modify(|n| *n += 1);
                return;
            };
            let head = endless_head();
            if trickle(stream, &head[..12], Duration::from_secs(3)).await {
                cut.send_modify(|n| *n += 1);
            }
        });
    }
    drop(ready_tx);
    tokio::time::timeout(Duration::from_secs(60), async {
        for _ in 0..SLOW_CLIENTS {
            ready.recv().await.expect("a slow client panicked");
        }
    })
    .await
    .expect("the slow clients could not connect within 60 s");
    clients
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_api_keeps_its_latency_while_1500_clients_trickle_heads() {
    enough_open_files();
    let dir = tempfile::tempdir().unwrap();
    let dev = device(device_config(dir.path(), 0.0)).await;
    // A fresh connection (and TLS handshake) per call: the accept path is what suffers.
    let fresh = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(dev.cert_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("{}/v2/datasync/ping", dev.api);
    let call = || {
        let request = fresh.get(&url);
        async move {
            let answer = request.send().await.expect("the API did not answer");
            assert_eq!(answer.status(), 200);
        }
    };
    let baseline = median_latency(15, call).await;
    let tls = tokio_rustls::TlsConnector::from(
        facesim::tls::client_config(&facesim::tls::Trust::Pinned(dev.cert_pem.clone())).unwrap(),
    );
    let cut = Arc::new(watch::Sender::new(0usize));
    let clients = slow_clients(
        dev.addr,
        move |tcp| {
            let tls = tls.clone();
            async move {
                let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
                tls.connect(name, tcp).await.ok()
            }
        },
        cut.clone(),
    )
    .await;
    let loaded = median_latency(15, call).await;
    let ratio = loaded.as_secs_f64() / baseline.as_secs_f64();
    eprintln!(
        "device API: median {baseline:?} alone, {loaded:?} with {SLOW_CLIENTS} slow clients (ratio {ratio:.2}); {} cut so far",
        *cut.borrow()
    );
    assert!(ratio < 10.0, "latency {baseline:?} -> {loaded:?}");
    // Beyond the terminal's total cap (256), connections were closed to make room,
    // long before the slow clients' heads would have ended.
    let cap = ServeOptions::terminal().max_connections;
    wait_for_cut(&cut, SLOW_CLIENTS - cap * 5 / 4).await;
    drop(clients);
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_keeps_its_latency_while_1500_clients_trickle_heads() {
    enough_open_files();
    let (running, _events) = receiver(ReceiverConfig::default()).await;
    let fresh = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("http://{}/eventRcv", running.addr);
    let call = || {
        let request = fresh
            .post(&url)
            .header("content-type", "application/json")
            .body("{}");
        async move {
            let answer = request.send().await.expect("the receiver did not answer");
            answer.bytes().await.unwrap();
        }
    };
    let baseline = median_latency(15, call).await;
    let cut = Arc::new(watch::Sender::new(0usize));
    let clients = slow_clients(running.addr, |tcp| async move { Some(tcp) }, cut.clone()).await;
    let loaded = median_latency(15, call).await;
    let ratio = loaded.as_secs_f64() / baseline.as_secs_f64();
    eprintln!(
        "receiver: median {baseline:?} alone, {loaded:?} with {SLOW_CLIENTS} slow clients (ratio {ratio:.2})"
    );
    assert!(ratio < 10.0, "latency {baseline:?} -> {loaded:?}");
    // Under the receiver's caps all are held until the header timeout (10 s) cuts them,
    // before their 12 lines (33 s) ran out.
    wait_for_cut(&cut, SLOW_CLIENTS).await;
    drop(clients);
}

/// Waits (bounded by 20 s) until at least `at_least` slow clients were cut.
async fn wait_for_cut(cut: &watch::Sender<usize>, at_least: usize) {
    let mut count = cut.subscribe();
    let reached =
        tokio::time::timeout(Duration::from_secs(20), count.wait_for(|n| *n >= at_least)).await;
    assert!(
        reached.is_ok(),
        "only {} of {SLOW_CLIENTS} slow clients were cut, {at_least} expected",
        *cut.borrow()
    );
}
