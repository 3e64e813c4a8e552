//! Stage 7: write the generated files, or check that the files on disk are the same.
//!
//! The generator owns exactly the files it produces: each opens with an `@generated` header.
//! A file under the output directory with that header that it no longer produces (the module
//! of a retired version) is removed when writing and reported when checking; every other file
//! there (the hand-written runtime) is never read, written or checked. Line endings are
//! compared as text, so a checkout that converts them does not make `--check` fail.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::format::GENERATED_MARK;

/// A file to write, with its path relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative to the workspace root.
    pub path: PathBuf,
    /// The whole text.
    pub contents: String,
}

/// How a file on disk differs from what the generator produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// The generator produces it; it is not on disk.
    Missing(PathBuf),
    /// On disk with other contents.
    Changed {
        /// The file.
        path: PathBuf,
        /// From the file on disk to the generated one.
        diff: String,
    },
    /// On disk in the owned directory; the generator does not produce it.
    Extra(PathBuf),
}

/// Whether a file's first lines carry the generator's header.
fn is_generated(contents: &str) -> bool {
    contents
        .lines()
        .take(3)
        .any(|line| line.contains(GENERATED_MARK))
}

/// The text with `\r\n` line endings as `\n`.
fn unix_lines(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("\r\n") {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    }
}

/// Every generated file under `dir` (relative to `root`), skipping build output.
fn generated_under(root: &Path, dir: &Path) -> io::Result<BTreeSet<PathBuf>> {
    let mut generated = BTreeSet::new();
    for path in files_under(root, dir)? {
        if fs::read_to_string(root.join(&path)).is_ok_and(|text| is_generated(&text)) {
            generated.insert(path);
        }
    }
    Ok(generated)
}

/// Every file under `dir` (relative to `root`), skipping build output.
fn files_under(root: &Path, dir: &Path) -> io::Result<BTreeSet<PathBuf>> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match fs::read_dir(root.join(&current)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let path = current.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                if entry.file_name() != "target" {
                    pending.push(path);
                }
            } else {
                found.insert(path);
            }
        }
    }
    Ok(found)
}

/// Compares the files on disk under `owned` with `files`.
pub fn check(root: &Path, owned: &Path, files: &[OutputFile]) -> io::Result<Vec<Stale>> {
    let mut stale = Vec::new();
    let mut expected = BTreeSet::new();
    for file in files {
        expected.insert(file.path.clone());
        match fs::read_to_string(root.join(&file.path)) {
            Ok(current) if unix_lines(&current) == file.contents => {}
            Ok(current) => {
                let current = unix_lines(&current);
                let diff = TextDiff::from_lines(current.as_ref(), &file.contents)
                    .unified_diff()
                    .context_radius(2)
                    .header("on disk", "generated")
                    .to_string();
                stale.push(Stale::Changed {
                    path: file.path.clone(),
                    diff,
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                stale.push(Stale::Missing(file.path.clone()));
            }
            Err(error) => return Err(error),
        }
    }
    for extra in generated_under(root, owned)?.difference(&expected) {
        stale.push(Stale::Extra(extra.clone()));
    }
    Ok(stale)
}

/// Writes the files that changed and removes the generated files no longer produced; returns
/// how many files were written or removed.
pub fn write(root: &Path, owned: &Path, files: &[OutputFile]) -> io::Result<usize> {
    let mut touched = 0;
    for file in files {
        let full = root.join(&file.path);
        let current = fs::read_to_string(&full).ok();
        if current.as_deref().map(unix_lines).as_deref() != Some(file.contents.as_str()) {
            if let Some(parent) = full.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(full, &file.contents)?;
            touched += 1;
        }
    }
    let expected: BTreeSet<&Path> = files.iter().map(|file| file.path.as_path()).collect();
    for extra in generated_under(root, owned)? {
        if !expected.contains(extra.as_path()) {
            fs::remove_file(root.join(extra))?;
            touched += 1;
        }
    }
    Ok(touched)
}

/// What `--check` prints: each stale file (with a diff, cut short) and the remedy.
pub fn report(stale: &[Stale]) -> String {
    const MAX_DIFF_LINES: usize = 40;
    let mut text = String::new();
    for item in stale {
        match item {
            Stale::Missing(path) => text.push_str(&format!("missing: {}\n", path.display())),
            Stale::Extra(path) => text.push_str(&format!(
                "not produced by the generator any more: {}\n",
                path.display()
            )),
            Stale::Changed { path, diff } => {
                text.push_str(&format!("out of date: {}\n", path.display()));
                let lines: Vec<&str> = diff.lines().collect();
                for line in lines.iter().take(MAX_DIFF_LINES) {
                    text.push_str(&format!("    {line}\n"));
                }
                if lines.len() > MAX_DIFF_LINES {
                    text.push_str(&format!(
                        "    ... {} more lines\n",
                        lines.len() - MAX_DIFF_LINES
                    ));
                }
            }
        }
    }
    text.push_str(&format!(
        "generated/ is stale ({} file{}). Run `cargo xtask codegen` and commit the result; never edit generated/ by hand.",
        stale.len(),
        if stale.len() == 1 { "" } else { "s" }
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn write_then_check_is_clean_and_edits_are_reported() {
        let root = tempfile::tempdir().unwrap();
        let owned = Path::new("generated");
        let mark = format!("// {GENERATED_MARK} from x.\n");
        let lib = format!("{mark}a\n");
        let files = vec![
            file("generated/src/lib.rs", &lib),
            file(
                "generated/Cargo.toml",
                &format!("# {GENERATED_MARK} from y.\nb\n"),
            ),
        ];
        // A hand-written file beside them is none of the generator's business.
        fs::create_dir_all(root.path().join("generated/src")).unwrap();
        fs::write(root.path().join("generated/src/runtime.rs"), "// by hand\n").unwrap();
        assert_eq!(write(root.path(), owned, &files).unwrap(), 2);
        assert_eq!(check(root.path(), owned, &files).unwrap(), Vec::new());
        assert_eq!(
            write(root.path(), owned, &files).unwrap(),
            0,
            "nothing rewritten when unchanged"
        );

        fs::write(
            root.path().join("generated/src/lib.rs"),
            format!("{mark}edited\n"),
        )
        .unwrap();
        fs::write(root.path().join("generated/src/old.rs"), format!("{mark}x")).unwrap();
        fs::write(
            root.path().join("generated/src/runtime.rs"),
            "// by hand, edited\n",
        )
        .unwrap();
        fs::remove_file(root.path().join("generated/Cargo.toml")).unwrap();
        let stale = check(root.path(), owned, &files).unwrap();
        assert_eq!(stale.len(), 3, "{stale:?}");
        let text = report(&stale);
        assert!(text.contains("out of date: generated/src/lib.rs"), "{text}");
        assert!(text.contains("-edited"), "{text}");
        assert!(text.contains("+a"), "{text}");
        assert!(text.contains("missing: generated/Cargo.toml"), "{text}");
        assert!(
            text.contains("not produced by the generator any more: generated/src/old.rs"),
            "{text}"
        );
        assert!(text.ends_with(
            "Run `cargo xtask codegen` and commit the result; never edit generated/ by hand."
        ));

        write(root.path(), owned, &files).unwrap();
        assert!(!root.path().join("generated/src/old.rs").exists());
        assert_eq!(check(root.path(), owned, &files).unwrap(), Vec::new());
        assert_eq!(
            fs::read_to_string(root.path().join("generated/src/runtime.rs")).unwrap(),
            "// by hand, edited\n",
            "hand-written files are left alone"
        );
    }

    #[test]
    fn line_endings_converted_by_a_checkout_are_not_a_change() {
        let root = tempfile::tempdir().unwrap();
        let owned = Path::new("generated");
        let contents = format!("// {GENERATED_MARK} from x.\nfn a() {{}}\n");
        let files = vec![file("generated/src/lib.rs", &contents)];
        fs::create_dir_all(root.path().join("generated/src")).unwrap();
        fs::write(
            root.path().join("generated/src/lib.rs"),
            contents.replace('\n', "\r\n"),
        )
        .unwrap();
        assert_eq!(check(root.path(), owned, &files).unwrap(), Vec::new());
        assert_eq!(write(root.path(), owned, &files).unwrap(), 0);
    }
}
