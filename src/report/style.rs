//! Colour: `--color auto|always|never`, the colour environment variables,
//! and the colours of the status words.

use owo_colors::{AnsiColors, OwoColorize, Stream};

use crate::result::Status;

/// When to colour the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal; `NO_COLOR` turns it off, `FORCE_COLOR`/`CLICOLOR_FORCE` on.
    #[default]
    Auto,
    /// Always, even through a pipe.
    Always,
    /// Never.
    Never,
}

/// Whether to colour, `None` meaning "ask the terminal". `--color` wins;
/// then a non-empty `NO_COLOR` turns colour off; then `FORCE_COLOR` or
/// `CLICOLOR_FORCE` set to anything but `0` or empty turns it on.
pub fn decide(choice: ColorChoice, env: impl Fn(&str) -> Option<String>) -> Option<bool> {
    match choice {
        ColorChoice::Always => return Some(true),
        ColorChoice::Never => return Some(false),
        ColorChoice::Auto => {}
    }
    if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return Some(false);
    }
    let forced = |name: &str| env(name).is_some_and(|v| !v.is_empty() && v != "0");
    if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") {
        return Some(true);
    }
    None
}

/// Apply the choice to every coloured output of this process.
pub fn apply(choice: ColorChoice) {
    match decide(choice, |name| std::env::var(name).ok()) {
        Some(on) => owo_colors::set_override(on),
        None => owo_colors::unset_override(),
    }
}

/// `label` in `color`, when stdout takes colour.
pub fn colored(label: &str, color: AnsiColors) -> String {
    label
        .if_supports_color(Stream::Stdout, |t| t.color(color))
        .to_string()
}

/// Colour a status word the way the reference does, when stdout takes colour.
pub fn paint(status: Status) -> String {
    let color = match status {
        Status::Pass => AnsiColors::Green,
        Status::Fail => AnsiColors::Red,
        Status::New => AnsiColors::Yellow,
        Status::Error | Status::Missing => AnsiColors::BrightRed,
    };
    colored(status.label(), color)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flags_win_then_no_color_then_force() {
        assert_eq!(
            decide(ColorChoice::Always, env(&[("NO_COLOR", "1")])),
            Some(true)
        );
        assert_eq!(
            decide(ColorChoice::Never, env(&[("FORCE_COLOR", "1")])),
            Some(false)
        );
        assert_eq!(
            decide(
                ColorChoice::Auto,
                env(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")])
            ),
            Some(false)
        );
        assert_eq!(
            decide(ColorChoice::Auto, env(&[("FORCE_COLOR", "1")])),
            Some(true)
        );
        assert_eq!(
            decide(ColorChoice::Auto, env(&[("CLICOLOR_FORCE", "1")])),
            Some(true)
        );
        assert_eq!(
            decide(ColorChoice::Auto, env(&[("FORCE_COLOR", "0")])),
            None
        );
        assert_eq!(decide(ColorChoice::Auto, env(&[("NO_COLOR", "")])), None);
        assert_eq!(decide(ColorChoice::Auto, env(&[])), None);
    }
}
