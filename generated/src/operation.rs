//! What the runtime knows of an operation: its name, version, HTTP method and whether it may
//! be sent again. The transport sends by it and the retry policy decides by it.

use reqwest::Method;

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
