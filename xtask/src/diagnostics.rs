//! Problems found in the inputs, each with where it is and how to fix it.
//!
//! Every stage collects its problems instead of stopping at the first, so that one run of
//! `cargo xtask codegen` reports everything that needs fixing.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem: the file, the JSON pointer inside it, what is wrong and what to change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The file, relative to the workspace root.
    pub file: PathBuf,
    /// Where in the file, as a JSON pointer (empty for the whole file).
    pub pointer: String,
    /// What is wrong.
    pub problem: String,
    /// What to change.
    pub remedy: String,
}

impl Diagnostic {
    /// A problem at `pointer` in `file`.
    pub fn new(
        file: &Path,
        pointer: impl Into<String>,
        problem: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            pointer: pointer.into(),
            problem: problem.into(),
            remedy: remedy.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Forward slashes on every platform, so that messages and tests agree.
        let file = self.file.to_string_lossy().replace('\\', "/");
        writeln!(f, "error: {file}#{}", self.pointer)?;
        writeln!(f, "  problem: {}", self.problem)?;
        write!(f, "  fix: {}", self.remedy)
    }
}

/// Every problem found by a run, in a stable order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Adds a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds problems.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// The problems, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was found, else every problem, sorted by file and pointer.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Diagnostics> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            self.0.sort();
            self.0.dedup();
            Err(self)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}\n")?;
        }
        let files = {
            let mut files: Vec<_> = self.0.iter().map(|d| &d.file).collect();
            files.sort();
            files.dedup();
            files.len()
        };
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} problem{} in {} file{}; nothing was written.",
            self.0.len(),
            plural(self.0.len()),
            files,
            plural(files)
        )
    }
}

/// A JSON pointer (RFC 6901) from its unescaped tokens.
pub fn pointer<I, S>(tokens: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    tokens
        .into_iter()
        .map(|token| format!("/{}", token.as_ref().replace('~', "~0").replace('/', "~1")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_slashes_and_tildes() {
        assert_eq!(
            pointer(["paths", "/crm/v4/{id}", "get", "a~b"]),
            "/paths/~1crm~1v4~1{id}/get/a~0b"
        );
        assert_eq!(pointer(Vec::<&str>::new()), "");
    }

    #[test]
    fn report_names_file_pointer_problem_and_fix_and_counts() {
        let mut all = Diagnostics::default();
        all.push(Diagnostic::new(
            Path::new("spec/v4/openapi.yaml"),
            "/paths/~1a/get",
            "no operationId",
            "add one",
        ));
        all.push(Diagnostic::new(
            Path::new("spec/v4/openapi.yaml"),
            "/info",
            "b",
            "c",
        ));
        let text = all.into_result(()).unwrap_err().to_string();
        assert!(text.starts_with("error: spec/v4/openapi.yaml#/info\n  problem: b\n  fix: c"));
        assert!(text.contains(
            "error: spec/v4/openapi.yaml#/paths/~1a/get\n  problem: no operationId\n  fix: add one"
        ));
        assert!(text.ends_with("2 problems in 1 file; nothing was written."));
    }
}
