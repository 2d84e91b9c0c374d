//! Compiling a rule's `when` table into an engine scope.

use regex::Regex;
use toml::de::DeValue;
use toml::Spanned;

use super::checks::check_set;
use super::raw::Problems;
use super::values::to_json;
use crate::engine::{Check, CheckSet, Scope};
use crate::error_code::Code;
use crate::snapshot::schema::Node;
use crate::snapshot::Backend;

/// The keys a `when` table may have.
pub(super) const WHEN_KEYS: [&str; 6] = [
    "model",
    "model_matches",
    "target",
    "backend",
    "version_tags",
    "run_tags",
];

/// Compiles `when`; `None` when it has problems (already recorded).
pub(super) fn compile(value: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<Scope> {
    let DeValue::Table(table) = value.get_ref() else {
        problems.wrong_type(value, "when", "a table");
        return None;
    };
    let before = problems.list.len();
    let mut scope = Scope::default();
    for (key, v) in table {
        match key.get_ref().as_ref() {
            "model" => scope.models = strings("model", v, problems),
            "target" => scope.targets = targets(v, problems),
            "backend" => scope.backends.extend(backends(v, problems)),
            "model_matches" => {
                if let Some(re) = model_regex(v, problems) {
                    scope.model_regex = Some(re);
                }
            }
            "version_tags" => {
                if let Some(list) = tag_conditions("version_tags", v, problems) {
                    scope.version_tags = list;
                }
            }
            "run_tags" => {
                if let Some(list) = tag_conditions("run_tags", v, problems) {
                    scope.run_tags = list;
                }
            }
            _ => problems.unknown_key(Code::PolicyUnknownKey, key, &WHEN_KEYS, "`when`"),
        }
    }
    (problems.list.len() == before).then_some(scope)
}

/// The `target` list: stages or `@alias` names.
fn targets(v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Vec<String> {
    let targets = strings("target", v, problems);
    for t in &targets {
        let ok = t.strip_prefix('@').map_or_else(
            || {
                crate::model_ref::STAGES
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(t))
            },
            |alias| !alias.is_empty(),
        );
        if !ok {
            problems.push(
                Code::PolicyBadTarget,
                v.span(),
                "not a stage or @alias",
                format!(
                    "`{t}` is neither a stage ({}) nor an alias written `@name`",
                    crate::model_ref::STAGES.join(", ")
                ),
                Some("e.g. `target = [\"Production\", \"@champion\"]`".into()),
            );
        }
    }
    targets
}

/// The `backend` list; an unknown name is reported (a rule scoped to it would never run).
fn backends(v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Vec<Backend> {
    let mut backends = Vec::new();
    for b in strings("backend", v, problems) {
        if let Some(backend) = Backend::from_name(&b) {
            backends.push(backend);
        } else {
            let names = Backend::names();
            let help = crate::suggest::closest(&b, names).map_or_else(
                || format!("one of {}", names.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            problems.push(
                Code::PolicyBadBackend,
                v.span(),
                "not a backend",
                format!("`{b}` is not a backend; a rule scoped to it would be skipped everywhere"),
                Some(help),
            );
        }
    }
    backends
}

/// The `model_matches` regular expression.
fn model_regex(v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<Regex> {
    let DeValue::String(s) = v.get_ref() else {
        problems.wrong_type(v, "model_matches", "a string holding a regular expression");
        return None;
    };
    match Regex::new(s) {
        Ok(re) => Some(re),
        Err(e) => {
            problems.push(
                Code::PolicyBadRegex,
                v.span(),
                "invalid regular expression",
                format!(
                    "`model_matches` is not a valid regular expression: {}",
                    e.to_string().lines().last().unwrap_or("").trim()
                ),
                None,
            );
            None
        }
    }
}

/// A `version_tags` or `run_tags` table: tag name → a check table or a value to equal.
/// `None` when the value is not a table at all.
fn tag_conditions(
    name: &str,
    v: &Spanned<DeValue<'_>>,
    problems: &mut Problems,
) -> Option<Vec<(String, CheckSet)>> {
    let DeValue::Table(tags) = v.get_ref() else {
        problems.wrong_type(
            v,
            name,
            "a table of tag conditions, e.g. `{ team = \"risk\" }`",
        );
        return None;
    };
    let mut list = Vec::new();
    for (tag, cond) in tags {
        let checks = match cond.get_ref() {
            DeValue::Table(_) => check_set(cond, &Node::Scalar, tag.get_ref(), problems),
            other => to_json(other).map(|j| CheckSet(vec![Check::Equals(j)])),
        };
        if let Some(checks) = checks {
            list.push((tag.get_ref().to_string(), checks));
        }
    }
    Some(list)
}

/// A string or an array of strings.
fn strings(name: &str, v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Vec<String> {
    match v.get_ref() {
        DeValue::String(s) => vec![s.to_string()],
        DeValue::Array(items)
            if items
                .iter()
                .all(|i| matches!(i.get_ref(), DeValue::String(_)))
                && !items.is_empty() =>
        {
            items
                .iter()
                .filter_map(|i| i.get_ref().as_str().map(str::to_string))
                .collect()
        }
        _ => {
            problems.wrong_type(v, name, "a string or a non-empty array of strings");
            Vec::new()
        }
    }
}
