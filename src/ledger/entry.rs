//! One ledger entry: what moved a protected target, as it is stored in one registered-model
//! tag. The value is compact JSON in a fixed field order with its own `id` (the SHA-256 of the
//! entry without it) and the `prev` id of the entry before, so an edited, removed or reordered
//! entry shows; unknown fields are refused, so an added one does too.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The smallest tag value every registry is documented to take (Databricks: "up to 5000
/// bytes"; open-source MLflow 3.x takes 100,000). An entry never grows past it.
pub const VALUE_LIMIT: usize = 5000;

/// The longest free-text field kept whole (actor, reason, run URL): the rest is cut, so the
/// entry stays within [`VALUE_LIMIT`] whatever the environment holds.
const TEXT_LIMIT: usize = 900;

/// How a target came to be held by the entry's `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// `mlgate promote` moved it.
    Promote,
    /// `mlgate guard` moved a violating holder back.
    GuardRevert,
    /// `mlgate rollback` moved it back to an earlier holder.
    Rollback,
    /// `mlgate guard` found it moved by something else.
    Observed,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Promote => "promote",
            How::GuardRevert => "guard-revert",
            How::Rollback => "rollback",
            How::Observed => "observed",
        }
    }
}

/// What the writer knows of a move; the chain fields are filled when it is appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// RFC 3339 UTC.
    pub at: String,
    /// `@champion` or `Production`.
    pub target: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub how: How,
    /// `pass`, `fail`, `error`, or `none` (an observed move nobody judged yet).
    pub verdict: String,
    pub policy: Option<String>,
    pub snapshot: Option<String>,
    pub actor: String,
    pub run: Option<String>,
    /// Why a move was made against the verdict (`--accept-policy-drift`), or what was seen.
    pub reason: Option<String>,
}

/// An entry as stored. Field order is the stored order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub v: u32,
    pub seq: u64,
    pub at: String,
    pub target: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub how: How,
    pub verdict: String,
    pub policy: Option<String>,
    pub snapshot: Option<String>,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Tells two writers' entries apart (also in the tag key, so they never overwrite).
    pub nonce: String,
    /// The id of the entry before (`""` for the first).
    pub prev: String,
    /// SHA-256 (hex) of this entry serialised with `id` empty.
    pub id: String,
}

impl Entry {
    /// The entry `draft` becomes at `seq`, after the entry with id `prev`.
    pub fn new(draft: &Draft, seq: u64, prev: &str, nonce: &str) -> Entry {
        let mut entry = Entry {
            v: 1,
            seq,
            at: draft.at.clone(),
            target: draft.target.clone(),
            from: draft.from.clone(),
            to: draft.to.clone(),
            how: draft.how,
            verdict: draft.verdict.clone(),
            policy: draft.policy.clone(),
            snapshot: draft.snapshot.clone(),
            actor: cut(&draft.actor),
            run: draft.run.as_deref().map(cut),
            reason: draft.reason.as_deref().map(cut),
            nonce: nonce.to_string(),
            prev: prev.to_string(),
            id: String::new(),
        };
        entry.id = entry.computed_id();
        entry
    }

    /// The same move placed elsewhere in the chain (a repair after two writers collided).
    #[must_use]
    pub fn moved_to(&self, seq: u64, prev: &str) -> Entry {
        let mut entry = Entry {
            seq,
            prev: prev.to_string(),
            id: String::new(),
            ..self.clone()
        };
        entry.id = entry.computed_id();
        entry
    }

    /// The id this entry's content has (differs from `id` when it was edited).
    pub fn computed_id(&self) -> String {
        let unsigned = Entry {
            id: String::new(),
            ..self.clone()
        };
        let text = serde_json::to_string(&unsigned).unwrap_or_default();
        hex(&Sha256::digest(text.as_bytes()))
    }

    /// The entry's free text joined (to be searched for secrets), when every other field has
    /// exactly the form mlgate writes (hex ids and digests, an RFC 3339 time, a version
    /// number, a known verdict): `None` when one does not, so the whole value is searched.
    pub fn free_text_if_well_formed(&self) -> Option<String> {
        let hex_of = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        let digest = |d: &Option<String>| {
            d.as_deref()
                .is_none_or(|d| d.strip_prefix("sha256:").is_some_and(|h| hex_of(h, 64)))
        };
        let number = |v: &Option<String>| {
            v.as_deref().is_none_or(|v| {
                !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit())
            })
        };
        let time = self.at.len() <= 40
            && self
                .at
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-:.TZ+".contains(&b));
        let target = self.target.len() <= 260
            && self
                .target
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"@_-".contains(&b));
        let well_formed = hex_of(&self.id, 64)
            && (self.prev.is_empty() || hex_of(&self.prev, 64))
            && self.nonce.len() <= 32
            && self.nonce.bytes().all(|b| b.is_ascii_alphanumeric())
            && digest(&self.policy)
            && digest(&self.snapshot)
            && number(&self.from)
            && number(&self.to)
            && ["pass", "fail", "error", "none"].contains(&self.verdict.as_str())
            && time
            && target;
        well_formed.then(|| {
            [Some(&self.actor), self.run.as_ref(), self.reason.as_ref()]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// The tag value.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// An entry from a tag value; the reason it is not one otherwise.
    pub fn decode(value: &str) -> Result<Entry, String> {
        serde_json::from_str(value).map_err(|e| e.to_string())
    }
}

/// `text` cut to [`TEXT_LIMIT`] bytes on a character boundary, marked when cut.
fn cut(text: &str) -> String {
    if text.len() <= TEXT_LIMIT {
        return text.to_string();
    }
    let mut end = TEXT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn draft() -> Draft {
        Draft {
            at: "2026-12-05T09:00:00Z".into(),
            target: "@champion".into(),
            from: Some("1".into()),
            to: Some("4".into()),
            how: How::Promote,
            verdict: "pass".into(),
            policy: Some("sha256:ab".into()),
            snapshot: Some("sha256:cd".into()),
            actor: "github:octocat".into(),
            run: None,
            reason: None,
        }
    }

    #[test]
    fn an_entry_round_trips_and_its_id_covers_every_field() {
        let entry = Entry::new(&draft(), 3, "prev", "n1");
        let decoded = Entry::decode(&entry.encode()).unwrap();
        assert_eq!(decoded, entry);
        assert_eq!(decoded.computed_id(), decoded.id);
        let edited = Entry {
            to: Some("5".into()),
            ..decoded
        };
        assert_ne!(edited.computed_id(), edited.id);
    }

    #[test]
    fn unknown_fields_are_refused_and_long_text_is_cut_within_the_limit() {
        let mut value: serde_json::Value =
            serde_json::from_str(&Entry::new(&draft(), 1, "", "n").encode()).unwrap();
        value["extra"] = "x".into();
        assert!(Entry::decode(&value.to_string()).is_err());
        let long = Draft {
            actor: "é".repeat(4000),
            reason: Some("r".repeat(9000)),
            run: Some("u".repeat(9000)),
            ..draft()
        };
        let entry = Entry::new(&long, 1, &"f".repeat(64), "nonce");
        assert!(
            entry.encode().len() <= VALUE_LIMIT,
            "{}",
            entry.encode().len()
        );
        assert!(entry.actor.ends_with('…'));
    }

    #[test]
    fn a_moved_entry_keeps_its_move_and_gets_a_new_place() {
        let entry = Entry::new(&draft(), 3, "a", "n1");
        let moved = entry.moved_to(4, "b");
        assert_eq!(
            (moved.seq, moved.prev.as_str(), moved.nonce.as_str()),
            (4, "b", "n1")
        );
        assert_eq!(moved.computed_id(), moved.id);
        assert_ne!(moved.id, entry.id);
    }
}
