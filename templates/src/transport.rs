//! Sending requests: the token, the base URL, timeouts, and one attempt at a call.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use url::Url;

use crate::error::{ApiError, Error};
use crate::response::RawResponse;

/// HubSpot's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";
/// How long to wait for a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for one attempt's answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A private app access token or an OAuth access token, sent as `Authorization: Bearer`.
///
/// It never appears in `Debug` output, logs or errors.
#[derive(Clone)]
pub struct AccessToken(String);

impl AccessToken {
    /// A token from its text.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl From<String> for AccessToken {
    fn from(token: String) -> Self {
        Self(token)
    }
}

impl From<&str> for AccessToken {
    fn from(token: &str) -> Self {
        Self(token.to_owned())
    }
}

/// Options of the calls made through one [`Transport`] value, such as a longer timeout for a
/// large batch. Unset options keep the transport's configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallOptions {
    /// The timeout of one attempt.
    pub timeout: Option<Duration>,
}

impl CallOptions {
    /// Options with the timeout of one attempt set.
    pub fn timeout(timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
        }
    }
}

/// Configures a [`Transport`].
#[derive(Debug)]
pub struct TransportBuilder {
    token: AccessToken,
    base_url: String,
    user_agent: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    allow_http: bool,
}

impl TransportBuilder {
    /// Sends requests to another base URL than `https://api.hubapi.com`, such as a proxy or
    /// a test server. Plain `http` is refused unless the host is a loopback address or
    /// [`allow_http`](Self::allow_http) says otherwise.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Allows a plain-`http` base URL on a host other than loopback. The token then crosses
    /// the network in clear text.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Appended to the `User-Agent` header, to tell HubSpot which program is calling.
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.user_agent = Some(product.into());
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for one attempt's answer (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Builds the transport, or says what is wrong with the configuration.
    pub fn build(self) -> Result<Transport, Error> {
        let config = |message: String| Error::Config { message };
        let base_url = Url::parse(&self.base_url).map_err(|error| {
            config(format!(
                "the base URL {:?} is not a URL: {error}",
                self.base_url
            ))
        })?;
        match base_url.scheme() {
            "https" => {
                if !cfg!(any(feature = "rustls", feature = "native-tls")) {
                    return Err(config(
                        "an https base URL needs the `rustls` or `native-tls` feature".into(),
                    ));
                }
            }
            "http" if self.allow_http || is_loopback(&base_url) => {}
            "http" => {
                return Err(config(format!(
                    "the base URL {base_url} is plain http on a host that is not loopback, so the token would cross the network in clear text; use https, or allow it with `allow_http(true)`"
                )));
            }
            other => {
                return Err(config(format!(
                    "the base URL scheme {other:?} is not http or https"
                )));
            }
        }
        let mut authorization =
            HeaderValue::try_from(format!("Bearer {}", self.token.0)).map_err(|_| {
                config(
                    "the access token has characters that cannot be sent in an HTTP header".into(),
                )
            })?;
        authorization.set_sensitive(true);
        let user_agent = match &self.user_agent {
            Some(product) => format!(
                "{product} hubspot-associations/{}",
                env!("CARGO_PKG_VERSION")
            ),
            None => format!("hubspot-associations/{}", env!("CARGO_PKG_VERSION")),
        };
        #[cfg(feature = "rustls")]
        {
            // Another provider installed by the program first wins; either serves.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|error| config(format!("the HTTP client cannot be built: {error}")))?;
        Ok(Transport {
            shared: Arc::new(Shared {
                http,
                base_url,
                authorization,
                request_timeout: self.request_timeout,
            }),
            options: CallOptions::default(),
        })
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Sends the requests of the clients of every version: it holds the token, the connection
/// pool and the configuration. Clones share all of them.
#[derive(Clone)]
pub struct Transport {
    shared: Arc<Shared>,
    options: CallOptions,
}

struct Shared {
    http: reqwest::Client,
    base_url: Url,
    authorization: HeaderValue,
    request_timeout: Duration,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.shared.base_url.as_str())
            .field("token", &"<redacted>")
            .field("request_timeout", &self.shared.request_timeout)
            .field("options", &self.options)
            .finish()
    }
}

impl Transport {
    /// Starts configuring a transport that authenticates with `token`.
    pub fn builder(token: impl Into<AccessToken>) -> TransportBuilder {
        TransportBuilder {
            token: token.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            allow_http: false,
        }
    }

    /// A transport to `https://api.hubapi.com` with the default configuration.
    pub fn new(token: impl Into<AccessToken>) -> Result<Self, Error> {
        Self::builder(token).build()
    }

    /// A copy whose calls use `options`; it shares everything else with this transport.
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            options: CallOptions {
                timeout: options.timeout.or(self.options.timeout),
            },
        }
    }

    fn url(&self, call: &Call) -> Result<Url, Error> {
        let mut url = self.shared.base_url.clone();
        let path = format!("{}{}", url.path().trim_end_matches('/'), call.path);
        url.set_path(&path);
        if call.query.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut()
                .clear()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    fn request_timeout(&self) -> Duration {
        self.options.timeout.unwrap_or(self.shared.request_timeout)
    }

    /// Sends a call and reads its answer: a 2xx is returned to be decoded, anything else
    /// becomes an error that keeps the status, headers and body.
    pub(crate) async fn send(&self, call: Call) -> Result<RawResponse, Error> {
        let operation = call.operation.id;
        let url = self.url(&call)?;
        let timeout = self.request_timeout();
        let mut request = self
            .shared
            .http
            .request(call.operation.method.clone(), url)
            .header(AUTHORIZATION, self.shared.authorization.clone())
            .header(ACCEPT, "application/json")
            .timeout(timeout);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let failed = |source: reqwest::Error| {
            if source.is_timeout() {
                Error::Timeout { operation, timeout }
            } else {
                Error::Transport { operation, source }
            }
        };
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(failed)?;
        if status.is_success() {
            Ok(RawResponse {
                operation,
                status,
                headers,
                body,
            })
        } else {
            Err(error_answer(operation, status, headers, body))
        }
    }
}

/// An error answer as the error a program acts on.
fn error_answer(
    operation: &'static str,
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Bytes,
) -> Error {
    Error::Api(Box::new(ApiError::new(operation, status, headers, body)))
}

/// Whether a call may be sent again after a transient failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads, PUT and DELETE: sending twice has the effect of sending once.
    Idempotent,
    /// Batch POSTs: retried so that a bulk job makes progress.
    Batch,
    /// Other POSTs: a second send could act twice.
    Never,
}

/// What the runtime knows of an operation.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub id: &'static str,
    pub version: &'static str,
    pub method: Method,
    pub retry: Retry,
}

impl Operation {
    pub fn new(id: &'static str, version: &'static str, method: Method, retry: Retry) -> Self {
        Self {
            id,
            version,
            method,
            retry,
        }
    }
}

/// One call to make: the operation, the encoded path, the query and the JSON body.
#[derive(Debug)]
pub(crate) struct Call {
    pub operation: Operation,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Bytes>,
}

impl Call {
    pub fn new(operation: Operation, path: String) -> Self {
        Self {
            operation,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    /// Adds a query parameter when it has a value.
    pub fn query(mut self, name: &'static str, value: Option<impl fmt::Display>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.to_string()));
        }
        self
    }

    /// Sets the JSON body.
    pub fn json_body(mut self, body: &(impl Serialize + ?Sized)) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|error| Error::InvalidInput {
            message: format!(
                "the body of {} cannot be encoded as JSON: {error}",
                self.operation.id
            ),
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(url: &str) -> Result<Transport, Error> {
        Transport::builder("pat-secret-token").base_url(url).build()
    }

    #[test]
    fn plain_http_is_refused_unless_loopback_or_allowed() {
        for loopback in [
            "http://127.0.0.1:8080",
            "http://[::1]:1",
            "http://localhost:3000",
        ] {
            assert!(build(loopback).is_ok(), "{loopback}");
        }
        let error = build("http://example.com").unwrap_err().to_string();
        assert!(error.contains("clear text"), "{error}");
        assert!(!error.contains("pat-secret-token"));
        assert!(
            Transport::builder("t")
                .base_url("http://example.com")
                .allow_http(true)
                .build()
                .is_ok()
        );
        assert!(build("ftp://example.com").is_err());
        assert!(build("not a url").is_err());
    }

    #[test]
    fn urls_join_the_base_path_the_encoded_path_and_the_query() {
        let transport = build("http://127.0.0.1:1/prefix/").unwrap();
        let op = Operation::new("list", "v4", Method::GET, Retry::Idempotent);
        let call = Call::new(op, "/crm/v4/objects/a%2Fb".into())
            .query("after", Some("x y&z"))
            .query("limit", None::<i32>);
        let url = transport.url(&call).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/prefix/crm/v4/objects/a%2Fb?after=x+y%26z"
        );
    }

    #[test]
    fn the_token_is_redacted_from_debug_output() {
        let transport = build("http://127.0.0.1:1").unwrap();
        let text = format!("{transport:?} {:?}", AccessToken::new("pat-secret-token"));
        assert!(!text.contains("pat-secret-token"), "{text}");
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn tokens_that_cannot_be_a_header_are_refused_without_echoing_them() {
        let error = Transport::builder("bad\ntoken")
            .base_url("http://127.0.0.1:1")
            .build()
            .unwrap_err();
        assert!(!error.to_string().contains("bad\ntoken"));
    }
}
