//! The rate-limit budget shared through a real `redis-server` (started by each test on a free
//! loopback port): transports that share a key stay under the fake HubSpot's burst limit
//! together; a Redis that is killed, or that never answers, makes them count on their own
//! and finish; a Redis started again is used again.
//!
//! Real time, not tokio's paused clock: the budget runs on the Redis server's clock.

use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;

use fake_hubspot::{Config, FakeHubSpot, RedisServer};
use hubspot_associations::newest_generally_available::Client;
use hubspot_associations::{RateLimit, SharedBudget, Transport};
use integration::Captured;

const TOKEN: &str = "pat-na1-shared-budget";
/// The fake's burst limit, and each transport's.
const LIMIT: u32 = 20;
const WINDOW: Duration = Duration::from_millis(500);

async fn fake() -> FakeHubSpot {
    FakeHubSpot::start(Config {
        burst_limit: Some((LIMIT, WINDOW)),
        ..Config::default()
    })
    .await
    .unwrap()
}

fn transport(fake: &FakeHubSpot, budget: Option<SharedBudget>) -> Transport {
    let mut builder =
        Transport::builder(TOKEN)
            .base_url(fake.url())
            .rate_limit(RateLimit::Custom {
                requests: LIMIT,
                per: WINDOW,
            });
    if let Some(budget) = budget {
        builder = builder.shared_budget(budget);
    }
    builder.build().unwrap()
}

/// `calls` reads through `transport`, eight at a time; each must succeed.
async fn read(transport: &Transport, calls: usize) {
    let client = Client::new(transport.clone());
    let workers = (0..8).map(|worker| {
        let client = client.clone();
        tokio::spawn(async move {
            for _ in (worker..calls).step_by(8) {
                client.list_labels("contacts", "companies").await.unwrap();
            }
        })
    });
    for worker in futures_util::future::join_all(workers).await {
        worker.unwrap();
    }
}

/// Every log line of the shared budget named `key`, from a subscriber the whole test binary
/// shares (tests run on several threads; each names its own key).
fn logged(key: &str) -> Vec<String> {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    let logs = LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = {
            let logs = logs.clone();
            move || logs.clone()
        };
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::INFO)
                .with_writer(writer)
                .with_ansi(false)
                .finish(),
        )
        .unwrap();
        logs
    });
    let text = logs.text();
    let field = format!("key={key}");
    text.lines()
        .filter(|line| line.split_whitespace().any(|word| word == field))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_transports_sharing_one_key_stay_under_the_limit_together() {
    logged("");
    let redis = RedisServer::start();
    // Without the shared budget, each believes it owns the limit: together they exceed it.
    let alone = fake().await;
    let (first, second) = (transport(&alone, None), transport(&alone, None));
    tokio::join!(read(&first, 60), read(&second, 60));
    let refused_alone = alone.stats().rate_limited;
    // With it, the same two stay under it.
    let shared = fake().await;
    // A generous timeout: a loaded test machine must not make the budget fall back.
    let budget =
        SharedBudget::redis(redis.url(), "account-two-transports").timeout(Duration::from_secs(2));
    let (first, second) = (
        transport(&shared, Some(budget.clone())),
        transport(&shared, Some(budget)),
    );
    let started = std::time::Instant::now();
    tokio::join!(read(&first, 60), read(&second, 60));
    let took = started.elapsed();
    let stats = shared.stats();
    println!(
        "two transports, 120 calls at {LIMIT} per {WINDOW:?}: alone {} requests, {refused_alone} \
         answered 429; shared {} requests, {} answered 429, in {took:?}",
        alone.stats().requests,
        stats.requests,
        stats.rate_limited,
    );
    assert!(
        refused_alone > 0,
        "the test shows nothing: two transports alone did not exceed the limit"
    );
    assert_eq!(
        stats.rate_limited, 0,
        "the shared budget let too many through"
    );
    assert_eq!(stats.requests, 120);
    assert!(
        logged("account-two-transports")
            .iter()
            .any(|line| line.contains("rate limit shared through Redis")),
        "the transports say that they share"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_killed_mid_run_is_fallen_back_from_once_and_used_again_when_it_returns() {
    let key = "account-killed-redis";
    logged("");
    let mut redis = RedisServer::start();
    let fake = fake().await;
    let transport = transport(
        &fake,
        Some(SharedBudget::redis(redis.url(), key).reconnect_after(Duration::from_millis(300))),
    );
    read(&transport, 30).await;
    assert!(redis.keys() > 0, "the budget is kept in Redis");

    redis.stop();
    read(&transport, 60).await;
    let warnings: Vec<String> = logged(key)
        .into_iter()
        .filter(|line| line.contains("WARN"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "one warning for the outage: {warnings:#?}"
    );
    assert!(
        warnings[0].contains("counting in this process alone"),
        "{}",
        warnings[0]
    );

    redis.restart();
    assert_eq!(redis.keys(), 0, "a new, empty Redis");
    tokio::time::sleep(Duration::from_millis(400)).await;
    read(&transport, 10).await;
    assert!(redis.keys() > 0, "the budget is kept in Redis again");
    assert!(
        logged(key)
            .iter()
            .any(|line| line.contains("answers again")),
        "{:#?}",
        logged(key)
    );
    assert_eq!(fake.stats().requests - fake.stats().rate_limited, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_never_answers_holds_no_call_up() {
    let key = "account-silent-redis";
    logged("");
    // Accepts connections, and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let connections: Vec<_> = silent.incoming().take(2).collect();
        std::thread::sleep(Duration::from_secs(30));
        drop(connections);
    });
    let fake = fake().await;
    let transport = transport(
        &fake,
        Some(SharedBudget::redis(url, key).timeout(Duration::from_millis(100))),
    );
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(20), read(&transport, 20))
        .await
        .expect("the calls finished without Redis");
    println!(
        "20 calls with a silent Redis: {:?}; {} answered 429",
        started.elapsed(),
        fake.stats().rate_limited
    );
    let warnings = logged(key)
        .into_iter()
        .filter(|line| line.contains("WARN"))
        .count();
    assert_eq!(warnings, 1, "{:#?}", logged(key));
    drop(held);
}

#[test]
fn a_shared_budget_without_a_rate_limit_or_with_a_bad_url_is_refused_without_its_password() {
    let build = |budget: SharedBudget, rate_limit| {
        Transport::builder(TOKEN)
            .base_url("http://127.0.0.1:1")
            .rate_limit(rate_limit)
            .shared_budget(budget)
            .build()
            .map(drop)
            .unwrap_err()
            .to_string()
    };
    let off = build(
        SharedBudget::redis("redis://127.0.0.1:1/", "k"),
        RateLimit::Off,
    );
    assert!(off.contains("rate limit is off"), "{off}");
    let bad = build(
        SharedBudget::redis("http://:hunter2-secret@127.0.0.1:1/", "k"),
        RateLimit::default(),
    );
    assert!(bad.contains("Redis URL"), "{bad}");
    assert!(!bad.contains("hunter2"), "{bad}");
    let debug = format!(
        "{:?}",
        SharedBudget::redis("redis://:hunter2-secret@127.0.0.1:6379/", "k")
    );
    assert!(
        !debug.contains("hunter2") && debug.contains(":redacted@"),
        "{debug}"
    );
    let empty = build(
        SharedBudget::redis("redis://127.0.0.1:1/", ""),
        RateLimit::default(),
    );
    assert!(empty.contains("key"), "{empty}");
}

/// A 429 that one transport gets pauses every transport of the budget, as HubSpot asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_one_transport_gets_pauses_the_others_of_the_budget() {
    let redis = RedisServer::start();
    let fake = fake().await;
    let budget =
        SharedBudget::redis(redis.url(), "account-shared-pause").timeout(Duration::from_secs(2));
    let (first, second) = (
        Client::new(transport(&fake, Some(budget.clone()))),
        Client::new(transport(&fake, Some(budget))),
    );
    fake.push_faults([
        fake_hubspot::Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", "2")
    ]);
    let refused = tokio::spawn(async move { first.list_labels("contacts", "companies").await });
    while fake.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Give the first transport's pause a moment to reach Redis.
    tokio::time::sleep(Duration::from_millis(100)).await;
    second.list_labels("contacts", "companies").await.unwrap();
    refused.await.unwrap().unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].status, 429);
    for later in &requests[1..] {
        let after = later.at - requests[0].at;
        assert!(
            after >= Duration::from_millis(1_900),
            "a request went {after:?} after the 429 that asked for 2 s"
        );
    }
}
