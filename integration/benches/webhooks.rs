//! The cost of receiving a webhook request: verifying the v3 signature and decoding a
//! 100-event body into typed events, against a plain `serde_json` parse of the same body into
//! a `Value` (what a receiver that checks nothing does), measured in the same run.
//!
//! `cargo bench -p integration --bench webhooks`
//!
//! Rounds alternate between the two, so that both see the same load on a shared machine; the
//! figures are the medians of the per-round times and of their ratios.

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use hubspot_associations::webhooks::{SignedRequest, Verifier, decode, sign_v3};

const ROUNDS: usize = 21;
const PER_ROUND: usize = 2_000;
const SECRET: &str = "bench-secret";
const URI: &str = "https://hooks.example.com/hubspot?app=bench";

/// 100 association events as HubSpot sends them: per-object ones for contacts and companies,
/// generic ones for notes.
fn body() -> Vec<u8> {
    let events: Vec<serde_json::Value> = (0..100u64)
        .map(|i| {
            let mut event = serde_json::json!({
                "eventId": 4_000_000_000u64 + i, "subscriptionId": 1001, "portalId": 62515,
                "appId": 54321, "occurredAt": 1_693_657_560_000u64 + i,
                "attemptNumber": 0, "changeSource": "INTEGRATION", "sourceId": "54321",
                "fromObjectId": 1_000 + i, "toObjectId": 9_000 + i,
                "associationRemoved": i % 7 == 0, "isPrimaryAssociation": false,
            });
            match i % 2 {
                0 => {
                    event["subscriptionType"] = "contact.associationChange".into();
                    event["associationType"] = "CONTACT_TO_COMPANY".into();
                }
                _ => {
                    event["subscriptionType"] = "object.associationChange".into();
                    event["fromObjectTypeId"] = "0-46".into();
                    event["toObjectTypeId"] = "0-1".into();
                    event["associationTypeId"] = 202.into();
                    event["associationCategory"] = "HUBSPOT_DEFINED".into();
                }
            }
            event
        })
        .collect();
    serde_json::to_vec(&events).unwrap()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let body = body();
    let timestamp = "1693657560000";
    let signature = sign_v3(SECRET, "POST", URI, &body, timestamp);
    let verifier = Verifier::new(SECRET);
    let now = UNIX_EPOCH + Duration::from_millis(1_693_657_561_000);
    let receive = || {
        let request = SignedRequest::new("POST", URI, &body)
            .header("X-HubSpot-Signature-v3", &signature)
            .header("X-HubSpot-Request-Timestamp", timestamp);
        verifier.verify(&request, now).unwrap();
        let events = decode(&body, verifier.body_limit()).unwrap();
        assert_eq!(events.events.len(), 100);
        events
    };
    let verify_only = || {
        let request = SignedRequest::new("POST", URI, &body)
            .header("X-HubSpot-Signature-v3", &signature)
            .header("X-HubSpot-Request-Timestamp", timestamp);
        verifier.verify(&request, now).unwrap()
    };
    let parse = || serde_json::from_slice::<serde_json::Value>(&body).unwrap();
    let time = |work: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            work();
        }
        start.elapsed().as_secs_f64() / PER_ROUND as f64
    };
    let (mut plain, mut ours, mut ratios, mut signing) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let plain_work = || drop(black_box(parse()));
        let our_work = || drop(black_box(receive()));
        let (p, o) = match round % 2 {
            0 => (time(&plain_work), time(&our_work)),
            _ => {
                let o = time(&our_work);
                (time(&plain_work), o)
            }
        };
        signing.push(time(&|| {
            black_box(verify_only());
        }));
        plain.push(p);
        ours.push(o);
        ratios.push(o / p);
    }
    println!(
        "a 100-event request ({} bytes), median of {ROUNDS} rounds of {PER_ROUND}:",
        body.len()
    );
    println!(
        "  serde_json parse into a Value:     {:>8.1} µs",
        median(plain) * 1e6
    );
    println!(
        "  verify (v3) and decode to events:  {:>8.1} µs",
        median(ours) * 1e6
    );
    println!(
        "    of which the signature alone:    {:>8.1} µs",
        median(signing) * 1e6
    );
    println!(
        "  ratio, ours to the plain parse:    {:>8.2}x",
        median(ratios)
    );
}
