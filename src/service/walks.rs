//! Sequential `startIndex` walks continue where their last page ended.
//!
//! Identity providers import a directory by asking for `startIndex` 1, 101, 201, … (Okta, in
//! pages of 100). Served as an `OFFSET`, page n skips `(n - 1) × count` rows, so a walk of a
//! million users costs the sum over all its pages. When a page without `sortBy` is served, this
//! memory notes where it ended (the last row's `(created, id)`) under the `startIndex` that would
//! follow it; a request for exactly that `startIndex` from the same token, directory, resource
//! type and filter then seeks past that row in the creation-order index instead.
//!
//! The memory is a hint, never the truth: an unknown `startIndex` (another instance behind the
//! load balancer served the previous page, the entry was evicted or is older than
//! [`WALK_TIMEOUT`]) is served as an `OFFSET`. On a directory that does not change during the
//! walk both give the same page. When users before the walk's position are created or deleted
//! meanwhile, the continuation differs from an `OFFSET` taken at that instant, in the walk's
//! favour: every resource that exists throughout the walk is served exactly once (an `OFFSET`
//! would skip one for each deletion before it, and repeat one for each insertion before it).
//! `totalResults` of a continued page is the count carried from the walk's earlier pages,
//! counted again once it is older than [`RECOUNT_AFTER`] (README "What scimd implements", index
//! paging).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::Context;
use super::context::Actor;
use crate::store::{ListQuery, Paging, RowKey};

/// Walks remembered at once; the oldest entry goes first. Each walk holds one entry (the page
/// it will ask for next), so this is the number of concurrent walks served without a miss.
const CAPACITY: usize = 4_096;
/// An entry older than this is ignored, like an expired cursor (`CURSOR_TIMEOUT_SECS`).
pub const WALK_TIMEOUT: Duration = Duration::from_secs(3_600);
/// A continued page reuses the count of an earlier page of its walk for at most this long.
pub const RECOUNT_AFTER: Duration = Duration::from_secs(30);

/// Which walk a page belongs to: a SHA-256 of its directory, token, resource type and filter
/// (so an entry's size does not depend on the filter's length).
pub type WalkId = [u8; 32];

/// A walk and the `startIndex` of its next page.
type Slot = (WalkId, i64);

/// Where a remembered walk stands.
#[derive(Debug, Clone)]
struct Entry {
    after: RowKey,
    total: i64,
    counted: Instant,
    filled: Instant,
    /// Tells this entry from an older one of the same slot in the eviction order.
    seq: u64,
}

/// A continued page: where it starts, and the walk's count if it is still fresh.
#[derive(Debug, Clone)]
pub struct Continuation {
    pub after: RowKey,
    pub known_total: Option<i64>,
    counted: Instant,
}

/// The bounded memory of walks in progress; clones share it.
#[derive(Clone, Default)]
pub struct Walks {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Slot, Entry>,
    /// Slots in the order they were filled; a slot whose entry was replaced or taken stays
    /// here until it reaches the front (or the queue is compacted).
    order: VecDeque<(Slot, u64)>,
    seq: u64,
}

/// The walk `query` belongs to, if its pages can continue one another: index paging without
/// `sortBy` (a keyset on creation order), for a page of at least one resource.
pub fn walk_of(ctx: &Context, resource: &str, query: &ListQuery) -> Option<WalkId> {
    let Paging::Index { count, .. } = query.paging else {
        return None;
    };
    if query.sort.is_some() || count == 0 || query.across_types {
        return None;
    }
    let actor = match &ctx.actor {
        Actor::Token { id, .. } => id.as_str(),
        Actor::Cli => "cli",
        Actor::System => "system",
    };
    let filter = query
        .filter
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut hash = Sha256::new();
    for part in [ctx.directory.as_str(), actor, resource, &filter] {
        // Each part's length first, so that no two different walks hash the same bytes.
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    Some(hash.finalize().into())
}

impl Walks {
    /// Takes the continuation of `walk` at `start_index`, if a page ended just before it.
    pub fn take(&self, walk: &WalkId, start_index: i64) -> Option<Continuation> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let entry = inner.entries.remove(&(*walk, start_index))?;
        if entry.filled.elapsed() > WALK_TIMEOUT {
            return None;
        }
        Some(Continuation {
            known_total: (entry.counted.elapsed() <= RECOUNT_AFTER).then_some(entry.total),
            after: entry.after,
            counted: entry.counted,
        })
    }

    /// Notes that the page of `walk` starting at `next_start` continues after `after`; `total`
    /// was counted when `continued` says (now, unless it was carried).
    pub fn remember(
        &self,
        walk: WalkId,
        next_start: i64,
        after: RowKey,
        total: i64,
        continued: Option<&Continuation>,
    ) {
        let now = Instant::now();
        let counted = match continued {
            Some(c) if c.known_total.is_some() => c.counted,
            _ => now,
        };
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.seq += 1;
        let seq = inner.seq;
        let slot = (walk, next_start);
        inner.order.push_back((slot, seq));
        inner.entries.insert(
            slot,
            Entry {
                after,
                total,
                counted,
                filled: now,
                seq,
            },
        );
        inner.evict();
    }
}

impl Inner {
    /// Drops the oldest entries beyond [`CAPACITY`], and forgets slots no longer held.
    fn evict(&mut self) {
        while self.entries.len() > CAPACITY {
            let Some((slot, seq)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&slot).is_some_and(|e| e.seq == seq) {
                self.entries.remove(&slot);
            }
        }
        if self.order.len() > 2 * CAPACITY {
            let entries = &self.entries;
            self.order
                .retain(|(slot, seq)| entries.get(slot).is_some_and(|e| e.seq == *seq));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(name: &str) -> WalkId {
        Sha256::digest(name.as_bytes()).into()
    }

    fn key(id: &str) -> RowKey {
        RowKey {
            created: chrono::DateTime::UNIX_EPOCH,
            id: id.into(),
        }
    }

    #[test]
    fn a_remembered_page_is_continued_once_and_then_forgotten() {
        let walks = Walks::default();
        walks.remember(walk("w"), 101, key("a"), 500, None);

        let hit = walks.take(&walk("w"), 101).expect("continued");
        assert_eq!(hit.after, key("a"));
        assert_eq!(hit.known_total, Some(500));
        assert!(walks.take(&walk("w"), 101).is_none());
        assert!(walks.take(&walk("w"), 201).is_none());
    }

    #[test]
    fn the_oldest_walks_are_evicted_beyond_the_capacity_and_the_queue_stays_bounded() {
        let walks = Walks::default();
        for n in 0..(3 * CAPACITY) as i64 {
            walks.remember(walk(&format!("w{n}")), 1, key("a"), 1, None);
        }
        // One walk of many pages keeps a single entry however long it runs.
        for n in 0..(3 * CAPACITY) as i64 {
            let continued = walks.take(&walk("long"), n);
            walks.remember(walk("long"), n + 1, key("b"), 1, continued.as_ref());
        }

        let inner = walks.inner.lock().expect("lock");
        assert_eq!(inner.entries.len(), CAPACITY);
        assert!(inner.order.len() <= 2 * CAPACITY + 1);
        assert!(
            inner
                .entries
                .contains_key(&(walk("long"), 3 * CAPACITY as i64))
        );
        assert!(!inner.entries.contains_key(&(walk("w0"), 1)));
    }
}
