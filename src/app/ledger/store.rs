//! The ledger's I/O: reading a target's entries from the registered model's tags, and
//! appending one so that two writers at once never lose an entry nor share a number (each
//! entry's key carries its own nonce, the read-back finds a collision, the deterministic
//! repair re-numbers it onto the end).

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::app::error::AppError;
use crate::app::pipeline::session::Live;
use crate::gather::{self, Goal, Write, WriteError};
use crate::ledger::entry::hex;
use crate::ledger::{Draft, Entry, Ledger, Repair, Target};

/// Read-backs before an append gives up: each one settles at least one collision, so only a
/// registry with writers arriving faster than it answers reaches it.
const ATTEMPTS: usize = 8;

/// The ledger target of a promotion goal.
pub(crate) fn target_of(goal: &Goal) -> Target {
    match goal {
        Goal::Alias(a) => Target::Alias(a.clone()),
        Goal::Stage(s) => Target::Stage(s.clone()),
    }
}

/// `target`'s ledger as the registry holds it now.
pub(crate) fn read(live: &Live, name: &str, target: &Target) -> Result<Ledger, AppError> {
    let tags = live
        .block_on(gather::model_tags(&live.cx, live.backend, name))
        .map_err(|e| AppError::Gather(Box::new(live.failure(e))))?;
    Ok(Ledger::read(
        target,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}

/// Appends `draft` to `target`'s ledger and returns the entry as it settled; the failure in
/// words otherwise (the caller says what stands). `known`: the model's tags as read moments
/// ago (by the gather), numbered from instead of reading them again: on a target with a long
/// ledger every read carries all of it, and an entry appended since shows on the read-back
/// as a collision, repaired as any other.
pub(crate) fn append(
    live: &Live,
    name: &str,
    target: &Target,
    draft: &Draft,
    known: Option<&[(String, String)]>,
) -> Result<Entry, String> {
    let nonce = nonce();
    let mut written = false;
    let mut known = known;
    let mut last_failure = None;
    for _ in 0..ATTEMPTS {
        let ledger = match known.take() {
            Some(tags) => Ledger::read(target, tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            None => read(live, name, target).map_err(|e| format!("reading the ledger: {e}"))?,
        };
        let mine: Vec<&Entry> = ledger
            .entries()
            .into_iter()
            .filter(|e| e.nonce == nonce)
            .collect();
        if written && ledger.settled(&nonce) && mine.len() == 1 {
            return Ok(mine[0].clone());
        }
        if mine.is_empty() {
            // Not written yet, or removed by someone else since: (re-)append at the end.
            let (key, entry) = ledger.append(draft, &nonce);
            set(live, name, &key, &entry.encode())?;
            written = true;
            continue;
        }
        // Every writer in a collision computes the same repair and may send the same write at
        // the same moment, and the second of two concurrent set-tags of one new key can fail
        // (MLflow 3.17 on sqlite answers a UNIQUE constraint error): the next read-back says
        // whether the repair landed, so a failed repair step is kept, not returned at once.
        last_failure = repair_once(live, name, &ledger.repair()).err();
    }
    let why = last_failure.map_or_else(String::new, |e| format!("; last failure: {e}"));
    Err(format!(
        "the ledger of {} kept changing under {ATTEMPTS} read-backs (other writers); the entry may \
         be there twice or not at all: check `mlgate history --verify`{why}",
        target.holds()
    ))
}

/// The writes of a repair, then its deletes (so an entry is never only deleted).
fn repair_once(live: &Live, name: &str, repair: &Repair) -> Result<(), String> {
    for (key, value) in &repair.writes {
        set(live, name, key, value)?;
    }
    for key in &repair.deletes {
        write(live, &Write::DeleteModelTag { name, key })
            .map_err(|e| format!("deleting ledger tag {key}: {e}"))?;
    }
    Ok(())
}

fn set(live: &Live, name: &str, key: &str, value: &str) -> Result<(), String> {
    write(live, &Write::SetModelTag { name, key, value })
        .map_err(|e| format!("writing ledger tag {key}: {e}"))
}

fn write(live: &Live, write: &Write<'_>) -> Result<(), WriteError> {
    live.block_on(gather::write(&live.cx, live.backend, write))
}

/// 12 hex digits unique to this append: the process, the time, a counter.
fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!(
        "{}.{now}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let digest = Sha256::digest(seed.as_bytes());
    hex(&digest[..6])
}

/// Now, to the millisecond, for an entry's `at`.
pub(crate) fn now_millis() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
    crate::timefmt::rfc3339_millis(ms)
}

/// The SHA-256 of the snapshot a verdict was reached on, as its JSON serialises.
pub(crate) fn snapshot_digest(snapshot: &crate::snapshot::Snapshot) -> String {
    let text = serde_json::to_string(snapshot).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    format!("sha256:{}", hex(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_timed_to_the_millisecond() {
        assert_eq!(
            crate::timefmt::rfc3339_millis(1_700_000_000_007),
            "2023-11-14T22:13:20.007Z"
        );
        assert!(now_millis().ends_with('Z'));
    }

    #[test]
    fn nonces_differ_within_one_process() {
        assert_ne!(nonce(), nonce());
        assert_eq!(nonce().len(), 12);
    }
}
