//! A per-thread cache of encoded pieces for byte-level models.
//!
//! Pieces that are not tokens themselves repeat a lot in natural text (on
//! English, about three in four such pieces were seen before), and looking one
//! up costs one hash of its bytes instead of a merge loop. Each thread keeps one
//! map for the model it used last; a different model, or a full map, starts it
//! afresh. Only pieces of 2 to [`MAX_PIECE`] bytes starting with an ASCII
//! byte are cached: pieces of CJK and other scripts are mostly unique, and
//! caching them made mixed text 1.6x slower (two allocations per miss).
//!
//! Performance notes: a shared `Mutex` map was not tried (contention in
//! `encode_batch`); an LRU was not needed: clearing at capacity keeps the hit
//! rate within a few percent on the benchmark corpora.

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Longest piece cached, in bytes.
pub const MAX_PIECE: usize = 32;
/// Entries before the map is cleared.
const CAPACITY: usize = 1 << 16;

static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// A fresh owner id for a model.
pub fn new_owner() -> u64 {
    NEXT_OWNER.fetch_add(1, Ordering::Relaxed)
}

#[derive(Default)]
struct Cache {
    owner: u64,
    map: FxHashMap<Box<[u8]>, Box<[u32]>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// Appends the cached ids of `piece` to `out`; false when not cached.
#[inline]
pub fn get(owner: u64, piece: &[u8], out: &mut Vec<u32>) -> bool {
    CACHE.with(|c| {
        let c = c.borrow();
        if c.owner != owner {
            return false;
        }
        match c.map.get(piece) {
            Some(ids) => {
                out.extend_from_slice(ids);
                true
            }
            None => false,
        }
    })
}

/// Remembers the ids of `piece`.
#[inline]
pub fn put(owner: u64, piece: &[u8], ids: &[u32]) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.owner != owner || c.map.len() >= CAPACITY {
            c.map.clear();
            c.owner = owner;
        }
        c.map.insert(piece.into(), ids.into());
    });
}
