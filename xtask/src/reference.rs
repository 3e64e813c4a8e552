//! The reference's tables (`spec/sources/hubspot-associations.md`), as the conformance tests
//! read them and as `import` writes a new version's: one row per operation, with its method,
//! path, parameters, body and success answers in the reference's words.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, Type};

use crate::document::{self, schema_name};

/// The reference's file, under the workspace root.
pub const REFERENCE_FILE: &str = "spec/sources/hubspot-associations.md";

/// `name -> [method, path, parameters, body, success]`, as the reference's operations table
/// of a version writes them, for every operation of `api`.
pub fn operation_rows(api: &OpenAPI) -> BTreeMap<String, Vec<String>> {
    let components = api.components.as_ref();
    let mut rows = BTreeMap::new();
    for op in document::operations(api) {
        let mut params: Vec<String> = op
            .operation
            .parameters
            .iter()
            .filter_map(|p| document::parameter(components, p))
            .filter_map(|p| {
                let data = p.parameter_data_ref();
                let ParameterSchemaOrContent::Schema(schema) = &data.format else {
                    return None;
                };
                let query = matches!(p, openapiv3::Parameter::Query { .. });
                Some(format!(
                    "{}{}:{}{}",
                    data.name,
                    if data.required { "" } else { "?" },
                    type_name(api, schema),
                    if query { " (query)" } else { "" }
                ))
            })
            .collect();
        params.sort();
        let body = op
            .operation
            .request_body
            .as_ref()
            .and_then(ReferenceOr::as_item)
            .and_then(|body| body.content.get("application/json")?.schema.as_ref())
            .map_or_else(|| "-".to_owned(), |schema| type_name(api, schema));
        let success: Vec<String> = op
            .operation
            .responses
            .responses
            .iter()
            .filter_map(|(status, response)| {
                let response = document::response(components, response)?;
                Some(match document::json_body_schema(&response.content) {
                    Some(schema) => format!("{status} {schema}"),
                    None => format!("{status} (no body)"),
                })
            })
            .collect();
        rows.insert(
            op.operation.operation_id.clone().unwrap_or_default(),
            vec![
                op.method.to_uppercase(),
                format!("`{}`", op.path),
                params.join(", "),
                body,
                success.join("; "),
            ],
        );
    }
    rows
}

/// The reference's `### <version>: <n> operations` section for `api`.
pub fn operations_section(version: &str, api: &OpenAPI) -> String {
    let rows = operation_rows(api);
    let mut section = format!(
        "### {version}: {} operations\n\n| name | method | path | parameters | body | success |\n|---|---|---|---|---|---|\n",
        rows.len()
    );
    for (name, cells) in &rows {
        section.push_str(&format!("| `{name}` | {} |\n", cells.join(" | ")));
    }
    section
}

/// The reference with the section of `version` written: replaced where it has one, else
/// added after the last version's section, before `## What differs between the versions`.
pub fn with_operations_section(reference: &str, version: &str, api: &OpenAPI) -> String {
    let section = operations_section(version, api);
    let heading = format!("### {version}: ");
    if let Some(start) = reference.find(&heading) {
        let end = reference[start + heading.len()..]
            .find("\n#")
            .map_or(reference.len(), |at| start + heading.len() + at + 1);
        return format!("{}{section}\n{}", &reference[..start], &reference[end..]);
    }
    match reference.find("## What differs between the versions") {
        Some(at) => format!("{}{section}\n{}", &reference[..at], &reference[at..]),
        None => format!("{reference}\n{section}"),
    }
}

/// A schema in the reference's words: a type name, `string`, `array<...>`, `map<string, ...>`.
pub fn type_name(api: &OpenAPI, schema: &ReferenceOr<Schema>) -> String {
    match schema {
        ReferenceOr::Reference { reference } => {
            let name = schema_name(reference).unwrap_or(reference);
            match name {
                "ObjectId" => "string".into(),
                "ErrorContext" => "map<string, array<string>>".into(),
                // The reference names both 2025-09 shapes `AssociationSpecWithLabel`.
                "AssociationSpecWithLabelNoObjectTypeIds" => "AssociationSpecWithLabel".into(),
                _ => match document::component_schema(api, name).map(|s| &s.schema_kind) {
                    Some(SchemaKind::Type(Type::String(s))) if !s.enumeration.is_empty() => {
                        let mut values: Vec<_> = s.enumeration.iter().flatten().cloned().collect();
                        values.sort();
                        format!("string enum{{{}}}", values.join(", "))
                    }
                    _ => name.to_owned(),
                },
            }
        }
        ReferenceOr::Item(schema) => inline_type(api, schema),
    }
}

/// A boxed schema (a property, an array's items) in the reference's words.
pub fn boxed_type(api: &OpenAPI, schema: &ReferenceOr<Box<Schema>>) -> String {
    match schema {
        ReferenceOr::Reference { reference } => type_name(api, &ReferenceOr::ref_(reference)),
        ReferenceOr::Item(schema) => inline_type(api, schema),
    }
}

/// An inline schema in the reference's words.
fn inline_type(api: &OpenAPI, schema: &Schema) -> String {
    match &schema.schema_kind {
        SchemaKind::Any(_) => "any".into(),
        SchemaKind::Type(Type::Array(array)) => match array.items.as_ref() {
            Some(items) => format!("array<{}>", boxed_type(api, items)),
            None => "array<any>".into(),
        },
        SchemaKind::Type(Type::Object(object)) => match &object.additional_properties {
            Some(openapiv3::AdditionalProperties::Schema(values)) => {
                format!("map<string, {}>", type_name(api, values))
            }
            _ if object.properties.is_empty() => "any-object".into(),
            _ => "object".into(),
        },
        kind => {
            let json = serde_json::to_value(kind).unwrap_or_default();
            let kind = json["type"].as_str().unwrap_or("any").to_owned();
            match json.get("format").and_then(|f| f.as_str()) {
                Some(format) => format!("{kind}({format})"),
                None => kind,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::tests::doc;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '2027-03'}
paths:
  /crm/associations/2027-03/{fromObjectType}/labels:
    get:
      operationId: list_labels
      parameters:
        - {name: fromObjectType, in: path, required: true, schema: {type: string}}
        - {name: after, in: query, required: false, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Page'}}}}
components:
  schemas:
    Page: {type: object, properties: {results: {type: array, items: {type: string}}}}
"#;

    #[test]
    fn a_version_section_is_added_before_the_differences_and_replaced_after() {
        let api = doc(SPEC);
        let reference = "## Operations\n### v4: 1 operations\n\n| old |\n\n## What differs between the versions\n";
        let added = with_operations_section(reference, "2027-03", &api);
        assert_eq!(
            added,
            "## Operations\n### v4: 1 operations\n\n| old |\n\n### 2027-03: 1 operations\n\n\
             | name | method | path | parameters | body | success |\n|---|---|---|---|---|---|\n\
             | `list_labels` | GET | `/crm/associations/2027-03/{fromObjectType}/labels` | \
             after?:string (query), fromObjectType:string | - | 200 Page |\n\n\
             ## What differs between the versions\n"
        );
        // Written again, the section is replaced, not repeated.
        assert_eq!(with_operations_section(&added, "2027-03", &api), added);
    }
}
