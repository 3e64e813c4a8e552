//! Associate records as a public (OAuth) app: the transport trades the refresh token for
//! access tokens, refreshes them as they expire, and hands a rotated refresh token to the
//! program to store.
//!
//! `HUBSPOT_CLIENT_ID=... HUBSPOT_CLIENT_SECRET=... HUBSPOT_REFRESH_TOKEN=... cargo run
//! --example oauth_app` (set `HUBSPOT_BASE_URL` to try it against a fake HubSpot).

use hubspot_associations::v2026_09::Client;
use hubspot_associations::{OAuthApp, ObjectType, Transport};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = OAuthApp::new(
        std::env::var("HUBSPOT_CLIENT_ID")?,
        std::env::var("HUBSPOT_CLIENT_SECRET")?,
        std::env::var("HUBSPOT_REFRESH_TOKEN")?,
    )
    // The old refresh token may stop working once HubSpot hands out a new one.
    .on_refresh_token(|_token| println!("HubSpot rotated the refresh token: store it now"));
    let mut transport = Transport::builder(app);
    if let Ok(url) = std::env::var("HUBSPOT_BASE_URL") {
        transport = transport.base_url(url);
    }
    let client = Client::new(transport.build()?);

    for company in [5790939450u64, 5790939451] {
        client
            .create_default(
                ObjectType::CONTACTS,
                29851u64,
                ObjectType::COMPANIES,
                company,
            )
            .await?;
        println!("contact 29851 is associated with company {company}");
    }
    Ok(())
}
