//! Stage 2: check that every spec can become a client, and say how to fix it when not.
//!
//! Each rule returns its problems; all of them are reported together. The rules cover what
//! would make progenitor panic (a missing or duplicate operationId, two 2xx body types, a lone
//! `default` response) and what would make the generated crate wrong (names that are not Rust
//! identifiers, enums that could not decode values HubSpot adds later, dangling references).

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, StatusCode, Type,
};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, pointer};
use crate::document::{self, OperationAt};
use crate::extensions::{
    LIFECYCLE, REMOVAL_PLACEHOLDER, REMOVED_OPERATIONS, Stage, removed_operations,
};
use crate::load::{Spec, is_version_name};
use crate::path_template::PathTemplate;

/// Checks every spec (each on a thread of its own) and the agreement between them.
pub fn check_all(specs: &[Spec]) -> Diagnostics {
    let mut problems = Diagnostics::default();
    for found in crate::parallel::map(specs, check) {
        problems.extend(found);
    }
    problems.extend(stable_operation_ids(specs));
    problems.extend(removals_declared(specs));
    problems
}

fn operation_names(api: &OpenAPI) -> BTreeSet<&str> {
    document::operations(api)
        .filter_map(|op| op.operation.operation_id.as_deref())
        .collect()
}

/// A version keeps every operation of the version before it, or declares it removed in
/// `info.x-removed-operations`; every name declared there is an operation of the version
/// before that this one no longer has. So a bump cannot drop an operation by mistake, and a
/// typo in the list is caught.
fn removals_declared(specs: &[Spec]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let at = pointer(["info", REMOVED_OPERATIONS]);
    for (index, spec) in specs.iter().enumerate() {
        let removed: BTreeSet<String> = removed_operations(&spec.api)
            .into_iter()
            .map(|removal| removal.operation)
            .collect();
        let present = operation_names(&spec.api);
        // The oldest version has nothing to compare with (its predecessor may have been retired).
        let Some(before) = index.checked_sub(1).map(|i| &specs[i]) else {
            continue;
        };
        let earlier = operation_names(&before.api);
        for id in earlier
            .iter()
            .filter(|id| !present.contains(*id) && !removed.contains(**id))
        {
            found.push(problem(
                spec,
                "/paths".into(),
                format!("the operation `{id}` of version {} is missing from version {}", before.version, spec.version),
                format!(
                    "restore it; if HubSpot removed it in {}, list it in `info.{REMOVED_OPERATIONS}` (with a note for programs that used it)",
                    spec.version
                ),
            ));
        }
        for removal in removed_operations(&spec.api) {
            if removal
                .note
                .as_deref()
                .is_some_and(|note| note.starts_with(REMOVAL_PLACEHOLDER))
            {
                found.push(problem(
                    spec,
                    pointer(["info", REMOVED_OPERATIONS, removal.operation.as_str()]),
                    format!(
                        "the removal of `{}` has the note `cargo xtask import` left for a person to write",
                        removal.operation
                    ),
                    "write what programs that used the operation should use instead, from HubSpot's changelog",
                ));
            }
        }
        for id in &removed {
            if !earlier.contains(id.as_str()) {
                found.push(problem(
                    spec,
                    at.clone(),
                    format!(
                        "`{id}` is listed as removed, but version {} has no such operation",
                        before.version
                    ),
                    format!(
                        "name operations of {} only (it has `{}`)",
                        before.version,
                        earlier.iter().copied().collect::<Vec<_>>().join("`, `")
                    ),
                ));
            } else if present.contains(id.as_str()) {
                found.push(problem(
                    spec,
                    at.clone(),
                    format!("`{id}` is listed as removed, but the spec still has it"),
                    "take it out of the list, or out of `paths`",
                ));
            }
        }
    }
    found
}

/// Every operation each version had at the last codegen (`generated/operations.lock`) is
/// still in its spec, or listed as removed on purpose: an edit cannot drop one silently.
/// A version whose directory is gone is not checked: removing a version is deliberate.
pub fn operations_kept(specs: &[Spec], lock: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for spec in specs {
        let present = operation_names(&spec.api);
        let removed: BTreeSet<String> = removed_operations(&spec.api)
            .into_iter()
            .map(|removal| removal.operation)
            .collect();
        let locked = lock
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('\t'))
            .filter(|(version, _)| *version == spec.version)
            .map(|(_, id)| id);
        for id in locked {
            if !present.contains(id) && !removed.contains(id) {
                found.push(problem(
                    spec,
                    "/paths".into(),
                    format!(
                        "the operation `{id}` of version {} is gone from the spec, which had it at the last codegen",
                        spec.version
                    ),
                    format!(
                        "restore it; if HubSpot removed it from {}, list it in `info.{REMOVED_OPERATIONS}` so that the removal is deliberate",
                        spec.version
                    ),
                ));
            }
        }
    }
    found
}

/// Every problem of one spec.
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    found.extend(version_matches_directory(spec));
    found.extend(lifecycle_is_known(spec));
    found.extend(references_resolve(spec));
    found.extend(schema_names_are_type_names(spec));
    found.extend(enums_are_named(spec));
    found.extend(properties_are_described(spec));
    found.extend(operation_ids(spec));
    for op in document::operations(&spec.api) {
        let at = |tokens: &[&str]| {
            let mut all = vec!["paths", op.path, op.method];
            all.extend_from_slice(tokens);
            pointer(all)
        };
        found.extend(path_carries_version(spec, &op, &at));
        found.extend(parameters(spec, &op, &at));
        found.extend(request_body(spec, &op, &at));
        found.extend(responses(spec, &op, &at));
        found.extend(examples(spec, &op, &at));
        if let Some(requirements) = &op.operation.security {
            found.extend(security(spec, requirements, &at(&["security"])));
        }
    }
    if let Some(requirements) = &spec.api.security {
        found.extend(security(spec, requirements, &pointer(["security"])));
    }
    found
}

/// Every security requirement names a scheme of `components.securitySchemes`, and the scopes
/// of an OAuth scheme's requirement are scopes its flows declare: the registry hands them to
/// programs as the scopes of each operation, so a misspelt one would mislead every reader.
fn security(
    spec: &Spec,
    requirements: &[openapiv3::SecurityRequirement],
    at: &str,
) -> Vec<Diagnostic> {
    // Each declared scheme with the scopes it declares (`None` for a scheme without scopes).
    let declared: BTreeMap<&str, Option<BTreeSet<&str>>> = spec
        .api
        .components
        .iter()
        .flat_map(|components| &components.security_schemes)
        .filter_map(|(name, scheme)| {
            let scopes = match scheme.as_item()? {
                openapiv3::SecurityScheme::OAuth2 { flows, .. } => Some(
                    [
                        flows.implicit.as_ref().map(|f| &f.scopes),
                        flows.password.as_ref().map(|f| &f.scopes),
                        flows.client_credentials.as_ref().map(|f| &f.scopes),
                        flows.authorization_code.as_ref().map(|f| &f.scopes),
                    ]
                    .into_iter()
                    .flatten()
                    .flat_map(|scopes| scopes.keys().map(String::as_str))
                    .collect(),
                ),
                _ => None,
            };
            Some((name.as_str(), scopes))
        })
        .collect();
    let mut found = Vec::new();
    for (index, requirement) in requirements.iter().enumerate() {
        for (name, scopes) in requirement {
            let here = || format!("{at}{}", pointer([index.to_string(), name.clone()]));
            let Some(known) = declared.get(name.as_str()) else {
                found.push(problem(
                    spec,
                    here(),
                    format!("the security scheme `{name}` is not declared"),
                    "declare it under `components/securitySchemes`, or name one that is",
                ));
                continue;
            };
            for scope in scopes {
                if !known
                    .as_ref()
                    .is_some_and(|known| known.contains(scope.as_str()))
                {
                    found.push(problem(
                        spec,
                        here(),
                        format!("the scope `{scope}` is not a scope of the scheme `{name}`"),
                        "list it among the scopes of the scheme's flows (only OAuth schemes have scopes), or correct its spelling",
                    ));
                }
            }
        }
    }
    found
}

/// Every operation carries what a call needs: an example of each parameter, of its request
/// body, and of its first documented success body. The spec-driven suites (wiremock, Prism)
/// call every operation of every version with them, so a new operation is tested without a
/// line of test code, and Redocly checks each example against its schema.
fn examples(spec: &Spec, op: &OperationAt<'_>, at: &dyn Fn(&[&str]) -> String) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let components = spec.api.components.as_ref();
    for (index, reference) in op.operation.parameters.iter().enumerate() {
        let Some(parameter) = document::parameter(components, reference) else {
            continue;
        };
        let data = parameter.parameter_data_ref();
        if data.example.is_none() && data.examples.is_empty() {
            found.push(problem(
                spec,
                at(&["parameters", &index.to_string()]),
                format!("the parameter `{}` has no example", data.name),
                "give it an `example:` (on the shared parameter under `components/parameters` when it is a `$ref`)",
            ));
        }
    }
    let has_example =
        |media: &openapiv3::MediaType| media.example.is_some() || !media.examples.is_empty();
    let body_without_example = op
        .operation
        .request_body
        .as_ref()
        .and_then(ReferenceOr::as_item)
        .and_then(|body| body.content.get("application/json"))
        .is_some_and(|media| !has_example(media));
    if body_without_example {
        found.push(problem(
            spec,
            at(&["requestBody", "content", "application/json"]),
            "the request body has no example".into(),
            "add `example:` beside its `schema:`, a body HubSpot accepts",
        ));
    }
    let first_success = op
        .operation
        .responses
        .responses
        .iter()
        .filter(|(status, _)| document::is_success(status))
        .find_map(|(status, response)| {
            let response = document::response(components, response)?;
            Some((
                status.to_string(),
                response.content.get("application/json")?,
            ))
        });
    if let Some((status, _)) = first_success.filter(|(_, media)| !has_example(media)) {
        found.push(problem(
            spec,
            at(&["responses", &status, "content", "application/json"]),
            format!("the {status} body has no example"),
            "add `example:` beside its `schema:`, an answer as HubSpot sends it",
        ));
    }
    found
}

/// `info.x-hubspot-lifecycle.status` is one the registry knows, so that the crate can say
/// which version is the newest generally available one.
fn lifecycle_is_known(spec: &Spec) -> Vec<Diagnostic> {
    let status = spec
        .api
        .info
        .extensions
        .get(LIFECYCLE)
        .and_then(|lifecycle| lifecycle.get("status"))
        .and_then(Value::as_str);
    let known: Vec<&str> = Stage::ALL.iter().map(|stage| stage.as_str()).collect();
    match status {
        Some(status) if Stage::parse(status).is_some() => Vec::new(),
        _ => vec![problem(
            spec,
            pointer(["info", LIFECYCLE, "status"]),
            format!(
                "the lifecycle status is {}",
                status.map_or("missing".to_owned(), |s| format!(
                    "`{s}`, which is not one HubSpot uses"
                ))
            ),
            format!(
                "set it to one of `{}` (a new version starts as `beta`)",
                known.join("`, `")
            ),
        )],
    }
}

fn problem(spec: &Spec, at: String, what: String, fix: impl Into<String>) -> Diagnostic {
    Diagnostic::new(&spec.path, at, what, fix)
}

fn version_matches_directory(spec: &Spec) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if !is_version_name(&spec.version) {
        found.push(problem(
            spec,
            String::new(),
            format!("the directory `{}` is not named like a HubSpot API version", spec.version),
            "name the directory after the version: `v4` for a legacy version, `YYYY-MM` (such as `2026-09`) for a date-based one",
        ));
    }
    if spec.api.info.version != spec.version {
        found.push(problem(
            spec,
            "/info/version".into(),
            format!(
                "`info.version` is `{}` but the directory is `{}`",
                spec.api.info.version, spec.version
            ),
            format!(
                "set `info.version: '{}'` (quoted, so YAML keeps it a string)",
                spec.version
            ),
        ));
    }
    found
}

/// Every `$ref` anywhere in the document points at something that exists.
fn references_resolve(spec: &Spec) -> Vec<Diagnostic> {
    document::refs(&spec.api)
        .into_iter()
        .filter(|(_, target)| {
            target
                .strip_prefix('#')
                .is_none_or(|target_pointer| spec.raw.pointer(target_pointer).is_none())
        })
        .map(|(at, target)| {
            problem(
                spec,
                at,
                format!("`{target}` does not point at anything in this file"),
                "point the reference at a component that exists (`#/components/schemas/Name`), or add the component",
            )
        })
        .collect()
}

/// Component schema names become Rust type names as they are, so they must already be one.
fn schema_names_are_type_names(spec: &Spec) -> Vec<Diagnostic> {
    let Some(components) = &spec.api.components else {
        return Vec::new();
    };
    components
        .schemas
        .keys()
        .filter(|name| {
            name.to_upper_camel_case() != **name || syn::parse_str::<syn::Ident>(name).is_err()
        })
        .map(|name| {
            problem(
                spec,
                pointer(["components", "schemas", name]),
                format!("the schema name `{name}` is not an UpperCamelCase Rust type name"),
                format!(
                    "rename the schema to `{}` and update the references to it",
                    name.to_upper_camel_case()
                ),
            )
        })
        .collect()
}

/// A string enum must be a named component, so that it can decode values added later.
fn enums_are_named(spec: &Spec) -> Vec<Diagnostic> {
    let Some(components) = &spec.api.components else {
        return Vec::new();
    };
    let mut inline = Vec::new();
    for (name, schema) in &components.schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        // The walk takes a schema it may change; this check only reads a copy.
        document::visit_schemas_mut(&mut schema.clone(), &mut |at, schema| {
            // The component itself may be an enum: that is the named form this rule asks for.
            if !at.is_empty()
                && matches!(&schema.schema_kind, SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty())
            {
                let mut tokens = vec!["components".to_owned(), "schemas".to_owned(), name.clone()];
                tokens.extend_from_slice(at);
                inline.push(pointer(tokens.iter()));
            }
        });
    }
    inline
        .into_iter()
        .map(|at| {
            problem(
                spec,
                at,
                "this enum is written inline, so the generated type could not decode values HubSpot adds later".into(),
                "move the enum into `components/schemas` under an UpperCamelCase name and `$ref` it here; named enums decode unknown values into a catch-all",
            )
        })
        .collect()
}

/// Every property becomes a public field, and every public item of the crate has docs.
fn properties_are_described(spec: &Spec) -> Vec<Diagnostic> {
    let Some(components) = &spec.api.components else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (name, schema) in &components.schemas {
        let Some(Schema {
            schema_kind: SchemaKind::Type(Type::Object(object)),
            ..
        }) = schema.as_item()
        else {
            continue;
        };
        for (property, value) in &object.properties {
            // A reference takes the description of the schema it names.
            let ReferenceOr::Item(value) = value else {
                continue;
            };
            if value
                .schema_data
                .description
                .as_deref()
                .is_none_or(|d| d.trim().is_empty())
            {
                found.push(problem(
                    spec,
                    pointer(["components", "schemas", name, "properties", property]),
                    format!("the property `{property}` of `{name}` has no description, so its field would have no docs"),
                    "add a `description:` in the words of HubSpot's documentation",
                ));
            }
        }
    }
    found
}

fn operation_ids(spec: &Spec) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for op in document::operations(&spec.api) {
        let at = pointer(["paths", op.path, op.method, "operationId"]);
        let Some(id) = op.operation.operation_id.as_deref() else {
            found.push(problem(
                spec,
                pointer(["paths", op.path, op.method]),
                format!("`{} {}` has no operationId", op.method.to_uppercase(), op.path),
                "add `operationId:` with a snake_case name (it becomes the method name); give the same operation the same name in every version",
            ));
            continue;
        };
        if id.to_snake_case() != id || syn::parse_str::<syn::Ident>(id).is_err() {
            found.push(problem(
                spec,
                at.clone(),
                format!("the operationId `{id}` is not a snake_case Rust method name"),
                format!("rename it to `{}` (not a Rust keyword)", id.to_snake_case()),
            ));
        }
        if let Some(first) = seen.insert(id, at.clone()) {
            found.push(problem(
                spec,
                at,
                format!("the operationId `{id}` is used twice (first at {first})"),
                "give each operation its own operationId",
            ));
        }
    }
    found
}

/// The same operation keeps the same name in every version, so that moving a program from one
/// version to the next is a change of module path.
fn stable_operation_ids(specs: &[Spec]) -> Vec<Diagnostic> {
    let mut first_name: BTreeMap<(String, PathTemplate), (String, &str)> = BTreeMap::new();
    let mut found = Vec::new();
    for spec in specs {
        for op in document::operations(&spec.api) {
            let Some(id) = op.operation.operation_id.as_deref() else {
                continue;
            };
            let key = (op.method.to_owned(), op.template().without(&spec.version));
            match first_name.get(&key) {
                Some((name, version)) if name != id => found.push(problem(
                    spec,
                    pointer(["paths", op.path, op.method, "operationId"]),
                    format!("this operation is `{name}` in version {version} but `{id}` here"),
                    format!("name it `{name}` as in {version}, so that programs move between versions without renaming"),
                )),
                Some(_) => {}
                None => {
                    first_name.insert(key, (id.to_owned(), &spec.version));
                }
            }
        }
    }
    found
}

fn path_carries_version(
    spec: &Spec,
    op: &OperationAt<'_>,
    at: &dyn Fn(&[&str]) -> String,
) -> Vec<Diagnostic> {
    let template = op.template();
    let mut found: Vec<Diagnostic> = template
        .malformed()
        .map(|segment| {
            problem(
                spec,
                at(&[]),
                format!("the path segment `{segment}` is neither text nor one `{{parameter}}`"),
                "write each parameter as a whole segment, such as `/{objectId}/`",
            )
        })
        .collect();
    if template.has_literal(&spec.version) {
        return found;
    }
    found.push(problem(
        spec,
        at(&[]),
        format!("the path `{}` has no `{}` segment", op.path, spec.version),
        format!(
            "put the version in the path as HubSpot does (`/crm/objects/{v}/...`, `/crm/associations/{v}/...`, or `/crm/v4/...` for v4)",
            v = spec.version
        ),
    ));
    found
}

fn parameters(
    spec: &Spec,
    op: &OperationAt<'_>,
    at: &dyn Fn(&[&str]) -> String,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let components = spec.api.components.as_ref();
    let parsed = op.template();
    let template: BTreeSet<&str> = parsed.params().collect();
    let mut declared = BTreeSet::new();
    for (index, reference) in op.operation.parameters.iter().enumerate() {
        let index = index.to_string();
        let here = at(&["parameters", &index]);
        let Some(parameter) = document::parameter(components, reference) else {
            // A dangling reference is reported by `references_resolve`.
            continue;
        };
        let data = parameter.parameter_data_ref();
        let is_path = matches!(parameter, Parameter::Path { .. });
        match parameter {
            Parameter::Path { .. } | Parameter::Query { .. } => {}
            _ => found.push(problem(
                spec,
                here.clone(),
                format!("the parameter `{}` is not in the path or the query", data.name),
                "the generated client sends path and query parameters only; describe headers and cookies in the runtime instead",
            )),
        }
        if is_path {
            declared.insert(data.name.as_str());
            if !data.required {
                found.push(problem(
                    spec,
                    here.clone(),
                    format!("the path parameter `{}` is not required", data.name),
                    "set `required: true`: a path parameter is always present",
                ));
            }
        }
        if data.name.to_snake_case().is_empty() {
            found.push(problem(
                spec,
                here.clone(),
                format!("the parameter name `{}` gives no Rust name", data.name),
                "give the parameter a name made of letters and digits",
            ));
        }
        let scalar = match &data.format {
            ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => matches!(
                schema.schema_kind,
                SchemaKind::Type(Type::String(_) | Type::Integer(_) | Type::Boolean(_))
            ),
            _ => false,
        };
        if !scalar {
            found.push(problem(
                spec,
                here,
                format!(
                    "the parameter `{}` is not a string, integer or boolean",
                    data.name
                ),
                "give the parameter an inline `schema` of type string, integer or boolean",
            ));
        }
    }
    for missing in template.difference(&declared) {
        found.push(problem(
            spec,
            at(&["parameters"]),
            format!("the path has `{{{missing}}}` but no path parameter `{missing}` is declared"),
            format!("declare `{missing}` with `in: path` and `required: true`"),
        ));
    }
    for extra in declared.difference(&template) {
        found.push(problem(
            spec,
            at(&["parameters"]),
            format!("the path parameter `{extra}` does not appear in the path"),
            format!("add `{{{extra}}}` to the path, or declare `{extra}` with `in: query`"),
        ));
    }
    found
}

fn request_body(
    spec: &Spec,
    op: &OperationAt<'_>,
    at: &dyn Fn(&[&str]) -> String,
) -> Vec<Diagnostic> {
    let Some(body) = &op.operation.request_body else {
        return Vec::new();
    };
    let ReferenceOr::Item(body) = body else {
        return vec![problem(
            spec,
            at(&["requestBody"]),
            "the request body is a reference".into(),
            "write the request body inline in the operation, with its schema a `$ref`",
        )];
    };
    let schema = body
        .content
        .get("application/json")
        .and_then(|media| media.schema.as_ref());
    let named = match schema {
        Some(ReferenceOr::Reference { .. }) => true,
        Some(ReferenceOr::Item(schema)) => match &schema.schema_kind {
            SchemaKind::Type(Type::Array(array)) => {
                matches!(array.items, Some(ReferenceOr::Reference { .. }))
            }
            _ => false,
        },
        None => false,
    };
    if body.content.len() != 1 || !named {
        return vec![problem(
            spec,
            at(&["requestBody", "content"]),
            "the request body is not one `application/json` schema that names a component".into(),
            "give the body only `application/json`, with `schema: {$ref: '#/components/schemas/Name'}` or an array of such references",
        )];
    }
    Vec::new()
}

fn responses(spec: &Spec, op: &OperationAt<'_>, at: &dyn Fn(&[&str]) -> String) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let components = spec.api.components.as_ref();
    let mut bodies: Vec<&str> = Vec::new();
    let mut successes = 0;
    for (status, response) in &op.operation.responses.responses {
        let code = status.to_string();
        let here = at(&["responses", &code]);
        if matches!(status, StatusCode::Code(100..200 | 300..400) | StatusCode::Range(1 | 3)) {
            found.push(problem(
                spec,
                here.clone(),
                format!("the status {code} is neither success nor error"),
                "describe only 2xx successes and 4xx/5xx errors",
            ));
        }
        if !document::is_success(status) {
            continue;
        }
        successes += 1;
        let Some(response) = document::response(components, response) else {
            continue;
        };
        if response.content.is_empty() {
            continue;
        }
        match document::json_body_schema(&response.content) {
            Some(name) if response.content.len() == 1 => bodies.push(name),
            _ => found.push(problem(
                spec,
                format!("{here}/content"),
                format!("the {code} body is not one `application/json` schema that names a component"),
                "give the response only `application/json`, with `schema: {$ref: '#/components/schemas/Name'}`",
            )),
        }
    }
    if successes == 0 {
        let what = if op.operation.responses.default.is_some() {
            "the operation has only a `default` response, which progenitor would take for its success"
        } else {
            "the operation has no 2xx response"
        };
        found.push(problem(
            spec,
            at(&["responses"]),
            what.into(),
            "declare the success status the documentation gives (200, 201 or 204), with its body schema",
        ));
    }
    bodies.sort_unstable();
    bodies.dedup();
    if bodies.len() > 1 && document::widest(&spec.api, &bodies).is_none() {
        found.push(problem(
            spec,
            at(&["responses"]),
            format!(
                "the 2xx responses have different bodies ({}) and none accepts all the others, so the operation has no single success type",
                bodies.join(", ")
            ),
            "make one body schema a superset of the others (the others' properties, requiring no more), as HubSpot's `...WithErrors` schemas are; or split the operation",
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{SpecSource, parse};

    fn spec(version: &str, yaml: &str) -> Spec {
        parse(&SpecSource {
            version: version.into(),
            path: format!("spec/{version}/openapi.yaml").into(),
            text: yaml.into(),
        })
        .expect("test spec parses")
    }

    const GOOD: &str = r#"
openapi: 3.0.3
info: {title: t, version: v4, x-hubspot-lifecycle: {status: legacy}}
paths:
  /crm/v4/things/{thingId}:
    get:
      operationId: read_thing
      parameters:
        - {name: thingId, in: path, required: true, schema: {type: string}, example: '1'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              example: {kind: A}
        default:
          description: error
components:
  schemas:
    Thing:
      type: object
      properties:
        kind: {$ref: '#/components/schemas/Kind'}
        name: {type: string, description: The name.}
    Kind:
      type: string
      enum: [A, B]
"#;

    #[test]
    fn a_good_spec_has_no_problems() {
        assert_eq!(check(&spec("v4", GOOD)), Vec::new());
    }

    fn problems(version: &str, yaml: &str) -> Vec<(String, String)> {
        check(&spec(version, yaml))
            .into_iter()
            .map(|d| (d.pointer, d.problem))
            .collect()
    }

    #[test]
    fn the_version_must_match_the_directory() {
        let found = problems("2026-03", GOOD);
        assert!(
            found.iter().any(|(at, _)| at == "/info/version"),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(_, what)| what.contains("no `2026-03` segment")),
            "{found:?}"
        );
    }

    #[test]
    fn missing_and_bad_operation_ids_are_reported() {
        let found = problems("v4", &GOOD.replace("operationId: read_thing", "summary: x"));
        assert_eq!(found[0].0, "/paths/~1crm~1v4~1things~1{thingId}/get");
        assert!(found[0].1.contains("has no operationId"));
        let found = problems("v4", &GOOD.replace("read_thing", "readThing"));
        assert!(found[0].1.contains("not a snake_case"), "{found:?}");
    }

    #[test]
    fn a_lone_default_response_is_reported() {
        let yaml = GOOD.replace("'200':", "'x-200':");
        let found = problems("v4", &yaml);
        assert!(
            found
                .iter()
                .any(|(_, what)| what.contains("only a `default` response")),
            "{found:?}"
        );
    }

    #[test]
    fn dangling_references_and_inline_enums_are_reported() {
        let found = problems(
            "v4",
            &GOOD.replace(
                "$ref: '#/components/schemas/Kind'",
                "$ref: '#/components/schemas/Nope'",
            ),
        );
        assert!(
            found
                .iter()
                .any(|(at, _)| at == "/components/schemas/Thing/properties/kind/$ref"),
            "{found:?}"
        );
        let found = problems(
            "v4",
            &GOOD.replace(
                "{$ref: '#/components/schemas/Kind'}",
                "{type: string, enum: [X]}",
            ),
        );
        assert!(
            found.iter().any(
                |(at, what)| at == "/components/schemas/Thing/properties/kind"
                    && what.contains("inline")
            ),
            "{found:?}"
        );
        // The one schema walk reaches a composition's members too.
        let found = problems(
            "v4",
            &GOOD.replace(
                "{$ref: '#/components/schemas/Kind'}",
                "{description: A kind., oneOf: [{type: string, enum: [X]}, {type: integer}]}",
            ),
        );
        assert!(
            found.iter().any(|(at, what)| at
                == "/components/schemas/Thing/properties/kind/oneOf/0"
                && what.contains("inline")),
            "{found:?}"
        );
    }

    #[test]
    fn operations_without_examples_are_reported() {
        let found = problems(
            "v4",
            &GOOD
                .replace(", example: '1'}", "}")
                .replace("              example: {kind: A}\n", ""),
        );
        assert_eq!(
            found,
            [
                (
                    "/paths/~1crm~1v4~1things~1{thingId}/get/parameters/0".to_owned(),
                    "the parameter `thingId` has no example".to_owned()
                ),
                (
                    "/paths/~1crm~1v4~1things~1{thingId}/get/responses/200/content/application~1json".to_owned(),
                    "the 200 body has no example".to_owned()
                )
            ]
        );
    }

    #[test]
    fn security_names_declared_schemes_and_scopes() {
        let with_security = GOOD
            .replace(
                "      operationId: read_thing\n",
                "      operationId: read_thing\n      security: [{oauth2: [crm.objects.contacts.read]}, {oauth2: [crm.objects.contact.read]}, {apiKey: []}]\n",
            )
            .replace(
                "components:\n",
                "components:\n  securitySchemes:\n    oauth2:\n      type: oauth2\n      flows:\n        authorizationCode:\n          authorizationUrl: https://app.hubspot.com/oauth/authorize\n          tokenUrl: https://api.hubapi.com/oauth/2026-03/token\n          scopes: {crm.objects.contacts.read: ''}\n",
            );
        assert_eq!(
            problems("v4", &with_security),
            [
                (
                    "/paths/~1crm~1v4~1things~1{thingId}/get/security/1/oauth2".to_owned(),
                    "the scope `crm.objects.contact.read` is not a scope of the scheme `oauth2`"
                        .to_owned()
                ),
                (
                    "/paths/~1crm~1v4~1things~1{thingId}/get/security/2/apiKey".to_owned(),
                    "the security scheme `apiKey` is not declared".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn undescribed_properties_are_reported() {
        let found = problems(
            "v4",
            &GOOD.replace("{type: string, description: The name.}", "{type: string}"),
        );
        assert_eq!(found, [("/components/schemas/Thing/properties/name".to_owned(), "the property `name` of `Thing` has no description, so its field would have no docs".to_owned())]);
    }

    #[test]
    fn path_parameters_must_match_the_template() {
        let found = problems("v4", &GOOD.replace("name: thingId", "name: otherId"));
        assert!(
            found
                .iter()
                .any(|(_, w)| w.contains("`{thingId}` but no path parameter")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(_, w)| w.contains("`otherId` does not appear")),
            "{found:?}"
        );
    }

    #[test]
    fn renamed_operations_across_versions_are_reported() {
        let v4 = spec("v4", GOOD);
        let dated = spec(
            "2026-03",
            &GOOD
                .replace("version: v4", "version: '2026-03'")
                .replace("/crm/v4/things", "/crm/2026-03/things")
                .replace("read_thing", "get_thing"),
        );
        let found = check_all(&[v4, dated]);
        assert!(
            found
                .to_string()
                .contains("`read_thing` in version v4 but `get_thing` here"),
            "{found}"
        );
    }

    #[test]
    fn a_version_keeps_its_predecessors_operations_or_declares_their_removal() {
        let v4 = spec("v4", GOOD);
        let dated = |info_extra: &str, paths: bool| {
            let mut text = GOOD
                .replace(
                    "version: v4, x-hubspot-lifecycle: {status: legacy}",
                    &format!(
                        "version: '2026-03', x-hubspot-lifecycle: {{status: beta}}{info_extra}"
                    ),
                )
                .replace("/crm/v4/things", "/crm/2026-03/things");
            if !paths {
                let start = text.find("paths:").unwrap();
                let end = text.find("components:").unwrap();
                text.replace_range(start..end, "paths: {}\n");
            }
            spec("2026-03", &text)
        };
        let problems = |next: Spec| {
            removals_declared(&[v4.clone(), next])
                .into_iter()
                .map(|d| (d.pointer, d.problem))
                .collect::<Vec<_>>()
        };
        assert_eq!(problems(dated("", true)), []);
        assert_eq!(
            problems(dated("", false)),
            [(
                "/paths".to_owned(),
                "the operation `read_thing` of version v4 is missing from version 2026-03"
                    .to_owned()
            )]
        );
        assert_eq!(
            problems(dated(", x-removed-operations: [read_thing]", false)),
            []
        );
        assert_eq!(
            problems(dated(
                ", x-removed-operations: {read_thing: use read_things}",
                false
            )),
            [],
            "the map form carries a note"
        );
        assert_eq!(
            problems(dated(
                ", x-removed-operations: [read_thign, read_thing]",
                false
            )),
            [(
                "/info/x-removed-operations".to_owned(),
                "`read_thign` is listed as removed, but version v4 has no such operation"
                    .to_owned()
            )]
        );
        assert_eq!(
            problems(dated(", x-removed-operations: [read_thing]", true)),
            [(
                "/info/x-removed-operations".to_owned(),
                "`read_thing` is listed as removed, but the spec still has it".to_owned()
            )]
        );
    }
}
