//! `cargo xtask test`: every check of the workspace, as CI runs them, in one command.
//!
//! It provides what the checks need: the npm tools (pinned by `package-lock.json`) and the
//! `redis-server` the shared-budget tests start (Debian's package, installed with apt-get where
//! this user may; elsewhere it says what to install). Then it runs each check and reports all
//! failures at the end, so that one run shows everything that is wrong.

use std::path::Path;
use std::process::{Command, Stdio};
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

/// What to run to install `redis-server` on this machine, for the message that asks for it.
const REDIS_INSTALL_HINT: &str = "install it (Debian or Ubuntu: `sudo apt-get install redis-server`; \
     Fedora: `sudo dnf install redis`; macOS: `brew install redis`) and run `cargo xtask test` again";

/// Whether a program answers `--version` from the PATH.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Provides `redis-server`, which the tests of the shared rate-limit budget start on a free
/// loopback port: where it is missing, installs Debian's package with apt-get when this user is
/// root or may use sudo without a password; otherwise the error says what to install.
fn redis_server() -> Result<(), String> {
    if runs("redis-server") {
        return Ok(());
    }
    let missing =
        "redis-server is not installed: the tests of the shared rate-limit budget start one";
    if !runs("apt-get") {
        return Err(format!("{missing}; {REDIS_INSTALL_HINT}"));
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0");
    let sudo_without_password = || {
        Command::new("sudo")
            .args(["-n", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let through_sudo = if root {
        false
    } else if sudo_without_password() {
        true
    } else {
        return Err(format!(
            "{missing}, and installing it needs root; {REDIS_INSTALL_HINT}"
        ));
    };
    println!("==> installing redis-server (apt-get)");
    let apt = |args: &[&str]| {
        // `env` after sudo: sudo resets the environment apt-get would read.
        let mut command = if through_sudo {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            sudo
        } else {
            let mut apt = Command::new("apt-get");
            apt.env("DEBIAN_FRONTEND", "noninteractive");
            apt
        };
        command
            .args(args)
            .status()
            .is_ok_and(|status| status.success())
    };
    let installed = apt(&["update", "-qq"])
        && apt(&[
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "redis-server",
        ]);
    if installed && runs("redis-server") {
        Ok(())
    } else {
        Err(format!(
            "{missing}, and `apt-get install redis-server` failed; {REDIS_INSTALL_HINT}"
        ))
    }
}

/// Runs every check; the error lists the ones that failed.
pub fn run(root: &Path, spec_files: Vec<String>) -> Result<(), String> {
    npm_tools(root)?;
    let mut failed = Vec::new();
    // A machine without redis-server still runs every other check: the message says what to
    // install, and the run fails at the end.
    if let Err(message) = redis_server() {
        eprintln!("xtask: {message}");
        failed.push("redis-server for the shared-budget tests");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
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
