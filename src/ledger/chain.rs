//! A target's ledger read from the model's tags: the entries in order, what breaks the chain
//! (edited, removed, reordered), the moves it does not account for, who held the target at a
//! time, and the repair of two writers' collision.

use std::collections::BTreeMap;

use super::entry::{Draft, Entry};
use super::{key, Target, PREFIX};
use crate::timefmt::parse_instant;

/// One ledger tag as stored: its key's sequence number and nonce, and its value read as an
/// entry (or why it is not one).
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub seq: u64,
    pub nonce: String,
    pub entry: Result<Entry, String>,
}

/// A target's ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub target: Target,
    /// By sequence number, then key.
    pub stored: Vec<Stored>,
}

/// Where the chain does not hold: the entry (its number and key) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: u64,
    pub key: Option<String>,
    pub what: String,
}

/// A move the ledger does not account for: the target went from `to` of one entry to
/// something else before the next entry (or before now, `after` being the newest entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The entry after which the unrecorded move happened (0: before the first).
    pub after: u64,
    pub held: Option<String>,
    pub then: Option<String>,
}

/// The tag writes and deletions that settle a collision: the later entries re-numbered onto
/// the end (written first, so nothing is lost if the deletion never happens), the old tags
/// then deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repair {
    pub writes: Vec<(String, String)>,
    pub deletes: Vec<String>,
}

impl Repair {
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.deletes.is_empty()
    }
}

impl Ledger {
    /// The ledger of `target` among a model's tags; other tags are ignored.
    pub fn read<'a>(target: &Target, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Ledger {
        let prefix = format!("{PREFIX}{}.", target.slug());
        let mut stored: Vec<Stored> = tags
            .into_iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(&prefix)?;
                let (seq, nonce) = rest.split_once('.')?;
                let seq = seq.parse::<u64>().ok()?;
                Some(Stored {
                    key: k.to_string(),
                    seq,
                    nonce: nonce.to_string(),
                    entry: Entry::decode(v),
                })
            })
            .collect();
        stored.sort_by(|a, b| (a.seq, &a.key).cmp(&(b.seq, &b.key)));
        Ledger {
            target: target.clone(),
            stored,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }

    /// The readable entries in order (a collision's entries side by side).
    pub fn entries(&self) -> Vec<&Entry> {
        self.stored
            .iter()
            .filter_map(|s| s.entry.as_ref().ok())
            .collect()
    }

    /// The newest entry.
    pub fn tip(&self) -> Option<&Entry> {
        self.entries().into_iter().last()
    }

    /// The sequence number and previous id the next entry takes.
    pub fn next(&self) -> (u64, String) {
        let seq = self.stored.iter().map(|s| s.seq).max().unwrap_or(0) + 1;
        let prev = self.tip().map(|e| e.id.clone()).unwrap_or_default();
        (seq, prev)
    }

    /// The entry `draft` becomes when appended now, and its tag.
    pub fn append(&self, draft: &Draft, nonce: &str) -> (String, Entry) {
        let (seq, prev) = self.next();
        let entry = Entry::new(draft, seq, &prev, nonce);
        (key(&self.target, seq, nonce), entry)
    }

    /// Whether the entry written with `nonce` is alone at its number.
    pub fn settled(&self, nonce: &str) -> bool {
        let Some(mine) = self.stored.iter().find(|s| s.nonce == nonce) else {
            return false;
        };
        self.stored.iter().filter(|s| s.seq == mine.seq).count() == 1
    }

    /// Everything that breaks the chain, oldest first: an unreadable or edited entry, a
    /// missing number, an entry that does not follow the one before, two entries at one
    /// number.
    pub fn verify(&self) -> Vec<Break> {
        let mut breaks = Vec::new();
        let mut by_seq: BTreeMap<u64, Vec<&Stored>> = BTreeMap::new();
        for s in &self.stored {
            by_seq.entry(s.seq).or_default().push(s);
        }
        let last = by_seq.keys().next_back().copied().unwrap_or(0);
        let mut prev_id: Option<String> = Some(String::new());
        for seq in 1..=last {
            let Some(here) = by_seq.get(&seq) else {
                breaks.push(Break {
                    seq,
                    key: None,
                    what: format!("entry #{seq} is missing: it was removed"),
                });
                prev_id = None;
                continue;
            };
            if here.len() > 1 {
                breaks.push(Break {
                    seq,
                    key: None,
                    what: format!(
                        "{} entries are numbered #{seq}: two writers appended at once and the \
                         collision was not settled",
                        here.len()
                    ),
                });
            }
            let mut next_prev = None;
            for s in here {
                match self.check(s, prev_id.as_deref()) {
                    Ok(id) => next_prev = next_prev.or(Some(id)),
                    Err(what) => breaks.push(Break {
                        seq,
                        key: Some(s.key.clone()),
                        what,
                    }),
                }
            }
            prev_id = next_prev;
        }
        breaks
    }

    /// `s` read, unedited and following `prev` (`None`: the entry before is itself broken, so
    /// the link is not judged twice); its id when it holds.
    fn check(&self, s: &Stored, prev: Option<&str>) -> Result<String, String> {
        let seq = s.seq;
        let entry = s
            .entry
            .as_ref()
            .map_err(|e| format!("entry #{seq} is not a ledger entry any more (edited): {e}"))?;
        if entry.computed_id() != entry.id {
            return Err(format!(
                "entry #{seq} was edited: its content no longer matches its id"
            ));
        }
        if entry.seq != seq || entry.nonce != s.nonce || !self.target.is(&entry.target) {
            return Err(format!(
                "entry #{seq} was moved: its tag key does not match its content"
            ));
        }
        if let Some(prev) = prev {
            if entry.prev != prev {
                return Err(if seq == 1 {
                    "entry #1 follows an entry that is not in the ledger: earlier entries were \
                     removed"
                        .to_string()
                } else {
                    format!(
                        "entry #{seq} does not follow entry #{}: entries were reordered or \
                         replaced",
                        seq - 1
                    )
                });
            }
        }
        Ok(entry.id.clone())
    }

    /// The moves the ledger does not account for: an entry whose `from` is not the `to` of the
    /// one before, and a holder now (`now`, when read) that is not the newest entry's `to`.
    pub fn gaps(&self, now: Option<Option<&str>>) -> Vec<Gap> {
        let mut gaps = Vec::new();
        let entries = self.entries();
        for pair in entries.windows(2) {
            if pair[0].seq != pair[1].seq && pair[1].from != pair[0].to {
                gaps.push(Gap {
                    after: pair[0].seq,
                    held: pair[0].to.clone(),
                    then: pair[1].from.clone(),
                });
            }
        }
        if let (Some(tip), Some(now)) = (entries.last(), now) {
            if tip.to.as_deref() != now {
                gaps.push(Gap {
                    after: tip.seq,
                    held: tip.to.clone(),
                    then: now.map(str::to_string),
                });
            }
        }
        gaps
    }

    /// The entry that put the target's holder at `instant` (epoch seconds) there: the newest
    /// entry made at or before it.
    pub fn at(&self, instant: i64) -> Option<&Entry> {
        self.entries()
            .into_iter()
            .rev()
            .find(|e| parse_instant(&e.at).is_some_and(|t| t <= instant))
    }

    /// The holder before the one now: the newest entry's `to` when something else holds the
    /// target now (a move not through mlgate), else the newest entry's `from`.
    pub fn previous_holder(&self, now: Option<&str>) -> Option<String> {
        let tip = self.tip()?;
        if tip.to.as_deref() != now {
            return tip.to.clone();
        }
        tip.from.clone()
    }

    /// The repair of every collision: at each number with two or more entries the one the
    /// chain continues from (else the one moving from the holder the entry before left, else
    /// the earliest) stays, the others move to the end in the order
    /// they were made; a copy left behind by an interrupted repair is deleted. Deterministic,
    /// so two writers repairing at once write the same tags.
    pub fn repair(&self) -> Repair {
        let mut repair = Repair::default();
        let readable: Vec<(&Stored, &Entry)> = self
            .stored
            .iter()
            .filter_map(|s| s.entry.as_ref().ok().map(|e| (s, e)))
            .collect();
        let newest_seq_of = |nonce: &str| {
            readable
                .iter()
                .filter(|(s, _)| s.nonce == nonce)
                .map(|(s, _)| s.seq)
                .max()
        };
        let mut displaced: Vec<&Entry> = Vec::new();
        let mut kept: Vec<&Stored> = Vec::new();
        for (s, _) in &readable {
            // A copy of an entry that was already moved further on.
            if newest_seq_of(&s.nonce) != Some(s.seq) {
                repair.deletes.push(s.key.clone());
                continue;
            }
            kept.push(s);
        }
        let mut by_seq: BTreeMap<u64, Vec<&Stored>> = BTreeMap::new();
        for s in &kept {
            by_seq.entry(s.seq).or_default().push(s);
        }
        let continued_from = |seq: u64| -> Vec<&str> {
            by_seq
                .get(&(seq + 1))
                .into_iter()
                .flatten()
                .filter_map(|s| s.entry.as_ref().ok().map(|e| e.prev.as_str()))
                .collect()
        };
        for (seq, here) in &by_seq {
            if here.len() < 2 {
                continue;
            }
            let next_prevs = continued_from(*seq);
            // The holder the entry before left: a move from it comes first.
            let held_before = by_seq
                .get(&(seq - 1))
                .and_then(|b| b.first())
                .and_then(|s| s.entry.as_ref().ok())
                .map(|e| e.to.clone());
            let mut order: Vec<&Entry> =
                here.iter().filter_map(|s| s.entry.as_ref().ok()).collect();
            order.sort_by(|a, b| {
                let continued = |e: &Entry| !next_prevs.contains(&e.id.as_str());
                let breaks_off = |e: &Entry| held_before.as_ref().is_some_and(|h| *h != e.from);
                (continued(a), breaks_off(a), &a.at, &a.nonce).cmp(&(
                    continued(b),
                    breaks_off(b),
                    &b.at,
                    &b.nonce,
                ))
            });
            for e in order.into_iter().skip(1) {
                displaced.push(e);
                repair.deletes.push(key(&self.target, e.seq, &e.nonce));
            }
        }
        if displaced.is_empty() {
            return repair;
        }
        displaced.sort_by(|a, b| (&a.at, &a.nonce).cmp(&(&b.at, &b.nonce)));
        let mut seq = self.stored.iter().map(|s| s.seq).max().unwrap_or(0);
        let mut prev = self
            .stored
            .iter()
            .rev()
            .filter_map(|s| s.entry.as_ref().ok())
            .find(|e| !displaced.iter().any(|d| d.nonce == e.nonce))
            .map(|e| e.id.clone())
            .unwrap_or_default();
        for e in displaced {
            seq += 1;
            let moved = e.moved_to(seq, &prev);
            prev.clone_from(&moved.id);
            repair
                .writes
                .push((key(&self.target, seq, &moved.nonce), moved.encode()));
        }
        repair
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
