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

/// HubSpot's burst limits for the associations API, in requests per 10 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tier {
    /// 100 per 10 s: Free and Starter accounts.
    FreeOrStarter,
    /// 110 per 10 s: a publicly distributed OAuth app, per installing account.
    PublicApp,
    /// 150 per 10 s: Professional and Enterprise accounts.
    ProfessionalOrEnterprise,
    /// 190 per 10 s: private apps on Professional and Enterprise accounts.
    PrivateAppProfessionalOrEnterprise,
    /// 200 per 10 s: with the API limit increase.
    ApiLimitIncrease,
    /// 250 per 10 s: private apps with the API limit increase.
    PrivateAppApiLimitIncrease,
}

impl Tier {
    /// Requests allowed per 10 s.
    pub fn requests_per_ten_seconds(self) -> u32 {
        match self {
            Self::FreeOrStarter => 100,
            Self::PublicApp => 110,
            Self::ProfessionalOrEnterprise => 150,
            Self::PrivateAppProfessionalOrEnterprise => 190,
            Self::ApiLimitIncrease => 200,
            Self::PrivateAppApiLimitIncrease => 250,
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
        Self::Tier(Tier::FreeOrStarter)
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

/// A request let through, until its answer arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// The request counts per interval a rate-limit header may give: HubSpot's largest burst
/// limit is 250 per 10 s; anything above ten thousand is not a limit the limiter keeps.
const SANE_MAX: std::ops::RangeInclusive<u64> = 1..=10_000;

/// The intervals a rate-limit header may give: HubSpot's are one second and ten seconds.
const SANE_INTERVAL: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(3_600);

/// The limiter's state, behind a lock held only to read and update it, never across a wait.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    limit: u32,
    length: Duration,
    /// When each request counted in the window was let through or answered, oldest first,
    /// with its ticket.
    sent: VecDeque<(Instant, Ticket)>,
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

    /// Lets a request through now, or says how long to wait.
    fn take(&mut self, now: Instant) -> Result<Ticket, Duration> {
        if let Some(until) = self.paused_until {
            if until > now {
                return Err(until - now);
            }
            self.paused_until = None;
        }
        self.forget_before(now);
        if self.sent.len() < self.limit as usize {
            self.next_ticket += 1;
            let ticket = Ticket(self.next_ticket);
            self.sent.push_back((now, ticket));
            return Ok(ticket);
        }
        let oldest = self.sent.front().map_or(now, |(sent, _)| *sent);
        Err((oldest + self.span())
            .saturating_duration_since(now)
            .max(Duration::from_millis(1)))
    }
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
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        // The lock is never held across a panic point, but a poisoned lock still holds a
        // consistent window: keep going with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until a request may be sent, and counts it.
    pub(crate) async fn acquire(&self) -> Ticket {
        loop {
            let taken = self.window().take(Instant::now());
            match taken {
                Ok(ticket) => return ticket,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// The answer to the request of `ticket` arrived (or it failed): it counts from now.
    pub(crate) fn answered(&self, ticket: Ticket) {
        let now = Instant::now();
        let mut window = self.window();
        if let Some(at) = window.sent.iter().position(|(_, held)| *held == ticket) {
            window.sent.remove(at);
            window.sent.push_back((now, ticket));
        }
    }

    /// Learns from HubSpot's rate-limit headers on any answer. Values outside what HubSpot
    /// could mean (see [`SANE_MAX`], [`SANE_INTERVAL`]) are ignored with a warning: nothing is
    /// sized or timed by what a server says unbounded.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
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
            return;
        }
        let mut window = self.window();
        if let (Some(max), Some(interval)) = (sane_max, sane_interval) {
            window.limit = u32::try_from(max).unwrap_or(u32::MAX);
            window.length = interval;
        }
        if let (Some(max), Some(remaining)) = (sane_max, seen.remaining) {
            let now = Instant::now();
            window.forget_before(now);
            let used_at_hubspot =
                usize::try_from(max.saturating_sub(remaining)).unwrap_or(usize::MAX);
            let limit = window.limit as usize;
            let others = used_at_hubspot.min(limit).saturating_sub(window.sent.len());
            window
                .sent
                .extend(std::iter::repeat_n((now, Ticket(0)), others));
        }
    }

    /// After a 429, lets nothing through for `wait`.
    pub(crate) fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut window = self.window();
        window.paused_until = Some(
            window
                .paused_until
                .map_or(until, |current| current.max(until)),
        );
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
        limiter.answered(ticket);
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
        limiter.pause_for(Duration::from_secs(3));
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
    fn tiers_are_hubspots_numbers() {
        let all = [
            Tier::FreeOrStarter,
            Tier::PublicApp,
            Tier::ProfessionalOrEnterprise,
            Tier::PrivateAppProfessionalOrEnterprise,
            Tier::ApiLimitIncrease,
            Tier::PrivateAppApiLimitIncrease,
        ];
        let numbers: Vec<u32> = all.iter().map(|t| t.requests_per_ten_seconds()).collect();
        assert_eq!(numbers, [100, 110, 150, 190, 200, 250]);
        assert!(RateLimit::Off.limiter().is_none());
    }
}
