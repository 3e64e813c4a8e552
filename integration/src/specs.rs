//! Every operation of a version with the examples its spec carries: the parameters, the
//! request body and the first documented success. The spec-driven suites call each operation
//! with them, so a new operation or version is covered without a line of test code.

use serde_json::{Map, Value};

/// One operation of a version, ready to be called with its spec's examples.
#[derive(Clone, Debug)]
pub struct Example {
    /// Its name: `batch_create`.
    pub operation: String,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The path template.
    pub template: String,
    /// Every parameter's example, by API name.
    pub params: Map<String, Value>,
    /// The path with the examples in, percent-encoded as it must appear on the wire.
    pub path: String,
    /// The query string the client must send, in spec order.
    pub query: String,
    /// The request body example.
    pub body: Option<Value>,
    /// The first documented success code.
    pub status: u16,
    /// Its body example, when it has a body.
    pub reply: Option<Value>,
}

/// The spec of `version`, as JSON.
pub fn spec(version: &str) -> Value {
    let path = crate::workspace().join(format!("spec/{version}/openapi.yaml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// What a `$ref` points at, or the value itself.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => spec
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{reference} does not resolve")),
        None => value,
    }
}

/// The example of a media type: `example`, or the first of `examples`.
fn media_example(media: &Value) -> Option<Value> {
    media.get("example").cloned().or_else(|| {
        media
            .get("examples")?
            .as_object()?
            .values()
            .next()?
            .get("value")
            .cloned()
    })
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A path segment as the client encodes it: everything but unreserved characters escaped.
pub fn encode_segment(segment: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(segment, RESERVED).to_string()
}

/// Every operation of `version`, in spec order, with its examples.
pub fn examples(version: &str) -> Vec<Example> {
    let spec = spec(version);
    let mut found = Vec::new();
    for (template, item) in spec["paths"].as_object().expect("the spec has paths") {
        for (method, operation) in item.as_object().expect("a path item is a map") {
            let name = text(&operation["operationId"]);
            let mut params = Map::new();
            let mut path = template.clone();
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let parameter = resolve(&spec, parameter);
                let api_name = text(&parameter["name"]);
                let example = parameter
                    .get("example")
                    .unwrap_or_else(|| panic!("{version} {name}: `{api_name}` has no example"))
                    .clone();
                match parameter["in"].as_str() {
                    Some("path") => {
                        path = path
                            .replace(&format!("{{{api_name}}}"), &encode_segment(&text(&example)));
                    }
                    _ => {
                        query.append_pair(&api_name, &text(&example));
                    }
                }
                params.insert(api_name, example);
            }
            let body = operation
                .get("requestBody")
                .map(|body| &resolve(&spec, body)["content"]["application/json"])
                .map(|media| {
                    media_example(media).unwrap_or_else(|| {
                        panic!("{version} {name}: the request body has no example")
                    })
                });
            let responses = operation["responses"].as_object().expect("responses");
            let (status, response) = responses
                .iter()
                .find(|(code, _)| code.starts_with('2'))
                .unwrap_or_else(|| panic!("{version} {name}: no success"));
            let response = resolve(&spec, response);
            let reply = response
                .get("content")
                .map(|content| &content["application/json"])
                .map(|media| {
                    media_example(media).unwrap_or_else(|| {
                        panic!("{version} {name}: the {status} body has no example")
                    })
                });
            found.push(Example {
                operation: name,
                method: method.to_uppercase(),
                template: template.clone(),
                params,
                path,
                query: query.finish(),
                body,
                status: status.parse().expect("a success code is a number"),
                reply,
            });
        }
    }
    found
}

/// Whether `actual` carries every value of `expected`: each field of an object with an equal
/// value (a number equals the text of its digits, as ids come both ways), arrays item by item.
/// A null or empty field may be absent (a decoder need not keep "nothing"); `actual` may have
/// more, such as fields a decoder filled in.
pub fn carries(expected: &Value, actual: &Value) -> bool {
    let empty = |value: &Value| match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    };
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            expected.iter().all(|(key, value)| match actual.get(key) {
                Some(found) => carries(value, found),
                None => empty(value),
            })
        }
        (Value::Array(expected), Value::Array(actual)) => {
            expected.len() == actual.len()
                && expected.iter().zip(actual).all(|(e, a)| carries(e, a))
        }
        (Value::Number(number), Value::String(text))
        | (Value::String(text), Value::Number(number)) => number.to_string() == *text,
        (expected, actual) => expected == actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn carries_compares_values_and_ids_both_ways_and_ignores_nulls() {
        assert!(carries(
            &json!({"id": 5790939450_u64, "a": null}),
            &json!({"id": "5790939450", "b": 1})
        ));
        assert!(!carries(&json!({"id": 1}), &json!({"id": "2"})));
        assert!(!carries(&json!({"x": [1, 2]}), &json!({"x": [1]})));
        assert!(!carries(&json!({"x": 1}), &json!({})));
        assert!(carries(&json!({"links": {}, "errors": []}), &json!({})));
    }

    #[test]
    fn segments_are_encoded_as_one() {
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("0-1._~"), "0-1._~");
    }
}
