//! The questions of a DNS message, read from bytes anyone on the link may send (RFC 1035
//! §4.1, RFC 6762 §18): the mDNS responder's input. Pure; a message that is not a
//! well-formed standard query is `None`, never a panic, whatever the bytes. A leaf of the
//! fleet.

/// Record types the responder answers, `ANY` (255) for any of them.
pub const TYPE_A: u16 = 1;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_SRV: u16 = 33;
pub const TYPE_ANY: u16 = 255;
/// The Internet class, and `ANY`.
pub const CLASS_IN: u16 = 1;
const CLASS_ANY: u16 = 255;
/// In a question's class, the "unicast response requested" bit (QU, RFC 6762 §5.4).
const UNICAST_RESPONSE: u16 = 0x8000;

/// Questions read from one message at most: a query of more is not one this responder
/// serves, and the bound keeps a hostile packet's cost small.
const MAX_QUESTIONS: u16 = 64;
/// Pointers followed in one name at most; each must also point backwards, so that no
/// pointer chain can loop.
const MAX_JUMPS: usize = 32;
/// A name's longest encoding (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// The DNS header's length.
pub const HEADER: usize = 12;

/// A standard query and its questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The query's ID, which a legacy unicast answer repeats (RFC 6762 §6.7).
    pub id: u16,
    pub questions: Vec<Question>,
}

/// One question of a query, its name lowercased (DNS names compare without case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Dotted, without the root's trailing dot: `_http._tcp.local`.
    pub name: String,
    pub kind: u16,
    /// The QU bit: the querier asks for a unicast answer.
    pub unicast: bool,
}

/// Reads `packet` as a standard query (QR clear, opcode 0). Questions of a class other
/// than IN or ANY are left out.
pub fn parse_query(packet: &[u8]) -> Option<Query> {
    let id = word(packet, 0)?;
    let flags = word(packet, 2)?;
    let is_response = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xF;
    if is_response || opcode != 0 {
        return None;
    }
    let count = word(packet, 4)?;
    if count > MAX_QUESTIONS {
        return None;
    }
    let mut at = HEADER;
    let mut questions = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let (name, next) = name(packet, at)?;
        let kind = word(packet, next)?;
        let class = word(packet, next + 2)?;
        at = next + 4;
        if matches!(class & !UNICAST_RESPONSE, CLASS_IN | CLASS_ANY) {
            questions.push(Question {
                name,
                kind,
                unicast: class & UNICAST_RESPONSE != 0,
            });
        }
    }
    Some(Query { id, questions })
}

/// The big-endian 16-bit word at `at`.
fn word(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *p.get(at)?,
        *p.get(at.checked_add(1)?)?,
    ]))
}

/// The name at `at`, following compression pointers, and where what follows it begins.
fn name(p: &[u8], start: usize) -> Option<(String, usize)> {
    let mut labels: Vec<String> = Vec::new();
    let (mut at, mut end, mut jumps, mut length) = (start, None, 0, 0);
    loop {
        let len = *p.get(at)?;
        match len & 0xC0 {
            0xC0 => {
                let target = (usize::from(len & 0x3F) << 8) | usize::from(*p.get(at + 1)?);
                jumps += 1;
                // Only backwards, and not too often: no loop, however the bytes point.
                if target >= at || jumps > MAX_JUMPS {
                    return None;
                }
                end.get_or_insert(at + 2);
                at = target;
            }
            0x00 if len == 0 => return Some((labels.join("."), end.unwrap_or(at + 1))),
            0x00 => {
                let label = p.get(at + 1..at + 1 + usize::from(len))?;
                length += 1 + label.len();
                if length > MAX_NAME {
                    return None;
                }
                labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
                at += 1 + usize::from(len);
            }
            // 0x40 and 0x80: extended label types nobody uses in mDNS.
            _ => return None,
        }
    }
}

/// Appends `dotted` as uncompressed labels (labels over 63 bytes cut to 63).
pub fn write_name(p: &mut Vec<u8>, dotted: &str) {
    for label in dotted.split('.').filter(|l| !l.is_empty()) {
        let bytes = &label.as_bytes()[..label.len().min(63)];
        p.push(u8::try_from(bytes.len()).unwrap_or(63));
        p.extend_from_slice(bytes);
    }
    p.push(0);
}

/// A query of `questions` with ID `id`, each `(name, type, QU bit)`: what a browser sends.
#[cfg(test)]
pub fn query_packet(id: u16, questions: &[(&str, u16, bool)]) -> Vec<u8> {
    let count = u16::try_from(questions.len()).unwrap_or(u16::MAX);
    let mut p = Vec::with_capacity(64);
    for w in [id, 0, count, 0, 0, 0] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    for (name, kind, unicast) in questions {
        write_name(&mut p, name);
        p.extend_from_slice(&kind.to_be_bytes());
        let class = if *unicast {
            CLASS_IN | UNICAST_RESPONSE
        } else {
            CLASS_IN
        };
        p.extend_from_slice(&class.to_be_bytes());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_query_reads_back_with_its_id_names_types_and_qu_bits() {
        let p = query_packet(
            7,
            &[
                ("_http._tcp.local", TYPE_PTR, false),
                ("PS71.local", TYPE_A, true),
            ],
        );
        let q = parse_query(&p).unwrap();
        assert_eq!(q.id, 7);
        assert_eq!(
            q.questions,
            [
                Question {
                    name: "_http._tcp.local".into(),
                    kind: TYPE_PTR,
                    unicast: false
                },
                Question {
                    name: "ps71.local".into(),
                    kind: TYPE_A,
                    unicast: true
                },
            ]
        );
    }

    #[test]
    fn compressed_names_are_followed_backwards_only() {
        // Question 1: `_http._tcp.local`; question 2: `sensetime` + a pointer to it.
        let mut p = query_packet(1, &[("_http._tcp.local", TYPE_PTR, false)]);
        p[5] = 2;
        p.extend_from_slice(b"\x09sensetime\xc0\x0c");
        p.extend_from_slice(&[0, 33, 0, 1]);
        let q = parse_query(&p).unwrap();
        assert_eq!(q.questions[1].name, "sensetime._http._tcp.local");
        assert_eq!(q.questions[1].kind, TYPE_SRV);
        // A pointer to itself, or forwards, is refused rather than followed.
        let mut looped = query_packet(1, &[]);
        looped[5] = 1;
        looped.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1]);
        assert_eq!(parse_query(&looped), None);
        let mut forward = query_packet(1, &[]);
        forward[5] = 1;
        forward.extend_from_slice(&[0xc0, 14, 0, 0, 0, 12, 0, 1]);
        assert_eq!(parse_query(&forward), None);
    }

    #[test]
    fn responses_other_opcodes_and_short_packets_are_no_query() {
        let mut response = query_packet(1, &[("_http._tcp.local", TYPE_PTR, false)]);
        response[2] = 0x84;
        assert_eq!(parse_query(&response), None);
        let mut update = query_packet(1, &[("_http._tcp.local", TYPE_PTR, false)]);
        update[2] = 5 << 3;
        assert_eq!(parse_query(&update), None);
        let whole = query_packet(1, &[("_http._tcp.local", TYPE_PTR, false)]);
        for cut in 0..whole.len() {
            assert_eq!(parse_query(&whole[..cut]), None, "cut at {cut}");
        }
    }

    proptest! {
        /// Any bytes at all: an answer or none, never a panic.
        #[test]
        fn any_bytes_parse_or_not_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_query(&bytes);
        }

        /// A well-formed header followed by random bytes, which reaches the name reader.
        #[test]
        fn random_questions_parse_or_not_without_panic(
            count in 0u16..80,
            body in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let mut p = query_packet(9, &[]);
            p[4..6].copy_from_slice(&count.to_be_bytes());
            p.extend_from_slice(&body);
            if let Some(q) = parse_query(&p) {
                prop_assert!(q.questions.len() <= usize::from(count));
            }
        }
    }
}
