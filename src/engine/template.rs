//! Message templates: `{registered_model.name}`, `{value}`, `{count}`, `{path}`.

use serde_json::Value;

use super::selector::Selector;

/// Renders a template. Placeholders that resolve to nothing render as `<missing>`, so a
/// message never silently drops a fact; `{{` and `}}` are literal braces.
pub fn render(template: &str, doc: &Value, values: &[&Value], path: &str) -> String {
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
        out.push_str(&placeholder(&tail[1..end], doc, values, path));
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

fn placeholder(name: &str, doc: &Value, values: &[&Value], path: &str) -> String {
    match name.trim() {
        "value" => match values {
            [] => "<missing>".to_string(),
            [one] => plain(one),
            many => many.iter().map(|v| plain(v)).collect::<Vec<_>>().join(", "),
        },
        "count" => match values {
            [Value::Array(list)] => list.len().to_string(),
            [Value::Object(map)] => map.len().to_string(),
            _ => values.len().to_string(),
        },
        "path" => path.to_string(),
        other => Selector::parse(other)
            .ok()
            .and_then(|s| s.get(doc).map(plain))
            .unwrap_or_else(|| "<missing>".to_string()),
    }
}

/// Strings without quotes; everything else as compact JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => super::check::show(other),
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
            &doc,
            &[&v],
            "run.params",
        );
        assert_eq!(out, "model churn: 0 params {literal} <missing>");
        assert_eq!(placeholders("{a} {{b}} {c.d}"), [(1, "a"), (11, "c.d")]);
    }
}
