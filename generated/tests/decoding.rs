//! Decoding arbitrary bytes, or arbitrary JSON shaped like HubSpot's answers, into every
//! success type of every version never panics, and what decodes encodes and decodes again to
//! the same value.

mod support;

// One module per version, generated from the specs by `cargo xtask codegen` and printed by
// prettyplease, not rustfmt.
#[rustfmt::skip]
#[path = "decoding/versions.rs"]
mod versions;
