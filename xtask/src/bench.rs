//! The benchmarks: `cargo xtask bench-codegen` (how long codegen takes, for the real versions
//! and a synthetic version fifty times larger, and how long import takes for a file of the size
//! HubSpot publishes; run it on a release build:
//! `cargo run --release -p xtask -- bench-codegen`) and `cargo xtask bench-client` (the
//! client's throughput against a plain reqwest call, and its instructions per request).
//! Every figure is compared with a baseline measured in the same run.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bump::rewrite_path;
use crate::codegen::{Inputs, run};
use crate::document::SCHEMA_REF;
use crate::load::{self, Spec, SpecSource};
use crate::rust_types::RUNTIME_TYPES;
use crate::{audit, import};

/// How many times each case runs; the median is reported.
const ITERATIONS: usize = 15;
/// How many copies of the newest version the synthetic version holds.
pub const COPIES: usize = 50;

/// The synthetic spec: `copies` copies of every path and schema of `source`, each copy's
/// paths, operationIds and schema names suffixed, so that the result is one valid version
/// `copies` times the size.
pub fn enlarge(source: &SpecSource, copies: usize) -> Result<SpecSource, String> {
    let original: Value = serde_norway::from_str(&source.text).map_err(|e| e.to_string())?;
    let mut spec = original.clone();
    let paths = original["paths"]
        .as_object()
        .ok_or("the spec has no paths")?;
    let schemas = original["components"]["schemas"]
        .as_object()
        .ok_or("the spec has no schemas")?;
    let kept: Vec<&str> = RUNTIME_TYPES.iter().map(|(name, _)| *name).collect();
    // The first copy keeps the original names, which shared components (the `Error`
    // response) refer to.
    let rename = |name: &str, copy: usize| {
        if copy == 0 || kept.contains(&name) {
            name.to_owned()
        } else {
            format!("{name}Copy{copy}")
        }
    };
    let mut all_paths = serde_json::Map::new();
    let mut all_schemas = serde_json::Map::new();
    for copy in 0..copies {
        let retarget = |value: &Value| -> Value {
            let mut text = value.to_string();
            for name in schemas.keys() {
                let from = format!("\"{SCHEMA_REF}{name}\"");
                let to = format!("\"{SCHEMA_REF}{}\"", rename(name, copy));
                text = text.replace(&from, &to);
            }
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        for (path, item) in paths {
            let mut item = retarget(item);
            for operation in item
                .as_object_mut()
                .into_iter()
                .flat_map(|ops| ops.values_mut())
            {
                if let Some(Value::String(id)) = operation.get_mut("operationId") {
                    *id = format!("{id}_copy{copy}");
                }
            }
            let marker = format!("/{}/", source.version);
            let copied = path.replacen(&marker, &format!("{marker}copy{copy}/"), 1);
            all_paths.insert(copied, item);
        }
        for (name, schema) in schemas {
            if copy == 0 || !kept.contains(&name.as_str()) {
                all_schemas.insert(rename(name, copy), retarget(schema));
            }
        }
    }
    spec["paths"] = Value::Object(all_paths);
    spec["components"]["schemas"] = Value::Object(all_schemas);
    Ok(SpecSource {
        version: source.version.clone(),
        path: source.path.clone(),
        text: serde_norway::to_string(&spec).map_err(|e| e.to_string())?,
    })
}

/// The newest version alone, and `copies` of it as one synthetic version.
fn cases(inputs: &Inputs, copies: usize) -> Result<(Inputs, Inputs), String> {
    let newest = inputs.specs.last().ok_or("there is no version")?;
    let one = Inputs {
        specs: vec![newest.clone()],
        ..inputs.clone()
    };
    // Its operations are renamed copies: the lock of the real ones does not apply.
    let large = Inputs {
        specs: vec![enlarge(newest, copies)?],
        operations_lock: String::new(),
        ..inputs.clone()
    };
    Ok((one, large))
}

fn median_time(inputs: &Inputs) -> Result<Duration, String> {
    median(|| {
        let files = run(inputs).map_err(|problems| problems.to_string())?;
        std::hint::black_box(files);
        Ok(())
    })
}

/// `newest` as HubSpot publishes version `version`: JSON, every path's version rewritten,
/// operationIds that embed another version's path, `example: null` in every schema, and
/// `padding` more operations, copies of its own under CRM object paths (out of scope for
/// import), as HubSpot's files carry object operations beside the associations API.
pub fn hubspot_shaped(newest: &Spec, version: &str, padding: usize) -> Value {
    fn null_examples(value: &mut Value) {
        match value {
            Value::Object(map) => {
                let is_schema = map.contains_key("type") || map.contains_key("properties");
                map.values_mut().for_each(null_examples);
                if is_schema {
                    map.insert("example".into(), Value::Null);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(null_examples),
            _ => {}
        }
    }
    let ours: Vec<(&String, &Value)> = newest.raw["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .collect();
    let mut paths = serde_json::Map::new();
    let copies = ours
        .iter()
        .map(|item| (0, item))
        .chain((0..padding).map(|index| {
            (
                1 + index / ours.len().max(1),
                &ours[index % ours.len().max(1)],
            )
        }));
    for (copy, (path, item)) in copies {
        let moved = rewrite_path(path, &newest.version, version);
        // A copy under `/crm/objects/<version>/padding<n>/`, without `associations`.
        let moved = match copy {
            0 => moved,
            _ => format!(
                "/crm/objects/{version}/padding{copy}{}",
                moved
                    .split_once(version)
                    .map_or("", |(_, rest)| rest)
                    .replace("/associations", "/links")
            ),
        };
        let mut item = (*item).clone();
        // HubSpot's operationIds carry another version's path: here the version it came from.
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            op["operationId"] = Value::from(format!("{method}-{path}_{moved}"));
        }
        paths.insert(moved, item);
    }
    let mut document = newest.raw.clone();
    document["info"] = serde_json::json!({"title": "Associations", "version": version});
    document["paths"] = Value::Object(paths);
    null_examples(&mut document);
    document
}

/// The median time of `work`.
fn median(mut work: impl FnMut() -> Result<(), String>) -> Result<Duration, String> {
    let mut times = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        work()?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Import of a HubSpot-shaped file of about HubSpot's size (330 KB, most of it out of
/// scope) into the version after the newest, against reading the same file as JSON.
fn import_case(inputs: &Inputs) -> Result<(usize, Duration, Duration), String> {
    let source = inputs.specs.last().ok_or("there is no version")?;
    let newest = load::parse(source).map_err(|problems| problems.to_string())?;
    let year: u32 = newest
        .version
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(2026);
    let version = format!("{}-03", year + 1);
    let mut padding = 0;
    let text = loop {
        let text = serde_json::to_string_pretty(&hubspot_shaped(&newest, &version, padding))
            .map_err(|e| e.to_string())?;
        if text.len() >= 330_000 || padding > 1_000 {
            break text;
        }
        padding += 1;
    };
    let parse_time = median(|| {
        std::hint::black_box(serde_json::from_str::<Value>(&text).map_err(|e| e.to_string())?);
        Ok(())
    })?;
    let import_time = median(|| {
        let file = audit::parse_file(Path::new("hubspot.json"), &text)?;
        let imported = import::import(&import::Request {
            version: &version,
            base: &newest,
            base_text: &source.text,
            previous: Some(&newest),
            previous_text: Some(&source.text),
            hubspot: &[&file],
            tolerances: &[],
        })?;
        std::hint::black_box(imported);
        Ok(())
    })?;
    Ok((text.len(), parse_time, import_time))
}

/// Runs the benchmark and returns the figures as a table.
pub fn report(inputs: &Inputs) -> Result<String, String> {
    let newest = inputs.specs.last().ok_or("there is no version")?;
    let (one, large) = cases(inputs, COPIES)?;
    let all_time = median_time(inputs)?;
    let one_time = median_time(&one)?;
    let large_time = median_time(&large)?;
    let size = |inputs: &Inputs| inputs.specs.iter().map(|s| s.text.len()).sum::<usize>();
    let size_ratio = size(&large) as f64 / size(&one) as f64;
    let time_ratio = large_time.as_secs_f64() / one_time.as_secs_f64();
    let (import_bytes, parse_time, import_time) = import_case(inputs)?;
    let profile = if cfg!(debug_assertions) {
        "debug (use --release for the real figures)"
    } else {
        "release"
    };
    Ok(format!(
        "codegen benchmark, {profile} build, median of {ITERATIONS} runs of the whole pipeline (no file I/O)\n\
         | case | spec bytes | time |\n|---|---|---|\n\
         | all {} versions | {} | {:.1} ms |\n\
         | {} alone | {} | {:.1} ms |\n\
         | {} x{COPIES} (synthetic) | {} | {:.1} ms |\n\
         growth: the synthetic spec is {size_ratio:.1}x the size and takes {time_ratio:.1}x the time \
         ({:.2}x time per byte)\n\n\
         import of a HubSpot-shaped file of {import_bytes} bytes into the version after {}: {:.1} ms, \
         {:.1}x the {:.1} ms of reading the same file as JSON (baseline, same run)",
        inputs.specs.len(),
        size(inputs),
        all_time.as_secs_f64() * 1000.0,
        newest.version,
        size(&one),
        one_time.as_secs_f64() * 1000.0,
        newest.version,
        size(&large),
        large_time.as_secs_f64() * 1000.0,
        time_ratio / size_ratio,
        newest.version,
        import_time.as_secs_f64() * 1000.0,
        import_time.as_secs_f64() / parse_time.as_secs_f64(),
        parse_time.as_secs_f64() * 1000.0,
    ))
}

/// The throughput benchmark, then instruction counts of each client under callgrind.
pub fn client_report(root: &Path) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let bench = [
        "bench",
        "-q",
        "-p",
        "integration",
        "--bench",
        "client_throughput",
    ];
    let status = Command::new(&cargo)
        .args(bench)
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("the throughput benchmark failed".into());
    }
    let built = Command::new(&cargo)
        .args(bench)
        .args(["--no-run", "--message-format=json"])
        .current_dir(root)
        .output()
        .map_err(|e| e.to_string())?;
    let executable = String::from_utf8_lossy(&built.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|message| message["executable"].as_str().map(str::to_owned))
        .ok_or("the benchmark binary was not found")?;
    let mut counts = Vec::new();
    for client in ["plain", "ours"] {
        let output = Command::new("valgrind")
            .args([
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                &executable,
                "--only",
                client,
            ])
            .output()
            .map_err(|e| {
                format!("valgrind cannot be run ({e}); install it to count instructions")
            })?;
        let text = String::from_utf8_lossy(&output.stderr);
        let collected = text
            .lines()
            .find_map(|line| line.split("Collected : ").nth(1))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("callgrind printed no count:\n{text}"))?;
        counts.push(collected);
    }
    Ok(format!(
        "instructions for 3,000 sequential requests (client and server, counted by callgrind):\n\
         | client | instructions |\n|---|---|\n\
         | reqwest + serde_json (baseline) | {:.0} |\n\
         | hubspot-associations | {:.0} |\n\
         the client costs {:.0} more instructions per request: {:.3}x the baseline's instructions",
        counts[0],
        counts[1],
        (counts[1] - counts[0]) / 3_000.0,
        counts[1] / counts[0]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_of_the_benchmark_generates() {
        let inputs =
            Inputs::read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap();
        let (one, large) = cases(&inputs, 2).unwrap();
        for case in [&inputs, &one, &large] {
            run(case).map_err(|problems| problems.to_string()).unwrap();
        }
    }

    #[test]
    fn the_enlarged_spec_is_a_valid_version_with_every_copy() {
        let text = r#"
openapi: 3.0.3
info: {title: t, version: '2026-03', x-hubspot-lifecycle: {status: beta}}
paths:
  /crm/objects/2026-03/things:
    get:
      operationId: list
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Page'}
              example: {id: '1'}
components:
  schemas:
    ObjectId: {type: string, description: An id.}
    Page:
      type: object
      description: A page.
      properties:
        id: {$ref: '#/components/schemas/ObjectId'}
"#;
        let source = SpecSource {
            version: "2026-03".into(),
            path: "spec/2026-03/openapi.yaml".into(),
            text: text.into(),
        };
        let large = enlarge(&source, 3).unwrap();
        let spec = crate::load::parse(&large).unwrap();
        assert!(crate::validate::check(&spec).is_empty());
        let api = serde_json::to_value(&spec.api).unwrap();
        assert_eq!(api["paths"].as_object().unwrap().len(), 3);
        assert_eq!(
            api["paths"]["/crm/objects/2026-03/copy2/things"]["get"]["operationId"],
            "list_copy2"
        );
        let schemas = api["components"]["schemas"].as_object().unwrap();
        assert_eq!(schemas.len(), 4, "three pages and the one shared ObjectId");
        assert_eq!(
            api["components"]["schemas"]["PageCopy1"]["properties"]["id"]["$ref"],
            "#/components/schemas/ObjectId"
        );
    }
}
