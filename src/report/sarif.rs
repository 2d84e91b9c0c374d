//! SARIF 2.1.0, for code-scanning viewers (GitHub's Security tab). A model version is not a
//! file, so each result is anchored where GitHub insists on a file: the policy file, at the
//! line of the rule; the model itself is a logical location. Only failures and evaluation
//! errors become results (GitHub opens alerts even for suppressed results, so waived findings
//! are left out); gather errors become tool notifications.

use serde_json::{json, Value};

use super::Evaluation;
use crate::engine::{Outcome, Severity};

/// The SARIF document.
pub fn render(e: &Evaluation<'_>) -> String {
    let s = e.snapshot;
    let model_uri = s.model_uri();
    let name = s
        .target
        .name
        .clone()
        .unwrap_or_else(|| s.target.reference.clone());
    let mut rule_ids: Vec<&str> = Vec::new();
    for f in e.findings {
        if !rule_ids.contains(&f.rule_id.as_str()) {
            rule_ids.push(&f.rule_id);
        }
    }
    let rules: Vec<Value> = e
        .findings
        .iter()
        .map(|f| {
            json!({
                "id": f.rule_id,
                "shortDescription": { "text": f.title },
                "defaultConfiguration": { "level": level(f.severity) },
                "properties": { "security-severity": security_severity(f.severity), "tags": ["mlflow", "governance"] },
            })
        })
        .collect();
    let results: Vec<Value> = e
        .findings
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Fail | Outcome::Error))
        .map(|f| {
            json!({
                "ruleId": f.rule_id,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.rule_id).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": format!("{model_uri}: {}", f.message) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.source },
                        "region": { "startLine": f.line.max(1) }
                    },
                    "logicalLocations": [{ "name": name, "kind": "resource", "fullyQualifiedName": model_uri }]
                }],
                // Without the version: one alert per rule and model, kept across versions.
                "partialFingerprints": { "mlgate/v1": format!("{}|{name}", f.rule_id) },
                "properties": {
                    "outcome": f.outcome,
                    "model": name,
                    "version": s.target.version,
                    "runId": s.target.run_id,
                    "select": f.select,
                    "detail": f.detail,
                }
            })
        })
        .collect();
    let notifications: Vec<Value> = s
        .errors
        .iter()
        .map(|err| {
            json!({
                // Facts that could not be read leave the verdict undecided unless allowed.
                "level": if e.verdict.gather_errors_allowed { "warning" } else { "error" },
                "message": { "text": format!("could not gather {}: {}", err.section, err.describe()) }
            })
        })
        .collect();
    let doc = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "mlgate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/mlgate/mlgate",
                "rules": rules
            } },
            "automationDetails": { "id": format!("mlgate/{name}/") },
            "invocations": [{
                "executionSuccessful": e.verdict.status != crate::engine::Status::Error,
                "toolExecutionNotifications": notifications
            }],
            "properties": {
                "trackingUri": s.manifest.tracking_uri,
                "backend": s.manifest.backend,
                "model": name,
                "version": s.target.version,
                "runId": s.target.run_id,
                "policyDigest": e.policy_digest,
            },
            "results": results
        }]
    });
    // DEL, C1 and invisible characters a server sent, as JSON escapes (same value).
    let mut text = super::sanitize::json(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// GitHub's severity label is driven by this number (high / medium / low).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.9",
        Severity::Warning => "6.9",
        Severity::Info => "3.9",
    }
}
