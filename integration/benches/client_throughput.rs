//! Requests per second through the generated client, against a plain reqwest + serde_json
//! call of the same endpoint, measured in the same run with the rate limiter off.
//!
//! `cargo bench -p integration --bench client_throughput`, or `cargo xtask bench-client`,
//! which also counts instructions per request with callgrind: wall-clock rates on a shared
//! machine are noisy, instruction counts are repeatable.
//!
//! With `--only plain` or `--only ours`, it sends `SEQUENTIAL` requests one after another
//! with that client alone (the plain one with the same timeout), for callgrind to count.
//!
//! The server answers every request with the same page of 20 labels (`list_labels` of the
//! newest generally available version), so that what differs is the client.
//! There are two baselines: the plain call as most code writes it, without a timeout, and the
//! same call with the 30 s timeout this client sets on every request (each request then arms
//! a timer, which costs a few percent of the rate). Rounds come in adjacent triples, one per
//! client, in rotating order, so that all see the same load on a shared machine; the medians of
//! the per-triple ratios are the figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hubspot_associations::newest_generally_available::{Client, types};
use hubspot_associations::{ApiVersion, RateLimit, Transport};

const WORKERS: usize = 8;
const ROUND: Duration = Duration::from_millis(1000);
const TRIPLES: usize = 15;
const TOKEN: &str = "pat-na1-benchmark";
/// Requests sent one after another with `--only`.
const SEQUENTIAL: usize = 3_000;

async fn serve() -> String {
    let page = serde_json::json!({
        "results": (0..20).map(|i| serde_json::json!({
            "category": if i == 0 { "HUBSPOT_DEFINED" } else { "USER_DEFINED" },
            "typeId": 279 + i,
            "label": if i == 0 { None } else { Some(format!("Label {i}")) }
        })).collect::<Vec<_>>()
    })
    .to_string();
    let app = axum::Router::new().fallback(move || {
        let page = page.clone();
        async move { ([("content-type", "application/json")], page) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Runs `WORKERS` loops of `call` for one round; requests per second.
async fn round<F, Fut>(call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = usize> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (call, done, stop) = (call.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(call().await, 20);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(ROUND).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    for worker in workers {
        worker.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

#[tokio::main]
async fn main() {
    // Cargo unifies features across the workspace: reqwest may be built without a provider.
    hubspot_associations::install_tls_provider();
    let url = serve().await;
    let version = ApiVersion::newest_generally_available().expect("a generally available version");
    let path = format!("{url}/crm/associations/{version}/contacts/companies/labels");

    let plain = reqwest::Client::new();
    let plain_call = move |timeout: Option<Duration>| {
        let (plain, path) = (plain.clone(), path.clone());
        move || {
            let (plain, path) = (plain.clone(), path.clone());
            async move {
                let mut request = plain
                    .get(&path)
                    .bearer_auth(TOKEN)
                    .header("accept", "application/json");
                if let Some(timeout) = timeout {
                    request = request.timeout(timeout);
                }
                let page: types::CollectionResponseAssociationSpecWithLabelNoPaging = request
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                page.results.len()
            }
        }
    };
    let baseline = plain_call(None);
    let timed_baseline = plain_call(Some(hubspot_associations::DEFAULT_REQUEST_TIMEOUT));
    let client = Client::new(
        Transport::builder(TOKEN)
            .base_url(&url)
            .rate_limit(RateLimit::Off)
            .build()
            .unwrap(),
    );
    let ours = move || {
        let client = client.clone();
        async move {
            client
                .list_labels("contacts", "companies")
                .await
                .unwrap()
                .results
                .len()
        }
    };

    let args: Vec<String> = std::env::args().collect();
    if let Some(only) = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
    {
        for _ in 0..SEQUENTIAL {
            match only.as_str() {
                "plain" => timed_baseline().await,
                _ => ours().await,
            };
        }
        return;
    }
    // Warm the connection pools before measuring.
    round(baseline.clone()).await;
    round(ours.clone()).await;
    let mut rates: [Vec<f64>; 3] = Default::default();
    let (mut ratio, mut timed_ratio) = (Vec::new(), Vec::new());
    for triple in 0..TRIPLES {
        let mut rate = [0.0; 3];
        for turn in 0..3 {
            let which = (triple + turn) % 3;
            rate[which] = match which {
                0 => round(baseline.clone()).await,
                1 => round(timed_baseline.clone()).await,
                _ => round(ours.clone()).await,
            };
        }
        for (all, one) in rates.iter_mut().zip(rate) {
            all.push(one);
        }
        ratio.push(rate[2] / rate[0]);
        timed_ratio.push(rate[2] / rate[1]);
    }
    let [plain_rates, timed_rates, our_rates] = rates;
    println!(
        "client throughput, {WORKERS} concurrent callers, {TRIPLES} rounds of {ROUND:?} per client"
    );
    println!("| client | median requests/s |\n|---|---|");
    println!(
        "| reqwest + serde_json (baseline) | {:.0} |",
        median(plain_rates)
    );
    println!(
        "| reqwest + serde_json with a 30 s timeout | {:.0} |",
        median(timed_rates)
    );
    println!(
        "| hubspot-associations, limiter off | {:.0} |",
        median(our_rates)
    );
    println!(
        "ratio to the baseline: {:.3}; to the baseline with the same timeout: {:.3}",
        median(ratio),
        median(timed_ratio)
    );
}
