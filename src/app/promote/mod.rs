//! `mlgate promote`: the pre-promotion gate that also moves. Read who holds the target →
//! gather candidate and incumbent → evaluate → report → on red stop (recording why) → re-read
//! the target and move only if it is unchanged → confirm the move → record the verdict.
//!
//! No registry offers compare-and-set (an alias set is an unconditional upsert), so the guard
//! is a fresh read right before the one write, and a read after it: the window shrinks to one
//! round trip and a lost race is always reported (exit 4), never mistaken for a promotion.
//! Moves are sent once (a stage transition may archive other versions); a move whose answer
//! was lost is settled by reading the registry, not by sending it again.

mod record;

use super::check::{append, emit, judge, today};
use super::config::{self, Effective};
use super::{not_gathered, now_rfc3339, stdio, AppError, Live};
use crate::cli::PromoteArgs;
use crate::engine::Status;
use crate::exit::Exit;
use crate::gather::{self, Goal, Write, WriteError};
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, Snapshot};
use record::Record;

/// What the promotion does once green.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    /// Point the alias at the candidate.
    Alias(String),
    /// Move the candidate into the stage.
    Stage(String),
    /// Approve the candidate's open request to the stage (Databricks workspace registry).
    Request(String),
}

impl Action {
    fn goal(&self) -> Goal {
        match self {
            Action::Alias(a) => Goal::Alias(a.clone()),
            Action::Stage(s) | Action::Request(s) => Goal::Stage(s.clone()),
        }
    }

    /// `mlgate.target`: `alias:champion`, `stage:Production`, `request:Production`.
    fn record(&self) -> String {
        match self {
            Action::Alias(a) => format!("alias:{a}"),
            Action::Stage(s) => format!("stage:{s}"),
            Action::Request(s) => format!("request:{s}"),
        }
    }

    /// Refuses, before anything is read, what the backend cannot do.
    fn supported_on(&self, backend: Backend) -> Result<(), AppError> {
        let refuse = |why: &str| Err(AppError::Usage(why.to_string()));
        match (self, backend) {
            (Action::Alias(_), Backend::DatabricksWorkspace) => refuse(
                "the Databricks workspace registry has no aliases: use --to-stage or --approve-request (or a Unity Catalog model)",
            ),
            (Action::Stage(_), Backend::UnityCatalog) => {
                refuse("Unity Catalog models have no stages: use --to-alias")
            }
            (Action::Request(_), Backend::DatabricksWorkspace) => Ok(()),
            (Action::Request(_), _) => refuse(
                "only the Databricks workspace registry has transition requests: use --to-alias or --to-stage",
            ),
            _ => Ok(()),
        }
    }
}

pub fn run(args: &PromoteArgs) -> Result<Exit, AppError> {
    let result = gate(args);
    // With --github, the step says whether the version moved (`promoted`), whatever the end.
    if args.output.github {
        let promoted = match &result {
            Ok(Exit::Pass) => !args.dry_run,
            Err(AppError::RecordFailed(_)) => true,
            _ => false,
        };
        if let Some(path) = std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
            append(
                std::path::Path::new(&path),
                &format!("promoted={promoted}\n"),
            )?;
        }
    }
    result
}

fn gate(args: &PromoteArgs) -> Result<Exit, AppError> {
    super::outputs::distinct(&args.output)?;
    let Effective {
        policy,
        texts,
        config,
    } = config::effective(&args.policy)?;
    let fail_on = config.fail_on(args.output.fail_on)?;
    let today = today(args.now.as_deref())?;
    let action = action(args, &policy.rules)?;
    let site = super::sarif_site::for_output(&args.output, &args.policy, &config, &policy)?;
    let expected = args.expect_incumbent.as_deref().map(expected).transpose()?;
    if args.archive_existing && matches!(action, Action::Alias(_)) {
        return Err(AppError::Usage(
            "--archive-existing archives the versions in a stage: use it with --to-stage or --approve-request".into(),
        ));
    }
    let live = Live::open(&args.model, &args.server)?;
    let name = registry_name(&live.reference)?;
    action.supported_on(live.backend)?;
    let goal = action.goal();
    let holds = goal.holds();

    // The holder when mlgate starts: the version the verdict is about to be judged against.
    let holder = live
        .block_on(gather::holder(&live.cx, live.backend, &name, &goal))
        .map_err(|e| AppError::Gather(Box::new(live.failure(e))))?;
    if let Some(expected) = &expected {
        if &holder != expected {
            return Err(AppError::Conflict(format!(
                "{holds} of {name} is held by {}, not {} as --expect-incumbent says; nothing moved",
                held(holder.as_deref()),
                held(expected.as_deref())
            )));
        }
    }
    let gathered = live.block_on(gather::gather_promotion(
        &live.cx,
        live.backend,
        &live.reference,
        &goal,
        holder.clone(),
        now_rfc3339(),
    ));
    let mut snapshot = match gathered {
        Ok(g) => g.snapshot,
        Err(failure) => {
            // Every output still says why, before the run ends on exit 3.
            let error = AppError::Gather(Box::new(failure));
            if let Some(snapshot) = not_gathered(&args.model, &args.server, &error) {
                let judged = judge(&snapshot, &policy, &texts, fail_on, today, &args.output);
                emit(
                    &args.output,
                    !args.server.no_redact,
                    &snapshot,
                    &policy,
                    &judged,
                    &site,
                )?;
            }
            stdio::err("mlgate: nothing was moved\n");
            return Err(error);
        }
    };
    match &action {
        Action::Alias(alias) => snapshot.target.alias = Some(alias.clone()),
        Action::Stage(stage) | Action::Request(stage) => {
            snapshot.target.stage = Some(stage.clone());
        }
    }
    let candidate = snapshot.target.version.clone().unwrap_or_default();
    // A version that is not READY cannot move whatever the rules say: recorded as a failed
    // fact before judging, so every output (JUnit's gather case too) agrees with exit 3.
    let not_ready = not_ready(&snapshot);
    if let Some(why) = not_ready.clone() {
        snapshot.errors.push(crate::snapshot::GatherError {
            section: "model_version.status".into(),
            call: "promote".into(),
            http_status: None,
            error_code: Some("NOT_READY".into()),
            message: why,
        });
    }
    let judged = judge(&snapshot, &policy, &texts, fail_on, today, &args.output);
    emit(
        &args.output,
        !args.server.no_redact,
        &snapshot,
        &policy,
        &judged,
        &site,
    )?;

    let mut status = judged.verdict.status;
    // Not even --allow-gather-errors moves a version that is not READY.
    if not_ready.is_some() && status == Status::Pass {
        status = Status::Error;
    }
    let record = Record {
        status,
        target: action.record(),
        incumbent: holder.as_deref(),
        policy_digest: &policy.digest,
        evaluated_at: now_rfc3339(),
        summary: record::summary(&judged.verdict, &holds, holder.as_deref()),
        report: record::report_url(args.report_url.as_deref(), &super::server::process_env),
    };
    let step = Step {
        live: &live,
        name: &name,
        candidate: &candidate,
        record: &record,
        quiet: args.output.quiet,
    };
    let candidate_uri = format!("models:/{name}/{candidate}");
    if status != Status::Pass {
        if args.dry_run {
            say(
                args,
                &format!(
                    "dry run: {candidate_uri} would not be promoted to {holds}; nothing written"
                ),
            );
        } else {
            if let (Action::Request(stage), Status::Fail) = (&action, status) {
                // Red is known whatever the registry answers (exit 1, not 3), and the tags
                // still say why: a request that is gone (or a refused rejection) is said.
                if let Err(e) = step.reject(stage) {
                    stdio::err(&format!("warning: {e}\n"));
                }
            }
            if !args.no_record {
                // Red stays red whether or not the record lands; a lost record is said.
                if let Err(e) = step.record() {
                    stdio::err(&format!("warning: {e}\n"));
                }
            }
            say(
                args,
                &format!("{candidate_uri} was not promoted to {holds}: nothing moved"),
            );
        }
        return Ok(match status {
            Status::Fail => Exit::PolicyFailed,
            _ => Exit::Gather,
        });
    }
    if args.dry_run {
        say(
            args,
            &format!(
                "dry run: {candidate_uri} would be promoted to {holds} (now {}); nothing written",
                held(holder.as_deref())
            ),
        );
        return Ok(Exit::Pass);
    }

    // The guard: the target must still be held by the version judged against.
    let now_held = step.holder(&goal)?;
    if now_held != holder {
        return Err(AppError::Conflict(format!(
            "{holds} of {name} changed while mlgate was checking: held by {} when it started, by {} now; the verdict was against the former, so nothing moved",
            held(holder.as_deref()),
            held(now_held.as_deref())
        )));
    }
    if let Action::Request(stage) = &action {
        step.require_open_request(stage)?;
    }
    step.make_move(&action, args.archive_existing, &goal)?;
    step.confirm(&action, &goal)?;
    say(
        args,
        &format!(
            "promoted {candidate_uri} to {holds} (was {})",
            held(holder.as_deref())
        ),
    );
    if !args.no_record {
        step.record().map_err(|e| {
            AppError::RecordFailed(format!(
                "{candidate_uri} was promoted to {holds} and the promotion stands, but recording the verdict failed: {e}"
            ))
        })?;
    }
    Ok(Exit::Pass)
}

/// The registry steps after the verdict, all on the one live session.
struct Step<'a> {
    live: &'a Live,
    name: &'a str,
    candidate: &'a str,
    record: &'a Record<'a>,
    quiet: bool,
}

impl Step<'_> {
    fn write(&self, write: &Write<'_>) -> Result<(), WriteError> {
        let live = self.live;
        live.block_on(gather::write(&live.cx, live.backend, write))
    }

    fn holder(&self, goal: &Goal) -> Result<Option<String>, AppError> {
        let live = self.live;
        live.block_on(gather::holder(&live.cx, live.backend, self.name, goal))
            .map_err(|e| {
                AppError::Write(format!(
                    "cannot re-read who holds {} right before moving: {}; nothing moved",
                    goal.holds(),
                    e.message()
                ))
            })
    }

    /// The candidate's open request to `stage` must still be there.
    fn require_open_request(&self, stage: &str) -> Result<(), AppError> {
        let live = self.live;
        let requests = live
            .block_on(gather::transition_requests(
                &live.cx,
                live.backend,
                self.name,
                self.candidate,
            ))
            .map_err(|e| {
                AppError::Write(format!(
                    "cannot re-read the transition requests of models:/{}/{}: {}; nothing moved",
                    self.name,
                    self.candidate,
                    e.message()
                ))
            })?
            .unwrap_or_default();
        if requests.iter().any(|r| is_request_to(r, stage)) {
            return Ok(());
        }
        Err(AppError::Conflict(format!(
            "models:/{}/{} has no open request to {stage} (any more); nothing moved",
            self.name, self.candidate
        )))
    }

    fn make_move(&self, action: &Action, archive: bool, goal: &Goal) -> Result<(), AppError> {
        let comment = self.record.comment();
        let (name, version) = (self.name, self.candidate);
        let write = match action {
            Action::Alias(alias) => Write::SetAlias {
                name,
                alias,
                version,
            },
            Action::Stage(stage) => Write::TransitionStage {
                name,
                version,
                stage,
                archive_existing: archive,
            },
            Action::Request(stage) => Write::ApproveTransitionRequest {
                name,
                version,
                stage,
                archive_existing: archive,
                comment: &comment,
            },
        };
        match self.write(&write) {
            Ok(()) => Ok(()),
            Err(WriteError::Unsupported { backend, what }) => {
                Err(AppError::Usage(format!("{backend} cannot {what}")))
            }
            // The answer may be lost after the server acted: the registry says what happened.
            Err(WriteError::Client(e)) => match self.holds_now(action, goal) {
                Ok(true) => {
                    if !self.quiet {
                        stdio::err(&format!(
                            "warning: the move's answer was an error ({}), but the registry shows it was made\n",
                            e.message()
                        ));
                    }
                    Ok(())
                }
                _ => Err(AppError::Write(format!(
                    "the move failed: {}; nothing moved",
                    e.message()
                ))),
            },
        }
    }

    /// Whether the candidate holds the goal now.
    fn holds_now(&self, action: &Action, goal: &Goal) -> Result<bool, AppError> {
        let live = self.live;
        match action {
            Action::Alias(_) => Ok(self.holder(goal)?.as_deref() == Some(self.candidate)),
            // A stage holds many versions: the candidate must be in it (an older candidate is
            // not the stage's latest unless the others were archived).
            Action::Stage(stage) | Action::Request(stage) => {
                let version = live
                    .block_on(gather::version_now(
                        &live.cx,
                        live.backend,
                        self.name,
                        self.candidate,
                    ))
                    .map_err(|e| AppError::Write(e.message()))?;
                Ok(version
                    .current_stage
                    .is_some_and(|s| s.eq_ignore_ascii_case(stage)))
            }
        }
    }

    fn confirm(&self, action: &Action, goal: &Goal) -> Result<(), AppError> {
        match self.holds_now(action, goal) {
            Ok(true) => Ok(()),
            Ok(false) => {
                let now = self.holder(goal).ok().flatten();
                Err(AppError::Conflict(format!(
                    "after the move, {} of {} is held by {}, not models:/{}/{}: another client moved it; the verdict is not recorded",
                    goal.holds(),
                    self.name,
                    held(now.as_deref()),
                    self.name,
                    self.candidate
                )))
            }
            Err(e) => Err(AppError::Conflict(format!(
                "the move was sent, but it cannot be confirmed ({e}); check {} of {} by hand",
                goal.holds(),
                self.name
            ))),
        }
    }

    fn reject(&self, stage: &str) -> Result<(), String> {
        let comment = self.record.comment();
        self.write(&Write::RejectTransitionRequest {
            name: self.name,
            version: self.candidate,
            stage,
            comment: &comment,
        })
        .map_err(|e| {
            format!("the verdict is red, but rejecting the request to {stage} failed: {e}")
        })
    }

    /// Writes every `mlgate.*` tag; stops at the first that fails (tags are upserts, so a
    /// rerun completes them).
    fn record(&self) -> Result<(), String> {
        for (key, value) in self.record.tags() {
            self.write(&Write::SetVersionTag {
                name: self.name,
                version: self.candidate,
                key,
                value: &value,
            })
            .map_err(|e| {
                format!(
                    "setting tag {key} on models:/{}/{}: {e}",
                    self.name, self.candidate
                )
            })?;
        }
        Ok(())
    }
}

/// `--to-alias`, `--to-stage` or `--approve-request`, validated as `check` validates targets.
fn action(args: &PromoteArgs, rules: &[crate::engine::Rule]) -> Result<Action, AppError> {
    use super::target::{alias, stage};
    let active = |flag: &str, s: &str| -> Result<String, AppError> {
        let s = stage(flag, s)?;
        if s == "None" || s == "Archived" {
            return Err(AppError::Usage(format!(
                "{flag} {s}: promotion is to Staging or Production (archiving is not a promotion)"
            )));
        }
        Ok(s)
    };
    match (&args.to_alias, &args.to_stage, &args.approve_request) {
        (Some(a), _, _) => Ok(Action::Alias(alias("--to-alias", a, rules)?)),
        (_, Some(s), _) => Ok(Action::Stage(active("--to-stage", s)?)),
        (_, _, Some(s)) => Ok(Action::Request(active("--approve-request", s)?)),
        _ => Err(AppError::Usage(
            "say where to promote: --to-alias, --to-stage or --approve-request".into(),
        )),
    }
}

/// `--expect-incumbent`: a version number, or `none`.
fn expected(given: &str) -> Result<Option<String>, AppError> {
    let text = given.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(text.trim_start_matches('0').to_string()).map(|v| {
            if v.is_empty() {
                "0".into()
            } else {
                v
            }
        }));
    }
    Err(AppError::Usage(format!(
        "--expect-incumbent `{given}` is not a version number or `none`"
    )))
}

/// The registered model a promotion moves within; only registry references name one.
fn registry_name(reference: &ModelRef) -> Result<String, AppError> {
    match reference {
        ModelRef::Version { name, .. }
        | ModelRef::Alias { name, .. }
        | ModelRef::Stage { name, .. }
        | ModelRef::Latest { name } => Ok(name.clone()),
        ModelRef::Run { .. } | ModelRef::LoggedModel { .. } => Err(AppError::Usage(format!(
            "`{reference}` is not a registered model version: register it first, then promote models:/NAME/VERSION"
        ))),
    }
}

/// Why the candidate cannot be promoted whatever the rules say: it is not READY.
fn not_ready(snapshot: &Snapshot) -> Option<String> {
    let status = snapshot.model_version.as_ref()?.status.as_deref();
    match status {
        Some(s) if s.eq_ignore_ascii_case("READY") => None,
        other => Some(format!(
            "{} is not READY (status {}): only a READY version can be promoted",
            snapshot.model_uri(),
            other.unwrap_or("unknown")
        )),
    }
}

/// Whether a transition request (as the registry lists it) asks for `stage`.
fn is_request_to(request: &serde_json::Value, stage: &str) -> bool {
    request
        .get("to_stage")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(stage))
}

fn held(version: Option<&str>) -> String {
    version.map_or_else(|| "no version".into(), |v| format!("version {v}"))
}

fn say(args: &PromoteArgs, line: &str) {
    if !args.output.quiet {
        stdio::err(&format!("mlgate: {line}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_incumbents_are_versions_or_none() {
        assert_eq!(expected("none").unwrap(), None);
        assert_eq!(expected("NONE").unwrap(), None);
        assert_eq!(expected("3").unwrap().as_deref(), Some("3"));
        assert_eq!(expected("03").unwrap().as_deref(), Some("3"));
        assert!(expected("v3").is_err());
        assert!(expected("").is_err());
    }

    #[test]
    fn backends_refuse_what_they_cannot_do() {
        let alias = Action::Alias("champion".into());
        let stage = Action::Stage("Production".into());
        let request = Action::Request("Production".into());
        assert!(alias.supported_on(Backend::MlflowOss).is_ok());
        assert!(alias.supported_on(Backend::UnityCatalog).is_ok());
        assert!(alias.supported_on(Backend::DatabricksWorkspace).is_err());
        assert!(stage.supported_on(Backend::UnityCatalog).is_err());
        assert!(request.supported_on(Backend::MlflowOss).is_err());
        assert!(request.supported_on(Backend::DatabricksWorkspace).is_ok());
    }
}
