//! Checks on one value at a time, and on a value known to be absent.

use serde_json::Value;

use super::{Absent, Check, Context, Verdict};

/// The verdict of a value check on a present value.
pub(super) fn on_value(check: &Check, value: &Value, cx: Context<'_>) -> Verdict {
    match check {
        Check::Exists(want) | Check::Absent(want) => {
            let wants_presence = matches!(check, Check::Exists(_)) == *want;
            if wants_presence {
                Verdict::Pass
            } else {
                Verdict::Fail(format!("{} is present", cx.show(value)))
            }
        }
        Check::NonEmpty(want) | Check::Empty(want) => {
            let wants_content = matches!(check, Check::NonEmpty(_)) == *want;
            match (is_empty(value), wants_content) {
                (true, true) => Verdict::Fail(format!("{} is empty", cx.show(value))),
                (false, false) => Verdict::Fail(format!("{} is not empty", cx.show(value))),
                _ => Verdict::Pass,
            }
        }
        Check::Equals(expected) => match loosely_equal(value, expected, cx) {
            Ok(true) => Verdict::Pass,
            Ok(false) => Verdict::Fail(format!(
                "found {}, expected {}",
                cx.show(value),
                show(expected)
            )),
            Err(e) => Verdict::Error(e),
        },
        Check::NotEquals(unwanted) => match loosely_equal(value, unwanted, cx) {
            Ok(false) => Verdict::Pass,
            Ok(true) => Verdict::Fail(format!("found {}, which is not allowed", cx.show(value))),
            Err(e) => Verdict::Error(e),
        },
        Check::OneOf(options) | Check::NoneOf(options) => {
            let mut hit = false;
            for option in options {
                match loosely_equal(value, option, cx) {
                    Ok(true) => hit = true,
                    Ok(false) => {}
                    Err(e) => return Verdict::Error(e),
                }
            }
            let list = options.iter().map(show).collect::<Vec<_>>().join(", ");
            match (matches!(check, Check::OneOf(_)), hit) {
                (true, false) => {
                    Verdict::Fail(format!("found {}, expected one of {list}", cx.show(value)))
                }
                (false, true) => Verdict::Fail(format!(
                    "found {}, which is one of the forbidden {list}",
                    cx.show(value)
                )),
                _ => Verdict::Pass,
            }
        }
        Check::Matches(regex) | Check::NotMatches(regex) => match scalar_text(value) {
            Some(text) => match (matches!(check, Check::Matches(_)), regex.is_match(&text)) {
                (true, false) => Verdict::Fail(format!(
                    "{} does not match /{}/",
                    cx.show(value),
                    regex.as_str()
                )),
                (false, true) => Verdict::Fail(format!(
                    "{} matches /{}/, which it must not",
                    cx.show(value),
                    regex.as_str()
                )),
                _ => Verdict::Pass,
            },
            None => Verdict::Error(format!(
                "{} is not text; a regular expression needs a string",
                cx.show(value)
            )),
        },
        Check::Contains(needle) => contains(value, needle, cx),
        Check::Min(bound) => compare(value, |n| n >= *bound, || format!("at least {bound}"), cx),
        Check::Max(bound) => compare(value, |n| n <= *bound, || format!("at most {bound}"), cx),
        Check::MinLength(n) | Check::MaxLength(n) => {
            let Some(len) = length(value) else {
                return Verdict::Error(format!(
                    "{} has no length (it is not text, a list or a table)",
                    cx.show(value)
                ));
            };
            match (matches!(check, Check::MinLength(_)), len) {
                (true, len) if len < *n => Verdict::Fail(format!(
                    "{} has length {len}, less than {n}",
                    cx.show(value)
                )),
                (false, len) if len > *n => Verdict::Fail(format!(
                    "{} has length {len}, more than {n}",
                    cx.show(value)
                )),
                _ => Verdict::Pass,
            }
        }
        // Collection checks and combinators are evaluated on the whole selection.
        _ => Verdict::Error(format!(
            "`{}` is not a check on one value",
            check.describe()
        )),
    }
}

/// The verdict of a value check on a value known to be absent (inside a gathered section, or
/// a list element's field): it meets no positive condition — a failure saying what is
/// missing — and holds no forbidden value. A section that was not gathered never gets here:
/// the engine reports it as an error (or skipped) before any check runs.
pub(super) fn on_absent(check: &Check, absent: &Absent) -> Verdict {
    match check {
        Check::Exists(false)
        | Check::Absent(true)
        | Check::NonEmpty(false)
        | Check::Empty(true)
        | Check::NotEquals(_)
        | Check::NoneOf(_)
        | Check::NotMatches(_)
        | Check::MaxLength(_) => Verdict::Pass,
        _ => Verdict::Fail(absent.what.clone()),
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

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn length(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        Value::Object(o) => Some(o.len()),
        _ => None,
    }
}

/// Text: substring; list: an element equal to the needle; table: a key named by it.
fn contains(value: &Value, needle: &Value, cx: Context<'_>) -> Verdict {
    let found = match value {
        Value::String(text) => match scalar_text(needle) {
            Some(n) => text.contains(&n),
            None => return Verdict::Error(format!("cannot look for {} inside text", show(needle))),
        },
        Value::Array(items) => {
            let mut hit = false;
            for item in items {
                match loosely_equal(item, needle, cx) {
                    Ok(true) => hit = true,
                    Ok(false) => {}
                    // A list of mixed kinds: an element of the needle's kind may still match.
                    Err(_) if items.iter().any(|i| same_kind(i, needle)) => {}
                    Err(e) => return Verdict::Error(e),
                }
            }
            hit
        }
        Value::Object(map) => match needle.as_str() {
            Some(key) => map.contains_key(key),
            None => {
                return Verdict::Error(format!(
                    "table keys are text; cannot look for {}",
                    show(needle)
                ))
            }
        },
        other => {
            return Verdict::Error(format!("{} is not text, a list or a table", cx.show(other)))
        }
    };
    if found {
        Verdict::Pass
    } else {
        Verdict::Fail(format!(
            "{} does not contain {}",
            cx.show(value),
            show(needle)
        ))
    }
}

/// Equality with typed comparisons: a number in the policy compares numerically with a
/// numeric string from the server (params are strings in MLflow).
pub(super) fn loosely_equal(
    actual: &Value,
    expected: &Value,
    cx: Context<'_>,
) -> Result<bool, String> {
    match (actual, expected) {
        (_, Value::Number(n)) => {
            let want = n.as_f64().unwrap_or(f64::NAN);
            match as_number(actual) {
                Some(got) => Ok((got - want).abs() <= f64::EPSILON * want.abs().max(1.0)),
                None => Err(format!(
                    "{} is not a number, cannot compare with {n}",
                    cx.show(actual)
                )),
            }
        }
        (Value::String(a), Value::String(b)) => Ok(a == b),
        (Value::Bool(a), Value::Bool(b)) => Ok(a == b),
        (Value::String(a), Value::Bool(b)) => Ok(a.eq_ignore_ascii_case(&b.to_string())),
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => Ok(actual == expected),
        // A list or table against a single value (or the other way round) is a type mismatch:
        // `none_of = ["champion"]` on a list of aliases must not quietly pass.
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => Err(format!(
            "{} and {} are of different types (a list or table against a single value); use `contains` or a quantifier",
            cx.show(actual),
            show(expected)
        )),
        (Value::Number(_), Value::String(_)) => {
            Ok(scalar_text(actual).as_deref() == expected.as_str())
        }
        _ => Err(format!(
            "{} and {} are of different types",
            cx.show(actual),
            show(expected)
        )),
    }
}

fn compare(
    value: &Value,
    ok: impl Fn(f64) -> bool,
    bound: impl Fn() -> String,
    cx: Context<'_>,
) -> Verdict {
    match as_number(value) {
        Some(n) if ok(n) => Verdict::Pass,
        Some(_) => Verdict::Fail(format!("{} is not {}", cx.show(value), bound())),
        None => Verdict::Error(format!("{} is not a number", cx.show(value))),
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
