//! BPE-dropout (Provilkov et al., 2020): merges skipped at random while
//! encoding, as subword regularization.
//!
//! Two flavours, as the reference libraries do it:
//! - HF `tokenizers` (`merge_hf`): pairs are popped from a heap in rank
//!   order; a popped pair is set aside with probability `p`, and the set-aside
//!   pairs go back into the heap as soon as some merge is applied. With
//!   dropout the whole-piece shortcut (`ignore_merges`) and the cache are not
//!   used, as in HF.
//! - SentencePiece (in [`super::spm_bpe`]): a popped pair is dropped for good
//!   with probability `alpha` (it comes back only if a neighbour's merge
//!   creates it anew); `alpha >= 1` applies no merges.
//!
//! Random numbers come from a seeded SplitMix64, so a seed gives the same
//! segmentation on every run; the distribution, not the exact draws, is what
//! matches the reference libraries (tested in `tests/test_dropout.py`).

use super::BpeModel;
pub(crate) use crate::unigram::lattice::SplitMix64 as Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A fresh seed, for callers that give none.
pub fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

/// Whether a draw in [0, 1) falls below `p`.
#[inline]
pub(crate) fn drop(rng: &mut Rng, p: f32) -> bool {
    (rng.next_f64() as f32) < p
}

/// Applies `model`'s merges to the symbols `out[start..]` with dropout `p`,
/// as HF's `Word::merge_all`.
pub(crate) fn merge_hf(model: &BpeModel, out: &mut Vec<u32>, start: usize, p: f32, rng: &mut Rng) {
    const NONE: usize = usize::MAX;
    let mut sym: Vec<u32> = out[start..].to_vec();
    let n = sym.len();
    if n < 2 {
        return;
    }
    let mut next: Vec<usize> = (1..=n).collect();
    next[n - 1] = NONE;
    let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
    prev[0] = NONE;
    let mut alive = vec![true; n];
    // Entries are (rank, position, result id), smallest rank then leftmost first.
    let mut heap: BinaryHeap<Reverse<(u32, usize, u32)>> = BinaryHeap::new();
    for i in 0..n - 1 {
        if let Some((r, id)) = model.merge_rank(sym[i], sym[i + 1]) {
            heap.push(Reverse((r, i, id)));
        }
    }
    let mut skip = Vec::new();
    while let Some(Reverse(top)) = heap.pop() {
        if drop(rng, p) {
            skip.push(Reverse(top));
            continue;
        }
        heap.extend(skip.drain(..));
        let (_, pos, new) = top;
        if !alive[pos] || next[pos] == NONE {
            continue;
        }
        let q = next[pos];
        if model.merge_rank(sym[pos], sym[q]).map(|m| m.1) != Some(new) {
            continue;
        }
        sym[pos] = new;
        alive[q] = false;
        next[pos] = next[q];
        if next[q] != NONE {
            prev[next[q]] = pos;
        }
        if prev[pos] != NONE {
            let a = prev[pos];
            if let Some((r, id)) = model.merge_rank(sym[a], new) {
                heap.push(Reverse((r, a, id)));
            }
        }
        if next[pos] != NONE {
            if let Some((r, id)) = model.merge_rank(new, sym[next[pos]]) {
                heap.push(Reverse((r, pos, id)));
            }
        }
    }
    out.truncate(start);
    let mut i = 0;
    while i != NONE {
        out.push(sym[i]);
        i = next[i];
    }
}
