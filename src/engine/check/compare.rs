//! `not_worse_than`: the selected number (the candidate's metric) is not worse than a
//! referenced one (the incumbent's) by more than a tolerance.
//!
//! "Worse" has a direction (`better = "higher"` for accuracy, `"lower"` for a loss), and the
//! tolerance is absolute (`by_more_than = 0.005`) or relative to the reference
//! (`by_more_than_ratio = 0.01`: 1% of |incumbent|). A value that is not a finite number on
//! either side is an error, never a pass: a NaN metric must not slip a regression through.
//! MLflow stores `log_metric(inf)` as ±1.7976931348623157e308 (the largest double), so that
//! sentinel is infinity too: an `auc = inf` candidate is not "not worse", it is not comparable.

use serde_json::Value;

use super::super::selector::{owner, reads_incumbent};
use super::super::selector::{Segment, Selector};
use super::value::as_number;
use super::Context;
use super::Verdict;

/// Which direction is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// How much worse the selection may be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// Not worse at all (neither `by_more_than` nor `by_more_than_ratio` given).
    Zero,
    /// At most this much worse, in the metric's own units.
    Absolute(f64),
    /// At most this fraction of the reference's magnitude worse.
    Ratio(f64),
}

/// A validated `not_worse_than` table.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// What the selection is compared with.
    pub reference: Selector,
    pub better: Better,
    pub tolerance: Tolerance,
}

impl Better {
    pub fn as_str(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }
}

impl Comparison {
    /// The table as TOML-like text.
    pub fn describe(&self) -> String {
        let tolerance = match self.tolerance {
            Tolerance::Zero => String::new(),
            Tolerance::Absolute(t) => format!(", by_more_than = {t}"),
            Tolerance::Ratio(r) => format!(", by_more_than_ratio = {r}"),
        };
        format!(
            "select = {:?}, better = {:?}{tolerance}",
            self.reference.as_str(),
            self.better.as_str()
        )
    }

    /// What the compared values are called in messages: the metric name when comparing with
    /// the incumbent's (`incumbent.run.metrics.auc` → `auc`), else "the value".
    fn name(&self) -> String {
        match self.reference.segments.last() {
            Some(Segment::Field(f)) if reads_incumbent(&self.reference) => f.clone(),
            _ => "the value".to_string(),
        }
    }
}

/// The verdict on one selected value against the referenced one.
pub(super) fn judge(c: &Comparison, ours: &Value, theirs: &Value, cx: Context<'_>) -> Verdict {
    let name = c.name();
    let owner = owner(&c.reference);
    let Some(mine) = finite(ours) else {
        return Verdict::Error(format!(
            "{name} {} is {}, so it cannot be compared with {owner}'s",
            shown(ours, cx),
            not_finite(ours)
        ));
    };
    let Some(base) = finite(theirs) else {
        return Verdict::Error(format!(
            "{owner}'s {name} {} is {}, so there is nothing to compare with",
            shown(theirs, cx),
            not_finite(theirs)
        ));
    };
    let worse_by = match c.better {
        Better::Higher => base - mine,
        Better::Lower => mine - base,
    };
    let allowed = match c.tolerance {
        Tolerance::Zero => 0.0,
        Tolerance::Absolute(t) => t,
        Tolerance::Ratio(r) => r * base.abs(),
    };
    // Exactly at the tolerance passes, but decimal metrics are not exact in binary:
    // 0.900 - 0.895 is 0.0050000000000000044. Forgive a few units in the last place.
    let slack = 8.0 * f64::EPSILON * base.abs().max(mine.abs()).max(1.0);
    if worse_by <= allowed + slack {
        return Verdict::Pass;
    }
    // As many decimals as the inputs were written with (0.85 vs 0.9 within 0.005: three); a
    // ratio's allowance has those of the reference and the ratio together (1% of 0.9: 0.009),
    // and the difference is shown as precisely as the allowance it is weighed against.
    let places = decimals(mine).max(decimals(base)).max(match c.tolerance {
        Tolerance::Absolute(t) => decimals(t),
        _ => 0,
    });
    let fine = match c.tolerance {
        Tolerance::Ratio(r) => places.max((decimals(base) + decimals(r)).min(MAX_DECIMALS)),
        _ => places,
    };
    let num = |x: f64| format!("{x:.places$}");
    let allowed_text = match c.tolerance {
        Tolerance::Zero => "0".to_string(),
        Tolerance::Absolute(_) => num(allowed),
        Tolerance::Ratio(r) => format!("{}% of {} = {allowed:.fine$}", percent(r), num(base.abs())),
    };
    Verdict::Fail(format!(
        "{name} {} is worse than {owner}'s {} by {worse_by:.fine$} (allowed: {allowed_text}): a change of {:+.fine$} where {} is better",
        num(mine),
        num(base),
        mine - base,
        c.better.as_str(),
    ))
}

/// A value for messages: a metric by its `value`, anything else as compact JSON.
fn shown(value: &Value, cx: Context<'_>) -> String {
    match value {
        Value::Object(o) if o.contains_key("value") => cx.show(&o["value"]),
        other => cx.show(other),
    }
}

/// A finite number (`"NaN"` and `"inf"` parse as numbers but compare as nothing, and so
/// does MLflow's stored infinity, see [`is_infinity_sentinel`]).
fn finite(value: &Value) -> Option<f64> {
    as_number(value).filter(|n| n.is_finite() && !is_infinity_sentinel(*n))
}

/// MLflow's stored ±infinity: `log_metric(float("inf"))` is saved (and served) as
/// ±`sys.float_info.max`, ±1.7976931348623157e308. No real metric is the largest double.
fn is_infinity_sentinel(n: f64) -> bool {
    // Exactly the largest double, bit for bit: no margin, a neighbour is a real value.
    n.abs().to_bits() == f64::MAX.to_bits()
}

/// Why a value that [`finite`] refused cannot be compared, for the error message.
fn not_finite(value: &Value) -> &'static str {
    match as_number(value) {
        Some(n) if n.is_nan() => "NaN (not a number)",
        Some(n) if n.is_infinite() => "infinite",
        Some(n) if is_infinity_sentinel(n) => "MLflow's stored infinity (the largest double)",
        _ => "not a number",
    }
}

/// More decimals than this are binary noise, not something a person wrote.
const MAX_DECIMALS: usize = 9;

/// The decimal places of a number's shortest representation, capped for readability.
fn decimals(x: f64) -> usize {
    let text = format!("{x}");
    text.split_once('.')
        .map_or(0, |(_, frac)| frac.len())
        .min(MAX_DECIMALS)
}

/// A ratio as a percentage without binary noise: 0.07 → `7`, 0.015 → `1.5`.
fn percent(ratio: f64) -> String {
    let p = (ratio * 100.0 * 1e9).round() / 1e9;
    format!("{p}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cmp(better: Better, tolerance: Tolerance) -> Comparison {
        Comparison {
            reference: Selector::parse("incumbent.run.metrics.auc").unwrap(),
            better,
            tolerance,
        }
    }

    fn fail_text(v: Verdict) -> String {
        match v {
            Verdict::Fail(m) => m,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn higher_is_better_within_and_beyond_an_absolute_tolerance() {
        let c = cmp(Better::Higher, Tolerance::Absolute(0.005));
        assert_eq!(
            judge(&c, &json!(0.898), &json!(0.9), Context::EMPTY),
            Verdict::Pass
        );
        assert_eq!(
            judge(&c, &json!(0.95), &json!(0.9), Context::EMPTY),
            Verdict::Pass,
            "better"
        );
        let m = fail_text(judge(&c, &json!(0.85), &json!(0.9), Context::EMPTY));
        assert_eq!(
            m,
            "auc 0.850 is worse than the incumbent's 0.900 by 0.050 (allowed: 0.005): a change of -0.050 where higher is better"
        );
    }

    #[test]
    fn lower_is_better() {
        let c = cmp(Better::Lower, Tolerance::Absolute(0.01));
        assert_eq!(
            judge(&c, &json!(0.20), &json!(0.25), Context::EMPTY),
            Verdict::Pass
        );
        assert_eq!(
            judge(&c, &json!(0.255), &json!(0.25), Context::EMPTY),
            Verdict::Pass
        );
        let m = fail_text(judge(&c, &json!(0.3), &json!(0.25), Context::EMPTY));
        assert!(
            m.contains("0.30 is worse than the incumbent's 0.25 by 0.05"),
            "{m}"
        );
        assert!(m.contains("change of +0.05 where lower is better"), "{m}");
    }

    #[test]
    fn a_ratio_is_relative_to_the_magnitude_of_the_reference() {
        let c = cmp(Better::Lower, Tolerance::Ratio(0.1));
        // Incumbent loss 2.0: up to 2.2 is within 10%.
        assert_eq!(
            judge(&c, &json!(2.19), &json!(2.0), Context::EMPTY),
            Verdict::Pass
        );
        let m = fail_text(judge(&c, &json!(2.5), &json!(2.0), Context::EMPTY));
        assert!(m.contains("(allowed: 10% of 2.0 = 0.2)"), "{m}");
        // The difference is as precise as the allowance: 5% of 0.295 is 0.01475.
        let c = cmp(Better::Lower, Tolerance::Ratio(0.05));
        let m = fail_text(judge(&c, &json!(0.31), &json!(0.295), Context::EMPTY));
        assert_eq!(
            m,
            "auc 0.310 is worse than the incumbent's 0.295 by 0.01500 (allowed: 5% of 0.295 = 0.01475): a change of +0.01500 where lower is better"
        );
        // A negative reference (a log-likelihood) still allows a positive margin.
        let c = cmp(Better::Higher, Tolerance::Ratio(0.1));
        assert_eq!(
            judge(&c, &json!(-10.5), &json!(-10.0), Context::EMPTY),
            Verdict::Pass
        );
        assert!(matches!(
            judge(&c, &json!(-11.5), &json!(-10.0), Context::EMPTY),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn equal_values_pass_even_without_tolerance() {
        let c = cmp(Better::Higher, Tolerance::Zero);
        assert_eq!(
            judge(&c, &json!(0.9), &json!(0.9), Context::EMPTY),
            Verdict::Pass
        );
        let m = fail_text(judge(&c, &json!(0.89), &json!(0.9), Context::EMPTY));
        assert!(m.contains("(allowed: 0)"), "{m}");
    }

    #[test]
    fn exactly_at_the_tolerance_passes_despite_binary_rounding() {
        // 0.9 - 0.895 is 0.0050000000000000044 in binary floating point.
        let c = cmp(Better::Higher, Tolerance::Absolute(0.005));
        assert_eq!(
            judge(&c, &json!(0.895), &json!(0.9), Context::EMPTY),
            Verdict::Pass
        );
        let c = cmp(Better::Lower, Tolerance::Absolute(0.1));
        assert_eq!(
            judge(&c, &json!(0.3), &json!(0.2), Context::EMPTY),
            Verdict::Pass
        );
        let c = cmp(Better::Higher, Tolerance::Ratio(0.01));
        assert_eq!(
            judge(&c, &json!(0.891), &json!(0.9), Context::EMPTY),
            Verdict::Pass
        );
        // One step beyond is not forgiven.
        let c = cmp(Better::Higher, Tolerance::Absolute(0.005));
        assert!(matches!(
            judge(&c, &json!(0.8949), &json!(0.9), Context::EMPTY),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn metric_objects_and_numeric_text_compare_by_their_number() {
        let c = cmp(Better::Higher, Tolerance::Zero);
        let metric = json!({"value": 0.91, "timestamp": 1, "step": 0});
        assert_eq!(
            judge(&c, &metric, &json!("0.9"), Context::EMPTY),
            Verdict::Pass
        );
    }

    #[test]
    fn nan_and_text_are_errors_never_passes() {
        let c = cmp(Better::Higher, Tolerance::Absolute(1.0));
        for (ours, theirs) in [
            (json!("NaN"), json!(0.9)),
            (json!(0.9), json!("NaN")),
            (json!("inf"), json!(0.9)),
            (json!("high"), json!(0.9)),
            (json!({"value": "NaN"}), json!(0.9)),
            (json!(0.9), json!([0.9])),
            (json!(true), json!(0.9)),
        ] {
            let v = judge(&c, &ours, &theirs, Context::EMPTY);
            assert!(matches!(v, Verdict::Error(_)), "{ours} vs {theirs}: {v:?}");
        }
        let Verdict::Error(e) = judge(&c, &json!(0.9), &json!("NaN"), Context::EMPTY) else {
            unreachable!()
        };
        assert!(
            e.starts_with("the incumbent's auc \"NaN\" is NaN (not a number)"),
            "{e}"
        );
    }

    /// `log_metric(inf)` is stored as ±1.7976931348623157e308: on either side, in either
    /// direction and with any tolerance, an error — never "not worse" (issue 21).
    #[test]
    fn mlflow_infinity_sentinels_are_errors_never_passes() {
        let sentinels = [
            json!(1.797_693_134_862_315_7e308),
            json!(-1.797_693_134_862_315_7e308),
            json!("1.7976931348623157e308"),
            json!({"value": 1.797_693_134_862_315_7e308, "step": 0}),
            json!("Infinity"),
            json!("-inf"),
            json!("nan"),
        ];
        for better in [Better::Higher, Better::Lower] {
            for tolerance in [
                Tolerance::Zero,
                Tolerance::Absolute(1e300),
                Tolerance::Ratio(1.0),
            ] {
                let c = cmp(better, tolerance);
                for sentinel in &sentinels {
                    for (ours, theirs) in [(sentinel, &json!(0.9)), (&json!(0.9), sentinel)] {
                        let v = judge(&c, ours, theirs, Context::EMPTY);
                        assert!(
                            matches!(v, Verdict::Error(_)),
                            "{better:?} {tolerance:?}: {ours} vs {theirs}: {v:?}"
                        );
                    }
                }
            }
        }
        let c = cmp(Better::Higher, Tolerance::Zero);
        let Verdict::Error(e) = judge(
            &c,
            &json!(1.797_693_134_862_315_7e308),
            &json!(0.9),
            Context::EMPTY,
        ) else {
            unreachable!()
        };
        assert!(e.contains("MLflow's stored infinity"), "{e}");
        // The largest double but one is a (strange) real value, compared as such.
        let below = f64::from_bits(f64::MAX.to_bits() - 1);
        assert_eq!(
            judge(&c, &json!(below), &json!(0.9), Context::EMPTY),
            Verdict::Pass
        );
    }

    #[test]
    fn a_reference_outside_the_incumbent_is_named_by_its_path() {
        let c = Comparison {
            reference: Selector::parse("run.metrics.baseline_auc").unwrap(),
            better: Better::Higher,
            tolerance: Tolerance::Zero,
        };
        let m = fail_text(judge(&c, &json!(0.8), &json!(0.9), Context::EMPTY));
        assert!(
            m.starts_with("the value 0.8 is worse than `run.metrics.baseline_auc`'s 0.9 by 0.1"),
            "{m}"
        );
    }
}
