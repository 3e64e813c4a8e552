//! `cargo xtask diff <old> <new>`: what changed between two versions for a program that uses
//! the generated client, each change marked breaking (the program may stop compiling or act
//! differently) or not.
//!
//! Operations are matched by their stable names, schemas by name. Breaking: an operation
//! removed; a parameter added, removed or retyped (methods take them by position); a return
//! type changed; a request field added (struct literals must name every field), removed,
//! retyped, or made required or optional; a response field removed, retyped, or made required
//! or optional; a schema removed; an enum value removed. Not breaking: an operation or schema
//! added; a response field added; an enum value added (enums are open); documented success
//! codes changed (any 2xx succeeds).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use serde::Serialize;

use crate::document::{self, schema_name};
use crate::generate::models::RUNTIME_TYPES;
use crate::model::{Body, Operation, Param, Scalar, Version};

/// One change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// Whether a program using the client may break.
    pub breaking: bool,
    /// What changed: `operation batch_archive`, `schema BatchStatus`.
    pub subject: String,
    /// How.
    pub detail: String,
}

fn change(breaking: bool, subject: String, detail: String) -> Change {
    Change {
        breaking,
        subject,
        detail,
    }
}

/// Every change from `old` to `new`, breaking first.
pub fn diff(old: &Version, new: &Version) -> Vec<Change> {
    let mut changes = operations(old, new);
    changes.extend(schemas(old, new));
    changes.sort_by(|a, b| {
        b.breaking
            .cmp(&a.breaking)
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.detail.cmp(&b.detail))
    });
    changes
}

fn param_sig(param: &Param) -> String {
    let ty = match param.scalar {
        Scalar::Str => "&str",
        Scalar::I32 => "i32",
        Scalar::I64 => "i64",
        Scalar::Bool => "bool",
    };
    let ty = if param.in_path || param.required {
        ty.to_owned()
    } else {
        format!("Option<{ty}>")
    };
    format!("{}: {ty}", param.rust_name)
}

/// What the method returns.
pub fn return_type(op: &Operation) -> String {
    match (&op.success.body, op.success.may_be_empty) {
        (None, _) => "()".to_owned(),
        (Some(name), false) => format!("types::{name}"),
        (Some(name), true) => format!("Option<types::{name}>"),
    }
}

fn body_type(op: &Operation) -> String {
    match &op.body {
        None => "none".to_owned(),
        Some(Body::Schema(name)) => format!("&types::{name}"),
        Some(Body::ListOf(name)) => format!("&[types::{name}]"),
    }
}

fn operations(old: &Version, new: &Version) -> Vec<Change> {
    let old_ops: BTreeMap<&str, &Operation> = old
        .operations
        .iter()
        .map(|op| (op.id.as_str(), op))
        .collect();
    let new_ops: BTreeMap<&str, &Operation> = new
        .operations
        .iter()
        .map(|op| (op.id.as_str(), op))
        .collect();
    let mut changes = Vec::new();
    for (id, op) in &old_ops {
        if !new_ops.contains_key(id) {
            changes.push(change(
                true,
                format!("operation {id}"),
                format!("removed (was `{} {}`)", op.method, op.path),
            ));
        }
    }
    for (id, op) in &new_ops {
        let subject = format!("operation {id}");
        let Some(before) = old_ops.get(id) else {
            changes.push(change(
                false,
                subject,
                format!("added: `{} {}`", op.method, op.path),
            ));
            continue;
        };
        let params = |op: &Operation| {
            op.params
                .iter()
                .map(param_sig)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if params(before) != params(op) {
            changes.push(change(
                true,
                subject.clone(),
                format!(
                    "parameters `({})` became `({})`",
                    params(before),
                    params(op)
                ),
            ));
        }
        if body_type(before) != body_type(op) {
            changes.push(change(
                true,
                subject.clone(),
                format!(
                    "request body `{}` became `{}`",
                    body_type(before),
                    body_type(op)
                ),
            ));
        }
        if return_type(before) != return_type(op) {
            changes.push(change(
                true,
                subject.clone(),
                format!(
                    "returns `Response<{}>` instead of `Response<{}>`",
                    return_type(op),
                    return_type(before)
                ),
            ));
        }
        if before.success.documented != op.success.documented {
            changes.push(change(
                false,
                subject.clone(),
                format!(
                    "HubSpot documents success as {} instead of {} (any 2xx succeeds, so the client is unaffected)",
                    op.success.documented.join(", "),
                    before.success.documented.join(", ")
                ),
            ));
        }
        if before.method != op.method {
            changes.push(change(
                true,
                subject,
                format!("method {} became {}", before.method, op.method),
            ));
        }
    }
    changes
}

/// The Rust type of a property, as typify writes it, for comparison and messages.
fn property_type(schema: &ReferenceOr<Box<Schema>>) -> String {
    match schema {
        ReferenceOr::Reference { reference } => {
            let name = schema_name(reference).unwrap_or(reference);
            RUNTIME_TYPES
                .iter()
                .find(|(schema, _)| *schema == name)
                .map_or_else(
                    || name.to_owned(),
                    |(_, rust)| rust.trim_start_matches("crate::").to_owned(),
                )
        }
        ReferenceOr::Item(schema) => inline_type(schema),
    }
}

fn inline_type(schema: &Schema) -> String {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => match serde_json::to_value(&string.format)
            .ok()
            .and_then(|f| f.as_str().map(str::to_owned))
            .as_deref()
        {
            Some("date-time") => "DateTime<Utc>".to_owned(),
            Some("uuid") => "Uuid".to_owned(),
            _ => "String".to_owned(),
        },
        SchemaKind::Type(Type::Integer(integer)) => match serde_json::to_value(&integer.format)
            .ok()
            .and_then(|f| f.as_str().map(str::to_owned))
            .as_deref()
        {
            Some("int32") => "i32".to_owned(),
            _ => "i64".to_owned(),
        },
        SchemaKind::Type(Type::Number(_)) => "f64".to_owned(),
        SchemaKind::Type(Type::Boolean(_)) => "bool".to_owned(),
        SchemaKind::Type(Type::Array(array)) => {
            format!(
                "Vec<{}>",
                array
                    .items
                    .as_ref()
                    .map_or_else(|| "Value".to_owned(), property_type)
            )
        }
        SchemaKind::Type(Type::Object(object)) => match &object.additional_properties {
            Some(openapiv3::AdditionalProperties::Schema(values)) => {
                let values = match values.as_ref() {
                    ReferenceOr::Reference { reference } => {
                        property_type(&ReferenceOr::Reference {
                            reference: reference.clone(),
                        })
                    }
                    ReferenceOr::Item(item) => inline_type(item),
                };
                format!("BTreeMap<String, {values}>")
            }
            _ => "Map<String, Value>".to_owned(),
        },
        _ => "Value".to_owned(),
    }
}

/// The fields of an object schema: name to (type, required).
fn fields(schema: &Schema) -> Option<BTreeMap<String, (String, bool)>> {
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return None;
    };
    Some(
        object
            .properties
            .iter()
            .map(|(name, property)| {
                (
                    name.clone(),
                    (property_type(property), object.required.contains(name)),
                )
            })
            .collect(),
    )
}

fn enum_values(schema: &Schema) -> Option<BTreeSet<String>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
            Some(string.enumeration.iter().flatten().cloned().collect())
        }
        _ => None,
    }
}

/// The schemas a program builds: request bodies and everything they contain.
fn request_schemas(version: &Version) -> BTreeSet<String> {
    let mut queue: Vec<String> = version
        .operations
        .iter()
        .filter_map(|op| match &op.body {
            Some(Body::Schema(name) | Body::ListOf(name)) => Some(name.clone()),
            None => None,
        })
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = document::component_schema(&version.api, &name) {
            let text = serde_json::to_string(schema).unwrap_or_default();
            queue.extend(
                text.split("\"#/components/schemas/")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
                    .map(str::to_owned),
            );
        }
    }
    seen
}

fn schema_map(api: &OpenAPI) -> BTreeMap<&str, &Schema> {
    api.components
        .iter()
        .flat_map(|components| components.schemas.iter())
        .filter(|(name, _)| !RUNTIME_TYPES.iter().any(|(runtime, _)| runtime == name))
        .filter_map(|(name, schema)| Some((name.as_str(), schema.as_item()?)))
        .collect()
}

/// For a retyped field whose types are both schemas of the two versions: how they differ.
fn shape_note(
    old: &BTreeMap<&str, &Schema>,
    new: &BTreeMap<&str, &Schema>,
    before: &str,
    after: &str,
) -> String {
    let name = |ty: &str| {
        ty.trim_start_matches("Vec<")
            .trim_end_matches('>')
            .to_owned()
    };
    let (Some(before), Some(after)) = (
        old.get(name(before).as_str()),
        new.get(name(after).as_str()),
    ) else {
        return String::new();
    };
    let (Some(before), Some(after)) = (fields(before), fields(after)) else {
        return String::new();
    };
    let lost: Vec<&String> = before
        .keys()
        .filter(|field| !after.contains_key(*field))
        .collect();
    let gained: Vec<&String> = after
        .keys()
        .filter(|field| !before.contains_key(*field))
        .collect();
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

fn schemas(old: &Version, new: &Version) -> Vec<Change> {
    let (old_schemas, new_schemas) = (schema_map(&old.api), schema_map(&new.api));
    let built = request_schemas(new);
    let mut changes = Vec::new();
    for name in old_schemas
        .keys()
        .filter(|name| !new_schemas.contains_key(*name))
    {
        changes.push(change(true, format!("schema {name}"), "removed".to_owned()));
    }
    for (name, schema) in &new_schemas {
        let subject = format!("schema {name}");
        let Some(before) = old_schemas.get(name) else {
            changes.push(change(false, subject, "added".to_owned()));
            continue;
        };
        if let (Some(before), Some(after)) = (enum_values(before), enum_values(schema)) {
            for value in before.difference(&after) {
                changes.push(change(
                    true,
                    subject.clone(),
                    format!("value `{value}` removed"),
                ));
            }
            for value in after.difference(&before) {
                changes.push(change(
                    false,
                    subject.clone(),
                    format!("value `{value}` added (it decoded into `Other` before)"),
                ));
            }
            continue;
        }
        let (Some(before), Some(after)) = (fields(before), fields(schema)) else {
            continue;
        };
        let requested = built.contains(*name);
        for (field, (ty, _)) in &before {
            if !after.contains_key(field) {
                changes.push(change(
                    true,
                    subject.clone(),
                    format!("field `{field}` (`{ty}`) removed"),
                ));
            }
        }
        for (field, (ty, required)) in &after {
            let Some((old_ty, old_required)) = before.get(field) else {
                let detail = if requested {
                    format!(
                        "field `{field}` ({ty}) added: code that builds this request must set it"
                    )
                } else {
                    format!("field `{field}` (`{ty}`) added")
                };
                changes.push(change(requested, subject.clone(), detail));
                continue;
            };
            if old_ty != ty {
                let note = shape_note(&old_schemas, &new_schemas, old_ty, ty);
                changes.push(change(
                    true,
                    subject.clone(),
                    format!("field `{field}` retyped from `{old_ty}` to `{ty}`{note}"),
                ));
            }
            if old_required != required {
                let now = if *required { "required" } else { "optional" };
                changes.push(change(
                    true,
                    subject.clone(),
                    format!("field `{field}` made {now}"),
                ));
            }
        }
    }
    changes
}

/// The changes as Markdown.
pub fn markdown(old: &str, new: &str, changes: &[Change]) -> String {
    let mut text = format!("# Changes from {old} to {new}\n");
    for (breaking, title) in [(true, "Breaking"), (false, "Not breaking")] {
        let chosen: Vec<&Change> = changes.iter().filter(|c| c.breaking == breaking).collect();
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
        model::versions(&normalize(specs))
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
        let found: Vec<(bool, String, String)> = diff(&all[0], &all[1])
            .into_iter()
            .map(|c| (c.breaking, c.subject, c.detail))
            .collect();
        let expected = [
            (true, "operation gone", "removed (was `GET /crm/v4/gone`)"),
            // v4 answered without a body, so the new version's 200 may come empty too.
            (
                true,
                "operation write",
                "returns `Response<Option<types::Thing>>` instead of `Response<()>`",
            ),
            (
                true,
                "schema Input",
                "field `note` (String) added: code that builds this request must set it",
            ),
            (true, "schema Kind", "value `B` removed"),
            (true, "schema Thing", "field `size` made optional"),
            (false, "operation fresh", "added: `GET /crm/2026-03/gone`"),
            (
                false,
                "operation write",
                "HubSpot documents success as 200 instead of 204 (any 2xx succeeds, so the client is unaffected)",
            ),
            (
                false,
                "schema Kind",
                "value `C` added (it decoded into `Other` before)",
            ),
            (false, "schema Thing", "field `label` (`String`) added"),
        ];
        let expected: Vec<(bool, String, String)> = expected
            .iter()
            .map(|(b, s, d)| (*b, (*s).to_owned(), (*d).to_owned()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn markdown_lists_breaking_changes_first() {
        let changes = vec![
            change(false, "schema A".into(), "added".into()),
            change(true, "operation b".into(), "removed".into()),
        ];
        let text = markdown("v4", "2026-03", &changes);
        assert_eq!(
            text,
            "# Changes from v4 to 2026-03\n\n## Breaking (1)\n\n- operation b: removed\n\n## Not breaking (1)\n\n- schema A: added\n"
        );
    }
}
