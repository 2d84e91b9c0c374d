//! GitHub Actions output: workflow-command annotations (most severe first, since GitHub shows
//! only the first ten of each kind per step), the job summary (`$GITHUB_STEP_SUMMARY`, capped
//! at 1 MiB by GitHub) and step outputs (`$GITHUB_OUTPUT`) — three reporters, one per
//! destination. For a bulk run the annotations of every version share GitHub's per-kind cap,
//! and the summary and outputs are the bulk run's (`report::summary`).

use std::fmt::Write;

use super::reporter::{Reporter, Shape};
use super::sanitize::{github_data as data, github_property as property};
use super::sarif::Site;
use super::summary::Summary;
use super::Evaluation;
use crate::engine::{Severity, Status};

/// GitHub's annotation display limit per kind and step.
const SHOWN_PER_KIND: usize = 10;
/// GitHub rejects step summaries above 1 MiB.
const SUMMARY_LIMIT: usize = 1024 * 1024 - 4096;

/// One workflow command before it is written.
struct Annotation {
    /// 0 error, 1 warning, 2 notice: the kind, and its slot in the per-kind count.
    slot: usize,
    file: Option<(String, usize)>,
    title: String,
    message: String,
}

const KINDS: [&str; 3] = ["error", "warning", "notice"];

/// `::error …::message` lines: gather errors first (they decide an ERROR verdict), then the
/// findings, most severe first, then waiver warnings, since GitHub shows only the first ten
/// of each kind per step; a notice says how many were not shown.
///
/// A finding points at its rule's line when the rule is in a file of the repository, at the
/// stand-in `site` found for it (`mlgate.toml`, the workflow, `--sarif-anchor`) otherwise,
/// and at no file when there is none: GitHub then shows the annotation on the run. Every
/// property goes through [`property`] (`:` and `,` would end it), every message through
/// [`data`].
pub fn annotations(e: &Evaluation<'_>, site: &Site) -> String {
    let mut reporter = Annotations::new(site, Shape::One);
    let mut out = String::new();
    reporter.version(e, &mut out);
    reporter.finish(&Summary::default(), &mut out);
    out
}

/// The annotations reporter: workflow commands on standard output, capped per kind over the
/// whole run.
pub struct Annotations<'a> {
    site: &'a Site,
    shape: Shape,
    shown: [usize; 3],
    hidden: usize,
}

impl<'a> Annotations<'a> {
    pub fn new(site: &'a Site, shape: Shape) -> Self {
        Self {
            site,
            shape,
            shown: [0; 3],
            hidden: 0,
        }
    }
}

impl Reporter for Annotations<'_> {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        // A bulk run says its waiver warnings once, over all versions (on standard error),
        // not once per version.
        let notes = self.shape == Shape::One;
        for a in collect(e, self.site, notes) {
            // One notice is kept for the count of hidden annotations.
            let cap = SHOWN_PER_KIND - usize::from(a.slot == 2);
            if self.shown[a.slot] >= cap {
                self.hidden += 1;
                continue;
            }
            self.shown[a.slot] += 1;
            let mut props = String::new();
            if let Some((file, line)) = &a.file {
                let _ = write!(props, "file={},line={line},", property(file));
            }
            let _ = writeln!(
                out,
                "::{} {props}title={}::{}",
                KINDS[a.slot],
                property(&a.title),
                data(&a.message)
            );
        }
    }

    fn finish(&mut self, _: &Summary, out: &mut String) {
        if self.hidden > 0 {
            let _ = writeln!(
                out,
                "::notice title=mlgate::{}",
                data(&format!(
                    "{} more annotations are not shown here; see the job summary or the report",
                    self.hidden
                ))
            );
        }
    }
}

/// One version's annotations, in the order they are shown; its waiver notes when `notes`.
fn collect(e: &Evaluation<'_>, site: &Site, notes: bool) -> Vec<Annotation> {
    let model = e.snapshot.model_uri();
    let mut all = Vec::new();
    let gathered = &e.snapshot.errors;
    if !gathered.is_empty() {
        let allowed = e.verdict.gather_errors_allowed;
        let mut message = format!(
            "{} call{} failed while gathering {model} ({}):",
            gathered.len(),
            if gathered.len() == 1 { "" } else { "s" },
            if allowed {
                "allowed by --allow-gather-errors"
            } else {
                "the run fails closed; --allow-gather-errors to accept"
            }
        );
        for outage in super::outages(e) {
            let g = outage.error;
            let _ = write!(message, "\n- {}: {}", g.section, g.describe());
            if let Some(blocked) = outage.blocked_line() {
                let _ = write!(message, " ({blocked})");
            }
        }
        all.push(Annotation {
            slot: usize::from(allowed),
            file: None,
            title: "mlgate: gather errors".into(),
            message,
        });
    }
    // Rules a failed call blocked are listed under that call above, not one by one.
    let mut findings: Vec<_> = e
        .findings
        .iter()
        .filter(|f| super::sarif::is_result(e, f))
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    all.extend(findings.into_iter().map(|f| Annotation {
        slot: match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        },
        file: site.file_of(f),
        title: format!("{}: {}", f.rule_id, f.title),
        message: super::finding_line(&model, f),
    }));
    all.extend(e.notes.iter().filter(|_| notes).map(|note| Annotation {
        slot: 1,
        file: None,
        title: "mlgate: waiver".into(),
        message: note.clone(),
    }));
    all
}

/// The most items a summary list (gather errors, waivers) shows.
const LIST_ITEMS: usize = 25;
/// The most of one failed call's list of blocked rules the summary shows, in bytes once
/// escaped: room for hundreds of rule ids, bounded so the findings table keeps its room.
const BLOCKED_BUDGET: usize = 16 * 1024;

/// The "Gather errors" and "Waivers" sections of the summary, when there is something to say.
fn story(e: &Evaluation<'_>) -> String {
    let mut out = String::new();
    let gathered = &e.snapshot.errors;
    if !gathered.is_empty() {
        let n = gathered.len();
        let calls = if n == 1 { "call" } else { "calls" };
        let _ = writeln!(
            out,
            "#### Gather errors\n\n{}\n",
            if e.verdict.gather_errors_allowed {
                format!("{n} {calls} failed while gathering; allowed by `--allow-gather-errors`.")
            } else {
                format!(
                    "{n} {calls} failed while gathering: facts that could not be read are never taken as fine (`--allow-gather-errors` to accept)."
                )
            }
        );
        // Each call with the rules it kept from being evaluated: they get no table row.
        list(
            &mut out,
            super::outages(e).into_iter().map(|o| {
                let blocked = o
                    .blocked_line()
                    .map(|l| format!("; {}", clip_cell(&l, BLOCKED_BUDGET)))
                    .unwrap_or_default();
                format!(
                    "{}: {}{blocked}",
                    super::sanitize::markdown_code(&o.error.section),
                    clip_cell(&o.error.describe(), MESSAGE_BUDGET)
                )
            }),
        );
    }
    if !e.notes.is_empty() {
        out.push_str("#### Waivers\n\n");
        list(
            &mut out,
            e.notes.iter().map(|n| clip_cell(n, MESSAGE_BUDGET)),
        );
    }
    out
}

/// A Markdown list of already escaped items, at most [`LIST_ITEMS`] of them.
fn list(out: &mut String, items: impl ExactSizeIterator<Item = String>) {
    let total = items.len();
    for item in items.take(LIST_ITEMS) {
        let _ = writeln!(out, "- {item}");
    }
    if total > LIST_ITEMS {
        let _ = writeln!(out, "- … and {} more (see the report)", total - LIST_ITEMS);
    }
    out.push('\n');
}

/// The Markdown job summary: the verdict, the calls that failed while gathering (each with
/// the rules it kept from being evaluated) and the waiver warnings (expired, unmatched) when
/// there are any, the findings table of the other rules, then — when a promotion was
/// evaluated — the candidate against the incumbent, kept under GitHub's limit. Messages are
/// clipped row by row, each to an equal share of the room left (at most [`MESSAGE_BUDGET`]),
/// so one enormous message cannot push every other rule out of the table: each rule id and
/// outcome is always listed, in the table or under its failed call. The comparison is
/// clipped on its own (rows and cells, see `markdown::comparison_fragment`) and its room is
/// set aside first.
pub fn summary(e: &Evaluation<'_>) -> String {
    let comparison = super::markdown::comparison_fragment(e.snapshot, e.findings).map(|c| {
        if c.len() > COMPARISON_BUDGET {
            TOO_LONG.to_string()
        } else {
            c
        }
    });
    let limit = SUMMARY_LIMIT - comparison.as_ref().map_or(0, String::len);
    let v = e.verdict;
    let mut out = format!(
        "### mlgate: {} — {}\n\n",
        v.status.headline(),
        super::escape_cell(&e.snapshot.model_uri())
    );
    if let Some(p) = e.promotion {
        let _ = writeln!(out, "{}\n", super::markdown::promotion_line(p));
    }
    let counts: Vec<String> = v.counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
    let _ = writeln!(out, "{} at `--fail-on {}`.\n", counts.join(", "), v.fail_on);
    out.push_str(&story(e));
    // A rule a failed call blocked is listed under that call in the story, not repeated here.
    let findings: Vec<_> = e
        .findings
        .iter()
        .filter(|f| !super::is_blocked(e, f))
        .collect();
    // Left out when the failed calls took every row (nothing could be gathered).
    if !findings.is_empty() || e.snapshot.errors.is_empty() {
        out.push_str("| rule | severity | outcome | message |\n| --- | --- | --- | --- |\n");
    }
    let heads: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "| {} | {} | {} | ",
                super::sanitize::markdown_code(&f.rule_id),
                f.severity,
                f.outcome
            )
        })
        .collect();
    let fixed: usize = heads.iter().map(|h| h.len() + " |\n".len()).sum();
    let share = limit
        .saturating_sub(out.len() + fixed + TRUNCATED.len())
        .checked_div(heads.len())
        .unwrap_or(0)
        .min(MESSAGE_BUDGET);
    for (f, head) in findings.iter().zip(&heads) {
        let row = format!("{head}{} |\n", clip_cell(&f.message, share));
        // Only reached when the rule ids alone overflow the limit (tens of thousands of rules).
        if out.len() + row.len() > limit - TRUNCATED.len() {
            out.push_str(TRUNCATED);
            break;
        }
        out.push_str(&row);
    }
    if let Some(comparison) = comparison {
        out.push_str(&comparison);
    }
    out
}

/// The most room the comparison may take in the summary. Its tables are already clipped to a
/// few rows of short cells; this bounds what escaping can still add.
const COMPARISON_BUDGET: usize = 256 * 1024;
const TOO_LONG: &str =
    "\n#### Candidate vs incumbent\n\n_Too long for the job summary: see the report._\n";

/// The most of one message the summary shows, in bytes once escaped.
const MESSAGE_BUDGET: usize = 2000;
const TRUNCATED: &str = "\n_(truncated: GitHub caps the summary at 1 MiB; see the full report)_\n";

/// A message escaped for a table cell, cut at a character (never inside an escape) so that it
/// fits `max` bytes, with `…` marking the cut.
fn clip_cell(message: &str, max: usize) -> String {
    let escaped = super::escape_cell(message);
    if escaped.len() <= max {
        return escaped;
    }
    let room = max.saturating_sub("…".len());
    let mut out = String::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        let piece = match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                "<br/>".to_string()
            }
            c => super::escape_cell(c.encode_utf8(&mut [0; 4])),
        };
        if out.len() + piece.len() > room {
            break;
        }
        out.push_str(&piece);
    }
    out.push('…');
    out
}

/// The job summary reporter: one version's summary, or the bulk run's.
pub struct StepSummary {
    shape: Shape,
}

impl StepSummary {
    pub fn new(shape: Shape) -> Self {
        Self { shape }
    }
}

impl Reporter for StepSummary {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        if self.shape == Shape::One {
            out.push_str(&summary(e));
        }
    }

    fn finish(&mut self, s: &Summary, out: &mut String) {
        if self.shape == Shape::Many {
            let text = super::summary::markdown(s);
            // The bulk summary's tables grow with the versions: kept under GitHub's limit.
            if text.len() > SUMMARY_LIMIT {
                let mut cut = SUMMARY_LIMIT - TRUNCATED.len();
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                let cut = text[..cut].rfind('\n').map_or(cut, |i| i + 1);
                out.push_str(&text[..cut]);
                out.push_str(TRUNCATED);
            } else {
                out.push_str(&text);
            }
        }
    }
}

/// The step outputs reporter: `key=value` lines for the steps after mlgate.
pub struct StepOutputs {
    shape: Shape,
}

impl StepOutputs {
    pub fn new(shape: Shape) -> Self {
        Self { shape }
    }
}

impl Reporter for StepOutputs {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        if self.shape == Shape::One {
            out.push_str(&outputs(e));
        }
    }

    /// A bulk run: its verdict, and how many versions had each.
    fn finish(&mut self, s: &Summary, out: &mut String) {
        if self.shape == Shape::Many {
            let _ = write!(
                out,
                "verdict={}\nchecked={}\n",
                s.status().as_str(),
                s.versions.len()
            );
            for status in [Status::Pass, Status::Fail, Status::Error] {
                let _ = writeln!(out, "{}={}", status.as_str(), s.tally(status));
            }
        }
    }
}

/// `key=value` step outputs.
pub fn outputs(e: &Evaluation<'_>) -> String {
    let v = e.verdict;
    let mut out = format!(
        "verdict={}\ngather_errors={}\n",
        v.status.as_str(),
        v.gather_errors
    );
    for (outcome, n) in &v.counts {
        let _ = writeln!(out, "{outcome}={n}");
    }
    out
}

#[cfg(test)]
mod tests;
