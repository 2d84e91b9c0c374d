//! Message templates: `{registered_model.name}`, `{value}`, `{count}`, `{path}`.
//!
//! `{value}` shows what the selector found; a metric shows its number (`0.72`), and
//! `{value.step}`, `{value.timestamp}` (any path inside the selected value) reach the rest.

use serde_json::Value;

use super::check::Context;
use super::selector::Selector;

/// Renders a template. Placeholders that resolve to nothing render as `<missing>`, so a
/// message never silently drops a fact; `{{` and `}}` are literal braces.
pub(super) fn render(template: &str, cx: Context<'_>, values: &[&Value], path: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find(['{', '}']) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let Some(end) = tail.find('}').filter(|_| tail.starts_with('{')) else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        };
        out.push_str(&placeholder(&tail[1..end], cx, values, path));
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The names a template cites, for validation at load time.
pub fn placeholders(template: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut offset = 0;
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        if rest[start..].starts_with("{{") {
            offset += start + 2;
            rest = &rest[start + 2..];
            continue;
        }
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        found.push((offset + start + 1, &rest[start + 1..start + len]));
        offset += start + len + 1;
        rest = &rest[start + len + 1..];
    }
    found
}

/// Names a template may use besides snapshot paths.
pub const BUILTINS: [&str; 3] = ["value", "count", "path"];

/// Whether a placeholder shows the selected values: `{value}` or `{value.step}`.
pub fn cites_value(name: &str) -> bool {
    shown_part(name).is_some()
}

/// Whether a template shows the selected values anywhere.
pub(super) fn shows_value(template: &str) -> bool {
    placeholders(template)
        .into_iter()
        .any(|(_, name)| cites_value(name))
}

/// What a `{value…}` placeholder shows of each selected value.
enum Shown {
    /// `{value}`: the value itself (a metric's number).
    Whole,
    /// `{value.step}`: a path inside it.
    Inside(Selector),
}

fn shown_part(name: &str) -> Option<Shown> {
    match name.trim() {
        "value" => Some(Shown::Whole),
        other => other
            .strip_prefix("value.")
            .and_then(|rest| Selector::parse(rest).ok())
            .map(Shown::Inside),
    }
}

fn placeholder(name: &str, cx: Context<'_>, values: &[&Value], path: &str) -> String {
    if let Some(part) = shown_part(name) {
        let shown: Vec<String> = values
            .iter()
            .map(|v| match &part {
                // A metric `{value, timestamp, step}` reads as its number: `0.72`.
                Shown::Whole => plain(scalar_of(v), cx),
                Shown::Inside(path) => path
                    .get(v)
                    .map_or_else(|| "<missing>".to_string(), |v| plain(v, cx)),
            })
            .collect();
        return if shown.is_empty() {
            "<missing>".to_string()
        } else {
            shown.join(", ")
        };
    }
    match name.trim() {
        "count" => match values {
            [Value::Array(list)] => list.len().to_string(),
            [Value::Object(map)] => map.len().to_string(),
            _ => values.len().to_string(),
        },
        "path" => path.to_string(),
        other => Selector::parse(other)
            .ok()
            .and_then(|s| s.get(cx.doc).map(|v| plain(v, cx)))
            .unwrap_or_else(|| "<missing>".to_string()),
    }
}

/// What a value stands for in a sentence: a metric (`{"value": 0.72, "step": 3, …}`) is its
/// `value`, as the checks compare it (see `check::as_number`); anything else is itself.
fn scalar_of(value: &Value) -> &Value {
    match value {
        Value::Object(o) => match o.get("value") {
            Some(v @ (Value::Number(_) | Value::String(_) | Value::Bool(_))) => v,
            _ => value,
        },
        _ => value,
    }
}

/// Strings without quotes; everything else as compact JSON; as redacted when it is.
fn plain(value: &Value, cx: Context<'_>) -> String {
    match cx.masks.map(|m| m.apply(value)) {
        Some(Value::String(s)) => s,
        Some(other) => super::check::show(&other),
        None => match value {
            Value::String(s) => s.clone(),
            other => super::check::show(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_paths_values_and_braces() {
        let doc = json!({"registered_model": {"name": "churn"}});
        let v = json!({});
        let out = render(
            "model {registered_model.name}: {count} params {{literal}} {nope.x}",
            Context {
                doc: &doc,
                masks: None,
            },
            &[&v],
            "run.params",
        );
        assert_eq!(out, "model churn: 0 params {literal} <missing>");
        assert_eq!(placeholders("{a} {{b}} {c.d}"), [(1, "a"), (11, "c.d")]);
    }

    #[test]
    fn a_metric_value_renders_as_its_number() {
        let doc = json!({});
        let metric = json!({"value": 0.72, "timestamp": 1_700_000_000_000_i64, "step": 3});
        let out = render(
            "accuracy {value} at step {value.step} ({value.timestamp}, {value.nope})",
            Context {
                doc: &doc,
                masks: None,
            },
            &[&metric],
            "run.metrics.accuracy",
        );
        assert_eq!(out, "accuracy 0.72 at step 3 (1700000000000, <missing>)");
        // Other values are unchanged: text without quotes, tables as JSON.
        let table = json!({"a": 1});
        assert_eq!(
            render("{value}", Context::EMPTY, &[&table], "x"),
            r#"{"a":1}"#
        );
        assert_eq!(render("{value}", Context::EMPTY, &[], "x"), "<missing>");
        assert!(cites_value("value") && cites_value(" value.step ") && !cites_value("values"));
    }
}
