//! From protection rules to the targets they name: an exact model name is one target; a glob
//! is matched against the registry's model names, listed afresh on every pass (a model
//! registered since the last pass is protected from the next). And deciding a set of targets
//! a few at a time.

use std::collections::BTreeMap;

use super::decision::Decision;
use super::protect::{Protect, Target, TargetKey};
use crate::app::error::AppError;
use crate::app::pipeline::session::Live;
use crate::cli::ServerArgs;
use crate::gather::listing;

/// Every target the rules name now; the first rule naming a target wins.
pub(super) fn expand(rules: &[Protect], server: &ServerArgs) -> Result<Vec<Target>, AppError> {
    let mut out: BTreeMap<TargetKey, Target> = BTreeMap::new();
    let mut listed: Option<Vec<String>> = None;
    for rule in rules {
        let names = if rule.is_glob() {
            if listed.is_none() {
                listed = Some(model_names(rule, server)?);
            }
            listed
                .iter()
                .flatten()
                .filter(|n| rule.covers(n))
                .cloned()
                .collect()
        } else {
            vec![rule.model.clone()]
        };
        for name in names {
            let target = rule.target(&name);
            out.entry(target.key()).or_insert(target);
        }
    }
    Ok(out.into_values().collect())
}

/// A session on the registry `rule`'s models live in. The session needs a reference to pick
/// the backend from (a three-level name is Unity Catalog): the pattern itself, its wildcards
/// made letters.
pub(super) fn session_for(rule: &Protect, server: &ServerArgs) -> Result<Live, AppError> {
    let example: String = rule
        .model
        .chars()
        .map(|c| {
            if matches!(c, '*' | '?' | '[' | ']') {
                'x'
            } else {
                c
            }
        })
        .collect();
    Live::open(&format!("models:/{example}/1"), server)
}

/// The registry's model names, for matching globs.
fn model_names(rule: &Protect, server: &ServerArgs) -> Result<Vec<String>, AppError> {
    let live = session_for(rule, server)?;
    let models = live
        .block_on(listing::registered_models(&live.cx, None))
        .map_err(|e| AppError::Gather(Box::new(live.failure(e))))?;
    Ok(models.into_iter().map(|m| m.name).collect())
}

/// Decides every target, at most `concurrency` at once, in the targets' order.
pub(super) fn decide_all(
    targets: &[Target],
    concurrency: usize,
    decide: impl Fn(&Target) -> Decision + Sync,
) -> Vec<Decision> {
    let mut out = Vec::with_capacity(targets.len());
    for chunk in targets.chunks(concurrency.max(1)) {
        std::thread::scope(|s| {
            let running: Vec<_> = chunk.iter().map(|t| (t, s.spawn(|| decide(t)))).collect();
            for (target, handle) in running {
                // A decision that panicked is undecided, never silently missing (a missing
                // decision could turn a violation into exit 0).
                out.push(handle.join().unwrap_or_else(|_| {
                    Decision::undecided(target, "reconcile", "the decision stopped unexpectedly")
                }));
            }
        });
    }
    out
}
