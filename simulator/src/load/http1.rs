//! The HTTP/1.1 response framing the load client needs, and nothing more: the status line,
//! the three headers that decide how the answer ends (`Content-Length`,
//! `Transfer-Encoding: chunked`, `Connection`), and chunked decoding. Pure functions over
//! byte slices, so the client can re-run them as bytes arrive and the tests need no socket.
//!
//! A general client (hyper) keeps every header in a map and hands the body over through
//! a channel to another task; a load generator that only judges the answer can skip both,
//! which is where its per-request CPU goes.

/// Largest response head (status line plus headers) accepted, like the servers' limit.
pub(crate) const MAX_HEAD_BYTES: usize = crate::server::MAX_HEAD_BYTES;

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// No body at all (1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub status: u16,
    /// Bytes of the head, up to and including the blank line.
    pub len: usize,
    pub body: BodyKind,
    /// Whether the server will close the connection after this response.
    pub close: bool,
}

/// Why bytes from the server are not an HTTP/1.1 response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FramingError {
    #[error("answer head larger than {MAX_HEAD_BYTES} bytes")]
    HeadTooLarge,
    #[error("answer does not start with an HTTP/1.x status line")]
    StatusLine,
    #[error("answer header line without a colon")]
    HeaderLine,
    #[error("answer has an unreadable or conflicting Content-Length")]
    ContentLength,
    #[error("answer has a malformed chunk")]
    Chunk,
}

/// Finds `\r\n\r\n` in `buf`, looking no further back than `from` minus three bytes (the
/// part before was searched already).
pub(crate) fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    buf.get(start..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| start + i + 4)
}

/// Parses the head at the start of `buf`, once `head_end` (from [`find_head_end`]) is
/// known.
///
/// # Errors
/// A [`FramingError`] when the head is not HTTP/1.x.
pub(crate) fn parse_head(buf: &[u8], head_end: usize) -> Result<Head, FramingError> {
    let text = &buf[..head_end - 4];
    let mut lines = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().ok_or(FramingError::StatusLine)?;
    let (http10, status) = parse_status_line(status_line)?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = http10;
    for line in lines {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(FramingError::HeaderLine)?;
        let name = &line[..colon];
        let value = line[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or(FramingError::ContentLength)?;
            if length.is_some_and(|l| l != n) {
                return Err(FramingError::ContentLength);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // Only the last coding frames the message; chunked must be last when present.
            chunked = value
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        }
    }
    let body = if (100..200).contains(&status) || status == 204 || status == 304 {
        BodyKind::Empty
    } else if chunked {
        // RFC 9112 6.3: chunked wins over a Content-Length.
        BodyKind::Chunked
    } else if let Some(n) = length {
        BodyKind::Length(n)
    } else {
        close = true;
        BodyKind::UntilClose
    };
    Ok(Head {
        status,
        len: head_end,
        body,
        close,
    })
}

fn parse_status_line(line: &[u8]) -> Result<(bool, u16), FramingError> {
    let rest = line
        .strip_prefix(b"HTTP/1.")
        .ok_or(FramingError::StatusLine)?;
    let (&minor, rest) = rest.split_first().ok_or(FramingError::StatusLine)?;
    let code = rest
        .strip_prefix(b" ")
        .and_then(|r| r.get(..3))
        .filter(|c| c.iter().all(u8::is_ascii_digit))
        .ok_or(FramingError::StatusLine)?;
    if !minor.is_ascii_digit() || rest.get(4).is_some_and(|&b| b != b' ') {
        return Err(FramingError::StatusLine);
    }
    let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    Ok((minor == b'0', status))
}

/// Decodes a chunked body from the start of `data` into `out` (cleared first). Returns
/// the bytes consumed, through the last chunk and the trailers, once the body is complete,
/// or `None` when more bytes are needed. `limit` caps the decoded size.
///
/// # Errors
/// [`FramingError::Chunk`] for a malformed chunk or a body over `limit`.
pub(crate) fn decode_chunked(
    data: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<Option<usize>, FramingError> {
    out.clear();
    let mut at = 0;
    loop {
        let Some(eol) = find_crlf(&data[at..]) else {
            return Ok(None);
        };
        let line = &data[at..at + eol];
        // Chunk extensions (`;name=value`) are allowed and ignored.
        let size_text = line
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        let size = std::str::from_utf8(size_text)
            .ok()
            .filter(|s| !s.is_empty() && s.len() <= 15)
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or(FramingError::Chunk)?;
        at += eol + 2;
        if size == 0 {
            // Trailers, each ending in CRLF, then the final empty line.
            loop {
                let Some(eol) = find_crlf(&data[at..]) else {
                    return Ok(None);
                };
                at += eol + 2;
                if eol == 0 {
                    return Ok(Some(at));
                }
            }
        }
        if out.len() + size > limit {
            return Err(FramingError::Chunk);
        }
        if data.len() < at + size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&data[at..at + size]);
        if &data[at + size..at + size + 2] != b"\r\n" {
            return Err(FramingError::Chunk);
        }
        at += size + 2;
    }
}

fn find_crlf(data: &[u8]) -> Option<usize> {
    data.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Head, FramingError> {
        let end = find_head_end(text.as_bytes(), 0).expect("complete head");
        parse_head(text.as_bytes(), end)
    }

    #[test]
    fn content_length_and_keep_alive() {
        let h = head(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 42\r\n\r\n{",
        )
        .unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(h.body, BodyKind::Length(42));
        assert!(!h.close);
        assert_eq!(h.len, 71);
    }

    #[test]
    fn connection_close_http10_and_until_close() {
        assert!(
            head("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .unwrap()
                .close
        );
        assert!(
            head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap()
                .close
        );
        assert!(
            !head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
                .unwrap()
                .close
        );
        let h = head("HTTP/1.1 500 Oops\r\n\r\n").unwrap();
        assert_eq!(
            (h.status, h.body, h.close),
            (500, BodyKind::UntilClose, true)
        );
        assert_eq!(
            head("HTTP/1.1 204 No Content\r\n\r\n").unwrap().body,
            BodyKind::Empty
        );
        assert_eq!(
            head("HTTP/1.1 100 Continue\r\n\r\n").unwrap().body,
            BodyKind::Empty
        );
    }

    #[test]
    fn chunked_wins_and_decodes() {
        let h = head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
        )
        .unwrap();
        assert_eq!(h.body, BodyKind::Chunked);
        let mut out = Vec::new();
        let body = b"4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Trailer: y\r\n\r\nleftover";
        let used = decode_chunked(body, &mut out, 100).unwrap().unwrap();
        assert_eq!(out, b"{\"a\":1}");
        assert_eq!(&body[used..], b"leftover");
        for cut in 0..used {
            assert_eq!(
                decode_chunked(&body[..cut], &mut out, 100).unwrap(),
                None,
                "cut {cut}"
            );
        }
        assert!(decode_chunked(b"zz\r\n", &mut out, 100).is_err());
        assert!(decode_chunked(b"4\r\nabcdXX", &mut out, 100).is_err());
        assert!(decode_chunked(b"ff\r\n", &mut out, 100).is_err());
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(
            head("SSH-2.0-OpenSSH\r\n\r\n"),
            Err(FramingError::StatusLine)
        );
        assert_eq!(
            head("HTTP/1.1 2000 OK\r\n\r\n"),
            Err(FramingError::StatusLine)
        );
        assert_eq!(
            head("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"),
            Err(FramingError::HeaderLine)
        );
        assert_eq!(
            head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err(FramingError::ContentLength)
        );
        assert_eq!(
            head("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
            Err(FramingError::ContentLength)
        );
    }

    #[test]
    fn head_end_search_resumes() {
        let text = b"HTTP/1.1 200 OK\r\n\r\n";
        assert_eq!(find_head_end(&text[..17], 0), None);
        assert_eq!(find_head_end(text, 17), Some(19));
        assert_eq!(find_head_end(text, 100), None);
    }
}
