//! The fake as its users get it: packaged with the crate by `cargo package`, which builds both
//! from their packages (the crate stands in for crates.io through cargo's local overlay);
//! unpacked in a project outside this workspace, where the complete test of its README
//! ("Testing your integration") runs with the README's own dependencies.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Cargo in `dir`, building in `target/nested`, the target directory the tests' own builds
/// share.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", workspace().join("target/nested"))
        .output()
        .expect("cargo runs")
}

/// The workspace's `[profile.dev…]` sections, so that the project builds its dependencies as
/// the workspace does and finds them already built in the shared target directory.
fn dev_profiles() -> String {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let profiles: Vec<&str> = manifest
        .split("\n[")
        .filter(|section| section.starts_with("profile.dev"))
        .collect();
    assert!(!profiles.is_empty(), "the workspace sets its dev profile");
    profiles
        .iter()
        .map(|section| format!("[{section}\n"))
        .collect()
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The first fenced block of `language` after `heading` in the README.
fn block(readme: &str, heading: &str, language: &str) -> String {
    let section = &readme[readme.find(heading).expect("the README has the section")..];
    let fence = format!("```{language}\n");
    let start = section.find(&fence).expect("the section has the block") + fence.len();
    let length = section[start..].find("```").expect("the block ends");
    section[start..start + length].to_owned()
}

#[test]
fn the_readmes_test_passes_against_the_packaged_crates() {
    let packaged = cargo(
        &workspace(),
        &[
            "package",
            "--offline",
            "--allow-dirty",
            "-p",
            "hubspot-associations",
            "-p",
            "fake-hubspot",
        ],
    );
    assert_success(&packaged, "cargo package");
    let scratch = tempfile::tempdir().unwrap();
    let package_dir = workspace().join("target/nested/package");
    let mut patches = String::new();
    for name in ["hubspot-associations", "fake-hubspot"] {
        let version = env!("CARGO_PKG_VERSION");
        let crate_file = package_dir.join(format!("{name}-{version}.crate"));
        let unpacked = Command::new("tar")
            .arg("xzf")
            .arg(&crate_file)
            .arg("-C")
            .arg(scratch.path())
            .output()
            .unwrap();
        assert_success(&unpacked, "tar");
        let unpacked = scratch.path().join(format!("{name}-{version}"));
        patches.push_str(&format!("{name} = {{ path = {:?} }}\n", unpacked));
    }
    let readme = std::fs::read_to_string(workspace().join("fake-hubspot/README.md")).unwrap();
    let project = scratch.path().join("user-project");
    std::fs::create_dir_all(project.join("tests")).unwrap();
    let manifest = format!(
        "[package]\nname = \"user-project\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         {}\n[patch.crates-io]\n{patches}\n[workspace]\n\n{}",
        block(&readme, "## Testing your integration", "toml"),
        dev_profiles(),
    );
    std::fs::write(project.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(
        project.join("tests/integration.rs"),
        block(&readme, "## Testing your integration", "rust"),
    )
    .unwrap();
    // The workspace's versions of every dependency, so that the drill builds offline.
    std::fs::copy(workspace().join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/lib.rs"), "").unwrap();
    let tested = cargo(&project, &["test", "--offline", "--test", "integration"]);
    assert_success(&tested, "the README's test in a project of its own");
    let output = String::from_utf8_lossy(&tested.stdout);
    assert!(
        output.contains("test new_customers_are_associated_and_heard_of ... ok"),
        "{output}"
    );
}
