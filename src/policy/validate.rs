//! Second phase of policy loading: compile raw rules into engine rules — selectors checked
//! against the snapshot schema, checks and regexes compiled, message templates verified.
//! Every problem is collected; a rule with any problem is dropped.

use regex::Regex;
use serde_json::Value;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::raw::{Problems, RawRule, Sp};
use crate::engine::check::CHECK_KINDS;
use crate::engine::selector::Segment;
use crate::engine::{Check, CheckSet, FieldCondition, Rule, Selector, Severity};
use crate::snapshot::schema::{self, Node};
use crate::suggest;

/// Compiles one raw rule; `None` when it has problems (already recorded).
pub fn rule(raw: &RawRule<'_, '_>, source_name: &str, problems: &mut Problems) -> Option<Rule> {
    let before = problems.list.len();
    if let Some(id) = &raw.id {
        if !is_kebab_case(&id.value) {
            problems.push(
                "policy::bad-id",
                id.span.clone(),
                "not kebab-case",
                format!("rule id `{}` is not kebab-case", id.value),
                Some("ids are lowercase words joined by `-`, naming the problem: `missing-signature`".into()),
            );
        }
    }
    let selected = raw.select.as_ref().and_then(|s| selector(s, problems));
    let check = match (raw.check, &selected) {
        (Some(check), Some((selector, node))) => {
            check_set(check, node, selector.as_str(), problems)
        }
        // Without a valid selector the check cannot be typed; still report its own problems.
        (Some(check), None) => check_set(check, &Node::Any, "the selection", problems),
        (None, _) => None,
    };
    if let Some(message) = &raw.message {
        template(message, problems);
    }
    if problems.list.len() > before {
        return None;
    }
    Some(Rule {
        id: raw.id.as_ref()?.value.clone(),
        title: raw.title.as_ref()?.value.clone(),
        severity: Severity::parse(&raw.severity.as_ref()?.value)?,
        description: raw.description.as_ref()?.value.clone(),
        remediation: raw.remediation.as_ref().map(|r| r.value.clone()),
        select: selected?.0,
        check: check?,
        message: raw.message.as_ref().map(|m| m.value.clone()),
        source: source_name.to_string(),
    })
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Byte span of a selector offset inside its quoted TOML string.
fn inner_span(s: &Sp<String>, offset: usize, len: usize) -> std::ops::Range<usize> {
    let start = (s.span.start + 1 + offset).min(s.span.end.saturating_sub(1));
    start
        ..(start + len.max(1))
            .min(s.span.end.saturating_sub(1))
            .max(start + 1)
}

/// Parses a selector and walks it through the snapshot schema, returning the node reached.
fn selector(s: &Sp<String>, problems: &mut Problems) -> Option<(Selector, &'static Node)> {
    let parsed = match Selector::parse(&s.value) {
        Ok(p) => p,
        Err(e) => {
            problems.push(
                "policy::bad-selector",
                inner_span(s, e.offset, 1),
                e.message.clone(),
                format!("selector `{}` is malformed: {}", s.value, e.message),
                Some("a selector is a dotted path such as `run.tags[\"mlflow.user\"]` or `permissions.registered_model.entries[*]`".into()),
            );
            return None;
        }
    };
    let node = walk(
        &parsed,
        &schema::SNAPSHOT,
        None,
        |offset, len, label, message, help| {
            problems.push(
                "policy::selector-never-matches",
                inner_span(s, offset, len),
                label,
                format!(
                    "selector `{}` can never match the snapshot: {message}",
                    s.value
                ),
                help,
            );
        },
    )?;
    Some((parsed, node))
}

type Report<'r> = dyn FnMut(usize, usize, String, String, Option<String>) + 'r;

/// Walks a selector through the schema from `start`; reports the first impossible step.
fn walk<'n>(
    selector: &Selector,
    start: &'n Node,
    root: Option<&str>,
    mut report: impl FnMut(usize, usize, String, String, Option<String>),
) -> Option<&'n Node> {
    let report: &mut Report = &mut report;
    let text = selector.as_str();
    let mut node = start;
    let mut path = String::new();
    let mut cursor = 0;
    for segment in &selector.segments {
        match segment {
            Segment::Field(name) => {
                let offset = text[cursor..]
                    .find(name.as_str())
                    .map_or(cursor, |i| cursor + i);
                cursor = offset + name.len();
                let known = node.field_names();
                let typo = (node.is_open_object() && !node.declares(name))
                    .then(|| suggest::closest(name, known.iter().copied()))
                    .flatten();
                match (node.field(name), typo) {
                    (Some(child), None) => node = child,
                    (_, suggestion) => {
                        let message = if let (true, Some(root)) = (path.is_empty(), root) {
                            format!("an element of `{root}` has no field `{name}`")
                        } else if path.is_empty() {
                            format!("the snapshot has no section `{name}`")
                        } else {
                            format!("`{path}` has no field `{name}`")
                        };
                        let help = suggestion
                            .or_else(|| suggest::closest(name, known.iter().copied()))
                            .map(|s| format!("did you mean `{s}`?"))
                            .or_else(|| {
                                (!known.is_empty())
                                    .then(|| format!("known fields: {}", known.join(", ")))
                            });
                        report(offset, name.len(), "no such field".into(), message, help);
                        return None;
                    }
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Segment::Each | Segment::Index(_) => {
                let offset = text[cursor..].find('[').map_or(cursor, |i| cursor + i);
                cursor = offset + 1;
                if let Some(child) = node.element() {
                    node = child;
                } else {
                    report(
                        offset,
                        1,
                        "not a list".into(),
                        format!("`{path}` is not a list or map, so it cannot be indexed"),
                        None,
                    );
                    return None;
                }
                path.push_str("[*]");
            }
        }
    }
    Some(node)
}

/// Compiles a check table.
fn check_set(
    value: &Spanned<DeValue<'_>>,
    node: &'static Node,
    within: &str,
    problems: &mut Problems,
) -> Option<CheckSet> {
    let DeValue::Table(table) = value.get_ref() else {
        problems.wrong_type(value, "check", "a table");
        return None;
    };
    if table.is_empty() {
        problems.push(
            "policy::empty-check",
            value.span(),
            "no check here",
            "the check table is empty",
            Some(format!("name one of: {}", check_names().join(", "))),
        );
        return None;
    }
    let mut checks = Vec::new();
    let mut ok = true;
    for (key, v) in table {
        if let Some(c) = one_check(key.get_ref(), v, node, within, problems) {
            checks.push(c);
        } else {
            if !CHECK_KINDS
                .iter()
                .any(|(n, _)| *n == key.get_ref().as_ref())
            {
                problems.unknown_key("policy::unknown-check", key, &check_names(), "a check");
            }
            ok = false;
        }
    }
    ok.then_some(CheckSet(checks))
}

fn check_names() -> Vec<&'static str> {
    CHECK_KINDS.iter().map(|(n, _)| *n).collect()
}

fn one_check(
    name: &str,
    v: &Spanned<DeValue<'_>>,
    node: &'static Node,
    within: &str,
    problems: &mut Problems,
) -> Option<Check> {
    let value = v.get_ref();
    match name {
        "exists" | "non_empty" => {
            if let DeValue::Boolean(b) = value {
                Some(if name == "exists" {
                    Check::Exists(*b)
                } else {
                    Check::NonEmpty(*b)
                })
            } else {
                problems.wrong_type(v, name, "`true` or `false`");
                None
            }
        }
        "equals" => {
            if let Some(j) = to_json(value) {
                Some(Check::Equals(j))
            } else {
                problems.wrong_type(v, name, "a string, number, boolean, array or table");
                None
            }
        }
        "one_of" => match value {
            DeValue::Array(items) if !items.is_empty() => items
                .iter()
                .map(|i| to_json(i.get_ref()))
                .collect::<Option<Vec<_>>>()
                .map(Check::OneOf),
            _ => {
                problems.wrong_type(v, name, "a non-empty array of values");
                None
            }
        },
        "matches" => {
            if let DeValue::String(s) = value {
                match Regex::new(s) {
                    Ok(re) => Some(Check::Matches(re)),
                    Err(e) => {
                        let detail = e.to_string();
                        let last = detail
                            .lines()
                            .last()
                            .unwrap_or("invalid regular expression")
                            .trim();
                        problems.push(
                    "policy::bad-regex",
                    v.span(),
                    "invalid regular expression",
                    format!("`matches` is not a valid regular expression: {last}"),
                    Some("the syntax is Rust's `regex` crate (no look-around or backreferences); escape `\\` as `\\\\` in basic TOML strings, or use a 'literal string'".into()),
                );
                        None
                    }
                }
            } else {
                problems.wrong_type(v, name, "a string holding a regular expression");
                None
            }
        }
        "min" | "max" => {
            if let Some(n) = number(value) {
                Some(if name == "min" {
                    Check::Min(n)
                } else {
                    Check::Max(n)
                })
            } else {
                problems.wrong_type(v, name, "a number");
                None
            }
        }
        "any" | "all" | "none" => {
            let element = node.element().unwrap_or(node);
            let conditions = conditions(v, element, within, problems)?;
            Some(match name {
                "any" => Check::Any(conditions),
                "all" => Check::All(conditions),
                _ => Check::None(conditions),
            })
        }
        _ => None,
    }
}

/// Field conditions of a quantifier: `{ field = value }` (equality) or `{ field = { check } }`.
fn conditions(
    v: &Spanned<DeValue<'_>>,
    element: &'static Node,
    within: &str,
    problems: &mut Problems,
) -> Option<Vec<FieldCondition>> {
    let DeValue::Table(table) = v.get_ref() else {
        problems.wrong_type(
            v,
            "any/all/none",
            "a table of field conditions, e.g. `{ principal = \"users\" }`",
        );
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (key, cond) in table {
        let field_sp = Sp {
            value: key.get_ref().to_string(),
            span: key.span(),
        };
        let Some((field, node)) = field_selector(&field_sp, element, within, problems) else {
            ok = false;
            continue;
        };
        let checks = match cond.get_ref() {
            DeValue::Table(_) => {
                check_set(cond, node, &format!("{within}.{}", key.get_ref()), problems)
            }
            other => to_json(other).map(|j| CheckSet(vec![Check::Equals(j)])),
        };
        match checks {
            Some(checks) => out.push(FieldCondition { field, checks }),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// A field name inside a quantifier, walked from the element node. Keys are bare or quoted
/// TOML keys, so the span is the key itself, not an inner offset.
fn field_selector(
    key: &Sp<String>,
    element: &'static Node,
    within: &str,
    problems: &mut Problems,
) -> Option<(Selector, &'static Node)> {
    let parsed = Selector::parse(&key.value)
        .ok()
        .or_else(|| Selector::parse(&format!("[\"{}\"]", key.value.replace('"', ""))).ok());
    let Some(parsed) = parsed else {
        problems.push(
            "policy::bad-selector",
            key.span.clone(),
            "not a field path",
            format!("`{}` is not a field path", key.value),
            None,
        );
        return None;
    };
    let node = walk(
        &parsed,
        element,
        Some(within),
        |_, _, label, message, help| {
            problems.push(
                "policy::selector-never-matches",
                key.span.clone(),
                label,
                format!("field condition `{}` can never match: {message}", key.value),
                help,
            );
        },
    )?;
    Some((parsed, node))
}

/// Checks that every placeholder of a message template names something.
fn template(message: &Sp<String>, problems: &mut Problems) {
    for (offset, name) in crate::engine::template_placeholders(&message.value) {
        let name = name.trim();
        if crate::engine::TEMPLATE_BUILTINS.contains(&name) {
            continue;
        }
        let ok = Selector::parse(name)
            .ok()
            .is_some_and(|s| walk(&s, &schema::SNAPSHOT, None, |_, _, _, _, _| {}).is_some());
        if !ok {
            problems.push(
                "policy::bad-template",
                inner_span(message, offset, name.len()),
                "not a snapshot path",
                format!("message placeholder `{{{name}}}` names nothing in the snapshot"),
                Some("use `{value}`, `{count}`, `{path}` or a snapshot path such as `{registered_model.name}`; write `{{` for a literal brace".into()),
            );
        }
    }
}

/// A TOML value as JSON; `None` for values JSON cannot hold (NaN, infinities).
pub fn to_json(value: &DeValue<'_>) -> Option<Value> {
    Some(match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            Value::from(i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()?)
        }
        DeValue::Float(_) => serde_json::Number::from_f64(number(value)?).map(Value::Number)?,
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json(i.get_ref()))
                .collect::<Option<_>>()?,
        ),
        DeValue::Table(t) => Value::Object(table_json(t)?),
    })
}

fn table_json(t: &DeTable<'_>) -> Option<serde_json::Map<String, Value>> {
    t.iter()
        .map(|(k, v)| Some((k.get_ref().to_string(), to_json(v.get_ref())?)))
        .collect()
}

fn number(value: &DeValue<'_>) -> Option<f64> {
    match value {
        DeValue::Integer(_) => to_json(value)?.as_f64(),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite()),
        _ => None,
    }
}
