//! What the xtask test binaries share: scratch workspaces, and running the real `xtask`.

#![allow(dead_code, reason = "each test binary uses a part of the helpers")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xtask::format::GENERATED_MARK;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The fixture specs of the tests.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
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

/// Copies the hand-written files of the generated crate (its runtime), not what codegen writes.
fn copy_runtime(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_runtime(&entry.path(), &target);
            }
        } else if !fs::read_to_string(entry.path())
            .is_ok_and(|text| text.lines().take(3).any(|l| l.contains(GENERATED_MARK)))
        {
            fs::create_dir_all(to).unwrap();
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Whether codegen wrote anything under `root`: any file of its, such as the registry.
pub fn generated_anything(root: &Path) -> bool {
    root.join("generated/src/versions.rs").exists() || root.join("generated/Cargo.toml").exists()
}

/// A workspace root in a temporary directory with the given specs, the real templates and
/// association type table, and the crate's hand-written runtime.
pub fn root_with_specs(specs: &Path) -> tempfile::TempDir {
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
    copy_runtime(
        &workspace().join("generated"),
        &root.path().join("generated"),
    );
    root
}

/// `xtask <args> --root <root>`.
pub fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env("RUST_BACKTRACE", "full")
        .output()
        .unwrap()
}

/// `xtask codegen`, or `codegen --check`.
pub fn codegen(root: &Path, check: bool) -> Output {
    if check {
        xtask(root, &["codegen", "--check"])
    } else {
        xtask(root, &["codegen"])
    }
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails when the text shows a panic.
pub fn assert_no_panic(text: &str) {
    for sign in [
        "panicked",
        "stack backtrace",
        "RUST_BACKTRACE",
        "thread 'main'",
    ] {
        assert!(!text.contains(sign), "a panic reached the user:\n{text}");
    }
}

/// A scratch workspace around `root`, of the crates named (`generated` and those copied from
/// this workspace, such as `cli`), that builds offline with the real lock file.
pub fn scratch_workspace(root: &Path, members: &[&str]) {
    let manifest = fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let line = manifest
        .lines()
        .find(|line| line.starts_with("members"))
        .unwrap();
    let listed: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
    fs::write(
        root.join("Cargo.toml"),
        manifest.replace(line, &format!("members = [{}]", listed.join(", "))),
    )
    .unwrap();
    fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    for crate_dir in members.iter().filter(|m| **m != "generated") {
        copy_dir(&workspace().join(crate_dir), &root.join(crate_dir));
    }
}

/// `cargo <args>` in `root`, in `target/nested`: the one target directory of the builds tests
/// start themselves (the drills, the package drill, the examples), so that each builds on the
/// dependencies the others built.
pub fn cargo(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", workspace().join("target/nested"))
        .output()
        .unwrap()
}

/// A scratch workspace with the real specs and the real `generated/operations.lock` (so that
/// an operation dropped by mistake is caught there as here): the drills start from it.
pub fn root_with_workspace_specs() -> tempfile::TempDir {
    let root = root_with_specs(&workspace().join("spec"));
    fs::create_dir_all(root.path().join("generated")).unwrap();
    fs::copy(
        workspace().join("generated/operations.lock"),
        root.path().join("generated/operations.lock"),
    )
    .unwrap();
    root
}
