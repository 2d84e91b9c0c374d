//! Compiling `[[waiver]]` tables: every waiver needs a rule, a reason, an owner and an expiry.

use toml::de::DeValue;

use super::raw::{Problems, RawWaiver};
use crate::engine::Waiver;
use crate::error_code::Code;
use crate::timefmt;

/// The keys a waiver may have.
pub const WAIVER_KEYS: [&str; 6] = ["rule", "model", "versions", "reason", "owner", "expires"];

/// A waiver and the span of its `rule` value (to report an unknown rule id).
pub struct Compiled {
    pub waiver: Waiver,
    pub rule_span: std::ops::Range<usize>,
}

/// Compiles one waiver; `None` when it has problems (already recorded).
pub fn compile(raw: &RawWaiver<'_, '_>, source: &str, problems: &mut Problems) -> Option<Compiled> {
    let before = problems.list.len();
    let mut text = |key: &str| -> Option<(String, std::ops::Range<usize>)> {
        let (_, v) = raw
            .table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)?;
        match v.get_ref() {
            DeValue::String(s) if !s.trim().is_empty() => Some((s.to_string(), v.span())),
            DeValue::String(_) => {
                problems.push(
                    Code::PolicyWaiverField,
                    v.span(),
                    "empty",
                    format!("waiver `{key}` is empty"),
                    None,
                );
                None
            }
            DeValue::Datetime(d) if key == "expires" => Some((d.to_string(), v.span())),
            _ => {
                problems.wrong_type(
                    v,
                    key,
                    if key == "expires" {
                        "a date (`2026-12-31`)"
                    } else {
                        "a string"
                    },
                );
                None
            }
        }
    };
    let rule = text("rule");
    let model = text("model");
    let reason = text("reason");
    let owner = text("owner");
    let expires = text("expires");
    for (key, _) in raw.table {
        if !WAIVER_KEYS.contains(&key.get_ref().as_ref()) {
            problems.unknown_key(Code::PolicyUnknownKey, key, &WAIVER_KEYS, "a waiver");
        }
    }
    let head = raw.span.start..raw.span.start + 1;
    let missing: Vec<&str> = [
        ("rule", &rule),
        ("reason", &reason),
        ("owner", &owner),
        ("expires", &expires),
    ]
    .into_iter()
    .filter(|(key, value)| {
        value.is_none() && !raw.table.iter().any(|(k, _)| k.get_ref().as_ref() == *key)
    })
    .map(|(key, _)| key)
    .collect();
    if !missing.is_empty() {
        problems.push(
            Code::PolicyWaiverIncomplete,
            head,
            "in this waiver",
            format!("waiver is missing {}", missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")),
            Some("a waiver needs `rule`, `reason` (why the failure is accepted), `owner` (who answers for it) and `expires` (a date): an exception without an end is a policy change".into()),
        );
    }
    let expires_day = match &expires {
        Some((date, span)) => {
            let day = timefmt::parse_date(date.get(..10).unwrap_or(date));
            if day.is_none() || date.len() != 10 {
                problems.push(
                    Code::PolicyBadDate,
                    span.clone(),
                    "not a date",
                    format!("`expires` is not a date: `{date}`"),
                    Some("write it as `expires = 2026-12-31`".into()),
                );
            }
            day
        }
        None => None,
    };
    let versions = match raw
        .table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "versions")
    {
        None => Vec::new(),
        Some((_, v)) => {
            if let DeValue::Array(items) = v.get_ref() {
                if items.is_empty() {
                    // An empty list used to mean "every version": the opposite of what it says.
                    problems.push(
                        Code::PolicyWaiverField,
                        v.span(),
                        "no versions listed",
                        "waiver `versions` is empty",
                        Some("list the versions it covers (`versions = [\"3\"]`), or leave `versions` out to waive every version of the model".into()),
                    );
                }
                items
                    .iter()
                    .filter_map(|i| match i.get_ref() {
                        DeValue::String(s) => Some(s.to_string()),
                        DeValue::Integer(n) => Some(n.as_str().to_string()),
                        _ => {
                            problems.wrong_type(i, "versions", "version numbers");
                            None
                        }
                    })
                    .collect()
            } else {
                problems.wrong_type(
                    v,
                    "versions",
                    "an array of version numbers, e.g. `[\"1\", \"2\"]`",
                );
                Vec::new()
            }
        }
    };
    if problems.list.len() > before {
        return None;
    }
    let (rule, rule_span) = rule?;
    Some(Compiled {
        waiver: Waiver {
            rule,
            model: model.map(|m| m.0),
            versions,
            reason: reason?.0,
            owner: owner?.0,
            expires: expires?.0,
            expires_day: expires_day?,
            source: source.to_string(),
            span: raw.span.clone(),
        },
        rule_span,
    })
}
