//! The CLI's associations, as webhooks: the fake sends every change it makes to the crate's
//! receiver example, which verifies and decodes each request.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fake_hubspot::{Config, FakeHubSpot, MAX_EVENTS_PER_REQUEST, WebhookConfig};
use integration::Receiver;
use tokio::process::Command;

const PAIRS: u64 = 5_000;

#[tokio::test(flavor = "multi_thread")]
async fn every_pair_the_cli_associates_reaches_the_receiver_from_both_sides() {
    let examples = integration::built_examples();
    let events = 2 * PAIRS as usize;
    let receiver = Receiver::start(&examples, "cli-test-secret", events).await;
    let fake = FakeHubSpot::start(Config {
        webhooks: Some(WebhookConfig {
            retry_delay: Duration::from_millis(50),
            ..WebhookConfig::new(receiver.url(), "cli-test-secret")
        }),
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.csv");
    let mut rows = String::from("from_id,to_id\n");
    for i in 1..=PAIRS {
        rows.push_str(&format!("{i},{}\n", 100_000 + i));
    }
    std::fs::write(&input, rows).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"))
        .env("HUBSPOT_TOKEN", "pat-na1-webhooks")
        .args([
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--input",
        ])
        .arg(&input)
        .args(["--base-url", &fake.url(), "--no-progress"])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    fake.webhooks_settled().await;
    let lines = receiver.finish(Duration::from_secs(60)).await;

    let mut per_request = Vec::new();
    let mut seen: BTreeMap<(String, u64, String, u64), usize> = BTreeMap::new();
    for line in &lines {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["request", count, "events,", "attempt", "0"] => {
                per_request.push(count.parse::<usize>().unwrap());
            }
            ["created", from_type, from_id, to_type, to_id, "type", _] => {
                let key = (
                    from_type.to_string(),
                    from_id.parse().unwrap(),
                    to_type.to_string(),
                    to_id.parse().unwrap(),
                );
                *seen.entry(key).or_default() += 1;
            }
            _ => panic!("a line the receiver should not print: {line}"),
        }
    }
    assert_eq!(per_request.iter().sum::<usize>(), events, "{per_request:?}");
    assert!(
        per_request
            .iter()
            .all(|count| *count <= MAX_EVENTS_PER_REQUEST),
        "{per_request:?}"
    );
    assert_eq!(seen.len(), events, "each change once");
    let expected: BTreeSet<(String, u64, String, u64)> = (1..=PAIRS)
        .flat_map(|i| {
            [
                (
                    "contacts".to_owned(),
                    i,
                    "companies".to_owned(),
                    100_000 + i,
                ),
                (
                    "companies".to_owned(),
                    100_000 + i,
                    "contacts".to_owned(),
                    i,
                ),
            ]
        })
        .collect();
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let stats = fake.stats();
    assert_eq!(stats.webhook_events_delivered, events as u64);
    assert_eq!(stats.webhook_failed_requests, 0);
}
