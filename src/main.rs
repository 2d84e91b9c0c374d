//! The mlgate binary: parse arguments, run, print errors as diagnostics, exit with the
//! documented code. The only place that exits.

use std::process::ExitCode;

use clap::Parser as _;

use mlgate::app;
use mlgate::cli::Cli;
use mlgate::error_code::Code;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version are not errors: clap prints them (with its colours) and exits 0.
        Err(error) if !error.use_stderr() => error.exit(),
        // clap's own errors (an unknown flag, a missing argument) carry a code like every
        // other error, in the same `error[CODE]: …` form.
        Err(error) => {
            let exit = u8::try_from(error.exit_code()).unwrap_or(2);
            app::stdio::err(&app::render_usage_error(error, Code::UsageArguments));
            return ExitCode::from(exit);
        }
    };
    match app::run(cli) {
        Ok(exit) => ExitCode::from(u8::try_from(exit.code()).unwrap_or(2)),
        Err(error) => {
            app::stdio::err(&app::render_error(&error));
            ExitCode::from(u8::try_from(error.exit().code()).unwrap_or(2))
        }
    }
}
