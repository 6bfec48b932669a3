//! What XML 1.0 can hold. A benchmark or metric name may carry any
//! character, but an XML file (a JUnit report, an SVG plot) holding a
//! control character like ESC or BEL is not XML at all: browsers and CI
//! test tabs refuse the whole file. Such characters become U+FFFD.

/// Whether XML 1.0 allows `c` in a document (its `Char` production).
pub fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` on one line with every character XML 1.0 forbids replaced by
/// U+FFFD, and line breaks and tabs by spaces: a title or label.
pub fn label(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if allowed(c) => c,
            _ => '\u{FFFD}',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_replaced() {
        assert_eq!(
            label("a\u{1b}[31mb\u{7}\nc\u{FFFE}"),
            "a\u{FFFD}[31mb\u{FFFD} c\u{FFFD}"
        );
        assert!(allowed('é') && allowed('\u{1F600}') && !allowed('\u{0}') && !allowed('\u{FFFF}'));
    }
}
