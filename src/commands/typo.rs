//! Typos on the command line. A misspelt subcommand is read as a PATH
//! (`pybench updte`: "path does not exist") or makes clap suggest an
//! unrelated flag (`pybench shw --history`: "--list"); a check's flag
//! given to a subcommand (`pybench update --adaptive`) gets clap's tip
//! about passing it as a value. Each gets one line saying what was meant.

use std::ffi::OsString;
use std::path::Path;

use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::cli::Cli;
use crate::exit;
use crate::report::terminal::escape;

/// The Levenshtein distance between `a` and `b`, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The subcommand `word` is a typo of (edit distance at most 2, the
/// closest), unless `word` names a path that exists or looks like one.
pub fn subcommand_like(word: &str) -> Option<String> {
    if word.starts_with('-') || word.contains(['/', '\\', '.']) || Path::new(word).exists() {
        return None;
    }
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| name != word)
        .map(|name| (distance(word, &name), name))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// The word where a subcommand goes: the first argument.
fn first_word(args: &[OsString]) -> Option<&str> {
    args.get(1).and_then(|a| a.to_str())
}

/// For a bare check whose first PATH does not exist but reads as a
/// misspelt subcommand: the error line that says so.
pub fn path_typo(cli: &Cli, args: &[OsString]) -> Option<String> {
    let word = first_word(args)?;
    let first_path = cli.check.run.search.paths.first()?;
    if cli.command.is_some() || first_path.as_os_str() != word {
        return None;
    }
    let name = subcommand_like(word)?;
    Some(format!(
        "error: path does not exist: {} (hint: did you mean `pybench {name}`?)",
        escape(word)
    ))
}

/// Print clap's `error`, or a line that names the likely mistake; the
/// result is the exit code.
pub fn usage_error(error: &clap::Error, args: &[OsString]) -> i32 {
    let line = match error.kind() {
        ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand => hint_line(error, args),
        _ => None,
    };
    match line {
        Some(line) => {
            eprintln!("{line}");
            exit::ERROR
        }
        None => {
            let _ = error.print();
            error.exit_code()
        }
    }
}

fn hint_line(error: &clap::Error, args: &[OsString]) -> Option<String> {
    let word = first_word(args)?;
    if let Some(name) = subcommand_like(word) {
        return Some(format!(
            "error: unrecognized subcommand `{}` (hint: did you mean `pybench {name}`?)",
            escape(word)
        ));
    }
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = arg.split('=').next().unwrap_or(arg);
    let command = Cli::command();
    let subcommand = command.get_subcommands().find(|c| c.get_name() == word)?;
    let long = flag.strip_prefix("--")?;
    let takes = |c: &clap::Command| c.get_arguments().any(|a| a.get_long() == Some(long));
    let mut takers = Vec::new();
    if takes(&command) {
        takers.push("checks (`pybench`)".to_string());
    }
    takers.extend(
        command
            .get_subcommands()
            .filter(|c| takes(c))
            .map(|c| format!("`pybench {}`", c.get_name())),
    );
    let sub = subcommand.get_name();
    let takers = match takers.split_last() {
        None => return None,
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    };
    Some(format!(
        "error: '{flag}' applies to {takers}, not to `pybench {sub}` \
         (hint: `pybench {sub} --help` lists what it takes)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_swaps() {
        assert_eq!(distance("updte", "update"), 1);
        assert_eq!(distance("shw", "show"), 1);
        assert_eq!(distance("merge", "merge"), 0);
        assert_eq!(distance("", "show"), 4);
        assert_eq!(distance("compair", "compare"), 2);
    }

    #[test]
    fn only_near_words_suggest_a_subcommand() {
        assert_eq!(subcommand_like("updte").as_deref(), Some("update"));
        assert_eq!(subcommand_like("shw").as_deref(), Some("show"));
        assert_eq!(subcommand_like("benchmarks"), None);
        assert_eq!(subcommand_like("./updte"), None);
        assert_eq!(subcommand_like("update"), None);
    }
}
