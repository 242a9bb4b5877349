//! The fleet's mDNS responder, as the real terminal is one (device API §1.6): every 3 s
//! each terminal announces the service `_http._tcp.local.` with the instance name
//! `sensetime` and the TXT entries `sn` and `model`, with where it listens (SRV and A
//! records), and a query for the service, the instance or a terminal's host name is
//! answered at once (RFC 6762 §6). Only on the one interface address the user names
//! (`--mdns ADDR`): the sending socket is bound to it and multicasts through it, and the
//! query socket hears the group on that interface alone (`IP_MULTICAST_ALL` off), so
//! nothing is heard from, or sent out on, another interface.
//!
//! The packets are a few records written by hand (RFC 1035 §4, RFC 6762, RFC 6763): an
//! unsolicited response from port 5353 to `224.0.0.251:5353`, one per terminal; an answer
//! is the same response, to the group, or to the querier when it asks for a unicast answer
//! (the QU bit, §5.4) or asks from a port other than 5353 (a legacy resolver, §6.7: the
//! query's ID and questions repeated, TTLs of 10 s, no cache-flush bit).

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::dns::{self, CLASS_IN, Query, TYPE_A, TYPE_ANY, TYPE_PTR, TYPE_SRV, TYPE_TXT};

/// The mDNS group and port.
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
/// The mDNS port, which announcements are sent from and to.
pub const PORT: u16 = 5353;
/// The service type terminals announce.
pub const SERVICE: &str = "_http._tcp.local";
/// The instance name every terminal announces.
pub const INSTANCE: &str = "sensetime";
/// Between two announcements of a terminal.
pub const EVERY: Duration = Duration::from_secs(3);

/// The cache-flush bit on records only this host answers for (RFC 6762 §10.2).
const CACHE_FLUSH: u16 = 0x8000;
/// TTLs: the shared PTR record's and the host's records' (RFC 6762 §10), and the most a
/// legacy unicast answer may give (§6.7).
const TTL_SHARED: u32 = 4500;
const TTL_HOST: u32 = 120;
const TTL_LEGACY: u32 = 10;

/// What one terminal announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub sn: String,
    pub model: String,
    /// Where its API listens.
    pub addr: SocketAddr,
}

impl Announced {
    /// Its host name, `<sn>.local`, lowercased as names compare.
    fn host(&self) -> String {
        format!("{}.local", self.sn.to_ascii_lowercase())
    }
}

/// The announcement of one terminal: PTR, SRV, TXT and (for an IPv4 address) A.
pub fn packet(terminal: &Announced) -> Vec<u8> {
    response(terminal, None)
}

/// The response naming `terminal`; to a legacy query `legacy`, with its ID and
/// questions, short TTLs and no cache-flush bit (RFC 6762 §6.7).
fn response(terminal: &Announced, legacy: Option<&Query>) -> Vec<u8> {
    let instance = format!("{INSTANCE}.{SERVICE}");
    let host = terminal.host();
    let ipv4 = match terminal.addr {
        SocketAddr::V4(v4) => Some(*v4.ip()),
        SocketAddr::V6(_) => None,
    };
    let answers: u16 = if ipv4.is_some() { 4 } else { 3 };
    let (id, questions) = match legacy {
        Some(q) => (q.id, q.questions.as_slice()),
        None => (0, &[][..]),
    };
    let (flush, ttl_shared, ttl_host) = match legacy {
        Some(_) => (0, TTL_LEGACY, TTL_LEGACY),
        None => (CACHE_FLUSH, TTL_SHARED, TTL_HOST),
    };
    let count = u16::try_from(questions.len()).unwrap_or(u16::MAX);
    let mut p = Vec::with_capacity(256);
    // Header: a response with authority (QR, AA).
    for word in [id, 0x8400, count, answers, 0, 0] {
        p.extend_from_slice(&word.to_be_bytes());
    }
    for q in questions {
        dns::write_name(&mut p, &q.name);
        p.extend_from_slice(&q.kind.to_be_bytes());
        p.extend_from_slice(&CLASS_IN.to_be_bytes());
    }
    record(&mut p, SERVICE, TYPE_PTR, CLASS_IN, ttl_shared, |d| {
        dns::write_name(d, &instance);
    });
    record(
        &mut p,
        &instance,
        TYPE_SRV,
        CLASS_IN | flush,
        ttl_host,
        |d| {
            // Priority 0, weight 0, the port, the host.
            d.extend_from_slice(&[0, 0, 0, 0]);
            d.extend_from_slice(&terminal.addr.port().to_be_bytes());
            dns::write_name(d, &host);
        },
    );
    record(
        &mut p,
        &instance,
        TYPE_TXT,
        CLASS_IN | flush,
        ttl_host,
        |d| {
            // The SDK drops the last byte of each value, expecting a terminator: a NUL.
            for entry in [
                format!("sn={}\0", terminal.sn),
                format!("model={}\0", terminal.model),
            ] {
                let bytes = entry.as_bytes();
                d.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
                d.extend_from_slice(&bytes[..bytes.len().min(255)]);
            }
        },
    );
    if let Some(ip) = ipv4 {
        record(&mut p, &host, TYPE_A, CLASS_IN | flush, ttl_host, |d| {
            d.extend_from_slice(&ip.octets());
        });
    }
    p
}

/// Appends a resource record whose data `data` writes.
fn record(
    p: &mut Vec<u8>,
    owner: &str,
    kind: u16,
    class: u16,
    ttl: u32,
    data: impl FnOnce(&mut Vec<u8>),
) {
    dns::write_name(p, owner);
    p.extend_from_slice(&kind.to_be_bytes());
    p.extend_from_slice(&class.to_be_bytes());
    p.extend_from_slice(&ttl.to_be_bytes());
    let mut rdata = Vec::new();
    data(&mut rdata);
    p.extend_from_slice(&u16::try_from(rdata.len()).unwrap_or(u16::MAX).to_be_bytes());
    p.extend_from_slice(&rdata);
}

/// The terminals (by index) `query` asks about: all of them for the service's PTR or the
/// instance's SRV and TXT (every terminal is a `sensetime`), one for its host's A.
fn asked(query: &Query, terminals: &[Announced]) -> Vec<usize> {
    let instance = format!("{INSTANCE}.{SERVICE}");
    let mut found = Vec::new();
    for q in &query.questions {
        let wants = |kinds: &[u16]| q.kind == TYPE_ANY || kinds.contains(&q.kind);
        if (q.name == SERVICE && wants(&[TYPE_PTR]))
            || (q.name == instance && wants(&[TYPE_SRV, TYPE_TXT]))
        {
            found.extend(0..terminals.len());
        } else if wants(&[TYPE_A]) {
            found.extend((0..terminals.len()).filter(|&i| terminals[i].host() == q.name));
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// The answers to `query`, heard from `from`, each with where it goes: the group, or the
/// querier when it asked from another port than 5353 (legacy) or set the QU bit.
pub fn answers(
    query: &Query,
    from: SocketAddr,
    terminals: &[Announced],
) -> Vec<(Vec<u8>, SocketAddr)> {
    let legacy = from.port() != PORT;
    let to = if legacy || query.questions.iter().any(|q| q.unicast) {
        from
    } else {
        SocketAddr::from((GROUP, PORT))
    };
    asked(query, terminals)
        .into_iter()
        .map(|i| (response(&terminals[i], legacy.then_some(query)), to))
        .collect()
}

/// The socket announcements and answers go out on: bound to `addr` at port 5353 (shared
/// with any other responder on the host), multicasting through that interface only.
///
/// # Errors
/// The socket error, when `addr` is no address of this host or the port cannot be shared.
pub fn socket(addr: Ipv4Addr) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    // Shared with a responder that may already hold the port (Avahi sets the same).
    socket.set_reuse_address(true)?;
    socket.set_multicast_if_v4(&addr)?;
    socket.set_multicast_ttl_v4(255)?;
    socket.set_multicast_loop_v4(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddrV4::new(addr, PORT).into())?;
    UdpSocket::from_std(socket.into())
}

/// The socket queries are heard on: the group's port 5353, joined on the interface that
/// has `addr` only. A socket bound to a unicast address hears no multicast, hence a socket
/// of its own; `IP_MULTICAST_ALL` off keeps the group's traffic of other interfaces (which
/// another program may have joined) away from it.
///
/// # Errors
/// The socket error, when `addr` is no address of this host or the port cannot be shared.
pub fn query_socket(addr: Ipv4Addr) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_multicast_all_v4(false)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddrV4::new(GROUP, PORT).into())?;
    socket.join_multicast_v4(&GROUP, &addr)?;
    UdpSocket::from_std(socket.into())
}

/// Announces every terminal every [`EVERY`] on `socket`, and answers the queries heard on
/// `queries`, until `shutdown`. A send that fails is logged and tried again at the next
/// round (or the next query); a query socket that fails is logged and no longer read.
pub async fn serve(
    socket: UdpSocket,
    queries: UdpSocket,
    terminals: Vec<Announced>,
    shutdown: impl Future<Output = ()>,
) {
    let packets: Vec<Vec<u8>> = terminals.iter().map(packet).collect();
    let to = SocketAddr::from((GROUP, PORT));
    let rounds = async {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            for p in &packets {
                if let Err(e) = socket.send_to(p, to).await {
                    tracing::warn!(error = %e, "mDNS announcement not sent");
                }
            }
        }
    };
    let answering = async {
        let mut buf = vec![0u8; 9000];
        loop {
            let (n, from) = match queries.recv_from(&mut buf).await {
                Ok(got) => got,
                Err(e) => {
                    tracing::warn!(error = %e, "mDNS queries no longer heard");
                    return;
                }
            };
            // Responses (ours among them, looped back) and garbage are no query.
            let Some(query) = dns::parse_query(&buf[..n]) else {
                continue;
            };
            for (answer, to) in answers(&query, from, &terminals) {
                if let Err(e) = socket.send_to(&answer, to).await {
                    tracing::warn!(error = %e, %to, "mDNS answer not sent");
                }
            }
        }
    };
    let both = async { tokio::join!(rounds, answering) };
    tokio::select! {
        () = shutdown => {}
        _ = both => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_names_the_service_instance_and_terminal() {
        let p = packet(&Announced {
            sn: "PS71HD01MC23H17731".into(),
            model: "SPS71HD01".into(),
            addr: "127.0.1.7:8000".parse().unwrap(),
        });
        // A response with authority and four answers.
        assert_eq!(&p[..12], &[0, 0, 0x84, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
        let has = |needle: &[u8]| p.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"\x05_http\x04_tcp\x05local\x00"));
        assert!(has(b"\x09sensetime\x05_http"));
        assert!(has(b"\x16sn=PS71HD01MC23H17731\x00"));
        assert!(has(b"\x10model=SPS71HD01\x00"));
        // The SRV port and the A address.
        assert!(has(&[0, 0, 0, 0, 0x1f, 0x40]));
        assert!(has(&[0, 4, 127, 0, 1, 7]));
    }

    fn fleet() -> Vec<Announced> {
        (1..=3)
            .map(|i| Announced {
                sn: format!("PS71HD01MC23H1773{i}"),
                model: "SPS71HD01".into(),
                addr: format!("127.0.1.{i}:8000").parse().unwrap(),
            })
            .collect()
    }

    fn ask(questions: &[(&str, u16, bool)], from: &str) -> Vec<(Vec<u8>, SocketAddr)> {
        let query = dns::parse_query(&dns::query_packet(0x1234, questions)).unwrap();
        answers(&query, from.parse().unwrap(), &fleet())
    }

    #[test]
    fn the_service_and_instance_are_answered_for_every_terminal_a_host_for_its_own() {
        let group: SocketAddr = "224.0.0.251:5353".parse().unwrap();
        let from = "127.0.0.9:5353";
        let all = ask(&[(SERVICE, TYPE_PTR, false)], from);
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|(_, to)| *to == group));
        assert_eq!(
            all[0].0,
            packet(&fleet()[0]),
            "the answer is the announcement"
        );
        assert_eq!(
            ask(&[("SenseTime._HTTP._tcp.local", TYPE_SRV, false)], from).len(),
            3
        );
        assert_eq!(
            ask(&[("sensetime._http._tcp.local", TYPE_TXT, false)], from).len(),
            3
        );
        let one = ask(&[("ps71hd01mc23h17732.local", TYPE_A, false)], from);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].0, packet(&fleet()[1]));
        // Anything else goes unanswered.
        assert!(ask(&[(SERVICE, TYPE_A, false)], from).is_empty());
        assert!(ask(&[("_ipp._tcp.local", TYPE_PTR, false)], from).is_empty());
        assert!(ask(&[("other.local", TYPE_ANY, false)], from).is_empty());
        // Asked twice in one query, answered once.
        let twice = ask(
            &[(SERVICE, TYPE_PTR, false), (SERVICE, TYPE_ANY, false)],
            from,
        );
        assert_eq!(twice.len(), 3);
    }

    #[test]
    fn a_qu_question_or_a_port_other_than_5353_gets_a_unicast_answer() {
        let qu = ask(&[(SERVICE, TYPE_PTR, true)], "127.0.0.9:5353");
        assert!(qu.iter().all(|(_, to)| to.to_string() == "127.0.0.9:5353"));
        assert_eq!(qu[0].0, packet(&fleet()[0]));
        // A legacy resolver: the ID and question repeated, TTL 10 s, no cache-flush bit.
        let legacy = ask(&[(SERVICE, TYPE_PTR, false)], "127.0.0.9:40000");
        assert_eq!(legacy.len(), 3);
        let (p, to) = &legacy[0];
        assert_eq!(to.to_string(), "127.0.0.9:40000");
        assert_eq!(&p[..12], &[0x12, 0x34, 0x84, 0, 0, 1, 0, 4, 0, 0, 0, 0]);
        assert_eq!(
            &p[12..34],
            b"\x05_http\x04_tcp\x05local\x00\x00\x0c\x00\x01"
        );
        let has = |needle: &[u8]| p.windows(needle.len()).any(|w| w == needle);
        assert!(has(&[0, 33, 0, 1, 0, 0, 0, 10]), "SRV: class IN, TTL 10");
        assert!(!has(&[0x80, 1]), "no cache-flush bit");
    }
}
