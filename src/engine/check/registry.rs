//! The registry of check kinds: the name a policy uses, what value it takes, what it means,
//! and an example. Policy validation, `mlgate explain` and `docs/policy-language.md` all read
//! this one table (a test keeps the docs in step).

/// One check kind's documentation.
#[derive(Debug, Clone, Copy)]
pub struct CheckKind {
    pub name: &'static str,
    /// The value the check takes, in policy terms.
    pub takes: &'static str,
    pub summary: &'static str,
    /// A complete `[[rule]]` `select` + `check` pair using it.
    pub example: (&'static str, &'static str),
}

/// Every check kind, in documentation order.
pub const CHECK_KINDS: &[CheckKind] = &[
    CheckKind { name: "exists", takes: "`true` / `false`", summary: "The value is present (`false`: it is absent).", example: ("mlflow_model.saved_input_example_info", "{ exists = true }") },
    CheckKind { name: "absent", takes: "`true` / `false`", summary: "The value is absent (the opposite of `exists`).", example: ("run.tags[\"mlflow.parentRunId\"]", "{ absent = true }") },
    CheckKind { name: "non_empty", takes: "`true` / `false`", summary: "The value is present and not an empty (or blank) string, list or table.", example: ("registered_model.description", "{ non_empty = true }") },
    CheckKind { name: "empty", takes: "`true` / `false`", summary: "The value is absent, or an empty (or blank) string, list or table.", example: ("model_version.tags", "{ empty = false }") },
    CheckKind { name: "equals", takes: "a value", summary: "The value equals this one. A number compares numerically with numeric text (`\"0.5\"` equals `0.5`).", example: ("run.info.status", "{ equals = \"FINISHED\" }") },
    CheckKind { name: "not_equals", takes: "a value", summary: "The value differs from this one.", example: ("model_version.current_stage", "{ not_equals = \"Archived\" }") },
    CheckKind { name: "one_of", takes: "an array of values", summary: "The value equals one of these.", example: ("run.info.status", "{ one_of = [\"FINISHED\"] }") },
    CheckKind { name: "none_of", takes: "an array of values", summary: "The value equals none of these.", example: ("mlflow_model.flavors.python_function.loader_module", "{ none_of = [\"mlflow.pyfunc.model\"] }") },
    CheckKind { name: "matches", takes: "a regular expression", summary: "The value, as text, matches the expression (Rust `regex` syntax; anchor it with `^…$` to match whole).", example: ("run.tags.git_commit", "{ matches = \"^[0-9a-f]{40}$\" }") },
    CheckKind { name: "not_matches", takes: "a regular expression", summary: "The value, as text, does not match the expression.", example: ("model_version.source", "{ not_matches = \"^runs:/\" }") },
    CheckKind { name: "contains", takes: "a value", summary: "Text contains this substring; a list has an element equal to it; a table has a key named by it.", example: ("run.tags", "{ contains = \"git_commit\" }") },
    CheckKind { name: "min", takes: "a number", summary: "The value (a number, numeric text, or a metric's `value`) is at least this.", example: ("run.metrics.accuracy", "{ min = 0.8 }") },
    CheckKind { name: "max", takes: "a number", summary: "The value (a number, numeric text, or a metric's `value`) is at most this.", example: ("artifacts.size_bytes", "{ max = 2_000_000_000 }") },
    CheckKind { name: "min_length", takes: "a whole number", summary: "Text has at least this many characters; a list or table at least this many entries.", example: ("registered_model.description", "{ min_length = 40 }") },
    CheckKind { name: "max_length", takes: "a whole number", summary: "Text has at most this many characters; a list or table at most this many entries.", example: ("model_version.aliases", "{ max_length = 3 }") },
    CheckKind { name: "count_min", takes: "a whole number", summary: "The selection has at least this many elements (`[*]` values, or the entries of the one list or table selected).", example: ("run.inputs.dataset_inputs", "{ count_min = 1 }") },
    CheckKind { name: "count_max", takes: "a whole number", summary: "The selection has at most this many elements.", example: ("permissions.registered_model.entries[*]", "{ count_max = 20 }") },
    CheckKind { name: "any", takes: "a table of conditions", summary: "At least one element meets every condition. Keys that are check names apply to the element itself; other keys name its fields (`field = value` means equality).", example: ("run.inputs.dataset_inputs[*]", "{ any = { tags = { contains = \"mlflow.data.context\" } } }") },
    CheckKind { name: "all", takes: "a table of conditions", summary: "Every element meets every condition.", example: ("run.metrics", "{ all = { value = { min = 0 } } }") },
    CheckKind { name: "none", takes: "a table of conditions", summary: "No element meets every condition.", example: ("permissions.registered_model.entries[*]", "{ none = { principal = \"users\", level = \"CAN_MANAGE\" } }") },
    CheckKind { name: "all_of", takes: "an array of check tables", summary: "Every check table holds.", example: ("registered_model.description", "{ all_of = [{ non_empty = true }, { min_length = 20 }] }") },
    CheckKind { name: "any_of", takes: "an array of check tables", summary: "At least one check table holds.", example: ("run.tags", "{ any_of = [{ contains = \"mlflow.source.git.commit\" }, { contains = \"git_commit\" }] }") },
    CheckKind { name: "not", takes: "a check table", summary: "The check table does not hold.", example: ("model_version.current_stage", "{ not = { one_of = [\"Archived\", \"None\"] } }") },
    CheckKind { name: "not_worse_than", takes: "a table: `select` (a selector), `better` (`\"higher\"` / `\"lower\"`), and optionally `by_more_than` (an absolute tolerance) or `by_more_than_ratio` (relative to the other value's magnitude)", summary: "The value (a number, numeric text, or a metric's `value`) is not worse than the value at `select` — usually the incumbent's — by more than the tolerance (none given: not worse at all; exactly at the tolerance passes). A value that is not a finite number on either side (NaN, infinity, or MLflow's stored infinity ±1.7976931348623157e308) is an error.", example: ("run.metrics.auc", "{ not_worse_than = { select = \"incumbent.run.metrics.auc\", by_more_than = 0.005, better = \"higher\" } }") },
    CheckKind { name: "signature_compatible_with", takes: "a selector", summary: "The MLflow signature serves every caller of the signature at the selector — usually the incumbent's: no input removed or retyped, no new required input (nor an optional one made required), no output removed or retyped; each incompatible column is named. Columns match by name, or by position when unnamed (tensor specs); `params` are not compared. No signature here fails; none at the selector is an error.", example: ("mlflow_model.signature", "{ signature_compatible_with = \"incumbent.mlflow_model.signature\" }") },
];

/// The names of every check kind.
pub fn names() -> Vec<&'static str> {
    CHECK_KINDS.iter().map(|k| k.name).collect()
}
