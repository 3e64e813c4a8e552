//! Every example of the crate (`generated/examples/*.rs`, found by listing the directory) runs
//! green against the fake HubSpot on 127.0.0.1, its base URL given as `HUBSPOT_BASE_URL`: an
//! example that reads an OAuth app's variables against a fake with that app installed, the
//! others with a private app's token; the webhook receiver, with the fake sending it the
//! changes of one association.

use std::path::Path;
use std::time::Duration;

use fake_hubspot::{Association, Config, FakeHubSpot, OAuthConfig, WebhookConfig};
use integration::{Receiver, workspace};

#[tokio::test(flavor = "multi_thread")]
async fn every_example_runs_against_the_fake() {
    let examples: Vec<String> = std::fs::read_dir(workspace().join("generated/examples"))
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            if path.extension()? != "rs" {
                return None;
            }
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    assert!(examples.len() >= 5, "the examples: {examples:?}");
    let binaries = integration::built_examples();
    let oauth = OAuthConfig {
        client_id: "example-client".into(),
        client_secret: "example-secret".into(),
        refresh_token: "example-refresh-token".into(),
        token_lifetime: Duration::from_secs(1_800),
        rotate_refresh_tokens: true,
    };
    for example in examples {
        let source = workspace().join(format!("generated/examples/{example}.rs"));
        let source = std::fs::read_to_string(source).unwrap();
        if source.contains("WEBHOOK_LISTEN") {
            receives_the_fakes_webhooks(&binaries).await;
            continue;
        }
        let as_oauth_app = source.contains("HUBSPOT_CLIENT_ID");
        let fake = FakeHubSpot::start(Config {
            oauth: as_oauth_app.then(|| oauth.clone()),
            ..Config::default()
        })
        .await
        .unwrap();
        let binary = binaries.join(&example);
        let mut command = tokio::process::Command::new(&binary);
        match as_oauth_app {
            true => command
                .env_remove("HUBSPOT_TOKEN")
                .env("HUBSPOT_CLIENT_ID", &oauth.client_id)
                .env("HUBSPOT_CLIENT_SECRET", &oauth.client_secret)
                .env("HUBSPOT_REFRESH_TOKEN", &oauth.refresh_token),
            false => command.env("HUBSPOT_TOKEN", "pat-na1-example"),
        };
        let output = command
            .env("HUBSPOT_BASE_URL", fake.url())
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "example {example} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(fake.stats().requests > 0, "example {example} sent nothing");
        if as_oauth_app {
            assert_eq!(fake.stats().tokens_issued, 1, "example {example}");
            assert_eq!(fake.stats().unknown_tokens, 0, "example {example}");
        }
    }
}

/// The receiver example, sent the webhooks of one association created and removed: it prints
/// each change from both sides, and stops after the four.
async fn receives_the_fakes_webhooks(binaries: &Path) {
    let receiver = Receiver::start(binaries, "example-secret", 4).await;
    let fake = FakeHubSpot::start(Config {
        webhooks: Some(WebhookConfig::new(receiver.url(), "example-secret")),
        ..Config::default()
    })
    .await
    .unwrap();
    let association = Association {
        from_type: "contacts".into(),
        from_id: 101,
        to_type: "companies".into(),
        to_id: 5001,
        type_id: 279,
    };
    fake.associate(association.clone());
    fake.webhooks_settled().await;
    fake.remove(&association);
    fake.webhooks_settled().await;
    let lines = receiver.finish(Duration::from_secs(30)).await;
    for expected in [
        "created contacts 101 companies 5001 type 279",
        "created companies 5001 contacts 101 type 280",
        "removed contacts 101 companies 5001 type 279",
        "removed companies 5001 contacts 101 type 280",
    ] {
        assert!(
            lines.iter().any(|line| line == expected),
            "{expected}: {lines:#?}"
        );
    }
    assert_eq!(fake.stats().webhook_events_delivered, 4);
}
