//! The version checks that no faulty receiver of the zoo is aimed at can fail too: a
//! receiver made here refuses one thing a later firmware sends (the identity headers, the
//! last `entry_mode`, a rare `abnormal_type`, a populated `groups`), answering everything
//! else as the reference receiver of that version does, and exactly the check about that
//! thing fails.

use std::collections::BTreeSet;

use bytes::Bytes;
use facesim::receiver::{self, ReceiverConfig};
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::field;
use serde_json::Value;
use tokio::sync::oneshot;
use warp::Filter;

use crate::support::{Server, config, explain, findings, run};

/// What the hand-made receiver refuses, with HTTP 400.
#[derive(Clone, Copy, Debug)]
enum Refuses {
    /// Requests carrying the `account` header.
    IdentityHeaders,
    /// Records with `entry_mode` 12 (job number and PIN).
    LastEntryMode,
    /// Records with `abnormal_type` 70002 (too many wrong PINs).
    RareAbnormalType,
    /// Records whose user belongs to a group.
    PopulatedGroups,
}

impl Refuses {
    fn applies(self, account: Option<&str>, event: &Value) -> bool {
        let data = &event[field::DATA];
        match self {
            Refuses::IdentityHeaders => account.is_some(),
            Refuses::LastEntryMode => data[field::ENTRY_MODE] == 12,
            Refuses::RareAbnormalType => data[field::ABNORMAL_TYPE] == 70002,
            Refuses::PopulatedGroups => data[field::USER][field::GROUPS]
                .as_array()
                .is_some_and(|g| !g.is_empty()),
        }
    }
}

async fn start(refuses: Refuses, api: ApiVersion) -> (Server, oneshot::Sender<()>) {
    let (listener, url) = crate::support::hand_made_listener().await;
    let cfg = ReceiverConfig {
        api,
        ..ReceiverConfig::default()
    };
    let route = warp::post()
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::header::optional::<String>(field::HEADER_ACCOUNT))
        // The reference receiver's server refuses bodies far over any real event (B-04).
        .and(warp::body::content_length_limit(4 * 1024 * 1024))
        .and(warp::body::bytes())
        .map(
            move |ct: Option<String>, account: Option<String>, body: Bytes| {
                let event: Value = serde_json::from_slice(&body).unwrap_or_default();
                let (status, answer) = if refuses.applies(account.as_deref(), &event) {
                    (
                        400,
                        br#"{"code":400,"msg":"not accepted","data":{}}"#.to_vec(),
                    )
                } else {
                    receiver::answer(&cfg, ct.as_deref(), &body)
                };
                crate::support::json_answer(status, answer)
            },
        );
    let (stop, stopped) = crate::support::stopper();
    tokio::spawn(facesim::server::serve(
        listener,
        None,
        warp::service(route),
        stopped,
    ));
    (Server::at(url), stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_check_without_a_zoo_fault_finds_what_it_is_about() {
    let cases: [(Refuses, &[&str]); 4] = [
        // Every push carries the headers, so the baseline fails too; T-07 tells why.
        (Refuses::IdentityHeaders, &["T-01", "T-07"]),
        (Refuses::LastEntryMode, &["R-10"]),
        (Refuses::RareAbnormalType, &["R-11"]),
        // Generated people may belong to groups, so records elsewhere can be refused
        // too; R-13 must be among the findings.
        (Refuses::PopulatedGroups, &["R-13"]),
    ];
    for (refuses, want) in cases {
        let (server, _stop) = start(refuses, ApiVersion::V1_3).await;
        let mut cfg = config(&server);
        cfg.api = ApiVersion::V1_3;
        let report = run(cfg).await;
        let found = findings(&report);
        let want: BTreeSet<&str> = want.iter().copied().collect();
        match refuses {
            Refuses::PopulatedGroups => assert!(
                found.contains("R-13"),
                "{refuses:?}: {found:?}\n{}",
                explain(&report)
            ),
            _ => assert_eq!(found, want, "{refuses:?}\n{}", explain(&report)),
        }
        // Under 1.0 the same receiver passes: nothing it refuses is sent.
        let (server, _stop) = start(refuses, ApiVersion::V1_0).await;
        let report = run(config(&server)).await;
        assert!(
            findings(&report).is_empty(),
            "{refuses:?} under 1.0\n{}",
            explain(&report)
        );
    }
}
