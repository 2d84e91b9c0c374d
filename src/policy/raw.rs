//! First phase of policy loading: the TOML document, walked with spans kept, into raw rules.
//!
//! Structural problems (syntax, unknown or missing keys, wrong value types, bad severities)
//! are collected here rather than stopping at the first, so one run shows them all.

use std::ops::Range;
use std::sync::Arc;

use miette::NamedSource;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::PolicyProblem;
use crate::error_code::Code;
use crate::suggest;

/// A value with the byte span it came from.
#[derive(Debug, Clone)]
pub(super) struct Sp<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// A rule as written, before its selector and check are compiled.
#[derive(Debug)]
pub(super) struct RawRule<'a, 'i> {
    pub id: Option<Sp<String>>,
    pub title: Option<Sp<String>>,
    pub severity: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub remediation: Option<Sp<String>>,
    pub select: Option<Sp<String>>,
    pub message: Option<Sp<String>>,
    pub check: Option<&'a Spanned<DeValue<'i>>>,
    pub when: Option<&'a Spanned<DeValue<'i>>>,
}

/// A `[[waiver]]` table as written, compiled by `waiver.rs`.
#[derive(Debug)]
pub(super) struct RawWaiver<'a, 'i> {
    pub span: Range<usize>,
    pub table: &'a DeTable<'i>,
}

/// The keys a `[[rule]]` table may have.
pub(super) const RULE_KEYS: [&str; 9] = [
    "id",
    "title",
    "severity",
    "description",
    "remediation",
    "select",
    "check",
    "message",
    "when",
];

const TOP_KEYS: [&str; 3] = ["policy", "rule", "waiver"];
const POLICY_KEYS: [&str; 2] = ["name", "description"];

/// The problems found so far, with the file they concern.
pub(super) struct Problems {
    pub source: Arc<NamedSource<String>>,
    pub list: Vec<PolicyProblem>,
}

impl Problems {
    pub(super) fn push(
        &mut self,
        code: Code,
        span: Range<usize>,
        label: impl Into<String>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let mut p = PolicyProblem::new(code, &self.source, span, label, message);
        p.help = help;
        self.list.push(p);
    }

    /// Reports an unknown key, suggesting the closest known one.
    pub(super) fn unknown_key(
        &mut self,
        code: Code,
        key: &Spanned<toml::de::DeString<'_>>,
        known: &[&str],
        what: &str,
    ) {
        let help = suggest::closest(key.get_ref(), known.iter().copied()).map_or_else(
            || format!("{what} may have: {}", known.join(", ")),
            |s| format!("did you mean `{s}`?"),
        );
        self.push(
            code,
            key.span(),
            "not recognised here",
            format!(
                "unknown {} `{}`",
                if code == Code::PolicyUnknownCheck {
                    "check"
                } else {
                    "key"
                },
                key.get_ref()
            ),
            Some(help),
        );
    }

    pub(super) fn wrong_type(&mut self, value: &Spanned<DeValue<'_>>, key: &str, expected: &str) {
        self.push(
            Code::PolicyWrongType,
            value.span(),
            format!("this is {}", describe(value.get_ref())),
            format!("`{key}` must be {expected}"),
            None,
        );
    }
}

/// Walks a parsed document into raw rules and waivers, recording structural problems.
pub(super) fn document<'a, 'i>(
    doc: &'a Spanned<DeTable<'i>>,
    problems: &mut Problems,
) -> (Vec<RawRule<'a, 'i>>, Vec<RawWaiver<'a, 'i>>) {
    let mut rules = Vec::new();
    let mut waivers = Vec::new();
    for (key, value) in doc.get_ref() {
        match key.get_ref().as_ref() {
            "policy" => match value.get_ref() {
                DeValue::Table(table) => {
                    for (k, v) in table {
                        if !POLICY_KEYS.contains(&k.get_ref().as_ref()) {
                            problems.unknown_key(
                                Code::PolicyUnknownKey,
                                k,
                                &POLICY_KEYS,
                                "[policy]",
                            );
                        } else if !matches!(v.get_ref(), DeValue::String(_)) {
                            problems.wrong_type(v, k.get_ref(), "a string");
                        }
                    }
                }
                _ => problems.wrong_type(value, "policy", "a table (`[policy]`)"),
            },
            "rule" => match value.get_ref() {
                DeValue::Array(items) => {
                    for item in items {
                        match item.get_ref() {
                            DeValue::Table(table) => rules.push(rule(item.span(), table, problems)),
                            _ => problems.wrong_type(item, "rule", "a table (`[[rule]]`)"),
                        }
                    }
                }
                _ => problems.wrong_type(value, "rule", "an array of tables (`[[rule]]`)"),
            },
            "waiver" => match value.get_ref() {
                DeValue::Array(items) => {
                    for item in items {
                        match item.get_ref() {
                            DeValue::Table(table) => waivers.push(RawWaiver {
                                span: item.span(),
                                table,
                            }),
                            _ => problems.wrong_type(item, "waiver", "a table (`[[waiver]]`)"),
                        }
                    }
                }
                _ => problems.wrong_type(value, "waiver", "an array of tables (`[[waiver]]`)"),
            },
            _ => problems.unknown_key(Code::PolicyUnknownKey, key, &TOP_KEYS, "a policy file"),
        }
    }
    (rules, waivers)
}

fn rule<'a, 'i>(
    span: Range<usize>,
    table: &'a DeTable<'i>,
    problems: &mut Problems,
) -> RawRule<'a, 'i> {
    let mut raw = RawRule {
        id: None,
        title: None,
        severity: None,
        description: None,
        remediation: None,
        select: None,
        message: None,
        check: None,
        when: None,
    };
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let slot = match name {
            "id" => &mut raw.id,
            "title" => &mut raw.title,
            "severity" => &mut raw.severity,
            "description" => &mut raw.description,
            "remediation" => &mut raw.remediation,
            "select" => &mut raw.select,
            "message" => &mut raw.message,
            "when" => {
                raw.when = table_value(
                    value,
                    "when",
                    "a table, e.g. `when = { target = [\"Production\"] }`",
                    problems,
                );
                continue;
            }
            "check" => {
                raw.check = table_value(
                    value,
                    "check",
                    "a table, e.g. `check = { non_empty = true }`",
                    problems,
                );
                continue;
            }
            _ => {
                problems.unknown_key(Code::PolicyUnknownKey, key, &RULE_KEYS, "a rule");
                continue;
            }
        };
        match value.get_ref() {
            DeValue::String(s) => {
                *slot = Some(Sp {
                    value: s.to_string(),
                    span: value.span(),
                });
            }
            _ => problems.wrong_type(value, name, "a string"),
        }
    }
    missing_keys(&span, table, &raw, problems);
    check_severity(&raw, problems);
    raw
}

/// `value` when it is a table; otherwise reports it as `key` of the wrong type.
fn table_value<'a, 'i>(
    value: &'a Spanned<DeValue<'i>>,
    key: &str,
    expected: &str,
    problems: &mut Problems,
) -> Option<&'a Spanned<DeValue<'i>>> {
    if matches!(value.get_ref(), DeValue::Table(_)) {
        Some(value)
    } else {
        problems.wrong_type(value, key, expected);
        None
    }
}

/// Reports the required keys a rule leaves out.
fn missing_keys(
    span: &Range<usize>,
    table: &DeTable<'_>,
    raw: &RawRule<'_, '_>,
    problems: &mut Problems,
) {
    // A rule table's span covers its body; point missing keys at its start.
    let head = span.start
        ..span
            .start
            .saturating_add(1)
            .min(span.end.max(span.start + 1));
    let missing: Vec<&str> = [
        ("id", raw.id.is_some()),
        ("title", raw.title.is_some()),
        ("severity", raw.severity.is_some()),
        ("description", raw.description.is_some()),
        ("select", raw.select.is_some()),
        ("check", raw.check.is_some()),
    ]
    .into_iter()
    // A key that is written but wrong has its own problem already.
    .filter(|(key, present)| !present && !table.iter().any(|(k, _)| k.get_ref().as_ref() == *key))
    .map(|(key, _)| key)
    .collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
        problems.push(
            Code::PolicyMissingKey,
            head,
            "in this rule",
            format!(
                "rule is missing required key{} {}",
                if missing.len() == 1 { "" } else { "s" },
                list.join(", ")
            ),
            Some("every rule needs id, title, severity, description, select and check".into()),
        );
    }
}

/// Reports a severity that is not one of the known names.
fn check_severity(raw: &RawRule<'_, '_>, problems: &mut Problems) {
    if let Some(sev) = &raw.severity {
        if crate::engine::Severity::parse(&sev.value).is_none() {
            let help = suggest::closest(&sev.value, crate::engine::Severity::NAMES).map_or_else(
                || "use `error`, `warning` or `info`".to_string(),
                |s| format!("did you mean `{s}`?"),
            );
            problems.push(
                Code::PolicyBadSeverity,
                sev.span.clone(),
                "not a severity",
                format!("unknown severity `{}`", sev.value),
                Some(help),
            );
        }
    }
}

/// A short description of a TOML value's type, for messages.
pub(super) fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}
