//! Judging a snapshot: the engine's findings and verdict at the run's threshold, and the copy
//! outputs are written from. The rules see the real values; every output shows a redacted
//! snapshot, and findings quote values through the same decision (see `redact`).

use super::super::{console, stdio};
use super::prepare::Prepared;
use crate::cli::OutputArgs;
use crate::engine;
use crate::policy::Policy;
use crate::report::{notice, Evaluation};
use crate::snapshot::Snapshot;

/// What the engine made of a snapshot: findings, waiver notes and the verdict.
pub(crate) struct Judged {
    pub evaluation: engine::Evaluation,
    pub verdict: engine::Verdict,
    pub notes: Vec<String>,
}

/// Evaluates the policies against the snapshot; waiver warnings go to stderr. With `redact`,
/// finding messages quote values as the redacted snapshot shows them.
pub(crate) fn judge(
    snapshot: &Snapshot,
    prepared: &Prepared,
    output: &OutputArgs,
    redact: bool,
) -> Judged {
    let judged = judge_quietly(snapshot, prepared, output, redact);
    stdio::err(&notice::waiver_warnings(
        &judged.evaluation.waiver_notes,
        &prepared.policy.waivers,
        &prepared.texts,
        console::use_color(),
    ));
    judged
}

/// [`judge`] without the waiver warnings (a bulk run says them once, over all versions).
pub(crate) fn judge_quietly(
    snapshot: &Snapshot,
    prepared: &Prepared,
    output: &OutputArgs,
    redact: bool,
) -> Judged {
    let policy = &prepared.policy;
    let evaluate = if redact {
        engine::evaluate_redacted
    } else {
        engine::evaluate
    };
    let evaluation = evaluate(snapshot, &policy.rules, &policy.waivers, prepared.today);
    let verdict = engine::verdict(
        &evaluation.findings,
        prepared.fail_on,
        snapshot.errors.len(),
        output.allow_gather_errors,
        output.allow_all_skipped,
    );
    let notes = evaluation
        .waiver_notes
        .iter()
        .map(|n| n.message.clone())
        .collect();
    Judged {
        evaluation,
        verdict,
        notes,
    }
}

/// A judged version as outputs show it: the snapshot redacted when asked (the findings were
/// judged with the same choice).
pub(crate) struct Shown {
    pub snapshot: Snapshot,
}

impl Shown {
    pub(crate) fn new(snapshot: &Snapshot, redact: bool) -> Self {
        Self {
            snapshot: crate::redact::snapshot(snapshot, redact),
        }
    }

    /// What every reporter is given.
    pub(crate) fn evaluation<'a>(
        &'a self,
        judged: &'a Judged,
        policy: &'a Policy,
    ) -> Evaluation<'a> {
        Evaluation {
            snapshot: &self.snapshot,
            findings: &judged.evaluation.findings,
            verdict: &judged.verdict,
            policy_files: &policy.files,
            policy_digest: &policy.digest,
            notes: &judged.notes,
            promotion: None,
        }
    }
}
