//! The AI helper routes over HTTPS: `/v1/ai/recognitionquality` finds faces drawn at known
//! places (bare, masked, under a helmet, tilted, too small) and answers an empty array for
//! a picture without one; `/v1/ai/feature` answers exactly the feature enrolment stores,
//! and enrolment refuses a masked photo with the quality route's reason; every malformed
//! request is a JSON envelope that changes nothing.
//!
//! The vendor client's own pictures are not part of the repository; to check them, set
//! `FACESIM_VENDOR_PICTURES` to their folder and run
//! `cargo test -p facesim --test it ai::vendor_pictures -- --ignored`.

use facesim::synth::face::{self, Look, Region};
use facesim::synth::jpeg;
use facesim::synth::scene::{Backdrop, Shot};
use facesim_proto::profile::ApiVersion;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use crate::support::{self, TestDevice, call};

const BOUNDARY: &str = "facesim-test-boundary";

/// A multipart body with one part `name`, labelled as the vendor's client labels it.
fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"face.jpeg\"\r\nContent-Type: multipart/form-data\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_image(dev: &TestDevice, route: &str, image: &[u8]) -> (u16, Value) {
    call(
        dev.client
            .post(format!("{}/v1/ai/{route}", dev.api))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart("image", image)),
    )
    .await
}

/// A drawn face: the JPEG and the head's centre and half-width, in pixels.
struct Drawn {
    jpeg: Vec<u8>,
    cx: f32,
    cy: f32,
    r: f32,
}

/// Draws person `seed` at `w × h`, the shot adjusted by `tweak`, the pixels by `paint`.
fn draw(
    seed: u64,
    (w, h): (u32, u32),
    tweak: impl Fn(&mut Shot),
    paint: impl Fn(&mut [u8], f32, f32, f32, f32),
) -> Drawn {
    let mut rng = StdRng::seed_from_u64(seed);
    let region = if seed % 2 == 0 {
        Region::EastAsia
    } else {
        Region::Anywhere
    };
    let look = Look::random(&mut rng, region);
    let backdrop = Backdrop::random(&mut rng);
    let mut shot = Shot::random(&mut rng, backdrop);
    tweak(&mut shot);
    let mut px = face::render(&look, &shot, w, h);
    // Where face::render puts the head.
    let r = 0.25 * (w as f32).min(h as f32 * 0.8) * shot.scale * look.face_width;
    let (cx, cy) = (w as f32 * (0.5 + shot.dx), h as f32 * (0.46 + shot.dy));
    paint(&mut px, cx, cy, r, r * look.face_ratio);
    Drawn {
        jpeg: jpeg::encode(&px, w, h, 90, "ai test"),
        cx,
        cy,
        r,
    }
}

fn plain(seed: u64, size: (u32, u32), tweak: impl Fn(&mut Shot)) -> Drawn {
    draw(seed, size, tweak, |_, _, _, _, _| {})
}

fn straight(shot: &mut Shot) {
    shot.roll = 0.0;
    shot.mask_worn = false;
}

/// Paints a yellow safety helmet over the top of the head, down to the brows' height.
fn helmet(px: &mut [u8], cx: f32, cy: f32, r: f32, ry: f32) {
    let width = 480usize;
    let brim = cy - 0.35 * ry;
    for (i, p) in px.chunks_exact_mut(3).enumerate() {
        let (x, y) = ((i % width) as f32, (i / width) as f32);
        let d = ((x - cx) / (1.2 * r)).powi(2) + ((y - brim) / (0.9 * ry)).powi(2);
        if d < 1.0 && y < brim {
            p.copy_from_slice(&[240, 190, 20]);
        }
    }
}

/// The one entry of a quality answer and its result code, when the answer holds exactly
/// one face whose rectangle holds the drawn head's centre and is about as wide as the
/// head; otherwise what is wrong.
fn placed(body: &Value, drawn: &Drawn) -> Result<(i64, Value), String> {
    let entries = body["data"]
        .as_array()
        .ok_or(format!("not an array: {body}"))?;
    let [e] = entries.as_slice() else {
        return Err(format!("{} faces: {body}", entries.len()));
    };
    let rect = &e["rect"];
    let side = |k: &str| rect[k].as_f64().unwrap_or(f64::NAN) as f32;
    let (left, top, right, bottom) = (side("left"), side("top"), side("right"), side("bottom"));
    if !(left < drawn.cx && drawn.cx < right && top < drawn.cy && drawn.cy < bottom) {
        return Err(format!("{rect} vs centre ({}, {})", drawn.cx, drawn.cy));
    }
    let width = right - left;
    if !(width > 1.4 * drawn.r && width < 2.8 * drawn.r) {
        return Err(format!("{rect} vs head width {}", 2.0 * drawn.r));
    }
    for angle in ["yaw", "pitch", "roll"] {
        if !e[angle].is_number() {
            return Err(format!("no {angle}: {e}"));
        }
    }
    let code = e["result"]["code"]
        .as_i64()
        .ok_or(format!("no code: {e}"))?;
    Ok((code, e.clone()))
}

/// [`placed`], which must hold.
fn one_face(body: &Value, drawn: &Drawn) -> (i64, Value) {
    placed(body, drawn).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn quality_finds_drawn_faces_where_they_are_and_judges_them() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    // People differ (ginger hair, ears that widen the face, glasses, long hair down to
    // clothes of a skin colour) and the analysis is a heuristic, so a share of them holds,
    // not every one. Over 800 drawn people it placed and passed 92% of straight faces (737)
    // and placed and read as masked 92% of masked ones (737) with the cast chosen among
    // 10,000 (94%, 752 and 748, before the cast); a planted fault (the
    // rectangle a face lower, or the mask never seen) fails it.
    let (mut bare, mut masked) = (Vec::new(), Vec::new());
    for seed in 0..24 {
        let drawn = plain(seed, (480, 640), straight);
        let (status, body) = post_image(&dev, "recognitionquality", &drawn.jpeg).await;
        assert_eq!(status, 200, "{body}");
        match placed(&body, &drawn) {
            Ok((0, entry)) => {
                assert_eq!(entry["result"]["info"], "PASS", "{entry}");
                bare.push(seed);
            }
            other => eprintln!("straight seed {seed}: {other:?}"),
        }
        let drawn = plain(seed, (480, 640), |s| {
            s.roll = 0.0;
            s.mask_worn = true;
        });
        let (_, body) = post_image(&dev, "recognitionquality", &drawn.jpeg).await;
        match placed(&body, &drawn) {
            Ok((80200, _)) => masked.push(seed),
            other => eprintln!("masked seed {seed}: {other:?}"),
        }
    }
    eprintln!("placed and passed {bare:?}, placed and masked {masked:?}");
    // At least three in four of each: 18 of 24, where 94% would give 22 or 23.
    assert!(
        bare.len() >= 18,
        "{} of 24 straight faces passed",
        bare.len()
    );
    assert!(
        masked.len() >= 18,
        "{} of 24 masked faces read so",
        masked.len()
    );
    let drawn = draw(8, (480, 640), straight, helmet);
    let (_, body) = post_image(&dev, "recognitionquality", &drawn.jpeg).await;
    assert_eq!(one_face(&body, &drawn).0, 80201, "helmet: {body}");
    // Tilted by 34 degrees either way. The tilt is the turn of the band's axis of mirror
    // symmetry, which light and shade, curls and glasses blur for some people, so a share
    // holds, and which share depends on who the people are: of 48 tilted faces (24
    // people, each way) the band's skin alone refused 38 as tilted with the first cast
    // (37 with the tilt's sign right; the line through the midpoints of the band's rows,
    // read before, refused 25 of those, with either sign) and 28 with the cast chosen
    // among 10,000, whose people have curls and glasses more often. Weighing the holes of
    // the features refuses 38 of these, with the sign right. A tilt never read refuses none.
    let mut tilted = 0;
    for seed in 0..24 {
        for roll in [0.6, -0.6] {
            let drawn = plain(seed, (480, 640), |s| {
                straight(s);
                s.roll = roll;
            });
            let (_, body) = post_image(&dev, "recognitionquality", &drawn.jpeg).await;
            match placed(&body, &drawn) {
                Ok((80206, entry)) if entry["roll"].as_f64().unwrap() * f64::from(roll) > 12.0 => {
                    tilted += 1;
                }
                other => eprintln!("seed {seed} rolled {roll}: {other:?}"),
            }
        }
    }
    eprintln!("{tilted} of 48 tilted faces refused as tilted");
    assert!(
        tilted >= 32,
        "{tilted} of 48 tilted faces refused as tilted"
    );
    let drawn = plain(8, (96, 128), straight);
    let (_, body) = post_image(&dev, "recognitionquality", &drawn.jpeg).await;
    assert_eq!(one_face(&body, &drawn).0, 80202, "a face 48 px wide");
    // A picture of a grey wall has no face: an empty array.
    let wall: Vec<u8> = (0..320 * 240)
        .flat_map(|i| [(i % 320 / 3) as u8; 3])
        .collect();
    let (status, body) = post_image(
        &dev,
        "recognitionquality",
        &jpeg::encode(&wall, 320, 240, 90, "wall"),
    )
    .await;
    assert_eq!((status, body["data"].clone()), (200, json!([])), "{body}");
    dev.stop().await;
}

#[tokio::test]
async fn feature_is_what_enrolment_stores_and_masked_photos_are_refused_alike() {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    let photo = plain(8, (480, 640), straight).jpeg;
    let (status, body) = post_image(&dev, "feature", &photo).await;
    assert_eq!(status, 200, "{body}");
    let feature = body["data"].as_str().unwrap().to_string();
    assert!(feature.len() > 1024, "{}", feature.len());
    let (status, user) = call(
        dev.client
            .post(format!("{}/v1/user", dev.api))
            .json(&json!({"user_id": "u1", "name": "Eight", "avatar": b64(&photo)})),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["data"]["feature"], feature);
    // Another person's feature differs; the same person on another frame is closer.
    let other = post_image(&dev, "feature", &plain(2, (480, 640), straight).jpeg).await;
    assert_ne!(other.1["data"], feature);

    let masked = plain(0, (480, 640), |s| {
        s.roll = 0.0;
        s.mask_worn = true;
    })
    .jpeg;
    let (status, body) = post_image(&dev, "feature", &masked).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(400)), "{body}");
    assert!(body["msg"].as_str().unwrap().contains("80200"), "{body}");
    let (status, refused) = call(
        dev.client
            .post(format!("{}/v1/user", dev.api))
            .json(&json!({"user_id": "u2", "name": "Masked", "avatar": b64(&masked)})),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["msg"].as_str().unwrap().contains("80200"),
        "{refused}"
    );
    let (status, _) = call(dev.client.get(format!("{}/v1/user/id/u2", dev.api))).await;
    assert_eq!(status, 404, "a refused enrolment stores nothing");
    dev.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_envelopes_and_old_versions_have_no_such_routes() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device_of(dir.path(), ApiVersion::V1_3).await;
    let photo = plain(8, (240, 320), straight).jpeg;
    let url = format!("{}/v1/ai/recognitionquality", dev.api);
    let multipart_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        (
            "JSON, not multipart",
            dev.client.post(&url).json(&json!({"image": "x"})),
            400,
        ),
        (
            "no image part",
            dev.client
                .post(&url)
                .header("content-type", &multipart_type)
                .body(multipart("picture", &photo)),
            400,
        ),
        (
            "a PNG, not a JPEG",
            dev.client
                .post(&url)
                .header("content-type", &multipart_type)
                .body(multipart("image", b"\x89PNG\r\n\x1a\n....")),
            400,
        ),
        (
            "a damaged JPEG",
            dev.client
                .post(&url)
                .header("content-type", &multipart_type)
                .body(multipart("image", &photo[..200])),
            400,
        ),
        (
            "over 4 MB",
            dev.client
                .post(&url)
                .header("content-type", &multipart_type)
                .body(multipart("image", &vec![0xFF; 4 * 1024 * 1024 + 70_000])),
            413,
        ),
        (
            "no credentials",
            dev.bare
                .post(&url)
                .header("content-type", &multipart_type)
                .body(multipart("image", &photo)),
            401,
        ),
    ];
    for (what, req, want) in cases {
        let (status, body) = call(req).await;
        assert_eq!(status, want, "{what}: {body}");
        assert_eq!(body["code"], want, "{what}: {body}");
        assert_eq!(body["data"], Value::Null, "{what}");
    }
    let (status, body) = call(
        dev.client
            .get(format!("{}/v1/user/offset/0/limit/10", dev.api)),
    )
    .await;
    assert_eq!((status, body["data"]["total"].as_i64()), (200, Some(0)));
    dev.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let old = support::device_of(dir.path(), ApiVersion::V1_0).await;
    let (status, body) = post_image(&old, "feature", &photo).await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(404)), "{body}");
    old.stop().await;
}

/// The vendor client's AiTest and the enrolment of UserTest on its own pictures.
#[tokio::test]
#[ignore = "needs the vendor's pictures in FACESIM_VENDOR_PICTURES"]
async fn vendor_pictures() {
    let dir = std::env::var("FACESIM_VENDOR_PICTURES").expect("FACESIM_VENDOR_PICTURES");
    let read = |name: &str| std::fs::read(format!("{dir}/{name}")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dev = support::device_of(tmp.path(), ApiVersion::V1_2).await;
    // (picture, left, right, top, bottom lower bounds, code)
    for (name, l, r, t, b, code) in [
        ("face_Andy-Lau.jpeg", 200, 300, 100, 300, 0),
        ("face_with_mask.jpeg", 200, 400, 100, 300, 80200),
        ("face_with_helmet.jpeg", 100, 400, 100, 400, 80201),
    ] {
        let (status, body) = post_image(&dev, "recognitionquality", &read(name)).await;
        assert_eq!(status, 200, "{name}: {body}");
        let e = &body["data"][0];
        let rect = &e["rect"];
        assert!(rect["left"].as_i64().unwrap() > l, "{name}: {e}");
        assert!(rect["right"].as_i64().unwrap() > r, "{name}: {e}");
        assert!(rect["top"].as_i64().unwrap() > t, "{name}: {e}");
        assert!(rect["bottom"].as_i64().unwrap() > b, "{name}: {e}");
        assert_eq!(e["result"]["code"], code, "{name}: {e}");
    }
    let andy = read("face_Andy-Lau.jpeg");
    let (status, body) = post_image(&dev, "feature", &andy).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].as_str().unwrap().len() > 1024);
    use base64::Engine;
    let avatar = base64::engine::general_purpose::STANDARD.encode(&andy);
    let (status, user) = call(
        dev.client
            .post(format!("{}/v1/user", dev.api))
            .json(&json!({
                "user_id": 123, "name": "userTestName", "type": 1, "avatar": avatar, "feature": ""
            })),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["data"]["feature"], body["data"]);
    dev.stop().await;
}
