//! Reading test files: every problem (unknown keys, rule ids and outcomes, unreadable
//! fixtures, invalid patches) is a diagnostic with its span, collected before anything runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;
use serde_json::Value;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::case::{Case, TestFile};
use crate::app::config::Effective;
use crate::app::pipeline::prepare::{today, EXAMPLE_SNAPSHOT};
use crate::cli::EvalArgs;
use crate::engine::Outcome;
use crate::error_code::Code;
use crate::policy::{self, Policy, PolicyErrors, PolicyProblem};
use crate::snapshot::io as snapshot_io;

const FILE_KEYS: [&str; 2] = ["policies", "case"];
const CASE_KEYS: [&str; 8] = [
    "name",
    "snapshot",
    "patch",
    "remove",
    "target_stage",
    "target_alias",
    "now",
    "expect",
];
const OUTCOMES: [&str; 5] = ["pass", "fail", "error", "skipped", "waived"];

/// Parses a test file; problems are collected, not returned one at a time.
pub(super) fn load(
    path: &Path,
    text: &str,
    effective: &Effective,
    problems: &mut Vec<PolicyProblem>,
) -> Result<Option<TestFile>, PolicyErrors> {
    let name = path.display().to_string();
    let source = Arc::new(NamedSource::new(&name, text.to_string()));
    let before = problems.len();
    let problem = |code: Code, span: std::ops::Range<usize>, label: &str, message: String| {
        PolicyProblem::new(code, &source, span, label, message)
    };
    let (doc, syntax) = DeTable::parse_recoverable(text);
    for e in &syntax {
        problems.push(problem(
            Code::TestSyntax,
            e.span().unwrap_or(0..0),
            "here",
            format!("TOML syntax error: {}", e.message().trim()),
        ));
    }
    if !syntax.is_empty() {
        return Ok(None);
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut policy_paths = Vec::new();
    let mut raw_cases = Vec::new();
    for (key, value) in doc.get_ref() {
        match (key.get_ref().as_ref(), value.get_ref()) {
            ("policies", DeValue::Array(items)) => {
                for item in items {
                    match item.get_ref().as_str() {
                        Some(p) if p.starts_with("builtin:") => policy_paths.push(PathBuf::from(p)),
                        Some(p) => policy_paths.push(base.join(p)),
                        None => problems.push(problem(
                            Code::TestWrongType,
                            item.span(),
                            "not a path",
                            "`policies` lists file paths".into(),
                        )),
                    }
                }
            }
            ("case", DeValue::Array(items)) => raw_cases.extend(items.iter()),
            ("policies" | "case", _) => problems.push(problem(
                Code::TestWrongType,
                value.span(),
                "wrong type",
                format!(
                    "`{}` must be {}",
                    key.get_ref(),
                    if key.get_ref() == "case" {
                        "an array of tables (`[[case]]`)"
                    } else {
                        "an array of paths"
                    }
                ),
            )),
            (other, _) => problems.push(
                problem(
                    Code::TestUnknownKey,
                    key.span(),
                    "not recognised here",
                    format!("unknown key `{other}` in a test file"),
                )
                .with_help(format!("a test file has {}", FILE_KEYS.join(", "))),
            ),
        }
    }
    // A file without cases would pass having tested nothing (a truncated or misnamed file).
    if raw_cases.is_empty() {
        problems.push(
            problem(
                Code::TestNoCases,
                0..0,
                "this file",
                format!("test file {name} has no `[[case]]`"),
            )
            .with_help("add a case: [[case]] with name, snapshot and expect"),
        );
    }
    let policy = if policy_paths.is_empty() {
        effective.policy.clone()
    } else {
        let texts = policy::read_paths(&policy_paths).map_err(|e| PolicyErrors {
            problems: vec![problem(
                Code::TestPolicy,
                0..0,
                "policies of this file",
                e.to_string(),
            )],
        })?;
        policy::load(&texts)?
    };
    let mut cases = Vec::new();
    for raw in raw_cases {
        if let Some(case) = case(raw, base, &policy, &source, problems) {
            cases.push(case);
        }
    }
    Ok((problems.len() == before).then_some(TestFile {
        name,
        policy,
        cases,
    }))
}

/// One `[[case]]` table being read, and the file it is in (for the problems' spans).
struct CaseTable<'t, 'i> {
    table: &'t DeTable<'i>,
    source: &'t Arc<NamedSource<String>>,
}

impl<'t, 'i> CaseTable<'t, 'i> {
    /// The value of `key`, when the case has it.
    fn get(&self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }

    fn problem(
        &self,
        code: Code,
        span: std::ops::Range<usize>,
        label: &str,
        message: String,
    ) -> PolicyProblem {
        PolicyProblem::new(code, self.source, span, label, message)
    }

    /// The string (or TOML date, for `now`) of `key`.
    fn string(&self, key: &str, problems: &mut Vec<PolicyProblem>) -> Option<String> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Datetime(d) => Some(d.to_string()),
            _ => {
                problems.push(self.problem(
                    Code::TestWrongType,
                    v.span(),
                    "not a string",
                    format!("`{key}` must be a string"),
                ));
                None
            }
        }
    }
}

/// Reads one `[[case]]`: its keys, its snapshot fixture with `patch` and `remove` applied,
/// and its expectations. `None` when it has problems (recorded).
fn case(
    raw: &Spanned<DeValue<'_>>,
    base: &Path,
    policy: &Policy,
    source: &Arc<NamedSource<String>>,
    problems: &mut Vec<PolicyProblem>,
) -> Option<Case> {
    let DeValue::Table(table) = raw.get_ref() else {
        problems.push(PolicyProblem::new(
            Code::TestWrongType,
            source,
            raw.span(),
            "not a table",
            "each `[[case]]` is a table".to_string(),
        ));
        return None;
    };
    let t = CaseTable { table, source };
    let before = problems.len();
    unknown_keys(&t, problems);
    let name = t.string("name", problems);
    let snapshot_ref = t.string("snapshot", problems);
    let eval = EvalArgs {
        target_stage: t.string("target_stage", problems),
        target_alias: t.string("target_alias", problems),
        now: t.string("now", problems),
    };
    let head = raw.span().start..raw.span().start + 1;
    if name.is_none() || snapshot_ref.is_none() || t.get("expect").is_none() {
        problems.push(
            t.problem(Code::TestMissingKey, head.clone(), "in this case", "a case needs `name`, `snapshot` and `expect`".into())
                .with_help("e.g. name = \"no description\", snapshot = \"fixtures/good.json\", expect = { missing-description = \"fail\" }"),
        );
        return None;
    }
    let snapshot_ref = snapshot_ref?;
    let snapshot_span = t.get("snapshot").map(Spanned::span).unwrap_or(head.clone());
    let mut snapshot = fixture(&t, base, &snapshot_ref, &snapshot_span, problems)?;
    apply_patch(&t, &mut snapshot, problems);
    apply_remove(&t, &mut snapshot, problems);
    if let Err(e) = snapshot_io::parse(&snapshot.to_string(), Path::new(&snapshot_ref)) {
        problems.push(t.problem(
            Code::TestSnapshot,
            t.get("patch").map_or(snapshot_span, Spanned::span),
            "invalid snapshot",
            format!("the case's snapshot is invalid: {e}"),
        ));
    }
    if let Some(now) = &eval.now {
        if today(Some(now)).is_err() {
            problems.push(t.problem(
                Code::TestBadDate,
                t.get("now").map(Spanned::span).unwrap_or(head.clone()),
                "not a date",
                format!("`now` is not a date: {now}"),
            ));
        }
    }
    let expect = expectations(&t, policy, problems);
    (problems.len() == before).then_some(Case {
        name: name?,
        snapshot,
        eval,
        expect,
    })
}

/// Reports the keys a case does not have, suggesting the closest known one.
fn unknown_keys(t: &CaseTable<'_, '_>, problems: &mut Vec<PolicyProblem>) {
    for (key, _) in t.table {
        if !CASE_KEYS.contains(&key.get_ref().as_ref()) {
            let help = crate::suggest::closest(key.get_ref(), CASE_KEYS).map_or_else(
                || format!("a case has {}", CASE_KEYS.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            problems.push(
                t.problem(
                    Code::TestUnknownKey,
                    key.span(),
                    "not recognised here",
                    format!("unknown key `{}` in a case", key.get_ref()),
                )
                .with_help(help),
            );
        }
    }
}

/// The case's snapshot fixture as JSON (`builtin:example` is the bundled example), read
/// relative to the test file.
fn fixture(
    t: &CaseTable<'_, '_>,
    base: &Path,
    snapshot_ref: &str,
    span: &std::ops::Range<usize>,
    problems: &mut Vec<PolicyProblem>,
) -> Option<Value> {
    let snapshot_text = if snapshot_ref == "builtin:example" {
        Ok(EXAMPLE_SNAPSHOT.to_string())
    } else {
        std::fs::read_to_string(base.join(snapshot_ref))
    };
    let snapshot_text = match snapshot_text {
        Ok(text) => text,
        Err(e) => {
            problems.push(t.problem(
                Code::TestSnapshot,
                span.clone(),
                "cannot read",
                format!(
                    "cannot read snapshot fixture {}: {e}",
                    base.join(snapshot_ref).display()
                ),
            ));
            return None;
        }
    };
    match serde_json::from_str(&snapshot_text) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(t.problem(
                Code::TestSnapshot,
                span.clone(),
                "not JSON",
                format!("snapshot fixture {snapshot_ref} is not valid JSON: {e}"),
            ));
            None
        }
    }
}

/// Merges the case's `patch` table into the snapshot (a JSON merge patch).
fn apply_patch(t: &CaseTable<'_, '_>, snapshot: &mut Value, problems: &mut Vec<PolicyProblem>) {
    let Some(patch) = t.get("patch") else {
        return;
    };
    match crate::policy::toml_to_json(patch.get_ref()) {
        Some(p @ Value::Object(_)) => merge_patch(snapshot, &p),
        _ => problems.push(t.problem(
            Code::TestWrongType,
            patch.span(),
            "not a table",
            "`patch` must be a table (a JSON merge patch)".into(),
        )),
    }
}

/// Removes the snapshot paths the case lists in `remove`.
///
/// TOML has no null, so deletions are listed separately: `remove = ["mlflow_model"]`.
fn apply_remove(t: &CaseTable<'_, '_>, snapshot: &mut Value, problems: &mut Vec<PolicyProblem>) {
    let Some(remove) = t.get("remove") else {
        return;
    };
    match remove.get_ref() {
        DeValue::Array(paths) => {
            for p in paths {
                let removed = p
                    .get_ref()
                    .as_str()
                    .and_then(|path| remove_path(snapshot, path));
                if removed.is_none() {
                    problems.push(t.problem(Code::TestBadRemove, p.span(), "nothing here", "`remove` lists snapshot paths that exist in the fixture, e.g. \"mlflow_model.signature\"".into()));
                }
            }
        }
        _ => problems.push(t.problem(
            Code::TestWrongType,
            remove.span(),
            "not an array",
            "`remove` is an array of snapshot paths".into(),
        )),
    }
}

/// The case's `expect` table: rule id → the outcome it must have.
fn expectations(
    t: &CaseTable<'_, '_>,
    policy: &Policy,
    problems: &mut Vec<PolicyProblem>,
) -> Vec<(String, Outcome)> {
    let mut expect = Vec::new();
    match t.get("expect").map(|v| (v, v.get_ref())) {
        Some((_, DeValue::Table(rules))) => {
            for (rule, outcome) in rules {
                let id = rule.get_ref().to_string();
                if !policy.rules.iter().any(|r| r.id == id) {
                    let help =
                        crate::suggest::closest(&id, policy.rules.iter().map(|r| r.id.as_str()))
                            .map_or_else(
                                || "`mlgate rules` lists the rule ids in effect".to_string(),
                                |s| format!("did you mean `{s}`?"),
                            );
                    problems.push(
                        t.problem(
                            Code::TestUnknownRule,
                            rule.span(),
                            "no rule has this id",
                            format!("expectation names unknown rule `{id}`"),
                        )
                        .with_help(help),
                    );
                    continue;
                }
                let parsed = outcome
                    .get_ref()
                    .as_str()
                    .and_then(|o| Outcome::ALL.into_iter().find(|x| x.as_str() == o));
                match parsed {
                    Some(o) => expect.push((id, o)),
                    None => problems.push(
                        t.problem(
                            Code::TestBadOutcome,
                            outcome.span(),
                            "not an outcome",
                            "expected outcomes are pass, fail, error, skipped or waived".into(),
                        )
                        .with_help(format!("one of {}", OUTCOMES.join(", "))),
                    ),
                }
            }
        }
        Some((v, _)) => problems.push(t.problem(
            Code::TestWrongType,
            v.span(),
            "not a table",
            "`expect` maps rule ids to outcomes".into(),
        )),
        None => {}
    }
    expect
}

/// Removes the value at a dotted snapshot path; `None` when there was nothing to remove.
fn remove_path(doc: &mut Value, path: &str) -> Option<()> {
    use crate::engine::selector::Segment;
    let selector = crate::engine::Selector::parse(path).ok()?;
    let (last, parents) = selector.segments.split_last()?;
    let mut current = doc;
    for segment in parents {
        current = match segment {
            Segment::Field(name) => current.get_mut(name.as_str())?,
            Segment::Index(i) => current.get_mut(*i)?,
            Segment::Each => return None,
        };
    }
    match last {
        Segment::Field(name) => current.as_object_mut()?.remove(name.as_str()).map(|_| ()),
        Segment::Index(i) => {
            let items = current.as_array_mut()?;
            (*i < items.len()).then(|| {
                items.remove(*i);
            })
        }
        Segment::Each => None,
    }
}

/// RFC 7396 JSON merge patch: objects merge key by key, `null` deletes, anything else replaces.
pub(super) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merge_patch;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        let mut doc = json!({"a": [1]});
        merge_patch(&mut doc, &json!({"a": {"b": 1}, "n": 2}));
        assert_eq!(doc, json!({"a": {"b": 1}, "n": 2}));
    }
}
