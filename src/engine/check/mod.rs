//! Checks: what a rule asserts about the values its selector reaches.
//!
//! Each check kind is one small unit (`value.rs`: one value at a time; `collection.rs`: the
//! selection as a whole; `compare.rs` and `signature.rs`: the selection against another value
//! of the snapshot, reached through `reference.rs`). A rule holds a [`CheckSet`]; all of its
//! checks must hold. The combinators `all_of` / `any_of` / `not` nest check sets over the same
//! selection. The registry [`CHECK_KINDS`] lists every kind with its documentation;
//! `docs/policy-language.md` is generated from it.

mod collection;
mod compare;
mod reference;
mod registry;
mod signature;
mod value;

use regex::Regex;
use serde_json::Value;

pub use super::selector::reads_incumbent;
pub use compare::{Better, Comparison, Tolerance};
pub use reference::Context;
pub use registry::{names as check_names, CheckKind, CHECK_KINDS};
pub use value::{as_number, show};

use super::selector::Selector;

/// One check.
#[derive(Debug, Clone)]
pub enum Check {
    Exists(bool),
    Absent(bool),
    NonEmpty(bool),
    Empty(bool),
    Equals(Value),
    NotEquals(Value),
    OneOf(Vec<Value>),
    NoneOf(Vec<Value>),
    Matches(Regex),
    NotMatches(Regex),
    Contains(Value),
    Min(f64),
    Max(f64),
    MinLength(usize),
    MaxLength(usize),
    CountMin(usize),
    CountMax(usize),
    Any(Conditions),
    All(Conditions),
    None(Conditions),
    AllOf(Vec<CheckSet>),
    AnyOf(Vec<CheckSet>),
    Not(CheckSet),
    /// The selected number is not worse than the referenced one beyond a tolerance.
    NotWorseThan(Comparison),
    /// The selected MLflow signature can serve callers of the referenced one.
    SignatureCompatibleWith(Selector),
}

/// What a list element must satisfy in `any` / `all` / `none`: checks on the element itself
/// (keys that are check names) and conditions on its fields (every other key).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub on_element: CheckSet,
    pub fields: Vec<FieldCondition>,
}

/// A condition on one field of a list element: `principal = "users"` or
/// `level = { one_of = [...] }`.
#[derive(Debug, Clone)]
pub struct FieldCondition {
    pub field: Selector,
    pub checks: CheckSet,
}

/// The checks of one rule (or one condition); all must hold.
#[derive(Debug, Clone, Default)]
pub struct CheckSet(pub Vec<Check>);

/// The verdict of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// The check does not hold; the text says what was found.
    Fail(String),
    /// The check cannot be decided (wrong type, missing data).
    Error(String),
}

/// Where a selector led: the values found, and the places where nothing was.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    pub found: Vec<&'a Value>,
    /// Values known to be absent: their section was gathered (or they are a list element's
    /// fields) and holds nothing there. What was never gathered never reaches a check.
    pub absent: Vec<Absent>,
    /// Whether the selector had `[*]` (then the found values are the elements).
    pub fans_out: bool,
}

/// A value known to be absent: its concrete path, and what is missing in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absent {
    pub path: String,
    /// `model_version has no tag `reviewed_by``: the failure message of a positive check.
    pub what: String,
}

impl From<String> for Absent {
    fn from(path: String) -> Self {
        let what = format!("{path} is absent");
        Self { path, what }
    }
}

impl From<&str> for Absent {
    fn from(path: &str) -> Self {
        path.to_string().into()
    }
}

/// Where the selection comes from. An absent value is judged the same way in both: it meets
/// no positive condition and holds no forbidden value. What differs is a selection that is
/// empty as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A rule's own selection: a `[*]` that selects nothing fails the positive checks.
    Rule,
    /// A field of a list element (or a scope's tag).
    Element,
}

impl Verdict {
    /// Combines verdicts that must all pass: an error wins, then the failures (joined).
    pub fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let mut failures = Vec::new();
        for v in verdicts {
            match v {
                Verdict::Pass => {}
                Verdict::Fail(m) => failures.push(m),
                error @ Verdict::Error(_) => return error,
            }
        }
        if failures.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(failures.join("; "))
        }
    }
}

impl Selection<'_> {
    /// The elements a collection check ranges over: the fanned-out values, or the elements
    /// (values, for a map) of the single value selected.
    pub fn items(&self) -> Vec<&Value> {
        match self.found.as_slice() {
            [Value::Array(list)] if !self.fans_out => list.iter().collect(),
            [Value::Object(map)] if !self.fans_out => map.values().collect(),
            _ => self.found.clone(),
        }
    }
}

impl CheckSet {
    /// The verdict of every check on the selection.
    pub fn evaluate(&self, selection: &Selection<'_>, mode: Mode, cx: Context<'_>) -> Verdict {
        Verdict::all(self.0.iter().map(|c| c.evaluate(selection, mode, cx)))
    }

    /// Every selector the checks compare with (nested combinators and quantifiers included),
    /// in policy order: what a rule reads besides its own selection.
    pub fn references(&self) -> Vec<&Selector> {
        let mut out = Vec::new();
        reference::collect(self, &mut out);
        out
    }

    /// The checks as TOML-like text: `non_empty = true, matches = "^x"`.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(Check::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Check {
    /// The verdict of this check on a selection; `cx` gives comparisons the document their
    /// references point into.
    pub fn evaluate(&self, selection: &Selection<'_>, mode: Mode, cx: Context<'_>) -> Verdict {
        match self {
            Check::AllOf(sets) => {
                Verdict::all(sets.iter().map(|s| s.evaluate(selection, mode, cx)))
            }
            Check::AnyOf(sets) => {
                let verdicts: Vec<Verdict> = sets
                    .iter()
                    .map(|s| s.evaluate(selection, mode, cx))
                    .collect();
                if verdicts.contains(&Verdict::Pass) {
                    return Verdict::Pass;
                }
                if let Some(e) = verdicts.iter().find(|v| matches!(v, Verdict::Error(_))) {
                    return e.clone();
                }
                Verdict::Fail(format!(
                    "none of the alternatives holds ({})",
                    self.describe()
                ))
            }
            // Over `[*]`, `not` applies to each element: no selected element may satisfy it.
            Check::Not(set) if selection.fans_out && selection.found.len() > 1 => {
                Verdict::all(selection.found.iter().map(|v| {
                    let one = Selection {
                        found: vec![v],
                        absent: Vec::new(),
                        fans_out: false,
                    };
                    Check::Not(set.clone()).evaluate(&one, mode, cx)
                }))
            }
            Check::Not(set) => match set.evaluate(selection, mode, cx) {
                Verdict::Pass => Verdict::Fail(format!(
                    "{} satisfies `{}`, which it must not",
                    describe_selection(selection),
                    set.describe()
                )),
                Verdict::Fail(_) => Verdict::Pass,
                error @ Verdict::Error(_) => error,
            },
            c if c.is_collection() => collection::evaluate(c, selection, cx),
            // A `[*]` that selects nothing gives positive checks nothing to hold on: fail, rather
            // than pass vacuously (`run.metrics[*].value >= 0.9` with no metrics is not met).
            c if selection.fans_out
                && selection.found.is_empty()
                && selection.absent.is_empty()
                && mode == Mode::Rule =>
            {
                if c.holds_on_nothing() {
                    Verdict::Pass
                } else {
                    Verdict::Fail(format!(
                        "nothing was selected, so `{}` does not hold",
                        c.describe()
                    ))
                }
            }
            c if c.reference().is_some() => reference::evaluate(c, selection, cx),
            c => Verdict::all(
                selection
                    .absent
                    .iter()
                    .map(|absent| value::on_absent(c, absent))
                    .chain(selection.found.iter().map(|v| value::on_value(c, v, cx))),
            ),
        }
    }

    /// Whether the check holds when there is nothing to check: the negative and absence checks.
    fn holds_on_nothing(&self) -> bool {
        matches!(
            self,
            Check::Exists(false)
                | Check::Absent(true)
                | Check::Empty(true)
                | Check::NonEmpty(false)
                | Check::NotEquals(_)
                | Check::NoneOf(_)
                | Check::NotMatches(_)
                | Check::MaxLength(_)
        )
    }

    /// The selector this check compares the selection with, if it is a comparison.
    pub fn reference(&self) -> Option<&Selector> {
        match self {
            Check::NotWorseThan(c) => Some(&c.reference),
            Check::SignatureCompatibleWith(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the check ranges over the selection as a collection.
    pub fn is_collection(&self) -> bool {
        matches!(
            self,
            Check::Any(_)
                | Check::All(_)
                | Check::None(_)
                | Check::CountMin(_)
                | Check::CountMax(_)
        )
    }

    /// The registry name of this check's kind (`CHECK_KINDS[..].name`): the key a policy
    /// writes. Exhaustive on purpose, so a new variant must be given its policy name.
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Exists(_) => "exists",
            Check::Absent(_) => "absent",
            Check::NonEmpty(_) => "non_empty",
            Check::Empty(_) => "empty",
            Check::Equals(_) => "equals",
            Check::NotEquals(_) => "not_equals",
            Check::OneOf(_) => "one_of",
            Check::NoneOf(_) => "none_of",
            Check::Matches(_) => "matches",
            Check::NotMatches(_) => "not_matches",
            Check::Contains(_) => "contains",
            Check::Min(_) => "min",
            Check::Max(_) => "max",
            Check::MinLength(_) => "min_length",
            Check::MaxLength(_) => "max_length",
            Check::CountMin(_) => "count_min",
            Check::CountMax(_) => "count_max",
            Check::Any(_) => "any",
            Check::All(_) => "all",
            Check::None(_) => "none",
            Check::AllOf(_) => "all_of",
            Check::AnyOf(_) => "any_of",
            Check::Not(_) => "not",
            Check::NotWorseThan(_) => "not_worse_than",
            Check::SignatureCompatibleWith(_) => "signature_compatible_with",
        }
    }

    /// The check as TOML-like text.
    pub fn describe(&self) -> String {
        let list = |v: &[Value]| v.iter().map(show).collect::<Vec<_>>().join(", ");
        match self {
            Check::Exists(b) => format!("exists = {b}"),
            Check::Absent(b) => format!("absent = {b}"),
            Check::NonEmpty(b) => format!("non_empty = {b}"),
            Check::Empty(b) => format!("empty = {b}"),
            Check::Equals(v) => format!("equals = {}", show(v)),
            Check::NotEquals(v) => format!("not_equals = {}", show(v)),
            Check::OneOf(v) => format!("one_of = [{}]", list(v)),
            Check::NoneOf(v) => format!("none_of = [{}]", list(v)),
            Check::Matches(r) => format!("matches = {:?}", r.as_str()),
            Check::NotMatches(r) => format!("not_matches = {:?}", r.as_str()),
            Check::Contains(v) => format!("contains = {}", show(v)),
            Check::Min(n) => format!("min = {n}"),
            Check::Max(n) => format!("max = {n}"),
            Check::MinLength(n) => format!("min_length = {n}"),
            Check::MaxLength(n) => format!("max_length = {n}"),
            Check::CountMin(n) => format!("count_min = {n}"),
            Check::CountMax(n) => format!("count_max = {n}"),
            Check::Any(c) => format!("any = {{ {} }}", c.describe()),
            Check::All(c) => format!("all = {{ {} }}", c.describe()),
            Check::None(c) => format!("none = {{ {} }}", c.describe()),
            Check::AllOf(sets) => format!(
                "all_of = [{}]",
                sets.iter()
                    .map(|s| format!("{{ {} }}", s.describe()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Check::AnyOf(sets) => format!(
                "any_of = [{}]",
                sets.iter()
                    .map(|s| format!("{{ {} }}", s.describe()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Check::Not(set) => format!("not = {{ {} }}", set.describe()),
            Check::NotWorseThan(c) => format!("not_worse_than = {{ {} }}", c.describe()),
            Check::SignatureCompatibleWith(s) => {
                format!("signature_compatible_with = {:?}", s.as_str())
            }
        }
    }
}

impl Conditions {
    fn describe(&self) -> String {
        let mut parts: Vec<String> = self.on_element.0.iter().map(Check::describe).collect();
        parts.extend(self.fields.iter().map(|f| match f.checks.0.as_slice() {
            [Check::Equals(v)] => format!("{} = {}", f.field, show(v)),
            _ => format!("{} = {{ {} }}", f.field, f.checks.describe()),
        }));
        parts.join(", ")
    }
}

fn describe_selection(selection: &Selection<'_>) -> String {
    match selection.found.as_slice() {
        [] => selection
            .absent
            .iter()
            .map(|a| a.path.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        [one] => show(one),
        many => format!("{} values", many.len()),
    }
}

#[cfg(test)]
mod tests;
