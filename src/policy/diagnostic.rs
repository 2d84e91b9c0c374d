//! Policy-file problems as miette diagnostics: a stable code, the file, a labelled span and
//! help text. Every problem in a load is collected and reported at once.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::error_code::Code;
use std::fmt::Write as _;

use miette::{
    Diagnostic, GraphicalReportHandler, LabeledSpan, MietteError, MietteSpanContents, NamedSource,
    SourceCode, SourceSpan, SpanContents,
};

/// One problem in a policy file.
#[derive(Debug, Clone)]
pub struct PolicyProblem {
    /// Stable code, e.g. `policy::unknown-check`.
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
    pub source: Arc<NamedSource<String>>,
    pub labels: Vec<(Range<usize>, String)>,
    /// Notes pointing elsewhere (the first definition of a duplicate id, maybe in another file).
    pub related: Vec<PolicyProblem>,
}

impl PolicyProblem {
    pub fn new(
        code: Code,
        source: &Arc<NamedSource<String>>,
        span: Range<usize>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            help: None,
            source: Arc::clone(source),
            labels: vec![(span, label.into())],
            related: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// This problem as it should be drawn: its source cut to the lines around its labels
    /// (see [`Excerpt`]) and over-long lines clipped (see `excerpt`), so the renderer cannot
    /// panic on them. `lines` indexes the problem's own source; related notes may cite other
    /// files and are indexed on their own (they are few).
    fn drawn(&self, lines: &LineIndex) -> Drawn {
        let excerpt = Excerpt::around(&self.source, lines, &self.labels);
        Drawn {
            code: self.code,
            message: self.message.clone(),
            help: self.help.clone(),
            labels: excerpt.labels.clone(),
            source: excerpt,
            related: self
                .related
                .iter()
                .map(|r| r.drawn(&LineIndex::new(r.source.inner())))
                .collect(),
        }
    }

    #[must_use]
    pub fn with_related(mut self, note: PolicyProblem) -> Self {
        self.related.push(note);
        self
    }
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyProblem {}

impl Diagnostic for PolicyProblem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source.as_ref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().map(|(span, label)| {
            LabeledSpan::new_with_span(Some(label.clone()), span.clone())
        })))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

/// Everything wrong with a set of policy files (exit code 2).
#[derive(Debug, Clone)]
pub struct PolicyErrors {
    pub problems: Vec<PolicyProblem>,
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut files: Vec<&str> = self.problems.iter().map(|p| p.source.name()).collect();
        files.dedup();
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in {}",
            if n == 1 { "" } else { "s" },
            files.join(", ")
        )
    }
}

impl std::error::Error for PolicyErrors {}

impl Diagnostic for PolicyErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(Code::PolicyInvalid))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "`docs/policy-language.md` describes every key and check",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|d| d as &dyn Diagnostic)))
    }
}

/// The most problems drawn in full; the rest are counted. Past a screenful nobody reads them,
/// and a file generated wrong can hold thousands.
pub const DRAWN_PROBLEMS: usize = 50;

impl PolicyErrors {
    /// Draws the first [`DRAWN_PROBLEMS`] problems, a count of the rest, then the summary (how
    /// many, in which files) with its help. miette draws a diagnostic's own message and help
    /// *before* its related ones, which put "fix the problems above" above the problems; drawn
    /// one by one, the advice comes last, where a reader of a terminal or a CI log (read from
    /// the bottom) meets it after the problems.
    ///
    /// Linear in the size of the files: each file's line starts are indexed once, and each
    /// problem is drawn from an excerpt of the lines around its labels. (Drawing it from the
    /// whole file made miette count lines from the top for every problem: 10,000 problems in
    /// one file took 69 s, issue 20.)
    pub fn render(&self, handler: &GraphicalReportHandler) -> Result<String, fmt::Error> {
        let mut out = String::new();
        let mut indexed: Vec<(&Arc<NamedSource<String>>, LineIndex)> = Vec::new();
        for problem in self.problems.iter().take(DRAWN_PROBLEMS) {
            // Problems come file by file: a short list of indexed files is enough.
            let known = indexed
                .iter()
                .position(|(s, _)| Arc::ptr_eq(s, &problem.source));
            let i = known.unwrap_or_else(|| {
                indexed.push((&problem.source, LineIndex::new(problem.source.inner())));
                indexed.len() - 1
            });
            handler.render_report(&mut out, &problem.drawn(&indexed[i].1))?;
            out.push('\n');
        }
        let rest = self.problems.len().saturating_sub(DRAWN_PROBLEMS);
        if rest > 0 {
            let _ = writeln!(
                out,
                "… and {} more problem{}\n",
                grouped(rest),
                if rest == 1 { "" } else { "s" }
            );
        }
        handler.render_report(&mut out, &Summary(self))?;
        Ok(out)
    }
}

/// `9950` as `9,950` (policy/ may not use the reporters' helper: layers).
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where each line of a text starts, for finding the lines around an offset without reading
/// the text from its start.
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1)
    }
}

/// Lines of context kept around a problem's labels: more than the renderer draws (one line
/// each side by default), so an excerpt renders exactly as the whole file would.
const CONTEXT_LINES: usize = 3;

/// The lines of a source around some labels, as a [`SourceCode`] that reports the lines'
/// real numbers: miette reads only this excerpt, never the lines before it.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    /// The 0-based number, in the file, of the excerpt's first line.
    first_line: usize,
    /// The labels, moved into `text`.
    labels: Vec<(Range<usize>, String)>,
}

impl Excerpt {
    fn around(
        source: &NamedSource<String>,
        lines: &LineIndex,
        labels: &[(Range<usize>, String)],
    ) -> Self {
        let text = source.inner();
        let clamp = |offset: usize| offset.min(text.len());
        let first = labels
            .iter()
            .map(|(s, _)| clamp(s.start))
            .min()
            .unwrap_or(0);
        let last = labels
            .iter()
            .map(|(s, _)| clamp(s.end.max(s.start)))
            .max()
            .unwrap_or(0);
        let first_line = lines.line_of(first).saturating_sub(CONTEXT_LINES);
        let start = lines.starts[first_line];
        // The end of the last line kept, its newline excluded.
        let end = lines
            .starts
            .get(lines.line_of(last) + CONTEXT_LINES + 1)
            .map_or(text.len(), |next| next - 1);
        let window = &text[start..end];
        let moved: Vec<_> = labels
            .iter()
            .map(|(span, label)| {
                let at = |o: usize| clamp(o).saturating_sub(start).min(window.len());
                (at(span.start)..at(span.end.max(span.start)), label.clone())
            })
            .collect();
        let (text, labels) = super::excerpt::for_display(window, &moved);
        Self {
            name: source.name().to_string(),
            text,
            first_line,
            labels,
        }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count() + self.first_line,
        )))
    }
}

/// A problem as it is drawn: its source an [`Excerpt`].
#[derive(Debug)]
struct Drawn {
    code: Code,
    message: String,
    help: Option<String>,
    source: Excerpt,
    labels: Vec<(Range<usize>, String)>,
    related: Vec<Drawn>,
}

impl fmt::Display for Drawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Drawn {}

impl Diagnostic for Drawn {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().map(|(span, label)| {
            LabeledSpan::new_with_span(Some(label.clone()), span.clone())
        })))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

/// The closing line of a policy load that failed: the count, the files and the help.
#[derive(Debug)]
struct Summary<'a>(&'a PolicyErrors);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Summary<'_> {}

impl Diagnostic for Summary<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(Code::PolicyInvalid))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "fix the problems above; `docs/policy-language.md` describes every key and check",
        ))
    }
}
