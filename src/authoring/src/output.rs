//! What a benchmark function may return, and its JSON form: a number, a map
//! of metrics, a curve of [`Record`]s, pre-serialised [`Json`], or a
//! `Result` of one of those.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{Display, Write};

/// A map of metric name to value; a `min:` prefix marks lower-is-better.
pub type Metrics = BTreeMap<String, f64>;

/// One step of a curve: `{"step": .., metric: value, ..}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub step: i64,
    pub metrics: Metrics,
}

impl Record {
    pub fn new(step: i64) -> Self {
        Record {
            step,
            metrics: Metrics::new(),
        }
    }

    /// Add a metric, builder style: `Record::new(10).metric("min:loss", 0.4)`.
    pub fn metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.metrics.insert(name.into(), value);
        self
    }
}

/// What a benchmark function may return: its score as JSON, or an error.
pub trait BenchOutput {
    fn into_score_json(self) -> Result<String, String>;
}

macro_rules! number_output {
    ($($t:ty),*) => {$(
        impl BenchOutput for $t {
            fn into_score_json(self) -> Result<String, String> {
                let mut out = String::new();
                write_number(&mut out, self as f64);
                Ok(out)
            }
        }
    )*};
}
number_output!(f64, f32, i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl<K: AsRef<str>> BenchOutput for BTreeMap<K, f64> {
    fn into_score_json(self) -> Result<String, String> {
        Ok(metrics_json(
            self.iter().map(|(k, v)| (k.as_ref(), *v)),
            None,
        ))
    }
}

impl<K: AsRef<str>, S> BenchOutput for HashMap<K, f64, S> {
    fn into_score_json(self) -> Result<String, String> {
        let sorted: BTreeMap<&str, f64> = self.iter().map(|(k, v)| (k.as_ref(), *v)).collect();
        Ok(metrics_json(sorted.into_iter(), None))
    }
}

impl BenchOutput for Vec<Record> {
    fn into_score_json(self) -> Result<String, String> {
        let records: Vec<String> = self
            .iter()
            .map(|r| {
                metrics_json(
                    r.metrics.iter().map(|(k, v)| (k.as_str(), *v)),
                    Some(r.step),
                )
            })
            .collect();
        Ok(format!("[{}]", records.join(", ")))
    }
}

/// A score already serialised as JSON (for example by `serde_json`),
/// passed to pybench as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Json(pub String);

impl BenchOutput for Json {
    fn into_score_json(self) -> Result<String, String> {
        Ok(self.0)
    }
}

impl<T: BenchOutput, E: Display> BenchOutput for Result<T, E> {
    fn into_score_json(self) -> Result<String, String> {
        self.map_err(|e| e.to_string())?.into_score_json()
    }
}

fn metrics_json<'a>(metrics: impl Iterator<Item = (&'a str, f64)>, step: Option<i64>) -> String {
    let mut out = String::from("{");
    if let Some(step) = step {
        let _ = write!(out, "\"step\": {step}");
    }
    for (name, value) in metrics {
        if out.len() > 1 {
            out.push_str(", ");
        }
        write_string(&mut out, name);
        out.push_str(": ");
        write_number(&mut out, value);
    }
    out.push('}');
    out
}

/// Finite numbers in shortest round-trip form; non-finite ones as the
/// tokens Python's `json` uses, so the host can name them in its error.
fn write_number(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let _ = write!(out, "{value:?}");
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
