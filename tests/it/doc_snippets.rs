//! Every TOML snippet in the README and `docs/` is real: pasted as it stands, a policy lints
//! clean, a rule fragment (`select = …` / `check = …` lines) lints clean inside a rule, and a
//! test or configuration file parses as TOML with the keys mlgate reads. The GitLab,
//! Jenkins and test-file examples are run by `ci_snippets.rs` and `readme.rs`.

use std::path::Path;

use crate::markdown::documents;
use crate::{mlgate, repo_path};

/// The fenced ```toml blocks of a Markdown text, with the line each starts on.
fn toml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_start() == "```toml" => current = Some((i + 1, String::new())),
            Some(_) if line.trim_start() == "```" => blocks.extend(current.take()),
            Some((_, block)) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// What a snippet is, and so how it is checked.
enum Snippet {
    /// A policy file, or a part of one with whole rules or waivers.
    Policy(String),
    /// Lines of one rule (`select`, `check`, …): checked inside a rule.
    RuleLines(String),
    /// A `mlgate test` file or an `mlgate.toml`: TOML naming its policies.
    Names(String),
    /// An `mlgate.toml` with what `mlgate guard` protects.
    Config(String),
}

fn classify(block: &str) -> Snippet {
    if block.contains("[[protect]]") {
        Snippet::Config(block.to_string())
    } else if block.contains("[[case]]") || block.trim_start().starts_with("policies") {
        Snippet::Names(block.to_string())
    } else if ["[policy]", "[[rule]]", "[[waiver]]"]
        .iter()
        .any(|t| block.contains(t))
    {
        Snippet::Policy(block.to_string())
    } else {
        Snippet::RuleLines(block.to_string())
    }
}

/// A rule around the given lines, with what they leave out.
fn rule_around(lines: &str) -> String {
    let mut rule = String::from(
        "[[rule]]\nid = \"snippet\"\ntitle = \"A documented snippet\"\nseverity = \"error\"\n\
         description = \"From the docs.\"\n",
    );
    if !lines.contains("select") {
        rule.push_str("select = \"permissions.registered_model.entries[*]\"\n");
    }
    rule.push_str(lines);
    rule
}

/// An `mlgate.toml` with `[[protect]]` entries: `guard --once` reads it and gets as far as
/// the registry (exit 3 with none listening), where a bad entry would stop it with exit 2.
fn guard_config(dir: &Path, config: &str) -> Result<(), String> {
    let file = dir.join("mlgate.toml");
    std::fs::write(&file, config).unwrap();
    let output = mlgate()
        .args([
            "guard",
            "--once",
            "--tracking-uri",
            "http://127.0.0.1:9",
            "--config",
        ])
        .arg(&file)
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        .output()
        .unwrap();
    if output.status.code() == Some(3) {
        Ok(())
    } else {
        Err(format!(
            "guard --once exited {:?}, not 3 (could not reach the registry):\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn lint(dir: &Path, name: &str, policy: &str) -> Result<(), String> {
    let file = dir.join(name);
    std::fs::write(&file, policy).unwrap();
    let mut lint = mlgate();
    lint.arg("lint").arg(&file);
    // Waivers alone waive the bundled rules the docs name.
    if !policy.contains("[[rule]]") {
        lint.arg("builtin:baseline");
    }
    let output = lint.output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[test]
fn every_toml_snippet_in_the_docs_works_as_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let name = doc
            .strip_prefix(repo_path(""))
            .unwrap()
            .display()
            .to_string();
        for (line, block) in toml_blocks(&text) {
            let at = format!("{name}:{line}");
            checked += 1;
            let result = match classify(&block) {
                Snippet::Policy(policy) => lint(dir.path(), "snippet.toml", &policy),
                Snippet::RuleLines(lines) => lint(dir.path(), "snippet.toml", &rule_around(&lines)),
                Snippet::Config(config) => guard_config(dir.path(), &config),
                Snippet::Names(file) => match file.parse::<toml::Table>() {
                    Ok(table) if table.get("policies").is_some_and(toml::Value::is_array) => Ok(()),
                    Ok(_) => Err("names no `policies` list".to_string()),
                    Err(e) => Err(e.to_string()),
                },
            };
            if let Err(e) = result {
                problems.push(format!("{at}:\n{block}\n{e}"));
            }
        }
    }
    assert!(checked > 40, "only {checked} snippets found");
    assert!(problems.is_empty(), "{}", problems.join("\n---\n"));
}
