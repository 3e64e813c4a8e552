//! `cargo xtask codegen` as users run it: the real binary on real and fixture inputs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xtask::codegen::{Inputs, run};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A workspace root in a temporary directory with the given specs, and the real templates and
/// association type table.
fn root_with_specs(specs: &Path) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_dir(specs, &root.path().join("spec"));
    fs::copy(
        workspace().join("spec/association-types.tsv"),
        root.path().join("spec/association-types.tsv"),
    )
    .unwrap();
    copy_dir(
        &workspace().join("templates"),
        &root.path().join("templates"),
    );
    root
}

fn codegen(root: &Path, check: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("codegen")
        .arg("--root")
        .arg(root)
        .env("RUST_BACKTRACE", "full");
    if check {
        command.arg("--check");
    }
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_no_panic(text: &str) {
    for sign in [
        "panicked",
        "stack backtrace",
        "RUST_BACKTRACE",
        "thread 'main'",
    ] {
        assert!(!text.contains(sign), "a panic reached the user:\n{text}");
    }
}

#[test]
fn every_problem_of_every_broken_spec_is_reported_together() {
    let root = root_with_specs(&fixtures().join("broken-specs/spec"));
    let output = codegen(root.path(), false);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_no_panic(&text);
    let expected = [
        // v4: a missing, then a duplicate operationId.
        "error: spec/v4/openapi.yaml#/paths/~1crm~1v4~1objects~1{objectType}/get\n  problem: `GET /crm/v4/objects/{objectType}` has no operationId\n  fix: add `operationId:`",
        "error: spec/v4/openapi.yaml#/paths/~1crm~1v4~1objects~1{objectType}/delete/operationId\n  problem: the operationId `archive` is used twice",
        // v4: a lone default response, which progenitor would take for success.
        "error: spec/v4/openapi.yaml#/paths/~1crm~1v4~1objects~1{objectType}/delete/responses\n  problem: the operation has only a `default` response, which progenitor would take for its success",
        // v4: two 2xx bodies, neither accepting the other.
        "error: spec/v4/openapi.yaml#/paths/~1crm~1v4~1associations~1batch~1create/post/responses\n  problem: the 2xx responses have different bodies (Other, Page) and none accepts all the others",
        // v4: a dangling reference and an inline enum.
        "error: spec/v4/openapi.yaml#/components/schemas/Page/properties/results/items/$ref\n  problem: `#/components/schemas/Missing` does not point at anything in this file",
        "error: spec/v4/openapi.yaml#/components/schemas/Page/properties/status\n  problem: this enum is written inline",
        // 2025-09: not YAML.
        "error: spec/2025-09/openapi.yaml#\n  problem: the file is not valid YAML at line",
        // 2026-03: the version, the path and its parameters.
        "error: spec/2026-03/openapi.yaml#/info/version\n  problem: `info.version` is `2026-04` but the directory is `2026-03`\n  fix: set `info.version: '2026-03'`",
        "error: spec/2026-03/openapi.yaml#/paths/~1crm~1objects~1{objectType}~1{objectId}/get\n  problem: the path `/crm/objects/{objectType}/{objectId}` has no `2026-03` segment",
        "problem: the path has `{objectId}` but no path parameter `objectId` is declared",
        "problem: the path parameter `recordId` does not appear in the path",
        // A directory that is not a version.
        "error: spec/latest/openapi.yaml#\n  problem: the directory `latest` is not named like a HubSpot API version",
    ];
    for diagnostic in expected {
        assert!(
            text.contains(diagnostic),
            "missing:\n{diagnostic}\n\nin:\n{text}"
        );
    }
    assert!(
        text.trim_end()
            .ends_with("problems in 4 files; nothing was written."),
        "{text}"
    );
    assert!(
        !root.path().join("generated").exists(),
        "nothing may be written"
    );
}

#[test]
fn progenitor_panics_and_errors_become_diagnostics() {
    let root = root_with_specs(&fixtures().join("breaks-progenitor/spec"));
    let output = codegen(root.path(), false);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_no_panic(&text);
    assert!(
        text.contains("error: spec/2026-03/openapi.yaml#/components/schemas\n  problem: progenitor stopped with an internal error:"),
        "{text}"
    );
    assert!(
        text.contains("error: spec/2026-09/openapi.yaml#/components/schemas\n  problem: progenitor could not generate the models:"),
        "{text}"
    );
    assert!(!root.path().join("generated").exists());
}

#[test]
fn generated_is_up_to_date_with_spec_and_templates() {
    let output = codegen(&workspace(), true);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn codegen_is_byte_identical_on_every_run() {
    let inputs = Inputs::read(&workspace()).unwrap();
    let first = run(&inputs).unwrap();
    let second = run(&inputs).unwrap();
    assert_eq!(first, second);
    for file in &first {
        let path = file.path.to_string_lossy().replace('\\', "/");
        let header = &file.contents[..file.contents.len().min(400)];
        assert!(
            header.contains("@generated by `cargo xtask codegen` from"),
            "{path} names no source"
        );
        assert!(
            header.contains("Do not edit this file"),
            "{path} does not say it is machine-owned"
        );
        let module = path
            .strip_prefix("generated/src/")
            .and_then(|p| p.split_once('/'))
            .map(|(module, _)| module);
        let source = match module {
            Some("association_types") => "spec/association-types.tsv".to_owned(),
            Some("v4") => "spec/v4/openapi.yaml".to_owned(),
            Some(dated) => format!(
                "spec/{}/openapi.yaml",
                dated.trim_start_matches('v').replace('_', "-")
            ),
            None => continue,
        };
        assert!(
            header.contains(&format!("from {source}")),
            "{path} does not name {source}"
        );
    }
}

#[test]
fn check_reports_a_stale_file_with_a_diff_and_the_remedy() {
    let root = root_with_specs(&workspace().join("spec"));
    assert!(codegen(root.path(), false).status.success());
    let lib = root.path().join("generated/src/lib.rs");
    fs::write(
        &lib,
        fs::read_to_string(&lib)
            .unwrap()
            .replace("pub mod v4;", "pub mod v4; // edited"),
    )
    .unwrap();
    let output = codegen(root.path(), true);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("out of date: generated/src/lib.rs"), "{text}");
    assert!(text.contains("-pub mod v4; // edited"), "{text}");
    assert!(text.contains("Run `cargo xtask codegen`"), "{text}");
}

/// Adding a version is adding a directory: the generator gains a module and a feature for it,
/// and the crate compiles with only that feature.
#[test]
fn a_new_version_directory_becomes_a_module_and_a_feature_that_compile() {
    let root = root_with_specs(&workspace().join("spec"));
    copy_dir(&fixtures().join("new-version"), &root.path().join("spec"));
    let output = codegen(root.path(), false);
    assert!(output.status.success(), "{}", stderr(&output));

    let generated = root.path().join("generated");
    let module = fs::read_to_string(generated.join("src/v2099_03/mod.rs")).unwrap();
    assert!(
        module
            .starts_with("// @generated by `cargo xtask codegen` from spec/2099-03/openapi.yaml.")
    );
    assert!(
        module.contains("pub async fn batch_create("),
        "the 201/207 operation is generated"
    );
    assert!(
        module.contains("Result<Response<types::CreatedWithErrors>, Error>"),
        "with the wider body"
    );
    assert!(
        module.contains("pub fn list_all("),
        "the cursor-paged list gets a stream"
    );
    let manifest = fs::read_to_string(generated.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("\nv2099_03 = []\n"), "{manifest}");
    assert!(manifest.contains("\"v2099_03\"]"), "{manifest}");
    let lib = fs::read_to_string(generated.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("#[cfg(feature = \"v2099_03\")]\n#[rustfmt::skip]\npub mod v2099_03;"),
        "{lib}"
    );
    // The other versions are untouched by the new one.
    for existing in ["v4", "v2025_09", "v2026_03"] {
        for file in ["mod.rs", "types.rs"] {
            let path = format!("generated/src/{existing}/{file}");
            assert_eq!(
                fs::read_to_string(generated.join(format!("src/{existing}/{file}"))).unwrap(),
                fs::read_to_string(workspace().join(&path)).unwrap(),
                "{path} changed"
            );
        }
    }

    assert_compiles_with_only(&generated, "v2099_03");
}

/// `cargo check` of a generated crate with one version's feature and no other.
fn assert_compiles_with_only(generated: &Path, feature: &str) {
    fs::copy(workspace().join("Cargo.lock"), generated.join("Cargo.lock")).unwrap();
    let status = Command::new(env!("CARGO"))
        .args([
            "check",
            "--quiet",
            "--offline",
            "--no-default-features",
            "--features",
            feature,
        ])
        .arg("--manifest-path")
        .arg(generated.join("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            workspace().join("target/new-version-check"),
        )
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the generated crate with only {feature} does not compile"
    );
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

/// `bump` starts a version from another; codegen then makes its module and feature, which
/// compile. It never overwrites a version.
#[test]
fn a_bumped_version_generates_and_compiles() {
    let root = root_with_specs(&workspace().join("spec"));
    let output = xtask(root.path(), &["bump", "2026-03", "2026-09"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let next = String::from_utf8_lossy(&output.stdout);
    assert!(next.contains("cargo xtask diff 2026-03 2026-09"), "{next}");
    let bumped = fs::read_to_string(root.path().join("spec/2026-09/openapi.yaml")).unwrap();
    assert!(bumped.contains(
        "\n  /crm/objects/2026-09/{objectType}/{objectId}/associations/{toObjectType}:\n"
    ));
    assert!(
        bumped.contains(
            "\n  /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/create:\n"
        )
    );
    assert!(!bumped.contains("/2026-03/"), "every path was rewritten");
    assert!(bumped.contains("  version: '2026-09'\n"));

    fs::write(root.path().join("spec/2026-09/openapi.yaml"), "edited").unwrap();
    let again = xtask(root.path(), &["bump", "2026-03", "2026-09"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("bump never overwrites a version"));
    assert_eq!(
        fs::read_to_string(root.path().join("spec/2026-09/openapi.yaml")).unwrap(),
        "edited"
    );
    fs::write(root.path().join("spec/2026-09/openapi.yaml"), bumped).unwrap();

    let output = codegen(root.path(), false);
    assert!(output.status.success(), "{}", stderr(&output));
    let generated = root.path().join("generated");
    let module = fs::read_to_string(generated.join("src/v2026_09/mod.rs")).unwrap();
    assert!(
        module
            .contains("//! # Changes from 2026-03\n//!\n//! None for a program using the client."),
        "the docs say what changed"
    );
    assert_compiles_with_only(&generated, "v2026_09");
}

/// An edit that drops an operation is refused; listing it as removed makes it deliberate.
#[test]
fn dropping_an_operation_is_refused_unless_marked_removed() {
    let root = root_with_specs(&workspace().join("spec"));
    fs::create_dir_all(root.path().join("generated")).unwrap();
    fs::copy(
        workspace().join("generated/operations.lock"),
        root.path().join("generated/operations.lock"),
    )
    .unwrap();
    let path = root.path().join("spec/2026-03/openapi.yaml");
    let spec = fs::read_to_string(&path).unwrap();
    let start = spec.find("  /crm/associations/2026-03/{fromObjectType}/{toObjectType}/labels/{associationTypeId}:").unwrap();
    let end = start + 3 + spec[start + 3..].find("\n  /").unwrap();
    let dropped = format!("{}{}", &spec[..start], &spec[end + 1..]);
    fs::write(&path, &dropped).unwrap();

    let output = codegen(root.path(), false);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("error: spec/2026-03/openapi.yaml#/paths\n  problem: the operation `delete_label` of version 2026-03 is gone from the spec"), "{text}");
    assert!(
        text.contains("list it in `info.x-removed-operations`"),
        "{text}"
    );

    fs::write(
        &path,
        dropped.replacen(
            "info:\n",
            "info:\n  x-removed-operations: [delete_label]\n",
            1,
        ),
    )
    .unwrap();
    let output = codegen(root.path(), false);
    assert!(output.status.success(), "{}", stderr(&output));
    let lock = fs::read_to_string(root.path().join("generated/operations.lock")).unwrap();
    assert!(
        !lock.contains("2026-03\tdelete_label\n") && lock.contains("v4\tdelete_label\n"),
        "{lock}"
    );
}
