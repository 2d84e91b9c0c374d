//! `signature_compatible_with`: the selected MLflow model signature (the candidate's) can
//! serve every caller of the referenced one (the incumbent's).
//!
//! A signature is the MLmodel file's `signature: {inputs, outputs, params}`; inputs and
//! outputs are lists of column specs (`{"name": "age", "type": "long", "required": false}`)
//! or tensor specs (`{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}`).
//! The gather layer decodes them from the JSON strings MLflow writes; a hand-written
//! snapshot may still hold the strings, so they are decoded here too.
//!
//! Compatible means a request that the incumbent accepted is still accepted, and a response
//! callers parsed still parses: no input of the incumbent removed or retyped, no new required
//! input (an optional input turned required counts as one), no output removed or retyped.
//! New optional inputs and new outputs are fine. A column's type is its whole spec apart from
//! its name and `required` (so a tensor's dtype and shape, an array's `items`). Columns are
//! matched by name when every column on both sides has one, else by position (tensor specs
//! and unnamed columns). `params` are not compared: each has a default, and MLflow ignores
//! (with a warning) params a model does not declare.

use serde_json::{Map, Value};

use super::super::selector::owner;
use super::super::selector::Selector;
use super::value::show;
use super::Verdict;

/// One input or output column.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: Option<String>,
    required: bool,
    /// The spec without `name` and `required`: what a caller's value must conform to.
    kind: Map<String, Value>,
}

/// The verdict on the selected signature against the referenced one.
pub(super) fn judge(ours: &Value, theirs: &Value, reference: &Selector) -> Verdict {
    let parts = |signature: &Value| -> Result<(Vec<Column>, Vec<Column>), String> {
        Ok((
            columns(signature, "inputs")?,
            columns(signature, "outputs")?,
        ))
    };
    let (their_inputs, their_outputs) = match parts(theirs) {
        Ok(p) => p,
        Err(e) => return Verdict::Error(format!("{}'s signature {e}", owner(reference))),
    };
    let (our_inputs, our_outputs) = match parts(ours) {
        Ok(p) => p,
        Err(e) => return Verdict::Error(format!("the signature {e}")),
    };
    let mut problems = Vec::new();
    for (theirs, ours) in pair(&their_inputs, &our_inputs) {
        match (theirs, ours) {
            (Some((label, _)), None) => problems.push(format!("input {label} removed")),
            (Some((label, t)), Some((_, o))) if t.kind != o.kind => problems.push(format!(
                "input {label} retyped {} → {}",
                type_label(&t.kind),
                type_label(&o.kind)
            )),
            (Some((label, t)), Some((_, o))) if o.required && !t.required => {
                problems.push(format!("input {label} is now required"));
            }
            (None, Some((label, o))) if o.required => {
                problems.push(format!("new required input {label}"));
            }
            _ => {}
        }
    }
    for (theirs, ours) in pair(&their_outputs, &our_outputs) {
        match (theirs, ours) {
            (Some((label, _)), None) => problems.push(format!("output {label} removed")),
            (Some((label, t)), Some((_, o))) if t.kind != o.kind => problems.push(format!(
                "output {label} retyped {} → {}",
                type_label(&t.kind),
                type_label(&o.kind)
            )),
            _ => {}
        }
    }
    if problems.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(problems.join("; "))
    }
}

/// The columns of one part of a signature; an absent or null part has none.
fn columns(signature: &Value, part: &str) -> Result<Vec<Column>, String> {
    let Value::Object(sig) = signature else {
        return Err(format!(
            "is not a signature (a table of `inputs` and `outputs`): {}",
            show(signature)
        ));
    };
    let decoded;
    let list = match sig.get(part) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        // MLflow writes each part as a JSON string; decode one the gather layer left as is.
        Some(Value::String(text)) => {
            decoded = serde_json::from_str::<Value>(text)
                .map_err(|_| format!("has `{part}` that is neither a list nor JSON text"))?;
            &decoded
        }
        Some(other) => other,
    };
    let Value::Array(items) = list else {
        return Err(format!(
            "has `{part}` that is not a list of column specs: {}",
            show(list)
        ));
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(spec) = item else {
                return Err(format!(
                    "has an entry in `{part}` that is not a column spec: {}",
                    show(item)
                ));
            };
            let mut kind = spec.clone();
            let name = kind
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_string));
            // MLflow's ColSpec is required unless it says otherwise; tensors always are.
            let required = kind.remove("required").and_then(|r| r.as_bool()) != Some(false);
            Ok(Column {
                name,
                required,
                kind,
            })
        })
        .collect()
}

type Labelled<'c> = Option<(String, &'c Column)>;

/// The incumbent's columns beside the candidate's: by name when every column on both sides
/// has one, else by position. Each pair has a label for messages (`"age"`, `[0]`).
fn pair<'c>(theirs: &'c [Column], ours: &'c [Column]) -> Vec<(Labelled<'c>, Labelled<'c>)> {
    let named = theirs.iter().chain(ours).all(|c| c.name.is_some());
    if named {
        let label = |c: &Column| format!("{:?}", c.name.as_deref().unwrap_or_default());
        let find =
            |list: &'c [Column], name: &Option<String>| list.iter().find(|c| &c.name == name);
        let mut out: Vec<(Labelled, Labelled)> = theirs
            .iter()
            .map(|t| {
                (
                    Some((label(t), t)),
                    find(ours, &t.name).map(|o| (label(o), o)),
                )
            })
            .collect();
        out.extend(
            ours.iter()
                .filter(|o| find(theirs, &o.name).is_none())
                .map(|o| (None, Some((label(o), o)))),
        );
        out
    } else {
        let label = |i: usize| format!("[{i}]");
        (0..theirs.len().max(ours.len()))
            .map(|i| {
                (
                    theirs.get(i).map(|t| (label(i), t)),
                    ours.get(i).map(|o| (label(i), o)),
                )
            })
            .collect()
    }
}

/// A column type for messages: `double`, `tensor int64 [-1]`, or the spec as JSON.
fn type_label(kind: &Map<String, Value>) -> String {
    match (kind.get("type").and_then(Value::as_str), kind.len()) {
        (Some(t), 1) => t.to_string(),
        (Some("tensor"), 2) => match kind.get("tensor-spec") {
            Some(spec) => format!(
                "tensor {} {}",
                spec.get("dtype").map_or_else(|| "?".into(), scalar),
                spec.get("shape")
                    .map_or_else(|| "?".into(), ToString::to_string)
            ),
            None => show(&Value::Object(kind.clone())),
        },
        _ => show(&Value::Object(kind.clone())),
    }
}

fn scalar(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn incumbent() -> Selector {
        Selector::parse("incumbent.mlflow_model.signature").unwrap()
    }

    fn check(ours: &Value, theirs: &Value) -> Verdict {
        judge(ours, theirs, &incumbent())
    }

    fn fail_text(v: Verdict) -> String {
        match v {
            Verdict::Fail(m) => m,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn sig(inputs: &Value) -> Value {
        json!({"inputs": inputs, "outputs": [{"type": "long"}], "params": null})
    }

    fn base() -> Value {
        sig(&json!([
            {"type": "long", "name": "age", "required": true},
            {"type": "double", "name": "income", "required": true},
            {"type": "double", "name": "debt_ratio"}
        ]))
    }

    #[test]
    fn the_same_signature_is_compatible_whatever_the_column_order() {
        assert_eq!(check(&base(), &base()), Verdict::Pass);
        let reordered = sig(&json!([
            {"type": "double", "name": "debt_ratio"},
            {"name": "income", "type": "double"},
            {"type": "long", "name": "age"}
        ]));
        assert_eq!(check(&reordered, &base()), Verdict::Pass);
    }

    #[test]
    fn each_removed_retyped_and_new_required_input_is_named() {
        let ours = sig(&json!([
            {"type": "string", "name": "income"},
            {"type": "double", "name": "debt_ratio"},
            {"type": "string", "name": "zip"}
        ]));
        assert_eq!(
            fail_text(check(&ours, &base())),
            "input \"age\" removed; input \"income\" retyped double → string; new required input \"zip\""
        );
    }

    #[test]
    fn a_new_optional_input_is_compatible_and_an_optional_turned_required_is_not() {
        let mut with_optional = base();
        with_optional["inputs"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "string", "name": "zip", "required": false}));
        assert_eq!(check(&with_optional, &base()), Verdict::Pass);
        assert_eq!(
            fail_text(check(&base(), &with_optional)),
            "input \"zip\" removed"
        );
        let mut stricter = with_optional.clone();
        stricter["inputs"][3]["required"] = json!(true);
        assert_eq!(
            fail_text(check(&stricter, &with_optional)),
            "input \"zip\" is now required"
        );
    }

    #[test]
    fn outputs_keep_their_types_and_may_grow() {
        let mut retyped = base();
        retyped["outputs"] = json!([{"type": "double"}]);
        assert_eq!(
            fail_text(check(&retyped, &base())),
            "output [0] retyped long → double"
        );
        let mut more = base();
        more["outputs"] = json!([{"type": "long"}, {"type": "double"}]);
        assert_eq!(check(&more, &base()), Verdict::Pass);
        let mut none = base();
        none["outputs"] = Value::Null;
        assert_eq!(fail_text(check(&none, &base())), "output [0] removed");
    }

    #[test]
    fn tensor_specs_compare_by_position_dtype_and_shape() {
        let tensor = |dtype: &str, shape: Value| json!({"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}});
        let theirs = json!({"inputs": [tensor("float32", json!([-1, 4]))], "outputs": [tensor("int64", json!([-1]))]});
        assert_eq!(check(&theirs, &theirs), Verdict::Pass);
        let ours = json!({
            "inputs": [tensor("float64", json!([-1, 4])), tensor("float32", json!([-1]))],
            "outputs": [tensor("int64", json!([-1, 1]))]
        });
        assert_eq!(
            fail_text(check(&ours, &theirs)),
            "input [0] retyped tensor float32 [-1,4] → tensor float64 [-1,4]; new required input [1]; output [0] retyped tensor int64 [-1] → tensor int64 [-1,1]"
        );
    }

    #[test]
    fn parts_written_as_json_text_are_decoded() {
        let text = json!({
            "inputs": "[{\"type\": \"long\", \"name\": \"age\", \"required\": true}, {\"type\": \"double\", \"name\": \"income\", \"required\": true}, {\"type\": \"double\", \"name\": \"debt_ratio\", \"required\": true}]",
            "outputs": "[{\"type\": \"long\"}]"
        });
        assert_eq!(check(&text, &base()), Verdict::Pass);
    }

    #[test]
    fn what_is_not_a_signature_is_an_error() {
        for (ours, theirs, starts) in [
            (
                base(),
                json!("a string"),
                "the incumbent's signature is not a signature",
            ),
            (json!([1]), base(), "the signature is not a signature"),
            (
                json!({"inputs": "not json"}),
                base(),
                "the signature has `inputs` that is neither",
            ),
            (
                json!({"inputs": {"a": 1}}),
                base(),
                "the signature has `inputs` that is not a list",
            ),
            (
                json!({"inputs": [1]}),
                base(),
                "the signature has an entry in `inputs`",
            ),
        ] {
            match check(&ours, &theirs) {
                Verdict::Error(e) => assert!(e.starts_with(starts), "{e}"),
                other => panic!("{ours} vs {theirs}: {other:?}"),
            }
        }
    }
}
