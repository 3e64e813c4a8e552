//! `cargo xtask diff <old> <new>`: what changed between two versions for a program that uses
//! the generated client. It compares the two versions' Rust surfaces as `model` computes them
//! (every method with its signature, derived ones included, and the types typify makes), so it
//! reports what the generator emits and nothing it re-derives.
//!
//! Each change has an impact. Breaking: the program may stop compiling (a method removed, an
//! argument or return type changed, a field removed or retyped, a field a request must set
//! added, a type or an enum value removed). Behaviour: it compiles, but acts differently (the
//! success codes HubSpot documents changed, so a program that checks `status()` sees others).
//! Compatible: a method, type, response field or enum value added (enums are open).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::model::{Method, MethodKind, Operation, Version, mentioned};
use crate::validate::removed_operations;

/// What a change does to a program that moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// It may stop compiling.
    Breaking,
    /// It compiles, but what it sees at run time changes.
    Behaviour,
    /// Nothing a program relies on changes.
    Compatible,
}

/// One change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// What it does to a program that moves.
    pub impact: Impact,
    /// What changed: `operation batch_archive`, `method list_all`, `schema BatchStatus`.
    pub subject: String,
    /// How.
    pub detail: String,
}

impl Change {
    /// Whether a program must be looked at: a breaking or a behaviour change.
    pub fn needs_attention(&self) -> bool {
        self.impact != Impact::Compatible
    }
}

/// The changes from one version to another, as `--json` prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The version moved from.
    pub from: String,
    /// The version moved to.
    pub to: String,
    /// Whether any change is breaking or changes behaviour: a program must be looked at.
    /// (Named `breaking` in the JSON that tools read, so it keeps that name.)
    pub breaking: bool,
    /// Every change, breaking first.
    pub changes: Vec<Change>,
}

fn change(impact: Impact, subject: String, detail: String) -> Change {
    Change {
        impact,
        subject,
        detail,
    }
}

/// The report from `old` to `new`.
pub fn report(old: &Version, new: &Version) -> Report {
    let changes = diff(old, new);
    Report {
        from: old.name.clone(),
        to: new.name.clone(),
        breaking: changes.iter().any(Change::needs_attention),
        changes,
    }
}

/// Every change from `old` to `new`, breaking first, then behaviour, then compatible.
pub fn diff(old: &Version, new: &Version) -> Vec<Change> {
    let mut changes = methods(old, new);
    changes.extend(operations(old, new));
    changes.extend(types(old, new));
    changes.sort();
    changes
}

fn subject(method: &Method) -> String {
    match method.kind {
        MethodKind::Call => format!("operation {}", method.name),
        _ => format!("method {}", method.name),
    }
}

fn find<'a>(version: &'a Version, id: &str) -> Option<&'a Operation> {
    version.operations.iter().find(|op| op.id == id)
}

fn methods(old: &Version, new: &Version) -> Vec<Change> {
    let old_methods: BTreeMap<&str, &Method> =
        old.methods.iter().map(|m| (m.name.as_str(), m)).collect();
    let new_methods: BTreeMap<&str, &Method> =
        new.methods.iter().map(|m| (m.name.as_str(), m)).collect();
    let removals = removed_operations(&new.api);
    let mut changes = Vec::new();
    for (name, method) in &old_methods {
        if new_methods.contains_key(name) {
            continue;
        }
        let detail = match (method.kind, find(old, &method.operation)) {
            (MethodKind::Call, Some(op)) => {
                let mut detail = format!("removed (was `{} {}`)", op.method, op.path);
                if let Some(Some(note)) = removals.get(op.id.as_str()) {
                    detail.push_str(&format!(": {}", note.trim()));
                }
                detail
            }
            _ => format!(
                "removed (was `{}`, derived from `{}`)",
                method.signature(),
                method.operation
            ),
        };
        changes.push(change(Impact::Breaking, subject(method), detail));
    }
    for (name, method) in &new_methods {
        let Some(before) = old_methods.get(name) else {
            let detail = match (method.kind, find(new, &method.operation)) {
                (MethodKind::Call, Some(op)) => format!("added: `{} {}`", op.method, op.path),
                _ => format!("added: `{}`", method.signature()),
            };
            changes.push(change(Impact::Compatible, subject(method), detail));
            continue;
        };
        if before.arguments() != method.arguments() {
            changes.push(change(
                Impact::Breaking,
                subject(method),
                format!(
                    "arguments `{}` became `{}`",
                    before.arguments(),
                    method.arguments()
                ),
            ));
        }
        if before.readable_returns() != method.readable_returns() {
            changes.push(change(
                Impact::Breaking,
                subject(method),
                format!(
                    "returns `{}` instead of `{}`",
                    method.readable_returns(),
                    before.readable_returns()
                ),
            ));
        }
    }
    changes
}

/// What the methods do not show: the HTTP method and the documented success codes.
fn operations(old: &Version, new: &Version) -> Vec<Change> {
    let mut changes = Vec::new();
    for op in &new.operations {
        let Some(before) = find(old, &op.id) else {
            continue;
        };
        let subject = format!("operation {}", op.id);
        if before.success.documented != op.success.documented {
            changes.push(change(
                Impact::Behaviour,
                subject.clone(),
                format!(
                    "HubSpot documents success as {} instead of {}: any 2xx still succeeds, but programs that check `status()` see {} where they saw {}",
                    op.success.documented.join(", "),
                    before.success.documented.join(", "),
                    op.success.documented.join(" or "),
                    before.success.documented.join(" or "),
                ),
            ));
        }
        if before.method != op.method {
            changes.push(change(
                Impact::Behaviour,
                subject,
                format!("sent as {} instead of {}", op.method, before.method),
            ));
        }
    }
    changes
}

/// For a retyped field whose types are both structs of the two versions: how they differ.
fn shape_note(old: &Version, new: &Version, before: &str, after: &str) -> String {
    let (Some(before), Some(after)) = (
        mentioned(before, &old.models.structs)
            .first()
            .and_then(|n| old.models.structs.get(*n)),
        mentioned(after, &new.models.structs)
            .first()
            .and_then(|n| new.models.structs.get(*n)),
    ) else {
        return String::new();
    };
    let lost: Vec<&String> = before.keys().filter(|f| !after.contains_key(*f)).collect();
    let gained: Vec<&String> = after.keys().filter(|f| !before.contains_key(*f)).collect();
    let list = |fields: &[&String]| {
        fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (lost.is_empty(), gained.is_empty()) {
        (true, true) => " (the same fields)".to_owned(),
        (false, true) => format!(" (without {})", list(&lost)),
        (true, false) => format!(" (with {} besides)", list(&gained)),
        (false, false) => format!(" (without {}, with {})", list(&lost), list(&gained)),
    }
}

fn enum_values(version: &Version) -> BTreeMap<&str, BTreeSet<&str>> {
    version
        .enums
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.values.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

fn types(old: &Version, new: &Version) -> Vec<Change> {
    let (old_enums, new_enums) = (enum_values(old), enum_values(new));
    let (old_structs, new_structs) = (&old.models.structs, &new.models.structs);
    let built = new.request_types();
    let mut changes = Vec::new();
    let old_names: BTreeSet<&str> = old_structs
        .keys()
        .map(String::as_str)
        .chain(old_enums.keys().copied())
        .collect();
    let new_names: BTreeSet<&str> = new_structs
        .keys()
        .map(String::as_str)
        .chain(new_enums.keys().copied())
        .collect();
    for name in old_names.difference(&new_names) {
        changes.push(change(
            Impact::Breaking,
            format!("schema {name}"),
            "removed".to_owned(),
        ));
    }
    for name in new_names.difference(&old_names) {
        changes.push(change(
            Impact::Compatible,
            format!("schema {name}"),
            "added".to_owned(),
        ));
    }
    for (name, after) in &new_enums {
        let Some(before) = old_enums.get(name) else {
            continue;
        };
        let subject = format!("schema {name}");
        for value in before.difference(after) {
            changes.push(change(
                Impact::Breaking,
                subject.clone(),
                format!("value `{value}` removed"),
            ));
        }
        for value in after.difference(before) {
            changes.push(change(
                Impact::Compatible,
                subject.clone(),
                format!("value `{value}` added (it decoded into `Other` before)"),
            ));
        }
    }
    for (name, after) in new_structs {
        let Some(before) = old_structs.get(name) else {
            continue;
        };
        let subject = format!("schema {name}");
        let requested = built.contains(name);
        for (field, old_field) in before {
            if !after.contains_key(field) {
                changes.push(change(
                    Impact::Breaking,
                    subject.clone(),
                    format!("field `{field}` (`{}`) removed", old_field.rust_type),
                ));
            }
        }
        for (field, new_field) in after {
            let ty = &new_field.rust_type;
            let Some(old_field) = before.get(field) else {
                let (impact, detail) = if requested {
                    (
                        Impact::Breaking,
                        format!(
                            "field `{field}` (`{ty}`) added: code that builds this request must set it"
                        ),
                    )
                } else {
                    (
                        Impact::Compatible,
                        format!("field `{field}` (`{ty}`) added"),
                    )
                };
                changes.push(change(impact, subject.clone(), detail));
                continue;
            };
            if old_field.rust_type != *ty {
                let note = shape_note(old, new, &old_field.rust_type, ty);
                changes.push(change(
                    Impact::Breaking,
                    subject.clone(),
                    format!(
                        "field `{field}` retyped from `{}` to `{ty}`{note}",
                        old_field.rust_type
                    ),
                ));
            } else if old_field.required != new_field.required {
                let now = if new_field.required {
                    "required"
                } else {
                    "optional"
                };
                changes.push(change(
                    Impact::Breaking,
                    subject.clone(),
                    format!("field `{field}` made {now}"),
                ));
            }
        }
    }
    changes
}

/// The report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut text = format!("# Changes from {} to {}\n", report.from, report.to);
    for (impact, title) in [
        (Impact::Breaking, "Breaking"),
        (Impact::Behaviour, "Behaviour"),
        (Impact::Compatible, "Not breaking"),
    ] {
        let chosen: Vec<&Change> = report
            .changes
            .iter()
            .filter(|c| c.impact == impact)
            .collect();
        let _ = write!(text, "\n## {title} ({})\n\n", chosen.len());
        if chosen.is_empty() {
            text.push_str("Nothing.\n");
        }
        for change in chosen {
            let _ = writeln!(text, "- {}: {}", change.subject, change.detail);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{SpecSource, parse};
    use crate::model;
    use crate::normalize::normalize;

    fn versions(old: &str, new: &str) -> Vec<Version> {
        let specs = [("v4", old), ("2026-03", new)]
            .iter()
            .map(|(version, text)| {
                parse(&SpecSource {
                    version: (*version).into(),
                    path: format!("spec/{version}/openapi.yaml").into(),
                    text: (*text).into(),
                })
                .unwrap()
            })
            .collect();
        model::versions(&normalize(specs)).unwrap()
    }

    const OLD: &str = r#"
openapi: 3.0.3
info: {title: t, version: v4}
paths:
  /crm/v4/things/{id}:
    get:
      operationId: read
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
    post:
      operationId: write
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Input'}}}}
      responses:
        '204': {description: done}
  /crm/v4/gone:
    get:
      operationId: gone
      responses: {'204': {description: done}}
components:
  schemas:
    Kind: {type: string, enum: [A, B]}
    Input:
      type: object
      properties:
        name: {type: string, description: n}
    Thing:
      type: object
      required: [size]
      properties:
        size: {type: integer, format: int32, description: s}
        kind: {$ref: '#/components/schemas/Kind'}
"#;

    #[test]
    fn each_kind_of_change_is_found_and_classified() {
        let new = OLD
            .replace("version: v4", "version: '2026-03'")
            .replace("/crm/v4/", "/crm/2026-03/")
            .replace("      operationId: gone\n", "      operationId: fresh\n")
            .replace("enum: [A, B]", "enum: [A, C]")
            .replace("        name: {type: string, description: n}", "        name: {type: string, description: n}\n        note: {type: string, description: o}")
            .replace("      required: [size]\n", "")
            .replace("        size: {type: integer, format: int32, description: s}", "        size: {type: integer, format: int32, description: s}\n        label: {type: string, description: l}")
            .replace("        '204': {description: done}\n  /crm", "        '200': {description: done, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}\n  /crm");
        let all = versions(OLD, &new);
        let found: Vec<(Impact, String, String)> = diff(&all[0], &all[1])
            .into_iter()
            .map(|c| (c.impact, c.subject, c.detail))
            .collect();
        use Impact::{Behaviour, Breaking, Compatible};
        let expected = [
            (
                Breaking,
                "operation gone",
                "removed (was `GET /crm/v4/gone`)",
            ),
            // v4 answered without a body, so the new version's 200 may come empty too.
            (
                Breaking,
                "operation write",
                "returns `Result<Response<Option<types::Thing>>, Error>` instead of `Result<Response<()>, Error>`",
            ),
            (
                Breaking,
                "schema Input",
                "field `note` (`Option<String>`) added: code that builds this request must set it",
            ),
            (Breaking, "schema Kind", "value `B` removed"),
            (
                Breaking,
                "schema Thing",
                "field `size` retyped from `i32` to `Option<i32>`",
            ),
            (
                Behaviour,
                "operation write",
                "HubSpot documents success as 200 instead of 204: any 2xx still succeeds, but programs that check `status()` see 200 where they saw 204",
            ),
            (
                Compatible,
                "operation fresh",
                "added: `GET /crm/2026-03/gone`",
            ),
            (
                Compatible,
                "schema Kind",
                "value `C` added (it decoded into `Other` before)",
            ),
            (
                Compatible,
                "schema Thing",
                "field `label` (`Option<String>`) added",
            ),
        ];
        let expected: Vec<(Impact, String, String)> = expected
            .iter()
            .map(|(b, s, d)| (*b, (*s).to_owned(), (*d).to_owned()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn markdown_lists_breaking_changes_first() {
        let report = Report {
            from: "v4".into(),
            to: "2026-03".into(),
            breaking: true,
            changes: vec![
                change(Impact::Breaking, "operation b".into(), "removed".into()),
                change(Impact::Behaviour, "operation c".into(), "200".into()),
                change(Impact::Compatible, "schema A".into(), "added".into()),
            ],
        };
        assert_eq!(
            markdown(&report),
            "# Changes from v4 to 2026-03\n\n## Breaking (1)\n\n- operation b: removed\n\n## Behaviour (1)\n\n- operation c: 200\n\n## Not breaking (1)\n\n- schema A: added\n"
        );
    }

    #[test]
    fn json_names_both_versions_and_whether_anything_breaks() {
        let all = versions(
            OLD,
            &OLD.replace("version: v4", "version: '2026-03'")
                .replace("/crm/v4/", "/crm/2026-03/"),
        );
        let json = serde_json::to_value(report(&all[0], &all[1])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"from": "v4", "to": "2026-03", "breaking": false, "changes": []})
        );
    }
}
