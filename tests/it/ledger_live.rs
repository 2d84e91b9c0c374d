//! The promotion ledger against the real MLflow 3.17 and 2.22 servers: promote, a move around
//! the gate, rollback and the guard append entries that `history` lists in order; editing or
//! deleting an entry by REST makes `history --verify` name it; rollback refuses a version that
//! fails today's policy unless drift is accepted; two writers made to collide (a proxy holds
//! the first ledger write until the second arrives) leave consecutive entries, none lost.

use serde_json::{json, Value};

use crate::promote_live::{
    call, champion, clean, get, promote, register, server, set_alias, tags, Server, POLICY, SERVERS,
};
use crate::race_proxy::Proxy;

/// `mlgate history NAME@champion --json [extra]`: (exit code, JSON, stderr).
fn history(uri: &str, name: &str, extra: &[&str]) -> (i32, Value, String) {
    let out = clean()
        .args([
            "history",
            &format!("{name}@champion"),
            "--json",
            "--tracking-uri",
            uri,
        ])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `mlgate rollback NAME --to-alias champion [extra]`: (exit code, stderr).
fn rollback(uri: &str, name: &str, extra: &[&str]) -> (i32, String) {
    let out = clean()
        .args([
            "rollback",
            name,
            "--to-alias",
            "champion",
            "--policy",
            POLICY,
        ])
        .args(["--tracking-uri", uri])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `(from, to, how, verdict)` of every entry, in order.
fn moves(h: &Value) -> Vec<(Option<String>, Option<String>, String, String)> {
    h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().map(str::to_string);
            (s("from"), s("to"), s("how").unwrap(), s("verdict").unwrap())
        })
        .collect()
}

fn m(
    from: Option<&str>,
    to: &str,
    how: &str,
    verdict: &str,
) -> (Option<String>, Option<String>, String, String) {
    (
        from.map(str::to_string),
        Some(to.to_string()),
        how.into(),
        verdict.into(),
    )
}

/// The model's ledger tags, by key.
fn ledger_tags(s: &Server, name: &str) -> Vec<(String, String)> {
    let model = get(s, "registered-models/get", &[("name", name)]);
    let mut out: Vec<(String, String)> = model["registered_model"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let k = t["key"].as_str()?;
            k.starts_with("mlgate.ledger.")
                .then(|| (k.to_string(), t["value"].as_str().unwrap_or("").to_string()))
        })
        .collect();
    out.sort();
    out
}

/// Promotes with a CI identity in the environment.
fn promote_as(s: &Server, name: &str, version: &str) {
    let out = clean()
        .args([
            "promote",
            &format!("models:/{name}/{version}"),
            "--to-alias",
            "champion",
        ])
        .args(["--policy", POLICY, "--quiet", "--tracking-uri", &s.uri])
        .env("GITHUB_ACTOR", "octocat")
        .env("GITHUB_WORKFLOW", "release")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/models")
        .env("GITHUB_RUN_ID", "42")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promote_bypass_and_rollback_are_listed_in_order_with_who_and_when() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "ledger", &["champion", "good", "worse", "good"]);
        promote_as(&s, &name, "1");
        // Entries are timed to the second: --at between the two moves needs a second between.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        promote_as(&s, &name, "4");
        set_alias(&s, &name, "champion", "3");
        // Without a guard the move around the gate is a gap, not a break.
        let (code, h, err) = history(&s.uri, &name, &["--verify"]);
        assert_eq!(code, 0, "{key}: {err}");
        assert_eq!(h["verify"]["holds"], true, "{key}: {h}");
        assert_eq!(h["holder_now"], "3");
        assert_eq!(
            h["unrecorded_moves"],
            json!([{"after": 2, "held": "4", "then": "3"}]),
            "{key}"
        );
        let (code, err) = rollback(&s.uri, &name, &["--previous"]);
        assert_eq!(code, 0, "{key}: {err}");
        assert_eq!(champion(&s, &name).as_deref(), Some("4"), "{key}");
        let (code, h, err) = history(&s.uri, &name, &[]);
        assert_eq!(code, 0, "{key}: {err}");
        assert_eq!(
            moves(&h),
            [
                m(None, "1", "promote", "pass"),
                m(Some("1"), "4", "promote", "pass"),
                m(Some("3"), "4", "rollback", "pass"),
            ],
            "{key}: {h}"
        );
        let seqs: Vec<u64> = h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [1, 2, 3], "{key}");
        let first = &h["entries"][0];
        assert_eq!(first["actor"], "github:octocat (workflow release)", "{key}");
        assert_eq!(
            first["run"],
            "https://github.com/acme/models/actions/runs/42"
        );
        assert!(first["policy"].as_str().unwrap().starts_with("sha256:"));
        assert!(first["snapshot"].as_str().unwrap().starts_with("sha256:"));
        // Between the two promotions, version 1 held @champion, put there by entry 1.
        let first_at = h["entries"][0]["at"].as_str().unwrap().to_string();
        let second = h["entries"][1]["at"].as_str().unwrap().to_string();
        let (code, h, err) = history(&s.uri, &name, &["--at", &first_at]);
        assert_eq!(code, 0, "{key}: {err}");
        assert_eq!(h["at"]["holder"], "1", "{key}: {h}");
        assert_eq!(h["at"]["entry"]["seq"], 1, "{key}");
        let (_, h, _) = history(&s.uri, &name, &["--at", &second]);
        assert_eq!(h["at"]["holder"], "4", "{key}: {h}");
        // Every entry is within the smallest documented tag-value limit.
        for (k, v) in ledger_tags(&s, &name) {
            assert!(v.len() <= 5000, "{key}: {k} is {} bytes", v.len());
        }
    }
}

#[test]
fn the_guard_records_a_move_around_the_gate_as_observed_and_its_revert() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "ledger-guard", &["champion", "worse"]);
        promote_as(&s, &name, "1");
        set_alias(&s, &name, "champion", "2");
        let out = clean()
            .args([
                "guard",
                "--once",
                "--no-config",
                "--policy",
                POLICY,
                "--tracking-uri",
                &s.uri,
            ])
            .args([
                "--protect",
                &format!("{name}@champion"),
                "--on-violation",
                "revert",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (code, h, err) = history(&s.uri, &name, &["--verify"]);
        assert_eq!(code, 0, "{key}: {err}");
        assert_eq!(
            moves(&h),
            [
                m(None, "1", "promote", "pass"),
                m(Some("1"), "2", "observed", "fail"),
                m(Some("2"), "1", "guard-revert", "pass"),
            ],
            "{key}: {h}"
        );
        assert_eq!(h["entries"][1]["actor"], "unknown — not through mlgate");
        assert_eq!(h["unrecorded_moves"], json!([]), "{key}");
    }
}

/// A protected alias deleted around the gate: a violation. `report` says it on every pass and
/// records the removal once as observed; `revert` restores the last compliant holder.
#[test]
fn an_alias_deleted_around_the_gate_is_reported_then_restored() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "ledger-vacant", &["champion", "good"]);
        promote_as(&s, &name, "1");
        call(
            &s,
            "DELETE",
            "registered-models/alias",
            &json!({"name": name, "alias": "champion"}),
        );
        let guard = |mode: &str| {
            let out = clean()
                .args(["guard", "--once", "--no-config", "--policy", POLICY])
                .args(["--tracking-uri", &s.uri, "--on-violation", mode])
                .arg("--protect")
                .arg(format!("{name}@champion"))
                .output()
                .unwrap();
            let decision: Value = String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| serde_json::from_str(l).ok())
                .unwrap_or(Value::Null);
            (out.status.code().unwrap_or(-1), decision)
        };
        for pass in 1..=2 {
            let (code, d) = guard("report");
            assert_eq!(
                (code, d["action"].as_str()),
                (1, Some("reported")),
                "{key} pass {pass}: {d}"
            );
            assert!(
                d["reason"]
                    .as_str()
                    .unwrap()
                    .contains("emptied around the gate"),
                "{key}: {d}"
            );
        }
        assert_eq!(champion(&s, &name), None, "{key}: report moves nothing");
        let (code, d) = guard("revert");
        assert_eq!(
            (code, d["action"].as_str()),
            (1, Some("reverted")),
            "{key}: {d}"
        );
        assert_eq!(
            (d["from"].as_str(), d["to"].as_str()),
            (None, Some("1")),
            "{key}: {d}"
        );
        assert_eq!(champion(&s, &name).as_deref(), Some("1"), "{key}: restored");
        let (code, d) = guard("revert");
        assert_eq!(
            (code, d["action"].as_str()),
            (0, Some("accepted")),
            "{key}: {d}"
        );
        let (code, h, err) = history(&s.uri, &name, &["--verify"]);
        assert_eq!(code, 0, "{key}: {err}");
        let removed = (
            Some("1".to_string()),
            None,
            "observed".to_string(),
            "none".to_string(),
        );
        assert_eq!(
            moves(&h),
            [
                m(None, "1", "promote", "pass"),
                removed,
                m(None, "1", "guard-revert", "pass"),
            ],
            "{key}: {h}"
        );
    }
}

#[test]
fn an_edited_or_deleted_entry_is_named_by_verify() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "ledger-verify", &["champion", "good", "good"]);
        for v in ["1", "2", "3"] {
            promote_as(&s, &name, v);
        }
        let entries = ledger_tags(&s, &name);
        assert_eq!(entries.len(), 3, "{key}: {entries:?}");
        let (k2, v2) = entries[1].clone();
        call(
            &s,
            "POST",
            "registered-models/set-tag",
            &json!({"name": name, "key": k2, "value": v2.replace("\"to\":\"2\"", "\"to\":\"9\"")}),
        );
        let (code, h, err) = history(&s.uri, &name, &["--verify"]);
        assert_eq!(code, 1, "{key}: {err}");
        assert_eq!(h["verify"]["breaks"][0]["seq"], 2, "{key}: {h}");
        assert_eq!(h["verify"]["breaks"][0]["key"], k2.as_str(), "{key}");
        // Put back, then delete the middle entry.
        call(
            &s,
            "POST",
            "registered-models/set-tag",
            &json!({"name": name, "key": k2, "value": v2}),
        );
        assert_eq!(history(&s.uri, &name, &["--verify"]).0, 0, "{key}");
        call(
            &s,
            "DELETE",
            "registered-models/delete-tag",
            &json!({"name": name, "key": k2}),
        );
        let (code, h, _) = history(&s.uri, &name, &["--verify"]);
        assert_eq!(code, 1, "{key}: {h}");
        let what = h["verify"]["breaks"][0]["what"].as_str().unwrap();
        assert!(what.contains("#2 is missing"), "{key}: {what}");
    }
}

#[test]
fn rollback_to_a_failing_version_moves_nothing_unless_drift_is_accepted() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "ledger-drift", &["champion", "worse", "good"]);
        promote_as(&s, &name, "1");
        // Version 2 held @champion once (around the gate), then version 3 was promoted.
        set_alias(&s, &name, "champion", "2");
        promote_as(&s, &name, "3");
        let (code, err) = rollback(&s.uri, &name, &["--to-version", "2"]);
        assert_eq!(code, 1, "{key}: {err}");
        assert_eq!(
            champion(&s, &name).as_deref(),
            Some("3"),
            "{key}: nothing moved"
        );
        let (code, err) = rollback(
            &s.uri,
            &name,
            &[
                "--to-version",
                "2",
                "--accept-policy-drift",
                "hotfix #12: v3 breaks billing",
            ],
        );
        assert_eq!(code, 0, "{key}: {err}");
        assert_eq!(champion(&s, &name).as_deref(), Some("2"), "{key}");
        assert_eq!(tags(&s, &name, "2")["mlgate.verdict"], "fail", "{key}");
        let (_, h, _) = history(&s.uri, &name, &[]);
        let last = h["entries"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["how"].as_str(), last["verdict"].as_str()),
            (Some("rollback"), Some("fail")),
            "{key}"
        );
        assert_eq!(
            last["reason"],
            "policy drift accepted: hotfix #12: v3 breaks billing"
        );
        // The alias moves between rollback's read and promote's: exit 4, nothing moved.
        let proxy = Proxy::start(
            &s.uri,
            Some(crate::race_proxy::Interlude {
                // Rollback's read of the holder, then promote's first: the move lands
                // between them.
                fragment: "registered-models/alias?".into(),
                nth: 2,
                method: "POST",
                path: "/api/2.0/mlflow/registered-models/alias".into(),
                body: json!({"name": name, "alias": "champion", "version": "1"}).to_string(),
            }),
        );
        let (code, err) = rollback(&proxy.uri, &name, &["--to-version", "3"]);
        assert_eq!(code, 4, "{key}: {err}");
        assert_eq!(
            champion(&s, &name).as_deref(),
            Some("1"),
            "{key}: the other client's move stands"
        );
    }
}

#[test]
fn two_writers_colliding_leave_consecutive_entries_and_lose_none() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "ledger-race", &["champion", "good", "good"]);
        promote_as(&s, &name, "1");
        // The proxy holds the first ledger write until the second arrives: both writers
        // numbered their entry from the same ledger.
        let proxy = Proxy::holding(&s.uri, "registered-models/set-tag", "mlgate.ledger.");
        let uri = proxy.uri.clone();
        let first_name = name.clone();
        let first = std::thread::spawn(move || {
            promote(
                &uri,
                &format!("models:/{first_name}/2"),
                &["--to-alias", "champion"],
            )
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while proxy.matched() < 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(
            proxy.matched(),
            1,
            "{key}: the first promotion reached its ledger write"
        );
        let (code, _, err) = promote(
            &proxy.uri,
            &format!("models:/{name}/3"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 0, "{key}: {err}");
        let (code, _, err) = first.join().unwrap();
        assert_eq!(code, 0, "{key}: {err}");
        let (code, h, err) = history(&s.uri, &name, &["--verify"]);
        assert_eq!(code, 0, "{key}: {err} {h}");
        let seqs: Vec<u64> = h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [1, 2, 3], "{key}: {h}");
        assert_eq!(
            moves(&h),
            [
                m(None, "1", "promote", "pass"),
                m(Some("1"), "2", "promote", "pass"),
                m(Some("2"), "3", "promote", "pass"),
            ],
            "{key}: {h}"
        );
        assert_eq!(
            ledger_tags(&s, &name).len(),
            3,
            "{key}: the displaced copy was deleted"
        );
    }
}
