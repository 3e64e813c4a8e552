//! Authentication: where the access token of each attempt comes from.
//!
//! A [`Transport`](crate::Transport) asks its token source for the `Authorization` value
//! before every attempt, so a token can change while the transport lives:
//! - a private app's token never changes: give the transport the token itself
//!   (`Transport::new(token)`);
//! - a public (OAuth) app's access token lives 30 minutes: give it an [`OAuthApp`], which
//!   refreshes the token with HubSpot ahead of its expiry, once for every clone of the
//!   transport, and hands a rotated refresh token to the program;
//! - a program that keeps its tokens in a store of its own implements [`TokenSource`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use crate::redact::Redactor;
use crate::retry::RetryPolicy;

/// The path of HubSpot's OAuth token endpoint, joined to the transport's base URL unless
/// [`OAuthApp::token_url`] says otherwise. The date-based OAuth API (`/oauth/v1/token` is
/// sunset on 2027-02-16); the next OAuth version is a change of this line.
pub const OAUTH_TOKEN_PATH: &str = "/oauth/2026-03/token";

/// The most an [`OAuthApp`] refreshes ahead of a token's expiry (default 5 minutes of
/// HubSpot's 30); a token with a shorter lifetime is refreshed when a fifth of it remains.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The longest lifetime an OAuth answer's `expires_in` is read as: a day. HubSpot's tokens
/// live 30 minutes; a server that claims years gets a day, and the token is refreshed then.
const LONGEST_LIFETIME: Duration = Duration::from_secs(86_400);

/// The longest access token accepted from the token endpoint. HubSpot's are at most 300
/// characters; anything near this bound is not a token.
const LONGEST_TOKEN: usize = 4_096;

/// The largest token endpoint answer read: its JSON is a few hundred bytes.
const LARGEST_TOKEN_ANSWER: usize = 64 << 10;

/// Secrets shorter than this are not searched for in what a server sends back: they would
/// match ordinary text.
const SHORTEST_SECRET: usize = 8;

macro_rules! secret_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The secret from its text.
            pub fn new(text: impl Into<String>) -> Self {
                Self(Arc::from(text.into().trim()))
            }

            /// The secret itself, to store it or send it: keep it out of logs.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// The bytes to take out of what a server sends back, when long enough to search.
            pub(crate) fn searchable(&self) -> Option<&[u8]> {
                (self.0.len() >= SHORTEST_SECRET).then_some(self.0.as_bytes())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self::new(text)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::new(text)
            }
        }
    };
}

secret_text!(
    /// A private app access token or an OAuth access token, sent as `Authorization: Bearer`.
    ///
    /// It never appears in `Debug` output, logs or errors; [`secret`](Self::secret) gives
    /// its text to a program that stores it.
    AccessToken
);

secret_text!(
    /// An OAuth refresh token, which an [`OAuthApp`] trades for access tokens.
    ///
    /// It never appears in `Debug` output, logs or errors.
    RefreshToken
);

secret_text!(
    /// An OAuth app's client secret. It never appears in `Debug` output, logs or errors.
    ClientSecret
);

impl AccessToken {
    /// The `Authorization` header value, marked sensitive so that no HTTP layer logs it.
    pub(crate) fn header(&self) -> Result<HeaderValue, TokenError> {
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.0)).map_err(|_| {
            TokenError::InvalidToken {
                message: "the access token has characters that cannot be sent in an HTTP header"
                    .into(),
            }
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// The future of a [`TokenSource`]'s answer.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// Where a transport gets the access token of each attempt: implement it to keep tokens in a
/// store of the program's own (a database shared by several workers, a secrets manager).
///
/// The transport calls [`token`](Self::token) before every attempt, from any number of tasks
/// at once, so it should answer from memory when it can. When HubSpot answers an attempt
/// with `401 EXPIRED_AUTHENTICATION`, the transport calls [`expired`](Self::expired) with the
/// token it sent and, when that gives another token, sends the attempt once more with it (a
/// 401 means HubSpot did not act on the request, so the resend is safe for every operation).
///
/// ```
/// use hubspot_associations::{AccessToken, TokenError, TokenFuture, TokenSource, Transport};
///
/// /// Tokens that another process refreshes and writes to a shared store.
/// struct FromMyStore;
///
/// impl TokenSource for FromMyStore {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async {
///             let text = std::fs::read_to_string("/run/secrets/hubspot-token")
///                 .map_err(TokenError::source)?;
///             Ok(AccessToken::new(text))
///         })
///     }
/// }
///
/// let transport = Transport::builder(FromMyStore).build()?;
/// # Ok::<(), hubspot_associations::Error>(())
/// ```
pub trait TokenSource: Send + Sync + 'static {
    /// The access token to send with the next attempt.
    fn token(&self) -> TokenFuture<'_>;

    /// HubSpot refused `rejected` as expired: the token to send instead. The default asks
    /// [`token`](Self::token) again; when that is `rejected` again, the 401 reaches the
    /// caller.
    fn expired<'a>(&'a self, rejected: &'a AccessToken) -> TokenFuture<'a> {
        let _ = rejected;
        self.token()
    }
}

/// A private app's token: the same for every attempt.
struct StaticToken(AccessToken);

impl TokenSource for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// How a transport authenticates: a private app's token, an [`OAuthApp`], or a program's own
/// [`TokenSource`]. Strings and [`AccessToken`]s convert into it, so `Transport::new(token)`
/// takes a private app's token as it is.
pub struct Credentials(Kind);

enum Kind {
    Static(AccessToken),
    OAuth(Box<OAuthApp>),
    Source(Arc<dyn TokenSource>),
}

impl Credentials {
    /// A program's own token source.
    pub fn source(source: impl TokenSource) -> Self {
        Self(Kind::Source(Arc::new(source)))
    }

    /// The source the transport asks, bound to the transport's HTTP client and base URL (the
    /// OAuth token endpoint's default origin).
    pub(crate) fn bind(self, binding: Binding) -> Result<Bound, crate::Error> {
        Ok(match self.0 {
            Kind::Static(token) => {
                token.header().map_err(|error| crate::Error::Config {
                    message: error.to_string(),
                })?;
                Bound {
                    source: Arc::new(StaticToken(token)),
                    kind: "private app token",
                }
            }
            Kind::OAuth(app) => Bound {
                source: Arc::new(OAuthSource::new(*app, binding)?),
                kind: "OAuth app",
            },
            Kind::Source(source) => Bound {
                source,
                kind: "token source",
            },
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Static(token) => f.debug_tuple("Credentials").field(token).finish(),
            Kind::OAuth(app) => f.debug_tuple("Credentials").field(app).finish(),
            Kind::Source(_) => f.write_str("Credentials(<token source>)"),
        }
    }
}

impl<T: TokenSource> From<T> for Credentials {
    fn from(source: T) -> Self {
        Self::source(source)
    }
}

impl From<AccessToken> for Credentials {
    fn from(token: AccessToken) -> Self {
        Self(Kind::Static(token))
    }
}

impl From<String> for Credentials {
    fn from(token: String) -> Self {
        AccessToken::new(token).into()
    }
}

impl From<&str> for Credentials {
    fn from(token: &str) -> Self {
        AccessToken::new(token).into()
    }
}

impl From<OAuthApp> for Credentials {
    fn from(app: OAuthApp) -> Self {
        Self(Kind::OAuth(Box::new(app)))
    }
}

/// What a token source is bound to when its transport is built.
pub(crate) struct Binding {
    pub http: reqwest::Client,
    pub base_url: Url,
    pub user_agent: HeaderValue,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

/// A token source bound to its transport, and what kind it is, for `Debug`.
pub(crate) struct Bound {
    pub source: Arc<dyn TokenSource>,
    pub kind: &'static str,
}

/// What a program is handed when HubSpot rotates the refresh token.
type OnRefreshToken = Arc<dyn Fn(&RefreshToken) + Send + Sync>;

/// A public (OAuth) app's credentials: the transport trades the refresh token for access
/// tokens at HubSpot's token endpoint ([`OAUTH_TOKEN_PATH`]).
///
/// - Each access token is refreshed ahead of its expiry ([`DEFAULT_REFRESH_MARGIN`], or a
///   fifth of a shorter lifetime), and again when HubSpot answers `401
///   EXPIRED_AUTHENTICATION` for it; the attempt is then sent once more.
/// - Every clone of the transport shares one token and one refresh at a time: a hundred
///   callers at the expiry cause one token request. A refresh goes on to its end even if
///   the call that started it is dropped, so a rotated refresh token is never lost.
/// - When HubSpot answers with a new refresh token, the old one may stop working:
///   [`on_refresh_token`](Self::on_refresh_token) hands it to the program to store.
/// - A refresh HubSpot refuses (`invalid_grant`: the app was uninstalled or the token is
///   wrong) fails every call at once with [`TokenError::Refused`], without asking again;
///   5xx, 429, timeouts and broken connections are retried as the transport's
///   [`RetryPolicy`] says.
/// - The client secret, the refresh token and every access token stay out of `Debug`
///   output, logs and errors, and are taken out of what the token endpoint sends back.
///
/// ```no_run
/// use hubspot_associations::{OAuthApp, Transport};
///
/// let app = OAuthApp::new(
///     std::env::var("HUBSPOT_CLIENT_ID")?,
///     std::env::var("HUBSPOT_CLIENT_SECRET")?,
///     std::env::var("HUBSPOT_REFRESH_TOKEN")?,
/// )
/// .on_refresh_token(|token| {
///     // Store it where the next start reads it.
///     let _ = std::fs::write("refresh-token", token.secret());
/// });
/// let transport = Transport::new(app)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct OAuthApp {
    client_id: String,
    client_secret: ClientSecret,
    refresh_token: RefreshToken,
    token_url: Option<String>,
    margin: Duration,
    on_refresh_token: Option<OnRefreshToken>,
    initial: Option<(AccessToken, Duration)>,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("refresh_token", &self.refresh_token)
            .field("token_url", &self.token_url)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl OAuthApp {
    /// An app's client id and secret, and a refresh token of the account it was installed
    /// on.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<ClientSecret>,
        refresh_token: impl Into<RefreshToken>,
    ) -> Self {
        Self {
            client_id: client_id.into().trim().to_owned(),
            client_secret: client_secret.into(),
            refresh_token: refresh_token.into(),
            token_url: None,
            margin: DEFAULT_REFRESH_MARGIN,
            on_refresh_token: None,
            initial: None,
        }
    }

    /// Another token endpoint than [`OAUTH_TOKEN_PATH`] at the transport's base URL (a whole
    /// URL, such as a token broker's).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// The most a token is refreshed ahead of its expiry (default
    /// [`DEFAULT_REFRESH_MARGIN`]; a fifth of a shorter lifetime is used instead).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Called with each new refresh token HubSpot hands out, once it replaces the old one:
    /// store it, because the old one may no longer work. Called from the refresh, so it
    /// should be quick (write a file, send to a channel).
    pub fn on_refresh_token(
        mut self,
        store: impl Fn(&RefreshToken) + Send + Sync + 'static,
    ) -> Self {
        self.on_refresh_token = Some(Arc::new(store));
        self
    }

    /// Starts with an access token the program already has, valid for `lifetime` from now,
    /// so that no refresh is needed until then.
    pub fn access_token(mut self, token: impl Into<AccessToken>, lifetime: Duration) -> Self {
        self.initial = Some((token.into(), lifetime));
        self
    }
}

/// What HubSpot's token endpoint said when it refused or failed a refresh.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OAuthError {
    /// The HTTP status.
    pub status: StatusCode,
    /// RFC 6749's `error`, such as `invalid_grant`: branch on it.
    pub error: Option<String>,
    /// RFC 6749's `error_description`.
    pub error_description: Option<String>,
    /// HubSpot's `status`, such as `BAD_REFRESH_TOKEN`.
    pub hubspot_status: Option<String>,
    /// HubSpot's `message`.
    pub message: Option<String>,
    /// The id of the request at HubSpot.
    pub correlation_id: Option<String>,
    /// The response headers, secrets taken out.
    pub headers: HeaderMap,
    /// The raw body, secrets taken out.
    pub body: Bytes,
}

impl OAuthError {
    fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Fields {
            error: Option<serde_json::Value>,
            error_description: Option<serde_json::Value>,
            status: Option<serde_json::Value>,
            message: Option<serde_json::Value>,
            #[serde(rename = "correlationId")]
            correlation_id: Option<serde_json::Value>,
        }
        // Every field as whatever JSON it holds: a server that sends a number or an object
        // where text is documented still has its error read.
        let text = |value: Option<serde_json::Value>| match value? {
            serde_json::Value::String(text) => Some(text),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
        let fields: Fields = serde_json::from_slice(&body).unwrap_or_default();
        Self {
            status,
            error: text(fields.error),
            error_description: text(fields.error_description),
            hubspot_status: text(fields.status),
            message: text(fields.message),
            correlation_id: text(fields.correlation_id),
            headers,
            body,
        }
    }

    /// The OAuth error as one would name it: RFC 6749's `error`, else HubSpot's `status`.
    pub fn code(&self) -> Option<&str> {
        self.error.as_deref().or(self.hubspot_status.as_deref())
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(code) = self.code() {
            write!(f, " {code}")?;
        }
        match (&self.error_description, &self.message) {
            (Some(text), _) | (None, Some(text)) => {
                write!(f, ": {}", crate::error::body_start(text.as_bytes(), 300))?
            }
            (None, None) if !self.body.is_empty() => {
                write!(f, ": {}", crate::error::body_start(&self.body, 300))?
            }
            (None, None) => {}
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        Ok(())
    }
}

/// Why no access token could be had. No variant, and no `Debug` or `Display` of one,
/// contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token endpoint refused the refresh with a 4xx, such as `400 invalid_grant` for a
    /// refresh token that was revoked (the app uninstalled) or is wrong. Asking again gives
    /// the same answer: the app needs a new refresh token from the OAuth flow.
    #[error("HubSpot refused to refresh the access token: {0}")]
    Refused(Box<OAuthError>),
    /// The token endpoint kept failing (5xx, 429) until the retries ran out.
    #[error("HubSpot's token endpoint failed: {0}")]
    Unavailable(Box<OAuthError>),
    /// The token endpoint did not answer within the request timeout, until the retries ran
    /// out.
    #[error("HubSpot's token endpoint did not answer within {timeout:?}")]
    Timeout {
        /// The timeout of one attempt.
        timeout: Duration,
    },
    /// The token endpoint could not be reached, until the retries ran out.
    #[error("HubSpot's token endpoint could not be reached: {source}")]
    Transport {
        /// What went wrong underneath.
        #[source]
        source: reqwest::Error,
    },
    /// The token endpoint answered 2xx with something that is not a token.
    #[error("HubSpot's token endpoint answered with no usable token: {message}")]
    InvalidResponse {
        /// What is wrong with it.
        message: String,
    },
    /// The token cannot be sent, such as one with a line break.
    #[error("{message}")]
    InvalidToken {
        /// What is wrong with it.
        message: String,
    },
    /// A program's own [`TokenSource`] failed.
    #[error("the token source failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl TokenError {
    /// A program's own token source failed with `error`.
    pub fn source(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Source(error.into())
    }

    /// The OAuth error HubSpot named, such as `invalid_grant`.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Self::Refused(error) | Self::Unavailable(error) => error.code(),
            _ => None,
        }
    }

    /// Whether asking again can help: false for a refused refresh or an unusable token,
    /// which need new credentials.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::Timeout { .. } | Self::Transport { .. }
        )
    }
}

/// The OAuth source's token, refresh token and sticky failure, behind a lock never held
/// across an await.
struct OAuthState {
    refresh_token: RefreshToken,
    access: Option<Issued>,
    refused: Option<Box<OAuthError>>,
}

/// An access token and when to stop using it.
#[derive(Clone)]
struct Issued {
    token: AccessToken,
    /// When HubSpot says it expires, counted from when the refresh was asked for.
    expires: Instant,
    /// When to refresh it: the margin before `expires`.
    renew: Instant,
}

impl Issued {
    fn new(token: AccessToken, asked: Instant, lifetime: Duration, margin: Duration) -> Self {
        let lifetime = lifetime.min(LONGEST_LIFETIME);
        Self {
            token,
            expires: asked + lifetime,
            renew: asked + lifetime - margin.min(lifetime / 5),
        }
    }
}

/// HubSpot's OAuth refresh, bound to a transport.
struct OAuthSource(Arc<OAuthInner>);

struct OAuthInner {
    client_id: String,
    client_secret: ClientSecret,
    token_url: Url,
    margin: Duration,
    on_refresh_token: Option<OnRefreshToken>,
    binding: Binding,
    state: Mutex<OAuthState>,
    /// Held by the one refresh under way: the others wait for it, then use its token.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl OAuthSource {
    fn new(app: OAuthApp, binding: Binding) -> Result<Self, crate::Error> {
        let config = |message: String| crate::Error::Config { message };
        let token_url = match &app.token_url {
            Some(url) => Url::parse(url)
                .map_err(|error| config(format!("the token URL {url:?} is not a URL: {error}")))?,
            None => {
                let mut url = binding.base_url.clone();
                let path = format!("{}{OAUTH_TOKEN_PATH}", url.path().trim_end_matches('/'));
                url.set_path(&path);
                url
            }
        };
        if app.client_id.is_empty() {
            return Err(config("the OAuth app's client id is empty".into()));
        }
        if app.client_secret.secret().is_empty() || app.refresh_token.secret().is_empty() {
            return Err(config(
                "the OAuth app's client secret or refresh token is empty".into(),
            ));
        }
        let now = Instant::now();
        let access = app
            .initial
            .map(|(token, lifetime)| Issued::new(token, now, lifetime, app.margin));
        Ok(Self(Arc::new(OAuthInner {
            client_id: app.client_id,
            client_secret: app.client_secret,
            token_url,
            margin: app.margin,
            on_refresh_token: app.on_refresh_token,
            binding,
            state: Mutex::new(OAuthState {
                refresh_token: app.refresh_token,
                access,
                refused: None,
            }),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
        })))
    }
}

impl TokenSource for OAuthSource {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.0.token(None))
    }

    fn expired<'a>(&'a self, rejected: &'a AccessToken) -> TokenFuture<'a> {
        Box::pin(self.0.token(Some(rejected.clone())))
    }
}

impl OAuthInner {
    fn state(&self) -> MutexGuard<'_, OAuthState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token to use now, if the state has one: not due for renewal, and not the one
    /// HubSpot rejected.
    fn usable(&self, rejected: Option<&AccessToken>) -> Result<Option<AccessToken>, TokenError> {
        let state = self.state();
        if let Some(refused) = &state.refused {
            return Err(TokenError::Refused(refused.clone()));
        }
        let now = Instant::now();
        Ok(state.access.as_ref().and_then(|issued| {
            let usable = match rejected {
                // Another caller's refresh may already have replaced the rejected token.
                Some(rejected) => &issued.token != rejected && now < issued.expires,
                None => now < issued.renew,
            };
            usable.then(|| issued.token.clone())
        }))
    }

    /// A usable token, refreshing first when there is none; one refresh at a time.
    async fn token(
        self: &Arc<Self>,
        rejected: Option<AccessToken>,
    ) -> Result<AccessToken, TokenError> {
        if let Some(token) = self.usable(rejected.as_ref())? {
            return Ok(token);
        }
        let guard = Arc::clone(&self.refreshing).lock_owned().await;
        // The refresh this caller waited for may have given a usable token.
        if let Some(token) = self.usable(rejected.as_ref())? {
            return Ok(token);
        }
        // The refresh runs as its own task, holding the lock to its end: a caller dropped
        // mid-refresh (a timeout, a cancelled request) does not lose a rotated refresh token.
        let inner = Arc::clone(self);
        let refresh = tokio::spawn(async move {
            let result = inner.refresh().await;
            drop(guard);
            result
        });
        match refresh.await {
            Ok(result) => result,
            Err(error) => Err(TokenError::InvalidResponse {
                message: format!("the refresh did not finish: {error}"),
            }),
        }
    }

    /// Trades the refresh token for an access token, retrying transient failures, and keeps
    /// the result.
    async fn refresh(&self) -> Result<AccessToken, TokenError> {
        let policy = self.binding.retry;
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let refresh_token = self.state().refresh_token.clone();
            let asked = Instant::now();
            let error = match self.exchange(&refresh_token).await {
                Ok(answer) => return Ok(self.keep(answer, &refresh_token, asked)),
                Err(error) => error,
            };
            if !error.is_transient() {
                if let TokenError::Refused(refused) = &error {
                    tracing::error!(error = %refused, "the OAuth refresh was refused");
                    self.state().refused = Some(refused.clone());
                }
                return Err(error);
            }
            let wait = policy.backoff_for(attempt, fastrand::f64());
            if attempt >= policy.max_attempts || started.elapsed() + wait > policy.max_elapsed {
                tracing::warn!(error = %error, "the OAuth refresh failed after {attempt} attempts");
                return Err(error);
            }
            tracing::warn!(error = %error, wait_ms = wait.as_millis() as u64, "retrying the OAuth refresh");
            tokio::time::sleep(wait).await;
        }
    }

    /// Keeps a new access token, and a rotated refresh token, which goes to the program.
    fn keep(&self, answer: TokenAnswer, sent: &RefreshToken, asked: Instant) -> AccessToken {
        let issued = Issued::new(answer.access_token, asked, answer.lifetime, self.margin);
        let token = issued.token.clone();
        let rotated = answer.refresh_token.filter(|new| new != sent);
        {
            let mut state = self.state();
            state.access = Some(issued);
            if let Some(new) = &rotated {
                state.refresh_token = new.clone();
            }
        }
        tracing::debug!(
            lifetime_s = answer.lifetime.as_secs(),
            rotated = rotated.is_some(),
            "refreshed the OAuth access token"
        );
        if let (Some(new), Some(store)) = (&rotated, &self.on_refresh_token) {
            store(new);
        }
        token
    }

    /// One request to the token endpoint.
    async fn exchange(&self, refresh_token: &RefreshToken) -> Result<TokenAnswer, TokenError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.secret())
            .append_pair("refresh_token", refresh_token.secret())
            .finish();
        let timeout = self.binding.request_timeout;
        let failure = |source: reqwest::Error| match source.is_timeout() {
            true => TokenError::Timeout { timeout },
            false => TokenError::Transport {
                source: source.without_url(),
            },
        };
        let mut response = self
            .binding
            .http
            .post(self.token_url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .header(reqwest::header::USER_AGENT, self.binding.user_agent.clone())
            .timeout(timeout)
            .body(form)
            .send()
            .await
            .map_err(failure)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failure)? {
            if body.len() + chunk.len() > LARGEST_TOKEN_ANSWER {
                return Err(TokenError::InvalidResponse {
                    message: format!(
                        "the {status} answer is larger than {LARGEST_TOKEN_ANSWER} bytes"
                    ),
                });
            }
            body.extend_from_slice(&chunk);
        }
        let body = Bytes::from(body);
        if status.is_success() {
            return TokenAnswer::parse(&body);
        }
        // An error answer is kept for the program: nothing it echoes of what was sent stays.
        let secrets = Redactor::new(
            [self.client_secret.searchable(), refresh_token.searchable()]
                .into_iter()
                .flatten(),
        );
        let (headers, body) = (secrets.headers(headers), secrets.bytes(body));
        let error = Box::new(OAuthError::new(status, headers, body));
        Err(match status.as_u16() {
            429 | 500..=599 => TokenError::Unavailable(error),
            _ => TokenError::Refused(error),
        })
    }
}

/// The token endpoint's answer, as far as the source uses it.
struct TokenAnswer {
    access_token: AccessToken,
    refresh_token: Option<RefreshToken>,
    lifetime: Duration,
}

impl TokenAnswer {
    fn parse(body: &[u8]) -> Result<Self, TokenError> {
        #[derive(Deserialize)]
        struct Raw {
            access_token: String,
            refresh_token: Option<String>,
            expires_in: serde_json::Value,
        }
        let invalid = |message: String| TokenError::InvalidResponse { message };
        // The message names the missing field, never a value: the body holds the tokens.
        let raw: Raw = serde_json::from_slice(body).map_err(|error| {
            invalid(format!(
                "not the JSON of a token (line {}, column {})",
                error.line(),
                error.column()
            ))
        })?;
        let seconds = match &raw.expires_in {
            serde_json::Value::Number(number) => number.as_f64(),
            serde_json::Value::String(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .ok_or_else(|| invalid("`expires_in` is not a number of seconds".into()))?;
        if raw.access_token.trim().is_empty() || raw.access_token.len() > LONGEST_TOKEN {
            return Err(invalid(format!(
                "`access_token` is empty or longer than {LONGEST_TOKEN} bytes"
            )));
        }
        let access_token = AccessToken::new(raw.access_token);
        access_token.header()?;
        Ok(Self {
            access_token,
            refresh_token: raw
                .refresh_token
                .filter(|token| !token.trim().is_empty())
                .map(RefreshToken::new),
            lifetime: Duration::from_secs_f64(seconds.min(LONGEST_LIFETIME.as_secs_f64())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_from_debug_output() {
        let app = OAuthApp::new("client-id-1", "client-secret-value", "refresh-token-value")
            .access_token("access-token-value", Duration::from_secs(60));
        let text = format!("{app:?} {:?}", Credentials::from(app.clone()));
        for secret in [
            "client-secret-value",
            "refresh-token-value",
            "access-token-value",
        ] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(
            text.contains("client-id-1"),
            "the client id is not a secret: {text}"
        );
    }

    #[test]
    fn a_token_answer_is_bounded_and_read_leniently() {
        let answer = TokenAnswer::parse(
            br#"{"access_token":"at-1","refresh_token":"rt-2","expires_in":"1800","token_type":"bearer"}"#,
        )
        .unwrap();
        assert_eq!(answer.lifetime, Duration::from_secs(1800));
        assert_eq!(answer.refresh_token.unwrap().secret(), "rt-2");
        let forever = TokenAnswer::parse(br#"{"access_token":"at","expires_in":1e300}"#).unwrap();
        assert_eq!(forever.lifetime, LONGEST_LIFETIME);
        for bad in [
            &br#"{"access_token":"at","expires_in":-1}"#[..],
            br#"{"access_token":"","expires_in":1800}"#,
            br#"{"access_token":"a\nb","expires_in":1800}"#,
            br#"{"expires_in":1800}"#,
            b"<html>",
        ] {
            let error = TokenAnswer::parse(bad).err().expect("refused");
            assert!(!error.is_transient(), "{error}");
        }
        let long = format!(
            r#"{{"access_token":"{}","expires_in":1}}"#,
            "a".repeat(5_000)
        );
        assert!(TokenAnswer::parse(long.as_bytes()).is_err());
    }

    #[test]
    fn a_token_is_renewed_a_fifth_of_its_lifetime_early_at_most_the_margin() {
        let now = Instant::now();
        let short = Issued::new(
            "t".into(),
            now,
            Duration::from_secs(2),
            DEFAULT_REFRESH_MARGIN,
        );
        assert_eq!(short.renew - now, Duration::from_millis(1_600));
        let hubspot = Issued::new(
            "t".into(),
            now,
            Duration::from_secs(1_800),
            DEFAULT_REFRESH_MARGIN,
        );
        assert_eq!(hubspot.expires - hubspot.renew, DEFAULT_REFRESH_MARGIN);
    }

    #[test]
    fn an_oauth_error_names_its_code_and_keeps_no_secret() {
        let body = br#"{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token","error":"invalid_grant","correlationId":7}"#;
        let error = OAuthError::new(
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            Bytes::from_static(body),
        );
        assert_eq!(error.code(), Some("invalid_grant"));
        assert_eq!(error.correlation_id.as_deref(), Some("7"));
        let text = TokenError::Refused(Box::new(error)).to_string();
        assert!(text.contains("400 Bad Request invalid_grant"), "{text}");
        assert!(text.contains("missing or invalid refresh token"), "{text}");
    }
}
