//! What `promote` says on standard error as it goes: whether the candidate moved, would move
//! in a dry run, or stayed, and the registry steps that went wrong beside a known verdict.
//! Worded here with the other terminal text, so the command only decides *which* to say.
//! Names come from the server: shown through [`sanitize::terminal`], never obeyed.

use super::sanitize;

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
