//! Policy-file problems as miette diagnostics: a stable code, the file, a labelled span and
//! help text. Every problem in a load is collected and reported at once.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::error_code::Code;
use miette::{Diagnostic, GraphicalReportHandler, LabeledSpan, NamedSource, SourceCode};

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

    /// This problem as it should be drawn: over-long source lines clipped (see `excerpt`), so
    /// the renderer cannot panic on them.
    #[must_use]
    pub fn for_display(&self) -> Self {
        let (source, labels) = match super::excerpt::clip(self.source.inner(), &self.labels) {
            Some((text, labels)) => (Arc::new(NamedSource::new(self.source.name(), text)), labels),
            None => (Arc::clone(&self.source), self.labels.clone()),
        };
        Self {
            code: self.code,
            message: self.message.clone(),
            help: self.help.clone(),
            source,
            labels,
            related: self.related.iter().map(Self::for_display).collect(),
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

impl PolicyErrors {
    /// Every problem as it should be drawn (see [`PolicyProblem::for_display`]).
    #[must_use]
    pub fn for_display(&self) -> Self {
        Self {
            problems: self
                .problems
                .iter()
                .map(PolicyProblem::for_display)
                .collect(),
        }
    }
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

impl PolicyErrors {
    /// Draws every problem, then the summary (how many, in which files) with its help. miette
    /// draws a diagnostic's own message and help *before* its related ones, which put "fix the
    /// problems above" above the problems; drawn one by one, the advice comes last, where a
    /// reader of a terminal or a CI log (read from the bottom) meets it after the problems.
    pub fn render(&self, handler: &GraphicalReportHandler) -> Result<String, fmt::Error> {
        let mut out = String::new();
        for problem in &self.problems {
            handler.render_report(&mut out, problem)?;
            out.push('\n');
        }
        handler.render_report(&mut out, &Summary(self))?;
        Ok(out)
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
