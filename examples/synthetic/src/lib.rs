//! The synthetic benchmark of pybench's walkthrough: one noisy loss curve per
//! seed, reported at checkpoints 1, 30 and 100.
//!
//! `PYBENCH_SYNTHETIC_REGRESS=global` adds 0.05 to every checkpoint, `=local`
//! adds 0.20 to step 100 only; `PYBENCH_SYNTHETIC_RESAMPLE=1` maps each seed
//! to a different one, so every score moves but nothing regresses.
//! `PYBENCH_SYNTHETIC_IMPROVE=1` subtracts 0.05 everywhere (an improvement).

pub mod curve;
#[cfg(feature = "montecarlo")]
pub mod study;

use curve::{Curve, remap_seed};
use pybench::Record;

/// The checkpoints the benchmark reports.
pub const CHECKPOINTS: [i64; 3] = [1, 30, 100];

pybench::bench! {
    #[settings(n_seeds = 30)]
    /// `min:loss` of one sampled curve at each checkpoint.
    pub fn bench_synthetic(seed: u64) -> Result<Vec<Record>, String> {
        let seed = match std::env::var("PYBENCH_SYNTHETIC_RESAMPLE").as_deref() {
            Ok("1") => remap_seed(seed),
            _ => seed,
        };
        let regression = match std::env::var("PYBENCH_SYNTHETIC_REGRESS").as_deref() {
            Err(_) | Ok("") | Ok("none") => Regression::None,
            Ok("global") => Regression::Global,
            Ok("local") => Regression::Local,
            Ok(other) => {
                return Err(format!(
                    "PYBENCH_SYNTHETIC_REGRESS={other:?}: expected `global` or `local`"
                ));
            }
        };
        let improvement = match std::env::var("PYBENCH_SYNTHETIC_IMPROVE").as_deref() {
            Ok("1") => 0.05,
            _ => 0.0,
        };
        let losses = Curve::default().sample(seed, &CHECKPOINTS, 0.0);
        Ok(CHECKPOINTS
            .iter()
            .zip(losses)
            .map(|(&step, loss)| Record::new(step).metric("min:loss", loss + regression.shift(step) - improvement))
            .collect())
    }
}

#[derive(Clone, Copy)]
enum Regression {
    None,
    Global,
    Local,
}

impl Regression {
    fn shift(self, step: i64) -> f64 {
        match self {
            Regression::None => 0.0,
            Regression::Global => 0.05,
            Regression::Local if step == 100 => 0.20,
            Regression::Local => 0.0,
        }
    }
}
