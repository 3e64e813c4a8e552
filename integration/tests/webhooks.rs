//! The fake's webhooks against receivers that fail: each request the receiver refuses, or
//! answers too slowly, comes again with its events' `attemptNumber` raised, until taken.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use fake_hubspot::{Association, Config, FakeHubSpot, WebhookConfig};
use hubspot_associations::webhooks::{Event, SignedRequest, Verifier, decode};

const SECRET: &str = "retry-test-secret";

/// How the receiver answers an attempt.
#[derive(Clone, Copy)]
enum FirstAttempt {
    /// A 500.
    Fails,
    /// A 204, after longer than the fake waits.
    IsSlow(Duration),
}

/// What a receiver took: every event of every request it answered 2xx, all verified.
#[derive(Clone)]
struct Taken {
    url: String,
    first: FirstAttempt,
    events: Arc<Mutex<Vec<Event>>>,
}

async fn receive(State(taken): State<Taken>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let request = SignedRequest::new("POST", &taken.url, &body).headers(&headers);
    Verifier::new(SECRET)
        .verify_now(&request)
        .expect("each request is signed v3 with the app's secret, and recent");
    let events = decode(&body, usize::MAX).expect("a JSON array of events");
    assert!(events.undecodable.is_empty(), "{:?}", events.undecodable);
    if events.events.iter().any(|event| event.attempt_number == 0) {
        match taken.first {
            FirstAttempt::Fails => return StatusCode::INTERNAL_SERVER_ERROR,
            FirstAttempt::IsSlow(wait) => tokio::time::sleep(wait).await,
        }
    }
    taken.events.lock().unwrap().extend(events.events);
    StatusCode::NO_CONTENT
}

/// A receiver on a free port of 127.0.0.1.
async fn receiver(first: FirstAttempt) -> Taken {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let taken = Taken {
        url: format!("http://{}/webhooks", listener.local_addr().unwrap()),
        first,
        events: Arc::default(),
    };
    let app = Router::new()
        .route("/webhooks", post(receive))
        .with_state(taken.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    taken
}

/// 150 associations made in the fake: 300 events, in 3 requests.
async fn changes_sent_to(taken: &Taken, timeout: Duration) -> FakeHubSpot {
    let fake = FakeHubSpot::start(Config {
        webhooks: Some(WebhookConfig {
            retry_delay: Duration::from_millis(20),
            timeout,
            ..WebhookConfig::new(&taken.url, SECRET)
        }),
        ..Config::default()
    })
    .await
    .unwrap();
    for id in 1..=150 {
        fake.associate(Association {
            from_type: "deals".into(),
            from_id: id,
            to_type: "notes".into(),
            to_id: 9_000 + id,
            type_id: 213,
        });
    }
    fake.webhooks_settled().await;
    fake
}

fn assert_every_event_came_on_the_second_attempt(taken: &Taken, fake: &FakeHubSpot) {
    let events = taken.events.lock().unwrap();
    assert_eq!(events.len(), 300);
    assert!(events.iter().all(|event| event.attempt_number == 1));
    let stats = fake.stats();
    assert_eq!(stats.webhook_events_delivered, 300);
    assert_eq!(stats.webhook_events_failed, 0);
    assert_eq!(stats.webhook_requests, 2 * stats.webhook_failed_requests);
    assert!(stats.webhook_failed_requests >= 3, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_refused_at_first_comes_again_with_attempt_number_1() {
    let taken = receiver(FirstAttempt::Fails).await;
    let fake = changes_sent_to(&taken, Duration::from_secs(5)).await;
    assert_every_event_came_on_the_second_attempt(&taken, &fake);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_answered_too_slowly_comes_again() {
    let taken = receiver(FirstAttempt::IsSlow(Duration::from_millis(600))).await;
    let fake = changes_sent_to(&taken, Duration::from_millis(200)).await;
    // The slow first answers were taken too, late: the fake had given up on them.
    let events = taken.events.lock().unwrap().clone();
    let retried = events
        .iter()
        .filter(|event| event.attempt_number == 1)
        .count();
    assert_eq!(retried, 300, "every event came again after the timeout");
    assert_eq!(fake.stats().webhook_events_delivered, 300);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_receiver_is_given_up_on_after_the_last_retry() {
    // A port nothing listens on: every attempt fails to connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fake = FakeHubSpot::start(Config {
        webhooks: Some(WebhookConfig {
            retry_delay: Duration::from_millis(1),
            max_retries: 3,
            ..WebhookConfig::new(format!("http://127.0.0.1:{port}/"), SECRET)
        }),
        ..Config::default()
    })
    .await
    .unwrap();
    fake.associate(Association {
        from_type: "contacts".into(),
        from_id: 1,
        to_type: "companies".into(),
        to_id: 2,
        type_id: 279,
    });
    fake.webhooks_settled().await;
    let stats = fake.stats();
    assert_eq!(stats.webhook_events_failed, 2);
    assert_eq!(stats.webhook_requests, 4, "the first attempt and 3 retries");
    assert_eq!(stats.webhook_events_delivered, 0);
}
