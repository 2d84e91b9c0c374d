//! mlgate's record on a version as the guard reads it from the `mlgate.*` tags: whether it is
//! a passing verdict, and whether it is valid for a target today (this target, this policy,
//! not older than `max_age`). The guard's memory is these tags, never its own state.

use std::collections::BTreeMap;

use super::protect::Target;
use crate::gather::wire;

/// mlgate's record on one version, as its `mlgate.*` tags say.
#[derive(Debug, Default)]
pub(super) struct Seen {
    pub verdict: Option<String>,
    pub target: Option<String>,
    pub digest: Option<String>,
    pub evaluated_at: Option<String>,
}

impl Seen {
    pub(super) fn of(version: &wire::ModelVersion) -> Self {
        let tags: BTreeMap<&str, &str> = version
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect();
        let get = |k: &str| tags.get(k).map(|v| (*v).to_string());
        Seen {
            verdict: get("mlgate.verdict"),
            target: get("mlgate.target"),
            digest: get("mlgate.policy_digest"),
            evaluated_at: get("mlgate.evaluated_at"),
        }
    }

    /// A record of this target, under this policy, young enough.
    pub(super) fn valid_for(&self, target: &Target, digest: &str, now: i64) -> bool {
        let young = match (target.max_age, self.evaluated_at.as_deref()) {
            (None, _) => true,
            (Some(max), Some(at)) => {
                crate::timefmt::parse_instant(at).is_some_and(|t| now - t <= max)
            }
            (Some(_), None) => false,
        };
        self.target.as_deref() == Some(target.record().as_str())
            && self.digest.as_deref() == Some(digest)
            && young
    }

    pub(super) fn passed(&self) -> bool {
        self.verdict.as_deref() == Some("pass")
    }
}

/// The versions other than `holder` with a passing record for `target` (under any policy, of
/// any age), newest record first: where a revert may go back to.
pub(super) fn passing_elsewhere<'a>(
    versions: &'a [wire::ModelVersion],
    target: &Target,
    holder: Option<&str>,
) -> Vec<(&'a str, Seen)> {
    let record = target.record();
    let mut passing: Vec<(&str, Seen)> = versions
        .iter()
        .filter(|v| Some(v.version.as_str()) != holder)
        .map(|v| (v.version.as_str(), Seen::of(v)))
        .filter(|(_, s)| s.passed() && s.target.as_deref() == Some(record.as_str()))
        .collect();
    passing.sort_by(|(_, a), (_, b)| b.evaluated_at.cmp(&a.evaluated_at));
    passing
}
