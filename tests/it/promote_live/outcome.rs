//! What a promotion says it did, in every output (issue 21): a re-run writes nothing and says
//! the candidate already holds the target; a real promotion's job summary and report say
//! "moved @champion from version N to version M"; a move whose answer is lost and cannot be
//! read back is unknown (exit 4, `promoted=unknown`), never "nothing moved"; a stage move that
//! would leave a newer version in the stage fails unless `--archive-existing`.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::{call, champion, clean, register, server, set_alias, tags, version, POLICY, SERVERS};
use crate::race_proxy::Proxy;

/// Everything one `promote --github` run wrote.
struct Ran {
    code: i32,
    stderr: String,
    /// `$GITHUB_STEP_SUMMARY`.
    summary: String,
    /// `--report`.
    report: String,
    /// `$GITHUB_OUTPUT`.
    outputs: String,
    /// `--json`.
    json: Value,
}

/// `promote REFERENCE ARGS --github` with every output, against `uri`.
fn promote_all(uri: &str, reference: &str, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let at = |f: &str| dir.path().join(f);
    let out = clean()
        .envs(env.iter().copied())
        .env("GITHUB_OUTPUT", at("output"))
        .env("GITHUB_STEP_SUMMARY", at("summary.md"))
        .args([
            "promote",
            reference,
            "--tracking-uri",
            uri,
            "--policy",
            POLICY,
        ])
        .args(["--github", "--report"])
        .arg(at("report.md"))
        .arg("--json")
        .arg(at("results.json"))
        .args(args)
        .output()
        .unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Ran {
        code: out.status.code().unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        summary: read(&at("summary.md")),
        report: read(&at("report.md")),
        outputs: read(&at("output")),
        json: serde_json::from_str(&read(&at("results.json"))).unwrap_or(Value::Null),
    }
}

/// The version's `mlgate.*` tags.
fn mlgate_tags(s: &super::Server, name: &str, v: &str) -> Map<String, Value> {
    tags(s, name, v)
        .into_iter()
        .filter(|(k, _)| k.starts_with("mlgate."))
        .collect()
}

#[test]
fn mlflow3_and_2_rerunning_a_promotion_writes_nothing_and_says_nothing_moved() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "rerun", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        let reference = format!("models:/{name}/2");
        let first = promote_all(
            &s.uri,
            &reference,
            &[
                "--to-alias",
                "champion",
                "--report-url",
                "https://ci.example.com/run/7",
            ],
            &[],
        );
        assert_eq!(first.code, 0, "{key}: {}", first.stderr);
        let recorded = mlgate_tags(&s, &name, "2");
        assert_eq!(recorded["mlgate.incumbent"], "1", "{key}");
        assert_eq!(recorded.len(), 7, "{key}: {recorded:?}");

        // The CI job runs again: nothing may be written, the real promotion's record stays.
        let proxy = Proxy::start(&s.uri, None);
        let again = promote_all(&proxy.uri, &reference, &["--to-alias", "champion"], &[]);
        assert_eq!(again.code, 0, "{key}: {}", again.stderr);
        assert_eq!(
            mlgate_tags(&s, &name, "2"),
            recorded,
            "{key}: every tag unchanged"
        );
        assert_eq!(champion(&s, &name).as_deref(), Some("2"), "{key}");
        let writes: Vec<String> = proxy
            .requests()
            .into_iter()
            .filter(|r| !r.starts_with("GET "))
            .collect();
        assert!(
            writes.is_empty(),
            "{key}: no registry write at all: {writes:?}"
        );
        assert!(
            again.stderr.contains(&format!(
                "{reference} already holds @champion; nothing to do (nothing moved"
            )),
            "{key}: {}",
            again.stderr
        );
        for (what, text) in [("summary", &again.summary), ("report", &again.report)] {
            assert!(
                text.contains("version 2 already holds @champion; nothing to do"),
                "{key} {what}: {text}"
            );
        }
        assert!(
            again.outputs.contains("promoted=false\n"),
            "{key}: {}",
            again.outputs
        );
        assert!(again.outputs.contains("promotion=already_held\n"), "{key}");
        assert_eq!(again.json["promotion"]["outcome"], "already_held", "{key}");
    }
}

#[test]
fn mlflow3_and_2_a_promotion_says_from_which_version_to_which_it_moved() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "said", &["champion", "good"]);
        for (v, from) in [("1", "no version"), ("2", "version 1")] {
            let ran = promote_all(
                &s.uri,
                &format!("models:/{name}/{v}"),
                &["--to-alias", "champion"],
                &[],
            );
            assert_eq!(ran.code, 0, "{key} v{v}: {}", ran.stderr);
            let said = format!("moved @champion from {from} to version {v}");
            for (what, text) in [("summary", &ran.summary), ("report", &ran.report)] {
                assert!(
                    text.contains(&said),
                    "{key} v{v} {what} says {said:?}: {text}"
                );
            }
            // On top, by the verdict: before the findings and the comparison.
            let at = ran.report.find(&said).unwrap();
            assert!(at < ran.report.find("|Outcome|").unwrap(), "{key}");
            assert!(
                ran.outputs.contains("promoted=true\npromotion=moved\n"),
                "{key}"
            );
            let previous = (from != "no version").then_some("1");
            assert_eq!(
                ran.json["promotion"],
                json!({"outcome": "moved", "target": "alias:champion", "from": previous,
                       "to": v, "why": null, "message": said}),
                "{key}"
            );
        }
        assert_eq!(champion(&s, &name).as_deref(), Some("2"), "{key}");
    }
}

/// The alias write reaches the server (the alias moves), its answer is lost, and every read
/// after it fails: mlgate cannot know, so it says so and exits 4 with `promoted=unknown`.
#[test]
fn mlflow3_and_2_a_lost_answer_that_cannot_be_read_back_is_unknown_not_nothing_moved() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "lost", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        let proxy = Proxy::losing(&s.uri, "POST /api/2.0/mlflow/registered-models/alias");
        let ran = promote_all(
            &proxy.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
            &[
                ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"),
                ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0"),
            ],
        );
        assert_eq!(ran.code, 4, "{key}: {}", ran.stderr);
        assert_eq!(
            champion(&s, &name).as_deref(),
            Some("2"),
            "{key}: the server did act on the lost write"
        );
        let unknown =
            "could not confirm whether the move happened; read the registry before retrying";
        assert!(ran.stderr.contains(unknown), "{key}: {}", ran.stderr);
        assert!(
            ran.stderr.contains("promote::unconfirmed"),
            "{key}: {}",
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("nothing moved"),
            "{key}: {}",
            ran.stderr
        );
        assert!(
            ran.outputs.contains("promoted=unknown\n"),
            "{key}: {}",
            ran.outputs
        );
        assert!(ran.outputs.contains("promotion=unknown\n"), "{key}");
        assert!(!ran.outputs.contains("promoted=false"), "{key}");
        for (what, text) in [("summary", &ran.summary), ("report", &ran.report)] {
            assert!(text.contains(unknown), "{key} {what}: {text}");
            assert!(!text.contains("nothing moved"), "{key} {what}: {text}");
        }
        assert_eq!(ran.json["promotion"]["outcome"], "unknown", "{key}");
        let writes: Vec<String> = proxy
            .requests()
            .into_iter()
            .filter(|r| r.starts_with("POST"))
            .collect();
        assert_eq!(writes.len(), 1, "{key}: the move is sent once: {writes:?}");
    }
}

/// `models:/NAME/Production` is the newest version in the stage: moving an older one in beside
/// it would change nothing that is served. Refused (exit 4, nothing written) unless the
/// others are archived.
#[test]
fn mlflow3_and_2_a_stage_move_that_would_not_resolve_to_the_candidate_fails() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        // Version 1 is the better model; version 2 is in Production.
        let name = register(&s, key, "older", &["good", "champion"]);
        call(
            &s,
            "POST",
            "model-versions/transition-stage",
            &json!({"name": name, "version": "2", "stage": "Production",
                    "archive_existing_versions": false}),
        );
        let reference = format!("models:/{name}/1");
        let refused = promote_all(&s.uri, &reference, &["--to-stage", "Production"], &[]);
        assert_eq!(refused.code, 4, "{key}: {}", refused.stderr);
        assert!(
            refused.stderr.contains(&format!(
                "models:/{name}/Production would still resolve to version 2, not models:/{name}/1"
            )),
            "{key}: {}",
            refused.stderr
        );
        assert!(refused.stderr.contains("--archive-existing"), "{key}");
        assert!(refused.outputs.contains("promoted=false\n"), "{key}");
        assert_eq!(refused.json["promotion"]["outcome"], "not_moved", "{key}");
        assert!(
            refused.summary.contains("would still resolve to version 2"),
            "{key}"
        );
        assert_eq!(version(&s, &name, "1")["current_stage"], "None", "{key}");
        assert_eq!(
            version(&s, &name, "2")["current_stage"],
            "Production",
            "{key}"
        );
        assert!(
            mlgate_tags(&s, &name, "1").is_empty(),
            "{key}: nothing written"
        );

        let moved = promote_all(
            &s.uri,
            &reference,
            &["--to-stage", "Production", "--archive-existing"],
            &[],
        );
        assert_eq!(moved.code, 0, "{key}: {}", moved.stderr);
        assert!(
            moved
                .summary
                .contains("moved stage Production from version 2 to version 1"),
            "{key}: {}",
            moved.summary
        );
        assert_eq!(
            version(&s, &name, "1")["current_stage"],
            "Production",
            "{key}"
        );
        assert_eq!(
            version(&s, &name, "2")["current_stage"],
            "Archived",
            "{key}"
        );
    }
}
