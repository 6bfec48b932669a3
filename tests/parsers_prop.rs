//! Property tests of the two parsers that read untrusted input: a
//! benchmark's score JSON and a baseline file. Arbitrary bytes and arbitrary
//! JSON never panic; valid inputs round-trip.

use std::path::Path;

use proptest::prelude::*;
use pybench::{BenchOutput, Record};
use pybench_cli::scores::{ScoreTable, SlotKey, parse_score};
use pybench_cli::store::{Baseline, Store};
use serde_json::Value;

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z:]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("(step|[a-z:]{1,6})", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e6..1e6f64,
        any::<f64>().prop_filter("finite", |v| v.is_finite())
    ]
}

/// Distinct steps, each with 1..4 metrics of finite values.
fn records() -> impl Strategy<Value = Vec<Record>> {
    prop::collection::btree_map(
        -1000i64..100_000,
        prop::collection::btree_map("(min:)?[a-z]{1,5}", finite(), 1..4),
        1..6,
    )
    .prop_map(|steps| {
        steps
            .into_iter()
            .map(|(step, metrics)| Record {
                step,
                metrics: metrics.into_iter().collect(),
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn score_parser_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_score(1, &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn score_parser_never_panics_on_json(value in arbitrary_json()) {
        let _ = parse_score(1, &value.to_string());
    }

    #[test]
    fn step_records_round_trip_through_the_abi_writer(records in records()) {
        let json = records.clone().into_score_json().unwrap();
        let cells = parse_score(9, &json).unwrap();
        let mut expected: Vec<(SlotKey, f64)> = records
            .iter()
            .flat_map(|r| r.metrics.iter().map(move |(m, v)| (SlotKey::new(r.step, m.clone()), *v)))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        prop_assert_eq!(cells, expected);
    }

    #[test]
    fn store_parser_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Store::parse(Path::new("b.jsonl"), &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn store_parser_never_panics_on_json_lines(values in prop::collection::vec(arbitrary_json(), 0..4)) {
        let text: String = values.iter().map(|v| format!("{v}\n")).collect();
        let _ = Store::parse(Path::new("b.jsonl"), &text);
    }

    #[test]
    fn baselines_round_trip(
        records in records(),
        n_seeds in 2usize..6,
        seeds in prop::collection::vec(0u64..(1 << 32), 6),
        dirty in any::<bool>(),
    ) {
        let json = records.into_score_json().unwrap();
        let results: Vec<(u64, &str)> = seeds[..n_seeds].iter().map(|&s| (s, json.as_str())).collect();
        let scores = ScoreTable::from_results(results).unwrap();
        let baseline = Baseline {
            bench: "bench_prop".into(),
            timestamp: "2026-11-23T00:00:00Z".into(),
            git_commit: Some("abcdef0".into()),
            git_dirty: dirty,
            seeds: seeds[..n_seeds].to_vec(),
            scores,
            env: None,
            settings: None,
            inputs: None,
            source: dirty.then(|| "bench/sub dir".to_string()),
        };
        let line = baseline.to_line();
        prop_assert_eq!(Baseline::from_line(&line).unwrap(), baseline.clone());
        let store = Store::parse(Path::new("b.jsonl"), &format!("{line}\n")).unwrap();
        prop_assert_eq!(store.get("bench_prop"), Some(&baseline));
    }
}
