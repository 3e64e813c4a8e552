//! Answers HubSpot's documents do not promise but a client meets: they decode, and every input
//! is accounted for as HubSpot's answer confirms it.

use hubspot_associations::v2026_03::{Client, types};
use hubspot_associations::{BulkOptions, ObjectType, Transport};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn client_answering(status: u16, body: serde_json::Value) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    let client = Client::new(
        Transport::builder("pat-na1-lenient")
            .base_url(server.uri())
            .build()
            .unwrap(),
    );
    (server, client)
}

fn pairs() -> Vec<types::PublicAssociationMultiPost> {
    vec![types::PublicAssociationMultiPost::new(
        1u64,
        2u64,
        [hubspot_associations::association_types::CONTACT_TO_COMPANY],
    )]
}

/// An error whose `context` holds numbers, objects or anything else decodes, and still names
/// the input it is about.
#[tokio::test]
async fn an_error_context_of_any_json_type_decodes_and_names_its_input() {
    let (_server, client) = client_answering(
        207,
        json!({
            "status": "COMPLETE",
            "startedAt": "2026-03-01T00:00:00Z",
            "completedAt": "2026-03-01T00:00:01Z",
            "results": [],
            "numErrors": 1,
            "errors": [{
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": "No contacts with ID 1 exist",
                "context": {"fromObjectId": [1], "id": 999, "nested": {"a": true}},
                "errors": [],
                "links": {}
            }]
        }),
    )
    .await;
    let outcome = client
        .batch_create_all(
            ObjectType::CONTACTS,
            ObjectType::COMPANIES,
            pairs(),
            BulkOptions::default(),
        )
        .await;
    assert!(outcome.succeeded.is_empty(), "{:?}", outcome.succeeded);
    assert_eq!(outcome.failed.len(), 1);
    let failure = outcome.failed[0].failure.to_string();
    assert!(
        failure.starts_with("rejected:"),
        "the error names the input: {failure}"
    );
}

/// A success that confirms nothing (no result and no error for an input) does not count the
/// input as done: it is unconfirmed, with the reason.
#[tokio::test]
async fn a_success_that_confirms_nothing_leaves_its_inputs_unconfirmed() {
    let (_server, client) = client_answering(
        201,
        json!({
            "status": "COMPLETE",
            "startedAt": "2026-03-01T00:00:00Z",
            "completedAt": "2026-03-01T00:00:01Z",
            "results": []
        }),
    )
    .await;
    let outcome = client
        .batch_create_all(
            ObjectType::CONTACTS,
            ObjectType::COMPANIES,
            pairs(),
            BulkOptions::default(),
        )
        .await;
    assert!(outcome.succeeded.is_empty(), "{:?}", outcome.succeeded);
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(
        outcome.failed[0].failure.to_string(),
        "neither confirmed nor named in an error"
    );
}
