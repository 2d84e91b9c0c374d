//! The mlgate binary: parse arguments, run, print errors as diagnostics, exit with the
//! documented code. The only place that exits.

use std::process::ExitCode;

use clap::Parser as _;

use mlgate::app;
use mlgate::cli::Cli;
use mlgate::error_code::Code;

fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|error| {
        // clap's own errors (an unknown flag, a missing argument) carry a code like every
        // other error; help and version are not errors.
        if error.use_stderr() {
            app::stdio::err(&format!("{}\n\n", Code::UsageArguments));
        }
        error.exit()
    });
    match app::run(cli) {
        Ok(exit) => ExitCode::from(u8::try_from(exit.code()).unwrap_or(2)),
        Err(error) => {
            app::stdio::err(&app::render_error(&error));
            ExitCode::from(u8::try_from(error.exit().code()).unwrap_or(2))
        }
    }
}
