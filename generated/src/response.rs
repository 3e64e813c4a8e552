//! Successful answers: the value, with the status and headers it came with.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::error::{DecodeError, RejectedError};

/// A decoded 2xx answer. It derefs to the value; [`Response::into_inner`] takes it out.
pub struct Response<T> {
    value: T,
    status: StatusCode,
    headers: HeaderMap,
}

impl<T> Response<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The HTTP status: 200, 201, 204, 207 or another 2xx. (A batch answer's body has a
    /// `status` of its own, such as `COMPLETE`: a field of the value.)
    pub fn http_status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// HubSpot's `X-HubSpot-RateLimit-*` headers.
    pub fn rate_limit(&self) -> RateLimitHeaders {
        RateLimitHeaders::from_headers(&self.headers)
    }

    /// The same answer with its value changed by `f`; the status and headers stay.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            value: f(self.value),
            status: self.status,
            headers: self.headers,
        }
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

/// HubSpot's rate-limit headers; each is absent when HubSpot did not send it (the daily pair
/// is not sent on OAuth-authorised calls).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `X-HubSpot-RateLimit-Max`: requests allowed per interval.
    pub max: Option<u64>,
    /// `X-HubSpot-RateLimit-Remaining`: requests left in the current interval.
    pub remaining: Option<u64>,
    /// `X-HubSpot-RateLimit-Interval-Milliseconds`: the interval.
    pub interval: Option<Duration>,
    /// `X-HubSpot-RateLimit-Daily`: requests allowed per day.
    pub daily: Option<u64>,
    /// `X-HubSpot-RateLimit-Daily-Remaining`: requests left today.
    pub daily_remaining: Option<u64>,
}

impl RateLimitHeaders {
    /// Reads the headers; a header that is not a number counts as absent.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        Self {
            max: number("x-hubspot-ratelimit-max"),
            remaining: number("x-hubspot-ratelimit-remaining"),
            interval: number("x-hubspot-ratelimit-interval-milliseconds")
                .map(Duration::from_millis),
            daily: number("x-hubspot-ratelimit-daily"),
            daily_remaining: number("x-hubspot-ratelimit-daily-remaining"),
        }
    }
}

/// A 2xx answer, read but not yet decoded.
pub(crate) struct RawResponse {
    pub operation: &'static str,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    fn respond<T>(self, value: T) -> Response<T> {
        Response {
            value,
            status: self.status,
            headers: self.headers,
        }
    }

    fn decode<T: DeserializeOwned>(self) -> Result<Response<T>, Error> {
        match serde_json::from_slice(&self.body) {
            Ok(value) => Ok(self.respond(value)),
            Err(source) => Err(Error::Decode(Box::new(DecodeError {
                operation: self.operation,
                status: self.status,
                headers: self.headers,
                body: self.body,
                expected: std::any::type_name::<T>(),
                source,
            }))),
        }
    }

    fn is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// The body as `T`.
    pub fn json<T: DeserializeOwned>(self) -> Result<Response<T>, Error> {
        self.decode()
    }

    /// The body as `T`, for an operation on one pair of records: a body that carries
    /// HubSpot's `errors` and no result is [`Error::Rejected`], since nothing was done.
    pub fn json_single<T: DeserializeOwned>(self) -> Result<Response<T>, Error> {
        match RejectedError::check(self.operation, self.status, &self.headers, &self.body) {
            Some(rejected) => Err(Error::Rejected(Box::new(rejected))),
            None => self.decode(),
        }
    }

    /// The body as `T`, or `None` when there is no body.
    pub fn json_or_empty<T: DeserializeOwned>(self) -> Result<Response<Option<T>>, Error> {
        if self.is_empty() {
            Ok(self.respond(None))
        } else {
            self.decode::<T>().map(|response| Response {
                value: Some(response.value),
                status: response.status,
                headers: response.headers,
            })
        }
    }

    /// Success without reading the body: the operation documents none.
    pub fn ignore_body(self) -> Result<Response<()>, Error> {
        Ok(self.respond(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn raw(status: u16, body: &'static [u8]) -> RawResponse {
        RawResponse {
            operation: "op",
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
        }
    }

    #[test]
    fn bodies_decode_or_report_status_and_body() {
        assert_eq!(
            raw(201, b"[1,2]").json::<Vec<u8>>().unwrap().into_inner(),
            vec![1, 2]
        );
        assert_eq!(
            raw(204, b"")
                .json_or_empty::<Vec<u8>>()
                .unwrap()
                .into_inner(),
            None
        );
        assert_eq!(
            raw(200, b"[3]")
                .json_or_empty::<Vec<u8>>()
                .unwrap()
                .into_inner(),
            Some(vec![3])
        );
        assert_eq!(
            raw(200, b"{\"x\":1}").ignore_body().unwrap().http_status(),
            StatusCode::OK
        );
        let Err(Error::Decode(error)) = raw(200, b"<html>").json::<Vec<u8>>() else {
            panic!("an HTML body is not a list");
        };
        assert_eq!(error.status, StatusCode::OK);
        assert_eq!(&error.body[..], b"<html>");
        assert!(error.to_string().contains("is not a Vec<u8>"), "{error}");
    }

    #[test]
    fn a_single_answer_with_errors_and_no_result_is_an_error() {
        let body = br#"{"status":"COMPLETE","results":[],"errors":["No contacts with ID 999999 exist",{"category":"OBJECT_NOT_FOUND","message":"No companies with ID 5 exist"}]}"#;
        let Err(Error::Rejected(rejected)) = raw(200, body).json_single::<serde_json::Value>()
        else {
            panic!("errors without a result are an error");
        };
        assert_eq!(rejected.status, StatusCode::OK);
        assert_eq!(rejected.errors.len(), 2);
        assert_eq!(
            rejected.errors[0].message.as_deref(),
            Some("No contacts with ID 999999 exist")
        );
        assert_eq!(
            rejected.errors[1].category.as_deref(),
            Some("OBJECT_NOT_FOUND")
        );
        assert_eq!(
            rejected.to_string(),
            "op: HubSpot answered 200 OK with no result and 2 errors: ERROR: No contacts with ID \
             999999 exist; OBJECT_NOT_FOUND: No companies with ID 5 exist"
        );
        // One error that is not a list is still an error; a long list is shown in part.
        let Err(Error::Rejected(one)) =
            raw(200, br#"{"errors":"gone"}"#).json_single::<serde_json::Value>()
        else {
            panic!("an error that is not a list is an error");
        };
        assert_eq!(one.errors[0].message.as_deref(), Some("gone"));
        let many = format!(
            r#"{{"results":[],"errors":[{}]}}"#,
            vec![format!("\"{}\"", "x".repeat(500)); 10].join(",")
        );
        let Err(Error::Rejected(many)) =
            raw(200, many.leak().as_bytes()).json_single::<serde_json::Value>()
        else {
            panic!("ten errors are an error");
        };
        let text = many.to_string();
        assert!(text.ends_with("; and 7 more"), "{text}");
        assert!(text.len() < 800, "{} characters", text.len());
        // A result beside errors, or no errors, is a success; so is anything not an outcome.
        for body in [
            &br#"{"results":[{"id":"1"}],"errors":["partial"]}"#[..],
            br#"{"results":[],"errors":[]}"#,
            br#"{"results":[]}"#,
            b"[1]",
        ] {
            assert!(
                raw(200, body).json_single::<serde_json::Value>().is_ok(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn rate_limit_headers_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert("X-HubSpot-RateLimit-Max", HeaderValue::from_static("110"));
        headers.insert(
            "X-HubSpot-RateLimit-Remaining",
            HeaderValue::from_static("109"),
        );
        headers.insert(
            "X-HubSpot-RateLimit-Interval-Milliseconds",
            HeaderValue::from_static("10000"),
        );
        headers.insert(
            "X-HubSpot-RateLimit-Daily",
            HeaderValue::from_static("junk"),
        );
        let limits = RateLimitHeaders::from_headers(&headers);
        assert_eq!(limits.max, Some(110));
        assert_eq!(limits.remaining, Some(109));
        assert_eq!(limits.interval, Some(Duration::from_secs(10)));
        assert_eq!(limits.daily, None);
    }
}
