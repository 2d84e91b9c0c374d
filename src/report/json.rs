//! Machine-readable results: verdict, findings, the calls that failed while gathering (each
//! with the rules it blocked) and the policy identity, as JSON; for `promote`, what the
//! promotion did (`promotion`: outcome, target, from, to, why).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::reporter::{Reporter, Shape};
use super::summary::{Files, Summary};
use super::Evaluation;
use crate::engine::Status;

/// The JSON results document (`schema: mlgate.results/v1`).
pub fn render(e: &Evaluation<'_>) -> String {
    let s = e.snapshot;
    let mut doc = json!({
        "schema": "mlgate.results/v1",
        "mlgate_version": env!("CARGO_PKG_VERSION"),
        "target": s.target,
        "model_uri": s.model_uri(),
        "links": crate::snapshot::derive::links(s),
        "gathered_at": s.manifest.gathered_at,
        "policy": { "files": e.policy_files, "digest": e.policy_digest },
        "verdict": {
            "passed": e.verdict.passed,
            "status": e.verdict.status,
            "fail_on": e.verdict.fail_on,
            "blocking": e.verdict.blocking,
            "gather_errors": e.verdict.gather_errors,
            "gather_errors_allowed": e.verdict.gather_errors_allowed,
            "counts": e.verdict.counts.iter().map(|(o, n)| (o.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        },
        "findings": e.findings,
        "waiver_notes": e.notes,
        "gather_errors": gather_errors(e),
    });
    // `promote`: what the promotion did (`check` has no such key).
    if let (Some(p), Value::Object(fields)) = (e.promotion, &mut doc) {
        fields.insert("promotion".into(), p.json());
    }
    // DEL, C1 and invisible characters a server sent, as JSON escapes (same value).
    let mut text = super::sanitize::json(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    text.push('\n');
    text
}

/// The calls that failed while gathering, each as the snapshot records it plus `description`
/// (the one line every other output shows for it) and
/// `blocked_rules`: the ids of the rules it kept from being evaluated (in policy order), so a
/// reader gets each outage with its rules without joining the findings' `blocked_by` (the
/// index of their call in this list) itself. The findings stay whole: each rule's outcome is
/// there too.
fn gather_errors(e: &Evaluation<'_>) -> Vec<Value> {
    super::outages(e)
        .iter()
        .map(|o| {
            let mut entry = serde_json::to_value(o.error).unwrap_or_default();
            if let Value::Object(fields) = &mut entry {
                fields.insert("description".into(), json!(o.error.describe()));
                fields.insert("blocked_rules".into(), json!(o.blocked_ids()));
            }
            entry
        })
        .collect()
}

/// The JSON reporter: one results document, or for many versions one document listing each
/// version's (`schema: mlgate.bulk-results/v1`) with the run's summary, streamed.
pub struct Json {
    shape: Shape,
    results: usize,
}

impl Json {
    pub fn new(shape: Shape) -> Self {
        Self { shape, results: 0 }
    }

    fn open(&self, out: &mut String) {
        if self.results == 0 {
            let _ = write!(
                out,
                "{{\n\"schema\": \"mlgate.bulk-results/v1\",\n\"mlgate_version\": \"{}\",\n\"results\": [\n",
                env!("CARGO_PKG_VERSION")
            );
        }
    }
}

impl Reporter for Json {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        match self.shape {
            Shape::One => out.push_str(&render(e)),
            Shape::Many => {
                self.open(out);
                if self.results > 0 {
                    out.push_str(",\n");
                }
                out.push_str(render(e).trim_end());
            }
        }
        self.results += 1;
    }

    fn finish(&mut self, s: &Summary, out: &mut String) {
        if self.shape == Shape::One {
            return;
        }
        self.open(out);
        let summary = json!({
            "status": s.status(),
            "selected": s.selected,
            "checked": s.versions.len(),
            "models": s.models,
            "pass": s.tally(Status::Pass),
            "fail": s.tally(Status::Fail),
            "error": s.tally(Status::Error),
            "interrupted": s.interrupted,
            "problem": s.problem,
        });
        let _ = write!(out, "\n],\n");
        // Which file holds which version (`--snapshot-dir`, `--report-dir`): a name too long
        // for a file system is shortened, so the mapping cannot be rebuilt from the names.
        let files: Vec<Value> = s
            .versions
            .iter()
            .filter(|v| v.files != Files::default())
            .map(|v| {
                json!({
                    "model": v.model,
                    "version": v.version,
                    "snapshot": v.files.snapshot,
                    "report": v.files.report,
                })
            })
            .collect();
        if !files.is_empty() {
            let _ = writeln!(
                out,
                "\"files\": {},",
                super::sanitize::json(&serde_json::to_string_pretty(&files).unwrap_or_default())
            );
        }
        let _ = write!(
            out,
            "\"summary\": {}\n}}\n",
            super::sanitize::json(&serde_json::to_string_pretty(&summary).unwrap_or_default())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Fixture;

    /// Each failed call lists the rules it blocked; every finding stays, naming its call.
    #[test]
    fn each_failed_call_lists_the_rules_it_blocked() {
        let fixture = Fixture::example(|_| {});
        let doc: Value = serde_json::from_str(&render(&fixture.evaluation())).unwrap();
        let errors = doc["gather_errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{doc}");
        assert_eq!(errors[0]["section"], "permissions.experiment");
        assert_eq!(
            errors[0]["blocked_rules"],
            json!(["experiment-users-group-can-manage"])
        );
        let findings = doc["findings"].as_array().unwrap();
        assert_eq!(findings.len(), fixture.findings.len());
        let blocked: Vec<&Value> = findings
            .iter()
            .filter(|f| f["blocked_by"] == 0)
            .map(|f| &f["rule_id"])
            .collect();
        assert_eq!(blocked, [&json!("experiment-users-group-can-manage")]);

        let mut other = Fixture::example(|_| {});
        for f in &mut other.findings {
            f.blocked_by = None;
        }
        let doc: Value = serde_json::from_str(&render(&other.evaluation())).unwrap();
        assert_eq!(doc["gather_errors"][0]["blocked_rules"], json!([]));
    }
}
