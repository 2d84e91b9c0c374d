//! The GitHub Actions outputs on the example fixture and on hostile server text: every line a
//! workflow command of ours, none forged, the whole story told, under GitHub's caps.

use super::*;

#[test]
fn cells_are_clipped_between_escapes() {
    assert_eq!(clip_cell("a|b", 100), "a\\|b");
    assert_eq!(clip_cell("ab|cd", 5), "ab…");
    assert_eq!(clip_cell("a\r\nbcdefghij", 10), "a<br/>b…");
    assert_eq!(clip_cell("ééé", 5), "é…");
}

use crate::engine::Outcome;
use crate::report::sanitize::{is_hidden, tests::hostile};
use crate::report::sarif::Place;
use crate::report::Fixture;
use proptest::prelude::*;

const HOSTILE: &str = "\u{1b}[31mred\rback\u{202e}rtl%0A::error::forged";

fn hostile_fixture(text: &str) -> Fixture {
    let mut fixture = Fixture::example(|s| {
        s.target.name = Some(text.into());
        s.errors[0].message = text.into();
        s.errors[0].section = text.into();
    });
    for f in &mut fixture.findings {
        f.message = format!("{text} {}", f.message);
    }
    fixture.notes.push(text.into());
    fixture
}

/// Every line a workflow command, none forged, nothing a terminal or renderer obeys.
fn inert(out: &str) -> Result<(), String> {
    for line in out.lines() {
        if !["::error ", "::warning ", "::notice "]
            .iter()
            .any(|k| line.starts_with(k))
        {
            return Err(format!("not a command of ours: {line:?}"));
        }
        if line.chars().any(is_hidden) {
            return Err(format!("hidden character: {line:?}"));
        }
        // `title=…::` ends the properties: no `:` or `,` before it may be raw.
        let props = line.split_once(' ').map_or("", |(_, rest)| rest);
        let props = props.split_once("::").map_or(props, |(p, _)| p);
        for prop in props.split(',') {
            let value = prop.split_once('=').map_or("", |(_, v)| v);
            if value.contains([':', ',']) {
                return Err(format!("raw `:` in a property: {line:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_whole_story_in_annotations() {
    let fixture = Fixture::example(|_| {});
    let out = annotations(&fixture.evaluation(), &Site::default());
    inert(&out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("::error title=mlgate%3A gather errors::1 call failed while gathering models:/dolly3b/1 (the run fails closed"),
        "gather errors first, `:` escaped in the title: {out}"
    );
    assert!(lines[0].contains("%0A- permissions.experiment: GET /api/2.0/permissions/experiments/3336498746257830 failed (HTTP 400"));
    assert!(out.contains("::warning title=mlgate%3A waiver::waiver for `no-metrics` (owner ml-team) expired on 2024-01-31"));
    // The rule the failed call blocked is listed under the call, not annotated again
    // (issue 19: one outage, one error).
    assert!(
        lines[0].contains("(1 rule could not be evaluated: experiment-users-group-can-manage)"),
        "{out}"
    );
    assert!(!out.contains("experiment-users-group-can-manage: could not evaluate"));
    assert!(!out.contains("could not be evaluated: could not evaluate"));
    // Bundled rules with nowhere to point: on the run, no file the user does not have.
    assert!(!out.contains("file="), "{out}");
    assert_eq!(lines.len(), 1 + 3 + 1);

    let mut allowed = Fixture::example(|_| {});
    allowed.verdict.gather_errors_allowed = true;
    let out = annotations(&allowed.evaluation(), &Site::default());
    assert!(out.starts_with("::warning title=mlgate%3A gather errors::1 call failed while gathering models:/dolly3b/1 (allowed by --allow-gather-errors)"), "{out}");
}

#[test]
fn a_reason_without_the_verb_gets_it() {
    let mut fixture = Fixture::example(|_| {});
    for f in &mut fixture.findings {
        if f.outcome == Outcome::Error {
            f.message = "GET /x failed".into();
            // An error on facts that were gathered: annotated as itself.
            f.blocked_by = None;
        }
    }
    let out = annotations(&fixture.evaluation(), &Site::default());
    assert!(
        out.contains("experiment-users-group-can-manage could not be evaluated: GET /x failed"),
        "{out}"
    );
}

#[test]
fn annotations_point_at_real_files_only() {
    let fixture = Fixture::example(|_| {});
    let mut site = Site::default();
    site.places.insert(
        "builtin:baseline".into(),
        Place::File("team/a%2Cb%3Ac%20d.toml".into()),
    );
    let out = annotations(&fixture.evaluation(), &site);
    inert(&out).unwrap();
    assert!(
        out.contains("::error file=team/a%2Cb%3Ac d.toml,line=11,title=users-group-can-manage%3A The `users` group"),
        "decoded, then escaped as a property: {out}"
    );
    site.places.insert(
        "builtin:baseline".into(),
        Place::StandIn {
            uri: "mlgate.toml".into(),
            line: 4,
            why: "bundled".into(),
        },
    );
    let out = annotations(&fixture.evaluation(), &site);
    // 3 failures; the blocked rule is said with its failed call, which has no file.
    assert_eq!(out.matches("file=mlgate.toml,line=4,").count(), 3, "{out}");
}

#[test]
fn at_most_ten_of_a_kind_and_a_count_of_the_rest() {
    let mut fixture = Fixture::example(|_| {});
    fixture.notes = (0..15).map(|i| format!("note {i}")).collect();
    let out = annotations(&fixture.evaluation(), &Site::default());
    assert_eq!(out.matches("::warning ").count(), 10);
    assert!(out.ends_with("::notice title=mlgate::6 more annotations are not shown here; see the job summary or the report\n"), "{out}");
}

#[test]
fn hostile_server_strings_in_annotations_and_summary() {
    let fixture = hostile_fixture(HOSTILE);
    let out = annotations(&fixture.evaluation(), &Site::default());
    inert(&out).unwrap();
    // In messages: shown escaped, CR as GitHub's %0D, a literal `%0A` as text (`%250A`).
    assert!(
        out.contains("\\x1b[31mred%0Dback\\u{202e}rtl%250A::error::forged"),
        "{out}"
    );
    // In a title (the rule's), `:` escaped too.
    let mut titled = hostile_fixture(HOSTILE);
    titled.findings[0].title = HOSTILE.into();
    let out = annotations(&titled.evaluation(), &Site::default());
    inert(&out).unwrap();
    assert!(
        out.contains("%3A \\x1b[31mred%0Dback\\u{202e}rtl%250A%3A%3Aerror%3A%3Aforged::"),
        "{out}"
    );
    let summary = summary(&fixture.evaluation());
    assert!(
        !summary.chars().any(|c| is_hidden(c) && c != '\n'),
        "{summary:?}"
    );
    assert!(summary.contains("#### Gather errors") && summary.contains("#### Waivers"));
    assert!(
        summary.contains("\\x1b\\[31mred<br/>back\\u{202e}rtl%0A::error::forged"),
        "{summary}"
    );
    for line in summary.lines() {
        assert!(!line.starts_with("::"), "{line}");
    }
}

#[test]
fn the_summary_tells_the_whole_story() {
    let fixture = Fixture::example(|_| {});
    let out = summary(&fixture.evaluation());
    let gather = out.find("#### Gather errors").expect(&out);
    let waivers = out.find("#### Waivers").expect(&out);
    let table = out.find("| rule |").unwrap();
    assert!(gather < waivers && waivers < table, "{out}");
    // The call with the rule it blocked (issue 19: one outage, one error); that rule gets no
    // row of its own, the rules that failed on gathered facts keep theirs.
    assert!(out.contains("- `permissions.experiment`: GET /api/2.0/permissions/experiments/3336498746257830 failed (HTTP 400 INVALID_PARAMETER_VALUE: Object 3336498746257830 not a experiment.); 1 rule could not be evaluated: experiment-users-group-can-manage\n"), "{out}");
    assert!(
        !out.contains("| `experiment-users-group-can-manage` |"),
        "{out}"
    );
    assert!(out.contains("| `empty-params` | error | fail |"), "{out}");
    assert!(out.contains("- waiver for \\`no-metrics\\` (owner ml-team) expired on 2024-01-31; it no longer applies\n"), "{out}");
    let quiet = Fixture {
        notes: Vec::new(),
        ..Fixture::example(|s| s.errors.clear())
    };
    let out = summary(&quiet.evaluation());
    assert!(!out.contains("####"), "nothing to say, no section: {out}");
}

#[test]
fn a_rule_that_errored_on_gathered_facts_keeps_its_row() {
    let mut fixture = Fixture::example(|_| {});
    for f in &mut fixture.findings {
        if f.outcome == Outcome::Error {
            f.blocked_by = None;
        }
    }
    let out = summary(&fixture.evaluation());
    assert!(
        out.contains("| `experiment-users-group-can-manage` | error | error | could not evaluate"),
        "{out}"
    );
    // The call is still said, with no rule under it.
    assert!(out.contains("not a experiment.)\n"), "{out}");
}

#[test]
fn an_outage_leaves_no_empty_table() {
    let fixture = Fixture::example(|s| {
        let error = crate::snapshot::GatherError {
            section: "*".into(),
            call: "connect http://127.0.0.1:9".into(),
            http_status: None,
            error_code: None,
            message: "connection refused".into(),
            ..crate::snapshot::GatherError::default()
        };
        *s = crate::snapshot::Snapshot::not_gathered(
            s.target.clone(),
            None,
            None,
            "2023-06-21T06:24:46Z".into(),
            error,
        );
    });
    let out = summary(&fixture.evaluation());
    assert_eq!(out.matches("could not be evaluated").count(), 1, "{out}");
    assert!(!out.contains("| rule |"), "{out}");
}

proptest! {
    #[test]
    fn annotations_stay_inert(s in hostile()) {
        let fixture = hostile_fixture(&s);
        let out = annotations(&fixture.evaluation(), &Site::default());
        prop_assert!(inert(&out).is_ok(), "{:?}", inert(&out));
        let summary = summary(&fixture.evaluation());
        prop_assert!(!summary.chars().any(|c| is_hidden(c) && c != '\n'), "{summary:?}");
        prop_assert!(!summary.lines().any(|l| l.starts_with("::")));
    }
}

#[test]
fn workflow_commands_are_escaped() {
    assert_eq!(data("50%\nnext"), "50%25%0Anext");
    assert_eq!(property("a: b, c"), "a%3A b%2C c");
}
