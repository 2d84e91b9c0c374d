//! What a promotion did, as every output states it: the [`Promotion`] outcome (moved, not
//! moved, dry run, already held, unknown) that the job summary, the Markdown report, the JSON
//! results and the GitHub step outputs carry, and what `promote` says on standard error as it
//! goes ([`Said`]). Worded here with the other terminal text, so the command only decides
//! *which* to say. Names come from the server: shown through [`sanitize::terminal`] (or each
//! sink's own sanitiser), never obeyed.

use serde_json::{json, Value};

use super::sanitize;

/// `version 3`, or `no version` for a vacant target.
pub fn held(version: Option<&str>) -> String {
    version.map_or_else(|| "no version".into(), |v| format!("version {v}"))
}

/// How a promotion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The candidate now holds the target (confirmed by reading it back).
    Moved,
    /// Nothing moved: the verdict was not green, the target changed, the move was refused.
    NotMoved,
    /// `--dry-run`: nothing was written, whatever the verdict.
    DryRun,
    /// The candidate held the target already: nothing was written at all.
    AlreadyHeld,
    /// The move was sent, its answer was lost and reading the registry failed: it may or may
    /// not have happened.
    Unknown,
}

impl Outcome {
    /// As JSON and the `promotion` step output spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Moved => "moved",
            Outcome::NotMoved => "not_moved",
            Outcome::DryRun => "dry_run",
            Outcome::AlreadyHeld => "already_held",
            Outcome::Unknown => "unknown",
        }
    }

    /// The `promoted` step output: whether the version moved, or `unknown`.
    pub fn promoted(self) -> &'static str {
        match self {
            Outcome::Moved => "true",
            Outcome::Unknown => "unknown",
            Outcome::NotMoved | Outcome::DryRun | Outcome::AlreadyHeld => "false",
        }
    }
}

/// What a promotion did to its target, for every output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub outcome: Outcome,
    /// As recorded in `mlgate.target`: `alias:champion`, `stage:Production`, `request:Production`.
    pub target: String,
    /// The version that held the target when mlgate started (`None`: no version did).
    pub from: Option<String>,
    /// The candidate.
    pub to: String,
    /// Why it did not move, what a dry run would do, or why the outcome is unknown.
    pub why: Option<String>,
}

/// The message of an unknown outcome, word for word in every output.
pub const UNKNOWN: &str =
    "could not confirm whether the move happened; read the registry before retrying";

impl Promotion {
    /// The target as people name it: `@champion`, `stage Production`.
    pub fn holds(&self) -> String {
        match self.target.split_once(':') {
            Some(("alias", alias)) => format!("@{alias}"),
            Some((_, stage)) => format!("stage {stage}"),
            None => self.target.clone(),
        }
    }

    /// One sentence: `moved @champion from version 1 to version 4`, `version 4 already holds
    /// @champion; nothing to do`, … Not sanitised: each sink does that.
    pub fn sentence(&self) -> String {
        let holds = self.holds();
        // A version number, or the reference when the candidate never resolved to one.
        let to = if !self.to.is_empty() && self.to.bytes().all(|b| b.is_ascii_digit()) {
            held(Some(&self.to))
        } else {
            self.to.clone()
        };
        let why = self
            .why
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        match self.outcome {
            Outcome::Moved => format!("moved {holds} from {} to {to}", held(self.from.as_deref())),
            Outcome::NotMoved => format!("did not move {holds} to {to}{why}"),
            Outcome::DryRun => format!("dry run{why}; nothing written"),
            Outcome::AlreadyHeld => format!("{to} already holds {holds}; nothing to do"),
            // The error of an unknown outcome opens with the same words.
            Outcome::Unknown => match self.why.as_deref() {
                Some(why) if why.starts_with(UNKNOWN) => why.to_string(),
                Some(why) => format!("{UNKNOWN} ({why})"),
                None => UNKNOWN.to_string(),
            },
        }
    }

    /// The JSON results' `promotion` object.
    pub fn json(&self) -> Value {
        json!({
            "outcome": self.outcome.as_str(),
            "target": self.target,
            "from": self.from,
            "to": self.to,
            "why": self.why,
            "message": self.sentence(),
        })
    }
}

/// One thing a promotion has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said<'a> {
    /// A dry run of a candidate that is not green.
    WouldNotMove { candidate: &'a str, holds: &'a str },
    /// A candidate that is not green; nothing was moved.
    NotMoved { candidate: &'a str, holds: &'a str },
    /// A dry run of a green candidate: what would happen, and who holds the target now.
    WouldMove {
        candidate: &'a str,
        holds: &'a str,
        held_by: &'a str,
    },
    /// The move was made and confirmed.
    Moved {
        candidate: &'a str,
        holds: &'a str,
        held_by: &'a str,
    },
    /// Nothing could be judged, so nothing was moved.
    NothingMoved,
    /// The candidate holds the target already: nothing written.
    AlreadyHeld { candidate: &'a str, holds: &'a str },
    /// The move's answer was an error, but reading the registry shows it was made.
    MovedDespiteError { answer: &'a str },
    /// A registry step beside a red verdict failed (rejecting the request, recording).
    StepFailed { why: &'a str },
}

/// The line for `said`, ending in a newline.
pub fn line(said: &Said<'_>) -> String {
    let t = |s: &str| sanitize::terminal(s);
    match said {
        Said::WouldNotMove { candidate, holds } => format!(
            "mlgate: dry run: {} would not be promoted to {}; nothing written\n",
            t(candidate),
            t(holds)
        ),
        Said::NotMoved { candidate, holds } => format!(
            "mlgate: {} was not promoted to {}: nothing moved\n",
            t(candidate),
            t(holds)
        ),
        Said::WouldMove {
            candidate,
            holds,
            held_by,
        } => format!(
            "mlgate: dry run: {} would be promoted to {} (now {}); nothing written\n",
            t(candidate),
            t(holds),
            t(held_by)
        ),
        Said::Moved {
            candidate,
            holds,
            held_by,
        } => format!(
            "mlgate: promoted {} to {} (was {})\n",
            t(candidate),
            t(holds),
            t(held_by)
        ),
        Said::NothingMoved => "mlgate: nothing was moved\n".to_string(),
        Said::AlreadyHeld { candidate, holds } => format!(
            "mlgate: {} already holds {}; nothing to do (nothing moved, nothing written)\n",
            t(candidate),
            t(holds)
        ),
        Said::MovedDespiteError { answer } => format!(
            "warning: the move's answer was an error ({}), but the registry shows it was made\n",
            t(answer)
        ),
        Said::StepFailed { why } => format!("warning: {}\n", t(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_is_one_line_and_server_text_is_shown_not_obeyed() {
        let moved = line(&Said::Moved {
            candidate: "models:/churn/4",
            holds: "@champion",
            held_by: "version 1",
        });
        assert_eq!(
            moved,
            "mlgate: promoted models:/churn/4 to @champion (was version 1)\n"
        );
        let hostile = line(&Said::NotMoved {
            candidate: "models:/a\u{1b}[2Jb/1",
            holds: "@champion",
        });
        assert_eq!(hostile.matches('\n').count(), 1);
        assert!(!hostile.contains('\u{1b}'), "{hostile:?}");
    }

    fn promotion(outcome: Outcome, from: Option<&str>, why: Option<&str>) -> Promotion {
        Promotion {
            outcome,
            target: "alias:champion".into(),
            from: from.map(str::to_string),
            to: "4".into(),
            why: why.map(str::to_string),
        }
    }

    #[test]
    fn each_outcome_says_what_happened_to_the_target() {
        let said = |p: Promotion| p.sentence();
        assert_eq!(
            said(promotion(Outcome::Moved, Some("1"), None)),
            "moved @champion from version 1 to version 4"
        );
        assert_eq!(
            said(promotion(Outcome::Moved, None, None)),
            "moved @champion from no version to version 4"
        );
        assert_eq!(
            said(promotion(Outcome::AlreadyHeld, Some("4"), None)),
            "version 4 already holds @champion; nothing to do"
        );
        assert_eq!(
            said(promotion(
                Outcome::NotMoved,
                Some("1"),
                Some("the verdict is fail")
            )),
            "did not move @champion to version 4: the verdict is fail"
        );
        assert_eq!(
            said(promotion(
                Outcome::DryRun,
                Some("1"),
                Some("would move @champion")
            )),
            "dry run: would move @champion; nothing written"
        );
        // Unknown is never "nothing moved", and says its words once.
        for why in [
            None,
            Some("a reset"),
            Some(&*format!("{UNKNOWN} (a reset)")),
        ] {
            let s = said(promotion(Outcome::Unknown, Some("1"), why));
            assert!(s.starts_with(UNKNOWN), "{s}");
            assert_eq!(s.matches(UNKNOWN).count(), 1, "{s}");
            assert!(!s.contains("nothing moved"), "{s}");
        }
        let mut stage = promotion(Outcome::Moved, Some("1"), None);
        stage.target = "stage:Production".into();
        assert_eq!(
            stage.sentence(),
            "moved stage Production from version 1 to version 4"
        );
        let mut unresolved = promotion(Outcome::NotMoved, None, Some("could not be gathered"));
        unresolved.to = "models:/m@challenger".into();
        assert_eq!(
            unresolved.sentence(),
            "did not move @champion to models:/m@challenger: could not be gathered"
        );
    }

    #[test]
    fn promoted_is_true_false_or_unknown_and_the_json_names_the_outcome() {
        let promoted: Vec<_> = [
            Outcome::Moved,
            Outcome::NotMoved,
            Outcome::DryRun,
            Outcome::AlreadyHeld,
            Outcome::Unknown,
        ]
        .iter()
        .map(|o| (o.as_str(), o.promoted()))
        .collect();
        assert_eq!(
            promoted,
            [
                ("moved", "true"),
                ("not_moved", "false"),
                ("dry_run", "false"),
                ("already_held", "false"),
                ("unknown", "unknown")
            ]
        );
        assert_eq!(
            promotion(Outcome::Moved, Some("1"), None).json(),
            json!({"outcome": "moved", "target": "alias:champion", "from": "1", "to": "4",
                   "why": null, "message": "moved @champion from version 1 to version 4"})
        );
        assert_eq!(
            promotion(Outcome::Moved, None, None).json()["from"],
            Value::Null
        );
    }

    #[test]
    fn the_job_summary_the_report_and_the_json_carry_the_outcome_by_the_verdict() {
        let fixture = crate::report::Fixture::example(|_| {});
        let p = promotion(Outcome::Moved, Some("1"), None);
        let mut e = fixture.evaluation();
        e.promotion = Some(&p);
        let said = "**Promotion**: moved @champion from version 1 to version 4.";
        let summary = crate::report::github::summary(&e);
        let at = summary.find(said).expect("in the job summary");
        assert!(
            at < summary.find("| rule |").unwrap_or(usize::MAX),
            "{summary}"
        );
        let report = crate::report::markdown::render(e.snapshot, Some(&e));
        let at = report.find(said).expect("in the report");
        assert!(at < report.find("|Outcome|").unwrap_or(usize::MAX));
        let doc: Value = serde_json::from_str(&crate::report::json::render(&e)).unwrap();
        assert_eq!(doc["promotion"]["outcome"], "moved");
        // `check` has no promotion: nothing is said, no key is written.
        e.promotion = None;
        assert!(!crate::report::github::summary(&e).contains("**Promotion**"));
        let doc: Value = serde_json::from_str(&crate::report::json::render(&e)).unwrap();
        assert!(doc.get("promotion").is_none());
        let held = line(&Said::AlreadyHeld {
            candidate: "models:/churn/4",
            holds: "@champion",
        });
        assert_eq!(
            held,
            "mlgate: models:/churn/4 already holds @champion; nothing to do (nothing moved, nothing written)\n"
        );
    }
}
