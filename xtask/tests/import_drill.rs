//! The import drill: HubSpot's next version, from a synthetic HubSpot-shaped file that this
//! test writes (never one of HubSpot's), in a scratch copy of the workspace. The file is our
//! newest version as HubSpot would publish it, with one change of every kind HubSpot makes: an
//! operation added and one dropped, a success code changed, fields added and removed, a format
//! widened, a schema renamed with `_1`, scopes changed, out-of-scope operations beside them,
//! operationIds that carry other versions' paths, and `example: null` everywhere. `cargo xtask
//! import` writes the spec; codegen refuses it until the removal's note is written; then the
//! audit finds no drift, the crate builds with only the new version, and the spec-driven suite
//! covers it.

mod support;

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use support::{cargo, root_with_workspace_specs, scratch_workspace, stderr, xtask};
use xtask::bench::hubspot_shaped;
use xtask::bump::rewrite_path;
use xtask::import::{PLACEHOLDER, REMOVAL_PLACEHOLDER, SYNTHESIZED};
use xtask::load::{SpecSource, parse, read_specs};

/// Renames a schema and every reference to it.
fn rename_schema(document: &mut Value, from: &str, to: &str) {
    let schemas = document["components"]["schemas"].as_object_mut().unwrap();
    let schema = schemas.remove(from).unwrap();
    schemas.insert(to.into(), schema);
    let text = serde_json::to_string(document)
        .unwrap()
        .replace(&format!("/schemas/{from}\""), &format!("/schemas/{to}\""));
    *document = serde_json::from_str(&text).unwrap();
}

/// Our operation `id` in HubSpot's file: at our path of it, moved to `version`.
fn operation<'a>(
    document: &'a mut Value,
    newest: &xtask::load::Spec,
    version: &str,
    id: &str,
) -> &'a mut Value {
    let (path, method) = newest.raw["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(m, op)| (path, m, op))
        })
        .find(|(_, _, op)| op["operationId"] == id)
        .map(|(path, method, _)| (rewrite_path(path, &newest.version, version), method.clone()))
        .unwrap_or_else(|| panic!("no operation {id}"));
    &mut document["paths"][path][method]
}

/// Our newest version as HubSpot would publish `version`, with an edit of every kind.
fn hubspot_file(newest: &xtask::load::Spec, version: &str) -> Value {
    let mut document = hubspot_shaped(newest, version, 0);

    // A success code changed: `create` answers 200 where it answered 201.
    let create = operation(&mut document, newest, version, "create");
    let answer = create["responses"]
        .as_object_mut()
        .unwrap()
        .remove("201")
        .unwrap();
    create["responses"]["200"] = answer;
    // Scopes changed: batch_read takes one more.
    operation(&mut document, newest, version, "batch_read")["security"]
        .as_array_mut()
        .unwrap()
        .push(json!({"oauth2": ["crm.objects.drill.read"]}));
    // An operation dropped.
    *operation(&mut document, newest, version, "request_high_usage_report") = Value::Null;
    for item in document["paths"].as_object_mut().unwrap().values_mut() {
        item.as_object_mut().unwrap().retain(|_, op| !op.is_null());
    }
    document["paths"]
        .as_object_mut()
        .unwrap()
        .retain(|_, item| !item.as_object().unwrap().is_empty());
    // An operation added, with a schema of its own.
    document["paths"]
        [format!("/crm/associations/{version}/{{fromObjectType}}/{{toObjectType}}/labels/usage")] = json!({
        "get": {
            "operationId": format!("get-/crm/associations/2026-03/{{fromObjectType}}/{{toObjectType}}/labels/usage_/crm/associations/{version}/usage"),
            "security": [{"oauth2": ["crm.objects.contacts.read"]}],
            "x-hubspot-rate-limit-exemptions": ["ten-secondly"],
            "parameters": [
                {"name": "fromObjectType", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "toObjectType", "in": "path", "required": true, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {"description": "HubSpot's words", "content": {"*/*": {"schema": {"$ref": "#/components/schemas/LabelUsage"}}}},
                "default": {"$ref": "#/components/responses/Error"}
            }
        }
    });
    document["components"]["schemas"]["LabelUsage"] = json!({
        "type": "object",
        "required": ["label", "uses"],
        "properties": {
            "label": {"type": "string", "description": "HubSpot's words"},
            "uses": {"type": "integer", "format": "int64", "description": "HubSpot's words"}
        }
    });
    // Out-of-scope operations beside them.
    document["paths"][format!("/crm/objects/{version}/{{objectType}}")] = json!({
        "get": {"operationId": "get-objects", "responses": {"200": {"description": "ok"}}}
    });
    document["paths"][format!("/crm/objects/{version}/{{objectType}}/search")] = json!({
        "post": {"operationId": "post-search", "responses": {"200": {"description": "ok"}}}
    });
    // Fields added and removed, a format widened.
    let schemas = &mut document["components"]["schemas"];
    schemas["LabelsBetweenObjectPair"]["properties"]["reviewedAt"] =
        json!({"type": "string", "format": "date-time", "description": "HubSpot's words"});
    schemas["BatchResponsePublicDefaultAssociation"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("links");
    schemas["BatchResponsePublicDefaultAssociation"]["properties"]["numErrors"]["format"] =
        json!("int64");
    // A schema renamed with `_1`.
    rename_schema(
        &mut document,
        "PublicDefaultAssociation",
        "PublicDefaultAssociation_1",
    );
    // `example: null` in what the drill added too, as HubSpot writes them.
    document["components"]["schemas"]["LabelUsage"]["example"] = Value::Null;
    document
}

fn find_operation<'a>(spec: &'a Value, id: &str) -> &'a Value {
    spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op["operationId"] == id)
        .unwrap_or_else(|| panic!("the imported spec has no operation {id}"))
}

#[test]
fn an_imported_version_with_every_kind_of_change_generates_builds_and_is_covered() {
    let root = root_with_workspace_specs();
    let root = root.path();
    let sources = read_specs(root, Path::new("spec")).unwrap();
    let newest = parse(sources.last().unwrap()).unwrap();
    let year: u32 = newest.version[..4].parse().unwrap_or(2026);
    let version = format!("{}-03", year.max(2026) + 200);
    let version = version.as_str();

    // A checkout as HubSpot's repository lays it out: the file in a rollout's folder.
    let checkout = root.join("hubspot");
    let file = checkout.join(format!(
        "PublicApiSpecs/CRM/Associations/Rollouts/999999/{version}/associations.json"
    ));
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(
        &file,
        serde_json::to_string_pretty(&hubspot_file(&newest, version)).unwrap(),
    )
    .unwrap();

    let imported = xtask(
        root,
        &["import", version, "--hubspot", checkout.to_str().unwrap()],
    );
    let said = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert!(imported.status.success(), "{said}{}", stderr(&imported));
    assert!(
        said.contains("left out, out of scope: POST /crm/objects/"),
        "{said}"
    );
    assert!(said.contains("What codegen will refuse"), "{said}");
    let text = fs::read_to_string(root.join(format!("spec/{version}/openapi.yaml"))).unwrap();
    assert!(
        !text.contains("example: null"),
        "HubSpot's null examples are not copied"
    );
    assert!(
        !text.contains("HubSpot's words"),
        "HubSpot's prose is never copied"
    );
    assert!(
        text.contains("security: *record-scopes"),
        "scope lists keep their anchors"
    );
    let spec: Value = serde_norway::from_str(&text).unwrap();

    // Our ids, by method and path, whatever HubSpot's operationIds say; our words where
    // nothing changed.
    let create = find_operation(&spec, "create");
    let newest_create = newest.raw["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op["operationId"] == "create")
        .unwrap();
    assert_eq!(create["description"], newest_create["description"]);
    // The success code changed, the answer rebuilt with a synthesized example.
    assert!(create["responses"].get("201").is_none(), "{create:#}");
    let answer = &create["responses"]["200"];
    assert_eq!(answer["description"], PLACEHOLDER);
    assert_eq!(
        answer["content"]["application/json"]["examples"]["synthesized"]["summary"],
        SYNTHESIZED
    );
    // The added operation: an id from its path, placeholders, its new schema.
    let added = find_operation(&spec, "get_labels_usage");
    assert_eq!(added["summary"], PLACEHOLDER);
    let usage = &spec["components"]["schemas"]["LabelUsage"];
    assert_eq!(usage["properties"]["uses"]["format"], "int64");
    assert_eq!(usage["properties"]["uses"]["description"], PLACEHOLDER);
    // The dropped operation, declared with the note a person must write.
    assert_eq!(
        spec["info"]["x-removed-operations"]["request_high_usage_report"],
        REMOVAL_PLACEHOLDER
    );
    // Fields added and removed, a format widened, our schema name kept over `_1`.
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["LabelsBetweenObjectPair"]["properties"]["reviewedAt"]["description"],
        PLACEHOLDER
    );
    let defaults = &schemas["BatchResponsePublicDefaultAssociation"]["properties"];
    assert!(defaults.get("links").is_none(), "{defaults:#}");
    assert_eq!(defaults["numErrors"]["format"], "int64");
    assert!(schemas.get("PublicDefaultAssociation").is_some());
    assert!(schemas.get("PublicDefaultAssociation_1").is_none());
    // Scopes changed: batch_read has a list of its own, the others keep theirs.
    let batch_read = find_operation(&spec, "batch_read");
    assert!(
        batch_read["security"]
            .as_array()
            .unwrap()
            .contains(&json!({"oauth2": ["crm.objects.drill.read"]}))
    );
    // The version's operations table in the reference, which the reference tests read.
    let reference = fs::read_to_string(root.join("spec/sources/hubspot-associations.md")).unwrap();
    let table = format!("### {version}: 19 operations\n");
    assert!(reference.contains(&table), "{reference}");
    assert!(reference.contains(&format!(
        "| `get_labels_usage` | GET | `/crm/associations/{version}/"
    )));
    let facts = fs::read_to_string(root.join("spec/sources/operation-facts.tsv")).unwrap();
    assert!(
        facts.contains(&format!("{version}\tget_labels_usage\t")),
        "{facts}"
    );
    assert!(
        !facts.contains(&format!("{version}\trequest_high_usage_report\t")),
        "{facts}"
    );

    // Codegen refuses the placeholder note, and takes the spec once a person wrote it.
    let refused = xtask(root, &["codegen"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("the note `cargo xtask import` left"),
        "{}",
        stderr(&refused)
    );
    let path = root.join(format!("spec/{version}/openapi.yaml"));
    fs::write(
        &path,
        text.replace(REMOVAL_PLACEHOLDER, "Gone; nothing replaces it."),
    )
    .unwrap();
    let generated = xtask(root, &["codegen"]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let audit = xtask(root, &["audit", "--hubspot", checkout.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success(), "{report}{}", stderr(&audit));
    assert!(
        report.contains(&format!("## {version}: 0 drift")),
        "{report}"
    );
    let module = fs::read_to_string(root.join(format!(
        "generated/src/v{}/mod.rs",
        version.replace('-', "_")
    )))
    .unwrap();
    assert!(module.contains("pub async fn get_labels_usage("));
    assert!(!module.contains("pub async fn request_high_usage_report("));
    let written = parse(&SpecSource {
        version: version.into(),
        path: path.clone(),
        text: fs::read_to_string(&path).unwrap(),
    })
    .unwrap();
    assert_eq!(written.version, version);

    // The crate builds with only the new version, and the spec-driven suite covers it.
    scratch_workspace(root, &["generated", "fake-hubspot", "integration"]);
    let module = format!("v{}", version.replace('-', "_"));
    let check = cargo(
        root,
        &[
            "check",
            "--offline",
            "--quiet",
            "-p",
            "hubspot-associations",
            "--no-default-features",
            "--features",
            &module,
        ],
    );
    assert!(check.status.success(), "{}", stderr(&check));
    let suite = cargo(
        root,
        &[
            "test",
            "--offline",
            "-p",
            "integration",
            "--test",
            "spec_driven",
            "--",
            version,
        ],
    );
    let out = String::from_utf8_lossy(&suite.stdout);
    assert!(suite.status.success(), "{out}{}", stderr(&suite));
    for trial in ["registry", "fake", "paths"] {
        assert!(out.contains(&format!("{trial}::{version}")), "{out}");
    }
}
