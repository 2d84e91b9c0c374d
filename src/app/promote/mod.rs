//! `mlgate promote`: the pre-promotion gate that also moves. Read who holds the target →
//! gather candidate and incumbent → evaluate → report → on red stop (recording why) → re-read
//! the target and move only if it is unchanged → confirm the move → record the verdict.
//!
//! No registry offers compare-and-set (an alias set is an unconditional upsert), so the guard
//! is a fresh read right before the one write, and a read after it: the window shrinks to one
//! round trip and a lost race is always reported (exit 4), never mistaken for a promotion.
//! Moves are sent once (a stage transition may archive other versions); a move whose answer
//! was lost is settled by reading the registry, not by sending it again.

pub(super) mod action;
pub(super) mod record;
pub(super) mod steps;

use super::error::{held, AppError, PromoteError, UsageError};
use super::files::append;
use super::ledger::{actor, store as ledger_store};
use super::pipeline::emit::{emit_to, Outputs};
use super::pipeline::judge::judge;
use super::pipeline::prepare::prepare;
use super::pipeline::session::{not_gathered, now_rfc3339, Live};
use super::{server, stdio};
use crate::cli::PromoteArgs;
use crate::engine::Status;
use crate::exit::Exit;
use crate::gather;
use crate::ledger::{Draft, How};
use crate::report::promotion::{line, Outcome, Promotion, Said};
use crate::report::reporter::Shape;
use crate::snapshot::Snapshot;
use action::{action, expected, registry_name, Action};
use record::Record;
use steps::Step;

pub(crate) fn run(args: &PromoteArgs) -> Result<Exit, AppError> {
    let (promotion, result) = gate(args);
    // With --github, the step says whether the version moved (`promoted`: `true`, `false`, or
    // `unknown` when the move's answer was lost and could not be settled), and what the
    // promotion did (`promotion`), whatever the end.
    if args.output.github {
        let promoted = promotion.as_ref().map_or("false", |p| p.outcome.promoted());
        let mut text = format!("promoted={promoted}\n");
        if let Some(p) = &promotion {
            text = format!("{text}promotion={}\n", p.outcome.as_str());
        }
        if let Some(path) = std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
            append(std::path::Path::new(&path), &text)?;
        }
    }
    result
}

/// What a promotion did, and how the run ends. The outcome is `None` only when the run
/// stopped before the candidate was known (a usage error, an unreadable policy).
pub(crate) type Ended = (Option<Promotion>, Result<Exit, AppError>);

pub(crate) fn gate(args: &PromoteArgs) -> Ended {
    let mut promotion = None;
    let result = gate_into(args, &mut promotion);
    (promotion, result)
}

// why: the protocol of the module doc, step by step (holder, gather, judge, stop on red, guard,
// move, confirm, record); read top to bottom it is the audit trail of a promotion.
#[allow(clippy::too_many_lines)]
fn gate_into(args: &PromoteArgs, promotion: &mut Option<Promotion>) -> Result<Exit, AppError> {
    let prepared = prepare(&args.policy, &args.output, args.now.as_deref())?;
    let policy = &prepared.policy;
    let action = action(args, &policy.rules)?;
    let expected = args.expect_incumbent.as_deref().map(expected).transpose()?;
    if args.archive_existing && matches!(action, Action::Alias(_)) {
        return Err(UsageError::ArchiveNeedsStage.into());
    }
    let live = Live::open(&args.model, &args.server)?;
    let name = registry_name(&live.reference)?;
    action.supported_on(live.backend)?;
    let goal = action.goal();
    let holds = goal.holds();
    let redact = !args.server.no_redact;

    // The holder when mlgate starts: the version the verdict is about to be judged against.
    let holder = live
        .block_on(gather::holder(&live.cx, live.backend, &name, &goal))
        .map_err(|e| AppError::Gather(Box::new(live.failure(e))))?;
    if let Some(expected) = &expected {
        if &holder != expected {
            return Err(PromoteError::UnexpectedIncumbent {
                holds,
                name,
                holder,
                expected: expected.clone(),
            }
            .into());
        }
    }
    // Every file is created before the candidate is gathered: a path that cannot be written
    // stops the run before the registry changes. They are written once the outcome is known,
    // so each says what the promotion did.
    let outputs = Outputs::open(&args.output, &prepared, Shape::One)?;
    let outcome = |outcome, to: &str, why: Option<String>| Promotion {
        outcome,
        target: action.record(),
        from: holder.clone(),
        to: to.to_string(),
        why,
    };
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
            let p = promotion.insert(outcome(
                Outcome::NotMoved,
                &args.model,
                Some("the candidate could not be gathered; nothing moved".into()),
            ));
            if let Some(snapshot) = not_gathered(&args.model, &args.server, &error) {
                if let Some(v) = &snapshot.target.version {
                    p.to.clone_from(v);
                }
                let judged = judge(&snapshot, &prepared, &args.output, redact);
                emit_to(outputs, redact, &snapshot, &prepared, &judged, Some(&*p))?;
            }
            stdio::err(&line(&Said::NothingMoved));
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
            ..crate::snapshot::GatherError::default()
        });
    }
    let judged = judge(&snapshot, &prepared, &args.output, redact);
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
        report: record::report_url(args.report_url.as_deref(), &server::process_env),
    };
    let step = Step {
        live: &live,
        name: &name,
        candidate: &candidate,
        record: &record,
        quiet: args.output.quiet,
    };
    let candidate_uri = format!("models:/{name}/{candidate}");
    let snapshot_digest = ledger_store::snapshot_digest(&snapshot);
    let model_tags: Option<Vec<(String, String)>> = snapshot
        .registered_model
        .as_ref()
        .filter(|_| live.backend != crate::snapshot::Backend::UnityCatalog)
        .map(|m| m.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let plan = Plan {
        snapshot_digest: &snapshot_digest,
        model_tags: model_tags.as_deref(),
        args,
        action: &action,
        status,
        holder: holder.as_deref(),
        candidate: &candidate,
        candidate_uri: &candidate_uri,
        holds: &holds,
        name: &name,
    };
    let (outcome_now, why, result) = plan.carry_out(&step);
    let p = promotion.insert(outcome(outcome_now, &candidate, why));
    let written = emit_to(outputs, redact, &snapshot, &prepared, &judged, Some(p));
    plan.say_outcome(p, result.as_ref().ok().copied());
    // The registry's end wins over a report that could not be written: it says what moved.
    match (result, written) {
        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        (Ok(exit), Ok(())) => Ok(exit),
    }
}

/// The registry part of a judged promotion: what to do with the verdict.
struct Plan<'a> {
    args: &'a PromoteArgs,
    action: &'a Action,
    status: Status,
    holder: Option<&'a str>,
    candidate: &'a str,
    candidate_uri: &'a str,
    holds: &'a str,
    name: &'a str,
    snapshot_digest: &'a str,
    /// The registered model's tags as the gather read them (`None` where the gather's model
    /// does not carry them: Unity Catalog's own model has no tags).
    model_tags: Option<&'a [(String, String)]>,
}

/// How a plan ended: the outcome, why (when it did not simply move), and the run's end.
type Carried = (Outcome, Option<String>, Result<Exit, AppError>);

impl Plan<'_> {
    /// Stops on red (recording why), on a target the candidate holds already (writing
    /// nothing), on a dry run, or on a stage the move would not make the candidate's; else
    /// guards, moves, confirms and records.
    fn carry_out(&self, step: &Step<'_>) -> Carried {
        let (args, status) = (self.args, self.status);
        let verdict_exit = match status {
            Status::Pass => Exit::Pass,
            Status::Fail => Exit::PolicyFailed,
            Status::Error => Exit::Gather,
        };
        let verdict = record::verdict_word(status);
        // A re-run of a promotion: nothing is written, so the record of the real one stays.
        if self.holder == Some(self.candidate) {
            let why = (status != Status::Pass).then(|| format!("the verdict is {verdict}"));
            return (Outcome::AlreadyHeld, why, Ok(verdict_exit));
        }
        // `rollback --accept-policy-drift`: a failed verdict moves all the same, and the ledger
        // says why. Never an error verdict: what could not be judged stays unmoved.
        let drift = args
            .rollback
            .as_ref()
            .and_then(|r| r.accept_policy_drift.as_deref())
            .filter(|_| status == Status::Fail);
        if let (Some(reason), false) = (drift, args.output.quiet) {
            stdio::err(&format!(
                "note: the verdict is {verdict}; moving anyway: policy drift accepted ({})\n",
                crate::report::sanitize::terminal(reason)
            ));
        }
        if status != Status::Pass && drift.is_none() {
            let why = format!(
                "the verdict is {verdict}; {} stays with {}",
                self.holds,
                held(self.holder)
            );
            if args.dry_run {
                return (Outcome::DryRun, Some(why), Ok(verdict_exit));
            }
            if let (Action::Request(stage), Status::Fail) = (self.action, status) {
                // Red is known whatever the registry answers (exit 1, not 3), and the tags
                // still say why: a request that is gone (or a refused rejection) is said.
                if let Err(e) = step.reject(stage) {
                    stdio::err(&line(&Said::StepFailed { why: &e }));
                }
            }
            if !args.no_record {
                // Red stays red whether or not the record lands; a lost record is said.
                if let Err(e) = step.record() {
                    stdio::err(&line(&Said::StepFailed { why: &e }));
                }
            }
            return (Outcome::NotMoved, Some(why), Ok(verdict_exit));
        }
        // `models:/NAME/STAGE` is the newest version in the stage: an older candidate put
        // beside a newer one is not what the stage serves, unless the others are archived.
        if let (Action::Stage(stage) | Action::Request(stage), Some(newer)) =
            (self.action, self.newer_in_stage())
        {
            let error = PromoteError::StageResolvesElsewhere {
                name: self.name.to_string(),
                stage: stage.clone(),
                version: self.candidate.to_string(),
                resolves: newer.to_string(),
                moved: false,
            };
            let why = error.to_string();
            let (kind, why) = if args.dry_run {
                let why = why.trim_end_matches("; nothing moved").to_string();
                (Outcome::DryRun, why)
            } else {
                (Outcome::NotMoved, why)
            };
            return (kind, Some(why), Err(error.into()));
        }
        if args.dry_run {
            let why = format!(
                "would move {} from {} to {}",
                self.holds,
                held(self.holder),
                held(Some(self.candidate))
            );
            return (Outcome::DryRun, Some(why), Ok(Exit::Pass));
        }
        match self.move_it(step) {
            Ok(()) => {}
            Err(e) => {
                let kind = match &e {
                    AppError::Promote(PromoteError::Unconfirmed { .. }) => Outcome::Unknown,
                    _ => Outcome::NotMoved,
                };
                return (kind, Some(e.to_string()), Err(e));
            }
        }
        if !args.no_record {
            if let Err(reason) = step.record() {
                let e = PromoteError::RecordFailed {
                    candidate: self.candidate_uri.to_string(),
                    holds: self.holds.to_string(),
                    reason,
                };
                return (Outcome::Moved, None, Err(e.into()));
            }
            if let Err(reason) = self.append_to_ledger(step, drift) {
                let e = PromoteError::LedgerFailed {
                    candidate: self.candidate_uri.to_string(),
                    holds: self.holds.to_string(),
                    reason,
                };
                return (Outcome::Moved, None, Err(e.into()));
            }
        }
        (Outcome::Moved, None, Ok(Exit::Pass))
    }

    /// The version newer than the candidate that holds the stage and would keep holding it:
    /// only without `--archive-existing`.
    fn newer_in_stage(&self) -> Option<&str> {
        let number = |v: &str| v.parse::<u64>().ok();
        let holder = self.holder?;
        let newer = match (number(holder), number(self.candidate)) {
            (Some(h), Some(c)) => h > c,
            _ => false,
        };
        (newer && !self.args.archive_existing).then_some(holder)
    }

    /// The move, as the target's ledger records it.
    fn append_to_ledger(&self, step: &Step<'_>, drift: Option<&str>) -> Result<(), String> {
        let goal = self.action.goal();
        let (actor, run) = actor::actor(&server::process_env);
        let entry = Draft {
            at: ledger_store::now_millis(),
            target: goal.holds(),
            from: self.holder.map(str::to_string),
            to: Some(self.candidate.to_string()),
            how: if self.args.rollback.is_some() {
                How::Rollback
            } else {
                How::Promote
            },
            verdict: record::verdict_word(self.status).to_string(),
            policy: Some(step.record.policy_digest.to_string()),
            snapshot: Some(self.snapshot_digest.to_string()),
            actor,
            run,
            reason: drift.map(|r| format!("policy drift accepted: {r}")),
        };
        let target = ledger_store::target_of(&goal);
        ledger_store::append(step.live, self.name, &target, &entry, self.model_tags).map(|_| ())
    }

    /// The guard, the move and its confirmation.
    fn move_it(&self, step: &Step<'_>) -> Result<(), AppError> {
        let goal = self.action.goal();
        // The guard: the target must still be held by the version judged against.
        let now_held = step.holder(&goal)?;
        if now_held.as_deref() != self.holder {
            return Err(PromoteError::HolderChanged {
                holds: self.holds.to_string(),
                name: self.name.to_string(),
                before: self.holder.map(str::to_string),
                now: now_held,
            }
            .into());
        }
        if let Action::Request(stage) = self.action {
            step.require_open_request(stage)?;
        }
        step.make_move(self.action, self.args.archive_existing, &goal)?;
        step.confirm(self.action, &goal)
    }

    /// The outcome's line on standard error (an error's own message is printed by `main`).
    fn say_outcome(&self, p: &Promotion, ended: Option<Exit>) {
        let (candidate, holds) = (self.candidate_uri, self.holds);
        let was = held(self.holder);
        let said = match p.outcome {
            Outcome::AlreadyHeld => Said::AlreadyHeld { candidate, holds },
            Outcome::DryRun if self.status == Status::Pass && ended == Some(Exit::Pass) => {
                Said::WouldMove {
                    candidate,
                    holds,
                    held_by: &was,
                }
            }
            Outcome::DryRun => Said::WouldNotMove { candidate, holds },
            Outcome::NotMoved if ended.is_some() => Said::NotMoved { candidate, holds },
            Outcome::Moved => Said::Moved {
                candidate,
                holds,
                held_by: &was,
            },
            Outcome::NotMoved | Outcome::Unknown => return,
        };
        if !self.args.output.quiet {
            stdio::err(&line(&said));
        }
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
