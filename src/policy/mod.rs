//! Policy files: loading, validation and the bundled default policy.
//!
//! Loading has two phases (`raw` walks the TOML with spans, `validate` compiles rules) and
//! collects every problem across every file before failing once, with miette diagnostics.

mod checks;
mod compare;
pub mod diagnostic;
pub mod excerpt;
mod raw;
mod scope;
mod selectors;
mod validate;
mod values;
mod waiver;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use diagnostic::{PolicyErrors, PolicyProblem};
use raw::Problems;
pub use values::to_json as toml_to_json;

use crate::engine::{Rule, Waiver};
use crate::error_code::Code;

/// The bundled packs, embedded in the binary: (`builtin:` name, file name, text). The first
/// is the default policy.
pub const BUNDLED: [(&str, &str, &str); 3] = [
    (
        "baseline",
        "policies/baseline.toml",
        include_str!("../../policies/baseline.toml"),
    ),
    (
        "production",
        "policies/production.toml",
        include_str!("../../policies/production.toml"),
    ),
    (
        "databricks",
        "policies/databricks.toml",
        include_str!("../../policies/databricks.toml"),
    ),
];

/// One policy file's text and the name it is reported under.
#[derive(Debug, Clone)]
pub struct PolicyText {
    pub name: String,
    pub text: String,
}

/// A loaded, validated set of rules.
#[derive(Debug, Clone)]
pub struct Policy {
    pub rules: Vec<Rule>,
    pub waivers: Vec<Waiver>,
    pub files: Vec<String>,
    /// `sha256:<hex>` over every file's name and text, in load order.
    pub digest: String,
}

/// Why policies could not be loaded (exit code 2).
#[derive(Debug, Error)]
pub enum PolicyLoadError {
    #[error("cannot read policy {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("policy directory {0} holds no .toml files")]
    EmptyDir(PathBuf),
    #[error("no bundled policy `{0}`: the bundled packs are builtin:baseline, builtin:production and builtin:databricks")]
    UnknownBuiltin(String),
    #[error(transparent)]
    Invalid(#[from] PolicyErrors),
}

/// Reads the files named on the command line; a directory contributes its `*.toml` files
/// (not recursively, sorted by name, so the order is stable).
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<PolicyText>, PolicyLoadError> {
    let mut texts = Vec::new();
    for path in paths {
        if let Some(name) = path.to_str().and_then(|p| p.strip_prefix("builtin:")) {
            let (_, _, text) = BUNDLED
                .iter()
                .find(|(n, _, _)| *n == name)
                .ok_or_else(|| PolicyLoadError::UnknownBuiltin(name.to_string()))?;
            // Named as the user names it: the repository file is not on the user's machine.
            texts.push(PolicyText {
                name: format!("builtin:{name}"),
                text: (*text).to_string(),
            });
            continue;
        }
        let read_err = |source| PolicyLoadError::Read {
            path: path.clone(),
            source,
        };
        if path.is_dir() {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(path).map_err(read_err)? {
                // Every `*.toml` entry is read, so one that cannot be (a dangling symlink, an
                // unlistable entry) fails the load instead of silently leaving its rules out.
                let p = entry.map_err(read_err)?.path();
                if p.extension().is_some_and(|e| e == "toml") && !p.is_dir() {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(PolicyLoadError::EmptyDir(path.clone()));
            }
            for file in files {
                texts.push(read_file(&file)?);
            }
        } else {
            texts.push(read_file(path)?);
        }
    }
    Ok(texts)
}

fn read_file(path: &Path) -> Result<PolicyText, PolicyLoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyLoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(PolicyText {
        name: shown_path(path),
        text,
    })
}

/// A policy file as outputs name it: relative to the working directory when under it, so a
/// CI runner's absolute checkout path never reaches JUnit, SARIF or the policy digest.
fn shown_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .filter(|_| path.is_absolute())
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// The bundled baseline policy.
pub fn baseline() -> PolicyText {
    PolicyText {
        name: format!("builtin:{}", BUNDLED[0].0),
        text: BUNDLED[0].2.to_string(),
    }
}

/// Where each rule id was first defined: id → (file source, span).
type FirstSeen = HashMap<String, (Arc<NamedSource<String>>, std::ops::Range<usize>)>;

/// Parses and validates policy texts together: rule ids must be unique across all of them.
pub fn load(texts: &[PolicyText]) -> Result<Policy, PolicyErrors> {
    let mut all_problems = Vec::new();
    let mut rules = Vec::new();
    let mut first_seen = FirstSeen::new();
    let mut hasher = Sha256::new();
    let mut pending_waivers = Vec::new();
    for policy in texts {
        hasher.update(policy.name.as_bytes());
        hasher.update([0]);
        hasher.update(policy.text.as_bytes());
        hasher.update([0]);
        let source = Arc::new(NamedSource::new(&policy.name, policy.text.clone()));
        let mut problems = Problems {
            source: Arc::clone(&source),
            list: Vec::new(),
        };
        let (doc, syntax_errors) = toml::de::DeTable::parse_recoverable(&policy.text);
        if let Some(e) = syntax_errors.first() {
            push_syntax_error(e, syntax_errors.len() - 1, &mut problems);
        }
        if syntax_errors.is_empty() {
            let (raw_rules, raw_waivers) = raw::document(&doc, &mut problems);
            compile_rules(
                policy,
                &raw_rules,
                &mut first_seen,
                &mut rules,
                &mut problems,
            );
            for raw_waiver in &raw_waivers {
                if let Some(compiled) = waiver::compile(raw_waiver, &policy.name, &mut problems) {
                    pending_waivers.push((compiled, Arc::clone(&source)));
                }
            }
        }
        all_problems.extend(problems.list);
    }
    let waivers = resolve_waivers(pending_waivers, &first_seen, &mut all_problems);
    if !all_problems.is_empty() {
        return Err(PolicyErrors {
            problems: all_problems,
        });
    }
    let digest = hasher
        .finalize()
        .iter()
        .fold(String::from("sha256:"), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        });
    Ok(Policy {
        rules,
        waivers,
        files: texts.iter().map(|t| t.name.clone()).collect(),
        digest,
    })
}

/// Reports a file's first TOML syntax error, counting the `later` ones it hides.
///
/// Only the first syntax error is reported: after a bad byte or an unclosed bracket the
/// parser's recovery reports one error per character or element that follows (hundreds
/// for one typo), which buried the real mistake and took ~100 ms to render.
fn push_syntax_error(e: &toml::de::Error, later: usize, problems: &mut Problems) {
    let span = e.span().unwrap_or(0..0);
    let later = match later {
        0 => String::new(),
        1 => "; 1 later syntax error is not shown: fix this one first".to_string(),
        n => format!("; {n} later syntax errors are not shown (most follow from this one): fix this one first"),
    };
    let help = format!("see https://toml.io for the syntax; strings need quotes, tables `[name]`, rules `[[rule]]`{later}");
    problems.push(
        Code::PolicySyntax,
        span,
        "here",
        format!("TOML syntax error: {}", e.message().trim()),
        Some(help),
    );
}

/// Validates one file's rules into `rules`, skipping (and reporting) ids defined before in
/// this or an earlier file.
fn compile_rules(
    policy: &PolicyText,
    raw_rules: &[raw::RawRule<'_, '_>],
    first_seen: &mut FirstSeen,
    rules: &mut Vec<Rule>,
    problems: &mut Problems,
) {
    let newlines: Vec<usize> = policy
        .text
        .bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
        .collect();
    for raw_rule in raw_rules {
        if let Some(id) = &raw_rule.id {
            if let Some((first_source, first_span)) = first_seen.get(&id.value) {
                problems
                    .list
                    .push(duplicate_id(id, first_source, first_span, &problems.source));
                continue;
            }
            first_seen.insert(
                id.value.clone(),
                (Arc::clone(&problems.source), id.span.clone()),
            );
        }
        // The line of the rule's id (reports and SARIF point there), looked up in the
        // file's newline offsets: counting newlines from the start for each rule made
        // loading quadratic (10,000 rules took half a minute).
        let line = raw_rule
            .id
            .as_ref()
            .map_or(1, |id| 1 + newlines.partition_point(|&n| n < id.span.start));
        if let Some(rule) = validate::rule(raw_rule, &policy.name, line, problems) {
            rules.push(rule);
        } else if problems.list.is_empty() {
            // A rule may only be dropped for a problem the user is shown; with none
            // recorded the policy would load without it and the gate pass silently.
            let span = raw_rule.id.as_ref().map_or(0..0, |id| id.span.clone());
            problems.push(
                Code::PolicyInternal,
                span,
                "this rule",
                "mlgate could not compile this rule and recorded no reason",
                Some("this is a bug in mlgate; please report it with the rule".into()),
            );
        }
    }
}

/// The problem for a rule id defined again, pointing at its first definition.
fn duplicate_id(
    id: &raw::Sp<String>,
    first_source: &Arc<NamedSource<String>>,
    first_span: &std::ops::Range<usize>,
    source: &Arc<NamedSource<String>>,
) -> PolicyProblem {
    let note = PolicyProblem::new(
        Code::PolicyDuplicateId,
        first_source,
        first_span.clone(),
        "first defined here",
        format!(
            "`{}` was first defined in {}",
            id.value,
            first_source.name()
        ),
    );
    PolicyProblem::new(
        Code::PolicyDuplicateId,
        source,
        id.span.clone(),
        "defined again here",
        format!("duplicate rule id `{}`", id.value),
    )
    .with_help(
        "rule ids must be unique across every policy file in use; rename one, or drop the copy",
    )
    .with_related(note)
}

/// Keeps the waivers whose rule exists in some file and reports the others.
///
/// Waivers may name rules of any file, so their rule ids are checked once all are known.
fn resolve_waivers(
    pending: Vec<(waiver::Compiled, Arc<NamedSource<String>>)>,
    first_seen: &FirstSeen,
    all_problems: &mut Vec<PolicyProblem>,
) -> Vec<Waiver> {
    let mut waivers = Vec::new();
    for (compiled, source) in pending {
        if first_seen.contains_key(&compiled.waiver.rule) {
            waivers.push(compiled.waiver);
        } else {
            let known: Vec<&str> = first_seen.keys().map(String::as_str).collect();
            let help = crate::suggest::closest(&compiled.waiver.rule, known.iter().copied())
                .map_or_else(
                    || "`mlgate rules` lists the rule ids in effect".to_string(),
                    |s| format!("did you mean `{s}`?"),
                );
            all_problems.push(
                PolicyProblem::new(
                    Code::PolicyUnknownRule,
                    &source,
                    compiled.rule_span,
                    "no rule has this id",
                    format!("waiver names unknown rule `{}`", compiled.waiver.rule),
                )
                .with_help(help),
            );
        }
    }
    waivers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, text: &str) -> PolicyText {
        PolicyText {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn baseline_loads() {
        let policy = load(&[baseline()]).unwrap();
        let ids: Vec<&str> = policy.rules.iter().map(|r| r.id.as_str()).collect();
        for id in [
            "users-group-can-manage",
            "missing-description",
            "missing-signature",
            "empty-params",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        assert!(policy.digest.starts_with("sha256:"));
    }

    /// One bad byte in a comment made the parser report an error per following character;
    /// the fuzzer's inputs of this kind took ~100 ms each to render.
    #[test]
    fn a_syntax_error_is_reported_once_not_per_knock_on_error() {
        let policy = text(
            "p.toml",
            "# a comment with a \u{1} control byte and more after it\n[[rule]]\nid = [1 2 3 4\n",
        );
        let errors = load(&[policy]).unwrap_err();
        assert_eq!(errors.problems.len(), 1, "{:?}", errors.problems);
        let problem = &errors.problems[0];
        assert_eq!(problem.code.as_str(), "policy::syntax");
        let help = problem.help.as_deref().unwrap_or_default();
        assert!(help.contains("later syntax errors are not shown"), "{help}");
    }

    #[test]
    fn every_problem_is_collected() {
        let policy = text(
            "p.toml",
            r#"
[[rule]]
id = "Bad_Id"
title = "t"
severity = "fatal"
description = "d"
select = "run.parms"
check = { non_emtpy = true }
colour = "red"
"#,
        );
        let errors = load(&[policy]).unwrap_err();
        let codes: Vec<&str> = errors.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "policy::unknown-key",
                "policy::bad-severity",
                "policy::bad-id",
                "policy::selector-never-matches",
                "policy::unknown-check"
            ]
        );
    }
}
