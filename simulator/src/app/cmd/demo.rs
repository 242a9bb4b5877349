//! `facesim demo`: a reference receiver and a simulated terminal on loopback. The terminal
//! is configured through its own HTTPS API, as an integrator would, and the door decisions
//! are shown as they happen.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{CmdError, Finish, Stop, attempt_line, io_err};
use crate::app::cli::{DemoArgs, check_rate};
use facesim::clock;
use facesim::device::{Backoff, Device, DeviceConfig};
use facesim::net::{Connection, Endpoint, Request};
use facesim::push::PushOptions;
use facesim::receiver::{self, ReceiverConfig};
use facesim::schedule::Arrival;
use facesim::store::DEFAULT_QUEUE_CAP;
use facesim::synth::{SynthConfig, device_sn};
use facesim::tls::Trust;
use facesim_proto::wire::{Destination, Empty, Envelope, SimStats, Subscription};

/// Runs the demo; [`Finish::Success`] when every watched event was delivered and answered.
///
/// # Errors
/// [`CmdError`] when the loopback servers cannot start or the terminal cannot be configured.
pub async fn demo(
    args: DemoArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Finish, CmdError> {
    let rate = check_rate("--rate", args.rate, 0.1)?;
    let state = tempfile::tempdir().map_err(io_err("cannot create a temporary state directory"))?;
    let loopback = |what: &'static str| io_err(format!("cannot listen on loopback for the {what}"));
    let receiver_listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(loopback("receiver"))?;
    let device_listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(loopback("device"))?;
    let receiver_addr = receiver_listener
        .local_addr()
        .map_err(loopback("receiver"))?;
    let device_addr = device_listener.local_addr().map_err(loopback("device"))?;

    let device = Device::open(DeviceConfig {
        sn: device_sn(args.seed, 0),
        state_dir: state.path().to_path_buf(),
        synth: SynthConfig {
            seed: args.seed,
            api: args.api_version,
            ..SynthConfig::default()
        },
        rate,
        arrival: Arrival::Poisson,
        push: PushOptions {
            api: args.api_version,
            ..PushOptions::default()
        },
        queue_cap: DEFAULT_QUEUE_CAP,
        backoff: Backoff::default(),
        clock: clock::system(),
        auth_timing: facesim::remote::AuthTiming::default(),
        // The demo logs in with the default account, as an integration would.
        account: facesim::access::AccountConfig::default(),
    })?;
    let cert = device.with_store(|s| s.certificate())?;
    let tls = cert.server_config()?;
    let mut attempts = device.attempts();
    let (stop, stopper) = Stop::after(shutdown);
    let servers = tokio::spawn({
        let device = device.clone();
        let stop = stop.clone();
        async move {
            tokio::join!(
                receiver::serve(
                    receiver_listener,
                    None,
                    ReceiverConfig {
                        api: args.api_version,
                        ..ReceiverConfig::default()
                    },
                    None,
                    stop.clone().wait()
                ),
                facesim::api::serve(
                    device_listener,
                    Some(tls),
                    device.clone(),
                    stop.clone().wait()
                ),
                device.run(stop.wait()),
            );
        }
    });

    let api = format!("https://{device_addr}");
    let dest = format!("http://{receiver_addr}/eventRcv");
    println!("reference receiver   {dest}");
    println!(
        "terminal {}   {api} (self-signed certificate, pinned)",
        device.sn()
    );
    let mut client = ApiClient::new(&api, &cert.cert_pem).await?;
    // Log in first, as an integration does: the token then goes with every call.
    let login = facesim_proto::wire::LoginRequest {
        username: Some(facesim::access::DEFAULT_USERNAME.into()),
        password: Some(facesim::access::DEFAULT_PASSWORD.into()),
        valid_time: Some(60),
    };
    let token: Envelope<facesim_proto::wire::LoginToken> = client
        .call("POST", "/v1/auth/login", None, Some(&login))
        .await?;
    println!(
        "POST /v1/auth/login       -> code {} (token for the next calls)",
        token.code
    );
    let token = token.data.token;
    let subscription = Subscription {
        event_dest: Some(
            Destination::parse(&dest).map_err(|e| CmdError::Broken(format!("{dest}: {e}")))?,
        ),
        enabled: true,
    };
    let answer: Envelope<Option<Empty>> = client
        .call(
            "POST",
            "/v1/event/subscribe",
            Some(&token),
            Some(&subscription),
        )
        .await?;
    println!(
        "POST /v1/event/subscribe -> code {} {}",
        answer.code, answer.msg
    );
    let current: Envelope<Subscription> = client
        .call("GET", "/v1/event/subscribe", Some(&token), None::<&Empty>)
        .await?;
    println!(
        "GET  /v1/event/subscribe -> event_dest {} enabled {}\n",
        current.data.event_dest_str(),
        current.data.enabled
    );

    // Generous: Poisson arrivals bunch up, and a debug build renders snapshots slowly.
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs_f64(args.events as f64 / rate * 4.0 + 10.0);
    let (mut seen, mut ok) = (0u64, 0u64);
    while seen < args.events {
        let next = tokio::select! {
            a = attempts.recv() => a,
            () = tokio::time::sleep_until(deadline) => break,
            () = stop.clone().wait() => break,
        };
        match next {
            Ok(attempt) => {
                seen += 1;
                ok += u64::from(attempt.outcome.is_success());
                println!("{}", attempt_line(&attempt));
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        }
    }
    let stats: Envelope<SimStats> = client
        .call("GET", "/sim/stats", None, None::<&Empty>)
        .await?;
    let _ = stopper.send(true);
    let _ = servers.await;
    let s = stats.data;
    let p = s.pushes.latency_ms;
    println!(
        "\n{seen} events watched, {ok} answered with success; door opened {} times, kept shut {} times",
        s.door.opened, s.door.kept_shut
    );
    println!(
        "latency ms  p50 {:.1}  p99 {:.1}  max {:.1}; records still queued: {}",
        p.p50, p.p99, p.max, s.queue.depth
    );
    Ok(if seen == args.events && ok == seen {
        Finish::Success
    } else {
        Finish::Failed
    })
}

/// The demo's client of the device API: one kept-alive HTTPS connection on the
/// workspace's HTTP/1.1 layer, trusting the device's own certificate only.
struct ApiClient {
    conn: Connection,
}

impl ApiClient {
    async fn new(api: &str, cert_pem: &str) -> Result<Self, CmdError> {
        let url = url::Url::parse(api).map_err(|e| CmdError::Broken(format!("{api}: {e}")))?;
        let endpoint = Endpoint::new(&url, &Trust::Pinned(cert_pem.to_string()))
            .await
            .map_err(|e| CmdError::Broken(format!("cannot set up the API client: {e}")))?;
        Ok(Self {
            conn: Connection::new(Arc::new(endpoint)),
        })
    }

    /// Calls the device API with an optional bearer token and JSON body, and unwraps its
    /// envelope.
    async fn call<T: serde::de::DeserializeOwned>(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&impl serde::Serialize>,
    ) -> Result<Envelope<T>, CmdError> {
        let body = match body {
            Some(b) => serde_json::to_vec(b).map_err(|e| CmdError::Broken(e.to_string()))?,
            None => Vec::new(),
        };
        let bearer = token.map(|t| format!("Bearer {t}"));
        // A body is JSON; a GET has neither body nor Content-Type.
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if !body.is_empty() {
            headers.push(facesim::net::JSON_CONTENT_TYPE);
        }
        if let Some(b) = &bearer {
            headers.push(("Authorization", b));
        }
        let mut head = Vec::new();
        self.conn
            .endpoint()
            .write_head_with(method, Some(path), &headers, body.len(), &mut head);
        let request = Request {
            front: &head,
            middle: &body,
            back: &[],
        };
        let (_, answer) =
            tokio::time::timeout(Duration::from_secs(10), self.conn.exchange(request))
                .await
                .map_err(|_| {
                    CmdError::Broken(format!("device API: no answer to {path} within 10 s"))
                })?
                .map_err(|e| CmdError::Broken(format!("device API: {e}")))?;
        let envelope: Envelope<T> = serde_json::from_slice(answer)
            .map_err(|e| CmdError::Broken(format!("device API: {path}: {e}")))?;
        if envelope.code != facesim_proto::wire::CODE_OK {
            return Err(CmdError::Broken(format!(
                "device API answered code {}: {}",
                envelope.code, envelope.msg
            )));
        }
        Ok(envelope)
    }
}
