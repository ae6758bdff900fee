//! tiktoken's merge loop for short pieces of rank-ordered vocabularies.
//!
//! In a tiktoken vocabulary a token's id is its rank, and the priority of
//! merging two adjacent parts is the rank of their concatenated bytes. Every
//! part is a token, so it has a state in the vocabulary's trie, and the rank
//! of two parts' concatenation is a walk from the left part's state over the
//! right part's bytes ([`Walk`]), instead of a lookup of the id pair in the
//! merge table (every split of every token: tens of MB for o200k). The first
//! round, over byte pairs, reads a direct 65,536-entry table.
//!
//! Performance notes (`examples/piece_bench.rs`, 20 MB mixed sample, seconds
//! per pass over the pieces of each class, 3 runs interleaved with the
//! previous binary): used for pure-ASCII pieces of 2-15 bytes that are not
//! tokens (on a miss of the piece cache) instead of the backtracking encoder,
//! short ASCII pieces took 0.070-0.085 → 0.055-0.061 s with o200k and
//! 0.062-0.070 → 0.057-0.063 s with cl100k; all pieces 0.234-0.267 →
//! 0.211-0.230 s and 0.189-0.201 → 0.179-0.190 s. Also used for ASCII-led
//! pieces with non-ASCII bytes (" привет"), it made those slower (o200k
//! 0.086 → 0.093 s, cl100k 0.065 → 0.075 s): multi-byte characters need
//! many merges, where backtracking wins.
//!
//! Each part keeps its state in the vocabulary's trie ([`Walk`]), so the rank
//! of merging two parts is a walk over the right part's bytes from the left
//! part's state (usually one step, to a byte no token continues with), where
//! it was a walk over both parts' bytes from the root (`Backtrack::exact`);
//! the parts move down in fixed-size loops instead of `copy_within` (a call
//! to `memmove`, 2% of an encode in `perf`). Same measure, o200k, three runs
//! each interleaved with the previous binary: short ASCII pieces 0.057-0.062
//! → 0.048-0.057 s (172-179 → 144-161 ns per piece), all pieces in text order
//! 0.212-0.233 → 0.201-0.227 s.
//!
//! Tried and rejected: finding the lowest rank without a branch per pair
//! (rank and index packed into one key, folded with `min`): callgrind, 6 MB
//! of mixed text twice, o200k, 777M → 819M instructions for the whole encode
//! and no fewer simulated mispredictions.
//! Tried and rejected since (timed by alternating plain and changed passes in
//! one binary, see `model.rs`):
//! - parts kept where they start (a bitmask of starts, no moves) and the
//!   lowest of sixteen keys `rank << 4 | part` found with SSE2 (compares and
//!   blends, no branch): callgrind 774M → 759M instructions for the whole
//!   encode, but 0.97x the time: the branchy scan lets the CPU run ahead on
//!   its guess, the vector minimum is a chain of dependent steps.
//! - every token that starts at each byte found first (one trie walk per
//!   start, walks that do not depend on each other), then the merge loop on
//!   that table without memory accesses: 1.02-1.03x in one session's runs,
//!   0.99-1.00x in a later one (noise); used for every piece of up to 15
//!   bytes that misses the piece cache, not only ASCII ones, 1.09x then
//!   1.00x; also instead of backtracking non-ASCII-led pieces of up to 15
//!   bytes, 0.94x mixed and 0.95x zh-10M.

/// Rank of every byte pair (`first << 8 | second`) that is a token, else `u32::MAX`.
pub fn pair_ranks(rank: impl Fn(&[u8]) -> Option<u32>) -> Box<[u32]> {
    (0..=u16::MAX)
        .map(|p| rank(&p.to_be_bytes()).unwrap_or(u32::MAX))
        .collect()
}

/// The vocabulary's prefix trie as [`merge_short`] walks it: a state per
/// prefix of a token, `NONE` for none.
pub trait Walk {
    /// The state of the one-byte prefix `x`.
    fn byte_state(&self, x: u8) -> u32;
    /// The state reached from `s` through `bytes` (`NONE` from `NONE`).
    fn extend(&self, s: u32, bytes: &[u8]) -> u32;
    /// The token whose bytes lead to `s`, or `NONE` (also for `NONE`).
    fn token(&self, s: u32) -> u32;
}

/// Appends the BPE encoding of `b` (2 to 15 bytes) to `out`, merging the
/// lowest-ranked adjacent pair first and the leftmost among equals, as
/// tiktoken's `byte_pair_merge`. `pairs` is [`pair_ranks`]; `trie` walks the
/// vocabulary; `byte_id` gives the id of one byte.
///
/// Every part is a token, so each keeps its trie state: the rank of merging
/// two parts is a walk over the right part's bytes from the left part's
/// state, not over both parts from the root, and it usually stops at the
/// first byte.
#[inline]
pub fn merge_short(
    b: &[u8],
    pairs: &[u32],
    trie: &impl Walk,
    byte_id: impl Fn(u8) -> u32,
    out: &mut Vec<u32>,
) {
    const NONE: u32 = u32::MAX;
    let n = b.len();
    debug_assert!((2..=15).contains(&n));
    // Part i is b[start[i]..start[i + 1]], with id `ids[i]` and trie state
    // `state[i]`; `ranks[i]` is the rank of merging parts i and i + 1, and
    // `merged[i]` the state of the merged bytes when known (`NONE` for the
    // first round's byte pairs, whose ranks come from `pairs`).
    let mut start = [0u8; 17];
    let mut ids = [0u32; 16];
    let mut state = [NONE; 16];
    let mut ranks = [NONE; 16];
    let mut merged = [NONE; 16];
    for i in 0..n {
        start[i] = i as u8;
        ids[i] = byte_id(b[i]);
        state[i] = trie.byte_state(b[i]);
    }
    start[n] = n as u8;
    for i in 0..n - 1 {
        ranks[i] = pairs[(usize::from(b[i]) << 8) | usize::from(b[i + 1])];
    }
    let mut m = n;
    let part = |start: &[u8; 17], i: usize| &b[usize::from(start[i])..usize::from(start[i + 1])];
    while m > 1 {
        let mut best = NONE;
        let mut at = 0;
        for (i, &r) in ranks[..m - 1].iter().enumerate() {
            if r < best {
                best = r;
                at = i;
            }
        }
        if best == NONE {
            break;
        }
        ids[at] = best;
        state[at] = if merged[at] == NONE {
            trie.extend(state[at], part(&start, at + 1))
        } else {
            merged[at]
        };
        // Parts at + 2.. move down one (fixed-size loops, no `memmove`).
        for i in at + 1..m - 1 {
            ids[i] = ids[i + 1];
            state[i] = state[i + 1];
            start[i] = start[i + 1];
        }
        start[m - 1] = start[m];
        for i in at..m - 2 {
            ranks[i] = ranks[i + 1];
            merged[i] = merged[i + 1];
        }
        m -= 1;
        if at > 0 {
            let s = trie.extend(state[at - 1], part(&start, at));
            merged[at - 1] = s;
            ranks[at - 1] = trie.token(s);
        }
        if at + 1 < m {
            let s = trie.extend(state[at], part(&start, at + 1));
            merged[at] = s;
            ranks[at] = trie.token(s);
        }
    }
    out.extend_from_slice(&ids[..m]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashMap;

    /// tiktoken's `byte_pair_merge`, written plainly with byte-string parts.
    fn reference(b: &[u8], ranks: &FxHashMap<Vec<u8>, u32>) -> Vec<u32> {
        let mut parts: Vec<Vec<u8>> = b.iter().map(|&x| vec![x]).collect();
        loop {
            let best = (0..parts.len().saturating_sub(1))
                .filter_map(|i| {
                    ranks
                        .get(&[&parts[i][..], &parts[i + 1][..]].concat())
                        .map(|&r| (r, i))
                })
                .min();
            let Some((_, i)) = best else { break };
            let right = parts.remove(i + 1);
            parts[i].extend(right);
        }
        parts.iter().map(|p| ranks[p]).collect()
    }

    /// Every prefix of every token, numbered: a plain [`Walk`].
    struct Prefixes {
        state: FxHashMap<Vec<u8>, u32>,
        prefix: Vec<Vec<u8>>,
        ranks: FxHashMap<Vec<u8>, u32>,
    }

    impl Prefixes {
        fn new(ranks: &FxHashMap<Vec<u8>, u32>) -> Self {
            let mut p = Prefixes {
                state: FxHashMap::default(),
                prefix: Vec::new(),
                ranks: ranks.clone(),
            };
            for t in ranks.keys() {
                for k in 1..=t.len() {
                    if !p.state.contains_key(&t[..k]) {
                        p.state.insert(t[..k].to_vec(), p.prefix.len() as u32);
                        p.prefix.push(t[..k].to_vec());
                    }
                }
            }
            p
        }
    }

    impl Walk for Prefixes {
        fn byte_state(&self, x: u8) -> u32 {
            self.state.get(&[x][..]).copied().unwrap_or(u32::MAX)
        }
        fn extend(&self, s: u32, bytes: &[u8]) -> u32 {
            if s == u32::MAX {
                return s;
            }
            let b = [&self.prefix[s as usize][..], bytes].concat();
            self.state.get(&b).copied().unwrap_or(u32::MAX)
        }
        fn token(&self, s: u32) -> u32 {
            if s == u32::MAX {
                return s;
            }
            self.ranks
                .get(&self.prefix[s as usize])
                .copied()
                .unwrap_or(u32::MAX)
        }
    }

    /// `merge_short` equals the plain algorithm on random vocabularies over a
    /// small alphabet (so that merges compete), for every piece length 2-15.
    #[test]
    fn merge_short_matches_tiktoken_reference() {
        let mut next = super::super::test_rng(0x9e37_79b9_7f4a_7c15u64);
        let alphabet = b"ab c\xc3";
        for _ in 0..20 {
            let mut ranks: FxHashMap<Vec<u8>, u32> =
                (0..=255u8).map(|b| (vec![b], u32::from(b))).collect();
            for _ in 0..200 {
                let len = 2 + (next() % 5) as usize;
                let t: Vec<u8> = (0..len).map(|_| alphabet[(next() % 5) as usize]).collect();
                let r = ranks.len() as u32;
                ranks.entry(t).or_insert(r);
            }
            let rank = |s: &[u8]| ranks.get(s).copied();
            let pairs = pair_ranks(rank);
            let trie = Prefixes::new(&ranks);
            for _ in 0..300 {
                let len = 2 + (next() % 14) as usize;
                let piece: Vec<u8> = (0..len).map(|_| alphabet[(next() % 5) as usize]).collect();
                let mut out = Vec::new();
                merge_short(&piece, &pairs, &trie, u32::from, &mut out);
                assert_eq!(out, reference(&piece, &ranks), "piece {piece:?}");
            }
        }
    }
}
