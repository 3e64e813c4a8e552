//! Taking secrets out of what a server sends back, before it is kept in an error, a log or a
//! file: a server that echoes the token it was sent (in a body, a message or a header) must
//! not make the program print it.

use bytes::Bytes;
use memchr::memmem;
use reqwest::header::{HeaderMap, HeaderValue};

/// What stands where a server echoed a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// The secrets to take out of one answer, each with its searcher built once for the body and
/// every header value.
pub(crate) struct Redactor<'a> {
    finders: Vec<memmem::Finder<'a>>,
}

impl<'a> Redactor<'a> {
    /// A redactor of these secrets (empty ones are skipped).
    pub(crate) fn new(secrets: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self {
            finders: secrets
                .into_iter()
                .filter(|secret| !secret.is_empty())
                .map(memmem::Finder::new)
                .collect(),
        }
    }

    /// The bytes with every occurrence of each secret replaced by [`REDACTED`]. The bytes
    /// are returned as they are, without a copy, when they hold none.
    pub(crate) fn bytes(&self, bytes: Bytes) -> Bytes {
        let mut bytes = bytes;
        for finder in &self.finders {
            if let Some(first) = finder.find(&bytes) {
                bytes = Bytes::from(replaced(&bytes, first, finder));
            }
        }
        bytes
    }

    /// The headers with every secret taken out of every value; values that hold none are
    /// not copied.
    pub(crate) fn headers(&self, mut headers: HeaderMap) -> HeaderMap {
        for value in headers.values_mut() {
            if !self
                .finders
                .iter()
                .any(|finder| finder.find(value.as_bytes()).is_some())
            {
                continue;
            }
            let clean = self.bytes(Bytes::copy_from_slice(value.as_bytes()));
            if let Ok(clean) = HeaderValue::from_bytes(&clean) {
                *value = clean;
            }
        }
        headers
    }
}

/// `bytes` with each occurrence of the finder's needle, the first at `first`, replaced.
fn replaced(bytes: &[u8], first: usize, finder: &memmem::Finder<'_>) -> Vec<u8> {
    let length = finder.needle().len();
    let mut clean = Vec::with_capacity(bytes.len());
    clean.extend_from_slice(&bytes[..first]);
    clean.extend_from_slice(REDACTED.as_bytes());
    let mut rest = &bytes[first + length..];
    while let Some(at) = finder.find(rest) {
        clean.extend_from_slice(&rest[..at]);
        clean.extend_from_slice(REDACTED.as_bytes());
        rest = &rest[at + length..];
    }
    clean.extend_from_slice(rest);
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_of_every_secret_is_replaced() {
        let body = Bytes::from_static(b"a=tok-1111 b=tok-2222 tok-1111tok-1111 end");
        let clean = Redactor::new([&b"tok-1111"[..], b"tok-2222"]).bytes(body);
        assert_eq!(
            clean.as_ref(),
            b"a=[redacted] b=[redacted] [redacted][redacted] end"
        );
    }

    #[test]
    fn bytes_without_a_secret_are_not_copied() {
        let body = Bytes::from(vec![b'x'; 1 << 16]);
        let pointer = body.as_ptr();
        let clean = Redactor::new([&b"tok-1111"[..]]).bytes(body);
        assert_eq!(clean.as_ptr(), pointer);
    }

    #[test]
    fn header_values_lose_the_secret_and_keep_the_rest() {
        let mut headers = HeaderMap::new();
        headers.insert("x-echo", HeaderValue::from_static("Bearer tok-1111; ok"));
        headers.insert("x-other", HeaderValue::from_static("nothing to hide"));
        let headers = Redactor::new([&b"tok-1111"[..]]).headers(headers);
        assert_eq!(headers["x-echo"], "Bearer [redacted]; ok");
        assert_eq!(headers["x-other"], "nothing to hide");
    }
}
