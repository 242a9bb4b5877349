//! Criterion bench of opening a person library of 10,000 users with avatars (what a
//! device does at start-up), after printing how long enrolling them took and how much
//! room they take in the state directory.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use facesim::clock::ManualClock;
use facesim::library::Library;
use facesim::synth::{Generator, SynthConfig};
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::UserInput;

/// Users in the library.
const USERS: usize = 10_000;

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn enrol(dir: &Path) {
    let generator = Generator::new(
        &SynthConfig {
            seed: 1,
            width: 96,
            height: 128,
            ..SynthConfig::default()
        },
        "BENCH",
    );
    let profile = ApiVersion::V1_3.profile();
    let library =
        Library::open(dir, profile, ManualClock::at(1_700_000_000)).expect("library opens");
    let start = Instant::now();
    for n in 0..USERS {
        // Forty distinct photos are enough: each user's avatar file is their own anyway.
        let photo = generator.generate(2 * (n as u64 % 40) + 2, 0).event;
        let avatar = photo.as_record().map(|r| r.rgb_image.clone());
        let input = UserInput {
            user_id: Some(serde_json::Value::String(format!("user-{n:05}"))),
            name: Some(format!("Person {n}")),
            avatar: Some(avatar),
            ..UserInput::default()
        };
        library.upsert_user(&input).expect("user enrolled");
    }
    library.sync().expect("synced");
    println!(
        "enrolled {USERS} users with avatars in {:.1} s; library {:.1} MB",
        start.elapsed().as_secs_f64(),
        dir_size(&dir.join("library")) as f64 / 1e6
    );
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    enrol(dir.path());
    let profile = ApiVersion::V1_3.profile();
    c.bench_function("library_open_10000_users", |b| {
        b.iter(|| {
            let library =
                Library::open(dir.path(), profile, ManualClock::at(1_700_000_000)).expect("opens");
            black_box(library.user_count())
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
