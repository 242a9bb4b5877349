//! The terminal's remote authentication through its API: `/v1/device/functions`, the
//! callback for each caller of the guide's table under `auth_mode` 0, 1 and 3 against the
//! reference auth server and zoo servers, the record pushed after it, and the fallback.

use std::time::Duration;

use facesim::receiver::ReceiverConfig;
use facesim::receiver::auth::{AuthPolicy, KnownFace};
use facesim::synth::{Caller, Method};
use facesim::zoo::{self, Fault, ZooOptions};
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::AuthMode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::support::{self, TestDevice, call};

async fn get_functions(dev: &TestDevice) -> Value {
    let (status, body) = call(dev.client.get(format!("{}/v1/device/functions", dev.api))).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

async fn set_functions(dev: &TestDevice, body: &Value) -> (u16, Value) {
    call(
        dev.client
            .post(format!("{}/v1/device/functions", dev.api))
            .json(body),
    )
    .await
}

fn functions(auth_mode: u8, address: &str) -> Value {
    json!({
        "record": true, "record_image": true, "alarm_record": true,
        "auth_mode": auth_mode, "remote_authentication_address": address,
    })
}

#[tokio::test]
async fn functions_are_validated_and_persisted_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    let defaults = get_functions(&dev).await;
    assert_eq!(defaults["auth_mode"], 0);
    assert_eq!(defaults["remote_authentication_address"], "");
    assert_eq!(defaults["remote_auth_timeout_to_local_auth"], 0);
    assert_eq!(defaults["device_run_type"], 1);
    let bad = [
        (json!([]), "JSON object"),
        (
            json!({"record": true, "record_image": true}),
            "alarm_record",
        ),
        (functions(2, "http://127.0.0.1:9/auth"), "reserved"),
        (functions(1, ""), "must be set"),
        (functions(3, "ftp://127.0.0.1/auth"), "scheme"),
        (
            json!({"record": true, "record_image": true, "alarm_record": true, "remote_auth_timeout_to_local_auth": 61}),
            "remote_auth_timeout_to_local_auth",
        ),
        (
            json!({"record": "yes", "record_image": true, "alarm_record": true}),
            "`record`",
        ),
    ];
    for (body, says) in bad {
        let (status, answer) = set_functions(&dev, &body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["code"], 400);
        assert!(answer["msg"].as_str().unwrap().contains(says), "{answer}");
        assert_eq!(
            get_functions(&dev).await,
            defaults,
            "{body} changed something"
        );
    }
    let (status, raw) = call(
        dev.client
            .post(format!("{}/v1/device/functions", dev.api))
            .body("{not json"),
    )
    .await;
    assert_eq!((status, raw["code"].as_i64()), (400, Some(400)));
    let mut good = functions(3, "http://127.0.0.1:9/auth");
    good["remote_auth_timeout_to_local_auth"] = json!(5);
    let (status, _) = set_functions(&dev, &good).await;
    assert_eq!(status, 200);
    dev.stop().await;
    // Saved in the state directory: a restarted terminal has the same settings.
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    let after = get_functions(&dev).await;
    assert_eq!(after["auth_mode"], 3);
    assert_eq!(
        after["remote_authentication_address"],
        "http://127.0.0.1:9/auth"
    );
    assert_eq!(after["remote_auth_timeout_to_local_auth"], 5);
    dev.stop().await;
}

#[tokio::test]
async fn older_versions_have_their_own_functions() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_1).await;
    let f = get_functions(&dev).await;
    assert!(f.get("remote_auth_timeout_to_local_auth").is_none(), "{f}");
    // `auth_mode` is required in 1.1.
    let (status, body) = set_functions(
        &dev,
        &json!({"record": true, "record_image": true, "alarm_record": true}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["msg"].as_str().unwrap().contains("auth_mode"));
    let (status, body) = set_functions(&dev, &functions(2, "http://127.0.0.1:9/a")).await;
    assert_eq!(status, 400);
    assert!(
        body["msg"].as_str().unwrap().contains("never described"),
        "{body}"
    );
    dev.stop().await;
}

/// Walks every caller under `mode` against a reference receiver + auth server and
/// checks: the callback fires exactly as the guide's table says, and the pushed record
/// carries the final decision.
async fn walk(mode: u8, auth: AuthPolicy) -> Vec<(Caller, Value, Value)> {
    let api = ApiVersion::V1_3;
    let (running, mut events) = support::receiver(ReceiverConfig {
        api,
        auth,
        ..ReceiverConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), api).await;
    dev.configure(&format!("http://{}/eventRcv", running.addr), false)
        .await;
    let address = format!("http://{}/auth", running.addr);
    let (status, body) = set_functions(&dev, &functions(mode, &address)).await;
    assert_eq!(status, 200, "{body}");
    let mut seen = Vec::new();
    for caller in Caller::ALL {
        let (status, report) = dev.trigger(&json!({"caller": caller.name()})).await;
        assert_eq!(status, 200, "{report}");
        let report = report["data"].clone();
        let auth = report["auth"].clone();
        let expected = caller.reaction(AuthMode::try_from(mode).unwrap()).calls();
        assert_eq!(auth["called"], expected, "{caller} under {mode}: {auth}");
        assert_eq!(report["outcome"], "success", "{report}");
        let pushed = events.recv().await.unwrap();
        let record = pushed.event.as_record().unwrap().clone();
        assert_eq!(
            record.pass,
            auth["pass"].as_bool().unwrap(),
            "{caller}: {auth}"
        );
        if auth["called"] == true {
            assert_eq!(auth["outcome"], "success", "{caller}: {auth}");
        }
        seen.push((caller, auth, serde_json::to_value(&record).unwrap()));
    }
    let stats = dev.stats().await;
    let calls = seen.iter().filter(|(_, a, _)| a["called"] == true).count() as u64;
    assert_eq!(stats["callbacks"]["calls"]["sent"], calls);
    assert_eq!(stats["callbacks"]["auth_mode"], mode);
    assert_eq!(
        stats["callbacks"]["opened"].as_u64().unwrap()
            + stats["callbacks"]["refused"].as_u64().unwrap(),
        calls
    );
    dev.stop().await;
    seen
}

#[tokio::test]
async fn mode_1_reports_library_people_qr_codes_and_id_checks() {
    let seen = walk(1, AuthPolicy::default()).await;
    let of = |c: Caller| seen.iter().find(|(x, _, _)| *x == c).unwrap();
    // A stranger's card is refused locally with the guide's text.
    let (_, card, _) = of(Caller::stranger(Method::Card));
    assert_eq!(card["pass"], false);
    assert!(card["screen"].as_str().unwrap().contains("invalid card"));
    // A stranger's QR code is the server's: the reference lets valid codes in.
    let (_, qr, _) = of(Caller::stranger(Method::QrCode));
    assert_eq!(qr["pass"], true);
    assert_eq!(qr["verify_code"], 2);
}

#[tokio::test]
async fn mode_3_sends_strangers_faces_and_names_whom_the_server_recognises() {
    let policy = AuthPolicy {
        known_faces: vec!["7=u-42:Li Wei".parse::<KnownFace>().unwrap()],
        ..AuthPolicy::default()
    };
    let seen = walk(3, policy).await;
    let of = |c: Caller| seen.iter().find(|(x, _, _)| *x == c).unwrap();
    // Library people are admitted locally, without a callback.
    let (_, face, record) = of(Caller::library(Method::Face));
    assert_eq!(
        (face["called"].clone(), face["pass"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(record["pass"], true);
    // Record 7 is the stranger's face (callers are triggered in Caller::ALL order): the
    // server recognises it, and the record names the person it named.
    let (_, stranger, record) = of(Caller::stranger(Method::Face));
    assert_eq!(Caller::ALL[6], Caller::stranger(Method::Face));
    assert_eq!(stranger["pass"], true, "{stranger}");
    assert_eq!(stranger["user_name"], "Li Wei");
    assert_eq!(record["user"]["name"], "Li Wei");
    assert_eq!(record["user"]["user_id"], "u-42");
    assert_eq!(record["recognitionType"], 1);
}

async fn zoo_auth(fault: Fault, api: ApiVersion) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let options = ZooOptions {
        api,
        // Past the test device's 500 ms callback timeout.
        slow_delay: Duration::from_millis(900),
        ..ZooOptions::default()
    };
    tokio::spawn(zoo::serve_faulty_with(
        listener,
        None,
        fault,
        options,
        async move {
            let _ = rx.await;
        },
    ));
    (addr, tx)
}

#[tokio::test]
async fn broken_auth_servers_keep_the_door_shut() {
    let api = ApiVersion::V1_3;
    let cases = [
        (
            Fault::AuthNoPass,
            1,
            Caller::library(Method::Card),
            "malformed",
            false,
        ),
        (
            Fault::AuthPassString,
            1,
            Caller::library(Method::Card),
            "malformed",
            false,
        ),
        (
            Fault::AuthVerifyCodeRange,
            1,
            Caller::library(Method::Card),
            "malformed",
            false,
        ),
        (
            Fault::AuthNoEnvelope,
            1,
            Caller::library(Method::Card),
            "malformed",
            false,
        ),
        (
            Fault::AuthUserIdType,
            1,
            Caller::library(Method::Card),
            "malformed",
            false,
        ),
        (
            Fault::AuthSlow,
            1,
            Caller::library(Method::Card),
            "timeout",
            false,
        ),
        (
            Fault::AuthCrashStranger,
            3,
            Caller::stranger(Method::Face),
            "http_status",
            false,
        ),
        // `pass` wins outside mode 3's stranger faces, even with a contradicting code.
        (
            Fault::AuthVerifyContradicts,
            1,
            Caller::stranger(Method::QrCode),
            "success",
            true,
        ),
        (
            Fault::AuthHeartbeat405,
            1,
            Caller::stranger(Method::QrCode),
            "success",
            true,
        ),
    ];
    for (fault, mode, caller, outcome, pass) in cases {
        let (addr, _stop) = zoo_auth(fault, api).await;
        let dir = tempfile::tempdir().unwrap();
        let dev = support::device_of(dir.path(), api).await;
        dev.configure(&format!("http://{addr}/eventRcv"), false)
            .await;
        let (status, _) =
            set_functions(&dev, &functions(mode, &format!("http://{addr}/auth"))).await;
        assert_eq!(status, 200);
        let (_, report) = dev.trigger(&json!({"caller": caller.name()})).await;
        let auth = &report["data"]["auth"];
        assert_eq!(auth["outcome"], outcome, "{fault}: {auth}");
        assert_eq!(auth["pass"], pass, "{fault}: {auth}");
        if !pass {
            assert_eq!(auth["screen"], "No access", "{fault}");
        }
        let stats = dev.stats().await;
        let key = if outcome == "success" { "ok" } else { "sent" };
        assert_eq!(stats["callbacks"]["calls"][key], 1, "{fault}: {stats}");
        dev.stop().await;
    }
}

#[tokio::test]
async fn mode_0_never_calls_and_unknown_callers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (running, _events) = support::receiver(ReceiverConfig {
        api: ApiVersion::V1_3,
        ..ReceiverConfig::default()
    })
    .await;
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    dev.configure(&format!("http://{}/eventRcv", running.addr), false)
        .await;
    for caller in Caller::ALL {
        let (_, report) = dev.trigger(&json!({"caller": caller.name()})).await;
        assert_eq!(report["data"]["auth"]["called"], false, "{caller}");
    }
    let before = dev.stats().await["last_seq"].clone();
    let (status, body) = dev.trigger(&json!({"caller": "library-iris"})).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(400)));
    assert_eq!(
        dev.stats().await["last_seq"],
        before,
        "a refused trigger takes no number"
    );
    assert_eq!(dev.stats().await["callbacks"]["calls"]["sent"], 0);
    dev.stop().await;
}

#[tokio::test]
async fn the_functions_mode_is_the_mode_records_show() {
    let dir = tempfile::tempdir().unwrap();
    let (running, mut events) = support::receiver(ReceiverConfig {
        api: ApiVersion::V1_3,
        ..ReceiverConfig::default()
    })
    .await;
    let mut config = support::device_config(dir.path(), 0.0);
    config.synth.api = ApiVersion::V1_3;
    config.push.api = ApiVersion::V1_3;
    config.synth.alarm_share = Some(0.0);
    config.synth.mode = facesim_proto::wire::Mode::try_from(1).unwrap();
    let dev = support::device(config).await;
    dev.configure(&format!("http://{}/eventRcv", running.addr), false)
        .await;
    // The device starts with the mode it was started with.
    assert_eq!(get_functions(&dev).await["mode"], 1);
    assert_eq!(dev.trigger(&json!({})).await.0, 200);
    let first = events.recv().await.unwrap();
    assert_eq!(first.event.as_record().unwrap().mode.code(), 1);
    let mut body = functions(0, "");
    body["mode"] = json!(4);
    assert_eq!(set_functions(&dev, &body).await.0, 200);
    for _ in 0..5 {
        assert_eq!(dev.trigger(&json!({})).await.0, 200);
        let got = events.recv().await.unwrap();
        let record = got.event.as_record().unwrap();
        assert_eq!(record.mode.code(), 4, "ID card only");
        assert_eq!(record.entry_mode, Some(5), "presented by ID card");
    }
    dev.stop().await;
}

#[tokio::test]
async fn a_stopped_terminal_recognises_nobody_until_it_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let (running, _events) = support::receiver(ReceiverConfig {
        api: ApiVersion::V1_3,
        ..ReceiverConfig::default()
    })
    .await;
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    dev.configure(&format!("http://{}/eventRcv", running.addr), false)
        .await;
    let mut stopped = functions(0, "");
    stopped["device_run_type"] = json!(2);
    assert_eq!(set_functions(&dev, &stopped).await.0, 200);
    let before = dev.stats().await["last_seq"].clone();
    let (status, body) = dev.trigger(&json!({})).await;
    assert_eq!((status, body["code"].as_i64()), (409, Some(409)), "{body}");
    assert!(
        body["msg"].as_str().unwrap().contains("device_run_type"),
        "{body}"
    );
    assert_eq!(dev.stats().await["last_seq"], before, "no record was made");
    // Alarms still go off on a stopped terminal.
    assert_eq!(dev.trigger(&json!({"type": 1})).await.0, 200);
    stopped["device_run_type"] = json!(1);
    assert_eq!(set_functions(&dev, &stopped).await.0, 200);
    let (status, body) = dev.trigger(&json!({})).await;
    assert_eq!(status, 200, "{body}");
    dev.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_terminal_falls_back_to_local_auth_when_the_server_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    // An address where nothing listens: the server has gone away.
    let gone = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/auth", gone.local_addr().unwrap());
    drop(gone);
    let dev = support::device_of(dir.path(), ApiVersion::V1_2).await;
    let mut body = functions(1, &address);
    body["remote_auth_timeout_to_local_auth"] = json!(1);
    assert_eq!(set_functions(&dev, &body).await.0, 200);
    // One failed heartbeat after 30 s: not yet a minute.
    tokio::time::advance(Duration::from_secs(31)).await;
    support::eventually("a failed heartbeat", async || {
        dev.stats().await["callbacks"]["heartbeats_failed"] == 1
    })
    .await;
    assert_eq!(get_functions(&dev).await["auth_mode"], 1);
    // The second, a minute after the configuration: the terminal falls back.
    tokio::time::advance(Duration::from_secs(30)).await;
    support::eventually("the fallback", async || {
        dev.stats().await["callbacks"]["fallbacks"] == 1
    })
    .await;
    assert_eq!(get_functions(&dev).await["auth_mode"], 0);
    let stats = dev.stats().await;
    assert_eq!(stats["callbacks"]["auth_mode"], 0);
    assert_eq!(stats["callbacks"]["heartbeats_ok"], 0);
    // The fallback stays, and was saved.
    dev.stop().await;
    let dev = support::device_of(dir.path(), ApiVersion::V1_2).await;
    assert_eq!(get_functions(&dev).await["auth_mode"], 0);
    dev.stop().await;
}

#[tokio::test(start_paused = true)]
async fn heartbeats_to_a_live_server_keep_remote_auth_on() {
    let dir = tempfile::tempdir().unwrap();
    let (running, _events) = support::receiver(ReceiverConfig {
        api: ApiVersion::V1_2,
        ..ReceiverConfig::default()
    })
    .await;
    let dev = support::device_of(dir.path(), ApiVersion::V1_2).await;
    let mut body = functions(1, &format!("http://{}/auth", running.addr));
    body["remote_auth_timeout_to_local_auth"] = json!(1);
    assert_eq!(set_functions(&dev, &body).await.0, 200);
    for beat in 1..=3u64 {
        tokio::time::advance(Duration::from_secs(31)).await;
        support::eventually("a heartbeat", async || {
            dev.stats().await["callbacks"]["heartbeats_ok"] == beat
        })
        .await;
    }
    let stats = dev.stats().await;
    assert_eq!(stats["callbacks"]["fallbacks"], 0);
    assert_eq!(get_functions(&dev).await["auth_mode"], 1);
    dev.stop().await;
}

fn auth_load(url: &str, count: u64) -> facesim::load::LoadConfig {
    let mut c = facesim::load::LoadConfig::new(
        url.parse().unwrap(),
        facesim::load::Mode::Open {
            profile: facesim::schedule::RateProfile::fixed(400.0).unwrap(),
            arrival: facesim::schedule::Arrival::Constant,
            spec: "400".into(),
        },
    );
    c.duration = None;
    c.count = Some(count);
    c.image_pool = 2;
    c.devices = 4;
    c.people = 20;
    c.connections = 4;
    c.progress = false;
    c.api = ApiVersion::V1_3;
    c.target = facesim::load::Target::Auth;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_target_auth_judges_callbacks_as_auth_answers() {
    let (running, _events) = support::receiver(ReceiverConfig {
        api: ApiVersion::V1_3,
        ..ReceiverConfig::default()
    })
    .await;
    let url = format!("http://{}/auth", running.addr);
    let result = facesim::load::run_load(auth_load(&url, 300), std::future::pending())
        .await
        .unwrap();
    assert_eq!(result.stats.sent, 300, "{:?}", result.stats);
    assert_eq!(result.stats.ok, 300, "{:?}", result.error_examples);
    // The reference lets some callers in (employees, valid QR codes) and not others
    // (strangers' faces, the blacklisted).
    assert_eq!(result.stats.passed + result.stats.denied, 300);
    assert!(
        result.stats.passed > 0 && result.stats.denied > 0,
        "{:?}",
        result.stats
    );
    // A faulty auth server's answers are malformed by the auth rule, not by the push's.
    let (addr, _stop) = zoo_auth(Fault::AuthNoPass, ApiVersion::V1_3).await;
    let result = facesim::load::run_load(
        auth_load(&format!("http://{addr}/auth"), 100),
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(result.stats.ok, 0);
    assert_eq!(
        result.stats.errors.get("malformed"),
        Some(&100),
        "{:?}",
        result.stats
    );
    // API 1.0 has no callback to load.
    let mut old = auth_load(&url, 10);
    old.api = ApiVersion::V1_0;
    assert!(
        facesim::load::run_load(old, std::future::pending())
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopped_terminal_recognises_nobody() {
    let (running, _events) = support::receiver(ReceiverConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(support::device_config(dir.path(), 10.0)).await;
    let stopped = json!({"record": true, "record_image": true, "alarm_record": true, "auth_mode": 0, "device_run_type": 2});
    assert_eq!(set_functions(&dev, &stopped).await.0, 200);
    dev.configure(&format!("http://{}/eventRcv", running.addr), true)
        .await;
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(dev.stats().await["generated"], 0);
    let running_again = json!({"record": true, "record_image": true, "alarm_record": true, "auth_mode": 0, "device_run_type": 1});
    assert_eq!(set_functions(&dev, &running_again).await.0, 200);
    support::eventually("records again", async || {
        dev.stats().await["generated"].as_u64().unwrap_or(0) > 0
    })
    .await;
    dev.stop().await;
}
