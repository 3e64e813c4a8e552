//! Read every association of many records: each record is asked again with its own cursor
//! until its last page.
//!
//! `HUBSPOT_TOKEN=pat-... cargo run --example read_many_records`

use hubspot_associations::v2026_09::{Client, types};
use hubspot_associations::{BulkOptions, ObjectId, ObjectType, Transport};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut transport = Transport::builder(std::env::var("HUBSPOT_TOKEN")?);
    if let Ok(url) = std::env::var("HUBSPOT_BASE_URL") {
        transport = transport.base_url(url);
    }
    let client = Client::new(transport.build()?);

    // Give contact 1 three companies, so that there is something to read.
    let pairs: types::BatchInputPublicDefaultAssociationMultiPost = [11u64, 12, 13]
        .into_iter()
        .map(|company| types::PublicDefaultAssociationMultiPost::new(1u64, company))
        .collect();
    client
        .batch_create_default(ObjectType::CONTACTS, ObjectType::COMPANIES, &pairs)
        .await?;

    // Any iterator of ids: numbers, strings or `ObjectId`s.
    let contacts = 1..=3u64;
    let read = client
        .batch_read_all(
            ObjectType::CONTACTS,
            ObjectType::COMPANIES,
            contacts,
            BulkOptions::default(),
        )
        .await;
    for record in &read.succeeded {
        let companies: Vec<String> = record
            .result
            .iter()
            .flatten()
            .map(|associated| associated.to_object_id.to_string())
            .collect();
        println!(
            "contact {}: companies {}",
            record.input,
            companies.join(", ")
        );
    }
    for failure in &read.failed {
        eprintln!("contact {}: {}", failure.input, failure.failure);
    }
    let first = read
        .succeeded
        .iter()
        .find(|r| r.input == ObjectId::from(1u64));
    if first.and_then(|r| r.result.as_ref()).map_or(0, Vec::len) != 3 {
        return Err("contact 1 should have three companies".into());
    }
    Ok(())
}
