use super::*;
use crate::scores::SlotKey;
use crate::store::baselines::tests::baseline;

#[test]
fn malformed_lines_name_file_and_line() {
    let good = baseline("bench_a", 1.0).to_line();
    let text = format!(
        "{good}\n\n{{\"bench\": \"bench_b\", \"seeds\": [1], \"n\": 2, \"scores\": {{}}}}\n"
    );
    let err = Store::parse(Path::new("b.jsonl"), &text)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "malformed baseline at b.jsonl:3: `n` is 2 but there are 1 seeds"
    );
    let err = Store::parse(Path::new("b.jsonl"), "{\"bench\": ")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("malformed baseline at b.jsonl:1: EOF"),
        "{err}"
    );
    let twice = format!("{good}\n{good}\n");
    let err = Store::parse(Path::new("b.jsonl"), &twice)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("benchmark `bench_a` already has a baseline on line 1"),
        "{err}"
    );
}

#[test]
fn duplicate_and_oversized_seeds_name_file_line_and_seed() {
    let good = baseline("bench_a", 1.0).to_line();
    let twice = baseline("bench_b", 1.0)
        .to_line()
        .replace("[7, 4294967295]", "[9, 9]");
    let err = Store::parse(Path::new("b.jsonl"), &format!("{good}\n{twice}\n"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "malformed baseline at b.jsonl:2: seed 9 appears twice in `seeds`"
    );
    let big = good.replace("4294967295]", "18446744073709551615]");
    let err = Store::parse(Path::new("b.jsonl"), &big)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "malformed baseline at b.jsonl:1: seed 18446744073709551615 in `seeds` is not below 2^32"
        ),
        "{err}"
    );
}

fn store_with(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".pybench/baselines.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn write_keeps_other_lines_byte_for_byte_and_sorts() {
    // A hand-spaced line for bench_z must survive untouched.
    let z = baseline("bench_z", 2.0).to_line().replace(", ", ",  ");
    let (_dir, path) = store_with(&format!("{z}\n"));
    let mut store = Store::open(&path).unwrap();
    store.write(vec![baseline("bench_a", 1.0)]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [baseline("bench_a", 1.0).to_line().as_str(), z.as_str()]
    );
    assert_eq!(
        Store::open(&path).unwrap().get("bench_z").unwrap(),
        &baseline("bench_z", 2.0)
    );
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn crlf_endings_and_blank_lines_of_untouched_lines_are_kept() {
    let a = baseline("bench_a", 1.0).to_line();
    let c = baseline("bench_c", 3.0).to_line();
    let (_dir, path) = store_with(&format!("{a}\r\n\r\n{c}\r\n"));
    let mut store = Store::open(&path).unwrap();
    let b = baseline("bench_b", 2.0);
    let c2 = baseline("bench_c", 4.0);
    store.write(vec![b.clone(), c2.clone()]).unwrap();
    let expected = format!("{a}\r\n\r\n{}\r\n{}\r\n", b.to_line(), c2.to_line());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

#[test]
fn utf8_bom_is_accepted_and_kept() {
    let a = baseline("bench_a", 1.0).to_line();
    let (_dir, path) = store_with(&format!("\u{feff}{a}\n"));
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.get("bench_a"), Some(&baseline("bench_a", 1.0)));
    let b = baseline("bench_b", 2.0);
    store.write(vec![b.clone()]).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("\u{feff}{a}\n{}\n", b.to_line())
    );
}

#[test]
fn edit_of_another_line_during_the_run_survives() {
    let a = baseline("bench_a", 1.0).to_line();
    let (_dir, path) = store_with(&format!("{a}\n"));
    let mut store = Store::open(&path).unwrap();
    let edited = a.replace(", ", ",   ");
    std::fs::write(&path, format!("{edited}\n")).unwrap();
    let written = store.write(vec![baseline("bench_b", 2.0)]).unwrap();
    assert_eq!(written, Written::default());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{edited}\n{}\n", baseline("bench_b", 2.0).to_line())
    );
    assert_eq!(store.get("bench_b"), Some(&baseline("bench_b", 2.0)));
}

#[test]
fn edit_of_the_written_line_during_the_run_is_kept_and_reported() {
    let a = baseline("bench_a", 1.0).to_line();
    let (_dir, path) = store_with(&format!("{a}\n"));
    let mut store = Store::open(&path).unwrap();
    // Someone else's baseline for bench_b arrives while bench_b runs NEW.
    let theirs = baseline("bench_b", 9.0).to_line();
    let now = format!("{a}\n{theirs}\n");
    std::fs::write(&path, &now).unwrap();
    let written = store
        .write(vec![baseline("bench_b", 2.0), baseline("bench_c", 3.0)])
        .unwrap();
    assert_eq!(written.kept, ["bench_b"]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{now}{}\n", baseline("bench_c", 3.0).to_line())
    );
}

#[test]
fn malformed_file_at_write_time_writes_nothing() {
    let a = baseline("bench_a", 1.0).to_line();
    let (_dir, path) = store_with(&format!("{a}\n"));
    let mut store = Store::open(&path).unwrap();
    let broken = format!("{a}\n{{\"bench\": \n");
    std::fs::write(&path, &broken).unwrap();
    let err = store.write(vec![baseline("bench_b", 2.0)]).unwrap_err();
    assert!(
        matches!(err, StoreError::Malformed { line: 2, .. }),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn reads_the_python_tools_files() {
    for name in ["baselines.reference.jsonl", "baselines.reference-2.jsonl"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let store = Store::open(&path).unwrap();
        let b = store.get("bench_synthetic").unwrap();
        assert_eq!(b.seeds.len(), 30);
        assert_eq!(b.scores.slots().len(), 3);
        assert_eq!(b.scores.slots()[2], SlotKey::new(100, "min:loss"));
    }
}
