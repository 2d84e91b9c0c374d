//! Compiling the checks that compare the selection with another value of the snapshot:
//! `not_worse_than = { select, better, by_more_than | by_more_than_ratio }` and
//! `signature_compatible_with = "selector"`.
//!
//! The other value is named by a selector, validated against the snapshot schema like a
//! rule's own (a typo is a load error pointing into the string, not a rule that errors on
//! every run), and it must name one value: comparing with `[*]` has no single answer.

use toml::de::DeValue;
use toml::Spanned;

use super::raw::{Problems, Sp};
use super::selectors::{inner_span, selector};
use super::values::number;
use crate::engine::check::{Better, Comparison, Tolerance};
use crate::engine::{Check, Selector};
use crate::error_code::Code;
use crate::suggest;

const NOT_WORSE_THAN_KEYS: [&str; 4] = ["select", "better", "by_more_than", "by_more_than_ratio"];
const DIRECTIONS: [&str; 2] = ["higher", "lower"];
const EXAMPLE: &str = "e.g. `not_worse_than = { select = \"incumbent.run.metrics.auc\", better = \"higher\", by_more_than = 0.005 }`";

/// `not_worse_than = { ... }`; `None` when it has problems (already recorded).
pub(super) fn not_worse_than(v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<Check> {
    let DeValue::Table(table) = v.get_ref() else {
        problems.wrong_type(v, "not_worse_than", &format!("a table, {EXAMPLE}"));
        return None;
    };
    let before = problems.list.len();
    let mut reference = None;
    let mut better = None;
    // (key span, tolerance) of each tolerance written, to report a second one.
    let mut tolerances = Vec::new();
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        match name {
            "select" => reference = Some(reference_selector(name, value, problems)),
            "better" => better = Some(direction(value, problems)),
            "by_more_than" | "by_more_than_ratio" => {
                match number(value.get_ref()).filter(|n| *n >= 0.0) {
                    Some(n) if name == "by_more_than" => {
                        tolerances.push((key.span(), Tolerance::Absolute(n)));
                    }
                    Some(n) => tolerances.push((key.span(), Tolerance::Ratio(n))),
                    None => problems.wrong_type(value, name, "a number, 0 or more"),
                }
            }
            _ => problems.unknown_key(
                Code::PolicyUnknownKey,
                key,
                &NOT_WORSE_THAN_KEYS,
                "`not_worse_than`",
            ),
        }
    }
    if let [(first, _), (second, _), ..] = tolerances.as_slice() {
        problems.push(
            Code::PolicyConflictingTolerance,
            second.clone(),
            "second tolerance",
            "`not_worse_than` takes `by_more_than` or `by_more_than_ratio`, not both",
            Some("`by_more_than` is an absolute difference in the value's units (0.005); `by_more_than_ratio` a fraction of the other value's magnitude (0.01 is 1%): keep one".into()),
        );
        if let Some(p) = problems.list.last_mut() {
            p.labels.push((first.clone(), "first tolerance".into()));
        }
    }
    for (key, given) in [
        ("select", reference.is_some()),
        ("better", better.is_some()),
    ] {
        if !given {
            problems.push(
                Code::PolicyMissingKey,
                v.span(),
                "in this check",
                format!("`not_worse_than` is missing `{key}`"),
                Some(format!(
                    "`select` names the value to compare with, `better` whether \"higher\" or \"lower\" values are better; {EXAMPLE}"
                )),
            );
        }
    }
    if problems.list.len() > before {
        return None;
    }
    Some(Check::NotWorseThan(Comparison {
        reference: reference??,
        better: better??,
        tolerance: tolerances.first().map_or(Tolerance::Zero, |(_, t)| *t),
    }))
}

/// `signature_compatible_with = "selector"`; `None` when it has problems (already recorded).
pub(super) fn signature_compatible_with(
    v: &Spanned<DeValue<'_>>,
    problems: &mut Problems,
) -> Option<Check> {
    reference_selector("signature_compatible_with", v, problems).map(Check::SignatureCompatibleWith)
}

/// A selector naming the one value a check compares with.
fn reference_selector(
    key: &str,
    v: &Spanned<DeValue<'_>>,
    problems: &mut Problems,
) -> Option<Selector> {
    let DeValue::String(text) = v.get_ref() else {
        problems.wrong_type(
            v,
            key,
            "a string holding a selector, e.g. \"incumbent.mlflow_model.signature\"",
        );
        return None;
    };
    let spanned = Sp {
        value: text.to_string(),
        span: v.span(),
    };
    let (parsed, _) = selector(&spanned, problems)?;
    if let Some(at) = parsed.fans_out().then(|| text.find("[*]")).flatten() {
        problems.push(
            Code::PolicyBadSelector,
            inner_span(&spanned, at, 3),
            "selects many",
            format!("`{key}` must name one value to compare with, but `{text}` selects many"),
            Some("name one value, e.g. `incumbent.run.metrics.auc` or `incumbent.mlflow_model.signature`".into()),
        );
        return None;
    }
    Some(parsed)
}

fn direction(v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<Better> {
    let DeValue::String(text) = v.get_ref() else {
        problems.wrong_type(v, "better", "\"higher\" or \"lower\"");
        return None;
    };
    match text.as_ref() {
        "higher" => return Some(Better::Higher),
        "lower" => return Some(Better::Lower),
        _ => {}
    }
    let help = suggest::closest(text, DIRECTIONS).map_or_else(
        || {
            "`higher` for scores such as accuracy or AUC, `lower` for losses and error rates"
                .to_string()
        },
        |s| format!("did you mean `{s}`?"),
    );
    problems.push(
        Code::PolicyBadDirection,
        v.span(),
        "not a direction",
        format!("`better` must be \"higher\" or \"lower\", not {text:?}"),
        Some(help),
    );
    None
}

#[cfg(test)]
mod tests {
    use crate::engine::check::{Better, Tolerance};
    use crate::engine::Check;
    use crate::policy::{load, PolicyErrors, PolicyText};

    fn policy(select: &str, check: &str) -> Vec<PolicyText> {
        vec![PolicyText {
            name: "t.toml".into(),
            text: format!(
                "[[rule]]\nid = \"r\"\ntitle = \"t\"\nseverity = \"error\"\ndescription = \"d\"\nselect = '{select}'\ncheck = {check}\n"
            ),
        }]
    }

    fn codes(e: &PolicyErrors) -> Vec<&str> {
        e.problems.iter().map(|p| p.code.as_str()).collect()
    }

    #[test]
    fn a_comparison_compiles_with_either_tolerance_or_none() {
        for (table, expected) in [
            ("by_more_than = 0.005", Tolerance::Absolute(0.005)),
            ("by_more_than_ratio = 0.01", Tolerance::Ratio(0.01)),
            ("by_more_than = 0", Tolerance::Absolute(0.0)),
            ("select = \"incumbent.run.metrics.auc\"", Tolerance::Zero),
        ] {
            let check = format!("{{ not_worse_than = {{ select = \"incumbent.run.metrics.auc\", better = \"lower\", {table} }} }}")
                .replace(", select = \"incumbent.run.metrics.auc\" }", " }");
            let p = load(&policy("run.metrics.auc", &check)).unwrap();
            let Check::NotWorseThan(c) = &p.rules[0].check.0[0] else {
                panic!("{:?}", p.rules[0].check)
            };
            assert_eq!(c.tolerance, expected, "{check}");
            assert_eq!(c.better, Better::Lower);
            assert_eq!(c.reference.as_str(), "incumbent.run.metrics.auc");
        }
    }

    #[test]
    fn every_problem_of_a_comparison_is_reported() {
        for (check, expected) in [
            (
                "{ not_worse_than = { select = \"incumbent.run.metrics.auc\", better = \"higher\", by_more_than = 0.005, by_more_than_ratio = 0.01 } }",
                vec!["policy::conflicting-tolerance"],
            ),
            (
                "{ not_worse_than = { select = \"incumbent.run.metrics.auc\", better = \"up\" } }",
                vec!["policy::bad-direction"],
            ),
            (
                "{ not_worse_than = { select = \"incumbent.run.metrcs.auc\", better = \"higher\" } }",
                vec!["policy::selector-never-matches"],
            ),
            (
                "{ not_worse_than = { select = \"incumbent.run.metrics[*]\", better = \"higher\" } }",
                vec!["policy::bad-selector"],
            ),
            (
                "{ not_worse_than = { by_more_than = -1, tolerance = 1 } }",
                vec![
                    "policy::wrong-type",
                    "policy::unknown-key",
                    "policy::missing-key",
                    "policy::missing-key",
                ],
            ),
            (
                "{ not_worse_than = { select = 3, better = true } }",
                vec!["policy::wrong-type", "policy::wrong-type"],
            ),
            ("{ not_worse_than = 0.005 }", vec!["policy::wrong-type"]),
            (
                "{ signature_compatible_with = \"incumbent.mlflow_modle.signature\" }",
                vec!["policy::selector-never-matches"],
            ),
            (
                "{ signature_compatible_with = \"incumbent..signature\" }",
                vec!["policy::bad-selector"],
            ),
            (
                "{ signature_compatible_with = { select = \"incumbent.mlflow_model.signature\" } }",
                vec!["policy::wrong-type"],
            ),
        ] {
            let errors = load(&policy("run.metrics.auc", check)).unwrap_err();
            assert_eq!(codes(&errors), expected, "{check}");
        }
    }

    #[test]
    fn a_reference_may_point_anywhere_in_the_snapshot() {
        let p = load(&policy(
            "mlflow_model.signature",
            "{ all_of = [{ signature_compatible_with = \"mlflow_model.signature\" }, { not = { signature_compatible_with = \"incumbent.mlflow_model.signature\" } }] }",
        ))
        .unwrap();
        let refs: Vec<&str> = p.rules[0]
            .check
            .references()
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            refs,
            ["mlflow_model.signature", "incumbent.mlflow_model.signature"]
        );
    }
}
