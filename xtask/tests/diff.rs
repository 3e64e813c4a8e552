//! `cargo xtask diff` on the real versions: it reports every difference the reference lists.
//!
//! The whole report of every pair of consecutive versions is pinned already: each version's
//! module docs carry the changes from the version before, and `codegen --check` fails when
//! they change. These tests check the differences HubSpot's reference names, by impact.

use std::path::Path;

use xtask::codegen::{Inputs, versions};
use xtask::diff::{Impact, markdown, report};
use xtask::model::Version;

fn all() -> Vec<Version> {
    let inputs = Inputs::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap();
    versions(&inputs).unwrap()
}

fn lines(old: &str, new: &str) -> Vec<(Impact, String)> {
    let all = all();
    let find = |name: &str| all.iter().find(|v| v.name == name).unwrap();
    report(find(old), find(new))
        .changes
        .into_iter()
        .map(|c| (c.impact, format!("{}: {}", c.subject, c.detail)))
        .collect()
}

fn assert_lists(old: &str, new: &str, expected: &[(Impact, &str)]) {
    let found = lines(old, new);
    for (impact, line) in expected {
        assert!(
            found
                .iter()
                .any(|(i, l)| i == impact && l.starts_with(line)),
            "{old} -> {new}: not reported as {impact:?}: {line}\n{found:#?}"
        );
    }
}

#[test]
fn v4_to_2025_09_reports_what_the_reference_lists() {
    assert_lists(
        "v4",
        "2025-09",
        &[
            // Batch archive, labels archive and limits purge: 204 without a body, then 200 with one.
            (
                Impact::Breaking,
                "operation batch_archive: answers with `Option<types::BatchResponse>` where it answered with `()`",
            ),
            (
                Impact::Breaking,
                "operation batch_purge_limits: answers with `Option<types::BatchResponseVoid>` where it answered with `()`",
            ),
            // Limits create and update: 201/200 and 207, then one 200 whose body has the errors.
            (
                Impact::Breaking,
                "operation batch_create_limits: answers with `types::BatchResponsePublicAssociationDefinitionUserConfiguration` where",
            ),
            // The labels of 2025-09 have no object type ids.
            (
                Impact::Breaking,
                "schema CollectionResponseAssociationSpecWithLabelNoPaging: field `results` retyped from `Vec<AssociationSpecWithLabel>` to `Vec<AssociationSpecWithLabelNoObjectTypeIds>` (without `fromObjectTypeId`, `toObjectTypeId`)",
            ),
            // The bulk helpers over them change with them.
            (
                Impact::Breaking,
                "operation batch_archive: `batch_archive_all` and `batch_archive_chunks` give each result as `Map<String, Value>` where they gave `()`",
            ),
            (
                Impact::Behaviour,
                "operation batch_archive: HubSpot documents success as 200 instead of 204",
            ),
            (
                Impact::Behaviour,
                "operation batch_create_limits: HubSpot documents success as 200 instead of 201, 207",
            ),
            (
                Impact::Compatible,
                "schema BatchResponsePublicAssociationDefinitionUserConfiguration: field `errors` (`Vec<StandardError>`) added",
            ),
        ],
    );
}

#[test]
fn v2025_09_to_2026_03_reports_what_the_reference_lists() {
    assert_lists(
        "2025-09",
        "2026-03",
        &[
            (
                Impact::Breaking,
                "operation batch_create_limits: answers with `types::BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors`",
            ),
            (
                Impact::Breaking,
                "operation batch_purge_limits: answers with `Option<types::BatchResponse>` where it answered with `Option<types::BatchResponseVoid>`",
            ),
            (
                Impact::Breaking,
                "schema CollectionResponseAssociationSpecWithLabelNoPaging: field `results` retyped from `Vec<AssociationSpecWithLabelNoObjectTypeIds>` to `Vec<AssociationSpecWithLabel>` (with `fromObjectTypeId`, `toObjectTypeId` besides)",
            ),
            (
                Impact::Behaviour,
                "operation batch_create_limits: HubSpot documents success as 201, 207 instead of 200",
            ),
        ],
    );
}

/// HubSpot shipped 2026-09 with the same operations, success codes and shapes as 2026-03 (the
/// reference's notes on rollout 321895): a program moves by changing the module's name.
#[test]
fn v2026_03_to_2026_09_changes_nothing_as_the_reference_says() {
    assert_eq!(lines("2026-03", "2026-09"), []);
}

#[test]
fn a_version_against_itself_has_no_changes() {
    let all = all();
    let newest = all.last().unwrap();
    let report = report(newest, newest);
    assert!(!report.breaking);
    assert_eq!(
        markdown(&report, 1),
        format!(
            "# Changes from {0} to {0}\n\n0 breaking, 0 of behaviour, 0 compatible.\n",
            newest.name
        )
    );
}
