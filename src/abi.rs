//! The benchmark ABI (version 1) and the Rust authoring API.
use std::collections::BTreeMap;

/// A map of metric name to value; `min:` marks lower-is-better metrics.
pub type Metrics = BTreeMap<String, f64>;

/// One step of a curve: `{"step": .., metric: value, ..}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub step: i64,
    pub metrics: Metrics,
}
