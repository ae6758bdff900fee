//! Linear-time BPE for rank-ordered (tiktoken) vocabularies, by backtracking.
//!
//! For a vocabulary whose ids are BPE ranks, the BPE encoding of a piece is the
//! unique token sequence in which every adjacent pair is *compatible*: BPE
//! applied to the two tokens' bytes would keep the boundary between them.
//! Compatibility is decided by unwinding both tokens' own merges (`split`)
//! from the boundary and checking that no merge across it (`pair`) would have
//! come earlier. The encoder walks left to right taking the longest token that
//! matches (an anchored leftmost-longest Aho-Corasick automaton); when a token
//! is not compatible with its predecessor it tries the next shorter prefix
//! token (`next_prefix`), and when none fits it backtracks, marking the
//! position dead in a bitfield so it is not tried again. This is the approach
//! of rust-gems' `bpe` crate (GitHub, 2024), written anew here.
//!
//! The accelerator is only used when it is provably consistent on the
//! vocabulary itself (every token encodes to itself); otherwise the model
//! falls back to merge-based BPE. Parity with tiktoken is tested on real and
//! generated text.
//!
//! Performance notes: on Chinese text with cl100k (pieces of ~28 bytes that
//! are not tokens) this is about 2x faster than the cached-rank merge loop,
//! because it does about one automaton walk and one or two pair lookups per
//! output token instead of two or three hash lookups per merge. The cost is
//! memory latency: the trie, `split` and `pair` are several MB, so every step
//! is a cache miss. Two changes measured with `examples/encode_bench.rs` (20 MB
//! of mixed-100M, one thread, MB/s for cl100k / o200k, whole encode):
//! - the first two trie levels as one 65,536-entry table (`root2`), which
//!   saves the first two steps per token: 34 / 29 → 42 / 33 (with the new
//!   piece cache of `cache.rs`);
//! - a per-thread direct-mapped memo of `compatible` (2^16 slots, 512 KB):
//!   token pairs repeat, and a hit replaces a chain of `split` and `pair`
//!   lookups: 42 / 33 → 45 / 37. 2^14 and 2^18 slots were not better then;
//!   see below for 2^18 now.
//! - the trie as a double array (one 12-byte slot load per byte instead of a
//!   node load plus a child-list load): 45 / 37 → 58 / 46 on mixed text, and
//!   31 → 48 MB/s for o200k on zh-10M, whose long Han pieces walk the trie
//!   most. Building it takes 0.1-0.3 s on first use (was 0.1-0.2 s).
//! - tried and rejected: an open-addressing map with keys and values in one
//!   slot array instead of `FxHashMap` for `pair`, the merge table and the
//!   whole-token table. It was 30-50% slower on everything but whole-token
//!   hits: most lookups here are misses, which hashbrown answers from its
//!   small control-byte array without touching the slots.
//!
//! Later changes, measured with `examples/piece_bench.rs` (seconds per pass
//! over all pieces, the minimum of 7; cl100k / o200k; "zh" is zh-10M) and
//! `examples/encode_bench.rs` (MB/s, 4 KB documents, median of 3-4 runs
//! interleaved with the previous binary, since this VM varies by 10-20%
//! from run to run):
//! - every piece that is not a token now backtracks (before: pieces of 16
//!   bytes or more, and non-ASCII-led pieces of 4 or more; short ASCII pieces
//!   used the merge loop): mixed 0.252 / 0.305 s → 0.238 / 0.283 s, zh o200k
//!   0.165 → 0.158 s. Short ASCII pieces are still served from the piece
//!   cache first (`cache.rs`).
//! - the memo at 2^18 slots (2 MB) now that the trie is cheaper: zh 0.110 /
//!   0.160 s → 0.093 / 0.138 s, mixed cl100k 0.262 → 0.247 s, mixed o200k
//!   unchanged. 2^20 slots: zh o200k 0.13 s but mixed o200k 10% slower. An
//!   8-way set-associative memo of the same size (one cache line a set) was
//!   slower (zh cl100k 0.091 → 0.145 s), and a 2,048-slot front table in
//!   L1 gained nothing (mixed cl100k 62.7 → 60.1 MB/s).
//! - the trie walk returns the token's length with the token (no load of
//!   `len` for the candidate) and stops at a leaf (no load of a slot that
//!   cannot match); children are placed depth first, just past their parent,
//!   so the bytes of one character tend to share a cache line (this last
//!   one alone was within noise: 0.308 → 0.302 s mixed o200k).
//! - all of the above with the per-text scratch tables of `cache.rs` and the
//!   non-ASCII-led pieces going straight to the walk (`model.rs`), from the
//!   previous commit's binary to this one, `encode_bench` MB/s: zh 66.8 /
//!   41.9 → 92.9 / 52.7, mixed 57.0 / 47.7 → 58.5 / 50.5.
//! - the memo with 4-byte slots, exact through a bijective key mix (slot
//!   index plus a tag, `memo_set`), at 2^20 slots (4 MB) instead of 2^18
//!   8-byte slots (2 MB). `perf annotate` had the memo load as the largest
//!   single stall (a third of the walk's time on Chinese text).
//!   `examples/piece_bench.rs`, o200k, seconds per pass over the pieces in
//!   text order, runs interleaved: zh 0.137-0.151 → 0.112-0.125; mixed
//!   within noise (0.21-0.25 either way). 2^18 4-byte slots (1 MB): no
//!   better than before; 2^21: within noise of 2^20.
//! - each candidate's memo slot is prefetched as the walk meets the
//!   candidate, so that miss overlaps the rest of the walk: mixed o200k
//!   0.238-0.269 → 0.219-0.226 s, zh 0.115-0.139 → 0.112-0.127 s (three
//!   interleaved runs each).
//! - the memo 4-way set associative (`memo_get_or`: a set is one 16-byte
//!   block compared with one SSE2 instruction; a new answer goes first and
//!   the oldest leaves), same 4 MB. Counting lookups in a build of `piece_bench` with counters (16
//!   passes over the pieces), direct-mapped missed 12-13% of them on both
//!   corpora, while a 64 MB memo missed 2.5-3%: about 700,000 distinct pairs
//!   per corpus, so most misses were conflicts. `encode_bench`, o200k, best of
//!   three per run, runs interleaved: zh 43.8-68.3 → 55.7-75.6 MB/s, mixed
//!   58.8-60.4 → 62.2-63.4, cl100k zh 70.2-74.4 → 72.7-75.8. Part of this is
//!   pairs kept from earlier passes over the same text, which the benchmarks
//!   repeat; a service encoding similar text gains the same way. (The 8-way
//!   memo tried earlier had 8-byte entries and a scalar search.)
//! - tried and rejected: the trie, split, prefix, memo, piece cache and
//!   class tables on transparent huge pages (2 MB-aligned allocations with
//!   `madvise(MADV_HUGEPAGE)`; this VM grants them in `madvise` mode, and the
//!   trie and memo did get 10 MB of huge pages). Same measure, three
//!   interleaved runs: mixed 0.240-0.275 s against 0.239-0.268 s, zh
//!   0.116-0.140 against 0.130-0.136: TLB misses are not what the walk
//!   waits on here.
//! - tried and rejected: a direct table from each three-byte character that
//!   is a token to its slot (`root3`, 65,536 entries), saving the walk's
//!   step from `root2`: zh o200k 0.107-0.124 s against 0.115-0.132 with it.
//!   The step it saves reads one of the few hundred slots the first two
//!   bytes of CJK characters lead to, which stay in cache.
//! - tried and rejected: two consecutive non-ASCII-led pieces walked in
//!   lockstep, one step each in turn, so that their misses overlap
//!   (`encode_pair`): zh o200k per 4 KB document 63.4-67.9 → 53.1-69.1 MB/s,
//!   mixed 56.9-69.2 → 53.2-66.0 (`encode_bench`, interleaved runs).
//! - tried and rejected: backtracking instead of `ranked::merge_short` for
//!   short pure-ASCII pieces now that the memo is cheaper: that class went
//!   from 172-176 to 234-339 ns per piece.
//! - tried and rejected: walking past each candidate before checking it
//!   (on the bet that it is kept, as it usually is), so that the check's
//!   memo miss overlaps the next walk and that walk prefetches the next
//!   check's memo sets: zh o200k in text order 0.096-0.113 s before,
//!   0.102-0.106 s with it (five interleaved runs); mixed within noise.
//!   After the walk of a Han token there is little left to overlap.
//! - tried and rejected: taking tokens greedily (longest match) eight at a
//!   time and checking their pairs together, the backtracking walk taking
//!   over at the first pair that is not compatible (the greedy sequence is
//!   the encoding when all its pairs are compatible), so that a batch's memo
//!   misses overlap: `piece_bench` zh o200k in text order 0.100-0.105 s
//!   before, 0.096-0.104 s with it; mixed within noise. `perf` then shows
//!   the trie walk's dependent slot loads as the critical path instead.
//! - tried and rejected: jumping over a whole three-byte character in one
//!   probe of an open-addressing table (key: slot and the three bytes;
//!   31,821 entries for o200k, 1 MB) from the nodes where no token ends
//!   inside the character, instead of three dependent slot loads:
//!   `piece_bench` zh o200k in text order 0.097-0.125 s before, 0.114-0.153
//!   s with it; mixed no better. The probe is a miss of its own, and the
//!   slots it skips are often near each other (children are placed just
//!   past their parent).
//! - tried and rejected: 8-byte slots (base and check; the token in a
//!   parallel array, read only where a flag in `base` says one ends), a
//!   third less trie: zh o200k in text order 0.092-0.098 s before,
//!   0.089-0.102 s with it; mixed 0.184-0.215 against 0.191-0.195 s.
//! - tried and rejected: the 4-way memo at 2^18 entries (1 MB, to stay near
//!   L2): zh o200k 0.094-0.102 → 0.132-0.140 s, mixed 0.205-0.207 →
//!   0.226-0.240 s. Its hit rate matters more than its latency.
//!
//! Measured since with callgrind as well (`--cache-sim=yes` with a 1 MB
//! last level standing for L2, the encode of a 6 MB piece of the mixed
//! sample twice, per 4 KB document, o200k), which counts instructions and
//! simulated misses the same way every run, where this VM's timings move by
//! 10-30%:
//! - tried and rejected: a 64 KB front table of recent answers before the 4
//!   MB memo (a simulation of the memo's query stream gave it 54% of hits,
//!   64% at 256 KB): instructions +1%, L1 and L2 misses up, `encode_bench`
//!   within noise (12 runs each). The pairs it would serve fast are the
//!   ones whose memo lines stay in L2 anyway.
//! - tried and rejected: the trie placed in id order, which is the order in
//!   which tokens first reach a node (most frequent first), instead of depth
//!   first: `piece_bench` in text order 0.207-0.219 → 0.221-0.236 s, the
//!   non-ASCII pieces 0.067-0.071 → 0.075-0.080 s. The bytes of one
//!   character no longer share a line. Depth first over the nodes of the
//!   first quarter or sixteenth of tokens, then the rest: within noise.
//! - tried and rejected: reusing the memo set and tag computed for the
//!   prefetch in the check (the mix is a few multiplications): zh 576.0M →
//!   574.7M instructions, not worth the bookkeeping.
//!
//! Counted in a build with counters (`piece_bench`, non-token pieces of up to
//! 32 bytes that are not ASCII, per pass of the mixed sample): o200k takes
//! 2.3 slot loads per token it keeps (cl100k 1.0) and a third of them are
//! past the last token the walk finds (the walk failing to go further), 1.14
//! compatibility checks per token, 3% of them memo misses once the memo is
//! warm. Tried and rejected since (timed by alternating plain and changed
//! passes in one binary, see `model.rs`):
//! - a 32-bit filter in every slot of the byte pairs that lead to a
//!   grandchild (all bits when a child is a token), so that a walk stops
//!   without loading a slot it would not match: slots of 16 bytes,
//!   callgrind +5.6% instructions and +5% last-level misses; zh-10M within
//!   noise, mixed slower. The CPU guesses the walk's end and runs on; the
//!   failing load was not on the critical path.
//! - the longest match at every character start of a piece (up to 64 bytes)
//!   walked first, walks that do not depend on each other, then the
//!   backtracking loop on that table: 0.94x mixed, 0.89x zh-10M. A token is
//!   1.5 Han or 3-4 Cyrillic characters, so most of those walks are wasted,
//!   and the CPU already overlaps consecutive walks on its own.
//!
//! Built since: most checks in CJK and other three-byte scripts skip the
//! memo. A boundary between a continuation byte and the lead byte of a
//! three- or four-byte character that no token of the vocabulary crosses
//! keeps every pair apart, and the six bytes around it say whether one
//! does, from 66 KB of bitmaps (`crossing.rs`). It clears 91% of o200k's
//! checks on zh-10M. `examples/encode_bench.rs`, per 4 KB document, MB/s,
//! the previous binary and this one in turns, three runs each: o200k zh-10M
//! 37.8-41.5 → 50.7-62.5, mixed 51.0-55.5 → 47.7-58.6 (noise: the mixed
//! sample's non-ASCII pieces are a small part of its time); cl100k zh-10M
//! 55.0-59.6 → 59.0-76.8, mixed 47.2-56.3 → 58.8-69.1.
//!
//! Not built, after simulating the memo's query stream (3.4M checks, two
//! passes of the o200k encode of the mixed sample, 515k distinct pairs;
//! misses counted in the second pass): a memo kept in one 64-byte line per
//! predecessor (16 entries), so that the line could be fetched as soon as a
//! token is kept, a whole walk before its successor's check (`perf
//! annotate` has the memo's load as a quarter of this function's time).
//! It missed 44.5% of checks (32 entries over two lines: 36.9%), against
//! 4.2% for the memo above: frequent tokens have many successors. Lines by
//! predecessor and the successor's first two bytes (known from the text as
//! soon as the predecessor is kept) missed 6.6% with 16 entries, but their
//! exact tags need 36 bits (8-byte entries: 8 a line, 20.7% missed).
//!
//! Not built, after counting (a throwaway script over tiktoken's o200k
//! encode of the first 6M characters of the mixed sample): a flag per token
//! saying that no token can cross its right boundary (no suffix of it is a
//! proper prefix of a token) or its left one (no prefix of it is a proper
//! suffix of a token), so that a pair with either flag would skip the
//! memo. 0.26% and 0.18% of o200k's tokens have them, and they would have
//! answered 1.3% of the 597k checks (1.9% of the 409k in pieces that end in
//! CJK): nearly every byte a token ends or starts with is inside some
//! longer token.

use rustc_hash::FxHashMap;

use super::cache::{Memo, MEMO_BITS};
use super::crossing::Crossing;

const NONE: u32 = u32::MAX;

#[inline]
fn pack(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// The tables of the backtracking encoder.
#[derive(Debug, Clone)]
pub struct Backtrack {
    /// Longest token matching at the start of a slice.
    trie: PrefixTrie,
    /// Byte length of each token.
    len: Vec<u32>,
    /// The longest token that is a strict prefix of each token, or `NONE`.
    next_prefix: Vec<u32>,
    /// The two tokens each token was merged from (itself twice for bytes).
    split: Vec<(u32, u32)>,
    /// `(left, right)` to the token their canonical merge makes.
    pair: FxHashMap<u64, u32>,
    /// Boundaries no token crosses, answered without the memo.
    crossing: Crossing,
    /// Identifies this table set to the per-thread memo.
    owner: u64,
    /// Bits per id in memo keys (see [`Self::compatible_memo`]); 0 when the
    /// vocabulary is too large for the memo.
    id_bits: u32,
}

impl Backtrack {
    /// Builds the tables for tokens `0..n` given by `bytes(id)`, with `find`
    /// looking a byte string up; `None` when the vocabulary does not qualify.
    pub fn build<'a>(
        n: usize,
        bytes: impl Fn(u32) -> &'a [u8],
        find: impl Fn(&[u8]) -> Option<u32>,
    ) -> Option<Self> {
        let patterns: Vec<&[u8]> = (0..n as u32).map(&bytes).collect();
        if patterns.iter().any(|p| p.is_empty()) {
            return None;
        }
        let mut bt = Backtrack {
            trie: PrefixTrie::new(&patterns),
            len: patterns.iter().map(|p| p.len() as u32).collect(),
            next_prefix: Vec::with_capacity(n),
            split: Vec::with_capacity(n),
            pair: FxHashMap::default(),
            crossing: Crossing::build(patterns.iter().copied()),
            owner: super::cache::new_owner(),
            id_bits: memo_id_bits(n),
        };
        for p in &patterns {
            let np = bt.longest_match(&p[..p.len() - 1]).unwrap_or(NONE);
            bt.next_prefix.push(np);
        }
        for (id, p) in patterns.iter().enumerate() {
            let id = id as u32;
            let mut left = bt.next_prefix[id as usize];
            let mut found = false;
            while left != NONE {
                if let Some(right) = find(&p[bt.len[left as usize] as usize..]) {
                    if left < id && right < id && bt.compatible(left, right) {
                        bt.pair.insert(pack(left, right), id);
                        bt.split.push((left, right));
                        found = true;
                        break;
                    }
                }
                left = bt.next_prefix[left as usize];
            }
            if !found {
                bt.split.push((id, id));
            }
        }
        let mut out = Vec::new();
        // A memo of its own: `build` runs inside an encode that already holds
        // this thread's scratch tables, and a fresh 2 MB memo per token (what
        // `encode` falls back to then) made the first encode take seconds.
        let mut memo = Memo::default();
        for (id, p) in patterns.iter().enumerate() {
            out.clear();
            bt.encode_with(p, &mut out, &mut memo);
            if out.as_slice() != [id as u32] {
                return None;
            }
        }
        Some(bt)
    }

    /// The token whose bytes are exactly `text`, from the trie.
    #[inline]
    pub fn exact(&self, text: &[u8]) -> Option<u32> {
        self.trie.exact(text)
    }

    #[inline]
    fn longest_match(&self, text: &[u8]) -> Option<u32> {
        self.trie.longest(text)
    }

    /// Whether BPE keeps the boundary between `a` and `b`.
    fn compatible(&self, mut a: u32, mut b: u32) -> bool {
        let mut limit = u32::MAX;
        loop {
            if let Some(&merged) = self.pair.get(&pack(a, b)) {
                if merged < limit {
                    return false;
                }
            }
            if a > b {
                limit = a;
                a = self.split[a as usize].1;
                if a == limit {
                    limit = b + 1;
                    b = self.split[b as usize].0;
                    if b + 1 == limit {
                        return true;
                    }
                }
            } else {
                limit = b + 1;
                b = self.split[b as usize].0;
                if b + 1 == limit {
                    limit = a;
                    a = self.split[a as usize].1;
                    if a == limit {
                        return true;
                    }
                }
            }
        }
    }

    /// [`Self::compatible`] through the memo `memo` (see [`MEMO_BITS`]).
    ///
    /// The memo is 4-way set associative: a set is [`WAYS`] 4-byte entries
    /// in one 16-byte block, compared at once. The pair's key (`2 * id_bits`
    /// bits) goes through a bijective mix; its top [`SET_BITS`] bits pick the
    /// set and an entry keeps the rest as a tag, so a hit is exact. An empty
    /// entry (`u32::MAX`) never matches: a tag has at most 30 bits. A new
    /// answer goes first in its set and the others move down (the oldest
    /// leaves).
    #[inline]
    fn compatible_memo(&self, a: u32, b: u32, memo: &mut [u32]) -> bool {
        if self.id_bits == 0 {
            return self.compatible(a, b);
        }
        memo_get_or(memo, self.id_bits, a, b, || self.compatible(a, b))
    }

    /// Appends the BPE encoding of `text` to `out`.
    pub fn encode(&self, text: &[u8], out: &mut Vec<u32>) {
        super::cache::with_scratch(|s| self.encode_with(text, out, &mut s.memo));
    }

    /// [`Self::encode`] with the caller's memo.
    #[inline]
    pub(crate) fn encode_with(&self, text: &[u8], out: &mut Vec<u32>, memo: &mut Memo) {
        self.encode_memo(text, out, memo.slots_for(self.owner));
    }

    fn encode_memo(&self, text: &[u8], out: &mut Vec<u32>, memo: &mut [u32]) {
        let base = out.len();
        let words = text.len() / 64 + 1;
        let mut stack = [u64::MAX; 16];
        let mut heap = Vec::new();
        let alive: &mut [u64] = if words <= stack.len() {
            &mut stack[..words]
        } else {
            heap.resize(words, u64::MAX);
            &mut heap
        };
        let mut pos = 0usize;
        // Whether no token crosses the boundary at `pos`: then any pair
        // meeting there is compatible (`crossing.rs`), without the memo.
        let mut clear = false;
        // The next candidate and its length (from the trie walk, which knows
        // it, sparing a load of `len`).
        let mut next = self.trie.longest_len(text, |_| {});
        while let Some((mut token, mut tlen)) = next {
            let last = (out.len() > base).then(|| out[out.len() - 1]);
            loop {
                let end = pos + tlen as usize;
                let ok = alive[end / 64] & (1 << (end % 64)) != 0
                    && (clear || last.is_none_or(|l| self.compatible_memo(l, token, memo)));
                if ok {
                    out.push(token);
                    pos = end;
                    clear = self.crossing.clear(text, end);
                    // Each candidate's memo slot is fetched as the walk
                    // finds it, overlapping that miss with the walk's.
                    next = self.trie.longest_len(&text[end..], |t| {
                        if self.id_bits != 0 && !clear {
                            prefetch(
                                memo.as_ptr()
                                    .wrapping_add(memo_set(self.id_bits, token, t).0 * WAYS),
                            );
                        }
                    });
                    break;
                }
                let shorter = self.next_prefix[token as usize];
                if shorter != NONE {
                    token = shorter;
                    tlen = self.len[token as usize];
                    continue;
                }
                alive[pos / 64] &= !(1 << (pos % 64));
                let Some(l) = last else {
                    // Unreachable for a vocabulary that passed `build`'s check.
                    next = None;
                    break;
                };
                out.pop();
                let llen = self.len[l as usize];
                pos -= llen as usize;
                clear = self.crossing.clear(text, pos);
                next = Some((l, llen));
                break;
            }
        }
    }
}

impl super::ranked::Walk for Backtrack {
    #[inline(always)]
    fn byte_state(&self, x: u8) -> u32 {
        self.trie.child(0, x).unwrap_or(NONE)
    }

    #[inline(always)]
    fn extend(&self, mut s: u32, bytes: &[u8]) -> u32 {
        for &x in bytes {
            if s == NONE {
                break;
            }
            s = self.trie.child(s, x).unwrap_or(NONE);
        }
        s
    }

    #[inline(always)]
    fn token(&self, s: u32) -> u32 {
        if s == NONE {
            NONE
        } else {
            self.trie.slots[s as usize].token
        }
    }
}

/// Asks for the cache line at `p` ahead of its use (a hint; no effect on
/// other targets).
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p.cast::<i8>(), std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Entries per set of the memo.
const WAYS: usize = 4;
/// Sets (log2) of the memo: [`MEMO_BITS`] entries in all.
const SET_BITS: u32 = MEMO_BITS - WAYS.trailing_zeros();

/// The memo set of the pair `(a, b)` (ids of `id_bits` bits, see
/// [`memo_id_bits`]) and the tag it is kept under. The key goes through a
/// bijection of its `2 * id_bits` bits (multiplications by odd constants
/// and a shift-xor), so set and tag together identify the pair.
#[inline(always)]
fn memo_set(id_bits: u32, a: u32, b: u32) -> (usize, u32) {
    let bits = 2 * id_bits;
    let mask = (1u64 << bits) - 1;
    let mut x =
        ((u64::from(a) << id_bits) | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15) & mask;
    x ^= x >> id_bits;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) & mask;
    let i = (x >> (bits - SET_BITS)) as usize;
    (i, (x & ((1 << (bits - SET_BITS)) - 1)) as u32)
}

/// The memo's answer for the pair `(a, b)`, or `compute`'s, then kept.
#[inline(always)]
fn memo_get_or(
    memo: &mut [u32],
    id_bits: u32,
    a: u32,
    b: u32,
    compute: impl FnOnce() -> bool,
) -> bool {
    let (set, tag) = memo_set(id_bits, a, b);
    let ways: &mut [u32; WAYS] = (&mut memo[set * WAYS..set * WAYS + WAYS])
        .try_into()
        .expect("a set is WAYS entries");
    let want = (tag << 1) | 1;
    if let Some(w) = find_way(ways, want) {
        return ways[w] & 1 == 1;
    }
    let r = compute();
    ways.copy_within(0..WAYS - 1, 1);
    ways[0] = (tag << 1) | u32::from(r);
    r
}

/// The way of `ways` whose entry, with its answer bit set, is `want`.
#[inline(always)]
fn find_way(ways: &[u32; WAYS], want: u32) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_castsi128_ps, _mm_cmpeq_epi32, _mm_loadu_si128, _mm_movemask_ps,
            _mm_or_si128, _mm_set1_epi32,
        };
        // SAFETY: SSE2 is part of x86-64; the load reads the 16 bytes of
        // `ways` (unaligned load allowed).
        let mask = unsafe {
            let v = _mm_loadu_si128(ways.as_ptr().cast::<__m128i>());
            let eq = _mm_cmpeq_epi32(
                _mm_or_si128(v, _mm_set1_epi32(1)),
                _mm_set1_epi32(want as i32),
            );
            _mm_movemask_ps(_mm_castsi128_ps(eq))
        };
        (mask != 0).then(|| mask.trailing_zeros() as usize)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        ways.iter().position(|&e| e | 1 == want)
    }
}

/// Bits per id in the memo's keys for a vocabulary of `n` tokens: enough for
/// every id and for a [`SET_BITS`]-bit set index, or 0 (no memo) when a tag
/// would exceed 30 bits.
fn memo_id_bits(n: usize) -> u32 {
    let w = (usize::BITS - n.saturating_sub(1).leading_zeros()).max(SET_BITS.div_ceil(2));
    if 2 * w - SET_BITS <= 30 {
        w
    } else {
        0
    }
}

/// One double-array slot: the base of its children, the slot of its parent
/// (`check`) and the token ending here (or `NONE`). One 12-byte load per step.
#[derive(Debug, Clone, Copy)]
struct Slot {
    base: u32,
    check: u32,
    token: u32,
}

const FREE: Slot = Slot {
    base: 0,
    check: NONE,
    token: NONE,
};

/// A byte trie over the tokens answering "longest token that is a prefix",
/// stored as a double array (Aoe, 1989): the child of slot `s` by byte `b` is
/// slot `base[s] + b` when that slot's `check` is `s`. A step is one load,
/// where a pointer trie with separate child lists costs two dependent cache
/// misses. The first two levels are also kept as direct tables.
#[derive(Debug, Clone)]
struct PrefixTrie {
    /// Slot reached by each two-byte prefix (`first << 8 | second`), or `NONE`.
    root2: Vec<u32>,
    /// Token of each one-byte prefix, or `NONE`.
    root1: [u32; 256],
    slots: Vec<Slot>,
}

impl PrefixTrie {
    fn new(patterns: &[&[u8]]) -> Self {
        // A pointer trie first: node 0 is the root.
        let mut edges: FxHashMap<u64, u32> = FxHashMap::default();
        let mut token = vec![NONE];
        for (id, p) in patterns.iter().enumerate() {
            let mut node = 0u32;
            for &b in p.iter() {
                let key = (u64::from(node) << 8) | u64::from(b);
                node = *edges.entry(key).or_insert_with(|| {
                    token.push(NONE);
                    (token.len() - 1) as u32
                });
            }
            token[node as usize] = id as u32;
        }
        let mut list: Vec<(u32, u8, u32)> = edges
            .into_iter()
            .map(|(k, c)| ((k >> 8) as u32, k as u8, c))
            .collect();
        list.sort_unstable();
        let mut first = vec![0u32; token.len() + 1];
        for &(parent, _, _) in &list {
            first[parent as usize + 1] += 1;
        }
        for i in 1..first.len() {
            first[i] += first[i - 1];
        }
        // Then place it, depth first, each node's children at the first base
        // past the node's own slot where all their slots are free: a chain of
        // single children (the bytes of one multi-byte character, the tail of
        // a long token) then lies in one or two cache lines.
        let mut slots = vec![FREE; 256 + 1];
        slots[0].check = 0;
        let mut at = vec![NONE; token.len()];
        at[0] = 0;
        slots[0].token = token[0];
        let mut stack = vec![0u32];
        let mut first_free = 1usize;
        while let Some(n) = stack.pop() {
            let kids = &list[first[n as usize] as usize..first[n as usize + 1] as usize];
            let s = at[n as usize] as usize;
            if kids.is_empty() {
                continue;
            }
            while slots[first_free].check != NONE {
                first_free += 1;
            }
            let c0 = kids[0].1 as usize;
            let mut f = first_free.max(s + 1).max(c0 + 1);
            let base = loop {
                if f >= slots.len() {
                    slots.resize(slots.len() * 2, FREE);
                }
                if slots[f].check == NONE {
                    let b = f - c0;
                    let fits = kids.iter().all(|k| {
                        let t = b + k.1 as usize;
                        t >= slots.len() || slots[t].check == NONE
                    });
                    if fits {
                        break b;
                    }
                }
                f += 1;
            };
            if base + 256 >= slots.len() {
                slots.resize((base + 257).max(slots.len() * 2), FREE);
            }
            slots[s].base = base as u32;
            for &(_, b, c) in kids {
                let t = base + b as usize;
                slots[t] = Slot {
                    base: 0,
                    check: s as u32,
                    token: token[c as usize],
                };
                at[c as usize] = t as u32;
            }
            stack.extend(kids.iter().rev().map(|k| k.2));
        }
        let end = slots.iter().rposition(|x| x.check != NONE).unwrap_or(0);
        slots.truncate(end + 257);
        slots.shrink_to_fit();
        let mut t = PrefixTrie {
            root2: vec![NONE; 1 << 16],
            root1: [NONE; 256],
            slots,
        };
        for b0 in 0..=255u8 {
            let Some(s1) = t.child(0, b0) else { continue };
            t.root1[b0 as usize] = t.slots[s1 as usize].token;
            for b1 in 0..=255u8 {
                if let Some(s2) = t.child(s1, b1) {
                    t.root2[(b0 as usize) << 8 | b1 as usize] = s2;
                }
            }
        }
        t
    }

    #[inline(always)]
    fn child(&self, s: u32, b: u8) -> Option<u32> {
        let t = self.slots[s as usize].base as usize + b as usize;
        (self.slots[t].check == s).then_some(t as u32)
    }

    /// The longest token that is a prefix of `text`.
    #[inline]
    fn longest(&self, text: &[u8]) -> Option<u32> {
        self.longest_len(text, |_| {}).map(|(t, _)| t)
    }

    /// The token whose bytes are exactly `text`.
    #[inline]
    fn exact(&self, text: &[u8]) -> Option<u32> {
        let (mut s, rest) = match text {
            [] => return None,
            [b] => {
                let t = self.root1[*b as usize];
                return (t != NONE).then_some(t);
            }
            [b0, b1, rest @ ..] => {
                let s2 = self.root2[(*b0 as usize) << 8 | *b1 as usize];
                if s2 == NONE {
                    return None;
                }
                (s2, rest)
            }
        };
        let mut slot = self.slots[s as usize];
        for &b in rest {
            if slot.base == 0 {
                return None;
            }
            let t = slot.base as usize + b as usize;
            slot = self.slots[t];
            if slot.check != s {
                return None;
            }
            s = t as u32;
        }
        (slot.token != NONE).then_some(slot.token)
    }

    /// The longest token that is a prefix of `text`, and its length;
    /// `found` sees each token that is a prefix, shortest first, as the
    /// walk meets it.
    #[inline]
    fn longest_len(&self, text: &[u8], mut found: impl FnMut(u32)) -> Option<(u32, u32)> {
        let (mut s, mut best, mut best_len, rest) = match text {
            [] => return None,
            [b] => {
                let t = self.root1[*b as usize];
                return (t != NONE).then_some((t, 1));
            }
            [b0, b1, rest @ ..] => {
                let best = self.root1[*b0 as usize];
                let s2 = self.root2[(*b0 as usize) << 8 | *b1 as usize];
                if s2 == NONE {
                    return (best != NONE).then_some((best, 1));
                }
                let tok = self.slots[s2 as usize].token;
                if tok != NONE {
                    found(tok);
                    (s2, tok, 2, rest)
                } else {
                    (s2, best, 1, rest)
                }
            }
        };
        let mut base = self.slots[s as usize].base;
        for (i, &b) in rest.iter().enumerate() {
            // A leaf (base 0) ends the walk without loading a slot that
            // cannot match. `slots` ends with 256 free slots past the
            // largest base in use.
            if base == 0 {
                break;
            }
            let t = base as usize + b as usize;
            let slot = self.slots[t];
            if slot.check != s {
                break;
            }
            s = t as u32;
            base = slot.base;
            if slot.token != NONE {
                best = slot.token;
                best_len = i as u32 + 3;
                found(best);
            }
        }
        (best != NONE).then_some((best, best_len))
    }
}

#[cfg(test)]
#[path = "backtrack_tests.rs"]
mod tests;
