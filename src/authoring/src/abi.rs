//! The benchmark ABI, version 1: the C-ABI entry point, its companion, and
//! the shim that runs a Rust benchmark behind them.
//!
//! A benchmark is a C-ABI export `bench_NAME(seed, ctx, emit) -> i32` plus a
//! companion `pybench_meta_NAME() -> *const c_char` returning its settings as
//! JSON (`include/pybench.h` declares the same for C). Rust authors use
//! [`bench!`](crate::bench) and never see either.

use std::cell::RefCell;
use std::ffi::c_void;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::output::BenchOutput;

/// The ABI version this crate speaks, as `"abi"` in the companion's JSON.
pub const ABI_VERSION: u32 = 1;

/// Callback through which a benchmark hands back its score or error text.
/// `ctx` names the call and is valid only until it returns: the host drops
/// an emit that comes later (from a thread the benchmark left running).
pub type EmitFn = unsafe extern "C" fn(ctx: *mut c_void, utf8: *const u8, len: usize);

/// The benchmark entry point's type.
pub type BenchFn = unsafe extern "C" fn(seed: u64, ctx: *mut c_void, emit: EmitFn) -> i32;

/// The companion's type: a static NUL-terminated JSON object.
pub type MetaFn = unsafe extern "C" fn() -> *const std::ffi::c_char;

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
