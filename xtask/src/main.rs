//! `cargo xtask`: the project's own tasks. See README.md.

// codegen allocates and frees many small trees (YAML, tokens, syntax trees) on several threads
// at once: with mimalloc, `bench-codegen` took a quarter less time than with the system
// allocator when it was chosen (about 77 ms against 104 ms for all versions).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::{
    audit, bench, bump, checks, codegen, diff, generate, import, load, model, output, validate,
};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Tasks of the hubspot-associations workspace"
)]
struct Cli {
    /// The workspace root (default: the workspace around the current directory).
    #[arg(long, global = true, hide = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate generated/ from spec/ and templates/.
    Codegen {
        /// Change nothing; fail with a diff when generated/ is not what codegen would write.
        #[arg(long)]
        check: bool,
    },
    /// What changed between two versions for a program using the client, breaking changes
    /// first. Exits with 1 when a program must be looked at (anything breaking, or a change
    /// of behaviour such as a success status), 0 otherwise.
    Diff {
        /// The version moved from, such as `v4`.
        old: String,
        /// The version moved to, such as `2026-03`.
        new: String,
        /// Print JSON instead of Markdown.
        #[arg(long)]
        json: bool,
    },
    /// Compare every version of spec/ with the OpenAPI files HubSpot publishes for it: drift,
    /// deliberate tolerances (spec/sources/audit-tolerances.tsv) and operations out of scope.
    /// Exits with 1 when anything drifted.
    Audit {
        /// HubSpot's files: a checkout of its spec collection (each version's newest rollout
        /// is read, its generally available folder before `-beta`), or JSON files.
        #[arg(long = "hubspot", required = true, num_args = 1..)]
        hubspot: Vec<PathBuf>,
        /// Print JSON instead of Markdown.
        #[arg(long)]
        json: bool,
    },
    /// Write spec/<version>/ from HubSpot's published files and the newest version: facts from
    /// HubSpot's, our ids, names, words and examples where the facts did not change. With
    /// `--update`, the version itself is the base and is rewritten in place.
    Import {
        /// The version, such as `2027-03`.
        version: String,
        /// HubSpot's files: a checkout of its spec collection, or JSON files.
        #[arg(long = "hubspot", required = true, num_args = 1..)]
        hubspot: Vec<PathBuf>,
        /// Re-import an existing version in place, keeping our prose, examples and ids.
        #[arg(long)]
        update: bool,
    },
    /// Start a new version: spec/<to>/ from spec/<from>/, every path's version rewritten
    /// (`import` without HubSpot's files). It never overwrites a version.
    Bump {
        /// The version to start from, such as `2026-03`.
        from: String,
        /// The new version, such as `2026-09`.
        to: String,
    },
    /// Run every check of the workspace, as CI does: codegen freshness, the spec linter,
    /// rustfmt, clippy, rustdoc, the tests and the Prism validation.
    Test,
    /// Time codegen for every version and for a synthetic spec fifty times larger.
    /// Run it on a release build: `cargo run --release -p xtask -- bench-codegen`.
    BenchCodegen,
    /// Compare the client's throughput with a plain reqwest call, and count the instructions
    /// each spends per request with callgrind.
    BenchClient,
}

/// Where the last panic of the run happened, for the one-line report below. Process-wide,
/// not per thread: a panic on a worker of `parallel::map` is raised again on the main thread,
/// which must still name the worker's place.
static PANICKED_AT: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn main() -> ExitCode {
    // Problems are reported as diagnostics; a panic (in the generator crates or here) must not
    // print a backtrace at the user, so it is caught below and reported in one line that still
    // says where it happened. Panics the generator catches itself (progenitor's, which become
    // diagnostics) print nothing.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|location| format!("{}:{}", location.file(), location.line()));
        // The last panic's: panics the generator catches (progenitor's) come before the one
        // that ends the run, and `resume_unwind` on the main thread does not call the hook.
        *PANICKED_AT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }));
    let cli = Cli::parse();
    let root = match cli.root {
        Some(root) => root,
        None => match std::env::current_dir()
            .map_err(|error| format!("error: the current directory cannot be read: {error}"))
            .and_then(|here| xtask::workspace_root(&here))
        {
            Ok(root) => root,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::FAILURE;
            }
        },
    };
    match catch_unwind(AssertUnwindSafe(|| run(&root, cli.command))) {
        Ok(Ok(code)) => code,
        Ok(Err(message)) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            let at = PANICKED_AT
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .unwrap_or_else(|| "an unknown place".to_owned());
            eprintln!(
                "xtask: internal error at {at}: {message}\nThis is a bug in xtask; please report it with the command you ran."
            );
            ExitCode::FAILURE
        }
    }
}

fn read_inputs(root: &Path) -> Result<codegen::Inputs, String> {
    codegen::Inputs::read(root).map_err(|error| {
        format!(
            "xtask: cannot read the inputs under {}: {error}",
            root.display()
        )
    })
}

/// A file's text, empty when it does not exist; any other failure to read it is an error, so
/// that a file that exists is never taken for empty (and written back without its rows).
fn read_optional(path: &Path) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(format!("xtask: cannot read {}: {error}", path.display())),
    }
}

/// The deliberate differences from HubSpot's files (none when the file is missing).
fn read_tolerances(root: &Path) -> Result<Vec<audit::Tolerance>, String> {
    audit::parse_tolerances(&read_optional(&root.join(audit::TOLERANCES_FILE))?)
}

/// `import` (and `bump`, which is import without HubSpot's files): reads the specs, HubSpot's
/// files and the sources, writes `spec/<version>/openapi.yaml` and the version's rows of
/// `spec/sources/`, and says what a person must look at.
fn import_version(
    root: &Path,
    version: &str,
    from: Option<&str>,
    hubspot: &[PathBuf],
    update: bool,
) -> Result<String, String> {
    if !load::is_version_name(version) {
        return Err(format!(
            "xtask: `{version}` is not named like a HubSpot API version: name it `YYYY-MM` (such as `2027-03`), or `vN` for a legacy version"
        ));
    }
    let sources = load::read_specs(root, Path::new(codegen::SPEC_DIR))
        .map_err(|error| format!("xtask: cannot read spec/: {error}"))?;
    let (specs, problems) = load::parse_all(&sources);
    problems
        .into_result(())
        .map_err(|problems| problems.to_string())?;
    let exists = specs.iter().any(|spec| spec.version == version);
    if exists && !update {
        return Err(format!(
            "xtask: spec/{version} exists already; import never overwrites a version unless told \
             (`--update` re-imports it in place; remove it to start over)"
        ));
    }
    if update && !exists {
        return Err(format!(
            "xtask: spec/{version} does not exist: drop `--update` to import it"
        ));
    }
    let base_name = match (update, from) {
        (true, _) => version,
        (false, Some(from)) => from,
        (false, None) => specs
            .iter()
            .map(|spec| spec.version.as_str())
            .filter(|name| *name != version)
            .max_by(|a, b| load::version_order(a, b))
            .ok_or("xtask: spec/ has no version to start from")?,
    };
    let base = specs
        .iter()
        .position(|spec| spec.version == base_name)
        .ok_or_else(|| format!("xtask: there is no version `{base_name}` under spec/"))?;
    let previous = if update {
        base.checked_sub(1)
    } else {
        Some(base)
    };
    let files = if hubspot.is_empty() {
        Vec::new()
    } else {
        audit::read_hubspot(hubspot)?
    };
    let chosen = audit::choose(&files, version);
    if !hubspot.is_empty() && chosen.is_empty() {
        return Err(format!(
            "xtask: none of HubSpot's files given is for version {version} (a checkout's \
             `Rollouts/<n>/{version}` folders, or files whose info.version is {version})"
        ));
    }
    let tolerances = read_tolerances(root)?;
    let base_text = &sources[base].text;
    let imported = import::import(&import::Request {
        version,
        base: &specs[base],
        base_text,
        previous: previous.map(|index| &specs[index]),
        previous_text: previous.map(|index| sources[index].text.as_str()),
        hubspot: &chosen,
        tolerances: &tolerances,
    })?;
    let target = Path::new(codegen::SPEC_DIR)
        .join(version)
        .join(load::SPEC_FILE);
    let written = load::parse(&load::SpecSource {
        version: version.to_owned(),
        path: target.clone(),
        text: imported.text.clone(),
    })
    .map_err(|problems| {
        format!("xtask: import wrote a spec that does not parse (a bug in xtask):\n{problems}")
    })?;
    let sources_dir = root.join("spec/sources");
    let read = |name: &str| read_optional(&sources_dir.join(name));
    let (lists, facts) = import::sources(
        version,
        &imported.facts,
        &read("scope-lists.tsv")?,
        &read("operation-facts.tsv")?,
    );
    let reference_path = root.join(xtask::reference::REFERENCE_FILE);
    let reference = read_optional(&reference_path)?;
    let reference = xtask::reference::with_operations_section(&reference, version, &written.api);
    let io = |error: std::io::Error| format!("xtask: cannot write spec/{version}: {error}");
    std::fs::create_dir_all(root.join(target.parent().unwrap_or(Path::new(".")))).map_err(io)?;
    std::fs::write(root.join(&target), &imported.text).map_err(io)?;
    std::fs::write(sources_dir.join("scope-lists.tsv"), lists).map_err(io)?;
    std::fs::write(sources_dir.join("operation-facts.tsv"), facts).map_err(io)?;
    std::fs::write(&reference_path, reference).map_err(io)?;
    let mut report = format!(
        "Wrote {} ({} operations), and the version's operations table and facts in spec/sources/.\n",
        target.display(),
        imported.facts.len()
    );
    for file in &chosen {
        report.push_str(&format!("read {}\n", file.path.display()));
    }
    for note in &imported.notes {
        report.push_str(&format!("- {note}\n"));
    }
    let mut all: Vec<load::Spec> = specs
        .into_iter()
        .filter(|spec| spec.version != version)
        .chain([written])
        .collect();
    all.sort_by(|a, b| load::version_order(&a.version, &b.version));
    let problems: Vec<_> = validate::check_all(&all)
        .into_iter()
        .filter(|problem| problem.file == target)
        .collect();
    if !problems.is_empty() {
        report.push_str("\nWhat codegen will refuse until it is fixed:\n");
        for problem in problems {
            report.push_str(&format!("{problem}\n"));
        }
    }
    Ok(report)
}

fn run(root: &Path, command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Test => {
            let specs = load::read_specs(root, Path::new(codegen::SPEC_DIR))
                .map_err(|error| format!("xtask: cannot read spec/: {error}"))?
                .into_iter()
                .map(|source| source.path.to_string_lossy().into_owned())
                .collect();
            checks::run(root, specs)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { old, new, json } => {
            let versions =
                codegen::versions(&read_inputs(root)?).map_err(|problems| problems.to_string())?;
            let find = |name: &str| {
                versions.iter().find(|v| v.name == name).ok_or_else(|| {
                    let known: Vec<&str> = versions.iter().map(|v| v.name.as_str()).collect();
                    format!(
                        "xtask: there is no version `{name}` under spec/ (there are {})",
                        known.join(", ")
                    )
                })
            };
            let report = diff::report(find(&old)?, find(&new)?);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
                );
            } else {
                print!("{}", diff::markdown(&report, 1));
            }
            Ok(if report.breaking {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Audit { hubspot, json } => {
            let sources = load::read_specs(root, Path::new(codegen::SPEC_DIR))
                .map_err(|error| format!("xtask: cannot read spec/: {error}"))?;
            let (specs, problems) = load::parse_all(&sources);
            problems
                .into_result(())
                .map_err(|problems| problems.to_string())?;
            let tolerances = read_tolerances(root)?;
            let report = audit::audit(&specs, &audit::read_hubspot(&hubspot)?, &tolerances);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
                );
            } else {
                print!("{}", audit::markdown(&report));
            }
            if report.versions.is_empty() {
                return Err(format!(
                    "xtask: no version of spec/ was audited: none of the files given is for {}",
                    report.unaudited.join(", ")
                ));
            }
            Ok(if report.drift > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Bump { from, to } => {
            let done = import_version(root, &to, Some(&from), &[], false)?;
            println!("{done}");
            println!("{}", bump::next_steps(&from, &to, &model::module_name(&to)));
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            version,
            hubspot,
            update,
        } => {
            println!(
                "{}",
                import_version(root, &version, None, &hubspot, update)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchClient => {
            println!("{}", bench::client_report(root)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchCodegen => {
            println!("{}", bench::report(&read_inputs(root)?)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Codegen { check } => {
            let files =
                codegen::run(&read_inputs(root)?).map_err(|problems| problems.to_string())?;
            let owned = Path::new(generate::CRATE_DIR);
            let io_error =
                |error: std::io::Error| format!("xtask: cannot access generated/: {error}");
            if check {
                let stale = output::check(root, owned, &files).map_err(io_error)?;
                if !stale.is_empty() {
                    return Err(output::report(&stale));
                }
                println!("generated/ is up to date ({} files).", files.len());
            } else {
                let touched = output::write(root, owned, &files).map_err(io_error)?;
                println!(
                    "generated/: {touched} of {} files written or removed.",
                    files.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
