//! `facesim fleet --mdns ADDR` inside a network namespace the test makes, whose loopback
//! is the only interface (multicast on): the fleet and a listener both run inside it
//! (`ip netns exec`), so no packet leaves the machine. The listener is this test binary
//! again, run as `mdns::listener_in_the_namespace` with `FACESIM_MDNS_LISTEN` set; it
//! parses the announcements by hand as a browser would and prints what it found. Without
//! root or `ip` the test says why and does nothing (CI runs as root). A second test asks
//! the fleet by a query, as a resolver does, and reads the answers.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the listener's environment: how many terminals to wait for.
const LISTEN: &str = "FACESIM_MDNS_LISTEN";

/// Runs `ip` with `args`; its failure message when it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Why this machine cannot run the test, if it cannot.
fn unable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root: network namespaces need CAP_SYS_ADMIN".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("no `ip` command (iproute2)".into());
    }
    None
}

/// The namespace, deleted when dropped.
struct Namespace(String);

impl Namespace {
    fn new() -> Result<Self, String> {
        let name = format!("facesim-mdns-{}", std::process::id());
        ip(&["netns", "add", &name])?;
        let ns = Self(name);
        for args in [
            &["link", "set", "lo", "up"][..],
            &["link", "set", "lo", "multicast", "on"],
            &["route", "add", "224.0.0.0/4", "dev", "lo"],
        ] {
            let mut all = vec!["netns", "exec", &ns.0, "ip"];
            all.extend_from_slice(args);
            ip(&all)?;
        }
        Ok(ns)
    }

    fn exec(&self, program: &std::path::Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0]).arg(program);
        c
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = ip(&["netns", "delete", &self.0]);
    }
}

/// Runs a fleet of `devices` terminals announcing on the namespace's loopback, and beside
/// it this test binary again as `helper` (with `env` set to `devices`); then checks that
/// the helper's lines starting with `prefix` name every terminal of the manifest with its
/// model and port. Without root or `ip` it says why and checks nothing.
fn every_terminal_heard(helper: &str, env: &str, devices: usize, prefix: &str) {
    if let Some(why) = unable() {
        println!("skipped: {why}");
        return;
    }
    let ns = match Namespace::new() {
        Ok(ns) => ns,
        Err(why) => {
            println!("skipped: cannot make a network namespace: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let hearer = ns
        .exec(&me)
        .args([helper, "--exact", "--nocapture"])
        .env(env, devices.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut fleet = ns
        .exec(std::path::Path::new(env!("CARGO_BIN_EXE_facesim")))
        .args(crate::support::SMALL_FLEET)
        .args(["--devices", &devices.to_string(), "--mdns", "127.0.0.1"])
        .arg("--state")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let heard = hearer.wait_with_output().unwrap();
    crate::support::sigterm(&fleet);
    let _ = fleet.wait();
    let text = String::from_utf8_lossy(&heard.stdout);
    let found: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter_map(|l| {
            let (sn, rest) = l.split_once(' ')?;
            Some((sn.to_string(), rest.to_string()))
        })
        .collect();
    let manifest =
        facesim::fleet::manifest::read(&dir.path().join(facesim_proto::wire::MANIFEST_FILE))
            .unwrap();
    assert_eq!(
        found.len(),
        devices,
        "{text}\n{}",
        String::from_utf8_lossy(&heard.stderr)
    );
    for d in &manifest.devices {
        let port = d.url.rsplit(':').next().unwrap();
        assert_eq!(
            found.get(&d.sn),
            Some(&format!("model={} port={port}", d.model)),
            "{text}"
        );
    }
}

#[test]
fn a_fleet_announces_every_terminal_by_mdns_in_a_namespace() {
    every_terminal_heard("mdns::listener_in_the_namespace", LISTEN, 2, "ANNOUNCED ");
}

/// Set in the querier's environment: how many terminals to wait for.
const QUERY: &str = "FACESIM_MDNS_QUERY";

/// A fleet answers a query: the querier (this binary again, in the namespace) asks for
/// `_http._tcp.local.` PTR from a port of its own, as a legacy resolver does, and hears
/// every terminal in the unicast answers sent back to it (a socket that joined no group
/// hears no announcement, so what it hears are answers).
#[test]
fn a_fleet_answers_an_mdns_query_with_every_terminal_in_a_namespace() {
    every_terminal_heard("mdns::querier_in_the_namespace", QUERY, 3, "ANSWERED ");
}

/// The querier's half: inside the namespace, from a port of its own, sends a PTR query for
/// `_http._tcp.local.` to the group every half second and prints each terminal of the
/// answers that come back to it from port 5353 with the query's ID (bounded at 20 s).
/// Does nothing outside the test above.
#[test]
fn querier_in_the_namespace() {
    let Some(wanted) = std::env::var(QUERY)
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return;
    };
    const ID: u16 = 0x4d51;
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    // Header: the ID, a standard query, one question; then `_http._tcp.local` PTR IN.
    let mut query = Vec::new();
    for word in [ID, 0, 1, 0, 0, 0] {
        query.extend_from_slice(&word.to_be_bytes());
    }
    query.extend_from_slice(b"\x05_http\x04_tcp\x05local\x00\x00\x0c\x00\x01");
    let end = Instant::now() + Duration::from_secs(20);
    let mut seen = BTreeMap::new();
    let mut buf = [0u8; 9000];
    while seen.len() < wanted && Instant::now() < end {
        let _ = socket.send_to(&query, (Ipv4Addr::new(224, 0, 0, 251), 5353));
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let p = &buf[..n];
            if from.port() != 5353 || p.get(..2) != Some(&ID.to_be_bytes()[..]) {
                continue;
            }
            if let Some((sn, line)) = announced(p) {
                seen.insert(sn, line);
            }
        }
    }
    for (sn, line) in &seen {
        println!("ANSWERED {sn} {line}");
    }
}

/// The listener's half: inside the namespace, joins the mDNS group on its loopback and
/// prints each terminal announced as `sensetime` on `_http._tcp.local.` (bounded at
/// 20 s). Does nothing outside the test above.
#[test]
fn listener_in_the_namespace() {
    let Some(wanted) = std::env::var(LISTEN)
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return;
    };
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .unwrap();
    socket.set_reuse_address(true).unwrap();
    socket
        .bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5353).into())
        .unwrap();
    socket
        .join_multicast_v4(&Ipv4Addr::new(224, 0, 0, 251), &Ipv4Addr::LOCALHOST)
        .unwrap();
    let socket: std::net::UdpSocket = socket.into();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    let mut seen = BTreeMap::new();
    let mut buf = [0u8; 9000];
    while seen.len() < wanted && Instant::now() < end {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        // mDNS browsers ignore responses not sent from port 5353 (RFC 6762 §6).
        if from.port() != 5353 {
            continue;
        }
        if let Some((sn, line)) = announced(&buf[..n]) {
            seen.insert(sn, line);
        }
    }
    for (sn, line) in &seen {
        println!("ANNOUNCED {sn} {line}");
    }
}

/// One announcement read as the SDK reads it: the `sensetime` instance of
/// `_http._tcp.local`, its TXT values with their last byte dropped, and its SRV port.
fn announced(p: &[u8]) -> Option<(String, String)> {
    let word = |at: usize| Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]));
    if word(2)? & 0x8000 == 0 {
        return None;
    }
    let answers = word(6)?;
    let mut at = 12;
    for _ in 0..word(4)? {
        at = name(p, at)?.1 + 4;
    }
    let (mut instance, mut port, mut txt) = (None, None, BTreeMap::new());
    for _ in 0..answers {
        let (owner, next) = name(p, at)?;
        let kind = word(next)?;
        let len = usize::from(word(next + 8)?);
        let data = next + 10;
        let rdata = p.get(data..data + len)?;
        match kind {
            12 if owner == "_http._tcp.local" => instance = Some(name(p, data)?.0),
            33 => port = Some(word(data + 4)?),
            16 => {
                let mut i = 0;
                while i < rdata.len() {
                    let l = usize::from(rdata[i]);
                    let entry = rdata.get(i + 1..i + 1 + l)?;
                    let text = String::from_utf8_lossy(entry).to_string();
                    if let Some((k, v)) = text.split_once('=') {
                        // The SDK drops each value's last byte (the terminator).
                        let mut v = v.to_string();
                        v.pop();
                        txt.insert(k.to_string(), v);
                    }
                    i += 1 + l;
                }
            }
            _ => {}
        }
        at = data + len;
    }
    if instance? != "sensetime._http._tcp.local" {
        return None;
    }
    Some((
        txt.get("sn")?.clone(),
        format!("model={} port={}", txt.get("model")?, port?),
    ))
}

/// The name at `at` (following compression pointers) and where the record goes on.
fn name(p: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..64 {
        let len = *p.get(at)?;
        if len & 0xC0 == 0xC0 {
            end.get_or_insert(at + 2);
            at = (usize::from(len & 0x3F) << 8) | usize::from(*p.get(at + 1)?);
            continue;
        }
        if len == 0 {
            return Some((labels.join("."), end.unwrap_or(at + 1)));
        }
        let label = p.get(at + 1..at + 1 + usize::from(len))?;
        labels.push(String::from_utf8_lossy(label).to_string());
        at += 1 + usize::from(len);
    }
    None
}
