//! `cargo xtask diff <old> <new>`: what changed between two versions for a program that uses
//! the generated client. It compares the two versions' Rust surfaces as `model` computes them
//! (every method with its typed signature, derived ones included, the types typify makes, and
//! what HubSpot publishes of each operation), so it reports what the generator emits and
//! nothing it re-derives.
//!
//! Each change has an impact. Breaking: the program may stop compiling (a method removed, an
//! argument or return type changed, a field removed or retyped, a field a request must set
//! added, a type or an enum value removed). Behaviour: it compiles, but acts differently (the
//! success codes HubSpot documents changed, so a program that checks `http_status()` sees others;
//! a batch cap changed). Compatible: a method, type, response field or enum value added (enums
//! are open).
//!
//! Changes are told in a program's terms and grouped: by operation (its derived methods folded
//! under it) and by type.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::model::{Method, MethodKind, Operation, Version};
use crate::rust_types::{Fields, RustType, Scope};

/// What a change does to a program that moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// It may stop compiling.
    Breaking,
    /// It compiles, but what it sees at run time changes.
    Behaviour,
    /// Nothing a program relies on changes.
    Compatible,
}

impl Impact {
    fn mark(self) -> &'static str {
        match self {
            Self::Breaking => "**breaking**",
            Self::Behaviour => "**behaviour**",
            Self::Compatible => "compatible",
        }
    }
}

/// One change a program sees.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// What it does to a program that moves.
    pub impact: Impact,
    /// What changed: `operation batch_archive` (with its derived methods), `schema BatchStatus`.
    pub subject: String,
    /// How, in a program's terms.
    pub detail: String,
}

impl Change {
    /// Whether a program must be looked at: a breaking or a behaviour change.
    pub fn needs_attention(&self) -> bool {
        self.impact != Impact::Compatible
    }
}

/// The changes from one version to another, as `--json` prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The version moved from.
    pub from: String,
    /// The version moved to.
    pub to: String,
    /// Whether any change is breaking or changes behaviour: a program must be looked at.
    /// (Named `breaking` in the JSON that tools read, so it keeps that name.)
    pub breaking: bool,
    /// Every change, breaking first.
    pub changes: Vec<Change>,
}

fn change(impact: Impact, subject: String, detail: String) -> Change {
    Change {
        impact,
        subject,
        detail,
    }
}

/// The report from `old` to `new`.
pub fn report(old: &Version, new: &Version) -> Report {
    let changes = diff(old, new);
    Report {
        from: old.name.clone(),
        to: new.name.clone(),
        breaking: changes.iter().any(Change::needs_attention),
        changes,
    }
}

/// Every change from `old` to `new`, breaking first, then behaviour, then compatible.
pub fn diff(old: &Version, new: &Version) -> Vec<Change> {
    let mut changes = operations(&Surface::of(old), &Surface::of(new));
    changes.extend(types(old, new));
    // Stable: an operation's own changes stay before those of the methods derived from it.
    changes.sort_by(|a, b| (a.impact, &a.subject).cmp(&(b.impact, &b.subject)));
    changes
}

fn operation_subject(id: &str) -> String {
    format!("operation {id}")
}

fn code(text: impl std::fmt::Display) -> String {
    format!("`{text}`")
}

/// `a`, `a` and `b`, `a`, `b` and `c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A version's operations and methods by operation id, indexed once, so that comparing two
/// versions grows with their size rather than its square.
struct Surface<'a> {
    version: &'a Version,
    operations: BTreeMap<&'a str, &'a Operation>,
    calls: BTreeMap<&'a str, &'a Method>,
    derived: BTreeMap<&'a str, BTreeMap<&'a str, &'a Method>>,
}

impl<'a> Surface<'a> {
    fn of(version: &'a Version) -> Self {
        let mut surface = Surface {
            version,
            operations: version
                .operations
                .iter()
                .map(|op| (op.id.as_str(), op))
                .collect(),
            calls: BTreeMap::new(),
            derived: BTreeMap::new(),
        };
        for method in &version.methods {
            match method.kind {
                MethodKind::Call => {
                    surface.calls.insert(&method.operation, method);
                }
                _ => {
                    surface
                        .derived
                        .entry(&method.operation)
                        .or_default()
                        .insert(&method.name, method);
                }
            }
        }
        surface
    }

    /// The methods derived from an operation (its pager, bulk helpers, label lookup), by name.
    fn derived(&self, id: &str) -> BTreeMap<&'a str, &'a Method> {
        self.derived.get(id).cloned().unwrap_or_default()
    }
}

/// What a value of a derived method's return is made of: the inputs and results of a bulk
/// outcome, or a stream's items.
fn parts(returns: &RustType) -> (Option<&RustType>, &RustType) {
    let inner = match returns {
        RustType::ImplStream(inner) => inner,
        other => other,
    };
    match inner {
        RustType::BulkOutcome(input, result) => (Some(input), result),
        RustType::Result(item) => (None, item),
        other => (None, other),
    }
}

/// The value a call's `Result<Response<T>, Error>` carries: `T`.
fn payload(returns: &RustType) -> &RustType {
    match returns {
        RustType::Result(inner) => match inner.as_ref() {
            RustType::Response(payload) => payload,
            other => other,
        },
        other => other,
    }
}

fn readable(ty: &RustType) -> String {
    code(ty.readable(Scope::Client))
}

/// How a derived method changed, in a program's terms; the methods with the same change are
/// told once.
fn derived_changes(before: &Method, after: &Method) -> Vec<String> {
    let mut found = Vec::new();
    if before.arguments() != after.arguments() {
        found.push(format!(
            "take{{s}} `{}` where {{they}} took `{}`",
            after.arguments(),
            before.arguments()
        ));
    }
    let ((old_input, old_item), (new_input, new_item)) =
        (parts(&before.returns), parts(&after.returns));
    if let (Some(old), Some(new)) = (old_input, new_input)
        && old != new
    {
        found.push(format!(
            "give{{s}} back inputs of {} where {{they}} gave {}",
            readable(new),
            readable(old)
        ));
    }
    if old_item != new_item {
        let what = match after.kind {
            MethodKind::Pages => "yield{s} items of",
            _ => "give{s} each result as",
        };
        found.push(format!(
            "{what} {} where {{they}} gave {}",
            readable(new_item),
            readable(old_item)
        ));
    }
    found
}

/// A sentence about some methods: `x` gives, or `x` and `y` give.
fn about(methods: &[String], sentence: &str) -> String {
    let (s, they) = match methods.len() {
        1 => ("s", "it"),
        _ => ("", "they"),
    };
    format!(
        "{} {}",
        listed(methods),
        sentence.replace("{s}", s).replace("{they}", they)
    )
}

fn operations(old: &Surface, new: &Surface) -> Vec<Change> {
    let ids: BTreeSet<&str> = old
        .operations
        .keys()
        .chain(new.operations.keys())
        .copied()
        .collect();
    let mut changes = Vec::new();
    for id in ids {
        let subject = operation_subject(id);
        match (old.operations.get(id), new.operations.get(id)) {
            (Some(before), None) => changes.push(removed(old, new.version, before)),
            (None, Some(after)) => {
                let forms: Vec<String> = new.derived(id).keys().map(code).collect();
                let with = match forms.is_empty() {
                    true => String::new(),
                    false => format!(", with {}", listed(&forms)),
                };
                changes.push(change(
                    Impact::Compatible,
                    subject,
                    format!("added: `{} {}`{with}", after.method, after.path),
                ));
            }
            (Some(before), Some(after)) => {
                changes.extend(kept(old, new, before, after));
            }
            (None, None) => {}
        }
    }
    changes
}

/// An operation the new version dropped, with the methods derived from it and HubSpot's note.
fn removed(old: &Surface, new: &Version, before: &Operation) -> Change {
    let forms: Vec<String> = old.derived(&before.id).keys().map(code).collect();
    let mut detail = format!("removed (was `{} {}`)", before.method, before.path);
    if !forms.is_empty() {
        detail.push_str(&format!(", and with it {}", listed(&forms)));
    }
    if let Some(note) = new
        .removed
        .iter()
        .find(|removal| removal.operation == before.id)
        .and_then(|removal| removal.note.as_deref())
    {
        detail.push_str(&format!(": {note}"));
    }
    change(Impact::Breaking, operation_subject(&before.id), detail)
}

/// What changed of an operation both versions have, and of the methods derived from it.
fn kept(old: &Surface, new: &Surface, before: &Operation, after: &Operation) -> Vec<Change> {
    let subject = operation_subject(&after.id);
    let mut changes = Vec::new();
    if let (Some(was), Some(is)) = (old.calls.get(&*before.id), new.calls.get(&*after.id)) {
        if was.arguments() != is.arguments() {
            changes.push(change(
                Impact::Breaking,
                subject.clone(),
                format!(
                    "takes `{}` where it took `{}`",
                    is.arguments(),
                    was.arguments()
                ),
            ));
        }
        if was.returns != is.returns {
            changes.push(change(
                Impact::Breaking,
                subject.clone(),
                format!(
                    "answers with {} where it answered with {}",
                    readable(payload(&is.returns)),
                    readable(payload(&was.returns))
                ),
            ));
        }
    }
    let (was, is) = (old.derived(&before.id), new.derived(&after.id));
    for (impact, only, other, what) in [
        (Impact::Breaking, &was, &is, "removed"),
        (Impact::Compatible, &is, &was, "added"),
    ] {
        let methods: Vec<String> = only
            .keys()
            .filter(|m| !other.contains_key(*m))
            .map(code)
            .collect();
        if !methods.is_empty() {
            let detail = format!("{} {what}", listed(&methods));
            changes.push(change(impact, subject.clone(), detail));
        }
    }
    // Each change of the derived methods, told once for every method it applies to.
    let mut by_change: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, before) in &was {
        if let Some(after) = is.get(name) {
            for sentence in derived_changes(before, after) {
                by_change.entry(sentence).or_default().push(code(name));
            }
        }
    }
    for (sentence, methods) in by_change {
        changes.push(change(
            Impact::Breaking,
            subject.clone(),
            about(&methods, &sentence),
        ));
    }
    let (documented, then) = (after.success.documented(), before.success.documented());
    if documented != then {
        changes.push(change(
            Impact::Behaviour,
            subject.clone(),
            format!(
                "HubSpot documents success as {} instead of {}: any 2xx still succeeds, but programs that check `http_status()` see {} where they saw {}",
                after.success.documented_text(", "),
                before.success.documented_text(", "),
                after.success.documented_text(" or "),
                before.success.documented_text(" or "),
            ),
        ));
    }
    if before.method != after.method {
        changes.push(change(
            Impact::Behaviour,
            subject.clone(),
            format!("sent as {} instead of {}", after.method, before.method),
        ));
    }
    if before.batch_cap() != after.batch_cap() {
        let cap =
            |cap: Option<usize>| cap.map_or("no cap".to_owned(), |cap| format!("{cap} inputs"));
        changes.push(change(
            Impact::Behaviour,
            subject,
            format!(
                "HubSpot's cap per request is {} where it was {}: the bulk methods split inputs by it",
                cap(after.batch_cap()),
                cap(before.batch_cap())
            ),
        ));
    }
    changes
}

/// For a retyped field whose types are both structs of the two versions: how they differ.
fn shape_note(old: &Version, new: &Version, before: &RustType, after: &RustType) -> String {
    let fields = |version: &Version, ty: &RustType| -> Option<Fields> {
        let name = ty.models().first().copied()?;
        version.models.structs.get(name).cloned()
    };
    let (Some(before), Some(after)) = (fields(old, before), fields(new, after)) else {
        return String::new();
    };
    let lost: Vec<String> = before
        .keys()
        .filter(|f| !after.contains_key(*f))
        .map(code)
        .collect();
    let gained: Vec<String> = after
        .keys()
        .filter(|f| !before.contains_key(*f))
        .map(code)
        .collect();
    match (lost.is_empty(), gained.is_empty()) {
        (true, true) => " (the same fields)".to_owned(),
        (false, true) => format!(" (without {})", lost.join(", ")),
        (true, false) => format!(" (with {} besides)", gained.join(", ")),
        (false, false) => format!(" (without {}, with {})", lost.join(", "), gained.join(", ")),
    }
}

fn enum_values(version: &Version) -> BTreeMap<&str, BTreeSet<&str>> {
    version
        .enums
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.values.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

fn types(old: &Version, new: &Version) -> Vec<Change> {
    let (old_enums, new_enums) = (enum_values(old), enum_values(new));
    let (old_structs, new_structs) = (&old.models.structs, &new.models.structs);
    let built = new.request_types();
    let mut changes = Vec::new();
    let old_names: BTreeSet<&str> = old_structs
        .keys()
        .map(String::as_str)
        .chain(old_enums.keys().copied())
        .collect();
    let new_names: BTreeSet<&str> = new_structs
        .keys()
        .map(String::as_str)
        .chain(new_enums.keys().copied())
        .collect();
    for name in old_names.difference(&new_names) {
        changes.push(change(
            Impact::Breaking,
            format!("schema {name}"),
            "removed".to_owned(),
        ));
    }
    for name in new_names.difference(&old_names) {
        changes.push(change(
            Impact::Compatible,
            format!("schema {name}"),
            "added".to_owned(),
        ));
    }
    for (name, after) in &new_enums {
        let Some(before) = old_enums.get(name) else {
            continue;
        };
        let subject = format!("schema {name}");
        for value in before.difference(after) {
            changes.push(change(
                Impact::Breaking,
                subject.clone(),
                format!("value `{value}` removed"),
            ));
        }
        for value in after.difference(before) {
            changes.push(change(
                Impact::Compatible,
                subject.clone(),
                format!("value `{value}` added (it decoded into `Other` before)"),
            ));
        }
    }
    for (name, after) in new_structs {
        let Some(before) = old_structs.get(name) else {
            continue;
        };
        let subject = format!("schema {name}");
        let requested = built.contains(name);
        for (field, old_field) in before {
            if !after.contains_key(field) {
                changes.push(change(
                    Impact::Breaking,
                    subject.clone(),
                    format!(
                        "field `{field}` ({}) removed",
                        code(old_field.ty.readable(Scope::Types))
                    ),
                ));
            }
        }
        for (field, new_field) in after {
            let ty = code(new_field.ty.readable(Scope::Types));
            let Some(old_field) = before.get(field) else {
                let (impact, detail) = if requested {
                    (
                        Impact::Breaking,
                        format!(
                            "field `{field}` ({ty}) added: code that builds this request must set it"
                        ),
                    )
                } else {
                    (Impact::Compatible, format!("field `{field}` ({ty}) added"))
                };
                changes.push(change(impact, subject.clone(), detail));
                continue;
            };
            if old_field.ty != new_field.ty {
                let note = shape_note(old, new, &old_field.ty, &new_field.ty);
                changes.push(change(
                    Impact::Breaking,
                    subject.clone(),
                    format!(
                        "field `{field}` retyped from {} to {ty}{note}",
                        code(old_field.ty.readable(Scope::Types))
                    ),
                ));
            } else if old_field.required != new_field.required {
                let now = if new_field.required {
                    "required"
                } else {
                    "optional"
                };
                changes.push(change(
                    Impact::Breaking,
                    subject.clone(),
                    format!("field `{field}` made {now}"),
                ));
            }
        }
    }
    changes
}

/// The report as Markdown, its title at heading `level` (1 is `#`).
pub fn markdown(report: &Report, level: usize) -> String {
    let count = |impact: Impact| report.changes.iter().filter(|c| c.impact == impact).count();
    let mut text = format!(
        "{} Changes from {} to {}\n\n{} breaking, {} of behaviour, {} compatible.\n",
        "#".repeat(level),
        report.from,
        report.to,
        count(Impact::Breaking),
        count(Impact::Behaviour),
        count(Impact::Compatible)
    );
    if !report.changes.is_empty() {
        text.push('\n');
        text.push_str(&grouped(&report.changes, level + 1));
    }
    text
}

/// The changes grouped by operation and by type, each group's breaking changes first, the
/// groups with breaking changes first; the group headings at `level` (2 is `##`).
pub fn grouped(changes: &[Change], level: usize) -> String {
    if changes.is_empty() {
        return "None for a program using the client.\n".to_owned();
    }
    let mut text = String::new();
    for (kind, title) in [("operation", "Operations"), ("schema", "Types")] {
        let mut groups: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
        for change in changes {
            if let Some((prefix, name)) = change.subject.split_once(' ')
                && prefix == kind
            {
                groups.entry(name).or_default().push(change);
            }
        }
        if groups.is_empty() {
            continue;
        }
        let mut groups: Vec<(&str, Vec<&Change>)> = groups.into_iter().collect();
        groups.sort_by_key(|(name, group)| (group.iter().map(|c| c.impact).min(), *name));
        let _ = write!(text, "{} {title}\n\n", "#".repeat(level));
        for (name, mut group) in groups {
            group.sort_by_key(|change| change.impact);
            let _ = write!(text, "{} `{name}`\n\n", "#".repeat(level + 1));
            for change in group {
                let _ = writeln!(text, "- {}: {}", change.impact.mark(), change.detail);
            }
            text.push('\n');
        }
    }
    text.trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{SpecSource, parse};
    use crate::model;
    use crate::normalize::normalize;

    fn versions(old: &str, new: &str) -> Vec<Version> {
        let specs = [("v4", old), ("2026-03", new)]
            .iter()
            .map(|(version, text)| {
                parse(&SpecSource {
                    version: (*version).into(),
                    path: format!("spec/{version}/openapi.yaml").into(),
                    text: (*text).into(),
                })
                .unwrap()
            })
            .collect();
        model::versions(&normalize(specs)).unwrap()
    }

    const OLD: &str = r#"
openapi: 3.0.3
info: {title: t, version: v4, x-hubspot-lifecycle: {status: legacy}}
paths:
  /crm/v4/things/{id}:
    get:
      operationId: read
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
    post:
      operationId: write
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Input'}}}}
      responses:
        '204': {description: done}
  /crm/v4/gone:
    get:
      operationId: gone
      responses: {'204': {description: done}}
components:
  schemas:
    Kind: {type: string, enum: [A, B]}
    Input:
      type: object
      properties:
        name: {type: string, description: n}
    Thing:
      type: object
      required: [size]
      properties:
        size: {type: integer, format: int32, description: s}
        kind: {$ref: '#/components/schemas/Kind'}
"#;

    #[test]
    fn each_kind_of_change_is_found_and_classified() {
        let new = OLD
            .replace("version: v4, x-hubspot-lifecycle: {status: legacy}", "version: '2026-03', x-hubspot-lifecycle: {status: beta}, x-removed-operations: {gone: Read the things instead.}")
            .replace("/crm/v4/", "/crm/2026-03/")
            .replace("      operationId: gone\n", "      operationId: fresh\n")
            .replace("enum: [A, B]", "enum: [A, C]")
            .replace("        name: {type: string, description: n}", "        name: {type: string, description: n}\n        note: {type: string, description: o}")
            .replace("      required: [size]\n", "")
            .replace("        size: {type: integer, format: int32, description: s}", "        size: {type: integer, format: int32, description: s}\n        label: {type: string, description: l}")
            .replace("        '204': {description: done}\n  /crm", "        '200': {description: done, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}\n  /crm");
        let all = versions(OLD, &new);
        let found: Vec<(Impact, String, String)> = diff(&all[0], &all[1])
            .into_iter()
            .map(|c| (c.impact, c.subject, c.detail))
            .collect();
        use Impact::{Behaviour, Breaking, Compatible};
        let expected = [
            (
                Breaking,
                "operation gone",
                "removed (was `GET /crm/v4/gone`): Read the things instead.",
            ),
            // v4 answered without a body, so the new version's 200 may come empty too.
            (
                Breaking,
                "operation write",
                "answers with `Option<types::Thing>` where it answered with `()`",
            ),
            (
                Breaking,
                "schema Input",
                "field `note` (`Option<String>`) added: code that builds this request must set it",
            ),
            (Breaking, "schema Kind", "value `B` removed"),
            (
                Breaking,
                "schema Thing",
                "field `size` retyped from `i32` to `Option<i32>`",
            ),
            (
                Behaviour,
                "operation write",
                "HubSpot documents success as 200 instead of 204: any 2xx still succeeds, but programs that check `http_status()` see 200 where they saw 204",
            ),
            (
                Compatible,
                "operation fresh",
                "added: `GET /crm/2026-03/gone`",
            ),
            (
                Compatible,
                "schema Kind",
                "value `C` added (it decoded into `Other` before)",
            ),
            (
                Compatible,
                "schema Thing",
                "field `label` (`Option<String>`) added",
            ),
        ];
        let expected: Vec<(Impact, String, String)> = expected
            .iter()
            .map(|(b, s, d)| (*b, (*s).to_owned(), (*d).to_owned()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn derived_methods_fold_under_their_operation() {
        let batch = |result: &str| {
            format!(
                r#"
openapi: 3.0.3
info: {{title: t, version: v4, x-hubspot-lifecycle: {{status: legacy}}}}
paths:
  /crm/v4/things/batch/archive:
    post:
      operationId: batch_archive
      requestBody: {{content: {{application/json: {{schema: {{$ref: '#/components/schemas/BatchIn'}}}}}}}}
      responses:
        '200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Out'}}}}}}}}
components:
  schemas:
    In: {{type: object, properties: {{id: {{type: string, description: i}}}}}}
    BatchIn: {{type: object, properties: {{inputs: {{type: array, description: i, items: {{$ref: '#/components/schemas/In'}}}}}}}}
    Out: {{type: object, properties: {{results: {{type: array, description: r, items: {result}}}}}}}
"#
            )
        };
        let old = batch("{type: object, description: r}");
        let new = batch("{description: r}")
            .replace(
                "version: v4, x-hubspot-lifecycle: {status: legacy}",
                "version: '2026-03', x-hubspot-lifecycle: {status: beta}",
            )
            .replace("/crm/v4/", "/crm/2026-03/");
        let all = versions(&old, &new);
        let details: Vec<String> = diff(&all[0], &all[1])
            .into_iter()
            .filter(|c| c.subject == "operation batch_archive")
            .map(|c| c.detail)
            .collect();
        assert_eq!(
            details,
            [
                "`batch_archive_all` and `batch_archive_chunks` give each result as `Value` where they gave `Map<String, Value>`"
            ]
        );
    }

    #[test]
    fn markdown_groups_by_operation_and_type_breaking_first() {
        let report = Report {
            from: "v4".into(),
            to: "2026-03".into(),
            breaking: true,
            changes: vec![
                change(Impact::Breaking, "operation b".into(), "removed".into()),
                change(Impact::Behaviour, "operation c".into(), "200".into()),
                change(Impact::Compatible, "schema A".into(), "added".into()),
            ],
        };
        assert_eq!(
            markdown(&report, 1),
            "# Changes from v4 to 2026-03\n\n1 breaking, 1 of behaviour, 1 compatible.\n\n## Operations\n\n### `b`\n\n- **breaking**: removed\n\n### `c`\n\n- **behaviour**: 200\n\n## Types\n\n### `A`\n\n- compatible: added\n"
        );
    }

    #[test]
    fn json_names_both_versions_and_whether_anything_breaks() {
        let all = versions(
            OLD,
            &OLD.replace(
                "version: v4, x-hubspot-lifecycle: {status: legacy}",
                "version: '2026-03', x-hubspot-lifecycle: {status: beta}",
            )
            .replace("/crm/v4/", "/crm/2026-03/"),
        );
        let json = serde_json::to_value(report(&all[0], &all[1])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"from": "v4", "to": "2026-03", "breaking": false, "changes": []})
        );
    }
}
