//! What the integration tests share: a real HTTP exchange on 127.0.0.1 ([`Exchange`]), every
//! operation of every version with the examples its spec carries ([`specs`]), and the JSON
//! examples of the documentation pages ([`seeds`]). The tests themselves live in `tests/`.

mod exchange;
pub mod seeds;
pub mod specs;

pub use exchange::{Exchange, TOKEN, transport};

/// The workspace root.
pub fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
