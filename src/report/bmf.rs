//! `--bmf FILE`: Bencher Metric Format, so Bencher (bencher.dev) can track
//! pybench results over time.
//!
//! One Bencher benchmark per `(benchmark, step)` (named `bench_x` when the
//! benchmark has only step 0, else `bench_x@STEP`), one measure per metric
//! (the metric's name, `min:` included), with the current mean as `value`
//! and mean ∓ sd as `lower_value`/`upper_value`.

use serde_json::{Map, Value, json};

use crate::result::BenchResult;
use crate::stats::numeric;

/// The BMF document (benchmarks without scores, i.e. ERROR, are left out).
pub fn render(results: &[BenchResult]) -> String {
    let mut doc = Map::new();
    for result in results {
        let Some(table) = result.current() else {
            continue;
        };
        let only_step_zero = table.slots().iter().all(|s| s.step == 0);
        for (slot, column) in table.slots().iter().zip(table.columns()) {
            let name = if only_step_zero {
                result.name.clone()
            } else {
                format!("{}@{}", result.name, slot.step)
            };
            let mean = numeric::mean(column);
            let sd = numeric::std_ddof1_around(column, mean);
            let entry = doc.entry(name).or_insert_with(|| Value::Object(Map::new()));
            entry.as_object_mut().expect("an object").insert(
                slot.metric.clone(),
                json!({"value": mean, "lower_value": mean - sd, "upper_value": mean + sd}),
            );
        }
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(doc)).expect("finite numbers");
    text.push('\n');
    text
}
