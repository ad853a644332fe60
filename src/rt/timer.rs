//! Deadlines: a binary min-heap of (deadline, key) beside a slab of live timers.
//!
//! Deadlines are mostly "now + timeout", so a new entry is usually the largest in the heap and
//! insertion stops after one comparison, whatever the number pending. Cancelling only removes
//! the slab entry; the stale heap entry is skipped when it surfaces, and the heap is rebuilt
//! once stale entries outnumber live ones, so IO timeouts that never fire cannot grow it
//! without bound. Callers pass `now` in, which keeps firing logic testable without a clock.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use super::slab::{Key, Slab};

/// `now + timeout`, saturating at a century ahead instead of overflowing: a deadline that
/// far out never fires, which is what an absurd timeout means.
pub fn deadline_after(now: Instant, timeout: Duration) -> Instant {
    const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(timeout.min(FOREVER)).unwrap_or(now)
}

/// Identifies one armed timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerKey(Key);

pub struct Timers<P> {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    live: Slab<P>,
}

impl<P> Default for Timers<P> {
    fn default() -> Self {
        Timers::new()
    }
}

impl<P> Timers<P> {
    pub const fn new() -> Timers<P> {
        Timers {
            heap: BinaryHeap::new(),
            live: Slab::new(),
        }
    }

    /// Live (armed, not cancelled, not fired) timers.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.len() == 0
    }

    pub fn insert(&mut self, deadline: Instant, payload: P) -> TimerKey {
        let key = self.live.insert(payload);
        self.heap.push(Reverse((deadline, key.to_u64())));
        TimerKey(key)
    }

    /// Disarms a timer; returns its payload if it had not fired yet.
    pub fn cancel(&mut self, key: TimerKey) -> Option<P> {
        let payload = self.live.remove(key.0)?;
        if self.heap.len() > 64 && self.heap.len() > 2 * self.live.len() {
            let live = &self.live;
            self.heap
                .retain(|Reverse((_, k))| live.get(Key::from_u64(*k)).is_some());
        }
        Some(payload)
    }

    /// The earliest deadline still armed.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((deadline, key))) = self.heap.peek() {
            if self.live.get(Key::from_u64(*key)).is_some() {
                return Some(*deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// Takes one timer whose deadline is at or before `now`, earliest first.
    pub fn pop_expired(&mut self, now: Instant) -> Option<P> {
        loop {
            let Reverse((deadline, key)) = *self.heap.peek()?;
            let key = Key::from_u64(key);
            if self.live.get(key).is_none() {
                self.heap.pop();
                continue;
            }
            if deadline > now {
                return None;
            }
            self.heap.pop();
            return self.live.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_order_and_skips_cancelled() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        let _c = timers.insert(t0 + Duration::from_millis(30), "c");
        let a = timers.insert(t0 + Duration::from_millis(10), "a");
        let _b = timers.insert(t0 + Duration::from_millis(20), "b");
        let x = timers.insert(t0 + Duration::from_millis(15), "x");
        assert_eq!(timers.cancel(x), Some("x"));
        assert_eq!(timers.cancel(x), None, "cancelling twice is harmless");
        assert_eq!(timers.len(), 3);
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(10)));
        assert_eq!(timers.pop_expired(t0 + Duration::from_millis(5)), None);
        let fired: Vec<_> =
            std::iter::from_fn(|| timers.pop_expired(t0 + Duration::from_millis(25))).collect();
        assert_eq!(fired, vec!["a", "b"]);
        assert_eq!(timers.cancel(a), None, "a fired timer cannot be cancelled");
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(30)));
        assert_eq!(
            timers.pop_expired(t0 + Duration::from_millis(30)),
            Some("c")
        );
        assert!(timers.is_empty());
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn cancelled_entries_do_not_accumulate() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        for i in 0..100_000u64 {
            let k = timers.insert(t0 + Duration::from_secs(60 + i), i);
            timers.cancel(k);
        }
        assert!(
            timers.heap.len() <= 128,
            "heap kept {} stale entries",
            timers.heap.len()
        );
    }

    #[test]
    fn absurd_timeouts_saturate() {
        let now = Instant::now();
        assert!(deadline_after(now, Duration::MAX) > now + Duration::from_secs(365 * 24 * 3600));
        assert_eq!(
            deadline_after(now, Duration::from_millis(5)),
            now + Duration::from_millis(5)
        );
    }

    #[test]
    fn equal_deadlines_all_fire() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        for i in 0..10 {
            timers.insert(t0, i);
        }
        let mut fired: Vec<_> = std::iter::from_fn(|| timers.pop_expired(t0)).collect();
        fired.sort();
        assert_eq!(fired, (0..10).collect::<Vec<_>>());
    }
}
