//! Every operation of every version, driven by the specs: the versions come from the crate's
//! registry ([`ApiVersion::ALL`]) and each operation's parameters, body and answer from the
//! examples its spec carries, so a new version or operation is covered with no test code.
//! Each trial is named for the version it exercises (`wiremock::2026-09::batch_create`).
//!
//! - `wiremock::<version>::<operation>`: the call reaches a real HTTP server on 127.0.0.1 with
//!   the exact method, path, query, `Authorization` and body, and the answer decodes into the
//!   version's type and carries every value of the example.
//! - `registry::<version>`: the registry lists exactly the spec's operations.
//! - `tolerance::<version>::<operation>`: an operation that another version answers without a
//!   body also succeeds on an empty 204 here (HubSpot has changed live success codes).
//! - `paths::<version>`: no id changes which path is requested, for every operation.
//! - `fake::<version>`: the fake HubSpot answers as the version's spec documents.
//! - `seeds::<page>`: every JSON example of the documentation pages goes through the client of
//!   the version the page documents.
//! - `prism::<version>`: Prism, serving the version's spec, accepts every request (ignored by a
//!   plain `cargo test`: it needs Prism from npm; `cargo xtask test` runs it).

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hubspot_associations::{ApiVersion, Error, Response, Transport, with_version};
use integration::specs::{self, Example, carries};
use integration::{Exchange, seeds, workspace};
use libtest_mimic::{Arguments, Failed, Trial};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use reqwest::StatusCode;
use serde_json::{Map, Value};
use tokio::runtime::Runtime;

/// Calls `operation` of `version` through `call_json`, the typed method underneath.
async fn call(
    version: ApiVersion,
    transport: Transport,
    operation: &str,
    params: &Map<String, Value>,
    body: Option<&Value>,
) -> Result<Response<Value>, Error> {
    with_version!(version, api, {
        api::Client::new(transport)
            .call_json(operation, params, body)
            .await
    })
}

/// Calls an operation with its spec's examples.
async fn call_example(
    version: ApiVersion,
    transport: Transport,
    example: &Example,
) -> Result<Response<Value>, Error> {
    call(
        version,
        transport,
        &example.operation,
        &example.params,
        example.body.as_ref(),
    )
    .await
}

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message().into())
    }
}

async fn wiremock(version: ApiVersion, example: Example) -> Result<(), Failed> {
    let exchange = Exchange {
        method: leak(&example.method),
        path: example.path.clone(),
        query: example.query.clone(),
        body: example.body.clone(),
        status: example.status,
        reply: example.reply.clone(),
    };
    let (server, transport) = exchange.serve().await;
    let answer = call_example(version, transport, &example)
        .await
        .map_err(|error| format!("{error}"))?;
    exchange.verify(&server).await;
    check(answer.http_status().as_u16() == example.status, || {
        format!(
            "status {} instead of {}",
            answer.http_status(),
            example.status
        )
    })?;
    let decoded = answer.into_inner();
    match &example.reply {
        Some(reply) => check(carries(reply, &decoded), || {
            format!("the answer lost values of the example:\nexample: {reply}\ndecoded: {decoded}")
        }),
        None => check(decoded.is_null(), || {
            format!("a body was made up: {decoded}")
        }),
    }
}

/// The method names of `Exchange` are `&'static str`; the few a run needs are leaked once.
fn leak(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "PUT" => "PUT",
        "POST" => "POST",
        "DELETE" => "DELETE",
        other => Box::leak(other.to_owned().into_boxed_str()),
    }
}

fn registry(version: ApiVersion, examples: &[Example]) -> Result<(), Failed> {
    let listed: BTreeSet<(&str, &str, &str)> = version
        .operations()
        .iter()
        .map(|op| (op.name, op.method.as_str(), op.path))
        .collect();
    let specified: BTreeSet<(&str, &str, &str)> = examples
        .iter()
        .map(|e| (e.operation.as_str(), e.method.as_str(), e.template.as_str()))
        .collect();
    check(listed == specified, || {
        format!("the registry lists {listed:?}\nthe spec has {specified:?}")
    })?;
    let spec = specs::spec(version.as_str());
    let lifecycle = &spec["info"]["x-hubspot-lifecycle"];
    check(lifecycle["status"] == version.lifecycle().as_str(), || {
        format!(
            "lifecycle {} but the spec says {}",
            version.lifecycle(),
            lifecycle["status"]
        )
    })?;
    check(
        lifecycle["end-of-support"].as_str() == version.end_of_support(),
        || {
            format!(
                "end of support {:?} but the spec says {}",
                version.end_of_support(),
                lifecycle["end-of-support"]
            )
        },
    )?;
    for name in [version.as_str(), version.module()] {
        check(name.parse::<ApiVersion>().ok() == Some(version), || {
            format!("`{name}` does not parse back")
        })?;
    }
    Ok(())
}

/// The default a program gets is the newest version whose spec says it is generally available.
fn newest_generally_available() -> Result<(), Failed> {
    let expected = ApiVersion::ALL.iter().rev().copied().find(|version| {
        specs::spec(version.as_str())["info"]["x-hubspot-lifecycle"]["status"]
            == "generally-available"
    });
    check(ApiVersion::newest_generally_available() == expected, || {
        format!(
            "{:?} instead of {expected:?}",
            ApiVersion::newest_generally_available()
        )
    })?;
    let unknown = "1999-01".parse::<ApiVersion>().expect_err("not a version");
    check(unknown.known.len() == ApiVersion::ALL.len(), || {
        format!("{unknown}")
    })
}

/// The operations some version answers with an empty 204 only.
fn bodiless_somewhere() -> BTreeSet<String> {
    ApiVersion::ALL
        .iter()
        .flat_map(|version| version.operations())
        .filter(|op| !op.success_body)
        .map(|op| op.name.to_owned())
        .collect()
}

async fn tolerance(version: ApiVersion, example: Example) -> Result<(), Failed> {
    let mut exchange = Exchange::new(leak(&example.method), example.path.clone(), 204);
    exchange.query = example.query.clone();
    exchange.body = example.body.clone();
    let (server, transport) = exchange.serve().await;
    let answer = call_example(version, transport, &example)
        .await
        .map_err(|error| format!("an empty 204 failed: {error}"))?;
    exchange.verify(&server).await;
    check(answer.into_inner().is_null(), || {
        "an empty 204 decoded into a value".into()
    })
}

/// Ids with `/`, `?`, `#`, `%`, spaces, dots and non-ASCII.
fn id() -> impl Strategy<Value = String> {
    let character = prop_oneof![
        3 => proptest::sample::select(vec!['/', '?', '#', '%', ' ', '.', 'é', '😀', '+', '&', '=', '\\', ';']),
        2 => proptest::char::range('a', 'z'),
        1 => any::<char>(),
    ];
    proptest::collection::vec(character, 1..12)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("dot segments are refused before sending", |id| {
            id != "." && id != ".."
        })
}

/// Every operation with a text path parameter, called with arbitrary ids in all of them: the
/// server sees the template's path, each id one segment that decodes back to it.
fn paths(runtime: &Runtime, version: ApiVersion, examples: &[Example]) -> Result<(), Failed> {
    for example in examples {
        let text_params: Vec<String> = example
            .params
            .iter()
            .filter(|(name, value)| {
                value.is_string() && example.template.contains(&format!("{{{name}}}"))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if text_params.is_empty() {
            continue;
        }
        let server = runtime.block_on(wiremock::MockServer::start());
        let mut answer = wiremock::ResponseTemplate::new(example.status);
        if let Some(reply) = &example.reply {
            answer = answer.set_body_json(reply);
        }
        runtime.block_on(
            wiremock::Mock::given(wiremock::matchers::any())
                .respond_with(answer)
                .mount(&server),
        );
        let transport = integration::transport(&server);
        let mut runner = TestRunner::new(ProptestConfig {
            cases: 16,
            ..ProptestConfig::default()
        });
        let strategy = proptest::collection::vec(id(), text_params.len());
        runner
            .run(&strategy, |ids| {
                let mut params = example.params.clone();
                for (name, id) in text_params.iter().zip(&ids) {
                    params.insert(name.clone(), Value::from(id.as_str()));
                }
                runtime
                    .block_on(call(
                        version,
                        transport.clone(),
                        &example.operation,
                        &params,
                        example.body.as_ref(),
                    ))
                    .map_err(|error| TestCaseError::fail(format!("{error}")))?;
                let received = runtime
                    .block_on(server.received_requests())
                    .unwrap_or_default();
                let request = received.last().expect("the request arrived");
                let mut expected = example.template.clone();
                for (name, value) in &params {
                    let text = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    expected =
                        expected.replace(&format!("{{{name}}}"), &specs::encode_segment(&text));
                }
                prop_assert_eq!(
                    request.url.path(),
                    expected.as_str(),
                    "{}",
                    example.operation
                );
                Ok(())
            })
            .map_err(|error| format!("{}: {error}", example.operation))?;
    }
    Ok(())
}

/// An id the fake treats as a record that does not exist.
const MISSING: u64 = 404_404;

/// Replaces every record id of a batch body with one that does not exist, and every
/// association type id with one that cannot exist.
fn with_missing_ids(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let replaced = match key.as_str() {
                        "id" => Value::from(MISSING.to_string()),
                        "typeId" => Value::from(-1),
                        _ => with_missing_ids(value),
                    };
                    (key.clone(), replaced)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(with_missing_ids).collect()),
        other => other.clone(),
    }
}

/// The same body without paging cursors: the fake's cursors are its own, as HubSpot's are.
fn without_cursors(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| *key != "after")
                .map(|(key, value)| (key.clone(), without_cursors(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_cursors).collect()),
        other => other.clone(),
    }
}

/// The association type ids a value names (`typeId`, `associationTypeId`), at any depth.
fn type_ids(value: &Value, found: &mut Vec<i32>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (
                    key.as_str(),
                    value.as_i64().and_then(|id| i32::try_from(id).ok()),
                ) {
                    ("typeId" | "associationTypeId", Some(id)) => found.push(id),
                    _ => type_ids(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| type_ids(item, found)),
        _ => {}
    }
}

/// The account the examples assume: the labels and association limits they name exist
/// between the object types they name, as on an account that defined them.
fn seed_account(fake: &fake_hubspot::FakeHubSpot, examples: &[Example]) {
    for example in examples {
        let text = |name: &str| example.params.get(name).and_then(Value::as_str);
        let (Some(from), Some(to)) = (text("fromObjectType"), text("toObjectType")) else {
            continue;
        };
        let mut ids = Vec::new();
        type_ids(&Value::Object(example.params.clone()), &mut ids);
        type_ids(example.body.as_ref().unwrap_or(&Value::Null), &mut ids);
        for id in ids {
            fake.seed_label(from, to, id, "Example label");
            fake.seed_limit(
                from,
                to,
                fake_hubspot::Limit {
                    type_id: id,
                    category: "USER_DEFINED".into(),
                    max_to_object_ids: 5,
                },
            );
        }
    }
}

/// The fake HubSpot serves every operation of a version as that version's spec documents:
/// each operation of the registry, called with its spec's examples (on an account that has
/// the labels and limits they name), answers with a documented success code; and a batch
/// whose inputs all fail answers the 207 where the version documents one (or documents no
/// body, which could not carry the errors) and its single success code (with `errors`) where
/// it does not. No operation the version has may go unserved.
async fn fake(version: ApiVersion, examples: Vec<Example>) -> Result<(), Failed> {
    let fake = fake_hubspot::FakeHubSpot::start(fake_hubspot::Config {
        missing_ids: [MISSING].into(),
        ..fake_hubspot::Config::default()
    })
    .await?;
    seed_account(&fake, &examples);
    let transport = Transport::builder("pat-na1-fake-check")
        .base_url(fake.url())
        .rate_limit(hubspot_associations::RateLimit::Off)
        .build()?;
    let mut served = BTreeSet::new();
    for example in &examples {
        let operation = version
            .operation(&example.operation)
            .ok_or_else(|| format!("{} is not in the registry", example.operation))?;
        let documented = operation.success;
        let mut params = example.params.clone();
        params.remove("after");
        let body = example.body.as_ref().map(without_cursors);
        let answer = call(
            version,
            transport.clone(),
            &example.operation,
            &params,
            body.as_ref(),
        )
        .await
        .map_err(|error| format!("{}: {error}", example.operation))?;
        let status = answer.http_status().as_u16();
        check(documented.iter().any(|s| s.matches(status)), || {
            format!(
                "{}: {status}, where {version} documents {documented:?}",
                example.operation
            )
        })?;
        served.insert(operation.name);
        let Some(body) = body.filter(|body| body.get("inputs").is_some()) else {
            continue;
        };
        let failing = with_missing_ids(&body);
        let answer = call(
            version,
            transport.clone(),
            &example.operation,
            &params,
            Some(&failing),
        )
        .await
        .map_err(|error| format!("{} with failing inputs: {error}", example.operation))?;
        let multi = StatusCode::MULTI_STATUS.as_u16();
        let partial = documented.iter().any(|s| s.matches(multi)) || !operation.success_body;
        let expected = match (partial, documented.first()) {
            (true, _) => multi,
            (false, Some(first)) => first.example(),
            (false, None) => return Err(format!("{} documents no success", operation.name).into()),
        };
        check(answer.http_status().as_u16() == expected, || {
            format!(
                "{} with failing inputs: {}, where {version} documents {documented:?}",
                example.operation,
                answer.http_status()
            )
        })?;
        // An operation whose version documents no body ignores the one the 207 carries.
        let errors = answer
            .get("errors")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        check(answer.is_null() || errors > 0, || {
            format!(
                "{} with failing inputs: no errors in {}",
                example.operation, *answer
            )
        })?;
    }
    let unserved: Vec<&str> = version
        .operations()
        .iter()
        .map(|op| op.name)
        .filter(|name| !served.contains(name))
        .collect();
    check(unserved.is_empty(), || {
        format!("the fake does not serve {unserved:?} of {version}")
    })
}

/// Every example of a page through the client of the version it documents: a request example
/// is sent as the body and must arrive unchanged, a response example is served and decoded.
async fn seed(page: seeds::Page) -> Result<(), Failed> {
    let version: ApiVersion = page.version.parse().map_err(|e| format!("{e}"))?;
    let example = specs::examples(&page.version)
        .into_iter()
        .find(|e| e.method == page.method && e.template == page.path)
        .ok_or_else(|| {
            format!(
                "{} {} is not in spec/{}",
                page.method, page.path, page.version
            )
        })?;
    for payload in seeds::examples(&page) {
        let is_request = payload.get("inputs").is_some();
        let mut example = example.clone();
        if is_request {
            example.body = Some(payload);
        } else {
            example.reply = Some(payload);
        }
        wiremock(version, example).await?;
    }
    Ok(())
}

struct Prism {
    child: Child,
    address: SocketAddr,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `prism mock` on a free loopback port with the spec of `version`.
fn prism(version: ApiVersion) -> Result<Prism, Failed> {
    let binary = workspace().join("node_modules/.bin/prism");
    check(binary.exists(), || {
        "Prism is not installed: run `npm ci` at the workspace root (cargo xtask test does)".into()
    })?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(binary)
        .args([
            "mock",
            "--errors",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .arg(workspace().join(format!("spec/{version}/openapi.yaml")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let prism = Prism {
        child,
        address: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    let started = Instant::now();
    while TcpStream::connect_timeout(&prism.address, Duration::from_millis(200)).is_err() {
        check(started.elapsed() < Duration::from_secs(90), || {
            "prism did not start".into()
        })?;
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(prism)
}

fn prism_transport(prism: &Prism) -> Transport {
    Transport::builder("pat-na1-prism-check")
        .base_url(format!("http://{}", prism.address))
        .build()
        .expect("a loopback base URL is allowed")
}

/// What Prism refused in the request, if anything. Prism checks the answer it makes from the
/// spec's example too; a violation there is about HubSpot's documents, not the request (2026-09
/// documents `DateTime.value` as int32, and the example carries a real epoch-milliseconds
/// value), so only violations located in the request count.
fn refusal(error: &Error) -> Option<String> {
    let Error::Api(api) = error else {
        return Some(error.to_string());
    };
    let body: Value = serde_json::from_str(&api.body_text()).unwrap_or_default();
    let violations = body["validation"].as_array().cloned().unwrap_or_default();
    let in_response_only = !violations.is_empty()
        && violations
            .iter()
            .all(|violation| violation["location"][0] == "response");
    (!in_response_only).then(|| format!("{} {}", api.status, api.body_text()))
}

/// Prism accepts every operation called with its examples; and, as a control that the check
/// can fail, refuses a query parameter above the maximum its spec sets, where there is one.
async fn prism_check(version: ApiVersion) -> Result<(), Failed> {
    let prism = prism(version)?;
    let mut refused = Vec::new();
    let examples = specs::examples(version.as_str());
    for example in &examples {
        let outcome = call_example(version, prism_transport(&prism), example).await;
        if let Some(refused_because) = outcome.err().as_ref().and_then(refusal) {
            refused.push(format!("{}: {refused_because}", example.operation));
        }
    }
    check(refused.is_empty(), || {
        format!(
            "Prism found violations in {version}:\n{}",
            refused.join("\n")
        )
    })?;
    let spec = specs::spec(version.as_str());
    for example in &examples {
        let parameters =
            spec["paths"][&example.template][example.method.to_lowercase()]["parameters"].clone();
        for parameter in parameters.as_array().into_iter().flatten() {
            let parameter = match parameter.get("$ref").and_then(Value::as_str) {
                Some(reference) => spec
                    .pointer(reference.trim_start_matches('#'))
                    .cloned()
                    .unwrap_or_default(),
                None => parameter.clone(),
            };
            let Some(maximum) = parameter["schema"]["maximum"].as_i64() else {
                continue;
            };
            let mut params = example.params.clone();
            params.insert(
                parameter["name"].as_str().unwrap_or_default().to_owned(),
                Value::from(maximum + 1),
            );
            let outcome = call(
                version,
                prism_transport(&prism),
                &example.operation,
                &params,
                example.body.as_ref(),
            )
            .await;
            check(
                matches!(&outcome, Err(Error::Api(api)) if api.status.as_u16() == 422),
                || {
                    format!(
                        "{}: Prism accepted {} = {}",
                        example.operation,
                        parameter["name"],
                        maximum + 1
                    )
                },
            )?;
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let runtime = Arc::new(Runtime::new().expect("a tokio runtime"));
    let bodiless = bodiless_somewhere();
    let mut trials = Vec::new();
    for &version in ApiVersion::ALL {
        let examples = specs::examples(version.as_str());
        {
            let examples = examples.clone();
            trials.push(Trial::test(format!("registry::{version}"), move || {
                registry(version, &examples)
            }));
        }
        for example in &examples {
            let name = format!("{version}::{}", example.operation);
            let (on, owned) = (runtime.clone(), example.clone());
            trials.push(Trial::test(format!("wiremock::{name}"), move || {
                on.block_on(wiremock(version, owned))
            }));
            if bodiless.contains(&example.operation) {
                let (on, owned) = (runtime.clone(), example.clone());
                trials.push(Trial::test(format!("tolerance::{name}"), move || {
                    on.block_on(tolerance(version, owned))
                }));
            }
        }
        {
            let (on, owned) = (runtime.clone(), examples.clone());
            trials.push(Trial::test(format!("fake::{version}"), move || {
                on.block_on(fake(version, owned))
            }));
        }
        {
            let runtime = runtime.clone();
            trials.push(Trial::test(format!("paths::{version}"), move || {
                paths(&runtime, version, &examples)
            }));
        }
        let prism_runtime = runtime.clone();
        trials.push(
            Trial::test(format!("prism::{version}"), move || {
                prism_runtime.block_on(prism_check(version))
            })
            .with_ignored_flag(true),
        );
    }
    trials.push(Trial::test(
        "registry::newest_generally_available",
        newest_generally_available,
    ));
    for page in seeds::pages() {
        let runtime = runtime.clone();
        trials.push(Trial::test(format!("seeds::{}", page.file), move || {
            runtime.block_on(seed(page))
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
