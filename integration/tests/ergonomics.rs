//! The shapes a program writes, against the fake HubSpot on 127.0.0.1, in every version of the
//! crate (from its registry): ids and object types in any form, bodies from constructors and
//! iterators, association types from the type table or a resolved label, optional query
//! parameters from a `Default` value.

use fake_hubspot::{Config, FakeHubSpot};
use hubspot_associations::association_types::CONTACT_TO_COMPANY;
use hubspot_associations::{
    ApiVersion, BulkOptions, ObjectId, ObjectType, Transport, with_version,
};

async fn fake() -> (FakeHubSpot, Transport) {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let transport = Transport::builder("pat-na1-ergonomics")
        .base_url(fake.url())
        .build()
        .unwrap();
    (fake, transport)
}

fn held(fake: &FakeHubSpot) -> Vec<(u64, u64, i32)> {
    let mut held: Vec<(u64, u64, i32)> = fake
        .associations()
        .iter()
        .map(|a| (a.from_id, a.to_id, a.type_id))
        .collect();
    held.sort_unstable();
    held
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_shapes_work_in_every_version() {
    for &version in ApiVersion::ALL {
        let (fake, transport) = fake().await;
        with_version!(version, api, {
            use api::{Client, types};
            let client = Client::new(transport);
            // One pair, with constants and numbers, then with text.
            client
                .create_default(
                    ObjectType::CONTACTS,
                    29851u64,
                    ObjectType::COMPANIES,
                    5790939450u64,
                )
                .await
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            client
                .create_default("contacts", "29852", "companies", "5790939450")
                .await
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            // A batch from an iterator of pairs.
            let body: types::BatchInputPublicDefaultAssociationMultiPost = [(1u64, 2u64), (3, 4)]
                .into_iter()
                .map(|(from, to)| types::PublicDefaultAssociationMultiPost::new(from, to))
                .collect();
            let created = client
                .batch_create_default(ObjectType::CONTACTS, ObjectType::COMPANIES, &body)
                .await
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            assert_eq!(created.results.len(), 2, "{version}");
            // A HubSpot-defined type from the table, and a label resolved by name.
            let typed = types::PublicAssociationMultiPost::new(5u64, 6u64, [CONTACT_TO_COMPANY]);
            client
                .batch_create(
                    ObjectType::CONTACTS,
                    ObjectType::COMPANIES,
                    &[typed].into_iter().collect(),
                )
                .await
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            let label = types::PublicAssociationDefinitionCreateRequest::new(
                "Billing contact",
                "billing_contact",
            );
            client
                .create_label(ObjectType::CONTACTS, ObjectType::COMPANIES, &label)
                .await
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            let labels = client
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            let billing = labels.find("Billing contact").expect("the label is found");
            let labelled = types::PublicAssociationMultiPost::new(7u64, 8u64, [billing]);
            let outcome = client
                .batch_create_all(
                    ObjectType::CONTACTS,
                    ObjectType::COMPANIES,
                    [labelled],
                    BulkOptions::default(),
                )
                .await;
            assert!(outcome.failed.is_empty(), "{version}: {:?}", outcome.failed);
            // Every association of many records, from ids of any form.
            let read = client
                .batch_read_all(
                    ObjectType::CONTACTS,
                    ObjectType::COMPANIES,
                    vec![ObjectId::from(1u64), ObjectId::from("29851")],
                    BulkOptions::default(),
                )
                .await;
            assert_eq!(read.succeeded.len(), 2, "{version}: {:?}", read.failed);
            billing.type_id
        });
        let held = held(&fake);
        assert!(
            held.contains(&(29851, 5790939450, 279)),
            "{version}: {held:?}"
        );
        assert!(
            held.contains(&(29852, 5790939450, 279)),
            "{version}: {held:?}"
        );
        assert!(
            held.contains(&(1, 2, 279)) && held.contains(&(3, 4, 279)),
            "{version}: {held:?}"
        );
        assert!(
            held.contains(&(5, 6, CONTACT_TO_COMPANY.id)),
            "{version}: {held:?}"
        );
        assert!(
            held.iter().any(|&(from, to, _)| (from, to) == (7, 8)),
            "{version}: {held:?}"
        );
    }
}

/// A call on one pair whose 2xx carries HubSpot's errors and no result did nothing: it is an
/// error, in every version, with HubSpot's message.
#[tokio::test(flavor = "multi_thread")]
async fn a_single_call_on_a_missing_record_is_an_error_in_every_version() {
    const MISSING: u64 = 999_999;
    for &version in ApiVersion::ALL {
        let fake = FakeHubSpot::start(Config {
            missing_ids: [MISSING].into(),
            ..Config::default()
        })
        .await
        .unwrap();
        let transport = Transport::builder("pat-na1-ergonomics")
            .base_url(fake.url())
            .build()
            .unwrap();
        let outcome = with_version!(version, api, {
            api::Client::new(transport)
                .create_default(
                    ObjectType::CONTACTS,
                    MISSING,
                    ObjectType::COMPANIES,
                    5001u64,
                )
                .await
                .map(drop)
        });
        let Err(hubspot_associations::Error::Rejected(rejected)) = outcome else {
            panic!("{version}: create_default of a missing record answered {outcome:?}");
        };
        assert!(rejected.status.is_success(), "{version}");
        assert_eq!(
            rejected.errors[0].message.as_deref(),
            Some("No contacts with ID 999999 exist"),
            "{version}"
        );
        assert!(
            fake.associations().is_empty(),
            "{version}: nothing was created"
        );
    }
}

/// Labels stay true: a label created through a client is found by the next lookup on the same
/// transport, through a client of any version (labels are the account's), and a deleted one
/// is gone from it.
#[tokio::test(flavor = "multi_thread")]
async fn a_label_created_through_a_client_is_found_by_the_next_lookup() {
    for &version in ApiVersion::ALL {
        let (_fake, transport) = fake().await;
        let other = *ApiVersion::ALL.iter().find(|&&v| v != version).unwrap();
        let before = with_version!(other, api, {
            api::Client::new(transport.clone())
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap()
        });
        assert!(before.find("Partner").is_none(), "{version}");
        let found = with_version!(version, api, {
            let client = api::Client::new(transport.clone());
            // This version's lookup is kept before the change, so the next one must refetch.
            let kept = client
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap();
            assert!(kept.find("Partner").is_none(), "{version}");
            client
                .create_label(
                    ObjectType::CONTACTS,
                    ObjectType::COMPANIES,
                    &api::types::PublicAssociationDefinitionCreateRequest::new(
                        "Partner", "partner",
                    ),
                )
                .await
                .unwrap();
            client
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap()
                .find("Partner")
                .map(|label| label.type_id)
        });
        let type_id = found.unwrap_or_else(|| panic!("{version}: the new label is not found"));
        let through_other = with_version!(other, api, {
            api::Client::new(transport.clone())
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap()
                .find("Partner")
                .map(|label| label.type_id)
        });
        assert_eq!(through_other, Some(type_id), "{version} then {other}");
        let after = with_version!(version, api, {
            let client = api::Client::new(transport.clone());
            client
                .delete_label(ObjectType::CONTACTS, ObjectType::COMPANIES, type_id)
                .await
                .unwrap();
            client
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap()
        });
        assert!(
            after.find("Partner").is_none(),
            "{version}: the deleted label is gone"
        );
    }
}

/// A label another program created (through another transport) is not in the lookups this
/// transport keeps, until `find_label` misses and looks again, or `refresh_labels` does.
#[tokio::test(flavor = "multi_thread")]
async fn a_label_created_elsewhere_is_found_by_a_lookup_that_misses() {
    for &version in ApiVersion::ALL {
        let (fake, transport) = fake().await;
        let elsewhere = Transport::builder("pat-na1-elsewhere")
            .base_url(fake.url())
            .build()
            .unwrap();
        with_version!(version, api, {
            let client = api::Client::new(transport.clone());
            let kept = client
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap();
            assert!(kept.find("Reseller").is_none(), "{version}");
            api::Client::new(elsewhere)
                .create_label(
                    ObjectType::CONTACTS,
                    ObjectType::COMPANIES,
                    &api::types::PublicAssociationDefinitionCreateRequest::new(
                        "Reseller", "reseller",
                    ),
                )
                .await
                .unwrap();
            // The kept lookup does not know it...
            let stale = client
                .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap();
            assert!(stale.find("Reseller").is_none(), "{version}: kept");
            // ...a lookup that misses asks again, once.
            let found = client
                .find_label(ObjectType::CONTACTS, ObjectType::COMPANIES, " reseller ")
                .await
                .unwrap();
            assert_eq!(
                found.and_then(|l| l.label).as_deref(),
                Some("Reseller"),
                "{version}"
            );
            let listings = || fake.requests().iter().filter(|r| r.method == "GET").count();
            let before = listings();
            let missing = client
                .find_label(ObjectType::CONTACTS, ObjectType::COMPANIES, "Nope")
                .await
                .unwrap();
            assert!(missing.is_none(), "{version}");
            assert_eq!(listings(), before + 1, "{version}: a miss asks again once");
            let refreshed = client
                .refresh_labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
                .await
                .unwrap();
            assert!(refreshed.find("Reseller").is_some(), "{version}");
        });
    }
}
