//! Calls by operation name, with the parameters and the body as JSON: what every version's
//! `Client::call_json` is built on. Programs that drive the API from data (a spec's examples,
//! a recorded request, a generic admin tool) use it; the typed methods are the way otherwise.

use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{Error, Response};

/// The arguments of one call by name: path and query parameters by their API names, and the
/// body.
pub(crate) struct JsonArgs<'a> {
    operation: &'a str,
    params: &'a Map<String, Value>,
    body: Option<&'a Value>,
}

impl<'a> JsonArgs<'a> {
    pub(crate) fn new(
        operation: &'a str,
        params: &'a Map<String, Value>,
        body: Option<&'a Value>,
    ) -> Self {
        Self {
            operation,
            params,
            body,
        }
    }

    fn invalid(&self, message: String) -> Error {
        Error::InvalidInput {
            message: format!("{}: {message}", self.operation),
        }
    }

    /// A parameter of the type the operation takes (text, an integer of its width, or a
    /// boolean), from a JSON string, number or boolean: HubSpot's ids come as both.
    pub(crate) fn optional<T: FromStr>(&self, name: &str) -> Result<Option<T>, Error> {
        let text = match self.params.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(text)) => text.clone(),
            Some(scalar @ (Value::Number(_) | Value::Bool(_))) => scalar.to_string(),
            Some(other) => {
                return Err(self.invalid(format!("`{name}` must be a scalar, not {other}")));
            }
        };
        text.parse()
            .map(Some)
            .map_err(|_| self.invalid(format!("`{name}` cannot be `{text}`")))
    }

    /// A required parameter.
    pub(crate) fn required<T: FromStr>(&self, name: &str) -> Result<T, Error> {
        self.optional(name)?
            .ok_or_else(|| self.invalid(format!("`{name}` is required")))
    }

    /// The body, decoded into the type the operation sends.
    pub(crate) fn body<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let body = self
            .body
            .ok_or_else(|| self.invalid("the operation takes a body".to_owned()))?;
        T::deserialize(body)
            .map_err(|error| self.invalid(format!("the body does not fit: {error}")))
    }
}

/// A typed answer as JSON: what the typed method decoded, encoded again.
pub(crate) fn to_json<T: Serialize>(response: Response<T>) -> Result<Response<Value>, Error> {
    let value = serde_json::to_value(&*response).map_err(|error| Error::InvalidInput {
        message: format!("the answer does not encode as JSON: {error}"),
    })?;
    Ok(response.map(|_| value))
}

/// The error for a name that is not an operation of the version.
pub(crate) fn unknown_operation(operation: &str, version: &str, known: &[&str]) -> Error {
    Error::InvalidInput {
        message: format!(
            "version {version} has no operation `{operation}` (it has `{}`)",
            known.join("`, `")
        ),
    }
}
