//! The guard: a target that is not (or no longer) held by the version judged against, a
//! record that cannot be written, and what the GitHub step is told.

use serde_json::json;

use super::{champion, clean, promote, register, server, set_alias, tags, POLICY, SERVERS};
use crate::race_proxy::{Interlude, Proxy};

#[test]
fn the_wrong_expected_incumbent_exits_4_and_moves_nothing() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "expect", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        for expected in ["2", "none"] {
            let (code, _, stderr) = promote(
                &s.uri,
                &format!("models:/{name}/2"),
                &["--to-alias", "champion", "--expect-incumbent", expected],
            );
            assert_eq!(code, 4, "{key} --expect-incumbent {expected}: {stderr}");
            assert!(stderr.contains("held by version 1"), "{key}: {stderr}");
        }
        assert_eq!(champion(&s, &name).as_deref(), Some("1"), "{key}");
        assert!(
            tags(&s, &name, "2")
                .keys()
                .all(|k| !k.starts_with("mlgate.")),
            "{key}"
        );
    }
}

/// Another client moves the alias after mlgate gathered and judged, before it moves: mlgate
/// must see it on its re-read, move nothing and exit 4. The proxy counts mlgate's reads of
/// the alias in a dry run first, so the interlude lands on the re-read whatever the gather
/// reads.
#[test]
fn an_alias_moved_by_another_client_mid_promotion_is_not_overwritten() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "race", &["champion", "good", "worse"]);
        set_alias(&s, &name, "champion", "1");
        let counted = "/registered-models/alias?";
        let probe = Proxy::start(&s.uri, None);
        let (code, _, stderr) = promote(
            &probe.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion", "--dry-run"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        let reads = probe
            .requests()
            .iter()
            .filter(|r| r.contains(counted))
            .count();
        assert!(reads >= 1, "{key}: {:?}", probe.requests());
        let proxy = Proxy::start(
            &s.uri,
            Some(Interlude {
                fragment: counted.into(),
                nth: reads + 1,
                method: "POST",
                path: "/api/2.0/mlflow/registered-models/alias".into(),
                body: json!({"name": name, "alias": "champion", "version": "3"}).to_string(),
            }),
        );
        let (code, _, stderr) = promote(
            &proxy.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert!(
            proxy.matched() > reads,
            "{key}: the interlude ran ({:?})",
            proxy.requests()
        );
        assert_eq!(code, 4, "{key}: {stderr}");
        assert!(
            stderr.contains("version 3"),
            "{key} names who holds it now: {stderr}"
        );
        assert_eq!(
            champion(&s, &name).as_deref(),
            Some("3"),
            "{key}: the other client's move stands"
        );
        assert!(
            !proxy
                .requests()
                .iter()
                .any(|r| r.starts_with("POST") && r.contains("registered-models/alias")),
            "{key}: mlgate sent no alias write: {:?}",
            proxy.requests()
        );
    }
}

/// The move lands but the record is refused: exit 5, and the message says the promotion stands.
#[test]
fn a_promotion_whose_record_is_refused_exits_5_and_stands() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "record", &["champion", "good"]);
        set_alias(&s, &name, "champion", "1");
        let proxy = Proxy::refusing(&s.uri, None, Some("model-versions/set-tag"));
        let (code, _, stderr) = promote(
            &proxy.uri,
            &format!("models:/{name}/2"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 5, "{key}: {stderr}");
        assert!(stderr.contains("promotion stands"), "{key}: {stderr}");
        assert_eq!(champion(&s, &name).as_deref(), Some("2"), "{key}");
    }
}

/// With `--github`, `$GITHUB_OUTPUT` says whether the version moved: not on a dry run or a
/// refusal, yes on a promotion.
#[test]
fn the_github_output_says_whether_the_version_moved() {
    let Some(s) = server("MLFLOW3") else { return };
    let name = register(&s, "MLFLOW3", "github", &["champion", "good", "worse"]);
    set_alias(&s, &name, "champion", "1");
    for (version, extra, code, promoted) in [
        ("2", Some("--dry-run"), 0, "false"),
        ("3", None, 1, "false"),
        ("2", None, 0, "true"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("github_output");
        let out = clean()
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
            .args([
                "promote",
                &format!("models:/{name}/{version}"),
                "--to-alias",
                "champion",
            ])
            .args([
                "--tracking-uri",
                &s.uri,
                "--policy",
                POLICY,
                "--quiet",
                "--github",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written = std::fs::read_to_string(&output).unwrap();
        assert!(
            written.contains(&format!("promoted={promoted}\n")),
            "v{version} {extra:?}: {written}"
        );
        let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
        assert!(summary.contains("Candidate vs incumbent"), "{summary}");
    }
}
