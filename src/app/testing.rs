//! `mlgate test`: local rule testing, like `opa test` or `kyverno test`. A test file lists
//! cases; each evaluates a snapshot fixture (optionally changed by an inline JSON merge
//! patch) with a promotion target and a date, and compares outcomes with expectations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;
use serde_json::Value;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::check::{apply_target, today};
use super::config::{self, Effective};
use super::{write, AppError, EXAMPLE_SNAPSHOT};
use crate::cli::{EvalArgs, TestArgs};
use crate::engine::{self, Outcome};
use crate::exit::Exit;
use crate::policy::{self, Policy, PolicyErrors, PolicyLoadError, PolicyProblem};
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

/// One case, ready to run.
struct Case {
    name: String,
    snapshot: Value,
    eval: EvalArgs,
    expect: Vec<(String, Outcome)>,
}

/// One test file's cases and the policy they run against.
struct TestFile {
    name: String,
    policy: Policy,
    cases: Vec<Case>,
}

/// The result of one case.
struct CaseResult {
    file: String,
    name: String,
    /// (rule, expected, actual, message) for every mismatch.
    mismatches: Vec<(String, Outcome, Option<Outcome>, String)>,
}

pub fn run(args: &TestArgs) -> Result<Exit, AppError> {
    let effective = config::effective(&args.policy)?;
    let paths = if args.paths.is_empty() {
        effective.config.tests()
    } else {
        args.paths.clone()
    };
    let files = collect(&paths)?;
    if files.is_empty() {
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(AppError::Usage(format!(
            "no test files (*.toml) found in {}",
            list.join(", ")
        )));
    }
    let mut problems = Vec::new();
    let mut tests = Vec::new();
    for file in &files {
        match load(file, &effective, &mut problems) {
            Ok(Some(t)) => tests.push(t),
            Ok(None) => {}
            Err(errors) => problems.extend(errors.problems),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Policy(PolicyLoadError::Invalid(PolicyErrors {
            problems,
        })));
    }
    let mut results = Vec::new();
    for test in &tests {
        for case in &test.cases {
            results.push(run_case(test, case)?);
        }
    }
    let failed = results.iter().filter(|r| !r.mismatches.is_empty()).count();
    print!("{}", render(&results));
    if let Some(path) = &args.junit {
        write(path, &junit(&results))?;
    }
    Ok(if failed == 0 {
        Exit::Pass
    } else {
        Exit::PolicyFailed
    })
}

/// Test files under the given paths, sorted: named files as given, and `*.test.toml` files
/// found in directories (recursively), so fixtures and waiver files can live beside them.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, AppError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                let entries = std::fs::read_dir(&dir)
                    .map_err(|e| AppError::Usage(format!("cannot read {}: {e}", dir.display())))?;
                for entry in entries.filter_map(Result::ok) {
                    let p = entry.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".test.toml"))
                    {
                        files.push(p);
                    }
                }
            }
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(AppError::Usage(format!(
                "test path {} does not exist",
                path.display()
            )));
        }
    }
    files.sort();
    Ok(files)
}

/// Parses a test file; problems are collected, not returned one at a time.
fn load(
    path: &Path,
    effective: &Effective,
    problems: &mut Vec<PolicyProblem>,
) -> Result<Option<TestFile>, PolicyErrors> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let source = Arc::new(NamedSource::new(&name, text.clone()));
    let before = problems.len();
    let problem =
        |code: &'static str, span: std::ops::Range<usize>, label: &str, message: String| {
            PolicyProblem::new(code, &source, span, label, message)
        };
    let (doc, syntax) = DeTable::parse_recoverable(&text);
    for e in &syntax {
        problems.push(problem(
            "test::syntax",
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
                            "test::wrong-type",
                            item.span(),
                            "not a path",
                            "`policies` lists file paths".into(),
                        )),
                    }
                }
            }
            ("case", DeValue::Array(items)) => raw_cases.extend(items.iter()),
            ("policies" | "case", _) => problems.push(problem(
                "test::wrong-type",
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
                    "test::unknown-key",
                    key.span(),
                    "not recognised here",
                    format!("unknown key `{other}` in a test file"),
                )
                .with_help(format!("a test file has {}", FILE_KEYS.join(", "))),
            ),
        }
    }
    let policy = if policy_paths.is_empty() {
        effective.policy.clone()
    } else {
        let texts = policy::read_paths(&policy_paths).map_err(|e| PolicyErrors {
            problems: vec![problem(
                "test::policy",
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

fn case(
    raw: &Spanned<DeValue<'_>>,
    base: &Path,
    policy: &Policy,
    source: &Arc<NamedSource<String>>,
    problems: &mut Vec<PolicyProblem>,
) -> Option<Case> {
    let problem =
        |code: &'static str, span: std::ops::Range<usize>, label: &str, message: String| {
            PolicyProblem::new(code, source, span, label, message)
        };
    let DeValue::Table(table) = raw.get_ref() else {
        problems.push(problem(
            "test::wrong-type",
            raw.span(),
            "not a table",
            "each `[[case]]` is a table".into(),
        ));
        return None;
    };
    let before = problems.len();
    let text = |key: &str| {
        table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    };
    for (key, _) in table {
        if !CASE_KEYS.contains(&key.get_ref().as_ref()) {
            let help = crate::suggest::closest(key.get_ref(), CASE_KEYS).map_or_else(
                || format!("a case has {}", CASE_KEYS.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            problems.push(
                problem(
                    "test::unknown-key",
                    key.span(),
                    "not recognised here",
                    format!("unknown key `{}` in a case", key.get_ref()),
                )
                .with_help(help),
            );
        }
    }
    let string = |key: &str, problems: &mut Vec<PolicyProblem>| -> Option<String> {
        let v = text(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Datetime(d) => Some(d.to_string()),
            _ => {
                problems.push(problem(
                    "test::wrong-type",
                    v.span(),
                    "not a string",
                    format!("`{key}` must be a string"),
                ));
                None
            }
        }
    };
    let name = string("name", problems);
    let snapshot_ref = string("snapshot", problems);
    let eval = EvalArgs {
        target_stage: string("target_stage", problems),
        target_alias: string("target_alias", problems),
        now: string("now", problems),
    };
    let head = raw.span().start..raw.span().start + 1;
    if name.is_none() || snapshot_ref.is_none() || text("expect").is_none() {
        problems.push(
            problem("test::missing-key", head.clone(), "in this case", "a case needs `name`, `snapshot` and `expect`".into())
                .with_help("e.g. name = \"no description\", snapshot = \"fixtures/good.json\", expect = { missing-description = \"fail\" }"),
        );
        return None;
    }
    let snapshot_ref = snapshot_ref?;
    let snapshot_span = text("snapshot").map(Spanned::span).unwrap_or(head.clone());
    let snapshot_text = if snapshot_ref == "builtin:example" {
        Some(EXAMPLE_SNAPSHOT.to_string())
    } else {
        std::fs::read_to_string(base.join(&snapshot_ref)).ok()
    };
    let Some(snapshot_text) = snapshot_text else {
        problems.push(problem(
            "test::snapshot",
            snapshot_span,
            "cannot read",
            format!(
                "cannot read snapshot fixture {}",
                base.join(&snapshot_ref).display()
            ),
        ));
        return None;
    };
    let mut snapshot: Value = match serde_json::from_str(&snapshot_text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(problem(
                "test::snapshot",
                snapshot_span,
                "not JSON",
                format!("snapshot fixture {snapshot_ref} is not valid JSON: {e}"),
            ));
            return None;
        }
    };
    if let Some(patch) = text("patch") {
        match crate::policy::toml_to_json(patch.get_ref()) {
            Some(p @ Value::Object(_)) => merge_patch(&mut snapshot, &p),
            _ => problems.push(problem(
                "test::wrong-type",
                patch.span(),
                "not a table",
                "`patch` must be a table (a JSON merge patch)".into(),
            )),
        }
    }
    // TOML has no null, so deletions are listed separately: `remove = ["mlflow_model"]`.
    if let Some(remove) = text("remove") {
        match remove.get_ref() {
            DeValue::Array(paths) => {
                for p in paths {
                    let removed = p
                        .get_ref()
                        .as_str()
                        .and_then(|path| remove_path(&mut snapshot, path));
                    if removed.is_none() {
                        problems.push(problem("test::bad-remove", p.span(), "nothing here", "`remove` lists snapshot paths that exist in the fixture, e.g. \"mlflow_model.signature\"".into()));
                    }
                }
            }
            _ => problems.push(problem(
                "test::wrong-type",
                remove.span(),
                "not an array",
                "`remove` is an array of snapshot paths".into(),
            )),
        }
    }
    if let Err(e) = snapshot_io::parse(&snapshot.to_string(), Path::new(&snapshot_ref)) {
        problems.push(problem(
            "test::snapshot",
            text("patch").map_or(snapshot_span, Spanned::span),
            "invalid snapshot",
            format!("the case's snapshot is invalid: {e}"),
        ));
    }
    if let Some(now) = &eval.now {
        if today(Some(now)).is_err() {
            problems.push(problem(
                "test::bad-date",
                text("now").map(Spanned::span).unwrap_or(head.clone()),
                "not a date",
                format!("`now` is not a date: {now}"),
            ));
        }
    }
    let mut expect = Vec::new();
    match text("expect").map(|v| (v, v.get_ref())) {
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
                        problem(
                            "test::unknown-rule",
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
                        problem(
                            "test::bad-outcome",
                            outcome.span(),
                            "not an outcome",
                            "expected outcomes are pass, fail, error, skipped or waived".into(),
                        )
                        .with_help(format!("one of {}", OUTCOMES.join(", "))),
                    ),
                }
            }
        }
        Some((v, _)) => problems.push(problem(
            "test::wrong-type",
            v.span(),
            "not a table",
            "`expect` maps rule ids to outcomes".into(),
        )),
        None => {}
    }
    (problems.len() == before).then_some(Case {
        name: name?,
        snapshot,
        eval,
        expect,
    })
}

fn run_case(test: &TestFile, case: &Case) -> Result<CaseResult, AppError> {
    let mut snapshot = snapshot_io::parse(&case.snapshot.to_string(), Path::new(&case.name))?;
    apply_target(&mut snapshot, &case.eval);
    let day = today(case.eval.now.as_deref())?;
    let evaluation = engine::evaluate(&snapshot, &test.policy.rules, &test.policy.waivers, day);
    let mut mismatches = Vec::new();
    for (rule, expected) in &case.expect {
        let finding = evaluation.findings.iter().find(|f| &f.rule_id == rule);
        let actual = finding.map(|f| f.outcome);
        if actual != Some(*expected) {
            mismatches.push((
                rule.clone(),
                *expected,
                actual,
                finding.map(|f| f.message.clone()).unwrap_or_default(),
            ));
        }
    }
    Ok(CaseResult {
        file: test.name.clone(),
        name: case.name.clone(),
        mismatches,
    })
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
pub fn merge_patch(target: &mut Value, patch: &Value) {
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

fn render(results: &[CaseResult]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for r in results {
        let status = if r.mismatches.is_empty() {
            "PASS"
        } else {
            "FAIL"
        };
        let _ = writeln!(out, "{status} {} :: {}", r.file, r.name);
        for (rule, expected, actual, message) in &r.mismatches {
            let actual = actual.map_or("(no finding)", Outcome::as_str);
            let _ = writeln!(out, "       {rule}");
            let _ = writeln!(out, "         - expected: {expected}");
            let _ = writeln!(out, "         + actual:   {actual}  {message}");
        }
    }
    let failed = results.iter().filter(|r| !r.mismatches.is_empty()).count();
    let _ = writeln!(
        out,
        "\ncases: {} passed, {failed} failed",
        results.len() - failed
    );
    out
}

fn junit(results: &[CaseResult]) -> String {
    use junit_report::{Duration, ReportBuilder, TestCase, TestSuiteBuilder};
    let mut report = ReportBuilder::new();
    let mut files: Vec<&str> = results.iter().map(|r| r.file.as_str()).collect();
    files.dedup();
    for file in files {
        let mut suite = TestSuiteBuilder::new(file);
        suite.set_timestamp(junit_report::OffsetDateTime::UNIX_EPOCH);
        for r in results.iter().filter(|r| r.file == file) {
            let case = if r.mismatches.is_empty() {
                TestCase::success(&r.name, Duration::ZERO)
            } else {
                let text: Vec<String> = r
                    .mismatches
                    .iter()
                    .map(|(rule, e, a, _)| {
                        format!(
                            "{rule}: expected {e}, got {}",
                            a.map_or("(no finding)", Outcome::as_str)
                        )
                    })
                    .collect();
                TestCase::failure(&r.name, Duration::ZERO, "mismatch", &text.join("; "))
            };
            suite.add_testcase(case);
        }
        report.add_testsuite(suite.build());
    }
    let mut xml = Vec::new();
    let _ = report.build().write_xml(&mut xml);
    String::from_utf8(xml).unwrap_or_default()
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
