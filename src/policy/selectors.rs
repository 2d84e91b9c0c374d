//! Selectors as a policy file writes them: parsed, walked through the snapshot schema, and
//! every problem pointed at the exact characters of the quoted TOML string. A leaf shared by
//! the rule, check and comparison readers.

use super::raw::{Problems, Sp};
use crate::engine::selector::Segment;
use crate::engine::Selector;
use crate::error_code::Code;
use crate::snapshot::schema::{self, Node};
use crate::suggest;

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
pub(super) fn walk<'n>(
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
