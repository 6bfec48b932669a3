//! The columns of a run's rows: names padded to one width, and counts
//! in the singular when there is one.

use super::escape::bench_name;

/// The width one run pads its names to: 18 columns, as the reference
/// does, or one more than the longest name of the run, so that every
/// row's dots and status line up. Made by the command that knows the run's
/// names, and handed to whatever prints its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameColumn(usize);

/// The widest the name column grows: a longer name overflows its own row
/// only, so that one long name does not widen every row.
pub const MAX_NAME_WIDTH: usize = 60;

/// The most characters of a name a row shows; a longer one is cut with an
/// ellipsis (the whole name is in `--json`). A library's path fits.
pub const MAX_NAME_CHARS: usize = 200;

impl Default for NameColumn {
    fn default() -> NameColumn {
        NameColumn(18)
    }
}

impl NameColumn {
    /// The column that fits the longest of `names`, at most
    /// [`MAX_NAME_WIDTH`].
    pub fn fitting<'a>(names: impl IntoIterator<Item = &'a str>) -> NameColumn {
        let longest = names
            .into_iter()
            .map(|n| bench_name(n).chars().count() + 1)
            .max()
            .unwrap_or(0);
        NameColumn(longest.clamp(NameColumn::default().0, MAX_NAME_WIDTH))
    }

    /// `name` (escaped, cut after [`MAX_NAME_CHARS`]) padded to the
    /// column; never without a space after it.
    pub fn pad(self, name: &str) -> String {
        let mut name = bench_name(name);
        if name.chars().count() > MAX_NAME_CHARS {
            let at = name
                .char_indices()
                .nth(MAX_NAME_CHARS - 1)
                .map_or(0, |(at, _)| at);
            name.truncate(at);
            name.push('…');
        }
        let pad = self.0.saturating_sub(name.chars().count()).max(1);
        format!("{name}{}", " ".repeat(pad))
    }
}

/// `n thing` or `n things`.
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
