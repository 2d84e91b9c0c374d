//! How an error and the run's colours are shown: an [`AppError`] as a miette diagnostic on
//! standard error, and whether standard output takes ANSI colours. A leaf, so `main`, the
//! commands and the pipeline share one rendering without importing each other.

use std::io::IsTerminal;

use super::AppError;
use crate::policy::PolicyLoadError;

/// An error as a miette diagnostic: policy problems with their spans, everything else with
/// its help. Wrapped for people at a terminal; one message per line in CI logs.
pub fn render_error(error: &AppError) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(if color {
        100
    } else {
        usize::MAX / 2
    });
    let mut out = String::new();
    let rendered = match error {
        AppError::Policy(PolicyLoadError::Invalid(e)) => {
            e.for_display().render(&handler).map(|text| out = text)
        }
        other => {
            // Server words reach stderr too: shown, never obeyed by the terminal.
            let mut diagnostic = miette::MietteDiagnostic::new(crate::report::sanitize::terminal(
                &other.to_string(),
            ));
            if let Some(help) = other.help() {
                diagnostic = diagnostic.with_help(help);
            }
            handler.render_report(&mut out, &diagnostic)
        }
    };
    if rendered.is_err() {
        out = format!("{error}\n");
    }
    out
}

/// Colour on a terminal, unless `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
