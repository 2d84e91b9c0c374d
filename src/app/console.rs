//! How an error and the run's colours are shown: an [`AppError`] as a miette diagnostic on
//! standard error, and whether standard output takes ANSI colours. A leaf, so `main`, the
//! commands and the pipeline share one rendering without importing each other.

use std::io::IsTerminal;

use super::error::AppError;
use crate::policy::PolicyLoadError;

/// An error for standard error: policy problems as miette diagnostics with their spans (the
/// file excerpt is the point); everything else as `error[CODE]: message` and an indented
/// `help:` line, the form cargo and rustc use: two lines a CI log shows whole, a code to look
/// up in docs/errors.md.
pub fn render_error(error: &AppError) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let AppError::Policy(PolicyLoadError::Invalid(e)) = error else {
        return compact(error, color);
    };
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
    // A diagnostic that cannot be drawn is still given, as plain text.
    e.render(&handler).unwrap_or_else(|_| format!("{error}\n"))
}

/// `error[gather::connect]: could not gather …` and `  help: …`. Server words reach stderr in
/// the message: shown, never obeyed by the terminal. The code and the help are the error's
/// own (its `Diagnostic`).
fn compact(error: &AppError, color: bool) -> String {
    let word = if color {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    let code = miette::Diagnostic::code(error).map_or_else(String::new, |c| format!("[{c}]"));
    let message = crate::report::sanitize::terminal(&error.to_string());
    match miette::Diagnostic::help(error) {
        Some(help) => format!(
            "{word}{code}: {message}\n  help: {}\n",
            crate::report::sanitize::terminal(&help.to_string())
        ),
        None => format!("{word}{code}: {message}\n"),
    }
}

/// Colour on a terminal, unless `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
