//! The mlgate binary: parse arguments, run, print errors as diagnostics, exit with the
//! documented code. The only place that exits.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use miette::{GraphicalReportHandler, GraphicalTheme};

use mlgate::app;
use mlgate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(exit) => ExitCode::from(u8::try_from(exit.code()).unwrap_or(2)),
        Err(error) => {
            let color = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let theme = if color {
                GraphicalTheme::unicode()
            } else {
                GraphicalTheme::unicode_nocolor()
            };
            // Wrap for people at a terminal; keep CI logs greppable, one message per line.
            let handler = GraphicalReportHandler::new_themed(theme).with_width(if color {
                100
            } else {
                usize::MAX / 2
            });
            let mut out = String::new();
            let rendered = match &error {
                app::AppError::Policy(mlgate::policy::PolicyLoadError::Invalid(e)) => {
                    handler.render_report(&mut out, e)
                }
                other => {
                    let mut diagnostic = miette::MietteDiagnostic::new(other.to_string());
                    if let Some(help) = other.help() {
                        diagnostic = diagnostic.with_help(help);
                    }
                    handler.render_report(&mut out, &diagnostic)
                }
            };
            if rendered.is_err() {
                out = error.to_string();
            }
            app::stdio::err(&out);
            ExitCode::from(u8::try_from(error.exit().code()).unwrap_or(2))
        }
    }
}
