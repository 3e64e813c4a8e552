//! A client-side rate limiter, so that a busy program stays under HubSpot's burst limit
//! instead of learning it from 429s.
//!
//! HubSpot counts requests over a rolling window (`TEN_SECONDLY_ROLLING`), so the limiter
//! keeps the times of the requests it let through and lets another through only when fewer
//! than the limit were sent within the window; a token bucket would allow up to twice the
//! limit in one window. A request counts from when it is let through until a window after its
//! answer arrived: HubSpot counted it at some moment between the two, and only the answer's
//! time is sure not to be early, however slow the network or large the body. It is shared by every clone of a [`Transport`](crate::Transport), so
//! that one token's budget is one budget, and it adapts to what HubSpot says: the
//! `X-HubSpot-RateLimit-Max` and `-Interval-Milliseconds` of its answers replace the
//! configured limit, a `-Remaining` lower than the limiter's own count (another program using
//! the same token) is accounted for, and a 429 pauses every caller.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::response::RateLimitHeaders;

/// A row of HubSpot's table of API usage limits: the burst limit (requests per rolling ten
/// seconds) and the daily limit of an app on an account.
///
/// The figures are those of HubSpot's usage guidelines ("API usage guidelines and limits",
/// the current table; older pages still show 150 and 200 per 10 s and 500,000 a day):
///
/// | tier | per 10 s | per day |
/// |---|---|---|
/// | Free, Starter | 100 | 250,000 |
/// | Professional | 190 | 625,000 |
/// | Enterprise | 190 | 1,000,000 |
/// | with the API limit increase | 250 | the subscription's, plus 1,000,000 per increase (at most two) |
/// | a publicly distributed OAuth app | 110 per installing account | the account's |
///
/// A tier only sets where the client starts: HubSpot's `X-HubSpot-RateLimit-*` headers, on
/// its answers, override it, so a wrong tier costs at most the first few requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tier {
    plan: Plan,
    limit_increases: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Plan {
    Free,
    Starter,
    Professional,
    Enterprise,
    PublicApp,
}

impl Tier {
    /// A Free account: 100 per 10 s, 250,000 a day.
    pub const FREE: Self = Self::of(Plan::Free);
    /// A Starter account: 100 per 10 s, 250,000 a day.
    pub const STARTER: Self = Self::of(Plan::Starter);
    /// A Professional account: 190 per 10 s, 625,000 a day.
    pub const PROFESSIONAL: Self = Self::of(Plan::Professional);
    /// An Enterprise account: 190 per 10 s, 1,000,000 a day.
    pub const ENTERPRISE: Self = Self::of(Plan::Enterprise);
    /// A publicly distributed OAuth app: 110 per 10 s per installing account, within the
    /// account's own daily limit, which depends on its subscription.
    pub const PUBLIC_APP: Self = Self::of(Plan::PublicApp);

    const fn of(plan: Plan) -> Self {
        Self {
            plan,
            limit_increases: 0,
        }
    }

    /// The same account with HubSpot's API limit increase bought `increases` times: 250
    /// per 10 s (the burst increase does not stack), and 1,000,000 more a day per increase.
    /// `None` for more than two increases, which HubSpot does not sell, or for a public
    /// app, whose limit is its own.
    pub const fn with_api_limit_increases(self, increases: u8) -> Option<Self> {
        if increases > 2 || matches!(self.plan, Plan::PublicApp) {
            return None;
        }
        Some(Self {
            plan: self.plan,
            limit_increases: increases,
        })
    }

    /// How many API limit increases the account has.
    pub const fn api_limit_increases(self) -> u8 {
        self.limit_increases
    }

    /// Requests allowed per rolling 10 s.
    pub const fn requests_per_ten_seconds(self) -> u32 {
        match (self.plan, self.limit_increases) {
            (Plan::PublicApp, _) => 110,
            (_, 1..) => 250,
            (Plan::Free | Plan::Starter, 0) => 100,
            (Plan::Professional | Plan::Enterprise, 0) => 190,
        }
    }

    /// Requests allowed per day, which resets at midnight in the account's time zone; `None`
    /// for a public app, which shares the account's daily limit.
    pub const fn requests_per_day(self) -> Option<u64> {
        let base = match self.plan {
            Plan::Free | Plan::Starter => 250_000,
            Plan::Professional => 625_000,
            Plan::Enterprise => 1_000_000,
            Plan::PublicApp => return None,
        };
        Some(base + 1_000_000 * self.limit_increases as u64)
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.plan {
            Plan::Free => "Free",
            Plan::Starter => "Starter",
            Plan::Professional => "Professional",
            Plan::Enterprise => "Enterprise",
            Plan::PublicApp => "public OAuth app",
        })?;
        match self.limit_increases {
            0 => Ok(()),
            1 => f.write_str(" with the API limit increase"),
            n => write!(f, " with {n} API limit increases"),
        }
    }
}

/// How many requests the client lets through per interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimit {
    /// No client-side limit: only HubSpot's 429s (which are retried) slow the program down.
    Off,
    /// One of HubSpot's tiers, per 10 s.
    Tier(Tier),
    /// Any number of requests per interval.
    Custom {
        /// Requests allowed per interval.
        requests: u32,
        /// The interval.
        per: Duration,
    },
}

impl Default for RateLimit {
    /// The lowest tier: safe for every account, and raised by HubSpot's headers.
    fn default() -> Self {
        Self::Tier(Tier::FREE)
    }
}

impl RateLimit {
    /// The limiter for this configuration, or `None` when off.
    pub(crate) fn limiter(self) -> Option<Limiter> {
        match self {
            Self::Off => None,
            Self::Tier(tier) => Some(Limiter::new(
                tier.requests_per_ten_seconds(),
                Duration::from_secs(10),
            )),
            Self::Custom { requests, per } => Some(Limiter::new(requests, per)),
        }
    }
}

/// A request let through, until its answer arrives: counted in this process's window, or in
/// the budget it shares with other processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ticket {
    /// Counted in this process's window.
    Local(u64),
    /// Counted in the shared budget.
    #[cfg(feature = "redis")]
    Shared(u64),
}

/// The request counts per interval a rate-limit header may give: HubSpot's largest burst
/// limit is 250 per 10 s; anything above ten thousand is not a limit the limiter keeps.
const SANE_MAX: std::ops::RangeInclusive<u64> = 1..=10_000;

/// The intervals a rate-limit header may give: HubSpot's are one second and ten seconds.
const SANE_INTERVAL: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(3_600);

/// The limiter: this process's window, behind a lock held only to read and update it, never
/// across a wait; and, when configured, the budget shared with other processes, which counts
/// instead of the window while it can be reached.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<Window>,
    #[cfg(feature = "redis")]
    shared: Option<crate::shared_budget::SharedWindow>,
}

#[derive(Debug)]
struct Window {
    limit: u32,
    length: Duration,
    /// When each request counted in the window was let through or answered, oldest first,
    /// with its ticket (0 for the requests of other programs that HubSpot's headers reveal).
    sent: VecDeque<(Instant, u64)>,
    next_ticket: u64,
    /// No request goes through before this, after a 429.
    paused_until: Option<Instant>,
}

impl Window {
    /// Network delays shift when HubSpot sees requests: a request leaves the window only a
    /// little after it would by the clock, a 1% margin.
    fn span(&self) -> Duration {
        self.length + self.length / 100
    }

    fn forget_before(&mut self, now: Instant) {
        let span = self.span();
        while self
            .sent
            .front()
            .is_some_and(|(sent, _)| now.duration_since(*sent) >= span)
        {
            self.sent.pop_front();
        }
    }

    /// How long a 429's pause still holds every request.
    fn paused(&mut self, now: Instant) -> Option<Duration> {
        match self.paused_until {
            Some(until) if until > now => Some(until - now),
            _ => {
                self.paused_until = None;
                None
            }
        }
    }

    /// Lets a request through now, or says how long to wait.
    fn take(&mut self, now: Instant) -> Result<Ticket, Duration> {
        if let Some(wait) = self.paused(now) {
            return Err(wait);
        }
        self.forget_before(now);
        if self.sent.len() < self.limit as usize {
            self.next_ticket += 1;
            self.sent.push_back((now, self.next_ticket));
            return Ok(Ticket::Local(self.next_ticket));
        }
        let oldest = self.sent.front().map_or(now, |(sent, _)| *sent);
        Err((oldest + self.span())
            .saturating_duration_since(now)
            .max(Duration::from_millis(1)))
    }
}

/// What HubSpot's headers said of the window, once checked: its limit and how many requests
/// it has left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    pub max: u64,
    pub remaining: u64,
}

impl Limiter {
    pub(crate) fn new(limit: u32, per: Duration) -> Self {
        Self {
            state: Mutex::new(Window {
                limit: limit.max(1),
                length: per.max(Duration::from_millis(1)),
                sent: VecDeque::new(),
                next_ticket: 0,
                paused_until: None,
            }),
            #[cfg(feature = "redis")]
            shared: None,
        }
    }

    /// The same limiter, counting in `shared` while it can be reached.
    #[cfg(feature = "redis")]
    pub(crate) fn shared(mut self, shared: crate::shared_budget::SharedWindow) -> Self {
        self.shared = Some(shared);
        self
    }

    /// The shared budget's key, when there is one.
    pub(crate) fn shared_key(&self) -> Option<&str> {
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.shared {
            return Some(shared.key());
        }
        None
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        // The lock is never held across a panic point, but a poisoned lock still holds a
        // consistent window: keep going with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until a request may be sent, and counts it: in the shared budget while it can
    /// be reached, else in this process's window. A 429's pause holds either way.
    pub(crate) async fn acquire(&self) -> Ticket {
        loop {
            let paused = self.window().paused(Instant::now());
            let taken = match paused {
                Some(wait) => Err(wait),
                None => match self.take_shared().await {
                    Some(taken) => taken,
                    None => self.window().take(Instant::now()),
                },
            };
            match taken {
                Ok(ticket) => return ticket,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// A request from the shared budget, or how long to wait for one; `None` when there is no
    /// shared budget or it cannot be reached now.
    async fn take_shared(&self) -> Option<Result<Ticket, Duration>> {
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.shared {
            let (limit, span) = {
                let window = self.window();
                (window.limit, window.span())
            };
            // Boxed, here and below: Redis's futures nest deep, and every call's future
            // holds this one; a box keeps their layout out of it.
            return Box::pin(shared.take(limit, span)).await;
        }
        None
    }

    /// The answer to the request of `ticket` arrived (or it failed): it counts from now. Its
    /// headers, when there are any, teach the limiter (see [`observe`](Self::observe)).
    pub(crate) async fn answered(&self, ticket: Ticket, headers: Option<&HeaderMap>) {
        let seen = headers.and_then(|headers| self.observe(headers));
        match ticket {
            Ticket::Local(id) => {
                let now = Instant::now();
                let mut window = self.window();
                if let Some(at) = window.sent.iter().position(|(_, held)| *held == id) {
                    window.sent.remove(at);
                    window.sent.push_back((now, id));
                }
            }
            #[cfg(feature = "redis")]
            Ticket::Shared(id) => {
                if let Some(shared) = &self.shared {
                    let (limit, span) = {
                        let window = self.window();
                        (window.limit, window.span())
                    };
                    Box::pin(shared.settle(id, limit, span, seen)).await;
                }
            }
        }
        #[cfg(not(feature = "redis"))]
        let _ = seen;
    }

    /// Learns from HubSpot's rate-limit headers on any answer, and returns what they said of
    /// the window. Values outside what HubSpot could mean (see [`SANE_MAX`],
    /// [`SANE_INTERVAL`]) are ignored with a warning: nothing is sized or timed by what a
    /// server says unbounded.
    fn observe(&self, headers: &HeaderMap) -> Option<Seen> {
        let seen = RateLimitHeaders::from_headers(headers);
        let sane_max = seen.max.filter(|max| SANE_MAX.contains(max));
        let sane_interval = seen
            .interval
            .filter(|interval| SANE_INTERVAL.contains(interval));
        if seen.max.is_some() && sane_max.is_none()
            || seen.interval.is_some() && sane_interval.is_none()
            || seen
                .remaining
                .zip(seen.max)
                .is_some_and(|(remaining, max)| remaining > max)
        {
            tracing::warn!(
                max = ?seen.max,
                interval_ms = ?seen.interval.map(|i| i.as_millis()),
                remaining = ?seen.remaining,
                "ignoring rate-limit headers outside any limit HubSpot sets"
            );
            return None;
        }
        let mut window = self.window();
        if let (Some(max), Some(interval)) = (sane_max, sane_interval) {
            window.limit = u32::try_from(max).unwrap_or(u32::MAX);
            window.length = interval;
        }
        let (max, remaining) = sane_max.zip(seen.remaining)?;
        let now = Instant::now();
        window.forget_before(now);
        let used_at_hubspot = usize::try_from(max.saturating_sub(remaining)).unwrap_or(usize::MAX);
        let limit = window.limit as usize;
        let others = used_at_hubspot.min(limit).saturating_sub(window.sent.len());
        window.sent.extend(std::iter::repeat_n((now, 0), others));
        Some(Seen { max, remaining })
    }

    /// After a 429, lets nothing through for `wait`: in this process at once, and in every
    /// process of the shared budget.
    pub(crate) async fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        {
            let mut window = self.window();
            window.paused_until = Some(
                window
                    .paused_until
                    .map_or(until, |current| current.max(until)),
            );
        }
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.shared {
            Box::pin(shared.pause(wait)).await;
        }
    }

    /// The limit and interval in force.
    #[cfg(test)]
    fn quota(&self) -> (u32, Duration) {
        let window = self.window();
        (window.limit, window.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_limit_in_any_window() {
        let limiter = Limiter::new(3, Duration::from_secs(1));
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..7 {
            limiter.acquire().await;
            times.push(start.elapsed());
        }
        // Three at once, then each as the oldest leaves the window (plus the 1% margin).
        assert_eq!(&times[..3], [Duration::ZERO; 3]);
        assert_eq!(times[3], Duration::from_millis(1010));
        assert_eq!(times[6], Duration::from_millis(2020));
        for (i, late) in times.iter().enumerate().skip(3) {
            assert!(
                *late - times[i - 3] >= Duration::from_secs(1),
                "four requests within one second"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_counts_until_a_window_after_its_answer() {
        let limiter = Limiter::new(1, Duration::from_secs(1));
        let start = Instant::now();
        let ticket = limiter.acquire().await;
        // The answer takes 300 ms: HubSpot may have counted the request as late as that.
        tokio::time::sleep(Duration::from_millis(300)).await;
        limiter.answered(ticket, None).await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(1310));
    }

    #[tokio::test(start_paused = true)]
    async fn hubspots_headers_replace_the_configured_limit() {
        let limiter = Limiter::new(100, Duration::from_secs(10));
        limiter.observe(&headers(&[
            ("x-hubspot-ratelimit-max", "190"),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000"),
        ]));
        assert_eq!(limiter.quota(), (190, Duration::from_secs(10)));
        limiter.observe(&headers(&[("x-hubspot-ratelimit-max", "junk")]));
        assert_eq!(
            limiter.quota(),
            (190, Duration::from_secs(10)),
            "junk is ignored"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn requests_of_other_programs_on_the_same_token_count() {
        let limiter = Limiter::new(5, Duration::from_secs(1));
        limiter.acquire().await;
        // HubSpot saw four requests in the window; this limiter sent one.
        limiter.observe(&headers(&[
            ("x-hubspot-ratelimit-max", "5"),
            ("x-hubspot-ratelimit-remaining", "1"),
        ]));
        let start = Instant::now();
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO, "one is left");
        limiter.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(1010),
            "then the window is full"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_caller() {
        let limiter = std::sync::Arc::new(Limiter::new(100, Duration::from_secs(10)));
        limiter.pause_for(Duration::from_secs(3)).await;
        let start = Instant::now();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.acquire().await })
            })
            .collect();
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_headers_are_ignored_and_allocate_nothing() {
        let limiter = Limiter::new(10, Duration::from_secs(10));
        limiter.observe(&headers(&[
            ("x-hubspot-ratelimit-max", "4294967295"),
            ("x-hubspot-ratelimit-remaining", "0"),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000"),
        ]));
        assert_eq!(limiter.quota(), (10, Duration::from_secs(10)));
        assert!(limiter.window().sent.len() <= 10, "no slot per header unit");
        limiter.observe(&headers(&[
            ("x-hubspot-ratelimit-max", "100"),
            (
                "x-hubspot-ratelimit-interval-milliseconds",
                "18446744073709551615",
            ),
        ]));
        assert_eq!(
            limiter.quota(),
            (10, Duration::from_secs(10)),
            "an endless interval"
        );
        limiter.observe(&headers(&[
            ("x-hubspot-ratelimit-max", "100"),
            ("x-hubspot-ratelimit-remaining", "500"),
        ]));
        assert!(
            limiter.window().sent.is_empty(),
            "more remaining than the limit"
        );
        // Calls still go through at once.
        let started = Instant::now();
        limiter.acquire().await;
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[test]
    fn tiers_are_hubspots_table() {
        let increased = |tier: Tier, n| tier.with_api_limit_increases(n).unwrap();
        let rows = [
            (Tier::FREE, 100, Some(250_000)),
            (Tier::STARTER, 100, Some(250_000)),
            (Tier::PROFESSIONAL, 190, Some(625_000)),
            (Tier::ENTERPRISE, 190, Some(1_000_000)),
            (increased(Tier::PROFESSIONAL, 1), 250, Some(1_625_000)),
            (increased(Tier::ENTERPRISE, 2), 250, Some(3_000_000)),
            (Tier::PUBLIC_APP, 110, None),
        ];
        for (tier, burst, daily) in rows {
            assert_eq!(tier.requests_per_ten_seconds(), burst, "{tier}");
            assert_eq!(tier.requests_per_day(), daily, "{tier}");
        }
        assert_eq!(Tier::ENTERPRISE.with_api_limit_increases(3), None);
        assert_eq!(Tier::PUBLIC_APP.with_api_limit_increases(1), None);
        assert_eq!(
            increased(Tier::ENTERPRISE, 2).to_string(),
            "Enterprise with 2 API limit increases"
        );
        assert!(RateLimit::Off.limiter().is_none());
    }
}
