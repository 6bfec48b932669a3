//! Input pins beyond a single run: shards record them and `merge` refuses
//! shards that read different data (and judges a merged check against the
//! baseline's pins), `show` lists each input with its hash, and `--json`
//! carries them (checked against the report schema).

use serde_json::Value;

use crate::util::{Pybench, Run, TestRepo, bench_crate, c_benches};

/// `bench_scaled` reads `data/train.csv` and `data/corpus`.
fn library() -> String {
    c_benches(
        "scaled_inputs",
        &[(
            "scaled",
            r#""n_seeds":8,"inputs":["data/train.csv","data/corpus"]"#,
        )],
        "0.25 + (double)(seed % 83) / 1000.0",
    )
}

/// The data, a NEW baseline of it, committed.
fn pinned(repo: &TestRepo, cmd: &Pybench, lib: &str) {
    repo.write("data/train.csv", b"a,b\n");
    repo.write("data/corpus/one.txt", b"one");
    repo.commit_all("data");
    let run = cmd.run(&[lib]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.commit_all("baseline");
}

fn shard(cmd: &Pybench, lib: &str, k: usize) {
    let (spec, out) = (format!("{k}/2"), format!("shards/{k}"));
    let run = cmd.run(&[lib, "--shard", &spec, "--out", &out]);
    assert_eq!(run.code, 0, "{run:?}");
}

fn merge(cmd: &Pybench, extra: &[&str]) -> Run {
    let mut args = vec!["merge", "shards/1", "shards/2"];
    args.extend(extra);
    cmd.run(&args)
}

pbtest!(
    shards_record_inputs_and_merge_refuses_different_data,
    |repo: TestRepo, cmd: Pybench| {
        let lib = library();
        pinned(&repo, &cmd, &lib);
        shard(&cmd, &lib, 1);
        shard(&cmd, &lib, 2);
        let file: Value = serde_json::from_slice(
            &std::fs::read(repo.path().join("shards/1/bench_scaled.shard-1-of-2.json")).unwrap(),
        )
        .unwrap();
        assert!(
            file["inputs"]["data/train.csv"]["sha256"].is_string(),
            "{file}"
        );
        let json = repo.path().join("merged.json");
        let run = merge(&cmd, &["--json", json.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_scaled").contains("PASS"),
            "{}",
            run.stdout
        );
        let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        crate::reports::assert_valid(&crate::reports::schema("report.schema.json"), &doc);
        assert_eq!(
            doc["benchmarks"][0]["inputs"]["data/corpus"]["files"]["one.txt"],
            file["inputs"]["data/corpus"]["files"]["one.txt"]
        );

        // Shard 2 ran after the data changed: merge refuses to join them.
        repo.write("data/train.csv", b"a,b\n1,2\n");
        std::fs::remove_dir_all(repo.path().join("shards/2")).unwrap();
        shard(&cmd, &lib, 2);
        let run = merge(&cmd, &[]);
        assert_eq!(run.code, 2, "{run:?}");
        let error = run.error_lines().join("\n");
        assert!(
            error.contains(
                "cannot merge bench_scaled: shards read different inputs: data/train.csv sha256:"
            ),
            "{error}"
        );
        assert!(error.contains("in shard 1/2 of shards/1"), "{error}");

        // Both shards on the changed data: each refused it, and so does merge.
        std::fs::remove_dir_all(repo.path().join("shards/1")).unwrap();
        shard(&cmd, &lib, 1);
        let run = merge(&cmd, &[]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.line_of("bench_scaled")
                .contains("ERROR   input data/train.csv changed since the baseline"),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    show_and_json_carry_each_input_and_its_hash,
    |repo: TestRepo, cmd: Pybench| {
        let lib = library();
        pinned(&repo, &cmd, &lib);
        let show = cmd.run(&["show"]);
        assert_eq!(show.code, 0, "{show:?}");
        let digest = |bytes: &[u8]| {
            use sha2::Digest;
            format!("sha256:{:x}", sha2::Sha256::digest(bytes))
        };
        assert!(
            show.stdout
                .contains(&format!("  input data/train.csv  {}\n", digest(b"a,b\n"))),
            "{}",
            show.stdout
        );
        let corpus = format!("one.txt\0{}\n", digest(b"one"));
        assert!(
            show.stdout.contains(&format!(
                "  input data/corpus  {}  (1 file)\n",
                digest(corpus.as_bytes())
            )),
            "{}",
            show.stdout
        );
        let json = repo.path().join("run.json");
        let run = cmd.run(&[&lib, "--json", json.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        crate::reports::assert_valid(&crate::reports::schema("report.schema.json"), &doc);
        assert_eq!(
            doc["benchmarks"][0]["inputs"]["data/train.csv"]["sha256"],
            digest(b"a,b\n")
        );
    }
);

/// A crate in `bench/` whose benchmark names `data/train.csv`, and that file,
/// committed.
fn pinned_crate(repo: &TestRepo) -> String {
    bench_crate(
        repo,
        "bench",
        "againstdata",
        "",
        "pybench::bench! {\n    #[settings(n_seeds = 8, inputs = [\"data/train.csv\"])]\n    \
         pub fn bench_data(seed: u64) -> f64 { (seed % 11) as f64 }\n}\n",
    );
    repo.write("data/train.csv", b"a,b\n");
    repo.commit_all("crate and data")[..7].to_string()
}

pbtest!(
    against_says_in_one_line_when_rev_tracks_other_inputs,
    |repo: TestRepo, cmd: Pybench| {
        let short = pinned_crate(&repo);
        let cmd = cmd.own_target_dir();
        let run = cmd.run(&["--against", "HEAD", "bench"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stderr.contains("inputs differ"), "{}", run.stderr);
        repo.write("data/train.csv", b"a,b\n1,2\n");
        let run = cmd.run(&["--against", "HEAD", "bench"]);
        assert_eq!(run.code, 0, "{run:?}");
        let notes: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.contains("inputs differ"))
            .collect();
        assert_eq!(
            notes,
            [format!(
                "note: inputs differ between HEAD ({short}) and the working tree (data/train.csv); both sides read the working tree's"
            )],
            "{}",
            run.stderr
        );
    }
);
