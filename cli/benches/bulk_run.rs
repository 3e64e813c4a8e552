//! The CLI measured as a user runs it, against the fake HubSpot.
//!
//! `cargo bench -p hubspot-associations-cli --bench bulk_run [-- memory|rate|shared|sync]`
//!
//! `memory`: peak resident memory and time of a dry run of 10^7 rows and of a run of 10^6 rows
//! against the fake (no rate limit), each beside a baseline of 10^5 rows measured in the same
//! run: the ratios show whether memory grows with the input. Peak memory is the kernel's
//! high-water mark (`VmHWM`, Linux), sampled every 5 ms while the process runs.
//!
//! `rate`: 200,000 pairs at a rate limit scaled so that the run takes about a minute; then the
//! same run killed half-way with SIGKILL and resumed. Reported: pairs per second, and the share
//! of the fake's allowed maximum (the shortest time the rolling-window limit permits for the
//! requests, over the time taken); 429s seen; pairs lost or created twice in the fake's store;
//! and for the killed run, whether the store ends equal to the input and how many pairs were
//! sent twice.
//!
//! `sync`: `sync --mode mirror` of 100,000 from-records wanting 200,000 pairs, against a fake
//! holding half of them and 50,000 extra, at HubSpot's highest burst limit (250 requests per
//! 10 s); then the
//! same at 10x the size. Reported per size: requests against the fewest possible (the batch
//! reads at their cap, no record needing a second page, then the creates and the removes at
//! the inputs per request of their operations), the wall time against the shortest the limit
//! allows for those requests (their ratio: the share of the limit used), peak RSS, and whether
//! the fake ends equal to the plan; then the ratio of the peak RSS of the two sizes.
//!
//! `shared`: four runs at once on one account (20,000 pairs each, 100 a request, each at the
//! whole limit of 50 requests a second, which is the fake's), first each on its own, then
//! sharing one budget through a real `redis-server` (which `cargo xtask test` installs). Reported per
//! row: requests, 429s (count and share of the requests), failed pairs, the wall time against
//! the shortest the limit allows (and their ratio, the share of the limit used), and the
//! largest peak RSS of the four.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use fake_hubspot::{Config, FakeHubSpot};
use support::wait_with_status;
use tokio::process::{Child, Command};

#[path = "../tests/support/mod.rs"]
mod support;

const PAIRS: u64 = 200_000;
/// The fake's limit: this many requests per window, HubSpot's ten seconds.
const LIMIT: u32 = 15;
const WINDOW: Duration = Duration::from_secs(10);

/// Writes `pairs` distinct pairs, streamed to the file.
fn write_input(path: &Path, pairs: u64) {
    write_pairs(path, 1..=pairs);
}

/// Writes the pairs `(i, 10_000_000 + i)` of the ids `from`.
fn write_pairs(path: &Path, from: std::ops::RangeInclusive<u64>) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(file, "from_id,to_id").unwrap();
    for i in from {
        writeln!(file, "{i},{}", 10_000_000 + i).unwrap();
    }
    file.flush().unwrap();
}

/// The CLI associating the pairs of `input` with type 279, against the fake at `url`.
fn cli(url: &str, input: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"));
    command
        .args([
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--type-id",
            "279",
            "--no-progress",
            "--base-url",
            url,
        ])
        .arg("--input")
        .arg(input)
        .env("HUBSPOT_TOKEN", "pat-na1-benchmark")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

fn spawn(fake: &FakeHubSpot, input: &Path) -> Child {
    cli(&fake.url(), input)
        .args(["--rate-limit", &format!("{LIMIT}/{}", WINDOW.as_millis())])
        .spawn()
        .unwrap()
}

/// Waits for the process, sampling its peak memory; the peak in kB.
async fn wait(mut child: Child) -> u64 {
    wait_with_status(&mut child).await.0
}

fn store(fake: &FakeHubSpot) -> BTreeSet<(u64, u64)> {
    fake.associations()
        .iter()
        .map(|a| (a.from_id, a.to_id))
        .collect()
}

fn fake_config() -> Config {
    Config {
        burst_limit: Some((LIMIT, WINDOW)),
        ..Config::default()
    }
}

/// One measured process: its peak memory in MB and its time.
struct Measured {
    peak_mb: f64,
    seconds: f64,
}

async fn measure(mut command: Command) -> Measured {
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let (peak, status) = wait_with_status(&mut child).await;
    assert!(status.success(), "the measured run failed");
    Measured {
        peak_mb: peak as f64 / 1024.0,
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn compare(what: &str, baseline: (u64, &Measured), measured: (u64, &Measured)) {
    let ((small, base), (large, big)) = (baseline, measured);
    println!("{what}");
    println!("| rows | peak RSS | time | rows/s |\n|---|---|---|---|");
    for (rows, m) in [(small, base), (large, big)] {
        println!(
            "| {rows} | {:.1} MB | {:.1} s | {:.0} |",
            m.peak_mb,
            m.seconds,
            rows as f64 / m.seconds
        );
    }
    println!(
        "| ratio | {:.2}x memory for {}x the rows | {:.1}x time | |\n",
        big.peak_mb / base.peak_mb,
        large / small,
        big.seconds / base.seconds
    );
}

/// Peak memory and time against input size: a dry run and a run against the fake.
async fn memory() {
    const BASELINE: u64 = 100_000;
    const DRY_RUN: u64 = 10_000_000;
    const RUN: u64 = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let input = |rows: u64| {
        let path = dir.path().join(format!("{rows}.csv"));
        write_input(&path, rows);
        path
    };
    let (small, dry, run) = (input(BASELINE), input(DRY_RUN), input(RUN));
    let dry_run = |path: &Path| {
        let mut command = cli("http://127.0.0.1:9", path);
        command.arg("--dry-run");
        command
    };
    let base = measure(dry_run(&small)).await;
    let big = measure(dry_run(&dry)).await;
    compare(
        "dry run (reads the input into a scratch state)",
        (BASELINE, &base),
        (DRY_RUN, &big),
    );

    // The client's limiter set far above what the fake can serve: the run goes as fast as the
    // CLI and the fake allow.
    let unlimited = |url: &str, path: &Path| {
        let mut command = cli(url, path);
        command.args(["--rate-limit", "1000000/1000"]);
        command
    };
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let base = measure(unlimited(&fake.url(), &small)).await;
    drop(fake);
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let big = measure(unlimited(&fake.url(), &run)).await;
    compare(
        "run against the fake, no rate limit",
        (BASELINE, &base),
        (RUN, &big),
    );
    let expected: BTreeSet<(u64, u64)> = (1..=RUN).map(|i| (i, 10_000_000 + i)).collect();
    println!(
        "the fake holds exactly the input: {}; pairs created twice: {}",
        store(&fake) == expected,
        fake.repeated_creations()
    );
}

#[tokio::main]
async fn main() {
    let sections: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let wanted = |name: &str| sections.is_empty() || sections.iter().any(|s| s == name);
    if wanted("memory") {
        memory().await;
    }
    if wanted("rate") {
        rate().await;
    }
    if wanted("shared") {
        shared().await;
    }
    if wanted("sync") {
        sync().await;
    }
}

/// `sync --mode mirror` at two sizes, at a rate limit.
async fn sync() {
    const RECORDS: u64 = 100_000;
    // HubSpot's highest burst limit, that of an account with an API limit increase.
    const PER_WINDOW: u32 = 250;
    println!(
        "sync --mode mirror at {PER_WINDOW} requests per {WINDOW:?} (the fake's limit and the \
         CLI's): each from-record wants 2 pairs and holds 1 of them; every other record holds \
         an extra one"
    );
    println!(
        "| from-records | desired pairs | requests (fewest) | ratio | wall (shortest) | share of \
         the limit | peak RSS | fake equals the plan |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut peaks = Vec::new();
    for records in [RECORDS, 10 * RECORDS] {
        let default =
            hubspot_associations::association_types::default_type("contacts", "companies")
                .expect("HubSpot's table has contacts to companies")
                .id;
        let association = |from_id, to_id| fake_hubspot::Association {
            from_type: "contacts".into(),
            from_id,
            to_type: "companies".into(),
            to_id,
            type_id: default,
        };
        let fake = FakeHubSpot::start(Config {
            burst_limit: Some((PER_WINDOW, WINDOW)),
            ..Config::default()
        })
        .await
        .unwrap();
        fake.seed((1..=records).map(|i| association(i, 10_000_000 + i)));
        fake.seed((1..=records / 2).map(|i| association(i * 2, 30_000_000 + i * 2)));
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("desired.csv");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        writeln!(file, "from_id,to_id").unwrap();
        for i in 1..=records {
            writeln!(file, "{i},{}\n{i},{}", 10_000_000 + i, 20_000_000 + i).unwrap();
        }
        file.flush().unwrap();
        drop(file);
        let reads = records.div_ceil(support::inputs_per_request("batch_read"));
        let creates = records.div_ceil(support::inputs_per_request("batch_create_default"));
        let removes = (records / 2).div_ceil(support::inputs_per_request("batch_archive"));
        let fewest = reads + creates + removes;
        // A rolling window lets PER_WINDOW requests through at once, then PER_WINDOW a window.
        let shortest = WINDOW.mul_f64((fewest as f64 / f64::from(PER_WINDOW)).ceil() - 1.0);
        let mut command = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"));
        command
            .args([
                "sync",
                "--from",
                "contacts",
                "--to",
                "companies",
                "--mode",
                "mirror",
                "--no-progress",
                "--base-url",
                &fake.url(),
                "--rate-limit",
                &format!("{PER_WINDOW}/{}", WINDOW.as_millis()),
                "--max-removals",
                &records.to_string(),
            ])
            .arg("--input")
            .arg(&input)
            .env("HUBSPOT_TOKEN", "pat-na1-benchmark")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        let (peak, status) = wait_with_status(&mut child).await;
        let wall = started.elapsed();
        assert!(status.success(), "the sync of {records} records failed");
        let held = store(&fake);
        let planned = held.len() as u64 == 2 * records
            && (1..=records).all(|i| {
                held.contains(&(i, 10_000_000 + i)) && held.contains(&(i, 20_000_000 + i))
            });
        let requests = fake.stats().requests;
        println!(
            "| {records} | {} | {requests} ({fewest}: {reads} reads, {creates} creates, {removes} \
             removes) | {:.3}x | {:.1} s ({:.1} s) | {:.3} | {:.1} MB | {planned} |",
            2 * records,
            requests as f64 / fewest as f64,
            wall.as_secs_f64(),
            shortest.as_secs_f64(),
            shortest.as_secs_f64() / wall.as_secs_f64(),
            peak as f64 / 1024.0
        );
        peaks.push(peak as f64);
    }
    println!("\npeak RSS at 10x the size: {:.2}x", peaks[1] / peaks[0]);
}

/// Four runs at once on one account, each on its own and then sharing one budget.
async fn shared() {
    const RUNS: u64 = 4;
    const PAIRS_EACH: u64 = 20_000;
    const CHUNK_EACH: u64 = 100;
    const PER_SECOND: u32 = 50;
    let window = Duration::from_secs(1);
    let requests = RUNS * PAIRS_EACH.div_ceil(CHUNK_EACH);
    let shortest = window.mul_f64((requests as f64 / f64::from(PER_SECOND)).ceil() - 1.0);
    let redis = fake_hubspot::RedisServer::start();
    println!(
        "{RUNS} runs at once, {PAIRS_EACH} pairs each in requests of {CHUNK_EACH}, each at \
         {PER_SECOND} requests per {window:?}, the fake's limit; shortest the limit allows for \
         the {requests} requests: {:.1} s",
        shortest.as_secs_f64()
    );
    println!(
        "| budget | requests | 429s | share 429 | failed pairs | wall | share of the limit | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, budget) in [
        ("each its own", None),
        ("shared through Redis", Some(redis.url())),
    ] {
        let fake = FakeHubSpot::start(Config {
            burst_limit: Some((PER_SECOND, window)),
            ..Config::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let runs: Vec<_> = (0..RUNS)
            .map(|run| {
                let input = dir.path().join(format!("run-{run}.csv"));
                let first = run * PAIRS_EACH + 1;
                write_pairs(&input, first..=first + PAIRS_EACH - 1);
                let mut command = cli(&fake.url(), &input);
                command.args([
                    "--chunk-size",
                    &CHUNK_EACH.to_string(),
                    "--rate-limit",
                    &format!("{PER_SECOND}/{}", window.as_millis()),
                ]);
                if let Some(url) = &budget {
                    command.args(["--shared-limit", url, "--budget-key", "benchmark-account"]);
                }
                let mut child = command.spawn().unwrap();
                tokio::spawn(async move { wait_with_status(&mut child).await })
            })
            .collect();
        let mut peak = 0;
        for run in runs {
            peak = peak.max(run.await.unwrap().0);
        }
        let wall = started.elapsed();
        let failed: usize = (0..RUNS)
            .map(|run| {
                let failures = dir.path().join(format!("run-{run}.csv.failures.csv"));
                std::fs::read_to_string(failures)
                    .map_or(0, |text| text.lines().count().saturating_sub(1))
            })
            .sum();
        let stats = fake.stats();
        println!(
            "| {name} | {} | {} | {:.2}% | {failed} | {:.1} s (shortest {:.1} s) | {:.3} | {:.1} MB |",
            stats.requests,
            stats.rate_limited,
            100.0 * stats.rate_limited as f64 / stats.requests.max(1) as f64,
            wall.as_secs_f64(),
            shortest.as_secs_f64(),
            shortest.as_secs_f64() / wall.as_secs_f64(),
            peak as f64 / 1024.0
        );
    }
}

/// At the rate limit, then killed and resumed.
async fn rate() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.csv");
    write_input(&input, PAIRS);
    let expected: BTreeSet<(u64, u64)> = (1..=PAIRS).map(|i| (i, 10_000_000 + i)).collect();
    // `--type-id` sends through batch_create, at the version's cap.
    let chunk = support::create_cap();
    let requests = PAIRS.div_ceil(chunk);
    // A rolling window lets LIMIT requests through at once, then LIMIT per window.
    let shortest = WINDOW.mul_f64((requests as f64 / f64::from(LIMIT)).ceil() - 1.0);
    let allowed_rate = f64::from(LIMIT) * chunk as f64 / WINDOW.as_secs_f64();

    let fake = FakeHubSpot::start(fake_config()).await.unwrap();
    let started = Instant::now();
    let peak = wait(spawn(&fake, &input)).await;
    let elapsed = started.elapsed();
    let held = store(&fake);
    println!(
        "uninterrupted run: {PAIRS} pairs in {requests} requests, fake limit {LIMIT} requests per {WINDOW:?}"
    );
    println!("| figure | value |\n|---|---|");
    println!(
        "| elapsed | {:.1} s (shortest the limit allows: {:.1} s) |",
        elapsed.as_secs_f64(),
        shortest.as_secs_f64()
    );
    println!(
        "| pairs per second | {:.0} (the limit's steady maximum: {allowed_rate:.0}) |",
        PAIRS as f64 / elapsed.as_secs_f64()
    );
    println!(
        "| share of the allowed maximum | {:.3} |",
        shortest.as_secs_f64() / elapsed.as_secs_f64()
    );
    println!("| 429s | {} |", fake.stats().rate_limited);
    println!("| pairs lost | {} |", expected.difference(&held).count());
    println!("| pairs created twice | {} |", fake.repeated_creations());
    println!("| peak RSS of the CLI | {:.1} MB |", peak as f64 / 1024.0);
    drop(fake);

    std::fs::remove_file(dir.path().join("pairs.csv.state.sqlite")).unwrap();
    let fake = FakeHubSpot::start(fake_config()).await.unwrap();
    let first = spawn(&fake, &input);
    let started = Instant::now();
    let mut first = first;
    while store(&fake).len() < PAIRS as usize / 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let at_kill = store(&fake).len();
    wait(spawn(&fake, &input)).await;
    let held = store(&fake);
    println!("\nkilled with SIGKILL at {at_kill} pairs held, then resumed:");
    println!("| figure | value |\n|---|---|");
    println!("| final store equals the input | {} |", held == expected);
    println!("| pairs sent twice | {} |", fake.repeated_creations());
    println!(
        "| 429s (the resumed process does not know the killed one's window) | {} |",
        fake.stats().rate_limited
    );
    println!(
        "| elapsed, both runs | {:.1} s |",
        started.elapsed().as_secs_f64()
    );
}
