use super::*;
use crate::engine::finding::Compared;
use crate::engine::{Outcome, Severity};
use crate::report::compare::MetricValue;

fn metric(name: &str, c: Option<f64>, i: Option<f64>) -> SharedMetric {
    let value = |n: Option<f64>| MetricValue {
        text: String::new(),
        number: n,
    };
    SharedMetric {
        name: name.into(),
        candidate: value(c),
        incumbent: value(i),
    }
}

fn rule(
    select: &str,
    outcome: Outcome,
    higher: bool,
    by: Option<f64>,
    ratio: Option<f64>,
) -> Finding {
    Finding {
        rule_id: format!("{select}-not-worse"),
        title: String::new(),
        severity: Severity::Error,
        outcome,
        message: String::new(),
        detail: String::new(),
        select: select.into(),
        source: String::new(),
        line: 0,
        waiver: None,
        blocked_by: None,
        compared: Some(Compared {
            higher_is_better: higher,
            by_more_than: by,
            by_more_than_ratio: ratio,
        }),
    }
}

/// The line of the source that starts with `start`, after it.
fn line<'a>(source: &'a str, start: &str) -> &'a str {
    source
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(start))
        .unwrap_or_else(|| panic!("no {start:?} in\n{source}"))
}

#[test]
fn up_is_better_and_the_colour_follows_the_rule() {
    let shared = [
        metric("auc", Some(0.85), Some(0.9)),
        metric("log_loss", Some(0.25), Some(0.3)),
        metric("latency_ms", Some(105.0), Some(100.0)),
        metric("f1", Some(0.895), Some(0.9)),
    ];
    let findings = [
        rule("run.metrics.auc", Outcome::Fail, true, Some(0.005), None),
        rule("run.metrics.f1", Outcome::Pass, true, None, Some(0.01)),
    ];
    let chart = metrics(&shared, &findings).unwrap();
    let s = &chart.source;
    assert_eq!(
        line(s, "x-axis "),
        "[\"auc ↑\", \"log_loss ↓\", \"latency_ms ↓\", \"f1 ↑\"]"
    );
    // auc fell 5.6 %: red. log_loss fell 16.7 %, which is better: green above 100. Latency
    // rose 5 %, worse, judged by no rule: amber. f1 fell 0.6 %, within its 1 %: amber. In
    // the other series a bar is 0, below the axis: not drawn.
    assert_eq!(line(s, "y-axis "), "\"% of incumbent\" 90.0 --> 122.0");
    assert_eq!(line(s, "bar \"not worse\" "), "[0.0, 116.7, 0.0, 0.0]");
    assert_eq!(line(s, "bar \"worse, allowed\" "), "[0.0, 0.0, 95.0, 99.4]");
    assert_eq!(
        line(s, "bar \"worse than allowed\" "),
        "[94.4, 0.0, 0.0, 0.0]"
    );
    assert_eq!(
        line(s, "line \"incumbent\" "),
        "[100.0, 100.0, 100.0, 100.0]"
    );
    assert_eq!(
        line(s, "line \"lowest allowed\" "),
        "[99.4, 100.0, 100.0, 99.0]"
    );
    assert!(s.starts_with("%%{init:"), "{s}");
    assert_eq!(chart.guessed, ["log_loss", "latency_ms"]);
    assert!(chart.capped.is_empty());
}

#[test]
fn a_rule_over_every_metric_gives_every_direction_and_its_numbers_decide_the_colour() {
    let shared = [
        metric("rmse", Some(1.2), Some(1.0)),
        metric("mae", Some(1.01), Some(1.0)),
    ];
    let findings = [rule(
        "run.metrics[*]",
        Outcome::Fail,
        false,
        None,
        Some(0.05),
    )];
    let chart = metrics(&shared, &findings).unwrap();
    assert_eq!(
        line(&chart.source, "bar \"worse than allowed\" "),
        "[80.0, 0.0]"
    );
    assert_eq!(
        line(&chart.source, "bar \"worse, allowed\" "),
        "[0.0, 99.0]"
    );
    assert!(chart.guessed.is_empty());
}

#[test]
fn near_zero_incumbents_are_capped_zero_and_infinity_left_out() {
    let shared = [
        metric("lift", Some(0.5), Some(1e-9)),
        metric("drop", Some(-3.0), Some(1e-9)),
        metric("zero", Some(0.5), Some(0.0)),
        metric("inf", Some(f64::MAX), Some(0.5)),
        metric("nan", Some(f64::NAN), Some(0.5)),
        metric("none", None, Some(0.5)),
    ];
    let chart = metrics(&shared, &[]).unwrap();
    assert_eq!((chart.charted, chart.chartable), (2, 2));
    assert_eq!(chart.capped, ["lift", "drop"]);
    assert_eq!(
        (chart.guessed.as_slice(), chart.assumed.as_slice()),
        (&["lift".to_string()][..], &["drop".to_string()][..])
    );
    // No rule, so no line of the lowest allowed: it would only repeat the incumbent's.
    assert!(!chart.source.contains("lowest allowed"), "{}", chart.source);
    assert!(!chart.legend.contains("Purple"));
    assert_eq!(
        line(&chart.source, "x-axis "),
        "[\"lift ↑ (+50% or more)\", \"drop ↑ (−50% or less)\"]"
    );
    assert_eq!(line(&chart.source, "bar \"not worse\" "), "[150.0, 0.0]");
    assert!(metrics(&shared[2..], &[]).is_none());
}

#[test]
fn at_most_twelve_and_never_an_exponent() {
    let many: Vec<SharedMetric> = (0..20)
        .map(|n| metric(&format!("m{n}"), Some(1e21), Some(1e-7)))
        .collect();
    let chart = metrics(&many, &[]).unwrap();
    assert_eq!((chart.charted, chart.chartable), (MAX_CHARTED, 20));
    for line in chart.source.lines().skip(4) {
        let numbers = line.rsplit(['[', '"']).next().unwrap_or(line);
        assert!(!numbers.contains('e'), "{line}");
    }
}

#[test]
fn hostile_names_stay_inside_their_label() {
    let chart = metrics(&[metric("a\"]\n%%{init}%%", Some(1.0), Some(1.0))], &[]).unwrap();
    assert_eq!(line(&chart.source, "x-axis "), "[\"a') %_(init)%_ ↑\"]");
}
