//! One line of the baseline file: a benchmark's [`Baseline`] in the Python
//! pybench's schema (plus the additive `env` and `settings` keys), read and
//! checked by [`Baseline::from_line`] and written by [`Baseline::to_line`].
//! The file around the lines is [`super::baseline_file`].

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use serde::{Deserialize, Serialize};
use serde_json::ser::Formatter;

use super::fingerprint::{Environment, StoredSettings};
use super::inputs::Pins;
use crate::scores::ScoreTable;

/// One benchmark's stored baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    pub bench: String,
    pub timestamp: String,
    pub git_commit: Option<String>,
    pub git_dirty: bool,
    pub seeds: Vec<u64>,
    pub scores: ScoreTable,
    /// Where it was measured (absent in files of the Python tool and of
    /// pybench before fingerprints).
    pub env: Option<Environment>,
    /// The settings it was measured with.
    pub settings: Option<StoredSettings>,
    /// The hash of each input it names (absent when it names none).
    pub inputs: Option<Pins>,
    /// Where its benchmark was found, from the project root: its Cargo
    /// package's directory or its library file. A check searching there
    /// that does not find it reports it MISSING.
    pub source: Option<String>,
}

/// Why one line of the file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("not UTF-8")]
    NotUtf8,
    #[error("`n` is {n} but there are {seeds} seeds")]
    CountMismatch { n: usize, seeds: usize },
    #[error("`scores`: {0}")]
    Scores(#[from] crate::scores::ScoreError),
    #[error("`scores` hold {per_slot} values per slot but there are {n} seeds")]
    ScoresLength { per_slot: usize, n: usize },
    #[error("benchmark `{bench}` already has a baseline on line {first}")]
    Duplicate { bench: String, first: usize },
    // An empty list would otherwise surface as "alpha can never flag".
    #[error("`seeds` is empty: the baseline has no seeds")]
    NoSeeds,
    #[error("seed {seed} appears twice in `seeds`")]
    SeedTwice { seed: u64 },
    #[error("seed {seed} in `seeds` is not below 2^32 (seeds are drawn from [0, 2^32))")]
    SeedTooLarge { seed: u64 },
}

/// The line's schema as the Python tool writes it. Unknown keys are ignored.
#[derive(Deserialize)]
struct LineIn {
    bench: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    git_commit: Option<String>,
    #[serde(default)]
    git_dirty: Option<bool>,
    seeds: Vec<u64>,
    n: usize,
    scores: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
    // A fingerprint this version cannot read is dropped, not an error: it is
    // advisory, and the scores are what matter.
    #[serde(default, deserialize_with = "lenient")]
    env: Option<Environment>,
    #[serde(default, deserialize_with = "lenient")]
    settings: Option<StoredSettings>,
    // Not lenient: a pin that cannot be read must not read as "no inputs".
    #[serde(default)]
    inputs: Option<Pins>,
    #[serde(default, deserialize_with = "lenient")]
    source: Option<String>,
}

fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

#[derive(Serialize)]
struct LineOut<'a> {
    bench: &'a str,
    timestamp: &'a str,
    git_commit: &'a Option<String>,
    git_dirty: bool,
    seeds: &'a [u64],
    n: usize,
    scores: Nested<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    env: &'a Option<Environment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: &'a Option<StoredSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: &'a Option<Pins>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: &'a Option<String>,
}

struct Nested<'a>(&'a ScoreTable);

impl Serialize for Nested<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let nested = self.0.to_nested();
        let mut steps = serializer.serialize_map(Some(nested.len()))?;
        for (step, metrics) in &nested {
            steps.serialize_entry(step, &MetricMap(metrics))?;
        }
        steps.end()
    }
}

struct MetricMap<'a>(&'a [(&'a str, &'a [f64])]);

impl Serialize for MetricMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Python's `json.dumps` separators (`", "` and `": "`), so files written by
/// either tool diff cleanly against each other.
struct PythonStyle;

impl Formatter for PythonStyle {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}

impl Baseline {
    /// Parse one line of the file. `Err` carries the reason only; the store
    /// adds the file and line number.
    pub fn from_line(line: &str) -> Result<Baseline, LineError> {
        let raw: LineIn = serde_json::from_str(line)?;
        check_seeds(&raw.seeds)?;
        if raw.n != raw.seeds.len() {
            return Err(LineError::CountMismatch {
                n: raw.n,
                seeds: raw.seeds.len(),
            });
        }
        let scores = ScoreTable::from_nested(&raw.scores)?;
        if scores.n_seeds() != raw.n {
            return Err(LineError::ScoresLength {
                per_slot: scores.n_seeds(),
                n: raw.n,
            });
        }
        Ok(Baseline {
            bench: raw.bench,
            timestamp: raw.timestamp.unwrap_or_default(),
            git_commit: raw.git_commit,
            git_dirty: raw.git_dirty.unwrap_or(false),
            seeds: raw.seeds,
            scores,
            env: raw.env,
            settings: raw.settings,
            inputs: raw.inputs,
            source: raw.source,
        })
    }

    /// The line for the file, without the newline.
    pub fn to_line(&self) -> String {
        let line = LineOut {
            bench: &self.bench,
            timestamp: &self.timestamp,
            git_commit: &self.git_commit,
            git_dirty: self.git_dirty,
            seeds: &self.seeds,
            n: self.seeds.len(),
            scores: Nested(&self.scores),
            env: &self.env,
            settings: &self.settings,
            inputs: &self.inputs,
            source: &self.source,
        };
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonStyle);
        line.serialize(&mut ser)
            .expect("a baseline of finite floats always serialises");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

/// The seeds pybench draws: at least one, distinct, each below 2^32.
fn check_seeds(seeds: &[u64]) -> Result<(), LineError> {
    if seeds.is_empty() {
        return Err(LineError::NoSeeds);
    }
    if let Some(&seed) = seeds.iter().find(|&&s| s > u64::from(u32::MAX)) {
        return Err(LineError::SeedTooLarge { seed });
    }
    let mut seen = HashSet::with_capacity(seeds.len());
    if let Some(&seed) = seeds.iter().find(|s| !seen.insert(**s)) {
        return Err(LineError::SeedTwice { seed });
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::scores::SlotKey;

    /// A two-seed baseline for `name` whose first score is `v`.
    pub fn baseline(name: &str, v: f64) -> Baseline {
        Baseline {
            bench: name.into(),
            timestamp: "2026-11-23T15:25:48Z".into(),
            git_commit: Some("47fc140".into()),
            git_dirty: false,
            seeds: vec![7, 4294967295],
            scores: ScoreTable::new(
                vec![SlotKey::new(1, "min:loss"), SlotKey::new(30, "min:loss")],
                vec![vec![v, 0.1], vec![1e-7, 2.5]],
            )
            .unwrap(),
            env: None,
            settings: None,
            inputs: None,
            source: None,
        }
    }

    #[test]
    fn line_uses_python_layout_and_round_trips() {
        let b = baseline("bench_a", 1.0 / 3.0);
        let line = b.to_line();
        assert_eq!(
            line,
            r#"{"bench": "bench_a", "timestamp": "2026-11-23T15:25:48Z", "git_commit": "47fc140", "git_dirty": false, "seeds": [7, 4294967295], "n": 2, "scores": {"1": {"min:loss": [0.3333333333333333, 0.1]}, "30": {"min:loss": [1e-7, 2.5]}}}"#
        );
        assert_eq!(Baseline::from_line(&line).unwrap(), b);
    }

    fn with_seeds(seeds: &str) -> String {
        let line = baseline("bench_a", 1.0).to_line();
        line.replace("[7, 4294967295]", seeds)
    }

    #[test]
    fn empty_seeds_say_the_baseline_has_no_seeds() {
        let line = with_seeds("[]").replace("\"n\": 2", "\"n\": 0").replace(
            r#"{"1": {"min:loss": [1.0, 0.1]}, "30": {"min:loss": [1e-7, 2.5]}}"#,
            "{}",
        );
        let err = Baseline::from_line(&line).unwrap_err().to_string();
        assert_eq!(err, "`seeds` is empty: the baseline has no seeds");
    }

    #[test]
    fn duplicate_seed_is_rejected_naming_the_seed() {
        let err = Baseline::from_line(&with_seeds("[7, 7]"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "seed 7 appears twice in `seeds`");
    }

    #[test]
    fn seed_of_2_pow_32_is_rejected_naming_the_seed() {
        let err = Baseline::from_line(&with_seeds("[7, 4294967296]"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "seed 4294967296 in `seeds` is not below 2^32 (seeds are drawn from [0, 2^32))"
        );
    }
}
