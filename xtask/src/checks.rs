//! `cargo xtask test`: every check of the workspace, as CI runs them, in one command.
//!
//! It installs the npm tools it needs (pinned by `package-lock.json`), then runs each check
//! and reports all failures at the end, so that one run shows everything that is wrong.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// One check: a name and the command that performs it.
struct Check {
    name: &'static str,
    program: String,
    args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
}

impl Check {
    fn new(name: &'static str, program: impl Into<String>, args: &[&str]) -> Self {
        Self {
            name,
            program: program.into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: Vec::new(),
        }
    }

    fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.env.push((key, value));
        self
    }
}

/// The checks, in the order they run: cheap and likely to fail first.
fn checks(root: &Path, cargo: &str, spec_files: Vec<String>) -> Vec<Check> {
    let redocly = root
        .join("node_modules/.bin/redocly")
        .to_string_lossy()
        .into_owned();
    let mut lint = vec!["lint", "--format=summary"];
    lint.extend(spec_files.iter().map(String::as_str));
    vec![
        Check::new(
            "generated/ is up to date",
            cargo,
            &["xtask", "codegen", "--check"],
        ),
        Check::new("specs pass Redocly CLI", redocly, &lint),
        Check::new("rustfmt", cargo, &["fmt", "--all", "--check"]),
        Check::new(
            "clippy",
            cargo,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        Check::new("rustdoc", cargo, &["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
        Check::new("tests", cargo, &["test", "--workspace", "--no-fail-fast"]),
        Check::new(
            "Prism validates every request of every version",
            cargo,
            &[
                "test",
                "-p",
                "integration",
                "--test",
                "spec_driven",
                "--",
                "--ignored",
            ],
        ),
    ]
}

/// Installs the npm tools when they are missing, as `package-lock.json` pins them.
fn npm_tools(root: &Path) -> Result<(), String> {
    let installed = ["prism", "redocly"]
        .iter()
        .all(|tool| root.join("node_modules/.bin").join(tool).exists());
    if installed {
        return Ok(());
    }
    println!("==> installing the npm tools (npm ci)");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(root)
        .status()
        .map_err(|error| format!("npm cannot be run ({error}); install Node.js 20 or later"))?;
    if status.success() {
        Ok(())
    } else {
        Err("`npm ci` failed".into())
    }
}

/// Runs every check; the error lists the ones that failed.
pub fn run(root: &Path, spec_files: Vec<String>) -> Result<(), String> {
    npm_tools(root)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut failed = Vec::new();
    for check in checks(root, &cargo, spec_files) {
        println!("==> {}", check.name);
        let started = Instant::now();
        let status = Command::new(&check.program)
            .args(&check.args)
            .envs(check.env.iter().copied())
            .current_dir(root)
            .status();
        let passed = matches!(&status, Ok(status) if status.success());
        println!(
            "<== {}: {} in {:.0?}",
            check.name,
            if passed { "passed" } else { "FAILED" },
            started.elapsed()
        );
        if !passed {
            failed.push(check.name);
        }
    }
    if failed.is_empty() {
        println!("All checks passed.");
        Ok(())
    } else {
        Err(format!(
            "{} check(s) failed: {}",
            failed.len(),
            failed.join(", ")
        ))
    }
}
