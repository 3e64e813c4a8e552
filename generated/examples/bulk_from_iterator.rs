//! Associate any number of pairs from an iterator, with progress as each request completes:
//! the inputs are split at HubSpot's cap and sent under the rate limit.
//!
//! `HUBSPOT_TOKEN=pat-... cargo run --example bulk_from_iterator`

use hubspot_associations::v2026_09::{Client, types};
use hubspot_associations::{BulkOptions, ObjectType, Transport};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut transport = Transport::builder(std::env::var("HUBSPOT_TOKEN")?);
    if let Ok(url) = std::env::var("HUBSPOT_BASE_URL") {
        transport = transport.base_url(url);
    }
    let client = Client::new(transport.build()?);

    // Contact n is associated with company 1000 + n, for 2,500 contacts: two requests.
    let pairs = (1..=2_500u64).map(|n| types::PublicDefaultAssociationMultiPost::new(n, 1_000 + n));
    let mut chunks = client.batch_create_default_chunks(
        ObjectType::CONTACTS,
        ObjectType::COMPANIES,
        pairs,
        BulkOptions::default(),
    );
    let (mut done, mut failed) = (0, 0);
    while let Some(outcome) = chunks.next().await {
        done += outcome.succeeded.len();
        failed += outcome.failed.len();
        println!("{done} associated, {failed} failed");
    }
    if failed > 0 {
        return Err(format!("{failed} pairs failed").into());
    }
    Ok(())
}
