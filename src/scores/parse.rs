//! One seed's score JSON → its sorted `(step, metric)` slots and values, in
//! one streaming pass: metric names are borrowed from the text, numbers go
//! straight to `f64`, and only a value reported as bad is ever built as a
//! `serde_json::Value` (to show it in the message).
//!
//! The errors are those of reading the text into serde_json's
//! order-preserving map first: a syntax error anywhere wins over a bad
//! value, a repeated key keeps its first place and takes its last value,
//! and a record's `step` is taken out as `swap_remove` does (the record's
//! last metric takes its place), which decides which bad metric is named.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{MAX_SLOTS, ScoreError, SlotKey};

/// One seed's slots, sorted by step then metric, and their values.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSeed<'a> {
    pub slots: Vec<(i64, Cow<'a, str>)>,
    pub values: Vec<f64>,
}

impl ParsedSeed<'_> {
    fn into_owned(self) -> ParsedSeed<'static> {
        ParsedSeed {
            slots: self
                .slots
                .into_iter()
                .map(|(step, name)| (step, Cow::Owned(name.into_owned())))
                .collect(),
            values: self.values,
        }
    }
}

/// Parse one seed's score JSON into its sorted slots and values.
///
/// `NaN`, `Infinity` and `-Infinity` (as Python's `json.dumps` and many C
/// printf-based writers emit them) are read so that they can be reported as
/// what they are, not as a JSON syntax error.
pub fn parse_score(seed: u64, json: &str) -> Result<Vec<(SlotKey, f64)>, ScoreError> {
    let parsed = parse_seed(seed, json)?;
    Ok(parsed
        .slots
        .into_iter()
        .zip(parsed.values)
        .map(|((step, name), value)| (SlotKey::new(step, name), value))
        .collect())
}

/// [`parse_score`] with the metric names borrowed from `json`.
pub fn parse_seed(seed: u64, json: &str) -> Result<ParsedSeed<'_>, ScoreError> {
    match mark_non_finite(json) {
        Cow::Borrowed(text) => parse_marked(seed, text),
        Cow::Owned(text) => parse_marked(seed, &text).map(ParsedSeed::into_owned),
    }
}

fn parse_marked(seed: u64, text: &str) -> Result<ParsedSeed<'_>, ScoreError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let top = NodeSeed(Level::Top)
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top))
        .map_err(|e| ScoreError::InvalidJson {
            seed,
            reason: e.to_string(),
        })?;
    let parsed = match top {
        Node::Records(records) => parse_records(seed, &records)?,
        Node::Fields(fields) if fields.is_empty() => {
            return Err(ScoreError::Empty {
                seed,
                value: "{}".into(),
            });
        }
        Node::Fields(fields) => {
            let (slots, values) = metrics(seed, None, entries(&fields), None)?;
            ParsedSeed {
                slots: slots.into_iter().map(|name| (0, name)).collect(),
                values,
            }
        }
        Node::Number(n) => ParsedSeed {
            slots: vec![(0, Cow::Borrowed("score"))],
            values: vec![n.as_f64()],
        },
        Node::Other(value) => {
            return Err(ScoreError::BadValue {
                seed,
                place: "the score".into(),
                value: describe(&value),
            });
        }
    };
    if parsed.values.len() > MAX_SLOTS {
        return Err(ScoreError::TooManySlots {
            seed,
            slots: parsed.values.len(),
        });
    }
    Ok(parsed)
}

fn parse_records<'a>(seed: u64, records: &[Node<'a>]) -> Result<ParsedSeed<'a>, ScoreError> {
    if records.is_empty() {
        return Err(ScoreError::Empty {
            seed,
            value: "[]".into(),
        });
    }
    let mut steps_seen = HashSet::new();
    let mut steps = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let Node::Fields(fields) = record else {
            return Err(ScoreError::BadShape {
                seed,
                value: format!("an array holding {}", record.describe()),
            });
        };
        let mut entries = entries(fields);
        let Ok(at) = entries.binary_search_by(|e| e.name.as_ref().cmp("step")) else {
            return Err(ScoreError::MissingStep { seed, index });
        };
        let step_entry = entries.remove(at);
        let step = match step_entry.node {
            Node::Number(n) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
            other => {
                return Err(ScoreError::BadStep {
                    seed,
                    index,
                    value: other.describe(),
                });
            }
        };
        if !steps_seen.insert(step) {
            return Err(ScoreError::DuplicateStep { seed, step });
        }
        if entries.is_empty() {
            return Err(ScoreError::Empty {
                seed,
                value: format!("step {step} has no metrics"),
            });
        }
        let (names, values) = metrics(seed, Some(step), entries, Some(step_entry.place))?;
        steps.push((step, names, values));
    }
    steps.sort_unstable_by_key(|(step, _, _)| *step);
    let mut parsed = ParsedSeed {
        slots: Vec::new(),
        values: Vec::new(),
    };
    for (step, names, values) in steps {
        parsed
            .slots
            .extend(names.into_iter().map(|name| (step, name)));
        parsed.values.extend(values);
    }
    Ok(parsed)
}

/// One key of an object as the order-preserving map holds it.
struct Entry<'n, 'a> {
    name: &'n Cow<'a, str>,
    /// Where the key first appeared: its place in the map.
    place: usize,
    /// Its last value.
    node: &'n Node<'a>,
}

/// `fields` as serde_json's order-preserving map holds them, sorted by name.
fn entries<'n, 'a>(fields: &'n [(Cow<'a, str>, Node<'a>)]) -> Vec<Entry<'n, 'a>> {
    let mut sorted: Vec<Entry<'n, 'a>> = fields
        .iter()
        .enumerate()
        .map(|(place, (name, node))| Entry { name, place, node })
        .collect();
    // Stable: a repeated name's first place comes first.
    sorted.sort_by(|a, b| a.name.cmp(b.name));
    sorted.dedup_by(|later, first| {
        let repeated = later.name == first.name;
        if repeated {
            first.node = later.node;
        }
        repeated
    });
    sorted
}

/// The names (sorted) and values of a map's metrics, or the first bad value
/// in map order. `step_place` is where the removed `step` key was: the
/// map's last metric moved there.
fn metrics<'a>(
    seed: u64,
    step: Option<i64>,
    entries: Vec<Entry<'_, 'a>>,
    step_place: Option<usize>,
) -> Result<(Vec<Cow<'a, str>>, Vec<f64>), ScoreError> {
    let values: Option<Vec<f64>> = entries.iter().map(|e| e.node.finite()).collect();
    if let Some(values) = values {
        return Ok((entries.iter().map(|e| e.name.clone()).collect(), values));
    }
    let last = entries.iter().map(|e| e.place).max().unwrap_or_default();
    let map_place = |e: &Entry| match step_place {
        Some(moved_to) if e.place == last && moved_to < last => moved_to,
        _ => e.place,
    };
    let bad = entries
        .iter()
        .filter(|e| e.node.finite().is_none())
        .min_by_key(|e| map_place(e))
        .ok_or_else(|| ScoreError::Table("no bad value".into()))?;
    let name = bad.name;
    Err(ScoreError::BadValue {
        seed,
        place: match step {
            Some(step) => format!("metric `{name}` at step {step}"),
            None => format!("metric `{name}`"),
        },
        value: bad.node.describe(),
    })
}

/// A JSON number as serde_json reads it.
#[derive(Clone, Copy, Debug)]
enum Number {
    Pos(u64),
    Neg(i64),
    Float(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Pos(n) => n as f64,
            Number::Neg(n) => n as f64,
            Number::Float(n) => n,
        }
    }

    fn as_i64(self) -> Option<i64> {
        match self {
            Number::Pos(n) => i64::try_from(n).ok(),
            Number::Neg(n) => Some(n),
            Number::Float(_) => None,
        }
    }

    fn to_value(self) -> Value {
        match self {
            Number::Pos(n) => Value::from(n),
            Number::Neg(n) => Value::from(n),
            Number::Float(n) => Value::from(n),
        }
    }
}

/// What a score's text holds, read only as deep as the score shapes go.
#[derive(Debug)]
enum Node<'a> {
    Number(Number),
    /// An object at the top or in the records array.
    Fields(Vec<(Cow<'a, str>, Node<'a>)>),
    /// The top-level array of records.
    Records(Vec<Node<'a>>),
    /// Anything else, kept whole to be shown.
    Other(Box<Value>),
}

impl Node<'_> {
    /// The value of a metric, if it is a finite number.
    fn finite(&self) -> Option<f64> {
        match self {
            Node::Number(n) => Some(n.as_f64()).filter(|v| v.is_finite()),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Node::Number(n) => describe(&n.to_value()),
            Node::Other(value) => describe(value),
            // Only the top and the records array read objects and arrays
            // as fields; everywhere else they are `Other`.
            Node::Fields(_) | Node::Records(_) => "a nested value".into(),
        }
    }
}

/// How deep a value is: objects and arrays are only taken apart where a
/// score shape has them.
#[derive(Clone, Copy)]
enum Level {
    Top,
    Record,
    Metric,
}

struct NodeSeed(Level);

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Node<'de>, D::Error> {
        de.deserialize_any(NodeVisitor(self.0))
    }
}

struct NodeVisitor(Level);

fn other<'a>(value: Value) -> Node<'a> {
    Node::Other(Box::new(value))
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(Number::Pos(n)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        // As serde_json's `Number::from(i64)`: non-negative is positive.
        Ok(Node::Number(match u64::try_from(n) {
            Ok(n) => Number::Pos(n),
            Err(_) => Number::Neg(n),
        }))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        Ok(Node::Number(Number::Float(n)))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(other(Value::Bool(b)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(other(Value::String(s.to_owned())))
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        if !matches!(self.0, Level::Top) {
            return Value::deserialize(SeqAccessDeserializer::new(seq)).map(other);
        }
        let mut records = Vec::new();
        while let Some(record) = seq.next_element_seed(NodeSeed(Level::Record))? {
            records.push(record);
        }
        Ok(Node::Records(records))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        if matches!(self.0, Level::Metric) {
            return Value::deserialize(MapAccessDeserializer::new(map)).map(other);
        }
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(name) = map.next_key_seed(NameSeed)? {
            fields.push((name, map.next_value_seed(NodeSeed(Level::Metric))?));
        }
        Ok(Node::Fields(fields))
    }
}

/// An object key, borrowed from the text unless it holds escapes.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Cow<'de, str>, D::Error> {
        de.deserialize_str(NameSeed)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

const NON_FINITE_MARK: &str = "\u{E000}pybench-non-finite:";

/// How a value reads in an error message: non-finite numbers by name,
/// everything else as (shortened) JSON.
pub(super) fn describe(value: &Value) -> String {
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
pub(super) fn mark_non_finite(json: &str) -> Cow<'_, str> {
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
