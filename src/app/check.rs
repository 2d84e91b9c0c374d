//! `mlgate check`: gather or load the snapshot, evaluate the policies in effect, write every
//! requested output, and turn the verdict into the exit code.

use std::path::Path;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    Severity as Level,
};

use super::config::{self, Effective};
use super::{
    gather_or_say_why, render_error, stdio, use_color, write, AppError, UsageError,
    EXAMPLE_SNAPSHOT,
};
use crate::cli::{CheckArgs, OutputArgs};
use crate::engine::{self, Status, Waiver, WaiverNote};
use crate::error_code::Code;
use crate::exit::Exit;
use crate::policy::{Policy, PolicyText};
use crate::report::{self, Evaluation};
use crate::snapshot::io as snapshot_io;
use crate::snapshot::Snapshot;
use crate::timefmt;

pub fn run(args: &CheckArgs) -> Result<Exit, AppError> {
    if args.all_models {
        return super::audit::run(args);
    }
    super::outputs::distinct(&args.output)?;
    // Policies first: a broken policy is a usage error whatever the model.
    let Effective {
        policy,
        texts,
        config,
    } = config::effective(&args.policy)?;
    let fail_on = config.fail_on(args.output.fail_on)?;
    let today = today(args.eval.now.as_deref())?;
    let target = super::target::validate(&args.eval, &policy.rules)?;
    let site = super::sarif_site::for_output(&args.output, &args.policy, &config, &policy)?;
    // A gather that failed outright still gives a snapshot (saying why), so every output is
    // written before the run ends on exit 3. With a promotion target, the version holding it
    // is gathered too (rules compare with it as `incumbent`), as `promote` would.
    let (mut snapshot, fatal) = match (&args.model, &args.snapshot) {
        (Some(model), _) => gather_or_say_why(model, &args.server, target.goal().as_ref())?,
        (None, Some(path)) => (snapshot_io::load(path)?, None),
        (None, None) => (
            snapshot_io::parse(
                EXAMPLE_SNAPSHOT,
                Path::new("examples/dolly3b.snapshot.json"),
            )?,
            None,
        ),
    };
    target.apply(&mut snapshot);
    let judged = judge(&snapshot, &policy, &texts, fail_on, today, &args.output);
    emit(
        &args.output,
        !args.server.no_redact,
        &snapshot,
        &policy,
        &judged,
        &site,
    )?;
    let verdict = &judged.verdict;
    match (verdict.status, fatal) {
        // Known red: the failure wins, and the gather error is still said.
        (Status::Fail, Some(error)) => {
            stdio::err(&render_error(&error));
            Ok(Exit::PolicyFailed)
        }
        (_, Some(error)) => Err(error),
        (Status::Pass, None) => Ok(Exit::Pass),
        (Status::Fail, None) => Ok(Exit::PolicyFailed),
        (Status::Error, None) => Ok(Exit::Gather),
    }
}

/// What the engine made of a snapshot: findings, waiver notes and the verdict.
pub(crate) struct Judged {
    pub evaluation: engine::Evaluation,
    pub verdict: engine::Verdict,
    pub notes: Vec<String>,
}

/// Evaluates the policies against the snapshot; waiver warnings go to stderr.
pub(crate) fn judge(
    snapshot: &Snapshot,
    policy: &Policy,
    texts: &[PolicyText],
    fail_on: engine::Severity,
    today: i64,
    output: &OutputArgs,
) -> Judged {
    let judged = judge_quietly(snapshot, policy, fail_on, today, output);
    stdio::err(&waiver_warnings(
        &judged.evaluation.waiver_notes,
        &policy.waivers,
        texts,
    ));
    judged
}

/// [`judge`] without the waiver warnings (a bulk run says them once, over all versions).
pub(crate) fn judge_quietly(
    snapshot: &Snapshot,
    policy: &Policy,
    fail_on: engine::Severity,
    today: i64,
    output: &OutputArgs,
) -> Judged {
    let evaluation = engine::evaluate(snapshot, &policy.rules, &policy.waivers, today);
    let verdict = engine::verdict(
        &evaluation.findings,
        fail_on,
        snapshot.errors.len(),
        output.allow_gather_errors,
        output.allow_all_skipped,
    );
    let notes = evaluation
        .waiver_notes
        .iter()
        .map(|n| n.message.clone())
        .collect();
    Judged {
        evaluation,
        verdict,
        notes,
    }
}

/// Writes every requested output, from a redacted copy of the snapshot and findings (the
/// rules saw the real values, see `redact`).
pub(crate) fn emit(
    output: &OutputArgs,
    redact: bool,
    snapshot: &Snapshot,
    policy: &Policy,
    judged: &Judged,
    site: &report::sarif::Site,
) -> Result<(), AppError> {
    let (shown, redactor) = crate::redact::snapshot(snapshot, redact);
    let findings = redact_findings(&judged.evaluation.findings, &redactor);
    let e = Evaluation {
        snapshot: &shown,
        findings: &findings,
        verdict: &judged.verdict,
        policy_files: &policy.files,
        policy_digest: &policy.digest,
        notes: &judged.notes,
    };
    if let Some(path) = &output.report {
        write(path, &report::markdown::render(&shown, Some(&e)))?;
    }
    if let Some(path) = &output.junit {
        let xml = report::junit::render(&e).map_err(|source| AppError::Junit {
            path: path.clone(),
            source,
        })?;
        write(path, &xml)?;
    }
    if let Some(path) = &output.json {
        write(path, &report::json::render(&e))?;
    }
    if let Some(path) = &output.sarif {
        write(path, &report::sarif::render(&e, &policy.rules, site))?;
        let unplaced = report::sarif::unplaced(&e, site);
        if unplaced > 0 {
            stdio::err(&format!(
                "mlgate: warning: {unplaced} SARIF result(s) have no file in this repository to point at (bundled rules); GitHub code scanning rejects such a file: add an mlgate.toml or pass --sarif-anchor FILE\n"
            ));
        }
    }
    if let Some(path) = &output.codequality {
        write(path, &report::codequality::render(&e, site))?;
        let unplaced = report::sarif::unplaced(&e, site);
        if unplaced > 0 {
            stdio::err(&format!(
                "mlgate: warning: {unplaced} Code Quality issue(s) have no file in this repository to point at (bundled rules); GitLab lists them without a link: add an mlgate.toml or pass --sarif-anchor FILE\n"
            ));
        }
    }
    if output.github {
        stdio::out(&report::github::annotations(&e, site))?;
        for (var, text) in [
            ("GITHUB_STEP_SUMMARY", report::github::summary(&e)),
            ("GITHUB_OUTPUT", report::github::outputs(&e)),
        ] {
            if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
                append(Path::new(&path), &text)?;
            }
        }
    }
    if !output.quiet {
        stdio::out(&report::terminal::render(&e, use_color()))?;
    }
    Ok(())
}

/// Findings as outputs show them: messages and details quote the values they judged.
pub(crate) fn redact_findings(
    findings: &[engine::Finding],
    redactor: &crate::redact::Redactor,
) -> Vec<engine::Finding> {
    findings
        .iter()
        .map(|f| engine::Finding {
            message: redactor.text(&f.message),
            detail: redactor.text(&f.detail),
            ..f.clone()
        })
        .collect()
}

pub(crate) fn append(path: &Path, text: &str) -> Result<(), AppError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| AppError::Output {
            path: path.to_path_buf(),
            source,
        })
}

/// Today as days since 1970-01-01 (UTC), or the day of `--now`.
pub fn today(now: Option<&str>) -> Result<i64, AppError> {
    match now {
        Some(text) => timefmt::parse_instant(text)
            .map(|secs| secs.div_euclid(86_400))
            .ok_or_else(|| {
                AppError::from(UsageError::BadNow {
                    text: text.to_string(),
                })
            }),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs() / 86_400).unwrap_or(0))),
    }
}

/// Expired and unmatched waivers as warnings pointing at the waiver in its file.
pub fn waiver_warnings(notes: &[WaiverNote], waivers: &[Waiver], texts: &[PolicyText]) -> String {
    use std::fmt::Write as _;
    let handler = GraphicalReportHandler::new_themed(if use_color() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    })
    .with_width(100);
    let mut out = String::new();
    for note in notes {
        let w = &waivers[note.index];
        let text = texts
            .iter()
            .find(|t| t.name == w.source)
            .map_or("", |t| t.text.as_str());
        // Long lines clipped, so a waiver far along one cannot crash the renderer.
        let (source, labels) = crate::policy::excerpt::for_display(
            text,
            &[(
                w.span.start..w.span.start + 1,
                (if note.expired {
                    "expired waiver"
                } else {
                    "this waiver"
                })
                .to_string(),
            )],
        );
        // The note quotes the waiver's fields: shown, never obeyed by the terminal.
        let diagnostic = MietteDiagnostic::new(report::sanitize::terminal(&note.message))
            .with_severity(Level::Warning)
            .with_code(if note.expired { Code::WaiverExpired } else { Code::WaiverUnmatched }.as_str())
            .with_labels(labels.into_iter().map(|(span, label)| LabeledSpan::at(span, label)))
            .with_help(if note.expired {
                "renew it with a new `expires` (and a fresh reason), or fix the finding and delete the waiver"
            } else {
                "delete the waiver if its rule now passes, or fix its `rule` / `model` / `versions`"
            });
        let report =
            miette::Report::new(diagnostic).with_source_code(NamedSource::new(&w.source, source));
        // A warning that cannot be drawn is still given, as plain text.
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            let _ = writeln!(out, "warning: {}", note.message);
        }
    }
    out
}
