//! A transition request to a protected stage (Databricks workspace registry, from a
//! `TRANSITION_REQUEST_CREATED` webhook): judged and then approved or rejected exactly as
//! `promote --approve-request STAGE` does, the verdict as the request's comment and recorded
//! on the version. A request whose verdict is an error (facts missing) stays open: neither
//! approved nor rejected, and said.

use std::time::Instant;

use super::decision::{Act, Decision};
use super::protect::Target;
use super::shared::Guard;
use crate::app::pipeline::session::now_rfc3339;
use crate::app::promote;
use crate::cli::{OutputArgs, PromoteArgs};
use crate::exit::Exit;
use crate::report::promotion::Outcome;

impl Guard {
    /// Decides the open request of `version` to `target`'s stage.
    pub(super) fn decide_request(&self, target: &Target, version: &str, source: &str) -> Decision {
        let started = Instant::now();
        // Requests are routed to stage targets only: `Production`, `Staging`.
        let stage = &target.goal.holds();
        let args = PromoteArgs {
            model: format!("models:/{}/{version}", target.model),
            to_alias: None,
            to_stage: None,
            approve_request: Some(stage.clone()),
            dry_run: false,
            expect_incumbent: None,
            archive_existing: true,
            no_record: false,
            report_url: None,
            now: None,
            rollback: None,
            policy: self.policy.clone(),
            output: OutputArgs {
                fail_on: self.judge.output.fail_on,
                quiet: true,
                ..OutputArgs::default()
            },
            server: self.judge.server.clone(),
        };
        let (promotion, ended) = promote::gate(&args);
        let (action, verdict, reason) = match (&ended, promotion.as_ref().map(|p| p.outcome)) {
            (Ok(Exit::Pass), Some(Outcome::Moved)) => (
                Act::Approved,
                Some("pass"),
                format!("the request of version {version} to {stage} passed and was approved"),
            ),
            (Ok(Exit::PolicyFailed), _) => (
                Act::Rejected,
                Some("fail"),
                format!("the request of version {version} to {stage} failed the policy and was rejected"),
            ),
            (Ok(_), outcome) => (
                Act::CouldNotDecide,
                None,
                format!(
                    "the request of version {version} to {stage} was left open ({})",
                    promotion
                        .as_ref()
                        .and_then(|p| p.why.clone())
                        .unwrap_or_else(|| outcome.map_or("no outcome", Outcome::as_str).to_string())
                ),
            ),
            (Err(e), _) => (
                Act::CouldNotDecide,
                None,
                format!("the request of version {version} to {stage} was left open: {e}"),
            ),
        };
        let decision = Decision {
            time: now_rfc3339(),
            source: source.to_string(),
            model: target.model.clone(),
            target: target.goal.holds(),
            from: promotion.as_ref().and_then(|p| p.from.clone()),
            to: Some(version.to_string()),
            verdict,
            action,
            reason,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            fresh: true,
        };
        self.finish(decision)
    }
}
