//! Taking secrets out of what a server sends back, before it is kept in an error, a log or a
//! file: a server that echoes the token it was sent (in a body, a message or a header) must
//! not make the program print it.

use bytes::Bytes;
use memchr::memmem;
use reqwest::header::{HeaderMap, HeaderValue};

/// What stands where a server echoed a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// The bytes with every occurrence of each secret replaced by [`REDACTED`]. The bytes are
/// returned as they are, without a copy, when they hold none.
pub(crate) fn redact(bytes: Bytes, secrets: &[&[u8]]) -> Bytes {
    let mut bytes = bytes;
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        let finder = memmem::Finder::new(secret);
        let Some(first) = finder.find(&bytes) else {
            continue;
        };
        let mut clean = Vec::with_capacity(bytes.len());
        clean.extend_from_slice(&bytes[..first]);
        clean.extend_from_slice(REDACTED.as_bytes());
        let mut rest = &bytes[first + secret.len()..];
        while let Some(at) = finder.find(rest) {
            clean.extend_from_slice(&rest[..at]);
            clean.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[at + secret.len()..];
        }
        clean.extend_from_slice(rest);
        bytes = Bytes::from(clean);
    }
    bytes
}

/// The headers with every secret taken out of every value.
pub(crate) fn redact_headers(mut headers: HeaderMap, secrets: &[&[u8]]) -> HeaderMap {
    if secrets.is_empty() {
        return headers;
    }
    for value in headers.values_mut() {
        let clean = redact(Bytes::copy_from_slice(value.as_bytes()), secrets);
        if clean.as_ref() != value.as_bytes()
            && let Ok(clean) = HeaderValue::from_bytes(&clean)
        {
            *value = clean;
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_of_every_secret_is_replaced() {
        let body = Bytes::from_static(b"a=tok-1111 b=tok-2222 tok-1111tok-1111 end");
        let clean = redact(body, &[b"tok-1111", b"tok-2222"]);
        assert_eq!(
            clean.as_ref(),
            b"a=[redacted] b=[redacted] [redacted][redacted] end"
        );
    }

    #[test]
    fn bytes_without_a_secret_are_not_copied() {
        let body = Bytes::from(vec![b'x'; 1 << 16]);
        let pointer = body.as_ptr();
        let clean = redact(body, &[b"tok-1111"]);
        assert_eq!(clean.as_ptr(), pointer);
    }

    #[test]
    fn header_values_lose_the_secret_and_keep_the_rest() {
        let mut headers = HeaderMap::new();
        headers.insert("x-echo", HeaderValue::from_static("Bearer tok-1111; ok"));
        let headers = redact_headers(headers, &[b"tok-1111"]);
        assert_eq!(headers["x-echo"], "Bearer [redacted]; ok");
    }
}
