//! `cargo xtask import`: a version's spec from HubSpot's published files and our newest
//! version (or, with `--update`, the version itself), on parsed documents.
//!
//! What HubSpot's files say decides the facts: which operations exist, their success codes,
//! parameters, bodies, headers, scopes and rate-limit exemptions, and the fields of every
//! schema. What we wrote decides the rest, wherever the facts did not change: operation ids
//! (matched by method and version-less path, as the audit matches them), schema names (where
//! HubSpot's differ only by a suffix such as `_1`), descriptions, examples, tags,
//! `x-batch-limit`, and the scope lists with their anchors. Where a fact changed or an item is
//! new, its examples are synthesized from the schema (and say so) and its descriptions are
//! placeholders ([`PLACEHOLDER`]) a maintainer rewrites: nothing of HubSpot's prose is copied.
//! An operation of the version before that HubSpot no longer has goes into
//! `info.x-removed-operations` with a placeholder note, which validation refuses until a person
//! writes it. With no HubSpot file at all, import is `bump`: the base version, every path's
//! version rewritten.
//!
//! The comparison is the audit's ([`audit::compare`]); reading and writing files is the
//! caller's. Comments of the base spec are not kept: the document is written from its tree.

use std::collections::{BTreeMap, BTreeSet};

use serde_norway::{Mapping, Value as Yaml};

use crate::audit::{self, Compared, Finding, HubSpotFile, TheirOperation, Tolerance};
use crate::bump::rewrite_path;
use crate::document::SCHEMA_REF;
pub use crate::extensions::REMOVAL_PLACEHOLDER;
use crate::extensions::{LIFECYCLE, RATE_LIMIT_EXEMPTIONS, REMOVED_OPERATIONS};
use crate::load::Spec;
use crate::path_template::{PathTemplate, Segment};

/// The text of every description import had to write: a maintainer replaces it.
pub const PLACEHOLDER: &str = "TODO(import): describe this in our words";

/// The summary of every example import synthesized from a schema.
pub const SYNTHESIZED: &str =
    "Synthesized from the schema by `cargo xtask import`: replace it with a real payload";

/// What to import.
pub struct Request<'a> {
    /// The version written, such as `2027-03`.
    pub version: &'a str,
    /// The spec it starts from: our newest version, or the version itself (`--update`).
    pub base: &'a Spec,
    /// The base's text, whose order and wording are kept.
    pub base_text: &'a str,
    /// The version before the one written, whose operations it must keep or declare removed.
    pub previous: Option<&'a Spec>,
    /// Its text.
    pub previous_text: Option<&'a str>,
    /// HubSpot's files for the version, newest first (none for a plain bump).
    pub hubspot: &'a [&'a HubSpotFile],
    /// The deliberate differences, which import keeps.
    pub tolerances: &'a [Tolerance],
}

/// What import wrote, and what a maintainer must look at.
#[derive(Debug)]
pub struct Imported {
    /// The new `openapi.yaml`.
    pub text: String,
    /// One line per thing done that needs a person: placeholders, synthesized examples,
    /// removals, new operations and schemas, operations left out as out of scope.
    pub notes: Vec<String>,
    /// Per operation of the result, in order: its id, OAuth scopes and rate-limit exemptions.
    pub facts: Vec<OperationFacts>,
}

/// The facts of one operation that `spec/sources/operation-facts.tsv` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationFacts {
    /// The operation id.
    pub id: String,
    /// Its scopes, sorted.
    pub scopes: Vec<String>,
    /// Its rate-limit exemptions.
    pub exemptions: Vec<String>,
}

fn key(text: &str) -> Yaml {
    Yaml::String(text.to_owned())
}

fn map(value: &Yaml) -> Mapping {
    value.as_mapping().cloned().unwrap_or_default()
}

/// One of our specs as import reads it: its tree (which keeps its order), and what differs
/// from HubSpot's files (tolerated differences left out).
struct Ours<'a> {
    spec: &'a Spec,
    tree: Yaml,
    compared: Compared<'a>,
    drift: Vec<Finding>,
}

impl<'a> Ours<'a> {
    fn read(spec: &'a Spec, text: &str, request: &Request<'a>) -> Result<Self, String> {
        let tree: Yaml = serde_norway::from_str(text)
            .map_err(|error| format!("xtask: spec/{} cannot be read: {error}", spec.version))?;
        let compared = audit::compare(spec, request.hubspot, request.version);
        let drift = compared
            .findings
            .iter()
            .filter(|finding| {
                !request
                    .tolerances
                    .iter()
                    .any(|tolerance| tolerance.matches(request.version, finding))
            })
            .cloned()
            .collect();
        Ok(Self {
            spec,
            tree,
            compared,
            drift,
        })
    }

    /// The operation `id`: its path, method and tree.
    fn operation(&self, id: &str) -> Option<(String, String, Yaml)> {
        operations_of(&self.tree)
            .into_iter()
            .find(|(_, _, op)| op["operationId"].as_str() == Some(id))
    }

    /// Whether the named schema of ours differs from HubSpot's beyond the tolerances.
    fn type_changed(&self, ours: &str, theirs: &str) -> bool {
        let subject = type_subject(ours, theirs);
        self.drift.iter().any(|f| f.subject == subject)
    }
}

/// How the audit names a pair of schemas compared as types.
fn type_subject(ours: &str, theirs: &str) -> String {
    if ours == theirs {
        format!("type {ours}")
    } else {
        format!("type {ours} (HubSpot: {theirs})")
    }
}

/// The scope lists of the result, by name: the base's, and one more for each new set.
struct Lists(Vec<(String, Yaml)>);

impl Lists {
    /// The security requirement for `scopes`: an existing list, or a new one (noted).
    fn security_for(&mut self, scopes: &BTreeSet<String>, notes: &mut Vec<String>) -> Yaml {
        if let Some((_, list)) = self.0.iter().find(|(_, list)| scope_set(list) == *scopes) {
            return list.clone();
        }
        let list = Yaml::Sequence(
            scopes
                .iter()
                .map(|scope| {
                    let mut requirement = Mapping::new();
                    requirement.insert(key("oauth2"), Yaml::Sequence(vec![key(scope)]));
                    Yaml::Mapping(requirement)
                })
                .collect(),
        );
        let name = (1..)
            .map(|n| format!("list-{n}"))
            .find(|name| !self.0.iter().any(|(taken, _)| taken == name))
            .unwrap_or_default();
        notes.push(format!(
            "new scope list `{name}` ({} scopes): give it a name in x-hubspot-scope-lists",
            scopes.len()
        ));
        self.0.push((name, list.clone()));
        list
    }
}

/// The version's spec. An error is a sentence for the user: a spec cannot be read as a tree.
pub fn import(request: &Request) -> Result<Imported, String> {
    let bump_only = request.hubspot.is_empty();
    let base = Ours::read(request.base, request.base_text, request)?;
    // The version before, where it is not the base (`--update`): an operation HubSpot still
    // publishes that the base lacks keeps its id, words and examples from there.
    let prior = match (request.previous, request.previous_text) {
        (Some(previous), Some(text)) if previous.version != request.base.version && !bump_only => {
            Some(Ours::read(previous, text, request)?)
        }
        _ => None,
    };
    let mut notes = Vec::new();
    for operation in &base.compared.out_of_scope {
        notes.push(format!("left out, out of scope: {operation}"));
    }

    // HubSpot's schema names for ours.
    let base_schemas = map(&base.tree["components"]["schemas"]);
    let prior_schemas = prior
        .as_ref()
        .map(|prior| map(&prior.tree["components"]["schemas"]))
        .unwrap_or_default();
    // A schema keeps our name where HubSpot's is the same but for a suffix (`Paging_1`); where
    // HubSpot names the same shape otherwise, HubSpot's name is taken (`renames`, ours to
    // theirs, applied to the whole document at the end).
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for ours in std::iter::once(&base).chain(prior.as_ref()) {
        for (mine, theirs) in ours.compared.types.keys() {
            if mine == theirs || audit::unsuffixed(theirs) == Some(mine.as_str()) {
                names.entry(theirs.clone()).or_insert_with(|| mine.clone());
            } else if !base_schemas.contains_key(theirs.as_str()) {
                renames
                    .entry(mine.clone())
                    .or_insert_with(|| theirs.clone());
            }
        }
    }
    let ours_for = |theirs: &str| -> String {
        if let Some(ours) = names.get(theirs) {
            return ours.clone();
        }
        // HubSpot's `Name_1` is our `Name` when we have it.
        match audit::unsuffixed(theirs) {
            Some(name) if base_schemas.contains_key(name) || prior_schemas.contains_key(name) => {
                name.to_owned()
            }
            _ => theirs.to_owned(),
        }
    };

    let mut lists = Lists(
        map(&base.tree["x-hubspot-scope-lists"])
            .into_iter()
            .filter_map(|(name, list)| Some((name.as_str()?.to_owned(), list)))
            .collect(),
    );

    // Our paths at the new version (the same when the version updates itself).
    let moved = |from: &str, path: &str| {
        if from == request.version {
            path.to_owned()
        } else {
            rewrite_path(path, from, request.version)
        }
    };

    // The operations: the base's where HubSpot has them (all of them for a bump), rebuilt where
    // a fact changed; then HubSpot's others, from the version before where it has them.
    let mut paths = Mapping::new();
    let mut removed = Vec::new();
    let mut facts = Vec::new();
    for (id, theirs) in &base.compared.operations {
        let Some((path, method, operation)) = base.operation(id) else {
            continue;
        };
        let operation = match theirs {
            Some(theirs) => adopt(
                id, &operation, theirs, &base, &ours_for, &mut lists, &mut notes,
            ),
            None if bump_only => operation,
            None => {
                removed.push(id.clone());
                continue;
            }
        };
        facts.push(operation_facts(id, &operation));
        insert_operation(
            &mut paths,
            &moved(&base.spec.version, &path),
            &method,
            operation,
        );
    }
    let mut taken: BTreeSet<String> = facts.iter().map(|f| f.id.clone()).collect();
    for theirs in &base.compared.added {
        let earlier = prior.as_ref().and_then(|prior| {
            let (id, _) = prior.compared.operations.iter().find(|(_, matched)| {
                matched.is_some_and(|m| m.path == theirs.path && m.method == theirs.method)
            })?;
            let (path, method, operation) = prior.operation(id)?;
            Some((prior, id.clone(), path, method, operation))
        });
        if let Some((prior, id, path, method, operation)) = earlier {
            notes.push(format!(
                "{id}: HubSpot publishes it again; taken from {}",
                prior.spec.version
            ));
            let operation = adopt(
                &id, &operation, theirs, prior, &ours_for, &mut lists, &mut notes,
            );
            taken.insert(id.clone());
            facts.push(operation_facts(&id, &operation));
            insert_operation(
                &mut paths,
                &moved(&prior.spec.version, &path),
                &method,
                operation,
            );
            continue;
        }
        let their_operation = &theirs.file.tree["paths"][theirs.path][theirs.method];
        let id = new_id(theirs.method, theirs.path, request.version, &taken);
        taken.insert(id.clone());
        let mut operation = Mapping::new();
        operation.insert(key("operationId"), key(&id));
        let scopes = their_scopes(their_operation, theirs.file);
        if !scopes.is_empty() {
            operation.insert(key("security"), lists.security_for(&scopes, &mut notes));
        }
        operation.insert(key("summary"), key(PLACEHOLDER));
        operation.insert(key("description"), key(PLACEHOLDER));
        if let Some(exemptions) = their_operation.get(RATE_LIMIT_EXEMPTIONS) {
            operation.insert(key(RATE_LIMIT_EXEMPTIONS), exemptions.clone());
        }
        let parameters = parameters(&Mapping::new(), their_operation, theirs.file, &base.tree);
        if !parameters.is_empty() {
            operation.insert(key("parameters"), Yaml::Sequence(parameters));
        }
        if let Some(body) = request_body(their_operation, theirs.file, &ours_for) {
            operation.insert(key("requestBody"), body);
        }
        let responses = responses(&operation, their_operation, theirs.file, "", &[], &ours_for);
        operation.insert(key("responses"), Yaml::Mapping(responses));
        notes.push(format!(
            "{id}: new, {} {} (name it: ids are stable across versions; describe it; replace its \
             synthesized examples)",
            theirs.method.to_ascii_uppercase(),
            theirs.path
        ));
        let operation = Yaml::Mapping(operation);
        facts.push(operation_facts(&id, &operation));
        insert_operation(&mut paths, theirs.path, theirs.method, operation);
    }

    let mut components = map(&base.tree["components"]);
    // Parameters the version before's operations refer to; every scope the operations name
    // among the OAuth scheme's.
    let mut wanted = Vec::new();
    collect_component_refs(&Yaml::Mapping(paths.clone()), "parameters", &mut wanted);
    let mut parameters = components.get("parameters").map(map).unwrap_or_default();
    for name in wanted {
        if !parameters.contains_key(name.as_str())
            && let Some(found) = prior
                .as_ref()
                .and_then(|prior| prior.tree["components"]["parameters"].get(name.as_str()))
        {
            parameters.insert(key(&name), found.clone());
        }
    }
    if !parameters.is_empty() {
        components.insert(key("parameters"), Yaml::Mapping(parameters));
    }
    let used_scopes: BTreeSet<&String> = facts.iter().flat_map(|f| &f.scopes).collect();
    if let Some(Yaml::Mapping(schemes)) = components.get_mut("securitySchemes") {
        for (_, scheme) in schemes.iter_mut() {
            if let Some(Yaml::Mapping(flows)) = scheme.get_mut("flows") {
                for (_, flow) in flows.iter_mut() {
                    if let Some(Yaml::Mapping(scopes)) = flow.get_mut("scopes") {
                        for scope in &used_scopes {
                            if !scopes.contains_key(scope.as_str()) {
                                scopes.insert(key(scope), key(""));
                            }
                        }
                    }
                }
            }
        }
    }

    // The schemas the operations reach: ours (the base's, else the version before's), with
    // the fields HubSpot changed taken from its file; HubSpot's new ones. A bump keeps all.
    if !bump_only {
        let mut queue: Vec<String> = Vec::new();
        collect_refs(&Yaml::Mapping(paths.clone()), &mut queue);
        for part in ["parameters", "responses"] {
            if let Some(value) = components.get(part) {
                collect_refs(value, &mut queue);
            }
        }
        let mut schemas = Mapping::new();
        let mut seen = BTreeSet::new();
        let mut reshaped = BTreeSet::new();
        while let Some(name) = queue.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let mine = [(&base, &base_schemas)]
                .into_iter()
                .chain(prior.as_ref().map(|prior| (prior, &prior_schemas)))
                .find_map(|(ours, schemas)| Some((ours, schemas.get(name.as_str())?)));
            let schema = match mine {
                Some((ours, schema)) => {
                    let pair = ours
                        .compared
                        .types
                        .iter()
                        .find(|((mine, _), _)| *mine == name);
                    match pair {
                        Some(((mine, theirs), file)) if ours.type_changed(mine, theirs) => {
                            notes.push(format!(
                                "schema {name}: fields taken from HubSpot's `{theirs}`"
                            ));
                            reshaped.insert(name.clone());
                            merge_schema(
                                schema,
                                map(&file.tree["components"]["schemas"])
                                    .get(theirs.as_str())
                                    .unwrap_or(&Yaml::Null),
                                &type_subject(mine, theirs),
                                &ours.drift,
                                &ours_for,
                            )
                        }
                        _ => schema.clone(),
                    }
                }
                None => {
                    let found = request.hubspot.iter().find_map(|file| {
                        map(&file.tree["components"]["schemas"])
                            .into_iter()
                            .find(|(theirs, _)| {
                                theirs.as_str().is_some_and(|t| ours_for(t) == name)
                            })
                            .map(|(_, schema)| schema)
                    });
                    let Some(theirs) = found else { continue };
                    notes.push(format!(
                        "schema {name}: new, from HubSpot's file: describe it"
                    ));
                    converted(&theirs, &ours_for, true)
                }
            };
            collect_refs(&schema, &mut queue);
            schemas.insert(key(&name), schema);
        }
        // In the base's order (then the version before's), new schemas after.
        let mut ordered = Mapping::new();
        for name in base_schemas.keys().chain(prior_schemas.keys()) {
            if let Some(schema) = name.as_str().and_then(|n| schemas.get(n)) {
                ordered.insert(name.clone(), schema.clone());
            }
        }
        let mut new_schemas: Vec<(&Yaml, &Yaml)> = schemas
            .iter()
            .filter(|(name, _)| !ordered.contains_key(*name))
            .collect();
        new_schemas.sort_by_key(|(name, _)| name.as_str().unwrap_or_default().to_owned());
        for (name, schema) in new_schemas {
            ordered.insert(name.clone(), schema.clone());
        }
        components.insert(key("schemas"), Yaml::Mapping(ordered));
        // An example of ours whose schema reaches a schema HubSpot reshaped may no longer fit
        // it: it is synthesized anew, and says so.
        let mut root = Mapping::new();
        root.insert(key("components"), Yaml::Mapping(components.clone()));
        let root = Yaml::Mapping(root);
        for (path, item) in paths.iter_mut() {
            for (method, operation) in item.as_mapping_mut().into_iter().flatten() {
                let stale = resynthesize_examples(operation, &root, &reshaped);
                if stale > 0 {
                    notes.push(format!(
                        "{} {}: {stale} example(s) synthesized anew: their schema changed",
                        method.as_str().unwrap_or_default().to_ascii_uppercase(),
                        path.as_str().unwrap_or_default()
                    ));
                }
            }
        }
    }

    // `info`: the version, its lifecycle and its removals.
    let mut info = map(&base.tree["info"]);
    info.insert(key("version"), key(request.version));
    if request.base.version != request.version {
        let mut lifecycle = Mapping::new();
        let beta = request.hubspot.iter().all(|file| file.beta);
        lifecycle.insert(
            key("status"),
            key(if beta { "beta" } else { "generally-available" }),
        );
        info.insert(key(LIFECYCLE), Yaml::Mapping(lifecycle));
        info.insert(
            key("description"),
            key(&format!(
                "Version {} of HubSpot's CRM associations API. {PLACEHOLDER}.\n",
                request.version
            )),
        );
    }
    let kept_notes = info.get(REMOVED_OPERATIONS).map(map).unwrap_or_default();
    let previous: Vec<String> = match request.previous {
        Some(previous) => crate::document::operations(&previous.api)
            .filter_map(|op| op.operation.operation_id.clone())
            .collect(),
        None => Vec::new(),
    };
    let mut removals = Mapping::new();
    for id in previous.iter().filter(|id| !taken.contains(*id)) {
        let note = kept_notes
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| key(REMOVAL_PLACEHOLDER));
        if note.as_str() == Some(REMOVAL_PLACEHOLDER) {
            notes.push(format!(
                "{id}: HubSpot no longer publishes it: write its note in info.{REMOVED_OPERATIONS}"
            ));
        }
        removals.insert(key(id), note);
    }
    for id in removed.iter().filter(|id| !previous.contains(id)) {
        notes.push(format!("{id}: HubSpot no longer publishes it; dropped"));
    }
    if removals.is_empty() {
        info.remove(REMOVED_OPERATIONS);
    } else {
        info.insert(key(REMOVED_OPERATIONS), Yaml::Mapping(removals));
    }

    let mut document = map(&base.tree);
    document.insert(key("info"), Yaml::Mapping(info));
    let used: BTreeSet<BTreeSet<String>> = facts
        .iter()
        .map(|f| f.scopes.iter().cloned().collect())
        .collect();
    lists.0.retain(|(_, list)| used.contains(&scope_set(list)));
    document.insert(
        key("x-hubspot-scope-lists"),
        Yaml::Mapping(
            lists
                .0
                .iter()
                .map(|(name, list)| (key(name), list.clone()))
                .collect(),
        ),
    );
    document.insert(key("paths"), Yaml::Mapping(paths));
    document.insert(key("components"), Yaml::Mapping(components));
    for (mine, theirs) in &renames {
        notes.push(format!("schema {mine} is HubSpot's {theirs} now: renamed"));
    }
    let document = renamed(Yaml::Mapping(document), &renames);
    let text = emit(&map(&document), &lists.0, &anchors(request.base_text));
    Ok(Imported { text, notes, facts })
}

/// One of our operations with HubSpot's facts where they changed: its answers, parameters,
/// request body, scopes and exemptions each taken from HubSpot's file (with placeholders and
/// synthesized examples) when the audit found them different; the rest as we wrote it.
fn adopt(
    id: &str,
    operation: &Yaml,
    theirs: &TheirOperation,
    ours: &Ours,
    ours_for: &dyn Fn(&str) -> String,
    lists: &mut Lists,
    notes: &mut Vec<String>,
) -> Yaml {
    let their_operation = &theirs.file.tree["paths"][theirs.path][theirs.method];
    let subject = format!("operation {id}");
    let findings: Vec<&Finding> = ours.drift.iter().filter(|f| f.subject == subject).collect();
    let differs = |place: &str| findings.iter().any(|f| f.place.starts_with(place));
    let mut operation = map(operation);
    let mut rebuilt = Vec::new();
    if differs("success codes")
        || findings
            .iter()
            .any(|f| f.place.starts_with(|c: char| c.is_ascii_digit()))
    {
        let responses = responses(
            &operation,
            their_operation,
            theirs.file,
            &subject,
            &findings,
            ours_for,
        );
        operation.insert(key("responses"), Yaml::Mapping(responses));
        rebuilt.push("answers");
    }
    if differs("parameter") {
        let parameters = parameters(&operation, their_operation, theirs.file, &ours.tree);
        operation.insert(key("parameters"), Yaml::Sequence(parameters));
        rebuilt.push("parameters");
    }
    if differs("request body") {
        match request_body(their_operation, theirs.file, ours_for) {
            Some(body) => operation.insert(key("requestBody"), body),
            None => operation.remove("requestBody"),
        };
        rebuilt.push("request body");
    }
    if differs("scopes") {
        let scopes = their_scopes(their_operation, theirs.file);
        operation.insert(key("security"), lists.security_for(&scopes, notes));
        rebuilt.push("scopes");
    }
    if differs("rate-limit exemptions") {
        match their_operation.get(RATE_LIMIT_EXEMPTIONS) {
            Some(exemptions) => operation.insert(key(RATE_LIMIT_EXEMPTIONS), exemptions.clone()),
            None => operation.remove(RATE_LIMIT_EXEMPTIONS),
        };
        rebuilt.push("rate-limit exemptions");
    }
    if !rebuilt.is_empty() {
        notes.push(format!(
            "{id}: {} taken from HubSpot's file (placeholders and synthesized examples where \
             they changed)",
            rebuilt.join(", ")
        ));
    }
    Yaml::Mapping(operation)
}

/// Every operation of a spec tree: path, method, operation, in order.
fn operations_of(spec: &Yaml) -> Vec<(String, String, Yaml)> {
    map(&spec["paths"])
        .into_iter()
        .flat_map(|(path, item)| {
            let path = path.as_str().unwrap_or_default().to_owned();
            map(&item)
                .into_iter()
                .filter(|(method, _)| {
                    matches!(
                        method.as_str(),
                        Some("get" | "put" | "post" | "delete" | "patch" | "head" | "options")
                    )
                })
                .map(move |(method, op)| {
                    (
                        path.clone(),
                        method.as_str().unwrap_or_default().to_owned(),
                        op,
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn insert_operation(paths: &mut Mapping, path: &str, method: &str, operation: Yaml) {
    let item = paths
        .entry(key(path))
        .or_insert_with(|| Yaml::Mapping(Mapping::new()));
    if let Yaml::Mapping(item) = item {
        item.insert(key(method), operation);
    }
}

fn scope_set(list: &Yaml) -> BTreeSet<String> {
    list.as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Yaml::as_mapping)
        .flat_map(|requirement| requirement.get("oauth2").and_then(Yaml::as_sequence))
        .flatten()
        .filter_map(|scope| scope.as_str().map(str::to_owned))
        .collect()
}

fn operation_facts(id: &str, operation: &Yaml) -> OperationFacts {
    let mut scopes: Vec<String> = scope_set(&operation["security"]).into_iter().collect();
    scopes.sort();
    OperationFacts {
        id: id.to_owned(),
        scopes,
        exemptions: operation[RATE_LIMIT_EXEMPTIONS]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str().map(str::to_owned))
            .collect(),
    }
}

/// The OAuth scopes of one of HubSpot's operations (or of its file, when it gives none).
fn their_scopes(operation: &Yaml, file: &HubSpotFile) -> BTreeSet<String> {
    let security = match operation.get("security") {
        Some(security) => security,
        None => &file.tree["security"],
    };
    scope_set(security)
}

/// An id for an operation HubSpot added: its method and the literal segments of its path
/// after the version (`get_labels_usage`), made unique. A maintainer names it for good.
fn new_id(method: &str, path: &str, version: &str, taken: &BTreeSet<String>) -> String {
    let words: Vec<String> = PathTemplate::parse(path)
        .without(version)
        .segments()
        .iter()
        .filter_map(|segment| match segment {
            Segment::Literal(text)
                if !matches!(text.as_str(), "crm" | "associations" | "objects") =>
            {
                Some(heck::ToSnakeCase::to_snake_case(text.as_str()))
            }
            _ => None,
        })
        .collect();
    let base = format!("{}_{}", method.to_ascii_lowercase(), words.join("_"));
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

/// Follows a `#/components/<kind>/<name>` reference in the document `root`.
fn resolved<'a>(value: &'a Yaml, root: &'a Yaml) -> &'a Yaml {
    let Some(reference) = value.get("$ref").and_then(Yaml::as_str) else {
        return value;
    };
    let mut node = root;
    for part in reference.trim_start_matches("#/").split('/') {
        node = &node[part];
    }
    node
}

/// HubSpot's schema tree in our terms: references renamed, `example: null` dropped, and every
/// description replaced by the placeholder (`describe`) or dropped.
fn converted(value: &Yaml, ours_for: &dyn Fn(&str) -> String, describe: bool) -> Yaml {
    match value {
        Yaml::Mapping(mapping) => {
            let mut out = Mapping::new();
            for (name, inner) in mapping {
                match name.as_str() {
                    Some("example") if inner.is_null() => {}
                    Some("description") => {
                        if describe {
                            out.insert(name.clone(), key(PLACEHOLDER));
                        }
                    }
                    Some("$ref") => {
                        let reference = inner.as_str().unwrap_or_default();
                        let renamed = match reference.strip_prefix(SCHEMA_REF) {
                            Some(theirs) => format!("{SCHEMA_REF}{}", ours_for(theirs)),
                            None => reference.to_owned(),
                        };
                        out.insert(name.clone(), key(&renamed));
                    }
                    // Every property is described: the generated field's docs come from it.
                    Some("properties") => {
                        let properties = map(inner)
                            .into_iter()
                            .map(|(property, schema)| {
                                let mut schema = converted(&schema, ours_for, false);
                                if let Yaml::Mapping(fields) = &mut schema
                                    && !fields.contains_key("$ref")
                                {
                                    fields.insert(key("description"), key(PLACEHOLDER));
                                }
                                (property, schema)
                            })
                            .collect();
                        out.insert(name.clone(), Yaml::Mapping(properties));
                    }
                    _ => {
                        out.insert(name.clone(), converted(inner, ours_for, false));
                    }
                }
            }
            Yaml::Mapping(out)
        }
        Yaml::Sequence(items) => Yaml::Sequence(
            items
                .iter()
                .map(|i| converted(i, ours_for, false))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Our schema with the fields the audit found changed taken from HubSpot's: a field of ours
/// that did not change keeps its words; one that changed, or is new, gets the placeholder.
fn merge_schema(
    ours: &Yaml,
    theirs: &Yaml,
    subject: &str,
    drift: &[Finding],
    ours_for: &dyn Fn(&str) -> String,
) -> Yaml {
    let field_changed = |name: &str| {
        drift.iter().any(|f| {
            f.subject == subject
                && f.place
                    .strip_prefix(&format!(".{name}"))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '.', '[', '{']))
        })
    };
    let mut merged = map(ours);
    let their_fields = map(&theirs["properties"]);
    let our_fields = map(&ours["properties"]);
    let mut fields = Mapping::new();
    for (name, schema) in &their_fields {
        let text = name.as_str().unwrap_or_default();
        let field = match our_fields.get(text) {
            Some(ours) if !field_changed(text) => ours.clone(),
            // Changed or new: HubSpot's shape, our words where we had some.
            ours => {
                let mut field = converted(schema, ours_for, false);
                if let Yaml::Mapping(field) = &mut field
                    && !field.contains_key("$ref")
                {
                    let words = ours.and_then(|ours| ours.get("description")).cloned();
                    field.insert(
                        key("description"),
                        words.unwrap_or_else(|| key(PLACEHOLDER)),
                    );
                }
                field
            }
        };
        fields.insert(name.clone(), field);
    }
    if !fields.is_empty() || ours.get("properties").is_some() {
        merged.insert(key("properties"), Yaml::Mapping(fields));
    }
    // The schema's own facts, as HubSpot gives them now.
    let facts = converted(theirs, ours_for, false);
    for fact in [
        "type",
        "format",
        "enum",
        "items",
        "additionalProperties",
        "nullable",
    ] {
        match facts.get(fact) {
            Some(value) => {
                merged.insert(key(fact), value.clone());
            }
            None => {
                merged.remove(fact);
            }
        }
    }
    match theirs.get("required") {
        Some(required) if required.as_sequence().is_some_and(|r| !r.is_empty()) => {
            merged.insert(key("required"), required.clone());
        }
        _ => {
            merged.remove("required");
        }
    }
    Yaml::Mapping(merged)
}

/// Our success answers where they did not change, HubSpot's (with synthesized examples) where
/// they did; the `default` error answer kept.
fn responses(
    operation: &Mapping,
    theirs: &Yaml,
    file: &HubSpotFile,
    subject: &str,
    drift: &[&Finding],
    ours_for: &dyn Fn(&str) -> String,
) -> Mapping {
    let ours = map(&operation.get("responses").cloned().unwrap_or(Yaml::Null));
    let mut responses = Mapping::new();
    for (status, answer) in map(&theirs["responses"]) {
        let Some(code) = status.as_str().filter(|s| s.starts_with('2')) else {
            continue;
        };
        let changed = drift
            .iter()
            .any(|f| f.subject == subject && f.place.starts_with(&format!("{code} ")));
        if let Some(kept) = ours.get(code).filter(|_| !changed) {
            responses.insert(status.clone(), kept.clone());
            continue;
        }
        let answer = resolved(&answer, &file.tree);
        let mut response = Mapping::new();
        response.insert(key("description"), key(PLACEHOLDER));
        if let Some(headers) = answer.get("headers").and_then(Yaml::as_mapping) {
            let headers: Mapping = headers
                .iter()
                .map(|(name, header)| {
                    let mut header = map(&converted(header, ours_for, false));
                    header.insert(key("description"), key(PLACEHOLDER));
                    (name.clone(), Yaml::Mapping(header))
                })
                .collect();
            response.insert(key("headers"), Yaml::Mapping(headers));
        }
        if let Some(content) = json_content(&answer["content"], file, ours_for) {
            response.insert(key("content"), content);
        }
        responses.insert(status.clone(), Yaml::Mapping(response));
    }
    match ours.get("default") {
        Some(default) => {
            responses.insert(key("default"), default.clone());
        }
        None => {
            let mut error = Mapping::new();
            error.insert(key("$ref"), key("#/components/responses/Error"));
            responses.insert(key("default"), Yaml::Mapping(error));
        }
    }
    responses
}

/// A body's content as JSON with a synthesized example.
fn json_content(
    content: &Yaml,
    file: &HubSpotFile,
    ours_for: &dyn Fn(&str) -> String,
) -> Option<Yaml> {
    let media = map(content).into_iter().next()?.1;
    let schema = media.get("schema")?;
    let mut out = Mapping::new();
    out.insert(key("schema"), converted(schema, ours_for, false));
    let mut example = Mapping::new();
    example.insert(key("summary"), key(SYNTHESIZED));
    example.insert(key("value"), synthesize(schema, &file.tree, 0));
    let mut examples = Mapping::new();
    examples.insert(key("synthesized"), Yaml::Mapping(example));
    out.insert(key("examples"), Yaml::Mapping(examples));
    let mut json = Mapping::new();
    json.insert(key("application/json"), Yaml::Mapping(out));
    Some(Yaml::Mapping(json))
}

fn request_body(
    theirs: &Yaml,
    file: &HubSpotFile,
    ours_for: &dyn Fn(&str) -> String,
) -> Option<Yaml> {
    let body = resolved(theirs.get("requestBody")?, &file.tree);
    let mut out = Mapping::new();
    out.insert(
        key("required"),
        Yaml::Bool(body["required"].as_bool().unwrap_or(false)),
    );
    out.insert(key("description"), key(PLACEHOLDER));
    out.insert(
        key("content"),
        json_content(&body["content"], file, ours_for)?,
    );
    Some(Yaml::Mapping(out))
}

/// HubSpot's parameters, each with our words and example where we have a parameter of the
/// same name (in the base's `components.parameters` or this operation), placeholders and a
/// synthesized example where not.
fn parameters(operation: &Mapping, theirs: &Yaml, file: &HubSpotFile, base: &Yaml) -> Vec<Yaml> {
    let ours: Vec<Yaml> = operation
        .get("parameters")
        .and_then(Yaml::as_sequence)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(
            |parameter| match parameter.get("$ref").and_then(Yaml::as_str) {
                Some(reference) => {
                    let name = reference.rsplit('/').next().unwrap_or_default();
                    base["components"]["parameters"][name].clone()
                }
                None => parameter,
            },
        )
        .chain(
            map(&base["components"]["parameters"])
                .into_iter()
                .map(|(_, p)| p),
        )
        .collect();
    theirs["parameters"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|parameter| {
            let parameter = resolved(parameter, &file.tree);
            let mut out = map(&converted(parameter, &|name| name.to_owned(), false));
            let known = ours.iter().find(|p| {
                p["name"] == parameter["name"]
                    && p["in"] == parameter["in"]
                    && p["schema"]["type"] == parameter["schema"]["type"]
            });
            out.insert(
                key("description"),
                known
                    .and_then(|p| p.get("description").cloned())
                    .unwrap_or_else(|| key(PLACEHOLDER)),
            );
            out.insert(
                key("example"),
                known
                    .and_then(|p| p.get("example").cloned())
                    .unwrap_or_else(|| synthesize(&parameter["schema"], &file.tree, 0)),
            );
            Yaml::Mapping(out)
        })
        .collect()
}

/// A value the schema accepts, made up from its types: for an example nobody wrote yet.
fn synthesize(schema: &Yaml, root: &Yaml, depth: usize) -> Yaml {
    let schema = resolved(schema, root);
    if depth > 8 {
        return Yaml::Null;
    }
    if let Some(first) = schema["enum"]
        .as_sequence()
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    match schema["type"].as_str() {
        Some("integer") => Yaml::Number(1.into()),
        Some("number") => Yaml::Number(1.5.into()),
        Some("boolean") => Yaml::Bool(true),
        Some("array") => Yaml::Sequence(vec![synthesize(&schema["items"], root, depth + 1)]),
        Some("string") => key(match schema["format"].as_str() {
            Some("date-time") => "2026-01-01T00:00:00Z",
            Some("date") => "2026-01-01",
            _ => "string",
        }),
        _ => {
            let mut object = Mapping::new();
            for (name, property) in map(&schema["properties"]) {
                object.insert(name, synthesize(&property, root, depth + 1));
            }
            if object.is_empty()
                && schema
                    .get("additionalProperties")
                    .is_some_and(Yaml::is_mapping)
            {
                object.insert(
                    key("key"),
                    synthesize(&schema["additionalProperties"], root, depth + 1),
                );
            }
            Yaml::Mapping(object)
        }
    }
}

/// The tree with schemas renamed (ours to HubSpot's): their keys under
/// `components.schemas` and every reference to them.
fn renamed(value: Yaml, renames: &BTreeMap<String, String>) -> Yaml {
    if renames.is_empty() {
        return value;
    }
    fn walk(value: Yaml, renames: &BTreeMap<String, String>, schemas: bool) -> Yaml {
        match value {
            Yaml::Mapping(mapping) => Yaml::Mapping(
                mapping
                    .into_iter()
                    .map(|(name, inner)| {
                        let text = name.as_str().unwrap_or_default().to_owned();
                        let inner = match (text.as_str(), inner.as_str()) {
                            ("$ref", Some(reference)) => match reference
                                .strip_prefix(SCHEMA_REF)
                                .and_then(|schema| renames.get(schema))
                            {
                                Some(theirs) => key(&format!("{SCHEMA_REF}{theirs}")),
                                None => inner,
                            },
                            _ => walk(inner, renames, text == "schemas"),
                        };
                        let name = match renames.get(&text).filter(|_| schemas) {
                            Some(theirs) => key(theirs),
                            None => name,
                        };
                        (name, inner)
                    })
                    .collect(),
            ),
            Yaml::Sequence(items) => {
                Yaml::Sequence(items.into_iter().map(|i| walk(i, renames, false)).collect())
            }
            other => other,
        }
    }
    walk(value, renames, false)
}

/// Replaces each example of an operation's bodies whose schema reaches one of `reshaped` (in
/// `root`'s components) with one synthesized from the schema; how many it replaced.
fn resynthesize_examples(operation: &mut Yaml, root: &Yaml, reshaped: &BTreeSet<String>) -> usize {
    let reaches = |schema: &Yaml| {
        let mut queue = Vec::new();
        collect_refs(schema, &mut queue);
        let mut seen = BTreeSet::new();
        while let Some(name) = queue.pop() {
            if reshaped.contains(&name) {
                return true;
            }
            if seen.insert(name.clone()) {
                collect_refs(&root["components"]["schemas"][name.as_str()], &mut queue);
            }
        }
        false
    };
    let Some(operation) = operation.as_mapping_mut() else {
        return 0;
    };
    let mut medias: Vec<&mut Yaml> = Vec::new();
    for (field, value) in operation.iter_mut() {
        let answers: Vec<&mut Yaml> = match field.as_str() {
            Some("requestBody") => vec![value],
            Some("responses") => value
                .as_mapping_mut()
                .into_iter()
                .flat_map(|answers| answers.values_mut())
                .collect(),
            _ => Vec::new(),
        };
        for answer in answers {
            if let Some(content) = answer.get_mut("content").and_then(Yaml::as_mapping_mut) {
                medias.extend(content.values_mut());
            }
        }
    }
    let mut replaced = 0;
    for media in medias {
        let Some(media) = media.as_mapping_mut() else {
            continue;
        };
        let has_example = media.contains_key("example") || media.contains_key("examples");
        let Some(schema) = media.get("schema").cloned() else {
            continue;
        };
        if !has_example || !reaches(&schema) {
            continue;
        }
        media.remove("example");
        let mut example = Mapping::new();
        example.insert(key("summary"), key(SYNTHESIZED));
        example.insert(key("value"), synthesize(&schema, root, 0));
        let mut examples = Mapping::new();
        examples.insert(key("synthesized"), Yaml::Mapping(example));
        media.insert(key("examples"), Yaml::Mapping(examples));
        replaced += 1;
    }
    replaced
}

/// Every `#/components/<kind>/<name>` a tree refers to, by name.
fn collect_component_refs(value: &Yaml, kind: &str, found: &mut Vec<String>) {
    let prefix = format!("#/components/{kind}/");
    match value {
        Yaml::Mapping(mapping) => {
            for (name, inner) in mapping {
                match (name.as_str(), inner.as_str()) {
                    (Some("$ref"), Some(reference)) => {
                        if let Some(name) = reference.strip_prefix(&prefix) {
                            found.push(name.to_owned());
                        }
                    }
                    _ => collect_component_refs(inner, kind, found),
                }
            }
        }
        Yaml::Sequence(items) => items
            .iter()
            .for_each(|item| collect_component_refs(item, kind, found)),
        _ => {}
    }
}

/// Every schema a tree refers to, by name.
fn collect_refs(value: &Yaml, found: &mut Vec<String>) {
    collect_component_refs(value, "schemas", found);
}

/// The document as YAML, written as a person writes our specs (block mappings, sequences
/// indented under their key, short lists of words in flow style, text in literal blocks), each
/// scope list written once with an anchor (`&record-scopes`) and named by the operations
/// (`security: *record-scopes`).
fn emit(
    document: &Mapping,
    lists: &[(String, Yaml)],
    anchors: &BTreeMap<String, String>,
) -> String {
    let anchor = |name: &str| {
        anchors
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("{name}-scopes"))
    };
    let mut out = String::new();
    for (name, value) in document {
        let Some(name) = name.as_str() else { continue };
        match name {
            "x-hubspot-scope-lists" => {
                out.push_str("x-hubspot-scope-lists:\n");
                for (list, scopes) in lists {
                    out.push_str(&format!("  {list}: &{}", anchor(list)));
                    value_after_key(scopes, 2, &mut out);
                }
            }
            "paths" => {
                out.push_str("paths:\n");
                for (path, item) in map(value) {
                    out.push_str(&format!("  {}:\n", scalar(&path, false)));
                    for (method, operation) in map(&item) {
                        out.push_str(&format!("    {}:\n", scalar(&method, false)));
                        for (field, inner) in map(&operation) {
                            let alias = (field.as_str() == Some("security"))
                                .then(|| lists.iter().find(|(_, list)| list == &inner))
                                .flatten();
                            match alias {
                                Some((list, _)) => {
                                    out.push_str(&format!("      security: *{}\n", anchor(list)))
                                }
                                None => {
                                    out.push_str(&format!("      {}:", scalar(&field, false)));
                                    value_after_key(&inner, 6, &mut out);
                                }
                            }
                        }
                    }
                }
            }
            _ => {
                out.push_str(&format!("{name}:"));
                value_after_key(value, 0, &mut out);
            }
        }
    }
    out
}

/// Writes `value` after a key (`key:` already written) at `indent`, through the end of line.
fn value_after_key(value: &Yaml, indent: usize, out: &mut String) {
    match value {
        Yaml::Mapping(mapping) if mapping.is_empty() => out.push_str(" {}\n"),
        Yaml::Sequence(items) if items.is_empty() => out.push_str(" []\n"),
        Yaml::Sequence(items) => match flow(items) {
            Some(flow) => out.push_str(&format!(" {flow}\n")),
            None => {
                out.push('\n');
                sequence(items, indent + 2, out);
            }
        },
        Yaml::Mapping(mapping) => {
            out.push('\n');
            entries(mapping, indent + 2, false, out);
        }
        Yaml::Tagged(tagged) => value_after_key(&tagged.value, indent, out),
        scalar_value => text_after_key(scalar_value, indent, out),
    }
}

/// The entries of a mapping at `indent`; the first on the current line when `inline` (after
/// a sequence's `- `).
fn entries(mapping: &Mapping, indent: usize, inline: bool, out: &mut String) {
    for (index, (name, value)) in mapping.iter().enumerate() {
        if !(inline && index == 0) {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&format!("{}:", scalar(name, false)));
        value_after_key(value, indent, out);
    }
}

fn sequence(items: &[Yaml], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Yaml::Mapping(mapping) if !mapping.is_empty() => {
                out.push(' ');
                entries(mapping, indent + 2, true, out);
            }
            other => value_after_key(other, indent, out),
        }
    }
}

/// A short list of words as `[a, b]`, when every item is a scalar and it fits on a line.
fn flow(items: &[Yaml]) -> Option<String> {
    let words: Vec<String> = items
        .iter()
        .map(|item| match item {
            Yaml::Mapping(_) | Yaml::Sequence(_) | Yaml::Tagged(_) => None,
            Yaml::String(text) if text.contains('\n') => None,
            scalar_value => Some(scalar(scalar_value, true)),
        })
        .collect::<Option<_>>()?;
    let flow = format!("[{}]", words.join(", "));
    (flow.len() <= 72).then_some(flow)
}

/// A scalar after its key: on the line, or text of several lines as a literal block.
fn text_after_key(value: &Yaml, indent: usize, out: &mut String) {
    if let Yaml::String(text) = value {
        let trailing = text.len() - text.trim_end_matches('\n').len();
        let literal = text.contains('\n')
            && trailing <= 1
            && !text.starts_with([' ', '\t'])
            && !text.contains('\t')
            && !text.lines().any(|line| line.trim_end() != line);
        if literal {
            out.push_str(if trailing == 1 { " |\n" } else { " |-\n" });
            for line in text.trim_end_matches('\n').lines() {
                if !line.is_empty() {
                    out.push_str(&" ".repeat(indent + 2));
                    out.push_str(line);
                }
                out.push('\n');
            }
            return;
        }
    }
    out.push_str(&format!(" {}\n", scalar(value, false)));
}

/// One scalar as YAML: as the YAML writer quotes it (plain where that reads back the same),
/// in double quotes where a flow list (`in_flow`) or a line break needs them.
fn scalar(value: &Yaml, in_flow: bool) -> String {
    let written = serde_norway::to_string(value).unwrap_or_default();
    let written = written.trim_end_matches('\n');
    let needs_quotes = written.contains('\n')
        || (in_flow
            && matches!(value, Yaml::String(_))
            && (written.contains([',', '[', ']', '{', '}', '#']) || written.contains(": ")));
    match value {
        Yaml::String(text) if needs_quotes => serde_json::to_string(text).unwrap_or_default(),
        Yaml::String(text) if text == written && reads_otherwise_in_yaml_1_1(text) => {
            format!("'{}'", text.replace('\'', "''"))
        }
        _ => written.to_owned(),
    }
}

/// Whether a plain scalar would not read back as this string in a YAML 1.1 reader (the npm
/// tools' js-yaml among them): dates and times (`2026-09`, `2024-03-01T10:00:02Z`), the
/// booleans of YAML 1.1 (`yes`, `off`), and numbers with `_` or `:`.
fn reads_otherwise_in_yaml_1_1(text: &str) -> bool {
    let bytes = text.as_bytes();
    let dated = bytes.len() >= 6
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5].is_ascii_digit();
    let boolean = matches!(
        text.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
    );
    let number = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'_' | b':' | b'.' | b'-' | b'+'));
    dated || boolean || number
}

/// The anchors the base gives its scope lists (`records: &record-scopes`), by list name: a
/// parsed tree forgets them, and the imported spec keeps them.
fn anchors(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .skip_while(|line| !line.starts_with("x-hubspot-scope-lists:"))
        .skip(1)
        .take_while(|line| line.is_empty() || line.starts_with(' ') || line.starts_with('#'))
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("  ")?.split_once(':')?;
            let anchor = rest.trim().strip_prefix('&')?;
            (!name.starts_with(' ')).then(|| (name.to_owned(), anchor.to_owned()))
        })
        .collect()
}

/// `spec/sources/operation-facts.tsv` and `scope-lists.tsv` with the version's rows replaced
/// by `facts`: a new set of scopes becomes a new list (`L<n>`).
pub fn sources(
    version: &str,
    facts: &[OperationFacts],
    scope_lists: &str,
    operation_facts: &str,
) -> (String, String) {
    let mut lists: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in scope_lists
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        if let Some((list, scope)) = line.split_once('\t') {
            match lists.iter_mut().find(|(name, _)| name == list) {
                Some((_, scopes)) => {
                    scopes.insert(scope.to_owned());
                }
                None => lists.push((list.to_owned(), BTreeSet::from([scope.to_owned()]))),
            }
        }
    }
    let mut lists_text = scope_lists.to_owned();
    if !lists_text.is_empty() && !lists_text.ends_with('\n') {
        lists_text.push('\n');
    }
    let mut rows = Vec::new();
    for fact in facts {
        let scopes: BTreeSet<String> = fact.scopes.iter().cloned().collect();
        let list = match lists.iter().find(|(_, known)| *known == scopes) {
            Some((name, _)) => name.clone(),
            None => {
                let name = (1..)
                    .map(|n| format!("L{n}"))
                    .find(|name| !lists.iter().any(|(taken, _)| taken == name))
                    .unwrap_or_default();
                for scope in &scopes {
                    lists_text.push_str(&format!("{name}\t{scope}\n"));
                }
                lists.push((name.clone(), scopes));
                name
            }
        };
        let exemptions = if fact.exemptions.is_empty() {
            "-".to_owned()
        } else {
            fact.exemptions.join(",")
        };
        rows.push(format!("{version}\t{}\t{list}\t{exemptions}\n", fact.id));
    }
    rows.sort();
    // The version's rows where it had them, else after the others.
    let mut facts_text = String::new();
    let mut written = false;
    for line in operation_facts.lines() {
        if line.starts_with(&format!("{version}\t")) {
            if !written {
                facts_text.extend(rows.iter().cloned());
                written = true;
            }
        } else {
            facts_text.push_str(line);
            facts_text.push('\n');
        }
    }
    if !written {
        facts_text.extend(rows);
    }
    (lists_text, facts_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{SpecSource, parse};

    /// A small spec as a YAML tool rewrites one: anchors expanded, lists under their key not
    /// indented, a list under `x-removed-operations`, comments gone.
    const REWRITTEN: &str = "openapi: 3.0.3
info:
  title: t
  version: '2026-03'
  description: |
    Two lines
    of text.
  x-hubspot-lifecycle:
    status: generally-available
    end-of-support: '2027-09-30'
  x-removed-operations:
  - gone
x-hubspot-scope-lists:
  records:
  - oauth2:
    - crm.objects.contacts.read
paths:
  /crm/associations/2026-03/things:
    get:
      operationId: list_things
      security:
      - oauth2:
        - crm.objects.contacts.read
      responses:
        '200':
          description: 'yes'
          content:
            application/json:
              example: {when: '2026-03-01T10:00:00Z', tags: [a, 'b, c'], count: 3}
components:
  securitySchemes:
    oauth2:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://app.hubspot.com/oauth/authorize
          tokenUrl: https://api.hubapi.com/oauth/2026-03/token
          scopes: {crm.objects.contacts.read: ''}
";

    fn spec(version: &str, text: &str) -> Spec {
        parse(&SpecSource {
            version: version.into(),
            path: format!("spec/{version}/openapi.yaml").into(),
            text: text.into(),
        })
        .unwrap()
    }

    #[test]
    fn a_bump_of_a_spec_a_yaml_tool_rewrote_is_valid_and_reads_back_the_same() {
        let base = spec("2026-03", REWRITTEN);
        let imported = import(&Request {
            version: "2026-09",
            base: &base,
            base_text: REWRITTEN,
            previous: Some(&base),
            previous_text: Some(REWRITTEN),
            hubspot: &[],
            tolerances: &[],
        })
        .unwrap();
        let bumped = spec("2026-09", &imported.text);
        assert!(
            imported
                .text
                .contains("  /crm/associations/2026-09/things:\n"),
            "{}",
            imported.text
        );
        // The scope list written once, with an anchor, and named by the operation.
        assert!(
            imported.text.contains("  records: &records-scopes\n"),
            "{}",
            imported.text
        );
        assert!(
            imported.text.contains("      security: *records-scopes\n"),
            "{}",
            imported.text
        );
        // A new version starts as a beta, with none of the removals of the version before.
        assert_eq!(bumped.raw["info"]["version"], "2026-09");
        assert_eq!(
            bumped.raw["info"]["x-hubspot-lifecycle"],
            serde_json::json!({"status": "beta"})
        );
        assert!(bumped.raw["info"].get("x-removed-operations").is_none());
        // Everything else reads back as it was: dates and numbers stay text, lists keep commas.
        let (old, new) = (&base.raw["paths"], &bumped.raw["paths"]);
        assert_eq!(
            old["/crm/associations/2026-03/things"],
            new["/crm/associations/2026-09/things"]
        );
        assert_eq!(base.raw["components"], bumped.raw["components"]);
        assert_eq!(
            imported.facts,
            [OperationFacts {
                id: "list_things".into(),
                scopes: vec!["crm.objects.contacts.read".into()],
                exemptions: vec![],
            }]
        );
    }

    #[test]
    fn a_version_updated_in_place_without_changes_reads_back_the_same() {
        let text = REWRITTEN.replace("  x-removed-operations:\n  - gone\n", "");
        let base = spec("2026-03", &text);
        let imported = import(&Request {
            version: "2026-03",
            base: &base,
            base_text: &text,
            previous: None,
            previous_text: None,
            hubspot: &[],
            tolerances: &[],
        })
        .unwrap();
        assert_eq!(spec("2026-03", &imported.text).raw, base.raw);
    }

    #[test]
    fn the_sources_get_the_version_rows_and_new_scope_lists() {
        let facts = [
            OperationFacts {
                id: "b".into(),
                scopes: vec!["s1".into()],
                exemptions: vec!["ten-secondly".into()],
            },
            OperationFacts {
                id: "a".into(),
                scopes: vec!["s2".into(), "s3".into()],
                exemptions: vec![],
            },
        ];
        let (lists, rows) = sources(
            "2027-03",
            &facts,
            "# lists\nL1\ts1\n",
            "# facts\n2026-09\tb\tL1\t-\n2027-03\told\tL1\t-\n",
        );
        assert_eq!(lists, "# lists\nL1\ts1\nL2\ts2\nL2\ts3\n");
        assert_eq!(
            rows,
            "# facts\n2026-09\tb\tL1\t-\n2027-03\ta\tL2\t-\n2027-03\tb\tL1\tten-secondly\n"
        );
    }
}
