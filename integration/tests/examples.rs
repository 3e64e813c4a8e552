//! Every example of the crate (`generated/examples/*.rs`, found by listing the directory) runs
//! green against the fake HubSpot on 127.0.0.1, its base URL given as `HUBSPOT_BASE_URL`: an
//! example that reads an OAuth app's variables against a fake with that app installed, the
//! others with a private app's token.

use std::path::Path;
use std::process::Command;

use std::time::Duration;

use fake_hubspot::{Config, FakeHubSpot, OAuthConfig};
use integration::workspace;

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
    let target = workspace().join("target/examples");
    let built = Command::new(env!("CARGO"))
        .args([
            "build",
            "--offline",
            "--quiet",
            "-p",
            "hubspot-associations",
            "--examples",
        ])
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let oauth = OAuthConfig {
        client_id: "example-client".into(),
        client_secret: "example-secret".into(),
        refresh_token: "example-refresh-token".into(),
        token_lifetime: Duration::from_secs(1_800),
        rotate_refresh_tokens: true,
    };
    for example in examples {
        let source = workspace().join(format!("generated/examples/{example}.rs"));
        let as_oauth_app = std::fs::read_to_string(source)
            .unwrap()
            .contains("HUBSPOT_CLIENT_ID");
        let fake = FakeHubSpot::start(Config {
            oauth: as_oauth_app.then(|| oauth.clone()),
            ..Config::default()
        })
        .await
        .unwrap();
        let binary = Path::new(&target).join("debug/examples").join(&example);
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
