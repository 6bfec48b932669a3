//! What `pybench bisect` prints and writes: a header per benchmark with
//! the level, one line per probe as it finishes, the answer with its
//! evidence and the sensitivity at the culprit, and `--json`.

use std::path::Path;

use serde_json::{Value, json};

use super::probe::{Level, ProbeRecord, ReferenceSource};
use super::{named, probe_at};
use crate::bisection::{Answer, Probe};
use crate::error::{BisectError, Error};
use crate::report::{self, terminal};
use crate::result::BenchResult;
use crate::store::range::{Commit, CommitRange};

/// One benchmark's bisection.
pub struct Outcome {
    pub bench: String,
    /// The benchmark's alpha.
    pub alpha: f64,
    /// The level each probe was judged at.
    pub level: f64,
    /// `⌈log2 m⌉` (at least 1).
    pub decisions: u32,
    pub reference: ReferenceSource,
    pub answer: Answer,
    pub contradictions: Vec<(usize, usize)>,
    pub probes: Vec<ProbeRecord>,
}

/// Prints the run as it goes (stdout), notes on stderr.
pub struct Printer {
    quiet: bool,
    /// `--json -`: stdout holds that document, the text goes to stderr.
    to_stderr: bool,
}

/// The subject column's width.
const SUBJECT: usize = 40;

impl Printer {
    pub fn new(quiet: bool, json: Option<&Path>) -> Printer {
        Printer {
            quiet,
            to_stderr: json.is_some_and(report::is_stdout),
        }
    }

    fn say(&self, text: &str) {
        if !self.quiet {
            self.out(text);
        }
    }

    fn out(&self, text: &str) {
        if self.to_stderr {
            report::eprint(text);
        } else {
            report::print(text);
        }
    }

    pub fn note(&self, text: &str) {
        eprintln!("note: {}", terminal::escape(text));
    }

    pub fn header(&self, range: &CommitRange, good: &str, bad: &str) {
        self.say(&format!(
            "pybench bisect — {}: the first-parent commits of GOOD {}..BAD {}\n",
            terminal::count(range.candidates.len(), "candidate"),
            label(good, &range.good),
            label(bad, &range.bad)
        ));
    }

    pub fn bench(&self, name: &str, level: Level, source: ReferenceSource, range: &CommitRange) {
        let m = range.candidates.len();
        let against = match source {
            ReferenceSource::Stored => "its stored scores, measured at GOOD",
            ReferenceSource::RunAtGood => "GOOD run once on the baseline's seeds",
        };
        self.say(&format!(
            "\n{}: each probe judged at alpha/⌈log2 {m}⌉ = {}/{} = {}, against {against}\n",
            terminal::bench_name(name),
            level_text(level.alpha),
            crate::bisection::decisions(m),
            level_text(level.probe_alpha.get()),
        ));
    }

    /// A probe's line, as soon as it finishes.
    pub fn probe(&self, record: &ProbeRecord) {
        self.say(&format!("  {}\n", probe_line(record)));
    }

    /// Once per benchmark, at its first judged probe: how this machine
    /// differs from the one GOOD's scores were measured on.
    pub fn environment(&self, record: &ProbeRecord) {
        let Some(result) = &record.result else {
            return;
        };
        if !result.env_differences.is_empty() {
            self.note(&format!(
                "{}: GOOD's scores were measured on another environment ({}); every probe shares the difference",
                record.bench,
                result.env_differences.join(", ")
            ));
        }
    }

    /// Print each answer with its evidence; `Err` when none names a commit.
    pub fn conclude(
        &self,
        range: &CommitRange,
        outcomes: &[Outcome],
        seconds: f64,
    ) -> Result<(), BisectError> {
        let mut out = String::from("\n");
        for outcome in outcomes {
            out.push_str(&answer_text(range, outcome));
            for &(fail, pass) in &outcome.contradictions {
                self.note(&format!(
                    "{}: not monotone: {} FAILs but the later {} PASSes; the answer is the boundary below the first FAIL",
                    outcome.bench, range.candidates[fail].short, range.candidates[pass].short
                ));
            }
        }
        let probes: usize = outcomes.iter().map(|o| o.probes.len()).sum();
        out.push_str(&format!(
            "{}\n{} in {seconds:.1}s\n",
            terminal::rule(),
            terminal::count(probes, "probe")
        ));
        self.out(&out);
        if outcomes.iter().any(|o| named(&o.answer)) {
            return Ok(());
        }
        let bad_unusable = outcomes.iter().find(|o| o.answer == Answer::BadUnusable);
        Err(match bad_unusable.and_then(|o| o.probes.first()) {
            Some(probe) => BisectError::BadUnusable {
                commit: range.bad.short.clone(),
                reason: probe.reason.clone().unwrap_or_default(),
            },
            None => BisectError::NoRegression {
                good: range.good.short.clone(),
                bad: range.bad.short.clone(),
            },
        })
    }
}

/// `abc1234`, or `abc1234 (v1.2)` when the user named it otherwise.
fn label(rev: &str, commit: &Commit) -> String {
    if commit.id.starts_with(rev) {
        commit.short.clone()
    } else {
        format!("{} ({})", commit.short, terminal::escape(rev))
    }
}

/// A level in 3 significant digits: `0.05`, `0.0125`, `0.0167`.
fn level_text(alpha: f64) -> String {
    let digits = (2 - alpha.log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{alpha:.digits$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// A p-value: 2 decimals, or 2 significant digits below 0.01.
fn p_value(p: f64) -> String {
    if p >= 0.01 || p == 0.0 {
        format!("{p:.2}")
    } else {
        format!("{p:.1e}")
    }
}

/// `abc1234  subject…  FAIL  Δ-5.2%  p=0.0002`, or `SKIP  why`.
fn probe_line(record: &ProbeRecord) -> String {
    format!(
        "{}  {:<SUBJECT$}  {}",
        record.commit.short,
        subject(&record.commit),
        evidence(record)
    )
}

fn subject(commit: &Commit) -> String {
    let text = terminal::escape(&commit.subject);
    if text.chars().count() <= SUBJECT {
        return text;
    }
    let mut cut: String = text.chars().take(SUBJECT - 1).collect();
    cut.push('…');
    cut
}

/// The verdict, the largest drop among the slots and the meta-p.
fn evidence(record: &ProbeRecord) -> String {
    let Some(result) = &record.result else {
        return format!(
            "SKIP  {}",
            terminal::escape(record.reason.as_deref().unwrap_or(""))
        );
    };
    let Some(cmp) = result.comparison() else {
        return verdict_word(record.verdict).to_string();
    };
    let worst = cmp
        .slots
        .iter()
        .map(|s| s.effect)
        .fold(f64::INFINITY, f64::min);
    let seeds = match result.sequential() {
        Some(seq) if seq.outcome.seeds_run < seq.planned_seeds => {
            format!(
                "  ({} of {} seeds)",
                seq.outcome.seeds_run, seq.planned_seeds
            )
        }
        _ => String::new(),
    };
    format!(
        "{}  Δ{:+.1}%  p={}{seeds}",
        verdict_word(record.verdict),
        worst * 100.0,
        p_value(result.meta_p().unwrap_or(cmp.meta_p))
    )
}

fn verdict_word(probe: Probe) -> &'static str {
    match probe {
        Probe::Pass => "PASS",
        Probe::Fail => "FAIL",
        Probe::Skip => "SKIP",
    }
}

/// One benchmark's answer, its evidence and its parent's, and the
/// sensitivity at the culprit.
fn answer_text(range: &CommitRange, outcome: &Outcome) -> String {
    let name = terminal::bench_name(&outcome.bench);
    let c = &range.candidates;
    let (first, last) = match outcome.answer {
        Answer::Culprit(i) => (i, i),
        Answer::Range { first, last } => (first, last),
        Answer::NoRegression => {
            let bad = probe_at(&outcome.probes, c.len() - 1);
            return format!(
                "{name}: no regression: BAD {} does not FAIL against GOOD {}{}\n{}",
                range.bad.short,
                range.good.short,
                bad.map_or(String::new(), |p| format!("  ({})", evidence(p))),
                bad.map_or(String::new(), sensitivity)
            );
        }
        Answer::BadUnusable | Answer::Open => {
            let why = outcome.probes.first().and_then(|p| p.reason.clone());
            return format!(
                "{name}: BAD {} cannot be judged: {}\n",
                range.bad.short,
                terminal::escape(why.as_deref().unwrap_or("unknown"))
            );
        }
    };
    let mut out = if first == last {
        format!(
            "{name}: first bad commit: {} {}\n",
            c[last].short,
            terminal::escape(&c[last].subject)
        )
    } else {
        let skipped: Vec<&ProbeRecord> = (first..last)
            .filter_map(|i| probe_at(&outcome.probes, i))
            .collect();
        format!(
            "{name}: the first bad commit is one of {}..{} ({})\n",
            c[first].short,
            c[last].short,
            skipped_text(&skipped)
        )
    };
    let culprit = probe_at(&outcome.probes, last);
    if let Some(probe) = culprit {
        out.push_str(&format!("  culprit {}\n", probe_line(probe)));
    }
    match first
        .checked_sub(1)
        .and_then(|i| probe_at(&outcome.probes, i))
    {
        Some(parent) => out.push_str(&format!("  parent  {}\n", probe_line(parent))),
        None => out.push_str(&format!(
            "  parent  {}  is GOOD, the reference\n",
            range.good.short
        )),
    }
    out.push_str(&culprit.map_or(String::new(), sensitivity));
    out
}

/// `c5, c6 did not build; c7 errored`: runs of one reason, in order.
fn skipped_text(skipped: &[&ProbeRecord]) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for probe in skipped {
        let word = skip_word(probe);
        match groups.last_mut() {
            Some((last, commits)) if *last == word => commits.push(&probe.commit.short),
            _ => groups.push((word, vec![&probe.commit.short])),
        }
    }
    groups
        .iter()
        .map(|(word, commits)| format!("{} {word}", commits.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn skip_word(probe: &ProbeRecord) -> String {
    match probe.reason.as_deref() {
        Some("did not build") => "did not build".into(),
        Some(why) if why.starts_with("no ") => "lacks the benchmark".into(),
        _ => "errored".into(),
    }
}

/// `  sensitivity: 30 seeds detect a drop of 2.1% …` for a judged probe,
/// and whether its observed drop is below that.
fn sensitivity(probe: &ProbeRecord) -> String {
    let Some(result) = &probe.result else {
        return String::new();
    };
    let Some(cmp) = result.comparison() else {
        return String::new();
    };
    let worst = cmp
        .slots
        .iter()
        .zip(&result.sensitivity)
        .min_by(|a, b| a.0.effect.total_cmp(&b.0.effect));
    let Some((slot, mde)) = worst else {
        return String::new();
    };
    let n = result.seeds.len();
    let mut out = format!(
        "  sensitivity: {n} seeds detect a drop of {:.1}% in {} with power 0.80 at alpha {}\n",
        mde.mde_rel * 100.0,
        terminal::escape(&slot.slot.metric),
        level_text(mde.alpha)
    );
    if -slot.effect < mde.mde_rel {
        out.push_str(&format!(
            "  the drop seen ({:.1}%) is below that: a change this small is not resolvable with {n} seeds\n",
            -slot.effect * 100.0
        ));
    }
    out
}

/// `--json FILE`: the range, and per benchmark its level, probes and answer.
pub fn write_json(path: &Path, range: &CommitRange, outcomes: &[Outcome]) -> Result<(), Error> {
    let document = json!({
        "schema_version": crate::report::json::SCHEMA_VERSION,
        "kind": "bisect",
        "pybench_version": env!("CARGO_PKG_VERSION"),
        "good": range.good,
        "bad": range.bad,
        "candidates": range.candidates.len(),
        "benchmarks": outcomes.iter().map(|o| outcome_json(range, o)).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    report::write_file(path, text.as_bytes())?;
    Ok(())
}

fn outcome_json(range: &CommitRange, outcome: &Outcome) -> Value {
    let c = &range.candidates;
    let answer = match outcome.answer {
        Answer::Culprit(i) => json!({"kind": "culprit", "first": c[i], "last": c[i]}),
        Answer::Range { first, last } => {
            json!({"kind": "range", "first": c[first], "last": c[last]})
        }
        Answer::NoRegression => json!({"kind": "no_regression"}),
        Answer::BadUnusable | Answer::Open => json!({"kind": "bad_unusable"}),
    };
    json!({
        "name": outcome.bench,
        "alpha": outcome.alpha,
        "probe_alpha": outcome.level,
        "decisions": outcome.decisions,
        "reference": outcome.reference,
        "answer": answer,
        "contradictions": outcome.contradictions.iter()
            .map(|&(f, p)| json!({"fail": c[f].id, "pass": c[p].id}))
            .collect::<Vec<_>>(),
        "probes": outcome.probes.iter().map(probe_json).collect::<Vec<_>>(),
    })
}

fn probe_json(probe: &ProbeRecord) -> Value {
    let cmp = probe.result.as_ref().and_then(|r| r.comparison());
    let worst = cmp.map(|c| {
        c.slots
            .iter()
            .map(|s| s.effect)
            .fold(f64::INFINITY, f64::min)
    });
    let mde = probe.result.as_ref().and_then(|r| {
        r.sensitivity
            .iter()
            .map(|m| m.mde_rel)
            .fold(None, |acc: Option<f64>, x| {
                Some(acc.map_or(x, |a| a.min(x)))
            })
    });
    json!({
        "commit": probe.commit,
        "verdict": probe.verdict,
        "reason": probe.reason,
        "meta_p": probe.result.as_ref().and_then(BenchResult::meta_p),
        "largest_drop": worst.filter(|w| w.is_finite()),
        "n_seeds": probe.result.as_ref().map(|r| r.seeds.len()),
        "mde_rel": mde,
    })
}
