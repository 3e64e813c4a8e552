//! What the runtime knows of an operation: its name, version, HTTP method and whether it may
//! be sent again. The transport sends by it and the retry policy decides by it.

use reqwest::Method;

use crate::RetryClass;

/// What the runtime knows of an operation.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub id: &'static str,
    pub version: &'static str,
    pub method: Method,
    pub retry: RetryClass,
}

impl Operation {
    pub fn new(id: &'static str, version: &'static str, method: Method, retry: RetryClass) -> Self {
        Self {
            id,
            version,
            method,
            retry,
        }
    }
}
