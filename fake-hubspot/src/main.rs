//! `fake-hubspot`: the fake HubSpot associations API as a standalone server, for trying the
//! client or the bulk CLI by hand.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use fake_hubspot::{Config, FakeHubSpot};

#[derive(Parser)]
#[command(about = "A fake HubSpot associations API on 127.0.0.1, in memory")]
struct Args {
    /// The port to serve on (0 for any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The burst limit as `<requests>/<milliseconds>`, such as `100/10000`.
    #[arg(long, value_parser = parse_limit)]
    burst_limit: Option<(u32, Duration)>,
    /// The daily limit.
    #[arg(long)]
    daily_limit: Option<u64>,
    /// The share of requests answered with a random transient fault, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Record ids that do not exist.
    #[arg(long, value_delimiter = ',')]
    missing_ids: Vec<u64>,
}

fn parse_limit(text: &str) -> Result<(u32, Duration), String> {
    let (requests, millis) = text
        .split_once('/')
        .ok_or("expected <requests>/<milliseconds>")?;
    let requests = requests.parse().map_err(|e| format!("requests: {e}"))?;
    let millis = millis.parse().map_err(|e| format!("milliseconds: {e}"))?;
    Ok((requests, Duration::from_millis(millis)))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = Config {
        burst_limit: args.burst_limit,
        daily_limit: args.daily_limit,
        fault_rate: args.fault_rate,
        missing_ids: args.missing_ids.into_iter().collect(),
        ..Config::default()
    };
    let fake = FakeHubSpot::start_on(config, SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    println!("fake HubSpot listening on {}", fake.url());
    tokio::signal::ctrl_c().await?;
    let stats = fake.stats();
    println!(
        "{} requests, {} rate limited, {} faults; {} associations held, {} created twice",
        stats.requests,
        stats.rate_limited,
        stats.faults,
        fake.associations().len(),
        fake.repeated_creations()
    );
    Ok(())
}
