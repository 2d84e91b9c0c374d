//! `mlgate test`: local rule testing, like `opa test` or `kyverno test`. A test file lists
//! cases; each evaluates a snapshot fixture (optionally changed by an inline JSON merge
//! patch) with a promotion target and a date, and compares outcomes with expectations.

use std::path::{Path, PathBuf};

mod case;
mod load;

use super::config::{self};
use super::error::{AppError, UsageError};
use super::files::write;
use super::pipeline::prepare::today;
use crate::cli::TestArgs;
use crate::engine::{self, Outcome};
use crate::exit::Exit;
use crate::policy::{Policy, PolicyErrors, PolicyLoadError};
use crate::report::junit::{clean, writer};
use crate::snapshot::io as snapshot_io;
use case::{Case, TestFile};

/// The result of one case.
struct CaseResult {
    file: String,
    name: String,
    /// (rule, expected, actual, message) for every mismatch.
    mismatches: Vec<(String, Outcome, Option<Outcome>, String)>,
}

pub(super) fn run(args: &TestArgs) -> Result<Exit, AppError> {
    let effective = config::effective(&args.policy)?;
    let paths = if args.paths.is_empty() {
        effective.config.tests()
    } else {
        args.paths.clone()
    };
    let files = collect(&paths)?;
    if files.is_empty() {
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(UsageError::NoTestFiles { searched: list }.into());
    }
    let mut problems = Vec::new();
    let mut tests = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|source| AppError::Read {
            what: "test file",
            path: file.clone(),
            source,
        })?;
        match load::load(file, &text, &effective, &mut problems) {
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
    match &args.junit {
        // `--junit -`: standard output is the JUnit document's, the table goes to stderr.
        Some(path) if super::outputs::is_stdout(path) => {
            super::stdio::err(&render(&results));
            super::stdio::out(&junit(&tests, &results))?;
        }
        Some(path) => {
            super::stdio::out(&render(&results))?;
            write(path, &junit(&tests, &results))?;
        }
        None => super::stdio::out(&render(&results))?,
    }
    Ok(if failed == 0 {
        Exit::Pass
    } else {
        Exit::PolicyFailed
    })
}

/// Parses one test file as `mlgate test` does (its policies, fixtures, patches and
/// expectations), against `default` when it names no policies; the number of cases it holds.
/// Runs nothing.
pub fn parse_file(path: &Path, text: &str, default: &Policy) -> Result<usize, PolicyErrors> {
    let effective = config::Effective {
        policy: default.clone(),
        texts: Vec::new(),
        config: config::Config::default(),
    };
    let mut problems = Vec::new();
    let loaded = load::load(path, text, &effective, &mut problems)?;
    match loaded {
        Some(file) if problems.is_empty() => Ok(file.cases.len()),
        _ => Err(PolicyErrors { problems }),
    }
}

/// Test files under the given paths, sorted: named files as given, and `*.test.toml` files
/// found in directories (recursively), so fixtures and waiver files can live beside them.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, AppError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                let unreadable = |source| AppError::Read {
                    what: "test directory",
                    path: dir.clone(),
                    source,
                };
                let entries = std::fs::read_dir(&dir).map_err(unreadable)?;
                for entry in entries {
                    // An entry that cannot be listed may be a test file: never skip it quietly.
                    let p = entry.map_err(unreadable)?.path();
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
        } else {
            // Anything else named explicitly is read as a test file, so a path that cannot be
            // read is reported with the OS's reason when it is read.
            std::fs::metadata(path).map_err(|source| AppError::Read {
                what: "test path",
                path: path.clone(),
                source,
            })?;
            files.push(path.clone());
        }
    }
    files.sort();
    Ok(files)
}

fn run_case(test: &TestFile, case: &Case) -> Result<CaseResult, AppError> {
    let mut snapshot = snapshot_io::parse(&case.snapshot.to_string(), Path::new(&case.name))?;
    super::target::validate(&case.eval, &test.policy.rules)?.replace(&mut snapshot);
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

/// One testsuite per test file, with the policy it ran (files and digest) as properties,
/// written by the same JUnit writer as `check`'s.
fn junit(tests: &[TestFile], results: &[CaseResult]) -> String {
    use junit_report::{Duration, OffsetDateTime, TestCase, TestSuiteBuilder};
    // When the run wrote its results: CI systems sort and age test reports by it.
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| OffsetDateTime::from_unix_timestamp(i64::try_from(d.as_secs()).ok()?).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut out = writer::head(None);
    for (id, test) in tests.iter().enumerate() {
        let file = test.name.as_str();
        let properties = [
            ("policy_files".to_string(), test.policy.files.join(",")),
            ("policy_digest".to_string(), test.policy.digest.clone()),
        ];
        let mut suite = TestSuiteBuilder::new(file);
        suite.set_timestamp(started);
        for r in results.iter().filter(|r| r.file == file) {
            let case = if r.mismatches.is_empty() {
                TestCase::success(&clean(&r.name), Duration::ZERO)
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
                TestCase::failure(
                    &clean(&r.name),
                    Duration::ZERO,
                    "mismatch",
                    &clean(&text.join("; ")),
                )
            };
            suite.add_testcase(case);
        }
        out.push_str(&writer::suite(id, &suite.build(), &properties));
    }
    out.push_str(writer::TAIL);
    out
}
