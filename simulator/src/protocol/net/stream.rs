//! Where a client connects and what it connects over: an [`Origin`] (a URL taken apart
//! once into the address to dial, the `Host` header, the request target and the TLS server
//! name) and the one [`Stream`] type, plain TCP or rustls over TCP.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use url::Url;

use crate::tls::{TlsError, Trust};

/// Why a URL cannot be reached by an HTTP/1.1 client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    #[error("must be an http or https URL, not {0}:")]
    Scheme(String),
    #[error("{0} has no host")]
    NoHost(String),
    #[error("{0} has no port")]
    NoPort(String),
    #[error("host is not a TLS server name: {0}")]
    ServerName(String),
}

/// A URL taken apart for an HTTP/1.1 client.
#[derive(Clone)]
pub struct Origin {
    url: Url,
    /// The host to dial (an IPv6 address without its brackets).
    host: String,
    port: u16,
    /// The `Host` header: the host as the URL spells it, with a port the URL names.
    authority: String,
    /// The path and query.
    target: String,
    /// For `https`: the name the server's certificate must carry.
    server_name: Option<ServerName<'static>>,
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Origin").field(&self.url.as_str()).finish()
    }
}

impl Origin {
    /// Takes `url` apart.
    ///
    /// # Errors
    /// [`OriginError`] for a scheme other than http and https, or no host.
    pub fn new(url: &Url) -> Result<Self, OriginError> {
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            other => return Err(OriginError::Scheme(other.to_string())),
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(other) => other.to_string(),
            None => return Err(OriginError::NoHost(url.to_string())),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| OriginError::NoPort(url.to_string()))?;
        let spelled = url.host_str().unwrap_or_default();
        let authority = match url.port() {
            Some(p) => format!("{spelled}:{p}"),
            None => spelled.to_string(),
        };
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let server_name = https
            .then(|| ServerName::try_from(host.clone()))
            .transpose()
            .map_err(|e| OriginError::ServerName(e.to_string()))?;
        Ok(Self {
            url: url.clone(),
            host,
            port,
            authority,
            target,
            server_name,
        })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn is_https(&self) -> bool {
        self.server_name.is_some()
    }

    /// The `Host` header's value.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The request target: path and query.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The host and port to dial.
    pub fn host_port(&self) -> (&str, u16) {
        (&self.host, self.port)
    }

    /// The addresses of the host: the address itself for an IP, else a name lookup.
    ///
    /// # Errors
    /// One line naming the host when it has no address.
    pub async fn resolve(&self) -> Result<Vec<SocketAddr>, String> {
        if let Ok(ip) = self.host.parse::<std::net::IpAddr>() {
            return Ok(vec![SocketAddr::from((ip, self.port))]);
        }
        let found: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("{}: {e}", self.host))?
            .collect();
        if found.is_empty() {
            return Err(format!("{}: no address", self.host));
        }
        Ok(found)
    }

    /// The TLS connector and server name for an `https` origin under `config`; `None`
    /// for `http`.
    pub fn tls(&self, config: &Arc<ClientConfig>) -> Option<Tls> {
        self.server_name.clone().map(|name| Tls {
            connector: TlsConnector::from(config.clone()),
            name,
        })
    }

    /// [`Origin::tls`] under a trust choice, the client configuration built only for an
    /// `https` origin.
    ///
    /// # Errors
    /// [`TlsError`] when the trust cannot be set up (a CA file without a certificate).
    pub fn tls_under(&self, trust: &Trust) -> Result<Option<Tls>, TlsError> {
        if !self.is_https() {
            return Ok(None);
        }
        Ok(self.tls(&crate::tls::client_config(trust)?))
    }
}

/// How to secure a connection to an `https` origin.
#[derive(Clone)]
pub struct Tls {
    connector: TlsConnector,
    name: ServerName<'static>,
}

/// A plain or TLS connection.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Connects to the first of `addrs` that answers, with Nagle off (a request is
    /// written whole, and a terminal's answer must not wait for an ACK).
    ///
    /// # Errors
    /// The last connect error.
    pub async fn connect_tcp(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(tcp) => {
                    tcp.set_nodelay(true)?;
                    return Ok(tcp);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no address to connect to")))
    }

    /// `tcp` as it is, or after the TLS handshake when `tls` is given.
    ///
    /// # Errors
    /// The handshake's error, its text saying in words which fact of the receiver's
    /// certificate failed and how to fix it (`tls::handshake_error`).
    pub async fn secure(tcp: TcpStream, tls: Option<&Tls>) -> io::Result<Self> {
        match tls {
            None => Ok(Stream::Plain(tcp)),
            Some(t) => match t.connector.connect(t.name.clone(), tcp).await {
                Ok(stream) => Ok(Stream::Tls(Box::new(stream))),
                Err(e) => Err(io::Error::new(e.kind(), crate::tls::handshake_error(&e))),
            },
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_apart_once() {
        let o = Origin::new(&Url::parse("https://[::1]:8443/a/b?c=d").unwrap()).unwrap();
        assert_eq!(o.host_port(), ("::1", 8443));
        assert_eq!(o.authority(), "[::1]:8443");
        assert_eq!(o.target(), "/a/b?c=d");
        assert!(o.is_https());
        let o = Origin::new(&Url::parse("http://example.invalid/e").unwrap()).unwrap();
        assert_eq!((o.authority(), o.host_port().1), ("example.invalid", 80));
        assert!(!o.is_https());
        assert!(matches!(
            Origin::new(&Url::parse("ftp://h/").unwrap()),
            Err(OriginError::Scheme(s)) if s == "ftp"
        ));
    }
}
