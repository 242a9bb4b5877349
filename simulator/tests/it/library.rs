//! The person library over HTTPS: the vendor SDK's test sequence under API 1.2 (integer
//! ids, Bearer tokens), the 1.3 flow with string ids that ends in records naming exactly
//! the enrolled people, persistence across a restart, and hostile bodies.

use std::collections::HashSet;

use base64::Engine;
use facesim_proto::profile::ApiVersion;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::{self, TestDevice, call};

/// A small JPEG face, base64, from the generator (a different face per `n`): the first
/// unmasked one from record `2n + 2` on, since enrolment refuses masked faces.
pub fn photo(n: u64) -> String {
    use base64::Engine;
    let generator = facesim::synth::Generator::new(
        &facesim::synth::SynthConfig {
            seed: n,
            width: 96,
            height: 128,
            ..Default::default()
        },
        "PHOTO",
    );
    let draw = (n * 2 + 2..)
        .map(|seq| generator.draw(seq))
        .find(|d| !d.shot.mask_worn && !d.shot.spoof)
        .expect("an unmasked face");
    base64::engine::general_purpose::STANDARD.encode(generator.snapshot(&draw))
}

/// A client that logs in the way the SDK does: `validTime` 1440, then `Bearer`.
async fn sdk_token(dev: &TestDevice) -> String {
    let (status, body) = call(
        dev.bare
            .post(format!("{}/v1/auth/login", dev.api))
            .json(&json!({"username": "admin", "password": "facesim-admin", "validTime": 1440})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["token"].as_str().unwrap().to_string()
}

struct Sdk<'a> {
    dev: &'a TestDevice,
    token: String,
}

impl Sdk<'_> {
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.dev.api);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .dev
            .bare
            .request(method, url)
            .bearer_auth(&self.token)
            .header("content-type", "application/json; charset=UTF-8");
        if let Some(body) = body {
            req = req.body(serde_json::to_vec(&body).unwrap());
        }
        call(req).await
    }
}

#[tokio::test]
async fn the_vendor_sdk_sequence_passes_under_1_2_with_integer_ids() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_2).await;
    // AuthTest.
    let (status, _) = call(
        dev.bare
            .post(format!("{}/v1/auth/login", dev.api))
            .json(&json!({"username": "admin", "password": "wrong", "validTime": 1})),
    )
    .await;
    assert_ne!(status, 200);
    let sdk = Sdk {
        token: sdk_token(&dev).await,
        dev: &dev,
    };
    assert!(sdk.token.len() > 20);
    // DeviceTest.
    let (status, info) = sdk.send("GET", "/v1/device/info", None).await;
    assert_eq!(status, 200);
    let info = &info["data"];
    for (field, min) in [
        ("model", 8),
        ("device_sn", 8),
        ("hw_ver", 1),
        ("sw_ver", 3),
        ("app_ver", 3),
        ("api_ver", 3),
    ] {
        let len = info[field].as_str().unwrap_or_default().len();
        assert!(len > min, "{field}: {info}");
    }
    assert_eq!(info["api_ver"], "1.2.0");
    let (_, custom) = sdk.send("GET", "/v1/device/custom", None).await;
    assert!(custom["data"]["show_custom_logo"].is_boolean(), "{custom}");
    let (status, system) = sdk.send("GET", "/v1/device/system", None).await;
    assert!(status == 200 && system["data"].is_object());

    // UserTest.
    let avatar = photo(1);
    let (status, _) = sdk.send("GET", "/v1/user/id/123", None).await;
    assert_eq!(status, 404);
    let user = json!({
        "user_id": 123, "name": "userTestName", "type": 1, "avatar": avatar, "feature": "",
        "ic_number": "3333", "id_number": "7654321", "job_number": "4544",
        "guest_time_start": 0, "guest_time_end": 0, "groups": [], "is_admin": false,
        "remark": "this is an unit test user"
    });
    let (status, created) = sdk.send("POST", "/v1/user", Some(user.clone())).await;
    assert_eq!(status, 200, "{created}");
    let created = &created["data"];
    for field in [
        "user_id",
        "name",
        "type",
        "avatar",
        "ic_number",
        "id_number",
        "job_number",
        "groups",
        "is_admin",
        "remark",
    ] {
        assert_eq!(created[field], user[field], "{field}");
    }
    assert!(created["feature"].as_str().unwrap().len() > 1024);
    assert!(created["create_at"].as_i64().unwrap() > 1_500_000_000_000);
    assert!(created["update_at"].as_i64().unwrap() > 1_500_000_000_000);
    for search in [
        json!({"name": "userTestName", "job_number": "", "ic_number": ""}),
        json!({"name": "", "job_number": "4544", "ic_number": ""}),
        json!({"name": "", "job_number": "", "ic_number": "3333"}),
    ] {
        let (_, found) = sdk.send("POST", "/v1/user/search", Some(search)).await;
        assert_eq!(found["data"]["items"][0], 123, "{found}");
    }
    let (_, got) = sdk.send("GET", "/v1/user/id/123", None).await;
    assert_eq!(got["data"]["avatar"], avatar);
    assert_eq!(got["data"]["feature"], created["feature"]);
    let mut changed = user.clone();
    for field in ["name", "ic_number", "id_number", "job_number", "remark"] {
        changed[field] = json!(format!("{}new", user[field].as_str().unwrap()));
    }
    let (status, put) = sdk
        .send("PUT", "/v1/user/id/123", Some(changed.clone()))
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["data"]["name"], "userTestNamenew");
    assert_eq!(put["data"]["remark"], "this is an unit test usernew");
    let (_, page) = sdk.send("GET", "/v1/user/offset/0/limit/10", None).await;
    assert!(page["data"]["count"].as_u64() > Some(0) && page["data"]["total"].as_u64() > Some(0));
    assert_eq!(page["data"]["items"][0]["user_id"], 123);
    let (status, _) = sdk.send("DELETE", "/v1/user/id/123", None).await;
    assert_eq!(status, 200);

    // GroupTest.
    let group = json!({"name": "testGroup", "type": 1, "group_id": 123, "rule_id": 0});
    let (status, g) = sdk.send("POST", "/v1/group", Some(group)).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(
        (g["data"]["group_id"].clone(), g["data"]["rule_id"].clone()),
        (json!(123), json!(0))
    );
    let (_, found) = sdk
        .send(
            "POST",
            "/v1/group/search",
            Some(json!({"name": "testGroup"})),
        )
        .await;
    assert_eq!(found["data"]["items"][0], 123);
    let (_, g) = sdk.send("GET", "/v1/group/id/123", None).await;
    assert!(g["data"]["create_at"].as_i64().unwrap() > 1_500_000_000_000);
    let (_, g) = sdk
        .send(
            "PUT",
            "/v1/group/id/123",
            Some(json!({"name": "newGroupTestName", "type": 1, "group_id": 123, "rule_id": 0})),
        )
        .await;
    assert_eq!(g["data"]["name"], "newGroupTestName");
    let (status, _) = sdk.send("GET", "/v1/group/offset/0/limit/10", None).await;
    assert_eq!(status, 200);
    let (status, _) = sdk.send("DELETE", "/v1/group/id/123", None).await;
    assert_eq!(status, 200);

    // RuleTest.
    let period = json!({"start_time": {"hour": 11, "min": 11, "sec": 11}, "end_time": {"hour": 22, "min": 22, "sec": 22}});
    let schedule = json!({
        "onset_point": 1_670_818_332_000i64, "expire_point": 1_672_539_010_000i64,
        "mon_period": [period], "the_period": [], "wed_period": [], "thur_period": [],
        "fri_period": [], "sat_period": [], "sun_period": [],
        "special_days": [{"year": 2022, "month": 0, "day": 1, "today_period": [period]}]
    });
    let rule = json!({"rule_id": 123, "name": "ruleTestName", "schedule": schedule});
    let (status, r) = sdk.send("POST", "/v1/rule", Some(rule)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["data"]["rule_id"], 123);
    assert_eq!(r["data"]["schedule"]["mon_period"][0], period);
    assert_eq!(
        r["data"]["schedule"]["special_days"][0]["today_period"][0],
        period
    );
    let (_, found) = sdk
        .send(
            "POST",
            "/v1/rule/search",
            Some(json!({"name": "ruleTestName"})),
        )
        .await;
    assert_eq!(found["data"]["items"][0], 123);
    let mut schedule2 = schedule.clone();
    schedule2["mon_period"] = json!([]);
    let (_, r) = sdk
        .send(
            "PUT",
            "/v1/rule/id/123",
            Some(json!({"rule_id": 123, "name": "newTestRuleName", "schedule": schedule2})),
        )
        .await;
    assert_eq!(r["data"]["name"], "newTestRuleName");
    assert_eq!(r["data"]["schedule"]["mon_period"], json!([]));
    let (_, page) = sdk.send("GET", "/v1/rule/offset/0/limit/10", None).await;
    assert_ne!(page["data"]["count"], 0);
    let (status, _) = sdk.send("DELETE", "/v1/rule/id/123", None).await;
    assert_eq!(status, 200);

    // Integer ids are refused when they are not integers in range.
    let (status, body) = sdk
        .send(
            "POST",
            "/v1/user",
            Some(json!({"user_id": "a-uuid", "name": "x"})),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!(400)));
    dev.stop().await;
}

#[tokio::test]
async fn groups_and_rules_answer_every_route_of_their_collection() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_2).await;
    let sdk = Sdk {
        dev: &dev,
        token: sdk_token(&dev).await,
    };
    let schedule = json!({
        "onset_point": 1_670_818_332_000i64, "expire_point": 4_000_000_000_000i64,
        "mon_period": [], "the_period": [], "wed_period": [], "thur_period": [],
        "fri_period": [], "sat_period": [], "sun_period": [], "special_days": []
    });
    let rule = json!({"rule_id": 7, "name": "Weekdays", "schedule": schedule});
    let (status, r) = sdk.send("POST", "/v1/rule", Some(rule)).await;
    assert_eq!(status, 200, "{r}");
    let group = json!({"group_id": 5, "name": "Night shift", "type": 1, "rule_id": 7});
    let (status, g) = sdk.send("POST", "/v1/group", Some(group)).await;
    assert_eq!(status, 200, "{g}");
    let user = json!({"user_id": 9, "name": "Member", "groups": [5]});
    assert_eq!(sdk.send("POST", "/v1/user", Some(user)).await.0, 200);
    // Each collection's related ids: a group's users, a rule's groups.
    let (_, members) = sdk.send("GET", "/v1/group/id/5/users", None).await;
    assert_eq!(members["data"]["items"], json!([9]), "{members}");
    let (_, bound) = sdk.send("GET", "/v1/rule/id/7/groups", None).await;
    assert_eq!(bound["data"]["items"], json!([5]), "{bound}");
    // Batches, then batch deletes: groups name what they refused, rules answer null.
    let batch = json!({"group_list": [{"group_id": 6, "name": "Day shift", "type": 1}]});
    let (status, b) = sdk.send("POST", "/v2/group", Some(batch)).await;
    assert_eq!(
        (status, b["data"]["errors"].clone()),
        (200, json!([])),
        "{b}"
    );
    let batch = json!({"rule_list": [{"rule_id": 8, "name": "Weekends", "schedule": schedule}]});
    let (status, b) = sdk.send("POST", "/v2/rule", Some(batch)).await;
    assert_eq!(
        (status, b["data"]["errors"].clone()),
        (200, json!([])),
        "{b}"
    );
    for (name, other) in [("group", 6), ("rule", 8)] {
        let (_, page) = sdk
            .send("GET", &format!("/v1/{name}/offset/0/limit/10"), None)
            .await;
        assert_eq!(page["data"]["total"], 2, "{name}: {page}");
        let (status, _) = sdk
            .send("GET", &format!("/v1/{name}/offset/x/limit/10"), None)
            .await;
        assert_eq!(status, 400, "{name}: a page offset that is not a number");
        let ids = json!({"ids": [other, 404]});
        let (status, d) = sdk.send("DELETE", &format!("/v2/{name}"), Some(ids)).await;
        assert_eq!(status, 200, "{name}: {d}");
        let (status, _) = sdk
            .send("GET", &format!("/v1/{name}/id/{other}"), None)
            .await;
        assert_eq!(status, 404, "{name} {other} is gone");
        let (status, _) = sdk
            .send("PUT", &format!("/v1/{name}/id/{other}"), Some(json!([])))
            .await;
        assert_eq!(status, 400, "{name}: a body that is not an object");
    }
    let (_, d) = sdk
        .send("DELETE", "/v2/group", Some(json!({"ids": [404]})))
        .await;
    assert_eq!(d["data"]["errors"][0]["code"], 404, "{d}");
    let (_, d) = sdk
        .send("DELETE", "/v2/rule", Some(json!({"ids": [404]})))
        .await;
    assert_eq!(d["data"], Value::Null, "{d}");
    dev.stop().await;
}

#[tokio::test]
async fn under_1_3_enrolled_people_are_recognised_and_deleted_ones_never_again() {
    let (rx_srv, mut received) = support::receiver(facesim::receiver::ReceiverConfig {
        api: ApiVersion::V1_3,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::device_config(dir.path(), 0.0);
    config.synth.api = ApiVersion::V1_3;
    config.push.api = ApiVersion::V1_3;
    config.synth.alarm_share = Some(0.0);
    let dev = support::device(config).await;
    let sdk = Sdk {
        token: sdk_token(&dev).await,
        dev: &dev,
    };
    let (status, g) = sdk
        .send(
            "POST",
            "/v1/group",
            Some(json!({"group_id": "staff-1", "name": "Staff", "type": 1, "rule_id": ""})),
        )
        .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["data"]["rule_id"], "");
    // One by one, with photos and string ids.
    let mut enrolled = HashSet::new();
    for n in 0..3u64 {
        let id = format!("9b2c0f4e-0000-4000-8000-00000000000{n}");
        let (status, u) = sdk
            .send("POST", "/v1/user", Some(json!({"user_id": id, "name": format!("Person {n}"), "avatar": photo(n), "groups": ["staff-1"], "ic_number": format!("IC{n}")})))
            .await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(u["data"]["user_id"], id.as_str());
        assert_eq!(u["data"]["groups"], json!(["staff-1"]));
        enrolled.insert(id);
    }
    // And in a batch, with one bad item reported and the rest applied.
    let mut list: Vec<Value> = (3..6u64)
        .map(|n| json!({"user_id": format!("batch-{n}"), "name": format!("Batch {n}"), "avatar": photo(n)}))
        .collect();
    list.push(json!({"user_id": "bad-one", "name": ""}));
    list.push(json!({"name": "no id"}));
    let (status, batch) = sdk
        .send("POST", "/v2/user", Some(json!({"user_list": list})))
        .await;
    assert_eq!(status, 200, "{batch}");
    let errors = batch["data"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{batch}");
    assert_eq!(errors[0]["id"], "bad-one");
    assert_eq!(errors[0]["code"], 400);
    for n in 3..6 {
        enrolled.insert(format!("batch-{n}"));
    }
    let (_, page) = sdk.send("GET", "/v1/user/offset/2/limit/3", None).await;
    assert_eq!(
        (page["data"]["count"].clone(), page["data"]["total"].clone()),
        (json!(3), json!(6))
    );
    let (status, _) = sdk.send("GET", "/v1/user/offset/0/limit/101", None).await;
    assert_eq!(status, 400);
    let (_, found) = sdk
        .send("POST", "/v1/user/search", Some(json!({"name": "Batch"})))
        .await;
    assert_eq!(
        found["data"]["items"],
        json!(["batch-3", "batch-4", "batch-5"])
    );
    let (_, members) = sdk.send("GET", "/v1/group/id/staff-1/users", None).await;
    assert_eq!(members["data"]["items"].as_array().unwrap().len(), 3);
    let (_, info) = sdk.send("GET", "/v2/datasync/info", None).await;
    assert_eq!(info["data"]["users"].as_array().unwrap().len(), 6);

    // Subscribe and watch: every named person is an enrolled one, stored fields exact.
    let (status, _) = sdk
        .send(
            "POST",
            "/v1/event/subscribe",
            Some(
                json!({"event_dest": format!("http://{}/eventRcv", rx_srv.addr), "enabled": false}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let mut seen = HashSet::new();
    let (mut compared, mut nearest_own) = (0, 0);
    for _ in 0..40 {
        let (status, _) = dev.trigger(&json!({})).await;
        assert_eq!(status, 200);
        let got = received.recv().await.unwrap();
        let record = got.event.as_record().unwrap().clone();
        if let Some(user) = record.user {
            let id = user.user_id.to_string();
            assert!(enrolled.contains(&id), "{id} is not enrolled");
            if id.starts_with("9b2c") {
                let n = &id[id.len() - 1..];
                assert_eq!(user.name, format!("Person {n}"));
                // The snapshot is made from the enrolled photo: nearer to it than to any
                // other enrolled person's (unmasked, as in the photo). The likeness
                // signature is a crude measure: over 1,200 snapshots of 120 such photos it
                // names the right photo of six for 93 to 94% of them, but its misses come
                // by person, not by snapshot (one person's brown hair, in a warmer light,
                // passes for the face in some snapshots and not in others: with one bank
                // of proportions, 4 of that person's 7 snapshots here). So two in three,
                // not all, must be nearest their own; made from a wrong photo, about 1 in
                // 6 would be.
                let sign = |b64: &str| {
                    use base64::Engine;
                    let jpeg = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap();
                    facesim::synth::signature::FaceSignature::of(&jpeg).unwrap()
                };
                let shot = sign(&record.rgb_image);
                let own: u64 = n.parse().unwrap();
                let mine = shot.distance(&sign(&photo(own)));
                if record.mask != facesim_proto::wire::Mask::Worn {
                    compared += 1;
                    let nearest = (0..6)
                        .filter(|&o| o != own)
                        .all(|other| mine < shot.distance(&sign(&photo(other))));
                    nearest_own += usize::from(nearest);
                }
                assert_eq!(user.ic_number.as_deref(), Some(format!("IC{n}").as_str()));
                let groups = user.groups.unwrap();
                assert_eq!(
                    (groups[0].id.as_str(), groups[0].name.as_str()),
                    ("staff-1", "Staff")
                );
            }
            seen.insert(id);
        }
    }
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(
        compared >= 5,
        "{compared} unmasked snapshots of enrolled people to compare"
    );
    assert!(
        nearest_own * 3 >= compared * 2,
        "{nearest_own} of {compared} snapshots nearest their own photo"
    );
    // Delete one: never recognised again.
    let gone = seen.iter().next().unwrap().clone();
    let (status, del) = sdk
        .send(
            "DELETE",
            "/v2/user",
            Some(json!({"ids": [gone.clone(), "nobody"]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(del["data"]["errors"][0]["code"], 404);
    for _ in 0..30 {
        dev.trigger(&json!({})).await;
        let got = received.recv().await.unwrap();
        if let Some(user) = &got.event.as_record().unwrap().user {
            assert_ne!(user.user_id.to_string(), gone);
        }
    }
    // Open the door remotely: counted, no record.
    let before = dev.stats().await;
    let (status, _) = sdk
        .send("POST", "/v1/device/door", Some(json!({"open_mode": 0})))
        .await;
    assert_eq!(status, 200);
    let (status, _) = sdk.send("POST", "/v1/device/door", Some(json!({}))).await;
    assert_eq!(status, 400);
    let after = dev.stats().await;
    assert_eq!(after["door"]["remote"], 1);
    assert_eq!(
        after["door"]["opened"].as_u64(),
        before["door"]["opened"].as_u64().map(|n| n + 1)
    );
    assert_eq!(after["generated"], before["generated"]);
    dev.stop().await;
}

/// The snapshot of the next unmasked record naming someone, with their user id.
async fn next_unmasked_face(
    dev: &TestDevice,
    received: &mut tokio::sync::mpsc::UnboundedReceiver<facesim::receiver::Received>,
) -> (String, facesim::synth::signature::FaceSignature) {
    for _ in 0..60 {
        let (status, _) = dev.trigger(&json!({})).await;
        assert_eq!(status, 200);
        let got = received.recv().await.unwrap();
        let record = got.event.as_record().unwrap().clone();
        if let Some(user) = record.user
            && record.mask != facesim_proto::wire::Mask::Worn
        {
            let jpeg = base64::engine::general_purpose::STANDARD
                .decode(&record.rgb_image)
                .unwrap();
            let sign = facesim::synth::signature::FaceSignature::of(&jpeg).unwrap();
            return (user.user_id.to_string(), sign);
        }
    }
    panic!("no unmasked record of an enrolled person in 60");
}

#[tokio::test]
async fn a_changed_photo_is_what_the_next_snapshots_are_made_from() {
    let (rx_srv, mut received) = support::receiver(facesim::receiver::ReceiverConfig {
        api: ApiVersion::V1_3,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::versioned_config(dir.path(), ApiVersion::V1_3);
    config.synth.alarm_share = Some(0.0);
    let dev = support::device(config).await;
    let sdk = Sdk {
        token: sdk_token(&dev).await,
        dev: &dev,
    };
    let id = "7d1e0c2a-0000-4000-8000-000000000001";
    let enrol = json!({"user_id": id, "name": "Changes", "avatar": photo(1)});
    assert_eq!(sdk.send("POST", "/v1/user", Some(enrol)).await.0, 200);
    let subscribe =
        json!({"event_dest": format!("http://{}/eventRcv", rx_srv.addr), "enabled": false});
    let (status, _) = sdk
        .send("POST", "/v1/event/subscribe", Some(subscribe))
        .await;
    assert_eq!(status, 200);
    let sign = |n: u64| {
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(photo(n))
            .unwrap();
        facesim::synth::signature::FaceSignature::of(&jpeg).unwrap()
    };
    let (old, new) = (sign(1), sign(4));
    let (who, shot) = next_unmasked_face(&dev, &mut received).await;
    assert_eq!(who, id);
    let (to_old, to_new) = (shot.distance(&old), shot.distance(&new));
    assert!(
        to_old < to_new,
        "before: {to_old} to the photo, {to_new} to the next"
    );
    // A new photo for the same person: the snapshots follow it at once, although the
    // state of the first photo is kept for the process.
    let change = json!({"name": "Changes", "avatar": photo(4)});
    let (status, body) = sdk
        .send("PUT", &format!("/v1/user/id/{id}"), Some(change))
        .await;
    assert_eq!(status, 200, "{body}");
    let (who, shot) = next_unmasked_face(&dev, &mut received).await;
    assert_eq!(who, id);
    let (to_old, to_new) = (shot.distance(&old), shot.distance(&new));
    assert!(
        to_new < to_old,
        "after: {to_new} to the new photo, {to_old} to the old one"
    );
    dev.stop().await;
}

#[tokio::test]
async fn rules_visitors_and_the_blacklist_decide_the_door() {
    let (rx_srv, mut received) = support::receiver(facesim::receiver::ReceiverConfig {
        api: ApiVersion::V1_3,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::device_config(dir.path(), 0.0);
    config.synth.api = ApiVersion::V1_3;
    config.push.api = ApiVersion::V1_3;
    config.synth.alarm_share = Some(0.0);
    let dev = support::device(config).await;
    let c = &dev.client;
    let post = |path: &str, body: Value| call(c.post(format!("{}{path}", dev.api)).json(&body));
    // The clock (2022-08-16) is outside this rule's validity: nobody in it may pass.
    let (status, r) = post(
        "/v1/rule",
        json!({"rule_id": "r1", "name": "Old", "schedule": {"onset_point": 1_600_000_000_000i64, "expire_point": 1_600_000_001_000i64}}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        post(
            "/v1/group",
            json!({"group_id": "g1", "name": "Night", "rule_id": "r1"})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            "/v1/group",
            json!({"group_id": "bl", "name": "Banned", "type": 5})
        )
        .await
        .0,
        200
    );
    let (status, body) = post(
        "/v1/user",
        json!({"user_id": "u", "name": "Mixed", "groups": ["g1", "bl"]}),
    )
    .await;
    assert_eq!(status, 400, "conflicting group types: {body}");
    assert_eq!(
        post(
            "/v1/user",
            json!({"user_id": "ruled", "name": "Ruled", "groups": ["g1"]})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            "/v1/user",
            json!({"user_id": "banned", "name": "Banned", "type": 5})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post("/v1/user", json!({"user_id": "guest", "name": "Guest", "type": 2, "guest_time_start": 1_000, "guest_time_end": 2_000})).await.0,
        200
    );
    dev.configure(&format!("http://{}/eventRcv", rx_srv.addr), false)
        .await;
    let mut codes = HashSet::new();
    for _ in 0..40 {
        dev.trigger(&json!({})).await;
        let got = received.recv().await.unwrap();
        let record = got.event.as_record().unwrap();
        let Some(user) = &record.user else { continue };
        assert!(!record.pass, "{} must not pass", user.user_id);
        let abnormal = record.abnormal_type.unwrap();
        match user.user_id.to_string().as_str() {
            "ruled" => assert!(
                abnormal == 20002 || !(20000..=30000).contains(&abnormal),
                "{abnormal}"
            ),
            "guest" => assert!(
                abnormal == 20001 || !(20000..=30000).contains(&abnormal),
                "{abnormal}"
            ),
            "banned" => assert_eq!(
                record.recognition_type,
                Some(facesim_proto::wire::RecognitionType::Blacklisted)
            ),
            other => panic!("{other} is not enrolled"),
        }
        codes.insert(abnormal);
    }
    assert!(
        codes.contains(&20001) && codes.contains(&20002),
        "{codes:?}"
    );
    // Deleting the rule unbinds the group: the ruled person may pass again.
    let (status, g) = call(c.delete(format!("{}/v1/rule/id/r1", dev.api))).await;
    assert_eq!(status, 200, "{g}");
    let (_, g) = call(c.get(format!("{}/v1/group/id/g1", dev.api))).await;
    assert_eq!(g["data"]["rule_id"], "");
    dev.stop().await;
}

#[tokio::test]
async fn the_library_survives_a_restart_and_clear_empties_it() {
    let dir = tempfile::tempdir().unwrap();
    let avatar = photo(7);
    {
        let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
        let (status, body) = call(
            dev.client
                .post(format!("{}/v1/user", dev.api))
                .json(&json!({"user_id": "keep", "name": "Kept", "avatar": avatar})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // A feature given wins over the photo's; a bad one is refused.
        let (status, _) = call(
            dev.client
                .post(format!("{}/v1/user", dev.api))
                .json(&json!({"user_id": "bad", "name": "Bad", "feature": "%%%"})),
        )
        .await;
        assert_eq!(status, 400);
        let (status, _) = call(dev.client.post(format!("{}/v1/user", dev.api)).json(
            &json!({"user_id": "png", "name": "Png", "avatar": base64::engine::general_purpose::STANDARD.encode(b"GIF89a....")}),
        ))
        .await;
        assert_eq!(status, 400, "a GIF is not an accepted avatar");
        dev.stop().await;
    }
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    let (status, body) = call(dev.client.get(format!("{}/v1/user/id/keep", dev.api))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["avatar"], avatar);
    assert_eq!(body["data"]["name"], "Kept");
    let (status, _) = call(dev.bare.get(format!("{}/v2/datasync/ping", dev.api))).await;
    assert_eq!(status, 200, "ping is open");
    let (status, _) = call(dev.client.get(format!("{}/v2/datasync/clear", dev.api))).await;
    assert_eq!(status, 200);
    let (status, _) = call(dev.client.get(format!("{}/v1/user/id/keep", dev.api))).await;
    assert_eq!(status, 404);
    dev.stop().await;
}

#[tokio::test]
async fn settings_are_validated_merged_persisted_and_acted_on() {
    let (rx_srv, mut received) =
        support::receiver(facesim::receiver::ReceiverConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    let c = &dev.client;
    let url = |p: &str| format!("{}/v1/device/{p}", dev.api);
    let full = json!({
        "use_mode": 3, "liveness": true, "liveness_threshold": 0.98, "verify_threshold": 0.9,
        "certificate_threshold": 0.6, "recognition_distance": 2, "open_interval": 5,
        "mask_detect": false
    });
    let (status, body) = call(c.post(url("recognize")).json(&full)).await;
    assert_eq!(status, 200, "{body}");
    // Compared as text: serde_json's default float parser may land an ulp off.
    let text = c
        .get(url("recognize"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("\"liveness_threshold\":0.9800000190734863"),
        "{text}"
    );
    assert!(text.contains("\"mask_detect\":false"), "{text}");
    for (field, value) in [
        ("liveness_threshold", json!(1)),
        ("use_mode", json!(5)),
        ("recognition_distance", json!(0.5)),
    ] {
        let mut bad = full.clone();
        bad[field] = value;
        let (status, body) = call(c.post(url("recognize")).json(&bad)).await;
        assert_eq!((status, body["code"].clone()), (400, json!(400)), "{field}");
        assert!(body["msg"].as_str().unwrap().contains(field), "{body}");
    }
    let mut missing = full.clone();
    missing.as_object_mut().unwrap().remove("liveness");
    assert_eq!(call(c.post(url("recognize")).json(&missing)).await.0, 400);
    let mut masks = full.clone();
    masks["no_access_without_mask"] = json!(true);
    assert_eq!(
        call(c.post(url("recognize")).json(&masks)).await.0,
        400,
        "needs mask_detect"
    );
    // Optional sections merge: one field changes, the rest stays.
    assert_eq!(
        call(c.post(url("system")).json(&json!({"sound_volume": 30})))
            .await
            .0,
        200
    );
    assert_eq!(
        call(
            c.post(url("system"))
                .json(&json!({"screen_brightness": 101}))
        )
        .await
        .0,
        400
    );
    let (_, sys) = call(c.get(url("system"))).await;
    assert_eq!(
        (
            sys["data"]["sound_volume"].clone(),
            sys["data"]["screen_brightness"].clone()
        ),
        (json!(30), json!(80))
    );
    let (_, custom) = call(c.get(url("custom"))).await;
    assert_eq!(custom["data"]["show_custom_logo"], 2, "an int under 1.3");
    assert_eq!(
        call(c.post(url("time")).json(&json!({"time_zone": "-3"})))
            .await
            .0,
        200
    );
    let (_, time) = call(c.get(url("time"))).await;
    assert_eq!(time["data"]["time_zone"], -3);
    // Mask detection off: every record says mask 0.
    dev.configure(&format!("http://{}/eventRcv", rx_srv.addr), false)
        .await;
    for _ in 0..5 {
        dev.trigger(&json!({})).await;
        let got = received.recv().await.unwrap();
        if let Some(record) = got.event.as_record() {
            assert_eq!(record.mask, facesim_proto::wire::Mask::NotEnabled);
        }
    }
    dev.stop().await;
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    let (_, sys) = call(dev.client.get(format!("{}/v1/device/system", dev.api))).await;
    assert_eq!(sys["data"]["sound_volume"], 30, "persisted");
    let text = dev
        .client
        .get(format!("{}/v1/device/recognize", dev.api))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("\"liveness_threshold\":0.9800000190734863"),
        "{text}"
    );
    dev.stop().await;
}

fn library_path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/v1/user".to_string()),
        Just("/v1/user/search".to_string()),
        Just("/v1/group".to_string()),
        Just("/v1/group/search".to_string()),
        Just("/v1/rule".to_string()),
        Just("/v1/rule/search".to_string()),
        Just("/v2/user".to_string()),
        Just("/v2/group".to_string()),
        Just("/v2/rule".to_string()),
        Just("/v1/device/recognize".to_string()),
        Just("/v1/device/access".to_string()),
        Just("/v1/device/custom".to_string()),
        Just("/v1/device/door".to_string()),
        "/v1/(user|group|rule)/id/[a-z0-9-]{0,12}",
        "/v1/(group|rule)/id/[0-9]{1,3}/(users|groups)",
        "/v1/(user|group|rule)/offset/[0-9a-z-]{1,7}/limit/[0-9a-z-]{1,5}",
        "/v2/datasync/(ping|info)",
    ]
}

fn library_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "\\{\"(user_id|group_id|rule_id|name|ids|user_list|open_mode|groups|schedule|avatar|rule_id)\":(\"[ -~]{0,20}\"|-?[0-9]{1,12}|null|true|\\[\\]|\\{\\}|\\[1,\"x\"\\])(,\"name\":\"[a-z]{0,3}\")?\\}"
            .prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any method, library path and body gets the JSON envelope with `code` matching the
    /// status, and a refused request changes nothing in the library.
    #[test]
    fn any_bytes_to_any_library_route_get_the_envelope(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")],
        path in library_path(),
        body in library_body(),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut config = support::device_config(dir.path(), 0.0);
            config.synth.api = ApiVersion::V1_3;
            let device = facesim::device::Device::open(config).unwrap();
            let routes = facesim::api::routes(device.clone());
            let before = device.library().sync_info();
            let resp = warp::test::request()
                .method(method)
                .path(&path)
                .header("authorization", support::basic_auth())
                .body(body.clone())
                .reply(&routes)
                .await;
            let status = resp.status().as_u16();
            let envelope: Value = serde_json::from_slice(resp.body()).expect("answer is JSON");
            prop_assert_eq!(envelope["code"].as_u64(), Some(u64::from(status)));
            if status != 200 {
                prop_assert_eq!(device.library().sync_info(), before);
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn mask_refusals_and_raised_thresholds_change_the_records() {
    let (rx_srv, mut received) = support::receiver(facesim::receiver::ReceiverConfig {
        api: ApiVersion::V1_3,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::device_config(dir.path(), 0.0);
    config.synth.api = ApiVersion::V1_3;
    config.push.api = ApiVersion::V1_3;
    config.synth.alarm_share = Some(0.0);
    let dev = support::device(config).await;
    // open_interval 0: the device's clock stands still here, and within a non-zero
    // interval a person recognised again makes no record at all.
    let settings = json!({
        "use_mode": 3, "liveness": true, "liveness_threshold": 0.995, "verify_threshold": 0.98,
        "certificate_threshold": 0.6, "recognition_distance": 2, "open_interval": 0,
        "mask_detect": true, "no_access_without_mask": true
    });
    let (status, body) = call(
        dev.client
            .post(format!("{}/v1/device/recognize", dev.api))
            .json(&settings),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    dev.configure(&format!("http://{}/eventRcv", rx_srv.addr), false)
        .await;
    let mut named = 0;
    for _ in 0..40 {
        dev.trigger(&json!({})).await;
        let got = received.recv().await.unwrap();
        let record = got.event.as_record().unwrap();
        if record.mask == facesim_proto::wire::Mask::NotWorn {
            assert!(!record.pass, "nobody passes without a mask");
        }
        if record.user.is_some() {
            named += 1;
            // Raised 0.08 above the factory 0.90: matches below 0.86 + 0.08 are strangers.
            assert!(record.recognize_score >= 0.94, "{record:?}");
        }
    }
    assert!(named > 0);
    dev.stop().await;
}

/// `kill -9` while users are being enrolled: the library opens again, and every user the
/// device acknowledged is there with its photo byte for byte.
#[tokio::test]
async fn kill_9_while_enrolling_keeps_every_acknowledged_user() {
    use std::process::{Command, Stdio};
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args([
            "device",
            "--plain-http",
            "--listen",
            "127.0.0.1:0",
            "--rate",
            "0",
            "--api-version",
            "1.3",
            "--state",
        ])
        .arg(state.path())
        .env("RUST_LOG", "facesim=info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (api_tx, api_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut api_tx = Some(api_tx);
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("api=http://") {
                let rest = &line[at + 4..];
                let end = rest.find("/v1").unwrap_or(rest.len());
                if let Some(tx) = api_tx.take() {
                    let _ = tx.send(rest[..end].to_string());
                }
            }
        }
    });
    let api = api_rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the device announces its API address");
    let photos: Vec<String> = (0..5).map(photo).collect();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel();
    let writer = {
        let photos = photos.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0..400usize {
                let body = json!({"user_id": format!("k-{n}"), "name": format!("K {n}"), "avatar": photos[n % 5]});
                let sent = client
                    .post(format!("{api}/v1/user"))
                    .header("authorization", support::basic_auth())
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => {
                        let _ = acked_tx.send(n);
                    }
                    _ => break,
                }
            }
        })
    };
    // Killed once 25 users were acknowledged, while more are being written.
    let mut acked = Vec::new();
    for _ in 0..25 {
        acked.push(acked_rx.recv().await.expect("an acknowledged user"));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = writer.await;
    while let Ok(n) = acked_rx.try_recv() {
        acked.push(n);
    }
    let library = facesim::library::Library::open(
        state.path(),
        ApiVersion::V1_3.profile(),
        facesim::clock::system(),
    )
    .expect("the library opens after kill -9");
    for n in acked {
        let user = library
            .get_user(&format!("k-{n}"))
            .expect("acknowledged user kept");
        assert_eq!(user.avatar, photos[n % 5], "user {n}");
    }
}
