//! The one reader of HTTP/1.1 requests off a socket, beside the framer (mini-redis's
//! `read_frame`): the servers that answer on raw sockets (the zoo's transport faults) and
//! the tests' hand-written servers read requests here, head by the framer's rules, body by
//! its `Content-Length`. Bytes read past one request stay in the reader for the next, so a
//! kept-alive connection is read request after request.

use tokio::io::{AsyncRead, AsyncReadExt};

use facesim_proto::http1::{self, MAX_HEAD_BYTES};

/// One request as it was sent: its head (through the empty line) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    bytes: Vec<u8>,
    head_end: usize,
}

impl RawRequest {
    /// The request as sent, head and body.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The head, through its empty line.
    pub fn head(&self) -> &[u8] {
        &self.bytes[..self.head_end]
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.head_end..]
    }

    /// A header's value as text (the first of that name, case-insensitively).
    pub fn header(&self, name: &str) -> Option<String> {
        http1::header(&self.bytes, self.head_end, name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Whether the client asked to close the connection after this request.
    pub fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Why no whole request could be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The connection ended in the middle of a request.
    #[error("the connection ended in the middle of a request")]
    Truncated,
    /// The head grew past [`MAX_HEAD_BYTES`] without ending.
    #[error("request head larger than {MAX_HEAD_BYTES} bytes")]
    HeadTooLarge,
    /// The body announced is larger than the reader takes; its head was read, and the
    /// connection cannot be read further.
    #[error("request body of {length} bytes, more than the {limit} taken")]
    BodyTooLarge { length: u64, limit: u64 },
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads requests off one connection.
#[derive(Debug, Default)]
pub struct RequestReader {
    buf: Vec<u8>,
}

impl RequestReader {
    /// A reader with nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads up to the end of the next request's head and says where it ends; `None` when
    /// the connection ended cleanly before another request began.
    ///
    /// # Errors
    /// [`ReadError`] when the connection ends inside the head, the head is too large or
    /// the socket fails.
    pub async fn head<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> Result<Option<usize>, ReadError> {
        loop {
            if let Some(end) = http1::find_head_end(&self.buf, 0) {
                return Ok(Some(end));
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err(ReadError::HeadTooLarge);
            }
            if stream.read_buf(&mut self.buf).await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(ReadError::Truncated)
                };
            }
        }
    }

    /// Reads the next whole request, its body as long as its `Content-Length` says (none
    /// without one); `None` when the connection ended cleanly between requests.
    ///
    /// # Errors
    /// [`ReadError::BodyTooLarge`] when the body announced is over `max_body` (the head is
    /// then consumed and the rest of the connection is not read), or any error of
    /// [`RequestReader::head`] or of the body's reading.
    pub async fn next<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        max_body: u64,
    ) -> Result<Option<RawRequest>, ReadError> {
        let Some(head_end) = self.head(stream).await? else {
            return Ok(None);
        };
        let length: u64 = http1::header(&self.buf, head_end, "content-length")
            .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok())
            .unwrap_or(0);
        if length > max_body {
            self.buf.clear();
            return Err(ReadError::BodyTooLarge {
                length,
                limit: max_body,
            });
        }
        let end = head_end
            + usize::try_from(length).map_err(|_| ReadError::BodyTooLarge {
                length,
                limit: max_body,
            })?;
        while self.buf.len() < end {
            if stream.read_buf(&mut self.buf).await? == 0 {
                return Err(ReadError::Truncated);
            }
        }
        let rest = self.buf.split_off(end);
        let bytes = std::mem::replace(&mut self.buf, rest);
        Ok(Some(RawRequest { bytes, head_end }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_read_one_after_another_with_their_bodies() {
        let bytes = b"POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}GET /h HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec();
        let mut stream = &bytes[..];
        let mut reader = RequestReader::new();
        let first = reader.next(&mut stream, 64).await.unwrap().unwrap();
        assert_eq!(first.body(), b"{}");
        assert_eq!(
            first.header("CONTENT-type").as_deref(),
            Some("application/json")
        );
        assert!(!first.wants_close());
        let second = reader.next(&mut stream, 64).await.unwrap().unwrap();
        assert!(second.head().starts_with(b"GET /h "));
        assert_eq!(second.body(), b"");
        assert!(second.wants_close());
        assert!(reader.next(&mut stream, 64).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_short_body_a_large_one_and_a_cut_head_are_errors() {
        let mut short = &b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nhi"[..];
        let err = RequestReader::new().next(&mut short, 64).await.unwrap_err();
        assert!(matches!(err, ReadError::Truncated), "{err}");
        let mut large = &b"POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\n"[..];
        let err = RequestReader::new().next(&mut large, 64).await.unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::BodyTooLarge {
                    length: 99,
                    limit: 64
                }
            ),
            "{err}"
        );
        let mut cut = &b"POST / HTTP/1.1\r\nHost"[..];
        let err = RequestReader::new().next(&mut cut, 64).await.unwrap_err();
        assert!(matches!(err, ReadError::Truncated), "{err}");
    }
}
