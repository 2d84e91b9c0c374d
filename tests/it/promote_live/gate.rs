//! The gate: what `promote` refuses, what it moves, and what it records.

use serde_json::{json, Value};

use super::{
    call, champion, clean, finding, outcome, promote, register, server, set_alias, tags, version,
    POLICY, SERVERS,
};

#[test]
fn a_candidate_worse_than_the_champion_is_refused_and_says_so_in_the_registry() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "worse", &["champion", "worse"]);
        set_alias(&s, &name, "champion", "1");
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 1, "{key}: {stderr}");
        assert_eq!(outcome(&results, "auc-not-worse"), "fail", "{key}");
        assert_eq!(
            champion(&s, &name).as_deref(),
            Some("1"),
            "{key}: the alias stays"
        );
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.verdict"], "fail", "{key}");
        assert_eq!(t["mlgate.target"], "alias:champion", "{key}");
        assert_eq!(t["mlgate.incumbent"], "1", "{key}");
    }
}

#[test]
fn a_candidate_that_drops_an_input_column_is_refused_naming_it() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "drops", &["champion", "drops-column"]);
        set_alias(&s, &name, "champion", "1");
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 1, "{key}: {stderr}");
        let f = finding(&results, "signature-compatible");
        assert_eq!(f["outcome"], "fail", "{key}");
        assert!(
            f["message"].as_str().unwrap().contains("income"),
            "{key}: {f}"
        );
        assert_eq!(
            outcome(&results, "auc-not-worse"),
            "pass",
            "{key}: better AUC"
        );
        assert_eq!(champion(&s, &name).as_deref(), Some("1"), "{key}");
    }
}

#[test]
fn a_good_candidate_moves_the_alias_and_carries_the_record() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "good", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &[
                "--to-alias",
                "champion",
                "--report-url",
                "https://ci.example.com/run/7",
            ],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        assert_eq!(outcome(&results, "auc-not-worse"), "pass", "{key}");
        assert_eq!(
            outcome(&results, "signature-compatible"),
            "pass",
            "{key}: an optional input is compatible"
        );
        assert_eq!(champion(&s, &name).as_deref(), Some("2"), "{key}");
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.verdict"], "pass", "{key}");
        assert_eq!(t["mlgate.incumbent"], "1", "{key}");
        assert_eq!(t["mlgate.report"], "https://ci.example.com/run/7", "{key}");
        assert!(
            t["mlgate.policy_digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:"),
            "{key}"
        );
        assert!(
            t["mlgate.evaluated_at"].as_str().unwrap().ends_with('Z'),
            "{key}"
        );
        assert!(
            t["mlgate.summary"].as_str().unwrap().starts_with("pass"),
            "{key}"
        );
    }
}

#[test]
fn a_good_candidate_moves_the_stage_and_archives_the_old_one() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "stage", &["champion", "good"]);
        call(
            &s,
            "POST",
            "model-versions/transition-stage",
            &json!({"name": name, "version": "1", "stage": "Production", "archive_existing_versions": false}),
        );
        let (code, _, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/2"),
            &[
                "--to-stage",
                "Production",
                "--archive-existing",
                "--expect-incumbent",
                "1",
            ],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        assert_eq!(
            version(&s, &name, "2")["current_stage"],
            "Production",
            "{key}"
        );
        assert_eq!(
            version(&s, &name, "1")["current_stage"],
            "Archived",
            "{key}"
        );
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.target"], "stage:Production", "{key}");
        assert_eq!(t["mlgate.verdict"], "pass", "{key}");
    }
}

#[test]
fn dry_run_moves_nothing_and_writes_no_tag() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "dry", &["champion", "good", "worse"]);
        set_alias(&s, &name, "champion", "1");
        for (v, expected) in [("2", 0), ("3", 1)] {
            let (code, _, stderr) = promote(
                &s.uri,
                &format!("models:/{name}/{v}"),
                &["--to-alias", "champion", "--dry-run"],
            );
            assert_eq!(code, expected, "{key} v{v}: {stderr}");
            assert!(
                tags(&s, &name, v).keys().all(|k| !k.starts_with("mlgate.")),
                "{key} v{v}: a dry run writes no tag"
            );
        }
        assert_eq!(champion(&s, &name).as_deref(), Some("1"), "{key}");
    }
}

#[test]
fn the_first_promotion_skips_the_comparisons_and_lets_the_rest_decide() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "first", &["good"]);
        let (code, results, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/1"),
            &["--to-alias", "champion", "--expect-incumbent", "none"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        for rule in ["auc-not-worse", "signature-compatible"] {
            let f = finding(&results, rule);
            assert_eq!(f["outcome"], "skipped", "{key} {rule}");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("no version holds @champion"),
                "{key}: {f}"
            );
        }
        assert_eq!(outcome(&results, "has-params"), "pass", "{key}");
        assert_eq!(champion(&s, &name).as_deref(), Some("1"), "{key}");
        assert_eq!(tags(&s, &name, "1")["mlgate.incumbent"], "none", "{key}");
    }
}

/// `check --target-alias` is the dry run of a promotion: it gathers the incumbent too, and a
/// snapshot saved with `--target-alias` replays with it, to the same findings.
#[test]
fn a_check_with_a_target_compares_with_the_incumbent_live_and_replayed() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "check", &["champion", "worse"]);
        set_alias(&s, &name, "champion", "1");
        let reference = format!("models:/{name}/2");
        let dir = tempfile::tempdir().unwrap();
        let (live, replayed, saved) = (
            dir.path().join("live.json"),
            dir.path().join("replayed.json"),
            dir.path().join("snapshot.json"),
        );
        let out = clean()
            .args([
                "check",
                &reference,
                "--tracking-uri",
                &s.uri,
                "--policy",
                POLICY,
            ])
            .args(["--target-alias", "champion", "--quiet", "--json"])
            .arg(&live)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = clean()
            .args([
                "snapshot",
                &reference,
                "--tracking-uri",
                &s.uri,
                "--target-alias",
                "champion",
                "-o",
            ])
            .arg(&saved)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = clean()
            .args(["check", "--policy", POLICY, "--quiet", "--snapshot"])
            .arg(&saved)
            .arg("--json")
            .arg(&replayed)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let outcomes = |path: &std::path::Path| -> Vec<(String, String)> {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["rule_id"].to_string(), f["outcome"].to_string()))
                .collect()
        };
        assert_eq!(outcomes(&live), outcomes(&replayed), "{key}");
        assert!(
            outcomes(&live).contains(&("\"auc-not-worse\"".into(), "\"fail\"".into())),
            "{key}"
        );
    }
}
