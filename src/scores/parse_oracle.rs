//! The first score parser, through `serde_json::Value` and its
//! order-preserving map: kept as the oracle the streaming parser
//! (`parse.rs`) is tested against, result for result and error for error.

use serde_json::Value;

use super::parse::{describe, mark_non_finite};
use super::{MAX_SLOTS, ScoreError, SlotKey};

/// Parse one seed's score JSON into its sorted slots and values.
///
/// `NaN`, `Infinity` and `-Infinity` (as Python's `json.dumps` and many C
/// printf-based writers emit them) are read so that they can be reported as
/// what they are, not as a JSON syntax error.
pub fn parse_score(seed: u64, json: &str) -> Result<Vec<(SlotKey, f64)>, ScoreError> {
    let value: Value =
        serde_json::from_str(&mark_non_finite(json)).map_err(|e| ScoreError::InvalidJson {
            seed,
            reason: e.to_string(),
        })?;
    let mut cells = match &value {
        Value::Array(records) => parse_records(seed, records)?,
        Value::Object(metrics) => {
            if metrics.is_empty() {
                return Err(ScoreError::Empty {
                    seed,
                    value: "{}".into(),
                });
            }
            parse_metrics(seed, None, metrics)?
        }
        other => vec![(SlotKey::new(0, "score"), number(seed, "the score", other)?)],
    };
    if cells.len() > MAX_SLOTS {
        return Err(ScoreError::TooManySlots {
            seed,
            slots: cells.len(),
        });
    }
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(cells)
}

fn parse_records(seed: u64, records: &[Value]) -> Result<Vec<(SlotKey, f64)>, ScoreError> {
    if records.is_empty() {
        return Err(ScoreError::Empty {
            seed,
            value: "[]".into(),
        });
    }
    let mut steps_seen = std::collections::BTreeSet::new();
    let mut cells = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let Value::Object(fields) = record else {
            return Err(ScoreError::BadShape {
                seed,
                value: format!("an array holding {}", describe(record)),
            });
        };
        let step = match fields.get("step") {
            None => return Err(ScoreError::MissingStep { seed, index }),
            Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
            Some(other) => {
                return Err(ScoreError::BadStep {
                    seed,
                    index,
                    value: describe(other),
                });
            }
        };
        if !steps_seen.insert(step) {
            return Err(ScoreError::DuplicateStep { seed, step });
        }
        let mut metrics = fields.clone();
        metrics.remove("step");
        if metrics.is_empty() {
            return Err(ScoreError::Empty {
                seed,
                value: format!("step {step} has no metrics"),
            });
        }
        cells.extend(parse_metrics(seed, Some(step), &metrics)?);
    }
    Ok(cells)
}

fn parse_metrics(
    seed: u64,
    step: Option<i64>,
    metrics: &serde_json::Map<String, Value>,
) -> Result<Vec<(SlotKey, f64)>, ScoreError> {
    metrics
        .iter()
        .map(|(name, value)| {
            let place = match step {
                Some(step) => format!("metric `{name}` at step {step}"),
                None => format!("metric `{name}`"),
            };
            let v = number(seed, &place, value)?;
            Ok((SlotKey::new(step.unwrap_or(0), name.clone()), v))
        })
        .collect()
}

fn number(seed: u64, place: &str, value: &Value) -> Result<f64, ScoreError> {
    match value {
        Value::Number(n) => n.as_f64().filter(|v| v.is_finite()),
        _ => None,
    }
    .ok_or_else(|| ScoreError::BadValue {
        seed,
        place: place.to_string(),
        value: describe(value),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::parse_score as oracle;
    use crate::scores::parse_score;

    /// JSON-ish text: repeated keys, `step`, non-finite tokens, escapes,
    /// nesting and the odd syntax error.
    fn text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("NaN".to_string()),
            Just("-Infinity".to_string()),
            Just("Infinity".to_string()),
            Just("-0".to_string()),
            Just("1.0".to_string()),
            Just("18446744073709551615".to_string()),
            Just("-9223372036854775809".to_string()),
            Just("1e400".to_string()),
            Just("\"NaN\"".to_string()),
            Just("\"a\\u0041\"".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|v| format!("{v:e}")),
            (-5i64..5).prop_map(|n| n.to_string()),
        ];
        let key = prop_oneof![
            Just("\"step\"".to_string()),
            Just("\"a\"".to_string()),
            Just("\"b\"".to_string()),
            Just("\"min:c\"".to_string()),
            Just("\"N\\u0061N\"".to_string()),
            Just("\"x\\\"y\"".to_string()),
        ];
        leaf.prop_recursive(3, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                prop::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| {
                    let fields: Vec<String> =
                        kv.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn streaming_parser_matches_the_oracle(json in text(), cut in 0usize..4) {
            // Sometimes cut short: a syntax error.
            let half = json.len() / 2;
            let json = if cut == 0 && json.is_char_boundary(half) { json[..half].to_string() } else { json };
            let new = parse_score(7, &json);
            let old = oracle(7, &json);
            match (&new, &old) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a.len(), b.len());
                    for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                        prop_assert_eq!(ka, kb);
                        prop_assert_eq!(va.to_bits(), vb.to_bits(), "{}", json);
                    }
                }
                _ => prop_assert_eq!(
                    new.map_err(|e| e.to_string()).err(),
                    old.map_err(|e| e.to_string()).err(),
                    "{}", json
                ),
            }
        }

        #[test]
        fn streaming_parser_matches_the_oracle_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let json = String::from_utf8_lossy(&bytes);
            prop_assert_eq!(
                parse_score(1, &json).map_err(|e| e.to_string()),
                oracle(1, &json).map_err(|e| e.to_string())
            );
        }
    }

    #[test]
    fn order_quirks_of_the_map_are_kept() {
        for json in [
            r#"[{"step": 1, "a": NaN, "b": true}]"#,
            r#"[{"b": true, "step": 1, "a": NaN, "c": null}]"#,
            r#"[{"a": NaN, "b": true, "step": 1}]"#,
            r#"{"a": NaN, "b": 1, "a": 2}"#,
            r#"{"a": 1, "b": "x", "a": NaN}"#,
            r#"[{"step": 1, "step": 2, "a": 1}, {"step": 2, "a": 1}]"#,
            r#"[{"step": 1, "a": [NaN, 1]}]"#,
            r#"[{"step": -0, "a": 1}]"#,
            r#"{"a": 1} x"#,
            r#"{"a": NaN, "b": }"#,
        ] {
            assert_eq!(
                parse_score(7, json).map_err(|e| e.to_string()),
                oracle(7, json).map_err(|e| e.to_string()),
                "{json}"
            );
        }
    }
}
