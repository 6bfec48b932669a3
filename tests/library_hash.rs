//! The library hash cache (`.git/pybench/library-hashes.json`): an
//! unchanged library's hash is taken from it; a changed one is hashed again,
//! even with its size and modification time put back; a corrupt cache is
//! ignored. The hash stored in baselines is the SHA-256 of the file either way.

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use pybench_cli::store::fingerprint::hash_bytes;
use serde_json::Value;

use crate::util::{Pybench, TestDir, TestRepo, baseline_path, c_library};

const MARKED: &str = r#"#include <stdio.h>
#include "pybench.h"
/* The test rewrites the last letter in the built library, in place. */
const char library_mark[] = "pybench-library-mark-A";
PYBENCH_META(marked, "{\"abi\":1,\"n_seeds\":6}")
PYBENCH_EXPORT int32_t bench_marked(uint64_t seed, void *ctx, pybench_emit emit) {
    char json[64];
    int n = snprintf(json, sizeof json, "{\"score\": %d}", (int)(seed % 97) + library_mark[0]);
    emit(ctx, (const uint8_t *)json, (size_t)n);
    return 0;
}
"#;

/// The library hash the baseline file holds.
fn stored_hash(dir: &Path) -> String {
    let line = fs::read_to_string(baseline_path(dir)).unwrap();
    let value: Value = serde_json::from_str(line.trim()).unwrap();
    value["env"]["library_hash"].as_str().unwrap().to_string()
}

fn update(cmd: &Pybench) {
    let run = cmd.run(&["update", "--yes", "./libmarked.so"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

pbtest!(
    library_hash_cache_is_used_while_unchanged_and_never_over_a_change,
    |dir: TestRepo, cmd: Pybench| {
        let library = dir.path().join("libmarked.so");
        fs::copy(c_library("marked", MARKED), &library).unwrap();
        // Only a file whose times have settled is cached.
        std::thread::sleep(Duration::from_millis(3200));
        update(&cmd);
        let bytes = fs::read(&library).unwrap();
        assert_eq!(stored_hash(dir.path()), hash_bytes(&bytes));
        let cache = dir.path().join(".git/pybench/library-hashes.json");
        let text = fs::read_to_string(&cache).unwrap();
        assert!(text.contains(&hash_bytes(&bytes)), "{text}");

        // While the file is unchanged its hash is the cache's.
        fs::write(&cache, text.replace(&hash_bytes(&bytes), "sha256:feed")).unwrap();
        update(&cmd);
        assert_eq!(stored_hash(dir.path()), "sha256:feed");

        // Rewritten in place, same size, modification time put back.
        let before = fs::metadata(&library).unwrap();
        let at = bytes
            .windows(22)
            .position(|w| w == b"pybench-library-mark-A")
            .unwrap();
        let mut file = fs::OpenOptions::new().write(true).open(&library).unwrap();
        file.seek(SeekFrom::Start(at as u64 + 21)).unwrap();
        file.write_all(b"B").unwrap();
        file.set_modified(before.modified().unwrap()).unwrap();
        drop(file);
        let after = fs::metadata(&library).unwrap();
        assert_eq!(
            (after.len(), after.modified().unwrap()),
            (before.len(), before.modified().unwrap())
        );
        update(&cmd);
        let changed = fs::read(&library).unwrap();
        assert_ne!(changed, bytes);
        assert_eq!(stored_hash(dir.path()), hash_bytes(&changed));

        // A corrupt cache is ignored.
        fs::write(&cache, b"{\"entries\": [[{\"path\": 1").unwrap();
        update(&cmd);
        assert_eq!(stored_hash(dir.path()), hash_bytes(&changed));
    }
);

pbtest!(
    forty_unchanged_libraries_are_all_served_from_the_cache,
    |dir: TestDir, cmd: Pybench| {
        let libs = dir.path().join("libs");
        fs::create_dir_all(&libs).unwrap();
        for i in 0..40 {
            let source = MARKED.replace("marked", &format!("many{i:02}"));
            let built = c_library(&format!("cached{i:02}"), &source);
            fs::copy(built, libs.join(format!("libmany{i:02}.so"))).unwrap();
        }
        // Only a file whose times have settled is cached.
        std::thread::sleep(Duration::from_millis(3200));
        let run = cmd.run(&["update", "--yes", "libs"]);
        assert_eq!(run.code, 0, "{run:?}");
        let cache = libs.join(".pybench-library-hashes.json");
        let text = fs::read_to_string(&cache).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["entries"].as_array().unwrap().len(), 40, "{text}");
        // Every hash now comes from the cache: none is read again.
        let fake = doc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .fold(text.clone(), |t, e| {
                t.replace(e[1]["hash"].as_str().unwrap(), "sha256:feed")
            });
        fs::write(&cache, fake).unwrap();
        let run = cmd.run(&["update", "--yes", "libs"]);
        assert_eq!(run.code, 0, "{run:?}");
        let stored = fs::read_to_string(baseline_path(dir.path())).unwrap();
        assert_eq!(stored.lines().count(), 40);
        for line in stored.lines() {
            let value: Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["env"]["library_hash"], "sha256:feed", "{line}");
        }
    }
);
