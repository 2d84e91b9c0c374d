//! Checks that compare the selection with another value of the snapshot: `not_worse_than`
//! (numbers) and `signature_compatible_with` (MLflow signatures).
//!
//! The other value is named by a selector (the *reference*), usually into the `incumbent`
//! section, and read from the document the [`Context`] carries. Whether a reference can be
//! read at all (its section gathered, its call successful, the incumbent present) is decided
//! by the engine before any check runs, as for a rule's own selector; what is left here is a
//! value absent inside a gathered section. Absent from the reference, it makes the comparison
//! an error — there is nothing to compare with, and that is never a pass. Absent from the
//! selection (the candidate), it is a failure, as for any positive check: the candidate
//! cannot show it is not worse.

use serde_json::Value;

use crate::redact::Masks;

use super::super::selector::{owner, Reached, Selector};
use super::{compare, signature, value, Absent, Check, CheckSet, Selection, Verdict};

/// What a check may read besides its selection: the whole snapshot document, for checks that
/// compare the selection with another value. Checks never read anything else (no I/O).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub doc: &'a Value,
    /// The redaction decision taken on `doc`: every value a message quotes is shown through
    /// it, so a finding quotes what the report shows. `None`: values are quoted raw.
    pub masks: Option<&'a Masks<'a>>,
}

impl Context<'_> {
    /// A context with an empty document, for checks that read nothing else (scope conditions,
    /// tests): a comparison evaluated in it finds nothing to compare with, an error.
    pub const EMPTY: Context<'static> = Context {
        doc: &Value::Null,
        masks: None,
    };

    /// A value of the document as a message quotes it: compact JSON, cut when long, after
    /// redaction.
    pub fn show(&self, value: &Value) -> String {
        match self.masks {
            Some(masks) if !masks.is_empty() => value::show(&masks.apply(value)),
            _ => value::show(value),
        }
    }
}

/// The verdict of a comparison check on the selection.
pub(super) fn evaluate(check: &Check, selection: &Selection<'_>, cx: Context<'_>) -> Verdict {
    let Some(reference) = check.reference() else {
        return Verdict::Error(format!("`{}` compares with nothing", check.describe()));
    };
    // The reference first: with nothing to compare with, neither side can be judged (an
    // incumbent without a signature is an error even when the candidate has none either).
    let theirs = match resolve(reference, cx.doc) {
        Ok(v) => v,
        Err(absent) => return Verdict::Error(missing_reference(check, reference, &absent)),
    };
    Verdict::all(
        selection
            .absent
            .iter()
            .map(|absent| on_absent(check, absent))
            .chain(selection.found.iter().map(|ours| match check {
                Check::NotWorseThan(c) => compare::judge(c, ours, theirs, cx),
                _ => signature::judge(ours, theirs, reference),
            })),
    )
}

/// The single value a reference reaches, or the path at which it found nothing.
fn resolve<'a>(reference: &Selector, doc: &'a Value) -> Result<&'a Value, String> {
    // References never fan out (policy validation rejects `[*]`), so one value or one gap.
    match reference.reach(doc).into_iter().next() {
        Some(Reached::Found { value, .. }) => Ok(value),
        Some(Reached::Missing { path, .. }) => Err(path),
        None => Err(reference.as_str().to_string()),
    }
}

fn missing_reference(check: &Check, reference: &Selector, absent: &str) -> String {
    let gap = if absent == reference.as_str() {
        String::new()
    } else {
        format!(" ({absent} is absent)")
    };
    match check {
        Check::SignatureCompatibleWith(_) => format!(
            "{} has no signature to compare with: {reference} is not in the snapshot{gap}",
            owner(reference)
        ),
        _ => {
            format!("{reference} is not in the snapshot{gap}, so there is nothing to compare with")
        }
    }
}

/// An absent selection fails: a missing signature gives callers no schema at all, and a
/// candidate without the number (`run has no metric `auc``) cannot show it is not worse.
fn on_absent(check: &Check, absent: &Absent) -> Verdict {
    match check {
        Check::SignatureCompatibleWith(_) => Verdict::Fail(format!(
            "no signature ({}): nothing tells callers of the incumbent what to send",
            absent.what
        )),
        _ => value::on_absent(&Check::Min(0.0), absent),
    }
}

/// Collects the references of every check in `set`, descending into combinators and the
/// checks of quantifier conditions (whose field names are relative to an element, not
/// references).
pub(super) fn collect<'s>(set: &'s CheckSet, out: &mut Vec<&'s Selector>) {
    for check in &set.0 {
        match check {
            Check::AllOf(sets) | Check::AnyOf(sets) => {
                for s in sets {
                    collect(s, out);
                }
            }
            Check::Not(s) => collect(s, out),
            Check::Any(c) | Check::All(c) | Check::None(c) => {
                collect(&c.on_element, out);
                for field in &c.fields {
                    collect(&field.checks, out);
                }
            }
            other => out.extend(other.reference()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Better, Comparison, Conditions, FieldCondition, Mode, Tolerance};
    use super::*;

    fn sel(text: &str) -> Selector {
        Selector::parse(text).unwrap()
    }

    fn worse(reference: &str) -> Check {
        Check::NotWorseThan(Comparison {
            reference: sel(reference),
            better: Better::Higher,
            tolerance: Tolerance::Zero,
        })
    }

    #[test]
    fn references_are_found_in_nested_checks() {
        let set = CheckSet(vec![
            Check::Not(CheckSet(vec![worse("incumbent.run.metrics.auc")])),
            Check::Any(Conditions {
                on_element: CheckSet::default(),
                fields: vec![FieldCondition {
                    field: sel("value"),
                    checks: CheckSet(vec![Check::SignatureCompatibleWith(sel("run.x"))]),
                }],
            }),
            Check::Exists(true),
        ]);
        let found: Vec<&str> = set.references().iter().map(|s| s.as_str()).collect();
        assert_eq!(found, ["incumbent.run.metrics.auc", "run.x"]);
        assert!(super::super::super::selector::reads_incumbent(&sel(
            "incumbent.holds"
        )));
        assert!(!super::super::super::selector::reads_incumbent(&sel(
            "run.incumbent"
        )));
    }

    #[test]
    fn a_missing_reference_is_an_error_naming_its_path() {
        let doc = json!({"incumbent": {"run": {"metrics": {}}}});
        let cx = Context {
            doc: &doc,
            masks: None,
        };
        let ours = json!(0.9);
        let selection = Selection {
            found: vec![&ours],
            absent: Vec::new(),
            fans_out: false,
        };
        let v = worse("incumbent.run.metrics.auc").evaluate(&selection, Mode::Rule, cx);
        let Verdict::Error(e) = v else {
            panic!("{v:?}")
        };
        assert!(
            e.contains("incumbent.run.metrics.auc is not in the snapshot"),
            "{e}"
        );
        let v = Check::SignatureCompatibleWith(sel("incumbent.mlflow_model.signature")).evaluate(
            &selection,
            Mode::Rule,
            cx,
        );
        let Verdict::Error(e) = v else {
            panic!("{v:?}")
        };
        assert!(
            e.starts_with("the incumbent has no signature to compare with"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_candidate_value_or_signature_is_a_failure() {
        let doc = json!({"incumbent": {"auc": 0.9, "sig": {"inputs": []}}});
        let cx = Context {
            doc: &doc,
            masks: None,
        };
        let nothing = Selection {
            found: Vec::new(),
            absent: vec![Absent {
                path: "run.metrics.auc".into(),
                what: "run has no metric `auc`".into(),
            }],
            fans_out: false,
        };
        assert_eq!(
            worse("incumbent.auc").evaluate(&nothing, Mode::Rule, cx),
            Verdict::Fail("run has no metric `auc`".into())
        );
        let v =
            Check::SignatureCompatibleWith(sel("incumbent.sig")).evaluate(&nothing, Mode::Rule, cx);
        assert!(
            matches!(&v, Verdict::Fail(m) if m.starts_with("no signature (run has no metric `auc`)")),
            "{v:?}"
        );
    }
}
