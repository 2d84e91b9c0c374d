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
        let to = held(Some(&self.to));
        let why = self
            .why
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        match self.outcome {
            Outcome::Moved => format!("moved {holds} from {} to {to}", held(self.from.as_deref())),
            Outcome::NotMoved => format!("did not move {holds} to {to}{why}; nothing moved"),
            Outcome::DryRun => format!("dry run{why}; nothing written"),
            Outcome::AlreadyHeld => format!("{to} already holds {holds}; nothing to do"),
            Outcome::Unknown => format!("{UNKNOWN} ({holds}, {to}{why})"),
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
}
