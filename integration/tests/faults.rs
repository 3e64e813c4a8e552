//! Fault injection: each case makes the fake HubSpot misbehave in one way and asserts what the
//! client returns and how many attempts reached the server.
//!
//! The fake runs on the test's own runtime with tokio's clock paused, so waits (Retry-After,
//! backoff, timeouts, the rate limiter) pass in virtual time: asserted exactly, never slept.

use std::time::Duration;

use fake_hubspot::{Association, Config, FakeHubSpot, Fault};
use hubspot_associations::newest_generally_available::{Client, types};
use hubspot_associations::{
    ApiVersion, CallOptions, Error, RateLimit, RateLimitPolicy, RetryPolicy, Transport,
    with_version,
};
use serde_json::json;
use tokio::time::Instant;

const TOKEN: &str = "pat-na1-fault-suite-secret";

async fn fake(config: Config) -> FakeHubSpot {
    let fake = FakeHubSpot::start(config).await.unwrap();
    fake.seed((1..=3).map(|to_id| Association {
        from_type: "contacts".into(),
        from_id: 1,
        to_type: "companies".into(),
        to_id,
        type_id: 279,
    }));
    fake
}

fn client_with(fake: &FakeHubSpot, rate_limit: RateLimit) -> Client {
    Client::new(
        Transport::builder(TOKEN)
            .base_url(fake.url())
            .rate_limit(rate_limit)
            .request_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
}

fn client(fake: &FakeHubSpot) -> Client {
    client_with(fake, RateLimit::Off)
}

/// A plain read (a GET that may be retried), in the newest generally available version.
async fn list_labels(
    client: &Client,
) -> Result<
    hubspot_associations::Response<types::CollectionResponseAssociationSpecWithLabelNoPaging>,
    Error,
> {
    client.list_labels("contacts", "companies").await
}

/// The time between each request and the next, as the fake saw them.
fn gaps(fake: &FakeHubSpot) -> Vec<Duration> {
    let requests = fake.requests();
    requests
        .windows(2)
        .map(|pair| pair[1].at - pair[0].at)
        .collect()
}

fn attempts(fake: &FakeHubSpot) -> usize {
    fake.requests().len()
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_waits_exactly_that_long() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", "7")]);
    let page = list_labels(&client(&fake)).await.unwrap();
    assert_eq!(page.results.len(), 1, "the default type");
    assert_eq!(attempts(&fake), 2);
    assert_eq!(gaps(&fake), [Duration::from_secs(7)]);
}

#[tokio::test(start_paused = true)]
async fn a_429_with_an_http_date_retry_after_waits_until_then() {
    let fake = fake(Config::default()).await;
    let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(4));
    fake.push_faults([Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", &at)]);
    list_labels(&client(&fake)).await.unwrap();
    assert_eq!(attempts(&fake), 2);
    let gap = gaps(&fake)[0];
    // An HTTP date has whole seconds: between three and four from now.
    assert!(
        gap > Duration::from_secs(2) && gap <= Duration::from_secs(4),
        "{gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_or_policy_backs_off_and_succeeds() {
    for fault in [
        Fault::rate_limited("TEN_SECONDLY_ROLLING"),
        Fault::json(
            429,
            json!({"status": "error", "message": "Too many requests"}),
        ),
    ] {
        let fake = fake(Config::default()).await;
        fake.push_faults([fault]);
        list_labels(&client(&fake)).await.unwrap();
        assert_eq!(attempts(&fake), 2);
        assert!(
            gaps(&fake)[0] <= RetryPolicy::default().initial_backoff,
            "the first backoff"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_daily_429_is_returned_at_once_with_its_policy() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::rate_limited("DAILY")]);
    let error = list_labels(&client(&fake)).await.unwrap_err();
    assert_eq!(attempts(&fake), 1);
    let Error::RateLimited(limited) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(limited.policy, Some(RateLimitPolicy::Daily));
    assert_eq!(limited.error.status.as_u16(), 429);
    assert!(limited.error.correlation_id.is_some());
    assert!(error.to_string().contains("(DAILY limit)"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried() {
    for status in [500, 502, 503, 504, 520, 521, 522, 523, 524, 525, 526, 527] {
        let fake = fake(Config::default()).await;
        fake.push_faults([Fault::raw(status, "")]);
        list_labels(&client(&fake))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(attempts(&fake), 2, "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_attempt_limit_and_keep_the_last_answer() {
    let fake = fake(Config::default()).await;
    fake.push_faults((0..10).map(|_| Fault::raw(503, "<html>Service Unavailable</html>")));
    let started = Instant::now();
    let error = list_labels(&client(&fake)).await.unwrap_err();
    assert_eq!(
        attempts(&fake),
        RetryPolicy::default().max_attempts as usize
    );
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status.as_u16(), 503);
    assert_eq!(api.body_text(), "<html>Service Unavailable</html>");
    // Full jitter: each wait at most 0.5, 1, 2, 4 s.
    assert!(
        started.elapsed() <= Duration::from_millis(7_500),
        "{:?}",
        started.elapsed()
    );
    for (index, gap) in gaps(&fake).iter().enumerate() {
        assert!(
            *gap <= Duration::from_millis(500) * (1 << index),
            "wait {index} was {gap:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_time_limit() {
    let fake = fake(Config::default()).await;
    fake.push_faults((0..10).map(|_| Fault::raw(477, "").header("retry-after", "40")));
    let client = client(&fake).with_options(CallOptions::retry(
        RetryPolicy::default().max_elapsed(Duration::from_secs(100)),
    ));
    let error = list_labels(&client).await.unwrap_err();
    assert_eq!(error.http_status().map(|s| s.as_u16()), Some(477));
    assert_eq!(
        attempts(&fake),
        3,
        "40 s, 40 s, and a third wait would pass 100 s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_423_waits_at_least_two_seconds() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::raw(423, "")]);
    list_labels(&client(&fake)).await.unwrap();
    assert_eq!(attempts(&fake), 2);
    assert_eq!(gaps(&fake), [Duration::from_secs(2)]);
}

#[tokio::test(start_paused = true)]
async fn a_477_honours_retry_after() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::json(
        477,
        json!({"status": "error", "message": "Migration in progress"}),
    )
    .header("retry-after", "3")]);
    list_labels(&client(&fake)).await.unwrap();
    assert_eq!(attempts(&fake), 2);
    assert_eq!(gaps(&fake), [Duration::from_secs(3)]);
}

#[tokio::test(start_paused = true)]
async fn a_connection_reset_mid_response_is_retried() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::ResetMidBody]);
    list_labels(&client(&fake)).await.unwrap();
    assert_eq!(attempts(&fake), 2);
}

#[tokio::test(start_paused = true)]
async fn a_server_slower_than_the_timeout_times_out_and_is_retried() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::Delay(Duration::from_secs(60))]);
    let started = Instant::now();
    list_labels(&client(&fake)).await.unwrap();
    assert_eq!(attempts(&fake), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "the first attempt waited for its timeout"
    );
    assert!(started.elapsed() < Duration::from_secs(6));

    fake.push_faults((0..5).map(|_| Fault::Delay(Duration::from_secs(60))));
    let quick = client(&fake).with_options(CallOptions::timeout(Duration::from_millis(200)));
    let error = list_labels(&quick).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { timeout, .. } if timeout == Duration::from_millis(200)),
        "{error:?}"
    );
    assert_eq!(attempts(&fake), 2 + 5);
}

#[tokio::test(start_paused = true)]
async fn malformed_json_is_a_decode_error_that_keeps_status_and_body() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::raw(200, r#"{"results": [{"toObjectId": 1,"#)]);
    let error = list_labels(&client(&fake)).await.unwrap_err();
    assert_eq!(attempts(&fake), 1, "a 2xx is not retried");
    let Error::Decode(decode) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(decode.status.as_u16(), 200);
    assert_eq!(&decode.body[..], br#"{"results": [{"toObjectId": 1,"#);
    assert!(
        error.to_string().contains("the body starts with"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_html_error_page_is_kept_as_raw_text() {
    let fake = fake(Config::default()).await;
    let page = "<html><body><h1>400 Bad Request</h1></body></html>";
    fake.push_faults([Fault::raw(400, page).header("content-type", "text/html")]);
    let error = list_labels(&client(&fake)).await.unwrap_err();
    assert_eq!(attempts(&fake), 1);
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status.as_u16(), 400);
    assert_eq!(api.body_text(), page);
    assert_eq!(api.headers["content-type"], "text/html");
    assert_eq!(
        (api.category.as_deref(), api.message.as_deref()),
        (None, None)
    );
}

#[tokio::test(start_paused = true)]
async fn empty_bodies_are_retried_refused_or_accepted_as_the_status_says() {
    let fake = fake(Config::default()).await;
    fake.push_faults([Fault::raw(503, ""), Fault::raw(200, "")]);
    let error = list_labels(&client(&fake)).await.unwrap_err();
    assert_eq!(
        attempts(&fake),
        2,
        "the 503 was retried; the empty 200 cannot be a page"
    );
    assert!(
        matches!(&error, Error::Decode(d) if d.status.as_u16() == 200 && d.body.is_empty()),
        "{error:?}"
    );

    let body = types::BatchInputPublicAssociationMultiArchive { inputs: vec![] };
    fake.push_faults([Fault::raw(204, "")]);
    let removed = client(&fake)
        .batch_archive("contacts", "companies", &body)
        .await
        .unwrap();
    assert_eq!(
        (removed.http_status().as_u16(), removed.is_none()),
        (204, true)
    );
}

#[tokio::test(start_paused = true)]
async fn every_2xx_is_success_documented_or_not() {
    let fake = fake(Config::default()).await;
    let page = json!({"results": [{"category": "HUBSPOT_DEFINED", "typeId": 279}]});
    for status in [200, 201, 202, 203, 207] {
        fake.push_faults([Fault::json(status, page.clone())]);
        let answer = list_labels(&client(&fake))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(
            (answer.http_status().as_u16(), answer.results.len()),
            (status, 1)
        );
    }
    fake.push_faults([Fault::raw(200, r#"{"status": "COMPLETE"}"#)]);
    let answer = client(&fake)
        .archive("contacts", "1", "companies", "2")
        .await
        .unwrap();
    assert_eq!(
        answer.http_status().as_u16(),
        200,
        "a body where none is documented is not an error"
    );
}

#[tokio::test(start_paused = true)]
async fn operations_that_could_act_twice_are_not_retried_on_server_errors() {
    let fake = fake(Config::default()).await;
    let label = types::PublicAssociationDefinitionCreateRequest {
        label: "Billing".into(),
        name: "billing".into(),
        inverse_label: None,
    };
    fake.push_faults([Fault::raw(503, "")]);
    let error = client(&fake)
        .create_label("contacts", "companies", &label)
        .await
        .unwrap_err();
    assert_eq!(
        (error.http_status().map(|s| s.as_u16()), attempts(&fake)),
        (Some(503), 1)
    );
    // A 429 says the request was not processed: retried for every operation.
    fake.push_faults([Fault::rate_limited("TEN_SECONDLY_ROLLING")]);
    client(&fake)
        .create_label("contacts", "companies", &label)
        .await
        .unwrap();
    assert_eq!(attempts(&fake), 3);
}

#[tokio::test(start_paused = true)]
async fn a_busy_program_never_triggers_a_429() {
    let fake = fake(Config {
        burst_limit: Some((10, Duration::from_secs(1))),
        ..Config::default()
    })
    .await;
    let client = client_with(
        &fake,
        RateLimit::Custom {
            requests: 10,
            per: Duration::from_secs(1),
        },
    );
    let started = Instant::now();
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { list_labels(&client).await.map(|_| ()) })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(fake.stats().rate_limited, 0);
    assert_eq!(attempts(&fake), 100);
    let limits = list_labels(&client).await.unwrap().rate_limit();
    assert_eq!(
        (limits.max, limits.interval),
        (Some(10), Some(Duration::from_secs(1)))
    );
    assert!(
        limits.remaining.is_some_and(|remaining| remaining < 10),
        "{limits:?}"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(9) && elapsed < Duration::from_secs(11),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn clients_of_every_version_on_one_transport_share_one_budget() {
    let fake = fake(Config {
        burst_limit: Some((6, Duration::from_secs(1))),
        ..Config::default()
    })
    .await;
    let transport = Transport::builder(TOKEN)
        .base_url(fake.url())
        .rate_limit(RateLimit::Custom {
            requests: 6,
            per: Duration::from_secs(1),
        })
        .build()
        .unwrap();
    // Each call goes through the client of a version of the registry, in turn.
    let calls = (0..30).map(|i| {
        let version = ApiVersion::ALL[i % ApiVersion::ALL.len()];
        let transport = transport.clone();
        tokio::spawn(async move {
            with_version!(version, api, {
                api::Client::new(transport)
                    .list_labels("contacts", "companies")
                    .await
                    .map(drop)
            })
        })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(fake.stats().rate_limited, 0);
    for version in ApiVersion::ALL {
        let path = version.operation("list_labels").unwrap().path;
        let prefix = path.split('{').next().unwrap();
        assert!(
            fake.requests().iter().any(|r| r.path.starts_with(prefix)),
            "{version} was called"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_limiter_learns_the_real_limit_and_other_programs_share_from_the_headers() {
    let fake = fake(Config {
        burst_limit: Some((10, Duration::from_secs(1))),
        ..Config::default()
    })
    .await;
    // Another program on the same token uses most of the window...
    let other = client(&fake);
    for _ in 0..7 {
        list_labels(&other).await.unwrap();
    }
    // ...and this one is configured for a tier far above the real limit.
    let client = client_with(
        &fake,
        RateLimit::Tier(
            hubspot_associations::Tier::ENTERPRISE
                .with_api_limit_increases(2)
                .unwrap(),
        ),
    );
    list_labels(&client).await.unwrap();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { list_labels(&client).await.map(|_| ()) })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(
        fake.stats().rate_limited,
        0,
        "the headers of the first answer taught the limiter"
    );
}

/// A burst limit passes within its window: a `Retry-After` of days on a `TEN_SECONDLY_ROLLING`
/// 429 waits (and pauses every caller) for the window and a margin, 11 s, and the call
/// succeeds. A 429 that names no policy is not bounded so: longer than the retry budget, it
/// comes back at once, and pauses the other calls for `max_pause` at most.
#[tokio::test(start_paused = true)]
async fn a_retry_after_of_days_waits_a_burst_limits_window_and_an_unknown_429_comes_back() {
    let fake = fake(Config::default()).await;
    let client = client_with(
        &fake,
        RateLimit::Custom {
            requests: 100,
            per: Duration::from_secs(10),
        },
    );
    let far =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(86_400 * 365));
    for retry_after in ["999999", far.as_str()] {
        fake.push_faults([
            Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", retry_after)
        ]);
        let started = Instant::now();
        list_labels(&client).await.unwrap();
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(11),
            "{retry_after}: the window and a tenth"
        );
        let unnamed = Fault::json(429, json!({"status": "error", "message": "slow down"}));
        fake.push_faults([unnamed.header("retry-after", retry_after)]);
        let started = Instant::now();
        let error = list_labels(&client).await.expect_err("the 429 is returned");
        assert!(
            matches!(error, Error::RateLimited(_)),
            "{retry_after}: {error}"
        );
        assert_eq!(started.elapsed(), Duration::ZERO, "{retry_after}: no wait");
        let started = Instant::now();
        list_labels(&client).await.unwrap();
        assert_eq!(
            started.elapsed(),
            RetryPolicy::default().max_pause,
            "{retry_after}: the limiter pauses for max_pause at most"
        );
    }
}

/// Attempts bound other failures: ten burst-limit 429s in a row are retried past
/// `max_attempts`, within the time budget; ten 429s that name no policy are not.
#[tokio::test(start_paused = true)]
async fn burst_limit_429s_are_retried_past_the_attempt_limit_within_the_time_budget() {
    let fake = fake(Config::default()).await;
    fake.push_faults(
        (0..10).map(|_| Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", "1")),
    );
    list_labels(&client(&fake)).await.unwrap();
    assert_eq!(attempts(&fake), 11);

    let fake = self::fake(Config::default()).await;
    fake.push_faults((0..10).map(|_| Fault::json(429, json!({"status": "error"}))));
    list_labels(&client(&fake)).await.unwrap_err();
    assert_eq!(
        attempts(&fake),
        RetryPolicy::default().max_attempts as usize
    );

    // The time budget still ends them.
    let fake = self::fake(Config::default()).await;
    fake.push_faults(
        (0..100).map(|_| Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", "10")),
    );
    let started = Instant::now();
    let error = list_labels(&client(&fake)).await.unwrap_err();
    assert!(matches!(error, Error::RateLimited(_)), "{error}");
    assert!(started.elapsed() <= RetryPolicy::default().max_elapsed);
    // Waits of 10 s (what was asked) to 11 s (the window's bound, when the backoff is longer)
    // within 120 s.
    assert!((11..=13).contains(&attempts(&fake)), "{}", attempts(&fake));
}

/// The crash-prone case runs in a child process: a regression that allocates per header unit
/// aborts the child, and this test fails instead of the whole test binary.
#[test]
fn absurd_rate_limit_headers_neither_allocate_nor_stall() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "absurd_rate_limit_headers_in_a_child",
            "--ignored",
            "--nocapture",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the child failed or died: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 passed"));
}

#[tokio::test(start_paused = true)]
#[ignore = "run in a child process by absurd_rate_limit_headers_neither_allocate_nor_stall"]
async fn absurd_rate_limit_headers_in_a_child() {
    let fake = fake(Config::default()).await;
    let client = client_with(
        &fake,
        RateLimit::Custom {
            requests: 100,
            per: Duration::from_secs(10),
        },
    );
    fake.push_faults([
        Fault::json(200, json!({"results": []}))
            .header("x-hubspot-ratelimit-max", "4294967295")
            .header("x-hubspot-ratelimit-remaining", "0")
            .header("x-hubspot-ratelimit-interval-milliseconds", "10000"),
        Fault::json(200, json!({"results": []}))
            .header("x-hubspot-ratelimit-max", "100")
            .header(
                "x-hubspot-ratelimit-interval-milliseconds",
                "18446744073709551615",
            ),
    ]);
    let started = Instant::now();
    for _ in 0..3 {
        list_labels(&client).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "calls went on at once: {:?}",
        started.elapsed()
    );
}

/// An unreachable HubSpot: the error names the cause underneath reqwest's own message, such as
/// the refused connection, so that a program and its logs can tell why.
#[tokio::test]
async fn an_unreachable_hubspot_is_an_error_that_names_the_cause() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let client = Client::new(
        Transport::builder("pat-na1-unreachable")
            .base_url(&closed)
            .retry(RetryPolicy::never())
            .build()
            .unwrap(),
    );
    let error = client
        .list_labels("contacts", "companies")
        .await
        .expect_err("nothing listens there");
    let text = error.to_string();
    assert!(text.contains("HubSpot could not be reached"), "{text}");
    assert!(text.contains("; caused by: "), "{text}");
    assert!(text.to_lowercase().contains("connection refused"), "{text}");
}
