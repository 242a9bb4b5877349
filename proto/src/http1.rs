//! The HTTP/1.1 framer every client of the workspace shares, with no I/O: the request head,
//! the answer's status line, the three headers that decide how the answer ends
//! (`Content-Length`, `Transfer-Encoding: chunked`, `Connection`), the header lines for
//! whoever wants them, and chunked decoding. Pure functions over byte slices, so the
//! drivers (facesim's keep-alive connection and facecert's exact-bytes
//! client) re-run them as bytes arrive and the tests need no socket.
//!
//! A general client (hyper) keeps every header in a map and hands the body over through
//! a channel to another task; a client that only judges the answer can skip both, which is
//! where a load generator's per-request CPU goes.

/// Largest head (request or status line plus headers) anyone in facesim reads: the
/// servers' limit on a request and the clients' on an answer. Real terminals and receivers
/// send a few hundred bytes; anything near this is hostile.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
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
pub struct Head {
    pub status: u16,
    /// The status line says `HTTP/1.0`.
    pub http10: bool,
    /// Bytes of the head, up to and including the blank line.
    pub len: usize,
    pub body: BodyKind,
    /// Whether the server will close the connection after this response.
    pub close: bool,
}

/// Why bytes from the server are not an HTTP/1.1 response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
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
    #[error("answer body larger than the limit")]
    BodyTooLarge,
}

/// Finds `\r\n\r\n` in `buf`, looking no further back than `from` minus three bytes (the
/// part before was searched already).
pub fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    buf.get(start..)?
        .windows(4)
        .position(|w| w == HEAD_END)
        .map(|i| start + i + 4)
}

/// Parses the head at the start of `buf`, once `head_end` (from [`find_head_end`]) is
/// known.
///
/// # Errors
/// A [`FramingError`] when the head is not HTTP/1.x.
pub fn parse_head(buf: &[u8], head_end: usize) -> Result<Head, FramingError> {
    let status_line = lines(buf, head_end)
        .next()
        .ok_or(FramingError::StatusLine)?;
    let (http10, status) = parse_status_line(status_line)?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = http10;
    for header in headers(buf, head_end) {
        let (name, value) = header?;
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
        http10,
        len: head_end,
        body,
        close,
    })
}

/// The lines of the head that ends at `head_end`, without their line ends.
fn lines(buf: &[u8], head_end: usize) -> impl Iterator<Item = &[u8]> {
    buf[..head_end - 4]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// The header lines of the head that ends at `head_end`, as (name, value) with the value
/// trimmed; the status line is skipped.
///
/// # Errors
/// [`FramingError::HeaderLine`] for a line without a colon.
pub fn headers(
    buf: &[u8],
    head_end: usize,
) -> impl Iterator<Item = Result<(&[u8], &[u8]), FramingError>> {
    lines(buf, head_end).skip(1).map(|line| {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(FramingError::HeaderLine)?;
        Ok((&line[..colon], line[colon + 1..].trim_ascii()))
    })
}

/// The value of the first header called `name` (compared case-insensitively) in the head
/// that ends at `head_end`; lines without a colon are passed over.
pub fn header<'a>(buf: &'a [u8], head_end: usize, name: &str) -> Option<&'a [u8]> {
    headers(buf, head_end)
        .filter_map(Result::ok)
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v)
}

/// Checks that the first bytes of an answer can begin an HTTP/1.x status line, so that a
/// server speaking another protocol is named at once rather than after a timeout.
///
/// # Errors
/// [`FramingError::StatusLine`] as soon as the bytes so far cannot start `HTTP/1.`.
pub fn check_start(buf: &[u8]) -> Result<(), FramingError> {
    const START: &[u8] = b"HTTP/1.";
    let n = buf.len().min(START.len());
    if buf[..n] == START[..n] {
        Ok(())
    } else {
        Err(FramingError::StatusLine)
    }
}

/// Appends a request head to `out`: the request line, `Host`, the given headers in order,
/// and `Content-Length` when `content_length` is given (a GET without a body sends none,
/// as every client does).
pub fn write_request_head(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    authority: &str,
    headers: &[(&str, &str)],
    content_length: Option<usize>,
) {
    for part in [
        method,
        " ",
        target,
        " HTTP/1.1\r\nHost: ",
        authority,
        "\r\n",
    ] {
        out.extend_from_slice(part.as_bytes());
    }
    for (name, value) in headers {
        for part in [name, ": ", value, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    if let Some(n) = content_length {
        out.extend_from_slice(b"Content-Length: ");
        write_decimal(out, n);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends an answer head to `out`: the status line (with the status's usual reason, or
/// none), the given headers in order and `Content-Length`. The servers that answer on raw
/// sockets (the zoo's transport faults) write their heads here, like every client writes
/// its requests with [`write_request_head`].
pub fn write_response_head(
    out: &mut Vec<u8>,
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    content_length: usize,
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    write_decimal(out, usize::from(status));
    for part in [" ", reason, "\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    for (name, value) in headers {
        for part in [name, ": ", value, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    out.extend_from_slice(b"Content-Length: ");
    write_decimal(out, content_length);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(HEAD_END_LINE);
}

/// The empty line that ends every head.
const HEAD_END_LINE: &[u8] = b"\r\n";

/// The bytes that end a head: its last line's end and the empty line.
pub const HEAD_END: &[u8] = b"\r\n\r\n";

/// Appends `n` in decimal, without the allocation of `to_string` (the load client's head
/// is written once per request).
pub fn write_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
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
/// [`FramingError::Chunk`] for a malformed chunk, [`FramingError::BodyTooLarge`] for a
/// body over `limit`.
pub fn decode_chunked(
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
            return Err(FramingError::BodyTooLarge);
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

    #[test]
    fn an_answer_head_is_a_status_line_headers_and_the_length() {
        let mut out = Vec::new();
        write_response_head(
            &mut out,
            413,
            "Payload Too Large",
            &[("Connection", "close")],
            12,
        );
        assert_eq!(
            out,
            b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 12\r\n\r\n"
        );
        assert_eq!(find_head_end(&out, 0), Some(out.len()));
        assert!(out.ends_with(HEAD_END));
    }

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
    fn headers_start_and_request_heads() {
        let text = b"HTTP/1.0 404 Nope\r\nContent-Type:  text/plain \r\nX-A: b\r\n\r\n";
        let end = find_head_end(text, 0).unwrap();
        let found: Vec<_> = headers(text, end).map(Result::unwrap).collect();
        assert_eq!(
            found,
            [(&b"Content-Type"[..], &b"text/plain"[..]), (b"X-A", b"b")]
        );
        assert!(parse_head(text, end).unwrap().http10);
        assert!(check_start(b"HTT").is_ok());
        assert!(check_start(b"HTTP/1.1 200").is_ok());
        assert_eq!(check_start(b"SSH-2"), Err(FramingError::StatusLine));
        let mut out = Vec::new();
        write_request_head(&mut out, "GET", "/a?b", "h:1", &[("X-Y", "z")], None);
        assert_eq!(out, b"GET /a?b HTTP/1.1\r\nHost: h:1\r\nX-Y: z\r\n\r\n");
        out.clear();
        write_request_head(&mut out, "POST", "/", "h", &[], Some(31_337));
        assert_eq!(
            out,
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 31337\r\n\r\n"
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
