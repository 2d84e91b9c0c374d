//! Checks on the selection as a collection: the quantifiers `any` / `all` / `none` and the
//! counts `count_min` / `count_max`.

use serde_json::Value;

use super::{Absent, Check, Conditions, Context, Mode, Selection, Verdict};

/// The verdict of a collection check.
pub(super) fn evaluate(check: &Check, selection: &Selection<'_>, cx: Context<'_>) -> Verdict {
    // Known to be absent (a section that was not gathered never gets here): nothing to count
    // or range over, as in an empty collection, but a failure says what is missing.
    if selection.found.is_empty() && !selection.absent.is_empty() {
        let missing = || {
            selection
                .absent
                .iter()
                .map(|a| a.what.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        return match check {
            Check::CountMin(n) if *n > 0 => Verdict::Fail(missing()),
            Check::Any(_) => Verdict::Fail(missing()),
            _ => Verdict::Pass,
        };
    }
    // Counting or quantifying over one text, number or boolean is a policy mistake (select the
    // list itself), not a collection of one.
    if let [single] = selection.found.as_slice() {
        if !selection.fans_out && !single.is_array() && !single.is_object() {
            return Verdict::Error(format!(
                "`{}` needs a list or table, but the selection is the single value {}",
                check.describe(),
                cx.show(single)
            ));
        }
    }
    let items = selection.items();
    match check {
        Check::CountMin(n) if items.len() < *n => {
            Verdict::Fail(format!("{} element(s), fewer than {n}", items.len()))
        }
        Check::CountMax(n) if items.len() > *n => {
            Verdict::Fail(format!("{} element(s), more than {n}", items.len()))
        }
        Check::Any(c) | Check::All(c) | Check::None(c) => quantify(check, c, &items, cx),
        _ => Verdict::Pass,
    }
}

fn quantify(check: &Check, conditions: &Conditions, items: &[&Value], cx: Context<'_>) -> Verdict {
    let mut meeting = Vec::new();
    let mut failing = Vec::new();
    for item in items {
        match meets(item, conditions, cx) {
            Ok(true) => meeting.push(*item),
            Ok(false) => failing.push(*item),
            Err(e) => return Verdict::Error(e),
        }
    }
    let list = |v: &[&Value]| v.iter().map(|x| cx.show(x)).collect::<Vec<_>>().join("; ");
    match check {
        Check::Any(_) if meeting.is_empty() => Verdict::Fail(format!(
            "none of {} element(s) meets {{ {} }}",
            items.len(),
            conditions.describe()
        )),
        Check::All(_) if !failing.is_empty() => Verdict::Fail(format!(
            "{} of {} element(s) do not meet the conditions: {}",
            failing.len(),
            items.len(),
            list(&failing)
        )),
        Check::None(_) if !meeting.is_empty() => Verdict::Fail(format!(
            "{} element(s) meet the conditions: {}",
            meeting.len(),
            list(&meeting)
        )),
        _ => Verdict::Pass,
    }
}

/// Whether one element meets every condition. A type error is reported, not guessed.
fn meets(item: &Value, conditions: &Conditions, cx: Context<'_>) -> Result<bool, String> {
    let itself = Selection {
        found: vec![item],
        absent: Vec::new(),
        fans_out: false,
    };
    match conditions.on_element.evaluate(&itself, Mode::Element, cx) {
        Verdict::Pass => {}
        Verdict::Fail(_) => return Ok(false),
        Verdict::Error(e) => return Err(e),
    }
    for condition in &conditions.fields {
        let mut selection = Selection {
            fans_out: condition.field.fans_out(),
            ..Selection::default()
        };
        for reached in condition.field.reach(item) {
            match reached {
                super::super::selector::Reached::Found { value, .. } => selection.found.push(value),
                super::super::selector::Reached::Missing { path, why, .. } => {
                    selection.absent.push(Absent {
                        path,
                        what: why.describe(),
                    });
                }
            }
        }
        match condition.checks.evaluate(&selection, Mode::Element, cx) {
            Verdict::Pass => {}
            Verdict::Fail(_) => return Ok(false),
            Verdict::Error(e) => return Err(format!("{}: {e}", condition.field)),
        }
    }
    Ok(true)
}
