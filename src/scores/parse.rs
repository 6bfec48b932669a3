//! One seed's score JSON → its sorted `(step, metric)` slots and values.

use serde_json::Value;

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

const NON_FINITE_MARK: &str = "\u{E000}pybench-non-finite:";

/// How a value reads in an error message: non-finite numbers by name,
/// everything else as (shortened) JSON.
fn describe(value: &Value) -> String {
    if let Value::String(s) = value
        && let Some(token) = s.strip_prefix(NON_FINITE_MARK)
    {
        return token.to_string();
    }
    let mut text = value.to_string();
    if text.len() > 60 {
        let cut = (0..=57)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// Rewrite bare `NaN`, `Infinity` and `-Infinity` tokens (outside strings)
/// as marked strings, so that the JSON parser accepts them and
/// [`describe`] can name them.
fn mark_non_finite(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.contains("NaN") && !json.contains("Infinity") {
        return json.into();
    }
    let mut out = String::with_capacity(json.len() + 32);
    let mut rest = json;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if c == '\\' {
                let escaped: String = rest.chars().take(2).collect();
                out.push_str(&escaped);
                rest = &rest[escaped.len()..];
                continue;
            }
            in_string = c != '"';
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| rest.starts_with(t))
        {
            out.push('"');
            out.push_str(NON_FINITE_MARK);
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.into()
}
