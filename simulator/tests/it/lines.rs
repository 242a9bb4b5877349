//! The terminal's lines, seen from the servers it talks to: pushes go one at a time, the
//! remote-authentication callback and the heartbeat go beside them (a person at the door
//! never waits behind a push), and callbacks go one at a time too.
//!
//! One server plays the receiver (`POST /eventRcv`) and the auth server (`POST` and `GET`
//! on `/auth`) and counts the requests of each line in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use facesim::synth::Caller;
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::{AuthAnswer, AuthDecision, AuthMode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot};
use warp::Filter as _;

use crate::support::{self, TestDevice, call};

/// Requests of each line in flight at the server, and the most ever at once.
#[derive(Debug, Default)]
struct Lines {
    pushes: AtomicUsize,
    most_pushes: AtomicUsize,
    callbacks: AtomicUsize,
    most_callbacks: AtomicUsize,
    /// Callbacks and heartbeats that arrived while a push was in flight.
    callbacks_beside_a_push: AtomicUsize,
    heartbeats_beside_a_push: AtomicUsize,
    /// Told of every callback and heartbeat beside a push, and of every request start.
    arrived: Notify,
    /// Whether the held push was let go because a callback and a heartbeat came beside it
    /// (and not by the server's bound).
    released_by_the_lines: AtomicBool,
}

/// Counts one more request in flight on a line; the guard counts it out.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(now: &'a AtomicUsize, most: &AtomicUsize) -> Self {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(n, Ordering::SeqCst);
        Self(now)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How the server holds requests.
#[derive(Debug, Clone, Copy)]
enum Hold {
    /// The first push is held until a callback and a heartbeat have come beside it.
    FirstPushUntilTheOtherLines,
    /// Every push and callback is held for a short window in which another request of its
    /// line, if the device sent one, would arrive and be counted.
    EveryRequestBriefly,
}

/// The longest a request is held: a bound for a failing device, never reached by a
/// conforming one in the first mode.
const BOUND: Duration = Duration::from_secs(8);
/// The window in which an overlapping request would be seen.
const WINDOW: Duration = Duration::from_millis(60);

async fn server(
    hold: Hold,
) -> (
    std::net::SocketAddr,
    Arc<Lines>,
    mpsc::UnboundedReceiver<()>,
) {
    let lines = Arc::new(Lines::default());
    let (pushed_tx, pushed) = mpsc::unbounded_channel::<()>();
    let first = Arc::new(AtomicBool::new(true));
    let push = warp::path!("eventRcv").and(warp::post()).then({
        let lines = lines.clone();
        move || {
            let (lines, first, pushed_tx) = (lines.clone(), first.clone(), pushed_tx.clone());
            async move {
                let _in = InFlight::enter(&lines.pushes, &lines.most_pushes);
                lines.arrived.notify_waiters();
                let _ = pushed_tx.send(());
                match hold {
                    Hold::FirstPushUntilTheOtherLines if first.swap(false, Ordering::SeqCst) => {
                        let beside = async {
                            loop {
                                let arrived = lines.arrived.notified();
                                if lines.callbacks_beside_a_push.load(Ordering::SeqCst) > 0
                                    && lines.heartbeats_beside_a_push.load(Ordering::SeqCst) > 0
                                {
                                    return;
                                }
                                arrived.await;
                            }
                        };
                        if tokio::time::timeout(BOUND, beside).await.is_ok() {
                            lines.released_by_the_lines.store(true, Ordering::SeqCst);
                        }
                    }
                    Hold::FirstPushUntilTheOtherLines => {}
                    Hold::EveryRequestBriefly => {
                        let _ = tokio::time::timeout(WINDOW, lines.arrived.notified()).await;
                    }
                }
                facesim::server::json_reply(
                    http::StatusCode::OK,
                    &facesim_proto::wire::AnswerBody::decision(true, None),
                )
            }
        }
    });
    let callback = warp::path!("auth").and(warp::post()).then({
        let lines = lines.clone();
        move || {
            let lines = lines.clone();
            async move {
                let _in = InFlight::enter(&lines.callbacks, &lines.most_callbacks);
                if lines.pushes.load(Ordering::SeqCst) > 0 {
                    lines.callbacks_beside_a_push.fetch_add(1, Ordering::SeqCst);
                }
                lines.arrived.notify_waiters();
                if let Hold::EveryRequestBriefly = hold {
                    let _ = tokio::time::timeout(WINDOW, lines.arrived.notified()).await;
                }
                let pass = AuthDecision {
                    pass: true,
                    ..AuthDecision::default()
                };
                facesim::server::json_reply(http::StatusCode::OK, &AuthAnswer::ok(pass))
            }
        }
    });
    let heartbeat = warp::path!("auth").and(warp::get()).map({
        let lines = lines.clone();
        move || {
            if lines.pushes.load(Ordering::SeqCst) > 0 {
                lines
                    .heartbeats_beside_a_push
                    .fetch_add(1, Ordering::SeqCst);
                lines.arrived.notify_waiters();
            }
            facesim::server::json_reply(
                http::StatusCode::OK,
                &AuthAnswer::ok(AuthDecision::default()),
            )
        }
    });
    let routes = push.or(callback).unify().or(heartbeat).unify();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        facesim::server::serve(listener, None, warp::service(routes), async {
            let _ = stopped.await;
        })
        .await;
        drop(stop);
    });
    (addr, lines, pushed)
}

/// A 1.3 device that pushes only on trigger, with remote authentication (`auth_mode` 1)
/// on `addr`'s `/auth`, heartbeats every 20 ms, and a push timeout longer than the
/// server's bound, so that only the lines decide when a request goes.
async fn device(dir: &std::path::Path, addr: std::net::SocketAddr) -> TestDevice {
    let mut config = support::device_config(dir, 0.0);
    config.synth.api = ApiVersion::V1_3;
    config.push.api = ApiVersion::V1_3;
    config.push.timeout = BOUND * 2;
    config.auth_timing.heartbeat = Duration::from_millis(20);
    let dev = support::device(config).await;
    dev.configure(&format!("http://{addr}/eventRcv"), false)
        .await;
    let functions = json!({
        "record": true, "record_image": true, "alarm_record": true,
        "auth_mode": 1, "remote_authentication_address": format!("http://{addr}/auth"),
    });
    let (status, body) = call(
        dev.client
            .post(format!("{}/v1/device/functions", dev.api))
            .json(&functions),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    dev
}

/// A caller whose recognition calls back under `auth_mode` 1.
fn calling() -> Caller {
    Caller::ALL
        .into_iter()
        .find(|c| c.reaction(AuthMode::try_from(1).unwrap()).calls())
        .expect("a caller that calls back under auth_mode 1")
}

async fn trigger(dev: &TestDevice, body: Value) -> Value {
    let (status, report) = dev.trigger(&body).await;
    assert_eq!(status, 200, "{report}");
    report["data"].clone()
}

#[tokio::test]
async fn a_callback_and_a_heartbeat_go_while_a_slow_push_is_in_flight() {
    let (addr, lines, mut pushed) = server(Hold::FirstPushUntilTheOtherLines).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = device(dir.path(), addr).await;
    let caller = json!({"caller": calling().name()});
    let (first, second) = tokio::join!(trigger(&dev, caller.clone()), async {
        // Once the first record's push is held at the receiver, a second person comes to
        // the door.
        pushed.recv().await.unwrap();
        trigger(&dev, caller.clone()).await
    });
    assert!(
        lines.released_by_the_lines.load(Ordering::SeqCst),
        "the held push was let go by the server's bound: {} callbacks and {} heartbeats \
         came while it was in flight (a line waits behind the push line)",
        lines.callbacks_beside_a_push.load(Ordering::SeqCst),
        lines.heartbeats_beside_a_push.load(Ordering::SeqCst),
    );
    for report in [&first, &second] {
        assert_eq!(report["outcome"], "success", "{report}");
        assert_eq!(report["auth"]["called"], true, "{report}");
        assert_eq!(report["auth"]["pass"], true, "{report}");
    }
    assert_eq!(lines.most_pushes.load(Ordering::SeqCst), 1);
    dev.stop().await;
}

#[tokio::test]
async fn pushes_never_overlap_and_callbacks_never_overlap() {
    let (addr, lines, _pushed) = server(Hold::EveryRequestBriefly).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = device(dir.path(), addr).await;
    let caller = json!({"caller": calling().name()});
    // Four people at once, each with a callback and a push; and a backlog delivered
    // beside them once pushing is enabled.
    let dev = Arc::new(dev);
    let people = (0..4).map(|_| {
        let (dev, caller) = (dev.clone(), caller.clone());
        tokio::spawn(async move { trigger(&dev, caller).await })
    });
    let alarms = (0..3).map(|_| {
        let dev = dev.clone();
        tokio::spawn(async move {
            dev.device
                .raise_alarm(facesim_proto::wire::AlarmCode::PasswordAttack)
                .await
                .unwrap()
        })
    });
    for alarm in alarms {
        alarm.await.unwrap();
    }
    dev.configure(&format!("http://{addr}/eventRcv"), true)
        .await;
    for person in people {
        let report = person.await.unwrap();
        assert_eq!(report["outcome"], "success", "{report}");
        assert_eq!(report["auth"]["called"], true, "{report}");
    }
    dev.until("the backlog delivered", async || {
        dev.stats().await["queue"]["depth"] == 0
    })
    .await;
    assert_eq!(
        lines.most_pushes.load(Ordering::SeqCst),
        1,
        "pushes overlapped"
    );
    assert_eq!(
        lines.most_callbacks.load(Ordering::SeqCst),
        1,
        "callbacks overlapped"
    );
    Arc::into_inner(dev).unwrap().stop().await;
}
