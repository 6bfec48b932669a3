//! Joining shard files: agreement, coverage and seed order.

use super::*;
use crate::scaleout::SeedRecord;

const SEEDS: [u64; 5] = [50, 10, 40, 20, 30];

/// Shard `k` of `n` of a 5-seed benchmark whose score is `seed / 100`.
pub(crate) fn file(k: usize, n: usize) -> (PathBuf, ShardFile) {
    let shard = Shard { k, n };
    let indices = shard.indices(SEEDS.len());
    let results = indices
        .iter()
        .map(|&index| SeedRecord {
            index,
            seed: SEEDS[index],
            outcome: SeedOutcome {
                code: 0,
                text: Ok(format!("{}", SEEDS[index] as f64 / 100.0)),
            },
        })
        .collect();
    let file = ShardFile {
        format_version: crate::scaleout::file::FORMAT_VERSION,
        pybench_version: "0.1.0".into(),
        bench: "bench_x".into(),
        shard,
        mode: RunMode::Check,
        seeds_from: SeedsFrom::Plan,
        seeds: SEEDS.to_vec(),
        indices,
        settings: StoredSettings {
            n_seeds: SEEDS.len(),
            alpha: crate::settings::Alpha::DEFAULT,
            min_effect: None,
        },
        library: "libx.so".into(),
        library_hash: "sha256:aa".into(),
        environment: Environment::current(
            &Default::default(),
            std::path::Path::new("/nonexistent"),
        ),
        error: None,
        error_index: None,
        results,
        output: format!("shard {k}\n"),
        inputs: None,
        source: Some("bench".into()),
    };
    (PathBuf::from(format!("d{k}/x.json")), file)
}

fn refusal(files: Vec<(PathBuf, ShardFile)>) -> String {
    join("bench_x".into(), files).unwrap_err().to_string()
}

#[test]
fn joins_in_seed_order() {
    let merged = join("bench_x".into(), vec![file(2, 2), file(1, 2)]).unwrap();
    let texts: Vec<&str> = merged
        .outcomes
        .iter()
        .map(|o| o.text.as_deref().unwrap())
        .collect();
    assert_eq!(texts, ["0.5", "0.1", "0.4", "0.2", "0.3"]);
    assert_eq!(merged.output, "shard 1\nshard 2\n");
}

#[test]
fn refuses_gaps_overlaps_and_disagreement() {
    assert_eq!(
        refusal(vec![file(1, 3), file(3, 3)]),
        "cannot merge bench_x: 2 of 5 seeds are missing (no file for shard 2/3): seeds 10, 30"
    );
    assert!(
        refusal(vec![file(1, 2), file(2, 2), file(2, 2)])
            .starts_with("cannot merge bench_x: 2 seeds are duplicated, run by both shard 2/2 of d2/x.json and shard 2/2 of d2/x.json: seeds 10, 20")
    );
    // Shards of two different N overlap.
    assert!(refusal(vec![file(1, 2), file(1, 3), file(2, 3), file(3, 3)]).contains("duplicated"));
    let (path, mut other) = file(2, 2);
    other.library_hash = "sha256:bb".into();
    assert_eq!(
        refusal(vec![file(1, 2), (path.clone(), other)]),
        "cannot merge bench_x: shards come from different library builds: sha256:aa in shard 1/2 of d1/x.json but sha256:bb in shard 2/2 of d2/x.json"
    );
    let (_, mut other) = file(2, 2);
    other.settings.min_effect = Some(0.02);
    assert!(
        refusal(vec![file(1, 2), (path.clone(), other)])
            .ends_with("different settings: min_effect=none in shard 1/2 of d1/x.json but min_effect=0.02 in shard 2/2 of d2/x.json")
    );
    let (_, mut other) = file(2, 2);
    other.mode = RunMode::Update;
    assert!(refusal(vec![file(1, 2), (path.clone(), other)]).contains("different modes"));
    let (_, mut other) = file(2, 2);
    other.seeds[0] = 99;
    assert!(refusal(vec![file(1, 2), (path.clone(), other)]).contains("different seeds"));
    let (_, mut other) = file(2, 2);
    other.results.pop();
    assert!(refusal(vec![file(1, 2), (path, other)]).contains("do not match the seeds"));
}

/// Both shards of a 2-way split timed out, shard 2 on the earlier seed.
pub(crate) fn timed_out_shards() -> Vec<Located> {
    let (p1, mut one) = file(1, 2);
    one.error = Some("timed out after 2 s on seed 40".into());
    one.error_index = Some(2);
    one.results.clear();
    let (p2, mut two) = file(2, 2);
    two.error = Some("timed out after 2 s on seed 10".into());
    two.error_index = Some(1);
    two.results.clear();
    vec![(p1, one), (p2, two)]
}

#[test]
fn reports_the_earliest_seeds_error() {
    let merged = join("bench_x".into(), timed_out_shards()).unwrap();
    assert_eq!(
        merged.error.as_deref(),
        Some("timed out after 2 s on seed 10")
    );
}

#[test]
fn shard_files_round_trip_and_are_found() {
    let dir = tempfile::tempdir().unwrap();
    for k in 1..=2 {
        file(k, 2).1.write(dir.path()).unwrap();
    }
    std::fs::write(dir.path().join("notes.json"), "{}").unwrap();
    let merged = collect(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].outcomes.len(), 5);
    let path = dir.path().join("bench_x.shard-1-of-2.json");
    assert_eq!(ShardFile::read(&path).unwrap(), file(1, 2).1);
    std::fs::write(&path, r#"{"format_version": 9}"#).unwrap();
    assert!(
        ShardFile::read(&path)
            .unwrap_err()
            .to_string()
            .ends_with("format_version 9 (this pybench reads version 1)")
    );
}

#[test]
fn shard_file_names() {
    assert!(is_shard_file("bench_x.shard-2-of-3.json"));
    assert!(is_shard_file("bench_a.b.shard-10-of-12.json"));
    assert!(!is_shard_file("bench_x.shard-2-of-3.json.tmp"));
    assert!(!is_shard_file("bench_x.shard--of-3.json"));
    assert!(!is_shard_file("bench_x.json"));
    assert!(!is_shard_file(".shard.abc.tmp"));
}
