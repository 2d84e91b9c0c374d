//! Compiling `[[waiver]]` tables: every waiver needs a rule, a reason, an owner and an expiry.

use toml::de::DeValue;

use super::raw::{Problems, RawWaiver};
use crate::engine::Waiver;
use crate::error_code::Code;
use crate::timefmt;

/// The keys a waiver may have.
pub(super) const WAIVER_KEYS: [&str; 6] =
    ["rule", "model", "versions", "reason", "owner", "expires"];

/// A waiver and the span of its `rule` value (to report an unknown rule id).
pub(super) struct Compiled {
    pub waiver: Waiver,
    pub rule_span: std::ops::Range<usize>,
}

/// A waiver field's text and the span of its value.
type Field = Option<(String, std::ops::Range<usize>)>;

/// Compiles one waiver; `None` when it has problems (already recorded).
pub(super) fn compile(
    raw: &RawWaiver<'_, '_>,
    source: &str,
    problems: &mut Problems,
) -> Option<Compiled> {
    let before = problems.list.len();
    let rule = text(raw, "rule", problems);
    let model = text(raw, "model", problems);
    let reason = text(raw, "reason", problems);
    let owner = text(raw, "owner", problems);
    let expires = text(raw, "expires", problems);
    for (key, _) in raw.table {
        if !WAIVER_KEYS.contains(&key.get_ref().as_ref()) {
            problems.unknown_key(Code::PolicyUnknownKey, key, &WAIVER_KEYS, "a waiver");
        }
    }
    missing_keys(
        raw,
        [
            ("rule", &rule),
            ("reason", &reason),
            ("owner", &owner),
            ("expires", &expires),
        ],
        problems,
    );
    let expires_day = expires_day(expires.as_ref(), problems);
    let versions = versions(raw, problems);
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

/// The text of the waiver's `key` (a non-empty string; for `expires` also a TOML date).
fn text(raw: &RawWaiver<'_, '_>, key: &str, problems: &mut Problems) -> Field {
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
}

/// Reports the required keys the waiver leaves out (a key present with a bad value has
/// already been reported as such).
fn missing_keys(raw: &RawWaiver<'_, '_>, required: [(&str, &Field); 4], problems: &mut Problems) {
    let head = raw.span.start..raw.span.start + 1;
    let missing: Vec<&str> = required
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
}

/// The day of `expires`, reporting a value that is not a plain date.
fn expires_day(
    expires: Option<&(String, std::ops::Range<usize>)>,
    problems: &mut Problems,
) -> Option<i64> {
    let (date, span) = expires?;
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

/// The waiver's `versions` (empty when left out: every version).
fn versions(raw: &RawWaiver<'_, '_>, problems: &mut Problems) -> Vec<String> {
    let Some((_, v)) = raw
        .table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "versions")
    else {
        return Vec::new();
    };
    let DeValue::Array(items) = v.get_ref() else {
        problems.wrong_type(
            v,
            "versions",
            "an array of version numbers, e.g. `[\"1\", \"2\"]`",
        );
        return Vec::new();
    };
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
}
