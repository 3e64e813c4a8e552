//! Stage 3: rewrite the validated specs into the form the generator reads.
//!
//! Each pass is a small pure function with a before-and-after test. The specs under `spec/`
//! keep saying what HubSpot documents; the passes adapt that to what a client must do with it.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{
    AdditionalProperties, AnySchema, OpenAPI, ReferenceOr, Response, Schema, SchemaKind,
    StatusCode, StringType, Type,
};

use crate::document::{self, schema_name};
use crate::load::Spec;

/// Marks a response a pass added, so that what HubSpot documents can still be told apart.
pub const ADDED: &str = "x-added-by-normalization";

/// Runs every pass over every spec.
pub fn normalize(mut specs: Vec<Spec>) -> Vec<Spec> {
    for spec in &mut specs {
        merge_success_bodies(&mut spec.api);
        relax_error_schemas(&mut spec.api);
        widen_epoch_milliseconds(&mut spec.api);
        rename_shadowing_schemas(&mut spec.api);
    }
    let versions: Vec<&mut OpenAPI> = specs.iter_mut().map(|spec| &mut spec.api).collect();
    tolerate_bodiless_success(versions);
    specs
}

/// An operation whose 2xx responses have different bodies (HubSpot's 201 and 207) gets the
/// widest of them for every 2xx, so that it has one success type.
///
/// Validation has made sure that one body accepts every payload of the others.
pub fn merge_success_bodies(api: &mut OpenAPI) {
    let components = api.components.clone();
    let mut merges: BTreeMap<String, String> = BTreeMap::new();
    for op in document::operations(api) {
        let Some(id) = &op.operation.operation_id else {
            continue;
        };
        let mut bodies: Vec<&str> = op
            .operation
            .responses
            .responses
            .iter()
            .filter(|(status, _)| document::is_success(status))
            .filter_map(|(_, response)| document::response(components.as_ref(), response))
            .filter_map(|response| document::json_body_schema(&response.content))
            .collect();
        bodies.sort_unstable();
        bodies.dedup();
        if bodies.len() > 1
            && let Some(widest) = document::widest(api, &bodies)
        {
            merges.insert(id.clone(), widest.to_owned());
        }
    }
    for operation in document::operations_mut(api) {
        let Some(widest) = operation
            .operation_id
            .as_ref()
            .and_then(|id| merges.get(id))
        else {
            continue;
        };
        for (status, response) in operation.responses.responses.iter_mut() {
            if !document::is_success(status) {
                continue;
            }
            let mut inline = match document::response(components.as_ref(), response) {
                Some(found) => found.clone(),
                None => continue,
            };
            if let Some(media) = inline.content.get_mut("application/json") {
                media.schema = Some(ReferenceOr::Reference {
                    reference: format!("{}{widest}", document::SCHEMA_REF),
                });
                *response = ReferenceOr::Item(inline);
            }
        }
    }
}

/// HubSpot says to treat every field of an error body as optional: the schemas of error
/// responses, and of every `errors` list (see [`lenient_schemas`]), lose their required fields
/// and their string formats, and their free-form objects accept any JSON. The model then makes
/// each of their fields `Lenient`, so that a field of another JSON type than documented (an
/// error `id` sent as a number) decodes too, as the JSON it is.
pub fn relax_error_schemas(api: &mut OpenAPI) {
    let relaxed = lenient_schemas(api);
    let Some(schemas) = api.components.as_mut().map(|c| &mut c.schemas) else {
        return;
    };
    for name in relaxed {
        if let Some(ReferenceOr::Item(schema)) = schemas.get_mut(&name) {
            relax(schema);
        }
    }
}

/// The schemas of error answers: those of the error responses, those the items of an
/// `errors` list name, and every schema they refer to.
pub fn lenient_schemas(api: &OpenAPI) -> BTreeSet<String> {
    let components = api.components.as_ref();
    let mut roots: BTreeSet<String> = BTreeSet::new();
    for op in document::operations(api) {
        let responses = &op.operation.responses;
        let errors = responses
            .responses
            .iter()
            .filter(|(status, _)| !document::is_success(status))
            .map(|(_, response)| response)
            .chain(responses.default.as_ref());
        for response in errors {
            if let Some(response) = document::response(components, response) {
                roots.extend(document::json_body_schema(&response.content).map(str::to_owned));
            }
        }
    }
    let Some(schemas) = components.map(|c| &c.schemas) else {
        return roots;
    };
    for schema in schemas.values() {
        if let ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Object(object)),
            ..
        }) = schema
            && let Some(ReferenceOr::Item(errors)) = object.properties.get("errors")
            && let SchemaKind::Type(Type::Array(array)) = &errors.schema_kind
            && let Some(ReferenceOr::Reference { reference }) = &array.items
        {
            roots.extend(schema_name(reference).map(str::to_owned));
        }
    }
    reachable(schemas, roots)
        .into_iter()
        .filter(|name| {
            !crate::rust_types::RUNTIME_TYPES
                .iter()
                .any(|(runtime, _)| runtime == name)
        })
        .collect()
}

/// The named schemas reachable from `roots` through references.
fn reachable(
    schemas: &indexmap::IndexMap<String, ReferenceOr<Schema>>,
    roots: BTreeSet<String>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = roots.into_iter().collect();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&name) {
            queue.extend(document::schema_refs(schema));
        }
    }
    seen
}

/// An error schema, and every schema inside it, as the lenient error types read it: no field
/// required, no string format, and an object with neither properties nor typed values free.
fn relax(schema: &mut Schema) {
    document::visit_schemas_mut(schema, &mut |_, schema| match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            object.required.clear();
            let free_form = object.properties.is_empty()
                && !matches!(
                    object.additional_properties,
                    Some(AdditionalProperties::Schema(_))
                );
            if free_form {
                schema.schema_kind = SchemaKind::Any(AnySchema::default());
            }
        }
        SchemaKind::Type(Type::String(StringType { format, .. })) => {
            *format = openapiv3::VariantOrUnknownOrEmpty::Empty;
        }
        _ => {}
    });
}

/// What a description says of an integer that holds an epoch-milliseconds timestamp.
pub const EPOCH_MILLISECONDS: &str = "milliseconds since the unix epoch";

/// An integer documented as `int32` that holds milliseconds since the Unix epoch decodes into
/// 64 bits: today's timestamps have 13 digits and overflow 32 bits. HubSpot's preview of 2026-09
/// documented `DateTime.value` as `int32`, and a client that believed it failed on every real
/// report; the next version may do the same.
///
/// Such an integer is recognised by its description (see [`EPOCH_MILLISECONDS`]), which the
/// spec writes for every timestamp. Counts, type ids and user ids stay 32-bit: their values fit.
pub fn widen_epoch_milliseconds(api: &mut OpenAPI) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        if let ReferenceOr::Item(schema) = schema {
            document::visit_schemas_mut(schema, &mut |_, schema| {
                let is_epoch = schema
                    .schema_data
                    .description
                    .as_deref()
                    .is_some_and(|text| text.to_lowercase().contains(EPOCH_MILLISECONDS));
                if let SchemaKind::Type(Type::Integer(integer)) = &mut schema.schema_kind
                    && is_epoch
                {
                    integer.format =
                        openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64);
                }
            });
        }
    }
}

/// Schema names that, as Rust types, would shadow the crate's own `Error` and `Response`,
/// chrono's `DateTime`, or the prelude's types in a program that imports a version's `types`.
pub const SHADOWING: [&str; 7] = [
    "Error", "Response", "DateTime", "Result", "Option", "String", "Vec",
];

/// A schema whose name would shadow a type every program uses (see [`SHADOWING`]) is renamed
/// `HubSpot<Name>`, and every reference to it follows: HubSpot's `Error` body and `DateTime`
/// become `types::HubSpotError` and `types::HubSpotDateTime`.
pub fn rename_shadowing_schemas(api: &mut OpenAPI) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let renamed: BTreeMap<String, String> = components
        .schemas
        .keys()
        .filter(|name| SHADOWING.contains(&name.as_str()))
        .map(|name| (name.clone(), format!("HubSpot{name}")))
        .collect();
    if renamed.is_empty() {
        return;
    }
    components.schemas = std::mem::take(&mut components.schemas)
        .into_iter()
        .map(|(name, schema)| (renamed.get(&name).cloned().unwrap_or(name), schema))
        .collect();
    document::visit_refs_mut(api, &mut |_, reference| {
        if let Some(new) = schema_name(reference).and_then(|name| renamed.get(name)) {
            *reference = format!("{}{new}", document::SCHEMA_REF);
        }
    });
}

/// When an operation answers without a body in one version (`204`) and with a body in
/// another, the versions with a body also accept an empty `204`: HubSpot has changed the
/// success code of a live version before, and the work was done all the same.
pub fn tolerate_bodiless_success(versions: Vec<&mut OpenAPI>) {
    let mut bodiless: BTreeMap<String, String> = BTreeMap::new();
    for api in &versions {
        for op in document::operations(api) {
            let Some(id) = &op.operation.operation_id else {
                continue;
            };
            let empty_success = op
                .operation
                .responses
                .responses
                .iter()
                .filter(|(status, _)| document::is_success(status))
                .filter_map(|(_, r)| document::response(api.components.as_ref(), r))
                .any(|response| response.content.is_empty());
            if empty_success {
                bodiless
                    .entry(id.clone())
                    .or_insert_with(|| api.info.version.clone());
            }
        }
    }
    for api in versions {
        for operation in document::operations_mut(api) {
            let Some(version) = operation
                .operation_id
                .as_ref()
                .and_then(|id| bodiless.get(id))
            else {
                continue;
            };
            let has_empty = operation
                .responses
                .responses
                .iter()
                .any(|(status, response)| {
                    document::is_success(status)
                        && matches!(response, ReferenceOr::Item(r) if r.content.is_empty())
                });
            if !has_empty {
                operation.responses.responses.insert(
                    StatusCode::Code(204),
                    ReferenceOr::Item(Response {
                        description: format!(
                            "No content: version {version} answers this operation without a body."
                        ),
                        extensions: [(ADDED.to_owned(), serde_json::Value::Bool(true))]
                            .into_iter()
                            .collect(),
                        ..Response::default()
                    }),
                );
                operation.responses.responses.sort_keys();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::tests::doc;

    fn json(api: &OpenAPI, pointer: &str) -> serde_json::Value {
        serde_json::to_value(api)
            .unwrap()
            .pointer(pointer)
            .cloned()
            .unwrap_or_default()
    }

    const BATCH: &str = r#"
openapi: 3.0.3
info: {title: t, version: v4}
paths:
  /crm/v4/x/batch/create:
    post:
      operationId: batch_create
      responses:
        '201':
          description: all created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Created'}
        '207':
          description: some failed
          content:
            application/json:
              schema: {$ref: '#/components/schemas/CreatedWithErrors'}
        default:
          description: error
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
components:
  schemas:
    Created:
      type: object
      required: [results]
      properties:
        results: {type: array, items: {type: string}}
    CreatedWithErrors:
      type: object
      required: [results]
      properties:
        results: {type: array, items: {type: string}}
        errors: {type: array, items: {$ref: '#/components/schemas/StandardError'}}
    StandardError:
      type: object
      required: [message, context]
      properties:
        message: {type: string}
        subCategory: {type: object}
        context: {$ref: '#/components/schemas/Context'}
    Context:
      type: object
      required: [k]
      properties:
        k: {type: string}
    Error:
      type: object
      required: [category, correlationId]
      properties:
        category: {type: string}
        correlationId: {type: string, format: uuid}
"#;

    #[test]
    fn merge_success_bodies_gives_every_2xx_the_widest_body() {
        let mut api = doc(BATCH);
        let before = "/paths/~1crm~1v4~1x~1batch~1create/post/responses/201/content/application~1json/schema/$ref";
        assert_eq!(json(&api, before), "#/components/schemas/Created");
        merge_success_bodies(&mut api);
        assert_eq!(json(&api, before), "#/components/schemas/CreatedWithErrors");
        let after_207 = before.replace("/201/", "/207/");
        assert_eq!(
            json(&api, &after_207),
            "#/components/schemas/CreatedWithErrors"
        );
        let error = before.replace("/201/", "/default/");
        assert_eq!(
            json(&api, &error),
            "#/components/schemas/Error",
            "errors are left alone"
        );
    }

    #[test]
    fn relax_error_schemas_makes_error_fields_optional_and_lenient() {
        let mut api = doc(BATCH);
        assert_eq!(
            json(&api, "/components/schemas/Error/required"),
            serde_json::json!(["category", "correlationId"])
        );
        assert_eq!(
            json(
                &api,
                "/components/schemas/Error/properties/correlationId/format"
            ),
            "uuid"
        );
        assert_eq!(
            json(
                &api,
                "/components/schemas/StandardError/properties/subCategory/type"
            ),
            "object"
        );
        relax_error_schemas(&mut api);
        // The default response's schema and the items of an `errors` list are relaxed...
        assert_eq!(
            json(&api, "/components/schemas/Error/required"),
            serde_json::Value::Null
        );
        assert_eq!(
            json(
                &api,
                "/components/schemas/Error/properties/correlationId/format"
            ),
            serde_json::Value::Null
        );
        assert_eq!(
            json(&api, "/components/schemas/StandardError/required"),
            serde_json::Value::Null
        );
        assert_eq!(
            json(
                &api,
                "/components/schemas/StandardError/properties/subCategory"
            ),
            serde_json::json!({})
        );
        // ...and so is what they reference, but not the success bodies.
        assert_eq!(
            json(&api, "/components/schemas/Context/required"),
            serde_json::Value::Null
        );
        assert_eq!(
            json(&api, "/components/schemas/Created/required"),
            serde_json::json!(["results"])
        );
    }

    #[test]
    fn widen_epoch_milliseconds_gives_timestamps_64_bits_and_leaves_counts_alone() {
        let mut api = doc(r#"
openapi: 3.0.3
info: {title: t, version: '2026-09'}
paths: {}
components:
  schemas:
    DateTime:
      type: object
      properties:
        value: {type: integer, format: int32, description: Milliseconds since the Unix epoch.}
        timeZoneShift: {type: integer, format: int32, description: The time zone offset.}
        byName:
          type: object
          description: Timestamps by name.
          additionalProperties: {type: integer, format: int32, description: Milliseconds since the Unix epoch.}
        either:
          description: A timestamp or a note.
          oneOf:
            - {type: integer, format: int32, description: Milliseconds since the Unix epoch.}
            - {type: string}
"#);
        let value = "/components/schemas/DateTime/properties/value/format";
        let shift = "/components/schemas/DateTime/properties/timeZoneShift/format";
        let map = "/components/schemas/DateTime/properties/byName/additionalProperties/format";
        let member = "/components/schemas/DateTime/properties/either/oneOf/0/format";
        assert_eq!(json(&api, value), "int32");
        widen_epoch_milliseconds(&mut api);
        assert_eq!(json(&api, value), "int64");
        assert_eq!(json(&api, shift), "int32", "a count keeps its width");
        // The one walk reaches a map's values and a composition's members too.
        assert_eq!(json(&api, map), "int64");
        assert_eq!(json(&api, member), "int64");
    }

    #[test]
    fn rename_shadowing_schemas_renames_the_schema_and_every_reference() {
        let mut api = doc(BATCH);
        let error = "/paths/~1crm~1v4~1x~1batch~1create/post/responses/default/content/application~1json/schema/$ref";
        assert_eq!(json(&api, error), "#/components/schemas/Error");
        rename_shadowing_schemas(&mut api);
        assert_eq!(json(&api, error), "#/components/schemas/HubSpotError");
        assert!(json(&api, "/components/schemas/HubSpotError").is_object());
        assert_eq!(
            json(&api, "/components/schemas/Error"),
            serde_json::Value::Null
        );
        assert!(
            json(&api, "/components/schemas/StandardError").is_object(),
            "names that shadow nothing stay"
        );
    }

    #[test]
    fn tolerate_bodiless_success_adds_204_where_another_version_has_no_body() {
        let v4 = r#"
openapi: 3.0.3
info: {title: t, version: v4}
paths:
  /crm/v4/x/batch/archive:
    post:
      operationId: batch_archive
      responses:
        '204': {description: removed}
"#;
        let dated = r#"
openapi: 3.0.3
info: {title: t, version: '2026-03'}
paths:
  /crm/associations/2026-03/x/batch/archive:
    post:
      operationId: batch_archive
      responses:
        '200':
          description: outcome
          content:
            application/json:
              schema: {$ref: '#/components/schemas/BatchResponse'}
components:
  schemas:
    BatchResponse: {type: object}
"#;
        let (mut old, mut new) = (doc(v4), doc(dated));
        let responses = "/paths/~1crm~1associations~12026-03~1x~1batch~1archive/post/responses";
        assert_eq!(
            json(&new, &format!("{responses}/204")),
            serde_json::Value::Null
        );
        tolerate_bodiless_success(vec![&mut old, &mut new]);
        assert_eq!(
            json(&new, &format!("{responses}/204/description")),
            "No content: version v4 answers this operation without a body."
        );
        assert!(
            json(&new, &format!("{responses}/200")).is_object(),
            "the body stays"
        );
        let old_responses = serde_json::to_value(&old).unwrap();
        assert_eq!(
            old_responses
                .pointer("/paths/~1crm~1v4~1x~1batch~1archive/post/responses")
                .unwrap(),
            &serde_json::json!({"204": {"description": "removed"}}),
            "a version without a body is unchanged"
        );
    }
}
