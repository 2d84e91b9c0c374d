//! `mlgate check`: gather or load the snapshot, evaluate the policies in effect, write every
//! requested output, and turn the verdict into the exit code. `--all-models` is the bulk
//! audit (`audit`), on the same pipeline.

use super::error::AppError;
use super::pipeline::emit::emit;
use super::pipeline::judge::judge;
use super::pipeline::prepare::{example, prepare};
use super::pipeline::session::gather_or_say_why;
use super::{audit, console, stdio};
use crate::cli::CheckArgs;
use crate::engine::Status;
use crate::exit::Exit;
use crate::snapshot::io as snapshot_io;

pub(super) fn run(args: &CheckArgs) -> Result<Exit, AppError> {
    if args.all_models {
        return audit::run(args);
    }
    let prepared = prepare(&args.policy, &args.output, args.eval.now.as_deref())?;
    let target = prepared.target(&args.eval)?;
    // A gather that failed outright still gives a snapshot (saying why), so every output is
    // written before the run ends on exit 3. With a promotion target, the version holding it
    // is gathered too (rules compare with it as `incumbent`), as `promote` would.
    let (mut snapshot, fatal) = match (&args.model, &args.snapshot) {
        (Some(model), _) => gather_or_say_why(model, &args.server, target.goal().as_ref())?,
        (None, Some(path)) => (snapshot_io::load(path)?, None),
        (None, None) => (example()?, None),
    };
    target.apply(&mut snapshot);
    let judged = judge(&snapshot, &prepared, &args.output, !args.server.no_redact);
    emit(
        &args.output,
        !args.server.no_redact,
        &snapshot,
        &prepared,
        &judged,
    )?;
    match (judged.verdict.status, fatal) {
        // Known red: the failure wins, and the gather error is still said.
        (Status::Fail, Some(error)) => {
            stdio::err(&console::render_error(&error));
            Ok(Exit::PolicyFailed)
        }
        (_, Some(error)) => Err(error),
        (Status::Pass, None) => Ok(Exit::Pass),
        (Status::Fail, None) => Ok(Exit::PolicyFailed),
        (Status::Error, None) => Ok(Exit::Gather),
    }
}
