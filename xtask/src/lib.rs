//! The tasks of the hubspot-associations workspace, as a library so that tests can drive
//! each stage; `main.rs` is the command line.

pub mod association_types;
pub mod audit;
pub mod bench;
pub mod bump;
pub mod checks;
pub mod codegen;
pub mod diagnostics;
pub mod diff;
pub mod document;
pub mod extensions;
pub mod format;
pub mod generate;
pub mod import;
pub mod load;
pub mod model;
pub mod normalize;
pub mod output;
pub mod parallel;
pub mod path_template;
pub mod reference;
pub mod rust_types;
pub mod validate;

/// The workspace `cargo xtask` works on: the nearest directory at or above `start` whose
/// `Cargo.toml` declares a `[workspace]` and that holds `spec/`. Found at run time, from the
/// current directory: one built xtask serves every checkout that shares a target directory,
/// so the checkout it was built in says nothing of the one it runs in.
pub fn workspace_root(start: &std::path::Path) -> Result<std::path::PathBuf, String> {
    start
        .ancestors()
        .find(|dir| {
            dir.join("spec").is_dir()
                && std::fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|manifest| manifest.lines().any(|line| line.trim() == "[workspace]"))
        })
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| {
            format!(
                "error: no hubspot-associations workspace at or above {}\n  problem: no \
                 directory there has a Cargo.toml with [workspace] and a spec/ directory\n  \
                 fix: run `cargo xtask` inside the checkout, or give `--root <checkout>`",
                start.display()
            )
        })
}
