//! The token stays secret: it is in no `Debug` or `Display` of the client, its configuration
//! or any error (even where the server echoed it), in no log line, and nothing is sent to
//! another host on a redirect.
//! (The logs are checked in `logs.rs`.)

use std::time::Duration;

use fake_hubspot::{Association, Config, FakeHubSpot, Fault};
use hubspot_associations::newest_generally_available::Client;
use hubspot_associations::{Error, RateLimit, RetryPolicy, Transport};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "pat-na1-secret-0000-1111-2222";

fn client(url: &str, retry: RetryPolicy) -> Client {
    Client::new(
        Transport::builder(TOKEN)
            .base_url(url)
            .retry(retry)
            .rate_limit(RateLimit::Off)
            .request_timeout(Duration::from_millis(300))
            .build()
            .unwrap(),
    )
}

fn assert_secret(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "the token appears in {what}: {text}");
    assert!(
        !text.contains("secret-0000"),
        "part of the token appears in {what}: {text}"
    );
}

#[tokio::test]
async fn the_token_is_in_no_debug_or_display_of_the_client_its_configuration_or_any_error() {
    let builder = Transport::builder(TOKEN).base_url("http://127.0.0.1:1");
    assert_secret("the builder", &format!("{builder:?}"));
    let transport = builder.build().unwrap();
    assert_secret("the transport", &format!("{transport:?}"));
    assert_secret("the client", &format!("{:?}", Client::new(transport)));

    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.seed([Association {
        from_type: "contacts".into(),
        from_id: 1,
        to_type: "companies".into(),
        to_id: 2,
        type_id: 279,
    }]);
    let once = client(&fake.url(), RetryPolicy::never());
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };

    let mut errors: Vec<(&str, Error)> = Vec::new();
    fake.push_faults([Fault::json(
        400,
        json!({"category": "VALIDATION_ERROR", "message": "bad", "correlationId": "c-1"}),
    )]);
    errors.push((
        "api",
        once.list_labels("contacts", "companies").await.unwrap_err(),
    ));
    fake.push_faults([Fault::rate_limited("DAILY")]);
    errors.push((
        "rate limited",
        once.list_labels("contacts", "companies").await.unwrap_err(),
    ));
    errors.push((
        "transport",
        client(&closed, RetryPolicy::never())
            .list_labels("contacts", "companies")
            .await
            .unwrap_err(),
    ));
    fake.push_faults([Fault::Delay(Duration::from_secs(5))]);
    errors.push((
        "timeout",
        once.list_labels("contacts", "companies").await.unwrap_err(),
    ));
    fake.push_faults([Fault::raw(200, "{")]);
    errors.push((
        "decode",
        once.list_labels("contacts", "companies").await.unwrap_err(),
    ));
    let capped = Client::new(
        Transport::builder(TOKEN)
            .base_url(fake.url())
            .max_body(8)
            .build()
            .unwrap(),
    );
    errors.push((
        "invalid response",
        capped
            .list_labels("contacts", "companies")
            .await
            .unwrap_err(),
    ));
    fake.push_faults([Fault::json(
        200,
        json!({"status": "COMPLETE", "results": [], "errors": ["No contacts with ID 1 exist"]}),
    )]);
    errors.push((
        "rejected",
        once.create_default("contacts", 1u64, "companies", 2u64)
            .await
            .unwrap_err(),
    ));
    errors.push((
        "invalid input",
        once.list_labels("", "companies").await.unwrap_err(),
    ));
    errors.push((
        "config",
        Transport::builder(TOKEN)
            .base_url("http://example.com")
            .build()
            .unwrap_err(),
    ));

    let kinds: Vec<&str> = errors
        .iter()
        .map(|(_, error)| match error {
            Error::Api(_) => "Api",
            Error::RateLimited(_) => "RateLimited",
            Error::Transport { .. } => "Transport",
            Error::Timeout { .. } => "Timeout",
            Error::Decode(_) => "Decode",
            Error::InvalidResponse { .. } => "InvalidResponse",
            Error::Rejected(_) => "Rejected",
            Error::InvalidInput { .. } => "InvalidInput",
            Error::Config { .. } => "Config",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "Api",
            "RateLimited",
            "Transport",
            "Timeout",
            "Decode",
            "InvalidResponse",
            "Rejected",
            "InvalidInput",
            "Config"
        ]
    );
    for (what, error) in &errors {
        assert_secret(what, &format!("{error:?}"));
        assert_secret(what, &error.to_string());
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            assert_secret(what, &format!("{cause:?} {cause}"));
            source = cause.source();
        }
    }
}

/// A redirect to another host is not followed: neither the request nor the token reaches it.
#[tokio::test]
async fn nothing_is_sent_to_another_host_on_a_redirect() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
        .mount(&elsewhere)
        .await;
    let origin = MockServer::start().await;
    // `localhost` is another host than `127.0.0.1`, whatever the port.
    let target = format!(
        "http://localhost:{}/crm/associations/elsewhere",
        elsewhere.address().port()
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&origin)
        .await;

    let error = client(&origin.uri(), RetryPolicy::never())
        .list_labels("contacts", "companies")
        .await
        .expect_err("a redirect to another host is not followed");
    assert!(
        matches!(&error, Error::Api(api) if api.status.as_u16() == 307),
        "{error}"
    );
    let first = &origin.received_requests().await.unwrap()[0];
    assert_eq!(
        first.headers["authorization"],
        format!("Bearer {TOKEN}").as_str()
    );
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "neither the request nor the token went to another host"
    );
}

/// A server that echoes the token, in an error's message, its raw body, a header, or an
/// undecodable 2xx: every error keeps what the server said with the token redacted.
#[tokio::test]
async fn a_token_the_server_echoes_is_redacted_from_every_error() {
    let echoes = [
        ResponseTemplate::new(400)
            .insert_header("x-echo", format!("Bearer {TOKEN}").as_str())
            .set_body_json(json!({
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": format!("bad token {TOKEN}"),
                "correlationId": "c0ffee00-0000-4000-8000-000000000000",
                "context": {"token": [TOKEN]},
            })),
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_string(format!("not json: {TOKEN}")),
    ];
    // A 2xx on one pair whose errors echo the token: rejected, the token redacted.
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE",
            "results": [],
            "errors": [{"category": "VALIDATION_ERROR", "message": format!("bad token {TOKEN}")}],
        })))
        .mount(&server)
        .await;
    let error = client(&server.uri(), RetryPolicy::never())
        .create_default("contacts", 1u64, "companies", 2u64)
        .await
        .expect_err("errors without a result are an error");
    let Error::Rejected(rejected) = &error else {
        panic!("unexpected error: {error}");
    };
    assert_secret("the rejection's Display", &error.to_string());
    assert_secret("the rejection's Debug", &format!("{error:?}"));
    assert_secret(
        "the rejection's body",
        &String::from_utf8_lossy(&rejected.body),
    );
    assert!(error.to_string().contains("[redacted]"), "{error}");
    for answer in echoes {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let error = client(&server.uri(), RetryPolicy::never())
            .list_labels("contacts", "companies")
            .await
            .expect_err("the answer is an error");
        assert_secret("the error's Display", &error.to_string());
        assert_secret("the error's Debug", &format!("{error:?}"));
        let (body, headers) = match &error {
            Error::Api(api) => (api.body_text().into_owned(), format!("{:?}", api.headers)),
            Error::Decode(decode) => (
                String::from_utf8_lossy(&decode.body).into_owned(),
                format!("{:?}", decode.headers),
            ),
            other => panic!("unexpected error: {other}"),
        };
        assert_secret("the raw body", &body);
        assert_secret("the headers", &headers);
        assert!(body.contains("[redacted]"), "{body}");
    }
}
