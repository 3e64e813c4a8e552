//! Checking that a request came from HubSpot: its signature, of any of HubSpot's three
//! versions, and for v3 its timestamp.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header of a v3 signature.
pub const SIGNATURE_V3_HEADER: &str = "x-hubspot-signature-v3";
/// The header of the time a v3 request was signed, in milliseconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "x-hubspot-request-timestamp";
/// The header of a v1 or v2 signature.
pub const SIGNATURE_HEADER: &str = "x-hubspot-signature";
/// The header naming the version of [`SIGNATURE_HEADER`]'s signature: `v1` or `v2`.
pub const SIGNATURE_VERSION_HEADER: &str = "x-hubspot-signature-version";

/// How old a v3 request may be: HubSpot's rule is five minutes.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// How far ahead of this machine's clock a v3 timestamp may be, for clocks that disagree.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// The largest body read by default: HubSpot sends at most 100 events per request, a few
/// hundred bytes each.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// The escapes HubSpot decodes in the URI before signing it (v3), and only these: any other
/// escape, such as `%20` or `%2B`, is signed as sent. HubSpot's table lists them with capital
/// hex digits and says nothing of `%3a`: they are decoded as listed, and a lower-case escape
/// is signed as sent.
const DECODED_ESCAPES: [(&str, char); 12] = [
    ("%3A", ':'),
    ("%2F", '/'),
    ("%3F", '?'),
    ("%40", '@'),
    ("%21", '!'),
    ("%24", '$'),
    ("%27", '\''),
    ("%28", '('),
    ("%29", ')'),
    ("%2A", '*'),
    ("%2C", ','),
    ("%3B", ';'),
];

/// The version of HubSpot's request signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignatureVersion {
    /// Hex SHA-256 of the client secret and the body. Anyone who saw one request can send it
    /// again at any time: there is no timestamp.
    V1,
    /// Hex SHA-256 of the client secret, the method, the URI and the body. No timestamp
    /// either, so no protection against a request sent again.
    V2,
    /// Base64 HMAC-SHA256, keyed by the client secret, of the method, the URI, the body and
    /// a timestamp that must be recent.
    V3,
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
            Self::V3 => "v3",
        })
    }
}

/// Why a request is not accepted as HubSpot's. None of them carries the client secret or the
/// signature that was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request has no signature header of any version.
    #[error(
        "the request is not signed: it has neither `{SIGNATURE_V3_HEADER}` nor `{SIGNATURE_HEADER}`"
    )]
    Unsigned,
    /// A header the signature needs is missing.
    #[error("the request has a {version} signature but no `{header}` header")]
    MissingHeader {
        /// The header.
        header: &'static str,
        /// The signature's version.
        version: SignatureVersion,
    },
    /// A header appears more than once, so which one was signed is unknown.
    #[error("the `{header}` header appears more than once")]
    RepeatedHeader {
        /// The header.
        header: &'static str,
    },
    /// A header's value cannot be read as its rule says.
    #[error("the `{header}` header is not {expected}")]
    GarbledHeader {
        /// The header.
        header: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// The signature is of a version this verifier was told not to accept.
    #[error(
        "the request is signed with {version}, which has no protection against being sent again; this verifier accepts {minimum} and later (see `Verifier::accept_legacy`)"
    )]
    VersionRefused {
        /// The signature's version.
        version: SignatureVersion,
        /// The oldest version accepted.
        minimum: SignatureVersion,
    },
    /// The v3 timestamp is older than the window allows: a replay, or a request that waited.
    #[error("the request was signed {age:?} ago, more than the {max_age:?} allowed")]
    Expired {
        /// How long ago it was signed.
        age: Duration,
        /// The most allowed.
        max_age: Duration,
    },
    /// The v3 timestamp is further ahead of this machine's clock than clocks disagree.
    #[error(
        "the request is signed {ahead:?} in the future, more than the {skew:?} clocks may disagree"
    )]
    FromTheFuture {
        /// How far ahead of this machine's clock.
        ahead: Duration,
        /// The most allowed.
        skew: Duration,
    },
    /// The signature is not the one the client secret gives for this request: another
    /// secret, or a changed method, URI, body or timestamp.
    #[error(
        "the {version} signature does not match the request: another client secret, or a changed method, URI, body or timestamp (behind a proxy, give the URI HubSpot called, not the one the server saw)"
    )]
    Mismatch {
        /// The signature's version.
        version: SignatureVersion,
    },
    /// The body is larger than the verifier reads.
    #[error("the body has {size} bytes, more than the {max} read")]
    BodyTooLarge {
        /// Its size.
        size: usize,
        /// The most read.
        max: usize,
    },
}

/// A request as a web server received it: what a signature covers, whatever the framework.
///
/// `uri` is the URI as HubSpot called it, scheme, host, path and query: the URL configured
/// in the app's webhook settings, with any query HubSpot added. Behind a proxy or a load
/// balancer the server sees another scheme, host or path; build the URI from the public base
/// URL the app is configured with and the path and query the server received (see the
/// [module docs](super)).
#[derive(Clone, Debug)]
pub struct SignedRequest<'a> {
    method: &'a str,
    uri: &'a str,
    body: &'a [u8],
    headers: Headers,
}

/// The four headers signatures use, each as many times as it came.
#[derive(Clone, Debug, Default)]
struct Headers {
    signature_v3: Vec<Vec<u8>>,
    timestamp: Vec<Vec<u8>>,
    signature: Vec<Vec<u8>>,
    signature_version: Vec<Vec<u8>>,
}

impl Headers {
    fn slot(&mut self, name: &str) -> Option<&mut Vec<Vec<u8>>> {
        let name = name.trim();
        [
            (SIGNATURE_V3_HEADER, &mut self.signature_v3),
            (TIMESTAMP_HEADER, &mut self.timestamp),
            (SIGNATURE_HEADER, &mut self.signature),
            (SIGNATURE_VERSION_HEADER, &mut self.signature_version),
        ]
        .into_iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, slot)| slot)
    }
}

/// The one value of a header, if it came.
fn single<'h>(
    values: &'h [Vec<u8>],
    header: &'static str,
) -> Result<Option<&'h [u8]>, VerifyError> {
    match values {
        [] => Ok(None),
        [value] => Ok(Some(value.as_slice())),
        _ => Err(VerifyError::RepeatedHeader { header }),
    }
}

impl<'a> SignedRequest<'a> {
    /// A request: its method (`POST`), the URI HubSpot called and the body's bytes as they
    /// came, before any parsing.
    pub fn new(method: &'a str, uri: &'a str, body: &'a [u8]) -> Self {
        Self {
            method,
            uri,
            body,
            headers: Headers::default(),
        }
    }

    /// Adds the request's headers, by any name case. `http::HeaderMap` (axum, hyper, reqwest)
    /// can be given as it is: `.headers(request.headers())`.
    pub fn headers<I, N, V>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<[u8]>,
    {
        for (name, value) in headers {
            if let Some(slot) = self.headers.slot(name.as_ref()) {
                slot.push(value.as_ref().to_vec());
            }
        }
        self
    }

    /// Adds one header.
    pub fn header(self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers([(name, value)])
    }

    /// The body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

/// Checks HubSpot's signatures with an app's client secret.
///
/// By default it accepts v3 only, whose timestamp must be at most five minutes old: v1 and
/// v2 signatures never expire, so a request seen once could be sent again at any time.
/// [`accept_legacy`](Self::accept_legacy) accepts them where an app's settings still send
/// them. A request with a v3 signature is checked by it whatever else it carries.
#[derive(Clone)]
pub struct Verifier {
    secret: Vec<u8>,
    minimum: SignatureVersion,
    max_age: Duration,
    skew: Duration,
    max_body: usize,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secret", &"<redacted>")
            .field("minimum", &self.minimum)
            .field("max_age", &self.max_age)
            .field("skew", &self.skew)
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Verifier {
    /// A verifier for the app with this client secret. Surrounding whitespace (a secret read
    /// from a file or an environment variable with its newline) is not part of it.
    pub fn new(client_secret: impl Into<String>) -> Self {
        Self {
            secret: client_secret.into().trim().as_bytes().to_vec(),
            minimum: SignatureVersion::V3,
            max_age: DEFAULT_MAX_AGE,
            skew: DEFAULT_CLOCK_SKEW,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Accepts v1 and v2 signatures too, which have no timestamp: a request signed with them
    /// can be sent again by anyone who saw it, and will verify.
    pub fn accept_legacy(mut self) -> Self {
        self.minimum = SignatureVersion::V1;
        self
    }

    /// How old a v3 request may be ([`DEFAULT_MAX_AGE`] unless set).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// How far ahead of this machine's clock a v3 timestamp may be ([`DEFAULT_CLOCK_SKEW`]
    /// unless set).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// The largest body read ([`DEFAULT_MAX_BODY`] unless set); a larger one is refused
    /// before any hashing or parsing.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The largest body this verifier reads: give it to the server framework's body limit
    /// too, so that a larger body is not even buffered.
    pub fn body_limit(&self) -> usize {
        self.max_body
    }

    /// Checks the request's signature at the time `now`; the version it was signed with.
    pub fn verify(
        &self,
        request: &SignedRequest<'_>,
        now: SystemTime,
    ) -> Result<SignatureVersion, VerifyError> {
        if request.body.len() > self.max_body {
            return Err(VerifyError::BodyTooLarge {
                size: request.body.len(),
                max: self.max_body,
            });
        }
        let headers = &request.headers;
        if let Some(signature) = single(&headers.signature_v3, SIGNATURE_V3_HEADER)? {
            return self.verify_v3(request, signature, now);
        }
        let Some(signature) = single(&headers.signature, SIGNATURE_HEADER)? else {
            return Err(VerifyError::Unsigned);
        };
        let version = match single(&headers.signature_version, SIGNATURE_VERSION_HEADER)? {
            Some(b"v1") => SignatureVersion::V1,
            Some(b"v2") => SignatureVersion::V2,
            Some(_) => {
                return Err(VerifyError::GarbledHeader {
                    header: SIGNATURE_VERSION_HEADER,
                    expected: "`v1` or `v2`",
                });
            }
            None => {
                return Err(VerifyError::MissingHeader {
                    header: SIGNATURE_VERSION_HEADER,
                    version: SignatureVersion::V1,
                });
            }
        };
        if version < self.minimum {
            return Err(VerifyError::VersionRefused {
                version,
                minimum: self.minimum,
            });
        }
        let mut hash = Sha256::new();
        hash.update(&self.secret);
        if version == SignatureVersion::V2 {
            hash.update(request.method.as_bytes());
            hash.update(request.uri.as_bytes());
        }
        hash.update(request.body);
        let expected = format!("{:x}", hash.finalize());
        let given = signature.to_ascii_lowercase();
        match bool::from(expected.as_bytes().ct_eq(&given)) {
            true => Ok(version),
            false => Err(VerifyError::Mismatch { version }),
        }
    }

    /// Checks the request's signature at this machine's time.
    pub fn verify_now(&self, request: &SignedRequest<'_>) -> Result<SignatureVersion, VerifyError> {
        self.verify(request, SystemTime::now())
    }

    fn verify_v3(
        &self,
        request: &SignedRequest<'_>,
        signature: &[u8],
        now: SystemTime,
    ) -> Result<SignatureVersion, VerifyError> {
        let version = SignatureVersion::V3;
        let Some(timestamp) = single(&request.headers.timestamp, TIMESTAMP_HEADER)? else {
            return Err(VerifyError::MissingHeader {
                header: TIMESTAMP_HEADER,
                version,
            });
        };
        let garbled_timestamp = VerifyError::GarbledHeader {
            header: TIMESTAMP_HEADER,
            expected: "a time in milliseconds since the Unix epoch",
        };
        let millis: u64 = std::str::from_utf8(timestamp)
            .ok()
            .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|text| text.parse().ok())
            .ok_or(garbled_timestamp)?;
        // A time past what this platform's clock holds is far in the future.
        let Some(signed_at) = UNIX_EPOCH.checked_add(Duration::from_millis(millis)) else {
            return Err(VerifyError::FromTheFuture {
                ahead: Duration::from_millis(millis),
                skew: self.skew,
            });
        };
        match now.duration_since(signed_at) {
            Ok(age) if age > self.max_age => {
                return Err(VerifyError::Expired {
                    age,
                    max_age: self.max_age,
                });
            }
            Err(ahead) if ahead.duration() > self.skew => {
                return Err(VerifyError::FromTheFuture {
                    ahead: ahead.duration(),
                    skew: self.skew,
                });
            }
            _ => {}
        }
        let signature = BASE64
            .decode(signature)
            .map_err(|_| VerifyError::GarbledHeader {
                header: SIGNATURE_V3_HEADER,
                expected: "standard padded base64",
            })?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(request.method.as_bytes());
        mac.update(decode_uri(request.uri).as_bytes());
        mac.update(request.body);
        mac.update(timestamp);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&signature)
            .map(|()| version)
            .map_err(|_| VerifyError::Mismatch { version })
    }
}

/// The URI as HubSpot signs it for v3: the escapes of its table decoded, every other byte as
/// sent.
pub fn decode_uri(uri: &str) -> String {
    let mut decoded = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find('%') {
        decoded.push_str(&rest[..at]);
        rest = &rest[at..];
        match DECODED_ESCAPES
            .iter()
            .find(|(escape, _)| rest.starts_with(escape))
        {
            Some((escape, character)) => {
                decoded.push(*character);
                rest = &rest[escape.len()..];
            }
            None => {
                decoded.push('%');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

/// The v3 signature of a request: what HubSpot sends in [`SIGNATURE_V3_HEADER`], for a
/// server that sends webhooks as HubSpot does (such as a test's fake).
pub fn sign_v3(
    client_secret: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: &str,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(method.as_bytes());
    mac.update(decode_uri(uri).as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}
