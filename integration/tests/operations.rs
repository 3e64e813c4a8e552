//! Every operation of every version, called once against a real HTTP server on 127.0.0.1:
//! the method, the exact path and query, the `Authorization` header and the JSON body sent,
//! and a realistic answer decoded.
//!
//! The same test body runs for every version module: the method names are the same in every
//! version, and the expected paths are written out here, not taken from the generated code.

#![allow(deprecated, reason = "v4 is deprecated for users; it is still tested")]

mod common;

use common::Exchange;
use serde_json::{Value, json};

const STARTED: &str = "2026-03-01T10:00:00.123Z";
const COMPLETED: &str = "2026-03-01T10:00:01.456Z";

fn association_types() -> Value {
    json!([
        {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": null, "fromObjectTypeId": "0-1", "toObjectTypeId": "0-2"},
        {"category": "USER_DEFINED", "typeId": 37, "label": "Billing contact", "fromObjectTypeId": "0-1", "toObjectTypeId": "0-2"}
    ])
}

/// A page as HubSpot sends it, with fields this crate does not know, which are ignored.
fn list_page() -> Value {
    json!({
        "results": [{"toObjectId": 5790939450_u64, "associationTypes": association_types(), "archivedAt": null}],
        "paging": {"next": {"after": "MjA=", "link": "?after=MjA="}},
        "fieldAddedNextYear": {"anything": [1, 2, 3]}
    })
}

fn labels_between() -> Value {
    json!({
        "fromObjectTypeId": "0-1", "fromObjectId": 29851,
        "toObjectTypeId": "0-2", "toObjectId": 5790939450_u64,
        "labels": ["Billing contact"]
    })
}

fn batch(results: Value) -> Value {
    json!({"status": "COMPLETE", "results": results, "startedAt": STARTED, "completedAt": COMPLETED})
}

fn batch_with_errors(results: Value) -> Value {
    let mut value = batch(results);
    value["numErrors"] = json!(1);
    value["errors"] = json!([{
        "status": "error",
        "category": "VALIDATION_ERROR",
        "subCategory": "crm.associations.INVALID_OBJECT_IDS",
        "message": "No contacts with ID 1 exist",
        "context": {"fromObjectId": ["1"]},
        "errors": [],
        "links": {}
    }]);
    value
}

fn default_association() -> Value {
    json!([{
        "from": {"id": "29851"},
        "to": {"id": "5790939450"},
        "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}
    }])
}

fn limits() -> Value {
    json!([{"category": "USER_DEFINED", "typeId": 37, "label": "Billing contact", "userEnforcedMaxToObjectIds": 5}])
}

fn pair() -> Value {
    json!({"from": {"id": "29851"}, "to": {"id": "5790939450"}, "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": 37}]})
}

macro_rules! every_operation {
    (
        $test:ident, $module:ident,
        objects: $objects:literal,
        associations: $associations:literal,
        // How batch_archive and batch_archive_labels answer in this version, and how purge does.
        removal: ($removal_status:literal, $removal_reply:expr),
        purge: ($purge_status:literal, $purge_reply:expr),
        // The success status of the limit batches: 201 where a 207 may follow, else 200.
        limits_created: $limits_created:literal
    ) => {
        #[tokio::test]
        async fn $test() {
            use hubspot_associations::$module::{Client, types};
            use hubspot_associations::ObjectId;

            let id = |id: &str| types::PublicObjectId { id: ObjectId::from(id) };
            let mut called = Vec::new();

            // list
            let exchange = Exchange::new("GET", concat!($objects, "/contacts/29851/associations/companies"), 200)
                .query("after=MjA%3D&limit=2")
                .reply(list_page());
            let (server, transport) = exchange.serve().await;
            let page = Client::new(transport).list("contacts", "29851", "companies", Some("MjA="), Some(2)).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(page.results[0].to_object_id, "5790939450");
            assert_eq!(page.results[0].association_types[1].label.as_deref(), Some("Billing contact"));
            assert_eq!(page.paging.as_ref().unwrap().next.as_ref().unwrap().after, "MjA=");
            called.push("list");

            // create
            let exchange = Exchange::new("PUT", concat!($objects, "/contacts/29851/associations/companies/5790939450"), 201)
                .body(json!([{"associationCategory": "USER_DEFINED", "associationTypeId": 37}]))
                .reply(labels_between());
            let (server, transport) = exchange.serve().await;
            let spec = types::AssociationSpec {
                association_category: types::AssociationCategory::UserDefined,
                association_type_id: 37,
            };
            let created = Client::new(transport).create("contacts", "29851", "companies", "5790939450", &[spec]).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(created.status().as_u16(), 201);
            assert_eq!(created.from_object_id, "29851");
            called.push("create");

            // archive
            let exchange = Exchange::new("DELETE", concat!($objects, "/contacts/29851/associations/companies/5790939450"), 204);
            let (server, transport) = exchange.serve().await;
            let archived = Client::new(transport).archive("contacts", "29851", "companies", "5790939450").await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(archived.status().as_u16(), 204);
            called.push("archive");

            // create_default
            let exchange = Exchange::new("PUT", concat!($objects, "/contacts/29851/associations/default/companies/5790939450"), 200)
                .reply(batch(default_association()));
            let (server, transport) = exchange.serve().await;
            let created = Client::new(transport).create_default("contacts", "29851", "companies", "5790939450").await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(created.results[0].association_spec.association_type_id, 279);
            assert_eq!(created.status, types::BatchStatus::Complete);
            called.push("create_default");

            // batch_create, answered with a 207 whose errors are kept
            let exchange = Exchange::new("POST", concat!($associations, "/contacts/companies/batch/create"), 207)
                .body(json!({"inputs": [pair()]}))
                .reply(batch_with_errors(json!([labels_between()])));
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicAssociationMultiPost {
                inputs: vec![types::PublicAssociationMultiPost {
                    from: id("29851"),
                    to: id("5790939450"),
                    types: vec![types::AssociationSpec {
                        association_category: types::AssociationCategory::UserDefined,
                        association_type_id: 37,
                    }],
                }],
            };
            let created = Client::new(transport).batch_create("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(created.status().as_u16(), 207);
            assert_eq!(created.num_errors, Some(1));
            assert_eq!(created.errors[0].context.as_ref().unwrap().get("fromObjectId").unwrap(), ["1"]);
            called.push("batch_create");

            // batch_create_default
            let exchange = Exchange::new("POST", concat!($associations, "/contacts/companies/batch/associate/default"), 200)
                .body(json!({"inputs": [{"from": {"id": "29851"}, "to": {"id": "5790939450"}}]}))
                .reply(batch(default_association()));
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicDefaultAssociationMultiPost {
                inputs: vec![types::PublicDefaultAssociationMultiPost { from: id("29851"), to: id("5790939450") }],
            };
            let created = Client::new(transport).batch_create_default("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(created.results.len(), 1);
            called.push("batch_create_default");

            // batch_read
            let exchange = Exchange::new("POST", concat!($associations, "/contacts/companies/batch/read"), 200)
                .body(json!({"inputs": [{"id": "29851", "after": "MTA="}]}))
                .reply(batch(json!([{
                    "from": {"id": "29851"},
                    "to": [{"toObjectId": 5790939450_u64, "associationTypes": association_types()}],
                    "paging": {"next": {"after": "MjA="}}
                }])));
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicFetchAssociationsBatchRequest {
                inputs: vec![types::PublicFetchAssociationsBatchRequest { id: ObjectId::from("29851"), after: Some("MTA=".into()) }],
            };
            let read = Client::new(transport).batch_read("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(read.results[0].to[0].to_object_id.as_u64(), Some(5790939450));
            called.push("batch_read");

            // batch_archive
            let mut exchange = Exchange::new("POST", concat!($associations, "/contacts/companies/batch/archive"), $removal_status)
                .body(json!({"inputs": [{"from": {"id": "29851"}, "to": [{"id": "5790939450"}]}]}));
            exchange.reply = $removal_reply;
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicAssociationMultiArchive {
                inputs: vec![types::PublicAssociationMultiArchive { from: id("29851"), to: vec![id("5790939450")] }],
            };
            let removed = Client::new(transport).batch_archive("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(removed.status().as_u16(), $removal_status);
            called.push("batch_archive");

            // batch_archive_labels
            let mut exchange = Exchange::new("POST", concat!($associations, "/contacts/companies/batch/labels/archive"), $removal_status)
                .body(json!({"inputs": [pair()]}));
            exchange.reply = $removal_reply;
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicAssociationMultiPost {
                inputs: vec![types::PublicAssociationMultiPost {
                    from: id("29851"),
                    to: id("5790939450"),
                    types: vec![types::AssociationSpec {
                        association_category: types::AssociationCategory::UserDefined,
                        association_type_id: 37,
                    }],
                }],
            };
            let removed = Client::new(transport).batch_archive_labels("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(removed.status().as_u16(), $removal_status);
            called.push("batch_archive_labels");

            // list_labels
            let exchange = Exchange::new("GET", concat!($associations, "/contacts/companies/labels"), 200)
                .reply(json!({"results": association_types()}));
            let (server, transport) = exchange.serve().await;
            let labels = Client::new(transport).list_labels("contacts", "companies").await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(labels.results[1].type_id, 37);
            called.push("list_labels");

            // create_label
            let exchange = Exchange::new("POST", concat!($associations, "/contacts/companies/labels"), 200)
                .body(json!({"label": "Billing contact", "name": "billing_contact", "inverseLabel": "Billed company"}))
                .reply(json!({"results": association_types()}));
            let (server, transport) = exchange.serve().await;
            let body = types::PublicAssociationDefinitionCreateRequest {
                label: "Billing contact".into(),
                name: "billing_contact".into(),
                inverse_label: Some("Billed company".into()),
            };
            let created = Client::new(transport).create_label("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(created.results.len(), 2);
            called.push("create_label");

            // update_label
            let exchange = Exchange::new("PUT", concat!($associations, "/contacts/companies/labels"), 204)
                .body(json!({"associationTypeId": 37, "label": "Billing"}));
            let (server, transport) = exchange.serve().await;
            let body = types::PublicAssociationDefinitionUpdateRequest {
                association_type_id: 37,
                label: "Billing".into(),
                inverse_label: None,
            };
            let updated = Client::new(transport).update_label("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(updated.status().as_u16(), 204);
            called.push("update_label");

            // delete_label
            let exchange = Exchange::new("DELETE", concat!($associations, "/contacts/companies/labels/37"), 204);
            let (server, transport) = exchange.serve().await;
            Client::new(transport).delete_label("contacts", "companies", 37).await.unwrap();
            exchange.verify(&server).await;
            called.push("delete_label");

            // list_all_limits
            let exchange = Exchange::new("GET", concat!($associations, "/definitions/configurations/all"), 200)
                .reply(json!({"results": limits()}));
            let (server, transport) = exchange.serve().await;
            let all = Client::new(transport).list_all_limits().await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(all.results[0].user_enforced_max_to_object_ids, Some(5));
            called.push("list_all_limits");

            // list_limits
            let exchange = Exchange::new("GET", concat!($associations, "/definitions/configurations/contacts/companies"), 200)
                .reply(json!({"results": limits()}));
            let (server, transport) = exchange.serve().await;
            let some = Client::new(transport).list_limits("contacts", "companies").await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(some.results[0].label.as_deref(), Some("Billing contact"));
            called.push("list_limits");

            // batch_create_limits
            let exchange = Exchange::new("POST", concat!($associations, "/definitions/configurations/contacts/companies/batch/create"), $limits_created)
                .body(json!({"inputs": [{"category": "USER_DEFINED", "typeId": 37, "maxToObjectIds": 5}]}))
                .reply(batch(limits()));
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicAssociationDefinitionConfigurationCreateRequest {
                inputs: vec![types::PublicAssociationDefinitionConfigurationCreateRequest {
                    category: types::AssociationCategory::UserDefined,
                    type_id: 37,
                    max_to_object_ids: 5,
                }],
            };
            let set = Client::new(transport).batch_create_limits("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(set.results[0].user_enforced_max_to_object_ids, Some(5));
            called.push("batch_create_limits");

            // batch_update_limits
            let exchange = Exchange::new("POST", concat!($associations, "/definitions/configurations/contacts/companies/batch/update"), 200)
                .body(json!({"inputs": [{"category": "USER_DEFINED", "typeId": 37, "maxToObjectIds": 3}]}))
                .reply(batch(json!([{"category": "USER_DEFINED", "typeId": 37, "userEnforcedMaxToObjectIds": 3}])));
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicAssociationDefinitionConfigurationUpdateRequest {
                inputs: vec![types::PublicAssociationDefinitionConfigurationUpdateRequest {
                    category: types::AssociationCategory::UserDefined,
                    type_id: 37,
                    max_to_object_ids: 3,
                }],
            };
            let changed = Client::new(transport).batch_update_limits("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(changed.results[0].user_enforced_max_to_object_ids, Some(3));
            called.push("batch_update_limits");

            // batch_purge_limits
            let mut exchange = Exchange::new("POST", concat!($associations, "/definitions/configurations/contacts/companies/batch/purge"), $purge_status)
                .body(json!({"inputs": [{"category": "USER_DEFINED", "typeId": 37}]}));
            exchange.reply = $purge_reply;
            let (server, transport) = exchange.serve().await;
            let body = types::BatchInputPublicAssociationSpec {
                inputs: vec![types::PublicAssociationSpec { category: "USER_DEFINED".into(), type_id: 37 }],
            };
            let purged = Client::new(transport).batch_purge_limits("contacts", "companies", &body).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(purged.status().as_u16(), $purge_status);
            called.push("batch_purge_limits");

            // request_high_usage_report
            let exchange = Exchange::new("POST", concat!($associations, "/usage/high-usage-report/12345"), 200)
                .reply(json!({"userId": 12345, "userEmail": "ops@example.com", "enqueueTime": {"value": 1767261600000_i64, "dateOnly": false, "timeZoneShift": 0}}));
            let (server, transport) = exchange.serve().await;
            let report = Client::new(transport).request_high_usage_report(12345).await.unwrap();
            exchange.verify(&server).await;
            assert_eq!(report.user_email, "ops@example.com");
            assert_eq!(report.enqueue_time.value, 1767261600000);
            called.push("request_high_usage_report");

            called.sort_unstable();
            called.dedup();
            assert_eq!(called.len(), 19, "every operation of {} is called", stringify!($module));
        }
    };
}

every_operation!(
    every_v4_operation, v4,
    objects: "/crm/v4/objects",
    associations: "/crm/v4/associations",
    removal: (204, None),
    purge: (204, None),
    limits_created: 201
);

every_operation!(
    every_2025_09_operation, v2025_09,
    objects: "/crm/objects/2025-09",
    associations: "/crm/associations/2025-09",
    removal: (200, Some(batch(json!([])))),
    purge: (200, Some(batch(json!([null])))),
    limits_created: 200
);

every_operation!(
    every_2026_03_operation, v2026_03,
    objects: "/crm/objects/2026-03",
    associations: "/crm/associations/2026-03",
    removal: (200, Some(batch(json!([{}])))),
    purge: (200, Some(batch(json!([])))),
    limits_created: 201
);

/// The versions with a body for batch removals read it; an empty 204, as v4 sends, succeeds too.
#[tokio::test]
async fn batch_removals_accept_a_body_or_none() {
    use hubspot_associations::v2026_03::{Client, types};
    let body = types::BatchInputPublicAssociationMultiArchive { inputs: vec![] };
    let path = "/crm/associations/2026-03/contacts/companies/batch/archive";

    let with_body = Exchange::new("POST", path, 200)
        .reply(batch_with_errors(json!([])))
        .body(json!({"inputs": []}));
    let (server, transport) = with_body.serve().await;
    let answer = Client::new(transport)
        .batch_archive("contacts", "companies", &body)
        .await
        .unwrap();
    with_body.verify(&server).await;
    assert_eq!(answer.as_ref().unwrap().num_errors, Some(1));

    let empty = Exchange::new("POST", path, 204).body(json!({"inputs": []}));
    let (server, transport) = empty.serve().await;
    let answer = Client::new(transport)
        .batch_archive("contacts", "companies", &body)
        .await
        .unwrap();
    empty.verify(&server).await;
    assert!(answer.is_none());
}
