//! The Monte-Carlo study in CI: few replications, a fixed master seed, and
//! the ordering the reference study shows. Every rate is deterministic given
//! the master seed; the margins are wide so that a change of the seed (or of
//! the engine's sampled patterns) would not flip a check either.
//!
//! The package dev-depends on itself with `features = ["montecarlo"]`, so
//! `cargo test --workspace` compiles and runs this file.
#![cfg(feature = "montecarlo")]

use synthetic::study::{self, CASES, CaseResult, Config, Group, TESTS, Test};

const MASTER_SEED: u64 = 20261123;

fn config(replications: usize) -> Config {
    Config {
        replications,
        seeds: 10,
        permutations: 400,
        master_seed: MASTER_SEED,
    }
}

fn run(name: &str, config: &Config) -> CaseResult {
    let case = study::cases::find(name).expect("a known case");
    study::run_case(case, config, &|| {})
}

fn rates(r: &CaseResult) -> String {
    TESTS
        .iter()
        .map(|&t| format!("{}={:.3}", t.key(), r.rate(t)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn reproduces_the_reference_ordering() {
    let config = config(120);

    // Correlated null: pooling and counting cry wolf, the sign-flips do not.
    let null = run("correlated-null", &config);
    let fp = |t| null.rate(t);
    assert!(fp(Test::GlobalT) >= 0.25, "{}", rates(&null));
    assert!(fp(Test::Binomial) >= 0.09, "{}", rates(&null));
    assert!(fp(Test::SignFlipCount) <= 0.10, "{}", rates(&null));
    assert!(fp(Test::SignFlipSeverity) <= 0.10, "{}", rates(&null));
    assert!(
        fp(Test::GlobalT) > fp(Test::Binomial)
            && fp(Test::Binomial) > fp(Test::SignFlipSeverity) + 0.03
            && fp(Test::Binomial) > fp(Test::SignFlipCount) + 0.03,
        "{}",
        rates(&null)
    );

    // Global shift: everyone detects it.
    let global = run("global-shift", &config);
    for test in TESTS {
        assert!(global.rate(test) >= 0.95, "{}", rates(&global));
    }

    // A single-step regression: only the severity sees it.
    let local = run("local-spike", &config);
    assert!(
        local.rate(Test::SignFlipSeverity) >= 0.9,
        "{}",
        rates(&local)
    );
    assert!(local.rate(Test::SignFlipCount) <= 0.15, "{}", rates(&local));
    assert!(local.rate(Test::Binomial) <= 0.2, "{}", rates(&local));
    assert!(local.rate(Test::GlobalT) <= 0.5, "{}", rates(&local));
}

#[test]
fn severity_stays_calibrated_on_every_stress_null() {
    let config = config(60);
    for case in CASES.iter().filter(|c| c.group == Group::Null) {
        let r = study::run_case(case, &config, &|| {});
        // 0.05 + 3 standard errors at R = 60 is 0.134.
        assert!(
            r.rate(Test::SignFlipSeverity) <= 0.134,
            "{}: {}",
            case.name,
            rates(&r)
        );
        assert!(
            r.rate(Test::GlobalT) > r.rate(Test::SignFlipSeverity) + 0.15,
            "{}: {}",
            case.name,
            rates(&r)
        );
    }
}

#[test]
fn same_master_seed_same_table_whatever_the_threads() {
    let config = Config {
        replications: 6,
        ..config(0)
    };
    let case = study::cases::find("multi-metric").unwrap();
    let with = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| study::run_case(case, &config, &|| {}))
    };
    let one = with(1);
    assert_eq!(one, with(2));
    let json = |r: &CaseResult| study::report::json(&config, std::slice::from_ref(r));
    assert_eq!(json(&one), json(&with(3)));
    let other = study::run_case(
        case,
        &Config {
            master_seed: MASTER_SEED + 1,
            ..config
        },
        &|| {},
    );
    // A different master seed draws different data (the verdict counts may
    // still agree, so compare the first replication's differences).
    let data = |seed| {
        let mut rng = study::replication_rng(seed, case, 0);
        case.differences(10, &mut rng)
    };
    assert_ne!(data(MASTER_SEED), data(MASTER_SEED + 1));
    assert_eq!(other.replications, 6);
}

#[test]
fn markdown_rows_start_with_the_four_tests() {
    let config = config(4);
    let results = study::run(&study::select("reference").unwrap(), &config, &|| {});
    let table = study::report::markdown(&config, &results);
    for test in TESTS {
        assert_eq!(
            table
                .lines()
                .filter(|l| l.starts_with(&format!("| {} |", test.label())))
                .count(),
            1,
            "{table}"
        );
    }
    assert!(table.contains("| test | correlated-null FP rate | global-shift detection |"));
}

#[test]
fn case_selection() {
    let names = |list| {
        study::select(list)
            .unwrap()
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names("local-spike, reference"),
        ["correlated-null", "global-shift", "local-spike"]
    );
    assert_eq!(names("all").len(), CASES.len());
    assert!(study::select("nope").unwrap_err().contains("unknown case"));
    assert!(study::select(",").is_err());
}

/// The family study, short: 20 benchmarks × 12 seeds, fixed master seed.
#[test]
fn family_corrections_control_run_level_false_alarms() {
    use pybench_cli::stats::Family;
    use study::family::{find, run_family};
    // ~90 ms per replication in a debug build: 100 + 40 keep it near 12 s.
    let null = run_family(find("family-null").unwrap(), 100, MASTER_SEED, &|| {});
    let any = |m| null.any_fail_rate(m).0;
    // Uncorrected: 1 − 0.95^20 = 0.64 (s.e. 0.048 at R = 100).
    assert!(any(Family::None) >= 0.5, "{null:?}");
    // Corrected: at most 0.05 + 3 s.e. = 0.115.
    for m in [Family::Holm, Family::Bh] {
        assert!(any(m) <= 0.115, "{m}: {null:?}");
    }
    let drop = run_family(find("family-one-drop").unwrap(), 40, MASTER_SEED, &|| {});
    let power = |m| drop.power(m).0;
    assert!(power(Family::None) >= 0.9, "{drop:?}");
    assert!(power(Family::Holm) >= 0.5 && power(Family::Bh) >= power(Family::Holm));
    assert!(power(Family::None) >= power(Family::Bh), "{drop:?}");
    let md = study::family_report::markdown(&[null, drop], None);
    for m in Family::ALL {
        assert_eq!(
            md.lines()
                .filter(|l| l.starts_with(&format!("| {m} |")))
                .count(),
            1
        );
    }
}

#[test]
fn mde_is_detected_80_percent_of_the_time() {
    use study::mde::{Formula, run_mde};
    let r = run_mde(1500, MASTER_SEED, &|| {});
    // 0.80 ± 3 s.e. (0.0103 at R = 1500).
    for level in 0..2 {
        let (p, _) = r.rate(Formula::Exact, level);
        assert!((p - 0.80).abs() <= 0.031, "level {level}: {r:?}");
    }
    // Same noise, smaller drop: the shortcut detects less at 0.0025.
    assert!(r.detected[1][1] < r.detected[0][1], "{r:?}");
    assert!(study::family_report::markdown(&[], Some(&r)).contains("| exact noncentral t"));
}

#[test]
fn family_selection() {
    let s = study::select_all("family").unwrap();
    assert!(s.cases.is_empty() && s.mde && s.family.len() == study::FAMILY_CASES.len());
    let s = study::select_all("local-spike, family-null").unwrap();
    assert_eq!(s.cases.len(), 1);
    assert_eq!(
        s.family.iter().map(|c| c.name).collect::<Vec<_>>(),
        ["family-null"]
    );
    assert!(!s.mde);
    let all = study::select_all("all").unwrap();
    assert!(all.mde && all.cases.len() == CASES.len() && all.family.len() == 3);
    let err = study::select_all("nope").unwrap_err();
    assert!(
        err.contains("unknown case") && err.contains("mde-calibration"),
        "{err}"
    );
}

/// The adaptive-seeds study, short: the single-slot cases with 200
/// replications and 1000 sign vectors (a few seconds in debug).
#[test]
fn adaptive_seeds_hold_alpha_and_save_seeds() {
    use study::adaptive::{self, AdaptiveConfig, Method};
    let config = AdaptiveConfig {
        replications: 200,
        permutations: 1000,
        master_seed: MASTER_SEED,
    };
    let run = |name| adaptive::run_case(adaptive::find(name).unwrap(), &config, &|| {});
    let show = |r: &adaptive::AdaptiveResult| {
        adaptive::METHODS
            .iter()
            .map(|&m| format!("{}={:.3}/{:.1}", m.key(), r.rate(m), r.mean_seeds(m)))
            .collect::<Vec<_>>()
            .join(" ")
    };

    // No change: alpha holds (0.05 + 3 SE at R = 200 is 0.096), the naive
    // looks cry wolf more, and futility stops most runs early.
    let null = run("adaptive-null");
    assert!(null.rate(Method::Adaptive) <= 0.096, "{}", show(&null));
    assert!(
        null.rate(Method::Naive) >= null.rate(Method::Adaptive) + 0.02,
        "{}",
        show(&null)
    );
    assert!(null.mean_seeds(Method::Adaptive) <= 20.0, "{}", show(&null));
    assert_eq!(null.mean_seeds(Method::Fixed), 30.0);

    // The MDE: little power lost, seeds saved.
    let mde = run("adaptive-mde");
    assert!(
        mde.rate(Method::Adaptive) >= mde.rate(Method::Fixed) - 0.10,
        "{}",
        show(&mde)
    );
    assert!(mde.mean_seeds(Method::Adaptive) <= 26.0, "{}", show(&mde));

    // A large drop: found, mostly at the first looks.
    let large = run("adaptive-large");
    assert!(large.rate(Method::Adaptive) >= 0.95, "{}", show(&large));
    assert!(
        large.mean_seeds(Method::Adaptive) <= 18.0,
        "{}",
        show(&large)
    );

    let table = study::adaptive_report::markdown(&config, &[null, mde, large]);
    assert!(table.contains("| adaptive 10/20/30 (pybench) |"), "{table}");
}

#[test]
fn adaptive_cases_are_selected_apart() {
    use study::adaptive;
    assert!(adaptive::is_adaptive("adaptive") && adaptive::is_adaptive("adaptive-mde"));
    assert!(!adaptive::is_adaptive("correlated-null"));
    // `all` keeps meaning the four-test study.
    assert!(
        study::select("all")
            .unwrap()
            .iter()
            .all(|c| !adaptive::is_adaptive(c.name))
    );
    assert!((adaptive::mde(30) - 0.4662).abs() < 1e-3);
}

/// `pybench bisect`'s search, each probe at alpha/4 over 16 commits: with
/// no regression it blames a commit at most alpha of the time, and it names
/// a 1-sd regression's commit at least 95 % of the time with 30 seeds.
#[test]
fn bisection_blames_at_most_alpha_and_finds_a_one_sd_regression() {
    use synthetic::study::bisect::{self, BisectConfig};
    let config = BisectConfig {
        replications: 300,
        permutations: 1000,
        master_seed: MASTER_SEED,
    };
    let results = bisect::run(
        &bisect::select(&["bisect-null", "bisect-1sd"]),
        &config,
        &|| {},
    );
    let (null, one_sd) = (&results[0], &results[1]);
    assert_eq!(null.case.name, "bisect-null");
    assert!(
        null.wrong_rate() <= study::ALPHA,
        "false blame {}",
        null.wrong_rate()
    );
    assert!(null.nothing_rate() >= 1.0 - study::ALPHA, "{null:?}");
    // BAD alone: every null bisection stops after its first probe unless it FAILs.
    assert!(null.mean_probes() < 1.1, "{null:?}");
    assert!(
        one_sd.right_rate() >= 0.95,
        "right commit {}",
        one_sd.right_rate()
    );
    // BAD, then ⌈log2 16⌉ = 4 probes.
    assert!((one_sd.mean_probes() - 5.0).abs() < 1e-9, "{one_sd:?}");
}
