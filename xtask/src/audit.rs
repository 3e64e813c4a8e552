//! `cargo xtask audit`: every version of `spec/` compared with the OpenAPI files HubSpot
//! publishes for it (its public spec collection), fact by fact.
//!
//! Operations are matched by method and path with the version and the parameter names taken
//! out, never by HubSpot's `operationId`s (which embed other versions' paths). For each pair
//! the audit compares the success codes, the parameters, the request and success bodies
//! (field by field: presence, type, format, required, enum values), the success headers, the
//! OAuth scopes and the rate-limit exemptions. A schema both sides name is compared once per
//! version, as a type, whatever the names; an inline one where it is used.
//!
//! Every difference is drift (the spec must change) unless `spec/sources/audit-tolerances.tsv`
//! lists it with its reason. HubSpot's operations without an `associations` segment in their
//! path (CRM object CRUD, search) are out of scope and listed as such.
//!
//! Finding the files (a checkout of HubSpot's repository, or files given one by one) is the
//! only I/O, in [`read_hubspot`]; the comparison is pure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, ReferenceOr};
use serde::Serialize;
use serde_json::Value;

use crate::document;
use crate::load::Spec;
use crate::model;
use crate::path_template::{PathTemplate, Segment};

/// Where a checkout of HubSpot's repository keeps the associations APIs' files: one folder
/// per API family (`Associations`, `Associations Schema`), each with `Rollouts/<n>/<version>/`.
pub const HUBSPOT_CRM_DIR: &str = "PublicApiSpecs/CRM";

/// The file of deliberate differences, under the workspace root.
pub const TOLERANCES_FILE: &str = "spec/sources/audit-tolerances.tsv";

/// One of HubSpot's published files, parsed.
#[derive(Debug, Clone)]
pub struct HubSpotFile {
    /// Where it was read, as given or found.
    pub path: PathBuf,
    /// The version it describes (`v4`, `2026-09`), without a `-beta` suffix.
    pub version: String,
    /// Whether it is a `-beta` folder (or says so in `info.version`).
    pub beta: bool,
    /// The rollout number of its folder, when it was found in a checkout.
    pub rollout: Option<u64>,
    /// The API family folder it was found in (`Associations`...), when found in a checkout.
    pub family: Option<String>,
    /// The document.
    pub api: OpenAPI,
    /// The same document as a tree that keeps the file's order, for `import` to take facts from.
    pub tree: serde_norway::Value,
}

/// Reads HubSpot's files: each path a JSON file, or a checkout of HubSpot's repository, in
/// which every associations file of every rollout is read (choosing among them is
/// [`choose`]'s).
pub fn read_hubspot(paths: &[PathBuf]) -> Result<Vec<HubSpotFile>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let crm = path.join(HUBSPOT_CRM_DIR);
            let families = std::fs::read_dir(&crm).map_err(|error| {
                format!(
                    "xtask: {} is not a checkout of HubSpot's spec collection ({} cannot be \
                     read: {error}); give the repository's root or a file",
                    path.display(),
                    crm.display()
                )
            })?;
            for family in families.flatten() {
                let name = family.file_name().to_string_lossy().into_owned();
                if !name.starts_with("Associations") {
                    continue;
                }
                for rollout in read_dir_sorted(&family.path().join("Rollouts")) {
                    let Some(number) = file_name(&rollout).parse::<u64>().ok() else {
                        continue;
                    };
                    for folder in read_dir_sorted(&rollout) {
                        for file in read_dir_sorted(&folder) {
                            if file.extension().is_some_and(|ext| ext == "json")
                                && file_name(&file).starts_with("associations")
                            {
                                let mut read = read_file(&file)?;
                                read.rollout = Some(number);
                                read.family = Some(name.clone());
                                let (version, beta) = split_beta(&file_name(&folder));
                                read.version = version;
                                read.beta = beta;
                                files.push(read);
                            }
                        }
                    }
                }
            }
        } else {
            files.push(read_file(path)?);
        }
    }
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    entries
}

fn split_beta(version: &str) -> (String, bool) {
    match version.strip_suffix("-beta") {
        Some(version) => (version.to_owned(), true),
        None => (version.to_owned(), false),
    }
}

fn read_file(path: &Path) -> Result<HubSpotFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("xtask: cannot read {}: {error}", path.display()))?;
    parse_file(path, &text)
}

/// One of HubSpot's files from its text; `path` names it in messages.
pub fn parse_file(path: &Path, text: &str) -> Result<HubSpotFile, String> {
    let api: OpenAPI = serde_json::from_str(text).map_err(|error| {
        format!(
            "xtask: {} is not an OpenAPI 3 JSON document: {error}",
            path.display()
        )
    })?;
    // JSON is YAML: the YAML reader keeps the order of the keys, which `import` keeps.
    let tree: serde_norway::Value = serde_norway::from_str(text).map_err(|error| {
        format!(
            "xtask: {} cannot be read as a tree: {error}",
            path.display()
        )
    })?;
    let (version, beta) = split_beta(&api.info.version);
    Ok(HubSpotFile {
        tree,
        path: path.to_path_buf(),
        version,
        beta,
        rollout: None,
        family: None,
        api,
    })
}

/// The files that describe `version`: every file given on its own whose `info.version` is
/// the version, and from a checkout, for each API family, the newest rollout's generally
/// available folder, or the newest `-beta` folder where no rollout has a generally available
/// one. Newest first, so that where two files have the same operation the newest wins.
pub fn choose<'a>(files: &'a [HubSpotFile], version: &str) -> Vec<&'a HubSpotFile> {
    let mut chosen: Vec<&HubSpotFile> = files
        .iter()
        .filter(|file| file.family.is_none() && file.version == version)
        .collect();
    let mut families: BTreeMap<&str, Vec<&HubSpotFile>> = BTreeMap::new();
    for file in files.iter().filter(|file| file.version == version) {
        if let Some(family) = &file.family {
            families.entry(family).or_default().push(file);
        }
    }
    for candidates in families.values() {
        let newest = |beta: bool| {
            candidates
                .iter()
                .filter(|file| file.beta == beta)
                .max_by_key(|file| file.rollout)
                .copied()
        };
        chosen.extend(newest(false).or_else(|| newest(true)));
    }
    chosen.sort_by_key(|file| std::cmp::Reverse(file.rollout));
    chosen
}

/// One deliberate difference: where it applies and why it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tolerance {
    /// A version, or `*` for every version.
    pub version: String,
    /// What the difference is in (`operation batch_create`, `type StandardError`), or `*`.
    pub subject: String,
    /// The place inside it (`context`, `201 body`); a trailing `*` matches any rest.
    pub place: String,
    /// Why the spec differs from HubSpot's file on purpose.
    pub reason: String,
}

impl Tolerance {
    /// Whether this tolerance covers `finding` in `version`.
    pub fn matches(&self, version: &str, finding: &Finding) -> bool {
        let wild = |pattern: &str, text: &str| match pattern.strip_suffix('*') {
            Some(prefix) => text.starts_with(prefix),
            None => pattern == text,
        };
        (self.version == "*" || self.version == version)
            && wild(&self.subject, &finding.subject)
            && wild(&self.place, &finding.place)
    }
}

/// Reads the tolerances file: `version`, `subject`, `place`, `reason`, tab-separated, `#` for
/// comments. A malformed row is an error naming its line.
pub fn parse_tolerances(text: &str) -> Result<Vec<Tolerance>, String> {
    let mut tolerances = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let [version, subject, place, reason] = cells[..] else {
            return Err(format!(
                "{TOLERANCES_FILE}:{}: a row has four tab-separated cells (version, subject, \
                 place, reason); this one has {}",
                index + 1,
                cells.len()
            ));
        };
        if reason.trim().is_empty() {
            return Err(format!(
                "{TOLERANCES_FILE}:{}: the reason is empty; say why the spec differs on purpose",
                index + 1
            ));
        }
        tolerances.push(Tolerance {
            version: version.to_owned(),
            subject: subject.to_owned(),
            place: place.to_owned(),
            reason: reason.to_owned(),
        });
    }
    Ok(tolerances)
}

/// One difference between a spec and HubSpot's file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// What it is in: `operation <id>`, `operation <METHOD path>` for one the spec lacks, or
    /// `type <Name>` (HubSpot's name after it where it differs).
    pub subject: String,
    /// Where inside it: `success codes`, `201 body .results[].fromObjectTypeId`, `scopes`...
    pub place: String,
    /// What the spec says (`-` for nothing).
    pub ours: String,
    /// What HubSpot's file says (`-` for nothing).
    pub hubspot: String,
    /// The reason, when the tolerances file lists the difference; `None` for drift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerated: Option<String>,
}

/// One version's audit.
#[derive(Debug, Clone, Serialize)]
pub struct VersionAudit {
    /// The version.
    pub version: String,
    /// HubSpot's files read for it, newest first.
    pub files: Vec<String>,
    /// Every difference, drift and tolerated.
    pub findings: Vec<Finding>,
    /// HubSpot's operations outside the associations API (`METHOD path`).
    pub out_of_scope: Vec<String>,
}

impl VersionAudit {
    /// The differences the tolerances file does not list.
    pub fn drift(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.tolerated.is_none())
    }
}

/// The audit of every version.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The versions audited, in the specs' order.
    pub versions: Vec<VersionAudit>,
    /// The versions of `spec/` for which no file of HubSpot's was given or found.
    pub unaudited: Vec<String>,
    /// Tolerances that matched no difference: stale, to be removed.
    pub unused_tolerances: Vec<String>,
    /// How many differences are drift, in all versions.
    pub drift: usize,
}

/// Audits every spec against HubSpot's files for its version.
pub fn audit(specs: &[Spec], hubspot: &[HubSpotFile], tolerances: &[Tolerance]) -> Report {
    let mut used = vec![false; tolerances.len()];
    let mut versions = Vec::new();
    let mut unaudited = Vec::new();
    for spec in specs {
        let files = choose(hubspot, &spec.version);
        if files.is_empty() {
            unaudited.push(spec.version.clone());
            continue;
        }
        let Compared {
            mut findings,
            out_of_scope,
            ..
        } = compare(spec, &files, &spec.version);
        for finding in &mut findings {
            if let Some(index) = tolerances
                .iter()
                .position(|tolerance| tolerance.matches(&spec.version, finding))
            {
                used[index] = true;
                finding.tolerated = Some(tolerances[index].reason.clone());
            }
        }
        findings.sort();
        versions.push(VersionAudit {
            version: spec.version.clone(),
            files: files
                .iter()
                .map(|file| file.path.to_string_lossy().into_owned())
                .collect(),
            findings,
            out_of_scope,
        });
    }
    let drift = versions.iter().map(|v| v.drift().count()).sum();
    Report {
        versions,
        unaudited,
        unused_tolerances: tolerances
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(t, _)| format!("{}\t{}\t{}", t.version, t.subject, t.place))
            .collect(),
        drift,
    }
}

/// The key two versions' operations are matched by: the method, and the path's literal
/// segments with the version and the parameter names taken out. HubSpot's v4 files spell the
/// labels' and limits' paths `/crm/associations/v4/...` where the reference spells them
/// `/crm/v4/associations/...`: without the version the two agree.
pub fn match_key(method: &str, path: &str, version: &str) -> (String, Vec<Option<String>>) {
    let shape = PathTemplate::parse(path)
        .without(version)
        .segments()
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => Some(text.clone()),
            Segment::Param(_) => None,
        })
        .collect();
    (method.to_ascii_uppercase(), shape)
}

/// Whether an operation belongs to the associations APIs: its path has an `associations`
/// segment. CRM object CRUD and search, which HubSpot publishes in the same file, do not.
fn in_scope(path: &str) -> bool {
    PathTemplate::parse(path).has_literal("associations")
}

/// An operation and the document it lives in.
struct Located<'a> {
    api: &'a OpenAPI,
    path: &'a str,
    operation: &'a openapiv3::Operation,
}

/// One of HubSpot's operations, in the file it was read from.
#[derive(Clone, Copy)]
pub struct TheirOperation<'a> {
    /// The file.
    pub file: &'a HubSpotFile,
    /// Its path, as the file spells it.
    pub path: &'a str,
    /// Its method, lower case as OpenAPI spells it.
    pub method: &'a str,
}

impl<'a> TheirOperation<'a> {
    fn located(&self) -> Option<Located<'a>> {
        let operation = document::operations(&self.file.api)
            .find(|op| op.path == self.path && op.method == self.method)?
            .operation;
        Some(Located {
            api: &self.file.api,
            path: self.path,
            operation,
        })
    }
}

/// A spec compared with HubSpot's files: every difference (none tolerated yet), and how the
/// operations and named schemas were matched, for `import` to rebuild what differs.
pub struct Compared<'a> {
    /// Every difference.
    pub findings: Vec<Finding>,
    /// HubSpot's operations outside the associations API (`METHOD path`).
    pub out_of_scope: Vec<String>,
    /// The spec's operations in its order, by id, each with HubSpot's match.
    pub operations: Vec<(String, Option<TheirOperation<'a>>)>,
    /// HubSpot's operations in scope that the spec does not have, in HubSpot's order.
    pub added: Vec<TheirOperation<'a>>,
    /// The named schemas compared as types: (ours, HubSpot's) and HubSpot's file.
    pub types: BTreeMap<(String, String), &'a HubSpotFile>,
}

/// Compares a spec with HubSpot's files of `hubspot_version` (the spec's own version for an
/// audit; the version being imported for `import`), newest file first.
pub fn compare<'a>(
    spec: &'a Spec,
    files: &[&'a HubSpotFile],
    hubspot_version: &str,
) -> Compared<'a> {
    let mut theirs: BTreeMap<(String, Vec<Option<String>>), TheirOperation<'a>> = BTreeMap::new();
    let mut order = Vec::new();
    let mut out_of_scope = BTreeSet::new();
    for file in files {
        for op in document::operations(&file.api) {
            if !in_scope(op.path) {
                out_of_scope.insert(format!("{} {}", op.method.to_ascii_uppercase(), op.path));
                continue;
            }
            // Newest file first: an operation an older file also has keeps the newest's facts.
            let key = match_key(op.method, op.path, hubspot_version);
            if let std::collections::btree_map::Entry::Vacant(slot) = theirs.entry(key.clone()) {
                order.push(key);
                slot.insert(TheirOperation {
                    file,
                    path: op.path,
                    method: op.method,
                });
            }
        }
    }
    let mut comparison = Comparison::default();
    let mut operations = Vec::new();
    for op in document::operations(&spec.api) {
        let id = op.operation.operation_id.clone().unwrap_or_default();
        let subject = format!("operation {id}");
        let ours = Located {
            api: &spec.api,
            path: op.path,
            operation: op.operation,
        };
        let matched = theirs.remove(&match_key(op.method, op.path, &spec.version));
        match matched.as_ref().and_then(TheirOperation::located) {
            Some(hubspot) => comparison.operation(&subject, &ours, &hubspot, matched.unwrap().file),
            None => comparison.push(
                &subject,
                "operation",
                format!("{} {}", op.method.to_ascii_uppercase(), op.path),
                "-",
            ),
        }
        operations.push((id, matched));
    }
    let added: Vec<TheirOperation> = order.iter().filter_map(|key| theirs.remove(key)).collect();
    for hubspot in &added {
        comparison.push(
            &format!(
                "operation {} {}",
                hubspot.method.to_ascii_uppercase(),
                hubspot.path
            ),
            "operation",
            "-",
            "published; the spec does not have it",
        );
    }
    comparison.same_names(spec, files);
    comparison.types(spec);
    Compared {
        findings: comparison.findings,
        out_of_scope: out_of_scope.into_iter().collect(),
        operations,
        added,
        types: comparison.named,
    }
}

/// The findings of one version, and the pairs of named schemas still to compare as types.
#[derive(Default)]
struct Comparison<'a> {
    findings: Vec<Finding>,
    /// (our schema name, HubSpot's schema name) and HubSpot's file, compared as types.
    named: BTreeMap<(String, String), &'a HubSpotFile>,
}

impl<'a> Comparison<'a> {
    fn push(
        &mut self,
        subject: &str,
        place: &str,
        ours: impl Into<String>,
        hubspot: impl Into<String>,
    ) {
        self.findings.push(Finding {
            subject: subject.to_owned(),
            place: place.to_owned(),
            ours: ours.into(),
            hubspot: hubspot.into(),
            tolerated: None,
        });
    }

    /// Compares two sets of words (codes, scopes), reporting each side's extras.
    fn sets(
        &mut self,
        subject: &str,
        place: &str,
        ours: &BTreeSet<String>,
        theirs: &BTreeSet<String>,
    ) {
        let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
            a.difference(b).cloned().collect::<Vec<_>>().join(", ")
        };
        if ours != theirs {
            let (mine, hubspot) = (only(ours, theirs), only(theirs, ours));
            let dash = |text: String| {
                if text.is_empty() {
                    "-".to_owned()
                } else {
                    text
                }
            };
            self.push(subject, place, dash(mine), dash(hubspot));
        }
    }

    fn operation(
        &mut self,
        subject: &str,
        ours: &Located<'a>,
        hubspot: &Located<'a>,
        their: &'a HubSpotFile,
    ) {
        let successes =
            |located: &Located<'a>| -> BTreeMap<String, &'a ReferenceOr<openapiv3::Response>> {
                located
                    .operation
                    .responses
                    .responses
                    .iter()
                    .filter(|(status, _)| document::is_success(status))
                    .map(|(status, response)| (model::Status::of(status).to_string(), response))
                    .collect()
            };
        let (our_answers, their_answers) = (successes(ours), successes(hubspot));
        self.sets(
            subject,
            "success codes",
            &our_answers.keys().cloned().collect(),
            &their_answers.keys().cloned().collect(),
        );
        self.parameters(subject, ours, hubspot);
        let request = |located: &Located<'a>| -> Option<&'a openapiv3::RequestBody> {
            match located.operation.request_body.as_ref()? {
                ReferenceOr::Item(body) => Some(body),
                ReferenceOr::Reference { reference } => located
                    .api
                    .components
                    .as_ref()?
                    .request_bodies
                    .get(reference.strip_prefix("#/components/requestBodies/")?)?
                    .as_item(),
            }
        };
        let required = |located: &Located<'a>| request(located).map(|body| body.required);
        if let (Some(mine), Some(hubspot)) = (required(ours), required(hubspot))
            && mine != hubspot
        {
            let word = |required: bool| if required { "required" } else { "optional" };
            self.push(subject, "request body", word(mine), word(hubspot));
        }
        let body = |located: &Located<'a>| media_schema(&request(located)?.content);
        self.schema_pair(
            subject,
            "request body",
            ours.api,
            body(ours),
            their,
            body(hubspot),
        );
        for (status, ours_answer) in &our_answers {
            let Some(their_answer) = their_answers.get(status) else {
                continue;
            };
            let our_response = document::response(ours.api.components.as_ref(), ours_answer);
            let their_response = document::response(hubspot.api.components.as_ref(), their_answer);
            let headers = |response: Option<&openapiv3::Response>| -> BTreeSet<String> {
                response
                    .into_iter()
                    .flat_map(|r| r.headers.keys())
                    .map(|name| name.to_ascii_lowercase())
                    .collect()
            };
            self.sets(
                subject,
                &format!("{status} headers"),
                &headers(our_response),
                &headers(their_response),
            );
            self.schema_pair(
                subject,
                &format!("{status} body"),
                ours.api,
                our_response.and_then(|r| media_schema(&r.content)),
                their,
                their_response.and_then(|r| media_schema(&r.content)),
            );
        }
        self.sets(
            subject,
            "scopes",
            &model::scopes(ours.api, ours.operation)
                .into_iter()
                .collect(),
            &model::scopes(hubspot.api, hubspot.operation)
                .into_iter()
                .collect(),
        );
        let exemptions = |located: &Located| {
            words(
                located
                    .operation
                    .extensions
                    .get(model::RATE_LIMIT_EXEMPTIONS),
            )
        };
        self.sets(
            subject,
            "rate-limit exemptions",
            &exemptions(ours),
            &exemptions(hubspot),
        );
    }

    fn parameters(&mut self, subject: &str, ours: &Located<'a>, hubspot: &Located<'a>) {
        // Path parameters by position (their names are HubSpot's choice per file), the others
        // by place and name.
        let described = |located: &Located<'a>| -> BTreeMap<String, Value> {
            let path_positions: BTreeMap<String, usize> = PathTemplate::parse(located.path)
                .params()
                .enumerate()
                .map(|(position, name)| (name.to_owned(), position))
                .collect();
            located
                .operation
                .parameters
                .iter()
                .filter_map(|p| document::parameter(located.api.components.as_ref(), p))
                .map(|parameter| {
                    let data = parameter.parameter_data_ref();
                    let (place, key) = match parameter {
                        openapiv3::Parameter::Path { .. } => (
                            "path",
                            path_positions
                                .get(&data.name)
                                .map_or(data.name.clone(), |n| format!("#{}", n + 1)),
                        ),
                        openapiv3::Parameter::Query { .. } => ("query", data.name.clone()),
                        openapiv3::Parameter::Header { .. } => ("header", data.name.clone()),
                        openapiv3::Parameter::Cookie { .. } => ("cookie", data.name.clone()),
                    };
                    let schema = match &data.format {
                        openapiv3::ParameterSchemaOrContent::Schema(schema) => {
                            facts(located.api, &serde_json::to_value(schema).unwrap_or_default())
                        }
                        openapiv3::ParameterSchemaOrContent::Content(_) => Value::Null,
                    };
                    // A path parameter is matched by position: its name is no fact.
                    let described = if place == "path" {
                        serde_json::json!({"required": data.required, "schema": schema})
                    } else {
                        serde_json::json!({"name": data.name, "required": data.required, "schema": schema})
                    };
                    (format!("{place} {key}"), described)
                })
                .collect()
        };
        let (mine, theirs) = (described(ours), described(hubspot));
        for key in mine.keys().chain(theirs.keys()).collect::<BTreeSet<_>>() {
            let place = format!("parameter {key}");
            match (mine.get(key), theirs.get(key)) {
                (Some(a), Some(b)) if a != b => {
                    self.push(subject, &place, compact(a), compact(b));
                }
                (Some(a), None) => self.push(subject, &place, compact(a), "-"),
                (None, Some(b)) => self.push(subject, &place, "-", compact(b)),
                _ => {}
            }
        }
    }

    /// Compares two schemas found at `place`; a pair of named schemas is queued as types.
    fn schema_pair(
        &mut self,
        subject: &str,
        place: &str,
        our_api: &'a OpenAPI,
        ours: Option<&'a ReferenceOr<openapiv3::Schema>>,
        their: &'a HubSpotFile,
        theirs: Option<&'a ReferenceOr<openapiv3::Schema>>,
    ) {
        let to_value = |schema: Option<&ReferenceOr<openapiv3::Schema>>| {
            schema.map(|s| serde_json::to_value(s).unwrap_or_default())
        };
        match (to_value(ours), to_value(theirs)) {
            (None, None) => {}
            (Some(_), None) => self.push(subject, place, "a body", "-"),
            (None, Some(_)) => self.push(subject, place, "-", "a body"),
            (Some(a), Some(b)) => self.walk(subject, (place, ""), our_api, &a, their, &b),
        }
    }

    /// Compares two schemas as JSON, field by field. Where both are references to named
    /// schemas, the pair is compared once as a type instead.
    fn walk(
        &mut self,
        subject: &str,
        (head, path): (&str, &str),
        our_api: &'a OpenAPI,
        ours: &Value,
        their: &'a HubSpotFile,
        theirs: &Value,
    ) {
        if let (Some(a), Some(b)) = (reference(ours), reference(theirs)) {
            self.named
                .entry((a.to_owned(), b.to_owned()))
                .or_insert(their);
            return;
        }
        let their_api = &their.api;
        // `201 body .results[].toObjectId format`: the head, the path inside, the fact.
        let at = |path: &str, fact: &str| {
            [head, path, fact]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (ours, theirs) = (resolve(our_api, ours), resolve(their_api, theirs));
        let (a, b) = (facts(our_api, &ours), facts(their_api, &theirs));
        for fact in ["type", "format", "enum", "nullable"] {
            if a.get(fact) != b.get(fact) {
                self.push(
                    subject,
                    &at(path, fact),
                    a.get(fact).map_or("-".to_owned(), compact),
                    b.get(fact).map_or("-".to_owned(), compact),
                );
            }
        }
        let properties = |schema: &Value| -> BTreeMap<String, Value> {
            schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let required = |schema: &Value| words(schema.get("required"));
        let (our_fields, their_fields) = (properties(&ours), properties(&theirs));
        let (our_required, their_required) = (required(&ours), required(&theirs));
        for name in our_fields
            .keys()
            .chain(their_fields.keys())
            .collect::<BTreeSet<_>>()
        {
            let field = format!("{path}.{name}");
            let here = at(&field, "");
            match (our_fields.get(name), their_fields.get(name)) {
                (Some(_), None) => self.push(subject, &here, "present", "-"),
                (None, Some(_)) => self.push(subject, &here, "-", "present"),
                (Some(a), Some(b)) => {
                    let word = |required: bool| if required { "required" } else { "optional" };
                    let (mine, hubspot) =
                        (our_required.contains(name), their_required.contains(name));
                    if mine != hubspot {
                        self.push(subject, &here, word(mine), word(hubspot));
                    }
                    self.walk(subject, (head, &field), our_api, a, their, b);
                }
                (None, None) => {}
            }
        }
        for (key, suffix) in [("items", "[]"), ("additionalProperties", "{}")] {
            let nested = |schema: &Value| schema.get(key).filter(|v| v.is_object()).cloned();
            let inner = format!("{path}{suffix}");
            match (nested(&ours), nested(&theirs)) {
                (Some(a), Some(b)) => self.walk(subject, (head, &inner), our_api, &a, their, &b),
                (Some(_), None) => self.push(subject, &at(&inner, ""), "present", "-"),
                (None, Some(_)) => self.push(subject, &at(&inner, ""), "-", "present"),
                (None, None) => {}
            }
        }
        // Compositions, branch by branch.
        for composition in ["oneOf", "anyOf", "allOf"] {
            let branches = |schema: &Value| -> Vec<Value> {
                schema
                    .get(composition)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let (mine, hubspot) = (branches(&ours), branches(&theirs));
            if mine.len() != hubspot.len() {
                self.push(
                    subject,
                    &at(path, composition),
                    format!("{} branches", mine.len()),
                    format!("{} branches", hubspot.len()),
                );
                continue;
            }
            for (index, (a, b)) in mine.iter().zip(&hubspot).enumerate() {
                let inner = format!("{path}<{composition} {}>", index + 1);
                self.walk(subject, (head, &inner), our_api, a, their, b);
            }
        }
    }

    /// Pairs, as types to compare, each schema of ours that no operation paired with one of
    /// HubSpot's named the same, or the same but for a suffix such as `_1`: a schema only an
    /// answer of another success code reaches is compared all the same.
    fn same_names(&mut self, spec: &Spec, files: &[&'a HubSpotFile]) {
        let Some(ours) = spec.api.components.as_ref() else {
            return;
        };
        let paired: BTreeSet<String> = self.named.keys().map(|(ours, _)| ours.clone()).collect();
        for file in files {
            let Some(theirs) = file.api.components.as_ref() else {
                continue;
            };
            for name in theirs.schemas.keys() {
                let mine = unsuffixed(name).filter(|base| ours.schemas.contains_key(*base));
                let mine = if ours.schemas.contains_key(name) {
                    Some(name.as_str())
                } else {
                    mine
                };
                if let Some(mine) = mine.filter(|mine| !paired.contains(*mine))
                    && !self.named.keys().any(|(ours, _)| ours == mine)
                {
                    self.named.insert((mine.to_owned(), name.clone()), file);
                }
            }
        }
    }

    /// Compares every pair of named schemas met, as types, until no new pair turns up.
    fn types(&mut self, spec: &'a Spec) {
        let mut done: BTreeSet<(String, String)> = BTreeSet::new();
        while let Some(((ours, theirs), their)) = self
            .named
            .iter()
            .find(|(pair, _)| !done.contains(*pair))
            .map(|(pair, file)| (pair.clone(), *file))
        {
            done.insert((ours.clone(), theirs.clone()));
            let subject = if ours == theirs {
                format!("type {ours}")
            } else {
                format!("type {ours} (HubSpot: {theirs})")
            };
            let schema = |api: &OpenAPI, name: &str| {
                document::component_schema(api, name)
                    .map(|s| serde_json::to_value(s).unwrap_or_default())
            };
            match (schema(&spec.api, &ours), schema(&their.api, &theirs)) {
                (Some(a), Some(b)) => self.walk(&subject, ("", ""), &spec.api, &a, their, &b),
                (a, b) => self.push(
                    &subject,
                    "",
                    if a.is_some() { "defined" } else { "undefined" },
                    if b.is_some() { "defined" } else { "undefined" },
                ),
            }
        }
    }
}

/// The words of a JSON list of strings (none for anything else).
fn words(list: Option<&Value>) -> BTreeSet<String> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// A schema name without HubSpot's numeric suffix (`Paging_1` is `Paging`), when it has one.
pub fn unsuffixed(name: &str) -> Option<&str> {
    name.rsplit_once('_')
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map(|(name, _)| name)
}

/// The schema of a body: its JSON media type's, or the only one it has (HubSpot writes
/// `*/*` for some).
fn media_schema(
    content: &indexmap::IndexMap<String, openapiv3::MediaType>,
) -> Option<&ReferenceOr<openapiv3::Schema>> {
    content
        .get("application/json")
        .or_else(|| content.get("*/*"))
        .or_else(|| content.values().next())?
        .schema
        .as_ref()
}

/// The component name a schema refers to.
fn reference(schema: &Value) -> Option<&str> {
    document::schema_name(schema.get("$ref")?.as_str()?)
}

/// A schema with its reference followed (once; components refer to components by name).
fn resolve(api: &OpenAPI, schema: &Value) -> Value {
    match reference(schema).and_then(|name| api.components.as_ref()?.schemas.get(name)) {
        Some(found) => serde_json::to_value(found).unwrap_or_default(),
        None => schema.clone(),
    }
}

/// The facts of a schema the audit compares, with a reference followed: its type (`object`
/// where it only lists properties), format and enum values (sorted).
fn facts(api: &OpenAPI, schema: &Value) -> Value {
    let schema = resolve(api, schema);
    let mut facts = serde_json::Map::new();
    let kind = schema.get("type").cloned().or_else(|| {
        (schema.get("properties").is_some() || schema.get("additionalProperties").is_some())
            .then(|| Value::from("object"))
    });
    if let Some(kind) = kind {
        facts.insert("type".into(), kind);
    }
    if let Some(format) = schema.get("format") {
        facts.insert("format".into(), format.clone());
    }
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        facts.insert("nullable".into(), Value::Bool(true));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let mut values: Vec<String> = values.iter().map(compact).collect();
        values.sort();
        facts.insert("enum".into(), Value::from(values));
    }
    Value::Object(facts)
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The report for people: per version, the files read, the drift, the tolerated differences
/// with their reasons and the operations out of scope.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# Audit of spec/ against HubSpot's published specs\n\n");
    for version in &report.versions {
        let drift = version.drift().count();
        let tolerated = version.findings.len() - drift;
        let _ = writeln!(
            out,
            "## {}: {drift} drift, {tolerated} tolerated, {} out of scope\n",
            version.version,
            version.out_of_scope.len()
        );
        for file in &version.files {
            let _ = writeln!(out, "- read `{file}`");
        }
        out.push('\n');
        if drift > 0 {
            out.push_str("### Drift: the spec must change\n\n| in | where | spec | HubSpot |\n|---|---|---|---|\n");
            for finding in version.drift() {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    finding.subject,
                    if finding.place.is_empty() {
                        "-"
                    } else {
                        finding.place.trim()
                    },
                    finding.ours.replace('|', "\\|"),
                    finding.hubspot.replace('|', "\\|")
                );
            }
            out.push('\n');
        }
        if tolerated > 0 {
            out.push_str("### Tolerated (spec/sources/audit-tolerances.tsv)\n\n");
            for finding in version.findings.iter().filter(|f| f.tolerated.is_some()) {
                let _ = writeln!(
                    out,
                    "- {} {}: spec `{}`, HubSpot `{}`: {}",
                    finding.subject,
                    finding.place,
                    finding.ours,
                    finding.hubspot,
                    finding.tolerated.as_deref().unwrap_or_default()
                );
            }
            out.push('\n');
        }
        if !version.out_of_scope.is_empty() {
            out.push_str("### Out of scope (no `associations` segment: CRM objects, search)\n\n");
            for operation in &version.out_of_scope {
                let _ = writeln!(out, "- `{operation}`");
            }
            out.push('\n');
        }
    }
    if !report.unaudited.is_empty() {
        let _ = writeln!(
            out,
            "Not audited (no file of HubSpot's given or found): {}\n",
            report.unaudited.join(", ")
        );
    }
    if !report.unused_tolerances.is_empty() {
        out.push_str("Tolerances that matched nothing (remove them):\n\n");
        for tolerance in &report.unused_tolerances {
            let _ = writeln!(out, "- `{tolerance}`");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{} drift in all.", report.drift);
    out
}
