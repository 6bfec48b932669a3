//! Normalising a benchmark's results into `(step, metric)` slots.
//!
//! A seed's score is JSON in one of three shapes: a number (step 0, metric
//! `score`), an object of metrics (step 0), or an array of records each with
//! an integer `step`. Every seed of a run must produce the same slots.

mod parse;
#[cfg(test)]
mod parse_oracle;
mod slots;

use std::collections::BTreeMap;
use std::fmt;

pub use parse::{ParsedSeed, parse_score, parse_seed};
pub use slots::{SeedScores, SlotSets};

/// One cell of a result: a metric at a step. Ordered by step, then metric.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct SlotKey {
    pub step: i64,
    pub metric: String,
}

impl SlotKey {
    pub fn new(step: i64, metric: impl Into<String>) -> Self {
        SlotKey {
            step,
            metric: metric.into(),
        }
    }

    /// `min:` metrics are lower-is-better and negated into goodness.
    pub fn lower_is_better(&self) -> bool {
        self.metric.starts_with("min:")
    }

    /// Goodness of a raw value: higher is always better.
    pub fn goodness(&self, value: f64) -> f64 {
        if self.lower_is_better() {
            -value
        } else {
            value
        }
    }
}

impl fmt::Display for SlotKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.metric, self.step)
    }
}

/// Scores of one benchmark: sorted slots, and for each slot one value per
/// seed in seed order.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreTable {
    slots: Vec<SlotKey>,
    values: Vec<Vec<f64>>,
}

/// One step's metrics with their per-seed values, in metric order.
pub type StepMetrics<'a> = Vec<(&'a str, &'a [f64])>;

/// Why a result or a table is not usable. Each names the seed and the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ScoreError {
    #[error("seed {seed}: result is not valid JSON ({reason})")]
    InvalidJson { seed: u64, reason: String },
    #[error("seed {seed}: {place} is {value}, expected a finite number")]
    BadValue {
        seed: u64,
        place: String,
        value: String,
    },
    #[error(
        "seed {seed}: result is {value}, expected a number, an object of metrics or an array of step records"
    )]
    BadShape { seed: u64, value: String },
    #[error("seed {seed}: empty result ({value})")]
    Empty { seed: u64, value: String },
    #[error("seed {seed}: record #{index} has no `step`")]
    MissingStep { seed: u64, index: usize },
    #[error("seed {seed}: record #{index} has step {value}, expected an integer")]
    BadStep {
        seed: u64,
        index: usize,
        value: String,
    },
    #[error("seed {seed}: step {step} appears more than once")]
    DuplicateStep { seed: u64, step: i64 },
    #[error("seed {seed}: slots differ from seed {first_seed}'s: {detail}")]
    SlotsDiffer {
        seed: u64,
        first_seed: u64,
        detail: String,
    },
    #[error("seed {seed}: result has {slots} slots, over the limit of {max}", max = MAX_SLOTS)]
    TooManySlots { seed: u64, slots: usize },
    #[error("{0}")]
    Table(String),
}

/// The most slots one benchmark may report; more is refused with an error
/// rather than risking memory on a runaway result.
pub const MAX_SLOTS: usize = 100_000;

impl ScoreTable {
    /// A table from sorted, distinct slots and `values[slot][seed]`.
    pub fn new(slots: Vec<SlotKey>, values: Vec<Vec<f64>>) -> Result<Self, ScoreError> {
        if slots.is_empty() {
            return Err(ScoreError::Table("no slots".into()));
        }
        if slots.len() != values.len() {
            return Err(ScoreError::Table(format!(
                "{} slots but {} value columns",
                slots.len(),
                values.len()
            )));
        }
        if slots.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ScoreError::Table(
                "slots are not sorted and distinct".into(),
            ));
        }
        let n = values[0].len();
        if let Some((slot, column)) = slots.iter().zip(&values).find(|(_, c)| c.len() != n) {
            return Err(ScoreError::Table(format!(
                "slot {slot} has {} values, expected {n}",
                column.len()
            )));
        }
        if let Some((slot, v)) = slots
            .iter()
            .zip(&values)
            .find_map(|(s, c)| c.iter().find(|v| !v.is_finite()).map(|v| (s, v)))
        {
            return Err(ScoreError::Table(format!("slot {slot} holds {v}")));
        }
        Ok(ScoreTable { slots, values })
    }

    /// Build a table from each seed's score JSON, in seed order.
    pub fn from_results<'a>(
        results: impl IntoIterator<Item = (u64, &'a str)>,
    ) -> Result<Self, ScoreError> {
        let sets = SlotSets::default();
        let parsed: Vec<(u64, Result<SeedScores, ScoreError>)> = results
            .into_iter()
            .map(|(seed, json)| (seed, sets.parse(seed, json).map(|(_, s)| s)))
            .collect();
        ScoreTable::from_seeds(parsed.iter().map(|(seed, r)| (*seed, r.as_ref())))
    }

    /// Read the baseline file's `{step: {metric: [per seed]}}` form.
    pub fn from_nested(
        nested: &BTreeMap<String, BTreeMap<String, Vec<f64>>>,
    ) -> Result<Self, ScoreError> {
        let mut cells = Vec::new();
        for (step, metrics) in nested {
            let step_num: i64 = step
                .trim()
                .parse()
                .map_err(|_| ScoreError::Table(format!("step {step:?} is not an integer")))?;
            for (metric, column) in metrics {
                cells.push((SlotKey::new(step_num, metric.clone()), column.clone()));
            }
        }
        cells.sort_by(|a, b| a.0.cmp(&b.0));
        let (slots, values) = cells.into_iter().unzip();
        ScoreTable::new(slots, values)
    }

    /// The baseline file's form: steps (as strings) in numeric order, each
    /// with its metrics in name order.
    pub fn to_nested(&self) -> Vec<(String, StepMetrics<'_>)> {
        let mut out: Vec<(String, StepMetrics<'_>)> = Vec::new();
        for (slot, column) in self.slots.iter().zip(&self.values) {
            let step = slot.step.to_string();
            match out.last_mut() {
                Some((last, metrics)) if *last == step => metrics.push((&slot.metric, column)),
                _ => out.push((step, vec![(&slot.metric, column.as_slice())])),
            }
        }
        out
    }

    /// The first `n` seeds' values of every slot (all of them when `n` is
    /// larger than the table).
    pub fn prefix(&self, n: usize) -> ScoreTable {
        ScoreTable {
            slots: self.slots.clone(),
            values: self
                .values
                .iter()
                .map(|column| column[..n.min(column.len())].to_vec())
                .collect(),
        }
    }

    pub fn slots(&self) -> &[SlotKey] {
        &self.slots
    }

    /// The values of slot `index`, one per seed.
    pub fn column(&self, index: usize) -> &[f64] {
        &self.values[index]
    }

    pub fn columns(&self) -> &[Vec<f64>] {
        &self.values
    }

    pub fn n_seeds(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Distinct metric names and distinct steps, for "M metrics × S steps".
    pub fn shape(&self) -> (usize, usize) {
        let metrics: std::collections::BTreeSet<_> = self.slots.iter().map(|s| &s.metric).collect();
        let steps: std::collections::BTreeSet<_> = self.slots.iter().map(|s| s.step).collect();
        (metrics.len(), steps.len())
    }

    /// Describe how `other`'s slots differ from these, or `None` if equal.
    pub fn slot_difference(&self, other: &ScoreTable) -> Option<String> {
        slot_difference(&self.slots, other.slots.iter())
    }
}

fn slot_difference<'a>(
    expected: &[SlotKey],
    actual: impl Iterator<Item = &'a SlotKey>,
) -> Option<String> {
    let actual: Vec<&SlotKey> = actual.collect();
    if actual.len() == expected.len() && actual.iter().zip(expected).all(|(a, e)| *a == e) {
        return None;
    }
    let expected_set: std::collections::BTreeSet<&SlotKey> = expected.iter().collect();
    let actual_set: std::collections::BTreeSet<&SlotKey> = actual.iter().copied().collect();
    let missing: Vec<String> = expected_set
        .difference(&actual_set)
        .take(3)
        .map(|s| s.to_string())
        .collect();
    let extra: Vec<String> = actual_set
        .difference(&expected_set)
        .take(3)
        .map(|s| s.to_string())
        .collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("unexpected {}", extra.join(", ")));
    }
    Some(parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> String {
        parse_score(7, json).unwrap_err().to_string()
    }

    #[test]
    fn three_shapes() {
        assert_eq!(
            parse_score(1, "0.5").unwrap(),
            vec![(SlotKey::new(0, "score"), 0.5)]
        );
        let cells = parse_score(1, r#"{"min:loss": 2, "acc": 0.9}"#).unwrap();
        assert_eq!(
            cells,
            vec![
                (SlotKey::new(0, "acc"), 0.9),
                (SlotKey::new(0, "min:loss"), 2.0)
            ]
        );
        let cells = parse_score(1, r#"[{"step": 10, "a": 1}, {"step": 2, "a": 3}]"#).unwrap();
        assert_eq!(
            cells,
            vec![(SlotKey::new(2, "a"), 3.0), (SlotKey::new(10, "a"), 1.0)]
        );
    }

    #[test]
    fn bad_values_name_seed_and_value() {
        assert_eq!(
            err("NaN"),
            "seed 7: the score is NaN, expected a finite number"
        );
        assert_eq!(
            err(r#"{"a": -Infinity}"#),
            "seed 7: metric `a` is -Infinity, expected a finite number"
        );
        assert_eq!(
            err("true"),
            "seed 7: the score is true, expected a finite number"
        );
        assert_eq!(
            err(r#"{"a": "x"}"#),
            "seed 7: metric `a` is \"x\", expected a finite number"
        );
        assert_eq!(
            err("null"),
            "seed 7: the score is null, expected a finite number"
        );
        assert_eq!(err("[]"), "seed 7: empty result ([])");
        assert_eq!(err("{}"), "seed 7: empty result ({})");
        assert_eq!(err(r#"[{"a": 1}]"#), "seed 7: record #0 has no `step`");
        assert_eq!(
            err(r#"[{"step": 1.5, "a": 1}]"#),
            "seed 7: record #0 has step 1.5, expected an integer"
        );
        assert_eq!(
            err(r#"[{"step": true, "a": 1}]"#),
            "seed 7: record #0 has step true, expected an integer"
        );
        assert_eq!(
            err(r#"[{"step": 1, "a": 1}, {"step": 1, "a": 2}]"#),
            "seed 7: step 1 appears more than once"
        );
        assert_eq!(
            err(r#"[{"step": 3, "a": NaN}]"#),
            "seed 7: metric `a` at step 3 is NaN, expected a finite number"
        );
        assert!(err("{").starts_with("seed 7: result is not valid JSON"));
    }

    #[test]
    fn nan_inside_strings_is_left_alone() {
        let cells = parse_score(1, r#"{"NaN \"Infinity\"": 1}"#).unwrap();
        assert_eq!(cells[0].0.metric, "NaN \"Infinity\"");
    }

    #[test]
    fn seeds_must_share_slots() {
        let e = ScoreTable::from_results([(1, r#"{"a": 1}"#), (2, r#"{"b": 1}"#)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "seed 2: slots differ from seed 1's: missing a@0; unexpected b@0"
        );
        let t = ScoreTable::from_results([
            (1, "[{\"step\":1,\"a\":1}]"),
            (2, "[{\"step\":1,\"a\":2}]"),
        ])
        .unwrap();
        assert_eq!(t.column(0), &[1.0, 2.0]);
        assert_eq!(t.n_seeds(), 2);
    }

    #[test]
    fn nested_round_trip_orders_steps_numerically() {
        let t = ScoreTable::from_results([(
            1,
            r#"[{"step": 100, "min:loss": 1}, {"step": 30, "min:loss": 2}, {"step": 1, "min:loss": 3}]"#,
        )])
        .unwrap();
        let nested = t.to_nested();
        let steps: Vec<&str> = nested.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(steps, ["1", "30", "100"]);
        let owned: BTreeMap<String, BTreeMap<String, Vec<f64>>> = nested
            .iter()
            .map(|(s, m)| {
                (
                    s.clone(),
                    m.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect(),
                )
            })
            .collect();
        assert_eq!(ScoreTable::from_nested(&owned).unwrap(), t);
    }
}
