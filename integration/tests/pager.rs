//! The generated pager (`list_stream`) against the fake HubSpot.
//!
//! This suite names a version, unlike the others: a pager is generated only for a paged GET
//! operation, and the newest versions have none (2026-09 removed `list`). It runs on the
//! newest version that has one; when that version is retired, this suite moves to the next
//! version with a pager, or goes with the last of them.

use fake_hubspot::{Association, Config, FakeHubSpot};
use futures_util::{StreamExt, TryStreamExt};
use hubspot_associations::v2026_03::{Client, ListQuery};
use hubspot_associations::{RateLimit, Transport};

fn client(fake: &FakeHubSpot) -> Client {
    Client::new(
        Transport::builder("pat")
            .base_url(fake.url())
            .rate_limit(RateLimit::Off)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn list_all_streams_every_page_lazily() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.seed((1..=1_234).map(|to_id| Association {
        from_type: "contacts".into(),
        from_id: 1,
        to_type: "companies".into(),
        to_id,
        type_id: 279,
    }));
    let client = client(&fake);
    let mut stream = std::pin::pin!(client.list_stream(
        "contacts",
        "1",
        "companies",
        ListQuery {
            limit: Some(500),
            ..ListQuery::default()
        }
    ));
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.to_object_id, "1");
    assert_eq!(
        fake.requests().len(),
        1,
        "the next page is read only when needed"
    );
    let rest: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 1_233);
    let queries: Vec<Option<String>> = fake.requests().iter().map(|r| r.query.clone()).collect();
    assert_eq!(
        queries,
        [
            Some("limit=500".into()),
            Some("after=500&limit=500".into()),
            Some("after=1000&limit=500".into())
        ]
    );
}
