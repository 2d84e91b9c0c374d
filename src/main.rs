//! The mlgate binary: parse arguments, run, print errors as diagnostics, exit with the
//! documented code. The only place that exits.

use std::process::ExitCode;

use clap::Parser;

use mlgate::app;
use mlgate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(exit) => ExitCode::from(u8::try_from(exit.code()).unwrap_or(2)),
        Err(error) => {
            app::stdio::err(&app::render_error(&error));
            ExitCode::from(u8::try_from(error.exit().code()).unwrap_or(2))
        }
    }
}
