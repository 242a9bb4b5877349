//! Remote authentication through HTTP: the reference auth server at `/auth` of `facesim
//! receiver`, and the zoo's faulty auth servers.

use std::time::Duration;

use facesim::receiver::ReceiverConfig;
use facesim::receiver::auth::{AuthPolicy, KnownFace};
use facesim::synth::{Caller, Generator, Method, SynthConfig};
use facesim::zoo::{self, Fault, ZooOptions};
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::{self, AnswerError, AuthRequest, OutcomeClass, UserId, VerifyCode};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::support::{self, Running};

const SN: &str = "PS71HD01MC22C00014";

fn generator(api: ApiVersion) -> Generator {
    let cfg = SynthConfig {
        seed: 42,
        api,
        width: 48,
        height: 64,
        ..SynthConfig::default()
    };
    Generator::new(&cfg, SN)
}

/// A library caller whose person is an employee or visitor with access (not blacklisted).
fn admissible(g: &Generator, method: Method) -> (u64, AuthRequest) {
    let profile = g.config().api.profile();
    (1..500)
        .map(|seq| {
            (
                seq,
                g.auth_request(Caller::library(method), seq, 1_700_000_000),
            )
        })
        .find(|(_, r)| {
            r.user.as_ref().is_some_and(|u| {
                profile.person_kind(u.kind) == Some(facesim_proto::profile::PersonKind::Employee)
            })
        })
        .expect("an employee among the callers")
}

async fn post(url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    facesim::tls::install_crypto_provider();
    let resp = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

async fn reference(api: ApiVersion, auth: AuthPolicy) -> (Running, String) {
    let (running, _events) = support::receiver(ReceiverConfig {
        api,
        auth,
        ..ReceiverConfig::default()
    })
    .await;
    let url = format!("http://{}/auth", running.addr);
    (running, url)
}

async fn zoo_auth(fault: Fault, api: ApiVersion) -> (String, oneshot::Sender<()>) {
    facesim::tls::install_crypto_provider();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let options = ZooOptions {
        api,
        slow_delay: Duration::from_millis(700),
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
    (format!("http://{addr}/auth"), tx)
}

#[tokio::test]
async fn the_reference_auth_server_decides_by_its_policy() {
    for api in [ApiVersion::V1_1, ApiVersion::V1_2_1, ApiVersion::V1_3] {
        let g = generator(api);
        let (running, url) = reference(api, AuthPolicy::default()).await;
        // A library employee with a good score passes and is named, with the id typed as
        // the version wants.
        let (_, library) = admissible(&g, Method::Face);
        let (status, body) = post(&url, &serde_json::to_vec(&library).unwrap()).await;
        let judged = wire::judge_auth_answer(status, &body, api.profile().auth_ids());
        assert_eq!(
            judged.class(),
            OutcomeClass::Success,
            "{api}: {}",
            judged.describe()
        );
        let decision = judged.decision().unwrap();
        assert!(decision.pass, "{api}");
        assert_eq!(decision.verify_code, Some(VerifyCode::Recognised));
        let user = library.user.as_ref().unwrap();
        assert_eq!(decision.user_id.as_ref(), Some(&user.user_id));
        assert_eq!(decision.user_name.as_deref(), Some(user.name.as_str()));
        assert!(
            decision
                .customtips
                .as_deref()
                .is_some_and(|t| t.starts_with("Hi"))
        );
        // A stranger's face is no match.
        let stranger = g.auth_request(Caller::stranger(Method::Face), 3, 1_700_000_000);
        let (status, body) = post(&url, &serde_json::to_vec(&stranger).unwrap()).await;
        let answer = wire::decode_auth_answer(&body).unwrap();
        assert_eq!(status, 200);
        assert!(!answer.data.pass);
        assert_eq!(answer.data.verify_code, Some(VerifyCode::NoMatch));
        assert_eq!(answer.msg, "OK");
        drop(running);
    }
}

#[tokio::test]
async fn known_faces_and_qr_prefixes_are_the_servers_to_decide() {
    let api = ApiVersion::V1_3;
    let g = generator(api);
    let policy = AuthPolicy {
        known_faces: vec!["7=u-42:Li Wei".parse::<KnownFace>().unwrap()],
        ..AuthPolicy::default()
    };
    let (_running, url) = reference(api, policy).await;
    let known = g.auth_request(Caller::stranger(Method::Face), 7, 1_700_000_000);
    let (_, body) = post(&url, &serde_json::to_vec(&known).unwrap()).await;
    let answer = wire::decode_auth_answer_as(&body, wire::IdKind::Text).unwrap();
    assert!(answer.data.pass);
    assert_eq!(answer.data.user_id, Some(UserId::Text("u-42".into())));
    assert_eq!(answer.data.user_name.as_deref(), Some("Li Wei"));
    assert_eq!(answer.data.verify_code, Some(VerifyCode::Recognised));
    // The same stranger at another record is not in the list.
    let unknown = g.auth_request(Caller::stranger(Method::Face), 8, 1_700_000_000);
    let (_, body) = post(&url, &serde_json::to_vec(&unknown).unwrap()).await;
    assert!(!wire::decode_auth_answer(&body).unwrap().data.pass);
    // QR codes pass on the prefix alone, a stranger's too; a foreign code does not.
    let qr = g.auth_request(Caller::stranger(Method::QrCode), 9, 1_700_000_000);
    let (_, body) = post(&url, &serde_json::to_vec(&qr).unwrap()).await;
    assert!(wire::decode_auth_answer(&body).unwrap().data.pass);
    let mut foreign = qr.clone();
    foreign.qrcode_content = Some("https://example.com/ticket".into());
    let (_, body) = post(&url, &serde_json::to_vec(&foreign).unwrap()).await;
    let answer = wire::decode_auth_answer(&body).unwrap();
    assert!(!answer.data.pass);
    assert_eq!(answer.data.verify_code, Some(VerifyCode::NoPermission));
}

#[tokio::test]
async fn the_heartbeat_and_bad_bodies_are_answered_with_the_envelope() {
    let (_running, url) = reference(ApiVersion::V1_3, AuthPolicy::default()).await;
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], 200);
    assert_eq!(body["msg"], "OK");
    let (status, body) = post(&url, b"{\"deviceSN\": 1}").await;
    assert_eq!(status, 400);
    let answer = wire::decode_auth_answer(&body).unwrap();
    assert_eq!(answer.code, 400);
    assert!(!answer.data.pass, "a refused body never opens the door");
    // The push path next to it is the receiver as before.
    let push_url = url.replace("/auth", "/eventRcv");
    let (status, _) = post(&push_url, b"[]").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn each_zoo_auth_server_breaks_its_one_rule() {
    let api = ApiVersion::V1_3;
    let g = generator(api);
    let (_, library) = admissible(&g, Method::Face);
    let library = serde_json::to_vec(&library).unwrap();
    let stranger =
        serde_json::to_vec(&g.auth_request(Caller::stranger(Method::Face), 3, 1_700_000_000))
            .unwrap();
    let ids = api.profile().auth_ids();
    for &fault in Fault::ALL.iter().filter(|f| f.is_auth()) {
        let (url, _stop) = zoo_auth(fault, api).await;
        let (status, body) = post(&url, &library).await;
        let judged = wire::judge_auth_answer(status, &body, ids);
        let beat = reqwest::get(&url).await.unwrap().status().as_u16();
        let (stranger_status, _) = post(&url, &stranger).await;
        let broken = match fault {
            Fault::AuthNoPass => {
                matches!(
                    judged,
                    wire::Outcome::Malformed(AnswerError::MissingField("data.pass"))
                )
            }
            Fault::AuthPassString => matches!(
                judged,
                wire::Outcome::Malformed(AnswerError::WrongType {
                    field: "data.pass",
                    ..
                })
            ),
            Fault::AuthVerifyCodeRange => matches!(
                judged,
                wire::Outcome::Malformed(AnswerError::OutOfRange { value: 7, .. })
            ),
            Fault::AuthVerifyContradicts => judged
                .decision()
                .is_some_and(|d| d.pass && d.verify_code == Some(VerifyCode::NoMatch)),
            Fault::AuthHeartbeat405 => beat == 405 && judged.class() == OutcomeClass::Success,
            Fault::AuthSlow => judged.class() == OutcomeClass::Success,
            Fault::AuthCrashStranger => {
                stranger_status == 500 && judged.class() == OutcomeClass::Success
            }
            Fault::AuthNoEnvelope => {
                matches!(
                    judged,
                    wire::Outcome::Malformed(AnswerError::MissingField("code"))
                )
            }
            Fault::AuthUserIdType => matches!(
                judged,
                wire::Outcome::Malformed(AnswerError::WrongType {
                    field: "data.user_id",
                    ..
                })
            ),
            other => panic!("{other} is not an auth fault"),
        };
        assert!(broken, "{fault}: {}", judged.describe());
        if fault != Fault::AuthHeartbeat405 {
            assert_eq!(beat, 200, "{fault}: the heartbeat is the reference's");
        }
        if fault != Fault::AuthCrashStranger {
            assert_eq!(stranger_status, 200, "{fault}");
        }
        // The push path of an auth fault is the reference receiver's.
        let push = url.replace("/auth", "/eventRcv");
        let event = g.generate(1, 1_700_000_000).event;
        let (status, body) = post(&push, &serde_json::to_vec(&event).unwrap()).await;
        assert_eq!(
            wire::judge_answer(status, &body, api.profile().answer).class(),
            OutcomeClass::Success,
            "{fault}: push path"
        );
    }
    // Under a push fault `/auth` is the reference.
    let (url, _stop) = zoo_auth(Fault::PassAsString, api).await;
    let (status, body) = post(&url, &library).await;
    assert_eq!(
        wire::judge_auth_answer(status, &body, ids).class(),
        OutcomeClass::Success
    );
}

#[tokio::test]
async fn the_user_id_fault_follows_the_version() {
    let api = ApiVersion::V1_2;
    let g = generator(api);
    let (_, library) = admissible(&g, Method::Card);
    let (url, _stop) = zoo_auth(Fault::AuthUserIdType, api).await;
    let (status, body) = post(&url, &serde_json::to_vec(&library).unwrap()).await;
    let judged = wire::judge_auth_answer(status, &body, api.profile().auth_ids());
    assert!(
        matches!(
            judged,
            wire::Outcome::Malformed(AnswerError::WrongType {
                field: "data.user_id",
                expected: "an integer",
                ..
            })
        ),
        "{}",
        judged.describe()
    );
}
