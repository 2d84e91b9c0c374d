//! From a verified webhook to the decisions it asks for: the [`Sink`] the listener
//! (`crate::serve`) hands each event to. An event names a model and what changed; every
//! protected target of that model the change can touch is queued (an alias event only its
//! alias, a stage event the stages, a new version or an `mlgate.*` tag every target), and a
//! transition request to a protected stage becomes a request job. Nothing is decided here:
//! the delivery is answered at once and the workers decide.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::protect::Protect;
use super::scheduler::{Job, Scheduler};
use crate::gather::Goal;
use crate::serve::{Disposition, Event, EventKind, Sink};

/// Whether the guard can work, for `/healthz`: the last reconcile pass could list its targets.
#[derive(Default)]
pub(super) struct Health {
    pub failing: AtomicBool,
    pub problem: Mutex<String>,
}

impl Health {
    pub(super) fn set(&self, problem: Option<String>) {
        self.failing.store(problem.is_some(), Ordering::Relaxed);
        *self.problem.lock().unwrap_or_else(PoisonError::into_inner) = problem.unwrap_or_default();
    }
}

pub(super) struct GuardSink {
    pub rules: Vec<Protect>,
    pub scheduler: Arc<Scheduler>,
    pub health: Arc<Health>,
}

impl Sink for GuardSink {
    fn deliver(&self, event: Event) -> Disposition {
        let jobs = jobs_for(&self.rules, &event);
        if jobs.is_empty() {
            return Disposition::Ignored(match event.kind {
                EventKind::TagSet { .. } | EventKind::TagDeleted { .. } => {
                    "not an mlgate tag of a protected model"
                }
                _ => "no protected target of this model is touched",
            });
        }
        for job in jobs {
            self.scheduler.ask(job);
        }
        Disposition::Accepted
    }

    fn health(&self) -> (bool, String) {
        if self.health.failing.load(Ordering::Relaxed) {
            let problem = self
                .health
                .problem
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            return (false, problem);
        }
        (
            true,
            format!("ok: {} decision(s) waiting", self.scheduler.waiting()),
        )
    }
}

/// The jobs an event asks for.
fn jobs_for(rules: &[Protect], event: &Event) -> Vec<Job> {
    let source = format!("webhook:{}", event.delivery);
    let touched = |goal: &Goal| match (&event.kind, goal) {
        (EventKind::AliasSet { alias, .. } | EventKind::AliasDeleted { alias }, Goal::Alias(a)) => {
            alias == a
        }
        (EventKind::StageTransitioned { .. }, Goal::Stage(_))
        | (EventKind::VersionCreated { .. }, _) => true,
        (EventKind::TagSet { key, .. } | EventKind::TagDeleted { key, .. }, _) => {
            key.starts_with("mlgate.")
        }
        // An alias event touches no stage, a stage event no alias; requests are jobs of their own.
        (EventKind::AliasSet { .. } | EventKind::AliasDeleted { .. }, Goal::Stage(_))
        | (EventKind::StageTransitioned { .. }, Goal::Alias(_))
        | (EventKind::TransitionRequested { .. }, _) => false,
    };
    let mut jobs = Vec::new();
    for rule in rules.iter().filter(|r| r.covers(&event.model)) {
        let target = rule.target(&event.model);
        if let EventKind::TransitionRequested { version, to_stage } = &event.kind {
            if matches!(&rule.goal, Goal::Stage(s) if s.eq_ignore_ascii_case(to_stage)) {
                let mut job = Job::new(target, source.clone());
                job.request = Some(version.clone());
                jobs.push(job);
            }
        } else if touched(&rule.goal) {
            jobs.push(Job::new(target, source.clone()));
        }
    }
    jobs.dedup_by(|a, b| a == b);
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::OnViolation;
    use crate::serve::Source;

    fn rule(model: &str, goal: Goal) -> Protect {
        Protect {
            model: model.into(),
            goal,
            on_violation: OnViolation::Revert,
            max_age: None,
        }
    }

    fn event(model: &str, kind: EventKind) -> Event {
        Event {
            source: Source::Mlflow,
            delivery: "d-1".into(),
            model: model.into(),
            kind,
            received: std::time::Instant::now(),
        }
    }

    fn asked(rules: &[Protect], e: &Event) -> Vec<String> {
        jobs_for(rules, e)
            .iter()
            .map(|j| {
                format!(
                    "{}{}{}",
                    j.target.model,
                    j.target.goal.holds(),
                    j.request
                        .as_deref()
                        .map(|v| format!(" request {v}"))
                        .unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn each_event_asks_for_the_targets_it_can_touch() {
        let rules = [
            rule("churn", Goal::Alias("champion".into())),
            rule("churn", Goal::Stage("Production".into())),
            rule("fraud-*", Goal::Alias("champion".into())),
        ];
        let alias = |a: &str| EventKind::AliasSet {
            alias: a.into(),
            version: "3".into(),
        };
        assert_eq!(
            asked(&rules, &event("churn", alias("champion"))),
            ["churn@champion"]
        );
        assert!(asked(&rules, &event("churn", alias("challenger"))).is_empty());
        assert_eq!(
            asked(&rules, &event("fraud-eu", alias("champion"))),
            ["fraud-eu@champion"]
        );
        assert!(asked(&rules, &event("other", alias("champion"))).is_empty());
        let created = EventKind::VersionCreated {
            version: "4".into(),
        };
        assert_eq!(
            asked(&rules, &event("churn", created)),
            ["churn@champion", "churnProduction"]
        );
        let tag = |k: &str| EventKind::TagSet {
            version: "3".into(),
            key: k.into(),
        };
        assert_eq!(
            asked(&rules, &event("churn", tag("mlgate.verdict"))).len(),
            2
        );
        assert!(asked(&rules, &event("churn", tag("owner"))).is_empty());
        let moved = EventKind::StageTransitioned {
            version: "3".into(),
            to_stage: "Archived".into(),
        };
        assert_eq!(asked(&rules, &event("churn", moved)), ["churnProduction"]);
        let request = |s: &str| EventKind::TransitionRequested {
            version: "5".into(),
            to_stage: s.into(),
        };
        assert_eq!(
            asked(&rules, &event("churn", request("production"))),
            ["churnProduction request 5"]
        );
        assert!(asked(&rules, &event("churn", request("Staging"))).is_empty());
    }
}
