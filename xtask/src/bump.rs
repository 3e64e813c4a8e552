//! `cargo xtask bump <from> <to>`: a new version's spec from an existing one, with every
//! path's version segment rewritten: `import` without HubSpot's files (see [`crate::import`]),
//! for when HubSpot's files for the version are not out yet.

use crate::path_template::PathTemplate;

/// A path of version `from` as version `to` spells it: after the API family for a date-based
/// version (`/crm/associations/2026-09/...`), after `crm` for a legacy one (`/crm/v5/...`).
pub fn rewrite_path(path: &str, from: &str, to: &str) -> String {
    let at = if to.starts_with('v') { 1 } else { 2 };
    PathTemplate::parse(path)
        .without(from)
        .with_version_at(at, to)
        .to_string()
}

/// What to do after a bump.
pub fn next_steps(from: &str, to: &str, module: &str) -> String {
    format!(
        "Created spec/{to}/openapi.yaml from spec/{from}/openapi.yaml.\n\
         Review next:\n\
         1. info.description (a placeholder), and info.x-hubspot-lifecycle (it starts as `beta`, without\n   an end of support; set `generally-available` when HubSpot does, and give {from} its `end-of-support`);\n\
         When HubSpot publishes {to}: cargo xtask import {to} --update --hubspot <clone of its spec collection>\n   takes its facts, keeping what this spec says where they did not change; otherwise:\n\
         2. HubSpot's changelog for {to}: apply what changed to the operations and schemas, keeping each\n   operationId and schema name unless HubSpot really renamed it, with a request and a response\n   example for every operation you add;\n\
         3. info.x-removed-operations: every operation of {from} that {to} no longer has, each with a\n   note for programs that used it (codegen refuses a missing one, and a name {from} does not have);\n\
         4. spec/sources/: the reference's operations table for {to} (the import writes it from HubSpot's files) and its notes,\n   which the conformance tests check the spec against;\n\
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
}
