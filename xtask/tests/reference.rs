//! The specs say what the reference says: every operation of every version with its method,
//! path, parameters, body and success codes, and every schema with its fields, read from the
//! tables of `spec/sources/hubspot-associations.md`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use openapiv3::{OpenAPI, SchemaKind, Type};
use xtask::document;
use xtask::load::{SpecSource, parse, read_specs};
use xtask::reference::boxed_type;

fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Every version under `spec/`: a new one is checked against the reference with no edit here.
fn versions() -> Vec<String> {
    read_specs(workspace(), Path::new("spec"))
        .unwrap()
        .into_iter()
        .map(|source| source.version)
        .collect()
}

/// The fields a version's notes change in one schema: each with its type, or `None` where the
/// version drops it.
type Changed = Vec<(String, Option<String>)>;

/// `spec/sources/reference-notes.tsv`, by (version, schema).
fn notes() -> BTreeMap<(String, String), Changed> {
    let text = fs::read_to_string(workspace().join("spec/sources/reference-notes.tsv")).unwrap();
    let mut notes: BTreeMap<(String, String), Changed> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        let [version, schema, field, ty] = cells[..] else {
            panic!("reference-notes.tsv: `{line}` does not have four cells");
        };
        notes
            .entry((version.to_owned(), schema.to_owned()))
            .or_default()
            .push((field.to_owned(), (ty != "-").then(|| ty.to_owned())));
    }
    notes
}

/// A shared shape (`field*: type` entries) with a version's notes applied.
fn with_notes(shape: &[&str], notes: Option<&Changed>) -> Vec<String> {
    let bare = |entry: &str| {
        entry
            .split(':')
            .next()
            .unwrap()
            .trim_end_matches('*')
            .to_owned()
    };
    let mut fields: Vec<String> = shape.iter().map(|s| (*s).to_owned()).collect();
    for (field, ty) in notes.into_iter().flatten() {
        fields.retain(|entry| bare(entry) != bare(field));
        if let Some(ty) = ty {
            fields.push(format!("{field}: {ty}"));
        }
    }
    fields.sort();
    fields
}

fn reference() -> String {
    fs::read_to_string(workspace().join("spec/sources/hubspot-associations.md")).unwrap()
}

fn spec(version: &str) -> OpenAPI {
    let path = format!("spec/{version}/openapi.yaml");
    let text = fs::read_to_string(workspace().join(&path)).unwrap();
    parse(&SpecSource {
        version: version.into(),
        path: path.into(),
        text,
    })
    .unwrap()
    .api
}

fn cells(row: &str) -> Vec<String> {
    row.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

/// `name -> [method, path, parameters, body, success]` from the version's table.
fn reference_operations(version: &str) -> BTreeMap<String, Vec<String>> {
    let text = reference();
    let section = text
        .split(&format!("### {version}: "))
        .nth(1)
        .and_then(|rest| rest.split("###").next())
        .unwrap_or_else(|| {
            panic!(
                "spec/sources/hubspot-associations.md has no `### {version}: ` table: record the \
                 reference's operations of {version} there (see `cargo xtask bump`'s next steps)"
            )
        });
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let mut row = cells(line);
            (row.remove(0).trim_matches('`').to_owned(), row)
        })
        .collect()
}

#[test]
fn every_operation_matches_the_reference() {
    for version in versions() {
        let version = version.as_str();
        let api = spec(version);
        let expected = reference_operations(version);
        let found = xtask::reference::operation_rows(&api);
        let mut expected = expected;
        for row in expected.values_mut() {
            let mut params: Vec<String> = row[2]
                .split(", ")
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            params.sort();
            row[2] = params.join(", ");
        }
        assert_eq!(found, expected, "operations of {version}");
        assert!(
            api.components
                .as_ref()
                .unwrap()
                .responses
                .contains_key("Error"),
            "{version}"
        );
    }
}

#[test]
fn every_schema_matches_the_reference() {
    let text = reference();
    let section = text
        .split("## Schemas")
        .nth(1)
        .unwrap()
        .split("## Behaviour")
        .next()
        .unwrap();
    let notes = notes();
    let specs: Vec<(String, OpenAPI)> = versions()
        .into_iter()
        .map(|v| {
            let api = spec(&v);
            (v, api)
        })
        .collect();
    let mut checked = 0;
    for line in section.lines().filter(|l| l.starts_with("- **")) {
        let (head, fields) = line.split_once(": ").unwrap();
        let name = head.trim_start_matches("- **").split("**").next().unwrap();
        let scope = head.split_once('(').map(|(_, s)| s.trim_end_matches(')'));
        let shared: Vec<&str> = fields.split("; ").collect();
        for (version, api) in &specs {
            let version = version.as_str();
            // Where the shape differs, the reference names where each applies; 2025-09's
            // labels endpoints get their own schema, as one document cannot hold both.
            let in_scope = match scope {
                None => true,
                Some("2025-09 labels+limits") if name == "AssociationSpecWithLabel" => {
                    version == "2025-09"
                }
                Some(scope) => {
                    name == "AssociationSpecWithLabel"
                        || scope.split(", ").any(|s| s.starts_with(version))
                }
            };
            let own_name = match scope {
                Some("2025-09 labels+limits") if name == "AssociationSpecWithLabel" => {
                    "AssociationSpecWithLabelNoObjectTypeIds"
                }
                _ => name,
            };
            let Some(schema) = document::component_schema(api, own_name).filter(|_| in_scope)
            else {
                continue;
            };
            let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
                panic!("{own_name}")
            };
            let mut found: Vec<String> = object
                .properties
                .iter()
                .map(|(field, value)| {
                    let required = if object.required.contains(field) {
                        "*"
                    } else {
                        ""
                    };
                    format!("{field}{required}: {}", boxed_type(api, value))
                })
                .collect();
            found.sort();
            let expected = with_notes(
                &shared,
                notes.get(&(version.to_owned(), own_name.to_owned())),
            );
            assert_eq!(found, expected, "{own_name} in {version}");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} schema shapes were compared");
}

#[test]
fn the_2025_09_labels_use_the_schema_without_object_type_ids() {
    let api = spec("2025-09");
    let labels =
        document::component_schema(&api, "CollectionResponseAssociationSpecWithLabelNoPaging")
            .unwrap();
    let json = serde_json::to_value(labels).unwrap();
    assert_eq!(
        json.pointer("/properties/results/items/$ref").unwrap(),
        "#/components/schemas/AssociationSpecWithLabelNoObjectTypeIds"
    );
    let records = document::component_schema(&api, "MultiAssociatedObjectWithLabel").unwrap();
    let json = serde_json::to_value(records).unwrap();
    assert_eq!(
        json.pointer("/properties/associationTypes/items/$ref")
            .unwrap(),
        "#/components/schemas/AssociationSpecWithLabel"
    );
}

/// `spec/sources/<file>` without its comment lines, as rows of cells.
fn tsv(file: &str) -> Vec<Vec<String>> {
    fs::read_to_string(workspace().join("spec/sources").join(file))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Every operation of every version has the OAuth scopes and rate-limit exemptions HubSpot
/// publishes for it (`spec/sources/operation-facts.tsv`), as the model reads them: what the
/// registry hands to programs.
#[test]
fn every_operation_has_the_scopes_and_exemptions_hubspot_publishes() {
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in tsv("scope-lists.tsv") {
        lists
            .entry(row[0].clone())
            .or_default()
            .push(row[1].clone());
    }
    let mut facts: BTreeMap<(String, String), (Vec<String>, Vec<String>)> = BTreeMap::new();
    for row in tsv("operation-facts.tsv") {
        let [version, operation, list, exemptions] = &row[..] else {
            panic!("operation-facts.tsv: {row:?} does not have four cells");
        };
        let mut scopes = lists[list].clone();
        scopes.sort();
        let exemptions = match exemptions.as_str() {
            "-" => Vec::new(),
            listed => listed.split(',').map(str::to_owned).collect(),
        };
        facts.insert((version.clone(), operation.clone()), (scopes, exemptions));
    }
    let inputs = xtask::codegen::Inputs::read(workspace()).unwrap();
    let mut checked = 0;
    for version in xtask::codegen::versions(&inputs).unwrap() {
        for op in &version.operations {
            let Some((scopes, exemptions)) = facts.get(&(version.name.clone(), op.id.clone()))
            else {
                panic!(
                    "{} {}: not in spec/sources/operation-facts.tsv",
                    version.name, op.id
                );
            };
            let mut found = op.scopes.clone();
            found.sort();
            assert_eq!(&found, scopes, "the scopes of {} {}", version.name, op.id);
            assert_eq!(
                &op.rate_limit_exemptions, exemptions,
                "the exemptions of {} {}",
                version.name, op.id
            );
            checked += 1;
        }
    }
    assert_eq!(checked, facts.len(), "a row names an operation no spec has");
}
