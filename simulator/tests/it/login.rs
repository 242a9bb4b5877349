//! Login and access: tokens shaped like the terminal's, Bearer and Basic credentials,
//! 401 with the envelope for missing, wrong and expired ones, the open paths, the
//! password-attack alarm, and `--no-auth`.

use base64::Engine;
use serde_json::{Value, json};

use crate::support::{self, call};

fn login_body(password: &str, minutes: Option<i64>) -> Value {
    let mut body = json!({"username": "admin", "password": password});
    if let Some(m) = minutes {
        body["validTime"] = json!(m);
    }
    body
}

#[tokio::test]
async fn login_issues_a_token_that_opens_every_route_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let clock = facesim::clock::ManualClock::at(1_700_000_000);
    let mut config = support::device_config(dir.path(), 0.0);
    config.clock = clock.clone();
    let dev = support::device(config).await;
    let login = format!("{}/v1/auth/login", dev.api);
    let sub = format!("{}/v1/event/subscribe", dev.api);

    let (status, body) = call(
        dev.bare
            .post(&login)
            .json(&login_body("facesim-admin", None)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["data"]["token"].as_str().unwrap().to_string();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |s: &str| {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap();
        serde_json::from_slice::<Value>(&bytes).unwrap()
    };
    assert_eq!(decode(parts[0]), json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(
        decode(parts[1]),
        json!({"exp": 1_700_000_300, "iat": 1_700_000_000, "iss": "SenseTime", "userId": "admin"})
    );

    let (status, body) = call(dev.bare.get(&sub).bearer_auth(&token)).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(200)));
    // Five minutes later the token has expired.
    clock.set(1_700_000_300);
    let (status, body) = call(dev.bare.get(&sub).bearer_auth(&token)).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(401)), "{body}");
    assert!(body["msg"].as_str().unwrap().contains("expired"), "{body}");

    // validTime is in minutes, 0 < x <= 1440.
    let (status, body) = call(
        dev.bare
            .post(&login)
            .json(&login_body("facesim-admin", Some(1440))),
    )
    .await;
    assert_eq!(status, 200);
    let token = body["data"]["token"].as_str().unwrap().to_string();
    clock.set(1_700_000_300 + 86_399);
    assert_eq!(call(dev.bare.get(&sub).bearer_auth(&token)).await.0, 200);
    for bad in [0, 1441, -5] {
        let (status, body) = call(
            dev.bare
                .post(&login)
                .json(&login_body("facesim-admin", Some(bad))),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_i64()),
            (400, Some(400)),
            "{bad}: {body}"
        );
    }
    dev.stop().await;
}

#[tokio::test]
async fn missing_wrong_and_foreign_credentials_get_401_with_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    let sub = format!("{}/v1/event/subscribe", dev.api);
    let basic = |user: &str, pw: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        )
    };
    let other_dir = tempfile::tempdir().unwrap();
    let other = facesim::access::Access::open(other_dir.path(), Default::default()).unwrap();
    let foreign = other
        .login(
            br#"{"username":"admin","password":"facesim-admin"}"#,
            1_660_625_866,
        )
        .unwrap();
    for header in [
        None,
        Some(basic("admin", "wrong")),
        Some(basic("root", "facesim-admin")),
        Some("Bearer not.a.token".to_string()),
        Some(format!("Bearer {foreign}")),
        Some("Digest abc".to_string()),
    ] {
        for path in [
            "/v1/event/subscribe",
            "/v2/datasync/info",
            "/v1/no/such/route",
        ] {
            let mut req = dev.bare.get(format!("{}{path}", dev.api));
            if let Some(h) = &header {
                req = req.header("authorization", h);
            }
            let (status, body) = call(req).await;
            assert_eq!(status, 401, "{header:?} {path}: {body}");
            assert_eq!(body["code"], 401);
            assert!(body["data"].is_null());
        }
    }
    // A refused request changes nothing.
    let (status, _) = call(
        dev.bare
            .post(&sub)
            .json(&json!({"event_dest": "http://127.0.0.1:9/x"})),
    )
    .await;
    assert_eq!(status, 401);
    let (_, body) = call(dev.client.get(&sub)).await;
    assert_eq!(body["data"]["event_dest"], "");
    // Basic with the right account works, as does the open list.
    let (status, _) = call(
        dev.bare
            .get(&sub)
            .header("authorization", basic("admin", "facesim-admin")),
    )
    .await;
    assert_eq!(status, 200);
    for path in ["/v1/auth/errors", "/sim/stats"] {
        let (status, body) = call(dev.bare.get(format!("{}{path}", dev.api))).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (_, errors) = call(dev.bare.get(format!("{}/v1/auth/errors", dev.api))).await;
    let codes: Vec<i64> = errors["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_i64().unwrap())
        .collect();
    for code in [0, 200, 400, 401, 404, 413, 500, 1000, 1001] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    dev.stop().await;
}

#[tokio::test]
async fn login_errors_are_1000_and_1001_with_http_401() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    let login = format!("{}/v1/auth/login", dev.api);
    let (status, body) = call(
        dev.bare
            .post(&login)
            .json(&json!({"username": "nobody", "password": "x", "validTime": 1})),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(1000)), "{body}");
    let (status, body) = call(dev.bare.post(&login).json(&login_body("wrong", Some(1)))).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(1001)), "{body}");
    for bad in [&b"{"[..], b"[]", b"{\"username\":\"admin\"}"] {
        let (status, body) = call(dev.bare.post(&login).body(bad.to_vec())).await;
        assert_eq!((status, body["code"].as_i64()), (400, Some(400)), "{body}");
    }
    dev.stop().await;
}

/// Five wrong passwords in a row raise alarm 10004 under 1.3 (and nothing before).
#[tokio::test]
async fn repeated_wrong_passwords_raise_a_password_attack_alarm_under_1_3() {
    for (api, alarms) in [
        (facesim_proto::profile::ApiVersion::V1_3, 1),
        (facesim_proto::profile::ApiVersion::V1_2, 0),
    ] {
        let (rx_srv, mut received) = support::receiver(facesim::receiver::ReceiverConfig {
            api,
            ..Default::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = support::device_config(dir.path(), 0.0);
        config.synth.api = api;
        config.push.api = api;
        let dev = support::device(config).await;
        dev.configure(&format!("http://{}/eventRcv", rx_srv.addr), true)
            .await;
        let login = format!("{}/v1/auth/login", dev.api);
        for _ in 0..facesim::access::ATTACK_THRESHOLD {
            let (status, _) = call(dev.bare.post(&login).json(&login_body("guess", Some(1)))).await;
            assert_eq!(status, 401);
        }
        if alarms == 1 {
            let got = received.recv().await.unwrap();
            let alarm = got.event.as_alarm().expect("an alarm");
            assert_eq!(
                alarm.code,
                Some(facesim_proto::wire::AlarmCode::PasswordAttack)
            );
            assert_eq!(alarm.status, facesim_proto::wire::AlarmStatus::Raised);
        }
        let stats = dev.stats().await;
        assert_eq!(stats["generated"], alarms, "{api}: {stats}");
        dev.stop().await;
    }
}

#[tokio::test]
async fn no_auth_answers_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::device_config(dir.path(), 0.0);
    config.account.required = false;
    let dev = support::device(config).await;
    let (status, _) = call(dev.bare.get(format!("{}/v1/event/subscribe", dev.api))).await;
    assert_eq!(status, 200);
    dev.stop().await;
}
