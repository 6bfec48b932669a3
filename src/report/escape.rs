//! Text that came from a benchmark, made safe to print: control characters
//! escaped, names quoted when they are not a benchmark's, long texts cut.

use std::fmt::Write as _;

/// A benchmark's name as a line may start with it: escaped, and quoted in
/// backticks unless it is a benchmark's (`bench_…`), as a name from a
/// hand-edited baseline file or report may not be — so that it cannot start
/// a line with `::error::`.
pub fn bench_name(name: &str) -> String {
    let name = escape(name);
    if name.starts_with("bench_") {
        name
    } else {
        format!("`{name}`")
    }
}

/// The most characters of one text from a benchmark that a line shows; the
/// full text stays in `--json`.
pub const SHOWN_CHARS: usize = 500;

/// Text that came from a benchmark (an error, a metric or benchmark name,
/// its output), made inert: every control character — C0 with newline and
/// carriage return, DEL, C1, and so ESC — becomes a visible escape such as
/// `\n` or `\x1b`. Such text then cannot start a line of its own (a fake
/// summary line, or a `::error::` that GitHub Actions would run as a
/// workflow command) nor drive the terminal (colours, OSC titles).
pub fn escape(text: &str) -> String {
    cut(text, usize::MAX).0
}

/// [`escape`]d and cut after [`SHOWN_CHARS`] characters, saying how much
/// was left out: a 2 MB message must not flood the terminal.
pub fn shown(text: &str) -> String {
    let (mut out, left) = cut(text, SHOWN_CHARS);
    if left > 0 {
        let _ = write!(out, "… ({left} more bytes; the full text is in --json)");
    }
    out
}

/// `text` escaped up to about `limit` characters, and how many of its
/// bytes were left out.
pub(super) fn cut(text: &str, limit: usize) -> (String, usize) {
    let mut out = String::new();
    let mut count = 0;
    for (index, c) in text.char_indices() {
        if count >= limit {
            return (out, text.len() - index);
        }
        let before = out.len();
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            '\u{80}'..='\u{9f}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
        count += out[before..].chars().count();
    }
    (out, 0)
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(
            escape("a\n::error::x\r\u{1b}]0;t\u{7}\u{7f}\u{9b}\tb"),
            "a\\n::error::x\\r\\x1b]0;t\\x07\\x7f\\u{9b}\\tb"
        );
        assert_eq!(escape("plain ✓ text"), "plain ✓ text");
        assert_eq!(bench_name("bench_x\n"), "bench_x\\n");
        assert_eq!(bench_name("::error::x"), "`::error::x`");
    }

    #[test]
    fn long_texts_are_cut_with_a_note() {
        let text = "é".repeat(600);
        let out = shown(&text);
        assert!(out.starts_with(&"é".repeat(SHOWN_CHARS)), "{out}");
        assert!(
            out.ends_with("… (200 more bytes; the full text is in --json)"),
            "{out}"
        );
        assert_eq!(shown("short"), "short");
    }
}
