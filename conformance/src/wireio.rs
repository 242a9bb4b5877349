//! Reading an HTTP/1.1 answer off the wire and naming precisely how it went wrong when it
//! did: no answer at all, a reset, a head that is not HTTP, a body that ends before its
//! announced length. The framing itself is facesim's `net::http1`, the one framer of the
//! workspace; this module is the driver that reads and names. The client in `client`
//! writes; this module only reads.

use std::time::Duration;

use facesim_proto::http1::{self, BodyKind, FramingError};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest answer body read; real answers are well under a kilobyte.
pub const MAX_BODY_BYTES: usize = facesim::net::MAX_ANSWER_BYTES;

/// How an exchange failed to produce an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The TCP connection could not be made.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The TLS handshake failed (often: the certificate is not trusted).
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// No complete answer arrived within the time allowed.
    #[error("no complete answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The connection ended before a single byte of answer arrived.
    #[error("connection closed without an answer after {sent} of {total} request bytes were sent{}", reason_suffix(.reason))]
    Closed {
        sent: u64,
        total: u64,
        reason: Option<String>,
    },
    /// The answer started but the connection broke or ended before it was complete.
    #[error("answer cut short: {0}")]
    Truncated(String),
    /// What came back is not an HTTP/1.x answer.
    #[error("answer is not HTTP: {0}")]
    NotHttp(String),
    /// The answer is larger than any push answer has reason to be.
    #[error("answer body larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

fn reason_suffix(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
}

/// A complete HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// `HTTP/1.0` rather than `HTTP/1.1`.
    pub http10: bool,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the connection may carry another request: HTTP/1.1, no `Connection: close`,
    /// a framed body, and the whole request taken.
    pub reusable: bool,
    /// From the answer's first byte received to its last: near zero for an answer written
    /// in one piece; ~40 ms when Nagle's algorithm held its second piece for an ACK.
    pub spread: Duration,
}

impl Response {
    /// The first header of this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The status line and the body, shortened, for evidence. An HTML page (a
    /// framework's error page, say) is shown as its readable text: its title and first
    /// visible words say what went wrong, its `<head>` does not.
    pub fn summary(&self) -> String {
        let ct = self.content_type().unwrap_or("none");
        let body = match html_text(&self.body, ct) {
            Some(text) => format!("HTML page: {}", preview(text.as_bytes(), 160)),
            None => preview(&self.body, 160),
        };
        format!("HTTP {} (Content-Type: {ct}), body: {body}", self.status)
    }
}

/// The readable text of an HTML page: its title, then the words a browser would show,
/// without tags, scripts, styles and comments. `None` when the body is not HTML.
pub fn html_text(body: &[u8], content_type: &str) -> Option<String> {
    // The start of a page says what it is about; the rest would only cost time.
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let start = text
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    let labelled = content_type.to_ascii_lowercase().contains("html");
    if !labelled && !start.starts_with("<!doctype html") && !start.starts_with("<html") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let title = lower.find("<title").and_then(|open| {
        let from = open + lower[open..].find('>')? + 1;
        let to = from + lower[from..].find("</title")?;
        Some(collapse(&decode_entities(&text[from..to])))
    });
    let from = lower.find("<body").unwrap_or(0);
    let mut visible = String::new();
    let mut rest = &text[from..];
    while let Some(open) = rest.find('<') {
        visible.push_str(&rest[..open]);
        visible.push(' ');
        let tag = rest[open..].to_ascii_lowercase();
        // Skip the contents of elements that are never shown, and comments.
        let close = [
            ("<script", "</script>"),
            ("<style", "</style>"),
            ("<title", "</title>"),
            ("<!--", "-->"),
        ]
        .iter()
        .find(|(o, _)| tag.starts_with(o))
        .map_or(Some(">"), |(_, c)| Some(*c))
        .and_then(|c| tag.find(c).map(|at| at + c.len()));
        match close {
            Some(end) => rest = &rest[open + end..],
            None => {
                rest = "";
                break;
            }
        }
    }
    visible.push_str(rest);
    let words = collapse(&decode_entities(&visible));
    let mut out = title.filter(|t| !t.is_empty()).unwrap_or_default();
    if !words.is_empty() && !words.starts_with(&out) {
        if !out.is_empty() {
            out.push_str(" — ");
        }
        out.push_str(&words);
    } else if out.is_empty() {
        out = words;
    }
    Some(out)
}

/// Collapses runs of whitespace to one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes the handful of entities error pages use.
fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The start of a byte string as readable text, for evidence and errors.
pub fn preview(bytes: &[u8], max_chars: usize) -> String {
    if bytes.is_empty() {
        return "(empty)".into();
    }
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .take(max_chars)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// Reads one answer from `reader`, skipping interim (1xx) answers, with facesim's framer
/// (the one every client of the workspace parses answers with) deciding where the head
/// and the body end.
///
/// # Errors
/// A [`Failure`] naming what went wrong; [`Failure::Closed`] carries zero byte counts,
/// which the caller fills in.
pub async fn read_response<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Response, Failure> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut first_byte: Option<std::time::Instant> = None;
    loop {
        let mut searched = 0;
        let (head, headers) = loop {
            if let Some(end) = http1::find_head_end(&buf, searched) {
                let not_http =
                    |e: FramingError| Failure::NotHttp(format!("{e}: {}", preview(&buf, 60)));
                let head = http1::parse_head(&buf, end).map_err(not_http)?;
                let headers = http1::headers(&buf, end)
                    .map(|h| {
                        h.map(|(name, value)| {
                            (
                                String::from_utf8_lossy(name).into_owned(),
                                String::from_utf8_lossy(value).into_owned(),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(not_http)?;
                break (head, headers);
            }
            if let Err(e) = http1::check_start(&buf) {
                return Err(Failure::NotHttp(format!("{e}: {}", preview(&buf, 60))));
            }
            if buf.len() > http1::MAX_HEAD_BYTES {
                return Err(Failure::NotHttp(FramingError::HeadTooLarge.to_string()));
            }
            searched = buf.len();
            match fill(reader, &mut buf).await {
                Ok(true) => {
                    first_byte.get_or_insert_with(std::time::Instant::now);
                }
                Ok(false) if buf.is_empty() => {
                    return Err(Failure::Closed {
                        sent: 0,
                        total: 0,
                        reason: None,
                    });
                }
                Ok(false) => {
                    return Err(Failure::Truncated(
                        "connection ended inside the answer head".into(),
                    ));
                }
                Err(e) if buf.is_empty() => {
                    return Err(Failure::Closed {
                        sent: 0,
                        total: 0,
                        reason: Some(e.to_string()),
                    });
                }
                Err(e) => return Err(Failure::Truncated(e.to_string())),
            }
        };
        buf.drain(..head.len);
        if (100..200).contains(&head.status) && head.status != 101 {
            continue;
        }
        let mut response = Response {
            status: head.status,
            http10: head.http10,
            headers,
            body: Vec::new(),
            reusable: false,
            spread: Duration::ZERO,
        };
        let framed = match head.body {
            BodyKind::Empty => true,
            BodyKind::Chunked => {
                response.body = read_chunked(reader, buf).await?;
                true
            }
            BodyKind::Length(length) => {
                if length > MAX_BODY_BYTES {
                    return Err(Failure::TooLarge);
                }
                while buf.len() < length {
                    match fill(reader, &mut buf).await {
                        Ok(true) => {}
                        Ok(false) => {
                            return Err(Failure::Truncated(format!(
                                "body ended after {} of {length} announced bytes",
                                buf.len()
                            )));
                        }
                        Err(e) => {
                            return Err(Failure::Truncated(format!(
                                "{e} after {} of {length} announced bytes",
                                buf.len()
                            )));
                        }
                    }
                }
                buf.truncate(length);
                response.body = buf;
                true
            }
            BodyKind::UntilClose => {
                // No framing: the body runs to the end of the connection.
                while fill(reader, &mut buf)
                    .await
                    .map_err(|e| Failure::Truncated(e.to_string()))?
                {
                    if buf.len() > MAX_BODY_BYTES {
                        return Err(Failure::TooLarge);
                    }
                }
                response.body = buf;
                false
            }
        };
        response.reusable = framed && !head.close && !head.http10;
        response.spread = first_byte.map_or(Duration::ZERO, |t| t.elapsed());
        return Ok(response);
    }
}

/// Reads more bytes into `buf`; `Ok(false)` at the end of the stream.
async fn fill<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 16 * 1024];
    let n = reader.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

/// Decodes a chunked body whose first bytes are already in `buf`, reading until the
/// framer says it is complete.
async fn read_chunked<R: AsyncRead + Unpin>(
    reader: &mut R,
    mut buf: Vec<u8>,
) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        match http1::decode_chunked(&buf, &mut body, MAX_BODY_BYTES) {
            Ok(Some(_)) => return Ok(body),
            Ok(None) => {}
            Err(FramingError::BodyTooLarge) => return Err(Failure::TooLarge),
            Err(e) => return Err(Failure::NotHttp(e.to_string())),
        }
        if !fill(reader, &mut buf)
            .await
            .map_err(|e| Failure::Truncated(e.to_string()))?
        {
            return Err(Failure::Truncated(format!(
                "connection ended inside the chunked body after {} bytes",
                body.len()
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(bytes: &[u8]) -> Result<Response, Failure> {
        let mut reader = bytes;
        read_response(&mut reader).await
    }

    #[tokio::test]
    async fn content_length_answers_are_reusable() {
        let r = read(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        )
        .await
        .unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.reusable),
            (200, &b"{}"[..], true)
        );
        assert_eq!(r.content_type(), Some("application/json"));
    }

    #[tokio::test]
    async fn chunked_bodies_interim_answers_and_close_are_handled() {
        let r = read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(!r.reusable);
        let unframed = read(b"HTTP/1.0 200 OK\r\n\r\nto the end").await.unwrap();
        assert_eq!(
            (unframed.body.as_slice(), unframed.reusable),
            (&b"to the end"[..], false)
        );
    }

    #[tokio::test]
    async fn failures_are_named() {
        assert!(matches!(read(b"").await, Err(Failure::Closed { .. })));
        assert!(matches!(
            read(b"\x00\xffgarbage\r\n\r\n").await,
            Err(Failure::NotHttp(_))
        ));
        assert!(matches!(
            read(b"HTTP/1.1 200 OK\r\nContent-Le").await,
            Err(Failure::Truncated(_))
        ));
        let short = read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").await;
        assert!(
            matches!(short, Err(Failure::Truncated(ref m)) if m.contains("3 of 10")),
            "{short:?}"
        );
    }

    #[test]
    fn html_error_pages_are_shown_as_their_readable_text() {
        let page = br#"<!DOCTYPE html>
<html lang="en"><head><meta http-equiv="content-type" content="text/html; charset=utf-8">
<meta name="robots" content="NONE,NOARCHIVE"><title>403 Forbidden</title>
<style type="text/css">html * { padding:0; margin:0; }</style></head>
<body><div id="summary"><h1>Forbidden <span>(403)</span></h1>
<p>CSRF verification failed. Request aborted.</p></div></body></html>"#;
        assert_eq!(
            html_text(page, "text/html; charset=utf-8").as_deref(),
            Some("403 Forbidden — Forbidden (403) CSRF verification failed. Request aborted.")
        );
        let response = Response {
            status: 403,
            http10: false,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: page.to_vec(),
            reusable: false,
            spread: Duration::ZERO,
        };
        assert!(
            response
                .summary()
                .contains("HTML page: 403 Forbidden — Forbidden (403) CSRF verification failed")
        );
        assert_eq!(html_text(b"{\"code\":200}", "application/json"), None);
    }

    #[test]
    fn preview_is_short_and_printable() {
        assert_eq!(preview(b"a\nb", 10), "a b");
        assert_eq!(preview(&[b'x'; 20], 5), "xxxxx…");
        assert_eq!(preview(b"", 5), "(empty)");
    }
}
