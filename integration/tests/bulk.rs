//! Bulk operations against the fake HubSpot, through the newest generally available version:
//! chunking at the caps, 207 errors matched back to their inputs, whole-request rejections
//! split in halves, bounded concurrency, paging of `batch_read`, and the label registry.
//! (Pagers are tested by the generated crate's `tests/pagers.rs`, in every version that has
//! one.)

use std::time::Duration;

use fake_hubspot::{Association, Config, FakeHubSpot, Fault};
use futures_util::StreamExt;
use hubspot_associations::bulk::InputFailure;
use hubspot_associations::newest_generally_available::{Client, types};
use hubspot_associations::{ApiVersion, BulkOptions, ObjectId, RateLimit, Transport};

/// HubSpot's cap on the inputs of one request of `operation`, as the version's spec documents.
fn cap(operation: &str) -> usize {
    ApiVersion::newest_generally_available()
        .and_then(|version| version.operation(operation))
        .and_then(|op| op.batch_cap)
        .unwrap_or_else(|| panic!("{operation} documents no cap"))
}

fn client(fake: &FakeHubSpot) -> Client {
    Client::new(
        Transport::builder("pat")
            .base_url(fake.url())
            .rate_limit(RateLimit::Off)
            .build()
            .unwrap(),
    )
}

fn pair(from: u64, to: u64, type_id: i32) -> types::PublicAssociationMultiPost {
    types::PublicAssociationMultiPost {
        from: types::PublicObjectId { id: from.into() },
        to: types::PublicObjectId { id: to.into() },
        types: vec![types::AssociationSpec {
            association_category: types::AssociationCategory::HubspotDefined,
            association_type_id: type_id,
        }],
    }
}

fn inputs_per_request(fake: &FakeHubSpot) -> Vec<usize> {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["inputs"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect()
}

fn seed(fake: &FakeHubSpot, from_id: u64, count: u64) {
    fake.seed((1..=count).map(|to_id| Association {
        from_type: "contacts".into(),
        from_id,
        to_type: "companies".into(),
        to_id,
        type_id: 279,
    }));
}

#[tokio::test]
async fn any_number_of_inputs_is_split_at_the_cap() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    // Two full requests and a part, at the cap the version's spec documents.
    let cap = cap("batch_create");
    let total = 2 * cap + cap / 4;
    let inputs: Vec<_> = (1..=total as u64)
        .map(|i| pair(i, 100_000 + i, 279))
        .collect();
    let outcome = client(&fake)
        .batch_create_all("contacts", "companies", inputs, BulkOptions::default())
        .await;
    assert!(outcome.is_complete(), "{:?}", outcome.failed.first());
    assert_eq!(outcome.succeeded.len(), total);
    assert!(
        outcome.succeeded.iter().all(|s| s.result.is_some()),
        "each result matched to its input"
    );
    assert_eq!(outcome.requests, 3);
    let mut sizes = inputs_per_request(&fake);
    sizes.sort_unstable();
    assert_eq!(sizes, [cap / 4, cap, cap]);
    assert_eq!(fake.associations().len(), total);

    // Where HubSpot documents no cap, the conservative default applies, or the option.
    let defaults: Vec<_> = (1..=250)
        .map(|i| types::PublicDefaultAssociationMultiPost {
            from: types::PublicObjectId { id: i.into() },
            to: types::PublicObjectId {
                id: (900 + i).into(),
            },
        })
        .collect();
    let outcome = client(&fake)
        .batch_create_default_all(
            "contacts",
            "companies",
            defaults.clone(),
            BulkOptions::default(),
        )
        .await;
    assert_eq!((outcome.succeeded.len(), outcome.requests), (250, 3));
    let outcome = client(&fake)
        .batch_create_default_all(
            "contacts",
            "companies",
            defaults,
            BulkOptions::default().chunk_size(250),
        )
        .await;
    assert_eq!(outcome.requests, 1);
}

#[tokio::test]
async fn the_errors_of_a_207_are_matched_to_their_inputs() {
    let missing = [13, 77, 100_050];
    let fake = FakeHubSpot::start(Config {
        missing_ids: missing.into_iter().collect(),
        ..Config::default()
    })
    .await
    .unwrap();
    let inputs: Vec<_> = (1..=100).map(|i| pair(i, 100_000 + i, 279)).collect();
    let outcome = client(&fake)
        .batch_create_all("contacts", "companies", inputs, BulkOptions::default())
        .await;
    assert_eq!(outcome.requests, 1);
    assert_eq!(outcome.succeeded.len(), 97);
    let mut failed: Vec<(String, String, String)> = outcome
        .failed
        .iter()
        .map(|f| {
            (
                f.input.from.id.to_string(),
                f.input.to.id.to_string(),
                f.failure.to_string(),
            )
        })
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [
            (
                "13".into(),
                "100013".into(),
                "rejected: VALIDATION_ERROR: No contacts with ID 13 exist".into()
            ),
            (
                "50".into(),
                "100050".into(),
                "rejected: VALIDATION_ERROR: No companies with ID 100050 exist".into()
            ),
            (
                "77".into(),
                "100077".into(),
                "rejected: VALIDATION_ERROR: No contacts with ID 77 exist".into()
            ),
        ]
    );
    assert_eq!(fake.associations().len(), 97);
}

#[tokio::test]
async fn a_request_rejected_as_a_whole_is_split_to_isolate_the_bad_input() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let cap = cap("batch_create");
    let mut inputs: Vec<_> = (1..=cap as u64)
        .map(|i| pair(i, 100_000 + i, 279))
        .collect();
    let bad = cap * 5 / 8;
    inputs[bad] = pair(bad as u64 + 1, 100_001 + bad as u64, -1);
    let outcome = client(&fake)
        .batch_create_all(
            "contacts",
            "companies",
            inputs.clone(),
            BulkOptions::default(),
        )
        .await;
    assert_eq!(
        outcome.succeeded.len(),
        cap - 1,
        "one bad input does not sink the others"
    );
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(
        outcome.failed[0].input.from.id,
        (bad + 1).to_string().as_str()
    );
    let InputFailure::Request(error) = &outcome.failed[0].failure else {
        panic!("{:?}", outcome.failed[0])
    };
    assert_eq!(error.http_status().map(|s| s.as_u16()), Some(400));
    // One request, then two halves per level down to the bad input.
    let (mut size, mut at, mut levels) = (cap, bad, 0);
    while size > 1 {
        let first = size / 2;
        (size, at) = if at < first {
            (first, at)
        } else {
            (size - first, at - first)
        };
        levels += 1;
    }
    assert_eq!(outcome.requests, 1 + 2 * levels);
    assert_eq!(fake.associations().len(), cap - 1);

    let unsplit = FakeHubSpot::start(Config::default()).await.unwrap();
    let outcome = client(&unsplit)
        .batch_create_all(
            "contacts",
            "companies",
            inputs,
            BulkOptions::default().split_rejected(false),
        )
        .await;
    assert_eq!((outcome.failed.len(), outcome.requests), (cap, 1));
}

/// A server that refuses every request the same way (a wrong object type, a malformed body):
/// the first split shows its halves refused alike, and no request is split again. A run costs
/// its planned requests and two more, however many requests it plans and however many run at
/// once.
#[tokio::test]
async fn a_refusal_of_every_request_is_not_split_past_one_probe() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let refusal = serde_json::json!({
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": "Unable to infer object type from: contactz",
    });
    fake.push_faults((0..100).map(|_| Fault::json(400, refusal.clone())));
    let inputs: Vec<_> = (1..=1_000).map(|i| pair(i, 100_000 + i, 279)).collect();
    let planned = 10;
    let outcome = client(&fake)
        .batch_create_all(
            "contacts",
            "companies",
            inputs,
            BulkOptions::default().chunk_size(100).concurrency(4),
        )
        .await;
    assert_eq!(outcome.failed.len(), 1_000);
    assert!(outcome.succeeded.is_empty());
    assert_eq!(
        outcome.requests,
        planned + 2,
        "the planned requests and one probe of two halves"
    );
    assert_eq!(outcome.requests, fake.requests().len());
    let InputFailure::Request(error) = &outcome.failed[0].failure else {
        panic!("{:?}", outcome.failed[0])
    };
    assert!(
        error.to_string().contains("Unable to infer object type"),
        "{error}"
    );
}

/// A refusal that names some of the inputs: those fail with it, and the rest is sent once
/// more, unsplit.
#[tokio::test]
async fn a_refusal_naming_an_input_fails_it_and_sends_the_rest_once() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.push_faults([Fault::json(
        400,
        serde_json::json!({
            "status": "error",
            "category": "VALIDATION_ERROR",
            "message": "No contacts with ID 42 exist",
            "context": {"fromObjectId": ["42"]},
        }),
    )]);
    let inputs: Vec<_> = (1..=100).map(|i| pair(i, 100_000 + i, 279)).collect();
    let outcome = client(&fake)
        .batch_create_all("contacts", "companies", inputs, BulkOptions::default())
        .await;
    assert_eq!(outcome.requests, 2);
    assert_eq!(outcome.succeeded.len(), 99);
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].input.from.id, "42");
    assert!(
        matches!(&outcome.failed[0].failure, InputFailure::Rejected(error) if error.message.as_deref() == Some("No contacts with ID 42 exist")),
        "{:?}",
        outcome.failed[0].failure
    );
}

#[tokio::test(start_paused = true)]
async fn requests_run_with_bounded_concurrency() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.push_faults((0..10).map(|_| Fault::Delay(Duration::from_secs(1))));
    let inputs: Vec<_> = (1..=1_000).map(|i| pair(i, 100_000 + i, 279)).collect();
    let client = client(&fake);
    let chunks = client.batch_create_chunks(
        "contacts",
        "companies",
        inputs,
        BulkOptions::default().chunk_size(100).concurrency(3),
    );
    let outcomes: Vec<_> = chunks.collect().await;
    assert_eq!(
        outcomes.len(),
        10,
        "one outcome per request, as each completes"
    );
    assert!(outcomes.iter().all(|o| o.succeeded.len() == 100));
    assert_eq!(fake.stats().max_in_flight, 3);
}

#[tokio::test]
async fn batch_read_follows_each_records_cursor_to_its_last_page() {
    let fake = FakeHubSpot::start(Config {
        batch_read_page: 100,
        ..Config::default()
    })
    .await
    .unwrap();
    seed(&fake, 1, 250);
    seed(&fake, 2, 30);
    let ids: Vec<ObjectId> = [1_u64, 2, 3].into_iter().map(ObjectId::from).collect();
    let outcome = client(&fake)
        .batch_read_all("contacts", "companies", ids, BulkOptions::default())
        .await;
    assert!(outcome.is_complete());
    let counts: Vec<(String, usize)> = outcome
        .succeeded
        .iter()
        .map(|s| (s.input.to_string(), s.result.as_ref().unwrap().len()))
        .collect();
    assert_eq!(
        counts,
        [
            ("1".to_owned(), 250),
            ("2".to_owned(), 30),
            ("3".to_owned(), 0)
        ]
    );
    assert_eq!(
        outcome.requests, 3,
        "all three, then record 1 twice more on its own"
    );
    let first: Vec<u64> = outcome.succeeded[0]
        .result
        .as_ref()
        .unwrap()
        .iter()
        .map(|a| a.to_object_id.as_u64().unwrap())
        .collect();
    assert_eq!(
        first,
        (1..=250).collect::<Vec<_>>(),
        "every page, in order, once"
    );

    // More records than the cap take more requests.
    let cap = cap("batch_read");
    let many: Vec<ObjectId> = (1..=(2 * cap + cap / 2) as u64)
        .map(ObjectId::from)
        .collect();
    let before = fake.requests().len();
    let outcome = client(&fake)
        .batch_read_all("contacts", "companies", many, BulkOptions::default())
        .await;
    assert_eq!(outcome.succeeded.len(), 2 * cap + cap / 2);
    let sizes: Vec<usize> = inputs_per_request(&fake)[before..].to_vec();
    assert!(sizes.iter().all(|n| *n <= cap), "{sizes:?}");
}

/// Any number of records as a stream: each outcome covers at most the records of the requests
/// in flight at once, the records come in the order given, and a record's later pages are in
/// the outcome that read its first.
#[tokio::test]
async fn batch_read_chunks_reads_any_number_of_records_a_group_at_a_time() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    seed(&fake, 2, 250);
    let cap = cap("batch_read");
    let options = BulkOptions::default().concurrency(2);
    let group = 2 * cap;
    let records = 2 * group + 7;
    let ids = (1..=records as u64).map(ObjectId::from);
    let client = client(&fake);
    let mut chunks = client.batch_read_chunks("contacts", "companies", ids, options);
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    while let Some(outcome) = chunks.next().await {
        assert!(outcome.is_complete());
        sizes.push(outcome.succeeded.len());
        for record in outcome.succeeded {
            let held = record.result.map_or(0, |found| found.len());
            seen.push((record.input.as_u64().unwrap(), held));
        }
    }
    assert_eq!(sizes, [group, group, 7], "a group at a time");
    seen.sort_unstable();
    assert_eq!(seen.len(), records);
    assert_eq!(seen[1], (2, 250), "record 2's every page");
    assert!(
        seen.iter()
            .filter(|(id, _)| *id != 2)
            .all(|(_, held)| *held == 0)
    );
}

#[tokio::test]
async fn labels_are_fetched_once_and_resolved_by_name() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let client = client(&fake);
    let request = types::PublicAssociationDefinitionCreateRequest {
        label: "Billing contact".into(),
        name: "billing_contact".into(),
        inverse_label: None,
    };
    client
        .create_label("contacts", "companies", &request)
        .await
        .unwrap();
    let labels = client.labels("contacts", "companies").await.unwrap();
    let billing = labels.find("billing contact").unwrap();
    assert_eq!(
        (billing.type_id, billing.category.as_str()),
        (1000, "USER_DEFINED")
    );
    assert_eq!(labels.unlabelled().unwrap().type_id, 279);
    let clone = Client::new(client.transport().clone());
    clone.labels("contacts", "companies").await.unwrap();
    let listings = fake.requests().iter().filter(|r| r.method == "GET").count();
    assert_eq!(listings, 1, "clones of the transport share the registry");
}

#[tokio::test]
async fn batch_archive_all_removes_and_reports_bad_ids() {
    let fake = FakeHubSpot::start(Config {
        missing_ids: [9].into_iter().collect(),
        ..Config::default()
    })
    .await
    .unwrap();
    seed(&fake, 1, 5);
    let archive = |from: u64, to: Vec<u64>| types::PublicAssociationMultiArchive {
        from: types::PublicObjectId { id: from.into() },
        to: to
            .into_iter()
            .map(|id| types::PublicObjectId { id: id.into() })
            .collect(),
    };
    let outcome = client(&fake)
        .batch_archive_all(
            "contacts",
            "companies",
            vec![archive(1, vec![1, 2, 3]), archive(9, vec![1])],
            BulkOptions::default(),
        )
        .await;
    assert_eq!(outcome.succeeded.len(), 1);
    assert_eq!(outcome.failed[0].input.from.id, "9");
    assert_eq!(fake.associations().len(), 2);
}

/// A batch read whose answer holds one record that does not decode (its association's id is
/// an object): that record fails with the reason and an excerpt of what came, the others are
/// read, and nothing is dropped.
#[tokio::test]
async fn a_batch_read_result_that_does_not_decode_is_a_failure_in_the_outcome() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.push_faults([Fault::json(
        200,
        serde_json::json!({
            "status": "COMPLETE",
            "startedAt": "2026-03-01T10:00:00Z",
            "completedAt": "2026-03-01T10:00:01Z",
            "results": [
                {"from": {"id": "1"}, "to": [{"toObjectId": 10, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 279}]}]},
                {"from": {"id": "2"}, "to": [{"toObjectId": {"not": "an id"}, "associationTypes": []}]},
            ],
        }),
    )]);
    let ids: Vec<ObjectId> = [1_u64, 2].into_iter().map(ObjectId::from).collect();
    let outcome = client(&fake)
        .batch_read_all("contacts", "companies", ids, BulkOptions::default())
        .await;
    assert_eq!(outcome.succeeded.len(), 1);
    assert_eq!(outcome.succeeded[0].input, "1");
    assert_eq!(outcome.succeeded[0].result.as_ref().unwrap().len(), 1);
    assert_eq!(outcome.failed.len(), 1, "{:?}", outcome.failed);
    assert_eq!(outcome.failed[0].input, "2");
    let InputFailure::Undecodable(result) = &outcome.failed[0].failure else {
        panic!("{:?}", outcome.failed[0].failure);
    };
    assert!(result.excerpt.contains(r#""not":"an id""#), "{result:?}");
    assert!(
        outcome.failed[0]
            .failure
            .to_string()
            .starts_with("a result of the answer does not decode"),
        "{}",
        outcome.failed[0].failure
    );
}

/// A 207 whose error has fields of other types than documented (`id` a number, `links` a
/// list, `subCategory` an object): the typed answer decodes, keeping each as it came, and the
/// bulk methods still attribute the error to the input its context names.
#[tokio::test]
async fn an_error_of_unexpected_field_types_decodes_and_is_attributed() {
    let answer = serde_json::json!({
        "status": "COMPLETE",
        "startedAt": "2026-03-01T10:00:00Z",
        "completedAt": "2026-03-01T10:00:01Z",
        "results": [{"fromObjectTypeId": "0-1", "fromObjectId": 1, "toObjectTypeId": "0-2", "toObjectId": 11, "labels": []}],
        "numErrors": 1,
        "errors": [{
            "status": "error",
            "category": "VALIDATION_ERROR",
            "message": "No contacts with ID 2 exist",
            "id": 999,
            "links": ["https://developers.hubspot.com"],
            "subCategory": {"kind": "INVALID_OBJECT_IDS"},
            "context": {"fromObjectId": ["2"]},
            "errors": "none",
        }],
    });
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let inputs = vec![pair(1, 11, 279), pair(2, 22, 279)];
    fake.push_faults([Fault::json(207, answer.clone())]);
    let typed = client(&fake)
        .batch_create(
            "contacts",
            "companies",
            &types::BatchInputPublicAssociationMultiPost {
                inputs: inputs.clone(),
            },
        )
        .await
        .unwrap();
    let error = &typed.errors[0];
    assert_eq!(
        error.id,
        Some(hubspot_associations::Lenient::Other(serde_json::json!(999)))
    );
    assert_eq!(
        error.links.as_ref().and_then(|links| links.other()),
        Some(&serde_json::json!(["https://developers.hubspot.com"]))
    );
    assert_eq!(
        error.message.as_ref().and_then(|m| m.as_str()),
        Some("No contacts with ID 2 exist")
    );

    fake.push_faults([Fault::json(207, answer)]);
    let outcome = client(&fake)
        .batch_create_all("contacts", "companies", inputs, BulkOptions::default())
        .await;
    assert_eq!(outcome.succeeded.len(), 1);
    assert_eq!(outcome.succeeded[0].input.from.id, "1");
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].input.from.id, "2");
    assert_eq!(
        outcome.failed[0].failure.to_string(),
        "rejected: VALIDATION_ERROR: No contacts with ID 2 exist"
    );
}
