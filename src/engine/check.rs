//! Checks: what a rule asserts about the values its selector reaches.
//!
//! Each check kind is one small unit. A rule holds a [`CheckSet`] (all of its checks must
//! hold). Scalar checks apply to every selected value; the list quantifiers `any` / `all` /
//! `none` apply to the selected collection, with field conditions on each element.

use regex::Regex;
use serde_json::Value;

use super::selector::Selector;

/// The check kinds, with the name a policy file uses for each and a one-line summary.
pub const CHECK_KINDS: &[(&str, &str)] = &[
    (
        "exists",
        "the value is present (`exists = false`: it is absent)",
    ),
    (
        "non_empty",
        "the value is present and not an empty string, list or table",
    ),
    (
        "equals",
        "the value equals this one (numbers compare as numbers)",
    ),
    ("one_of", "the value equals one of these"),
    (
        "matches",
        "the value, as text, matches this regular expression",
    ),
    (
        "min",
        "the value is a number (or numeric text) at least this",
    ),
    (
        "max",
        "the value is a number (or numeric text) at most this",
    ),
    (
        "any",
        "at least one selected element meets every field condition",
    ),
    ("all", "every selected element meets every field condition"),
    ("none", "no selected element meets every field condition"),
];

/// One check.
#[derive(Debug, Clone)]
pub enum Check {
    Exists(bool),
    NonEmpty(bool),
    Equals(Value),
    OneOf(Vec<Value>),
    Matches(Regex),
    Min(f64),
    Max(f64),
    Any(Vec<FieldCondition>),
    All(Vec<FieldCondition>),
    None(Vec<FieldCondition>),
}

/// A condition on one field of a list element: `principal = "users"` or
/// `level = { one_of = [...] }`.
#[derive(Debug, Clone)]
pub struct FieldCondition {
    pub field: Selector,
    pub checks: CheckSet,
}

/// The checks of one rule (or one field condition); all must hold.
#[derive(Debug, Clone, Default)]
pub struct CheckSet(pub Vec<Check>);

/// The verdict of one check on one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// The check does not hold; the text says what was found.
    Fail(String),
    /// The check cannot be decided (wrong type, missing data).
    Error(String),
}

impl Check {
    /// Whether this check ranges over a collection rather than single values.
    pub fn is_quantifier(&self) -> bool {
        matches!(self, Check::Any(_) | Check::All(_) | Check::None(_))
    }

    /// Whether this check decides on its own when the value is absent.
    pub fn accepts_absent(&self) -> bool {
        matches!(self, Check::Exists(_) | Check::NonEmpty(_))
    }

    /// The check's verdict on a value that is known to be absent.
    pub fn on_absent(&self, path: &str) -> Verdict {
        match self {
            Check::Exists(true) | Check::NonEmpty(true) => {
                Verdict::Fail(format!("{path} is absent"))
            }
            Check::Exists(false) | Check::NonEmpty(false) => Verdict::Pass,
            _ => Verdict::Error(format!("{path} is not in the snapshot")),
        }
    }

    /// The check's verdict on one present value.
    pub fn on_value(&self, value: &Value) -> Verdict {
        match self {
            Check::Exists(want) => expect(*want, || format!("{} is present", show(value))),
            Check::NonEmpty(want) => {
                let empty = is_empty(value);
                if empty == *want {
                    Verdict::Fail(if empty {
                        format!("{} is empty", show(value))
                    } else {
                        format!("{} is not empty", show(value))
                    })
                } else {
                    Verdict::Pass
                }
            }
            Check::Equals(expected) => match loosely_equal(value, expected) {
                Ok(true) => Verdict::Pass,
                Ok(false) => Verdict::Fail(format!(
                    "found {}, expected {}",
                    show(value),
                    show(expected)
                )),
                Err(e) => Verdict::Error(e),
            },
            Check::OneOf(options) => {
                for option in options {
                    match loosely_equal(value, option) {
                        Ok(true) => return Verdict::Pass,
                        Ok(false) => {}
                        Err(e) => return Verdict::Error(e),
                    }
                }
                let list: Vec<String> = options.iter().map(show).collect();
                Verdict::Fail(format!(
                    "found {}, expected one of {}",
                    show(value),
                    list.join(", ")
                ))
            }
            Check::Matches(regex) => match scalar_text(value) {
                Some(text) if regex.is_match(&text) => Verdict::Pass,
                Some(_) => Verdict::Fail(format!(
                    "{} does not match /{}/",
                    show(value),
                    regex.as_str()
                )),
                None => Verdict::Error(format!(
                    "{} is not text; `matches` needs a string",
                    show(value)
                )),
            },
            Check::Min(bound) => compare(value, |n| n >= *bound, || format!("at least {bound}")),
            Check::Max(bound) => compare(value, |n| n <= *bound, || format!("at most {bound}")),
            Check::Any(_) | Check::All(_) | Check::None(_) => self.on_items(&[value]),
        }
    }

    /// A quantifier's verdict over the selected elements.
    pub fn on_items(&self, items: &[&Value]) -> Verdict {
        let (conditions, kind) = match self {
            Check::Any(c) => (c, "any"),
            Check::All(c) => (c, "all"),
            Check::None(c) => (c, "none"),
            single => {
                return items
                    .iter()
                    .map(|item| single.on_value(item))
                    .find(|v| *v != Verdict::Pass)
                    .unwrap_or(Verdict::Pass)
            }
        };
        let mut matching = Vec::new();
        let mut not_matching = Vec::new();
        for item in items {
            match element_meets(item, conditions) {
                Ok(true) => matching.push(*item),
                Ok(false) => not_matching.push(*item),
                Err(e) => return Verdict::Error(e),
            }
        }
        match kind {
            "any" if matching.is_empty() => Verdict::Fail(format!(
                "none of {} element(s) meets the conditions",
                items.len()
            )),
            "all" if !not_matching.is_empty() => Verdict::Fail(format!(
                "{} of {} element(s) do not meet the conditions: {}",
                not_matching.len(),
                items.len(),
                list(&not_matching)
            )),
            "none" if !matching.is_empty() => Verdict::Fail(format!(
                "{} element(s) meet the conditions: {}",
                matching.len(),
                list(&matching)
            )),
            _ => Verdict::Pass,
        }
    }
}

impl CheckSet {
    /// The first non-passing verdict of the set on one present value.
    pub fn on_value(&self, value: &Value) -> Verdict {
        self.0
            .iter()
            .map(|c| c.on_value(value))
            .find(|v| *v != Verdict::Pass)
            .unwrap_or(Verdict::Pass)
    }
}

/// Whether one element meets every field condition. An absent field meets only checks that
/// accept absence (`exists = false`); a type error is reported, not guessed.
fn element_meets(item: &Value, conditions: &[FieldCondition]) -> Result<bool, String> {
    for condition in conditions {
        let value = condition.field.get(item).filter(|v| !v.is_null());
        for check in &condition.checks.0 {
            let verdict = match value {
                Some(v) => check.on_value(v),
                None if check.accepts_absent() => check.on_absent(condition.field.as_str()),
                None => return Ok(false),
            };
            match verdict {
                Verdict::Pass => {}
                Verdict::Fail(_) => return Ok(false),
                Verdict::Error(e) => return Err(format!("{}: {e}", condition.field)),
            }
        }
    }
    Ok(true)
}

fn expect(want: bool, describe: impl Fn() -> String) -> Verdict {
    if want {
        Verdict::Pass
    } else {
        Verdict::Fail(describe())
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Equality with typed comparisons: a number in the policy compares numerically with a
/// numeric string from the server (params are strings in MLflow).
fn loosely_equal(actual: &Value, expected: &Value) -> Result<bool, String> {
    match (actual, expected) {
        (_, Value::Number(n)) => {
            let want = n.as_f64().unwrap_or(f64::NAN);
            match as_number(actual) {
                Some(got) => Ok((got - want).abs() <= f64::EPSILON * want.abs().max(1.0)),
                None => Err(format!(
                    "{} is not a number, cannot compare with {n}",
                    show(actual)
                )),
            }
        }
        (Value::String(a), Value::String(b)) => Ok(a == b),
        (Value::Bool(a), Value::Bool(b)) => Ok(a == b),
        (Value::String(a), Value::Bool(b)) => Ok(a.eq_ignore_ascii_case(&b.to_string())),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Ok(actual == expected)
        }
        (Value::Number(_), Value::String(_)) => {
            Ok(scalar_text(actual).as_deref() == expected.as_str())
        }
        _ => Err(format!(
            "{} and {} are of different types",
            show(actual),
            show(expected)
        )),
    }
}

fn compare(value: &Value, ok: impl Fn(f64) -> bool, bound: impl Fn() -> String) -> Verdict {
    match as_number(value) {
        Some(n) if ok(n) => Verdict::Pass,
        Some(_) => Verdict::Fail(format!("{} is not {}", show(value), bound())),
        None => Verdict::Error(format!("{} is not a number", show(value))),
    }
}

/// A number, or a string holding one (`"0.5"`); metric objects compare by their `value`.
pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o.get("value").and_then(as_number),
        _ => None,
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Compact JSON of a value, cut short when long.
pub fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 160 {
        let cut: String = text.chars().take(157).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn list(items: &[&Value]) -> String {
    items.iter().map(|v| show(v)).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(field: &str, checks: Vec<Check>) -> FieldCondition {
        FieldCondition {
            field: Selector::parse(field).unwrap(),
            checks: CheckSet(checks),
        }
    }

    #[test]
    fn scalar_checks_pass_fail_and_error() {
        assert_eq!(Check::NonEmpty(true).on_value(&json!("x")), Verdict::Pass);
        assert!(matches!(
            Check::NonEmpty(true).on_value(&json!({})),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            Check::NonEmpty(true).on_value(&json!("  ")),
            Verdict::Fail(_)
        ));
        assert_eq!(
            Check::Equals(json!(0.5)).on_value(&json!("0.5")),
            Verdict::Pass
        );
        assert!(matches!(
            Check::Equals(json!(1)).on_value(&json!("abc")),
            Verdict::Error(_)
        ));
        assert_eq!(
            Check::OneOf(vec![json!("a"), json!("b")]).on_value(&json!("b")),
            Verdict::Pass
        );
        assert!(matches!(
            Check::OneOf(vec![json!("a")]).on_value(&json!("c")),
            Verdict::Fail(_)
        ));
        let re = Check::Matches(Regex::new("^[0-9a-f]{40}$").unwrap());
        assert!(matches!(re.on_value(&json!("xyz")), Verdict::Fail(_)));
        assert!(matches!(re.on_value(&json!([1])), Verdict::Error(_)));
        assert_eq!(
            Check::Min(0.8).on_value(&json!({"value": 0.81})),
            Verdict::Pass
        );
        assert!(matches!(
            Check::Max(1.0).on_value(&json!("2")),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            Check::Min(1.0).on_value(&json!(true)),
            Verdict::Error(_)
        ));
    }

    #[test]
    fn absent_values_fail_presence_checks_and_error_the_rest() {
        assert!(matches!(
            Check::Exists(true).on_absent("a"),
            Verdict::Fail(_)
        ));
        assert_eq!(Check::Exists(false).on_absent("a"), Verdict::Pass);
        assert!(matches!(
            Check::Equals(json!(1)).on_absent("a"),
            Verdict::Error(_)
        ));
    }

    #[test]
    fn quantifiers_over_acl_entries() {
        let entries = [
            json!({"principal": "admins", "principal_type": "group", "level": "CAN_MANAGE"}),
            json!({"principal": "users", "principal_type": "group", "level": "CAN_MANAGE"}),
        ];
        let items: Vec<&Value> = entries.iter().collect();
        let users_manage = vec![
            cond("principal", vec![Check::Equals(json!("users"))]),
            cond("principal_type", vec![Check::Equals(json!("group"))]),
            cond("level", vec![Check::OneOf(vec![json!("CAN_MANAGE")])]),
        ];
        assert!(
            matches!(Check::None(users_manage.clone()).on_items(&items), Verdict::Fail(m) if m.contains("users"))
        );
        assert_eq!(
            Check::Any(users_manage.clone()).on_items(&items),
            Verdict::Pass
        );
        assert!(matches!(
            Check::All(users_manage.clone()).on_items(&items),
            Verdict::Fail(_)
        ));
        assert_eq!(
            Check::None(users_manage).on_items(&items[..1]),
            Verdict::Pass
        );
        let typed = vec![cond("level", vec![Check::Min(1.0)])];
        assert!(matches!(
            Check::Any(typed).on_items(&items),
            Verdict::Error(_)
        ));
    }
}
