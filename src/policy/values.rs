//! TOML values as the rules compare them: JSON for `equals` / `one_of` and templates, numbers
//! for thresholds (underscores allowed, never NaN or infinite). A leaf, so the check,
//! comparison and scope readers share it without importing each other.

use serde_json::Value;
use toml::de::{DeTable, DeValue};

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

pub(super) fn number(value: &DeValue<'_>) -> Option<f64> {
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
