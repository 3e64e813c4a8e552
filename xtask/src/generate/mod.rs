//! Stage 5: produce every file of the generated crate from the model and the templates.

mod client;
mod constructors;
pub mod models;
mod pager_tests;
pub mod registry;

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;

use crate::association_types::{self, AssociationType};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::diff;
use crate::format::{header, rust_file};
use crate::model::Version;
use crate::output::OutputFile;
use crate::parallel;
use crate::rust_types::TypifyCode;

/// Where the generated crate lives, relative to the workspace root.
pub const CRATE_DIR: &str = "generated";
/// Every operation of every version, as the last codegen saw them.
pub const OPERATIONS_LOCK: &str = "generated/operations.lock";

/// The templates of the crate's generated files, as read from `templates/`. The runtime is
/// ordinary source in `generated/src`, which codegen neither reads nor writes.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// `templates/Cargo.toml`: the manifest, ending with its `[features]` table.
    pub manifest: String,
    /// `templates/README.md`: the crate's README and crate-level docs.
    pub readme: String,
    /// `templates/MIGRATION.md`: the introduction of the migration guide.
    pub migration: String,
}

/// Every file of the generated crate, given the `types` module of each version (written on the
/// thread that modelled it: see [`types_module`]). The Rust files are made each on a thread of
/// their own.
pub fn crate_files(
    versions: &[Version],
    types_modules: Vec<Result<OutputFile, Diagnostic>>,
    types: &[AssociationType],
    templates: &Templates,
) -> Result<Vec<OutputFile>, Diagnostics> {
    let mut problems = Diagnostics::default();
    let mut files = vec![
        manifest(versions, templates)
            .map_err(|d| problems.push(d))
            .ok(),
        Some(readme(versions, templates)),
        migration(versions, templates),
        Some(operations_lock(versions)),
    ];
    let mut rust_files = vec![
        RustFile::Registry,
        RustFile::DecodingTests,
        RustFile::PagerTests,
        RustFile::AssociationTypeIds,
    ];
    rust_files.extend((0..versions.len()).map(RustFile::Client));
    let written = parallel::map(&rust_files, |file| file.write(versions, types));
    for (file, found) in written {
        files.push(file);
        for problem in found {
            problems.push(problem);
        }
    }
    for module in types_modules {
        files.push(module.map_err(|problem| problems.push(problem)).ok());
    }
    problems.into_result(files.into_iter().flatten().collect())
}

/// The files of the crate made from tokens, which codegen writes whole.
#[derive(Clone, Copy)]
enum RustFile {
    /// `src/versions.rs`
    Registry,
    /// `tests/decoding/versions.rs`
    DecodingTests,
    /// `tests/pagers/versions.rs`
    PagerTests,
    /// `src/association_types/ids.rs`
    AssociationTypeIds,
    /// `src/<version>/mod.rs` of the version at this index.
    Client(usize),
}

impl RustFile {
    /// The file, formatted, and any problem found making it.
    fn write(
        self,
        versions: &[Version],
        types: &[AssociationType],
    ) -> (Option<OutputFile>, Vec<Diagnostic>) {
        const SPECS: &str = "spec/*/openapi.yaml";
        let mut found = Vec::new();
        // Where, from which sources, its tokens, any text printed after them (macros
        // prettyplease cannot print), and what it is, for a problem.
        let (path, sources, tokens, after, what) = match self {
            Self::Registry => (
                PathBuf::from("src/versions.rs"),
                SPECS.to_owned(),
                registry::registry(versions),
                registry::macros(versions),
                "the version registry",
            ),
            Self::DecodingTests => (
                PathBuf::from("tests/decoding/versions.rs"),
                SPECS.to_owned(),
                client::decoding_tests_file(versions),
                String::new(),
                "the property tests",
            ),
            Self::PagerTests => {
                let (tokens, untestable) = pager_tests::pager_tests_file(versions);
                found = untestable;
                (
                    PathBuf::from("tests/pagers/versions.rs"),
                    SPECS.to_owned(),
                    tokens,
                    String::new(),
                    "the pager tests",
                )
            }
            Self::AssociationTypeIds => (
                PathBuf::from("src/association_types/ids.rs"),
                association_types::TABLE.to_owned(),
                association_types::ids(types),
                String::new(),
                "the association type constants",
            ),
            Self::Client(index) => {
                let version = &versions[index];
                let previous = index.checked_sub(1).map(|before| {
                    let before = &versions[before];
                    (before.name.as_str(), diff::diff(before, version))
                });
                (
                    Path::new("src").join(&version.module).join("mod.rs"),
                    source_name(version),
                    client::client(version, previous),
                    String::new(),
                    "the generated client",
                )
            }
        };
        let file = match syn::parse2(tokens) {
            Ok(file) => Some(OutputFile {
                path: Path::new(CRATE_DIR).join(path),
                contents: rust_file(&header("//", &sources), file) + &after,
            }),
            Err(error) => {
                found.push(Diagnostic::new(
                    Path::new(&sources),
                    "",
                    format!("{what} do not parse as Rust: {error}"),
                    "this is a generator bug; report it with its sources",
                ));
                None
            }
        };
        (file, found)
    }
}

/// The spec a version's files are generated from, as their header names it.
fn source_name(version: &Version) -> String {
    version.source.to_string_lossy().replace('\\', "/")
}

/// The `types` module of a version, from the model and the code typify wrote for it.
pub fn types_module(version: &Version, code: TypifyCode) -> Result<OutputFile, Diagnostic> {
    let file = models::models(version, code).map_err(|error| {
        Diagnostic::new(
            &version.source,
            "",
            format!("the generated models do not parse as Rust: {error}"),
            "this is a generator bug; report it with the spec that causes it",
        )
    })?;
    Ok(OutputFile {
        path: Path::new(CRATE_DIR)
            .join("src")
            .join(&version.module)
            .join("types.rs"),
        contents: rust_file(&header("//", &source_name(version)), file),
    })
}

/// A test module of one version, behind its feature, named after it; a version with an end
/// of support uses its deprecated client without warnings.
pub(crate) fn version_test_module(version: &Version, body: TokenStream) -> TokenStream {
    let module = quote::format_ident!("{}", version.module);
    let feature = &version.module;
    let allow_deprecated = version
        .is_deprecated()
        .then(|| quote!(#[allow(deprecated)]));
    quote! {
        #[cfg(feature = #feature)]
        #allow_deprecated
        mod #module {
            #body
        }
    }
}

/// Doc attributes, one per line, so that they print as `///` comments.
pub(crate) fn docs(text: &str) -> TokenStream {
    doc_lines(text, false)
}

/// Inner doc attributes, one per line, so that they print as `//!` comments.
pub(crate) fn inner_docs(text: &str) -> TokenStream {
    doc_lines(text, true)
}

/// Each line a doc attribute with a space after the `///` (or `//!`), as people write them,
/// prose wrapped to [`DOC_WIDTH`].
fn doc_lines(text: &str, inner: bool) -> TokenStream {
    let lines = wrapped(text.trim()).into_iter().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        if inner {
            quote!(#![doc = #line])
        } else {
            quote!(#[doc = #line])
        }
    });
    quote!(#(#lines)*)
}

/// The longest line of prose in a doc comment: 100 columns, less the `/// ` and two levels
/// of indentation (a method of an `impl` in a module).
const DOC_WIDTH: usize = 100 - 4 - 8;

/// The lines of a doc text, each paragraph and list item of its prose flowed and wrapped at
/// spaces to [`DOC_WIDTH`] (a list item's continuation indented under its text), never inside
/// a code span; code blocks, tables, headings and blank lines as they are, and a word longer
/// than the width (a URL, a signature) on a line of its own.
pub(crate) fn wrapped(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    // The prose block being gathered: its first line's indent, its continuation's, its text.
    let mut block: Option<(usize, usize, String)> = None;
    let mut in_code = false;
    for line in text.lines() {
        let line = line.trim_end();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence = trimmed.starts_with("```");
        if in_code
            || fence
            || trimmed.is_empty()
            || trimmed.starts_with('|')
            || trimmed.starts_with('#')
        {
            lines.extend(block.take().map(flowed).into_iter().flatten());
            lines.push(line.to_owned());
            in_code ^= fence;
            continue;
        }
        // A list item's marker (`-`, `*`, `1.`): its text is where the continuation goes.
        let marker = trimmed
            .split_once(' ')
            .map(|(first, _)| first)
            .filter(|first| {
                matches!(*first, "-" | "*")
                    || first
                        .strip_suffix('.')
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
        let item = marker.is_some();
        match &mut block {
            Some((_, hanging, text)) if !item && indent == *hanging => {
                text.push(' ');
                text.push_str(trimmed);
            }
            _ => {
                lines.extend(block.take().map(flowed).into_iter().flatten());
                let hanging = indent + marker.map_or(0, |marker| marker.len() + 1);
                block = Some((indent, hanging, trimmed.to_owned()));
            }
        }
    }
    lines.extend(block.take().map(flowed).into_iter().flatten());
    lines
}

/// A block of prose as lines of at most [`DOC_WIDTH`]: the first indented by `indent`, the
/// others by `hanging`.
fn flowed((indent, hanging, text): (usize, usize, String)) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = " ".repeat(indent);
    let mut start = indent;
    for word in words(&text) {
        let width = current.chars().count();
        if width > start && width + 1 + word.chars().count() > DOC_WIDTH {
            lines.push(std::mem::take(&mut current));
            current = " ".repeat(hanging);
            start = hanging;
        }
        if current.chars().count() > start {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

/// The words of a line, split at spaces outside code spans.
fn words(line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let (mut start, mut in_span) = (0, false);
    for (at, byte) in line.bytes().enumerate() {
        match byte {
            b'`' => in_span = !in_span,
            b' ' if !in_span => {
                if at > start {
                    words.push(&line[start..at]);
                }
                start = at + 1;
            }
            _ => {}
        }
    }
    if start < line.len() {
        words.push(&line[start..]);
    }
    words
}

/// `operations.lock`: every operation of every version, so that the next codegen can tell an
/// operation dropped by an edit from one removed on purpose.
fn operations_lock(versions: &[Version]) -> OutputFile {
    let mut text = header("#", "spec/*/openapi.yaml");
    text.push_str("# Every operation of every version: codegen refuses a spec edit that drops one silently.\n");
    for version in versions {
        let mut ids: Vec<&str> = version.operations.iter().map(|op| op.id.as_str()).collect();
        ids.sort_unstable();
        for id in ids {
            text.push_str(&format!("{}\t{id}\n", version.name));
        }
    }
    OutputFile {
        path: PathBuf::from(OPERATIONS_LOCK),
        contents: text,
    }
}

/// The version moved to by the migration guide: the newest generally available version, or
/// the newest.
fn migration_target(versions: &[Version]) -> Option<&Version> {
    versions
        .iter()
        .rev()
        .find(|v| v.lifecycle.stage == crate::model::Stage::GenerallyAvailable)
        .or(versions.last())
}

/// `MIGRATION.md`: the template's introduction, then what changes from each legacy version to
/// the newest generally available one.
fn migration(versions: &[Version], templates: &Templates) -> Option<OutputFile> {
    let target = migration_target(versions)?;
    let mut text = format!(
        "<!-- {}-->\n\n{}\n",
        header("", "templates/MIGRATION.md and spec/*/openapi.yaml")
            .replace('\n', " ")
            .trim_start(),
        templates
            .migration
            .trim_end()
            .replace("{target_module}", &target.module)
    );
    for legacy in versions
        .iter()
        .filter(|v| v.name.starts_with('v') && v.name != target.name)
    {
        let listing = diff::markdown(&diff::report(legacy, target), 2);
        text.push('\n');
        text.push_str(&listing);
    }
    Some(OutputFile {
        path: PathBuf::from(CRATE_DIR).join("MIGRATION.md"),
        contents: text,
    })
}

/// The template manifest with one feature per version appended to its `[features]` table.
fn manifest(versions: &[Version], templates: &Templates) -> Result<OutputFile, Diagnostic> {
    let path = PathBuf::from(CRATE_DIR).join("Cargo.toml");
    let last_table = templates.manifest.lines().rfind(|l| l.starts_with('['));
    if last_table != Some("[features]") {
        return Err(Diagnostic::new(
            Path::new("templates/Cargo.toml"),
            "",
            "the manifest template does not end with its `[features]` table",
            "move `[features]` to the end of templates/Cargo.toml: the generator appends one feature per version to it",
        ));
    }
    let modules: Vec<String> = versions
        .iter()
        .map(|v| format!("\"{}\"", v.module))
        .collect();
    let mut contents = format!(
        "{}\n{}",
        header("#", "templates/Cargo.toml and spec/*/openapi.yaml"),
        templates.manifest.trim_end()
    );
    contents.push_str("\n# Every API version, one feature each.\n");
    contents.push_str(&format!("all-versions = [{}]\n", modules.join(", ")));
    for version in versions {
        contents.push_str(&format!("{} = []\n", version.module));
    }
    Ok(OutputFile { path, contents })
}

/// The template README followed by the table of versions.
fn readme(versions: &[Version], templates: &Templates) -> OutputFile {
    let mut text = format!(
        "<!-- {}-->\n\n{}",
        header("", "templates/README.md and spec/*/openapi.yaml")
            .replace('\n', " ")
            .trim_start(),
        templates.readme.trim_end()
    );
    text.push_str("\n\n## Versions\n\n| HubSpot version | module and cargo feature | status | end of support | operations |\n|---|---|---|---|---|\n");
    for version in versions {
        text.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            version.name,
            version.module,
            version.lifecycle.stage.as_str(),
            version.lifecycle.end_of_support.as_deref().unwrap_or("-"),
            version.operations.len()
        ));
    }
    text.push_str(&batch_caps(versions));
    OutputFile {
        path: PathBuf::from(CRATE_DIR).join("README.md"),
        contents: text,
    }
}

/// The README's table of batch caps: each batch operation's inputs per request in each
/// version, as its spec documents them, and what `chunk_size` does with them.
fn batch_caps(versions: &[Version]) -> String {
    let mut batch_ops: Vec<&str> = Vec::new();
    for op in versions.iter().flat_map(|v| &v.operations) {
        if op.bulk.is_some() && !batch_ops.contains(&op.id.as_str()) {
            batch_ops.push(&op.id);
        }
    }
    let mut text = String::from(
        "\n## Inputs per request\n\nThe `*_all` and `*_chunks` methods split their inputs at \
         HubSpot's cap where its spec documents one. Where it documents none, \
         `BulkOptions::chunk_size` sets the inputs per request (`bulk::DEFAULT_CHUNK` unless \
         set); it may lower a cap, never raise it.\n\n| operation |",
    );
    for version in versions {
        text.push_str(&format!(" {} |", version.name));
    }
    text.push_str(&format!("\n|---|{}\n", "---|".repeat(versions.len())));
    for id in batch_ops {
        text.push_str(&format!("| `{id}` |"));
        for version in versions {
            let cell = match version.operations.iter().find(|op| op.id == id) {
                None => "-".to_owned(),
                Some(op) => op
                    .batch_cap()
                    .map_or_else(|| "no cap".to_owned(), |cap| cap.to_string()),
            };
            text.push_str(&format!(" {cell} |"));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_wraps_at_the_width_and_code_spans_tables_and_code_stay_whole() {
        let long = format!(
            "{} `a code span with spaces` {}",
            "word ".repeat(20),
            "end ".repeat(10)
        );
        let lines = wrapped(&long);
        assert!(lines.len() > 1);
        assert!(
            lines.iter().all(|line| line.chars().count() <= DOC_WIDTH),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|line| line.contains("`a code span with spaces`"))
        );
        assert_eq!(
            lines.join(" ").split_whitespace().collect::<Vec<_>>(),
            long.split_whitespace().collect::<Vec<_>>()
        );

        let paragraph = "one two\nthree four\n\n- an item\n  goes on";
        assert_eq!(
            wrapped(paragraph),
            ["one two three four", "", "- an item goes on"]
        );

        let item = format!("- {}", "item ".repeat(30));
        let lines = wrapped(&item);
        assert!(
            lines[1..]
                .iter()
                .all(|line| line.starts_with("  ") && !line.starts_with("   "))
        );

        let kept = format!(
            "| {} |\n```\n{}\n```",
            "cell ".repeat(30),
            "code ".repeat(30)
        );
        assert_eq!(
            wrapped(&kept),
            kept.lines().map(str::trim_end).collect::<Vec<_>>()
        );
        let url = format!("see https://example.com/{}", "x".repeat(120));
        assert_eq!(wrapped(&url).len(), 2, "the URL alone on its line");
    }
}
