//! Resolve an association label by its name, defining it if the account has none yet, and
//! associate pairs with it.
//!
//! `HUBSPOT_TOKEN=pat-... cargo run --example resolve_label`

use hubspot_associations::v2026_09::{Client, types};
use hubspot_associations::{BulkOptions, ObjectType, Transport};

const LABEL: &str = "Billing contact";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut transport = Transport::builder(std::env::var("HUBSPOT_TOKEN")?);
    if let Ok(url) = std::env::var("HUBSPOT_BASE_URL") {
        transport = transport.base_url(url);
    }
    let client = Client::new(transport.build()?);

    let labels = client
        .labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
        .await?;
    let spec = match labels.find(LABEL) {
        Some(label) => types::AssociationSpec::from(label),
        None => {
            // The labels are cached per transport, so the new one is read from the answer.
            let request =
                types::PublicAssociationDefinitionCreateRequest::new(LABEL, "billing_contact");
            let defined = client
                .create_label(ObjectType::CONTACTS, ObjectType::COMPANIES, &request)
                .await?;
            let created = defined
                .results
                .iter()
                .find(|kind| kind.label.as_deref() == Some(LABEL))
                .ok_or("HubSpot did not return the new label")?;
            types::AssociationSpec::new(created.category.clone(), created.type_id)
        }
    };
    println!("{LABEL}: type {}", spec.association_type_id);

    let pairs = [(1u64, 101u64), (2, 102)]
        .into_iter()
        .map(|(contact, company)| {
            types::PublicAssociationMultiPost::new(contact, company, [spec.clone()])
        });
    let outcome = client
        .batch_create_all(
            ObjectType::CONTACTS,
            ObjectType::COMPANIES,
            pairs,
            BulkOptions::default(),
        )
        .await;
    println!(
        "{} pairs labelled, {} failed",
        outcome.succeeded.len(),
        outcome.failed.len()
    );
    if !outcome.failed.is_empty() {
        return Err("some pairs failed".into());
    }
    Ok(())
}
