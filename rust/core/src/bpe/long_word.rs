//! Long words (e.g. whole lines of unsegmented Chinese with `pattern=None`)
//! for the trainer: a merge visits only the positions of the merged pair.
//!
//! The arena merge rescans a whole word for every merge that touches it, which
//! is quadratic on a 100 KB line. A long word instead keeps its symbols in a
//! linked list and an index from each adjacent pair to the positions where it
//! was formed (stale entries are skipped when used). Positions of the merged
//! pair are visited in ascending order, which is exactly HF's left-to-right
//! scan: the same occurrences are merged (overlaps resolved leftmost first)
//! and the same changes are reported. Every newly formed adjacency is indexed,
//! even when `max_token_length` keeps its count from being raised, because the
//! pair is physically there and a later merge of it must find it.
//!
//! Performance notes: on 112 lines of 100 KB (zh-10M joined), vocab 32000,
//! training took 20.7 s / 318 MB with the arena merge, 8.6 s / 1017 MB with a
//! `Vec` of positions per (word, pair), and 6.2 s / 890 MB with the node pool
//! used now (HF: 148 s / 747 MB). Below 1024 symbols the arena rescan is
//! cheaper: a 256-symbol threshold made zh-10M (lines of ~270 bytes) 9.0 s
//! instead of 4.2 s. What remains of the memory is the per-word maps; a global
//! pair index over all long words would need fewer keys.

use super::trainer::{pair, MergeOp, Pair};
use rustc_hash::FxHashMap;

const NONE: u32 = u32::MAX;

/// A word of at least [`LONG_WORD`] symbols.
pub(super) struct LongWord {
    sym: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    alive: Vec<bool>,
    /// Head of the list of left positions where each pair was formed
    /// (possibly stale), in `nodes`.
    index: FxHashMap<Pair, u32>,
    /// Position-list nodes: `(position, next node or NONE)`.
    nodes: Vec<(u32, u32)>,
}

/// Words with at least this many symbols are kept as [`LongWord`]s.
pub(super) const LONG_WORD: usize = if cfg!(test) { 8 } else { 1024 };

impl LongWord {
    pub(super) fn new(syms: &[u32]) -> Self {
        let n = syms.len();
        let mut w = LongWord {
            sym: syms.to_vec(),
            next: (1..=n as u32)
                .map(|i| if i as usize == n { NONE } else { i })
                .collect(),
            prev: (0..n as u32)
                .map(|i| if i == 0 { NONE } else { i - 1 })
                .collect(),
            alive: vec![true; n],
            index: FxHashMap::default(),
            nodes: Vec::with_capacity(n),
        };
        for (i, s) in syms.windows(2).enumerate() {
            w.note(pair(s[0], s[1]), i as u32);
        }
        w
    }

    /// Records that `p` was formed at position `pos`.
    fn note(&mut self, p: Pair, pos: u32) {
        let node = self.nodes.len() as u32;
        let head = self.index.entry(p).or_insert(NONE);
        self.nodes.push((pos, *head));
        *head = node;
    }

    /// Removes and returns the positions recorded for `p`.
    fn take(&mut self, p: Pair) -> Option<Vec<u32>> {
        let mut node = self.index.remove(&p)?;
        let mut out = Vec::new();
        while node != NONE {
            let (pos, next) = self.nodes[node as usize];
            out.push(pos);
            node = next;
        }
        Some(out)
    }

    /// Merges `op` in this word, pushing the changes HF's `Word::merge` reports.
    pub(super) fn merge(&mut self, op: &MergeOp<'_>, changes: &mut Vec<(Pair, i32)>) {
        let MergeOp {
            a,
            b,
            new,
            lens,
            max_len,
        } = *op;
        let Some(mut positions) = self.take(pair(a, b)) else {
            return;
        };
        positions.sort_unstable();
        positions.dedup();
        let new_len = u64::from(lens[a as usize]) + u64::from(lens[b as usize]);
        for p in positions {
            let p = p as usize;
            if !self.alive[p] || self.sym[p] != a {
                continue;
            }
            let q = self.next[p];
            if q == NONE || self.sym[q as usize] != b {
                continue;
            }
            let q = q as usize;
            let before = self.prev[p];
            if before != NONE {
                let prev_sym = self.sym[before as usize];
                changes.push((pair(prev_sym, a), -1));
                if u64::from(lens[prev_sym as usize]) + new_len < max_len {
                    changes.push((pair(prev_sym, new), 1));
                }
                self.note(pair(prev_sym, new), before);
            }
            let after = self.next[q];
            if after != NONE {
                let next_sym = self.sym[after as usize];
                changes.push((pair(b, next_sym), -1));
                if u64::from(lens[next_sym as usize]) + new_len < max_len {
                    changes.push((pair(new, next_sym), 1));
                }
                self.note(pair(new, next_sym), p as u32);
                self.prev[after as usize] = p as u32;
            }
            self.sym[p] = new;
            self.alive[q] = false;
            self.next[p] = after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpe::trainer::merge_word;

    fn symbols(w: &LongWord) -> Vec<u32> {
        let mut out = Vec::new();
        let mut i = 0u32;
        while i != NONE {
            out.push(w.sym[i as usize]);
            i = w.next[i as usize];
        }
        out
    }

    /// Random words and merge sequences: the same changes and symbols as the arena merge.
    #[test]
    fn long_word_merge_equals_scanning_merge() {
        let mut seed = 0xDEADBEEFu64;
        let mut rnd = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        let mut lens: Vec<u32> = vec![1; 4];
        for round in 0..300 {
            let n = 2 + rnd(60) as usize;
            let mut flat: Vec<u32> = (0..n).map(|_| rnd(4) as u32).collect();
            let mut lw = LongWord::new(&flat);
            let max_len = if round % 3 == 0 { 4 } else { u64::MAX };
            for _ in 0..20 {
                if flat.len() < 2 {
                    break;
                }
                let i = rnd(flat.len() as u64 - 1) as usize;
                let (a, b) = (flat[i], flat[i + 1]);
                let new = lens.len() as u32;
                lens.push(lens[a as usize] + lens[b as usize]);
                let op = MergeOp {
                    a,
                    b,
                    new,
                    lens: &lens,
                    max_len,
                };
                let (mut c1, mut c2) = (Vec::new(), Vec::new());
                let k = merge_word(&mut flat, &op, &mut c1);
                flat.truncate(k);
                lw.merge(&op, &mut c2);
                assert_eq!(c2, c1, "changes, round {round}");
                assert_eq!(symbols(&lw), flat, "symbols, round {round}");
            }
        }
    }
}
