//! The `tool.driver.rules` of a SARIF run: one `reportingDescriptor` per rule of the policy,
//! in policy order (a result's `ruleIndex` is the rule's position), with its title,
//! description, remediation, documentation and the severity GitHub shows. Built from the
//! rules alone, so the descriptors open the document before any version is judged.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::RULE_DOCS;
use crate::engine::{Rule, Severity};

/// The `reportingDescriptor` of one rule: its title, description, remediation and docs.
pub(super) fn descriptor(rule: &Rule, bundled: bool) -> Value {
    let description = unwrap(&rule.description);
    let remediation = rule
        .remediation
        .as_deref()
        .map(unwrap)
        .filter(|r| !r.is_empty());
    let full = if description.is_empty() {
        rule.title.clone()
    } else {
        description.clone()
    };
    let mut text = full.clone();
    let mut markdown = format!("**{}**\n\n{full}", rule.title);
    if let Some(remediation) = &remediation {
        let _ = write!(text, "\n\nRemediation: {remediation}");
        let _ = write!(markdown, "\n\n**Remediation:** {remediation}");
    }
    // Bundled rules are documented in the project's docs; a user's rule has its own file.
    let help_uri = bundled.then(|| format!("{RULE_DOCS}#{}", rule.id));
    if let Some(uri) = &help_uri {
        let _ = write!(markdown, "\n\n[Rule documentation]({uri})");
    }
    let mut d = Map::new();
    d.insert("id".into(), json!(rule.id));
    d.insert("shortDescription".into(), json!({ "text": rule.title }));
    d.insert("fullDescription".into(), json!({ "text": full }));
    d.insert("help".into(), json!({ "text": text, "markdown": markdown }));
    if let Some(uri) = help_uri {
        d.insert("helpUri".into(), json!(uri));
    }
    d.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(rule.severity) }),
    );
    d.insert(
        "properties".into(),
        json!({
            // GitHub reads security-severity only from rules tagged `security`.
            "security-severity": security_severity(rule.severity),
            "tags": ["security", "mlflow", "governance"],
            // Rules check recorded facts exactly (no heuristics): a result is never a guess.
            "precision": "very-high",
        }),
    );
    Value::Object(d)
}

/// Policy text as one line per paragraph: TOML strings are wrapped by hand, viewers wrap
/// themselves.
fn unwrap(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub(super) fn level(severity: Severity) -> &'static str {
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
