//! Write benchmarks for pybench: [`bench!`], [`Record`], [`Metrics`].
//!
//! This crate is all a benchmark crate needs, and it has no dependencies.
//! The `pybench` command-line tool (package `pybench-cli`) discovers the
//! functions it exports, runs them over many seeds in worker processes, and
//! judges the scores against a stored baseline.
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! pybench = "0.1"
//! ```
//!
//! C, C++ and Zig authors include `include/pybench.h` instead.

pub mod abi;
mod output;

pub use abi::ABI_VERSION;
pub use output::{BenchOutput, Json, Metrics, Record};

/// Declare a benchmark: an ordinary Rust function `fn bench_NAME(seed: u64) -> T`,
/// where `T` is a number, a map of metrics, a `Vec<Record>`, or a `Result`
/// of one of those. Settings sit next to it:
///
/// ```
/// pybench::bench! {
///     /// Doc comments and other attributes may come before or after settings.
///     #[settings(n_seeds = 50, alpha = 0.01, min_effect = 0.02)]
///     fn bench_training(seed: u64) -> f64 {
///         (seed % 7) as f64
///     }
/// }
/// # assert_eq!(bench_training(8), 1.0);
/// ```
///
/// The macro exports `bench_NAME` and its companion `pybench_meta_bench_NAME`
/// (a `macro_rules!` macro cannot strip the `bench_` prefix; pybench accepts
/// both companion spellings). Settings are literals or, for `looks` and
/// `inputs`, a bracketed list: `#[settings(adaptive = true, looks = [10, 20, 30])]`,
/// `#[settings(inputs = ["data/train.csv", "data/corpus", "data/*.parquet"])]`
/// (the data it reads, relative to the project root: pybench pins each
/// input's hash in the baseline and refuses to judge changed data).
///
/// pybench finds benchmarks by their `bench_` prefix, so a function named
/// otherwise is a compile error rather than a benchmark that is never run:
///
/// ```compile_fail
/// pybench::bench! {
///     fn training(seed: u64) -> f64 { seed as f64 }
/// }
/// ```
#[macro_export]
macro_rules! bench {
    // Sort the attributes: `#[settings(...)]` (wherever it stands among
    // doc comments and other attributes) apart from the rest.
    (@sort [$($settings:tt)*] [$($attrs:tt)*] #[settings($($s:tt)*)] $($rest:tt)*) => {
        $crate::bench! { @sort [$($settings)* $($s)*] [$($attrs)*] $($rest)* }
    };
    (@sort [$($settings:tt)*] [$($attrs:tt)*] #[$attr:meta] $($rest:tt)*) => {
        $crate::bench! { @sort [$($settings)*] [$($attrs)* #[$attr]] $($rest)* }
    };
    (
        @sort [$($key:ident = $value:tt),* $(,)?] [$($attrs:tt)*]
        $vis:vis fn $name:ident($seed:ident: u64) -> $ret:ty $body:block
    ) => {
        $($attrs)*
        $vis fn $name($seed: u64) -> $ret $body

        const _: () = {
            if !$crate::has_bench_prefix(stringify!($name)) {
                panic!(concat!(
                    "pybench::bench!: `", stringify!($name), "` must be named `bench_",
                    stringify!($name), "`: pybench runs only functions whose name starts with `bench_`"
                ));
            }

            #[unsafe(export_name = stringify!($name))]
            unsafe extern "C" fn pybench_bench(
                seed: u64,
                ctx: *mut $crate::__private::c_void,
                emit: $crate::abi::EmitFn,
            ) -> i32 {
                // SAFETY: called by the pybench host with its own ctx and emit.
                unsafe { $crate::abi::run_bench(seed, ctx, emit, $name) }
            }

            #[unsafe(export_name = concat!("pybench_meta_", stringify!($name)))]
            extern "C" fn pybench_meta() -> *const $crate::__private::c_char {
                concat!(
                    "{\"abi\":1",
                    $(",\"", stringify!($key), "\":", stringify!($value),)*
                    "}\0"
                )
                .as_ptr()
                .cast()
            }
        };
    };
    (@sort [$($settings:tt)*] [$($attrs:tt)*] $($rest:tt)*) => {
        compile_error!(concat!(
            "pybench::bench! expects `#[settings(key = literal, ...)]` (optional, before or after ",
            "doc comments) and one `fn bench_NAME(seed: u64) -> T { ... }`; found settings `",
            stringify!($($settings)*), "` and `", stringify!($($rest)*), "`"
        ));
    };
    ($($tokens:tt)*) => {
        $crate::bench! { @sort [] [] $($tokens)* }
    };
}

/// What [`bench!`] expands to names, reached through this crate so that a
/// benchmark crate's own dependency called `core` cannot shadow it.
#[doc(hidden)]
pub mod __private {
    pub use core::ffi::{c_char, c_void};
}

/// Whether `name` starts with `bench_` (for [`bench!`], at compile time).
#[doc(hidden)]
pub const fn has_bench_prefix(name: &str) -> bool {
    let (name, prefix) = (name.as_bytes(), b"bench_");
    if name.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if name[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::run_bench;
    use std::collections::HashMap;
    use std::ffi::CStr;
    use std::ffi::c_void;

    unsafe extern "C" fn collect(ctx: *mut c_void, utf8: *const u8, len: usize) {
        // SAFETY: `ctx` is the `Vec<u8>` that `call` passes, alive for the call.
        let out = unsafe { &mut *(ctx as *mut Vec<u8>) };
        // SAFETY: the ABI promises `len` readable bytes at `utf8`.
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(utf8, len) });
    }

    fn call<T: BenchOutput>(bench: fn(u64) -> T, seed: u64) -> (i32, String) {
        let mut out = Vec::new();
        // SAFETY: `collect` and its context are valid for the whole call.
        let code = unsafe { run_bench(seed, (&mut out as *mut Vec<u8>).cast(), collect, bench) };
        (code, String::from_utf8(out).unwrap())
    }

    crate::bench! {
        #[settings(n_seeds = 12, alpha = 0.01)]
        fn bench_curve(seed: u64) -> Vec<Record> {
            vec![Record::new(1).metric("min:loss", seed as f64 / 2.0), Record::new(5).metric("acc", 0.5)]
        }
    }

    crate::bench! {
        #[settings(adaptive = true, looks = [4, 8, 12])]
        fn bench_looks(seed: u64) -> f64 {
            seed as f64
        }
    }

    crate::bench! {
        /// Reads its data (not here: the test only reads the companion).
        #[settings(n_seeds = 8, inputs = ["data/train.csv", "data/*.parquet"])]
        fn bench_inputs(seed: u64) -> f64 {
            seed as f64
        }
    }

    crate::bench! {
        fn bench_fails(seed: u64) -> Result<f64, String> {
            if seed == 3 { Err("seed 3 is cursed".into()) } else { Ok(f64::NAN) }
        }
    }

    crate::bench! {
        fn bench_panics(seed: u64) -> f64 {
            panic!("boom on {seed}")
        }
    }

    #[test]
    fn outputs_are_json() {
        assert_eq!(
            call(bench_curve, 3),
            (
                0,
                r#"[{"step": 1, "min:loss": 1.5}, {"step": 5, "acc": 0.5}]"#.into()
            )
        );
        assert_eq!(call(bench_fails, 3), (1, "seed 3 is cursed".into()));
        assert_eq!(call(bench_fails, 4), (0, "NaN".into()));
        let metrics: HashMap<&str, f64> = [("b\"q", 1e-300), ("a", 2.0)].into_iter().collect();
        assert_eq!(
            metrics.into_score_json().unwrap(),
            r#"{"a": 2.0, "b\"q": 1e-300}"#
        );
    }

    #[test]
    fn panics_are_caught_with_message() {
        let (code, text) = call(bench_panics, 9);
        assert_eq!(code, 2);
        assert!(
            text.starts_with("panicked: boom on 9 at src/authoring/src/lib.rs:"),
            "{text}"
        );
    }

    #[test]
    fn companion_carries_settings() {
        unsafe extern "C" {
            fn pybench_meta_bench_curve() -> *const std::ffi::c_char;
            fn pybench_meta_bench_fails() -> *const std::ffi::c_char;
            fn pybench_meta_bench_looks() -> *const std::ffi::c_char;
        }
        // SAFETY: companions return static NUL-terminated strings.
        let meta = unsafe { CStr::from_ptr(pybench_meta_bench_curve()) };
        assert_eq!(
            meta.to_str().unwrap(),
            r#"{"abi":1,"n_seeds":12,"alpha":0.01}"#
        );
        // SAFETY: as above.
        let meta = unsafe { CStr::from_ptr(pybench_meta_bench_fails()) };
        assert_eq!(meta.to_str().unwrap(), r#"{"abi":1}"#);
        // SAFETY: as above.
        let meta = unsafe { CStr::from_ptr(pybench_meta_bench_looks()) };
        assert_eq!(
            meta.to_str().unwrap(),
            r#"{"abi":1,"adaptive":true,"looks":[4, 8, 12]}"#
        );
        assert_eq!(bench_looks(3), 3.0);
        unsafe extern "C" {
            fn pybench_meta_bench_inputs() -> *const std::ffi::c_char;
        }
        // SAFETY: as above.
        let meta = unsafe { CStr::from_ptr(pybench_meta_bench_inputs()) };
        assert_eq!(
            meta.to_str().unwrap(),
            r#"{"abi":1,"n_seeds":8,"inputs":["data/train.csv", "data/*.parquet"]}"#
        );
        assert_eq!(bench_inputs(2), 2.0);
    }
}
