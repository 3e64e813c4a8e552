//! The fake's OAuth app: the token endpoint (at the client crate's `OAUTH_TOKEN_PATH`), the
//! access tokens it issued with their expiry, and HubSpot's 401 answers to a call whose
//! token expired or was never issued.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use crate::{Fault, Shared};

/// One OAuth app installed on the fake's account. Its `Debug` hides the secret and the
/// refresh token, as a test's logs may be shared.
#[derive(Clone)]
pub struct OAuthConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// The refresh token the app was given when it was installed.
    pub refresh_token: String,
    /// How long each access token lives; `expires_in` says it in whole seconds, rounded up.
    pub token_lifetime: Duration,
    /// Whether each refresh hands out a new refresh token and retires the one it was given.
    pub rotate_refresh_tokens: bool,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("token_lifetime", &self.token_lifetime)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .finish()
    }
}

/// A call refused for its token: HubSpot's 401, and whether the token had expired (else it
/// was never issued).
pub(crate) struct Denied {
    pub expired: bool,
    pub response: Response,
}

/// What the fake knows of its app's tokens.
pub(crate) struct OAuthState {
    config: OAuthConfig,
    refresh_tokens: HashSet<String>,
    /// Each access token issued, and when it expires.
    access_tokens: HashMap<String, Instant>,
    issued: u64,
    /// Faults for the next token requests, one each.
    pub(crate) faults: VecDeque<Fault>,
}

impl OAuthState {
    pub(crate) fn new(config: OAuthConfig) -> Self {
        Self {
            refresh_tokens: HashSet::from([config.refresh_token.clone()]),
            config,
            access_tokens: HashMap::new(),
            issued: 0,
            faults: VecDeque::new(),
        }
    }

    /// Retires every refresh token, as when the app is uninstalled; access tokens already
    /// issued keep working until they expire.
    pub(crate) fn revoke_refresh_tokens(&mut self) {
        self.refresh_tokens.clear();
    }

    /// Accepts another refresh token, as when the account authorizes the app again.
    pub(crate) fn grant(&mut self, refresh_token: &str) {
        self.refresh_tokens.insert(refresh_token.to_owned());
    }

    /// The refresh tokens that work now.
    pub(crate) fn refresh_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = self.refresh_tokens.iter().cloned().collect();
        tokens.sort();
        tokens
    }

    /// HubSpot's 401 for a call whose bearer token is not a live one, or `None` when it is.
    pub(crate) fn refuse(&self, authorization: Option<&str>, now: Instant) -> Option<Denied> {
        let token = authorization.and_then(|value| value.strip_prefix("Bearer "));
        let denied = |expired, response| Some(Denied { expired, response });
        match token.and_then(|token| self.access_tokens.get(token)) {
            Some(expires) if now < *expires => None,
            Some(expires) => denied(
                true,
                unauthorized(
                    "EXPIRED_AUTHENTICATION",
                    &format!(
                        "The OAuth token used to make this call expired {} second(s) ago.",
                        now.duration_since(*expires).as_secs()
                    ),
                ),
            ),
            None => denied(
                false,
                unauthorized(
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                ),
            ),
        }
    }

    /// The answer to a token request's form.
    fn exchange(
        &mut self,
        form: &HashMap<String, String>,
        now: Instant,
    ) -> Result<serde_json::Value, Refusal> {
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
        if field("grant_type") != "refresh_token" {
            return Err(Refusal(
                "BAD_GRANT_TYPE",
                "unsupported_grant_type",
                "grant_type must be refresh_token",
            ));
        }
        if field("client_id") != self.config.client_id {
            return Err(Refusal(
                "BAD_CLIENT_ID",
                "invalid_client",
                "missing or unknown client id",
            ));
        }
        if field("client_secret") != self.config.client_secret {
            return Err(Refusal(
                "BAD_CLIENT_SECRET",
                "invalid_client",
                "missing or invalid client secret",
            ));
        }
        let used = field("refresh_token");
        if !self.refresh_tokens.contains(used) {
            return Err(Refusal(
                "BAD_REFRESH_TOKEN",
                "invalid_grant",
                "missing or invalid refresh token",
            ));
        }
        self.issued += 1;
        let refresh_token = match self.config.rotate_refresh_tokens {
            true => {
                self.refresh_tokens.remove(used);
                let new = format!("fake-rt-{:06}-{:016x}", self.issued, fastrand::u64(..));
                self.refresh_tokens.insert(new.clone());
                new
            }
            false => used.to_owned(),
        };
        let access_token = format!(
            "fake-at-{:06}-{:016x}{:016x}",
            self.issued,
            fastrand::u64(..),
            fastrand::u64(..)
        );
        let lifetime = self.config.token_lifetime;
        self.access_tokens
            .insert(access_token.clone(), now + lifetime);
        Ok(json!({
            "token_type": "bearer",
            "access_token": access_token,
            "refresh_token": refresh_token,
            "expires_in": lifetime.as_secs_f64().ceil() as u64,
            "hub_id": 1234567,
            "scopes": ["crm.objects.contacts.write", "crm.objects.companies.write", "oauth"],
        }))
    }
}

fn unauthorized(category: &str, message: &str) -> Response {
    let body = json!({
        "status": "error",
        "message": message,
        "correlationId": "00000000-0000-4000-8000-0000000000aa",
        "category": category,
    });
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

/// Why a token request is refused: HubSpot's `status`, RFC 6749's `error`, and the text.
struct Refusal(&'static str, &'static str, &'static str);

impl Refusal {
    fn answer(self) -> Response {
        let Refusal(status, error, description) = self;
        refused(status, error, description)
    }
}

/// HubSpot's refusal of a token request, with RFC 6749's fields beside its own.
fn refused(status: &str, error: &str, description: &str) -> Response {
    let body = json!({
        "status": status,
        "message": description,
        "correlationId": "00000000-0000-4000-8000-0000000000bb",
        "error": error,
        "error_description": description,
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// `POST /oauth/<version>/token`: a form-encoded refresh.
pub(crate) async fn token(State(shared): State<Shared>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let fault = {
        let mut inner = shared.lock();
        match inner.oauth.as_mut() {
            Some(oauth) => oauth.faults.pop_front(),
            None => {
                return refused(
                    "BAD_CLIENT_ID",
                    "invalid_client",
                    "the fake has no OAuth app",
                );
            }
        }
    };
    match fault {
        Some(Fault::Delay(wait)) => tokio::time::sleep(wait).await,
        Some(fault) => {
            shared.lock().stats.faults += 1;
            return crate::answer_fault(fault);
        }
        None => {}
    }
    let mut inner = shared.lock();
    let now = Instant::now();
    let answer = inner.oauth.as_mut().map(|oauth| oauth.exchange(&form, now));
    match answer {
        Some(Ok(body)) => {
            inner.stats.tokens_issued += 1;
            axum::Json(body).into_response()
        }
        Some(Err(refusal)) => {
            inner.stats.token_refusals += 1;
            refusal.answer()
        }
        None => refused(
            "BAD_CLIENT_ID",
            "invalid_client",
            "the fake has no OAuth app",
        ),
    }
}
