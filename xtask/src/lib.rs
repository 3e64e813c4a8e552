//! The tasks of the hubspot-associations workspace, as a library so that tests can drive
//! each stage; `main.rs` is the command line.

pub mod association_types;
pub mod bench;
pub mod bump;
pub mod checks;
pub mod codegen;
pub mod diagnostics;
pub mod diff;
pub mod document;
pub mod format;
pub mod generate;
pub mod load;
pub mod model;
pub mod normalize;
pub mod output;
pub mod rust_types;
pub mod validate;
