//! Rules that read the incumbent (the version a promotion would replace): which rules do, and
//! what becomes of them when there is no incumbent to read.
//!
//! A rule reads the incumbent when its selector, or a value one of its checks compares with,
//! starts with `incumbent`. Three situations make such a rule unjudgeable before any check
//! runs: the incumbent could not be gathered (an error, as for any failed call); no version
//! holds the promotion target (skipped, with the reason: a first promotion has nothing to be
//! compared with, which is neither a pass nor a failure — even for `exists = false`); and the
//! snapshot has no incumbent section at all because no promotion was named (an error with a
//! hint, since the rule was written to compare and cannot).

use super::check::reads_incumbent;
use super::{Outcome, Rule};
use crate::snapshot::{Snapshot, INCUMBENT};

/// Whether the rule reads the incumbent, through its selector or a compared value.
pub(super) fn read_by(rule: &Rule) -> bool {
    reads_incumbent(&rule.select) || rule.check.references().into_iter().any(reads_incumbent)
}

/// The outcome of a rule reading the incumbent when the incumbent cannot be read; `None` when
/// it can (its paths are then judged one by one, like the candidate's).
pub(super) fn unreadable(snapshot: &Snapshot) -> Option<(Outcome, String)> {
    if let Some(e) = snapshot.error_for(INCUMBENT) {
        let what = if e.section == INCUMBENT {
            "the incumbent could not be gathered: "
        } else {
            ""
        };
        return Some((
            Outcome::Error,
            format!("could not evaluate: {what}{}", e.describe()),
        ));
    }
    if let Some(u) = snapshot.unavailable_for(INCUMBENT) {
        return Some((
            Outcome::Skipped,
            format!(
                "not applicable: {}, so there is no incumbent to compare with",
                u.reason
            ),
        ));
    }
    if snapshot.incumbent.is_none() {
        return Some((
            Outcome::Error,
            "could not evaluate: the snapshot has no incumbent (it was gathered without a promotion target); the incumbent is gathered by `mlgate promote`, or by `check` with --target-alias/--target-stage".to_string(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::check::{Better, Check, CheckSet, Comparison, Tolerance};
    use super::super::{evaluate, Outcome, Rule, Scope, Selector, Severity};
    use crate::snapshot::{GatherError, Incumbent, Snapshot};

    fn rule(id: &str, select: &str, check: Check) -> Rule {
        Rule {
            id: id.into(),
            title: id.into(),
            severity: Severity::Error,
            description: String::new(),
            remediation: None,
            select: Selector::parse(select).unwrap(),
            check: CheckSet(vec![check]),
            message: None,
            scope: Scope::default(),
            source: "t.toml".into(),
            line: 1,
        }
    }

    fn auc_not_worse() -> Rule {
        rule(
            "auc-not-worse",
            "run.metrics.auc",
            Check::NotWorseThan(Comparison {
                reference: Selector::parse("incumbent.run.metrics.auc").unwrap(),
                better: Better::Higher,
                tolerance: Tolerance::Absolute(0.005),
            }),
        )
    }

    fn metrics(auc: Option<f64>) -> Value {
        let mut m = json!({"loss": {"value": 0.3, "timestamp": 1, "step": 0}});
        if let Some(a) = auc {
            m["auc"] = json!({"value": a, "timestamp": 1, "step": 0});
        }
        json!({"info": {"run_id": "r", "status": "FINISHED"}, "metrics": m})
    }

    /// A candidate with auc 0.9, promoted over an incumbent with `incumbent_auc`.
    fn snapshot(incumbent_auc: Option<f64>) -> Snapshot {
        serde_json::from_value(json!({
            "schema_version": 1,
            "manifest": {"gathered_by": "test", "gathered_at": "2026-11-26T00:00:00Z"},
            "target": {"reference": "models:/m/4", "kind": "version", "name": "m", "version": "4", "alias": "champion"},
            "run": metrics(Some(0.9)),
            "incumbent": {"holds": "@champion", "version": "3", "run": metrics(incumbent_auc)}
        }))
        .unwrap()
    }

    fn outcomes(snapshot: &Snapshot, rules: &[Rule]) -> Vec<(Outcome, String)> {
        evaluate(snapshot, rules, &[], 0)
            .findings
            .into_iter()
            .map(|f| (f.outcome, f.detail))
            .collect()
    }

    #[test]
    fn with_an_incumbent_the_comparison_is_judged() {
        let found = outcomes(&snapshot(Some(0.95)), &[auc_not_worse()]);
        assert_eq!(found[0].0, Outcome::Fail, "{found:?}");
        assert!(found[0].1.starts_with(
            "auc 0.900 is worse than the incumbent's 0.950 by 0.050 (allowed: 0.005)"
        ));
        let found = outcomes(&snapshot(Some(0.902)), &[auc_not_worse()]);
        assert_eq!(found[0].0, Outcome::Pass, "{found:?}");
    }

    #[test]
    fn an_incumbent_without_the_value_is_an_error_naming_its_path() {
        let found = outcomes(&snapshot(None), &[auc_not_worse()]);
        assert_eq!(found[0].0, Outcome::Error);
        assert!(
            found[0]
                .1
                .contains("incumbent.run.metrics.auc is not in the snapshot"),
            "{found:?}"
        );
    }

    #[test]
    fn a_vacant_target_skips_every_rule_reading_the_incumbent_and_only_those() {
        let mut s = snapshot(None);
        s.incumbent = None;
        Incumbent::attach_vacant(&mut s, "@champion");
        let rules = [
            auc_not_worse(),
            // Even a check that would hold on nothing is skipped, not passed.
            rule("no-incumbent-run", "incumbent.run", Check::Exists(false)),
            rule("holds", "incumbent.holds", Check::Exists(true)),
            rule("candidate-auc", "run.metrics.auc", Check::Min(0.8)),
        ];
        let found = outcomes(&s, &rules);
        for (outcome, detail) in &found[..3] {
            assert_eq!(*outcome, Outcome::Skipped, "{found:?}");
            assert!(detail.contains("no version holds @champion"), "{detail}");
        }
        assert_eq!(found[3].0, Outcome::Pass);
    }

    #[test]
    fn without_an_incumbent_section_a_rule_reading_it_is_an_error_with_a_hint() {
        let mut s = snapshot(None);
        s.incumbent = None;
        let rules = [
            auc_not_worse(),
            rule(
                "incumbent-auc",
                "incumbent.run.metrics.auc",
                Check::Exists(false),
            ),
            rule("candidate-auc", "run.metrics.auc", Check::Min(0.8)),
        ];
        let found = outcomes(&s, &rules);
        for (outcome, detail) in &found[..2] {
            assert_eq!(*outcome, Outcome::Error, "{found:?}");
            assert!(detail.starts_with("could not evaluate: the snapshot has no incumbent"));
            assert!(detail
                .contains("`mlgate promote`, or by `check` with --target-alias/--target-stage"));
        }
        assert_eq!(found[2].0, Outcome::Pass);
    }

    #[test]
    fn a_failed_call_for_the_incumbent_is_an_error_that_says_so() {
        let failure = |section: &str| GatherError {
            section: section.into(),
            call: "GET /api/2.0/mlflow/runs/get".into(),
            http_status: Some(503),
            error_code: None,
            message: "unavailable".into(),
            ..GatherError::default()
        };
        let mut s = snapshot(None);
        if let Some(i) = s.incumbent.as_deref_mut() {
            i.run = None;
        }
        s.errors.push(failure("incumbent.run"));
        let found = outcomes(&s, &[auc_not_worse()]);
        assert_eq!(found[0].0, Outcome::Error);
        assert!(
            found[0].1.contains("runs/get failed (HTTP 503"),
            "{found:?}"
        );

        let mut s = snapshot(None);
        s.errors.push(failure("incumbent"));
        let found = outcomes(&s, &[auc_not_worse()]);
        assert!(found[0]
            .1
            .starts_with("could not evaluate: the incumbent could not be gathered"));
    }

    /// The candidate's run was gathered and has no `auc`: it cannot show it is not worse, a
    /// failure that says what is missing (not an error: nothing failed to be read).
    #[test]
    fn a_candidate_without_the_value_fails() {
        let mut s = snapshot(Some(0.9));
        s.run = serde_json::from_value(metrics(None)).unwrap();
        let found = outcomes(&s, &[auc_not_worse()]);
        assert_eq!(found[0], (Outcome::Fail, "run has no metric `auc`".into()));
    }
}
