//! Maintenance through the device API over HTTPS, on the host that runs the terminal from
//! boot to boot: the certificate across a reboot, the reboot itself (live feed closed,
//! API refused, then everything back and pushes resumed in order), the factory reset,
//! the upgrade with its migration, refused packages, the system log, and state
//! directories started under another version.

use std::net::SocketAddr;
use std::time::Duration;

use facesim::host::{Booted, Host, HostConfig, Phase};
use facesim::maintenance::Restart;
use facesim::tls::CertPair;
use facesim_proto::profile::ApiVersion;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use crate::support::{self, authed_client, call};

/// A terminal on a host, with its phases followed.
struct TestHost {
    phase: watch::Receiver<Phase>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), facesim::host::HostError>>,
}

fn host_config(dir: &std::path::Path, api: ApiVersion, reboot: Duration) -> HostConfig {
    let mut device = support::device_config(dir, 0.0);
    device.synth.api = api;
    device.push.api = api;
    HostConfig {
        device,
        api: Some(api),
        https: true,
        cert: None,
        reboot_time: reboot,
        initial: None,
    }
}

/// A host of `api` on a state directory in `dir`, down for `reboot` on each restart, running.
async fn boot(dir: &std::path::Path, api: ApiVersion, reboot: Duration) -> TestHost {
    start(host_config(dir, api, reboot)).await
}

async fn start(config: HostConfig) -> TestHost {
    facesim::tls::install_crypto_provider();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = Host::new(config);
    let phase = host.phase();
    let (stop, wait) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        host.run(listener, async move {
            let _ = wait.await;
        })
        .await
    });
    TestHost {
        phase,
        stop: Some(stop),
        task,
    }
}

impl TestHost {
    /// Waits (at most 10 s) until the terminal is up in boot `boot` or later.
    async fn up(&mut self, boot: u64) -> Booted {
        let wait = self
            .phase
            .wait_for(|p| matches!(p, Phase::Up(b) if b.boot >= boot));
        let phase = tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("the terminal comes up")
            .expect("the host runs")
            .clone();
        match phase {
            Phase::Up(booted) => booted,
            _ => unreachable!(),
        }
    }

    /// Waits until the terminal is down for a restart.
    async fn down(&mut self) -> Restart {
        let wait = self.phase.wait_for(|p| matches!(p, Phase::Down(_)));
        let phase = tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("the terminal goes down")
            .expect("the host runs")
            .clone();
        match phase {
            Phase::Down(restart) => restart,
            _ => unreachable!(),
        }
    }

    async fn stop(mut self) {
        drop(self.stop.take());
        self.task.await.unwrap().unwrap();
    }
}

/// The default account's client, pinning the certificate a boot serves.
fn open_client(booted: &Booted) -> (reqwest::Client, String) {
    let pem = booted.cert_pem.clone().expect("https");
    let client = authed_client(&CertPair {
        cert_pem: pem,
        key_pem: String::new(),
    });
    (client, format!("https://{}", booted.addr))
}

/// A multipart/form-data body of file parts: (content type, body).
fn multipart(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "facesim-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend(*data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    client: &reqwest::Client,
    url: String,
    parts: &[(&str, &str, &[u8])],
) -> (u16, Value) {
    let (content_type, body) = multipart(parts);
    call(
        client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body),
    )
    .await
}

async fn get(client: &reqwest::Client, api: &str, path: &str) -> (u16, Value) {
    call(client.get(format!("{api}{path}"))).await
}

/// A gzip-compressed tar holding one file (deflate's stored blocks: no compression).
fn tgz() -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..10].copy_from_slice(b"update.bin");
    header[100..108].copy_from_slice(b"0000644\0");
    header[124..136].copy_from_slice(b"00000000100\0");
    header[156] = b'0';
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend([0x42; 64]);
    tar.resize(2048, 0);
    let mut gz = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1];
    let n = tar.len() as u16;
    gz.extend(n.to_le_bytes());
    gz.extend((!n).to_le_bytes());
    gz.extend(&tar);
    gz.extend(0u32.to_le_bytes());
    gz.extend((tar.len() as u32).to_le_bytes());
    gz
}

#[tokio::test]
async fn a_new_certificate_is_served_after_a_reboot_and_a_mismatched_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = boot(dir.path(), ApiVersion::V1_3, Duration::from_millis(200)).await;
    let first = host.up(1).await;
    let (old, api) = open_client(&first);
    let factory = first.cert_pem.clone().unwrap();
    let (status, body) = get(&old, &api, "/v1/auth/certificate").await;
    assert_eq!(
        (status, body["data"]["crt"].as_str()),
        (200, Some(factory.as_str()))
    );
    // The route needs the account like every other but login.
    let bare = support::pinned_client(&CertPair {
        cert_pem: factory.clone(),
        key_pem: String::new(),
    });
    assert_eq!(get(&bare, &api, "/v1/auth/certificate").await.0, 401);

    let new = CertPair::self_signed(&[]).unwrap();
    let other = CertPair::self_signed(&[]).unwrap();
    let url = format!("{api}/v1/auth/certificate");
    for (parts, why) in [
        (
            vec![
                ("crt", "c.pem", new.cert_pem.as_bytes()),
                ("key", "k.pem", other.key_pem.as_bytes()),
            ],
            "do not make",
        ),
        (
            vec![
                ("crt", "c.pem", b"not pem at all".as_slice()),
                ("key", "k.pem", new.key_pem.as_bytes()),
            ],
            "not PEM",
        ),
        (
            vec![("crt", "c.pem", new.cert_pem.as_bytes())],
            "both required",
        ),
    ] {
        let (status, body) = upload(&old, url.clone(), &parts).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], 400);
        assert!(body["msg"].as_str().unwrap().contains(why), "{body}");
    }
    // Refused uploads changed nothing: after a reboot the factory certificate is served.
    assert_eq!(get(&old, &api, "/v1/device/reboot").await.0, 200);
    let second = host.up(2).await;
    assert_eq!(second.cert_pem.as_deref(), Some(factory.as_str()));

    let parts = [
        ("crt", "c.pem", new.cert_pem.as_bytes()),
        ("key", "k.pem", new.key_pem.as_bytes()),
    ];
    let (status, body) = upload(&old, url.clone(), &parts).await;
    assert_eq!((status, &body["data"]), (200, &Value::Null), "{body}");
    // It takes effect only after a reboot.
    let (_, body) = get(&old, &api, "/v1/auth/certificate").await;
    assert_eq!(body["data"]["crt"], factory.as_str());
    assert_eq!(get(&old, &api, "/v1/device/reboot").await.0, 200);
    let third = host.up(3).await;
    let (fresh, _) = open_client(&third);
    let (status, body) = get(&fresh, &api, "/v1/auth/certificate").await;
    assert_eq!(
        (status, body["data"]["crt"].as_str()),
        (200, Some(new.cert_pem.as_str()))
    );
    assert!(
        old.get(format!("{api}/v1/device/info"))
            .send()
            .await
            .is_err(),
        "a client pinning the factory certificate no longer trusts the terminal"
    );

    // DELETE: the factory certificate again, after a reboot.
    let (status, body) = call(fresh.delete(&url)).await;
    assert_eq!((status, &body["data"]), (200, &Value::Null));
    assert_eq!(get(&fresh, &api, "/v1/device/reboot").await.0, 200);
    let fourth = host.up(4).await;
    assert_eq!(fourth.cert_pem.as_deref(), Some(factory.as_str()));
    host.stop().await;
}

#[tokio::test]
async fn a_reboot_closes_the_feed_refuses_connections_then_keeps_library_and_queue_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = boot(dir.path(), ApiVersion::V1_3, Duration::from_millis(1500)).await;
    let first = host.up(1).await;
    let (client, api) = open_client(&first);
    let (status, body) = call(client.post(format!("{api}/v1/user")).json(
        &json!({"user_id": "kept", "name": "Kept Person", "avatar": crate::library::photo(3)}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    // Pushing at a closed port: the triggered records stay queued.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (status, _) = call(
        client
            .post(format!("{api}/v1/event/subscribe"))
            .json(&json!({"event_dest": format!("http://{closed}/eventRcv"), "enabled": false})),
    )
    .await;
    assert_eq!(status, 200);
    let mut made = Vec::new();
    for _ in 0..3 {
        let (status, body) = call(client.post(format!("{api}/sim/trigger")).json(&json!({}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["queued"], true);
        made.push(body["data"]["seq"].as_u64().unwrap());
    }
    let mut feed = crate::history::connect(first.addr, first.cert_pem.as_deref().unwrap())
        .await
        .unwrap();

    let (status, body) = get(&client, &api, "/v1/device/reboot").await;
    assert_eq!((status, &body["data"]), (200, &Value::Null));
    assert_eq!(host.down().await, Restart::Reboot);
    // The live feed was closed and the API refuses connections while it is down.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match feed.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(m)) if m.is_close() => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the live feed is closed by the reboot");
    let refused = TcpStream::connect(first.addr).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    let second = host.up(2).await;
    assert_eq!(second.addr, first.addr);
    let (client, _) = open_client(&second);
    let (status, user) = get(&client, &api, "/v1/user/id/kept").await;
    assert_eq!(
        (status, user["data"]["name"].as_str()),
        (200, Some("Kept Person"))
    );
    let (_, stats) = get(&client, &api, "/sim/stats").await;
    assert_eq!(stats["data"]["queue"]["depth"], 3, "{stats}");

    // Pushes resume, oldest first.
    let (receiver, mut pushed) = support::receiver(facesim::receiver::ReceiverConfig {
        api: ApiVersion::V1_3,
        ..Default::default()
    })
    .await;
    let (status, _) = call(client.post(format!("{api}/v1/event/subscribe")).json(
        &json!({"event_dest": format!("http://{}/eventRcv", receiver.addr), "enabled": true}),
    ))
    .await;
    assert_eq!(status, 200);
    let mut got = Vec::new();
    while got.len() < 3 {
        let received = tokio::time::timeout(Duration::from_secs(10), pushed.recv())
            .await
            .expect("the backlog is pushed")
            .unwrap();
        got.push(received.trace.unwrap().1);
    }
    assert_eq!(got, made);
    host.stop().await;
}

#[tokio::test]
async fn restore_erases_library_records_and_settings_and_keeps_the_account_and_numbering() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = boot(dir.path(), ApiVersion::V1_3, Duration::from_millis(100)).await;
    let first = host.up(1).await;
    let (client, api) = open_client(&first);
    let (status, _) = call(
        client
            .post(format!("{api}/v1/user"))
            .json(&json!({"user_id": "gone", "name": "Gone", "avatar": crate::library::photo(4)})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        client
            .post(format!("{api}/v1/device/custom"))
            .json(&json!({"show_custom_logo": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (status, _) = call(
        client
            .post(format!("{api}/v1/event/subscribe"))
            .json(&json!({"event_dest": format!("http://{closed}/eventRcv"), "enabled": false})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, trig) = call(client.post(format!("{api}/sim/trigger")).json(&json!({}))).await;
    let seq = trig["data"]["seq"].as_u64().unwrap();
    let (_, factory_custom) = {
        let other = tempfile::tempdir().unwrap();
        let mut fresh = boot(other.path(), ApiVersion::V1_3, Duration::ZERO).await;
        let booted = fresh.up(1).await;
        let (c, a) = open_client(&booted);
        let got = get(&c, &a, "/v1/device/custom").await;
        fresh.stop().await;
        got
    };

    let (status, body) = get(&client, &api, "/v1/device/restore").await;
    assert_eq!((status, &body["data"]), (200, &Value::Null));
    assert_eq!(host.down().await, Restart::Restore);
    let second = host.up(2).await;
    let (client, _) = open_client(&second);
    // The same account logs in; the library, the records and the settings are gone.
    assert_eq!(get(&client, &api, "/v1/user/id/gone").await.0, 404);
    let (_, custom) = get(&client, &api, "/v1/device/custom").await;
    assert_eq!(custom["data"], factory_custom["data"]);
    assert_eq!(custom["data"]["show_custom_logo"], 2);
    let (_, sub) = get(&client, &api, "/v1/event/subscribe").await;
    assert_eq!(sub["data"]["enabled"], false);
    assert_eq!(sub["data"]["event_dest"], "");
    let (_, history) = call(
        client
            .post(format!("{api}/v1/event/records"))
            .json(&json!({"offset": 0, "limit": 10})),
    )
    .await;
    assert_eq!(history["data"]["total"], 0, "{history}");
    let (_, stats) = get(&client, &api, "/sim/stats").await;
    assert_eq!(stats["data"]["queue"]["depth"], 0);
    assert_eq!(
        stats["data"]["last_seq"], seq,
        "numbers are never handed out twice"
    );
    host.stop().await;
}

#[tokio::test]
async fn an_upgrade_to_1_3_migrates_settings_library_and_queued_records_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = boot(dir.path(), ApiVersion::V1_2, Duration::from_millis(100)).await;
    let first = host.up(1).await;
    let (client, api) = open_client(&first);
    let (_, info) = get(&client, &api, "/v1/device/info").await;
    assert_eq!(info["data"]["api_ver"], "1.2.0");
    let (status, _) = call(
        client
            .post(format!("{api}/v1/device/custom"))
            .json(&json!({"show_custom_logo": true})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(client.post(format!("{api}/v1/user")).json(
        &json!({"user_id": 77, "name": "Barred", "type": 3, "avatar": crate::library::photo(5)}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (status, _) = call(
        client
            .post(format!("{api}/v1/event/subscribe"))
            .json(&json!({"event_dest": format!("http://{closed}/eventRcv"), "enabled": false})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, queued) = call(client.post(format!("{api}/sim/trigger")).json(&json!({}))).await;
    assert_eq!(queued["data"]["queued"], true);
    // Logs come with 1.3.
    assert_eq!(get(&client, &api, "/v2/device/logs").await.0, 404);

    let package = tgz();
    let url = format!("{api}/v1/device/upgrade");
    let (status, body) = upload(
        &client,
        url,
        &[(
            "firmware",
            "SensePassS7_V1.3.0_20230601_update.tgz",
            &package,
        )],
    )
    .await;
    assert_eq!((status, &body["data"]), (200, &Value::Null), "{body}");
    assert!(matches!(
        host.down().await,
        Restart::Upgrade {
            api: ApiVersion::V1_3,
            ..
        }
    ));
    let second = host.up(2).await;
    let (client, _) = open_client(&second);
    let (_, info) = get(&client, &api, "/v1/device/info").await;
    assert_eq!(info["data"]["api_ver"], "1.3.0");
    let (_, custom) = get(&client, &api, "/v1/device/custom").await;
    assert_eq!(
        custom["data"]["show_custom_logo"], 1,
        "the custom logo stays shown"
    );
    let (status, user) = get(&client, &api, "/v1/user/id/77").await;
    assert_eq!(status, 200, "library ids are kept");
    assert_eq!(user["data"]["type"], 5, "the blacklist is type 5 under 1.3");

    let (receiver, mut pushed) = support::receiver(facesim::receiver::ReceiverConfig {
        api: ApiVersion::V1_3,
        ..Default::default()
    })
    .await;
    let (status, _) = call(client.post(format!("{api}/v1/event/subscribe")).json(
        &json!({"event_dest": format!("http://{}/eventRcv", receiver.addr), "enabled": true}),
    ))
    .await;
    assert_eq!(status, 200);
    let received = tokio::time::timeout(Duration::from_secs(10), pushed.recv())
        .await
        .unwrap()
        .unwrap();
    let record = received.event.as_record().expect("a record");
    assert!(
        record.uuid.is_some() && record.entry_mode.is_some() && record.abnormal_type.is_some(),
        "{record:?}"
    );
    let (status, logs) = get(&client, &api, "/v2/device/logs").await;
    assert_eq!(status, 200);
    let text = logs["data"].to_string();
    for expected in [
        "booted: firmware V1.2.1, API 1.2",
        "flashing firmware V1.3.0",
        "state migrated",
        "booted: firmware V1.3.0, API 1.3",
        "POST /v1/device/custom",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    host.stop().await;

    // Restarted without a version asked for, the terminal is what it became.
    let mut config = host_config(dir.path(), ApiVersion::V1_0, Duration::ZERO);
    config.api = None;
    let mut again = start(config).await;
    let booted = again.up(1).await;
    assert_eq!(booted.device.api(), ApiVersion::V1_3);
    again.stop().await;
}

/// Sends a request head by hand (a client that announces a huge body), and reads the
/// answer's status line.
async fn raw_status(addr: SocketAddr, cert_pem: &str, head: String) -> String {
    let config =
        facesim::tls::client_config(&facesim::tls::Trust::Pinned(cert_pem.into())).unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .unwrap();
    tls.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let n = tls.read(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn packages_that_are_not_one_too_old_unnamed_or_too_large_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = boot(dir.path(), ApiVersion::V1_3, Duration::from_millis(100)).await;
    let booted = host.up(1).await;
    let (client, api) = open_client(&booted);
    let url = format!("{api}/v1/device/upgrade");
    let good = tgz();
    for (name, data, why) in [
        (
            "SensePassS7_V1.3.1_update.tgz",
            b"PK\x03\x04 a zip archive, not a package".to_vec(),
            "not gzip",
        ),
        ("update.tgz", good.clone(), "carries no firmware version"),
        (
            "SensePassS7_V1.2.3_20230301_update.tgz",
            good.clone(),
            "no downgrade",
        ),
        (
            "SensePassS7_V1.0.5_20220801_update.tgz",
            good.clone(),
            "no downgrade",
        ),
    ] {
        let (status, body) = upload(&client, url.clone(), &[("firmware", name, &data)]).await;
        assert_eq!(
            (status, body["code"].as_i64()),
            (400, Some(400)),
            "{name}: {body}"
        );
        assert!(
            body["msg"].as_str().unwrap().contains(why),
            "{name}: {body}"
        );
    }
    let (status, body) = upload(&client, url.clone(), &[("other", "x.tgz", &good)]).await;
    assert_eq!(status, 400, "{body}");
    // 600 MB announced: refused from the head, before any of it is read.
    let status = raw_status(
        booted.addr,
        booted.cert_pem.as_deref().unwrap(),
        format!(
            "POST /v1/device/upgrade HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 600000000\r\n\r\n--x\r\n",
            support::basic_auth()
        ),
    )
    .await;
    assert!(status.contains("413"), "{status}");
    // Nothing of this restarted the terminal.
    assert!(matches!(&*host.phase.borrow(), Phase::Up(b) if b.boot == 1));
    // A reflash of the same API version is taken: the terminal reboots as it was.
    let (status, _) = upload(
        &client,
        url,
        &[("firmware", "SensePassS7_V1.3.2_20230801_update.tgz", &good)],
    )
    .await;
    assert_eq!(status, 200);
    let again = host.up(2).await;
    assert_eq!(again.device.api(), ApiVersion::V1_3);
    host.stop().await;
}

#[tokio::test]
async fn a_state_directory_is_migrated_forward_and_never_backward() {
    let dir = tempfile::tempdir().unwrap();
    // Records queued by a 1.0 terminal.
    let mut host = boot(dir.path(), ApiVersion::V1_0, Duration::ZERO).await;
    let booted = host.up(1).await;
    let (client, api) = open_client(&booted);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    call(
        client
            .post(format!("{api}/v1/event/subscribe"))
            .json(&json!({"event_dest": format!("http://{closed}/eventRcv"), "enabled": false})),
    )
    .await;
    let (_, queued) = call(client.post(format!("{api}/sim/trigger")).json(&json!({}))).await;
    assert_eq!(queued["data"]["queued"], true);
    host.stop().await;

    // Started as 1.3: migrated, and its backlog goes out in 1.3's layout.
    let mut host = boot(dir.path(), ApiVersion::V1_3, Duration::ZERO).await;
    let booted = host.up(1).await;
    let (client, api) = open_client(&booted);
    let (receiver, mut pushed) = support::receiver(facesim::receiver::ReceiverConfig {
        api: ApiVersion::V1_3,
        ..Default::default()
    })
    .await;
    call(client.post(format!("{api}/v1/event/subscribe")).json(
        &json!({"event_dest": format!("http://{}/eventRcv", receiver.addr), "enabled": true}),
    ))
    .await;
    let received = tokio::time::timeout(Duration::from_secs(10), pushed.recv())
        .await
        .unwrap()
        .unwrap();
    let record = received.event.as_record().unwrap();
    assert!(
        record.recognize_status.is_none()
            && record.recognition_type.is_some()
            && record.uuid.is_some(),
        "{record:?}"
    );
    host.stop().await;

    // Started as 1.2 now: refused, in one line, before any address is taken.
    let out = support::facesim_async(
        [
            "device",
            "--listen",
            "127.0.0.1:0",
            "--state",
            dir.path().to_str().unwrap(),
            "--api-version",
            "1.2",
            "--rate",
            "0",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = support::text(&out.stderr);
    assert!(
        err.contains("holds API 1.3 data") && err.contains("no downgrade"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
