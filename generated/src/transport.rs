//! Sending requests: the token, the base URL, timeouts, the rate limiter, retries, and a
//! tracing span per call.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use serde::Serialize;
use tokio::time::Instant;
use tracing::{Instrument, field};
use url::Url;

use crate::auth::{AccessToken, Binding, Credentials, TokenSource};
use crate::error::{ApiError, Error, RateLimitError, RateLimitPolicy};
use crate::error_body::ErrorFields;
use crate::labels::Labels;
use crate::operation::Operation;
use crate::rate_limit::{Limiter, RateLimit};
use crate::redact::Redactor;
use crate::response::RawResponse;
use crate::retry::{self, RetryPolicy};

/// HubSpot's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";
/// How long to wait for a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for one attempt's answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Options of the calls made through one [`Transport`] value, such as a longer timeout for a
/// large batch. Unset options keep the transport's configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallOptions {
    /// The timeout of one attempt.
    pub timeout: Option<Duration>,
    /// How failures are retried.
    pub retry: Option<RetryPolicy>,
}

impl CallOptions {
    /// Options with the timeout of one attempt set.
    pub fn timeout(timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
            ..Self::default()
        }
    }

    /// Options with the retry policy set.
    pub fn retry(retry: RetryPolicy) -> Self {
        Self {
            retry: Some(retry),
            ..Self::default()
        }
    }
}

/// Configures a [`Transport`].
#[derive(Debug)]
pub struct TransportBuilder {
    credentials: Credentials,
    http: Option<reqwest::Client>,
    base_url: String,
    user_agent: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: RateLimit,
    #[cfg(feature = "redis")]
    shared_budget: Option<crate::SharedBudget>,
    allow_http: bool,
    max_body: usize,
}

/// The largest answer body read by default: 64 MiB, far above any answer HubSpot sends (a
/// batch read of 1,000 records with 500 associations each is a few MiB).
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

impl TransportBuilder {
    /// The largest answer body to read (default [`DEFAULT_MAX_BODY`]); a longer one is not
    /// read on, and the call fails with [`Error::InvalidResponse`].
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

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

    /// Sends through an HTTP client the program built: for a proxy, a custom TLS root, a
    /// local address or a pool of its own. Start from [`http_client_builder`], which sets
    /// what the transport relies on.
    ///
    /// The transport still applies, per request, its request timeout, the `User-Agent`, the
    /// body cap ([`max_body`](Self::max_body)), the rate limiter, retries and the token. The
    /// client itself owns what reqwest keeps per client, which the transport cannot set on
    /// it: the connect timeout ([`connect_timeout`](Self::connect_timeout) does not apply)
    /// and the redirect policy. A client must not undo that policy: following a redirect to
    /// another origin would send a batch's body (every id in it) there, and reqwest's
    /// default policy does. Token requests of an [`OAuthApp`](crate::OAuthApp) go through
    /// the same client.
    ///
    /// Without this, the transport builds its own client, which takes proxies from the
    /// usual environment variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`,
    /// upper or lower case).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// How long to wait for a connection (default 10 s); not applied to a client given by
    /// [`http_client`](Self::http_client), whose builder sets its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for one attempt's answer (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How transient failures are retried (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The client-side rate limit (default: the lowest tier, 100 requests per 10 s, raised
    /// by HubSpot's rate-limit headers). Every clone of the transport shares it; other
    /// processes share it through a shared budget (`shared_budget`, with the `redis`
    /// feature).
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Counts the rate limit in a budget that other processes share, on this machine or
    /// others: see [`SharedBudget`](crate::SharedBudget). Needs a rate limit other than
    /// [`RateLimit::Off`].
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn shared_budget(mut self, budget: crate::SharedBudget) -> Self {
        self.shared_budget = Some(budget);
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
        let user_agent = match &self.user_agent {
            Some(product) => format!(
                "{product} hubspot-associations/{}",
                env!("CARGO_PKG_VERSION")
            ),
            None => format!("hubspot-associations/{}", env!("CARGO_PKG_VERSION")),
        };
        let user_agent = HeaderValue::try_from(user_agent).map_err(|_| {
            config("the user agent has characters that cannot be sent in an HTTP header".into())
        })?;
        let http = match self.http {
            Some(http) => http,
            None => http_client_builder()
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|error| config(format!("the HTTP client cannot be built: {error}")))?,
        };
        let limiter = self.rate_limit.limiter();
        #[cfg(feature = "redis")]
        let limiter = match (limiter, &self.shared_budget) {
            (Some(limiter), Some(budget)) => Some(limiter.shared(budget.window()?)),
            (None, Some(_)) => {
                return Err(config(
                    "a shared budget counts a rate limit, and the rate limit is off; set one \
                     with `rate_limit`"
                        .into(),
                ));
            }
            (limiter, None) => limiter,
        };
        let bound = self.credentials.bind(Binding {
            http: http.clone(),
            base_url: base_url.clone(),
            user_agent: user_agent.clone(),
            request_timeout: self.request_timeout,
            retry: self.retry,
        })?;
        Ok(Transport {
            shared: Arc::new(Shared {
                http,
                base_url,
                tokens: bound.source,
                credentials: bound.kind,
                user_agent,
                request_timeout: self.request_timeout,
                max_body: self.max_body,
                retry: self.retry,
                limiter,
                labels: Mutex::default(),
            }),
            options: CallOptions::default(),
        })
    }
}

/// A `reqwest` client builder with what the transport relies on: redirects followed only
/// within the base URL's origin, the default connect timeout, and (with the `rustls`
/// feature) the TLS crypto provider installed. Add proxies, TLS roots or a local address,
/// and give the client to [`TransportBuilder::http_client`].
///
/// ```no_run
/// use hubspot_associations::{Transport, http_client_builder};
///
/// let client = http_client_builder()
///     .proxy(reqwest::Proxy::https("http://proxy.internal:3128")?)
///     .build()?;
/// let transport = Transport::builder(std::env::var("HUBSPOT_TOKEN")?)
///     .http_client(client)
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
        .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .redirect(same_origin_redirects())
}

/// Redirects are followed only within the base URL's origin (scheme, host and port), at most
/// five. A redirect to another origin is not followed: its 3xx comes back as an error answer.
/// So the token and a 307/308's body (every id of a batch) never reach another host, and no
/// redirect can move a request from https to plain http.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let origin = |url: &Url| {
            (
                url.scheme().to_owned(),
                url.host_str().map(str::to_owned),
                url.port_or_known_default(),
            )
        };
        let first = attempt.previous().first().map(origin);
        if attempt.previous().len() > 5 || first.is_some_and(|first| first != origin(attempt.url()))
        {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// Installs ring as the process's rustls crypto provider, unless the program installed one.
///
/// With the `rustls` feature, reqwest is built without a crypto provider (ring builds in a
/// fraction of the time of the default aws-lc-rs), and every [`Transport`] installs this one
/// when it is built. Cargo unifies features, so any other reqwest client of the program needs
/// a provider too: a program that builds its own reqwest clients before its first transport
/// calls this first. Without the `rustls` feature it does nothing.
pub fn install_tls_provider() {
    #[cfg(feature = "rustls")]
    {
        // A provider the program installed first wins; either serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
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
    /// Asked for the token of every attempt.
    tokens: Arc<dyn TokenSource>,
    /// What kind of credentials, for `Debug`.
    credentials: &'static str,
    user_agent: HeaderValue,
    request_timeout: Duration,
    max_body: usize,
    retry: RetryPolicy,
    limiter: Option<Limiter>,
    labels: Mutex<LabelCache>,
}

/// The label lookups a transport keeps, and how many times they were forgotten: a listing
/// fetched across a forget is not kept, since it may predate the change.
#[derive(Default)]
struct LabelCache {
    kept: HashMap<LabelsKey, Arc<Labels>>,
    forgotten: u64,
}

/// Whose labels: (version, from type, to type).
type LabelsKey = (&'static str, String, String);

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.shared.base_url.as_str())
            .field("credentials", &self.shared.credentials)
            .field("request_timeout", &self.shared.request_timeout)
            .field("retry", &self.shared.retry)
            .field("rate_limited", &self.shared.limiter.is_some())
            .field(
                "shared_budget",
                &self.shared.limiter.as_ref().and_then(Limiter::shared_key),
            )
            .field("options", &self.options)
            .finish()
    }
}

impl Transport {
    /// Starts configuring a transport that authenticates with `credentials`: a private
    /// app's token (a string or an [`AccessToken`]), an [`OAuthApp`](crate::OAuthApp), or a
    /// [`TokenSource`] of the program's own.
    pub fn builder(credentials: impl Into<Credentials>) -> TransportBuilder {
        TransportBuilder {
            credentials: credentials.into(),
            http: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
            #[cfg(feature = "redis")]
            shared_budget: None,
            allow_http: false,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// A transport to `https://api.hubapi.com` with the default configuration.
    pub fn new(credentials: impl Into<Credentials>) -> Result<Self, Error> {
        Self::builder(credentials).build()
    }

    /// A copy whose calls use `options`; it shares everything else with this transport.
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            options: CallOptions {
                timeout: options.timeout.or(self.options.timeout),
                retry: options.retry.or(self.options.retry),
            },
        }
    }

    fn url(&self, call: &Call) -> Url {
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
        url
    }

    /// The labels between two object types: fetched by `fetch` the first time, then kept for
    /// every clone of this transport. Two callers that ask at once may both fetch.
    pub(crate) async fn labels<F, Fut>(
        &self,
        version: &'static str,
        from_type: &str,
        to_type: &str,
        fetch: F,
    ) -> Result<Arc<Labels>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Labels, Error>>,
    {
        let key = (version, from_type.to_owned(), to_type.to_owned());
        let cache = || {
            self.shared
                .labels
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let forgotten = {
            let cache = cache();
            if let Some(known) = cache.kept.get(&key) {
                return Ok(Arc::clone(known));
            }
            cache.forgotten
        };
        let fetched = Arc::new(fetch().await?);
        let mut cache = cache();
        if cache.forgotten == forgotten {
            cache.kept.insert(key, Arc::clone(&fetched));
        }
        Ok(fetched)
    }

    /// Forgets every label lookup this transport keeps: a label was created, renamed or
    /// deleted. Labels are the account's, the same through every version and, for the inverse
    /// label, for the reverse pair of object types, so none is kept.
    pub(crate) fn forget_labels(&self) {
        let mut cache = self
            .shared
            .labels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.kept.clear();
        cache.forgotten += 1;
    }

    /// Sends a call, retrying transient failures as the retry policy allows, each attempt
    /// through the rate limiter. A 2xx is returned to be decoded; anything else becomes an
    /// error that keeps the status, headers and body.
    pub(crate) async fn send(&self, call: Call) -> Result<RawResponse, Error> {
        let span = tracing::info_span!(
            "hubspot",
            operation = call.operation.id,
            version = call.operation.version,
            attempt = field::Empty,
            status = field::Empty,
            duration_ms = field::Empty,
        );
        self.send_with_retries(call).instrument(span).await
    }

    async fn send_with_retries(&self, call: Call) -> Result<RawResponse, Error> {
        let policy = self.options.retry.unwrap_or(self.shared.retry);
        let url = self.url(&call);
        let started = Instant::now();
        let span = tracing::Span::current();
        let mut attempt = 0;
        // Attempts that count towards `max_attempts`: not those a burst limit refused.
        let mut counted = 0;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let outcome = self.authorized_attempt(&call, &url).await;
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            let failure = match outcome {
                Ok(response) => {
                    span.record("status", response.status.as_u16());
                    tracing::debug!("succeeded");
                    return Ok(response);
                }
                Err(failure) => failure,
            };
            if let Some(status) = failure.http_status() {
                span.record("status", status.as_u16());
            }
            let Some(transient) = retry::transient(&failure, call.operation.retry) else {
                tracing::debug!(error = %failure, "failed");
                return Err(failure);
            };
            let wait = transient.wait(&policy, attempt, fastrand::f64());
            if transient.rate_limited
                && let Some(limiter) = &self.shared.limiter
            {
                limiter.pause_for(transient.pause(&policy, wait)).await;
            }
            counted += u32::from(transient.counted);
            if counted >= policy.max_attempts || policy.out_of_time(started.elapsed(), wait) {
                tracing::warn!(reason = transient.reason, error = %failure, "giving up after {attempt} attempts");
                return Err(failure);
            }
            tracing::warn!(
                reason = transient.reason,
                wait_ms = wait.as_millis() as u64,
                error = %failure,
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// A failure of the HTTP client: a timeout, or another transport error.
    fn failure(&self, operation: &'static str, source: reqwest::Error) -> Error {
        if source.is_timeout() {
            let timeout = self.options.timeout.unwrap_or(self.shared.request_timeout);
            Error::Timeout { operation, timeout }
        } else {
            Error::Transport { operation, source }
        }
    }

    /// The body of an answer, up to the transport's `max_body`: an answer that says or turns
    /// out to be longer is not read on.
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        operation: &'static str,
        status: StatusCode,
    ) -> Result<Bytes, Error> {
        let limit = self.shared.max_body;
        let too_large = || Error::InvalidResponse {
            operation,
            message: format!(
                "the {status} answer's body is larger than {limit} bytes, the transport's limit; it was not read on"
            ),
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|source| self.failure(operation, source))?;
            let Some(chunk) = chunk else {
                return Ok(Bytes::from(body));
            };
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }

    /// One attempt with the token source's token; when HubSpot answers that the token
    /// expired, once more with the token the source gives instead (a 401 was not acted on,
    /// so the resend is safe for every operation).
    async fn authorized_attempt(&self, call: &Call, url: &Url) -> Result<RawResponse, Error> {
        // Only a resend compares the source's token with a rejected one, so the first
        // attempt is always sent.
        let Some(Sent { token, outcome }) = self.limited_attempt(call, url, None).await? else {
            return Err(Error::InvalidInput {
                message: "the token source gave no token".into(),
            });
        };
        if !outcome.as_ref().is_err_and(is_expired_token) {
            return outcome;
        }
        match self.limited_attempt(call, url, Some(&token)).await? {
            Some(resent) => {
                tracing::debug!("the access token expired; sent again with a new one");
                resent.outcome
            }
            // The source has no other token: the 401 is the answer.
            None => outcome,
        }
    }

    /// One attempt through the rate limiter, with the token the source gives once the
    /// limiter lets the attempt go (a token taken before a long wait could expire in it).
    /// After `rejected`, the source's replacement; `None` when it gives the same token.
    async fn limited_attempt(
        &self,
        call: &Call,
        url: &Url,
        rejected: Option<&AccessToken>,
    ) -> Result<Option<Sent>, Error> {
        let ticket = match &self.shared.limiter {
            Some(limiter) => Some(limiter.acquire().await),
            None => None,
        };
        let answered = async |ticket, headers| {
            if let (Some(limiter), Some(ticket)) = (&self.shared.limiter, ticket) {
                limiter.answered(ticket, headers).await;
            }
        };
        let token = match rejected {
            None => self.shared.tokens.token().await,
            Some(rejected) => self.shared.tokens.expired(rejected).await,
        };
        let token = match token {
            Ok(token) if Some(&token) != rejected => token,
            other => {
                answered(ticket, None).await;
                let operation = call.operation.id;
                return other
                    .map(|_| None)
                    .map_err(|source| Error::Token { operation, source });
            }
        };
        let outcome = self.attempt(call, url.clone(), &token).await;
        answered(ticket, answer_headers(&outcome)).await;
        Ok(Some(Sent { token, outcome }))
    }

    /// One attempt: the request, the whole answer, and the answer as success or error.
    async fn attempt(
        &self,
        call: &Call,
        url: Url,
        token: &AccessToken,
    ) -> Result<RawResponse, Error> {
        let operation = call.operation.id;
        let timeout = self.options.timeout.unwrap_or(self.shared.request_timeout);
        let authorization = token
            .header()
            .map_err(|source| Error::Token { operation, source })?;
        let mut request = self
            .shared
            .http
            .request(call.operation.method.clone(), url)
            .header(AUTHORIZATION, authorization)
            .header(USER_AGENT, self.shared.user_agent.clone())
            .header(ACCEPT, "application/json")
            .timeout(timeout);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut response = request
            .send()
            .await
            .map_err(|source| self.failure(operation, source))?;
        let status = response.status();
        // Taken, not cloned: reading the body needs no headers.
        let headers = std::mem::take(response.headers_mut());
        let body = self.read_body(&mut response, operation, status).await?;
        // What the server says is kept in errors, logs and the CLI's files: a server that
        // echoes the token this attempt sent (in a body, a message or a header) gets it
        // redacted first, whichever token of the transport's life that is.
        let secrets = Redactor::new(token.searchable());
        let (headers, body) = (secrets.headers(headers), secrets.bytes(body));
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

/// The headers of an attempt's answer, when one arrived whole: they say how much of the rate
/// limit is left.
fn answer_headers(outcome: &Result<RawResponse, Error>) -> Option<&HeaderMap> {
    match outcome {
        Ok(response) => Some(&response.headers),
        Err(Error::Api(api)) => Some(&api.headers),
        Err(Error::RateLimited(limited)) => Some(&limited.error.headers),
        Err(_) => None,
    }
}

/// An attempt that was sent: the token it carried, and what came of it.
struct Sent {
    token: AccessToken,
    outcome: Result<RawResponse, Error>,
}

/// Whether HubSpot refused the attempt's token as expired (a 401 whose category says so):
/// a 401 alone, by HubSpot's guidance, is not a sign that a new token is needed.
fn is_expired_token(error: &Error) -> bool {
    matches!(error, Error::Api(api) if api.status == StatusCode::UNAUTHORIZED
        && api.category.as_deref() == Some("EXPIRED_AUTHENTICATION"))
}

/// An error answer as the error a program acts on: a 429 says which limit refused it and
/// how long to wait.
fn error_answer(
    operation: &'static str,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> Error {
    if status == StatusCode::TOO_MANY_REQUESTS {
        let policy = ErrorFields::parse(&body)
            .policy_name
            .map(RateLimitPolicy::from);
        let retry_after = retry::retry_after(&headers, SystemTime::now());
        let error = ApiError::new(operation, status, headers, body);
        return Error::RateLimited(Box::new(RateLimitError {
            policy,
            retry_after,
            error,
        }));
    }
    Error::Api(Box::new(ApiError::new(operation, status, headers, body)))
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
    use crate::RetryClass;
    use reqwest::Method;

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
        let op = Operation::new("list", "v4", Method::GET, RetryClass::Idempotent);
        let call = Call::new(op, "/crm/v4/objects/a%2Fb".into())
            .query("after", Some("x y&z"))
            .query("limit", None::<i32>);
        let url = transport.url(&call);
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
