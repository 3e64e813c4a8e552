//! Associate one contact with one company, with the unlabelled default type.
//!
//! `HUBSPOT_TOKEN=pat-... cargo run --example associate_one_pair` (set `HUBSPOT_BASE_URL` to
//! try it against a fake HubSpot).

use hubspot_associations::v2026_09::Client;
use hubspot_associations::{ObjectType, Transport};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut transport = Transport::builder(std::env::var("HUBSPOT_TOKEN")?);
    if let Ok(url) = std::env::var("HUBSPOT_BASE_URL") {
        transport = transport.base_url(url);
    }
    let client = Client::new(transport.build()?);

    let created = client
        .create_default(
            ObjectType::CONTACTS,
            29851u64,
            ObjectType::COMPANIES,
            5790939450u64,
        )
        .await?;
    for association in &created.results {
        println!(
            "contact {} is associated with company {} (type {})",
            association.from.id,
            association.to.id,
            association.association_spec.association_type_id
        );
    }
    Ok(())
}
