//! Orchestration of each subcommand: source → snapshot → engine → reporters → exit code.

mod audit;
mod check;
mod config;
mod console;
mod error;
mod files;
mod guard;
mod inspect;
mod ledger;
mod outputs;
mod pipeline;
pub(super) mod promote;
mod sarif_site;
mod save;
mod server;
pub mod stdio;
mod target;
mod testing;

pub use console::{render_error, render_usage_error, use_color};
pub use error::{AliasFlaw, AppError, PromoteError, UsageError};
pub use pipeline::prepare::{today, EXAMPLE_SNAPSHOT};
// Parser entry points, pub for the fuzz targets.
pub use config::parse as parse_config;
pub use testing::parse_file as parse_test_file;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

/// Runs the parsed command line; the returned value is the process exit code.
pub fn run(cli: Cli) -> Result<Exit, AppError> {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Promote(args) => promote::run(&args),
        Command::Guard(args) => guard::run(&args),
        Command::History(args) => ledger::history::run(&args),
        Command::Rollback(args) => ledger::rollback::run(*args),
        Command::Test(args) => testing::run(&args),
        Command::Lint(args) => inspect::lint(&args),
        Command::Rules(args) => inspect::rules(&args),
        Command::Explain(args) => inspect::explain(&args),
        Command::Completions(args) => {
            let mut text = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "mlgate",
                &mut text,
            );
            stdio::out(&String::from_utf8_lossy(&text))?;
            Ok(Exit::Pass)
        }
        Command::Man => {
            let mut text = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut text)
                .map_err(|source| AppError::Output {
                    path: "standard output".into(),
                    source,
                })?;
            stdio::out(&String::from_utf8_lossy(&text))?;
            Ok(Exit::Pass)
        }
        Command::Snapshot(args) => save::snapshot(&args),
        Command::Report(args) => save::report(&args),
    }
}
