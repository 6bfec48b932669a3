//! The baseline store: `.pybench/baselines.jsonl`.
//!
//! One JSON object per line, one line per benchmark, sorted by name, in the
//! Python pybench's schema. A write replaces only the lines of the
//! benchmarks it was given and keeps every other line byte for byte; it goes
//! through a temporary file in the same directory and a rename, so a reader
//! never sees half a file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::ser::Formatter;

use super::atomic;
use super::fingerprint::{Environment, StoredSettings};
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
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read baseline file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("malformed baseline at {path}:{line}: {reason}")]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: LineError,
    },
    #[error("cannot write baseline file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another pybench run is using {path}")]
    Locked { path: PathBuf },
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
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
        };
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonStyle);
        line.serialize(&mut ser)
            .expect("a baseline of finite floats always serialises");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

/// The parsed file, keeping each line's exact text for rewriting.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    lines: BTreeMap<String, (String, Baseline)>,
}

impl Store {
    /// Read the store; a missing file is an empty store.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| StoreError::Malformed {
                path: path.to_path_buf(),
                line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count(),
                reason: LineError::NotUtf8,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(StoreError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Self::parse(path, &text)
    }

    /// Parse a store's text, naming `path` in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Store, StoreError> {
        let mut lines = BTreeMap::new();
        let mut first_line_of: BTreeMap<String, usize> = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let malformed = |reason: LineError| StoreError::Malformed {
                path: path.to_path_buf(),
                line: index + 1,
                reason,
            };
            if line.trim().is_empty() {
                continue;
            }
            let baseline = Baseline::from_line(line).map_err(malformed)?;
            if let Some(first) = first_line_of.insert(baseline.bench.clone(), index + 1) {
                return Err(malformed(LineError::Duplicate {
                    bench: baseline.bench,
                    first,
                }));
            }
            lines.insert(baseline.bench.clone(), (line.to_string(), baseline));
        }
        Ok(Store {
            path: path.to_path_buf(),
            lines,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, bench: &str) -> Option<&Baseline> {
        self.lines.get(bench).map(|(_, b)| b)
    }

    /// Every baseline, sorted by benchmark name.
    pub fn baselines(&self) -> impl Iterator<Item = &Baseline> {
        self.lines.values().map(|(_, b)| b)
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Replace or add `updates` and atomically rewrite the file; the other
    /// lines are kept byte for byte.
    pub fn write(&mut self, updates: Vec<Baseline>) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        for baseline in updates {
            let line = baseline.to_line();
            self.lines.insert(baseline.bench.clone(), (line, baseline));
        }
        let mut text = String::new();
        for (line, _) in self.lines.values() {
            text.push_str(line);
            text.push('\n');
        }
        atomic::write(&self.path, "baselines", text.as_bytes()).map_err(|source| {
            StoreError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scores::SlotKey;

    fn baseline(name: &str, v: f64) -> Baseline {
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

    #[test]
    fn malformed_lines_name_file_and_line() {
        let good = baseline("bench_a", 1.0).to_line();
        let text = format!(
            "{good}\n\n{{\"bench\": \"bench_b\", \"seeds\": [1], \"n\": 2, \"scores\": {{}}}}\n"
        );
        let err = Store::parse(Path::new("b.jsonl"), &text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "malformed baseline at b.jsonl:3: `n` is 2 but there are 1 seeds"
        );
        let err = Store::parse(Path::new("b.jsonl"), "{\"bench\": ")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("malformed baseline at b.jsonl:1: EOF"),
            "{err}"
        );
        let twice = format!("{good}\n{good}\n");
        let err = Store::parse(Path::new("b.jsonl"), &twice)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("benchmark `bench_a` already has a baseline on line 1"),
            "{err}"
        );
    }

    #[test]
    fn write_keeps_other_lines_byte_for_byte_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pybench/baselines.jsonl");
        // A hand-spaced line for bench_z must survive untouched.
        let z = baseline("bench_z", 2.0).to_line().replace(", ", ",  ");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("{z}\n")).unwrap();
        let mut store = Store::open(&path).unwrap();
        store.write(vec![baseline("bench_a", 1.0)]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [baseline("bench_a", 1.0).to_line().as_str(), z.as_str()]
        );
        assert_eq!(
            Store::open(&path).unwrap().get("bench_z").unwrap(),
            &baseline("bench_z", 2.0)
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn reads_the_python_tools_files() {
        for name in ["baselines.reference.jsonl", "baselines.reference-2.jsonl"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name);
            let store = Store::open(&path).unwrap();
            let b = store.get("bench_synthetic").unwrap();
            assert_eq!(b.seeds.len(), 30);
            assert_eq!(b.scores.slots().len(), 3);
            assert_eq!(b.scores.slots()[2], SlotKey::new(100, "min:loss"));
        }
    }
}
