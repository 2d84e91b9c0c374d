use serde_json::json;

use super::*;
use crate::snapshot::{GatherError, Incumbent, Run, Unavailable};

fn metrics(pairs: &[(&str, Value)]) -> IndexMap<String, Metric> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                (*k).to_string(),
                Metric {
                    value: v.clone(),
                    timestamp: None,
                    step: None,
                    extra: Map::new(),
                },
            )
        })
        .collect()
}

fn params(pairs: &[(&str, &str)]) -> StringMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn signature(value: &Value) -> Signature {
    Signature::read(Some(value))
}

fn snapshot() -> Snapshot {
    let mut s: Snapshot = serde_json::from_value(json!({
        "schema_version": 1,
        "manifest": { "gathered_by": "test", "gathered_at": "2024-01-01T00:00:00Z" },
        "target": { "reference": "models:/churn/5", "kind": "version", "name": "churn", "version": "5" },
        "mlflow_model": { "signature": { "inputs": [{ "name": "age", "type": "long" }] } }
    }))
    .unwrap();
    s.run = Some(Run {
        metrics: metrics(&[("auc", json!(0.9))]),
        ..Run::default()
    });
    s
}

#[test]
fn shared_metrics_have_signed_differences() {
    let diff = diff_metrics(
        &metrics(&[
            ("accuracy", json!(0.8125)),
            ("loss", json!(1200)),
            ("latency_ms", json!(41)),
            ("f1", json!("NaN")),
        ]),
        &metrics(&[
            ("f1", json!(0.61)),
            ("loss", json!(1250)),
            ("accuracy", json!(0.79)),
            ("old", json!(1)),
        ]),
    );
    let names: Vec<&str> = diff.shared.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["accuracy", "loss", "f1"], "the candidate's order");
    assert_eq!(diff.only_candidate[0].0, "latency_ms");
    assert_eq!(diff.only_incumbent[0].0, "old");
    let text = |i: usize| diff.shared[i].difference().map(|d| d.text());
    assert_eq!(text(0).as_deref(), Some("+0.0225 (+2.8%)"));
    assert_eq!(text(1).as_deref(), Some("\u{2212}50 (\u{2212}4.0%)"));
    // NaN is shown as recorded, with no difference.
    assert_eq!(diff.shared[2].candidate.text, "NaN");
    assert_eq!(text(2), None);
}

#[test]
fn differences_keep_their_sign_at_every_scale() {
    let d = |c: f64, i: f64| {
        SharedMetric {
            name: "m".into(),
            candidate: MetricValue {
                text: String::new(),
                number: Some(c),
            },
            incumbent: MetricValue {
                text: String::new(),
                number: Some(i),
            },
        }
        .difference()
        .unwrap()
        .text()
    };
    assert_eq!(d(0.5, 0.5), "±0");
    assert_eq!(d(1.0, 0.0), "+1.000", "no relative change from zero");
    assert_eq!(d(0.012, 0.0), "+0.01200");
    assert_eq!(d(2.0, 2.05), "\u{2212}0.050 (\u{2212}2.4%)");
    assert_eq!(d(-1.0, -2.0), "+1.000 (+50.0%)");
    // Too small for four significant digits of the values: still not shown as zero.
    assert_eq!(d(1.001, 1.0), "+0.001 (+0.100%)");
    assert_eq!(d(1_000.000_001, 1_000.0), "+1.00e-6 (+1.00e-7%)");
}

#[test]
fn metric_values_as_recorded() {
    let m = metrics(&[
        ("a", json!("Infinity")),
        ("b", json!("0.5")),
        ("c", json!(null)),
    ]);
    let v: Vec<MetricValue> = m.values().map(MetricValue::of).collect();
    assert_eq!((v[0].text.as_str(), v[0].number), ("Infinity", None));
    assert_eq!(v[1].number, Some(0.5));
    assert_eq!((v[2].text.as_str(), v[2].number), ("null", None));
}

#[test]
fn params_changed_one_sided_and_redacted() {
    let marker = "[redacted: looks like a secret (key name \"db_password\")]";
    let diff = diff_params(
        &params(&[
            ("C", "0.5"),
            ("solver", "lbfgs"),
            ("db_password", marker),
            ("new", "1"),
        ]),
        &params(&[
            ("gone", "x"),
            ("db_password", marker),
            ("solver", "lbfgs"),
            ("C", "1.0"),
        ]),
    );
    assert_eq!(diff.changed, [("C".into(), "0.5".into(), "1.0".into())]);
    assert_eq!(diff.only_candidate, [("new".into(), "1".into())]);
    assert_eq!(diff.only_incumbent, [("gone".into(), "x".into())]);
    assert_eq!(diff.unchanged, 1);
    assert_eq!(diff.redacted, ["db_password"]);
    assert!(!diff.is_same());
    let same = diff_params(&params(&[("a", "1")]), &params(&[("a", "1")]));
    assert!(same.is_same() && same.unchanged == 1);
}

#[test]
fn named_columns_match_by_name() {
    let diff = diff_signatures(
        signature(&json!({
            "inputs": [
                { "name": "income", "type": "long", "required": true },
                { "name": "age", "type": "long" },
                { "name": "region", "type": "string", "required": false },
                { "name": "segment", "type": "string" },
                { "name": "tenure", "type": "double", "required": true }
            ],
            "outputs": [{ "type": "tensor", "tensor-spec": { "dtype": "float32", "shape": [-1] } }]
        })),
        signature(&json!({
            "inputs": [
                { "name": "age", "type": "long", "required": true },
                { "name": "income", "type": "double", "required": true },
                { "name": "debt_ratio", "type": "double" },
                { "name": "tenure", "type": "double", "required": false }
            ],
            "outputs": [{ "type": "tensor", "tensor-spec": { "dtype": "int64", "shape": [-1] } }]
        })),
    );
    let got: Vec<(String, String, Option<String>, Option<String>)> = diff
        .changes
        .iter()
        .map(|c| {
            (
                format!("{} {}", c.part, c.column),
                c.kind.to_string(),
                c.candidate.clone(),
                c.incumbent.clone(),
            )
        })
        .collect();
    let s = |t: &str| Some(t.to_string());
    assert_eq!(
        got,
        [
            (
                "input income".into(),
                "retyped".into(),
                s("long"),
                s("double")
            ),
            (
                "input debt_ratio".into(),
                "removed".into(),
                None,
                s("double")
            ),
            (
                "input tenure".into(),
                "now required".into(),
                s("double"),
                s("double")
            ),
            (
                "input region".into(),
                "added (optional)".into(),
                s("string"),
                None
            ),
            (
                "input segment".into(),
                "added (required)".into(),
                s("string"),
                None
            ),
            (
                "output #1".into(),
                "retyped".into(),
                s("tensor float32 [-1]"),
                s("tensor int64 [-1]")
            ),
        ]
    );
    assert!(!diff.identical());
}

#[test]
fn unnamed_specs_match_by_position_and_identical_signatures_say_so() {
    let one = json!({ "inputs": [{ "type": "string" }], "outputs": [{ "type": "string" }] });
    let two = json!({ "inputs": [{ "type": "string" }, { "type": "long" }], "outputs": [] });
    let diff = diff_signatures(signature(&two), signature(&one));
    let kinds: Vec<String> = diff
        .changes
        .iter()
        .map(|c| format!("{} {} {}", c.part, c.column, c.kind))
        .collect();
    assert_eq!(kinds, ["input #2 added (required)", "output #1 removed"]);
    let same = diff_signatures(signature(&one), signature(&one));
    assert!(same.identical());
    assert_eq!(same.candidate.counts().unwrap(), "1 input and 1 output");
    // Nested types compare in full, key order aside.
    let a = json!({ "inputs": [{ "name": "x", "type": "array", "items": { "type": "long" } }] });
    let b = json!({ "inputs": [{ "items": { "type": "long" }, "type": "array", "name": "x" }] });
    assert!(diff_signatures(signature(&a), signature(&b)).identical());
}

#[test]
fn missing_and_unreadable_signatures() {
    assert_eq!(Signature::read(None), Signature::Missing);
    assert_eq!(Signature::read(Some(&Value::Null)), Signature::Missing);
    assert!(matches!(
        signature(&json!({ "inputs": "[{not json" })),
        Signature::Unreadable(why) if why.contains("signature.inputs")
    ));
    let diff = diff_signatures(Signature::Missing, signature(&json!({ "inputs": [] })));
    assert!(diff.changes.is_empty() && !diff.identical());
}

#[test]
fn no_incumbent_no_comparison() {
    assert_eq!(compare(&snapshot()), None);
}

#[test]
fn a_vacant_target_is_the_first_promotion() {
    let mut s = snapshot();
    Incumbent::attach_vacant(&mut s, "@champion");
    let c = compare(&s).unwrap();
    assert_eq!(c.state, State::Vacant);
    assert_eq!(
        c.headline(),
        "no version holds @champion: models:/churn/5 is the first promotion"
    );
}

#[test]
fn an_incumbent_that_could_not_be_gathered_is_not_compared() {
    let mut s = snapshot();
    s.incumbent = Some(Box::new(Incumbent {
        holds: "@champion".into(),
        version: Some("3".into()),
        ..Incumbent::default()
    }));
    s.errors.push(GatherError {
        section: "incumbent.run".into(),
        call: "GET /api/2.0/mlflow/runs/get".into(),
        http_status: Some(503),
        error_code: None,
        message: "unavailable".into(),
        ..GatherError::default()
    });
    s.errors.push(GatherError {
        section: "incumbentish".into(),
        ..GatherError::default()
    });
    let Some(Comparison {
        state: State::NotGathered { version, errors },
        ..
    }) = compare(&s)
    else {
        panic!("not gathered");
    };
    assert_eq!(version.as_deref(), Some("3"));
    assert_eq!(
        errors,
        [(
            "incumbent.run".to_string(),
            "GET /api/2.0/mlflow/runs/get failed (HTTP 503: unavailable)".to_string()
        )]
    );
}

#[test]
fn a_missing_part_says_why_and_the_rest_is_compared() {
    let mut s = snapshot();
    s.incumbent = Some(Box::new(Incumbent {
        holds: "Production".into(),
        version: Some("3".into()),
        mlflow_model: s.mlflow_model.clone(),
        ..Incumbent::default()
    }));
    s.unavailable.push(Unavailable {
        section: "incumbent.run".into(),
        reason: "the run was deleted".into(),
    });
    let comparison = compare(&s).unwrap();
    assert_eq!(
        comparison.headline(),
        "models:/churn/5 vs version 3 (holds Production): metrics not compared, params not compared, signatures identical"
    );
    let State::Compared(c) = comparison.state else {
        panic!("compared");
    };
    assert_eq!(
        c.metrics,
        Err("the incumbent's run is not available: the run was deleted".into())
    );
    assert!(c.params.is_err());
    assert!(c.signature.unwrap().identical());
}
