//! The JSON examples of the documentation pages in `spec/sources/`, in all three of their
//! renderings, and which operation of which version each page documents (the table in
//! `spec/sources/README.md`).

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

/// A documentation page: its file, and the version, method and path it documents.
#[derive(Clone, Debug)]
pub struct Page {
    /// The file under `spec/sources/`.
    pub file: String,
    /// The version the page documents.
    pub version: String,
    /// `GET`, `POST`...
    pub method: String,
    /// The path template.
    pub path: String,
}

fn sources() -> PathBuf {
    crate::workspace().join("spec/sources")
}

/// The pages, from the README's table.
pub fn pages() -> Vec<Page> {
    let readme = fs::read_to_string(sources().join("README.md")).expect("spec/sources/README.md");
    readme
        .lines()
        .filter(|line| line.starts_with("| 00"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let (method, path) = cells[2].split_once(' ').expect("`METHOD /path`");
            Page {
                file: cells[0].into(),
                version: cells[1].into(),
                method: method.into(),
                path: path.into(),
            }
        })
        .collect()
}

/// Every JSON example of a page, placeholders given values of their type.
pub fn examples(page: &Page) -> Vec<Value> {
    let text = fs::read_to_string(sources().join(&page.file)).expect("the page");
    let mut found = json_objects(&unescape(&text));
    found.iter_mut().for_each(fill_placeholders);
    found
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_pages_and_their_examples_are_found() {
        // Requests and responses per page, counted by hand from the pages: a page whose
        // examples the extraction misses fails here.
        let expected = [
            ("000_2641ab824e8e99f2.txt", 2, 2),
            ("001_fcac84885616adec.txt", 0, 2),
            ("002_f30eab6b847dc2a8.txt", 1, 1),
            ("003_0caa4180b9c61d76.txt", 2, 2),
            ("004_4aee19e6255ef2d6.txt", 0, 1),
        ];
        let pages = pages();
        assert_eq!(pages.len(), expected.len());
        for page in pages {
            let examples = examples(&page);
            let requests = examples
                .iter()
                .filter(|e| e.get("inputs").is_some())
                .count();
            let (_, want_requests, want_responses) =
                expected.iter().find(|(f, ..)| *f == page.file).unwrap();
            assert_eq!(
                (requests, examples.len() - requests),
                (*want_requests, *want_responses),
                "{}",
                page.file
            );
        }
    }
}
