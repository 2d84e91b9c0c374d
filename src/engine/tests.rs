//! How the engine judges a value that is not there: absent from a section that was gathered
//! (positive checks fail, saying what is missing), or in a section that was not gathered
//! (error), failed (error) or is unavailable (skipped).

use serde_json::{json, Value};

use super::*;
use crate::snapshot::{GatherError, Unavailable};

fn rule(select: &str, check: Check, message: Option<&str>) -> Rule {
    Rule {
        id: "reviewed".into(),
        title: "The version names its reviewer".into(),
        severity: Severity::Error,
        description: String::new(),
        remediation: None,
        select: Selector::parse(select).unwrap(),
        check: CheckSet(vec![check]),
        message: message.map(str::to_string),
        scope: Scope::default(),
        source: "t.toml".into(),
        line: 1,
    }
}

fn reviewer() -> Check {
    Check::Matches(regex::Regex::new("^[a-z]+@example\\.com$").unwrap())
}

/// A snapshot with `model_version` (or without) and `permissions` as given.
fn snapshot(model_version: Option<Value>, permissions: &Value) -> Snapshot {
    let mut doc = json!({
        "schema_version": 1,
        "manifest": {"gathered_by": "test", "gathered_at": "2026-01-01T00:00:00Z"},
        "target": {"reference": "models:/m/3", "kind": "version", "name": "m", "version": "3"},
        "permissions": permissions,
    });
    if let Some(mv) = model_version {
        doc["model_version"] = mv;
    }
    serde_json::from_value(doc).unwrap()
}

/// A snapshot whose `model_version` has `tags`.
fn versioned(tags: &Value, permissions: &Value) -> Snapshot {
    snapshot(
        Some(json!({"name": "m", "version": "3", "tags": tags})),
        permissions,
    )
}

fn judge(snapshot: &Snapshot, rule: Rule) -> Finding {
    evaluate(snapshot, &[rule], &[], 0).findings.remove(0)
}

const TAG: &str = r#"model_version.tags["reviewed_by"]"#;

#[test]
fn a_tag_absent_from_a_gathered_version_fails_saying_what_is_missing() {
    let s = versioned(&json!({"team": "risk"}), &json!({}));
    let f = judge(&s, rule(TAG, reviewer(), None));
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(f.detail, "model_version has no tag `reviewed_by`");
    assert_eq!(
        f.message,
        "The version names its reviewer: model_version has no tag `reviewed_by`"
    );
    // Present and right: a pass; present and wrong: a failure about the value.
    let s = versioned(&json!({"reviewed_by": "ana@example.com"}), &json!({}));
    assert_eq!(
        judge(&s, rule(TAG, reviewer(), None)).outcome,
        Outcome::Pass
    );
    let s = versioned(&json!({"reviewed_by": "ana"}), &json!({}));
    let f = judge(&s, rule(TAG, reviewer(), None));
    assert_eq!(f.outcome, Outcome::Fail);
    assert!(
        f.detail.starts_with("\"ana\" does not match"),
        "{}",
        f.detail
    );
}

#[test]
fn presence_and_negative_checks_hold_on_an_absent_tag() {
    let s = versioned(&json!({}), &json!({}));
    for check in [
        Check::Exists(false),
        Check::Absent(true),
        Check::NotMatches(regex::Regex::new("bot").unwrap()),
        Check::NoneOf(vec![json!("nobody")]),
    ] {
        let described = check.describe();
        assert_eq!(
            judge(&s, rule(TAG, check, None)).outcome,
            Outcome::Pass,
            "{described}"
        );
    }
    let f = judge(&s, rule(TAG, Check::Exists(true), None));
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(f.detail, "model_version has no tag `reviewed_by`");
}

#[test]
fn a_section_not_gathered_is_an_error_a_failed_one_too_an_unavailable_one_skipped() {
    // Not gathered, nothing recorded: an error, whatever the check (even `exists = false`).
    let s = snapshot(None, &json!({}));
    for check in [reviewer(), Check::Exists(false)] {
        let f = judge(&s, rule(TAG, check, None));
        assert_eq!(f.outcome, Outcome::Error);
        assert_eq!(
            f.message,
            "could not evaluate: section `model_version` was not gathered"
        );
    }
    // The call failed.
    let mut failed = snapshot(None, &json!({}));
    failed.errors.push(GatherError {
        section: "model_version".into(),
        call: "GET /api/2.0/mlflow/model-versions/get".into(),
        http_status: Some(503),
        error_code: None,
        message: "upstream unavailable".into(),
        ..GatherError::default()
    });
    let f = judge(&failed, rule(TAG, reviewer(), None));
    assert_eq!(f.outcome, Outcome::Error);
    assert!(
        f.message.contains("model-versions/get failed (HTTP 503"),
        "{}",
        f.message
    );
    // The backend has no such section.
    let mut unavailable = snapshot(None, &json!({}));
    unavailable.unavailable.push(Unavailable {
        section: "model_version".into(),
        reason: "the reference is not a registered model version".into(),
    });
    assert_eq!(
        judge(&unavailable, rule(TAG, reviewer(), None)).outcome,
        Outcome::Skipped
    );
}

#[test]
fn permissions_and_their_entries_are_sections_not_facts() {
    let none_users = || {
        Check::None(Conditions {
            on_element: CheckSet::default(),
            fields: vec![FieldCondition {
                field: Selector::parse("principal").unwrap(),
                checks: CheckSet(vec![Check::Equals(json!("users"))]),
            }],
        })
    };
    let entries = "permissions.experiment.entries[*]";
    // `permissions` is always in the snapshot; an object's ACL that is not is not "empty".
    let s = versioned(&json!({}), &json!({}));
    let f = judge(&s, rule(entries, none_users(), None));
    assert_eq!(f.outcome, Outcome::Error);
    assert_eq!(
        f.message,
        "could not evaluate: section `permissions.experiment` was not gathered"
    );
    // An ACL without its normalised entries was not read either.
    let s = versioned(
        &json!({}),
        &json!({"experiment": {"object_id": "experiment:1"}}),
    );
    let f = judge(&s, rule(entries, none_users(), None));
    assert_eq!(f.outcome, Outcome::Error, "{}", f.message);
    // Read, with nobody matching: a pass.
    let s = versioned(
        &json!({}),
        &json!({"experiment": {"entries": [{"principal": "ana", "principal_type": "user", "level": "CAN_READ", "inherited": false}]}}),
    );
    assert_eq!(
        judge(&s, rule(entries, none_users(), None)).outcome,
        Outcome::Pass
    );
}

#[test]
fn a_value_of_the_wrong_kind_on_the_way_is_an_error_not_an_absence() {
    let s = snapshot(
        Some(json!({"name": "m", "version": "3", "description": "text"})),
        &json!({}),
    );
    let f = judge(
        &s,
        rule(
            "model_version.description.author",
            Check::Exists(false),
            None,
        ),
    );
    assert_eq!(f.outcome, Outcome::Error);
    assert_eq!(
        f.message,
        "could not evaluate: model_version.description is text, so it has no `author`"
    );
}

#[test]
fn quantifiers_judge_absent_fields_the_same_way() {
    let s = versioned(
        &json!({}),
        &json!({"registered_model": {"entries": [
            {"principal": "ana", "principal_type": "user", "level": "CAN_MANAGE", "inherited": false}
        ]}}),
    );
    // `display_name` is absent from the entry: it meets no positive condition.
    let named = |check: Check| {
        Check::Any(Conditions {
            on_element: CheckSet::default(),
            fields: vec![FieldCondition {
                field: Selector::parse("display_name").unwrap(),
                checks: CheckSet(vec![check]),
            }],
        })
    };
    let select = "permissions.registered_model.entries";
    let f = judge(&s, rule(select, named(Check::NonEmpty(true)), None));
    assert_eq!(f.outcome, Outcome::Fail);
    let f = judge(&s, rule(select, named(Check::NotEquals(json!("x"))), None));
    assert_eq!(f.outcome, Outcome::Pass);
    // Over `[*]`, each element's absent field is judged like a rule's own absent value.
    let f = judge(
        &s,
        rule(
            "permissions.registered_model.entries[*].display_name",
            Check::Matches(regex::Regex::new(".").unwrap()),
            None,
        ),
    );
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(
        f.detail,
        "permissions.registered_model.entries[0] has no `display_name`"
    );
}

#[test]
fn a_template_showing_the_value_gives_way_to_what_is_missing() {
    let s = versioned(&json!({}), &json!({}));
    let shows = rule(
        TAG,
        reviewer(),
        Some("reviewer {value} is not a company address"),
    );
    let f = judge(&s, shows);
    assert_eq!(
        f.message,
        "The version names its reviewer: model_version has no tag `reviewed_by`"
    );
    let says = rule(
        TAG,
        reviewer(),
        Some("version {model_version.version} names no company reviewer"),
    );
    assert_eq!(
        judge(&s, says).message,
        "version 3 names no company reviewer"
    );
}

/// Reporters show an error's message as it is ("could not evaluate: …"); one that adds its own
/// "could not be evaluated" must not repeat it. Every way to an error starts the same.
#[test]
fn every_error_message_says_could_not_evaluate_once() {
    let mut failed = snapshot(None, &json!({}));
    failed.errors.push(GatherError {
        section: "model_version".into(),
        call: "GET /x".into(),
        message: "boom".into(),
        ..GatherError::default()
    });
    let typed = snapshot(
        Some(json!({"name": "m", "version": "3", "description": "text"})),
        &json!({}),
    );
    let cases = [
        (snapshot(None, &json!({})), rule(TAG, reviewer(), None)),
        (failed, rule(TAG, reviewer(), None)),
        (
            typed.clone(),
            rule("model_version.description.x", reviewer(), None),
        ),
        (
            typed,
            rule("model_version.description", Check::Min(1.0), None),
        ),
    ];
    for (s, r) in cases {
        let f = judge(&s, r);
        assert_eq!(f.outcome, Outcome::Error, "{}", f.message);
        assert!(
            f.message.starts_with("could not evaluate: "),
            "{}",
            f.message
        );
        assert_eq!(
            f.message.matches("could not evaluate").count(),
            1,
            "{}",
            f.message
        );
    }
}

/// A rule kept from its facts by a failed call names that call, so outputs can say the
/// outage once; a rule that could not be evaluated on facts that were gathered names none.
#[test]
fn a_rule_blocked_by_a_failed_call_names_the_call() {
    let failed = |section: &str| GatherError {
        section: section.into(),
        call: "GET /x".into(),
        http_status: Some(503),
        error_code: None,
        message: "down".into(),
        ..GatherError::default()
    };
    let mut s = versioned(&json!({}), &json!({}));
    s.errors = vec![failed("run"), failed("permissions.experiment")];
    let entries = rule(
        "permissions.experiment.entries[*]",
        Check::NonEmpty(true),
        None,
    );
    let f = judge(&s, entries.clone());
    assert_eq!(
        (f.outcome, f.blocked_by, f.blocker()),
        (Outcome::Error, Some(1), Some(1))
    );
    let f = judge(&s, rule("run.params", Check::NonEmpty(true), None));
    assert_eq!(f.blocker(), Some(0));
    // Gathered but of the wrong kind: an error of its own.
    let mut typed = snapshot(
        Some(json!({"name": "m", "version": "3", "description": "text"})),
        &json!({}),
    );
    typed.errors = vec![failed("run")];
    let f = judge(
        &typed,
        rule(
            "model_version.description.author",
            Check::Exists(false),
            None,
        ),
    );
    assert_eq!((f.outcome, f.blocker()), (Outcome::Error, None));
    // Nothing gathered at all: every rule is blocked by the one failure.
    let mut nothing = snapshot(None, &json!({}));
    nothing.errors = vec![failed(crate::snapshot::NOTHING_GATHERED)];
    let f = judge(&nothing, rule(TAG, reviewer(), None));
    assert_eq!((f.outcome, f.blocker()), (Outcome::Error, Some(0)));
    let f = judge(&nothing, entries);
    assert_eq!((f.outcome, f.blocker()), (Outcome::Error, Some(0)));
}
