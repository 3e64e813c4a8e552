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
                "operation batch_archive: returns `Result<Response<Option<types::BatchResponse>>, Error>` instead of `Result<Response<()>, Error>`",
            ),
            (
                Impact::Breaking,
                "operation batch_purge_limits: returns `Result<Response<Option<types::BatchResponseVoid>>, Error>` instead of `Result<Response<()>, Error>`",
            ),
            // Limits create and update: 201/200 and 207, then one 200 whose body has the errors.
            (
                Impact::Breaking,
                "operation batch_create_limits: returns `Result<Response<types::BatchResponsePublicAssociationDefinitionUserConfiguration>, Error>`",
            ),
            // The labels of 2025-09 have no object type ids.
            (
                Impact::Breaking,
                "schema CollectionResponseAssociationSpecWithLabelNoPaging: field `results` retyped from `Vec<AssociationSpecWithLabel>` to `Vec<AssociationSpecWithLabelNoObjectTypeIds>` (without `fromObjectTypeId`, `toObjectTypeId`)",
            ),
            // The bulk helpers over them change with them.
            (
                Impact::Breaking,
                "method batch_archive_all: returns `BulkOutcome<types::PublicAssociationMultiArchive, Map<String, Value>>` instead of `BulkOutcome<types::PublicAssociationMultiArchive, ()>`",
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
                "operation batch_create_limits: returns `Result<Response<types::BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors>, Error>`",
            ),
            (
                Impact::Breaking,
                "operation batch_purge_limits: returns `Result<Response<Option<types::BatchResponse>>, Error>` instead of `Result<Response<Option<types::BatchResponseVoid>>, Error>`",
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

#[test]
fn v2026_03_to_2026_09_reports_what_the_reference_lists() {
    assert_lists(
        "2026-03",
        "2026-09",
        &[
            // `list` is gone, and its pager with it; the removal says what to use instead.
            (
                Impact::Breaking,
                "operation list: removed (was `GET /crm/objects/2026-03/{objectType}/{objectId}/associations/{toObjectType}`): Read the associations of a record with `batch_read`",
            ),
            (
                Impact::Breaking,
                "method list_stream: removed (was `list_stream(object_type: impl Into<ObjectType>, object_id: impl Into<ObjectId>, to_object_type: impl Into<ObjectType>, query: ListQuery) -> impl Stream<Item = Result<types::MultiAssociatedObjectWithLabel, Error>>`, derived from `list`)",
            ),
            // Batch answers fold into one 200: the `...WithErrors` types are gone.
            (
                Impact::Breaking,
                "operation batch_create: returns `Result<Response<types::BatchResponseLabelsBetweenObjectPair>, Error>` instead of `Result<Response<types::BatchResponseLabelsBetweenObjectPairWithErrors>, Error>`",
            ),
            (
                Impact::Breaking,
                "operation batch_read: returns `Result<Response<types::BatchResponsePublicAssociationMultiWithLabel>, Error>`",
            ),
            (
                Impact::Breaking,
                "schema BatchResponseLabelsBetweenObjectPairWithErrors: removed",
            ),
            // BatchResponse is BatchResponseVoid, whose results are anything: the bulk helpers change.
            (
                Impact::Breaking,
                "operation batch_archive: returns `Result<Response<Option<types::BatchResponseVoid>>, Error>` instead of `Result<Response<Option<types::BatchResponse>>, Error>`",
            ),
            (
                Impact::Breaking,
                "method batch_archive_all: returns `BulkOutcome<types::PublicAssociationMultiArchive, Value>` instead of `BulkOutcome<types::PublicAssociationMultiArchive, Map<String, Value>>`",
            ),
            (
                Impact::Breaking,
                "schema AssociationSpecWithLabel: field `fromObjectTypeId` (`Option<String>`) removed",
            ),
            // Programs that branch on 207 see 200.
            (
                Impact::Behaviour,
                "operation batch_create: HubSpot documents success as 200 instead of 201, 207: any 2xx still succeeds, but programs that check `status()` see 200 where they saw 201 or 207",
            ),
            (
                Impact::Compatible,
                "schema BatchResponseLabelsBetweenObjectPair: field `errors` (`Vec<StandardError>`) added",
            ),
        ],
    );
    // The documented int32 is widened back by normalization: no change for programs.
    assert!(
        !lines("2026-03", "2026-09")
            .iter()
            .any(|(_, line)| line.starts_with("schema DateTime")),
        "DateTime.value stays i64"
    );
}

#[test]
fn a_version_against_itself_has_no_changes() {
    let all = all();
    let newest = all.last().unwrap();
    let report = report(newest, newest);
    assert!(!report.breaking);
    assert_eq!(
        markdown(&report),
        format!(
            "# Changes from {0} to {0}\n\n## Breaking (0)\n\nNothing.\n\n## Behaviour (0)\n\nNothing.\n\n## Not breaking (0)\n\nNothing.\n",
            newest.name
        )
    );
}
