//! Sign patterns for the permutation test, and the stable seed of their RNG.
//!
//! A pattern is stored as one byte per chunk of 8 seeds: bit `j` of byte `c`
//! set means seed `8c + j` has its row of differences negated. The engine
//! looks each byte up in a table of the chunk's 256 subset sums.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Seeds per chunk: one byte of sign bits.
pub const CHUNK: usize = 8;

pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `bytes`, continuing from `hash` (start from [`FNV_OFFSET`]):
/// a hash that, unlike `DefaultHasher`, never changes between releases.
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// The permutation RNG seed of a benchmark: FNV-1a 64 over its name's UTF-8,
/// a 0xFF separator (never part of UTF-8), then each seed as u64 LE.
///
/// Hand-written rather than `DefaultHasher`, whose output may change between
/// Rust releases: this value fixes the meta-p of a comparison forever.
pub fn permutation_seed(bench: &str, seeds: &[u64]) -> u64 {
    let mut hash = fnv1a(FNV_OFFSET, bench.as_bytes());
    hash = fnv1a(hash, &[0xFF]);
    for seed in seeds {
        hash = fnv1a(hash, &seed.to_le_bytes());
    }
    hash
}

/// Number of chunk bytes in a pattern over `n_seeds` seeds.
pub fn n_chunks(n_seeds: usize) -> usize {
    n_seeds.div_ceil(CHUNK)
}

/// Every one of the `2^n` patterns, pattern `k` flipping seed `i` iff bit
/// `i` of `k` is set (pattern 0 is the observed data). `n_seeds < 64`.
pub fn enumerate(n_seeds: usize) -> Vec<u8> {
    let nc = n_chunks(n_seeds);
    let count = 1u64 << n_seeds;
    let mut out = Vec::with_capacity(count as usize * nc);
    for k in 0..count {
        out.extend_from_slice(&k.to_le_bytes()[..nc]);
    }
    out
}

/// `count` random patterns from ChaCha20 seeded with `seed` (via
/// `SeedableRng::seed_from_u64`, which is specified to be portable).
///
/// Each pattern consumes `⌈n/64⌉` words of `next_u64`; seed `i` is flipped
/// iff bit `i mod 64` of word `⌊i/64⌋` is set. Unused high bits are dropped.
pub fn sample(n_seeds: usize, count: usize, seed: u64) -> Vec<u8> {
    sample_from(n_seeds, 0, count, seed)
}

/// Patterns `start..start + count` of the stream [`sample`] draws from
/// `seed`: `sample(n, start + count, seed)[start·nc..]` without drawing the
/// first `start`. The refinement of a sampled meta-p continues its stream
/// this way, so its first 4096 patterns stay the ones every run has used.
pub fn sample_from(n_seeds: usize, start: usize, count: usize, seed: u64) -> Vec<u8> {
    let nc = n_chunks(n_seeds);
    let words = n_seeds.div_ceil(64);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    // A pattern takes `words` u64s, i.e. 2·words of ChaCha's 32-bit words.
    rng.set_word_pos(start as u128 * words as u128 * 2);
    let mut out = Vec::with_capacity(count * nc);
    let mut bytes = vec![0u8; words * 8];
    for _ in 0..count {
        for w in 0..words {
            bytes[w * 8..w * 8 + 8].copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        if !n_seeds.is_multiple_of(CHUNK) {
            bytes[nc - 1] &= (1u8 << (n_seeds % CHUNK)) - 1;
        }
        out.extend_from_slice(&bytes[..nc]);
    }
    out
}

/// Whether seed `i` is flipped in a pattern's chunk bytes.
pub fn flipped(pattern: &[u8], i: usize) -> bool {
    pattern[i / CHUNK] >> (i % CHUNK) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_known_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn seed_depends_on_name_and_seeds() {
        let a = permutation_seed("bench_a", &[1, 2, 3]);
        assert_ne!(a, permutation_seed("bench_b", &[1, 2, 3]));
        assert_ne!(a, permutation_seed("bench_a", &[1, 3, 2]));
        assert_eq!(a, permutation_seed("bench_a", &[1, 2, 3]));
    }

    #[test]
    fn sampled_patterns_keep_only_real_seeds() {
        let p = sample(13, 100, 7);
        assert_eq!(p.len(), 200);
        assert!(p.chunks(2).all(|c| c[1] < 32));
        assert!(p.chunks(2).any(|c| c[1] >= 16));
    }

    #[test]
    fn sample_is_the_plain_chacha_stream() {
        // Seeking to word 0 must not change the stream pybench has always
        // drawn: one next_u64 per pattern of 64 seeds, little-endian bytes.
        let mut rng = ChaCha20Rng::seed_from_u64(99);
        let plain: Vec<u8> = (0..50).flat_map(|_| rng.next_u64().to_le_bytes()).collect();
        assert_eq!(sample(64, 50, 99), plain);
    }

    #[test]
    fn sample_from_continues_the_stream() {
        for n in [13, 64, 65, 130] {
            let nc = n_chunks(n);
            let all = sample(n, 300, 42);
            assert_eq!(sample_from(n, 0, 300, 42), all, "n={n}");
            assert_eq!(sample_from(n, 117, 183, 42), &all[117 * nc..], "n={n}");
        }
    }

    #[test]
    fn enumeration_is_binary_counting() {
        let p = enumerate(9);
        assert_eq!(p.len(), 512 * 2);
        assert_eq!(&p[2 * 300..2 * 301], &[300u16 as u8, 1]);
        assert!(flipped(&p[2 * 300..], 8) && !flipped(&p[2 * 300..], 0));
    }
}
