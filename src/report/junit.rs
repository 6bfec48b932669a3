//! `--junit FILE`: one JUnit test case per benchmark, for CI test tabs.
//!
//! PASS and NEW pass; FAIL is a `<failure>` and ERROR an `<error>`, each
//! with the slot table (or the error) in its message and body.

use super::terminal;
use crate::result::{self, BenchResult, Status};
use crate::settings::compact;
use std::fmt::Write;

/// Escape text for an XML attribute or element body.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Characters XML 1.0 cannot hold at all.
            c if !super::xml::allowed(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escape element text, keeping line breaks readable.
fn escape_body(text: &str) -> String {
    escape(text).replace("&#10;", "\n")
}

/// The one-line verdict without padding or colour, e.g. `FAIL 1/3 slots
/// flagged, meta-p=0.000`.
pub fn message(result: &BenchResult) -> String {
    match (result.status(), result.comparison()) {
        (Status::Error, _) => result.error().unwrap_or_default().to_string(),
        (Status::Missing, _) => format!("MISSING: {}", result.error().unwrap_or_default()),
        (_, Some(cmp)) => match &result.family {
            Some(f) => format!(
                "{}: {}/{} slots flagged, meta-p={}, adjusted {} ({} over {} benchmarks, run-level alpha={})",
                result.status().label(),
                cmp.n_flagged(),
                cmp.slots.len(),
                terminal::p_digits(result.meta_p().unwrap_or(cmp.meta_p), f.threshold, 4),
                terminal::p_digits(f.adjusted_meta_p, f.level, 4),
                f.method.name().to_uppercase(),
                f.m,
                compact(f.level)
            ),
            None => format!(
                "{}: {}/{} slots flagged, meta-p={} (alpha={})",
                result.status().label(),
                cmp.n_flagged(),
                cmp.slots.len(),
                terminal::p_digits(result.meta_p().unwrap_or(cmp.meta_p), result.alpha.get(), 4),
                compact(result.alpha.get())
            ),
        },
        _ => result.status().label().to_string(),
    }
}

/// The JUnit XML document for a run.
pub fn render(results: &[BenchResult], seconds: f64) -> String {
    let count = |status| result::count(results, status);
    let failures = count(Status::Fail);
    let errors = count(Status::Error) + count(Status::Missing);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"pybench\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\">",
        results.len()
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"pybench\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{seconds:.3}\">",
        results.len()
    );
    for result in results {
        let _ = write!(
            xml,
            "    <testcase name=\"{}\" classname=\"pybench\"",
            escape(&result.name)
        );
        let table = terminal::slot_table(result, "baseline");
        match result.status() {
            Status::Fail => {
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\" type=\"regression\">{}</failure>\n    </testcase>",
                    escape(&format!("{}\n{table}", message(result))),
                    escape_body(&table)
                );
            }
            Status::Error | Status::Missing => {
                let _ = writeln!(
                    xml,
                    ">\n      <error message=\"{}\" type=\"error\">{}</error>\n    </testcase>",
                    escape(&message(result)),
                    escape_body(&message(result))
                );
            }
            Status::Pass | Status::New => {
                let mut out = format!("{}\n", message(result));
                if result.status() == Status::New {
                    out = format!(
                        "NEW: baseline {}\n",
                        if result.saved { "saved" } else { "not saved" }
                    );
                }
                out.push_str(&table);
                let _ = writeln!(
                    xml,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    escape_body(&out)
                );
            }
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;&#10;\u{FFFD}"
        );
    }
}
