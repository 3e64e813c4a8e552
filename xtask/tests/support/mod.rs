//! What the xtask test binaries share: scratch workspaces, and running the real `xtask`.

#![allow(dead_code, reason = "each test binary uses a part of the helpers")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// A workspace root in a temporary directory with the given specs, and the real templates and
/// association type table.
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
