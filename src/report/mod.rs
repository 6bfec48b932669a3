//! What a run shows and writes: the terminal lines ([`terminal`]) and the
//! exporters — JSON, JUnit XML, the GitHub Actions summary and annotations,
//! Bencher Metric Format and SVG plots — in hyperfine's shape: each output
//! is an [`Exporter`]; the [`ExportManager`] checks every target before the
//! run and writes them all after it. The report layer sees only the result
//! model (`crate::result`), never the command line.

pub mod bmf;
mod columns;
pub mod compare;
mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod number;
pub mod plot;
pub mod progress;
pub mod shared_error;
pub mod slot_table;
pub mod style;
pub mod terminal;
pub mod xml;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::result::{BenchResult, RunFamily};
use crate::store::atomic::{self, WriteError};

pub use json::Provenance;

/// A finished run, as the exporters see it.
pub struct RunReport<'a> {
    pub results: &'a [BenchResult],
    pub seconds: f64,
    pub provenance: &'a Provenance,
    /// The run-level correction, when one applied.
    pub family: Option<&'a RunFamily>,
}

/// One output of a run.
pub trait Exporter {
    /// Check, before anything runs, that the target can be written.
    fn open(&mut self) -> Result<(), WriteError>;
    /// Write the finished run.
    fn write(&mut self, run: &RunReport) -> Result<(), WriteError>;
}

/// Renders a finished run as one file's text.
pub type Render = fn(&RunReport) -> String;

/// An output that is one file rendered from the run: `--json`, `--junit`,
/// `--bmf`.
pub struct FileExporter {
    path: PathBuf,
    render: Render,
}

impl Exporter for FileExporter {
    fn open(&mut self) -> Result<(), WriteError> {
        probe_file(&self.path)
    }

    fn write(&mut self, run: &RunReport) -> Result<(), WriteError> {
        write_file(&self.path, (self.render)(run).as_bytes())
    }
}

/// The report path that means standard output: `--json -`.
pub const STDOUT: &str = "-";

/// Whether `path` names standard output rather than a file.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == STDOUT
}

/// Where a run's reports go (the `--json`, `--junit`, `--bmf`, `--plot`
/// flags) and whether to talk to GitHub Actions.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub bmf: Option<PathBuf>,
    pub plot: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY` and `GITHUB_ACTIONS=true` are honoured.
    pub github: bool,
}

impl Targets {
    /// The flags of the file reports that go to stdout (`-`). Stdout then
    /// holds that one document, so there may be at most one, and the text
    /// report goes to stderr.
    pub fn on_stdout(&self) -> Vec<&'static str> {
        [
            ("--json", &self.json),
            ("--junit", &self.junit),
            ("--bmf", &self.bmf),
        ]
        .into_iter()
        .filter(|(_, path)| path.as_deref().is_some_and(is_stdout))
        .map(|(flag, _)| flag)
        .collect()
    }
}

/// Every exporter of a run.
pub struct ExportManager {
    exporters: Vec<Box<dyn Exporter>>,
}

impl ExportManager {
    /// The exporters `targets` ask for, with their paths made absolute now,
    /// so that nothing a benchmark does (a `chdir` in `--in-process`) moves
    /// where they are written.
    pub fn new(targets: &Targets) -> ExportManager {
        let mut exporters: Vec<Box<dyn Exporter>> = Vec::new();
        let files: [(&Option<PathBuf>, Render); 3] = [
            (&targets.json, json::render),
            (&targets.junit, |run| {
                junit::render(run.results, run.seconds)
            }),
            (&targets.bmf, |run| bmf::render(run.results)),
        ];
        for (path, render) in files {
            if let Some(path) = path {
                exporters.push(Box::new(FileExporter {
                    path: if is_stdout(path) {
                        path.clone()
                    } else {
                        absolute(path)
                    },
                    render,
                }));
            }
        }
        if let Some(dir) = &targets.plot {
            exporters.push(Box::new(plot::PlotExporter::new(absolute(dir))));
        }
        if targets.github {
            let to_stderr = !targets.on_stdout().is_empty();
            exporters.push(Box::new(github::GithubExporter::from_env(to_stderr)));
        }
        ExportManager { exporters }
    }

    /// Check every target; the first that cannot be written is the error.
    pub fn open_all(&mut self) -> Result<(), WriteError> {
        self.exporters.iter_mut().try_for_each(|e| e.open())
    }

    /// Write every target; each failure is returned, and the others are
    /// still written.
    pub fn write_all(&mut self, run: &RunReport) -> Vec<WriteError> {
        self.exporters
            .iter_mut()
            .filter_map(|e| e.write(run).err())
            .collect()
    }
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Check that a report file can be created or replaced at `path` (its
/// directory is created), without touching an existing file. Stdout
/// (`-`) always can.
pub fn probe_file(path: &Path) -> Result<(), WriteError> {
    if is_stdout(path) {
        return Ok(());
    }
    let error = |source| WriteError::new(path, source);
    if path.is_dir() {
        return Err(error(std::io::Error::other("it is a directory")));
    }
    let dir = atomic::parent_dir(path);
    std::fs::create_dir_all(dir).map_err(error)?;
    tempfile::Builder::new()
        .prefix(".pybench-probe.")
        .tempfile_in(dir)
        .map(drop)
        .map_err(error)
}

/// Replace `path` with `bytes` atomically, creating its directory; `-`
/// writes them to stdout.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    if is_stdout(path) {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| WriteError::new(path, e));
    }
    atomic::write(path, "report", bytes).map_err(|e| WriteError::new(path, e))
}

/// Print to stderr: the text report of a run whose stdout holds a
/// `-` report.
pub fn eprint(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Print to stdout. A closed stdout (`pybench | head`) must not abort the
/// run or its writes, so errors are ignored.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
