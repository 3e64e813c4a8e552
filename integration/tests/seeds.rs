//! Every JSON example of the five documentation pages in `spec/sources/`, in all three of
//! their renderings, goes through the generated client of the version the page documents:
//! request examples are decoded into the body type, sent, and must arrive unchanged; response
//! examples are served and must decode, and encode and decode again to the same value.
//!
//! Which operation a page documents comes from the table in `spec/sources/README.md`.

#![allow(deprecated, reason = "v4 is deprecated for users; it is still tested")]

mod common;

use std::fs;
use std::path::Path;

use common::Exchange;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn sources() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/sources"))
}

/// `(file, version, method, path)` from the README's table.
fn pages() -> Vec<(String, String, String, String)> {
    let readme = fs::read_to_string(sources().join("README.md")).unwrap();
    readme
        .lines()
        .filter(|line| line.starts_with("| 00"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let (method, path) = cells[2].split_once(' ').unwrap();
            (cells[0].into(), cells[1].into(), method.into(), path.into())
        })
        .collect()
}

/// Undoes the escaping of the three renderings: HTML entities and JSON `\u003c` escapes.
fn unescape(text: &str) -> String {
    text.replace("&#x3C;", "<")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Every top-level JSON object in the text, in order.
fn json_objects(text: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let candidate = &rest[start..];
        let mut stream = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value @ Value::Object(_))) => {
                found.push(value);
                rest = &candidate[stream.byte_offset()..];
            }
            _ => rest = &candidate[1..],
        }
    }
    found
}

/// The Postman export writes type hints as quoted placeholders; give them values of their
/// type. `"<string>"` is a valid string and stays.
fn fill_placeholders(value: &mut Value) {
    match value {
        Value::String(text) if text == "<integer>" => *value = Value::from(123),
        Value::String(text) if text == "<dateTime>" => *value = Value::from("2023-11-07T05:31:56Z"),
        Value::Array(items) => items.iter_mut().for_each(fill_placeholders),
        Value::Object(map) => map.values_mut().for_each(fill_placeholders),
        _ => {}
    }
}

/// Decodes, encodes and decodes again: the two values are equal.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(value: &T) {
    let again: T = serde_json::from_value(serde_json::to_value(value).unwrap()).unwrap();
    assert_eq!(&again, value);
}

/// The operation a page documents, called with a request example (sent and compared) or a
/// response example (served and decoded).
async fn through_the_client(version: &str, operation: &str, example: &Value) {
    let is_request = example.get("inputs").is_some();
    let prefix = |kind: &str| match version {
        "v4" => format!("/crm/v4/{kind}"),
        dated => format!("/crm/{kind}/{dated}"),
    };
    let (method, path) = match operation {
        "batch_create" => (
            "POST",
            format!("{}/contacts/companies/batch/create", prefix("associations")),
        ),
        "batch_create_default" => (
            "POST",
            format!(
                "{}/contacts/companies/batch/associate/default",
                prefix("associations")
            ),
        ),
        "create_default" => (
            "PUT",
            format!(
                "{}/contacts/1/associations/default/companies/2",
                prefix("objects")
            ),
        ),
        other => panic!("no seed page documents {other}"),
    };
    let mut exchange = Exchange::new(method, path, 200);
    if is_request {
        exchange.body = Some(example.clone());
        exchange.reply = Some(
            serde_json::json!({"status": "COMPLETE", "results": [], "startedAt": "2023-11-07T05:31:56Z", "completedAt": "2023-11-07T05:31:56Z"}),
        );
    } else {
        exchange.reply = Some(example.clone());
    }
    let (server, transport) = exchange.serve().await;

    macro_rules! call {
        ($module:ident) => {{
            use hubspot_associations::$module::{Client, types};
            let client = Client::new(transport);
            match (operation, is_request) {
                ("batch_create", true) => {
                    let body: types::BatchInputPublicAssociationMultiPost = serde_json::from_value(example.clone()).unwrap();
                    round_trip(&body);
                    client.batch_create("contacts", "companies", &body).await.unwrap();
                }
                ("batch_create", false) => {
                    let body = types::BatchInputPublicAssociationMultiPost { inputs: vec![] };
                    exchange.body = Some(serde_json::json!({"inputs": []}));
                    let answer = client.batch_create("contacts", "companies", &body).await.unwrap().into_inner();
                    round_trip(&answer);
                }
                ("batch_create_default", true) => {
                    let body: types::BatchInputPublicDefaultAssociationMultiPost = serde_json::from_value(example.clone()).unwrap();
                    round_trip(&body);
                    client.batch_create_default("contacts", "companies", &body).await.unwrap();
                }
                ("batch_create_default", false) => {
                    let body = types::BatchInputPublicDefaultAssociationMultiPost { inputs: vec![] };
                    exchange.body = Some(serde_json::json!({"inputs": []}));
                    let answer = client.batch_create_default("contacts", "companies", &body).await.unwrap().into_inner();
                    round_trip(&answer);
                }
                ("create_default", false) => {
                    let answer = client.create_default("contacts", "1", "companies", "2").await.unwrap().into_inner();
                    round_trip(&answer);
                }
                (other, request) => panic!("{other} has no {} example", if request { "request" } else { "response" }),
            }
        }};
    }
    match version {
        "v4" => call!(v4),
        "2025-09" => call!(v2025_09),
        "2026-03" => call!(v2026_03),
        other => panic!("no module for {other}"),
    }
    exchange.verify(&server).await;
}

#[tokio::test]
async fn every_example_of_every_page_goes_through_the_client() {
    // Requests and responses per page, counted by hand from the pages: a page whose examples
    // the extraction misses fails here.
    let expected = [
        ("000_2641ab824e8e99f2.txt", 2, 2),
        ("001_fcac84885616adec.txt", 0, 2),
        ("002_f30eab6b847dc2a8.txt", 1, 1),
        ("003_0caa4180b9c61d76.txt", 2, 2),
        ("004_4aee19e6255ef2d6.txt", 0, 1),
    ];
    let pages = pages();
    assert_eq!(pages.len(), 5, "the README lists five pages");
    for (file, version, method, path) in pages {
        let spec =
            fs::read_to_string(sources().join(format!("../{version}/openapi.yaml"))).unwrap();
        let operation = operation_at(&spec, &method, &path);
        let text = unescape(&fs::read_to_string(sources().join(&file)).unwrap());
        let mut examples = json_objects(&text);
        examples.iter_mut().for_each(fill_placeholders);
        let requests = examples
            .iter()
            .filter(|e| e.get("inputs").is_some())
            .count();
        let (_, want_requests, want_responses) =
            expected.iter().find(|(f, ..)| *f == file).unwrap();
        assert_eq!(
            (requests, examples.len() - requests),
            (*want_requests, *want_responses),
            "{file}"
        );
        for example in &examples {
            through_the_client(&version, &operation, example).await;
        }
    }
}

/// The operationId at `method path` in a spec, read from its YAML text.
fn operation_at(spec: &str, method: &str, path: &str) -> String {
    let document: serde_json::Value = serde_norway::from_str(spec).unwrap();
    document["paths"][path][method.to_lowercase()]["operationId"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} is not in the spec"))
        .to_owned()
}

#[test]
fn placeholders_are_given_values_of_their_type_and_strings_stay() {
    let mut value = serde_json::json!({"a": "<integer>", "b": ["<dateTime>"], "c": "<string>"});
    fill_placeholders(&mut value);
    assert_eq!(
        value,
        serde_json::json!({"a": 123, "b": ["2023-11-07T05:31:56Z"], "c": "<string>"})
    );
}

#[test]
fn json_objects_are_found_in_running_text() {
    let found = json_objects(
        r#"curl --data ' { "inputs": [] } '200default{ "results": [{"x": "{not json}"}] }tail"#,
    );
    assert_eq!(
        found,
        [
            serde_json::json!({"inputs": []}),
            serde_json::json!({"results": [{"x": "{not json}"}]})
        ]
    );
}
