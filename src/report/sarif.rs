//! SARIF 2.1.0, for code-scanning viewers (GitHub's Security tab). A model version is not a
//! file, so each result is anchored where GitHub insists on a file in the repository: the
//! policy file, at the line of the rule; the model itself is a logical location. Only failures
//! and evaluation errors become results (GitHub opens alerts even for suppressed results, so
//! waived findings are left out); gather errors become tool notifications.
//!
//! GitHub maps results to files of the checkout, so every URI is relative to the repository
//! root (`uriBaseId: %SRCROOT%`). Rules with no file there — the bundled packs, which live
//! inside mlgate, and policies outside the repository — are shown at a stand-in the user has
//! (their `mlgate.toml`, the workflow that ran mlgate, or `--sarif-anchor`); without one, a
//! result keeps only its logical location and its message says why. The caller works out
//! these places ([`Site`]); this module does no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::Evaluation;
use crate::engine::{Finding, Outcome, Rule, Severity, Status};

/// The project's home, named as the tool's `informationUri`.
const INFORMATION_URI: &str = "https://github.com/mlgate/mlgate";

/// The documentation of the bundled rules: `docs/rules.md` has one `### <rule-id>` heading per
/// rule (written by `src/docs.rs`), and rule ids are kebab-case, so `#<rule-id>` is the
/// heading's anchor as GitHub renders it.
pub const RULE_DOCS: &str = "https://github.com/mlgate/mlgate/blob/main/docs/rules.md";

/// The base every result URI is relative to: the repository root, which GitHub resolves to
/// its checkout.
pub const SRCROOT: &str = "%SRCROOT%";

/// Where the results can point in the repository under scan.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// The repository root as an absolute `file:` URI ending in `/` (`originalUriBaseIds`).
    pub root: Option<String>,
    /// Each policy file, as findings name it ([`Finding::source`]), and where its results go.
    /// A file missing here has no place: its results keep only their logical location.
    pub places: BTreeMap<String, Place>,
    /// The policy files that are bundled packs (`builtin:NAME`), documented in `docs/rules.md`.
    pub bundled: BTreeSet<String>,
}

/// Where the results of one policy file's rules are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The policy file is in the repository at this path (relative to the root, `/`-separated,
    /// percent-encoded): results point at the rule's line.
    File(String),
    /// The rules have no file in the repository: results point at a stand-in file the user
    /// has (same form as [`Place::File`]) at `line`, and `why` says so in their message.
    StandIn {
        uri: String,
        line: usize,
        why: String,
    },
    /// No file to point at: results keep only their logical location, and `why` says so.
    Nowhere { why: String },
}

impl Site {
    /// The repository file (a plain `/`-separated path relative to the root, not a URI) and
    /// line to show `f` at, for sinks that take a path: GitHub annotations, GitLab Code
    /// Quality. None when its rule has no file in the repository and no stand-in was found.
    pub fn file_of(&self, f: &Finding) -> Option<(String, usize)> {
        let decode = |uri: &str| {
            percent_encoding::percent_decode_str(uri)
                .decode_utf8_lossy()
                .into_owned()
        };
        match self.places.get(&f.source)? {
            Place::File(uri) => Some((decode(uri), f.line.max(1))),
            Place::StandIn { uri, line, .. } => Some((decode(uri), (*line).max(1))),
            Place::Nowhere { .. } => None,
        }
    }
}

/// Why a result has no place when the caller named none for its policy file.
const NO_PLACE: &str = "no file in this repository to show it at";

/// The SARIF document.
pub fn render(e: &Evaluation<'_>, rules: &[Rule], site: &Site) -> String {
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
    let descriptors: Vec<Value> = rule_ids
        .iter()
        .filter_map(|id| e.findings.iter().find(|f| f.rule_id == *id))
        .map(|f| {
            let rule = rules.iter().find(|r| r.id == f.rule_id);
            descriptor(f, rule, site.bundled.contains(&f.source))
        })
        .collect();
    let logical = json!([{ "name": name, "kind": "resource", "fullyQualifiedName": model_uri }]);
    let results: Vec<Value> = e
        .findings
        .iter()
        .filter(|f| is_result(f))
        .map(|f| {
            let place = site.places.get(&f.source);
            let (physical, note) = match place {
                Some(Place::File(uri)) => (Some(physical(uri, f.line)), None),
                Some(Place::StandIn { uri, line, why }) => {
                    (Some(physical(uri, *line)), Some(why.as_str()))
                }
                Some(Place::Nowhere { why }) => (None, Some(why.as_str())),
                None => (None, Some(NO_PLACE)),
            };
            let mut location = Map::new();
            if let Some(physical) = physical {
                location.insert("physicalLocation".into(), physical);
            }
            location.insert("logicalLocations".into(), logical.clone());
            let text = match note {
                Some(note) => format!("{model_uri}: {} ({note})", f.message),
                None => format!("{model_uri}: {}", f.message),
            };
            json!({
                "ruleId": f.rule_id,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.rule_id).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [location],
                // Without the version: one alert per rule and model, kept across versions.
                "partialFingerprints": { "mlgate/v1": format!("{}|{name}", f.rule_id) },
                "properties": {
                    "outcome": f.outcome,
                    "model": name,
                    "version": s.target.version,
                    "runId": s.target.run_id,
                    "select": f.select,
                    "detail": f.detail,
                    // Where the rule is defined, whatever file the result is shown at.
                    "policyFile": f.source,
                    "policyLine": f.line,
                }
            })
        })
        .collect();
    let mut notifications: Vec<Value> = s
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
    let unplaced = unplaced(e, site);
    if unplaced > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{unplaced} result(s) have no file in this repository to point at, and GitHub code scanning rejects a SARIF file with such results: add an mlgate.toml or pass --sarif-anchor FILE"
            ) }
        }));
    }
    let mut run = json!({
        "tool": { "driver": {
            "name": "mlgate",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": INFORMATION_URI,
            "rules": descriptors
        } },
        "automationDetails": { "id": format!("mlgate/{name}/") },
        "invocations": [{
            "executionSuccessful": e.verdict.status != Status::Error,
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
    });
    if let Some(root) = &site.root {
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": root } });
    }
    let doc = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [run]
    });
    // DEL, C1 and invisible characters a server sent, as JSON escapes (same value).
    let mut text = super::sanitize::json(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    text.push('\n');
    text
}

/// How many results have no file to point at (GitHub rejects a file holding any).
pub fn unplaced(e: &Evaluation<'_>, site: &Site) -> usize {
    e.findings
        .iter()
        .filter(|f| is_result(f))
        .filter(|f| {
            matches!(
                site.places.get(&f.source),
                None | Some(Place::Nowhere { .. })
            )
        })
        .count()
}

/// Failures and evaluation errors are results; passes, waivers and skips are not.
fn is_result(f: &Finding) -> bool {
    matches!(f.outcome, Outcome::Fail | Outcome::Error)
}

fn physical(uri: &str, line: usize) -> Value {
    json!({
        "artifactLocation": { "uri": uri, "uriBaseId": SRCROOT },
        // GitHub rejects a result without a region (its rule GH1003): line 1 at least.
        "region": { "startLine": line.max(1) }
    })
}

/// The `reportingDescriptor` of one rule: its title, description, remediation and docs.
fn descriptor(f: &Finding, rule: Option<&Rule>, bundled: bool) -> Value {
    let description = rule.map_or_else(String::new, |r| unwrap(&r.description));
    let remediation = rule
        .and_then(|r| r.remediation.as_deref())
        .map(unwrap)
        .filter(|r| !r.is_empty());
    let full = if description.is_empty() {
        f.title.clone()
    } else {
        description.clone()
    };
    let mut text = full.clone();
    let mut markdown = format!("**{}**\n\n{full}", f.title);
    if let Some(remediation) = &remediation {
        let _ = write!(text, "\n\nRemediation: {remediation}");
        let _ = write!(markdown, "\n\n**Remediation:** {remediation}");
    }
    // Bundled rules are documented in the project's docs; a user's rule has its own file.
    let help_uri = bundled.then(|| format!("{RULE_DOCS}#{}", f.rule_id));
    if let Some(uri) = &help_uri {
        let _ = write!(markdown, "\n\n[Rule documentation]({uri})");
    }
    let mut d = Map::new();
    d.insert("id".into(), json!(f.rule_id));
    d.insert("shortDescription".into(), json!({ "text": f.title }));
    d.insert("fullDescription".into(), json!({ "text": full }));
    d.insert("help".into(), json!({ "text": text, "markdown": markdown }));
    if let Some(uri) = help_uri {
        d.insert("helpUri".into(), json!(uri));
    }
    d.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(f.severity) }),
    );
    d.insert(
        "properties".into(),
        json!({
            // GitHub reads security-severity only from rules tagged `security`.
            "security-severity": security_severity(f.severity),
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
