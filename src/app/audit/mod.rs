//! `mlgate check --all-models`: the same check for every selected version of every registered
//! model, in one process. One client context serves the whole run, so what versions of a
//! model share (its registered model, experiment, ACLs) is read once (`gather::Caches`);
//! `--jobs` versions are gathered at once on the single-thread runtime; each version is judged
//! and written out as soon as it is gathered, then dropped (memory stays flat).
//!
//! Exit code, the worst over all versions with the meanings of a single `check`: 1 when any
//! version definitely fails; else 3 when any could not be gathered or judged, or the run was
//! interrupted (Ctrl-C, SIGTERM or SIGHUP: what was finished is still written); else 0. A
//! model whose listing fails is an error entry of its own, and a run that selected nothing or
//! could not list the registry is an error: the outputs are written in every case, and their
//! status is the exit code's.

pub(super) mod names;
mod progress;
mod select;
mod sink;
pub(super) mod stop;

use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use super::error::{AppError, UsageError};
use super::pipeline::judge::judge_quietly;
use super::pipeline::prepare::{prepare, Prepared};
use super::pipeline::session::{now_rfc3339, Live};
use super::{console, stdio};
use crate::cli::{CheckArgs, Versions};
use crate::engine::Status;
use crate::exit::Exit;
use crate::gather::{self, GatherFailure, Goal};
use crate::model_ref::ModelRef;
use crate::report::notice;
use crate::snapshot::{Backend, Snapshot};
use progress::Progress;
use select::{Selected, Shard};
use sink::Sink;
use stop::Stop;

/// The reference the session is opened with: `--all-models` names no model, and a two-level
/// name keeps a `databricks` tracking URI on the workspace registry (its listing API is the
/// open-source one).
const SESSION: &str = "models:/mlgate-all-models/1";

/// How often a line of progress is printed when stderr is not a terminal.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

pub(super) fn run(args: &CheckArgs) -> Result<Exit, AppError> {
    let prepared = prepare(&args.policy, &args.output, args.eval.now.as_deref())?;
    let target = prepared.target(&args.eval)?;
    let bulk = &args.bulk;
    let shard = bulk
        .shard
        .as_deref()
        .map(|text| {
            Shard::parse(text).ok_or_else(|| UsageError::BadShard {
                text: text.to_string(),
            })
        })
        .transpose()?;

    let mut live = Live::open(SESSION, &args.server)?;
    live.cx.bulk = true;
    require_listing(live.backend)?;
    // The signal listeners come before the first output file, so that from here on a
    // signal ends the run with whole documents, never a truncated one.
    let mut stop = live.block_on(async { Stop::install() });
    let mut sink = Sink::open(&args.output, bulk, &prepared, !args.server.no_redact)?;
    sink.summary.fail_on = Some(prepared.fail_on);
    sink.summary.selection = describe(bulk.filter.as_deref(), bulk.versions, bulk.shard.as_deref());
    let jobs = usize::from(bulk.jobs);
    let selecting = live.block_on(async {
        let listing = select::select(&live.cx, bulk.filter.as_deref(), bulk.versions, shard, jobs);
        tokio::select! {
            by = stop.signalled() => Err(by),
            selection = listing => Ok(selection),
        }
    });
    let selection = match selecting {
        Ok(Ok(selection)) => selection,
        Ok(Err(error)) => {
            // The registry-wide listing failed: there is nothing to audit, and the outputs
            // say so as an error (they are still written: a CI step reads them).
            let failure = GatherFailure {
                reference: "the registered models (--all-models)".into(),
                ..live.failure(error)
            };
            sink.summary.problem = Some(format!(
                "the registered models could not be listed: {}",
                failure.error
            ));
            let _ = sink.finish();
            return Err(AppError::Gather(Box::new(failure)));
        }
        Err(by) => return conclude(sink, Some(by), &prepared, 0, shard.is_some()),
    };

    sink.summary.selected = selection.versions.len();
    sink.summary.models = selection.models;
    let goal = target.goal();
    let now = now_rfc3339();
    let total = selection.versions.len();
    let mut progress = Progress::new(total, args.output.quiet);

    let outcome: Result<Option<&'static str>, AppError> = live.block_on(async {
        let mut gathered = stream::iter(
            selection
                .versions
                .iter()
                .map(|sel| gather_one(&live, sel, goal.as_ref(), now.clone())),
        )
        .buffer_unordered(jobs);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                // Ctrl-C, SIGTERM, SIGHUP: stop gathering; what was finished is written below.
                by = stop.signalled() => return Ok(Some(by)),
                _ = tick.tick() => progress.tick(&sink.summary),
                next = gathered.next() => {
                    let Some((sel, result)) = next else { return Ok(None) };
                    let (mut snapshot, not_gathered) = match result {
                        Ok(snapshot) => (snapshot, None),
                        Err(failure) => not_gathered(&live, sel, &now, &failure),
                    };
                    target.apply(&mut snapshot);
                    let judged =
                        judge_quietly(&snapshot, &prepared, &args.output, !args.server.no_redact);
                    sink.record(&sel.model, &sel.version, &snapshot, &judged, not_gathered)?;
                    // The snapshot and its findings end here: nothing of it is kept but the
                    // summary line.
                    drop((snapshot, judged));
                    progress.done(&sink.summary);
                }
            }
        }
    });
    progress.clear();
    // Whatever ended the loop, the files are closed as valid documents.
    match outcome {
        Ok(interrupted) => conclude(sink, interrupted, &prepared, total, shard.is_some()),
        Err(error) => {
            // A version's output could not be written: the run stops, and what was written
            // says error, never pass.
            sink.summary.problem = Some(format!("the run stopped: {error}"));
            let _ = sink.finish();
            Err(error)
        }
    }
}

/// Refuses a registry that cannot list its models, naming the registries of the same server
/// that can.
fn require_listing(backend: Backend) -> Result<(), AppError> {
    let can = gather::capabilities(backend);
    if !can.listing {
        // The registries of the same server that list (another registry URI), by their word.
        let instead: String = Backend::ALL
            .into_iter()
            .map(|b| (b.registry_uri(), gather::capabilities(b)))
            .filter_map(|(uri, other)| {
                let uri = uri.filter(|_| other.listing)?;
                Some(format!("{} (--registry-uri {uri}) or ", other.name))
            })
            .collect();
        return Err(UsageError::CannotList {
            registry: can.name,
            instead,
        }
        .into());
    }
    Ok(())
}

/// Closes the outputs and settles the exit code of a run that was not cut short by an error:
/// the outputs' status, the terminal's headline and the exit code all come from
/// [`Summary::status`](crate::report::summary::Summary::status).
fn conclude(
    mut sink: Sink<'_>,
    interrupted: Option<&str>,
    prepared: &Prepared,
    total: usize,
    sharded: bool,
) -> Result<Exit, AppError> {
    sink.summary.interrupted = interrupted.is_some();
    let nothing = total == 0 && interrupted.is_none();
    if nothing && !sharded {
        // An empty shard is normal (fewer models than shards); an empty run otherwise is
        // most often a mistyped filter, and no pass.
        sink.summary.problem = Some("no versions selected".into());
    }
    let notes = sink.waiver_notes();
    stdio::err(&notice::waiver_warnings(
        &notes,
        &prepared.policy.waivers,
        &prepared.texts,
        console::use_color(),
    ));
    if let Some(by) = interrupted {
        stdio::err(&notice::interrupted(by));
    }
    let summary = sink.finish()?;
    if nothing {
        stdio::err(&notice::nothing_selected(&summary.selection, sharded));
    }
    Ok(match summary.status() {
        Status::Pass => Exit::Pass,
        Status::Fail => Exit::PolicyFailed,
        Status::Error => Exit::Gather,
    })
}

/// Gathers one version (with its incumbent, when a promotion target is checked).
async fn gather_one<'s>(
    live: &Live,
    sel: &'s Selected,
    goal: Option<&Goal>,
    now: String,
) -> (&'s Selected, Result<Snapshot, GatherFailure>) {
    let reference = reference(sel);
    if let Some(error) = &sel.unlisted {
        // The model's versions could not be listed: its error entry, never a silent skip.
        let failure = GatherFailure {
            reference: reference.to_string(),
            server: gather::server_label(live.cx.client()),
            backend: live.backend,
            error: (**error).clone(),
        };
        return (sel, Err(failure));
    }
    let result = match (goal, &sel.listed) {
        // Read again unless the registry's listing is the version's own answer (gather knows).
        (None, Some(listed)) => {
            gather::gather_listed(&live.cx, live.backend, (**listed).clone(), now).await
        }
        (None, _) => gather::gather(&live.cx, live.backend, &reference, now).await,
        (Some(goal), _) => match gather::holder(&live.cx, live.backend, &sel.model, goal).await {
            Ok(holder) => {
                gather::gather_promotion(&live.cx, live.backend, &reference, goal, holder, now)
                    .await
                    .map(|g| g.snapshot)
            }
            Err(error) => Err(GatherFailure {
                reference: reference.to_string(),
                ..live.failure(error)
            }),
        },
    };
    (sel, result)
}

fn reference(sel: &Selected) -> ModelRef {
    ModelRef::Version {
        name: sel.model.clone(),
        version: sel.version.clone(),
    }
}

/// The snapshot of a version that could not be gathered, and why.
fn not_gathered(
    live: &Live,
    sel: &Selected,
    now: &str,
    failure: &GatherFailure,
) -> (Snapshot, Option<String>) {
    let snapshot = Snapshot::not_gathered(
        gather::target_of(&reference(sel)),
        Some(crate::url::shown(live.cx.client().tracking_uri())),
        Some(live.backend),
        now.to_string(),
        failure.entry(),
    );
    (snapshot, Some(failure.error.to_string()))
}

fn describe(filter: Option<&str>, versions: Versions, shard: Option<&str>) -> String {
    let mut parts = vec![match versions {
        Versions::All => "all versions".to_string(),
        Versions::Latest => "the latest version".to_string(),
        Versions::Aliased => "aliased and latest staged versions".to_string(),
    }];
    parts.push(match filter {
        Some(f) => format!("of the models matching {f}"),
        None => "of every registered model".to_string(),
    });
    if let Some(s) = shard {
        parts.push(format!("shard {s}"));
    }
    parts.join(" ")
}
