//! SARIF that GitHub code scanning accepts and shows usefully: every result at a file of the
//! repository, named relative to its root (`%SRCROOT%`), whatever form the policy path was
//! given in; bundled rules at a file the user has; rules documented.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{mlgate, repo_path};

const TEAM: &str = r#"[[rule]]
id = "team-description-is-long"
title = "The registered model's description is long"
severity = "error"
description = """Reviewers need more
than a line."""
remediation = "Write a longer description."
select = "registered_model.description"
check = { min_length = 100000 }
"#;

const CONFIG: &str =
    "# the gate's config\nfail_on = \"error\"\npolicies = [\n  \"builtin:baseline\",\n  \"policies/team.toml\",\n]\n";

const WORKFLOW: &str = "on: push\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: mlgate check --example --sarif mlgate.sarif\n";

/// A git repository in a temporary directory, with a config, a team policy and a workflow,
/// and a policy beside it, outside the repository.
struct Repo {
    _dir: tempfile::TempDir,
    /// Canonical (a temporary directory may sit behind a symlink).
    base: PathBuf,
    root: PathBuf,
}

fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(dir.path()).unwrap();
    let root = base.join("repo");
    for d in ["policies", "sub", ".github/workflows"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::create_dir_all(base.join("outside")).unwrap();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&root)
        .status();
    if !git.is_ok_and(|s| s.success()) {
        // What mlgate looks for; without git the layout is the same.
        std::fs::create_dir(root.join(".git")).unwrap();
    }
    std::fs::write(root.join("mlgate.toml"), CONFIG).unwrap();
    std::fs::write(root.join("policies/team.toml"), TEAM).unwrap();
    std::fs::write(root.join(".github/workflows/gate.yml"), WORKFLOW).unwrap();
    std::fs::write(root.join("README.md"), "# models\n").unwrap();
    std::fs::write(
        base.join("outside/shared.toml"),
        TEAM.replace("team-description", "shared-description"),
    )
    .unwrap();
    Repo {
        _dir: dir,
        base,
        root,
    }
}

/// Runs `check --example --sarif` in `cwd` (GitHub's variables only as given); the document,
/// checked against the schema, and stderr.
fn sarif(cwd: &Path, args: &[&str], env: &[(&str, &Path)]) -> (Value, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("mlgate.sarif");
    let mut cmd = mlgate();
    cmd.current_dir(cwd)
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_WORKFLOW_REF");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["check", "--example", "-q", "--sarif"])
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let text = std::fs::read_to_string(&path).unwrap();
    crate::schemas::assert_valid_sarif(&text);
    (serde_json::from_str(&text).unwrap(), stderr)
}

/// Rule id → (uri, line) of every result, after checking each points at a file of `root`.
fn places(doc: &Value, root: &Path) -> Vec<(String, String, u64)> {
    let run = &doc["runs"][0];
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        format!("file://{}/", root.display()),
        "the root is known"
    );
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    results
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            let artifact = &location["artifactLocation"];
            assert_eq!(artifact["uriBaseId"], "%SRCROOT%", "{r}");
            let uri = artifact["uri"].as_str().unwrap();
            assert!(
                !uri.starts_with('/') && !uri.contains(['\\', ':']) && !uri.contains(".."),
                "repository-relative, forward slashes: {uri}"
            );
            assert!(
                root.join(uri).is_file(),
                "{uri} is a file of the repository"
            );
            assert_eq!(
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
                "models:/dolly3b/1"
            );
            let line = location["region"]["startLine"].as_u64().unwrap();
            (
                r["ruleId"].as_str().unwrap().to_string(),
                uri.to_string(),
                line,
            )
        })
        .collect()
}

fn place_of<'a>(places: &'a [(String, String, u64)], id: &str) -> (&'a str, u64) {
    places.iter().find(|(r, _, _)| r == id).map_or_else(
        || panic!("no result for {id} in {places:?}"),
        |(_, u, l)| (u.as_str(), *l),
    )
}

fn message_of(doc: &Value, id: &str) -> String {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == id)
        .and_then(|r| r["message"]["text"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn user_policies_in_any_form_and_bundled_rules_point_at_files_of_the_repository() {
    let repo = repo();
    let root = &repo.root;
    let absolute = root.join("policies/team.toml");
    let runs: Vec<(&str, PathBuf, Vec<&str>)> = vec![
        (
            "relative with ..",
            root.join("sub"),
            vec![
                "--policy",
                "../policies/team.toml",
                "--policy",
                "builtin:baseline",
            ],
        ),
        (
            "absolute",
            root.clone(),
            vec![
                "--policy",
                absolute.to_str().unwrap(),
                "--policy",
                "builtin:baseline",
            ],
        ),
        (
            "./",
            root.clone(),
            vec![
                "--policy",
                "./policies/team.toml",
                "--policy",
                "builtin:baseline",
            ],
        ),
        ("from mlgate.toml", root.join("sub"), vec![]),
    ];
    for (what, cwd, args) in runs {
        let (doc, stderr) = sarif(&cwd, &args, &[]);
        let placed = places(&doc, root);
        // The user's rule at its own line (its `id` is line 2 of the file).
        assert_eq!(
            place_of(&placed, "team-description-is-long"),
            ("policies/team.toml", 2),
            "{what}"
        );
        // Bundled rules at the config that enables them, on the line naming the pack.
        assert_eq!(
            place_of(&placed, "users-group-can-manage"),
            ("mlgate.toml", 4),
            "{what}"
        );
        assert!(
            message_of(&doc, "users-group-can-manage").contains(
                "bundled rule builtin:baseline, shown at mlgate.toml (the config in effect)"
            ),
            "{what}"
        );
        assert!(!stderr.contains("warning"), "{what}: {stderr}");
    }

    // A policy outside the repository is shown at the same stand-in, and says where it is.
    let (doc, _) = sarif(
        &root.join("sub"),
        &["--policy", "../../outside/shared.toml"],
        &[],
    );
    let placed = places(&doc, root);
    assert_eq!(
        place_of(&placed, "shared-description-is-long"),
        ("mlgate.toml", 1)
    );
    let message = message_of(&doc, "shared-description-is-long");
    assert!(
        message.contains("rule defined in ../../outside/shared.toml, outside this repository, shown at mlgate.toml"),
        "{message}"
    );
}

#[test]
fn rules_carry_help_docs_tags_and_precision() {
    let repo = repo();
    let (doc, _) = sarif(&repo.root, &[], &[]);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let docs = std::fs::read_to_string(repo_path("docs/rules.md")).unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(rule["shortDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        assert!(rule["fullDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(rule["help"]["markdown"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let properties = &rule["properties"];
        assert_eq!(properties["precision"], "very-high");
        if properties.get("security-severity").is_some() {
            assert!(
                properties["tags"]
                    .as_array()
                    .unwrap()
                    .contains(&"security".into()),
                "GitHub ignores security-severity without the security tag: {rule}"
            );
        }
        if id.starts_with("team-") {
            assert!(
                rule.get("helpUri").is_none(),
                "a user's rule has no docs page"
            );
            // Hand-wrapped TOML text reads as one paragraph; the remediation follows.
            assert_eq!(
                rule["help"]["text"],
                "Reviewers need more than a line.\n\nRemediation: Write a longer description."
            );
        } else {
            // Bundled: the heading of the rule in docs/rules.md.
            assert_eq!(
                rule["helpUri"],
                format!("https://github.com/mlgate/mlgate/blob/main/docs/rules.md#{id}")
            );
            assert!(
                docs.contains(&format!("\n### {id}\n")),
                "docs/rules.md has `### {id}`"
            );
            assert!(rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("**Remediation:**"));
        }
    }
}

#[test]
fn without_a_config_bundled_rules_are_shown_at_the_workflow_or_the_anchor_flag() {
    let repo = repo();
    let root = &repo.root;
    let workflow_ref = Path::new("acme/models/.github/workflows/gate.yml@refs/heads/main");
    let (doc, _) = sarif(
        root,
        &["--no-config"],
        &[("GITHUB_WORKFLOW_REF", workflow_ref)],
    );
    // At the step that runs mlgate.
    assert_eq!(
        place_of(&places(&doc, root), "users-group-can-manage"),
        (".github/workflows/gate.yml", 6)
    );
    // An explicit anchor wins over the config and the workflow.
    let (doc, _) = sarif(
        &root.join("sub"),
        &["--sarif-anchor", "../README.md"],
        &[("GITHUB_WORKFLOW_REF", workflow_ref)],
    );
    let placed = places(&doc, root);
    assert_eq!(
        place_of(&placed, "users-group-can-manage"),
        ("README.md", 1)
    );
    assert_eq!(
        place_of(&placed, "team-description-is-long"),
        ("policies/team.toml", 2)
    );
    // GITHUB_WORKSPACE is the root, wherever mlgate runs.
    let (doc, _) = sarif(
        &repo.base,
        &["--config", "repo/mlgate.toml"],
        &[("GITHUB_WORKSPACE", root)],
    );
    assert_eq!(
        place_of(&places(&doc, root), "team-description-is-long"),
        ("policies/team.toml", 2)
    );
}

#[test]
fn an_anchor_that_is_no_file_of_the_repository_is_a_usage_error() {
    let repo = repo();
    for (anchor, says) in [
        ("missing.toml", "no such file"),
        ("../outside/shared.toml", "outside the repository root"),
    ] {
        mlgate()
            .current_dir(&repo.root)
            .env_remove("GITHUB_WORKSPACE")
            .args([
                "check",
                "--example",
                "--sarif",
                "x.sarif",
                "--sarif-anchor",
                anchor,
            ])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
        assert!(!repo.root.join("x.sarif").exists());
    }
    // It only makes sense with an output pointing into the repository.
    mlgate()
        .args(["check", "--example", "--sarif-anchor", "README.md"])
        .assert()
        .code(2);
    mlgate()
        .args([
            "check",
            "--example",
            "-q",
            "--github",
            "--sarif-anchor",
            "README.md",
        ])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("::error file=README.md,line="));
}

#[test]
fn with_no_file_to_show_them_at_results_keep_a_logical_location_and_say_why() {
    let repo = repo();
    let (doc, stderr) = sarif(&repo.root, &["--no-config"], &[]);
    let run = &doc["runs"][0];
    for r in run["results"].as_array().unwrap() {
        let location = &r["locations"][0];
        assert!(location.get("physicalLocation").is_none(), "{r}");
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            "models:/dolly3b/1"
        );
        let text = r["message"]["text"].as_str().unwrap();
        assert!(
            text.contains("bundled rule builtin:baseline: no file in this repository to show it at; add an mlgate.toml or pass --sarif-anchor FILE"),
            "{text}"
        );
    }
    let notifications = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notifications.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .contains("GitHub code scanning rejects")));
    assert!(stderr.contains("--sarif-anchor"), "{stderr}");
}
