//! Stage 1: read every `spec/<version>/openapi.yaml` and parse it into an OpenAPI document.
//!
//! Reading is the only I/O; parsing is pure and reports YAML and shape errors by JSON pointer.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use openapiv3::OpenAPI;
use serde_path_to_error::Segment;

use crate::diagnostics::{Diagnostic, Diagnostics, pointer};

/// The file name of a version's description inside its directory.
pub const SPEC_FILE: &str = "openapi.yaml";

/// The text of one version's spec, as read from disk.
#[derive(Debug, Clone)]
pub struct SpecSource {
    /// The directory name: `v4`, `2025-09`...
    pub version: String,
    /// The path relative to the workspace root, for messages and file headers.
    pub path: PathBuf,
    /// The YAML.
    pub text: String,
}

/// A parsed spec: the document as JSON (for pointers) and as OpenAPI (for everything else).
#[derive(Debug, Clone)]
pub struct Spec {
    /// The directory name: `v4`, `2025-09`...
    pub version: String,
    /// The path relative to the workspace root.
    pub path: PathBuf,
    /// The document as JSON, to check references and report pointers.
    pub raw: serde_json::Value,
    /// The document as OpenAPI, in the order the file gives.
    pub api: OpenAPI,
}

/// What a directory under `spec/` is, judged by its name.
pub fn is_version_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let legacy = name.len() > 1
        && bytes[0] == b'v'
        && bytes[1..].iter().all(u8::is_ascii_digit)
        && bytes[1] != b'0';
    let dated = bytes.len() == 7
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && matches!(
            &name[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        );
    legacy || dated
}

/// Reads every version directory under `spec_dir` (given relative to `root`), sorted by name.
///
/// A directory counts as a version when it is named like one or holds an `openapi.yaml`;
/// whether the two agree is for validation to judge, so both kinds are returned.
pub fn read_specs(root: &Path, spec_dir: &Path) -> io::Result<Vec<SpecSource>> {
    let mut sources = Vec::new();
    for entry in fs::read_dir(root.join(spec_dir))? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let version = entry.file_name().to_string_lossy().into_owned();
        let path = spec_dir.join(&version).join(SPEC_FILE);
        let text = match fs::read_to_string(root.join(&path)) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if !is_version_name(&version) {
                    continue;
                }
                String::new()
            }
            Err(error) => return Err(error),
        };
        sources.push(SpecSource {
            version,
            path,
            text,
        });
    }
    sources.sort_by(|a, b| version_order(&a.version, &b.version));
    Ok(sources)
}

/// Legacy `vN` versions first, by number, then date-based versions by date.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |v: &str| match v.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()) {
        Some(n) => (0, n, String::new()),
        None => (1, 0, v.to_owned()),
    };
    key(a).cmp(&key(b))
}

/// Parses one spec, reporting everything that stops it from being an OpenAPI 3.0 document.
pub fn parse(source: &SpecSource) -> Result<Spec, Diagnostics> {
    let file = source.path.as_path();
    if source.text.trim().is_empty() {
        return Err(Diagnostic::new(
            file,
            "",
            format!(
                "the version directory `{}` has no {SPEC_FILE}",
                source.version
            ),
            format!(
                "write the description of version {} in {}, or remove the directory",
                source.version,
                file.display()
            ),
        )
        .into());
    }
    // The YAML is read once, into a tree that keeps the spec's order (the operations keep the
    // order the spec gives them); the OpenAPI document and the JSON of the pointers come from it.
    let yaml: serde_norway::Value = serde_norway::from_str(&source.text).map_err(|error| {
        let location = error
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        Diagnostic::new(
            file,
            "",
            format!("the file is not valid YAML{location}: {error}"),
            "fix the YAML syntax (indentation, quoting of strings with `: `, unclosed brackets)",
        )
    })?;
    let raw: serde_json::Value = serde_json::to_value(&yaml).map_err(|error| {
        Diagnostic::new(
            file,
            "",
            format!("the YAML holds what JSON cannot: {error}"),
            "give every map key as text, and no YAML tags",
        )
    })?;
    match raw.get("openapi").and_then(|v| v.as_str()) {
        Some(v) if v.starts_with("3.0.") => {}
        found => {
            return Err(Diagnostic::new(
                file,
                "/openapi",
                format!(
                    "the document declares OpenAPI {}, the generator reads OpenAPI 3.0",
                    found.map_or_else(|| "nothing".to_owned(), |v| format!("`{v}`"))
                ),
                "set `openapi: 3.0.3` and describe the API in OpenAPI 3.0",
            )
            .into());
        }
    }
    let api: OpenAPI = serde_path_to_error::deserialize(yaml).map_err(|error| {
        let tokens = path_tokens(error.path());
        let (tokens, message) = deeper_error(&raw, tokens, error.into_inner().to_string());
        Diagnostic::new(
            file,
            pointer(&tokens),
            format!("this is not a valid OpenAPI 3.0 object: {message}"),
            "correct the value to the shape the OpenAPI 3.0 specification gives this field",
        )
    })?;
    Ok(Spec {
        version: source.version.clone(),
        path: source.path.clone(),
        raw,
        api,
    })
}

fn path_tokens(path: &serde_path_to_error::Path) -> Vec<String> {
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect()
}

/// openapiv3 reads path items and component maps through flattened maps, which hide where
/// inside them an error is: read each entry alone to find the one at fault and the path in it.
fn deeper_error(
    raw: &serde_json::Value,
    tokens: Vec<String>,
    message: String,
) -> (Vec<String>, String) {
    fn first_failure<T: serde::de::DeserializeOwned>(
        entries: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<(String, Vec<String>, String)> {
        entries.iter().find_map(|(key, value)| {
            serde_path_to_error::deserialize::<_, T>(value.clone())
                .err()
                .map(|error| {
                    (
                        key.clone(),
                        path_tokens(error.path()),
                        error.into_inner().to_string(),
                    )
                })
        })
    }
    let found =
        match tokens
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["paths"] => raw
                .get("paths")
                .and_then(|v| v.as_object())
                .and_then(first_failure::<openapiv3::PathItem>),
            ["components", kind] => {
                let entries = raw
                    .pointer(&format!("/components/{kind}"))
                    .and_then(|v| v.as_object());
                match *kind {
                    "schemas" => {
                        entries.and_then(first_failure::<openapiv3::ReferenceOr<openapiv3::Schema>>)
                    }
                    "parameters" => entries
                        .and_then(first_failure::<openapiv3::ReferenceOr<openapiv3::Parameter>>),
                    "responses" => entries
                        .and_then(first_failure::<openapiv3::ReferenceOr<openapiv3::Response>>),
                    _ => None,
                }
            }
            _ => None,
        };
    match found {
        Some((key, inner, inner_message)) => {
            let mut deeper = tokens;
            deeper.push(key);
            deeper.extend(inner);
            (deeper, inner_message)
        }
        None => (tokens, message),
    }
}

/// Parses every spec, each on a thread of its own: the ones that parse, and the problems of
/// the others.
pub fn parse_all(sources: &[SpecSource]) -> (Vec<Spec>, Diagnostics) {
    let mut problems = Diagnostics::default();
    let mut specs = Vec::new();
    for parsed in crate::parallel::map(sources, parse) {
        match parsed {
            Ok(spec) => specs.push(spec),
            Err(found) => problems.extend(found),
        }
    }
    (specs, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SpecSource {
        SpecSource {
            version: "v4".into(),
            path: PathBuf::from("spec/v4/openapi.yaml"),
            text: text.into(),
        }
    }

    #[test]
    fn version_names() {
        for good in ["v4", "v12", "2025-09", "2026-03"] {
            assert!(is_version_name(good), "{good}");
        }
        for bad in ["v", "v0", "vx", "2025-13", "2025-9", "sources", "25-09"] {
            assert!(!is_version_name(bad), "{bad}");
        }
    }

    #[test]
    fn versions_sort_legacy_first_then_by_date() {
        let mut names = vec!["2026-03", "v10", "2025-09", "v4"];
        names.sort_by(|a, b| version_order(a, b));
        assert_eq!(names, ["v4", "v10", "2025-09", "2026-03"]);
    }

    #[test]
    fn yaml_errors_name_the_line() {
        let error = parse(&source("openapi: 3.0.3\ninfo: [\n")).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("not valid YAML at line"), "{text}");
    }

    #[test]
    fn wrong_openapi_version_is_reported_at_its_pointer() {
        let error = parse(&source(
            "openapi: 3.1.0\ninfo: {title: t, version: v4}\npaths: {}\n",
        ))
        .unwrap_err();
        let first = error.iter().next().unwrap();
        assert_eq!(first.pointer, "/openapi");
        assert!(first.problem.contains("`3.1.0`"));
    }

    #[test]
    fn shape_errors_are_reported_at_their_pointer() {
        let text = "openapi: 3.0.3\ninfo: {title: t, version: v4}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: 7\n          content: 5\n";
        let error = parse(&source(text)).unwrap_err();
        let first = error.iter().next().unwrap();
        assert!(
            first.pointer.starts_with("/paths/~1a/get"),
            "{}",
            first.pointer
        );
    }
}
