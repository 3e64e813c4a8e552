//! Reading an OpenAPI document: its operations in order, its references, and the shapes of
//! its schemas.

use openapiv3::{
    Components, OpenAPI, Operation, Parameter, ReferenceOr, Response, Schema, StatusCode,
};
use serde_json::Value;

/// The prefix of every schema reference the generator understands.
pub const SCHEMA_REF: &str = "#/components/schemas/";

/// One operation with where it lives.
pub struct OperationAt<'a> {
    /// The path template, such as `/crm/v4/objects/{objectType}`.
    pub path: &'a str,
    /// Lower case, as OpenAPI spells it: `get`, `post`...
    pub method: &'a str,
    /// The operation itself.
    pub operation: &'a Operation,
}

/// Every operation of the document, in document order.
pub fn operations(api: &OpenAPI) -> impl Iterator<Item = OperationAt<'_>> {
    api.paths.paths.iter().flat_map(|(path, item)| {
        item.as_item()
            .into_iter()
            .flat_map(|item| item.iter())
            .map(move |(method, operation)| OperationAt {
                path: path.as_str(),
                method,
                operation,
            })
    })
}

/// Every operation of the document, mutably.
pub fn operations_mut(api: &mut OpenAPI) -> impl Iterator<Item = &mut Operation> {
    api.paths.paths.values_mut().flat_map(|item| match item {
        ReferenceOr::Item(item) => vec![
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.options.as_mut(),
            item.head.as_mut(),
            item.patch.as_mut(),
            item.trace.as_mut(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>(),
        ReferenceOr::Reference { .. } => Vec::new(),
    })
}

/// The name a `#/components/schemas/Name` reference points at.
pub fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix(SCHEMA_REF)
}

/// Resolves a parameter, following a `#/components/parameters/...` reference.
pub fn parameter<'a>(
    components: Option<&'a Components>,
    parameter: &'a ReferenceOr<Parameter>,
) -> Option<&'a Parameter> {
    match parameter {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { reference } => components?
            .parameters
            .get(reference.strip_prefix("#/components/parameters/")?)?
            .as_item(),
    }
}

/// Resolves a response, following a `#/components/responses/...` reference.
pub fn response<'a>(
    components: Option<&'a Components>,
    response: &'a ReferenceOr<Response>,
) -> Option<&'a Response> {
    match response {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { reference } => components?
            .responses
            .get(reference.strip_prefix("#/components/responses/")?)?
            .as_item(),
    }
}

/// Whether a status (code or range) means success.
pub fn is_success(status: &StatusCode) -> bool {
    match status {
        StatusCode::Code(code) => (200..300).contains(code),
        StatusCode::Range(range) => *range == 2,
    }
}

/// The schema a JSON body refers to, by component name; `None` for no body or another shape.
pub fn json_body_schema(
    content: &indexmap::IndexMap<String, openapiv3::MediaType>,
) -> Option<&str> {
    match content.get("application/json")?.schema.as_ref()? {
        ReferenceOr::Reference { reference } => schema_name(reference),
        ReferenceOr::Item(_) => None,
    }
}

/// A component schema by name.
pub fn component_schema<'a>(api: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    api.components.as_ref()?.schemas.get(name)?.as_item()
}

/// The shape of a schema: the schema as JSON without the words meant for people.
///
/// Two schemas with equal shapes accept the same payloads.
pub fn shape(schema: &impl serde::Serialize) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for key in ["description", "example", "examples", "title", "summary"] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(schema).unwrap_or(Value::Null);
    strip(&mut value);
    value
}

/// Whether every payload of schema `narrow` decodes as schema `wide`: `wide` has every property
/// of `narrow` with the same shape, and requires nothing that `narrow` may leave out.
pub fn accepts_all_of(wide: &Schema, narrow: &Schema) -> bool {
    use openapiv3::{SchemaKind, Type};
    let (SchemaKind::Type(Type::Object(wide)), SchemaKind::Type(Type::Object(narrow))) =
        (&wide.schema_kind, &narrow.schema_kind)
    else {
        return shape(wide) == shape(narrow);
    };
    narrow.properties.iter().all(|(name, schema)| {
        wide.properties
            .get(name)
            .is_some_and(|other| shape(other) == shape(schema))
    }) && wide
        .required
        .iter()
        .all(|name| narrow.required.contains(name))
}

/// Among the named component schemas, the one that accepts every payload of all the others.
pub fn widest<'a>(api: &OpenAPI, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|candidate| {
        let Some(wide) = component_schema(api, candidate) else {
            return false;
        };
        names.iter().all(|other| {
            component_schema(api, other).is_some_and(|narrow| accepts_all_of(wide, narrow))
        })
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A document from YAML, for tests of every stage.
    pub fn doc(yaml: &str) -> OpenAPI {
        serde_norway::from_str(yaml).expect("test YAML is a valid OpenAPI document")
    }

    const TWO_SHAPES: &str = r#"
openapi: 3.0.3
info: {title: t, version: v4}
paths: {}
components:
  schemas:
    Narrow:
      type: object
      required: [a]
      properties:
        a: {type: string, description: one wording}
    Wide:
      type: object
      required: [a]
      properties:
        a: {type: string, description: another wording}
        errors: {type: array, items: {type: string}}
    Stricter:
      type: object
      required: [a, errors]
      properties:
        a: {type: string}
        errors: {type: array, items: {type: string}}
"#;

    #[test]
    fn the_widest_schema_accepts_the_others_whatever_their_descriptions() {
        let api = doc(TWO_SHAPES);
        assert_eq!(widest(&api, &["Narrow", "Wide"]), Some("Wide"));
        assert_eq!(widest(&api, &["Wide", "Narrow"]), Some("Wide"));
    }

    #[test]
    fn a_schema_that_requires_more_is_not_wider() {
        let api = doc(TWO_SHAPES);
        assert_eq!(widest(&api, &["Narrow", "Stricter"]), None);
    }
}
