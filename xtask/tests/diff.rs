//! `cargo xtask diff` on the real versions: it reports every difference the reference lists,
//! and every other difference it reports was checked by hand once and is pinned in
//! `tests/diff/`.

use std::path::Path;

use xtask::codegen::{Inputs, versions};
use xtask::diff::{diff, markdown};

fn report(old: &str, new: &str) -> String {
    let inputs = Inputs::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap();
    let all = versions(&inputs).unwrap();
    let find = |name: &str| all.iter().find(|v| v.name == name).unwrap();
    markdown(old, new, &diff(find(old), find(new)))
}

fn pinned(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/diff")
            .join(name),
    )
    .unwrap()
}

fn assert_lists(report: &str, breaking: &[&str], not_breaking: &[&str]) {
    let (first, second) = report.split_once("## Not breaking").unwrap();
    for line in breaking {
        assert!(
            first.contains(line),
            "not reported as breaking: {line}\n{report}"
        );
    }
    for line in not_breaking {
        assert!(
            second.contains(line),
            "not reported as not breaking: {line}\n{report}"
        );
    }
}

#[test]
fn v4_to_2025_09_reports_what_the_reference_lists() {
    let report = report("v4", "2025-09");
    assert_lists(
        &report,
        &[
            // Batch archive, labels archive and limits purge: 204 without a body, then 200 with one.
            "- operation batch_archive: returns `Response<Option<types::BatchResponse>>` instead of `Response<()>`",
            "- operation batch_archive_labels: returns `Response<Option<types::BatchResponse>>` instead of `Response<()>`",
            "- operation batch_purge_limits: returns `Response<Option<types::BatchResponseVoid>>` instead of `Response<()>`",
            // Limits create and update: 201/200 and 207, then one 200 whose body has the errors.
            "- operation batch_create_limits: returns `Response<types::BatchResponsePublicAssociationDefinitionUserConfiguration>` instead of `Response<types::BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors>`",
            "- operation batch_update_limits: returns `Response<types::BatchResponsePublicAssociationDefinitionConfigurationUpdateResult>` instead of `Response<types::BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors>`",
            // The labels of 2025-09 have no object type ids.
            "- schema CollectionResponseAssociationSpecWithLabelNoPaging: field `results` retyped from `Vec<AssociationSpecWithLabel>` to `Vec<AssociationSpecWithLabelNoObjectTypeIds>` (without `fromObjectTypeId`, `toObjectTypeId`)",
        ],
        &[
            "- operation batch_archive: HubSpot documents success as 200 instead of 204",
            "- operation batch_archive_labels: HubSpot documents success as 200 instead of 204",
            "- operation batch_purge_limits: HubSpot documents success as 200 instead of 204",
            "- operation batch_create_limits: HubSpot documents success as 200 instead of 201, 207",
            "- operation batch_update_limits: HubSpot documents success as 200 instead of 200, 207",
            "- schema BatchResponsePublicAssociationDefinitionUserConfiguration: field `errors` (`Vec<StandardError>`) added",
            "- schema BatchResponsePublicAssociationDefinitionConfigurationUpdateResult: field `numErrors` (`i32`) added",
        ],
    );
    assert_eq!(
        report,
        pinned("v4-to-2025-09.md"),
        "a difference changed; check it by hand, then pin it"
    );
}

#[test]
fn v2025_09_to_2026_03_reports_what_the_reference_lists() {
    let report = report("2025-09", "2026-03");
    assert_lists(
        &report,
        &[
            // Limits create and update get their 207 back; purge answers with a BatchResponse.
            "- operation batch_create_limits: returns `Response<types::BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors>`",
            "- operation batch_update_limits: returns `Response<types::BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors>`",
            "- operation batch_purge_limits: returns `Response<Option<types::BatchResponse>>` instead of `Response<Option<types::BatchResponseVoid>>`",
            // The labels get their object type ids back.
            "- schema CollectionResponseAssociationSpecWithLabelNoPaging: field `results` retyped from `Vec<AssociationSpecWithLabelNoObjectTypeIds>` to `Vec<AssociationSpecWithLabel>` (with `fromObjectTypeId`, `toObjectTypeId` besides)",
        ],
        &[
            "- operation batch_create_limits: HubSpot documents success as 201, 207 instead of 200",
            "- operation batch_update_limits: HubSpot documents success as 200, 207 instead of 200",
        ],
    );
    assert_eq!(
        report,
        pinned("2025-09-to-2026-03.md"),
        "a difference changed; check it by hand, then pin it"
    );
}

#[test]
fn a_version_against_itself_has_no_changes() {
    assert_eq!(
        report("2026-03", "2026-03"),
        "# Changes from 2026-03 to 2026-03\n\n## Breaking (0)\n\nNothing.\n\n## Not breaking (0)\n\nNothing.\n"
    );
}
