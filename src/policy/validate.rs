//! Second phase of policy loading: compile raw rules into engine rules — selectors checked
//! against the snapshot schema, checks and regexes compiled, message templates verified.
//! Every problem is collected; a rule with any problem is dropped.

use super::checks::check_set;
use super::raw::{Problems, RawRule, Sp};
use super::selectors::{inner_span, selector, walk};
use crate::engine::{Rule, Selector, Severity};
use crate::error_code::Code;
use crate::snapshot::schema::{self, Node};

/// Compiles one raw rule found at `line` of its file; `None` when it has problems (already
/// recorded).
pub(super) fn rule(
    raw: &RawRule<'_, '_>,
    source_name: &str,
    line: usize,
    problems: &mut Problems,
) -> Option<Rule> {
    let before = problems.list.len();
    if let Some(id) = &raw.id {
        if !is_kebab_case(&id.value) {
            problems.push(
                Code::PolicyBadId,
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
    let scope = match raw.when {
        Some(when) => super::scope::compile(when, problems),
        None => Some(crate::engine::Scope::default()),
    };
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
        scope: scope?,
        source: source_name.to_string(),
        line,
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

/// Checks that every placeholder of a message template names something.
fn template(message: &Sp<String>, problems: &mut Problems) {
    for (offset, name) in crate::engine::template_placeholders(&message.value) {
        let name = name.trim();
        if crate::engine::TEMPLATE_BUILTINS.contains(&name)
            || crate::engine::template_cites_value(name)
        {
            continue;
        }
        let ok = Selector::parse(name)
            .ok()
            .is_some_and(|s| walk(&s, &schema::SNAPSHOT, None, |_, _, _, _, _| {}).is_some());
        if !ok {
            problems.push(
                Code::PolicyBadTemplate,
                inner_span(message, offset, name.len()),
                "not a snapshot path",
                format!("message placeholder `{{{name}}}` names nothing in the snapshot"),
                Some("use `{value}` (`{value.step}` inside it), `{count}`, `{path}` or a snapshot path such as `{registered_model.name}`; write `{{` for a literal brace".into()),
            );
        }
    }
}
