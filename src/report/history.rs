//! `mlgate history` as text and JSON: a target's ledger in order, the moves it does not
//! account for, who held the target at a time, and what breaks the chain. Every value comes
//! from registry tags anyone with edit rights can write, so text is made inert for the
//! terminal and secret-looking values are masked in both forms.

use std::fmt::Write;

use serde_json::{json, Value};

use super::sanitize::terminal;
use crate::ledger::{Break, Entry, Gap, Ledger};
use crate::redact::redact_shapes;

/// What `history` shows.
pub struct History<'a> {
    pub model: &'a str,
    pub ledger: &'a Ledger,
    /// Who holds the target now (`None`: nobody).
    pub holder_now: Option<&'a str>,
    /// `--at`: the instant asked about, as RFC 3339, and the entry that answers it.
    pub at: Option<(String, Option<&'a Entry>)>,
    /// `--verify`: what breaks the chain.
    pub breaks: Option<&'a [Break]>,
}

/// Text safe for one terminal line, secrets masked.
fn clean(text: &str) -> String {
    terminal(&redact_shapes(text))
}

fn version(v: Option<&str>) -> String {
    v.map_or_else(|| "none".to_string(), clean)
}

impl History<'_> {
    fn gaps(&self) -> Vec<Gap> {
        self.ledger.gaps(Some(self.holder_now))
    }

    /// The table, the unrecorded moves in place, then `--at` and `--verify`.
    pub fn text(&self) -> String {
        let holds = self.ledger.target.holds();
        let entries = self.ledger.entries();
        let mut out = format!(
            "ledger of {holds} on {}: {} entr{}; held now by {}\n",
            clean(self.model),
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" },
            version(self.holder_now),
        );
        let gaps = self.gaps();
        let gap_line = |out: &mut String, after: u64| {
            for g in gaps.iter().filter(|g| g.after == after) {
                let _ = writeln!(
                    out,
                    "        ! {} -> {}: moved outside mlgate (no entry records it)",
                    version(g.held.as_deref()),
                    version(g.then.as_deref())
                );
            }
        };
        if entries.is_empty() {
            out.push_str("  no entries: no move of this target was made or seen by mlgate\n");
        } else {
            let _ = writeln!(
                out,
                "  {:>5}  {:<20}  {:<14}  {:<12}  {:<7}  actor",
                "#", "when (UTC)", "from -> to", "how", "verdict"
            );
        }
        for e in &entries {
            let moved = format!(
                "{} -> {}",
                version(e.from.as_deref()),
                version(e.to.as_deref())
            );
            let _ = writeln!(
                out,
                "  {:>5}  {:<20}  {:<14}  {:<12}  {:<7}  {}",
                e.seq,
                clean(&when(&e.at)),
                moved,
                e.how.as_str(),
                clean(&e.verdict),
                clean(&e.actor),
            );
            if let Some(reason) = &e.reason {
                let _ = writeln!(out, "        reason: {}", clean(reason));
            }
            if let Some(run) = &e.run {
                let _ = writeln!(out, "        run: {}", clean(run));
            }
            gap_line(&mut out, e.seq);
        }
        for s in self.ledger.stored.iter().filter(|s| s.entry.is_err()) {
            let _ = writeln!(out, "  unreadable entry {}", clean(&s.key));
        }
        if let Some((time, entry)) = &self.at {
            let _ = match entry {
                Some(e) => writeln!(
                    out,
                    "at {time}: {holds} was held by {}, put there by entry #{} ({}, verdict {}, {})",
                    version(e.to.as_deref()),
                    e.seq,
                    e.how.as_str(),
                    clean(&e.verdict),
                    clean(&e.actor)
                ),
                None => writeln!(out, "at {time}: the ledger has no entry that early"),
            };
            if let Some(e) = entry {
                if gaps.iter().any(|g| g.after == e.seq) {
                    out.push_str(
                        "  the target was moved outside mlgate after that entry: it may have \
                         been held by another version at that time\n",
                    );
                }
            }
        }
        if let Some(breaks) = self.breaks {
            out.push_str(&verify_text(breaks, entries.len()));
        }
        out
    }

    pub fn json(&self) -> Value {
        let entries: Vec<Value> = self
            .ledger
            .stored
            .iter()
            .map(|s| match &s.entry {
                Ok(e) => {
                    let mut v = masked(serde_json::to_value(e).unwrap_or(Value::Null));
                    if let Value::Object(m) = &mut v {
                        m.insert("key".into(), Value::String(s.key.clone()));
                    }
                    v
                }
                Err(why) => json!({"key": s.key, "unreadable": redact_shapes(why)}),
            })
            .collect();
        let gaps: Vec<Value> = self
            .gaps()
            .iter()
            .map(|g| json!({"after": g.after, "held": g.held, "then": g.then}))
            .collect();
        let mut out = json!({
            "model": self.model,
            "target": self.ledger.target.holds(),
            "holder_now": self.holder_now,
            "entries": entries,
            "unrecorded_moves": gaps,
        });
        if let Some((time, entry)) = &self.at {
            out["at"] = json!({
                "time": time,
                "holder": entry.and_then(|e| e.to.clone()),
                "entry": entry.map(|e| masked(serde_json::to_value(e).unwrap_or(Value::Null))),
            });
        }
        if let Some(breaks) = self.breaks {
            out["verify"] = json!({
                "holds": breaks.is_empty(),
                "breaks": breaks.iter().map(|b| json!({"seq": b.seq, "key": b.key, "what": b.what})).collect::<Vec<_>>(),
            });
        }
        out
    }
}

/// `2026-10-01 09:30:00` of an entry's `2026-10-01T09:30:00.123Z` (the table is to the
/// second; `--json` keeps the milliseconds).
fn when(at: &str) -> String {
    let plain = at.replacen('T', " ", 1);
    let plain = plain.trim_end_matches('Z');
    plain.split('.').next().unwrap_or(plain).to_string()
}

/// Every string of an entry with secret-looking values masked.
fn masked(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(redact_shapes(&s)),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, masked(v))).collect()),
        other => other,
    }
}

fn verify_text(breaks: &[Break], entries: usize) -> String {
    if breaks.is_empty() {
        return format!(
            "verify: the chain holds ({entries} entr{}); removing the newest entries would not \
             show here, only against a copy (the guard's decision log, a CI artifact)\n",
            if entries == 1 { "y" } else { "ies" }
        );
    }
    let mut out = format!(
        "verify: the chain is broken ({} problem(s)):\n",
        breaks.len()
    );
    for b in breaks {
        let key = b
            .key
            .as_deref()
            .map(|k| format!(" [{}]", clean(k)))
            .unwrap_or_default();
        let _ = writeln!(out, "  #{}{key}: {}", b.seq, clean(&b.what));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Draft, How, Target};

    fn ledger() -> Ledger {
        let target = Target::parse("@champion");
        let mut tags: Vec<(String, String)> = Vec::new();
        for (i, (from, to, actor)) in [
            (None, "1", "ci"),
            (
                Some("1"),
                "4",
                "evil\u{1b}[2J ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let l = Ledger::read(&target, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let draft = Draft {
                at: format!("2026-10-0{}T00:00:00Z", i + 1),
                target: "@champion".into(),
                from: from.map(str::to_string),
                to: Some(to.into()),
                how: How::Promote,
                verdict: "pass".into(),
                policy: None,
                snapshot: None,
                actor: actor.into(),
                run: None,
                reason: None,
            };
            let (k, e) = l.append(&draft, &format!("n{i}"));
            tags.push((k, e.encode()));
        }
        Ledger::read(&target, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    #[test]
    fn the_table_shows_moves_gaps_and_inert_masked_text() {
        let l = ledger();
        let h = History {
            model: "churn",
            ledger: &l,
            holder_now: Some("7"),
            at: Some((
                "2026-10-01T12:00:00Z".into(),
                l.at(crate::timefmt::parse_instant("2026-10-01T12:00:00Z").unwrap()),
            )),
            breaks: Some(&[]),
        };
        let text = h.text();
        assert!(text.contains("none -> 1"), "{text}");
        assert!(text.contains("4 -> 7: moved outside mlgate"), "{text}");
        assert!(text.contains("held by 1, put there by entry #1"), "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains("ghp_abc"),
            "{text}"
        );
        let v = h.json();
        assert_eq!(v["unrecorded_moves"][0]["then"], "7");
        assert_eq!(v["at"]["holder"], "1");
        assert_eq!(v["verify"]["holds"], true);
        assert!(!v.to_string().contains("ghp_abc"));
    }
}
