//! Every example of the crate (`generated/examples/*.rs`, found by listing the directory) runs
//! green against the fake HubSpot on 127.0.0.1, its base URL given as `HUBSPOT_BASE_URL`.

use std::path::Path;
use std::process::Command;

use fake_hubspot::{Config, FakeHubSpot};
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
    assert!(examples.len() >= 4, "the examples: {examples:?}");
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
    for example in examples {
        let fake = FakeHubSpot::start(Config::default()).await.unwrap();
        let binary = Path::new(&target).join("debug/examples").join(&example);
        let output = tokio::process::Command::new(&binary)
            .env("HUBSPOT_TOKEN", "pat-na1-example")
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
    }
}
