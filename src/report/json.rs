//! Machine-readable results: verdict, findings and the policy identity, as JSON.

use serde_json::json;

use super::Evaluation;

/// The JSON results document (`schema: mlgate.results/v1`).
pub fn render(e: &Evaluation<'_>) -> String {
    let s = e.snapshot;
    let doc = json!({
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
        "gather_errors": s.errors,
    });
    // DEL, C1 and invisible characters a server sent, as JSON escapes (same value).
    let mut text = super::sanitize::json(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    text.push('\n');
    text
}
