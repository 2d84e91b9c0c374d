//! The GitLab CI and Jenkins snippets of `docs/ci.md` are real: what can be checked offline is. The
//! YAML parses, and its artifacts collect the files the command writes even when the job
//! fails; the Jenkinsfile is balanced and its steps read the files the command writes; each
//! mlgate command line parses and, run against the bundled example instead of a live model,
//! writes those files (and fails, as the example does: exit 1).

use std::path::Path;

use crate::mlgate;

/// The fenced block of `lang` whose first line is `first` (they live in `docs/ci.md`).
fn block(lang: &str, first: &str) -> String {
    crate::markdown::block_starting(lang, first)
}

/// Runs a documented mlgate command line with `--example` in place of the live model, in `dir`.
fn run_example(command: &str, dir: &Path) {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&words[..2], ["mlgate", "check"], "{command}");
    assert!(
        !command.contains(['"', '\'', '$', '`', '\\']),
        "plain words only, so splitting on spaces is the shell's reading: {command}"
    );
    let args: Vec<&str> = words[1..]
        .iter()
        .map(|w| {
            if w.starts_with("models:/") {
                "--example"
            } else {
                w
            }
        })
        .collect();
    assert!(args.contains(&"--example"), "a model reference: {command}");
    let out = mlgate()
        .current_dir(dir)
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_WORKFLOW_REF")
        .env_remove("CI_CONFIG_PATH")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the example fails its rules: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value after `flag` in a command line.
fn after<'a>(command: &'a str, flag: &str) -> &'a str {
    let mut words = command.split_whitespace();
    words.by_ref().find(|w| *w == flag);
    words
        .next()
        .unwrap_or_else(|| panic!("{flag} in {command}"))
}

fn assert_written(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file} written: {e}"))
}

#[test]
fn the_gitlab_ci_job_parses_and_collects_what_mlgate_writes() {
    let yaml = block("yaml", "# .gitlab-ci.yml");
    let doc: serde_json::Value = serde_norway::from_str(&yaml).expect("valid YAML");
    let job = &doc["model-gate"];
    let script = job["script"].as_array().expect("script: a list");
    let command = script
        .iter()
        .filter_map(|l| l.as_str())
        .find(|l| l.starts_with("mlgate "))
        .expect("an mlgate command in script");
    let artifacts = &job["artifacts"];
    // The gate fails the job: without `when: always` GitLab keeps no report of a failure.
    assert_eq!(artifacts["when"], "always");
    let reports = &artifacts["reports"];
    assert_eq!(reports["codequality"], after(command, "--codequality"));
    assert_eq!(reports["junit"], after(command, "--junit"));
    assert_eq!(artifacts["paths"][0], after(command, "--report"));

    let dir = tempfile::tempdir().unwrap();
    run_example(command, dir.path());
    let quality: serde_json::Value =
        serde_json::from_str(&assert_written(dir.path(), after(command, "--codequality"))).unwrap();
    assert_eq!(quality.as_array().unwrap().len(), 4);
    let junit = assert_written(dir.path(), after(command, "--junit"));
    roxmltree::Document::parse(&junit).expect("well-formed JUnit");
    assert_written(dir.path(), after(command, "--report"));
}

#[test]
fn the_jenkinsfile_stage_reads_what_mlgate_writes() {
    let groovy = block("groovy", "// Jenkinsfile");
    assert_eq!(
        groovy.matches('{').count(),
        groovy.matches('}').count(),
        "balanced braces"
    );
    for part in [
        "pipeline {",
        "agent any",
        "stages {",
        "steps {",
        "post {",
        "always {",
    ] {
        assert!(groovy.contains(part), "{part}");
    }
    let quoted = |prefix: &str| -> String {
        let start = groovy.find(prefix).unwrap_or_else(|| panic!("{prefix}")) + prefix.len();
        groovy[start..].split('\'').next().unwrap().to_string()
    };
    let command = quoted("sh '");
    let junit = quoted("junit '");
    let sarif = quoted("sarif(pattern: '");
    let archived = quoted("archiveArtifacts artifacts: '");
    assert_eq!(junit, after(&command, "--junit"));
    assert_eq!(sarif, after(&command, "--sarif"));
    assert_eq!(archived, after(&command, "--report"));

    let dir = tempfile::tempdir().unwrap();
    run_example(&command, dir.path());
    roxmltree::Document::parse(&assert_written(dir.path(), &junit)).expect("well-formed JUnit");
    let sarif: serde_json::Value =
        serde_json::from_str(&assert_written(dir.path(), &sarif)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_written(dir.path(), &archived);
}

#[test]
fn completions_and_the_man_page() {
    let out = mlgate().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let bash = String::from_utf8(out.stdout).unwrap();
    assert!(
        bash.contains("promote") && bash.contains("--codequality"),
        "{bash}"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = mlgate().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("check"),
            "{shell}"
        );
    }
    mlgate().args(["completions", "tcsh"]).assert().code(2);
    let out = mlgate().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(man.contains(".TH mlgate 1"), "{man}");
    assert!(
        man.contains("promote") && man.contains("completions"),
        "{man}"
    );
}
