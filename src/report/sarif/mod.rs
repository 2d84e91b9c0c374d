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
//!
//! One document serves one version or a whole bulk run: the rule descriptors open it, each
//! version's results are streamed into one `results` array as it is judged, and the run's
//! invocation (notifications, `executionSuccessful`) closes it. Fingerprints hold the model
//! and the rule, never the version, so a registry-wide scan opens and closes the right alerts.

mod rules;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::reporter::{pretty_item, JsonList, Reporter, Shape};
use super::summary::Summary;
use super::Evaluation;
use crate::engine::{Finding, Outcome, Rule, Status};

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

/// The SARIF document of one version.
pub fn render(e: &Evaluation<'_>, rules: &[Rule], site: &Site) -> String {
    let mut sarif = Sarif::new(rules, site, Shape::One);
    let mut out = String::new();
    sarif.version(e, &mut out);
    sarif.finish(&Summary::default(), &mut out);
    out
}

/// The SARIF reporter: one run, its results streamed version by version.
pub struct Sarif<'a> {
    rules: &'a [Rule],
    site: &'a Site,
    shape: Shape,
    opened: bool,
    results: JsonList,
    notifications: Vec<Value>,
    unplaced: usize,
    /// Run properties, from the first version (a single check's are all of it).
    properties: Option<Value>,
    /// `mlgate/<model>/` for one version: GitHub's category, under which alerts close.
    category: Option<String>,
    /// Whether a version's verdict was an error (the run's, for a single check).
    errored: bool,
}

impl<'a> Sarif<'a> {
    pub fn new(rules: &'a [Rule], site: &'a Site, shape: Shape) -> Self {
        Self {
            rules,
            site,
            shape,
            opened: false,
            results: JsonList::default(),
            notifications: Vec::new(),
            unplaced: 0,
            properties: None,
            category: None,
            errored: false,
        }
    }

    /// The document up to its `results` array: the rule descriptors.
    fn open(&mut self, out: &mut String) {
        if self.opened {
            return;
        }
        self.opened = true;
        let descriptors: Vec<Value> = self
            .rules
            .iter()
            .map(|r| rules::descriptor(r, self.site.bundled.contains(&r.source)))
            .collect();
        let tool = json!({ "driver": {
            "name": "mlgate",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": INFORMATION_URI,
            "rules": descriptors
        } });
        out.push_str(&super::sanitize::json(&format!(
            "{{\n  \"version\": \"2.1.0\",\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"runs\": [\n    {{\n      \"tool\": {},\n      \"results\": ",
            value_at(&tool, 3)
        )));
    }

    fn result(&self, e: &Evaluation<'_>, f: &Finding) -> Value {
        let s = e.snapshot;
        let model_uri = s.model_uri();
        let name = model_name(e);
        let (physical, note) = match self.site.places.get(&f.source) {
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
        location.insert(
            "logicalLocations".into(),
            json!([{ "name": name, "kind": "resource", "fullyQualifiedName": model_uri }]),
        );
        let text = match note {
            Some(note) => format!("{model_uri}: {} ({note})", f.message),
            None => format!("{model_uri}: {}", f.message),
        };
        json!({
            "ruleId": f.rule_id,
            "ruleIndex": self.rules.iter().position(|r| r.id == f.rule_id).unwrap_or(0),
            "level": rules::level(f.severity),
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
    }
}

impl Reporter for Sarif<'_> {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        self.open(out);
        let s = e.snapshot;
        let mut text = String::new();
        // A rule a failed call kept from being evaluated was never evaluated: no result (an
        // alert opened by an outage would close on the next run); the call's notification
        // names it instead.
        for f in e.findings.iter().filter(|f| is_result(e, f)) {
            self.results.push(&self.result(e, f), 4, &mut text);
        }
        self.unplaced += unplaced(e, self.site);
        self.errored |= e.verdict.status == Status::Error;
        // In a bulk run each notification names its version.
        let whose = match self.shape {
            Shape::One => String::new(),
            Shape::Many => format!(" of {}", s.model_uri()),
        };
        self.notifications.extend(super::outages(e).iter().map(|outage| {
            let err = outage.error;
            let blocked = outage
                .blocked_line()
                .map(|l| format!("; {l}"))
                .unwrap_or_default();
            json!({
                // Facts that could not be read leave the verdict undecided unless allowed.
                "level": if e.verdict.gather_errors_allowed { "warning" } else { "error" },
                "message": { "text": format!("could not gather {}{whose}: {}{blocked}", err.section, err.describe()) }
            })
        }));
        if self.properties.is_none() {
            let name = model_name(e);
            self.category = Some(format!("mlgate/{name}/"));
            self.properties = Some(json!({
                "trackingUri": s.manifest.tracking_uri,
                "backend": s.manifest.backend,
                "model": name,
                "version": s.target.version,
                "runId": s.target.run_id,
                "policyDigest": e.policy_digest,
            }));
        }
        // DEL, C1 and invisible characters a server sent, as JSON escapes (same value).
        out.push_str(&super::sanitize::json(&text));
    }

    fn finish(&mut self, summary: &Summary, out: &mut String) {
        self.open(out);
        self.results.close(3, out);
        let mut notifications = std::mem::take(&mut self.notifications);
        if self.unplaced > 0 {
            notifications.push(json!({
                "level": "warning",
                "message": { "text": format!(
                    "{} result(s) have no file in this repository to point at, and GitHub code scanning rejects a SARIF file with such results: add an mlgate.toml or pass --sarif-anchor FILE",
                    self.unplaced
                ) }
            }));
        }
        let (category, properties, successful) = match self.shape {
            Shape::One => (
                self.category.take().unwrap_or_else(|| "mlgate/".into()),
                self.properties.take().unwrap_or_else(|| json!({})),
                !self.errored,
            ),
            // One category for the whole registry: a later scan closes what it no longer finds.
            Shape::Many => {
                let mut properties = self.properties.take().unwrap_or_else(|| json!({}));
                if let Some(p) = properties.as_object_mut() {
                    for key in ["model", "version", "runId"] {
                        p.remove(key);
                    }
                    p.insert("versions".into(), json!(summary.versions.len()));
                    p.insert("models".into(), json!(summary.models));
                }
                // Any version that could not be judged (or an interrupted run) is a run
                // that did not fully execute, even when another version failed.
                (
                    "mlgate/all-models/".to_string(),
                    properties,
                    !self.errored && summary.status() != Status::Error,
                )
            }
        };
        let mut tail = vec![
            ("automationDetails", json!({ "id": category })),
            (
                "invocations",
                json!([{
                    "executionSuccessful": successful,
                    "toolExecutionNotifications": notifications
                }]),
            ),
            ("properties", properties),
        ];
        if let Some(root) = &self.site.root {
            tail.push(("originalUriBaseIds", json!({ SRCROOT: { "uri": root } })));
        }
        let mut text = String::new();
        for (key, value) in tail {
            let _ = write!(text, ",\n      \"{key}\": {}", value_at(&value, 3));
        }
        text.push_str("\n    }\n  ]\n}\n");
        out.push_str(&super::sanitize::json(&text));
    }

    fn warning(&self) -> Option<String> {
        (self.unplaced > 0).then(|| super::notice::sarif_unplaced(self.unplaced))
    }
}

/// A value inside the document at `depth`, its first line where the key left off.
fn value_at(value: &Value, depth: usize) -> String {
    pretty_item(value, depth).trim_start().to_string()
}

/// The model's name (the reference when it has none, e.g. `runs:/`).
fn model_name(e: &Evaluation<'_>) -> String {
    let s = e.snapshot;
    s.target
        .name
        .clone()
        .unwrap_or_else(|| s.target.reference.clone())
}

/// How many results have no file to point at (GitHub rejects a file holding any).
pub fn unplaced(e: &Evaluation<'_>, site: &Site) -> usize {
    e.findings
        .iter()
        .filter(|f| is_result(e, f))
        .filter(|f| {
            matches!(
                site.places.get(&f.source),
                None | Some(Place::Nowhere { .. })
            )
        })
        .count()
}

/// Failures and evaluation errors are results; passes, waivers and skips are not, nor are
/// rules a failed call blocked (said once, with the call).
pub fn is_result(e: &Evaluation<'_>, f: &Finding) -> bool {
    matches!(f.outcome, Outcome::Fail | Outcome::Error) && !super::is_blocked(e, f)
}

fn physical(uri: &str, line: usize) -> Value {
    json!({
        "artifactLocation": { "uri": uri, "uriBaseId": SRCROOT },
        // GitHub rejects a result without a region (its rule GH1003): line 1 at least.
        "region": { "startLine": line.max(1) }
    })
}
