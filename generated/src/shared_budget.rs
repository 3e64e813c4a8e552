//! A rate-limit budget kept in Redis, so that every process of an app on one account (the
//! replicas of a service, a CLI run beside it, cron jobs, on any number of machines) stays
//! under the burst limit together: HubSpot counts the app's requests on the account, not a
//! process's.
//!
//! The budget is the local limiter's rolling window kept on the server: a sorted set of the
//! requests let through, scored by when each was let through or answered, trimmed and counted
//! by a Lua script in one atomic step, on the Redis server's clock (so that machines whose
//! clocks differ still agree). A 429's pause is a key with an expiry that every process checks
//! first. HubSpot's headers still adjust it: a `-Remaining` lower than the shared count adds
//! the requests of programs outside the budget to it, for every process.
//!
//! Redis is never waited on for long: every command has a short timeout. When it cannot be
//! reached the limiter counts in this process's window instead, says so once in a warning,
//! and tries Redis again every [`SharedBudget::reconnect_after`]; it says when it is shared
//! again.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use crate::error::Error;
use crate::rate_limit::{Seen, Ticket};

/// The longest a Redis command may take by default: Redis answers in well under a
/// millisecond on a local network, and a slow budget must not slow every request.
pub const DEFAULT_SHARED_BUDGET_TIMEOUT: Duration = Duration::from_millis(250);

/// How often, by default, a transport that fell back to its own limiter tries Redis again.
pub const DEFAULT_RECONNECT_AFTER: Duration = Duration::from_secs(5);

/// A rate-limit budget shared through Redis by every transport, in any process on any
/// machine, that names the same key: give it to
/// [`TransportBuilder::shared_budget`](crate::TransportBuilder::shared_budget).
///
/// The key names the budget: one per app and account, such as the account id. The limit is
/// the transport's [`RateLimit`](crate::RateLimit), adjusted by HubSpot's headers; processes
/// that share a key should configure the same one. If Redis cannot be reached, each process
/// falls back to its own limiter (so together they may then exceed the limit, and HubSpot's
/// 429s, which are retried, slow them down), and comes back to the shared budget when Redis
/// answers again.
///
/// ```no_run
/// use hubspot_associations::{RateLimit, SharedBudget, Tier, Transport};
///
/// let transport = Transport::builder(std::env::var("HUBSPOT_TOKEN")?)
///     .rate_limit(RateLimit::Tier(Tier::PROFESSIONAL))
///     .shared_budget(SharedBudget::redis("redis://10.0.0.5:6379/", "account-8471036"))
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SharedBudget {
    url: String,
    key: String,
    timeout: Duration,
    reconnect_after: Duration,
}

impl SharedBudget {
    /// A budget kept in the Redis at `url` (`redis://[:password@]host:port[/db]`, or
    /// `rediss://` for TLS) under `key`.
    pub fn redis(url: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key: key.into(),
            timeout: DEFAULT_SHARED_BUDGET_TIMEOUT,
            reconnect_after: DEFAULT_RECONNECT_AFTER,
        }
    }

    /// The longest a connection or command may take (default
    /// [`DEFAULT_SHARED_BUDGET_TIMEOUT`]); past it, the transport counts on its own.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a transport that fell back to its own limiter waits before it tries Redis
    /// again (default [`DEFAULT_RECONNECT_AFTER`]).
    pub fn reconnect_after(mut self, wait: Duration) -> Self {
        self.reconnect_after = wait;
        self
    }

    /// The budget's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The budget ready to count, or what is wrong with its URL or key (with no password in
    /// the message).
    pub(crate) fn window(&self) -> Result<SharedWindow, Error> {
        let config = |message: String| Error::Config { message };
        if self.key.is_empty() || self.key.len() > MAX_KEY_LEN {
            return Err(config(format!(
                "a shared budget's key names it, in 1 to {MAX_KEY_LEN} bytes (such as the account id)"
            )));
        }
        let client = redis::Client::open(self.url.as_str()).map_err(|error| {
            config(format!(
                "the shared budget's Redis URL {} is not one: {}",
                without_password(&self.url),
                error.category()
            ))
        })?;
        // A hash tag keeps both keys in one slot of a Redis cluster, as a script needs.
        let prefix = format!("hubspot-associations:{{{}}}", self.key);
        Ok(SharedWindow {
            client,
            key: self.key.clone(),
            window_key: format!("{prefix}:window"),
            pause_key: format!("{prefix}:pause"),
            // Requests of every process are members of one set: each process names its own.
            member_prefix: format!("{:016x}", fastrand::u64(..)),
            next_member: AtomicU64::new(0),
            timeout: self.timeout,
            reconnect_after: self.reconnect_after,
            link: Mutex::new(Link::default()),
            connecting: tokio::sync::Mutex::new(()),
            password: url::Url::parse(&self.url)
                .ok()
                .and_then(|url| url.password().map(str::to_owned))
                .filter(|password| !password.is_empty()),
        })
    }
}

impl fmt::Debug for SharedBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedBudget")
            .field("url", &without_password(&self.url))
            .field("key", &self.key)
            .field("timeout", &self.timeout)
            .field("reconnect_after", &self.reconnect_after)
            .finish()
    }
}

/// The longest key accepted: a name, not a payload.
const MAX_KEY_LEN: usize = 256;

/// A Redis URL fit to print: its password replaced.
pub(crate) fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// Trims the window, and lets a request through when fewer than the limit were counted in it
/// and no pause holds: `{1, 0}`, or `{0, milliseconds to wait}`.
/// KEYS: the window (a sorted set of members scored in milliseconds), the pause.
/// ARGV: the limit, the window's span in milliseconds, the new member.
const TAKE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused} end
local limit, span = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], span + 1000)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + span - now)}
";

/// The answer to a member's request arrived: it counts from now. When HubSpot's headers said
/// how much of the window is used, requests the set does not hold (of programs outside the
/// budget) are added, up to the limit.
/// KEYS: the window. ARGV: the member, the limit, the span, HubSpot's max and remaining (or
/// empty strings).
const SETTLE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local limit, span = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if ARGV[4] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
  local used = math.min(tonumber(ARGV[4]) - tonumber(ARGV[5]), limit)
  for i = 1, used - redis.call('ZCARD', KEYS[1]) do
    redis.call('ZADD', KEYS[1], now, ARGV[1] .. ':' .. i)
  end
end
redis.call('PEXPIRE', KEYS[1], span + 1000)
return 0
";

/// Pauses every process for ARGV[1] milliseconds, unless a longer pause holds.
/// KEYS: the pause.
const PAUSE: &str = r"
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
";

static TAKE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(TAKE));
static SETTLE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(SETTLE));
static PAUSE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(PAUSE));

/// The shared budget of one transport (and its clones): the connection, and whether it is
/// counting or fell back.
pub(crate) struct SharedWindow {
    client: redis::Client,
    key: String,
    window_key: String,
    pause_key: String,
    member_prefix: String,
    next_member: AtomicU64,
    timeout: Duration,
    reconnect_after: Duration,
    link: Mutex<Link>,
    /// Held while connecting, so that callers wait for one attempt instead of counting on
    /// their own meanwhile (each such request would be missing from the shared count).
    connecting: tokio::sync::Mutex<()>,
    /// The URL's password, taken out of any error that is logged.
    password: Option<String>,
}

#[derive(Default)]
struct Link {
    connection: Option<MultiplexedConnection>,
    /// Not before this is Redis tried again, after it failed.
    retry_at: Option<Instant>,
    /// Whether the limiter counts on its own, Redis having failed.
    fell_back: bool,
}

impl fmt::Debug for SharedWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedWindow")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl SharedWindow {
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    fn link(&self) -> std::sync::MutexGuard<'_, Link> {
        self.link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn member(&self, id: u64) -> String {
        format!("{}:{id}", self.member_prefix)
    }

    /// A request through the shared budget, or how long to wait for one; `None` when Redis
    /// cannot be reached now.
    pub(crate) async fn take(
        &self,
        limit: u32,
        span: Duration,
    ) -> Option<Result<Ticket, Duration>> {
        let id = self.next_member.fetch_add(1, Ordering::Relaxed) + 1;
        let mut script = TAKE_SCRIPT.key(&self.window_key);
        script
            .key(&self.pause_key)
            .arg(limit)
            .arg(millis(span))
            .arg(self.member(id));
        let (granted, wait): (i64, i64) = self.run(&script).await?;
        Some(if granted == 1 {
            Ok(Ticket::Shared(id))
        } else {
            // Processes that wait for the same moment do not all come back at once.
            let wait = Duration::from_millis(wait.clamp(1, 3_600_000).unsigned_abs());
            Err(wait + Duration::from_millis(fastrand::u64(0..=5)))
        })
    }

    /// The answer to the request of `id` arrived: it counts from now.
    pub(crate) async fn settle(&self, id: u64, limit: u32, span: Duration, seen: Option<Seen>) {
        let mut script = SETTLE_SCRIPT.key(&self.window_key);
        script.arg(self.member(id)).arg(limit).arg(millis(span));
        match seen {
            Some(seen) => script.arg(seen.max).arg(seen.remaining),
            None => script.arg("").arg(""),
        };
        let _: Option<i64> = self.run(&script).await;
    }

    /// Pauses every process of the budget for `wait`.
    pub(crate) async fn pause(&self, wait: Duration) {
        let mut script = PAUSE_SCRIPT.key(&self.pause_key);
        script.arg(millis(wait).max(1));
        let _: Option<i64> = self.run(&script).await;
    }

    /// Runs a script within the timeout; `None` when Redis cannot be reached (the limiter
    /// then counts on its own).
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: &redis::ScriptInvocation<'_>,
    ) -> Option<T> {
        let mut connection = self.connection().await?;
        self.within("an answer", script.invoke_async(&mut connection))
            .await
    }

    /// What Redis gives within the timeout; `None`, with Redis marked failed, otherwise.
    async fn within<T>(
        &self,
        what: &str,
        asked: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        match tokio::time::timeout(self.timeout, asked).await {
            Ok(Ok(answer)) => Some(answer),
            Ok(Err(error)) => {
                self.failed(&error.to_string());
                None
            }
            Err(_) => {
                self.failed(&format!("no {what} within {:?}", self.timeout));
                None
            }
        }
    }

    /// The connection, connecting when there is none and it is time to try; `None` when
    /// Redis cannot be reached now.
    async fn connection(&self) -> Option<MultiplexedConnection> {
        if let Some(ready) = self.ready()? {
            return Some(ready);
        }
        let _connecting = self.connecting.lock().await;
        // Another caller may have connected, or failed, meanwhile.
        if let Some(ready) = self.ready()? {
            return Some(ready);
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connecting = self
            .client
            .get_multiplexed_async_connection_with_config(&config);
        let connection = self.within("connection", connecting).await?;
        let mut link = self.link();
        if std::mem::take(&mut link.fell_back) {
            tracing::info!(key = %self.key, "the shared rate-limit budget answers again: counting in Redis");
        } else {
            tracing::info!(key = %self.key, "rate limit shared through Redis");
        }
        link.connection = Some(connection.clone());
        link.retry_at = None;
        Some(connection)
    }

    /// The connection if there is one (`Some(Some)`), nothing yet (`Some(None)`: connect), or
    /// `None` when Redis failed too recently to try again.
    fn ready(&self) -> Option<Option<MultiplexedConnection>> {
        let link = self.link();
        if let Some(connection) = &link.connection {
            return Some(Some(connection.clone()));
        }
        match link.retry_at {
            Some(at) if Instant::now() < at => None,
            _ => Some(None),
        }
    }

    /// Redis failed: drop the connection, count on our own until it is time to try again,
    /// and warn the first time.
    fn failed(&self, error: &str) {
        let error = match &self.password {
            Some(password) => error.replace(password.as_str(), "<redacted>"),
            None => error.to_owned(),
        };
        let mut link = self.link();
        link.connection = None;
        link.retry_at = Some(Instant::now() + self.reconnect_after);
        if !std::mem::replace(&mut link.fell_back, true) {
            tracing::warn!(
                key = %self.key,
                error = %error,
                retry_in_ms = millis(self.reconnect_after),
                "the shared rate-limit budget cannot be reached: counting in this process alone"
            );
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
