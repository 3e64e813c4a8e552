//! The generator's whole output for a small fixture version (`tests/fixtures/snapshot`), one
//! operation of each shape it knows, committed under `tests/snapshots/` and compiled: a
//! reviewer sees what a generator change does to the code users read. After a deliberate
//! change, `EXPECTORATE=overwrite cargo test -p xtask --test snapshots` updates them.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::{codegen, fixtures, root_with_specs, stderr, workspace};

/// The generated files of the fixture, by their path under `generated/`, and the name of
/// their snapshot.
const FILES: [(&str, &str); 6] = [
    ("src/v2030_03/mod.rs", "client.rs"),
    ("src/v2030_03/types.rs", "types.rs"),
    ("src/versions.rs", "versions.rs"),
    ("tests/decoding/versions.rs", "decoding.rs"),
    ("tests/pagers/versions.rs", "pagers.rs"),
    ("Cargo.toml", "Cargo.toml"),
];

#[test]
fn the_generated_code_of_a_small_version_is_as_committed_and_compiles() {
    let root = root_with_specs(&fixtures().join("snapshot/spec"));
    let output = codegen(root.path(), false);
    assert!(output.status.success(), "{}", stderr(&output));
    let generated = root.path().join("generated");
    for (file, snapshot) in FILES {
        let text = fs::read_to_string(generated.join(file)).unwrap();
        expectorate::assert_contents(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/snapshots")
                .join(snapshot),
            &text,
        );
    }
    fs::copy(workspace().join("Cargo.lock"), generated.join("Cargo.lock")).unwrap();
    let check = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--tests"])
        .arg("--manifest-path")
        .arg(generated.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", workspace().join("target/nested"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
}
