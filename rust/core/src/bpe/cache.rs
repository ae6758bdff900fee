//! A per-thread cache of encoded pieces for byte-level models.
//!
//! Pieces that are not tokens themselves repeat a lot in natural text (on the
//! mixed benchmark corpus about two in three such pieces were seen before),
//! and looking one up costs one hash and one cache line instead of a merge
//! loop or a backtracking walk (tens of dependent lookups in tables of
//! several MB). The cache is a direct-mapped table of 64-byte slots holding
//! the piece (up to [`MAX_PIECE`] bytes, zero-padded) and its ids (up to
//! [`MAX_IDS`]) inline: no allocation on a hit or a miss. Each thread has one
//! table; it remembers the model it last served, and a different model bumps a
//! generation number that invalidates every slot without touching memory.
//! The tables live in one [`Scratch`], fetched once per text.
//!
//! Performance notes (`examples/piece_bench.rs` and `encode_bench.rs` on 20 MB
//! of mixed-100M, one thread, noisy 2-core VM, so ±10%):
//! - the previous design, an `FxHashMap<Box<[u8]>, Box<[u32]>>` cleared at
//!   65,536 entries, cost as much as it saved (two allocations per miss,
//!   frequent clears): 380-450 ns per ASCII-led non-token piece with or
//!   without it; this table brings that to 220-260 ns (cl100k).
//! - caching non-ASCII-led pieces too was slower (other pieces 400 → 530 ns):
//!   runs of Han characters are mostly unique, so it only adds stores.
//! - 2^13, 2^15 and 2^17 slots were within noise of each other; 2^15 (2 MB).
//! - `Scratch::hot_whole`, a 4,096-slot (64 KB) table of recent whole-token hits in
//!   front of the whole-token hash map (8 MB of buckets for o200k): median of
//!   12 interleaved runs 36.4 → 37.5 MB/s (o200k), 45.0 → 46.9 (cl100k);
//!   1,024 and 16,384 slots were within noise.
//! - a shared table behind a lock was not tried (contention in
//!   `encode_batch`).
//! - the tables (and the backtracking memo) are fetched once per text into a
//!   [`Scratch`] instead of once per piece: in a shared library a
//!   thread-local access is a call to `__tls_get_addr` plus a `RefCell`
//!   borrow, two or three times per piece.
//! - keys are built by overlapping loads (`words`) instead of a copy into
//!   a zeroed buffer read back as words, which stalled on store-to-load
//!   forwarding (10% of the whole-token lookup in `perf annotate`).
//! - for the backtracking encoder's vocabularies, a piece that misses the
//!   hot table is looked up in the trie (`Backtrack::exact`) instead of the
//!   whole-token hash map (8 MB of buckets for o200k, now untouched while
//!   encoding): mixed o200k 57-61 → 59-68 MB/s (`encode_bench`, interleaved).
//!   Trying the piece cache before the trie, or skipping the trie and
//!   letting the encoder find whole tokens (they then enter the piece
//!   cache), were both slower: `piece_bench` in text order 0.219-0.239 s
//!   against 0.237-0.258 s. 2^14 hot slots gained nothing beyond noise.
//!   Prefetching the piece cache's slot before the trie walk (most pieces
//!   that miss the hot table are not tokens): 0.204-0.218 → 0.199-0.212 s
//!   (five interleaved runs each).
//! - pieces of one or two bytes (two in five pieces of the mixed sample)
//!   skip the hot table for direct tables (`model.rs`, `encode_ranked`):
//!   `piece_bench` in text order, o200k, four interleaved runs: 0.199-0.216
//!   → 0.186-0.220 s, whole-token pieces 0.048-0.052 → 0.046-0.048 s.
//! - tried and rejected: encoding pieces in groups of 16, computing their
//!   keys first and prefetching their slots in an open-addressing
//!   whole-token table (no hot table): slower, mixed cl100k 69 → 54-65 MB/s
//!   and o200k 53 → 49-52 MB/s (`encode_bench`, interleaved runs), with or
//!   without `Scratch::hot_whole` in front.
//! - `words` indexed the piece byte by byte, which compiled to an
//!   out-of-line closure of some fifty instructions per word; one slice
//!   load per word: callgrind, 2 MB of mixed text encoded six times, o200k,
//!   972M → 906M instructions for the whole encode.
//! - tried and rejected (callgrind on 6 MB of mixed text twice, o200k, and
//!   `encode_bench` runs interleaved):
//!   - remembering pieces that are not tokens in the hot table too, so they
//!     skip the trie: 803.2M → 803.9M instructions, L2 misses 1.297M →
//!     1.320M; at 2^14 hot slots, L2 misses +10%.
//!   - a Bloom filter of the tokens' short keys (256 KB, two bits in one
//!     word) in front of the trie: 1.297M → 1.490M L2 misses. The trie walk
//!     it skips for a piece that is not a token warms the very nodes that
//!     `ranked::merge_short` walks next on a piece-cache miss: the trie's
//!     misses there went 348k → 272k, `merge_short`'s 125k → 235k, and the
//!     filter's own were 142k.
//!   - the piece cache before the trie (a one-id result is the piece's
//!     token and goes to the hot table): 773.6M → 770.8M instructions, L2
//!     misses 1.297M → 1.365M; `encode_bench` 82.1 → 83.4 MB/s in one round
//!     of six runs, 85.4 → 80.5 in the next, cl100k 104.4 → 96.9.
//!   - keys read as whole 16- or 32-byte loads from the text after the
//!     piece, masked to its length, instead of branching on the length:
//!     callgrind's branch simulation counted 13.30M → 11.84M mispredictions
//!     at the same instructions, but `encode_bench` did not move (86.8 →
//!     86.2 MB/s, five runs each): the CPU predicts those branches better.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Longest piece cached, in bytes.
pub const MAX_PIECE: usize = 32;
/// Most ids a cached piece may have.
pub const MAX_IDS: usize = 7;
const SLOT_BITS: u32 = 15;
/// Slots (log2) of the table of recent whole-token hits.
const HOT_BITS: u32 = 12;
/// Entries (log2) of the backtracking encoder's memo of compatible pairs.
pub(crate) const MEMO_BITS: u32 = 20;

static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// A fresh owner id for a model.
pub fn new_owner() -> u64 {
    NEXT_OWNER.fetch_add(1, Ordering::Relaxed)
}

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    key: [u64; 4],
    len: u8,
    n: u8,
    generation: u16,
    ids: [u32; MAX_IDS],
}

const EMPTY: Slot = Slot {
    key: [0; 4],
    len: 0,
    n: 0,
    generation: 0,
    ids: [0; MAX_IDS],
};

/// The per-thread tables of the byte-level encoder, fetched once per text
/// (see [`with_scratch`]) rather than once per piece: a thread-local access
/// in a shared library is a call to `__tls_get_addr`.
#[derive(Default)]
pub struct Scratch {
    pieces: PieceCache,
    hot: Hot,
    /// The backtracking encoder's memo (see `backtrack.rs`).
    pub(crate) memo: Memo,
}

#[derive(Default)]
struct PieceCache {
    owner: u64,
    generation: u16,
    slots: Vec<Slot>,
}

#[derive(Default)]
struct Hot {
    owner: u64,
    slots: Vec<(u128, u32)>,
}

/// A set-associative table of `(left, right)` token pairs (a tag of the
/// pair, see `backtrack::memo_get_or`) with a yes/no answer in the low bit,
/// for one backtracking encoder at a time.
#[derive(Default)]
pub(crate) struct Memo {
    owner: u64,
    slots: Vec<u32>,
}

impl Memo {
    /// The slots, cleared when they served another encoder.
    #[inline]
    pub(crate) fn slots_for(&mut self, owner: u64) -> &mut [u32] {
        if self.owner != owner || self.slots.is_empty() {
            self.slots.clear();
            self.slots.resize(1 << MEMO_BITS, u32::MAX);
            self.owner = owner;
        }
        &mut self.slots
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch tables (or fresh ones when they are
/// already in use further up the stack).
#[inline]
pub fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|c| match c.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// The first `8 * W` bytes of `b` (at most that long) as little-endian
/// words, zero-padded. Loads overlap instead of copying into a zeroed buffer:
/// reading a buffer back as words right after a variable-length copy into it
/// defeats store-to-load forwarding (about 10% of the time spent looking
/// up whole-token pieces, measured with perf).
#[inline(always)]
pub(crate) fn words<const W: usize>(b: &[u8]) -> [u64; W] {
    let n = b.len();
    debug_assert!(n <= 8 * W);
    let mut w = [0u64; W];
    // One bounds check and one load each (indexing byte by byte made these
    // out-of-line calls of some fifty instructions).
    let le4 = |i: usize| {
        let x: [u8; 4] = b[i..i + 4].try_into().unwrap_or_default();
        u64::from(u32::from_le_bytes(x))
    };
    let le8 = |i: usize| {
        let x: [u8; 8] = b[i..i + 8].try_into().unwrap_or_default();
        u64::from_le_bytes(x)
    };
    if n < 8 {
        if n >= 4 {
            w[0] = le4(0) | (le4(n - 4) << ((n - 4) * 8));
        } else if n > 0 {
            let (m, l) = (n / 2, n - 1);
            w[0] = u64::from(b[0]) | (u64::from(b[m]) << (8 * m)) | (u64::from(b[l]) << (8 * l));
        }
        return w;
    }
    let full = n / 8;
    for (i, x) in w.iter_mut().enumerate().take(full) {
        *x = le8(8 * i);
    }
    let rem = n % 8;
    if rem > 0 {
        w[full] = le8(n - 8) >> (8 * (8 - rem));
    }
    w
}

#[inline(always)]
fn key_of(piece: &[u8]) -> [u64; 4] {
    words::<4>(piece)
}

#[inline(always)]
fn slot_of(k: &[u64; 4], len: usize) -> usize {
    const M: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (k[0] ^ len as u64).wrapping_mul(M);
    h = (h.rotate_left(23) ^ k[1]).wrapping_mul(M);
    h = (h.rotate_left(23) ^ k[2]).wrapping_mul(M);
    h = (h.rotate_left(23) ^ k[3]).wrapping_mul(M);
    (h >> (64 - SLOT_BITS)) as usize
}

impl Scratch {
    /// Appends the ids of `piece` to `out`, from the piece cache when it
    /// holds them, otherwise from `encode` (which appends them and may use
    /// the memo), remembering the result. `piece` must be at most
    /// [`MAX_PIECE`] bytes.
    #[inline]
    pub(crate) fn encode_cached(
        &mut self,
        owner: u64,
        piece: &[u8],
        out: &mut Vec<u32>,
        encode: impl FnOnce(&mut Vec<u32>, &mut Memo),
    ) {
        debug_assert!(piece.len() <= MAX_PIECE);
        let c = &mut self.pieces;
        if c.owner != owner || c.slots.is_empty() {
            if c.slots.is_empty() {
                c.slots = vec![EMPTY; 1 << SLOT_BITS];
            }
            c.owner = owner;
            c.generation = c.generation.wrapping_add(1);
            if c.generation == 0 {
                c.slots.fill(EMPTY);
                c.generation = 1;
            }
        }
        let generation = c.generation;
        let key = key_of(piece);
        let i = slot_of(&key, piece.len());
        let s = &c.slots[i];
        if s.generation == generation && s.len as usize == piece.len() && s.key == key {
            out.extend_from_slice(&s.ids[..s.n as usize]);
            return;
        }
        let start = out.len();
        encode(out, &mut self.memo);
        let ids = &out[start..];
        if ids.len() <= MAX_IDS {
            let s = &mut self.pieces.slots[i];
            s.key = key;
            s.len = piece.len() as u8;
            s.n = ids.len() as u8;
            s.generation = generation;
            s.ids[..ids.len()].copy_from_slice(ids);
        }
    }

    /// Starts fetching the piece cache's slot for `piece` (at most
    /// [`MAX_PIECE`] bytes), so that a lookup after other work finds it in
    /// cache.
    #[inline]
    pub(crate) fn prefetch_piece(&self, piece: &[u8]) {
        let i = slot_of(&key_of(piece), piece.len());
        super::backtrack::prefetch(self.pieces.slots.as_ptr().wrapping_add(i));
    }

    /// Remembers that the token with short key `key` is `id`.
    #[inline]
    pub(crate) fn hot_put(&mut self, owner: u64, key: u128, id: u32) {
        if key != 0 {
            *self.hot_slot(owner, key) = (key, id);
        }
    }

    /// The slot of `key` in the table of recent whole-token hits (set up for
    /// `owner`).
    #[inline]
    fn hot_slot(&mut self, owner: u64, key: u128) -> &mut (u128, u32) {
        let h = &mut self.hot;
        if h.owner != owner || h.slots.is_empty() {
            h.slots.clear();
            h.slots.resize(1 << HOT_BITS, (0, 0));
            h.owner = owner;
        }
        let x = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
        let i = (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HOT_BITS)) as usize;
        &mut h.slots[i]
    }

    /// The id of the token with short key `key` (see `model::short_key`;
    /// the empty piece's key, 0, is also the empty slot's and never hits) if the table of recent whole-token hits holds it.
    #[inline]
    pub(crate) fn hot_get(&mut self, owner: u64, key: u128) -> Option<u32> {
        let s = *self.hot_slot(owner, key);
        (s.0 == key && key != 0).then_some(s.1)
    }

    /// The id of the piece with short key `key` (see `model::short_key`)
    /// when it is a token: from a small direct-mapped table of recent hits
    /// (64 KB, so it stays in L2), otherwise from `lookup`, remembering a hit.
    #[inline]
    pub(crate) fn hot_whole(
        &mut self,
        owner: u64,
        key: u128,
        lookup: impl FnOnce() -> Option<u32>,
    ) -> Option<u32> {
        if let Some(id) = self.hot_get(owner, key) {
            return Some(id);
        }
        let id = lookup()?;
        self.hot_put(owner, key, id);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    /// `words` equals copying into a zeroed buffer, for every length.
    #[test]
    fn words_match_a_zero_padded_copy() {
        let data: Vec<u8> = (0..40u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(1))
            .collect();
        for start in 0..8 {
            for n in 0..=32 {
                let b = &data[start..start + n];
                let mut buf = [0u8; 32];
                buf[..n].copy_from_slice(b);
                let want: Vec<u64> = buf
                    .chunks(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                    .collect();
                assert_eq!(words::<4>(b).to_vec(), want, "length {n}");
                if n <= 16 {
                    assert_eq!(words::<2>(b).to_vec(), want[..2].to_vec(), "length {n}");
                }
            }
        }
    }
}
