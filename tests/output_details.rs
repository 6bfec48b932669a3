//! Output that must not confuse: counts in the singular when there is one,
//! slot counts that agree, and rows aligned to the run's longest name.

use crate::errors::scored_library;
use crate::util::TestDir;

const EIGHT_SEEDS: &str = r#"{"abi":1,"n_seeds":8}"#;

/// The column at which `marker` starts on each line that has it.
fn columns(text: &str, marker: &str) -> Vec<usize> {
    text.lines()
        .filter_map(|l| l.find(marker).map(|i| l[..i].chars().count()))
        .collect()
}

pbtest!(
    long_benchmark_names_keep_every_row_aligned_in_check_and_update,
    |dir: TestDir, cmd: Pybench| {
        let long = scored_library("a_rather_long_benchmark_name", EIGHT_SEEDS, "min:loss");
        let short = scored_library("short", EIGHT_SEEDS, "min:loss");
        let args = [long.to_str().unwrap(), short.to_str().unwrap()];
        let check = cmd.run(&args);
        assert_eq!(check.code, 0, "{check:?}");
        let dots = columns(&check.stdout, "..........");
        assert_eq!(dots.len(), 2, "{}", check.stdout);
        assert_eq!(dots[0], dots[1], "{}", check.stdout);
        assert_eq!(dots[0], "bench_a_rather_long_benchmark_name ".len());
        let update = cmd.run(&[&["update"][..], &args].concat());
        assert_eq!(update.code, 0, "{update:?}");
        assert!(
            update
                .stdout
                .starts_with("pybench update — 2 benchmarks discovered\n"),
            "{}",
            update.stdout
        );
        let updated = columns(&update.stdout, " updated ");
        assert_eq!(updated.len(), 2, "{}", update.stdout);
        assert_eq!(updated[0], updated[1], "{}", update.stdout);
    }
);

pbtest!(
    one_benchmark_is_counted_in_the_singular_and_slots_agree_with_flagged,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("single", EIGHT_SEEDS, "min:loss");
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.starts_with("pybench — 1 benchmark discovered\n"),
            "{}",
            run.stdout
        );
        assert_eq!(
            run.line_of("bench_single"),
            "bench_single      .......... NEW   1 slot: 1 metric × 1 step   (baseline saved)"
        );
        // Several slots: the shape counts the slots the flagged count counts.
        let lib = crate::util::c_example();
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert!(run.stdout.starts_with("pybench — 1 benchmark discovered\n"));
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert!(
            run.line_of("bench_solver")
                .contains(" 6 slots: 2 metrics × 3 steps   0/6 slots flagged "),
            "{}",
            run.stdout
        );
    }
);
