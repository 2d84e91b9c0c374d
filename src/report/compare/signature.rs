//! Signature differences: inputs removed, added (required or optional), retyped, or whose
//! requiredness changed; outputs likewise. The MLmodel's `signature.inputs` / `outputs` are
//! lists of column specs (`{"name", "type", "required"?}`) or of tensor specs (`{"type":
//! "tensor", "tensor-spec": {dtype, shape}}`). Named columns are matched by name; unnamed ones
//! (tensors, or a schema that names only some columns) by position, as MLflow itself
//! enforces them. Facts only: whether a change breaks callers is for the policy to say.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value};

/// One side's signature.
#[derive(Debug, Clone, PartialEq)]
pub enum Signature {
    /// The MLmodel has no `signature` (or `signature: null`).
    Missing,
    /// A signature that is not the expected shape, and why.
    Unreadable(String),
    Present {
        inputs: Vec<Spec>,
        outputs: Vec<Spec>,
    },
}

/// One column or tensor spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub name: Option<String>,
    /// The spec without `name` and `required`: two specs have the same type when these are
    /// equal (key order aside), so nested array/object/map types compare in full.
    pub kind: Value,
    /// MLflow's `required`, true when absent (its default).
    pub required: bool,
}

impl Signature {
    /// The signature of an MLmodel's `signature` field.
    pub fn read(signature: Option<&Value>) -> Self {
        let signature = match signature {
            None | Some(Value::Null) => return Signature::Missing,
            Some(Value::Object(s)) => s,
            Some(_) => return Signature::Unreadable("`signature` is not a mapping".into()),
        };
        let part = |key: &str| -> Result<Vec<Spec>, String> {
            match signature.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => Ok(items.iter().map(Spec::read).collect()),
                Some(_) => Err(format!("`signature.{key}` is not a list of column specs")),
            }
        };
        match (part("inputs"), part("outputs")) {
            (Ok(inputs), Ok(outputs)) => Signature::Present { inputs, outputs },
            (Err(why), _) | (_, Err(why)) => Signature::Unreadable(why),
        }
    }

    /// `3 inputs and 1 output`, for sentences.
    pub fn counts(&self) -> Option<String> {
        let Signature::Present { inputs, outputs } = self else {
            return None;
        };
        let n = |count: usize, what: &str| {
            format!("{count} {what}{}", if count == 1 { "" } else { "s" })
        };
        Some(format!(
            "{} and {}",
            n(inputs.len(), "input"),
            n(outputs.len(), "output")
        ))
    }
}

impl Spec {
    fn read(value: &Value) -> Self {
        let Value::Object(fields) = value else {
            return Spec {
                name: None,
                kind: value.clone(),
                required: true,
            };
        };
        let mut kind: Map<String, Value> = fields.clone();
        let name = kind.remove("name").map(|n| match n {
            Value::String(s) => s,
            other => other.to_string(),
        });
        let required = !matches!(kind.remove("required"), Some(Value::Bool(false)));
        Spec {
            name,
            kind: Value::Object(kind),
            required,
        }
    }

    /// `double`, `tensor int64 [-1]`, or the spec as compact JSON for nested types.
    pub fn type_text(&self) -> String {
        let ty = self.kind.get("type").and_then(Value::as_str);
        match (ty, self.kind.as_object()) {
            (Some("tensor"), _) => {
                let spec = self.kind.get("tensor-spec");
                let field = |k: &str| spec.and_then(|s| s.get(k));
                let dtype = field("dtype").map_or_else(String::new, |d| match d {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                let shape = field("shape").map_or_else(String::new, Value::to_string);
                format!("tensor {dtype} {shape}").trim_end().to_string()
            }
            (Some(ty), Some(fields)) if fields.len() == 1 => ty.to_string(),
            _ => self.kind.to_string(),
        }
    }
}

/// Inputs or outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Inputs,
    Outputs,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Inputs => "input",
            Part::Outputs => "output",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only the candidate has it.
    Added {
        required: bool,
    },
    /// Only the incumbent has it.
    Removed,
    Retyped,
    /// Optional in the incumbent, required in the candidate.
    NowRequired,
    NowOptional,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::Added { required: true } => "added (required)",
            ChangeKind::Added { required: false } => "added (optional)",
            ChangeKind::Removed => "removed",
            ChangeKind::Retyped => "retyped",
            ChangeKind::NowRequired => "now required",
            ChangeKind::NowOptional => "now optional",
        })
    }
}

/// One difference between the two signatures.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureChange {
    pub part: Part,
    /// The column's name, or `#2` (and its name, if any) when matched by position.
    pub column: String,
    pub kind: ChangeKind,
    /// The type on each side, when the side has the column.
    pub candidate: Option<String>,
    pub incumbent: Option<String>,
}

/// The two signatures and their differences (none unless both could be read).
pub fn diff(candidate: Signature, incumbent: Signature) -> super::SignatureDiff {
    let changes = match (&candidate, &incumbent) {
        (
            Signature::Present {
                inputs: ci,
                outputs: co,
            },
            Signature::Present {
                inputs: ii,
                outputs: io,
            },
        ) => {
            let mut changes = diff_part(Part::Inputs, ci, ii);
            changes.extend(diff_part(Part::Outputs, co, io));
            changes
        }
        _ => Vec::new(),
    };
    super::SignatureDiff {
        candidate,
        incumbent,
        changes,
    }
}

/// Whether every spec of both lists has a name, each once: then they match by name.
fn by_name(candidate: &[Spec], incumbent: &[Spec]) -> bool {
    [candidate, incumbent].iter().all(|specs| {
        let mut seen = HashSet::new();
        specs
            .iter()
            .all(|s| s.name.as_ref().is_some_and(|n| seen.insert(n)))
    })
}

fn diff_part(part: Part, candidate: &[Spec], incumbent: &[Spec]) -> Vec<SignatureChange> {
    let change = |column: String, kind, c: Option<&Spec>, i: Option<&Spec>| SignatureChange {
        part,
        column,
        kind,
        candidate: c.map(Spec::type_text),
        incumbent: i.map(Spec::type_text),
    };
    let mut changes = Vec::new();
    let pairs: Vec<(String, Option<&Spec>, Option<&Spec>)> = if by_name(candidate, incumbent) {
        let named = |specs: &[Spec], name: &str| -> Option<usize> {
            specs.iter().position(|s| s.name.as_deref() == Some(name))
        };
        // The incumbent's order first (what callers send today), then the new columns.
        let mut pairs: Vec<_> = incumbent
            .iter()
            .map(|i| {
                let name = i.name.clone().unwrap_or_default();
                let c = named(candidate, &name).map(|at| &candidate[at]);
                (name, c, Some(i))
            })
            .collect();
        pairs.extend(
            candidate
                .iter()
                .filter(|c| named(incumbent, c.name.as_deref().unwrap_or_default()).is_none())
                .map(|c| (c.name.clone().unwrap_or_default(), Some(c), None)),
        );
        pairs
    } else {
        (0..candidate.len().max(incumbent.len()))
            .map(|at| {
                let (c, i) = (candidate.get(at), incumbent.get(at));
                let name = c.or(i).and_then(|s| s.name.as_deref());
                let label = match name {
                    Some(name) => format!("#{} {name}", at + 1),
                    None => format!("#{}", at + 1),
                };
                (label, c, i)
            })
            .collect()
    };
    for (column, c, i) in pairs {
        match (c, i) {
            (Some(c), None) => changes.push(change(
                column,
                ChangeKind::Added {
                    required: c.required,
                },
                Some(c),
                None,
            )),
            (None, Some(i)) => changes.push(change(column, ChangeKind::Removed, None, Some(i))),
            (Some(c), Some(i)) => {
                if c.kind != i.kind {
                    changes.push(change(
                        column.clone(),
                        ChangeKind::Retyped,
                        Some(c),
                        Some(i),
                    ));
                }
                if c.required != i.required {
                    let kind = if c.required {
                        ChangeKind::NowRequired
                    } else {
                        ChangeKind::NowOptional
                    };
                    changes.push(change(column, kind, Some(c), Some(i)));
                }
            }
            (None, None) => {}
        }
    }
    changes
}
