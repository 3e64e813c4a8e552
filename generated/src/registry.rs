//! What the generated version registry ([`crate::ApiVersion`]) says of each operation of a
//! version: its method and path, the success HubSpot documents, its batch cap, whether it is
//! retried, its OAuth scopes and rate-limit exemptions ([`OperationInfo`]); and the operations a
//! version dropped ([`RemovedOperation`]).

use std::fmt;

/// The HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
}

impl HttpMethod {
    /// As HTTP spells it: `GET`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Patch => "PATCH",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Trace => "TRACE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<HttpMethod> for reqwest::Method {
    fn from(method: HttpMethod) -> Self {
        match method {
            HttpMethod::Get => Self::GET,
            HttpMethod::Put => Self::PUT,
            HttpMethod::Post => Self::POST,
            HttpMethod::Delete => Self::DELETE,
            HttpMethod::Patch => Self::PATCH,
            HttpMethod::Head => Self::HEAD,
            HttpMethod::Options => Self::OPTIONS,
            HttpMethod::Trace => Self::TRACE,
        }
    }
}

/// A success status an operation's spec documents: one code, or a whole range (`2XX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentedStatus {
    /// One code, such as 201.
    Code(u16),
    /// A range by its first digit: `Range(2)` is `2XX`.
    Range(u8),
}

impl DocumentedStatus {
    /// Whether `status` is this code, or in this range.
    pub const fn matches(self, status: u16) -> bool {
        match self {
            Self::Code(code) => code == status,
            Self::Range(range) => status / 100 == range as u16,
        }
    }

    /// A code HubSpot answers with for it: the code, or the first of the range (`200`).
    pub const fn example(self) -> u16 {
        match self {
            Self::Code(code) => code,
            Self::Range(range) => range as u16 * 100,
        }
    }
}

impl fmt::Display for DocumentedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "{code}"),
            Self::Range(range) => write!(f, "{range}XX"),
        }
    }
}

/// Whether the client sends an operation again after a transient failure (a timeout, a
/// broken connection, a 5xx, a burst 429), from its method and whether it is a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// Reads, PUT and DELETE: sending twice has the effect of sending once.
    Idempotent,
    /// Batch POSTs: retried so that a bulk job makes progress; a repeated input is harmless.
    Batch,
    /// Other POSTs: a second send could act twice, so they are never sent again.
    Never,
}

/// One operation of a version, as its spec describes it: the facts a program, a test double
/// or a tool needs without calling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationInfo {
    /// Its stable name, the same in every version and the name of its method: `batch_create`.
    pub name: &'static str,
    /// Its HTTP method.
    pub method: HttpMethod,
    /// The path template: `/crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/create`.
    pub path: &'static str,
    /// The success statuses HubSpot documents, such as `[201, 207]`. The client accepts any 2xx.
    pub success: &'static [DocumentedStatus],
    /// Whether a documented success carries a body.
    pub success_body: bool,
    /// The most inputs HubSpot takes in one request of a batch operation, when it documents a
    /// cap; the bulk methods split inputs by it.
    pub batch_cap: Option<usize>,
    /// Whether it is sent again after a transient failure.
    pub retry: RetryClass,
    /// The OAuth scopes HubSpot lists for it, any one of which lets a call through (in
    /// practice the read or write scope of the records' object types).
    pub scopes: &'static [&'static str],
    /// The rate limits HubSpot publishes it as exempt from (`ten-secondly`, `daily`), as its
    /// spec's `x-hubspot-rate-limit-exemptions` says. The client's rate limiter counts every
    /// request all the same: HubSpot does not document what the exemption covers.
    pub rate_limit_exemptions: &'static [&'static str],
    /// The body of its first documented success, as the spec's example shows it.
    pub success_example: Option<&'static Example>,
}

/// A JSON value written into the registry: an example answer, kept as data the build checks
/// rather than as text to parse. [`Example::to_json`] gives it as a `serde_json::Value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Example {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as the spec writes it (so that no digit is lost).
    Number(&'static str),
    /// A string.
    String(&'static str),
    /// A list.
    List(&'static [Example]),
    /// An object, its entries sorted by name.
    Object(&'static [(&'static str, Example)]),
}

impl Example {
    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match *self {
            Self::Null => Value::Null,
            Self::Bool(value) => Value::Bool(value),
            Self::Number(text) => text
                .parse::<serde_json::Number>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::Number),
            Self::String(text) => Value::String(text.to_owned()),
            Self::List(items) => Value::Array(items.iter().map(Self::to_json).collect()),
            Self::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// An operation a version dropped, and what HubSpot says to use instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemovedOperation {
    /// Its name in the versions before.
    pub name: &'static str,
    /// The note for programs that used it (`x-removed-operations` in the spec).
    pub note: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_their_code_or_range() {
        assert!(DocumentedStatus::Code(201).matches(201));
        assert!(!DocumentedStatus::Code(201).matches(200));
        assert!(DocumentedStatus::Range(2).matches(207));
        assert!(!DocumentedStatus::Range(2).matches(301));
        assert_eq!(DocumentedStatus::Range(2).example(), 200);
        assert_eq!(DocumentedStatus::Range(2).to_string(), "2XX");
    }

    #[test]
    fn examples_are_json() {
        const EXAMPLE: Example = Example::Object(&[
            ("status", Example::String("COMPLETE")),
            ("numErrors", Example::Number("12345678901234")),
            (
                "results",
                Example::List(&[Example::Bool(true), Example::Null]),
            ),
        ]);
        assert_eq!(
            EXAMPLE.to_json(),
            serde_json::json!({"status": "COMPLETE", "numErrors": 12345678901234u64, "results": [true, null]})
        );
    }

    #[test]
    fn methods_are_spelt_as_http_spells_them() {
        assert_eq!(HttpMethod::Delete.to_string(), "DELETE");
        assert_eq!(
            reqwest::Method::from(HttpMethod::Patch),
            reqwest::Method::PATCH
        );
    }
}
