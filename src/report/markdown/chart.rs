//! The Mermaid chart of the shared metrics, which GitHub draws from a ```` ```mermaid ```` block
//! in a rendered Markdown file and in a job summary.
//!
//! An `xychart-beta` over the shared metric names with two series: the candidate as bars and
//! the incumbent as a line, both as an index where the incumbent is 100 (the candidate's bar is
//! 100 plus its relative change, the table's percentage). Raw values do not share an axis: a
//! run logs `latency_ms` in the hundreds beside `auc` below one, and on one axis every metric
//! but the largest would be a flat bar. Not two bar series: xychart draws every bar series at
//! the same x position, so the taller bar hides the shorter (mermaid-js/mermaid#7392); and it
//! draws no legend, so the title says which series is which. The y axis starts at zero (or
//! below): xychart otherwise starts it at the smallest value, which makes a 2 % difference
//! look tenfold. The table beside the chart carries the exact values; the chart is the glance.

use std::fmt::Write;

use crate::report::compare::SharedMetric;
use crate::report::sanitize::mermaid_label;

/// At most this many metrics are charted: more bars than that are unreadable at GitHub's width.
pub(super) const MAX_CHARTED: usize = 12;

/// The incumbent's value on the chart's index.
const INCUMBENT: f64 = 100.0;

/// The Mermaid source, and how many metrics it shows out of how many could be charted.
pub(super) struct Chart {
    pub source: String,
    pub charted: usize,
    pub chartable: usize,
}

/// The chart of the shared metrics with a relative change (finite on both sides, incumbent
/// not zero): the first [`MAX_CHARTED`] in the table's order; `None` when there is none.
pub(super) fn metrics(shared: &[SharedMetric]) -> Option<Chart> {
    let chartable: Vec<(&str, f64)> = shared
        .iter()
        .filter_map(|m| Some((m.name.as_str(), INCUMBENT + m.difference()?.relative?)))
        .filter(|(_, index)| index.is_finite())
        .collect();
    if chartable.is_empty() {
        return None;
    }
    let shown = &chartable[..chartable.len().min(MAX_CHARTED)];
    let low = shown.iter().map(|(_, v)| *v).fold(0.0_f64, f64::min);
    let high = shown.iter().map(|(_, v)| *v).fold(INCUMBENT, f64::max);
    let labels: Vec<String> = shown
        .iter()
        .map(|(name, _)| format!("\"{}\"", mermaid_label(name)))
        .collect();
    // Fixed decimals: Rust never writes them with an exponent, the one number form xychart's
    // grammar cannot read.
    let number = |v: f64| format!("{v:.1}");
    let bars: Vec<String> = shown.iter().map(|(_, v)| number(*v)).collect();
    let line = vec![number(INCUMBENT); shown.len()];
    let mut source = String::from("xychart-beta\n");
    let _ = writeln!(
        source,
        "    title \"Candidate (bars) as % of the incumbent (line = 100)\""
    );
    let _ = writeln!(source, "    x-axis [{}]", labels.join(", "));
    let _ = writeln!(
        source,
        "    y-axis \"% of incumbent\" {} --> {}",
        number(low.floor()),
        number(high.ceil())
    );
    let _ = writeln!(source, "    bar \"candidate\" [{}]", bars.join(", "));
    let _ = writeln!(source, "    line \"incumbent\" [{}]", line.join(", "));
    Some(Chart {
        source,
        charted: shown.len(),
        chartable: chartable.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn candidate_bars_against_the_incumbent_line() {
        let chart = metrics(&[
            metric("auc", Some(0.91), Some(0.9)),
            metric("f1", None, Some(0.5)),
            metric("zero", Some(0.5), Some(0.0)),
            metric("latency\"]", Some(870.0), Some(910.0)),
            metric("lift", Some(-0.5), Some(0.25)),
        ])
        .unwrap();
        assert_eq!(
            chart.source,
            "xychart-beta\n    title \"Candidate (bars) as % of the incumbent (line = 100)\"\n    x-axis [\"auc\", \"latency')\", \"lift\"]\n    y-axis \"% of incumbent\" -200.0 --> 102.0\n    bar \"candidate\" [101.1, 95.6, -200.0]\n    line \"incumbent\" [100.0, 100.0, 100.0]\n"
        );
        assert_eq!((chart.charted, chart.chartable), (3, 3));
        assert!(metrics(&[metric("f1", None, Some(0.5))]).is_none());
    }

    #[test]
    fn at_most_twelve_and_never_an_exponent() {
        let many: Vec<SharedMetric> = (0..20)
            .map(|n| metric(&format!("m{n}"), Some(1e21), Some(1e-7)))
            .collect();
        let chart = metrics(&many).unwrap();
        assert_eq!((chart.charted, chart.chartable), (MAX_CHARTED, 20));
        for line in chart.source.lines().skip(3) {
            let numbers = line.rsplit(['[', '"']).next().unwrap_or(line);
            assert!(!numbers.contains('e'), "{line}");
        }
    }
}
