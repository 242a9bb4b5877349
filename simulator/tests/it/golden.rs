//! Golden files in `fixtures/`: sample receiver answers and how they decode, and a seeded
//! stream of events. A mismatch prints the first differing line; `UPDATE_EXPECT=1 cargo
//! test` rewrites the files, to be reviewed in the diff like any change.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use facesim::synth::{Generator, SynthConfig, jpeg};
use facesim::wire;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Compares `actual` with the golden file, or rewrites it under `UPDATE_EXPECT=1`.
fn expect_file(path: &Path, actual: &str) {
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

#[test]
fn seeded_events_are_stable_across_versions() {
    let config = SynthConfig {
        seed: 42,
        width: 64,
        height: 80,
        ..SynthConfig::default()
    };
    let generator = Generator::new(&config, "PS71HD01MC22C00014");
    let mut events = Vec::new();
    for seq in 1..=8 {
        let generated = generator.generate(seq, 1_660_625_866);
        let mut value = serde_json::to_value(&generated.event).unwrap();
        // The JPEG bytes depend on the encoder's SIMD path, which depends on the CPU, so
        // the golden file records what the snapshot says rather than its bytes.
        let data = value.get_mut("data").unwrap().as_object_mut().unwrap();
        let b64 = data.remove(wire::field::RGB_IMAGE).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        let mut decoder = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes));
        decoder.decode_headers().unwrap();
        let info = decoder.info().unwrap();
        data.insert(
            "snapshot (golden file only)".into(),
            serde_json::json!({
                "width": info.width,
                "height": info.height,
                "comment": jpeg::read_comment(&bytes),
            }),
        );
        events.push(value);
    }
    let text = serde_json::to_string_pretty(&Value::Array(events)).unwrap() + "\n";
    expect_file(
        &fixtures().join("events/seed42-PS71HD01MC22C00014.json"),
        &text,
    );
}
