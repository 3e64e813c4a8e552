//! An independent check of the requests the generated client sends: Prism serves each
//! version's spec on 127.0.0.1, validates every request against it, and answers a request
//! that breaks the spec with an error, which fails the call here.
//!
//! Prism comes from npm (`package.json`), so these tests are ignored by a plain `cargo test`
//! and run by `cargo xtask test`, which installs it first.

#![allow(deprecated, reason = "v4 is deprecated for users; it is still tested")]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hubspot_associations::{Error, ObjectId, Transport};

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

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts `prism mock` on a free loopback port with the spec of `version`.
fn prism(version: &str) -> Prism {
    let binary = workspace().join("node_modules/.bin/prism");
    assert!(
        binary.exists(),
        "Prism is not installed: run `npm ci` at the workspace root (cargo xtask test does)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
        .spawn()
        .expect("prism starts");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "prism did not start listening"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Prism { child, address }
}

fn transport(prism: &Prism) -> Transport {
    Transport::builder("pat-na1-prism-check")
        .base_url(format!("http://{}", prism.address))
        .build()
        .unwrap()
}

/// Fails with what Prism said, for every call it refused.
fn assert_accepted(version: &str, results: Vec<(&str, Result<(), Error>)>) {
    assert_eq!(results.len(), 19, "every operation of {version} is called");
    let refused: Vec<String> = results
        .into_iter()
        .filter_map(|(operation, result)| {
            result.err().map(|error| match &error {
                Error::Api(api) => format!("{operation}: {} {}", api.status, api.body_text()),
                other => format!("{operation}: {other}"),
            })
        })
        .collect();
    assert!(
        refused.is_empty(),
        "Prism found violations in {version}:\n{}",
        refused.join("\n")
    );
}

fn ok<T>(result: Result<T, Error>) -> Result<(), Error> {
    result.map(|_| ())
}

macro_rules! call_every_operation {
    ($module:ident, $transport:expr) => {{
        use hubspot_associations::$module::{Client, types};
        let client = Client::new($transport);
        let id = |id: &str| types::PublicObjectId {
            id: ObjectId::from(id),
        };
        let spec = || types::AssociationSpec {
            association_category: types::AssociationCategory::UserDefined,
            association_type_id: 37,
        };
        let pairs = || types::BatchInputPublicAssociationMultiPost {
            inputs: vec![types::PublicAssociationMultiPost {
                from: id("29851"),
                to: id("5790939450"),
                types: vec![spec()],
            }],
        };
        vec![
            (
                "list",
                ok(client
                    .list("contacts", "29851", "companies", Some("MjA="), Some(100))
                    .await),
            ),
            (
                "create",
                ok(client
                    .create("contacts", "29851", "companies", "5790939450", &[spec()])
                    .await),
            ),
            (
                "archive",
                ok(client
                    .archive("contacts", "29851", "companies", "5790939450")
                    .await),
            ),
            (
                "create_default",
                ok(client
                    .create_default("0-1", "29851", "0-2", "5790939450")
                    .await),
            ),
            (
                "batch_create",
                ok(client.batch_create("contacts", "companies", &pairs()).await),
            ),
            (
                "batch_create_default",
                ok(client
                    .batch_create_default(
                        "contacts",
                        "companies",
                        &types::BatchInputPublicDefaultAssociationMultiPost {
                            inputs: vec![types::PublicDefaultAssociationMultiPost {
                                from: id("29851"),
                                to: id("5790939450"),
                            }],
                        },
                    )
                    .await),
            ),
            (
                "batch_read",
                ok(client
                    .batch_read(
                        "contacts",
                        "companies",
                        &types::BatchInputPublicFetchAssociationsBatchRequest {
                            inputs: vec![types::PublicFetchAssociationsBatchRequest {
                                id: ObjectId::from("29851"),
                                after: None,
                            }],
                        },
                    )
                    .await),
            ),
            (
                "batch_archive",
                ok(client
                    .batch_archive(
                        "contacts",
                        "companies",
                        &types::BatchInputPublicAssociationMultiArchive {
                            inputs: vec![types::PublicAssociationMultiArchive {
                                from: id("29851"),
                                to: vec![id("5790939450")],
                            }],
                        },
                    )
                    .await),
            ),
            (
                "batch_archive_labels",
                ok(client
                    .batch_archive_labels("contacts", "companies", &pairs())
                    .await),
            ),
            (
                "list_labels",
                ok(client.list_labels("contacts", "companies").await),
            ),
            (
                "create_label",
                ok(client
                    .create_label(
                        "contacts",
                        "companies",
                        &types::PublicAssociationDefinitionCreateRequest {
                            label: "Billing contact".into(),
                            name: "billing_contact".into(),
                            inverse_label: None,
                        },
                    )
                    .await),
            ),
            (
                "update_label",
                ok(client
                    .update_label(
                        "contacts",
                        "companies",
                        &types::PublicAssociationDefinitionUpdateRequest {
                            association_type_id: 37,
                            label: "Billing".into(),
                            inverse_label: Some("Billed".into()),
                        },
                    )
                    .await),
            ),
            (
                "delete_label",
                ok(client.delete_label("contacts", "companies", 37).await),
            ),
            ("list_all_limits", ok(client.list_all_limits().await)),
            (
                "list_limits",
                ok(client.list_limits("contacts", "companies").await),
            ),
            (
                "batch_create_limits",
                ok(client
                    .batch_create_limits(
                        "contacts",
                        "companies",
                        &types::BatchInputPublicAssociationDefinitionConfigurationCreateRequest {
                            inputs: vec![
                                types::PublicAssociationDefinitionConfigurationCreateRequest {
                                    category: types::AssociationCategory::UserDefined,
                                    type_id: 37,
                                    max_to_object_ids: 5,
                                },
                            ],
                        },
                    )
                    .await),
            ),
            (
                "batch_update_limits",
                ok(client
                    .batch_update_limits(
                        "contacts",
                        "companies",
                        &types::BatchInputPublicAssociationDefinitionConfigurationUpdateRequest {
                            inputs: vec![
                                types::PublicAssociationDefinitionConfigurationUpdateRequest {
                                    category: types::AssociationCategory::UserDefined,
                                    type_id: 37,
                                    max_to_object_ids: 3,
                                },
                            ],
                        },
                    )
                    .await),
            ),
            (
                "batch_purge_limits",
                ok(client
                    .batch_purge_limits(
                        "contacts",
                        "companies",
                        &types::BatchInputPublicAssociationSpec {
                            inputs: vec![types::PublicAssociationSpec {
                                category: "USER_DEFINED".into(),
                                type_id: 37,
                            }],
                        },
                    )
                    .await),
            ),
            (
                "request_high_usage_report",
                ok(client.request_high_usage_report(12345).await),
            ),
        ]
    }};
}

#[tokio::test]
#[ignore = "needs Prism from npm: run by `cargo xtask test`"]
async fn prism_accepts_every_v4_request() {
    let prism = prism("v4");
    assert_accepted("v4", call_every_operation!(v4, transport(&prism)));
}

#[tokio::test]
#[ignore = "needs Prism from npm: run by `cargo xtask test`"]
async fn prism_accepts_every_2025_09_request() {
    let prism = prism("2025-09");
    assert_accepted(
        "2025-09",
        call_every_operation!(v2025_09, transport(&prism)),
    );
}

#[tokio::test]
#[ignore = "needs Prism from npm: run by `cargo xtask test`"]
async fn prism_accepts_every_2026_03_request() {
    let prism = prism("2026-03");
    assert_accepted(
        "2026-03",
        call_every_operation!(v2026_03, transport(&prism)),
    );
}

/// The check can fail: a request that breaks the spec is refused by Prism.
#[tokio::test]
#[ignore = "needs Prism from npm: run by `cargo xtask test`"]
async fn prism_refuses_a_request_that_breaks_the_spec() {
    use hubspot_associations::v2026_03::Client;
    let prism = prism("2026-03");
    let client = Client::new(transport(&prism));
    let error = client
        .list("contacts", "29851", "companies", None, Some(501))
        .await
        .expect_err("`limit` is at most 500");
    assert!(
        matches!(&error, Error::Api(api) if api.status.as_u16() == 422),
        "{error}"
    );
}
