//! `cargo xtask codegen`: the pipeline from `spec/` and `templates/` to `generated/`.
//!
//! load → validate → normalize → model → generate → format, then write or check. Reading and
//! writing files happen only in [`Inputs::read`] and the `output` stage; the rest is pure.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::association_types;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::generate::{self, Templates};
use crate::load::{self, SpecSource};
use crate::model;
use crate::normalize;
use crate::output::OutputFile;
use crate::validate;

/// Where the versions live, relative to the workspace root.
pub const SPEC_DIR: &str = "spec";
/// Where the templates of the generated manifest, README and migration guide live, relative
/// to the workspace root.
pub const TEMPLATE_DIR: &str = "templates";

/// Everything the generator reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Every `spec/<version>/openapi.yaml`, in version order.
    pub specs: Vec<SpecSource>,
    /// Everything under `templates/`.
    pub templates: Templates,
    /// `spec/association-types.tsv`.
    pub association_types: String,
    /// `generated/operations.lock` as the last codegen wrote it; empty before the first.
    pub operations_lock: String,
}

impl Inputs {
    /// Reads the specs and templates under `root`.
    pub fn read(root: &Path) -> io::Result<Self> {
        let specs = load::read_specs(root, Path::new(SPEC_DIR))?;
        let templates_dir = root.join(TEMPLATE_DIR);
        let operations_lock = match fs::read_to_string(root.join(generate::OPERATIONS_LOCK)) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(error),
        };
        Ok(Self {
            operations_lock,
            association_types: fs::read_to_string(root.join(association_types::TABLE))?,
            specs,
            templates: Templates {
                manifest: fs::read_to_string(templates_dir.join("Cargo.toml"))?,
                readme: fs::read_to_string(templates_dir.join("README.md"))?,
                migration: fs::read_to_string(templates_dir.join("MIGRATION.md"))?,
            },
        })
    }
}

/// The versions as the generator sees them: parsed, validated, normalized and modelled.
pub fn versions(inputs: &Inputs) -> Result<Vec<model::Version>, Diagnostics> {
    let (specs, mut problems) = load::parse_all(&inputs.specs);
    problems.extend(validate::check_all(&specs));
    problems.into_result(())?;
    model::versions(&normalize::normalize(specs))
}

/// Runs the pipeline; every problem found is returned together.
pub fn run(inputs: &Inputs) -> Result<Vec<OutputFile>, Diagnostics> {
    if inputs.specs.is_empty() {
        return Err(Diagnostic::new(
            &PathBuf::from(SPEC_DIR),
            "",
            "there is no version to generate",
            "add a version as `spec/<version>/openapi.yaml` (for example `spec/2026-03/openapi.yaml`)",
        )
        .into());
    }
    let (specs, mut problems) = load::parse_all(&inputs.specs);
    problems.extend(validate::check_all(&specs));
    problems.extend(validate::operations_kept(&specs, &inputs.operations_lock));
    let types = association_types::parse(&inputs.association_types).unwrap_or_else(|found| {
        problems.extend(found);
        Vec::new()
    });
    problems.into_result(())?;
    let specs = normalize::normalize(specs);
    let (versions, types_modules): (Vec<_>, Vec<_>) =
        model::versions_then(&specs, generate::types_module)?
            .into_iter()
            .unzip();
    generate::crate_files(&versions, types_modules, &types, &inputs.templates)
}
