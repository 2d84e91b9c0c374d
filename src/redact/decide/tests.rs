use serde_json::json;

use super::*;

#[test]
fn secrets_are_decided_on_values_and_applied_anywhere_in_the_document() {
    let doc = json!({
        "params": { "db_password": "hunter22-X9q", "lr": "0.1", "empty_token": "" },
        "tags": [{ "key": "api_key", "value": "k-123456-zz" }],
        "note": "connect with hunter22-X9q please",
    });
    let masks = decide(&doc);
    let shown = masks.apply(&doc);
    assert_eq!(
        shown["params"]["db_password"],
        "[redacted: looks like a secret (key name \"db_password\")]"
    );
    assert_eq!(shown["params"]["lr"], "0.1");
    // Nothing empty is redacted: `non_empty` judges the same on replay.
    assert_eq!(shown["params"]["empty_token"], "");
    assert!(shown["tags"][0]["value"]
        .as_str()
        .unwrap()
        .contains("api_key"));
    assert!(!shown.to_string().contains("hunter22"), "{shown}");
    // A value is shown through the decision wherever it is quoted from.
    let leaf = &doc["params"]["db_password"];
    assert!(masks
        .apply(leaf)
        .as_str()
        .unwrap()
        .starts_with(MARKER_START));
    assert!(!masks
        .text("param db_password is hunter22-X9q")
        .contains("hunter22"));
    let pointers: Vec<&str> = masks
        .redacted()
        .iter()
        .map(|r| r.pointer.as_str())
        .collect();
    assert_eq!(pointers, ["/params/db_password", "/tags/0/value", "/note"]);
    assert!(Masks::none().apply(&doc) == doc);
}

#[test]
fn a_short_or_numeric_secret_is_redacted_where_it_stands_only() {
    let doc = json!({
        "params": { "token_limit_pw": "0.85", "auc": "0.85" },
        "note": "auc is 0.85",
    });
    let masks = decide(&doc);
    let shown = masks.apply(&doc);
    assert_eq!(shown["params"]["auc"], "0.85");
    assert_eq!(shown["note"], "auc is 0.85");
    assert_eq!(masks.text("auc is 0.85"), "auc is 0.85");
}

#[test]
fn a_json_string_is_decided_as_json() {
    let doc =
        json!({ "params": { "config": r#"{"user": "app", "password": "s3cr3t!", "n": 3}"# } });
    let shown = decide(&doc).apply(&doc);
    let config = shown["params"]["config"].as_str().unwrap();
    assert!(!config.contains("s3cr3t"), "{config}");
    assert!(
        config.contains("\"user\":\"app\"") && config.contains("key name"),
        "{config}"
    );
}

const MARKER_START: &str = super::super::shapes::MARKER;

/// A ledger entry's own form is not searched (a thousand on a busy target), its free text is;
/// an entry that is not in mlgate's exact form is searched whole.
#[test]
fn ledger_entries_are_searched_in_their_free_text_or_whole() {
    use crate::ledger::{Draft, Entry, How};
    let entry = |reason: &str| {
        let draft = Draft {
            at: "2026-12-05T09:00:00.123Z".into(),
            target: "@champion".into(),
            from: Some("1".into()),
            to: Some("2".into()),
            how: How::Rollback,
            verdict: "fail".into(),
            policy: Some(format!("sha256:{}", "a".repeat(64))),
            snapshot: None,
            actor: "github:octocat".into(),
            run: None,
            reason: Some(reason.into()),
        };
        Entry::new(&draft, 2, &"f".repeat(64), "0123456789ab").encode()
    };
    let key = "mlgate.ledger.alias.champion.00000002.0123456789ab";
    let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    let clean = json!({ "tags": { key: entry("hotfix 12") } });
    assert!(decide(&clean).is_empty());
    let leaked = json!({ "tags": { key: entry(&format!("used {token}")) } });
    let masks = decide(&leaked);
    assert!(!masks.apply(&leaked).to_string().contains(token));
    // A hand-made value under a ledger key: the general path.
    let forged = json!({ "tags": { key: format!("{{\"note\": \"{token}\"}}") } });
    let masks = decide(&forged);
    assert!(!masks.apply(&forged).to_string().contains(token));
}
