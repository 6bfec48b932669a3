//! Input pinning beyond the basic story: bad `inputs` settings are one
//! clear ERROR (or one `error:` line for the project config), the project
//! config's inputs pin every benchmark, and a large input is hashed once
//! and then served from the hash cache.

use std::io::Write;

use sha2::{Digest, Sha256};

use crate::inputs::stored_line;
use crate::util::{TestRepo, bench_crate, c_benches};

/// A C benchmark `bench_NAME` whose companion declares `settings` (JSON
/// members after `"abi":1,"n_seeds":6`).
fn c_bench(name: &str, settings: &str) -> String {
    let settings = format!(r#""n_seeds":6,{settings}"#);
    c_benches(
        name,
        &[(name, &settings)],
        "0.5 + (double)(seed % 89) / 1000.0",
    )
}

pbtest!(
    inputs_outside_the_project_or_malformed_are_errors,
    |repo: TestRepo, cmd: Pybench| {
        let escapes = c_bench("escapes", r#""inputs":["../secret.csv"]"#);
        let run = cmd.run(&[&escapes]);
        assert_eq!(run.code, 2, "{run:?}");
        let line = run.line_of("bench_escapes");
        assert!(
            line.contains(
                "ERROR   inputs: `../secret.csv` leaves the project root: name data inside the project, or give an absolute path"
            ),
            "{line}"
        );
        let glob = c_bench("bad_glob", r#""inputs":["data/[x"]"#);
        let line = cmd.run(&[&glob]).stdout;
        assert!(line.contains("`data/[x` is not a valid glob"), "{line}");
        let missing = c_bench("no_data", r#""inputs":["data/none.csv"]"#);
        let run = cmd.run(&[&missing]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.line_of("bench_no_data").contains(
                "input data/none.csv is missing; create it, or fix the benchmark's `inputs`"
            ),
            "{}",
            run.stdout
        );
        assert!(!repo.path().join(".pybench/baselines.jsonl").exists());
    }
);

pbtest!(
    an_absolute_input_is_pinned_by_its_path,
    |repo: TestRepo, cmd: Pybench| {
        let outside = tempfile::tempdir().unwrap();
        let data = outside.path().join("shared.csv");
        std::fs::write(&data, b"1,2\n").unwrap();
        let spec = data.to_str().unwrap();
        let lib = c_bench("absolute", &format!(r#""inputs":["{spec}"]"#));
        let run = cmd.run(&[&lib]);
        assert_eq!(run.code, 0, "{run:?}");
        let line = stored_line(&repo, "bench_absolute");
        let digest = format!("sha256:{:x}", Sha256::digest(b"1,2\n"));
        assert_eq!(line["inputs"][spec]["sha256"], digest);
    }
);

/// A benchmark crate at the root of `repo` whose Cargo.toml lists the
/// project's inputs as `project_inputs` (a TOML value).
fn crate_with_project_inputs(repo: &TestRepo, project_inputs: &str) {
    bench_crate(
        repo,
        ".",
        "shared_data",
        &format!("[workspace.metadata.pybench]\ninputs = {project_inputs}\n"),
        "pybench::bench! {\n    #[settings(n_seeds = 6, inputs = [\"data/own.txt\"])]\n    \
         pub fn bench_own(seed: u64) -> f64 { (seed % 7) as f64 }\n}\n\
         pybench::bench! {\n    #[settings(n_seeds = 6)]\n    \
         pub fn bench_plain(seed: u64) -> f64 { (seed % 5) as f64 }\n}\n",
    );
    repo.write("data/shared.txt", b"shared");
    repo.write("data/own.txt", b"own");
}

pbtest!(
    the_project_config_pins_inputs_for_every_benchmark,
    |repo: TestRepo, cmd: Pybench| {
        crate_with_project_inputs(&repo, r#"["data/shared.txt"]"#);
        let cmd = cmd.own_target_dir();
        let run = cmd.run(&["."]);
        assert_eq!(run.code, 0, "{run:?}");
        let own = stored_line(&repo, "bench_own");
        let keys: Vec<&String> = own["inputs"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["data/own.txt", "data/shared.txt"]);
        let plain = stored_line(&repo, "bench_plain");
        assert!(plain["inputs"]["data/shared.txt"]["sha256"].is_string());
        repo.commit_all("baseline");
        repo.write("data/shared.txt", b"shared, edited");
        let run = cmd.run(&["."]);
        assert_eq!(run.code, 2, "{run:?}");
        for bench in ["bench_own", "bench_plain"] {
            assert!(
                run.line_of(bench).contains("input data/shared.txt changed"),
                "{}",
                run.stdout
            );
        }
        crate_with_project_inputs(&repo, r#"["../up.txt"]"#);
        let run = cmd.run(&["."]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(
                "error: [workspace.metadata.pybench] inputs in Cargo.toml: `../up.txt` leaves the project root"
            ),
            "{}",
            run.stderr
        );
    }
);

/// Writes `mib` MiB of varied bytes to `path`.
fn write_large(path: &std::path::Path, mib: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let block: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for i in 0..mib {
        file.write_all(&block[i % 7..]).unwrap();
        file.write_all(&block[..i % 7]).unwrap();
    }
    file.flush().unwrap();
}

pbtest!(
    a_large_input_is_hashed_once_then_served_from_the_cache,
    |repo: TestRepo, cmd: Pybench| {
        let lib = c_bench("large_input", r#""inputs":["data/big.bin"]"#);
        std::fs::create_dir_all(repo.path().join("data")).unwrap();
        let big = repo.path().join("data/big.bin");
        write_large(&big, 300);
        // The cache trusts a file's times only once they have settled.
        std::thread::sleep(std::time::Duration::from_millis(3100));
        let run = cmd.run(&[&lib, "--yes"]);
        assert_eq!(run.code, 0, "{run:?}");
        let pinned = stored_line(&repo, "bench_large_input")["inputs"]["data/big.bin"]["sha256"]
            .as_str()
            .unwrap()
            .to_string();
        let bytes = std::fs::read(&big).unwrap();
        assert_eq!(pinned, format!("sha256:{:x}", Sha256::digest(&bytes)));
        drop(bytes);
        // The cache holds the hash; a check that took it from there, not
        // from the file's 300 MiB, reports what the cache says.
        let cache = repo.path().join(".git/pybench/library-hashes.json");
        let text = std::fs::read_to_string(&cache).unwrap();
        assert!(text.contains(&pinned) && text.contains("big.bin"), "{text}");
        let fake = format!("sha256:{:x}", Sha256::digest(b"not the file"));
        std::fs::write(&cache, text.replace(&pinned, &fake)).unwrap();
        let run = cmd.run(&[&lib]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.line_of("bench_large_input")
                .contains("input data/big.bin changed"),
            "{}",
            run.stdout
        );
        std::fs::write(&cache, text).unwrap();
        let run = cmd.run(&[&lib]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_large_input").contains("PASS"),
            "{}",
            run.stdout
        );
    }
);
