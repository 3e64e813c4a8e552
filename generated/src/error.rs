//! The one error type of every operation of every version.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::ErrorContext;
use crate::bulk::InputError;
use crate::error_body::ErrorFields;

/// Which of HubSpot's rate limits refused a request (the `policyName` of a 429).
///
/// Policies this version of the crate does not know decode into `Other`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RateLimitPolicy {
    /// `TEN_SECONDLY_ROLLING`: the burst limit over a rolling ten seconds; it passes within the window.
    TenSecondlyRolling,
    /// `SECONDLY`: a per-second limit; it passes within the second.
    Secondly,
    /// `DAILY`: the daily limit, which lasts until midnight in the account's time zone.
    Daily,
    /// A policy this version of the crate does not know, as HubSpot sent it.
    Other(String),
}

impl RateLimitPolicy {
    /// The policy as HubSpot spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::TenSecondlyRolling => "TEN_SECONDLY_ROLLING",
            Self::Secondly => "SECONDLY",
            Self::Daily => "DAILY",
            Self::Other(value) => value,
        }
    }

    /// The window within which a limit of this policy passes: ten seconds for
    /// `TEN_SECONDLY_ROLLING`, a second for `SECONDLY`; `None` for `DAILY` (it lasts until
    /// midnight in the account's time zone) and for a policy this crate does not know.
    pub fn window(&self) -> Option<Duration> {
        match self {
            Self::TenSecondlyRolling => Some(Duration::from_secs(10)),
            Self::Secondly => Some(Duration::from_secs(1)),
            Self::Daily | Self::Other(_) => None,
        }
    }
}

impl From<&str> for RateLimitPolicy {
    fn from(value: &str) -> Self {
        match value {
            "TEN_SECONDLY_ROLLING" => Self::TenSecondlyRolling,
            "SECONDLY" => Self::Secondly,
            "DAILY" => Self::Daily,
            other => Self::Other(other.to_owned()),
        }
    }
}

crate::open_enum::open_enum_traits!(RateLimitPolicy);

/// Why a call failed, in the terms a program acts on: what HubSpot said, that a rate limit
/// refused it (and which), that HubSpot could not be reached or did not answer in time, that
/// the answer could not be read, or that the request was never sent.
///
/// No variant, and no `Debug` or `Display` of one, contains the access token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// HubSpot answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A rate limit refused the call: a `DAILY` one at once, the others once retries ran out.
    #[error(transparent)]
    RateLimited(Box<RateLimitError>),
    /// The request could not be sent or its answer not received (connection refused or reset).
    /// Its message names the cause underneath (`caused by: ...`), such as a refused connection.
    #[error(
        "{operation}: HubSpot could not be reached: {source}{}",
        causes(source)
    )]
    Transport {
        /// The operation, such as `batch_create`.
        operation: &'static str,
        /// What went wrong underneath.
        #[source]
        source: reqwest::Error,
    },
    /// HubSpot did not answer within the request timeout.
    #[error("{operation}: HubSpot did not answer within {timeout:?}")]
    Timeout {
        /// The operation, such as `batch_create`.
        operation: &'static str,
        /// The timeout of one attempt.
        timeout: Duration,
    },
    /// No access token could be had, so the request was not sent: an OAuth refresh HubSpot
    /// refused (`invalid_grant`) or that kept failing, or a program's token source failed.
    #[error("{operation}: not sent, no access token: {source}")]
    Token {
        /// The operation, such as `batch_create`.
        operation: &'static str,
        /// Why.
        #[source]
        source: crate::TokenError,
    },
    /// A 2xx answer whose body is not what the operation returns.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A 2xx answer of an operation on one pair of records whose body carries HubSpot's
    /// `errors` and no result: nothing was done (a record that does not exist, say). Batch
    /// operations report such errors per input instead.
    #[error(transparent)]
    Rejected(Box<RejectedError>),
    /// An answer that decodes but cannot be right, such as a page cursor that repeats.
    #[error("{operation}: {message}")]
    InvalidResponse {
        /// The operation, such as `list`.
        operation: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The request was not sent: an argument cannot be sent as given.
    #[error("invalid input, nothing was sent: {message}")]
    InvalidInput {
        /// What is wrong with it.
        message: String,
    },
    /// The transport cannot be built as configured.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    /// The HTTP status HubSpot answered with, when it answered.
    pub fn http_status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(error) => Some(error.status),
            Self::RateLimited(error) => Some(error.error.status),
            Self::Decode(error) => Some(error.status),
            Self::Rejected(error) => Some(error.status),
            _ => None,
        }
    }

    /// The correlation id of HubSpot's answer, to quote when asking HubSpot for help.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Api(error) => error.correlation_id.as_deref(),
            Self::RateLimited(error) => error.error.correlation_id.as_deref(),
            _ => None,
        }
    }
}

/// The causes under an error, each as `; caused by: ...`: reqwest's own message names the
/// request, its sources say why (`connection refused`, a TLS failure, a DNS name unknown).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = String::new();
    let mut above = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        // A source that repeats the message above it adds nothing.
        if !above.ends_with(&said) {
            text.push_str("; caused by: ");
            text.push_str(&said);
        }
        above = said;
        cause = inner.source();
    }
    text
}

/// An error status from HubSpot, with everything it said.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation, such as `batch_create`.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// The error category, such as `VALIDATION_ERROR`: branch on it, not on the message.
    pub category: Option<String>,
    /// A more precise category.
    pub sub_category: Option<String>,
    /// The message for people.
    pub message: Option<String>,
    /// The id of the request at HubSpot.
    pub correlation_id: Option<String>,
    /// The rate-limit policy, on rate-limit answers.
    pub policy_name: Option<String>,
    /// Details by name.
    pub context: Option<ErrorContext>,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body, whatever it was (JSON, an HTML page, nothing).
    pub body: Bytes,
}

impl ApiError {
    pub(crate) fn new(
        operation: &'static str,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        let fields = ErrorFields::parse(&body);
        Self {
            operation,
            status,
            category: fields.category.or(fields.error_type),
            sub_category: fields.sub_category,
            message: fields.message,
            correlation_id: fields.correlation_id.or(fields.request_id),
            policy_name: fields.policy_name,
            context: fields.context,
            headers,
            body,
        }
    }

    /// The body as text, lossily.
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// The start of a body, for messages: at most `limit` characters, on one line.
pub(crate) fn body_start(body: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut start: String = text.chars().take(limit).collect();
    if text.chars().nth(limit).is_some() {
        start.push('…');
    }
    start.replace(['\n', '\r'], " ")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HubSpot answered {}", self.operation, self.status)?;
        if let Some(category) = &self.category {
            write!(f, " {category}")?;
        }
        match &self.message {
            Some(message) => write!(f, ": {message}")?,
            None if !self.body.is_empty() => write!(f, ": {}", body_start(&self.body, 200))?,
            None => write!(f, " with an empty body")?,
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A rate limit refused the call.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RateLimitError {
    /// The limit that refused it, when HubSpot said.
    pub policy: Option<RateLimitPolicy>,
    /// How long HubSpot asked to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
    /// The answer itself.
    pub error: ApiError,
}

impl fmt::Display for RateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: rate limited by HubSpot", self.error.operation)?;
        match &self.policy {
            Some(policy) => write!(f, " ({policy} limit)")?,
            None => write!(f, " (no policy named)")?,
        }
        if let Some(wait) = self.retry_after {
            write!(f, "; retry after {}s", wait.as_secs_f64())?;
        }
        if let Some(id) = &self.error.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RateLimitError {}

/// A 2xx answer whose body is not what the operation returns.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation, such as `batch_read`.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
    /// The Rust type the body should have decoded into.
    pub expected: &'static str,
    /// Why it did not.
    pub source: serde_json::Error,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: HubSpot answered {} with a body that is not a {}: {}; the body starts with {:?}",
            self.operation,
            self.status,
            self.expected.rsplit("::").next().unwrap_or(self.expected),
            self.source,
            body_start(&self.body, 200)
        )
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A 2xx answer on one pair of records that carries HubSpot's errors and no result.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RejectedError {
    /// The operation, such as `create_default`.
    pub operation: &'static str,
    /// The HTTP status, a 2xx.
    pub status: StatusCode,
    /// HubSpot's errors, in the order it gave them (a bare message, as some answers give,
    /// is an error with only its message).
    pub errors: Vec<InputError>,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
}

/// How many of a rejection's errors its message shows, and how much of each.
const ERRORS_SHOWN: usize = 3;
const ERROR_CHARS: usize = 200;

impl RejectedError {
    /// The error when `body` carries a non-empty `errors` and no `results` (absent or empty);
    /// `None` when it carries a result or no errors.
    pub(crate) fn check(
        operation: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Outcome {
            #[serde(default)]
            results: Option<Vec<serde::de::IgnoredAny>>,
            #[serde(default, deserialize_with = "crate::bulk::errors")]
            errors: Vec<serde_json::Value>,
        }
        let outcome: Outcome = serde_json::from_slice(body).ok()?;
        if outcome.errors.is_empty() || outcome.results.is_some_and(|r| !r.is_empty()) {
            return None;
        }
        Some(Self {
            operation,
            status,
            errors: outcome.errors.iter().map(InputError::from_json).collect(),
            headers: headers.clone(),
            body: body.clone(),
        })
    }
}

impl fmt::Display for RejectedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        write!(
            f,
            "{}: HubSpot answered {} with no result and {count} error{}",
            self.operation,
            self.status,
            if count == 1 { "" } else { "s" }
        )?;
        for (index, error) in self.errors.iter().take(ERRORS_SHOWN).enumerate() {
            let separator = if index == 0 { ": " } else { "; " };
            let text = error.to_string();
            write!(f, "{separator}{}", body_start(text.as_bytes(), ERROR_CHARS))?;
        }
        if count > ERRORS_SHOWN {
            write!(f, "; and {} more", count - ERRORS_SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for RejectedError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_show_category_message_and_correlation_id() {
        let error = ApiError::new(
            "batch_create",
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            Bytes::from_static(
                br#"{"category":"VALIDATION_ERROR","message":"bad id","correlationId":"c-9"}"#,
            ),
        );
        assert_eq!(
            error.to_string(),
            "batch_create: HubSpot answered 400 Bad Request VALIDATION_ERROR: bad id (correlation id c-9)"
        );
    }

    #[test]
    fn html_and_empty_bodies_are_kept_and_shown() {
        let html = ApiError::new(
            "list",
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            Bytes::from_static(b"<html>\nBad gateway</html>"),
        );
        assert_eq!(html.body_text(), "<html>\nBad gateway</html>");
        assert!(
            html.to_string()
                .ends_with("502 Bad Gateway: <html> Bad gateway</html>"),
            "{html}"
        );
        let empty = ApiError::new(
            "list",
            StatusCode::SERVICE_UNAVAILABLE,
            HeaderMap::new(),
            Bytes::new(),
        );
        assert!(empty.to_string().ends_with("with an empty body"), "{empty}");
    }

    #[test]
    fn body_starts_are_cut_on_character_boundaries() {
        assert_eq!(body_start("ééé".as_bytes(), 2), "éé…");
        assert_eq!(body_start(b"ab", 5), "ab");
    }
}
