//! A hostile server on 127.0.0.1: an endless body and a `Content-Length` of a terabyte (from a
//! raw listener, which wiremock cannot be), a cursor that repeats, a redirect to another
//! origin. The client of every version (from the registry) bounds what it reads and fails
//! with a typed error; each server stops by itself.

use std::time::Duration;

use hubspot_associations::{ApiVersion, Error, ObjectType, RetryPolicy, Transport, with_version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `head` and then, for an endless body, chunks of JSON until the client hangs up or
/// 256 MiB were sent, whichever comes first.
async fn serve(head: &'static str, endless: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        if socket.write_all(head.as_bytes()).await.is_err() || !endless {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
        for _ in 0..4096 {
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    format!("http://{address}")
}

fn transport(url: &str) -> Transport {
    Transport::builder("pat-na1-hostile")
        .base_url(url)
        .max_body(1 << 20)
        .retry(RetryPolicy::never())
        .request_timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// `list_labels` of `version` against `url`.
async fn list_labels(version: ApiVersion, url: &str) -> Result<(), Error> {
    with_version!(version, api, {
        api::Client::new(transport(url))
            .list_labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
            .await
            .map(|_| ())
    })
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_limit() {
    for &version in ApiVersion::ALL {
        let url = serve(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            true,
        )
        .await;
        let error = list_labels(version, &url)
            .await
            .expect_err("the body is too large");
        assert!(
            matches!(&error, Error::InvalidResponse { message, .. } if message.contains("larger than 1048576 bytes")),
            "{version}: {error}"
        );
    }
}

#[tokio::test]
async fn a_huge_content_length_is_refused_before_reading() {
    for &version in ApiVersion::ALL {
        let url = serve(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\n\r\n",
            false,
        )
        .await;
        let error = list_labels(version, &url)
            .await
            .expect_err("the body is too large");
        assert!(
            matches!(&error, Error::InvalidResponse { message, .. } if message.contains("larger than")),
            "{version}: {error}"
        );
    }
}

/// A server that gives a record the same cursor again: `batch_read_all` fails that record
/// with a typed error instead of reading forever (bounded here by a timeout, so that a
/// regression fails rather than hangs).
#[tokio::test]
async fn a_repeated_cursor_ends_a_paged_read() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let page = serde_json::json!({
        "status": "COMPLETE",
        "startedAt": "2026-09-01T00:00:00Z",
        "completedAt": "2026-09-01T00:00:01Z",
        "results": [{
            "from": {"id": "1"},
            "to": [{"toObjectId": 2, "associationTypes": []}],
            "paging": {"next": {"after": "same"}}
        }]
    });
    for &version in ApiVersion::ALL {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page.clone()))
            .mount(&server)
            .await;
        let failures = with_version!(version, api, {
            let client = api::Client::new(transport(&server.uri()));
            let read = client.batch_read_all(
                ObjectType::CONTACTS,
                ObjectType::COMPANIES,
                [1u64],
                hubspot_associations::BulkOptions::default(),
            );
            let read = tokio::time::timeout(Duration::from_secs(10), read)
                .await
                .expect("the read ends");
            assert!(read.succeeded.is_empty(), "{version}");
            read.failed
                .iter()
                .map(|failed| failed.failure.to_string())
                .collect::<Vec<_>>()
        });
        assert_eq!(failures.len(), 1, "{version}: {failures:?}");
        assert!(
            failures[0].contains("the cursor \"same\" a second time"),
            "{version}: {failures:?}"
        );
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "{version}: the first page, and the page at `same` once"
        );
    }
}

/// A 307 to another origin (another port of 127.0.0.1) is not followed: the batch's body and
/// the token never reach it, and the call fails with the 307. A redirect within the origin
/// is followed.
#[tokio::test]
async fn redirects_stay_within_the_origin() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    for &version in ApiVersion::ALL {
        let elsewhere = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&elsewhere)
            .await;
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(307)
                    .insert_header("location", format!("{}/stolen", elsewhere.uri())),
            )
            .mount(&server)
            .await;
        let sent = with_version!(version, api, {
            let body: api::types::BatchInputPublicDefaultAssociationMultiPost =
                [api::types::PublicDefaultAssociationMultiPost::new(
                    1u64, 2u64,
                )]
                .into_iter()
                .collect();
            api::Client::new(transport(&server.uri()))
                .batch_create_default(ObjectType::CONTACTS, ObjectType::COMPANIES, &body)
                .await
                .map(|_| ())
        });
        let error = sent.expect_err("a cross-origin redirect is not followed");
        assert!(
            matches!(&error, Error::Api(api) if api.status.as_u16() == 307),
            "{version}: {error}"
        );
        assert!(
            elsewhere.received_requests().await.unwrap().is_empty(),
            "{version}: nothing reached the other origin"
        );

        let same = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/moved"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"results": []})),
            )
            .mount(&same)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(307).insert_header("location", "/moved"))
            .mount(&same)
            .await;
        list_labels(version, &same.uri())
            .await
            .unwrap_or_else(|e| panic!("{version}: a redirect within the origin is followed: {e}"));
    }
}

/// The fake HubSpot bounds what it reads too: a request body over its limit (axum's 2 MiB,
/// far above a full batch of 2,000 inputs) is refused with a 413, unread.
#[tokio::test]
async fn the_fake_refuses_an_oversized_request_body() {
    let fake = fake_hubspot::FakeHubSpot::start(fake_hubspot::Config::default())
        .await
        .unwrap();
    let version = ApiVersion::ALL.last().copied().expect("a version");
    let batch = version
        .operation("batch_create_default")
        .expect("the newest version has batch_create_default");
    let path = batch
        .path
        .replace("{fromObjectType}", "contacts")
        .replace("{toObjectType}", "companies");
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", fake.url()))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 413, "{version}");
}
