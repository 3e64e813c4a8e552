//! A webhook receiver for association changes: it checks each request's signature, answers
//! at once, and does the work after answering, skipping changes it has already seen.
//!
//! ```text
//! HUBSPOT_CLIENT_SECRET=... WEBHOOK_PUBLIC_URL=https://hooks.example.com \
//!     cargo run --example webhook_receiver --features webhooks
//! ```
//!
//! `WEBHOOK_PUBLIC_URL` is the base of the URL in the app's webhook settings: behind a proxy,
//! the URI HubSpot signed is that base and the path and query it called, not what this server
//! sees. `WEBHOOK_LISTEN` is the address to serve on (`127.0.0.1:3000` unless set). With
//! `WEBHOOK_EXIT_AFTER=N` it stops after N distinct changes, for a demonstration against
//! `fake-hubspot --webhook-url`.
//!
//! What it prints, one line per request and one per change:
//! `request <events> events, attempt <n>` and
//! `created|removed <from type> <from id> <to type> <to id> type <id or name>`.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use hubspot_associations::webhooks::{Events, SignedRequest, Verifier, decode};
use tokio::sync::mpsc;

struct Receiver {
    verifier: Verifier,
    /// The scheme and host HubSpot calls, without a trailing slash.
    public_base: String,
    /// Verified requests, for the worker. Unbounded here for brevity: a production receiver
    /// stores the body (a queue, a table) before answering, so that a crash loses nothing.
    work: mpsc::UnboundedSender<Events>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("HUBSPOT_CLIENT_SECRET")?;
    let listen = std::env::var("WEBHOOK_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let address = listener.local_addr()?;
    let public_base = std::env::var("WEBHOOK_PUBLIC_URL")
        .unwrap_or_else(|_| format!("http://{address}"))
        .trim_end_matches('/')
        .to_owned();
    let exit_after: Option<usize> = match std::env::var("WEBHOOK_EXIT_AFTER") {
        Ok(count) => Some(count.parse()?),
        Err(_) => None,
    };
    let verifier = Verifier::new(secret);
    let body_limit = verifier.body_limit();
    let (work, queue) = mpsc::unbounded_channel();
    let receiver = Arc::new(Receiver {
        verifier,
        public_base,
        work,
    });
    let app = Router::new()
        .fallback(post(receive))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(receiver);
    println!("listening on {address}");
    let worker = tokio::spawn(work_through(queue, exit_after));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = worker.await;
        })
        .await?;
    Ok(())
}

/// Checks the signature and queues the events; the answer goes back before any work is done,
/// since HubSpot counts an answer slower than five seconds as a failure and sends again.
async fn receive(
    State(receiver): State<Arc<Receiver>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let public_uri = format!("{}{path_and_query}", receiver.public_base);
    let request = SignedRequest::new(method.as_str(), &public_uri, &body).headers(&headers);
    if let Err(refused) = receiver.verifier.verify_now(&request) {
        eprintln!("refused a request: {refused}");
        return StatusCode::UNAUTHORIZED;
    }
    match decode(&body, receiver.verifier.body_limit()) {
        Ok(events) => {
            for undecodable in &events.undecodable {
                eprintln!("kept aside: {undecodable}");
            }
            // The worker lives as long as the server.
            let _ = receiver.work.send(events);
            StatusCode::NO_CONTENT
        }
        Err(garbled) => {
            eprintln!("refused a body: {garbled}");
            StatusCode::BAD_REQUEST
        }
    }
}

/// The work, after answering: each change once, however often HubSpot sends it. HubSpot may
/// send an event again (a retry after a slow answer) and `eventId` is not unique, so a change
/// is known by what it says. Requests come in no order: a program that keeps state orders the
/// changes of one pair by `occurred_at`.
async fn work_through(mut queue: mpsc::UnboundedReceiver<Events>, exit_after: Option<usize>) {
    let mut seen = HashSet::new();
    while let Some(events) = queue.recv().await {
        let attempt = events.events.first().map_or(0, |e| e.attempt_number);
        println!("request {} events, attempt {attempt}", events.events.len());
        for (event, change) in events.association_changes() {
            let key = (
                change.from_object_type.clone(),
                change.from_object_id.clone(),
                change.to_object_type.clone(),
                change.to_object_id.clone(),
                change.association_type_id,
                change.association_type.clone(),
                change.removed,
                event.occurred_at,
            );
            if !seen.insert(key) {
                continue;
            }
            let kind = match (change.association_type_id, &change.association_type) {
                (Some(id), _) => id.to_string(),
                (None, Some(name)) => name.clone(),
                (None, None) => "unknown".into(),
            };
            println!(
                "{} {} {} {} {} type {kind}",
                if change.removed { "removed" } else { "created" },
                change.from_object_type,
                change.from_object_id,
                change.to_object_type,
                change.to_object_id,
            );
        }
        if exit_after.is_some_and(|count| seen.len() >= count) {
            return;
        }
    }
}
