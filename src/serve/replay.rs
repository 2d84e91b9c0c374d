//! Replay protection: signed times must be recent, and a delivery already seen is acted on
//! once. The memory of seen deliveries is bounded twice: a key is forgotten once it is older than the window (a replay that old is
//! refused as stale anyway), and past a hard cap the oldest key goes first, so a flood of
//! validly signed deliveries cannot grow it without limit. Keys are kept as SHA-256 digests,
//! so a long one (a Databricks key holds the model name) costs no more than a short one.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2_11::{Digest, Sha256};

/// At most this many keys are remembered per source.
pub(crate) const MAX_REMEMBERED: usize = 100_000;

/// Whether a time the sender signed (Unix milliseconds) is within `max_skew` of `now`, in
/// either direction: a clock ahead of ours is as suspect as a replay from the past.
pub(crate) fn fresh(sent_ms: i64, now: SystemTime, max_skew: Duration) -> bool {
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_millis()).unwrap_or(i128::MAX));
    let skew = i128::try_from(max_skew.as_millis()).unwrap_or(i128::MAX);
    (i128::from(sent_ms) - now_ms).abs() <= skew
}

/// Keys seen within a window, oldest first.
#[derive(Debug)]
pub(crate) struct Seen {
    window: Duration,
    cap: usize,
    state: Mutex<State>,
}

type Fingerprint = [u8; 32];

#[derive(Debug, Default)]
struct State {
    keys: HashSet<Fingerprint>,
    order: VecDeque<(Instant, Fingerprint)>,
}

impl Seen {
    pub(crate) fn new(window: Duration, cap: usize) -> Self {
        Seen {
            window,
            cap: cap.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// Records `key` and says whether this is its first sighting within the window.
    pub(crate) fn first_sighting(&self, key: &str, now: Instant) -> bool {
        let key: Fingerprint = Sha256::digest(key.as_bytes()).into();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some((at, _)) = state.order.front() {
            if now.saturating_duration_since(*at) <= self.window {
                break;
            }
            if let Some((_, old)) = state.order.pop_front() {
                state.keys.remove(&old);
            }
        }
        if state.keys.contains(&key) {
            return false;
        }
        while state.order.len() >= self.cap {
            if let Some((_, old)) = state.order.pop_front() {
                state.keys.remove(&old);
            }
        }
        state.keys.insert(key);
        state.order.push_back((now, key));
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_is_symmetric_around_now() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let skew = Duration::from_secs(300);
        let at = |secs: i64| secs * 1000;
        assert!(fresh(at(1_700_000_000), now, skew));
        assert!(fresh(at(1_700_000_000 - 300), now, skew));
        assert!(!fresh(at(1_700_000_000 - 301), now, skew));
        assert!(fresh(at(1_700_000_000 + 300), now, skew));
        assert!(!fresh(at(1_700_000_000 + 301), now, skew));
        assert!(!fresh(i64::MIN, now, skew));
        assert!(!fresh(i64::MAX, now, skew));
    }

    #[test]
    fn a_key_is_new_once_within_the_window() {
        let seen = Seen::new(Duration::from_secs(600), 10);
        let t0 = Instant::now();
        assert!(seen.first_sighting("a", t0));
        assert!(!seen.first_sighting("a", t0 + Duration::from_secs(599)));
        assert!(seen.first_sighting("b", t0));
        assert!(
            seen.first_sighting("a", t0 + Duration::from_secs(601)),
            "forgotten after the window"
        );
    }

    #[test]
    fn the_cap_evicts_the_oldest() {
        let seen = Seen::new(Duration::from_secs(600), 3);
        let t0 = Instant::now();
        for key in ["a", "b", "c", "d"] {
            assert!(seen.first_sighting(key, t0));
        }
        assert_eq!(seen.len(), 3);
        assert!(!seen.first_sighting("d", t0));
        assert!(seen.first_sighting("a", t0), "the oldest went first");
    }

    #[test]
    fn old_keys_are_dropped_as_time_passes() {
        let seen = Seen::new(Duration::from_secs(10), 100);
        let t0 = Instant::now();
        for i in 0..50 {
            assert!(seen.first_sighting(&i.to_string(), t0));
        }
        assert!(seen.first_sighting("late", t0 + Duration::from_secs(11)));
        assert_eq!(seen.len(), 1);
    }
}
