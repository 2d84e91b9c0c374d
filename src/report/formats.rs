//! Every output format on one shared set of fixtures, snapshotted with insta: the seed
//! example, a promotion judged against its incumbent, an outage (nothing could be gathered),
//! hostile server text, and a bulk run of three versions. Each format is driven through the
//! one [`Reporter`] contract, exactly as the pipeline drives it, so a snapshot shows what a
//! user gets; a change to any format shows up here on every fixture at once.

use std::path::Path;

use super::codequality::CodeQuality;
use super::github::{Annotations, StepOutputs, StepSummary};
use super::json::Json;
use super::junit::Junit;
use super::markdown::Markdown;
use super::reporter::{Reporter, Shape};
use super::sarif::{Place, Sarif, Site};
use super::summary::{Summary, VersionResult};
use super::terminal::Terminal;
use super::Evaluation;
use crate::engine::{self, Finding, Severity, Verdict};
use crate::policy::{self, Policy, PolicyText};
use crate::snapshot::{Backend, Detail, GatherError, Snapshot};

/// What hostile fixtures put wherever a server's text reaches an output: terminal escapes, a
/// carriage return, a bidi override, a forged workflow command, markup and a CDATA end.
const HOSTILE: &str = "\u{1b}[31mred\rback\u{202e}rtl%0A::error::forged <b>&amp;</b> ]]> |cell|";

/// The policy of the fixtures: the bundled baseline, with the promotion gate that compares
/// with the incumbent when a promotion is judged.
fn policy(promotion: bool) -> Policy {
    let mut texts = vec![policy::baseline()];
    if promotion {
        texts.push(PolicyText {
            name: "policies/promotion.toml".into(),
            text: include_str!("../../tests/fixtures/promote/promotion.toml").into(),
        });
    }
    policy::load(&texts).expect("the fixture policies load")
}

/// Where results point: the promotion policy is a file of the repository, the bundled rules
/// are shown at the user's `mlgate.toml`.
fn site() -> Site {
    Site {
        root: Some("file:///work/repo/".into()),
        places: [
            (
                "policies/promotion.toml".to_string(),
                Place::File("policies/promotion.toml".into()),
            ),
            (
                "builtin:baseline".to_string(),
                Place::StandIn {
                    uri: "mlgate.toml".into(),
                    line: 1,
                    why: "bundled rule builtin:baseline, shown at mlgate.toml".into(),
                },
            ),
        ]
        .into(),
        bundled: ["builtin:baseline".to_string()].into(),
    }
}

fn parse(text: &str, name: &str) -> Snapshot {
    crate::snapshot::io::parse(text, Path::new(name)).expect("fixture snapshot")
}

/// The seed example: 3 failures, a rule blocked by a failed call, a warning below the bar.
fn seed() -> Snapshot {
    parse(crate::app::EXAMPLE_SNAPSHOT, "dolly3b.snapshot.json")
}

/// Version 2 promoted to `@champion`, held by version 1: judged against its incumbent.
fn promotion() -> Snapshot {
    parse(
        include_str!("../../tests/fixtures/snapshots/dolly3b-promotion.snapshot.json"),
        "dolly3b-promotion.snapshot.json",
    )
}

/// Nothing could be gathered: the server refused the connection.
fn outage(version: &str) -> Snapshot {
    let target = serde_json::from_value(serde_json::json!({
        "reference": format!("models:/dolly3b/{version}"),
        "kind": "version",
        "name": "dolly3b",
        "version": version,
    }))
    .expect("target");
    Snapshot::not_gathered(
        target,
        Some("http://127.0.0.1:9".into()),
        Some(Backend::MlflowOss),
        "2023-06-21T06:24:46Z".into(),
        GatherError {
            section: String::new(),
            call: "connect http://127.0.0.1:9".into(),
            message: "connection refused (tcp connect error: Connection refused (os error 111))"
                .into(),
            detail: Box::new(Detail {
                url: Some("http://127.0.0.1:9".into()),
                class: Some("refused".into()),
                attempts: Some(2),
                ..Detail::default()
            }),
            ..GatherError::default()
        },
    )
}

/// The seed with a server's hostile text in its names, description and failed call.
fn hostile() -> Snapshot {
    let mut s = seed();
    s.target.name = Some(format!("dolly{HOSTILE}"));
    s.target.reference = format!("models:/dolly{HOSTILE}/1");
    if let Some(mv) = s.model_version.as_mut() {
        mv.description = Some(HOSTILE.into());
    }
    s.errors[0].message = HOSTILE.into();
    s
}

/// A snapshot judged as `check` judges it (no waivers; at `--fail-on error`).
struct Judged {
    snapshot: Snapshot,
    findings: Vec<Finding>,
    verdict: Verdict,
}

fn judge(snapshot: Snapshot, policy: &Policy) -> Judged {
    let evaluation = engine::evaluate(&snapshot, &policy.rules, &[], 0);
    let verdict = engine::verdict(
        &evaluation.findings,
        Severity::Error,
        snapshot.errors.len(),
        false,
        false,
    );
    Judged {
        snapshot,
        findings: evaluation.findings,
        verdict,
    }
}

fn evaluation<'a>(j: &'a Judged, policy: &'a Policy, notes: &'a [String]) -> Evaluation<'a> {
    Evaluation {
        snapshot: &j.snapshot,
        findings: &j.findings,
        verdict: &j.verdict,
        policy_files: &policy.files,
        policy_digest: "sha256:fixture",
        notes,
        promotion: None,
    }
}

/// Every format, built as the pipeline builds them.
fn reporters<'a>(
    policy: &'a Policy,
    site: &'a Site,
    shape: Shape,
) -> Vec<(&'static str, Box<dyn Reporter + 'a>)> {
    vec![
        ("terminal", Box::new(Terminal::new(shape, false))),
        ("markdown", Box::new(Markdown::new(shape))),
        ("junit", Box::new(Junit::new(shape))),
        ("json", Box::new(Json::new(shape))),
        ("sarif", Box::new(Sarif::new(&policy.rules, site, shape))),
        ("codequality", Box::new(CodeQuality::new(site))),
        (
            "github_annotations",
            Box::new(Annotations::new(site, shape)),
        ),
        ("github_summary", Box::new(StepSummary::new(shape))),
        ("github_outputs", Box::new(StepOutputs::new(shape))),
    ]
}

/// Runs `versions` through every format; each format's whole output.
fn run(versions: &[Judged], policy: &Policy, shape: Shape) -> Vec<(&'static str, String)> {
    let site = site();
    let notes = vec![
        "waiver for `no-metrics` (owner ml-team) expired on 2024-01-31; it no longer applies"
            .to_string(),
    ];
    let mut summary = Summary {
        selected: versions.len(),
        models: 1,
        selection: "all versions of every registered model".into(),
        fail_on: Some(Severity::Error),
        ..Summary::default()
    };
    for j in versions {
        summary.count(&j.findings);
        let target = &j.snapshot.target;
        let not_gathered =
            (j.snapshot.gathered_sections() == 0).then(|| j.snapshot.errors[0].describe());
        summary.versions.push(VersionResult::new(
            target.name.as_deref().unwrap_or_default(),
            target.version.as_deref().unwrap_or_default(),
            &j.findings,
            &j.verdict,
            not_gathered,
        ));
    }
    summary.sort();
    reporters(policy, &site, shape)
        .into_iter()
        .map(|(name, mut reporter)| {
            let mut out = String::new();
            for j in versions {
                reporter.version(&evaluation(j, policy, &notes), &mut out);
            }
            reporter.finish(&summary, &mut out);
            (name, out)
        })
        .collect()
}

fn snapshot_all(fixture: &str, outputs: Vec<(&'static str, String)>) {
    for (format, text) in outputs {
        insta::assert_snapshot!(format!("{fixture}__{format}"), text);
    }
}

#[test]
fn the_seed_example_in_every_format() {
    let policy = policy(false);
    snapshot_all("seed", run(&[judge(seed(), &policy)], &policy, Shape::One));
}

#[test]
fn a_promotion_with_an_incumbent_in_every_format() {
    let policy = policy(true);
    snapshot_all(
        "promotion",
        run(&[judge(promotion(), &policy)], &policy, Shape::One),
    );
}

#[test]
fn an_outage_in_every_format() {
    let policy = policy(false);
    snapshot_all(
        "outage",
        run(&[judge(outage("1"), &policy)], &policy, Shape::One),
    );
}

#[test]
fn hostile_server_text_in_every_format() {
    let policy = policy(false);
    let outputs = run(&[judge(hostile(), &policy)], &policy, Shape::One);
    for (format, text) in &outputs {
        // Shown, never obeyed: no raw escape or bidi control reaches any output.
        assert!(!text.contains(['\u{1b}', '\u{202e}']), "{format}: {text:?}");
    }
    snapshot_all("hostile", outputs);
}

#[test]
fn a_bulk_run_of_three_versions_in_every_format() {
    let policy = policy(false);
    let mut passing = parse(
        include_str!("../../tests/fixtures/snapshots/dolly3b-remediated.snapshot.json"),
        "dolly3b-remediated.snapshot.json",
    );
    passing.target.version = Some("2".into());
    passing.target.reference = "models:/dolly3b/2".into();
    let versions = [
        judge(seed(), &policy),
        judge(passing, &policy),
        judge(outage("3"), &policy),
    ];
    snapshot_all("bulk", run(&versions, &policy, Shape::Many));
}
