//! The benchmark ABI (version 1) and the Rust authoring API.
//!
//! A benchmark is a C-ABI export `bench_NAME(seed, ctx, emit) -> i32` plus a
//! companion `pybench_meta_NAME() -> *const c_char` returning its settings as
//! JSON. Rust authors use [`bench!`](crate::bench) and never see either.
//! This module has no dependencies, so benchmark crates stay lean.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ffi::c_void;
use std::fmt::{Display, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// The ABI version this crate speaks, as `"abi"` in the companion's JSON.
pub const ABI_VERSION: u32 = 1;

/// Callback through which a benchmark hands back its score or error text.
pub type EmitFn = unsafe extern "C" fn(ctx: *mut c_void, utf8: *const u8, len: usize);

/// The benchmark entry point's type.
pub type BenchFn = unsafe extern "C" fn(seed: u64, ctx: *mut c_void, emit: EmitFn) -> i32;

/// The companion's type: a static NUL-terminated JSON object.
pub type MetaFn = unsafe extern "C" fn() -> *const std::ffi::c_char;

/// A map of metric name to value; a `min:` prefix marks lower-is-better.
pub type Metrics = BTreeMap<String, f64>;

/// One step of a curve: `{"step": .., metric: value, ..}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub step: i64,
    pub metrics: Metrics,
}

impl Record {
    pub fn new(step: i64) -> Self {
        Record {
            step,
            metrics: Metrics::new(),
        }
    }

    /// Add a metric, builder style: `Record::new(10).metric("min:loss", 0.4)`.
    pub fn metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.metrics.insert(name.into(), value);
        self
    }
}

/// What a benchmark function may return: its score as JSON, or an error.
pub trait BenchOutput {
    fn into_score_json(self) -> Result<String, String>;
}

macro_rules! number_output {
    ($($t:ty),*) => {$(
        impl BenchOutput for $t {
            fn into_score_json(self) -> Result<String, String> {
                let mut out = String::new();
                write_number(&mut out, self as f64);
                Ok(out)
            }
        }
    )*};
}
number_output!(f64, f32, i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl<K: AsRef<str>> BenchOutput for BTreeMap<K, f64> {
    fn into_score_json(self) -> Result<String, String> {
        Ok(metrics_json(
            self.iter().map(|(k, v)| (k.as_ref(), *v)),
            None,
        ))
    }
}

impl<K: AsRef<str>, S> BenchOutput for HashMap<K, f64, S> {
    fn into_score_json(self) -> Result<String, String> {
        let sorted: BTreeMap<&str, f64> = self.iter().map(|(k, v)| (k.as_ref(), *v)).collect();
        Ok(metrics_json(sorted.into_iter(), None))
    }
}

impl BenchOutput for Vec<Record> {
    fn into_score_json(self) -> Result<String, String> {
        let records: Vec<String> = self
            .iter()
            .map(|r| {
                metrics_json(
                    r.metrics.iter().map(|(k, v)| (k.as_str(), *v)),
                    Some(r.step),
                )
            })
            .collect();
        Ok(format!("[{}]", records.join(", ")))
    }
}

/// A score already serialised as JSON (for example by `serde_json`),
/// passed to pybench as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Json(pub String);

impl BenchOutput for Json {
    fn into_score_json(self) -> Result<String, String> {
        Ok(self.0)
    }
}

impl<T: BenchOutput, E: Display> BenchOutput for Result<T, E> {
    fn into_score_json(self) -> Result<String, String> {
        self.map_err(|e| e.to_string())?.into_score_json()
    }
}

fn metrics_json<'a>(metrics: impl Iterator<Item = (&'a str, f64)>, step: Option<i64>) -> String {
    let mut out = String::from("{");
    if let Some(step) = step {
        let _ = write!(out, "\"step\": {step}");
    }
    for (name, value) in metrics {
        if out.len() > 1 {
            out.push_str(", ");
        }
        write_string(&mut out, name);
        out.push_str(": ");
        write_number(&mut out, value);
    }
    out.push('}');
    out
}

/// Finite numbers in shortest round-trip form; non-finite ones as the
/// tokens Python's `json` uses, so the host can name them in its error.
fn write_number(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let _ = write!(out, "{value:?}");
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keep panic messages for the report instead of letting the default hook
/// print them over pybench's output. The hook lives in this library's own
/// copy of std, so it affects benchmark code only.
fn capture_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic with a non-string payload".into());
            let location = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{location}")));
        }));
    });
}

/// Run a Rust benchmark behind the C ABI: catch panics (they must never
/// unwind into the host), emit the score or the error, return 0 on success.
///
/// # Safety
/// `emit` must be a valid callback and `ctx` the pointer the host passed.
pub unsafe fn run_bench<T: BenchOutput>(
    seed: u64,
    ctx: *mut c_void,
    emit: EmitFn,
    bench: fn(u64) -> T,
) -> i32 {
    capture_panics();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| bench(seed).into_score_json()));
    let (code, text) = match outcome {
        Ok(Ok(json)) => (0, json),
        Ok(Err(message)) => (1, message),
        Err(_) => {
            let message = LAST_PANIC.with(|p| p.borrow_mut().take());
            (
                2,
                format!(
                    "panicked: {}",
                    message.unwrap_or_else(|| "unknown panic".into())
                ),
            )
        }
    };
    // SAFETY: the host guarantees `emit` and `ctx` for the duration of the call.
    unsafe { emit(ctx, text.as_ptr(), text.len()) };
    code
}

/// Declare a benchmark: an ordinary Rust function `fn bench_NAME(seed: u64) -> T`,
/// where `T` is a number, a map of metrics, a `Vec<Record>`, or a `Result`
/// of one of those. Settings sit next to it:
///
/// ```
/// pybench::bench! {
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
/// both companion spellings). Settings must be literals and come first.
#[macro_export]
macro_rules! bench {
    (
        #[settings($($key:ident = $value:literal),* $(,)?)]
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($seed:ident: u64) -> $ret:ty $body:block
    ) => {
        $(#[$attr])*
        $vis fn $name($seed: u64) -> $ret $body

        const _: () = {
            #[unsafe(export_name = stringify!($name))]
            unsafe extern "C" fn pybench_bench(
                seed: u64,
                ctx: *mut ::core::ffi::c_void,
                emit: $crate::abi::EmitFn,
            ) -> i32 {
                // SAFETY: called by the pybench host with its own ctx and emit.
                unsafe { $crate::abi::run_bench(seed, ctx, emit, $name) }
            }

            #[unsafe(export_name = concat!("pybench_meta_", stringify!($name)))]
            extern "C" fn pybench_meta() -> *const ::core::ffi::c_char {
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
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($seed:ident: u64) -> $ret:ty $body:block
    ) => {
        $crate::bench! {
            #[settings()]
            $(#[$attr])*
            $vis fn $name($seed: u64) -> $ret $body
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    unsafe extern "C" fn collect(ctx: *mut c_void, utf8: *const u8, len: usize) {
        let out = unsafe { &mut *(ctx as *mut Vec<u8>) };
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(utf8, len) });
    }

    fn call<T: BenchOutput>(bench: fn(u64) -> T, seed: u64) -> (i32, String) {
        let mut out = Vec::new();
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
            text.starts_with("panicked: boom on 9 at src/abi.rs:"),
            "{text}"
        );
    }

    #[test]
    fn companion_carries_settings() {
        unsafe extern "C" {
            fn pybench_meta_bench_curve() -> *const std::ffi::c_char;
            fn pybench_meta_bench_fails() -> *const std::ffi::c_char;
        }
        let meta = unsafe { CStr::from_ptr(pybench_meta_bench_curve()) };
        assert_eq!(
            meta.to_str().unwrap(),
            r#"{"abi":1,"n_seeds":12,"alpha":0.01}"#
        );
        let meta = unsafe { CStr::from_ptr(pybench_meta_bench_fails()) };
        assert_eq!(meta.to_str().unwrap(), r#"{"abi":1}"#);
    }
}
