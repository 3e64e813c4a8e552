//! What the generated property tests of each version share (`tests/decoding.rs`): arbitrary
//! JSON shaped like HubSpot's answers, and the decoding property itself.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Arbitrary JSON whose object keys are mostly `keys` (the property names of a version's
/// schemas), so that decoding reaches deep into the types instead of failing at the top.
pub fn json(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| Number::from_f64(f)
            .map(Value::Number)),
        prop_oneof![
            Just("HUBSPOT_DEFINED".to_owned()),
            Just("COMPLETE".to_owned()),
            Just("CANCELLED".to_owned()),
            Just("2026-03-01T10:00:00Z".to_owned()),
            Just("5790939450".to_owned()),
            ".*",
        ]
        .prop_map(Value::String),
    ];
    let key = prop_oneof![4 => proptest::sample::select(keys).prop_map(str::to_owned), 1 => "[a-zA-Z]{0,8}"];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..8).prop_map(
                |entries| Value::Object(entries.into_iter().collect::<Map<String, Value>>())
            ),
        ]
    })
}

/// Decoding `bytes` into `T` never panics, and what decodes encodes and decodes again to the
/// same value.
pub fn decode<T>(bytes: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        let again: T = serde_json::from_value(serde_json::to_value(&value).unwrap()).unwrap();
        assert_eq!(again, value);
    }
}
