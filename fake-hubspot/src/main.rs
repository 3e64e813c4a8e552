//! `fake-hubspot`: the fake HubSpot associations API as a standalone server, for trying the
//! client or the bulk CLI by hand.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use fake_hubspot::{Config, FakeHubSpot, OAuthConfig, WebhookConfig};

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
    /// The most records of the other type one record may be associated with: a create past it
    /// fails, with HubSpot's error. No limit when not given.
    #[arg(long)]
    association_limit: Option<u32>,
    /// Record ids that do not exist.
    #[arg(long, value_delimiter = ',')]
    missing_ids: Vec<u64>,
    /// Act as an OAuth app's account: calls need an access token from the token endpoint,
    /// which takes this client id (with the secret and refresh token below).
    #[arg(long, requires_all = ["oauth_client_secret", "oauth_refresh_token"])]
    oauth_client_id: Option<String>,
    /// The OAuth app's client secret (a fake's: flags are fine here).
    #[arg(long)]
    oauth_client_secret: Option<String>,
    /// The refresh token the OAuth app was installed with.
    #[arg(long)]
    oauth_refresh_token: Option<String>,
    /// How long each access token lives, in seconds.
    #[arg(long, default_value_t = 1800.0)]
    oauth_token_lifetime: f64,
    /// Hand out a new refresh token with each refresh, retiring the one used.
    #[arg(long)]
    oauth_rotate: bool,
    /// Send a webhook to this URL for every association created or removed, as HubSpot
    /// does for an app subscribed to association changes.
    #[arg(long, requires = "webhook_client_secret")]
    webhook_url: Option<String>,
    /// The app's client secret, which signs the webhooks (v3).
    #[arg(long)]
    webhook_client_secret: Option<String>,
    /// The app id the webhooks' events carry.
    #[arg(long, default_value_t = 54321)]
    webhook_app_id: u64,
    /// The account id (portal id) the webhooks' events carry.
    #[arg(long, default_value_t = fake_hubspot::PORTAL_ID)]
    webhook_portal_id: u64,
    /// An answer slower than this many milliseconds is a failed delivery.
    #[arg(long, default_value_t = 5000)]
    webhook_timeout: u64,
    /// Milliseconds before the first retry of a failed delivery; each next waits twice as
    /// long, 10 retries in all.
    #[arg(long, default_value_t = 60_000)]
    webhook_retry_delay: u64,
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
        association_limit: args.association_limit,
        oauth: args.oauth_client_id.map(|client_id| OAuthConfig {
            client_id,
            client_secret: args.oauth_client_secret.unwrap_or_default(),
            refresh_token: args.oauth_refresh_token.unwrap_or_default(),
            token_lifetime: Duration::from_secs_f64(args.oauth_token_lifetime.max(0.001)),
            rotate_refresh_tokens: args.oauth_rotate,
        }),
        webhooks: args.webhook_url.map(|url| WebhookConfig {
            app_id: args.webhook_app_id,
            portal_id: args.webhook_portal_id,
            timeout: Duration::from_millis(args.webhook_timeout),
            retry_delay: Duration::from_millis(args.webhook_retry_delay),
            ..WebhookConfig::new(url, args.webhook_client_secret.unwrap_or_default())
        }),
        ..Config::default()
    };
    let fake = FakeHubSpot::start_on(config, SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    println!("fake HubSpot listening on {}", fake.url());
    tokio::signal::ctrl_c().await?;
    let stats = fake.stats();
    println!(
        "{} requests, {} rate limited, {} faults; {} associations held, {} created twice; {} webhook events delivered, {} given up on",
        stats.requests,
        stats.rate_limited,
        stats.faults,
        fake.associations().len(),
        fake.repeated_creations(),
        stats.webhook_events_delivered,
        stats.webhook_events_failed
    );
    Ok(())
}
