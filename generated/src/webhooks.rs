//! HubSpot's webhooks: checking that a request came from HubSpot, and reading its events.
//!
//! An app subscribed to association changes (`contact.associationChange` and its kin for
//! contacts, companies, deals, tickets and line items; `object.associationChange` for any
//! object) gets a `POST` with a JSON array of up to 100 events, signed with the app's client
//! secret. A receiver checks the signature on the body's raw bytes, then decodes:
//!
//! ```
//! use hubspot_associations::webhooks::{Change, SignedRequest, Verifier, decode};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (secret, body, timestamp) = ("s3cret", br#"[]"#, "1693657560000");
//! # let signature = hubspot_associations::webhooks::sign_v3(secret, "POST", "https://hooks.example.com/hubspot", body, timestamp);
//! # let now = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1693657561000);
//! let verifier = Verifier::new(secret);
//! let request = SignedRequest::new("POST", "https://hooks.example.com/hubspot", body)
//!     .header("X-HubSpot-Signature-v3", &signature)
//!     .header("X-HubSpot-Request-Timestamp", timestamp);
//! verifier.verify(&request, now)?; // `verify_now` in a server
//! let events = decode(body, verifier.body_limit())?;
//! for (event, change) in events.association_changes() {
//!     println!("{} {} -> {} {}, removed: {}", change.from_object_type, change.from_object_id,
//!         change.to_object_type, change.to_object_id, change.removed);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Signatures
//!
//! [`Verifier`] checks all three of HubSpot's versions, comparing in constant time:
//!
//! - **v3** (`X-HubSpot-Signature-v3`, `X-HubSpot-Request-Timestamp`): base64 HMAC-SHA256 of
//!   the method, the URI, the body and the timestamp. A request signed more than five minutes
//!   ago, or further in the future than clocks disagree, is refused: a request seen once
//!   verifies again only within those five minutes, and deduplication (below) covers them.
//!   This is the only version accepted by default.
//! - **v2** and **v1** (`X-HubSpot-Signature`, `X-HubSpot-Signature-Version`): hex SHA-256 of
//!   the secret with the method, the URI and the body (v2) or the body alone (v1). Neither
//!   has a timestamp: anyone who saw a request can send it again, and it verifies. They are
//!   accepted only after [`Verifier::accept_legacy`].
//!
//! Each refusal is a [`VerifyError`] that says which rule failed; none repeats the secret.
//!
//! # The URI behind a proxy
//!
//! v3 and v2 sign the URI as HubSpot called it: `https://hooks.example.com/hubspot?key=1`,
//! the URL in the app's webhook settings. A server behind a load balancer, a TLS terminator
//! or a path-rewriting proxy sees another scheme, host or path (`http://10.0.0.7:8080/hubspot`).
//! Build the URI from the public base URL the app is configured with and the path and query
//! as HubSpot sent them (before any rewriting), not from `Host` or `X-Forwarded-*` headers,
//! which a caller can set to anything. v3 decodes some escapes of the URI before signing
//! ([`decode_uri`]); give the URI still encoded, as it came.
//!
//! # Delivery
//!
//! HubSpot answers to a request slower than five seconds, a connection failure or any 4xx or
//! 5xx by sending it again later, up to 10 times over a day, with the events' `attemptNumber`
//! raised. So:
//!
//! - answer 2xx as soon as the signature checks and the body is stored or queued; do the
//!   work after answering;
//! - expect the same change more than once, and `eventId` is not unique: deduplicate on what
//!   the event says (the two records, the type, `removed`, `occurred_at`);
//! - expect requests in any order: order changes to one pair by [`Event::occurred_at`];
//! - HubSpot sends one event per side of an association (contact to company, and company to
//!   contact), and creating a primary association creates the unlabelled one too.
//!
//! `examples/webhook_receiver.rs` is a receiver built this way.

mod events;
mod signature;

pub use events::{
    AssociationChange, BodyError, Change, Event, Events, GENERIC_ASSOCIATION_CHANGE,
    UndecodableEvent, decode,
};
pub use signature::{
    DEFAULT_CLOCK_SKEW, DEFAULT_MAX_AGE, DEFAULT_MAX_BODY, SIGNATURE_HEADER, SIGNATURE_V3_HEADER,
    SIGNATURE_VERSION_HEADER, SignatureVersion, SignedRequest, TIMESTAMP_HEADER, Verifier,
    VerifyError, decode_uri, sign_v3,
};

#[cfg(test)]
mod tests;
