//! `cargo xtask bump <from> <to>`: a new version's spec from an existing one, with every
//! path's version segment rewritten, as the routine start of supporting HubSpot's next version.
//!
//! The YAML is rewritten as text, so that its comments, order and wording stay as written.

use std::path::Path;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::load::{SpecSource, is_version_name, parse};
use crate::path_template::PathTemplate;
use crate::validate;

/// A path of version `from` as version `to` spells it: after the API family for a date-based
/// version (`/crm/associations/2026-09/...`), after `crm` for a legacy one (`/crm/v5/...`).
pub fn rewrite_path(path: &str, from: &str, to: &str) -> String {
    let at = if to.starts_with('v') { 1 } else { 2 };
    PathTemplate::parse(path)
        .without(from)
        .with_version_at(at, to)
        .to_string()
}

/// The spec of version `to`, from the text of version `from`'s spec.
pub fn bump(text: &str, from: &str, to: &str) -> Result<String, Diagnostics> {
    let target = format!("spec/{to}/openapi.yaml");
    if !is_version_name(to) {
        return Err(Diagnostic::new(
            Path::new(&target),
            "",
            format!("`{to}` is not named like a HubSpot API version"),
            "name it `YYYY-MM` (such as `2026-09`), or `vN` for a legacy version",
        )
        .into());
    }
    let mut out = String::with_capacity(text.len());
    let mut in_paths = false;
    // Inside a block of `info` that the new version does not inherit.
    let mut skipping = false;
    for line in text.lines() {
        let top_level = !line.starts_with(' ') && !line.is_empty();
        if top_level {
            in_paths = line.starts_with("paths:");
        }
        if skipping && (line.starts_with("    ") || line.trim().is_empty()) {
            continue;
        }
        skipping = false;
        if let Some(path) = line.strip_prefix("  /").filter(|_| in_paths) {
            let (path, rest) = path.split_once(':').unwrap_or((path, ""));
            out.push_str(&format!(
                "  {}:{rest}\n",
                rewrite_path(&format!("/{path}"), from, to)
            ));
        } else if line.starts_with("  version:") {
            out.push_str(&format!("  version: '{to}'\n"));
        } else if line.starts_with("  x-hubspot-lifecycle:") {
            // A new version starts as a beta, without an end of support.
            out.push_str("  x-hubspot-lifecycle:\n    status: beta\n");
            skipping = true;
        } else if line.starts_with("  x-removed-operations:") {
            // Removals are from the version before: the new version declares its own.
            skipping = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let spec = parse(&SpecSource {
        version: to.to_owned(),
        path: target.into(),
        text: out.clone(),
    })?;
    let mut problems = Diagnostics::default();
    problems.extend(validate::check(&spec));
    problems.into_result(out)
}

/// What to do after a bump.
pub fn next_steps(from: &str, to: &str, module: &str) -> String {
    format!(
        "Created spec/{to}/openapi.yaml from spec/{from}/openapi.yaml.\n\
         Review next:\n\
         1. info.description, and info.x-hubspot-lifecycle (it starts as `beta`, without an end of\n   support; set `generally-available` when HubSpot does, and give {from} its `end-of-support`);\n\
         2. HubSpot's changelog for {to}: apply what changed to the operations and schemas, keeping each\n   operationId and schema name unless HubSpot really renamed it, with a request and a response\n   example for every operation you add;\n\
         3. info.x-removed-operations: every operation of {from} that {to} no longer has, each with a\n   note for programs that used it (codegen refuses a missing one, and a name {from} does not have);\n\
         4. spec/sources/: the reference's facts for {to}, which the conformance tests check the spec against;\n\
         5. cargo xtask codegen: the module `{module}` and the cargo feature `{module}` appear, and every\n   suite, the CLI and the fake take the version from the specs;\n\
         6. cargo xtask diff {from} {to}: what changes for programs that move: breaking, behaviour, compatible;\n\
         7. cargo xtask test."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_move_the_version_segment_to_where_each_kind_of_version_has_it() {
        assert_eq!(
            rewrite_path("/crm/v4/objects/{a}/associations/{b}", "v4", "2026-09"),
            "/crm/objects/2026-09/{a}/associations/{b}"
        );
        assert_eq!(
            rewrite_path(
                "/crm/associations/2026-03/{a}/{b}/batch/create",
                "2026-03",
                "2026-09"
            ),
            "/crm/associations/2026-09/{a}/{b}/batch/create"
        );
        assert_eq!(
            rewrite_path("/crm/objects/2026-03/{a}", "2026-03", "v5"),
            "/crm/v5/objects/{a}"
        );
    }

    const SPEC: &str = "openapi: 3.0.3\ninfo:\n  title: t\n  version: '2026-03'\n  x-hubspot-lifecycle:\n    status: generally-available\n    end-of-support: '2027-09-30'\n  x-removed-operations:\n    gone: use another\n# a comment\npaths:\n  /crm/associations/2026-03/things:\n    get:\n      operationId: list # kept\n      responses:\n        '204': {description: done}\n";

    #[test]
    fn a_bump_rewrites_paths_version_and_lifecycle_and_keeps_the_rest() {
        let bumped = bump(SPEC, "2026-03", "2026-09").unwrap();
        assert_eq!(
            bumped,
            "openapi: 3.0.3\ninfo:\n  title: t\n  version: '2026-09'\n  x-hubspot-lifecycle:\n    status: beta\n# a comment\npaths:\n  /crm/associations/2026-09/things:\n    get:\n      operationId: list # kept\n      responses:\n        '204': {description: done}\n"
        );
    }

    #[test]
    fn a_bump_to_a_name_that_is_not_a_version_is_refused() {
        let problems = bump(SPEC, "2026-03", "next").unwrap_err().to_string();
        assert!(
            problems.contains("`next` is not named like a HubSpot API version"),
            "{problems}"
        );
    }
}
