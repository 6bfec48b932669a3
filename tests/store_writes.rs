//! Writing the baseline file: a file that cannot be written stops the run
//! before it starts, and a write that still fails is said out loud without
//! hiding a regression; edits made during a run survive it; the file is
//! updated in place of being replaced — symlink, mode, read-only bit, CRLF
//! endings and blank lines all stay — and a killed writer's temporary file
//! is cleaned up.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::store_safety::{assert_error, faults_arg};
use crate::util::{Pybench, Running, TestDir, baseline_bytes, baseline_path, synthetic};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Give `dir` a baseline for bench_healthy; returns the file's text.
fn healthy_baseline(dir: &TestDir, cmd: &Pybench) -> String {
    let run = cmd.run(&[&faults_arg(), "--bench", "healthy"]);
    assert_eq!(run.code, 0, "{run:?}");
    String::from_utf8(baseline_bytes(dir.path()).unwrap()).unwrap()
}

/// Start `pybench [update] FAULTS --bench slow` (slow enough to edit the
/// file while it runs) and return once it has read the baseline file.
fn slow_run(cmd: &Pybench, update: bool, extra: &[&str]) -> Running {
    let faults = faults_arg();
    let mut args = Vec::new();
    if update {
        args.push("update");
    }
    args.extend([faults.as_str(), "--bench", "slow"]);
    args.extend(extra);
    let marker = "discovered";
    Running::until(cmd, &args, &[("PYBENCH_FAULTS_SLEEP_MS", "400")], marker)
}

// Fault 1: a NEW baseline that cannot be written was found only after
// every benchmark ran (and printed "(baseline saved)").
pbtest!(
    unwritable_baseline_stops_the_run_before_it_starts,
    |dir: TestDir, cmd: Pybench| {
        let before = healthy_baseline(&dir, &cmd);
        let path = baseline_path(dir.path());
        chmod(&path, 0o444);
        let run = cmd.run(&[&faults_arg(), "--bench", "healthy", "--bench", "slow"]);
        assert_error(
            &run,
            2,
            "error: cannot write baseline file .pybench/baselines.jsonl: it is read-only (mode 0444) (hint: ",
        );
        assert!(
            !run.stdout.contains("bench_"),
            "nothing ran: {}",
            run.stdout
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert_eq!(mode(&path), 0o444);
    }
);

// Fault 1: a write that failed at the end exited 2 even though a benchmark
// regressed, after its line had claimed "(baseline saved)".
pbtest!(
    regression_with_an_unsaved_baseline_exits_1_and_names_what_was_not_saved,
    |dir: TestDir, cmd: Pybench| {
        let run = cmd.run(&[synthetic().to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        let synthetic = synthetic();
        let faults = faults_arg();
        let args = [
            synthetic.to_str().unwrap(),
            faults.as_str(),
            "--bench",
            "synthetic",
            "--bench",
            "slow",
        ];
        let env = [
            ("PYBENCH_FAULTS_SLEEP_MS", "400"),
            ("PYBENCH_SYNTHETIC_REGRESS", "global"),
        ];
        let child = Running::until(&cmd, &args, &env, "discovered");
        // Even root cannot rename a file over a directory.
        let path = baseline_path(dir.path());
        std::fs::rename(&path, dir.path().join("moved.jsonl")).unwrap();
        std::fs::create_dir(&path).unwrap();
        let run = child.finish();
        assert_error(
            &run,
            1,
            "error: cannot read baseline file .pybench/baselines.jsonl: it is a directory, not a regular file; the baselines of bench_slow were not saved (hint: ",
        );
        assert!(run.line_of("bench_synthetic").contains(" FAIL "), "{run:?}");
        // One benchmark judged: no correction, so its line was shown as it
        // was judged, before the write; the error line above corrects it.
        assert!(
            run.line_of("bench_slow").ends_with("(baseline saved)"),
            "{run:?}"
        );
        assert!(path.is_dir());
    }
);

// Fault 2: a line edited during a run was overwritten from the copy read
// at the start.
pbtest!(
    edit_of_another_line_during_a_run_is_not_reverted,
    |dir: TestDir, cmd: Pybench| {
        let before = healthy_baseline(&dir, &cmd);
        let child = slow_run(&cmd, false, &[]);
        let edited = before.replacen(", ", ",  ", 3);
        std::fs::write(baseline_path(dir.path()), &edited).unwrap();
        let run = child.finish();
        assert_eq!(run.code, 0, "{run:?}");
        let text = String::from_utf8(baseline_bytes(dir.path()).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(format!("{}\n", lines[0]), edited, "the edit survives");
        assert!(lines[1].starts_with("{\"bench\": \"bench_slow\""));
    }
);

// Fault 2: the benchmark's own line, edited during an `update` of it, was
// overwritten; now the edit is kept and the run says it did not save.
pbtest!(
    edit_of_the_same_line_during_a_run_is_kept_and_reported,
    |dir: TestDir, cmd: Pybench| {
        let run = cmd.run_env(
            &[&faults_arg(), "--bench", "slow"],
            &[("PYBENCH_FAULTS_SLEEP_MS", "1")],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let child = slow_run(&cmd, true, &[]);
        let path = baseline_path(dir.path());
        let edited = std::fs::read_to_string(&path)
            .unwrap()
            .replacen(", ", ",  ", 2);
        std::fs::write(&path, &edited).unwrap();
        let run = child.finish();
        assert_error(
            &run,
            2,
            "error: the lines of bench_slow in .pybench/baselines.jsonl changed during the run; they were kept, and this run's baselines of them were not saved (hint: ",
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
    }
);

// Fault 2: a file broken during the run is refused, and nothing is written.
pbtest!(
    file_made_malformed_during_a_run_is_refused_and_left_alone,
    |dir: TestDir, cmd: Pybench| {
        let before = healthy_baseline(&dir, &cmd);
        let child = slow_run(&cmd, false, &[]);
        let broken = format!("{before}{{\"bench\": \n");
        std::fs::write(baseline_path(dir.path()), &broken).unwrap();
        let run = child.finish();
        assert_error(
            &run,
            2,
            "error: malformed baseline at .pybench/baselines.jsonl:2: EOF while parsing",
        );
        assert!(
            run.error_lines()[0].contains("; the baselines of bench_slow were not saved"),
            "{}",
            run.stderr
        );
        assert_eq!(
            String::from_utf8(baseline_bytes(dir.path()).unwrap()).unwrap(),
            broken
        );
    }
);

// Fault 3a: a symlinked baseline file became a regular file and its target
// never changed.
pbtest!(
    symlinked_baseline_file_stays_a_symlink_and_its_target_is_written,
    |dir: TestDir, cmd: Pybench| {
        std::fs::create_dir_all(dir.path().join("shared")).unwrap();
        std::fs::create_dir_all(dir.path().join(".pybench")).unwrap();
        let link = baseline_path(dir.path());
        std::os::unix::fs::symlink("../shared/baselines.jsonl", &link).unwrap();
        let target = dir.path().join("shared/baselines.jsonl");
        for bench in ["healthy", "noisy"] {
            let run = cmd.run(&[&faults_arg(), "--bench", bench]);
            assert_eq!(run.code, 0, "{run:?}");
        }
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let text = std::fs::read_to_string(&target).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
    }
);

// Fault 3b: the file's permission bits were reset to 0600.
pbtest!(
    baseline_file_mode_is_kept_on_rewrite,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&dir, &cmd);
        let path = baseline_path(dir.path());
        assert_ne!(mode(&path), 0o600, "a new file gets 0666 less the umask");
        chmod(&path, 0o640);
        let run = cmd.run(&[&faults_arg(), "--bench", "noisy"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(mode(&path), 0o640);
    }
);

// Fault 3c: a read-only file was overwritten without a word (root's rename
// ignores the mode, so pybench checks the bits itself).
pbtest!(
    read_only_baseline_file_is_refused_not_overwritten,
    |dir: TestDir, cmd: Pybench| {
        let before = healthy_baseline(&dir, &cmd);
        let path = baseline_path(dir.path());
        chmod(&path, 0o444);
        let run = cmd.run(&["update", &faults_arg(), "--bench", "healthy"]);
        assert_error(
            &run,
            2,
            "error: cannot write baseline file .pybench/baselines.jsonl: it is read-only (mode 0444) (hint: make it writable",
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }
);

// Fault 3d: CRLF endings of untouched lines became LF and blank lines
// vanished.
pbtest!(
    crlf_endings_and_blank_lines_survive_a_write,
    |dir: TestDir, cmd: Pybench| {
        let run = cmd.run_env(
            &[&faults_arg(), "--bench", "healthy", "--bench", "slow"],
            &[("PYBENCH_FAULTS_SLEEP_MS", "1")],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let path = baseline_path(dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        let [healthy, slow] = text.lines().collect::<Vec<_>>()[..] else {
            panic!("two lines: {text}");
        };
        let (head, tail) = (format!("{healthy}\r\n\r\n"), format!("{slow}\r\n"));
        std::fs::write(&path, format!("{head}{tail}")).unwrap();
        let run = cmd.run(&[&faults_arg(), "--bench", "noisy"]);
        assert_eq!(run.code, 0, "{run:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&head) && text.ends_with(&tail), "{text:?}");
        let new = &text[head.len()..text.len() - tail.len()];
        assert!(
            new.starts_with("{\"bench\": \"bench_noisy\"") && new.ends_with("}\r\n"),
            "the new line goes in name order, in the file's own ending: {new:?}"
        );
    }
);

// Fault 3e: a writer killed mid-write left a `.baselines.*.tmp` file that
// nothing removed.
pbtest!(
    stale_temporary_of_a_killed_write_is_cleaned,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&dir, &cmd);
        let stale = dir.path().join(".pybench/.baselines.Xk3q9Z.tmp");
        std::fs::write(&stale, "{\"bench\": \"half").unwrap();
        let run = cmd.run(&[&faults_arg(), "--bench", "healthy"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!stale.exists(), "the stale temporary is removed");
        let names: Vec<_> = std::fs::read_dir(dir.path().join(".pybench"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["baselines.jsonl"]);
    }
);
