//! Reading an OpenAPI document: its operations in order, its references, and the shapes of
//! its schemas.

use openapiv3::{
    Components, OpenAPI, Operation, Parameter, ReferenceOr, Response, Schema, StatusCode,
};
use serde_json::Value;

use crate::path_template::PathTemplate;

/// The prefix of every schema reference the generator understands.
pub const SCHEMA_REF: &str = "#/components/schemas/";

/// One operation with where it lives.
pub struct OperationAt<'a> {
    /// The path as the document spells it (the key of its path item, for pointers).
    pub path: &'a str,
    /// Lower case, as OpenAPI spells it: `get`, `post`...
    pub method: &'a str,
    /// The operation itself.
    pub operation: &'a Operation,
}

impl OperationAt<'_> {
    /// The path parsed (see [`PathTemplate`]).
    pub fn template(&self) -> PathTemplate {
        PathTemplate::parse(self.path)
    }

    /// The example of its first documented success body: its `example`, or the value of its
    /// first `examples` entry.
    pub fn success_example(&self, api: &OpenAPI) -> Option<Value> {
        let media = self
            .operation
            .responses
            .responses
            .iter()
            .filter(|(status, _)| is_success(status))
            .find_map(|(_, answer)| {
                response(api.components.as_ref(), answer)?
                    .content
                    .get("application/json")
            })?;
        media.example.clone().or_else(|| {
            media
                .examples
                .values()
                .find_map(|example| example.as_item()?.value.clone())
        })
    }
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

/// A property of an object schema.
pub fn property<'a>(schema: &'a Schema, name: &str) -> Option<&'a ReferenceOr<Box<Schema>>> {
    match &schema.schema_kind {
        openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) => object.properties.get(name),
        _ => None,
    }
}

/// The property names of an object schema.
pub fn property_names(schema: &Schema) -> Vec<&str> {
    match &schema.schema_kind {
        openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) => {
            object.properties.keys().map(String::as_str).collect()
        }
        _ => Vec::new(),
    }
}

/// The items of an array schema.
pub fn items(schema: &ReferenceOr<Box<Schema>>) -> Option<&ReferenceOr<Box<Schema>>> {
    match &schema.as_item()?.schema_kind {
        openapiv3::SchemaKind::Type(openapiv3::Type::Array(array)) => array.items.as_ref(),
        _ => None,
    }
}

/// The component a schema refers to, by name.
pub fn ref_name(schema: &ReferenceOr<Box<Schema>>) -> Option<&str> {
    match schema {
        ReferenceOr::Reference { reference } => schema_name(reference),
        ReferenceOr::Item(_) => None,
    }
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

/// Where a visit is in the document, as the tokens of a JSON pointer.
type At = Vec<String>;

/// The one walk over a document's references: calls `visit` with the JSON pointer of every
/// `$ref` in paths and components (operations' parameters, bodies and responses, and every
/// schema at any depth) and the reference, which it may rewrite.
pub fn visit_refs_mut(api: &mut OpenAPI, visit: &mut dyn FnMut(&[String], &mut String)) {
    let mut at: At = vec!["paths".into()];
    for (path, item) in api.paths.paths.iter_mut() {
        at.push(path.clone());
        match item {
            ReferenceOr::Reference { reference } => visit(&at, reference),
            ReferenceOr::Item(item) => {
                for (method, operation) in [
                    ("get", item.get.as_mut()),
                    ("put", item.put.as_mut()),
                    ("post", item.post.as_mut()),
                    ("delete", item.delete.as_mut()),
                    ("options", item.options.as_mut()),
                    ("head", item.head.as_mut()),
                    ("patch", item.patch.as_mut()),
                    ("trace", item.trace.as_mut()),
                ] {
                    if let Some(operation) = operation {
                        at.push(method.into());
                        operation_refs(operation, &mut at, visit);
                        at.pop();
                    }
                }
                for (index, parameter) in item.parameters.iter_mut().enumerate() {
                    with(&mut at, ["parameters".into(), index.to_string()], |at| {
                        parameter_refs(parameter, at, visit)
                    });
                }
            }
        }
        at.pop();
    }
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let mut at: At = vec!["components".into()];
    for (name, schema) in components.schemas.iter_mut() {
        with(&mut at, ["schemas".into(), name.clone()], |at| {
            schema_refs_mut(schema, at, visit)
        });
    }
    for (name, response) in components.responses.iter_mut() {
        with(&mut at, ["responses".into(), name.clone()], |at| {
            response_refs(response, at, visit)
        });
    }
    for (name, parameter) in components.parameters.iter_mut() {
        with(&mut at, ["parameters".into(), name.clone()], |at| {
            parameter_refs(parameter, at, visit)
        });
    }
    for (name, body) in components.request_bodies.iter_mut() {
        with(&mut at, ["requestBodies".into(), name.clone()], |at| {
            body_refs(body, at, visit)
        });
    }
}

/// Every reference of the document with its JSON pointer (of the `$ref` key).
pub fn refs(api: &OpenAPI) -> Vec<(String, String)> {
    let mut found = Vec::new();
    visit_refs_mut(&mut api.clone(), &mut |at, reference| {
        let mut tokens = at.to_vec();
        tokens.push("$ref".into());
        found.push((
            crate::diagnostics::pointer(tokens.iter()),
            reference.clone(),
        ));
    });
    found
}

/// The names of the schemas a schema refers to, at any depth.
pub fn schema_refs(schema: &ReferenceOr<Schema>) -> Vec<String> {
    let mut found = Vec::new();
    schema_refs_mut(&mut schema.clone(), &mut Vec::new(), &mut |_, reference| {
        found.extend(schema_name(reference).map(str::to_owned));
    });
    found
}

/// Runs `walk` with `tokens` pushed onto `at`.
fn with<const N: usize>(at: &mut At, tokens: [String; N], walk: impl FnOnce(&mut At)) {
    let depth = at.len();
    at.extend(tokens);
    walk(at);
    at.truncate(depth);
}

fn operation_refs(
    operation: &mut Operation,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    for (index, parameter) in operation.parameters.iter_mut().enumerate() {
        with(at, ["parameters".into(), index.to_string()], |at| {
            parameter_refs(parameter, at, visit)
        });
    }
    if let Some(body) = operation.request_body.as_mut() {
        with(at, ["requestBody".into()], |at| body_refs(body, at, visit));
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        with(at, ["responses".into(), status.to_string()], |at| {
            response_refs(response, at, visit)
        });
    }
    if let Some(response) = operation.responses.default.as_mut() {
        with(at, ["responses".into(), "default".into()], |at| {
            response_refs(response, at, visit)
        });
    }
}

fn parameter_refs(
    parameter: &mut ReferenceOr<Parameter>,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    match parameter {
        ReferenceOr::Reference { reference } => visit(at, reference),
        ReferenceOr::Item(
            Parameter::Query { parameter_data, .. }
            | Parameter::Header { parameter_data, .. }
            | Parameter::Path { parameter_data, .. }
            | Parameter::Cookie { parameter_data, .. },
        ) => match &mut parameter_data.format {
            openapiv3::ParameterSchemaOrContent::Schema(schema) => {
                with(at, ["schema".into()], |at| {
                    schema_refs_mut(schema, at, visit)
                });
            }
            openapiv3::ParameterSchemaOrContent::Content(content) => {
                content_refs(content, at, visit)
            }
        },
    }
}

fn body_refs(
    body: &mut ReferenceOr<openapiv3::RequestBody>,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    match body {
        ReferenceOr::Reference { reference } => visit(at, reference),
        ReferenceOr::Item(body) => content_refs(&mut body.content, at, visit),
    }
}

fn response_refs(
    response: &mut ReferenceOr<Response>,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    match response {
        ReferenceOr::Reference { reference } => visit(at, reference),
        ReferenceOr::Item(response) => content_refs(&mut response.content, at, visit),
    }
}

fn content_refs(
    content: &mut indexmap::IndexMap<String, openapiv3::MediaType>,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    for (media, value) in content.iter_mut() {
        if let Some(schema) = value.schema.as_mut() {
            with(
                at,
                ["content".into(), media.clone(), "schema".into()],
                |at| schema_refs_mut(schema, at, visit),
            );
        }
    }
}

/// A schema, or the reference in its place.
fn schema_refs_mut(
    schema: &mut ReferenceOr<Schema>,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    match schema {
        ReferenceOr::Reference { reference } => visit(at, reference),
        ReferenceOr::Item(schema) => schema_item_refs(schema, at, visit),
    }
}

/// A boxed schema (a property, the items of an array), or the reference in its place.
fn boxed_refs(
    schema: &mut ReferenceOr<Box<Schema>>,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    match schema {
        ReferenceOr::Reference { reference } => visit(at, reference),
        ReferenceOr::Item(schema) => schema_item_refs(schema, at, visit),
    }
}

/// Everything in a schema: properties, items, additional properties and the
/// `allOf`/`anyOf`/`oneOf`/`not` members.
fn schema_item_refs(
    schema: &mut Schema,
    at: &mut At,
    visit: &mut dyn FnMut(&[String], &mut String),
) {
    use openapiv3::{AdditionalProperties, SchemaKind, Type};
    let mut members = |members: &mut Vec<ReferenceOr<Schema>>, name: &str, at: &mut At| {
        for (index, member) in members.iter_mut().enumerate() {
            with(at, [name.to_owned(), index.to_string()], |at| {
                schema_refs_mut(member, at, visit)
            });
        }
    };
    match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            for (name, property) in object.properties.iter_mut() {
                with(at, ["properties".into(), name.clone()], |at| {
                    boxed_refs(property, at, visit)
                });
            }
            if let Some(AdditionalProperties::Schema(values)) =
                object.additional_properties.as_mut()
            {
                with(at, ["additionalProperties".into()], |at| {
                    schema_refs_mut(values, at, visit)
                });
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = array.items.as_mut() {
                with(at, ["items".into()], |at| boxed_refs(items, at, visit));
            }
        }
        SchemaKind::AllOf { all_of } => members(all_of, "allOf", at),
        SchemaKind::AnyOf { any_of } => members(any_of, "anyOf", at),
        SchemaKind::OneOf { one_of } => members(one_of, "oneOf", at),
        SchemaKind::Not { not } => with(at, ["not".into()], |at| schema_refs_mut(not, at, visit)),
        _ => {}
    }
}

/// The one walk over a schema's inline schemas: `visit` sees `schema`, then each schema written
/// inside it at any depth (properties, items, additional properties, and the
/// `allOf`/`anyOf`/`oneOf`/`not` members), each before what it holds, with the JSON pointer
/// tokens from `schema` to it. `visit` may change a schema; the walk goes on into what it
/// left. References are not followed.
pub fn visit_schemas_mut(schema: &mut Schema, visit: &mut dyn FnMut(&[String], &mut Schema)) {
    walk_schemas(schema, &mut Vec::new(), visit);
}

fn walk_schemas(schema: &mut Schema, at: &mut At, visit: &mut dyn FnMut(&[String], &mut Schema)) {
    use openapiv3::{AdditionalProperties, SchemaKind, Type};
    visit(at, schema);
    let mut inner: Vec<(Vec<String>, &mut Schema)> = Vec::new();
    match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            for (name, property) in object.properties.iter_mut() {
                if let ReferenceOr::Item(property) = property {
                    inner.push((vec!["properties".into(), name.clone()], property));
                }
            }
            if let Some(AdditionalProperties::Schema(values)) =
                object.additional_properties.as_mut()
                && let ReferenceOr::Item(values) = values.as_mut()
            {
                inner.push((vec!["additionalProperties".into()], values));
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(ReferenceOr::Item(items)) = array.items.as_mut() {
                inner.push((vec!["items".into()], items));
            }
        }
        SchemaKind::AllOf { all_of: members } => inner.extend(members_of(members, "allOf")),
        SchemaKind::AnyOf { any_of: members } => inner.extend(members_of(members, "anyOf")),
        SchemaKind::OneOf { one_of: members } => inner.extend(members_of(members, "oneOf")),
        SchemaKind::Not { not } => {
            if let ReferenceOr::Item(not) = not.as_mut() {
                inner.push((vec!["not".into()], not));
            }
        }
        _ => {}
    }
    for (tokens, schema) in inner {
        let depth = at.len();
        at.extend(tokens);
        walk_schemas(schema, at, visit);
        at.truncate(depth);
    }
}

/// The inline members of a composition, each with its pointer tokens.
fn members_of<'a>(
    members: &'a mut [ReferenceOr<Schema>],
    name: &'a str,
) -> impl Iterator<Item = (Vec<String>, &'a mut Schema)> + 'a {
    members
        .iter_mut()
        .enumerate()
        .filter_map(move |(index, member)| match member {
            ReferenceOr::Item(member) => Some((vec![name.to_owned(), index.to_string()], member)),
            ReferenceOr::Reference { .. } => None,
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
    fn every_reference_is_visited_with_its_pointer_and_may_be_rewritten() {
        let mut api = doc(r#"
openapi: 3.0.3
info: {title: t, version: v4}
paths:
  /a/{id}:
    get:
      parameters: [{$ref: '#/components/parameters/id'}]
      requestBody: {content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/In'}}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Out'}}}}
        default: {$ref: '#/components/responses/Error'}
components:
  parameters:
    id: {name: id, in: path, required: true, schema: {type: string}}
  responses:
    Error: {description: e, content: {application/json: {schema: {$ref: '#/components/schemas/Out'}}}}
  schemas:
    In: {type: object}
    Out:
      type: object
      properties:
        list: {type: array, items: {$ref: '#/components/schemas/In'}}
        map: {type: object, additionalProperties: {$ref: '#/components/schemas/In'}}
"#);
        assert_eq!(
            refs(&api),
            [
                (
                    "/paths/~1a~1{id}/get/parameters/0/$ref",
                    "#/components/parameters/id"
                ),
                (
                    "/paths/~1a~1{id}/get/requestBody/content/application~1json/schema/items/$ref",
                    "#/components/schemas/In"
                ),
                (
                    "/paths/~1a~1{id}/get/responses/200/content/application~1json/schema/$ref",
                    "#/components/schemas/Out"
                ),
                (
                    "/paths/~1a~1{id}/get/responses/default/$ref",
                    "#/components/responses/Error"
                ),
                (
                    "/components/schemas/Out/properties/list/items/$ref",
                    "#/components/schemas/In"
                ),
                (
                    "/components/schemas/Out/properties/map/additionalProperties/$ref",
                    "#/components/schemas/In"
                ),
                (
                    "/components/responses/Error/content/application~1json/schema/$ref",
                    "#/components/schemas/Out"
                ),
            ]
            .map(|(at, target)| (at.to_owned(), target.to_owned()))
        );
        visit_refs_mut(&mut api, &mut |_, reference| {
            *reference = reference.replace("/In", "/Input");
        });
        assert_eq!(
            schema_refs(&api.components.as_ref().unwrap().schemas["Out"]),
            ["Input", "Input"]
        );
    }

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
