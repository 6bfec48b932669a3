//! A benchmark's effective settings: CLI flags over its declared settings
//! over the defaults, and the one validator of each setting, shared by the
//! command line, the companion's JSON, shard files and `compare`.

use serde::Deserialize;

pub mod inputs;
pub use inputs::InputSpecError;

pub const DEFAULT_N_SEEDS: usize = 30;
pub const DEFAULT_ALPHA: f64 = 0.05;

/// The most seeds a run may have: far beyond any paired test's need, and
/// small enough that every per-seed table fits in memory.
pub const MAX_N_SEEDS: usize = 100_000;
/// The most seeds run at once (a run never uses more than it has seeds).
pub const MAX_WORKERS: usize = 1024;
/// The longest a seed may take: a week, in seconds.
pub const MAX_TIMEOUT: f64 = 7.0 * 24.0 * 3600.0;

/// Why a setting is unusable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("n_seeds={0} is too few: at least 2 are needed")]
    TooFewSeeds(usize),
    #[error("n_seeds={0} is too many: at most {MAX_N_SEEDS} are allowed")]
    TooManySeeds(usize),
    #[error("workers={0} is too many: at most {MAX_WORKERS} are allowed")]
    TooManyWorkers(usize),
    #[error("alpha={} must be between 0 and 1", compact(*.0))]
    Alpha(f64),
    #[error("min_effect={} must be a fraction ≥ 0", compact(*.0))]
    MinEffect(f64),
    /// `show --sensitivity --effect`: a drop to detect.
    #[error("--effect={} must be a fraction between 0 and 1", compact(*.0))]
    Effect(f64),
    #[error(
        "timeout={} must be a positive number of seconds, at most {MAX_TIMEOUT} (a week)",
        compact(*.0)
    )]
    Timeout(f64),
    #[error("workers=0: at least one worker is needed")]
    NoWorkers,
    #[error("its pybench_meta companion returned a null pointer")]
    NullCompanion,
    #[error("its settings are not UTF-8")]
    NotUtf8,
    /// The cause first: a long text is cut, its reason never is.
    #[error("invalid settings: {reason}, in {}", excerpt(text))]
    Json { text: String, reason: String },
    #[error("looks {looks:?}: {reason}")]
    Looks { looks: Vec<usize>, reason: String },
    #[error("unknown ABI version {found} (this pybench speaks version {supported})")]
    UnknownAbi { found: u32, supported: u32 },
    #[error("settings {0:?} lack the \"abi\" version")]
    NoAbi(String),
    #[error("inputs: {0}")]
    Inputs(#[from] InputSpecError),
    /// Its library could not be loaded or described (a describe worker
    /// exited, crashed or timed out): the whole message.
    #[error("{0}")]
    LibraryFailed(String),
}

/// A setting's value in few characters: `0.05` and `604800` as they are,
/// but `1e-300` and `1e300` rather than the hundreds of digits that `{}`
/// writes for them.
pub fn compact(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && magnitude.is_finite() && !(1e-4..1e9).contains(&magnitude) {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

/// How many characters of a companion's text an error quotes.
const EXCERPT_CHARS: usize = 120;

/// `text` quoted, cut after [`EXCERPT_CHARS`] characters.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{:?}… ({} more bytes)", &text[..at], text.len() - at),
        None => format!("{text:?}"),
    }
}

/// Declared looks must be seed counts a sequential plan can use: at least
/// one, the first at least 2, strictly increasing, the last all `n_seeds`.
fn looks(looks: &[usize], n_seeds: usize) -> Result<(), SettingsError> {
    let bad = |reason: String| {
        Err(SettingsError::Looks {
            looks: looks.to_vec(),
            reason,
        })
    };
    match (looks.first(), looks.last()) {
        (None, _) | (_, None) => bad("at least one look is needed".into()),
        (Some(&first), _) if first < 2 => bad(format!(
            "the first look has {first} seed{}: at least 2 are needed",
            if first == 1 { "" } else { "s" }
        )),
        _ if looks.windows(2).any(|w| w[0] >= w[1]) => {
            bad("they must be strictly increasing".into())
        }
        (_, Some(&last)) if last != n_seeds => bad(format!(
            "the last look has {last} seeds but n_seeds is {n_seeds}"
        )),
        _ => Ok(()),
    }
}

/// A significance level in (0, 1). [`Alpha::new`] is its one validator:
/// the flag, a benchmark's declaration, and every file that records one (a
/// baseline, a shard file, a `--json` report read by `compare`) make it
/// there — serde reads one as a checked number — so code that holds an
/// `Alpha` never checks it again.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, serde::Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Alpha(f64);

impl Alpha {
    /// The level when neither a flag nor the benchmark sets one.
    pub const DEFAULT: Alpha = Alpha(DEFAULT_ALPHA);

    /// `value` as a level, if it is in (0, 1).
    pub fn new(value: f64) -> Result<Alpha, SettingsError> {
        if value > 0.0 && value < 1.0 {
            Ok(Alpha(value))
        } else {
            Err(SettingsError::Alpha(value))
        }
    }

    /// A share of this level, one of `parts` (at least 1): still a level.
    pub fn divided(self, parts: u32) -> Alpha {
        Alpha(self.0 / f64::from(parts.max(1)))
    }

    /// The level as a number, for the statistics.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Alpha {
    type Error = SettingsError;

    fn try_from(value: f64) -> Result<Alpha, SettingsError> {
        Alpha::new(value)
    }
}

impl From<Alpha> for f64 {
    fn from(alpha: Alpha) -> f64 {
        alpha.0
    }
}

/// A minimum relative effect: finite and ≥ 0.
pub fn min_effect(value: f64) -> Result<f64, SettingsError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(SettingsError::MinEffect(value))
    }
}

/// An optional min_effect as serde reads one from a file (a baseline, a
/// shard file, a report): checked by [`min_effect`] as it is read.
pub fn read_min_effect<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(deserializer)?
        .map(min_effect)
        .transpose()
        .map_err(serde::de::Error::custom)
}

/// Seconds one seed may take: > 0 and at most a week.
pub fn timeout(value: f64) -> Result<f64, SettingsError> {
    if value > 0.0 && value <= MAX_TIMEOUT {
        Ok(value)
    } else {
        Err(SettingsError::Timeout(value))
    }
}

/// Seeds per run: from 2 to [`MAX_N_SEEDS`].
pub fn n_seeds(value: usize) -> Result<usize, SettingsError> {
    match value {
        0 | 1 => Err(SettingsError::TooFewSeeds(value)),
        v if v > MAX_N_SEEDS => Err(SettingsError::TooManySeeds(value)),
        v => Ok(v),
    }
}

/// Seeds run at once: from 1 to [`MAX_WORKERS`].
pub fn workers(value: usize) -> Result<usize, SettingsError> {
    match value {
        0 => Err(SettingsError::NoWorkers),
        v if v > MAX_WORKERS => Err(SettingsError::TooManyWorkers(value)),
        v => Ok(v),
    }
}

/// Parse a number from the command line, then check it with `check`.
pub fn parse_with<T: std::str::FromStr, U>(
    text: &str,
    check: impl Fn(T) -> Result<U, SettingsError>,
) -> Result<U, SettingsError> {
    let value = text
        .trim()
        .parse::<T>()
        .map_err(|_| SettingsError::NotANumber(text.to_string()))?;
    check(value)
}

/// What a run does with baselines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Compare with stored baselines; NEW benchmarks get one.
    Check,
    /// Fresh seeds, and every selected baseline rewritten.
    Update,
}

impl std::fmt::Display for RunMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunMode::Check => "check",
            RunMode::Update => "update",
        })
    }
}

/// Settings a benchmark declares in its `pybench_meta_*` companion.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredSettings {
    pub abi: Option<u32>,
    pub n_seeds: Option<usize>,
    pub alpha: Option<f64>,
    pub min_effect: Option<f64>,
    pub workers: Option<usize>,
    pub timeout: Option<f64>,
    /// Judge a check in looks and stop when the verdict is clear.
    pub adaptive: Option<bool>,
    /// The seeds judged at each look, e.g. `[10, 20, 30]`.
    pub looks: Option<Vec<usize>>,
    /// The data it reads: paths, directories or globs, pinned by hash.
    pub inputs: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub n_seeds: usize,
    pub alpha: Alpha,
    pub min_effect: Option<f64>,
    pub workers: usize,
    /// Seconds one seed may take (worker processes only).
    pub timeout: Option<f64>,
    /// A check against a stored baseline runs its seeds in looks.
    pub adaptive: bool,
    /// The looks (seeds judged at each), or the default ⅓, ⅔, all.
    pub looks: Option<Vec<usize>>,
    /// The project's inputs, then the benchmark's own (see [`inputs`]).
    pub inputs: Vec<String>,
}

/// Values given on the command line; `None` defers to the benchmark.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub n_seeds: Option<usize>,
    pub alpha: Option<Alpha>,
    pub min_effect: Option<f64>,
    pub workers: Option<usize>,
    pub timeout: Option<f64>,
    /// `--adaptive`.
    pub adaptive: Option<bool>,
    /// The project's inputs (its config), which every benchmark reads
    /// besides its own: unlike a flag, they add to what it declares.
    pub project_inputs: Vec<String>,
}

impl Settings {
    /// Merge, then check the declared values (the flags are checked by clap).
    pub fn resolve(
        declared: &DeclaredSettings,
        flags: &Overrides,
    ) -> Result<Settings, SettingsError> {
        let alpha = flags.alpha.map(Alpha::get).or(declared.alpha);
        let settings = Settings {
            n_seeds: flags
                .n_seeds
                .or(declared.n_seeds)
                .unwrap_or(DEFAULT_N_SEEDS),
            alpha: Alpha::DEFAULT,
            min_effect: flags.min_effect.or(declared.min_effect),
            workers: flags.workers.or(declared.workers).unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, |n| usize::from(n).min(MAX_WORKERS))
            }),
            timeout: flags.timeout.or(declared.timeout),
            adaptive: flags.adaptive.or(declared.adaptive).unwrap_or(false),
            looks: declared.looks.clone(),
            inputs: flags
                .project_inputs
                .iter()
                .chain(declared.inputs.iter().flatten())
                .fold(Vec::new(), |mut all, input| {
                    if !all.contains(input) {
                        all.push(input.clone());
                    }
                    all
                }),
        };
        inputs::validate(declared.inputs.as_deref().unwrap_or_default())?;
        n_seeds(settings.n_seeds)?;
        let alpha = alpha.map(Alpha::new).transpose()?.unwrap_or(Alpha::DEFAULT);
        settings.min_effect.map(min_effect).transpose()?;
        settings.timeout.map(timeout).transpose()?;
        workers(settings.workers)?;
        if let Some(declared_looks) = &declared.looks {
            looks(declared_looks, declared.n_seeds.unwrap_or(DEFAULT_N_SEEDS))?;
        }
        Ok(Settings { alpha, ..settings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_declared_over_defaults() {
        let declared = DeclaredSettings {
            n_seeds: Some(50),
            alpha: Some(0.01),
            ..Default::default()
        };
        let flags = Overrides {
            alpha: Some(Alpha::new(0.1).unwrap()),
            workers: Some(3),
            ..Default::default()
        };
        let s = Settings::resolve(&declared, &flags).unwrap();
        assert_eq!(
            (s.n_seeds, s.alpha.get(), s.min_effect, s.workers),
            (50, 0.1, None, 3)
        );
        let s = Settings::resolve(&DeclaredSettings::default(), &Overrides::default()).unwrap();
        assert_eq!((s.n_seeds, s.alpha), (DEFAULT_N_SEEDS, Alpha::DEFAULT));
    }

    #[test]
    fn compact_numbers_have_no_runs_of_zeros() {
        assert_eq!(compact(0.05), "0.05");
        assert_eq!(compact(604800.0), "604800");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(1e-300), "1e-300");
        assert_eq!(compact(1e300), "1e300");
        assert_eq!(compact(-2.5e20), "-2.5e20");
        assert_eq!(
            SettingsError::Timeout(1e300).to_string(),
            "timeout=1e300 must be a positive number of seconds, at most 604800 (a week)"
        );
    }

    #[test]
    fn bad_declared_values_are_errors() {
        let bad = |d: DeclaredSettings| {
            Settings::resolve(&d, &Overrides::default())
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad(DeclaredSettings {
                alpha: Some(1.5),
                ..Default::default()
            })
            .contains("alpha=1.5")
        );
        assert!(
            bad(DeclaredSettings {
                n_seeds: Some(1),
                ..Default::default()
            })
            .contains("n_seeds=1")
        );
        assert!(
            bad(DeclaredSettings {
                workers: Some(0),
                ..Default::default()
            })
            .contains("workers=0")
        );
        assert!(
            bad(DeclaredSettings {
                min_effect: Some(-0.1),
                ..Default::default()
            })
            .contains("min_effect")
        );
    }
}
