//! Tests of the generator as a whole: every generated event is valid wire data, records are
//! reproducible from `(seed, sn, seq)`, snapshots carry their trace, and statuses, scores,
//! users and masks follow the configuration.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;

use super::generator::json_exact;
use super::*;
use crate::profile::PersonKind;
use crate::wire::{AlarmStatus, Event, Mask, Mode, RecognizeStatus};
use crate::wire::{MAX_USER_NAME_BYTES, UserId};

const SN: &str = "PS71HD01MC22C00014";

/// A small configuration that keeps debug-build encoding cheap.
fn small(seed: u64) -> SynthConfig {
    SynthConfig {
        seed,
        people: 40,
        width: 96,
        height: 128,
        ..SynthConfig::default()
    }
}

/// Decodes a snapshot and returns its width and height.
fn decoded_size(jpeg: &[u8]) -> (u32, u32) {
    let mut decoder = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(jpeg));
    let pixels = decoder.decode().expect("the snapshot decodes");
    let info = decoder.info().expect("headers were read");
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    assert_eq!(pixels.len(), (w * h * 3) as usize);
    (w, h)
}

/// Checks every rule a generated event must satisfy, returning the JPEG bytes.
fn check_event(g: &Generator, generated: &Generated) -> Vec<u8> {
    let event = &generated.event;
    let r = event.as_record().expect("a record");
    let status = r
        .recognize_status
        .expect("API 1.0 records carry recognizeStatus");
    assert_eq!(event.kind, 0);
    assert_eq!(r.device_sn, g.sn());
    assert!(
        (0.0..=1.0).contains(&r.recognize_score),
        "{}",
        r.recognize_score
    );
    let live = r
        .liveness_score
        .expect("API 1.0 records carry livenessScore");
    assert!((0.0..=1.0).contains(&live), "{live}");
    assert!(!r.pass || status.may_pass(), "{r:?}");
    assert_eq!(r.user.is_some(), status.has_user(), "{status:?}");
    assert_eq!(generated.person.is_some(), status.has_user());
    if let Some(user) = &r.user {
        assert!(user.name.len() <= MAX_USER_NAME_BYTES);
        assert!(matches!(user.user_id, UserId::Int(id) if id > 0));
    }
    assert_eq!(r.mode, g.config().mode);
    assert_eq!(r.mask == Mask::NotEnabled, !g.config().mask_detection);
    check_schema(g.config().api, &serde_json::to_value(event).expect("json"));

    let json = serde_json::to_string(event).expect("events serialise");
    let back: Event = serde_json::from_str(&json).expect("events parse back");
    assert_eq!(&back, event);

    let jpeg = STANDARD.decode(&r.rgb_image).expect("rgb_image is base64");
    assert_eq!(jpeg.len(), generated.jpeg_len);
    assert_eq!(decoded_size(&jpeg), (g.config().width, g.config().height));
    jpeg
}

/// Checks an event's JSON against its API version's schema, as the guide's tables give
/// it, and the consistency rules: exactly the version's fields, each of its type and
/// range; a stranger or a non-live face has no user; a blacklisted person is never let
/// through, nor anyone with an `abnormal_type`.
fn check_schema(api: crate::profile::ApiVersion, event: &serde_json::Value) {
    use serde_json::Value;
    let p = api.profile();
    let data = event["data"].as_object().expect("data is an object");
    if event["type"] == 1 {
        assert!(p.alarms, "alarm under {api}");
        assert!(
            data["trace_id"]
                .as_str()
                .is_some_and(|t| t.starts_with("SPX-"))
        );
        assert!(
            data["event_time"]
                .as_i64()
                .is_some_and(|t| t > 1_000_000_000_000)
        );
        let status = data["status"].as_i64().expect("status");
        assert!((1..=3).contains(&status));
        if status == 1 {
            assert!(data["code"].as_i64().is_some(), "a raise has a code");
        }
        if let Some(code) = data.get("code") {
            assert!([10001, 10002, 10003, 10004, 20003].contains(&code.as_i64().unwrap()));
        }
        if let Some(photo) = data.get("alarm_photo") {
            let jpeg = STANDARD
                .decode(photo.as_str().expect("a string"))
                .expect("base64");
            assert_eq!(decoded_size(&jpeg), (160, 120));
        }
        return;
    }
    assert_eq!(event["type"], 0);
    let mut expected = vec![
        "deviceSN",
        "recognizeScore",
        "mask",
        "rgb_image",
        "pass",
        "mode",
        "timestamp",
    ];
    if p.recognize_status {
        expected.extend(["recognizeStatus", "livenessScore"]);
    }
    if p.recognition_type {
        expected.extend(["recognitionType", "bodyTemperature"]);
    }
    if p.record_ids {
        expected.push("uuid");
    }
    if p.entry_details {
        expected.extend(["entry_mode", "abnormal_type"]);
    }
    let mut found: Vec<&str> = data
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "user")
        .collect();
    found.sort_unstable();
    expected.sort_unstable();
    assert_eq!(found, expected, "fields of a {api} record");
    let mode = data["mode"].as_u64().expect("mode") as u8;
    assert!(p.modes.contains(&mode), "mode {mode} under {api}");
    let pass = data["pass"].as_bool().expect("pass");
    let user = data.get("user");
    if let Some(t) = data.get("recognitionType") {
        let t = t.as_i64().expect("an integer");
        assert!((1..=5).contains(&t));
        assert_eq!(user.is_some(), matches!(t, 1 | 2 | 5), "type {t}");
        assert!(!(pass && matches!(t, 3..=5)), "type {t} let through");
        let temp = data["bodyTemperature"].as_f64().expect("a number");
        assert!(temp == 0.0 || (35.0..42.0).contains(&temp), "{temp}");
        assert!(t != 4 || temp == 0.0, "a photo has no temperature");
    }
    if let Some(status) = data.get("recognizeStatus") {
        assert!((0..=6).contains(&status.as_i64().expect("an integer")));
    }
    if p.record_ids {
        let uuid = data["uuid"].as_str().expect("a string");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }
    if p.entry_details {
        let entry = data["entry_mode"].as_i64().expect("an integer");
        assert!((1..=12).contains(&entry), "{entry}");
        let abnormal = data["abnormal_type"].as_i64().expect("an integer");
        assert!(
            [
                0, 10001, 10002, 10003, 20001, 20002, 30001, 30002, 30003, 40001, 70001, 70002
            ]
            .contains(&abnormal)
        );
        assert!(abnormal == 0 || !pass, "abnormal {abnormal} let through");
    }
    let Some(user) = user else { return };
    let user = user.as_object().expect("user is an object");
    let mut expected = vec!["name", "user_id", "type"];
    if p.card_numbers {
        expected.extend(["ic_number", "job_number"]);
    }
    if p.record_ids {
        expected.extend([
            "id_number",
            "guest_time_start",
            "guest_time_end",
            "remark",
            "groups",
        ]);
    }
    if p.entry_details {
        expected.push("pin");
    }
    let mut found: Vec<&str> = user.keys().map(String::as_str).collect();
    found.sort_unstable();
    expected.sort_unstable();
    assert_eq!(found, expected, "user fields under {api}");
    assert!(
        user["name"]
            .as_str()
            .is_some_and(|n| n.len() <= p.max_name_bytes)
    );
    match p.user_ids {
        crate::profile::UserIds::Integer(max) => {
            let id = user["user_id"].as_i64().expect("an integer id");
            assert!(id > 0 && id < max);
        }
        crate::profile::UserIds::Text => {
            assert!(
                user["user_id"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty() && s.len() <= 128)
            );
        }
    }
    let kind = user["type"].as_i64().expect("an integer type");
    let valid: Vec<i64> = [
        PersonKind::Employee,
        PersonKind::Visitor,
        PersonKind::Blacklisted,
    ]
    .iter()
    .filter_map(|&k| p.user_type(k))
    .collect();
    assert!(valid.contains(&kind), "user type {kind} under {api}");
    if p.blacklist_type == Some(kind) {
        assert!(!pass, "a blacklisted person let through");
    }
    if p.record_ids {
        assert!(user["groups"].as_array().is_some_and(|g| {
            g.iter()
                .all(|g| g["id"].is_string() && g["name"].is_string())
        }));
        let (start, end) = (
            user["guest_time_start"].as_i64().unwrap(),
            user["guest_time_end"].as_i64().unwrap(),
        );
        assert!(start <= end);
        if kind == 2 && pass {
            let now_ms = data["timestamp"].as_i64().unwrap() * 1000;
            assert!(
                start <= now_ms && now_ms <= end,
                "a visitor let in outside the pass"
            );
        }
        let _ = Value::Null;
    }
}

fn arb_mix() -> impl Strategy<Value = StatusMix> {
    proptest::collection::vec(0u32..5, 7).prop_filter_map("all weights zero", |w| {
        let pairs: Vec<_> = RecognizeStatus::ALL.iter().copied().zip(w).collect();
        StatusMix::from_weights(&pairs).ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn generated_events_are_valid_wire_data(
        seed in any::<u64>(),
        seq in any::<u64>(),
        mix in arb_mix(),
        mask_detection in any::<bool>(),
        mode in (0u8..=6).prop_map(|m| Mode::try_from(m).expect("a mode")),
        width in 16u32..160,
        height in 16u32..160,
        quality in 1u8..=100,
    ) {
        let cfg = SynthConfig {
            seed, people: 30, status_mix: mix, mask_detection, mode, width, height, quality,
            ..SynthConfig::default()
        };
        let g = Generator::new(&cfg, device_sn(seed, 3));
        let generated = g.generate(seq, 1_660_625_866);
        let status = generated.event.as_record().and_then(|r| r.recognize_status);
        prop_assert!(status.is_some_and(|s| mix.weight(s) > 0));
        let jpeg = check_event(&g, &generated);
        let trace = jpeg::read_comment(&jpeg).and_then(|c| jpeg::parse_trace(&c));
        prop_assert_eq!(trace, Some((g.sn().to_string(), seq)));
    }

    #[test]
    fn every_record_of_every_version_satisfies_its_schema(
        seed in any::<u64>(),
        seqs in proptest::collection::vec(0u64..5000, 24),
        version in proptest::sample::select(crate::profile::ApiVersion::ALL.to_vec()),
        mode in 0u8..=9,
        temperature_detection in any::<bool>(),
        mix in arb_mix(),
    ) {
        let p = version.profile();
        let mode = Mode::try_from(mode.min(*p.modes.end())).expect("a mode");
        let cfg = SynthConfig {
            api: version,
            mode,
            temperature_detection,
            status_mix: mix,
            alarm_share: Some(20.0),
            ..small(seed)
        };
        let g = Generator::new(&cfg, device_sn(seed, 1));
        for seq in seqs {
            let draw = g.draw(seq);
            let event = match g.alarm(seq) {
                Some(alarm) => g.alarm_event(&alarm, 1_700_000_000),
                None => g.event(&draw, "/9k=".into(), 1_700_000_000),
            };
            check_schema(version, &serde_json::to_value(&event).expect("json"));
            let back: Event = serde_json::from_slice(&serde_json::to_vec(&event).expect("json")).expect("parses");
            prop_assert_eq!(back, event);
            // The remote-authentication callback of the same version (from 1.1): exactly
            // its version's fields, `user` for library callers only.
            if p.auth.callback {
                let caller = crate::synth::Caller::ALL[(seq % 12) as usize];
                let body = g.auth_request_with_image(caller, seq, "/9k=".into(), 1_700_000_000);
                let body = serde_json::to_value(&body).expect("json");
                let keys = |v: &serde_json::Value| {
                    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
                    k.sort_unstable();
                    k
                };
                let sorted = |fields: Vec<&str>| {
                    let mut f: Vec<String> = fields.into_iter().map(String::from).collect();
                    f.sort_unstable();
                    f
                };
                let expected = p.auth.callback_fields().into_iter().filter(|f| *f != "user" || caller.library).collect();
                prop_assert_eq!(keys(&body), sorted(expected), "callback of {} under {}", caller, version);
                if let Some(user) = body.get("user") {
                    prop_assert_eq!(keys(user), sorted(p.auth.callback_user_fields()));
                }
            }
        }
    }

    #[test]
    fn draws_never_contradict_themselves(seed in any::<u64>(), seq in any::<u64>(), mix in arb_mix()) {
        let g = Generator::new(&SynthConfig { seed, status_mix: mix, ..small(seed) }, SN);
        let d = g.draw(seq);
        prop_assert_eq!(d.person.is_some(), d.status.has_user());
        prop_assert!(!d.pass || (d.status.may_pass() && d.status.has_user()));
        prop_assert_eq!(d.shot.spoof, d.status == RecognizeStatus::NonLiveness);
        prop_assert_eq!(d.shot.mask_worn, d.mask == Mask::Worn);
        let text = serde_json::to_string(&d.recognize_score).expect("json");
        let back: f64 = serde_json::from_str(&text).expect("float");
        prop_assert_eq!(back, d.recognize_score);
    }
}

#[test]
fn the_same_seed_sn_and_seq_give_the_same_event() {
    let cfg = small(42);
    let a = Generator::new(&cfg, SN).generate(7, 100);
    let b = Generator::new(&cfg, SN).generate(7, 200);
    assert_eq!(a.event.as_record().expect("a record").timestamp, 100);
    let mut b_event = b.event.clone();
    b_event.as_record_mut().expect("a record").timestamp = 100;
    assert_eq!(a.event, b_event);

    // Record 7 does not depend on whether records 0..7 were generated first.
    let g = Generator::new(&cfg, SN);
    for seq in 0..7 {
        let _ = g.draw(seq);
    }
    assert_eq!(g.draw(7), Generator::new(&cfg, SN).draw(7));
}

#[test]
fn different_records_and_devices_differ() {
    let g = Generator::new(&small(1), SN);
    let a = g.generate(1, 0);
    let b = g.generate(2, 0);
    assert_ne!(
        a.event.as_record().expect("a record").rgb_image,
        b.event.as_record().expect("a record").rgb_image
    );

    // Another device of the same fleet has its own people.
    let other = Generator::new(&small(1), device_sn(1, 1));
    assert_ne!(g.population(), other.population());
    // The same person looks alike in two records: the look is theirs, the shot is not.
    let mut by_person: HashMap<usize, Draw> = HashMap::new();
    for seq in 0..200 {
        let d = g.draw(seq);
        if let Some(i) = d.person {
            if let Some(first) = by_person.get(&i) {
                assert_eq!(first.look, d.look);
                assert_ne!(first.shot, d.shot);
                return;
            }
            by_person.insert(i, d);
        }
    }
    panic!("no person came twice in 200 records");
}

#[test]
fn snapshots_carry_their_trace_and_can_be_restamped() {
    let g = Generator::new(&small(5), SN);
    let draw = g.draw(1234);
    let jpeg = g.snapshot(&draw);
    let comment = jpeg::read_comment(&jpeg).expect("a COM segment");
    assert_eq!(comment, format!("facesim sn={SN} seq=1234"));
    assert_eq!(jpeg::parse_trace(&comment), Some((SN.to_string(), 1234)));

    let restamped = jpeg::with_comment(&jpeg, &jpeg::trace_comment("OTHER", 9));
    let trace = jpeg::read_comment(&restamped).and_then(|c| jpeg::parse_trace(&c));
    assert_eq!(trace, Some(("OTHER".to_string(), 9)));
    assert_eq!(decoded_size(&restamped), (96, 128));
}

#[test]
fn status_frequencies_follow_the_mix() {
    let mix: StatusMix = "in-library=60,stranger=20,non-live=10,auth-failed=10"
        .parse()
        .expect("mix");
    let g = Generator::new(
        &SynthConfig {
            status_mix: mix,
            ..small(9)
        },
        SN,
    );
    let n = 2000;
    let mut counts: HashMap<RecognizeStatus, u32> = HashMap::new();
    for seq in 0..n {
        *counts.entry(g.draw(seq).status).or_default() += 1;
    }
    for &status in RecognizeStatus::ALL {
        let expected = mix.share(status) * n as f64;
        let got = f64::from(counts.get(&status).copied().unwrap_or(0));
        // Four standard deviations of a binomial count, plus one for the zero cases.
        let sd = (expected * (1.0 - mix.share(status))).sqrt();
        assert!(
            (got - expected).abs() <= 4.0 * sd + 1.0,
            "{status:?}: {got} vs {expected}"
        );
    }
}

#[test]
fn scores_and_pass_fit_the_status() {
    let mix: StatusMix = "0=1,1=1,2=1,3=1,4=1,5=1,6=1".parse().expect("mix");
    let g = Generator::new(
        &SynthConfig {
            status_mix: mix,
            ..small(11)
        },
        SN,
    );
    let mut passed_known = 0;
    for seq in 0..1400 {
        let d = g.draw(seq);
        let (rec, live) = (d.recognize_score, d.liveness_score);
        match d.status {
            RecognizeStatus::InLibrary
            | RecognizeStatus::Recognized
            | RecognizeStatus::AuthPassed => {
                assert!(rec >= 0.85 && live >= 0.85, "{d:?}");
                let person = &g.population()[d.person.expect("known")];
                assert_eq!(d.pass, person.has_access);
                passed_known += u32::from(d.pass);
            }
            RecognizeStatus::AuthFailed => assert!(rec < 0.85 && live >= 0.85 && !d.pass),
            RecognizeStatus::Stranger => assert!(rec <= 0.6 && live >= 0.85 && !d.pass),
            RecognizeStatus::NonLiveness => assert!(live < 0.5 && !d.pass),
            RecognizeStatus::Unknown => assert!(rec <= 0.6 && !d.pass),
        }
    }
    assert!(
        passed_known > 500,
        "only {passed_known} known people passed"
    );
}

#[test]
fn regulars_come_back() {
    let g = Generator::new(&SynthConfig::default(), SN);
    let mut visits: HashMap<i64, u32> = HashMap::new();
    for seq in 0..1000 {
        let d = g.draw(seq);
        if let Some(i) = d.person {
            *visits.entry(g.population()[i].user_id).or_default() += 1;
        }
    }
    let most = visits.values().copied().max().unwrap_or(0);
    assert!(
        most >= 20,
        "the most frequent visitor came only {most} times"
    );
    assert!(visits.len() < 200, "every known person came: no skew");
}

#[test]
fn mask_follows_the_device_setting() {
    let off = Generator::new(
        &SynthConfig {
            mask_detection: false,
            ..small(3)
        },
        SN,
    );
    let on = Generator::new(
        &SynthConfig {
            mask_detection: true,
            ..small(3)
        },
        SN,
    );
    let mut worn = 0;
    for seq in 0..500 {
        let (a, b) = (off.draw(seq), on.draw(seq));
        assert_eq!(a.mask, Mask::NotEnabled);
        assert_ne!(b.mask, Mask::NotEnabled);
        // The setting only changes what is reported, not who wears a mask.
        assert_eq!(a.shot.mask_worn, b.shot.mask_worn);
        worn += u32::from(b.mask == Mask::Worn);
    }
    assert!((25..300).contains(&worn), "{worn} of 500 wore a mask");
}

#[test]
fn default_snapshots_are_tens_of_kilobytes() {
    let g = Generator::new(&SynthConfig::default(), SN);
    for seq in 0..4 {
        let generated = g.generate(seq, 0);
        let jpeg = check_event(&g, &generated);
        assert!(
            (12_000..80_000).contains(&jpeg.len()),
            "{} bytes",
            jpeg.len()
        );
    }
}

#[test]
fn device_serials_look_real_and_are_distinct() {
    for seed in 0..20 {
        let sns: Vec<String> = (0..50).map(|i| device_sn(seed, i)).collect();
        let mut unique = sns.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 50);
        for sn in &sns {
            assert!(
                sn.starts_with("PS71HD01MC") || sn.starts_with("PSC700C0"),
                "{sn}"
            );
            assert_eq!(sn.len(), 18, "{sn}");
            assert!(
                sn.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
        }
        assert_eq!(device_sn(seed, 7), device_sn(seed, 7));
    }
    assert_ne!(device_sn(1, u32::MAX), device_sn(1, 0));
}

#[test]
fn config_ranges_are_checked_and_clamped() {
    assert_eq!(SynthConfig::default().validate(), Ok(()));
    let bad = SynthConfig {
        people: 0,
        ..SynthConfig::default()
    };
    assert_eq!(bad.validate(), Err(ConfigError::People(0)));
    assert_eq!(Generator::new(&bad, SN).population().len(), 1);
    let bad = SynthConfig {
        width: 8,
        ..SynthConfig::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(ConfigError::Size { width: 8, .. })
    ));
    assert_eq!(Generator::new(&bad, SN).config().width, 16);
    let bad = SynthConfig {
        quality: 0,
        ..SynthConfig::default()
    };
    assert_eq!(bad.validate(), Err(ConfigError::Quality(0)));
}

#[test]
fn generators_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Generator>();
    let g = std::sync::Arc::new(Generator::new(&small(2), SN));
    let handle = {
        let g = std::sync::Arc::clone(&g);
        std::thread::spawn(move || g.draw(5))
    };
    assert_eq!(handle.join().expect("the thread finishes"), g.draw(5));
}

#[test]
fn scores_survive_json_exactly() {
    // Values whose shortest JSON form the default serde_json parser reads back one ulp off.
    for x in [0.001_000_000_7_f32, 0.983_748_1, 0.5, 0.0, 1.0] {
        let v = json_exact(x);
        let back: f64 =
            serde_json::from_str(&serde_json::to_string(&v).expect("json")).expect("f64");
        assert_eq!(back, v);
        assert!((v - f64::from(x)).abs() < 1e-6);
    }
}

#[test]
fn a_refilled_event_equals_a_fresh_one() {
    let cfg = SynthConfig {
        seed: 11,
        people: 20,
        ..SynthConfig::default()
    };
    let generator = Generator::new(&cfg, device_sn(11, 3));
    let mut event = generator.event(&generator.draw(0), String::new(), 0);
    let mut spare = None;
    let mut users = (0, 0);
    for seq in 0..300 {
        let draw = generator.draw(seq);
        generator.fill_event(&draw, 1_700_000_000 + seq as i64, &mut event, &mut spare);
        let fresh = generator.event(&draw, String::new(), 1_700_000_000 + seq as i64);
        assert_eq!(event, fresh, "seq {seq}");
        if fresh.as_record().expect("a record").user.is_some() {
            users.0 += 1;
        } else {
            users.1 += 1;
        }
    }
    // Both kinds of record came up, so both branches were compared.
    assert!(users.0 > 0 && users.1 > 0, "{users:?}");
}

#[test]
fn an_alarm_is_cleared_by_the_next_record_with_its_trace_id() {
    let cfg = SynthConfig {
        api: crate::profile::ApiVersion::V1_3,
        alarm_share: Some(30.0),
        ..small(5)
    };
    let g = Generator::new(&cfg, SN);
    let mut pairs = 0;
    for seq in 1..400 {
        let Some(alarm) = g.alarm(seq) else { continue };
        if alarm.status == AlarmStatus::Raised {
            let clear = g.alarm(seq + 1).expect("the next record clears it");
            assert_ne!(clear.status, AlarmStatus::Raised);
            let id = |a: &AlarmDraw| {
                g.alarm_event(a, 1_700_000_000)
                    .as_alarm()
                    .unwrap()
                    .trace_id
                    .clone()
            };
            assert_eq!(id(&alarm), id(&clear));
            pairs += 1;
        }
    }
    assert!(pairs > 30, "{pairs} alarms in 400 records");
    // Versions without alarms make none, whatever the share.
    let old = Generator::new(
        &SynthConfig {
            alarm_share: Some(100.0),
            ..small(5)
        },
        SN,
    );
    assert!((1..100).all(|seq| old.alarm(seq).is_none()));
}
