//! A hostile server, as a raw listener on 127.0.0.1 (what wiremock cannot send): an endless
//! body, and a `Content-Length` of a terabyte. The client reads no more than its limit and
//! fails with a typed error; each server stops by itself.

use std::time::Duration;

use hubspot_associations::v2026_09::Client;
use hubspot_associations::{Error, ObjectType, RetryPolicy, Transport};
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

fn client(url: &str) -> Client {
    Client::new(
        Transport::builder("pat-na1-hostile")
            .base_url(url)
            .max_body(1 << 20)
            .retry(RetryPolicy::never())
            .request_timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_limit() {
    let url = serve(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        true,
    )
    .await;
    let error = client(&url)
        .list_labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
        .await
        .expect_err("the body is too large");
    assert!(
        matches!(&error, Error::InvalidResponse { message, .. } if message.contains("larger than 1048576 bytes")),
        "{error}"
    );
}

#[tokio::test]
async fn a_huge_content_length_is_refused_before_reading() {
    let url = serve(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\n\r\n",
        false,
    )
    .await;
    let error = client(&url)
        .list_labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
        .await
        .expect_err("the body is too large");
    assert!(
        matches!(&error, Error::InvalidResponse { message, .. } if message.contains("larger than")),
        "{error}"
    );
}

/// A server that gives a record the same cursor again: `batch_read_all` fails that record
/// with a typed error instead of reading forever (bounded here by a timeout, so that a
/// regression fails rather than hangs).
#[tokio::test]
async fn a_repeated_cursor_ends_a_paged_read() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": "COMPLETE",
            "startedAt": "2026-09-01T00:00:00Z",
            "completedAt": "2026-09-01T00:00:01Z",
            "results": [{
                "from": {"id": "1"},
                "to": [{"toObjectId": 2, "associationTypes": []}],
                "paging": {"next": {"after": "same"}}
            }]
        })))
        .mount(&server)
        .await;
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        client(&server.uri()).batch_read_all(
            ObjectType::CONTACTS,
            ObjectType::COMPANIES,
            vec![1u64.into()],
            hubspot_associations::BulkOptions::default(),
        ),
    )
    .await
    .expect("the read ends");
    assert!(read.succeeded.is_empty());
    assert_eq!(read.failed.len(), 1);
    let failure = read.failed[0].failure.to_string();
    assert!(
        failure.contains("the cursor \"same\" a second time"),
        "{failure}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "the first page, and the page at `same` once"
    );
}

/// A 307 to another origin (another port of 127.0.0.1) is not followed: the batch's body and
/// the token never reach it, and the call fails with the 307. A redirect within the origin
/// is followed.
#[tokio::test]
async fn redirects_stay_within_the_origin() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    let batch = "/crm/associations/2026-09/contacts/companies/batch/associate/default";
    Mock::given(method("POST"))
        .and(path(batch))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/stolen", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let body =
        hubspot_associations::v2026_09::types::BatchInputPublicDefaultAssociationMultiPost::new([
            hubspot_associations::v2026_09::types::PublicDefaultAssociationMultiPost::new(
                1u64, 2u64,
            ),
        ]);
    let error = client(&server.uri())
        .batch_create_default(ObjectType::CONTACTS, ObjectType::COMPANIES, &body)
        .await
        .expect_err("a cross-origin redirect is not followed");
    assert!(
        matches!(&error, Error::Api(api) if api.status.as_u16() == 307),
        "{error}"
    );
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "nothing reached the other origin"
    );

    let same = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/associations/2026-09/contacts/companies/labels"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/moved"))
        .mount(&same)
        .await;
    Mock::given(method("GET"))
        .and(path("/moved"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"results": []})))
        .mount(&same)
        .await;
    let labels = client(&same.uri())
        .list_labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
        .await
        .expect("a redirect within the origin is followed");
    assert!(labels.results.is_empty());
}
