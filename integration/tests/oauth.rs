//! OAuth apps against the fake HubSpot's token endpoint, over real HTTP on 127.0.0.1: tokens
//! refreshed ahead of expiry and once for every clone, an expired token's 401 refreshed and
//! sent once more, refusals typed and not asked again, transient failures retried, rotated
//! refresh tokens handed to the program, secrets kept out of every error, and requests sent
//! through a proxy the program configured.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_hubspot::{Config, FakeHubSpot, Fault, ForwardProxy, OAuthConfig};
use futures_util::future::join_all;
use hubspot_associations::newest_generally_available::Client;
use hubspot_associations::{
    AccessToken, Error, OAUTH_TOKEN_PATH, OAuthApp, ObjectType, RateLimit, RetryPolicy, TokenError,
    TokenFuture, TokenSource, Transport, http_client_builder,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CLIENT_ID: &str = "fake-client-id";
const CLIENT_SECRET: &str = "fake-client-secret-0000";
const REFRESH_TOKEN: &str = "fake-refresh-token-0000";

fn oauth(lifetime: Duration, rotate: bool) -> Config {
    Config {
        oauth: Some(OAuthConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            refresh_token: REFRESH_TOKEN.into(),
            token_lifetime: lifetime,
            rotate_refresh_tokens: rotate,
        }),
        ..Config::default()
    }
}

fn app() -> OAuthApp {
    OAuthApp::new(CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)
}

fn transport(url: &str, app: OAuthApp) -> Transport {
    Transport::builder(app)
        .base_url(url)
        .rate_limit(RateLimit::Off)
        .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(50)))
        .build()
        .unwrap()
}

async fn associate(client: &Client, from: u64) -> Result<(), Error> {
    client
        .create_default(ObjectType::CONTACTS, from, ObjectType::COMPANIES, 9u64)
        .await
        .map(drop)
}

fn token_requests(fake: &FakeHubSpot) -> usize {
    fake.requests()
        .iter()
        .filter(|request| request.path == OAUTH_TOKEN_PATH)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_calls_over_ten_seconds_refresh_about_as_often_as_tokens_expire() {
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(2), true))
        .await
        .unwrap();
    let transport = transport(&fake.url(), app());
    let started = tokio::time::Instant::now();
    let mut calls = Vec::new();
    // 20 waves of 10 calls, each through its own clone of the transport, 500 ms apart.
    for wave in 0..20u64 {
        tokio::time::sleep_until(started + Duration::from_millis(500 * wave)).await;
        for call in 0..10u64 {
            let client = Client::new(transport.clone());
            calls.push(tokio::spawn(async move {
                associate(&client, wave * 10 + call + 1).await
            }));
        }
    }
    let outcomes = join_all(calls).await;
    let elapsed = started.elapsed();
    let failed: Vec<String> = outcomes
        .into_iter()
        .filter_map(|outcome| outcome.unwrap().err().map(|e| e.to_string()))
        .collect();
    assert!(failed.is_empty(), "calls failed: {failed:?}");
    assert_eq!(fake.associations().len(), 200);
    let stats = fake.stats();
    eprintln!(
        "200 calls in {elapsed:?}: {} tokens issued, {} expired-token 401s answered",
        stats.tokens_issued, stats.expired_tokens
    );
    // A token is renewed when a fifth of its 2 s remains: one every 1.6 s or so.
    let expected = elapsed.as_secs_f64() / 1.6;
    assert!(
        (stats.tokens_issued as f64) >= expected - 2.0
            && (stats.tokens_issued as f64) <= expected + 3.0,
        "{} tokens issued in {elapsed:?}, about {expected:.1} expected",
        stats.tokens_issued
    );
    assert_eq!(
        stats.token_refusals, 0,
        "every rotated refresh token was used"
    );
    assert_eq!(stats.unknown_tokens, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_callers_at_the_expiry_cause_one_token_request() {
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(1), false))
        .await
        .unwrap();
    let client = Client::new(transport(&fake.url(), app()));
    for round in 0..2u64 {
        let calls = (0..100u64).map(|i| {
            let client = client.clone();
            async move { associate(&client, round * 100 + i + 1).await }
        });
        for outcome in join_all(calls).await {
            outcome.unwrap();
        }
        assert_eq!(fake.stats().tokens_issued, round + 1, "round {round}");
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    assert_eq!(token_requests(&fake), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_and_the_call_sent_once_more() {
    // The fake's tokens live 300 ms but say `expires_in: 1`, so the client uses one after
    // it expired, as with a clock that runs slow.
    let fake = FakeHubSpot::start(oauth(Duration::from_millis(300), false))
        .await
        .unwrap();
    let client = Client::new(transport(&fake.url(), app()));
    associate(&client, 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    associate(&client, 2).await.unwrap();
    let stats = fake.stats();
    assert_eq!(stats.expired_tokens, 1);
    assert_eq!(stats.tokens_issued, 2);
    let calls: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|request| request.path != OAUTH_TOKEN_PATH)
        .collect();
    assert_eq!(
        calls.len(),
        3,
        "one call, then the expired one and its resend"
    );
    assert_eq!(calls[1].status, 401);
    assert_eq!(calls[2].path, calls[1].path);
    assert_ne!(calls[2].authorization, calls[1].authorization);
}

#[tokio::test]
async fn a_static_token_that_expired_reaches_the_caller_without_a_resend() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": "error", "category": "EXPIRED_AUTHENTICATION",
            "message": "The OAuth token used to make this call expired 5 second(s) ago."
        })))
        .mount(&server)
        .await;
    let client = Client::new(
        Transport::builder("pat-na1-static")
            .base_url(server.uri())
            .build()
            .unwrap(),
    );
    let error = associate(&client, 1).await.unwrap_err();
    assert_eq!(
        error.http_status().map(|s| s.as_u16()),
        Some(401),
        "{error}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_fails_every_call_at_once_and_is_not_asked_again() {
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(60), false))
        .await
        .unwrap();
    fake.revoke_refresh_tokens();
    let client = Client::new(transport(&fake.url(), app()));
    for _ in 0..3 {
        let error = associate(&client, 1).await.unwrap_err();
        let Error::Token { source, .. } = &error else {
            panic!("not a token error: {error:?}");
        };
        assert!(matches!(source, TokenError::Refused(_)), "{source:?}");
        assert_eq!(source.oauth_error(), Some("invalid_grant"));
        assert!(!source.is_transient());
        assert!(error.to_string().contains("invalid_grant"), "{error}");
    }
    assert_eq!(token_requests(&fake), 1, "a refusal is final");
    assert_eq!(fake.requests().len(), 1, "no call was sent without a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_failures_are_retried_and_a_timeout_is_named() {
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(60), false))
        .await
        .unwrap();
    fake.push_token_faults([
        Fault::raw(503, Vec::new()),
        Fault::raw(502, "<html>502 Bad Gateway</html>"),
        Fault::ResetMidBody,
    ]);
    let client = Client::new(transport(&fake.url(), app()));
    associate(&client, 1).await.unwrap();
    assert_eq!(token_requests(&fake), 4);

    let slow = FakeHubSpot::start(oauth(Duration::from_secs(60), false))
        .await
        .unwrap();
    slow.push_token_faults(vec![Fault::Delay(Duration::from_secs(2)); 2]);
    let client = Client::new(
        Transport::builder(app())
            .base_url(slow.url())
            .request_timeout(Duration::from_millis(200))
            .retry(
                RetryPolicy::default()
                    .max_attempts(2)
                    .backoff(Duration::ZERO, Duration::ZERO),
            )
            .build()
            .unwrap(),
    );
    let error = associate(&client, 1).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Token {
                source: TokenError::Timeout { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(token_requests(&slow), 2, "two attempts, then the timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rotated_refresh_token_reaches_the_program_and_is_used_next() {
    let fake = FakeHubSpot::start(oauth(Duration::from_millis(500), true))
        .await
        .unwrap();
    let stored: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = Arc::clone(&stored);
    let app =
        app().on_refresh_token(move |token| keep.lock().unwrap().push(token.secret().to_owned()));
    let client = Client::new(transport(&fake.url(), app));
    for from in 1..=3 {
        associate(&client, from).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let stored = stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert_eq!(
        fake.refresh_tokens(),
        vec![stored[2].clone()],
        "the newest is the one that works"
    );
    assert_eq!(fake.stats().token_refusals, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_can_plug_in_its_own_token_store() {
    /// A store another process refreshes: here, a token the test swaps.
    struct Store(Arc<Mutex<String>>);
    impl TokenSource for Store {
        fn token(&self) -> TokenFuture<'_> {
            let token = AccessToken::new(self.0.lock().unwrap().clone());
            Box::pin(async move { Ok(token) })
        }
    }
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(60), false))
        .await
        .unwrap();
    // The store is filled by another worker's refresh, through the fake's token endpoint.
    let other = transport(&fake.url(), app());
    Client::new(other)
        .list_labels(ObjectType::CONTACTS, ObjectType::COMPANIES)
        .await
        .unwrap();
    let issued = fake.requests()[1].authorization.clone().unwrap();
    let current = Arc::new(Mutex::new(issued.trim_start_matches("Bearer ").to_owned()));
    let client = Client::new(
        Transport::builder(Store(Arc::clone(&current)))
            .base_url(fake.url())
            .build()
            .unwrap(),
    );
    associate(&client, 1).await.unwrap();
    *current.lock().unwrap() = "not-a-token-the-fake-issued".into();
    let error = associate(&client, 2).await.unwrap_err();
    assert_eq!(
        error.http_status().map(|s| s.as_u16()),
        Some(401),
        "{error}"
    );
    assert_eq!(fake.stats().unknown_tokens, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_survives_in_errors_even_when_servers_echo_tokens_that_change() {
    let server = MockServer::start().await;
    let counter = Arc::new(Mutex::new(0u32));
    let issue = Arc::clone(&counter);
    // Each refresh gives a new access token that lives a second; the API echoes the token
    // it was sent, and the token endpoint, once refused, echoes the form it was sent.
    Mock::given(method("POST"))
        .and(path(OAUTH_TOKEN_PATH))
        .respond_with(move |request: &Request| {
            let mut count = issue.lock().unwrap();
            *count += 1;
            match *count {
                1 | 2 => ResponseTemplate::new(200).set_body_json(json!({
                    "access_token": format!("access-token-number-{count}"),
                    "refresh_token": REFRESH_TOKEN,
                    "expires_in": 1,
                })),
                _ => ResponseTemplate::new(400).set_body_string(format!(
                    "refused: {}",
                    String::from_utf8_lossy(&request.body)
                )),
            }
        })
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(|request: &Request| {
            let sent = request.headers["authorization"]
                .to_str()
                .unwrap()
                .to_owned();
            ResponseTemplate::new(400)
                .insert_header("x-echo", sent.as_str())
                .set_body_json(
                    json!({"status": "error", "category": "VALIDATION_ERROR", "message": sent}),
                )
        })
        .mount(&server)
        .await;
    let client = Client::new(transport(&server.uri(), app()));
    let mut texts = Vec::new();
    for _ in 0..3 {
        let error = associate(&client, 1).await.unwrap_err();
        texts.push(format!("{error} {error:?}"));
        if let Error::Api(api) = &error {
            texts.push(format!("{:?} {}", api.headers, api.body_text()));
        }
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    let all = texts.join("\n");
    assert!(
        all.contains("[redacted]"),
        "the echoes were redacted: {all}"
    );
    for secret in [
        "access-token-number-1",
        "access-token-number-2",
        CLIENT_SECRET,
        REFRESH_TOKEN,
    ] {
        assert!(!all.contains(secret), "{secret} appears in: {all}");
    }
    assert!(
        all.contains("refused"),
        "the third call's refresh was refused: {all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_the_program_built_sends_calls_and_token_requests_through_its_proxy() {
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(60), false))
        .await
        .unwrap();
    let proxy = ForwardProxy::start().await.unwrap();
    let http = http_client_builder()
        .proxy(reqwest::Proxy::http(proxy.url()).unwrap())
        .build()
        .unwrap();
    let client = Client::new(
        Transport::builder(app())
            .base_url(fake.url())
            .http_client(http)
            .build()
            .unwrap(),
    );
    associate(&client, 1).await.unwrap();
    associate(&client, 2).await.unwrap();
    let seen = proxy.seen();
    let base = fake.url();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0], format!("POST {base}{OAUTH_TOKEN_PATH}"));
    assert!(seen[1].starts_with(&format!("PUT {base}/crm/")), "{seen:?}");
    assert_eq!(fake.requests().len(), 3, "the proxy forwarded each request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_waiting_in_the_rate_limiter_takes_its_token_when_it_goes() {
    // Tokens live a second; the limiter lets 2 calls go every 500 ms, so the last of 12
    // callers waits about 3 s: a token taken before the wait would expire in it.
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(1), false))
        .await
        .unwrap();
    let client = Client::new(
        Transport::builder(app())
            .base_url(fake.url())
            .rate_limit(RateLimit::Custom {
                requests: 2,
                per: Duration::from_millis(500),
            })
            .build()
            .unwrap(),
    );
    let calls = (1..=12u64).map(|from| {
        let client = client.clone();
        async move { associate(&client, from).await }
    });
    for outcome in join_all(calls).await {
        outcome.unwrap();
    }
    assert_eq!(fake.stats().expired_tokens, 0, "{:?}", fake.stats());
    assert!(fake.stats().tokens_issued >= 3, "{:?}", fake.stats());
}

#[tokio::test]
async fn the_fake_refuses_a_used_refresh_token_with_hubspots_body() {
    let fake = FakeHubSpot::start(oauth(Duration::from_secs(60), true))
        .await
        .unwrap();
    hubspot_associations::install_tls_provider();
    let http = reqwest::Client::new();
    let refresh = |token: &'static str| {
        http.post(format!("{}{OAUTH_TOKEN_PATH}", fake.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=refresh_token&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&refresh_token={token}"
            ))
            .send()
    };
    let first = refresh(REFRESH_TOKEN).await.unwrap();
    assert_eq!(first.status(), 200);
    let answer: serde_json::Value = first.json().await.unwrap();
    assert_ne!(answer["refresh_token"], REFRESH_TOKEN, "rotated: {answer}");
    assert_eq!(answer["expires_in"], 60);
    let again = refresh(REFRESH_TOKEN).await.unwrap();
    assert_eq!(again.status(), 400);
    let refusal: serde_json::Value = again.json().await.unwrap();
    assert_eq!(refusal["status"], "BAD_REFRESH_TOKEN");
    assert_eq!(refusal["error"], "invalid_grant");
    assert_eq!(fake.stats().token_refusals, 1);
}
