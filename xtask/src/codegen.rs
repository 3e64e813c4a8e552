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
    let specs = with_model_problems(specs, problems)?;
    model::versions(&normalize::normalize(specs))
}

/// The specs, when validation found nothing; else every problem, the model's too: the specs
/// that validated are modelled, so that one run reports what the model stage finds in them
/// (names that clash, methods that cannot be derived) beside validation's problems.
fn with_model_problems(
    specs: Vec<load::Spec>,
    problems: Diagnostics,
) -> Result<Vec<load::Spec>, Diagnostics> {
    if problems.is_empty() {
        return Ok(specs);
    }
    let failing: std::collections::BTreeSet<PathBuf> = problems
        .iter()
        .map(|problem| problem.file.clone())
        .collect();
    let valid: Vec<load::Spec> = specs
        .into_iter()
        .filter(|spec| !failing.contains(&spec.path))
        .collect();
    let mut problems = problems;
    if let Err(found) = model::versions(&normalize::normalize(valid)) {
        problems.extend(found);
    }
    Err(problems)
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
    let specs = normalize::normalize(with_model_problems(specs, problems)?);
    let (versions, types_modules): (Vec<_>, Vec<_>) =
        model::versions_then(&specs, generate::types_module)?
            .into_iter()
            .unzip();
    generate::crate_files(&versions, types_modules, &types, &inputs.templates)
}
