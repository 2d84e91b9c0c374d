//! Every error mlgate prints carries a stable code from `src/error_code.rs`, which
//! `docs/errors.md` explains: the source spells no code outside that table, and the stderr of
//! common mistakes (pinned with insta) shows the code above the message, with the exit code the
//! table documents.

use std::collections::BTreeSet;
use std::path::Path;

use mlgate::error_code::Code;
use regex::Regex;

use crate::{mlgate, repo_path};

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable source");
            out.push((path.display().to_string(), text));
        }
    }
}

#[test]
fn every_code_the_source_spells_is_in_the_table() {
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    // A string literal shaped like a code: `"family::name"`.
    let shaped = Regex::new(r#""([a-z]+::[a-z][a-z0-9-]*)""#).unwrap();
    let mut files = Vec::new();
    sources(&repo_path("src"), &mut files);
    let mut seen = 0;
    for (file, text) in &files {
        // Serde attributes name functions by path (`deserialize_with = "lenient::string"`).
        for line in text
            .lines()
            .filter(|l| !l.trim_start().starts_with("#[serde("))
        {
            for spelled in shaped.captures_iter(line) {
                seen += 1;
                assert!(
                    known.contains(&spelled[1]),
                    "{file} spells the code `{}`, which src/error_code.rs does not have: add it there (with its meaning and what to do) and regenerate docs/errors.md",
                    &spelled[1]
                );
            }
        }
    }
    // The table itself spells every code: the scan sees them.
    assert!(seen >= known.len(), "the scan found {seen} codes");
}

#[test]
fn no_diagnostic_is_given_a_bare_string_code() {
    // `.with_code("…")`, miette's `#[diagnostic(code(…))]`, a `code()` returning a literal.
    let bare =
        Regex::new(r#"(\.with_code\(\s*"|#\[diagnostic\([^\]]*code\(|Box::new\(\s*"[a-z]+::)"#)
            .unwrap();
    let mut files = Vec::new();
    sources(&repo_path("src"), &mut files);
    for (file, text) in &files {
        if let Some(m) = bare.find(text) {
            panic!(
                "{file} gives a diagnostic a bare string code (`{}`): use a `Code` from src/error_code.rs",
                m.as_str()
            );
        }
    }
}

/// The stderr and exit code of `mlgate ARGS`, with no tracking server in the environment.
fn run(args: &[&str]) -> (String, Option<i32>) {
    let mut cmd = mlgate();
    for var in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        "DATABRICKS_HOST",
        "DATABRICKS_TOKEN",
        "DATABRICKS_CONFIG_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.args(args).output().expect("mlgate runs");
    (
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        out.status.code(),
    )
}

/// Runs `args`, checks the exit code is the one `code` documents and that stderr opens with
/// `error[CODE]: `, and pins the whole stderr.
fn pinned(name: &str, args: &[&str], code: Code) {
    let (stderr, exit) = run(args);
    let documented = code.exit().map(mlgate::exit::Exit::code);
    assert_eq!(exit, documented, "{name}: {stderr}");
    assert!(
        stderr.starts_with(&format!("error[{code}]: ")),
        "{name}: no code `{code}` first on stderr:\n{stderr}"
    );
    insta::assert_snapshot!(name, stderr);
}

#[test]
fn an_unreachable_server_prints_its_code() {
    pinned(
        "unreachable_server",
        &[
            "check",
            "models:/churn/3",
            "--no-config",
            "--quiet",
            "--tracking-uri",
            "http://127.0.0.1:9",
        ],
        Code::GatherConnect,
    );
}

#[test]
fn a_bad_model_reference_prints_its_code() {
    pinned(
        "bad_reference",
        &[
            "check",
            "churn-3",
            "--no-config",
            "--tracking-uri",
            "http://127.0.0.1:9",
        ],
        Code::UsageBadReference,
    );
}

#[test]
fn a_missing_snapshot_file_prints_its_code() {
    pinned(
        "missing_snapshot",
        &[
            "check",
            "--no-config",
            "--snapshot",
            "tests/fixtures/no-such.snapshot.json",
        ],
        Code::SnapshotUnreadable,
    );
}

#[test]
fn a_typo_in_the_target_stage_prints_its_code() {
    pinned(
        "target_stage_typo",
        &[
            "check",
            "--example",
            "--no-config",
            "--target-stage",
            "Prod",
        ],
        Code::UsageBadStage,
    );
}

#[test]
fn a_bad_now_prints_its_code() {
    pinned(
        "bad_now",
        &["check", "--example", "--no-config", "--now", "next tuesday"],
        Code::UsageBadNow,
    );
}

#[test]
fn an_unknown_rule_to_explain_prints_its_code() {
    pinned(
        "unknown_rule",
        &["explain", "missing-signatur", "--no-config"],
        Code::UsageUnknownRule,
    );
}

#[test]
fn an_unknown_check_in_a_policy_prints_each_problem_and_the_summary_with_codes() {
    let (stderr, exit) = run(&[
        "check",
        "--example",
        "--no-config",
        "--policy",
        "tests/fixtures/policies/unknown-check.toml",
    ]);
    assert_eq!(exit, Some(2), "{stderr}");
    assert!(stderr.starts_with("policy::unknown-check\n"), "{stderr}");
    assert!(stderr.contains("\npolicy::invalid\n"), "{stderr}");
    insta::assert_snapshot!("unknown_check_in_policy", stderr);
}

#[test]
fn a_command_line_clap_refuses_prints_its_code() {
    pinned(
        "unknown_flag",
        &["check", "--example", "--no-config", "--fial-on", "warning"],
        Code::UsageArguments,
    );
}

/// Every line of `text` that the GitHub runner would read as a workflow command (it trims
/// leading whitespace first).
fn commands(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("::"))
        .collect()
}

#[test]
fn a_value_clap_quotes_forges_no_workflow_command() {
    for args in [
        &["check", "--example", "--fail-on", "err\n::error::x"][..],
        &[
            "check",
            "--example",
            "--fail-on",
            "err\r\n  ::error::x\u{1b}[2K",
        ],
        &["check", "--example", "--bogus\n::error::y"],
        &["check", "--all-models", "--jobs", "\n::warning::z"],
    ] {
        let out = mlgate().args(args).output().expect("mlgate runs");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error[usage::arguments]: "), "{stderr}");
        assert_eq!(commands(&stdout), Vec::<&str>::new(), "{args:?}");
        assert_eq!(commands(&stderr), Vec::<&str>::new(), "{args:?}: {stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr}");
    }
    // The value is still shown, on one line.
    let (stderr, _) = run(&["check", "--example", "--fail-on", "err\n::error::x"]);
    assert!(
        stderr.contains("invalid value 'err ⏎ ::error::x' for '--fail-on"),
        "{stderr}"
    );
}

#[test]
fn a_bad_reference_keeps_its_own_second_line_and_quotes_the_given_one_line() {
    let (stderr, exit) = run(&[
        "check",
        "churn\n::error::forged\u{1b}[2K",
        "--no-config",
        "--tracking-uri",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(exit, Some(2));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(
            "error[usage::bad-reference]: `churn ⏎ ::error::forged\\x1b[2K` is not a model reference"
        ),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("  accepted forms: models:/NAME/VERSION"),
        "{stderr}"
    );
}
