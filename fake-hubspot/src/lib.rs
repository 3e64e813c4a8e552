//! A fake HubSpot associations API, in memory, for tests and benchmarks.
//!
//! It serves every operation of every version of the crate's registry, at the path, with the
//! success codes and within the batch caps that version's spec documents: the record and batch
//! operations, the labels and the association limits with state, and any other operation with
//! the answer its spec's example documents. It behaves like HubSpot where a client can tell:
//! 207 answers whose `errors` name the inputs with invalid ids, cursor paging for `list` and
//! per input for `batch_read`, a rolling-window burst limit (and an optional
//! daily limit) answered with HubSpot's 429 bodies, the `X-HubSpot-RateLimit-*` headers on
//! every answer, and faults injected on demand: scripted for the next requests, or at random.
//! With an [`OAuthConfig`], it is an OAuth app's account: it issues access tokens that expire
//! at its token endpoint, rotates refresh tokens if asked to, and answers a call with an
//! expired or unknown token with HubSpot's 401. With a [`WebhookConfig`], it sends webhooks as
//! HubSpot does to an app subscribed to association changes: every association created or
//! removed, by any operation or by [`FakeHubSpot::associate`] and [`FakeHubSpot::remove`] (a
//! person's change in HubSpot), becomes an event for each side, up to 100 per request, signed
//! v3, and a request the receiver fails, cannot be reached for or answers too slowly is sent
//! again with backoff and its events' `attemptNumber` raised. [`ForwardProxy`] stands between a client and
//! it as a corporate network's proxy does. [`RedisServer`] runs a real `redis-server` on
//! loopback for the shared rate-limit budget.
//!
//! The README's "Testing your integration" is a complete test of a user's code with it.
//!
//! [`FakeHubSpot::start`] serves on 127.0.0.1 from the caller's tokio runtime, so that tests
//! with a paused clock control its time too; the `fake-hubspot` binary serves it standalone.

mod oauth;
mod proxy;
mod redis_server;
mod routes;
mod store;
mod webhooks;

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

pub use oauth::OAuthConfig;
pub use proxy::ForwardProxy;
pub use redis_server::RedisServer;
pub use store::{Association, Change, Limit};

use store::Store;
pub use webhooks::{MAX_EVENTS_PER_REQUEST, WebhookConfig};

/// The account id (portal id) the fake is, unless its webhooks name another.
pub const PORTAL_ID: u64 = 62515;

use oauth::OAuthState;

/// How the fake behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// The burst limit: at most this many requests per rolling window, else a 429
    /// `TEN_SECONDLY_ROLLING`. `None` for no limit.
    pub burst_limit: Option<(u32, Duration)>,
    /// The daily limit, else a 429 `DAILY`. `None` for no limit.
    pub daily_limit: Option<u64>,
    /// Associations per input per page of `batch_read`.
    pub batch_read_page: usize,
    /// Record ids that do not exist: inputs naming them fail with a 207.
    pub missing_ids: BTreeSet<u64>,
    /// The most records of the other type one record may be associated with, as HubSpot caps
    /// them (and the limits set through the limits API, per type, besides): a create past it
    /// fails with HubSpot's error. `None` for no cap.
    pub association_limit: Option<u32>,
    /// The share of requests, from 0 to 1, answered with a random transient fault.
    pub fault_rate: f64,
    /// The seed of the random faults, so that a run can be repeated.
    pub fault_seed: u64,
    /// An OAuth app installed on the account: calls then need a live access token it
    /// issued. `None` for any token accepted, as for a private app.
    pub oauth: Option<OAuthConfig>,
    /// Webhooks for every association created or removed, as HubSpot sends them to an app
    /// subscribed to association changes. `None` for none.
    pub webhooks: Option<WebhookConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            burst_limit: None,
            daily_limit: None,
            batch_read_page: 100,
            missing_ids: BTreeSet::new(),
            association_limit: None,
            fault_rate: 0.0,
            fault_seed: 7,
            oauth: None,
            webhooks: None,
        }
    }
}

/// What to do instead of, or before, answering a request normally.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status, these headers and this body.
    Answer {
        /// The status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body, as bytes (JSON, HTML, nothing).
        body: Vec<u8>,
    },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Send the status line and some of the body, then break the connection.
    ResetMidBody,
}

impl Fault {
    /// An answer with a JSON body.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// An answer with a body of any bytes and no content type.
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The same fault with a header added (for an answer).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Answer { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// A 429 as HubSpot sends it, from the named limit.
    pub fn rate_limited(policy: &str) -> Self {
        Self::json(429, rate_limit_body(policy, 0))
    }
}

/// A request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, `POST`...
    pub method: String,
    /// The path, still percent-encoded.
    pub path: String,
    /// The query string.
    pub query: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The body.
    pub body: Bytes,
    /// When it arrived, on the runtime's clock.
    pub at: Instant,
    /// The status it was answered with (0 when the connection was broken).
    pub status: u16,
}

/// Counts of what the fake did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received.
    pub requests: u64,
    /// Requests refused with a 429 by the fake's own limits.
    pub rate_limited: u64,
    /// Requests that got an injected fault.
    pub faults: u64,
    /// The most requests it was answering at once.
    pub max_in_flight: u64,
    /// Access tokens its OAuth token endpoint issued.
    pub tokens_issued: u64,
    /// Token requests it refused (a used, revoked or unknown refresh token, a wrong client).
    pub token_refusals: u64,
    /// Calls answered 401 because their access token had expired.
    pub expired_tokens: u64,
    /// Calls answered 401 because their access token was not one it issued.
    pub unknown_tokens: u64,
    /// Webhook requests sent, retries included.
    pub webhook_requests: u64,
    /// Webhook requests the receiver did not take (an error, a non-2xx, too slow).
    pub webhook_failed_requests: u64,
    /// Webhook events the receiver took.
    pub webhook_events_delivered: u64,
    /// Webhook events given up on after the last retry.
    pub webhook_events_failed: u64,
}

struct Inner {
    config: Config,
    store: Store,
    scripted: VecDeque<Fault>,
    random: fastrand::Rng,
    /// When each request counted by the burst limit arrived, oldest first.
    window: VecDeque<Instant>,
    today: u64,
    log: Vec<Recorded>,
    stats: Stats,
    in_flight: u64,
    next_id: u64,
    oauth: Option<OAuthState>,
    /// Where the changes go to become webhooks, when the fake sends them.
    webhooks: Option<tokio::sync::mpsc::UnboundedSender<Vec<Change>>>,
    /// Webhook events neither delivered nor given up on yet.
    webhooks_pending: u64,
    /// Woken when `webhooks_pending` falls to zero.
    webhooks_settled: Arc<tokio::sync::Notify>,
}

/// The fake's shared state, behind a lock never held across an await.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends the store's new changes as webhooks, when the fake sends them.
    fn send_changes(inner: &mut Inner) {
        let changes = inner.store.take_changes();
        if let Some(webhooks) = inner.webhooks.as_ref()
            && !changes.is_empty()
        {
            inner.webhooks_pending += 2 * changes.len() as u64;
            // The channel lives as long as the fake.
            let _ = webhooks.send(changes);
        }
    }

    /// Counts an attempt to deliver `events` webhook events, and settles them when `taken` or
    /// `last`.
    pub(crate) fn webhook_attempted(&self, taken: bool, events: u64, last: bool) {
        let mut inner = self.lock();
        inner.stats.webhook_requests += 1;
        if !taken {
            inner.stats.webhook_failed_requests += 1;
        }
        match (taken, last) {
            (true, _) => inner.stats.webhook_events_delivered += events,
            (false, true) => inner.stats.webhook_events_failed += events,
            (false, false) => return,
        }
        inner.webhooks_pending = inner.webhooks_pending.saturating_sub(events);
        if inner.webhooks_pending == 0 {
            inner.webhooks_settled.notify_waiters();
        }
    }

    /// A fresh correlation id, shaped like HubSpot's.
    fn correlation_id(&self) -> String {
        let mut inner = self.lock();
        inner.next_id += 1;
        format!("00000000-0000-4000-8000-{:012x}", inner.next_id)
    }
}

/// A running fake, serving on 127.0.0.1 until dropped.
pub struct FakeHubSpot {
    shared: Shared,
    address: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    webhooks: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeHubSpot {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(webhooks) = &self.webhooks {
            webhooks.abort();
        }
    }
}

impl FakeHubSpot {
    /// Starts serving on a free port of 127.0.0.1, on the current tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Self> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts serving on `address`, on the current tokio runtime.
    pub async fn start_on(config: Config, address: SocketAddr) -> std::io::Result<Self> {
        let webhooks = config.webhooks.clone();
        let shared = Shared(Arc::new(Mutex::new(Inner {
            random: fastrand::Rng::with_seed(config.fault_seed),
            oauth: config.oauth.clone().map(OAuthState::new),
            store: match webhooks {
                Some(_) => Store::keeping_changes(),
                None => Store::default(),
            },
            config,
            scripted: VecDeque::new(),
            window: VecDeque::new(),
            today: 0,
            log: Vec::new(),
            stats: Stats::default(),
            in_flight: 0,
            next_id: 0,
            webhooks: None,
            webhooks_pending: 0,
            webhooks_settled: Arc::new(tokio::sync::Notify::new()),
        })));
        let webhooks = webhooks.map(|config| {
            let (changes, task) = webhooks::start(config, shared.clone());
            shared.lock().webhooks = Some(changes);
            task
        });
        let app = routes::router()
            .layer(middleware::from_fn_with_state(shared.clone(), gate))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let server = tokio::spawn(async move {
            // The server stops only when the fake is dropped, which aborts this task.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            shared,
            address,
            server,
            webhooks,
        })
    }

    /// The base URL to give a client: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address it serves on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Faults for the next requests, one each, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.lock().scripted.extend(faults);
    }

    /// Faults for the next requests to the OAuth token endpoint, one each, in order.
    pub fn push_token_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        if let Some(oauth) = self.shared.lock().oauth.as_mut() {
            oauth.faults.extend(faults);
        }
    }

    /// Retires every refresh token of the OAuth app, as when it is uninstalled: the next
    /// refresh is refused with `invalid_grant`; access tokens already issued keep working
    /// until they expire.
    pub fn revoke_refresh_tokens(&self) {
        if let Some(oauth) = self.shared.lock().oauth.as_mut() {
            oauth.revoke_refresh_tokens();
        }
    }

    /// Accepts another refresh token, as when the account authorizes the app again.
    pub fn grant_refresh_token(&self, refresh_token: &str) {
        if let Some(oauth) = self.shared.lock().oauth.as_mut() {
            oauth.grant(refresh_token);
        }
    }

    /// The OAuth app's refresh tokens that work now, sorted.
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.shared
            .lock()
            .oauth
            .as_ref()
            .map(OAuthState::refresh_tokens)
            .unwrap_or_default()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().log.clone()
    }

    /// Counts of what it did.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats
    }

    /// Waits until every webhook event of the changes so far is delivered or given up on.
    ///
    /// # Panics
    ///
    /// If the fake's delivery stopped (it panicked), rather than waiting forever.
    pub async fn webhooks_settled(&self) {
        loop {
            let settled = self.shared.lock().webhooks_settled.clone();
            let notified = settled.notified();
            tokio::pin!(notified);
            // Registered before reading the count, so that a wake-up in between is not lost.
            notified.as_mut().enable();
            if self.shared.lock().webhooks_pending == 0 {
                return;
            }
            let delivering = self
                .webhooks
                .as_ref()
                .is_some_and(|task| !task.is_finished());
            assert!(delivering, "the fake's webhook delivery stopped");
            // Woken when the last event settles; looking again now and then in case delivery
            // stops in between.
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
    }

    /// Creates an association as a person in HubSpot would: unlike [`seed`](Self::seed), it
    /// is a change, sent as webhooks.
    pub fn associate(&self, association: Association) {
        let mut inner = self.shared.lock();
        inner.store.add(association);
        Shared::send_changes(&mut inner);
    }

    /// Removes an association (one type between two records) as a person in HubSpot would,
    /// sent as webhooks.
    pub fn remove(&self, association: &Association) {
        let mut inner = self.shared.lock();
        inner.store.remove_types(
            &association.from_type,
            association.from_id,
            &association.to_type,
            association.to_id,
            &[association.type_id],
        );
        Shared::send_changes(&mut inner);
    }

    /// Every association it holds.
    pub fn associations(&self) -> Vec<Association> {
        self.shared.lock().store.all()
    }

    /// How many creations repeated an association already created.
    pub fn repeated_creations(&self) -> u64 {
        self.shared.lock().store.repeated_creations()
    }

    /// Defines a label with a given type id, as if it had been defined earlier.
    pub fn seed_label(&self, from_type: &str, to_type: &str, type_id: i32, label: &str) {
        self.shared
            .lock()
            .store
            .define_label_as(from_type, to_type, type_id, label);
    }

    /// Sets an association limit, as if it had been set earlier.
    pub fn seed_limit(&self, from_type: &str, to_type: &str, limit: Limit) {
        self.shared
            .lock()
            .store
            .set_limit(from_type, to_type, limit);
    }

    /// The association limits set, with their object types.
    pub fn limits(&self) -> Vec<(String, String, Limit)> {
        self.shared.lock().store.limits(None)
    }

    /// Adds associations directly, as if they had been created earlier.
    pub fn seed(&self, associations: impl IntoIterator<Item = Association>) {
        let mut inner = self.shared.lock();
        // Seeds are what the account held before: no webhooks for them.
        for association in associations {
            inner.store.seed(association);
        }
    }
}

/// The body HubSpot sends with a 429.
fn rate_limit_body(policy: &str, id: u64) -> serde_json::Value {
    let message = match policy {
        "DAILY" => "You have reached your daily limit.".to_owned(),
        other => format!("You have reached your {} limit.", other.to_lowercase()),
    };
    serde_json::json!({
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": format!("00000000-0000-4000-8000-{id:012x}"),
        "policyName": policy,
        "requestId": format!("req-{id}"),
    })
}

/// What the gate decided before the request reaches the API.
enum Verdict {
    /// Not the API: the OAuth token endpoint answers for itself.
    TokenEndpoint,
    /// HubSpot's 401 for an expired or unknown access token.
    Unauthorized(Response),
    Fault(Fault),
    Limited(&'static str),
    Pass,
}

/// Records every request, applies faults and limits, and adds the rate-limit headers.
async fn gate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let now = Instant::now();
    let (index, verdict) = {
        let mut inner = shared.lock();
        inner.stats.requests += 1;
        inner.in_flight += 1;
        inner.stats.max_in_flight = inner.stats.max_in_flight.max(inner.in_flight);
        let index = inner.log.len();
        inner.log.push(Recorded {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            authorization: parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: body.clone(),
            at: now,
            status: 0,
        });
        let authorization = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let denied = inner
            .oauth
            .as_ref()
            .and_then(|oauth| oauth.refuse(authorization, now));
        let verdict = if parts.uri.path() == hubspot_associations::OAUTH_TOKEN_PATH {
            Verdict::TokenEndpoint
        } else if let Some(denied) = denied {
            match denied.expired {
                true => inner.stats.expired_tokens += 1,
                false => inner.stats.unknown_tokens += 1,
            }
            Verdict::Unauthorized(denied.response)
        } else {
            match inner
                .scripted
                .pop_front()
                .or_else(|| random_fault(&mut inner))
            {
                Some(fault) => {
                    inner.stats.faults += 1;
                    Verdict::Fault(fault)
                }
                None => limit(&mut inner, now),
            }
        };
        (index, verdict)
    };
    let mut response = match verdict {
        Verdict::TokenEndpoint => {
            let response = next.run(Request::from_parts(parts, Body::from(body))).await;
            let mut inner = shared.lock();
            inner.log[index].status = response.status().as_u16();
            inner.in_flight -= 1;
            return response;
        }
        Verdict::Unauthorized(response) => response,
        Verdict::Fault(fault @ Fault::ResetMidBody) => {
            let response = answer_fault(fault);
            let mut inner = shared.lock();
            inner.log[index].status = 0;
            inner.in_flight -= 1;
            return response;
        }
        Verdict::Fault(Fault::Delay(wait)) => {
            tokio::time::sleep(wait).await;
            let request = Request::from_parts(parts, Body::from(body));
            next.run(request).await
        }
        Verdict::Limited(policy) => {
            let id = shared.lock().next_id;
            (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(rate_limit_body(policy, id)),
            )
                .into_response()
        }
        Verdict::Fault(fault) => answer_fault(fault),
        Verdict::Pass => next.run(Request::from_parts(parts, Body::from(body))).await,
    };
    let mut inner = shared.lock();
    add_rate_limit_headers(&inner, response.headers_mut(), now);
    inner.log[index].status = response.status().as_u16();
    inner.in_flight -= 1;
    Shared::send_changes(&mut inner);
    response
}

/// The answer a fault gives in place of the API's: its status, headers and body, or a body
/// broken off mid-way. (A delay is not an answer: the caller waits, then answers.)
pub(crate) fn answer_fault(fault: Fault) -> Response {
    match fault {
        Fault::Answer {
            status,
            headers,
            body,
        } => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) =
                    (HeaderName::try_from(name), HeaderValue::try_from(value))
                {
                    response.headers_mut().append(name, value);
                }
            }
            response
        }
        Fault::ResetMidBody => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"results\": [{\"toObjectId\": 1")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset by the fake",
                )),
            ];
            let mut response = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            response
        }
        Fault::Delay(_) => StatusCode::OK.into_response(),
    }
}

fn random_fault(inner: &mut Inner) -> Option<Fault> {
    if inner.config.fault_rate <= 0.0 || inner.random.f64() >= inner.config.fault_rate {
        return None;
    }
    Some(match inner.random.u8(0..5) {
        0 => Fault::raw(503, Vec::new()),
        1 => Fault::raw(502, "<html><body>502 Bad Gateway</body></html>")
            .header("content-type", "text/html"),
        2 => Fault::json(
            500,
            serde_json::json!({"status": "error", "category": "INTERNAL_ERROR", "message": "internal error"}),
        ),
        3 => Fault::ResetMidBody,
        _ => Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", "1"),
    })
}

/// Counts the request against the limits, or refuses it.
fn limit(inner: &mut Inner, now: Instant) -> Verdict {
    if let Some(daily) = inner.config.daily_limit
        && inner.today >= daily
    {
        inner.stats.rate_limited += 1;
        return Verdict::Limited("DAILY");
    }
    if let Some((max, window)) = inner.config.burst_limit {
        while inner
            .window
            .front()
            .is_some_and(|at| now.duration_since(*at) >= window)
        {
            inner.window.pop_front();
        }
        if inner.window.len() >= max as usize {
            inner.stats.rate_limited += 1;
            return Verdict::Limited("TEN_SECONDLY_ROLLING");
        }
        inner.window.push_back(now);
    }
    inner.today += 1;
    Verdict::Pass
}

fn add_rate_limit_headers(inner: &Inner, headers: &mut HeaderMap, now: Instant) {
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(name, value);
        }
    };
    if let Some((max, window)) = inner.config.burst_limit {
        let used = inner
            .window
            .iter()
            .filter(|at| now.duration_since(**at) < window)
            .count();
        put("x-hubspot-ratelimit-max", max.to_string());
        put(
            "x-hubspot-ratelimit-remaining",
            (max as usize).saturating_sub(used).to_string(),
        );
        put(
            "x-hubspot-ratelimit-interval-milliseconds",
            window.as_millis().to_string(),
        );
    }
    if let Some(daily) = inner.config.daily_limit {
        put("x-hubspot-ratelimit-daily", daily.to_string());
        put(
            "x-hubspot-ratelimit-daily-remaining",
            daily.saturating_sub(inner.today).to_string(),
        );
    }
}
