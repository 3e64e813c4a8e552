//! Signatures checked against HubSpot's published vectors and against vectors computed
//! independently (Python's `hmac`, applying HubSpot's decode table by hand); events decoded
//! from HubSpot-shaped bodies.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::ObjectType;

/// The secret of HubSpot's published vectors.
const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const TIMESTAMP: &str = "1693657560000";

fn at(millis: u64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

fn v3_request<'a>(uri: &'a str, body: &'a [u8], signature: &'a str) -> SignedRequest<'a> {
    SignedRequest::new("POST", uri, body)
        .header("X-HubSpot-Signature-v3", signature)
        .header("X-HubSpot-Request-Timestamp", TIMESTAMP)
}

#[test]
fn hubspots_published_v3_vector_verifies() {
    let request = v3_request(
        "https://www.example.com/webhook_uri",
        b"{'example_field':'example_value'}",
        "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=",
    );
    let verifier = Verifier::new(SECRET);
    assert_eq!(
        verifier.verify(&request, at(1_693_657_560_000 + 1_000)),
        Ok(SignatureVersion::V3)
    );
    let read_with_its_newline = Verifier::new(format!("{SECRET}\n"));
    assert!(
        read_with_its_newline
            .verify(&request, at(1_693_657_560_000))
            .is_ok()
    );
    assert_eq!(
        sign_v3(
            SECRET,
            "POST",
            "https://www.example.com/webhook_uri",
            b"{'example_field':'example_value'}",
            TIMESTAMP
        ),
        "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="
    );
}

#[test]
fn hubspots_documented_v1_and_v2_vectors_verify_when_legacy_is_accepted() {
    let v1_body = br#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
    let uri = "https://www.example.com/webhook_uri";
    let legacy = |method, body, version, signature| {
        SignedRequest::new(method, uri, body)
            .header("X-HubSpot-Signature", signature)
            .header("X-HubSpot-Signature-Version", version)
    };
    let vectors = [
        (
            legacy(
                "POST",
                &v1_body[..],
                "v1",
                "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de",
            ),
            SignatureVersion::V1,
        ),
        (
            legacy(
                "GET",
                b"",
                "v2",
                "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e",
            ),
            SignatureVersion::V2,
        ),
        (
            legacy(
                "POST",
                br#"{"example_field":"example_value"}"#,
                "v2",
                "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900",
            ),
            SignatureVersion::V2,
        ),
    ];
    let now = at(0);
    for (request, version) in &vectors {
        assert_eq!(
            Verifier::new(SECRET).accept_legacy().verify(request, now),
            Ok(*version)
        );
        assert_eq!(
            Verifier::new(SECRET).verify(request, now),
            Err(VerifyError::VersionRefused {
                version: *version,
                minimum: SignatureVersion::V3
            }),
            "v1 and v2 are refused unless accepted"
        );
    }
    let changed = legacy(
        "PUT",
        br#"{"example_field":"example_value"}"#,
        "v2",
        "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900",
    );
    assert_eq!(
        Verifier::new(SECRET).accept_legacy().verify(&changed, now),
        Err(VerifyError::Mismatch {
            version: SignatureVersion::V2
        })
    );
    let unknown = legacy("POST", b"", "v9", "00");
    assert!(matches!(
        Verifier::new(SECRET).accept_legacy().verify(&unknown, now),
        Err(VerifyError::GarbledHeader {
            header: SIGNATURE_VERSION_HEADER,
            ..
        })
    ));
}

#[test]
fn each_escape_of_the_table_is_decoded_and_no_other() {
    // (escape, signature of `https://www.example.com/hook?q=a<escape>b` with body `[]`), as
    // Python computes it over the URI with the escape decoded if HubSpot's table lists it.
    let vectors = [
        ("%3A", "AD/fiZtLYO0vmZmckKv53VRGYIj/JWGrWL+UQ5RTWto="),
        ("%2F", "WA99Pi232ala7ah1O6/rzp/acW6ZnUCz2lGpvWRkMyo="),
        ("%3F", "9jHLYyVvNN7lo3FJ/AZ9A60x9I+54WvMW9WZY1vcrYM="),
        ("%40", "bYlmQQU69tZGdCGXUVwlFfkdOv5PBbNklzqa5uqE8eI="),
        ("%21", "93ocZXDV33PH3JHIkxwK8vLLMwWGcRHGSmR6SNR9kaA="),
        ("%24", "pcakPIG5azCquM1Vp4Cx12DjU1FCQbPSoNTtckDxwyU="),
        ("%27", "jgeFQB/I6c7y0oAgFTGHncCm13pUyYW28omiTzix3g4="),
        ("%28", "yPB74vnQDyXt3foP8u/k4be/QnitreGspUuFKN0X6gk="),
        ("%29", "B4NttC3QC4wvl79q+Bfp+tBrPQtaeF1gCFlpj7uvKdE="),
        ("%2A", "gHJ3zUDxv4NDr6/X6O/IWyo2UIPtsHclhqvibu+aaZw="),
        ("%2C", "nhD/tNO508xScQq1OULqi44+FnvwofbL31WZrLS27+8="),
        ("%3B", "9G8tK7Ch7+8kLSDmxM36oXkUg1/bcXN/wjMqVAuMk00="),
        // Outside the table: signed as sent.
        ("%20", "g1fqdOE5wrKyYcep7GNMfSYw4mA3yfUGTy8K0X5kivc="),
        ("%2B", "AgcKJtWI2a2czbYtQPnKjKCY8hCQDMtJ1nFxnr08efA="),
        ("%26", "12v2jxeEW7LJaPbpd7hJzS5rtOB97EZ7rUkD6th2NtE="),
        ("%3D", "hZOO311yKEooITtNppFikNlklXl/r5C1V1G3kVUhA/U="),
        ("%25", "SFpLchCNbtPrPxCRstjyGKJ5idcx67wLASMb411gwKk="),
    ];
    let verifier = Verifier::new(SECRET);
    for (escape, signature) in vectors {
        let uri = format!("https://www.example.com/hook?q=a{escape}b");
        let request = v3_request(&uri, b"[]", signature);
        assert_eq!(
            verifier.verify(&request, at(1_693_657_560_000)),
            Ok(SignatureVersion::V3),
            "{escape}"
        );
    }
    assert_eq!(decode_uri("/a%2Fb%2fc%20d%"), "/a/b%2fc%20d%");
}

#[test]
fn a_query_string_and_a_body_beyond_ascii_verify() {
    let body = "[{\"name\":\"Zoë Łukasz 日本\"}]".as_bytes();
    let request = v3_request(
        "https://www.example.com/hook?portal=62515&kind=assoc",
        body,
        "EHLSFVGojZZPcDjRnbInFPD2ed/8EBI2plofwH1s+Bg=",
    );
    assert!(
        Verifier::new(SECRET)
            .verify(&request, at(1_693_657_560_000))
            .is_ok()
    );
}

#[test]
fn any_changed_byte_is_a_mismatch() {
    let uri = "https://www.example.com/webhook_uri";
    let body = b"{'example_field':'example_value'}";
    let signature = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=";
    let now = at(1_693_657_560_000);
    let mismatch = Err(VerifyError::Mismatch {
        version: SignatureVersion::V3,
    });
    let verifier = Verifier::new(SECRET);
    let changed = [
        SignedRequest::new("PUT", uri, body)
            .header("X-HubSpot-Signature-v3", signature)
            .header("X-HubSpot-Request-Timestamp", TIMESTAMP),
        v3_request("https://www.example.com/webhook_urj", body, signature),
        v3_request(uri, b"{'example_field':'example_valuf'}", signature),
        SignedRequest::new("POST", uri, body)
            .header("X-HubSpot-Signature-v3", signature)
            .header("X-HubSpot-Request-Timestamp", "1693657560001"),
        v3_request(uri, body, "L36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="),
    ];
    for request in &changed {
        assert_eq!(verifier.verify(request, now), mismatch, "{request:?}");
    }
    assert_eq!(
        Verifier::new("another secret").verify(&v3_request(uri, body, signature), now),
        mismatch
    );
}

#[test]
fn old_future_missing_and_garbled_headers_each_say_why() {
    let uri = "https://www.example.com/webhook_uri";
    let body = b"{'example_field':'example_value'}";
    let signature = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=";
    let signed = 1_693_657_560_000;
    let verifier = Verifier::new(SECRET);
    let request = v3_request(uri, body, signature);
    assert_eq!(
        verifier.verify(&request, at(signed + 5 * 60_000 + 1)),
        Err(VerifyError::Expired {
            age: Duration::from_millis(5 * 60_000 + 1),
            max_age: DEFAULT_MAX_AGE
        })
    );
    assert!(verifier.verify(&request, at(signed + 5 * 60_000)).is_ok());
    assert_eq!(
        verifier.verify(&request, at(signed - 61_000)),
        Err(VerifyError::FromTheFuture {
            ahead: Duration::from_secs(61),
            skew: DEFAULT_CLOCK_SKEW
        })
    );
    let now = at(signed);
    let far_ahead = SignedRequest::new("POST", uri, body)
        .header("X-HubSpot-Signature-v3", signature)
        .header("X-HubSpot-Request-Timestamp", u64::MAX.to_string());
    assert!(matches!(
        verifier.verify(&far_ahead, now),
        Err(VerifyError::FromTheFuture { .. })
    ));
    let without_timestamp =
        SignedRequest::new("POST", uri, body).header("x-hubspot-signature-v3", signature);
    assert_eq!(
        verifier.verify(&without_timestamp, now),
        Err(VerifyError::MissingHeader {
            header: TIMESTAMP_HEADER,
            version: SignatureVersion::V3
        })
    );
    assert_eq!(
        verifier.verify(&SignedRequest::new("POST", uri, body), now),
        Err(VerifyError::Unsigned)
    );
    let garbled_time = SignedRequest::new("POST", uri, body)
        .header("X-HubSpot-Signature-v3", signature)
        .header("X-HubSpot-Request-Timestamp", "yesterday");
    assert!(matches!(
        verifier.verify(&garbled_time, now),
        Err(VerifyError::GarbledHeader {
            header: TIMESTAMP_HEADER,
            ..
        })
    ));
    let garbled_signature = v3_request(uri, body, "not base64!");
    assert!(matches!(
        verifier.verify(&garbled_signature, now),
        Err(VerifyError::GarbledHeader {
            header: SIGNATURE_V3_HEADER,
            ..
        })
    ));
    let twice = v3_request(uri, body, signature).header("X-HubSpot-Signature-V3", signature);
    assert_eq!(
        verifier.verify(&twice, now),
        Err(VerifyError::RepeatedHeader {
            header: SIGNATURE_V3_HEADER
        })
    );
    let large = Verifier::new(SECRET).max_body(10);
    assert_eq!(
        large.verify(&request, now),
        Err(VerifyError::BodyTooLarge { size: 33, max: 10 })
    );
}

#[test]
fn errors_and_the_verifier_never_show_the_secret() {
    let verifier = Verifier::new(SECRET);
    let request = v3_request("https://h.example/", b"[]", "AAAA");
    let error = verifier
        .verify(&request, at(1_693_657_560_000))
        .unwrap_err();
    assert!(!format!("{error} {error:?} {verifier:?}").contains("yyyy"));
}

/// A body of two association events, both forms, one with string ids, and an unknown field.
const ASSOCIATION_EVENTS: &str = r#"[
  {"eventId": 1, "subscriptionId": 12345, "portalId": 62515, "appId": 54321,
   "occurredAt": 1693657560000, "subscriptionType": "contact.associationChange",
   "attemptNumber": 0, "changeSource": "CRM_UI", "sourceId": "userId:1",
   "associationType": "CONTACT_TO_COMPANY", "fromObjectId": 101, "toObjectId": "5001",
   "associationRemoved": false, "isPrimaryAssociation": false, "newField": [1]},
  {"eventId": "2", "subscriptionId": 12346, "portalId": 62515, "appId": 54321,
   "occurredAt": 1693657560001, "subscriptionType": "object.associationChange",
   "attemptNumber": 2, "changeSource": "API", "associationType": "NOTE_TO_CONTACT",
   "fromObjectTypeId": "0-46", "toObjectTypeId": "0-1", "associationTypeId": 202,
   "associationCategory": "HUBSPOT_DEFINED", "fromObjectId": 7, "toObjectId": 101,
   "associationRemoved": true},
  {"eventId": 3, "portalId": 62515, "occurredAt": 1693657560002,
   "subscriptionType": "company.associationChange", "associationType": "COMPANY_TO_CONTACT",
   "fromObjectId": 5001, "toObjectId": 101, "associationRemoved": false,
   "isPrimaryAssociation": true}
]"#;

#[test]
fn association_changes_of_both_forms_are_typed() {
    let events = decode(ASSOCIATION_EVENTS.as_bytes(), DEFAULT_MAX_BODY).unwrap();
    assert!(events.undecodable.is_empty(), "{:?}", events.undecodable);
    let changes: Vec<_> = events.association_changes().collect();
    assert_eq!(changes.len(), 3);
    let (event, change) = changes[0];
    assert_eq!(event.portal_id, 62515);
    assert_eq!(event.occurred_at.timestamp_millis(), 1_693_657_560_000);
    assert_eq!(event.other_fields["newField"], serde_json::json!([1]));
    assert_eq!(change.from_object_type, ObjectType::CONTACTS);
    assert_eq!(change.to_object_type, ObjectType::COMPANIES);
    assert_eq!(
        (change.from_object_id.as_str(), change.to_object_id.as_str()),
        ("101", "5001")
    );
    assert_eq!(change.association_type_id, Some(279));
    assert!(!change.removed);
    let (event, change) = changes[1];
    assert_eq!((event.event_id, event.attempt_number), (2, 2));
    assert_eq!(change.from_object_type, ObjectType::from_type_id("0-46"));
    assert_eq!(change.to_object_type, ObjectType::CONTACTS);
    assert_eq!(change.association_type_id, Some(202));
    assert_eq!(
        change.association_category,
        Some(crate::AssociationCategory::HubspotDefined)
    );
    assert!(change.removed);
    let (_, change) = changes[2];
    assert!(change.primary);
    assert_eq!(
        change.association_type_id,
        Some(crate::association_types::COMPANY_TO_PRIMARY_CONTACT.id)
    );
}

#[test]
fn an_undecodable_event_is_reported_beside_the_others() {
    let body = r#"[
      {"eventId": 1, "portalId": 1, "occurredAt": 1, "subscriptionType": "contact.creation",
       "objectId": 9, "propertyName": "email"},
      {"eventId": 2, "portalId": 1, "occurredAt": 1, "subscriptionType": "deal.associationChange",
       "associationType": "DEAL_TO_CONTACT", "fromObjectId": true, "toObjectId": 4,
       "associationRemoved": false},
      "not an event"
    ]"#;
    let events = decode(body.as_bytes(), DEFAULT_MAX_BODY).unwrap();
    assert_eq!(events.events.len(), 1);
    let other = &events.events[0];
    assert_eq!(other.change, Change::Other);
    assert_eq!(other.other_fields["objectId"], 9);
    assert_eq!(events.undecodable.len(), 2);
    assert_eq!(events.undecodable[0].index, 1);
    assert!(
        events.undecodable[0].reason.contains("fromObjectId"),
        "{}",
        events.undecodable[0]
    );
    assert_eq!(events.undecodable[0].event["fromObjectId"], true);
    assert_eq!(
        events.undecodable[0].event["eventId"], 2,
        "the event is kept whole, with the fields read before the one that failed"
    );
    assert_eq!(
        events.undecodable[0].event["associationType"],
        "DEAL_TO_CONTACT"
    );
    assert_eq!(events.undecodable[1].reason, "not a JSON object");
    assert_eq!(events.undecodable[1].event, "not an event");
    assert!(matches!(
        decode(b"{}", DEFAULT_MAX_BODY),
        Err(BodyError::NotAnArray { .. })
    ));
    assert_eq!(
        decode(b"[]", 1),
        Err(BodyError::TooLarge { size: 2, max: 1 })
    );
}
