//! No id changes which path is requested: ids with `/`, `?`, `#`, `%`, spaces, dots and
//! non-ASCII reach the server as one segment each, which decodes back to the id.

use fake_hubspot::{Config, FakeHubSpot};
use hubspot_associations::v2026_03::Client;
use hubspot_associations::{RateLimit, Transport};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = String> {
    let character = prop_oneof![
        3 => proptest::sample::select(vec!['/', '?', '#', '%', ' ', '.', 'é', '😀', '+', '&', '=', '\\', ';']),
        2 => proptest::char::range('a', 'z'),
        1 => any::<char>(),
    ];
    proptest::collection::vec(character, 1..12)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("dot segments are refused before sending", |id| {
            id != "." && id != ".."
        })
}

#[test]
fn no_id_changes_the_path() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime
        .block_on(FakeHubSpot::start(Config::default()))
        .unwrap();
    let client = Client::new(
        Transport::builder("pat")
            .base_url(fake.url())
            .rate_limit(RateLimit::Off)
            .build()
            .unwrap(),
    );
    proptest!(ProptestConfig::with_cases(128), |(from in id(), to in id())| {
        runtime.block_on(client.archive("contacts", &from, "companies", &to)).unwrap();
        let requests = fake.requests();
        let request = requests.last().unwrap();
        prop_assert_eq!(request.query.as_deref(), None, "the id made a query");
        // /crm/objects/2026-03/contacts/{from}/associations/companies/{to}
        let segments: Vec<&str> = request.path.split('/').collect();
        prop_assert_eq!(segments.len(), 9, "{}", request.path);
        prop_assert_eq!(&segments[..5], &["", "crm", "objects", "2026-03", "contacts"]);
        prop_assert_eq!(&segments[6..8], &["associations", "companies"]);
        let decode = |segment: &str| percent_encoding::percent_decode_str(segment).decode_utf8().unwrap().into_owned();
        prop_assert_eq!(decode(segments[5]), from);
        prop_assert_eq!(decode(segments[8]), to);
    });
}
