//! Event bodies at load-test rates. Rendering a snapshot takes milliseconds and base64 of
//! 30 KB takes tens of microseconds, so neither may happen per event: a pool of snapshots
//! is rendered and base64-encoded once, and each event reuses one of them with only its
//! trace comment changed.
//!
//! The trick that makes the change cheap: the comment sits at a fixed offset near the start
//! of the JPEG and always has the same width (the sequence number is zero-padded, which
//! [`jpeg::parse_trace`] reads back unchanged), so only the few base64 characters that
//! cover it differ between events. An event is then three slices: a small per-event front
//! (HTTP head, the JSON up to the image, the re-encoded comment window), the pooled base64
//! after the window (shared, never copied), and the JSON after the image.
//!
//! Devices are light: a [`Generator`] with a small population each (by default scaled so
//! that a fleet holds about 200,000 people in all), its serial number from [`device_sn`].

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::LoadError;
use crate::net::{Endpoint, Request};
use crate::seed::{Domain, splitmix64};
use crate::synth::{Generator, SynthConfig, device_sn, jpeg};
use crate::wire::{self, Event, User};

/// Digits the sequence number of a trace comment is padded to: any `u64` fits.
const SEQ_DIGITS: usize = 20;
/// People in all devices of a fleet together when `--people` is not given.
pub const FLEET_PEOPLE_BUDGET: usize = 200_000;

/// What to build the bodies from.
#[derive(Debug, Clone)]
pub(crate) struct BodySpec {
    pub seed: u64,
    /// Global indices of this process's devices.
    pub devices: Vec<u32>,
    pub people: usize,
    pub image_pool: usize,
    /// The API version whose records are sent.
    pub api: crate::profile::ApiVersion,
    /// Send remote-authentication callback bodies instead of records.
    pub auth: bool,
}

/// A pooled snapshot: its base64 text, with the comment window described.
#[derive(Debug)]
struct PoolImage {
    /// The base64 of the whole JPEG, with a placeholder comment.
    b64: Arc<[u8]>,
    /// The JPEG bytes that the window's base64 characters encode: a multiple of 3 long.
    raw: Vec<u8>,
    /// Where the comment starts within `raw`.
    comment_at: usize,
    /// The base64 characters the window covers.
    chars: std::ops::Range<usize>,
}

/// The fleet of simulated devices and the snapshot pool they share.
#[derive(Debug)]
pub(crate) struct Bodies {
    devices: Vec<Generator>,
    /// Callback bodies instead of records (`--target auth`): the callers sent in turn.
    callers: Option<Vec<crate::synth::Caller>>,
    images: Vec<PoolImage>,
    /// Width of every trace comment, in bytes.
    comment_width: usize,
    /// Per device, its trace comment up to the sequence number (`facesim sn=.. seq=`).
    comment_prefixes: Vec<Vec<u8>>,
    /// `"rgb_image":""`, as serde_json writes it for an empty image.
    marker: Vec<u8>,
}

/// A worker's reusable buffers for one event: once they have grown to an event's size,
/// preparing the next event allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct EventBuf {
    /// The record being refilled, and a spare `user` for records that have none.
    event: Option<(Event, Option<User>)>,
    json: Vec<u8>,
    front: Vec<u8>,
    back_from: usize,
    window: Vec<u8>,
    image: usize,
}

impl Bodies {
    /// Builds the devices and renders the pool, on every core (this runs before the clock
    /// starts, so it costs start-up time only).
    ///
    /// # Errors
    /// [`LoadError::Usage`] for an empty fleet or pool.
    pub(crate) fn build(spec: &BodySpec) -> Result<Self, LoadError> {
        if spec.devices.is_empty() {
            return Err(LoadError::Usage(
                "this shard has no devices; use more --devices".into(),
            ));
        }
        if spec.image_pool == 0 {
            return Err(LoadError::Usage("--image-pool must be at least 1".into()));
        }
        let cfg = SynthConfig {
            seed: spec.seed,
            people: spec.people,
            api: spec.api,
            ..SynthConfig::default()
        };
        let devices = parallel_map(&spec.devices, |&index| {
            Generator::new(&cfg, device_sn(spec.seed, index))
        });
        let comment_width = devices
            .iter()
            .map(|g| jpeg::trace_comment(g.sn(), 0).len() - 1 + SEQ_DIGITS)
            .max()
            .unwrap_or(0);
        let slots: Vec<usize> = (0..spec.image_pool).collect();
        let images = parallel_map(&slots, |&k| {
            let generator = &devices[k % devices.len()];
            let draw = generator.draw(k as u64);
            let placeholder = padded_comment(generator.sn(), 0, comment_width);
            let snapshot = jpeg::with_comment(&generator.snapshot(&draw), &placeholder);
            pool_image(&snapshot, placeholder.as_bytes())
        });
        let marker = format!("\"{}\":\"\"", wire::field::RGB_IMAGE).into_bytes();
        let comment_prefixes = devices
            .iter()
            .map(|g| {
                let plain = jpeg::trace_comment(g.sn(), 0);
                // The sequence number is the comment's last field: drop its one digit.
                plain.as_bytes()[..plain.len() - 1].to_vec()
            })
            .collect();
        if spec.auth && !spec.api.profile().auth.callback {
            return Err(LoadError::Usage(format!(
                "API {} has no remote-authentication callback (it comes with 1.1)",
                spec.api
            )));
        }
        Ok(Self {
            devices,
            callers: spec.auth.then(auth_callers),
            images,
            comment_width,
            comment_prefixes,
            marker,
        })
    }

    /// Devices in this process.
    pub(crate) fn device_count(&self) -> usize {
        self.devices.len()
    }

    /// Prepares the request for event `n` of this process (the `n`th on the schedule),
    /// stamped `timestamp`, into `buf`. Device `n mod devices` sends it as its record
    /// `n / devices`, so every device's records are numbered without gaps.
    pub(crate) fn prepare(&self, n: u64, timestamp: i64, endpoint: &Endpoint, buf: &mut EventBuf) {
        let d = self.devices.len() as u64;
        let generator = &self.devices[(n % d) as usize];
        let seq = n / d;
        buf.json.clear();
        if let Some(callers) = &self.callers {
            // Callers in turn, drawn from the event number: every kind the guide's table
            // sends to the server under auth_mode 1 or 3.
            let caller = callers
                [(splitmix64(n ^ Domain::PoolCaller.salt()) % callers.len() as u64) as usize];
            let request = generator.auth_request_with_image(caller, seq, String::new(), timestamp);
            serde_json::to_writer(&mut buf.json, &request).expect("a callback always serialises");
        } else {
            let draw = generator.draw(seq);
            let (event, spare) = buf
                .event
                .get_or_insert_with(|| (generator.event(&draw, String::new(), timestamp), None));
            generator.fill_event(&draw, timestamp, event, spare);
            serde_json::to_writer(&mut buf.json, &*event).expect("an event always serialises");
        }
        let open = find(&buf.json, &self.marker)
            .map(|i| i + self.marker.len() - 1)
            .expect("serde_json writes an empty rgb_image as the marker");
        buf.image = (splitmix64(n) % self.images.len() as u64) as usize;
        let image = &self.images[buf.image];
        let body_len = buf.json.len() + image.b64.len();
        buf.front.clear();
        endpoint.write_head(body_len, &mut buf.front);
        buf.front.extend_from_slice(&buf.json[..open]);
        buf.front.extend_from_slice(&image.b64[..image.chars.start]);
        // Re-encode only the comment window.
        buf.window.clear();
        buf.window.extend_from_slice(&image.raw);
        write_padded_comment(
            &self.comment_prefixes[(n % d) as usize],
            seq,
            &mut buf.window[image.comment_at..image.comment_at + self.comment_width],
        );
        let at = buf.front.len();
        buf.front.resize(at + image.chars.len(), 0);
        let written = STANDARD
            .encode_slice(&buf.window, &mut buf.front[at..])
            .expect("the window's base64 fits the space reserved for it");
        debug_assert_eq!(written, image.chars.len());
        buf.back_from = open;
    }

    /// The three slices of the prepared request: front, shared image, back.
    pub(crate) fn parts<'a>(&'a self, buf: &'a EventBuf) -> [&'a [u8]; 3] {
        let image = &self.images[buf.image];
        [
            &buf.front,
            &image.b64[image.chars.end..],
            &buf.json[buf.back_from..],
        ]
    }

    /// The prepared request as the client sends it: [`parts`](Self::parts).
    pub(crate) fn request<'a>(&'a self, buf: &'a EventBuf) -> Request<'a> {
        self.parts(buf).into()
    }

    /// The complete body of event `n`, as sent (for `--save-body`).
    pub(crate) fn body(&self, n: u64, timestamp: i64, endpoint: &Endpoint) -> Vec<u8> {
        let mut buf = EventBuf::default();
        self.prepare(n, timestamp, endpoint, &mut buf);
        let [front, middle, back] = self.parts(&buf);
        let head_end = crate::net::http1::find_head_end(front, 0).unwrap_or(0);
        [&front[head_end..], middle, back].concat()
    }
}

/// The callers a terminal reports under `auth_mode` 1 or 3.
fn auth_callers() -> Vec<crate::synth::Caller> {
    use crate::wire::AuthMode;
    crate::synth::Caller::ALL
        .into_iter()
        .filter(|c| {
            c.reaction(AuthMode::LIBRARY_TO_SERVER).calls()
                || c.reaction(AuthMode::STRANGERS_TO_SERVER).calls()
        })
        .collect()
}

/// `facesim sn=<sn> seq=<seq>` with the sequence number zero-padded so that the comment is
/// exactly `width` bytes. Only the digits at the end are padded: whatever the format's
/// prefix, [`jpeg::parse_trace`] reads the same `(sn, seq)` back.
pub(crate) fn padded_comment(sn: &str, seq: u64, width: usize) -> String {
    let plain = jpeg::trace_comment(sn, seq);
    let digits = seq.checked_ilog10().map_or(1, |l| l as usize + 1);
    let zeros = width.saturating_sub(plain.len());
    let split = plain.len() - digits;
    let mut out = String::with_capacity(width);
    out.push_str(&plain[..split]);
    out.extend(std::iter::repeat_n('0', zeros));
    out.push_str(&plain[split..]);
    out
}

/// Writes what [`padded_comment`] makes into `out` (exactly the width long), given the
/// comment's `prefix` before the sequence number, without allocating.
fn write_padded_comment(prefix: &[u8], seq: u64, out: &mut [u8]) {
    out[..prefix.len()].copy_from_slice(prefix);
    let digits = &mut out[prefix.len()..];
    let mut n = seq;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Base64-encodes a snapshot and records where its comment's characters are.
fn pool_image(snapshot: &[u8], placeholder: &[u8]) -> PoolImage {
    let at = find(snapshot, placeholder).expect("with_comment puts the comment in the JPEG");
    let start = at / 3 * 3;
    let end = (at + placeholder.len()).div_ceil(3) * 3;
    // The window must not reach the padded tail of the base64; the comment sits right
    // behind SOI, so this only fails for a JPEG a few bytes long, which synth never makes.
    let end = end.min(snapshot.len() / 3 * 3);
    PoolImage {
        b64: STANDARD.encode(snapshot).into_bytes().into(),
        raw: snapshot[start..end].to_vec(),
        comment_at: at - start,
        chars: start / 3 * 4..end / 3 * 4,
    }
}

/// The first position of `needle` in `haystack`. Checks the first byte before comparing
/// the rest, which is what makes it cheap enough to run on every event body.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let last_start = haystack.len().checked_sub(needle.len())?;
    (0..=last_start).find(|&i| haystack[i] == first && &haystack[i + 1..i + needle.len()] == rest)
}

/// `items.map(f)` on every core, in order.
fn parallel_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("body builders do not panic"))
            .collect()
    })
}

/// The default population per device: the device default (200) for small fleets, fewer
/// for large ones so that the fleet stays near [`FLEET_PEOPLE_BUDGET`] people.
pub fn default_people(devices: usize) -> usize {
    (FLEET_PEOPLE_BUDGET / devices.max(1)).clamp(10, SynthConfig::default().people)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Event;

    #[test]
    fn comments_written_in_place_equal_padded_ones() {
        let sn = device_sn(3, 7);
        let width = jpeg::trace_comment(&sn, 0).len() - 1 + SEQ_DIGITS;
        let plain = jpeg::trace_comment(&sn, 0);
        let prefix = &plain.as_bytes()[..plain.len() - 1];
        let mut out = vec![b'x'; width];
        for seq in [0, 7, 10, 99_999, u64::MAX] {
            write_padded_comment(prefix, seq, &mut out);
            assert_eq!(out, padded_comment(&sn, seq, width).as_bytes(), "{seq}");
        }
    }

    #[test]
    fn padded_comments_parse_back_and_have_one_width() {
        let sn = device_sn(3, 7);
        let width = jpeg::trace_comment(&sn, 0).len() - 1 + SEQ_DIGITS;
        for seq in [0, 9, 10, 12_345, u64::MAX] {
            let c = padded_comment(&sn, seq, width);
            assert_eq!(c.len(), width, "{c}");
            assert_eq!(jpeg::parse_trace(&c), Some((sn.clone(), seq)), "{c}");
        }
    }

    #[tokio::test]
    async fn prepared_bodies_are_valid_events_with_their_own_trace() {
        let spec = BodySpec {
            seed: 5,
            devices: vec![0, 3, 6],
            people: 10,
            image_pool: 2,
            api: crate::profile::ApiVersion::default(),
            auth: false,
        };
        let bodies = Bodies::build(&spec).unwrap();
        let url = url::Url::parse("http://127.0.0.1:9/e").unwrap();
        let endpoint = Endpoint::new(&url, &crate::tls::Trust::System)
            .await
            .unwrap();
        for n in [0u64, 1, 2, 3, 4, 1_000_001] {
            let mut buf = EventBuf::default();
            bodies.prepare(n, 1_700_000_000 + n as i64, &endpoint, &mut buf);
            let wire: Vec<u8> = bodies.parts(&buf).concat();
            let text = String::from_utf8(wire.clone()).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(
                head.ends_with(&format!("Content-Length: {}", body.len())),
                "{head}"
            );
            assert_eq!(
                bodies.body(n, 1_700_000_000 + n as i64, &endpoint),
                body.as_bytes()
            );
            let event: Event = serde_json::from_str(body).unwrap();
            let sn = device_sn(5, [0, 3, 6][(n % 3) as usize]);
            assert_eq!(event.as_record().expect("a record").device_sn, sn);
            assert_eq!(
                event.as_record().expect("a record").timestamp,
                1_700_000_000 + n as i64
            );
            let jpeg_bytes = STANDARD
                .decode(&event.as_record().expect("a record").rgb_image)
                .unwrap();
            let comment = jpeg::read_comment(&jpeg_bytes).unwrap();
            assert_eq!(jpeg::parse_trace(&comment), Some((sn, n / 3)), "{comment}");
            let mut decoder = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(&jpeg_bytes));
            decoder.decode().expect("a patched snapshot still decodes");
        }
    }

    #[test]
    fn people_scale_down_for_large_fleets() {
        assert_eq!(default_people(1), 200);
        assert_eq!(default_people(10_000), 20);
        assert_eq!(default_people(1_000_000), 10);
    }
}
