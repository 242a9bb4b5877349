//! The fleet's mDNS announcements, as the real terminal makes them (device API §1.6):
//! every 3 s each terminal announces the service `_http._tcp.local.` with the instance name
//! `sensetime` and the TXT entries `sn` and `model`, with where it listens (SRV and A
//! records). Only on the one interface address the user names (`--mdns ADDR`): the socket
//! is bound to it and multicasts through it, so nothing goes out on another interface.
//!
//! The packets are a few records written by hand (RFC 1035 §4, RFC 6762, RFC 6763): an
//! unsolicited response from port 5353 to `224.0.0.251:5353`, one per terminal.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

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

/// Record types and the class.
const TYPE_A: u16 = 1;
const TYPE_PTR: u16 = 12;
const TYPE_TXT: u16 = 16;
const TYPE_SRV: u16 = 33;
const CLASS_IN: u16 = 1;
/// The cache-flush bit on records only this host answers for (RFC 6762 §10.2).
const CACHE_FLUSH: u16 = 0x8000;
/// TTLs: the shared PTR record's and the host's records' (RFC 6762 §10).
const TTL_SHARED: u32 = 4500;
const TTL_HOST: u32 = 120;

/// What one terminal announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub sn: String,
    pub model: String,
    /// Where its API listens.
    pub addr: SocketAddr,
}

/// The announcement of one terminal: PTR, SRV, TXT and (for an IPv4 address) A.
pub fn packet(terminal: &Announced) -> Vec<u8> {
    let instance = format!("{INSTANCE}.{SERVICE}");
    let host = format!("{}.local", terminal.sn.to_ascii_lowercase());
    let ipv4 = match terminal.addr {
        SocketAddr::V4(v4) => Some(*v4.ip()),
        SocketAddr::V6(_) => None,
    };
    let answers: u16 = if ipv4.is_some() { 4 } else { 3 };
    let mut p = Vec::with_capacity(256);
    // Header: id 0, a response with authority (QR, AA), no question.
    for word in [0u16, 0x8400, 0, answers, 0, 0] {
        p.extend_from_slice(&word.to_be_bytes());
    }
    record(&mut p, SERVICE, TYPE_PTR, CLASS_IN, TTL_SHARED, |d| {
        name(d, &instance);
    });
    record(
        &mut p,
        &instance,
        TYPE_SRV,
        CLASS_IN | CACHE_FLUSH,
        TTL_HOST,
        |d| {
            // Priority 0, weight 0, the port, the host.
            d.extend_from_slice(&[0, 0, 0, 0]);
            d.extend_from_slice(&terminal.addr.port().to_be_bytes());
            name(d, &host);
        },
    );
    record(
        &mut p,
        &instance,
        TYPE_TXT,
        CLASS_IN | CACHE_FLUSH,
        TTL_HOST,
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
        record(
            &mut p,
            &host,
            TYPE_A,
            CLASS_IN | CACHE_FLUSH,
            TTL_HOST,
            |d| {
                d.extend_from_slice(&ip.octets());
            },
        );
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
    name(p, owner);
    p.extend_from_slice(&kind.to_be_bytes());
    p.extend_from_slice(&class.to_be_bytes());
    p.extend_from_slice(&ttl.to_be_bytes());
    let mut rdata = Vec::new();
    data(&mut rdata);
    p.extend_from_slice(&u16::try_from(rdata.len()).unwrap_or(u16::MAX).to_be_bytes());
    p.extend_from_slice(&rdata);
}

/// Appends a domain name as labels (no compression: the packets are small).
fn name(p: &mut Vec<u8>, dotted: &str) {
    for label in dotted.split('.').filter(|l| !l.is_empty()) {
        let bytes = &label.as_bytes()[..label.len().min(63)];
        p.push(u8::try_from(bytes.len()).unwrap_or(63));
        p.extend_from_slice(bytes);
    }
    p.push(0);
}

/// The socket announcements go out on: bound to `addr` at port 5353 (shared with any
/// other responder on the host), multicasting through that interface only.
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

/// Announces every terminal every [`EVERY`] on `socket` until `shutdown`. A send that
/// fails is logged and tried again at the next round.
pub async fn announce(
    socket: UdpSocket,
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
    tokio::select! {
        () = shutdown => {}
        () = rounds => {}
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
}
