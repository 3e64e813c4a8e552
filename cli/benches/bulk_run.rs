//! 200,000 pairs through the CLI against the fake HubSpot, at a rate limit scaled so that the
//! run takes about a minute; then the same run killed half-way with SIGKILL and resumed.
//!
//! `cargo bench -p hubspot-associations-cli --bench bulk_run`
//!
//! Reported: pairs per second, and the share of the fake's allowed maximum (the shortest time
//! the rolling-window limit permits for the requests, over the time taken); 429s seen; pairs
//! lost or created twice in the fake's store; the CLI's peak resident memory; and for the
//! killed run, whether the store ends equal to the input and how many pairs were sent twice.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use fake_hubspot::{Config, FakeHubSpot};
use tokio::process::{Child, Command};

const PAIRS: u64 = 200_000;
const CHUNK: u64 = 2_000;
/// The fake's limit: this many requests per window, HubSpot's ten seconds.
const LIMIT: u32 = 15;
const WINDOW: Duration = Duration::from_secs(10);

fn write_input(path: &Path) {
    let mut text = String::with_capacity(PAIRS as usize * 16);
    text.push_str("from_id,to_id\n");
    for i in 1..=PAIRS {
        text.push_str(&format!("{i},{}\n", 10_000_000 + i));
    }
    std::fs::write(path, text).unwrap();
}

fn spawn(fake: &FakeHubSpot, input: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hubspot-associations"))
        .args([
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--type-id",
            "279",
            "--no-progress",
        ])
        .args([
            "--rate-limit",
            &format!("{LIMIT}/{}", WINDOW.as_millis()),
            "--base-url",
            &fake.url(),
        ])
        .arg("--input")
        .arg(input)
        .env("HUBSPOT_TOKEN", "pat-na1-benchmark")
        .stderr(std::process::Stdio::null())
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
    let pid = child.id().unwrap();
    let mut peak = 0;
    loop {
        if let Some(kb) = peak_rss(pid) {
            peak = peak.max(kb);
        }
        if child.try_wait().unwrap().is_some() {
            return peak;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
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

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.csv");
    write_input(&input);
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

    std::fs::remove_file(dir.path().join("pairs.csv.journal")).unwrap();
    let fake = FakeHubSpot::start(fake_config()).await.unwrap();
    let journal = dir.path().join("pairs.csv.journal");
    let first = spawn(&fake, &input);
    let started = Instant::now();
    let mut first = first;
    while std::fs::read_to_string(&journal).map_or(0, |text| text.lines().count())
        < PAIRS as usize / 2
    {
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
