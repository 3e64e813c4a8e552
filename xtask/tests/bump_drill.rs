//! The bump drill: HubSpot's next versions, made the way the README says, in a scratch copy of
//! the workspace. The newest version is bumped twice, to two far-future versions, and given an
//! edit of every kind HubSpot makes: an operation removed (and declared), an operation added, a
//! success code changed, fields added (to a request and to a response), and a documented integer
//! narrowed (a count, which narrows the Rust type, and an epoch-milliseconds timestamp, which
//! normalization keeps 64-bit). Then codegen, the crate with only the new versions, the CLI's
//! `--dry-run` on the newest, and the diff of each step are checked. Nothing outside `spec/` is
//! edited: if a bump needed more, this test would fail, and that would be the bug.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{copy_dir, root_with_specs, stderr, workspace, xtask};
use xtask::load::read_specs;

const FIRST: &str = "2099-03";
const SECOND: &str = "2099-09";

fn spec_path(root: &Path, version: &str) -> std::path::PathBuf {
    root.join(format!("spec/{version}/openapi.yaml"))
}

/// Replaces the one occurrence of `from` after `anchor` in `text`.
fn replace_after(text: &str, anchor: &str, from: &str, to: &str) -> String {
    let start = text
        .find(anchor)
        .unwrap_or_else(|| panic!("`{anchor}` is not in the spec"));
    let at = start
        + text[start..]
            .find(from)
            .unwrap_or_else(|| panic!("`{from}` does not follow `{anchor}`"));
    format!("{}{to}{}", &text[..at], &text[at + from.len()..])
}

/// The first bump's edits: one of every kind but the narrowing.
fn first_edits(text: &str, version: &str) -> String {
    // An operation removed, and declared with a note for programs that used it.
    let removed = format!(
        "  /crm/associations/{version}/{{fromObjectType}}/{{toObjectType}}/labels/{{associationTypeId}}:\n"
    );
    let start = text.find(&removed).expect("delete_label's path");
    let end = start + removed.len() + text[start + removed.len()..].find("\n  /").unwrap() + 1;
    let mut text = format!("{}{}", &text[..start], &text[end..]);
    text = text.replacen(
        "  x-hubspot-lifecycle:\n    status: beta\n",
        "  x-hubspot-lifecycle:\n    status: beta\n  x-removed-operations:\n    delete_label: Labels can no longer be deleted; archive their associations instead.\n",
        1,
    );
    // An operation added, with its examples.
    text = text.replacen(
        "components:\n",
        &format!(
            "  /crm/associations/{version}/{{fromObjectType}}/{{toObjectType}}/labels/usage:
    get:
      operationId: list_label_usage
      tags: [Definitions]
      summary: List the labels in use
      description: Lists the association labels between two object types that records use.
      parameters:
        - $ref: '#/components/parameters/fromObjectType'
        - $ref: '#/components/parameters/toObjectType'
      responses:
        '200':
          description: The labels in use.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/CollectionResponseAssociationSpecWithLabelNoPaging'
              example: {{\"results\": [{{\"category\": \"USER_DEFINED\", \"typeId\": 37, \"label\": \"Billing contact\"}}]}}
        default:
          $ref: '#/components/responses/Error'
components:\n"
        ),
        1,
    );
    // A success code changed.
    text = replace_after(
        &text,
        "      operationId: create\n",
        "        '201':",
        "        '200':",
    );
    // A response field added, a request field added, and a 64-bit count for the next bump.
    text = replace_after(
        &text,
        "    LabelsBetweenObjectPair:\n",
        "      properties:\n",
        "      properties:\n        createdAt:\n          type: string\n          format: date-time\n          description: When the association was made.\n",
    );
    text = replace_after(
        &text,
        "    PublicAssociationDefinitionCreateRequest:\n",
        "      properties:\n",
        "      properties:\n        description:\n          type: string\n          description: What the label means.\n",
    );
    replace_after(
        &text,
        "    BatchResponseVoid:\n",
        "      properties:\n",
        "      properties:\n        numProcessed:\n          type: integer\n          format: int64\n          description: The number of inputs processed.\n",
    )
}

/// The second bump's edits: a count narrowed to 32 bits, and the epoch-milliseconds timestamp
/// documented as 32-bit (as HubSpot did in 2026-09), wherever the newest version has it.
fn second_edits(text: &str) -> String {
    let text = replace_after(
        text,
        "        numProcessed:\n",
        "          format: int64\n",
        "          format: int32\n",
    );
    let start = text.find("\n    DateTime:\n").expect("the DateTime schema") + 1;
    // The schema ends where the next line indented like its name begins.
    let end = text[start..]
        .match_indices("\n    ")
        .map(|(at, _)| start + at)
        .find(|&at| !text[at + 5..].starts_with(' '))
        .unwrap_or(text.len());
    let date_time = &text[start..end];
    if date_time.contains("format: int64") {
        return text.replacen(
            date_time,
            &date_time.replace("format: int64", "format: int32"),
            1,
        );
    }
    text
}

fn bump(root: &Path, from: &str, to: &str, edit: impl Fn(&str) -> String) {
    let output = xtask(root, &["bump", from, to]);
    assert!(output.status.success(), "{}", stderr(&output));
    let steps = String::from_utf8_lossy(&output.stdout);
    for step in [
        "x-removed-operations",
        "example",
        "cargo xtask codegen",
        &format!("cargo xtask diff {from} {to}"),
    ] {
        assert!(
            steps.contains(step),
            "the checklist does not mention {step}:\n{steps}"
        );
    }
    let path = spec_path(root, to);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(&text)).unwrap();
}

fn diff(root: &Path, from: &str, to: &str) -> Vec<(String, String, String)> {
    let output = xtask(root, &["diff", from, to, "--json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "breaking changes exit 1: {}",
        stderr(&output)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (report["from"].as_str(), report["to"].as_str()),
        (Some(from), Some(to))
    );
    assert_eq!(report["breaking"], true);
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap().to_owned();
            (text("impact"), text("subject"), text("detail"))
        })
        .collect()
}

fn assert_reported(
    changes: &[(String, String, String)],
    impact: &str,
    subject: &str,
    detail: &str,
) {
    assert!(
        changes
            .iter()
            .any(|(i, s, d)| i == impact && s == subject && d.contains(detail)),
        "not reported: {impact} {subject}: {detail}\n{changes:#?}"
    );
}

/// A scratch workspace around `root`: the generated crate, the CLI and the fake, as a cargo
/// workspace of their own that builds offline with the real lock file.
fn scratch_workspace(root: &Path) {
    let manifest = fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let members = manifest
        .lines()
        .find(|line| line.starts_with("members"))
        .unwrap();
    fs::write(
        root.join("Cargo.toml"),
        manifest.replace(
            members,
            "members = [\"generated\", \"cli\", \"fake-hubspot\"]",
        ),
    )
    .unwrap();
    fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    for crate_dir in ["cli", "fake-hubspot"] {
        copy_dir(&workspace().join(crate_dir), &root.join(crate_dir));
    }
}

fn cargo(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", workspace().join("target/bump-drill"))
        .output()
        .unwrap()
}

#[test]
fn a_bump_with_every_kind_of_edit_needs_nothing_outside_spec() {
    let root = root_with_specs(&workspace().join("spec"));
    let root = root.path();
    fs::create_dir_all(root.join("generated")).unwrap();
    fs::copy(
        workspace().join("generated/operations.lock"),
        root.join("generated/operations.lock"),
    )
    .unwrap();
    let newest = read_specs(root, Path::new("spec"))
        .unwrap()
        .last()
        .unwrap()
        .version
        .clone();

    bump(root, &newest, FIRST, |text| first_edits(text, FIRST));
    // Before the removal is declared, codegen refuses: a bump cannot drop an operation by mistake.
    let declared = fs::read_to_string(spec_path(root, FIRST)).unwrap();
    fs::write(
        spec_path(root, FIRST),
        declared.replace("    delete_label: Labels", "    delete_lable: Labels"),
    )
    .unwrap();
    let refused = xtask(root, &["codegen"]);
    assert_eq!(refused.status.code(), Some(1));
    let text = stderr(&refused);
    assert!(
        text.contains("the operation `delete_label` of version"),
        "{text}"
    );
    assert!(
        text.contains("`delete_lable` is listed as removed, but version"),
        "{text}"
    );
    fs::write(spec_path(root, FIRST), declared).unwrap();

    bump(root, FIRST, SECOND, second_edits);
    let output = xtask(root, &["codegen"]);
    assert!(output.status.success(), "{}", stderr(&output));

    // The diff of each step reports each edit, with its impact.
    let first = diff(root, &newest, FIRST);
    assert_reported(
        &first,
        "breaking",
        "operation delete_label",
        "removed (was `DELETE",
    );
    assert_reported(
        &first,
        "breaking",
        "operation delete_label",
        "Labels can no longer be deleted",
    );
    assert_reported(
        &first,
        "compatible",
        "operation list_label_usage",
        &format!("added: `GET /crm/associations/{FIRST}/"),
    );
    assert_reported(
        &first,
        "behaviour",
        "operation create",
        "programs that check `status()` see 200 where they saw 201",
    );
    assert_reported(
        &first,
        "compatible",
        "schema LabelsBetweenObjectPair",
        "field `createdAt` (`Option<DateTime<Utc>>`) added",
    );
    assert_reported(
        &first,
        "breaking",
        "schema PublicAssociationDefinitionCreateRequest",
        "code that builds this request must set it",
    );
    let second = diff(root, FIRST, SECOND);
    assert_reported(
        &second,
        "breaking",
        "schema BatchResponseVoid",
        "field `numProcessed` retyped from `Option<i64>` to `Option<i32>`",
    );
    assert!(
        !second
            .iter()
            .any(|(_, subject, _)| subject == "schema DateTime"),
        "the timestamp stays 64-bit: {second:#?}"
    );

    // The generated crate: the new modules, their docs, and the registry.
    let generated = root.join("generated");
    let module = |version: &str| {
        let module = format!("v{}", version.replace('-', "_"));
        fs::read_to_string(generated.join(format!("src/{module}/mod.rs"))).unwrap()
    };
    assert!(module(FIRST).contains(&format!("//! # Changes from {newest}")));
    assert!(module(SECOND).contains("pub async fn list_label_usage("));
    assert!(!module(SECOND).contains("pub async fn delete_label("));
    let registry = fs::read_to_string(generated.join("src/versions.rs")).unwrap();
    assert!(registry.contains(&format!("=> \"{SECOND}\"")), "{registry}");
    let types =
        fs::read_to_string(generated.join(format!("src/v{}/types.rs", SECOND.replace('-', "_"))))
            .unwrap();
    assert!(
        types.contains("pub value: i64,"),
        "DateTime.value decodes epoch milliseconds"
    );

    // The crate compiles with only the new versions, and the CLI runs a dry run on the newest.
    scratch_workspace(root);
    let features = format!("v{},v{}", FIRST.replace('-', "_"), SECOND.replace('-', "_"));
    let check = cargo(
        root,
        &[
            "check",
            "--offline",
            "--quiet",
            "-p",
            "hubspot-associations",
            "--no-default-features",
            "--features",
            &features,
        ],
    );
    assert!(check.status.success(), "{}", stderr(&check));
    fs::write(
        root.join("pairs.csv"),
        "from_id,to_id\n29851,5790939450\n1;10\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut all = vec![
            "run",
            "--offline",
            "--quiet",
            "-p",
            "hubspot-associations-cli",
            "--",
        ];
        all.extend_from_slice(args);
        cargo(root, &all)
    };
    let help = run(&["associate", "--help"]);
    let help_text = String::from_utf8_lossy(&help.stdout);
    assert!(
        help_text.contains(&format!("{SECOND} (beta)")),
        "{help_text}{}",
        stderr(&help)
    );
    let dry = run(&[
        "associate",
        "--from",
        "contacts",
        "--to",
        "companies",
        "--input",
        "pairs.csv",
        "--api-version",
        SECOND,
        "--dry-run",
        "--no-progress",
    ]);
    let said = format!("{}{}", String::from_utf8_lossy(&dry.stdout), stderr(&dry));
    assert!(said.contains(SECOND), "the plan names the version:\n{said}");
    assert!(
        said.contains("line 3"),
        "the bad row is reported by its line:\n{said}"
    );
}
