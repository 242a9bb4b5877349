//! Criterion benchmark of one snapshot derived from an enrolled photo
//! (`facesim::synth::avatar::derive`): decoding a 480×640 JPEG portrait, finding the face,
//! cropping, posing, lighting, adding noise and encoding a 360×480 snapshot. It also
//! prints the likeness figures the derivation is for.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use facesim::synth::avatar::{DeriveOptions, derive};
use facesim::synth::face::{self, Look, Region};
use facesim::synth::jpeg;
use facesim::synth::scene::{Backdrop, Shot};
use facesim::synth::signature::FaceSignature;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// An enrolment photo of synthetic person `n`: 480×640 at quality 92.
fn portrait(n: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(n);
    let look = Look::random(&mut rng, Region::Anywhere);
    let backdrop = Backdrop::random(&mut rng);
    let mut shot = Shot::random(&mut rng, backdrop);
    shot.roll = 0.0;
    shot.yaw = 0.0;
    jpeg::encode(&face::render(&look, &shot, 480, 640), 480, 640, 92, "")
}

fn avatar(c: &mut Criterion) {
    let photos: Vec<Vec<u8>> = (0..4).map(portrait).collect();
    let opts = DeriveOptions {
        sn: "PS71HD01MC22C00014".into(),
        width: 360,
        height: 480,
        quality: 85,
        mask: false,
    };
    let signatures: Vec<FaceSignature> = photos
        .iter()
        .map(|p| FaceSignature::of(p).expect("the portrait decodes"))
        .collect();
    let snapshot = derive(&photos[0], 1, 1, &opts).expect("the portrait decodes");
    let own = FaceSignature::of(&snapshot).expect("the snapshot decodes");
    println!(
        "likeness of a snapshot: {:.3} to its own photo, {:.3} to the nearest other",
        own.distance(&signatures[0]),
        signatures[1..]
            .iter()
            .map(|s| own.distance(s))
            .fold(f32::INFINITY, f32::min)
    );

    let mut group = c.benchmark_group("avatar");
    group.throughput(Throughput::Elements(1));
    let mut seq = 0u64;
    group.bench_function("derive", |b| {
        b.iter(|| {
            seq += 1;
            let photo = &photos[seq as usize % photos.len()];
            black_box(derive(photo, 1, seq, &opts).expect("the portrait decodes"))
        })
    });
    let masked = DeriveOptions { mask: true, ..opts };
    group.bench_function("derive_masked", |b| {
        b.iter(|| {
            seq += 1;
            black_box(derive(&photos[0], 1, seq, &masked).expect("the portrait decodes"))
        })
    });
    group.finish();
}

criterion_group!(benches, avatar);
criterion_main!(benches);
