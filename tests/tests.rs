//! pybench's integration tests: one test binary (one link), whose modules
//! are the areas under test. A test that runs pybench is written with
//! `pbtest!` (macros.rs), which gives it a fresh directory or git
//! repository and the `pybench` command that runs there; the helpers are in
//! `util/`. Tests of the library alone are plain `#[test]` functions.
//!
//! The tests run in parallel in one process: none may rely on the process's
//! current directory (no test changes it), and every library a test
//! builds or compiles must live at a path that only ever holds that code
//! (see `Pybench::own_target_dir` and `c_library`).

#[macro_use]
mod macros;
mod util;

mod adaptive;
mod against;
mod bisect;
mod c_example;
mod cargo_pybench;
mod cli_definition;
mod cli_flags;
mod dirty_tree;
mod errors;
mod exporters;
mod family;
mod fault_suite;
mod fingerprint;
mod git_module;
mod hardening;
mod hints;
mod injection;
mod inputs;
mod inputs_more;
mod inputs_scale;
mod layers;
mod library_hash;
mod library_paths;
mod load_faults;
mod messages;
mod missing;
mod new_user;
mod output_details;
mod parsers_prop;
mod python_against;
mod python_bisect;
mod python_discovery;
mod python_faults;
mod python_identity;
mod python_run;
mod reference_baselines;
mod reports;
mod search_scope;
mod shards;
mod stats_determinism;
mod stats_errors;
mod stats_family;
mod stats_golden;
mod stats_permutation;
mod stats_scale;
mod stats_scipy;
mod stats_sequential;
mod stdout_reports;
mod store_inputs;
mod store_safety;
mod store_writes;
mod walkthrough;
mod workspace;
