//! The baseline file as it lies on disk, line by line: each line's exact
//! text and ending, blank lines, a leading byte-order mark. A rewrite
//! changes only the lines of the benchmarks it writes, so "every other line
//! byte for byte" holds literally — CRLF endings, hand spacing and blank
//! lines included.

/// How one line ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Lf,
    CrLf,
    /// The last line of a file without a final newline.
    None,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::Lf => "\n",
            Ending::CrLf => "\r\n",
            Ending::None => "",
        }
    }
}

/// One line: its text without the ending, and the benchmark it holds
/// (`None` for a blank line).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub text: String,
    pub ending: Ending,
    pub bench: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// The file starts with a UTF-8 byte-order mark (some Windows editors
    /// add one); it is kept on rewrite.
    pub bom: bool,
    pub lines: Vec<Line>,
}

const BOM: char = '\u{feff}';

impl Layout {
    /// Split `text` into lines with their endings (the BOM is stripped and
    /// remembered). Benchmarks are filled in by the caller.
    pub fn split(text: &str) -> Layout {
        let (bom, text) = match text.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let lines = text
            .split_inclusive('\n')
            .map(|line| {
                let (text, ending) = if let Some(t) = line.strip_suffix("\r\n") {
                    (t, Ending::CrLf)
                } else if let Some(t) = line.strip_suffix('\n') {
                    (t, Ending::Lf)
                } else {
                    (line, Ending::None)
                };
                Line {
                    text: text.to_string(),
                    ending,
                    bench: None,
                }
            })
            .collect();
        Layout { bom, lines }
    }

    /// The text of `bench`'s line, without its ending.
    pub fn text_of(&self, bench: &str) -> Option<&str> {
        self.position(bench).map(|i| self.lines[i].text.as_str())
    }

    fn position(&self, bench: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| l.bench.as_deref() == Some(bench))
    }

    /// Put `text` as `bench`'s line: in place of its line, keeping that
    /// line's ending, or else as a new line in name order.
    pub fn put(&mut self, bench: &str, text: String) {
        if let Some(i) = self.position(bench) {
            self.lines[i].text = text;
            return;
        }
        let ending = self.dominant_ending();
        // Before the first benchmark that sorts after it; else right after
        // the last benchmark, so trailing blank lines stay trailing.
        let at = self
            .lines
            .iter()
            .position(|l| l.bench.as_deref().is_some_and(|b| b > bench))
            .or_else(|| {
                self.lines
                    .iter()
                    .rposition(|l| l.bench.is_some())
                    .map(|i| i + 1)
            })
            .unwrap_or(self.lines.len());
        // A line cannot follow one without an ending: that line gets one.
        if let Some(before) = at.checked_sub(1).map(|i| &mut self.lines[i])
            && before.ending == Ending::None
        {
            before.ending = ending;
        }
        self.lines.insert(
            at,
            Line {
                text,
                ending,
                bench: Some(bench.to_string()),
            },
        );
    }

    /// Remove `bench`'s line, if it has one; every other line stays.
    pub fn remove(&mut self, bench: &str) {
        if let Some(i) = self.position(bench) {
            self.lines.remove(i);
        }
    }

    /// The ending most lines have (CRLF only when it outnumbers LF), for a
    /// new line.
    fn dominant_ending(&self) -> Ending {
        let crlf = self
            .lines
            .iter()
            .filter(|l| l.ending == Ending::CrLf)
            .count();
        let lf = self.lines.iter().filter(|l| l.ending == Ending::Lf).count();
        if crlf > lf { Ending::CrLf } else { Ending::Lf }
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        if self.bom {
            out.push(BOM);
        }
        for line in &self.lines {
            out.push_str(&line.text);
            out.push_str(line.ending.as_str());
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layout of `text` whose non-blank lines hold the benchmark named by
    /// their first word.
    fn layout(text: &str) -> Layout {
        let mut layout = Layout::split(text);
        for line in &mut layout.lines {
            line.bench = line.text.split_whitespace().next().map(str::to_string);
        }
        layout
    }

    fn put(text: &str, bench: &str, line: &str) -> String {
        let mut layout = layout(text);
        layout.put(bench, line.to_string());
        String::from_utf8(layout.to_bytes()).unwrap()
    }

    #[test]
    fn split_and_join_are_byte_identical() {
        for text in ["", "a\n", "a\r\nb\n\n  \r\nc", "\u{feff}a 1\r\n", "\n\n"] {
            assert_eq!(layout(text).to_bytes(), text.as_bytes(), "{text:?}");
        }
        assert!(layout("\u{feff}a\n").bom);
    }

    #[test]
    fn replaced_line_keeps_its_ending_and_others_stay() {
        assert_eq!(
            put("a 1\r\nb 1\n\nc 1\r\n", "b", "b 2"),
            "a 1\r\nb 2\n\nc 1\r\n"
        );
        assert_eq!(put("a 1\nb 1", "b", "b 2"), "a 1\nb 2");
    }

    #[test]
    fn a_removed_line_leaves_the_others_byte_for_byte() {
        let mut l = layout("\u{feff}a 1\r\n\nb 1\nc 1");
        l.remove("b");
        l.remove("z");
        assert_eq!(l.to_bytes(), "\u{feff}a 1\r\n\nc 1".as_bytes());
    }

    #[test]
    fn new_line_goes_in_name_order_with_the_files_ending() {
        assert_eq!(
            put("a 1\r\n\r\nc 1\r\n", "b", "b 2"),
            "a 1\r\n\r\nb 2\r\nc 1\r\n"
        );
        assert_eq!(put("b 1\n", "a", "a 2"), "a 2\nb 1\n");
        assert_eq!(put("a 1\n\n", "b", "b 2"), "a 1\nb 2\n\n");
        assert_eq!(put("a 1", "b", "b 2"), "a 1\nb 2\n");
        assert_eq!(put("", "b", "b 2"), "b 2\n");
        assert_eq!(put("\u{feff}a 1\n", "b", "b 2"), "\u{feff}a 1\nb 2\n");
    }
}
