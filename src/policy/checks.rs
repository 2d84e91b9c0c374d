//! Compiling check tables (`check = { ... }`, quantifier conditions, combinator branches)
//! from spanned TOML into engine checks, reporting every problem with its span.

use regex::Regex;
use serde_json::Value;
use toml::de::DeValue;
use toml::Spanned;

use super::raw::{Problems, Sp};
use super::selectors::walk;
use super::values::{number, to_json};
use crate::engine::check::check_names;
use crate::engine::{Check, CheckSet, Conditions, FieldCondition, Selector};
use crate::error_code::Code;
use crate::snapshot::schema::Node;

/// Compiles a check table evaluated against `node` (the schema node the selector reached);
/// `within` names the selection in messages.
pub(super) fn check_set(
    value: &Spanned<DeValue<'_>>,
    node: &'static Node,
    within: &str,
    problems: &mut Problems,
) -> Option<CheckSet> {
    let DeValue::Table(table) = value.get_ref() else {
        problems.wrong_type(value, "check", "a table, e.g. `{ non_empty = true }`");
        return None;
    };
    if table.is_empty() {
        problems.push(
            Code::PolicyEmptyCheck,
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
        if check_names().contains(&key.get_ref().as_ref()) {
            match one_check(key.get_ref(), v, node, within, problems) {
                Some(c) => checks.push(c),
                None => ok = false,
            }
        } else {
            problems.unknown_key(Code::PolicyUnknownCheck, key, &check_names(), "a check");
            ok = false;
        }
    }
    ok.then_some(CheckSet(checks))
}

fn flag(name: &str, v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<bool> {
    if let DeValue::Boolean(b) = v.get_ref() {
        Some(*b)
    } else {
        problems.wrong_type(v, name, "`true` or `false`");
        None
    }
}

fn count(name: &str, v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<usize> {
    match to_json(v.get_ref())
        .and_then(|j| j.as_u64())
        .and_then(|n| usize::try_from(n).ok())
    {
        Some(n) if matches!(v.get_ref(), DeValue::Integer(_)) => Some(n),
        _ => {
            problems.wrong_type(v, name, "a whole number (0 or more)");
            None
        }
    }
}

fn regex(name: &str, v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<Regex> {
    let DeValue::String(s) = v.get_ref() else {
        problems.wrong_type(v, name, "a string holding a regular expression");
        return None;
    };
    match Regex::new(s) {
        Ok(re) => Some(re),
        Err(e) => {
            let detail = e.to_string();
            let last = detail
                .lines()
                .last()
                .unwrap_or("invalid regular expression")
                .trim()
                .to_string();
            problems.push(
                Code::PolicyBadRegex,
                v.span(),
                "invalid regular expression",
                format!("`{name}` is not a valid regular expression: {last}"),
                Some("the syntax is Rust's `regex` crate (no look-around or backreferences); escape `\\` as `\\\\` in basic TOML strings, or use a 'literal string'".into()),
            );
            None
        }
    }
}

fn values(name: &str, v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<Vec<Value>> {
    match v.get_ref() {
        DeValue::Array(items) if !items.is_empty() => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                // Each value is checked, so `[nan]` is reported rather than dropping the rule.
                out.push(value(name, item, problems));
            }
            out.into_iter().collect()
        }
        _ => {
            problems.wrong_type(v, name, "a non-empty array of values");
            None
        }
    }
}

fn value(name: &str, v: &Spanned<DeValue<'_>>, problems: &mut Problems) -> Option<Value> {
    let json = to_json(v.get_ref());
    if json.is_none() {
        problems.wrong_type(v, name, "a string, number, boolean, array or table");
    }
    json
}

/// One check; `None` when it has problems (already recorded).
fn one_check(
    name: &str,
    v: &Spanned<DeValue<'_>>,
    node: &'static Node,
    within: &str,
    problems: &mut Problems,
) -> Option<Check> {
    Some(match name {
        "exists" => Check::Exists(flag(name, v, problems)?),
        "absent" => Check::Absent(flag(name, v, problems)?),
        "non_empty" => Check::NonEmpty(flag(name, v, problems)?),
        "empty" => Check::Empty(flag(name, v, problems)?),
        "equals" => Check::Equals(value(name, v, problems)?),
        "not_equals" => Check::NotEquals(value(name, v, problems)?),
        "contains" => Check::Contains(value(name, v, problems)?),
        "one_of" => Check::OneOf(values(name, v, problems)?),
        "none_of" => Check::NoneOf(values(name, v, problems)?),
        "matches" => Check::Matches(regex(name, v, problems)?),
        "not_matches" => Check::NotMatches(regex(name, v, problems)?),
        "min" | "max" => {
            let Some(n) = number(v.get_ref()) else {
                problems.wrong_type(v, name, "a number");
                return None;
            };
            if name == "min" {
                Check::Min(n)
            } else {
                Check::Max(n)
            }
        }
        "min_length" => Check::MinLength(count(name, v, problems)?),
        "max_length" => Check::MaxLength(count(name, v, problems)?),
        "count_min" => Check::CountMin(count(name, v, problems)?),
        "count_max" => Check::CountMax(count(name, v, problems)?),
        "any" | "all" | "none" => {
            let element = node.element().unwrap_or(node);
            let c = conditions(v, element, within, problems)?;
            match name {
                "any" => Check::Any(c),
                "all" => Check::All(c),
                _ => Check::None(c),
            }
        }
        "all_of" | "any_of" => {
            let DeValue::Array(items) = v.get_ref() else {
                problems.wrong_type(
                    v,
                    name,
                    "an array of check tables, e.g. `[{ non_empty = true }, { min_length = 20 }]`",
                );
                return None;
            };
            if items.is_empty() {
                problems.wrong_type(v, name, "a non-empty array of check tables");
                return None;
            }
            let sets: Option<Vec<CheckSet>> = items
                .iter()
                .map(|i| check_set(i, node, within, problems))
                .collect::<Vec<_>>()
                .into_iter()
                .collect();
            let sets = sets?;
            if name == "all_of" {
                Check::AllOf(sets)
            } else {
                Check::AnyOf(sets)
            }
        }
        "not" => Check::Not(check_set(v, node, within, problems)?),
        "not_worse_than" => super::compare::not_worse_than(v, problems)?,
        "signature_compatible_with" => super::compare::signature_compatible_with(v, problems)?,
        // Callers only pass registry names, so reaching this means a kind was added to the
        // registry without a parse arm. Say so loudly: returning `None` alone would drop the
        // rule with no problem recorded, and the policy would load without it.
        _ => {
            problems.push(
                Code::PolicyUnsupportedCheck,
                v.span(),
                "not implemented",
                format!("check `{name}` is documented but this build of mlgate cannot compile it"),
                Some("this is a bug in mlgate; please report it. Until it is fixed, express the rule with another check".into()),
            );
            return None;
        }
    })
}

/// Conditions of a quantifier: keys that are check names apply to the element itself, other
/// keys name fields of the element (`field = value` is equality, `field = { ... }` checks).
fn conditions(
    v: &Spanned<DeValue<'_>>,
    element: &'static Node,
    within: &str,
    problems: &mut Problems,
) -> Option<Conditions> {
    let DeValue::Table(table) = v.get_ref() else {
        problems.wrong_type(
            v,
            "any/all/none",
            "a table of conditions, e.g. `{ principal = \"users\" }`",
        );
        return None;
    };
    if table.is_empty() {
        problems.push(
            Code::PolicyEmptyCheck,
            v.span(),
            "no conditions here",
            "a quantifier needs at least one condition",
            Some("e.g. `none = { principal = \"users\" }`".into()),
        );
        return None;
    }
    let mut out = Conditions::default();
    let mut ok = true;
    for (key, cond) in table {
        let name = key.get_ref().as_ref();
        if check_names().contains(&name) {
            match one_check(name, cond, element, within, problems) {
                Some(c) => out.on_element.0.push(c),
                None => ok = false,
            }
            continue;
        }
        let field_sp = Sp {
            value: name.to_string(),
            span: key.span(),
        };
        let Some((field, node)) = field_selector(&field_sp, element, within, problems) else {
            ok = false;
            continue;
        };
        let checks = match cond.get_ref() {
            DeValue::Table(_) => check_set(cond, node, &format!("{within}.{name}"), problems),
            _ => value(name, cond, problems).map(|j| CheckSet(vec![Check::Equals(j)])),
        };
        match checks {
            Some(checks) => out.fields.push(FieldCondition { field, checks }),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// A field name inside a quantifier, walked from the element node. Keys are bare or quoted
/// TOML keys, so the span is the key itself.
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
            Code::PolicyBadSelector,
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
                Code::PolicySelectorNeverMatches,
                key.span.clone(),
                label,
                format!("field condition `{}` can never match: {message}", key.value),
                help,
            );
        },
    )?;
    Some((parsed, node))
}

#[cfg(test)]
mod tests {
    use crate::engine::check::CHECK_KINDS;
    use crate::policy::{load, PolicyText};

    fn policy(select: &str, check: &str) -> PolicyText {
        PolicyText {
            name: "t.toml".into(),
            text: format!(
                "[[rule]]\nid = \"r\"\ntitle = \"t\"\nseverity = \"error\"\ndescription = \"d\"\nselect = '{select}'\ncheck = {check}\n"
            ),
        }
    }

    /// Every registry kind parses, from its own documented example, into exactly one rule
    /// whose check is that kind: a kind whose parse arm is missing (or maps to another kind)
    /// fails here instead of vanishing from the policy.
    #[test]
    fn every_registry_kind_parses_into_one_rule_of_that_kind() {
        for kind in CHECK_KINDS {
            let (select, check) = kind.example;
            let policy = match load(&[policy(select, check)]) {
                Ok(p) => p,
                Err(e) => panic!(
                    "example of `{}` does not load: {:?}",
                    kind.name,
                    e.problems.iter().map(|p| &p.message).collect::<Vec<_>>()
                ),
            };
            assert_eq!(
                policy.rules.len(),
                1,
                "`{}`: rules {:?}",
                kind.name,
                policy.rules
            );
            let checks = &policy.rules[0].check.0;
            assert_eq!(checks.len(), 1, "`{}`: checks {checks:?}", kind.name);
            assert_eq!(checks[0].kind(), kind.name);
        }
    }

    /// Values JSON cannot hold inside a list or a field condition are reported where they are,
    /// not turned into a rule that silently does not load.
    #[test]
    fn nan_inside_a_list_or_a_field_condition_is_a_wrong_type() {
        for (select, check) in [
            ("run.params", "{ one_of = [\"a\", nan] }"),
            ("run.params", "{ none_of = [inf] }"),
            (
                "permissions.registered_model.entries[*]",
                "{ none = { principal = nan } }",
            ),
        ] {
            let errors = load(&[policy(select, check)]).unwrap_err();
            let codes: Vec<&str> = errors.problems.iter().map(|p| p.code.as_str()).collect();
            assert_eq!(codes, ["policy::wrong-type"], "{check}");
        }
    }

    /// A registry name without a parse arm is a diagnostic, never a silently dropped rule.
    #[test]
    fn a_known_kind_without_a_parse_arm_is_an_error() {
        let mut problems = crate::policy::raw::Problems {
            source: std::sync::Arc::new(miette::NamedSource::new("t.toml", String::new())),
            list: Vec::new(),
        };
        let value = toml::Spanned::new(0..4, toml::de::DeValue::Boolean(true));
        let compiled = super::one_check(
            "no_such_kind",
            &value,
            &crate::snapshot::schema::Node::Any,
            "the selection",
            &mut problems,
        );
        assert!(compiled.is_none());
        let codes: Vec<&str> = problems.list.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["policy::unsupported-check"]);
    }

    #[test]
    fn every_check_rejects_a_value_of_the_wrong_type() {
        // A value no check accepts for every kind: a date-time.
        for kind in CHECK_KINDS {
            if ["equals", "not_equals", "contains"].contains(&kind.name) {
                continue; // any value is a valid operand; tested below with a table of NaN
            }
            let errors = load(&[policy(
                "run.params",
                &format!("{{ {} = 1979-05-27T07:32:00Z }}", kind.name),
            )])
            .unwrap_err();
            assert!(
                errors
                    .problems
                    .iter()
                    .any(|p| p.code.as_str() == "policy::wrong-type"),
                "`{}` accepted a date-time: {:?}",
                kind.name,
                errors
                    .problems
                    .iter()
                    .map(|p| (p.code, &p.message))
                    .collect::<Vec<_>>()
            );
        }
        for name in ["equals", "not_equals", "contains"] {
            let errors = load(&[policy("run.params", &format!("{{ {name} = nan }}"))]).unwrap_err();
            assert!(
                errors
                    .problems
                    .iter()
                    .any(|p| p.code.as_str() == "policy::wrong-type"),
                "{name}"
            );
        }
    }
}
