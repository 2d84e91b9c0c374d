//! Second phase of policy loading: compile raw rules into engine rules — selectors checked
//! against the snapshot schema, checks and regexes compiled, message templates verified.
//! Every problem is collected; a rule with any problem is dropped.

use super::checks::check_set;
use super::raw::{Problems, RawRule, Sp};
use crate::engine::selector::Segment;
use crate::engine::{Rule, Selector, Severity};
use crate::error_code::Code;
use crate::snapshot::schema::{self, Node};
use crate::suggest;

/// Compiles one raw rule found at `line` of its file; `None` when it has problems (already
/// recorded).
pub fn rule(
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

/// Byte span of a selector offset inside its quoted TOML string.
pub(super) fn inner_span(s: &Sp<String>, offset: usize, len: usize) -> std::ops::Range<usize> {
    let start = (s.span.start + 1 + offset).min(s.span.end.saturating_sub(1));
    start
        ..(start + len.max(1))
            .min(s.span.end.saturating_sub(1))
            .max(start + 1)
}

/// Parses a selector and walks it through the snapshot schema, returning the node reached.
pub(super) fn selector(
    s: &Sp<String>,
    problems: &mut Problems,
) -> Option<(Selector, &'static Node)> {
    let parsed = match Selector::parse(&s.value) {
        Ok(p) => p,
        Err(e) => {
            problems.push(
                Code::PolicyBadSelector,
                inner_span(s, e.offset, 1),
                e.message.clone(),
                format!("selector `{}` is malformed: {}", s.value, e.message),
                Some("a selector is a dotted path such as `run.tags[\"mlflow.user\"]` or `permissions.registered_model.entries[*]`".into()),
            );
            return None;
        }
    };
    let node = walk(
        &parsed,
        &schema::SNAPSHOT,
        None,
        |offset, len, label, message, help| {
            problems.push(
                Code::PolicySelectorNeverMatches,
                inner_span(s, offset, len),
                label,
                format!(
                    "selector `{}` can never match the snapshot: {message}",
                    s.value
                ),
                help,
            );
        },
    )?;
    Some((parsed, node))
}

type Report<'r> = dyn FnMut(usize, usize, String, String, Option<String>) + 'r;

/// Walks a selector through the schema from `start`; reports the first impossible step.
pub fn walk<'n>(
    selector: &Selector,
    start: &'n Node,
    root: Option<&str>,
    mut report: impl FnMut(usize, usize, String, String, Option<String>),
) -> Option<&'n Node> {
    let report: &mut Report = &mut report;
    let text = selector.as_str();
    let mut node = start;
    let mut path = String::new();
    let mut cursor = 0;
    for segment in &selector.segments {
        match segment {
            Segment::Field(name) => {
                let offset = text[cursor..]
                    .find(name.as_str())
                    .map_or(cursor, |i| cursor + i);
                cursor = offset + name.len();
                let known = node.field_names();
                let typo = (node.is_open_object() && !node.declares(name))
                    .then(|| suggest::closest(name, known.iter().copied()))
                    .flatten();
                match (node.field(name), typo) {
                    (Some(child), None) => node = child,
                    (_, suggestion) => {
                        let message = if let (true, Some(root)) = (path.is_empty(), root) {
                            format!("an element of `{root}` has no field `{name}`")
                        } else if path.is_empty() {
                            format!("the snapshot has no section `{name}`")
                        } else {
                            format!("`{path}` has no field `{name}`")
                        };
                        let help = suggestion
                            .or_else(|| suggest::closest(name, known.iter().copied()))
                            .map(|s| format!("did you mean `{s}`?"))
                            .or_else(|| {
                                (!known.is_empty())
                                    .then(|| format!("known fields: {}", known.join(", ")))
                            });
                        report(offset, name.len(), "no such field".into(), message, help);
                        return None;
                    }
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Segment::Each | Segment::Index(_) => {
                let offset = text[cursor..].find('[').map_or(cursor, |i| cursor + i);
                cursor = offset + 1;
                if let Some(child) = node.element() {
                    node = child;
                } else {
                    report(
                        offset,
                        1,
                        "not a list".into(),
                        format!("`{path}` is not a list or map, so it cannot be indexed"),
                        None,
                    );
                    return None;
                }
                path.push_str("[*]");
            }
        }
    }
    Some(node)
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
