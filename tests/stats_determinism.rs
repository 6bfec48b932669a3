//! The meta-p is a function of the inputs alone: same inputs, same meta-p,
//! whatever the run or the number of threads.

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::{
    CompareOptions, Comparison, Criterion, Differences, Statistic, compare, permutation_seed,
    sample_patterns, statistics,
};

/// 40 seeds × 200 slots: sampled (2^40 patterns), and large enough that
/// the engine fans out over threads.
fn tables() -> (ScoreTable, ScoreTable) {
    let n = 40;
    let slots: Vec<SlotKey> = (0..200).map(|s| SlotKey::new(s, "min:loss")).collect();
    // A fixed, reproducible filling: splitmix64 noise, no regression.
    let noise = |s: usize, i: usize, stream: u64| {
        let mut z = (s as u64 * 1000 + i as u64) ^ (stream << 40);
        z = z.wrapping_add(0x9e3779b97f4a7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let base: Vec<Vec<f64>> = (0..200)
        .map(|s| (0..n).map(|i| 1.0 + 0.1 * noise(s, i, 1)).collect())
        .collect();
    let cur = base
        .iter()
        .enumerate()
        .map(|(s, col)| {
            col.iter()
                .enumerate()
                .map(|(i, b)| b + 0.05 * noise(s, i, 2))
                .collect()
        })
        .collect();
    (
        ScoreTable::new(slots.clone(), base).unwrap(),
        ScoreTable::new(slots, cur).unwrap(),
    )
}

fn run(threads: usize) -> Comparison {
    let (b, c) = tables();
    let seeds: Vec<u64> = (0..40).map(|i| 1_000_003 * i).collect();
    let opts = CompareOptions {
        alpha: 0.05,
        min_effect: None,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| compare("bench_determinism", &seeds, &b, &c, &opts).unwrap())
}

#[test]
fn same_inputs_same_meta_p() {
    let first = run(2);
    let second = run(2);
    assert!(!first.exact);
    assert_eq!(first.meta_p.to_bits(), second.meta_p.to_bits());
    assert_eq!(first, second);
    // Informative, not a trivial 1/4097 or 1.
    assert!(
        first.meta_p > 0.001 && first.meta_p < 0.999,
        "{}",
        first.meta_p
    );
}

#[test]
fn thread_count_does_not_matter() {
    let one = run(1);
    let two = run(2);
    assert_eq!(one.meta_p.to_bits(), two.meta_p.to_bits());
    assert_eq!(one, two);

    // Every pattern's statistic, bit for bit, not just the tally.
    let (b, c) = tables();
    let diffs = Differences::from_tables(&b, &c).unwrap();
    let criterion = Criterion::new(0.05, 40, Some(0.01));
    let patterns = sample_patterns(40, 4096, permutation_seed("x", &[1, 2]));
    let per_pool = |threads: usize| -> Vec<u64> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| statistics(&diffs, &criterion, Statistic::Severity, &patterns))
            .into_iter()
            .map(f64::to_bits)
            .collect()
    };
    assert_eq!(per_pool(1), per_pool(2));
}

#[test]
fn the_seed_of_the_permutations_is_the_bench_and_its_seeds() {
    let (b, c) = tables();
    let opts = CompareOptions {
        alpha: 0.05,
        min_effect: None,
    };
    let seeds: Vec<u64> = (0..40).collect();
    let a = compare("bench_a", &seeds, &b, &c, &opts).unwrap();
    let a_again = compare("bench_a", &seeds, &b, &c, &opts).unwrap();
    let other = compare("bench_b", &seeds, &b, &c, &opts).unwrap();
    assert_eq!(a.meta_p, a_again.meta_p);
    // A different stream: almost surely a different tally of 4096 draws.
    assert_ne!(a.meta_p, other.meta_p);
}

#[test]
fn stream_is_pinned() {
    // Not a correctness check but a contract: this stream (FNV-1a 64 →
    // ChaCha20 → sign bits) fixes every stored comparison's meta-p, so a
    // change here must be deliberate. The FNV value is the published
    // algorithm applied by hand to "b", 0xFF, 1u64 LE.
    let mut h: u64 = 0xcbf29ce484222325;
    for byte in [b'b', 0xFF, 1, 0, 0, 0, 0, 0, 0, 0] {
        h = (h ^ byte as u64).wrapping_mul(0x100000001b3);
    }
    assert_eq!(permutation_seed("b", &[1]), h);
    // Recorded when the stream was fixed (2026-11-23); any change in the
    // RNG, the bit order or the engine's arithmetic shows up here.
    assert_eq!(run(2).meta_p, 1155.0 / 4097.0);
    let p = sample_patterns(70, 2, 5);
    assert_eq!(p.len(), 2 * 9);
    assert!(p[8] < 64 && p[17] < 64, "seeds 64..70 use 6 bits of word 2");
}
