//! `cargo xtask`: the project's own tasks. See README.md.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::{bench, checks, codegen, generate, load, output};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Tasks of the hubspot-associations workspace"
)]
struct Cli {
    /// The workspace root (the default is the one this xtask was built in).
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

fn main() -> ExitCode {
    // Problems are reported as diagnostics; a panic (in the generator crates or here) must not
    // print a backtrace at the user, so it is caught below and reported in one line.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = Cli::parse();
    let root = cli
        .root
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
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
            eprintln!(
                "xtask: internal error: {message}\nThis is a bug in xtask; please report it."
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
        Command::BenchClient => {
            println!("{}", bench::client_report(root)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchCodegen => {
            println!("{}", bench::report(&read_inputs(root)?)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Codegen { check } => {
            let inputs = codegen::Inputs::read(root).map_err(|error| {
                format!(
                    "xtask: cannot read the inputs under {}: {error}",
                    root.display()
                )
            })?;
            let files = codegen::run(&inputs).map_err(|problems| problems.to_string())?;
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
