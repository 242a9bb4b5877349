//! CPU time per snapshot, the "per core" of issue 20's speed goals, on a shared machine:
//! `synth-cpu [COUNT]` renders, encodes, snapshots and generates COUNT records of the
//! default configuration, and derives snapshots from an enrolment photo (from its bytes,
//! and from the person's state built once), and prints the CPU time each step took per record, read from
//! `/proc/thread-self/schedstat` (time on a CPU, so waiting for one does not count, which
//! wall-clock benches under load do count). `synth-cpu COUNT DIR` also writes the first
//! 16 rendered faces as raw RGB to `DIR/<n>.rgb`, and, when `DIR` already holds them,
//! prints how far the new ones lie from them, to tell whether a faster drawing kept the
//! look: the mean absolute difference of 8×8 block means per channel, over which the
//! sensor noise averages out (it is drawn anew whenever the noise is computed otherwise).

use std::hint::black_box;
use std::time::Duration;

use facesim::synth::avatar::{DeriveOptions, Enrolled, derive};
use facesim::synth::scene::Shot;
use facesim::synth::{Generator, SynthConfig, device_sn, face, jpeg};

/// The spec example's timestamp; any value does.
const TIMESTAMP: i64 = 1_660_625_866;

/// This thread's time on a CPU so far.
fn cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(nanos)
}

/// Runs `f` COUNT times and prints its CPU time per call and calls per CPU second.
fn measure(name: &str, count: u64, mut f: impl FnMut(u64)) {
    let start = cpu_time();
    for i in 0..count {
        f(i);
    }
    let per = (cpu_time() - start).as_secs_f64() / count as f64;
    println!(
        "{name:>10}: {:8.1} us of CPU each, {:7.0} per CPU second",
        per * 1e6,
        1.0 / per
    );
}

/// The mean absolute difference between the 8×8 block means of two RGB8 pictures.
fn block_difference(a: &[u8], b: &[u8], w: usize, h: usize) -> f64 {
    let (mut total, mut blocks) = (0.0, 0);
    for by in 0..h / 8 {
        for bx in 0..w / 8 {
            for c in 0..3 {
                let (mut sa, mut sb) = (0i64, 0i64);
                for y in by * 8..by * 8 + 8 {
                    for x in bx * 8..bx * 8 + 8 {
                        let i = (y * w + x) * 3 + c;
                        sa += i64::from(a[i]);
                        sb += i64::from(b[i]);
                    }
                }
                total += (sa - sb).abs() as f64 / 64.0;
                blocks += 1;
            }
        }
    }
    total / f64::from(blocks.max(1))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let dir = args.next();
    let g = Generator::new(&SynthConfig::default(), device_sn(0, 0));
    let (w, h, quality) = (g.config().width, g.config().height, g.config().quality);
    let draws: Vec<_> = (0..64).map(|s| g.draw(s)).collect();
    let comment = jpeg::trace_comment(g.sn(), 1);

    if let Some(dir) = dir {
        let mut total = 0.0;
        let mut compared = 0;
        for (n, d) in draws.iter().take(16).enumerate() {
            let rgb = face::render(&d.look, &d.shot, w, h);
            let path = format!("{dir}/{n}.rgb");
            match std::fs::read(&path) {
                Ok(old) if old.len() == rgb.len() => {
                    total += block_difference(&old, &rgb, w as usize, h as usize);
                    compared += 1;
                }
                _ => std::fs::write(&path, &rgb).expect("the directory is writable"),
            }
        }
        if compared > 0 {
            println!(
                "mean absolute difference of 8x8 block means to {dir}: {:.3} levels over {compared} faces",
                total / f64::from(compared)
            );
        }
    }

    let pictures: Vec<_> = draws
        .iter()
        .map(|d| face::render(&d.look, &d.shot, w, h))
        .collect();
    let pick = |i: u64| &draws[i as usize % draws.len()];
    measure("render", count, |i| {
        let d = pick(i);
        black_box(face::render(&d.look, &d.shot, w, h));
    });
    measure("encode", count, |i| {
        let p = &pictures[i as usize % pictures.len()];
        black_box(jpeg::encode(p, w, h, quality, &comment));
    });
    measure("snapshot", count, |i| {
        black_box(g.snapshot(pick(i)));
    });
    let portrait = Shot {
        roll: 0.0,
        yaw: 0.0,
        ..draws[0].shot
    };
    let photo = jpeg::encode(
        &face::render(&draws[0].look, &portrait, 480, 640),
        480,
        640,
        92,
        "",
    );
    let opts = DeriveOptions::of(g.config(), g.sn(), false);
    measure("derive", count / 4 + 1, |i| {
        black_box(derive(&photo, 1, i, &opts).expect("the portrait decodes"));
    });
    let enrolled = Enrolled::new(&photo).expect("the portrait decodes");
    measure("enrolled", count, |i| {
        black_box(enrolled.derive(1, i, &opts).expect("the size is valid"));
    });
    measure("event", count, |i| {
        let generated = g.generate(1000 + i, TIMESTAMP);
        black_box(serde_json::to_vec(&generated.event).expect("events always serialise"));
    });
}
