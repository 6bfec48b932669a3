//! The pybench engine behind the `pybench` binary. Benchmark crates depend
//! on the `pybench` authoring crate (`src/authoring`) instead.
//!
//! Layers, top to bottom; a module only uses modules below it:
//!
//! ```text
//! main.rs     parse, dispatch, turn an error into one line and an exit code
//! commands    one file per subcommand: check, update, against, shard, seeds,
//!             merge, show, compare, list
//! cli         every clap struct
//! judge       the pipeline the commands share: a benchmark's outcomes →
//!             its verdict → baseline write → exporters → exit code
//! error       the run-level error, its hint and its exit code
//! report      terminal lines and the exporters (JSON, JUnit, GitHub, BMF, SVG)
//! scaleout    shard files, seed plans, joining shards
//! runner      discover, build, load a library, run seeds in worker processes
//! result      the result model: status, slot verdicts, "improved"
//! store       the baselines file, its lock, git, fingerprints, atomic writes
//! stats       per-slot paired t-tests and the sign-flip verdict
//! bisection   the search of `bisect`: next probe, skips, the answer (pure)
//! scores, settings, exit    score tables, settings, exit codes
//! ```

pub mod bisection;
pub mod cli;
pub mod commands;
pub mod error;
pub mod exit;
pub mod judge;
pub mod report;
pub mod result;
pub mod runner;
pub mod scaleout;
pub mod scores;
pub mod settings;
pub mod stats;
pub mod store;
