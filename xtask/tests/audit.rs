//! `cargo xtask audit` on synthetic HubSpot-shaped files (written here; never HubSpot's own):
//! which files a checkout gives each version, and each kind of difference it must report.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xtask::audit::{self, Finding, HubSpotFile};
use xtask::load::{SpecSource, parse};

/// Our side: one version with two operations, a shared schema and a scope list.
const SPEC: &str = r##"openapi: 3.0.3
info: {title: t, version: '2026-09', x-hubspot-lifecycle: {status: generally-available}}
paths:
  /crm/objects/2026-09/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}:
    put:
      operationId: create
      security: [{oauth2: [crm.objects.contacts.write]}]
      parameters:
        - {name: objectType, in: path, required: true, schema: {type: string}}
        - {name: objectId, in: path, required: true, schema: {type: string}}
        - {name: toObjectType, in: path, required: true, schema: {type: string}}
        - {name: toObjectId, in: path, required: true, schema: {type: string}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pair'}
  /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/read:
    post:
      operationId: batch_read
      security: [{oauth2: [crm.objects.contacts.read]}]
      x-hubspot-rate-limit-exemptions: [ten-secondly]
      parameters:
        - {name: fromObjectType, in: path, required: true, schema: {type: string}}
        - {name: toObjectType, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {inputs: {type: array, items: {type: string}}}}
      responses:
        '200':
          description: read
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Report'}
components:
  securitySchemes:
    oauth2:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://app.hubspot.com/oauth/authorize
          tokenUrl: https://api.hubapi.com/oauth/2026-03/token
          scopes: {crm.objects.contacts.write: '', crm.objects.contacts.read: ''}
  schemas:
    Pair:
      type: object
      required: [fromObjectId, toObjectId]
      properties:
        fromObjectId: {type: string}
        toObjectId: {type: string}
        labels: {type: array, items: {type: string}}
    Report:
      type: object
      required: [status]
      properties:
        status: {type: string, enum: [PENDING, COMPLETE]}
        value: {type: integer, format: int32}
        context: {type: object}
"##;

/// HubSpot's side of the same version, with one difference of every kind.
fn hubspot_file(version_folder: &str) -> Value {
    let path = |tail: &str| format!("/crm/{tail}").replace("VERSION", version_folder);
    json!({
        "openapi": "3.0.1",
        "info": {"title": "Associations", "version": version_folder},
        "paths": {
            // The operationId embeds another version's path, as HubSpot's do.
            // HubSpot's names for the path parameters differ from ours: they are matched by
            // position, and their names are no fact.
            path("objects/VERSION/{fromObjectType}/{fromObjectId}/associations/{toObjectType}/{toObjectId}"): {
                "put": {
                    "operationId": "put-/crm/objects/2026-03/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
                    "security": [{"oauth2": ["crm.objects.contacts.write"]}, {"oauth2": ["crm.objects.deals.write"]}],
                    "parameters": [
                        {"name": "fromObjectType", "in": "path", "required": true, "schema": {"type": "string", "example": null}},
                        {"name": "fromObjectId", "in": "path", "required": true, "schema": {"type": "string", "example": null}},
                        {"name": "toObjectType", "in": "path", "required": true, "schema": {"type": "string", "example": null}},
                        {"name": "toObjectId", "in": "path", "required": true, "schema": {"type": "string", "example": null}}
                    ],
                    "responses": {
                        "201": {
                            "description": "successful operation",
                            "headers": {"Location": {"schema": {"type": "string", "example": null}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pair_1"}, "example": null}}
                        },
                        "default": {"$ref": "#/components/responses/Error"}
                    }
                }
            },
            path("associations/VERSION/{fromObjectType}/{toObjectType}/batch/read"): {
                "post": {
                    "operationId": "post-/crm/associations/v4/{fromObjectType}/{toObjectType}/batch/read",
                    "security": [{"oauth2": ["crm.objects.contacts.read"]}],
                    "x-hubspot-rate-limit-exemptions": ["ten-secondly"],
                    "parameters": [
                        {"name": "fromObjectType", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "toObjectType", "in": "path", "required": true, "schema": {"type": "string"}}
                    ],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"inputs": {"type": "array", "items": {"type": "string"}}}}}}},
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}},
                        "207": {"description": "some failed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}}
                    }
                }
            },
            path("objects/VERSION/{objectType}/{objectId}/associations/{toObjectType}"): {
                "get": {
                    "operationId": "get-list",
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}
                }
            },
            path("objects/VERSION/{objectType}/search"): {
                "post": {"operationId": "search", "responses": {"200": {"description": "ok"}}}
            }
        },
        "components": {
            "schemas": {
                "Pair_1": {
                    "type": "object",
                    "required": ["fromObjectId", "toObjectId", "fromObjectTypeId"],
                    "properties": {
                        "fromObjectId": {"type": "string", "example": null},
                        "toObjectId": {"type": "string", "example": null},
                        "fromObjectTypeId": {"type": "string", "example": null},
                        "labels": {"type": "array", "items": {"type": "string"}, "example": null}
                    },
                    "example": null
                },
                "Report": {
                    "type": "object",
                    "required": [],
                    "properties": {
                        "status": {"type": "string", "enum": ["PENDING", "COMPLETE", "CANCELED"]},
                        "value": {"type": "integer", "format": "int64"},
                        "context": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
                    }
                }
            },
            "responses": {"Error": {"description": "An error occurred."}},
            "securitySchemes": {
                "oauth2": {"type": "oauth2", "flows": {"authorizationCode": {
                    "authorizationUrl": "https://app.hubspot.com/oauth/authorize",
                    "tokenUrl": "https://api.hubapi.com/oauth/v1/token",
                    "scopes": {}
                }}}
            }
        }
    })
}

fn spec() -> xtask::load::Spec {
    parse(&SpecSource {
        version: "2026-09".into(),
        path: "spec/2026-09/openapi.yaml".into(),
        text: SPEC.into(),
    })
    .unwrap()
}

fn write(path: &Path, value: &Value) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// A checkout laid out as HubSpot's repository is: two families, several rollouts.
fn checkout(root: &Path) {
    let family = |name: &str| root.join("PublicApiSpecs/CRM").join(name).join("Rollouts");
    let mut preview = hubspot_file("2026-09");
    preview["paths"]
        .as_object_mut()
        .unwrap()
        .retain(|path, _| path.contains("batch"));
    // An older rollout's preview of the version, a newer rollout's beta and its GA.
    write(
        &family("Associations").join("130902/2026-09/associations.json"),
        &preview,
    );
    write(
        &family("Associations").join("321895/2026-09-beta/associations.json"),
        &hubspot_file("2026-09-beta"),
    );
    write(
        &family("Associations").join("321895/2026-09/associations.json"),
        &hubspot_file("2026-09"),
    );
    // A family with only a beta of the version, and a folder for another version.
    write(
        &family("Associations Schema").join("400000/2026-09-beta/associationsSchema.json"),
        &preview,
    );
    write(
        &family("Associations Schema").join("130902/v4/associationsSchema.json"),
        &hubspot_file("v4"),
    );
    // Not an associations family: never read.
    write(
        &family("Objects").join("999999/2026-09/objects.json"),
        &json!({"not": "openapi"}),
    );
}

fn find<'a>(findings: &'a [Finding], subject: &str, place: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.subject == subject && f.place == place)
        .unwrap_or_else(|| panic!("no finding `{subject}` at `{place}` in {findings:#?}"))
}

#[test]
fn a_checkout_gives_each_family_its_newest_generally_available_folder() {
    let dir = tempfile::tempdir().unwrap();
    checkout(dir.path());
    let files = audit::read_hubspot(&[dir.path().to_path_buf()]).unwrap();
    let chosen: Vec<PathBuf> = audit::choose(&files, "2026-09")
        .into_iter()
        .map(|file: &HubSpotFile| file.path.strip_prefix(dir.path()).unwrap().to_path_buf())
        .collect();
    assert_eq!(
        chosen,
        [
            // Newest rollout first: only a beta in this family.
            PathBuf::from(
                "PublicApiSpecs/CRM/Associations Schema/Rollouts/400000/2026-09-beta/associationsSchema.json"
            ),
            // The generally available folder before the same rollout's beta and an older preview.
            PathBuf::from(
                "PublicApiSpecs/CRM/Associations/Rollouts/321895/2026-09/associations.json"
            ),
        ]
    );
    assert_eq!(audit::choose(&files, "v4").len(), 1);
    assert!(audit::choose(&files, "2026-03").is_empty());
}

#[test]
fn every_kind_of_difference_is_reported_as_drift() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("associations.json");
    write(&file, &hubspot_file("2026-09"));
    let files = audit::read_hubspot(&[file]).unwrap();
    let report = audit::audit(&[spec()], &files, &[]);
    let findings = &report.versions[0].findings;
    assert!(findings.iter().all(|f| f.tolerated.is_none()));

    // An operation HubSpot serves that the spec lacks, matched by path, not operationId.
    let list = find(
        findings,
        "operation GET /crm/objects/2026-09/{objectType}/{objectId}/associations/{toObjectType}",
        "operation",
    );
    assert_eq!(list.ours, "-");
    // Success codes.
    let codes = find(findings, "operation batch_read", "success codes");
    assert_eq!((codes.ours.as_str(), codes.hubspot.as_str()), ("-", "207"));
    // Headers.
    let headers = find(findings, "operation create", "201 headers");
    assert_eq!(headers.hubspot, "location");
    // Scopes.
    let scopes = find(findings, "operation create", "scopes");
    assert_eq!(scopes.hubspot, "crm.objects.deals.write");
    // A field added, its requiredness, under a schema HubSpot renamed with `_1`.
    let added = find(findings, "type Pair (HubSpot: Pair_1)", ".fromObjectTypeId");
    assert_eq!(
        (added.ours.as_str(), added.hubspot.as_str()),
        ("-", "present")
    );
    // A format widened, enum values, a field no longer required, a map's values.
    let format = find(findings, "type Report", ".value format");
    assert_eq!(
        (format.ours.as_str(), format.hubspot.as_str()),
        ("int32", "int64")
    );
    let values = find(findings, "type Report", ".status enum");
    assert!(values.hubspot.contains("CANCELED"), "{values:?}");
    let required = find(findings, "type Report", ".status");
    assert_eq!(
        (required.ours.as_str(), required.hubspot.as_str()),
        ("required", "optional")
    );
    find(findings, "type Report", ".context{}");
    // Out of scope, listed: no `associations` segment.
    assert_eq!(
        report.versions[0].out_of_scope,
        ["POST /crm/objects/2026-09/{objectType}/search"]
    );
    // Same facts, no finding: parameters, the request body, the exemptions.
    assert!(
        !findings.iter().any(|f| f.place.starts_with("parameter")
            || f.place.starts_with("request body")
            || f.place == "rate-limit exemptions"),
        "{findings:#?}"
    );
    assert_eq!(report.drift, findings.len());
    let markdown = audit::markdown(&report);
    assert!(
        markdown.contains(&format!("## 2026-09: {} drift", findings.len())),
        "{markdown}"
    );
}

#[test]
fn listed_tolerances_are_not_drift_and_stale_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("associations.json");
    write(&file, &hubspot_file("2026-09"));
    let files = audit::read_hubspot(&[file]).unwrap();
    let tolerances = audit::parse_tolerances(
        "# version\tsubject\tplace\treason\n\
         *\ttype Report\t.context*\terror contexts are read leniently\n\
         2026-03\ttype Report\t.value format\tnot this version\n",
    )
    .unwrap();
    let report = audit::audit(&[spec()], &files, &tolerances);
    let context = find(&report.versions[0].findings, "type Report", ".context{}");
    assert_eq!(
        context.tolerated.as_deref(),
        Some("error contexts are read leniently")
    );
    let format = find(&report.versions[0].findings, "type Report", ".value format");
    assert_eq!(format.tolerated, None);
    assert_eq!(
        report.unused_tolerances,
        ["2026-03\ttype Report\t.value format"]
    );
    let json: Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["drift"], report.versions[0].findings.len() - 1);

    let error = audit::parse_tolerances("2026-09\ttype Report\n").unwrap_err();
    assert!(error.contains(":1: a row has four"), "{error}");
}

#[test]
fn a_path_that_is_not_a_checkout_or_a_document_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = audit::read_hubspot(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(
        error.contains("is not a checkout of HubSpot's spec collection"),
        "{error}"
    );
    let file = dir.path().join("x.json");
    fs::write(&file, "{\"openapi\": 3}").unwrap();
    let error = audit::read_hubspot(&[file]).unwrap_err();
    assert!(
        error.contains("is not an OpenAPI 3 JSON document"),
        "{error}"
    );
}
