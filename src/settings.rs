//! A benchmark's effective settings: CLI flags over its declared settings
//! over the defaults.

use crate::library::DeclaredSettings;

pub const DEFAULT_N_SEEDS: usize = 30;
pub const DEFAULT_ALPHA: f64 = 0.05;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub n_seeds: usize,
    pub alpha: f64,
    pub min_effect: Option<f64>,
    pub workers: usize,
    /// Seconds one seed may take (worker processes only).
    pub timeout: Option<f64>,
}

/// Values given on the command line; `None` defers to the benchmark.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub n_seeds: Option<usize>,
    pub alpha: Option<f64>,
    pub min_effect: Option<f64>,
    pub workers: Option<usize>,
    pub timeout: Option<f64>,
}

impl Settings {
    /// Merge, then check the declared values (the flags are checked by clap).
    pub fn resolve(declared: &DeclaredSettings, flags: &Overrides) -> Result<Settings, String> {
        let settings = Settings {
            n_seeds: flags
                .n_seeds
                .or(declared.n_seeds)
                .unwrap_or(DEFAULT_N_SEEDS),
            alpha: flags.alpha.or(declared.alpha).unwrap_or(DEFAULT_ALPHA),
            min_effect: flags.min_effect.or(declared.min_effect),
            workers: flags
                .workers
                .or(declared.workers)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
            timeout: flags.timeout.or(declared.timeout),
        };
        if settings.n_seeds < 2 {
            return Err(format!(
                "n_seeds={} is too few: at least 2 are needed",
                settings.n_seeds
            ));
        }
        if !(settings.alpha > 0.0 && settings.alpha < 1.0) {
            return Err(format!("alpha={} must be between 0 and 1", settings.alpha));
        }
        if let Some(effect) = settings.min_effect
            && !(effect.is_finite() && effect >= 0.0)
        {
            return Err(format!("min_effect={effect} must be a fraction ≥ 0"));
        }
        if let Some(timeout) = settings.timeout
            && !(timeout.is_finite() && timeout > 0.0)
        {
            return Err(format!(
                "timeout={timeout} must be a positive number of seconds"
            ));
        }
        if settings.workers == 0 {
            return Err("workers=0: at least one worker is needed".into());
        }
        Ok(settings)
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
            alpha: Some(0.1),
            workers: Some(3),
            ..Default::default()
        };
        let s = Settings::resolve(&declared, &flags).unwrap();
        assert_eq!(
            (s.n_seeds, s.alpha, s.min_effect, s.workers),
            (50, 0.1, None, 3)
        );
        let s = Settings::resolve(&DeclaredSettings::default(), &Overrides::default()).unwrap();
        assert_eq!((s.n_seeds, s.alpha), (DEFAULT_N_SEEDS, DEFAULT_ALPHA));
    }

    #[test]
    fn bad_declared_values_are_errors() {
        let bad = |d: DeclaredSettings| Settings::resolve(&d, &Overrides::default()).unwrap_err();
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
