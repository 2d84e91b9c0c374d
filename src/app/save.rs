//! `mlgate snapshot` and `mlgate report`: gather a model version and save what was read —
//! the snapshot as JSON, or the Markdown report of it — without judging it. Both end on exit
//! 3 when a call failed, with the file written all the same; but a snapshot that gathered
//! nothing never replaces one already saved (a test fixture refreshed during an outage): it
//! goes to `FILE.partial` beside it. `-o -` writes to standard output.

use super::error::AppError;
use super::files::write;
use super::outputs::is_stdout;
use super::pipeline::session::gather_or_say_why;
use super::{stdio, target};
use crate::cli::{EvalArgs, ReportArgs, SnapshotArgs};
use crate::exit::Exit;
use crate::report::{self, notice};
use crate::snapshot::io as snapshot_io;
use crate::snapshot::Snapshot;

/// `mlgate snapshot`: the snapshot file, with the promotion target's incumbent when named.
pub(super) fn snapshot(args: &SnapshotArgs) -> Result<Exit, AppError> {
    let eval = EvalArgs {
        target_stage: args.target_stage.clone(),
        target_alias: args.target_alias.clone(),
        now: None,
    };
    let target = target::validate(&eval, &[])?;
    let (mut snapshot, fatal) =
        gather_or_say_why(&args.model, &args.server, target.goal().as_ref())?;
    target.apply(&mut snapshot);
    let snapshot = crate::redact::snapshot(&snapshot, !args.server.no_redact);
    if is_stdout(&args.output) {
        stdio::out(
            &snapshot_io::to_json(&snapshot).map_err(|e| AppError::Output {
                path: args.output.clone(),
                source: std::io::Error::other(e),
            })?,
        )?;
        return done_gathering(&snapshot, fatal);
    }
    let kept = fatal.is_some() && args.output.exists();
    let output = if kept {
        let mut partial = args.output.clone().into_os_string();
        partial.push(".partial");
        std::path::PathBuf::from(partial)
    } else {
        args.output.clone()
    };
    snapshot_io::save(&snapshot, &output)?;
    if kept {
        stdio::err(&notice::kept(&args.output, &output));
    } else if !args.quiet {
        stdio::err(&notice::wrote("", &snapshot, &output));
    }
    done_gathering(&snapshot, fatal)
}

/// `mlgate report`: the Markdown report of what was gathered, with no policy.
pub(super) fn report(args: &ReportArgs) -> Result<Exit, AppError> {
    let (snapshot, fatal) = gather_or_say_why(&args.model, &args.server, None)?;
    let snapshot = crate::redact::snapshot(&snapshot, !args.server.no_redact);
    let markdown = report::markdown::render(&snapshot, None);
    if is_stdout(&args.output) {
        stdio::out(&markdown)?;
        return done_gathering(&snapshot, fatal);
    }
    write(&args.output, &markdown)?;
    if !args.quiet {
        stdio::err(&notice::wrote("the report of ", &snapshot, &args.output));
    }
    done_gathering(&snapshot, fatal)
}

/// Exit 3 when a call failed (the file is written all the same).
fn done_gathering(snapshot: &Snapshot, fatal: Option<AppError>) -> Result<Exit, AppError> {
    if let Some(error) = fatal {
        return Err(error);
    }
    if !snapshot.errors.is_empty() {
        stdio::err(&notice::calls_failed(snapshot.errors.len()));
        return Ok(Exit::Gather);
    }
    Ok(Exit::Pass)
}
