//! What the guard decided about one target, and where it says so: one JSON line per decision
//! in the decision log (`--decisions FILE`, else standard output), and each violation POSTed
//! to `--notify` with a `text` field that Slack and Teams incoming webhooks show as it is.
//! Everything in a decision is a version number, a target, a verdict word or mlgate's own
//! sentence; server text reaches it only through the one-line summary, cleaned of controls.

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use super::protect::Target;
use crate::report::sanitize;

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Act {
    /// The holder carries a valid passing record: nothing to do.
    Accepted,
    /// The holder had no valid record, passed now, and the verdict was recorded on it.
    Recorded,
    /// The holder fails (or could not be judged): said, nothing moved.
    Reported,
    /// The holder failed and the target went back to its last compliant holder.
    Reverted,
    /// A transition request that passed, approved.
    Approved,
    /// A transition request that failed, rejected with the verdict as its comment.
    Rejected,
    /// The registry could not be read or written well enough to decide.
    CouldNotDecide,
}

impl Act {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Act::Accepted => "accepted",
            Act::Recorded => "recorded",
            Act::Reported => "reported",
            Act::Reverted => "reverted",
            Act::Approved => "approved",
            Act::Rejected => "rejected",
            Act::CouldNotDecide => "could-not-decide",
        }
    }

    /// A violation is what the policy says of a holder or a request: reported, reverted
    /// or rejected.
    pub(crate) fn is_violation(self) -> bool {
        matches!(self, Act::Reported | Act::Reverted | Act::Rejected)
    }
}

/// One decision, as the log writes it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Decision {
    /// RFC 3339 UTC, when the decision ended.
    pub time: String,
    /// `reconcile`, or `webhook:<delivery id>`.
    pub source: String,
    pub model: String,
    /// `@champion`, `Production`.
    pub target: String,
    /// The version the decision moved away from (the violating holder), or the previous
    /// compliant holder when nothing moved.
    pub from: Option<String>,
    /// The version holding the target when the decision ended.
    pub to: Option<String>,
    /// `pass`, `fail`, `error`; `None` when nothing was judged.
    pub verdict: Option<&'static str>,
    pub action: Act,
    pub reason: String,
    pub latency_ms: u64,
    /// A violation judged just now (not read from an earlier record): notified once.
    #[serde(skip)]
    pub fresh: bool,
}

impl Decision {
    /// A decision that could not be made, for `reason`.
    pub(crate) fn undecided(target: &Target, source: &str, reason: &str) -> Self {
        Decision {
            time: crate::app::pipeline::session::now_rfc3339(),
            source: source.to_string(),
            model: target.model.clone(),
            target: target.goal.holds(),
            from: None,
            to: None,
            verdict: None,
            action: Act::CouldNotDecide,
            reason: reason.to_string(),
            latency_ms: 0,
            fresh: false,
        }
    }

    /// The one line a chat message shows.
    pub(crate) fn text(&self) -> String {
        let held = |v: &Option<String>| {
            v.as_deref()
                .map_or("no version".into(), |v| format!("version {v}"))
        };
        let what = match self.action {
            Act::Reverted => format!(
                "moved {} of {} back from {} to {}",
                self.target,
                self.model,
                held(&self.from),
                held(&self.to)
            ),
            _ => format!(
                "{} of {} is held by {}",
                self.target,
                self.model,
                held(&self.to)
            ),
        };
        sanitize::terminal(&format!(
            "mlgate guard: {}: {what}: {}",
            self.action.as_str(),
            self.reason
        ))
    }
}

/// Where decisions are written: one JSON object per line, whole lines only (a lock around
/// each write, so concurrent decisions never interleave).
pub(crate) struct Log {
    out: Mutex<Box<dyn std::io::Write + Send>>,
}

impl Log {
    /// Appends to `path`, else writes to standard output.
    pub(crate) fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let out: Box<dyn std::io::Write + Send> = match path {
            Some(p) if p.as_os_str() != "-" => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ),
            _ => Box::new(std::io::stdout()),
        };
        Ok(Self {
            out: Mutex::new(out),
        })
    }

    pub(crate) fn write(&self, decision: &Decision) {
        let Ok(line) = serde_json::to_string(decision) else {
            return;
        };
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A log that cannot be written is said on stderr, once per decision; deciding goes on
        // (the registry holds the record, the log only mirrors it).
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            crate::app::stdio::err(&format!(
                "warning: the decision log could not be written: {}\n",
                decision.text()
            ));
        }
    }
}

/// The JSON a violation is POSTed as.
pub(crate) fn notification(decision: &Decision) -> serde_json::Value {
    let mut value = serde_json::to_value(decision).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("text".into(), decision.text().into());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(action: Act) -> Decision {
        Decision {
            time: "2026-12-05T06:00:00Z".into(),
            source: "webhook:d-1".into(),
            model: "churn".into(),
            target: "@champion".into(),
            from: Some("7".into()),
            to: Some("4".into()),
            verdict: Some("fail"),
            action,
            reason: "description-present failed\u{1b}[31m\nx".into(),
            latency_ms: 42,
            fresh: true,
        }
    }

    #[test]
    fn a_line_says_what_moved_and_carries_no_controls() {
        let text = decision(Act::Reverted).text();
        assert!(
            text.contains("reverted: moved @champion of churn back from version 7 to version 4"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}') && !text.contains('\n'), "{text:?}");
        let json = serde_json::to_value(decision(Act::CouldNotDecide)).unwrap();
        assert_eq!(json["action"], "could-not-decide");
        assert_eq!(
            notification(&decision(Act::Reported))["text"]
                .as_str()
                .map(|t| t.starts_with("mlgate guard: reported")),
            Some(true)
        );
    }
}
