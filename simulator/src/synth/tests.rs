//! Tests of the generator as a whole: every generated event is valid wire data, records are
//! reproducible from `(seed, sn, seq)`, snapshots carry their trace, and statuses, scores,
//! users and masks follow the configuration.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;

use super::*;
use crate::wire::MAX_USER_NAME_BYTES;

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
    let r = &event.data;
    assert_eq!(event.kind, 0);
    assert_eq!(r.device_sn, g.sn());
    assert!(
        (0.0..=1.0).contains(&r.recognize_score),
        "{}",
        r.recognize_score
    );
    assert!(
        (0.0..=1.0).contains(&r.liveness_score),
        "{}",
        r.liveness_score
    );
    assert!(!r.pass || r.recognize_status.may_pass(), "{r:?}");
    assert_eq!(
        r.user.is_some(),
        r.recognize_status.has_user(),
        "{:?}",
        r.recognize_status
    );
    assert_eq!(generated.person.is_some(), r.recognize_status.has_user());
    if let Some(user) = &r.user {
        assert!(user.name.len() <= MAX_USER_NAME_BYTES && user.user_id > 0);
    }
    assert_eq!(r.mode, g.config().mode);
    assert_eq!(r.mask == Mask::NotEnabled, !g.config().mask_detection);

    let json = serde_json::to_string(event).expect("events serialise");
    let back: Event = serde_json::from_str(&json).expect("events parse back");
    assert_eq!(&back, event);

    let jpeg = STANDARD.decode(&r.rgb_image).expect("rgb_image is base64");
    assert_eq!(jpeg.len(), generated.jpeg_len);
    assert_eq!(decoded_size(&jpeg), (g.config().width, g.config().height));
    jpeg
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
        mode in proptest::sample::select(Mode::ALL),
        width in 16u32..160,
        height in 16u32..160,
        quality in 1u8..=100,
    ) {
        let cfg = SynthConfig {
            seed, people: 30, status_mix: mix, mask_detection, mode, width, height, quality,
        };
        let g = Generator::new(&cfg, device_sn(seed, 3));
        let generated = g.generate(seq, 1_660_625_866);
        prop_assert!(mix.weight(generated.event.data.recognize_status) > 0);
        let jpeg = check_event(&g, &generated);
        let trace = jpeg::read_comment(&jpeg).and_then(|c| jpeg::parse_trace(&c));
        prop_assert_eq!(trace, Some((g.sn().to_string(), seq)));
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
    assert_eq!(a.event.data.timestamp, 100);
    let mut b_event = b.event.clone();
    b_event.data.timestamp = 100;
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
    assert_ne!(a.event.data.rgb_image, b.event.data.rgb_image);

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
        if fresh.data.user.is_some() {
            users.0 += 1;
        } else {
            users.1 += 1;
        }
    }
    // Both kinds of record came up, so both branches were compared.
    assert!(users.0 > 0 && users.1 > 0, "{users:?}");
}
