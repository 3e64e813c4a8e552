//! A forward HTTP proxy on 127.0.0.1, as a corporate network puts between a program and
//! HubSpot: it receives requests in absolute form (`GET http://host:port/path`), records each
//! one, and forwards it to its origin. Tests assert that requests went through it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};

/// Headers that concern one hop, which a proxy does not forward.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "proxy-connection",
    "proxy-authorization",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
];

/// A running proxy, serving until dropped.
pub struct ForwardProxy {
    address: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Clone)]
struct Forwarding {
    seen: Arc<Mutex<Vec<String>>>,
    origin: reqwest::Client,
}

impl ForwardProxy {
    /// Starts a proxy on a free port of 127.0.0.1, on the current tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        // Cargo unifies reqwest's features: its client needs the crate's TLS provider.
        hubspot_associations::install_tls_provider();
        let state = Forwarding {
            seen: Arc::clone(&seen),
            // The proxy itself goes straight to the origin, whatever the environment says.
            origin: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(std::io::Error::other)?,
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            seen,
            server,
        })
    }

    /// The proxy's URL, as `HTTP_PROXY` or `reqwest::Proxy` take it.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every request it forwarded, as `METHOD absolute-URL`, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn forward(State(state): State<Forwarding>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // A request sent to a proxy names its whole URL; one that names only a path was not.
    if parts.uri.scheme().is_none() {
        return (StatusCode::BAD_REQUEST, "not a proxy request").into_response();
    }
    let target = parts.uri.to_string();
    state
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(format!("{} {target}", parts.method));
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut outgoing = state.origin.request(parts.method, &target).body(body);
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != "host" {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(error) => return (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let body: Bytes = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != HeaderName::from_static("content-length")
        {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}
