//! Helpers shared by the integration tests: the directories tests run in,
//! the `pybench` command, and the benchmarks they run.

mod command;
mod fixture;
mod libs;
mod project;
mod python;
mod running;

pub use command::{Pybench, Run, baseline_bytes, baseline_path};
pub use fixture::{TestDir, TestRepo, copy_dir};
pub use libs::{NOISE_RS, c_example, c_library, faults, synthetic, workspace};
pub use project::{bench_crate, c_benches};
pub use python::{numpy_python, python3};
pub use running::Running;
