//! What the integration tests share: a real HTTP exchange on 127.0.0.1 ([`Exchange`]), every
//! operation of every version with the examples its spec carries ([`specs`]), and the JSON
//! examples of the documentation pages ([`seeds`]), the crate's examples built
//! ([`built_examples`]) and its webhook receiver running ([`Receiver`]), and a writer that keeps what a tracing
//! subscriber prints ([`Captured`]). The tests themselves live in `tests/`.

mod exchange;
mod receiver;
pub mod seeds;
pub mod specs;

pub use exchange::{Exchange, TOKEN, transport};
pub use receiver::Receiver;

/// The workspace root.
pub fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the crate's examples, with the features they need, in `target/nested` (the target
/// directory of the builds tests start themselves: the tests' own build holds
/// `target/debug`'s lock while they run); the directory of the
/// binaries. Panics with cargo's output when the build fails.
pub fn built_examples() -> std::path::PathBuf {
    let target = workspace().join("target/nested");
    let built = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--offline",
            "--quiet",
            "-p",
            "hubspot-associations",
            "--examples",
            "--features",
            "webhooks",
        ])
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    target.join("debug/examples")
}

/// Where a test's tracing subscriber writes: every byte is kept, for the test to read.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// What was written, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
