//! The CLI measured as a user runs it, against the fake HubSpot.
//!
//! `cargo bench -p hubspot-associations-cli --bench bulk_run [-- memory|rate]`
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

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use fake_hubspot::{Config, FakeHubSpot};
use tokio::process::{Child, Command};

const PAIRS: u64 = 200_000;
const CHUNK: u64 = 2_000;
/// The fake's limit: this many requests per window, HubSpot's ten seconds.
const LIMIT: u32 = 15;
const WINDOW: Duration = Duration::from_secs(10);

/// Writes `pairs` distinct pairs, streamed to the file.
fn write_input(path: &Path, pairs: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(file, "from_id,to_id").unwrap();
    for i in 1..=pairs {
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

/// The peak resident memory of a running process, from /proc (Linux), in kB.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix("VmHWM:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// Waits for the process, sampling its peak memory; the peak in kB.
async fn wait(mut child: Child) -> u64 {
    wait_with_status(&mut child).await.0
}

/// Waits for the process, sampling its peak memory every 5 ms; the peak in kB and whether it
/// succeeded.
async fn wait_with_status(child: &mut Child) -> (u64, bool) {
    let pid = child.id().unwrap();
    let mut peak = 0;
    loop {
        if let Some(kb) = peak_rss(pid) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (peak, status.success());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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
    let (peak, succeeded) = wait_with_status(&mut child).await;
    assert!(succeeded, "the measured run failed");
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
}

/// At the rate limit, then killed and resumed.
async fn rate() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.csv");
    write_input(&input, PAIRS);
    let expected: BTreeSet<(u64, u64)> = (1..=PAIRS).map(|i| (i, 10_000_000 + i)).collect();
    let requests = PAIRS.div_ceil(CHUNK);
    // A rolling window lets LIMIT requests through at once, then LIMIT per window.
    let shortest = WINDOW.mul_f64((requests as f64 / f64::from(LIMIT)).ceil() - 1.0);
    let allowed_rate = f64::from(LIMIT) * CHUNK as f64 / WINDOW.as_secs_f64();

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
