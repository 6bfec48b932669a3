//! Benchmark projects the input-pinning tests share: a C library of
//! benchmarks that each declare their settings, and a Rust benchmark crate
//! of its own workspace.

use super::{TestRepo, c_library, workspace};

/// A C library `lib` with one benchmark per `(name, settings)`:
/// `bench_NAME`, whose companion is `{"abi":1,SETTINGS}` (`settings` are
/// JSON members, e.g. `"n_seeds":6,"inputs":["data/x.csv"]`), and which
/// emits `score`, a C expression of `seed`. The library's path.
pub fn c_benches(lib: &str, benches: &[(&str, &str)], score: &str) -> String {
    let mut source = String::from("#include \"pybench.h\"\n#include <stdio.h>\n");
    for (name, settings) in benches {
        let meta = format!(r#"{{"abi":1,{settings}}}"#).replace('"', "\\\"");
        source.push_str(&format!(
            r#"PYBENCH_META({name}, "{meta}")
PYBENCH_EXPORT int32_t bench_{name}(uint64_t seed, void *ctx, pybench_emit emit) {{
    char json[64];
    int n = snprintf(json, sizeof json, "%.17g", {score});
    emit(ctx, (const uint8_t *)json, (size_t)n);
    return 0;
}}
"#
        ));
    }
    c_library(lib, &source).to_str().unwrap().to_string()
}

/// A benchmark crate `package` in `dir` of `repo` (`"."` for the root): a
/// `cdylib` on the authoring crate, its own workspace root, with `lib_rs`
/// as `src/lib.rs` and `manifest_extra` appended to its Cargo.toml (e.g.
/// `[workspace.metadata.pybench]` keys); its build output is ignored.
pub fn bench_crate(repo: &TestRepo, dir: &str, package: &str, manifest_extra: &str, lib_rs: &str) {
    repo.write(
        &format!("{dir}/Cargo.toml"),
        format!(
            "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             [lib]\ncrate-type = [\"cdylib\"]\n[dependencies]\npybench = {{ path = {:?} }}\n\
             [workspace]\n{manifest_extra}",
            workspace().join("src/authoring").display().to_string()
        )
        .as_bytes(),
    );
    repo.write(&format!("{dir}/src/lib.rs"), lib_rs.as_bytes());
    repo.write(&format!("{dir}/.gitignore"), b"/target\nCargo.lock\n");
}
