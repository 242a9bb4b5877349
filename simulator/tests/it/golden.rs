//! Golden files in `fixtures/`: sample receiver answers and how they decode, and a seeded
//! stream of events. A mismatch prints the first differing line; `UPDATE_EXPECT=1 cargo
//! test` rewrites the files, to be reviewed in the diff like any change.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use facesim::synth::{Generator, SynthConfig, jpeg};
use facesim_proto::wire;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Compares `actual` with the golden file, or rewrites it under `UPDATE_EXPECT=1`.
pub(crate) fn expect_file(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_EXPECT=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let (line, (want, got)) = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map_or_else(
                || {
                    (
                        expected.lines().count().min(actual.lines().count()),
                        ("<end>", "<end>"),
                    )
                },
                |(i, pair)| (i, pair),
            );
        panic!(
            "{} differs at line {}:\n  expected: {want}\n  actual:   {got}\n(UPDATE_EXPECT=1 rewrites it)",
            path.display(),
            line + 1
        );
    }
}

#[test]
fn sample_answers_decode_as_recorded() {
    let dir = fixtures().join("answers");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("expected"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    let mut report = String::new();
    for name in names {
        let body = std::fs::read(dir.join(&name)).unwrap();
        let line = match wire::decode_answer(&body) {
            Ok(a) => format!(
                "ok: code {} via {} {:?}, pass {}, customtips {:?} ({} chars)",
                a.code,
                a.message_field
                    .map(|f| format!("{f:?}"))
                    .unwrap_or_default(),
                a.message,
                a.pass.map(|p| p.to_string()).unwrap_or_default(),
                a.customtips,
                a.customtips.as_deref().map_or(0, |t| t.chars().count())
            ),
            Err(e) => format!("error: {e}"),
        };
        report.push_str(&format!("{name}: {line}\n"));
    }
    expect_file(&dir.join("expected.txt"), &report);
}

/// The stream of records 1 to `count` of a seeded generator, as golden text: the
/// snapshot is recorded as what it says rather than its bytes (the JPEG bytes depend on
/// the encoder's SIMD path, which depends on the CPU).
fn golden_stream(config: &SynthConfig, seqs: impl Iterator<Item = u64>) -> String {
    let generator = Generator::new(config, "PS71HD01MC22C00014");
    let mut events = Vec::new();
    for seq in seqs {
        let generated = generator.generate(seq, 1_660_625_866);
        let mut value = serde_json::to_value(&generated.event).unwrap();
        let data = value.get_mut("data").unwrap().as_object_mut().unwrap();
        let image = data
            .remove(wire::field::RGB_IMAGE)
            .map(|b64| (b64, "snapshot (golden file only)"))
            .or_else(|| {
                data.remove(wire::field::ALARM_PHOTO)
                    .map(|b64| (b64, "alarm_photo (golden file only)"))
            });
        if let Some((b64, label)) = image {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.as_str().unwrap())
                .unwrap();
            let mut decoder = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes));
            decoder.decode_headers().unwrap();
            let info = decoder.info().unwrap();
            data.insert(
                label.into(),
                serde_json::json!({
                    "width": info.width,
                    "height": info.height,
                    "comment": jpeg::read_comment(&bytes),
                }),
            );
        }
        events.push(value);
    }
    serde_json::to_string_pretty(&Value::Array(events)).unwrap() + "\n"
}

fn small(seed: u64) -> SynthConfig {
    SynthConfig {
        seed,
        width: 64,
        height: 80,
        ..SynthConfig::default()
    }
}

#[test]
fn seeded_events_are_stable_across_versions() {
    let text = golden_stream(&small(42), 1..=8);
    expect_file(
        &fixtures().join("events/seed42-PS71HD01MC22C00014.json"),
        &text,
    );
}

/// One golden record stream per API version, in the version's own fields and codes, and
/// one alarm stream for 1.3: what a receiver of each firmware receives.
#[test]
fn every_api_version_has_its_golden_record_and_alarm_streams() {
    for api in facesim_proto::profile::ApiVersion::ALL {
        let config = SynthConfig {
            api,
            mode: wire::Mode::try_from(1).unwrap(),
            alarm_share: Some(0.0),
            ..small(42)
        };
        let text = golden_stream(&config, 1..=6);
        expect_file(
            &fixtures().join(format!("events/api-{api}-records.json")),
            &text,
        );
    }
    let alarms = SynthConfig {
        api: facesim_proto::profile::ApiVersion::V1_3,
        alarm_share: Some(100.0),
        ..small(42)
    };
    let text = golden_stream(&alarms, 1..=6);
    expect_file(&fixtures().join("events/api-1.3-alarms.json"), &text);
}
