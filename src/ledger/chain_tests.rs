use super::*;
use crate::ledger::entry::How;

fn draft(at: &str, from: Option<&str>, to: &str) -> Draft {
    Draft {
        at: at.into(),
        target: "@champion".into(),
        from: from.map(str::to_string),
        to: Some(to.into()),
        how: How::Promote,
        verdict: "pass".into(),
        policy: Some("sha256:p".into()),
        snapshot: None,
        actor: "ci".into(),
        run: None,
        reason: None,
    }
}

fn target() -> Target {
    Target::parse("@champion")
}

/// Tags as a registry holds them after appending each draft in turn.
fn appended(drafts: &[Draft]) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = vec![("other".into(), "x".into())];
    for (i, d) in drafts.iter().enumerate() {
        let ledger = read(&tags);
        let (k, e) = ledger.append(d, &format!("n{i}"));
        tags.push((k, e.encode()));
    }
    tags
}

fn read(tags: &[(String, String)]) -> Ledger {
    Ledger::read(
        &target(),
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

fn three() -> Vec<(String, String)> {
    appended(&[
        draft("2026-10-01T00:00:00Z", None, "1"),
        draft("2026-10-05T00:00:00Z", Some("1"), "4"),
        draft("2026-10-09T00:00:00Z", Some("4"), "2"),
    ])
}

#[test]
fn an_appended_ledger_verifies_in_order() {
    let ledger = read(&three());
    let seqs: Vec<u64> = ledger.entries().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(ledger.verify().is_empty(), "{:?}", ledger.verify());
    assert!(ledger.gaps(Some(Some("2"))).is_empty());
    assert_eq!(ledger.previous_holder(Some("2")).as_deref(), Some("4"));
}

#[test]
fn an_edited_entry_is_named() {
    let mut tags = three();
    let (k, v) = tags[2].clone();
    tags[2] = (k.clone(), v.replace("\"to\":\"4\"", "\"to\":\"9\""));
    let breaks = read(&tags).verify();
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert_eq!(
        (breaks[0].seq, breaks[0].key.as_deref()),
        (2, Some(k.as_str()))
    );
    assert!(breaks[0].what.contains("edited"));
}

#[test]
fn an_edit_with_a_recomputed_id_breaks_the_next_link() {
    let mut tags = three();
    let mut e = Entry::decode(&tags[2].1).unwrap();
    e.to = Some("9".into());
    e.id = e.computed_id();
    tags[2].1 = e.encode();
    let breaks = read(&tags).verify();
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert_eq!(breaks[0].seq, 3);
    assert!(breaks[0].what.contains("does not follow entry #2"));
}

#[test]
fn a_removed_middle_entry_and_an_unreadable_one_are_named() {
    let mut tags = three();
    tags.remove(2);
    let breaks = read(&tags).verify();
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert_eq!(breaks[0].seq, 2);
    assert!(breaks[0].what.contains("missing"));
    let mut tags = three();
    tags[1].1 = "not json".into();
    let breaks = read(&tags).verify();
    assert_eq!(breaks[0].seq, 1);
    assert!(breaks[0].what.contains("not a ledger entry"));
}

#[test]
fn swapped_entries_are_reordered() {
    let mut tags = three();
    let (v2, v3) = (tags[2].1.clone(), tags[3].1.clone());
    tags[2].1 = v3;
    tags[3].1 = v2;
    let breaks = read(&tags).verify();
    assert!(!breaks.is_empty());
    assert_eq!(breaks[0].seq, 2);
}

#[test]
fn unrecorded_moves_are_gaps() {
    let mut d = three();
    let mut ledger = read(&d);
    let gaps = ledger.gaps(Some(Some("7")));
    assert_eq!(
        gaps,
        [Gap {
            after: 3,
            held: Some("2".into()),
            then: Some("7".into())
        }]
    );
    assert_eq!(ledger.previous_holder(Some("7")).as_deref(), Some("2"));
    let (k, e) = ledger.append(&draft("2026-10-10T00:00:00Z", Some("7"), "2"), "n9");
    d.push((k, e.encode()));
    ledger = read(&d);
    assert_eq!(ledger.gaps(Some(Some("2"))).len(), 1);
    assert!(ledger.verify().is_empty());
}

#[test]
fn at_names_the_entry_that_put_the_holder_there() {
    let ledger = read(&three());
    let t = |s| crate::timefmt::parse_instant(s).unwrap();
    assert_eq!(ledger.at(t("2026-10-06T12:00:00Z")).unwrap().seq, 2);
    assert_eq!(ledger.at(t("2026-10-09T00:00:00Z")).unwrap().seq, 3);
    assert!(ledger.at(t("2026-09-30T00:00:00Z")).is_none());
}

#[test]
fn two_writers_at_one_number_are_repaired_onto_the_end() {
    let mut tags = three();
    let ledger = read(&tags);
    let (ka, a) = ledger.append(&draft("2026-10-10T00:00:00Z", Some("2"), "5"), "aa");
    let (kb, b) = ledger.append(&draft("2026-10-10T00:00:01Z", Some("2"), "6"), "bb");
    tags.push((ka, a.encode()));
    tags.push((kb.clone(), b.encode()));
    let collided = read(&tags);
    assert!(!collided.settled("aa") && !collided.settled("bb"));
    assert!(collided
        .verify()
        .iter()
        .any(|b| b.what.contains("two writers")));
    let repair = collided.repair();
    assert_eq!(repair.deletes, std::slice::from_ref(&kb));
    assert_eq!(repair.writes.len(), 1);
    assert!(repair.writes[0].0.ends_with("00000005.bb"));
    // Written first, then the old tag deleted: one chain, nothing lost.
    tags.extend(repair.writes.clone());
    let half = read(&tags);
    assert_eq!(
        half.repair().deletes,
        std::slice::from_ref(&kb),
        "a half-done repair finishes"
    );
    tags.retain(|(k, _)| k != &kb);
    let repaired = read(&tags);
    assert!(repaired.verify().is_empty(), "{:?}", repaired.verify());
    let tos: Vec<_> = repaired
        .entries()
        .iter()
        .map(|e| e.to.clone().unwrap())
        .collect();
    assert_eq!(tos, ["1", "4", "2", "5", "6"]);
    assert!(repaired.repair().is_empty());
}

#[test]
fn the_entry_the_chain_continues_from_stays() {
    let mut tags = three();
    let ledger = read(&tags);
    // Written later but already continued by #5: it keeps #4.
    let (ka, a) = ledger.append(&draft("2026-10-10T00:00:09Z", Some("2"), "5"), "zz");
    let (kb, b) = ledger.append(&draft("2026-10-10T00:00:00Z", Some("2"), "6"), "aa");
    tags.push((ka, a.encode()));
    let (kc, c) = read(&tags).append(&draft("2026-10-11T00:00:00Z", Some("5"), "7"), "cc");
    tags.push((kc, c.encode()));
    tags.push((kb.clone(), b.encode()));
    let repair = read(&tags).repair();
    assert_eq!(repair.deletes, [kb]);
    assert!(repair.writes[0].0.ends_with("00000006.aa"));
    assert!(repair.writes[0]
        .1
        .contains(&format!("\"prev\":\"{}\"", c.id)));
}
