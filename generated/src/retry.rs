//! Which failures are retried, and how long to wait before the next attempt: see
//! [`RetryPolicy`].

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::RetryClass;
use crate::error::{Error, RateLimitPolicy};

/// How transient failures are retried.
///
/// Retried, with exponential backoff and full jitter, within a bound on attempts and on total
/// time:
/// - a 429 from a burst limit (`TEN_SECONDLY_ROLLING`, `SECONDLY`), which also pauses every
///   other call on the same transport. Such a limit passes within its window, so these 429s
///   are retried as long as [`max_elapsed`](Self::max_elapsed) allows, however many come: they
///   do not count towards [`max_attempts`](Self::max_attempts). A wait, and the pause, last at
///   most the window the policy names plus a tenth (11 s, 1.1 s), whatever `Retry-After` asks;
/// - a 429 that names no policy, or one this crate does not know: retried as other failures
///   are, and it pauses the other calls for at most [`max_pause`](Self::max_pause);
/// - 423 Locked (after at least 2 s) and 477 Migration in progress;
/// - failures to connect;
/// - for operations that may be sent twice, also 500, 502, 503, 504, Cloudflare's origin
///   errors 520 to 527, timeouts and connections broken mid-answer.
///
/// `Retry-After` (seconds or an HTTP date) is honoured whenever HubSpot sends it, within the
/// bounds above. A 429 from the `DAILY` limit is never retried: it lasts until midnight in the
/// account's time zone, so it is returned at once as
/// [`Error::RateLimited`](crate::Error::RateLimited).
///
/// Which operations may be sent twice is decided per operation, and each version's module
/// lists it: reads, PUT and DELETE, whose repetition has the effect of one; the batch POSTs,
/// so that bulk jobs make progress (creating an association that exists, or removing one that
/// is gone, is harmless); not the other POSTs (`create_label`, `request_high_usage_report`),
/// which could act twice. Answers that say the request was not processed (429, 423, 477) and
/// failures to connect are retried for every operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 5); attempts refused by a burst limit's 429
    /// are not counted.
    pub max_attempts: u32,
    /// The backoff before the first retry, doubled for each next one (default 500 ms).
    pub initial_backoff: Duration,
    /// The longest backoff (default 30 s); `Retry-After` may ask for longer.
    pub max_backoff: Duration,
    /// The longest time from the first attempt to the start of the last (default 2 min): a
    /// wait that would end later is not waited, and the last failure is returned at once,
    /// however long a `Retry-After` asks for.
    pub max_elapsed: Duration,
    /// The longest a 429 that names no known policy pauses the rate limiter shared by every
    /// clone of the transport (default 5 min), whatever its `Retry-After` says: a server that
    /// asks for a day does not stall every other call for a day. A burst limit's 429 pauses at
    /// most for its policy's window.
    pub max_pause: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
            max_pause: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries: not even of a burst limit's 429 (no time is left for one).
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            max_elapsed: Duration::ZERO,
            ..Self::default()
        }
    }

    /// Whether a retry that waits `wait`, `elapsed` after the first attempt, would end past
    /// the time budget. A zero budget allows no retry at all.
    pub(crate) fn out_of_time(&self, elapsed: Duration, wait: Duration) -> bool {
        self.max_elapsed.is_zero() || elapsed + wait > self.max_elapsed
    }

    /// With this many attempts in all.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// With these backoff bounds.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// With this bound on the total time spent retrying.
    pub fn max_elapsed(mut self, max: Duration) -> Self {
        self.max_elapsed = max;
        self
    }

    /// With this bound on how long a 429 pauses the shared rate limiter.
    pub fn max_pause(mut self, max: Duration) -> Self {
        self.max_pause = max;
        self
    }

    /// The backoff before retry number `retry` (1 for the first), scaled by `jitter` in
    /// `[0, 1)`: full jitter, so that clients that failed together do not retry together.
    pub(crate) fn backoff_for(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        ceiling.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// A failure another attempt may fix, and how long HubSpot asks to wait at least.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Transient {
    /// Why, for logs.
    pub reason: &'static str,
    /// The least wait before the next attempt: `Retry-After`, or 2 s for a 423.
    pub at_least: Duration,
    /// The longest wait (and pause) the failure can need, when it is known: a burst limit's
    /// window and a margin, whatever `Retry-After` says.
    pub at_most: Option<Duration>,
    /// Whether a rate limit refused the attempt, so that every caller should pause.
    pub rate_limited: bool,
    /// Whether the attempt counts towards `max_attempts`: a burst limit's 429 does not, as it
    /// passes within its window.
    pub counted: bool,
}

impl Transient {
    fn new(reason: &'static str, at_least: Duration) -> Self {
        Self {
            reason,
            at_least,
            at_most: None,
            rate_limited: false,
            counted: true,
        }
    }

    /// The wait before retry number `retry`: the backoff, or longer if HubSpot asked, within
    /// what the failure can need.
    pub fn wait(&self, policy: &RetryPolicy, retry: u32, jitter: f64) -> Duration {
        let wait = policy.backoff_for(retry, jitter).max(self.at_least);
        self.at_most.map_or(wait, |at_most| wait.min(at_most))
    }

    /// How long a 429 followed by `wait` pauses every caller of the transport.
    pub fn pause(&self, policy: &RetryPolicy, wait: Duration) -> Duration {
        wait.min(self.at_most.unwrap_or(policy.max_pause))
    }
}

/// The least wait a 423 asks for.
pub(crate) const LOCKED_WAIT: Duration = Duration::from_secs(2);

/// Whether a failed attempt of an operation of class `retry` is worth another.
pub(crate) fn transient(failure: &Error, retry: RetryClass) -> Option<Transient> {
    let may_repeat = retry != RetryClass::Never;
    let transient = |reason, at_least| Some(Transient::new(reason, at_least));
    match failure {
        Error::RateLimited(limited) => match &limited.policy {
            Some(RateLimitPolicy::Daily) => None,
            policy => {
                let window = policy.as_ref().and_then(RateLimitPolicy::window);
                Some(Transient {
                    at_most: window.map(|window| window + window / 10),
                    rate_limited: true,
                    counted: window.is_none(),
                    ..Transient::new("rate limited", limited.retry_after.unwrap_or_default())
                })
            }
        },
        Error::Api(api) => {
            let asked = retry_after(&api.headers, SystemTime::now()).unwrap_or_default();
            match api.status.as_u16() {
                423 => transient("locked", asked.max(LOCKED_WAIT)),
                477 => transient("migration in progress", asked),
                500 | 502 | 503 | 504 if may_repeat => transient("server error", asked),
                // Cloudflare, in front of HubSpot: the origin failed or did not answer.
                520..=527 if may_repeat => transient("edge error", asked),
                _ => None,
            }
        }
        Error::Transport { source, .. } if source.is_connect() => {
            transient("connection failed", Duration::ZERO)
        }
        Error::Transport { .. } if may_repeat => transient("connection broken", Duration::ZERO),
        Error::Timeout { .. } if may_repeat => transient("timed out", Duration::ZERO),
        _ => None,
    }
}

/// The longest `Retry-After` read as it is: a day. Longer ones (or dates further away) are
/// read as a day, which no retry budget waits anyway.
const RETRY_AFTER_CEILING: Duration = Duration::from_secs(86_400);

/// `Retry-After` as a wait from `now`: a number of seconds, or an HTTP date; at most a day.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(RETRY_AFTER_CEILING.as_secs_f64())));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(now)
            .unwrap_or_default()
            .min(RETRY_AFTER_CEILING),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ApiError, RateLimitError};
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::HeaderValue;

    fn api(status: u16, headers: HeaderMap) -> Error {
        Error::Api(Box::new(ApiError::new(
            "op",
            StatusCode::from_u16(status).unwrap(),
            headers,
            Bytes::new(),
        )))
    }

    fn limited(policy: Option<RateLimitPolicy>, retry_after: Option<Duration>) -> Error {
        Error::RateLimited(Box::new(RateLimitError {
            policy,
            retry_after,
            error: ApiError::new(
                "op",
                StatusCode::TOO_MANY_REQUESTS,
                HeaderMap::new(),
                Bytes::new(),
            ),
        }))
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling_and_is_scaled_by_jitter() {
        let policy =
            RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(policy.backoff_for(1, 0.999_999).as_millis(), 99);
        assert_eq!(policy.backoff_for(2, 0.5), Duration::from_millis(100));
        assert_eq!(policy.backoff_for(3, 1.0), Duration::from_millis(400));
        assert_eq!(
            policy.backoff_for(10, 1.0),
            Duration::from_secs(1),
            "capped"
        );
        assert_eq!(
            policy.backoff_for(40, 1.0),
            Duration::from_secs(1),
            "no overflow"
        );
        assert_eq!(
            policy.backoff_for(3, 0.0),
            Duration::ZERO,
            "full jitter starts at zero"
        );
    }

    #[test]
    fn daily_limits_are_final_and_burst_limits_are_retried_for_every_operation() {
        assert_eq!(
            transient(
                &limited(Some(RateLimitPolicy::Daily), None),
                RetryClass::Idempotent
            ),
            None
        );
        for policy in [
            Some(RateLimitPolicy::TenSecondlyRolling),
            Some(RateLimitPolicy::Secondly),
            None,
            Some(RateLimitPolicy::from("HOURLY")),
        ] {
            let found = transient(
                &limited(policy.clone(), Some(Duration::from_secs(3))),
                RetryClass::Never,
            )
            .unwrap();
            assert_eq!(found.at_least, Duration::from_secs(3));
            assert!(found.rate_limited);
            assert_eq!(
                found.counted,
                policy.as_ref().and_then(RateLimitPolicy::window).is_none(),
                "{policy:?}: only a known burst limit's 429 is not counted"
            );
        }
    }

    #[test]
    fn a_burst_limits_wait_and_pause_are_bounded_by_its_window_whatever_retry_after_says() {
        let policy = RetryPolicy::default();
        let day = Duration::from_secs(86_400);
        for (named, bound) in [
            (RateLimitPolicy::TenSecondlyRolling, Duration::from_secs(11)),
            (RateLimitPolicy::Secondly, Duration::from_millis(1_100)),
        ] {
            let found = transient(
                &limited(Some(named.clone()), Some(day)),
                RetryClass::Idempotent,
            )
            .unwrap();
            let wait = found.wait(&policy, 1, 0.5);
            assert_eq!(wait, bound, "{named}");
            assert_eq!(found.pause(&policy, wait), bound, "{named}");
            // Without Retry-After, the backoff, also within the window.
            let found =
                transient(&limited(Some(named.clone()), None), RetryClass::Idempotent).unwrap();
            assert!(found.wait(&policy, 30, 1.0) <= bound, "{named}");
        }
        let unknown = transient(&limited(None, Some(day)), RetryClass::Idempotent).unwrap();
        let wait = unknown.wait(&policy, 1, 0.5);
        assert_eq!(wait, day, "asked, and left to the time budget");
        assert_eq!(unknown.pause(&policy, wait), policy.max_pause);
    }

    #[test]
    fn a_zero_time_budget_allows_no_retry() {
        let never = RetryPolicy::never();
        assert!(never.out_of_time(Duration::ZERO, Duration::ZERO));
        let policy = RetryPolicy::default();
        assert!(!policy.out_of_time(Duration::ZERO, Duration::from_secs(120)));
        assert!(policy.out_of_time(Duration::from_secs(1), Duration::from_secs(120)));
    }

    #[test]
    fn statuses_that_may_have_acted_are_retried_only_where_repeating_is_safe() {
        for status in [500, 502, 503, 504, 520, 521, 522, 523, 524, 525, 526, 527] {
            assert!(
                transient(&api(status, HeaderMap::new()), RetryClass::Batch).is_some(),
                "{status}"
            );
            assert!(
                transient(&api(status, HeaderMap::new()), RetryClass::Never).is_none(),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 501, 505, 519, 528] {
            assert!(
                transient(&api(status, HeaderMap::new()), RetryClass::Idempotent).is_none(),
                "{status}"
            );
        }
        assert_eq!(
            transient(&api(423, HeaderMap::new()), RetryClass::Never)
                .unwrap()
                .at_least,
            LOCKED_WAIT
        );
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("9"));
        assert_eq!(
            transient(&api(477, headers.clone()), RetryClass::Never)
                .unwrap()
                .at_least,
            Duration::from_secs(9)
        );
        assert_eq!(
            transient(&api(423, headers), RetryClass::Never)
                .unwrap()
                .at_least,
            Duration::from_secs(9)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let header = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
            retry_after(&headers, now)
        };
        assert_eq!(header("7"), Some(Duration::from_secs(7)));
        assert_eq!(header("1.5"), Some(Duration::from_millis(1500)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(42));
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(42)));
        let far = httpdate::fmt_http_date(now + Duration::from_secs(10 * 365 * 86_400));
        headers.insert(RETRY_AFTER, far.parse().unwrap());
        assert_eq!(
            retry_after(&headers, now),
            Some(RETRY_AFTER_CEILING),
            "a date years away is a day"
        );
        assert_eq!(
            header("Tue, 14 Nov 2023 22:13:00 GMT"),
            Some(Duration::ZERO),
            "a past date waits nothing"
        );
        assert_eq!(header("soon"), None);
        assert_eq!(header("-1"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn the_wait_is_the_backoff_or_what_hubspot_asked_whichever_is_longer() {
        let policy = RetryPolicy::default();
        let asked = Transient::new("x", Duration::from_secs(7));
        assert_eq!(asked.wait(&policy, 1, 0.9), Duration::from_secs(7));
        let none = Transient {
            at_least: Duration::ZERO,
            ..asked
        };
        assert_eq!(none.wait(&policy, 2, 0.5), Duration::from_millis(500));
    }
}
