//! The Mermaid chart of the shared metrics, which GitHub draws from a ```` ```mermaid ```` block
//! in a rendered Markdown file and in a job summary: a glance at what the table beside it says
//! exactly, drawn so the differences that decide a promotion are the ones that show.
//!
//! An `xychart-beta` with one bar per metric: the candidate as an index where the incumbent is
//! 100, *turned so that up is better* (a loss that fell stands above 100, see [`direction`]).
//! Raw values do not share an axis (`latency_ms` in the hundreds beside `auc` below one), an
//! index does. A grey line marks the incumbent (100) and a purple one the lowest the policy's
//! `not_worse_than` rules allow (100 − the tolerance, per metric). The bar's colour says the
//! same: green not worse, amber worse but allowed (or judged by no rule), red worse than a
//! rule allows. xychart colours series, not bars, and draws every bar series at the same x
//! from the axis minimum (mermaid-js/mermaid#7392), so there are three bar series and each
//! metric is drawn in one of them. In the other two its value is 0, far below the axis (which
//! never starts below 30): mermaid pads the axis minimum a few pixels above the plot's floor,
//! so a bar *at* the minimum would still show as a coloured strip, while one below it gets a
//! negative height, which SVG renderers do not draw (checked in headless Chromium by
//! `scripts/render-chart`).
//!
//! The y axis is fitted to the bars and lines with a margin, not started at zero: on a 0–110
//! axis a 5 % regression is a sliver; fitted, it is a third of the chart. Changes beyond
//! ±[`CAP`] points are drawn at the cap and labelled (an incumbent near zero makes any change
//! enormous); an incumbent of exactly zero has no index and is left out. Older mermaid (as
//! GitHub may run) draws no legend, so the report says what the colours mean under the chart
//! ([`LEGEND`]).

mod direction;

use std::fmt::Write;

use crate::engine::Finding;
use crate::report::compare::SharedMetric;
use crate::report::sanitize::mermaid_label;
use direction::{Judged, Source};

/// At most this many metrics are charted: more bars than that are unreadable at GitHub's width.
pub(super) const MAX_CHARTED: usize = 12;

/// The incumbent's value on the chart's index.
const INCUMBENT: f64 = 100.0;

/// Changes are drawn at most this many index points from 100.
const CAP: f64 = 50.0;

/// Bar series colours (not worse, worse but allowed, worse than allowed), then the lines
/// (incumbent, lowest allowed): GitHub's Primer greens, yellows, reds, greys and purples,
/// readable on its light and dark themes.
const PALETTE: &str = "#2da44e, #d4a72c, #cf222e, #6e7781, #8250df";

/// What the colours and the incumbent's line mean, for the paragraph under the chart.
const LEGEND: &str = "Bars: the candidate as a percentage of the incumbent, turned so that up \
is better for every metric (↑ higher is better, ↓ lower is better). Green: not worse; amber: \
worse, but within what the policy allows or judged by no rule; red: worse than a rule allows. \
Grey line: the incumbent (100).";

/// What the second line means, when a rule judges a charted metric.
const FLOOR_LEGEND: &str = "Purple line: the lowest the policy's `not_worse_than` rules allow \
(100 where no rule judges the metric).";

/// The Mermaid source, and what the paragraph under it must say.
pub(super) struct Chart {
    pub source: String,
    pub charted: usize,
    pub chartable: usize,
    /// What the colours and lines mean.
    pub legend: String,
    /// Charted metrics whose direction no rule gave, guessed from their names.
    pub guessed: Vec<String>,
    /// Charted metrics whose direction nothing gave, drawn as higher is better.
    pub assumed: Vec<String>,
    /// Charted metrics drawn at the cap.
    pub capped: Vec<String>,
}

/// One charted metric.
struct Bar {
    label: String,
    /// The candidate on the index, turned so up is better, capped.
    index: f64,
    /// The lowest index the policy allows.
    floor: f64,
    colour: Colour,
    /// A rule gave its direction and tolerance.
    judged: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Colour {
    NotWorse,
    Allowed,
    Beyond,
}

/// The chart of the shared metrics with an index (finite on both sides, incumbent not zero):
/// the first [`MAX_CHARTED`] in the table's order; `None` when there is none.
pub(super) fn metrics(shared: &[SharedMetric], findings: &[Finding]) -> Option<Chart> {
    let judged = Judged::of(findings);
    let mut guessed = Vec::new();
    let mut assumed = Vec::new();
    let mut capped = Vec::new();
    let chartable: Vec<&SharedMetric> = shared.iter().filter(|m| indexable(m).is_some()).collect();
    if chartable.is_empty() {
        return None;
    }
    let shown = &chartable[..chartable.len().min(MAX_CHARTED)];
    let bars: Vec<Bar> = shown
        .iter()
        .filter_map(|m| {
            let (candidate, incumbent) = indexable(m)?;
            let direction = judged.direction(&m.name);
            let sign = if direction.higher_is_better {
                1.0
            } else {
                -1.0
            };
            let raw = INCUMBENT + sign * (candidate - incumbent) / incumbent.abs() * 100.0;
            let index = raw.clamp(INCUMBENT - CAP, INCUMBENT + CAP);
            let arrow = if direction.higher_is_better {
                "↑"
            } else {
                "↓"
            };
            let mut label = format!("{} {arrow}", mermaid_label(&m.name));
            if (raw - INCUMBENT).abs() > CAP {
                capped.push(m.name.clone());
                label.push_str(if raw > index {
                    " (+50% or more)"
                } else {
                    " (−50% or less)"
                });
            }
            let (floor, colour) = match direction.source {
                Source::Rule { compared, beyond } => {
                    let allowed = compared.allowance(incumbent) / incumbent.abs() * 100.0;
                    let floor = (INCUMBENT - allowed).max(INCUMBENT - CAP);
                    let beyond = beyond.unwrap_or(raw < INCUMBENT - allowed);
                    (floor, colour_of(raw, beyond))
                }
                Source::Name | Source::Assumed => {
                    if direction.source == Source::Name {
                        guessed.push(m.name.clone());
                    } else {
                        assumed.push(m.name.clone());
                    }
                    (INCUMBENT, colour_of(raw, false))
                }
            };
            Some(Bar {
                label,
                index,
                floor,
                colour,
                judged: matches!(direction.source, Source::Rule { .. }),
            })
        })
        .collect();
    let judged = bars.iter().any(|b| b.judged);
    Some(Chart {
        source: source(&bars, judged),
        charted: bars.len(),
        chartable: chartable.len(),
        legend: if judged {
            format!("{LEGEND} {FLOOR_LEGEND}")
        } else {
            LEGEND.to_string()
        },
        guessed,
        assumed,
        capped,
    })
}

/// Both values as finite numbers, the incumbent not zero: what an index needs.
fn indexable(m: &SharedMetric) -> Option<(f64, f64)> {
    // MLflow stores ±infinity as ±f64::MAX: not a value to draw.
    let finite =
        |v: Option<f64>| v.filter(|n| n.is_finite() && n.abs().to_bits() != f64::MAX.to_bits());
    let (c, i) = (finite(m.candidate.number)?, finite(m.incumbent.number)?);
    (i != 0.0).then_some((c, i))
}

fn colour_of(raw: f64, beyond: bool) -> Colour {
    if beyond {
        Colour::Beyond
    } else if raw >= INCUMBENT {
        Colour::NotWorse
    } else {
        Colour::Allowed
    }
}

/// The `xychart-beta` source of the bars, with the line of the lowest allowed when a rule
/// judges one of them (else it would only repeat the incumbent's).
fn source(bars: &[Bar], floors_line: bool) -> String {
    let values = bars
        .iter()
        .flat_map(|b| [b.index, b.floor])
        .chain([INCUMBENT]);
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    // A margin of a fifth of the spread (at least 2 points), so the lowest bar still shows.
    let margin = ((high - low) / 5.0).max(2.0);
    let (bottom, top) = ((low - margin).floor(), (high + margin).ceil());
    // Fixed decimals: Rust never writes them with an exponent, the one number form xychart's
    // grammar cannot read.
    let number = |v: f64| format!("{v:.1}");
    // Far below the axis (at least 30 − 0 of at most 140 points): a negative height, not
    // drawn (see the module's note). Not negative itself: older mermaid reads no minus sign.
    let hidden = 0.0;
    let series = |colour: Colour| -> String {
        let values: Vec<String> = bars
            .iter()
            .map(|b| number(if b.colour == colour { b.index } else { hidden }))
            .collect();
        values.join(", ")
    };
    let labels: Vec<String> = bars.iter().map(|b| format!("\"{}\"", b.label)).collect();
    let floors: Vec<String> = bars.iter().map(|b| number(b.floor)).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "%%{{init: {{\"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"{PALETTE}\"}}}}}}}}%%"
    );
    out.push_str("xychart-beta\n");
    let _ = writeln!(
        out,
        "    title \"Candidate as % of the incumbent, up is better\""
    );
    let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
    let _ = writeln!(
        out,
        "    y-axis \"% of incumbent\" {} --> {}",
        number(bottom),
        number(top)
    );
    let _ = writeln!(out, "    bar \"not worse\" [{}]", series(Colour::NotWorse));
    let _ = writeln!(
        out,
        "    bar \"worse, allowed\" [{}]",
        series(Colour::Allowed)
    );
    let _ = writeln!(
        out,
        "    bar \"worse than allowed\" [{}]",
        series(Colour::Beyond)
    );
    let incumbent = vec![number(INCUMBENT); bars.len()];
    let _ = writeln!(out, "    line \"incumbent\" [{}]", incumbent.join(", "));
    if floors_line {
        let _ = writeln!(out, "    line \"lowest allowed\" [{}]", floors.join(", "));
    }
    out
}

#[cfg(test)]
mod tests;
