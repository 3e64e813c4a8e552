//! What the integration tests share: a real HTTP exchange on 127.0.0.1 ([`Exchange`]), every
//! operation of every version with the examples its spec carries ([`specs`]), and the JSON
//! examples of the documentation pages ([`seeds`]), and a writer that keeps what a tracing
//! subscriber prints ([`Captured`]). The tests themselves live in `tests/`.

mod exchange;
pub mod seeds;
pub mod specs;

pub use exchange::{Exchange, TOKEN, transport};

/// The workspace root.
pub fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
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
