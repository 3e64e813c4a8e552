//! Every retry is visible in the logs, with why and how long it waits; the token never is.
//!
//! This test has a binary of its own: `tracing` caches per call site whether anyone listens,
//! which tests on other threads of the same process would disturb.

use std::time::Duration;

use fake_hubspot::{Config, FakeHubSpot, Fault};
use hubspot_associations::newest_generally_available::Client;
use hubspot_associations::{ApiVersion, RateLimit, RetryPolicy, Transport};

const TOKEN: &str = "pat-na1-secret-0000-1111-2222";

#[tokio::test(start_paused = true)]
async fn retries_are_visible_in_tracing_and_the_token_is_not() {
    let logs = integration::Captured::default();
    let writer = {
        let logs = logs.clone();
        move || logs.clone()
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.push_faults([
        Fault::raw(502, ""),
        Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", "2"),
    ]);
    Client::new(
        Transport::builder(TOKEN)
            .base_url(fake.url())
            .retry(RetryPolicy::default())
            .rate_limit(RateLimit::Off)
            .request_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
    .list_labels("contacts", "companies")
    .await
    .unwrap();
    let text = logs.text();
    let retries: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("retrying"))
        .collect();
    assert_eq!(retries.len(), 2, "{text}");
    assert!(retries[0].contains("reason=\"server error\""), "{text}");
    assert!(
        retries[1].contains("reason=\"rate limited\"") && retries[1].contains("wait_ms=2000"),
        "{text}"
    );
    let version = ApiVersion::newest_generally_available().unwrap();
    assert!(
        text.contains("operation=\"list_labels\"")
            && text.contains(&format!("version=\"{version}\"")),
        "{text}"
    );
    assert!(text.contains("attempt=3"), "{text}");
    assert!(text.contains("status=200"), "{text}");
    assert!(
        !text.contains(TOKEN) && !text.contains("secret-0000"),
        "the token was logged:\n{text}"
    );
}
