//! Criterion benchmarks of the synthesiser at its default configuration: drawing a record,
//! rendering a face, encoding it, both together (the snapshot), serialising an event, and
//! the whole generation (draw, snapshot, base64, JSON event), and a snapshot derived from
//! an enrolled photo through the person's state built once at enrolment. It
//! also prints the typical snapshot and event sizes, since they decide how much a load
//! test puts on the wire.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use facesim::synth::avatar::{DeriveOptions, Enrolled};
use facesim::synth::scene::Shot;
use facesim::synth::{Generator, SynthConfig, device_sn, face, jpeg};

/// The spec example's timestamp; any value does, the benches only need one.
const TIMESTAMP: i64 = 1_660_625_866;

/// Prints the mean, smallest and largest JPEG and event JSON over a few hundred records.
fn report_sizes(g: &Generator) {
    let n = 300u64;
    let (mut jpeg, mut json) = (Vec::new(), Vec::new());
    for seq in 0..n {
        let generated = g.generate(seq, TIMESTAMP);
        jpeg.push(generated.jpeg_len);
        let body = serde_json::to_vec(&generated.event).expect("events always serialise");
        json.push(body.len());
    }
    let describe = |name: &str, sizes: &[usize]| {
        let mean = sizes.iter().sum::<usize>() as f64 / sizes.len() as f64;
        let min = sizes.iter().min().copied().unwrap_or(0);
        let max = sizes.iter().max().copied().unwrap_or(0);
        println!(
            "{name}: mean {:.1} KB, min {:.1} KB, max {:.1} KB over {n} records",
            mean / 1024.0,
            min as f64 / 1024.0,
            max as f64 / 1024.0
        );
    };
    let cfg = g.config();
    println!(
        "default snapshot: {}x{} at quality {}",
        cfg.width, cfg.height, cfg.quality
    );
    describe("snapshot jpeg", &jpeg);
    describe("event json", &json);
}

fn synth(c: &mut Criterion) {
    let g = Generator::new(&SynthConfig::default(), device_sn(0, 0));
    report_sizes(&g);

    let mut group = c.benchmark_group("synth");
    // One element is one record, so criterion reports records per second.
    group.throughput(Throughput::Elements(1));

    let mut seq = 0u64;
    group.bench_function("draw", |b| {
        b.iter(|| {
            seq += 1;
            black_box(g.draw(seq))
        })
    });

    // Cycle through a set of draws so that the bench sees varied faces, masks and spoofs.
    let draws: Vec<_> = (0..64).map(|s| g.draw(s)).collect();
    let mut i = 0;
    group.bench_function("snapshot", |b| {
        b.iter(|| {
            i = (i + 1) % draws.len();
            black_box(g.snapshot(&draws[i]))
        })
    });

    // Rendering alone, to tell drawing from JPEG encoding in the snapshot figure.
    let (w, h) = (g.config().width, g.config().height);
    let mut i = 0;
    group.bench_function("render", |b| {
        b.iter(|| {
            i = (i + 1) % draws.len();
            black_box(face::render(&draws[i].look, &draws[i].shot, w, h))
        })
    });

    // Encoding alone, over the same faces drawn once, to tell the encoder's share.
    let (quality, comment) = (g.config().quality, jpeg::trace_comment(g.sn(), 1));
    let pictures: Vec<_> = draws
        .iter()
        .map(|d| face::render(&d.look, &d.shot, w, h))
        .collect();
    let mut i = 0;
    group.bench_function("encode", |b| {
        b.iter(|| {
            i = (i + 1) % pictures.len();
            black_box(jpeg::encode(&pictures[i], w, h, quality, &comment))
        })
    });

    let events: Vec<_> = (0..16).map(|s| g.generate(s, TIMESTAMP).event).collect();
    let mut i = 0;
    group.bench_function("event_serialise", |b| {
        b.iter(|| {
            i = (i + 1) % events.len();
            black_box(serde_json::to_vec(&events[i]).expect("events always serialise"))
        })
    });

    group.bench_function("generate", |b| {
        b.iter(|| {
            seq += 1;
            black_box(g.generate(seq, TIMESTAMP))
        })
    });
    // A whole event as a sender puts it on the wire: draw, snapshot, base64 and JSON.
    group.bench_function("event", |b| {
        b.iter(|| {
            seq += 1;
            let generated = g.generate(seq, TIMESTAMP);
            black_box(serde_json::to_vec(&generated.event).expect("events always serialise"))
        })
    });
    // The avatar path: an enrolment photo (480x640 at quality 92, head straight) decoded
    // and searched once, then a snapshot per record from that state.
    let d = &draws[0];
    let portrait = Shot {
        roll: 0.0,
        yaw: 0.0,
        ..d.shot
    };
    let photo = jpeg::encode(
        &face::render(&d.look, &portrait, 480, 640),
        480,
        640,
        92,
        "",
    );
    let enrolled = Enrolled::new(&photo).expect("the portrait decodes");
    let opts = DeriveOptions::of(g.config(), g.sn(), false);
    group.bench_function("avatar_enrolled", |b| {
        b.iter(|| {
            seq += 1;
            black_box(enrolled.derive(1, seq, &opts).expect("the size is valid"))
        })
    });
    group.finish();
}

criterion_group!(benches, synth);
criterion_main!(benches);
