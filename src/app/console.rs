//! How an error and the run's colours are shown: an [`AppError`] as a miette diagnostic on
//! standard error, and whether standard output takes ANSI colours. A leaf, so `main`, the
//! commands and the pipeline share one rendering without importing each other.

use std::io::IsTerminal;

use super::error::AppError;
use crate::error_code::Code;
use crate::model_ref::ModelRefError;
use crate::policy::PolicyLoadError;
use crate::report::sanitize;

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
    // A diagnostic that cannot be drawn is still given, as plain text. A policy file's own
    // words are quoted in it (a quoted TOML key may hold a line break): no line may start a
    // workflow command (miette's gutter guards the lines it draws; the guard is for the rest).
    sanitize::inert_lines(&e.render(&handler).unwrap_or_else(|_| format!("{error}\n")))
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
    let message = message(error);
    match miette::Diagnostic::help(error) {
        // The help is mlgate's own text: its line breaks are kept.
        Some(help) => format!(
            "{word}{code}: {message}\n  help: {}\n",
            sanitize::terminal_lines(&help.to_string())
        ),
        None => format!("{word}{code}: {message}\n"),
    }
}

/// The message as a terminal shows it. A message whose template has line breaks of its own
/// (the accepted forms under a bad reference) keeps them, its parts from outside shown one
/// line each first; any other message is one line, since text from a server or the command
/// line may be part of it and a line break there could start a line of its own (in a CI log,
/// a `::command`).
fn message(error: &AppError) -> String {
    match error {
        AppError::Reference(e) => sanitize::terminal_lines(
            &ModelRefError {
                given: sanitize::terminal(&e.given),
                reason: sanitize::terminal(&e.reason),
            }
            .to_string(),
        ),
        _ => sanitize::terminal(&error.to_string()),
    }
}

/// clap's own error (an unknown flag, a bad value) in the `error[CODE]: …` form. clap quotes
/// the arguments as given: each value it quotes is shown one line first, and no line of what
/// it renders can start a GitHub workflow command.
pub fn render_usage_error(mut error: clap::Error, code: Code) -> String {
    use clap::error::ContextValue;
    let quoted: Vec<_> = error
        .context()
        .filter_map(|(kind, value)| match value {
            ContextValue::String(s) => Some((kind, ContextValue::String(sanitize::terminal(s)))),
            ContextValue::Strings(v) => Some((
                kind,
                ContextValue::Strings(v.iter().map(|s| sanitize::terminal(s)).collect()),
            )),
            // Tips quote the argument too; shown plain (rendered without colour anyway).
            ContextValue::StyledStrs(v) => Some((
                kind,
                ContextValue::StyledStrs(
                    v.iter()
                        .map(|s| sanitize::terminal(&s.to_string()).into())
                        .collect(),
                ),
            )),
            _ => None,
        })
        .collect();
    for (kind, value) in quoted {
        error.insert(kind, value);
    }
    let text = error.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    sanitize::inert_lines(&format!("error[{code}]: {text}"))
}

/// Colour on a terminal, unless `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
