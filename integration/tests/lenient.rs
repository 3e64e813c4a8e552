//! Answers HubSpot's documents do not promise but a client meets, for the client of every
//! version (from the registry): they decode, and every input is accounted for as HubSpot's
//! answer confirms it.

use hubspot_associations::association_types::CONTACT_TO_COMPANY;
use hubspot_associations::{ApiVersion, BulkOptions, ObjectType, Transport, with_version};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// How `batch_create_all` of every version settles one pair against an answer of `status`
/// with `body`: the outcome of the pair, as text.
async fn one_pair_against(status: u16, body: serde_json::Value) -> Vec<(ApiVersion, String)> {
    let mut outcomes = Vec::new();
    for &version in ApiVersion::ALL {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body.clone()))
            .mount(&server)
            .await;
        let transport = Transport::builder("pat-na1-lenient")
            .base_url(server.uri())
            .build()
            .unwrap();
        let outcome = with_version!(version, api, {
            let pair =
                api::types::PublicAssociationMultiPost::new(1u64, 2u64, [CONTACT_TO_COMPANY]);
            let outcome = api::Client::new(transport)
                .batch_create_all(
                    ObjectType::CONTACTS,
                    ObjectType::COMPANIES,
                    [pair],
                    BulkOptions::default(),
                )
                .await;
            match (outcome.succeeded.len(), outcome.failed.first()) {
                (1, None) => "done".to_owned(),
                (0, Some(failed)) => failed.failure.to_string(),
                other => format!("{other:?}"),
            }
        });
        outcomes.push((version, outcome));
    }
    outcomes
}

/// An error whose `context` holds numbers, objects or anything else decodes, and still names
/// the input it is about.
#[tokio::test]
async fn an_error_context_of_any_json_type_decodes_and_names_its_input() {
    let outcomes = one_pair_against(
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
    for (version, outcome) in outcomes {
        assert!(
            outcome.starts_with("rejected:"),
            "{version}: the error names the input: {outcome}"
        );
    }
}

/// A success that confirms nothing (no result and no error for an input) does not count the
/// input as done: it is unconfirmed, with the reason.
#[tokio::test]
async fn a_success_that_confirms_nothing_leaves_its_inputs_unconfirmed() {
    let outcomes = one_pair_against(
        201,
        json!({
            "status": "COMPLETE",
            "startedAt": "2026-03-01T00:00:00Z",
            "completedAt": "2026-03-01T00:00:01Z",
            "results": []
        }),
    )
    .await;
    for (version, outcome) in outcomes {
        assert_eq!(
            outcome, "neither confirmed nor named in an error",
            "{version}"
        );
    }
}

/// The error types of every version print what HubSpot said, not their `Lenient` wrappers:
/// `VALIDATION_ERROR: No contacts with ID 999999 exist`.
#[test]
fn error_types_print_their_values() {
    let body = json!({
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": "No contacts with ID 999999 exist",
        "context": {"fromObjectId": ["999999"]},
    });
    for &version in ApiVersion::ALL {
        let (shown, debug) = with_version!(version, api, {
            let error: api::types::StandardError = serde_json::from_value(body.clone()).unwrap();
            (error.to_string(), format!("{:?}", error.message))
        });
        assert_eq!(
            shown, "VALIDATION_ERROR: No contacts with ID 999999 exist",
            "{version}"
        );
        assert_eq!(
            debug, "Some(\"No contacts with ID 999999 exist\")",
            "{version}"
        );
    }
}
