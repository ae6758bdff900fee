//! Heap-based incremental BPE training, merge-for-merge identical to HF
//! `tokenizers` 0.23 `BpeTrainer`.
//!
//! # Algorithm
//! 1. The vocabulary starts with the special tokens, then (for `bpe`) the 256
//!    `<0xNN>` byte-fallback tokens if asked, then the alphabet sorted by code
//!    point (for `bbpe`: the 256 byte characters of the GPT-2 mapping).
//! 2. Every distinct pre-token becomes a word: a run of `u32` symbol ids in one
//!    flat arena (`syms`, with per-word `start`/`len`), with its `u64` count.
//!    Characters outside the (limited) alphabet are dropped from the word, as
//!    HF does.
//! 3. Pair counts are summed over words (each adjacent pair, overlaps
//!    included), and each pair records the words it occurs in.
//! 4. A max-heap holds `(count, pair, words)` entries, best count first, then
//!    the smaller `(left, right)` id pair. An entry whose count is stale is
//!    re-pushed with the current count (lazy invalidation). The best valid
//!    pair is merged in the words of its entry only; each word reports the
//!    pairs it lost and gained, which update the counts and create new entries
//!    for the gained pairs.
//!
//! HF quirks kept on purpose, since exactness is the point: the merged pair's
//! own count is not reset (it can be merged again, by a later entry, into the
//! same token: a duplicate merge that does not grow the vocabulary); a merge
//! whose string already exists reuses that id; counts are compared as HF's
//! `i32 as u64` (a negative count, possible with `max_token_length`, sorts
//! first).
//!
//! Performance notes: words live in one `Vec<u32>` arena instead of a `Vec`
//! per word (one allocation, and ~3x less memory than HF's `Vec<Symbol>` with
//! prev/next/len per symbol); a heap entry keeps its word list as a `Vec<u32>`
//! instead of HF's `AHashSet<usize>` (8x smaller; duplicates are avoided by
//! construction since a word's changes are applied contiguously). A merge that
//! touches at least 20,000 words merges them on all cores (disjoint arena
//! slices via `split_at_mut`, no `unsafe`) and then applies the changes in word
//! order, which is exactly the sequential result (unit-tested). On mixed-100M
//! (vocab 32000, 2 cores) this measured 11.4 s against 13.0 s sequential in
//! back-to-back runs on a noisy machine; the sequential pair-count and index
//! updates, not the word merges, are now the bulk of the merge loop.

use super::long_word::{LongWord, LONG_WORD};
use super::model::{BpeKind, BpeModel};
use crate::byte_level;
use crate::counts::{Progress, WordCounts};
use crate::error::{Error, Result};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Settings for [`train`].
#[derive(Debug, Clone)]
pub struct TrainerConfig {
    /// Byte-level or character-level.
    pub byte_level: bool,
    /// Target vocabulary size, special tokens included.
    pub vocab_size: usize,
    /// Pairs seen fewer times than this are not merged.
    pub min_frequency: u64,
    /// Special tokens, given the first ids in order.
    pub special_tokens: Vec<String>,
    /// Keep at most this many alphabet characters (character-level only).
    pub limit_alphabet: Option<usize>,
    /// Characters always in the alphabet (character-level only).
    pub initial_alphabet: Vec<char>,
    /// Never create a token longer than this many characters (bytes for bbpe).
    pub max_token_length: Option<usize>,
    /// Unknown token (character-level only); added to the special tokens.
    pub unk_token: Option<String>,
    /// Add `<0x00>`..`<0xFF>` tokens and fall back to them (character-level only).
    pub byte_fallback: bool,
    /// Prefix marking characters that continue a word (`##` for HF's
    /// WordPiece trainer); a merge drops it from its right part.
    pub continuing_subword_prefix: Option<String>,
}

pub(crate) type Pair = u64;

/// A pair-count change in one word: `(pair, delta, word index)`.
type WordChange = (Pair, i32, u32);
/// The new lengths of a chunk's words and their changes, in word order.
type ChunkResult = (Vec<u32>, Vec<WordChange>);

/// A merge touching at least this many words is applied on all cores (low
/// under test, so that the unit tests exercise the parallel path).
const PARALLEL_FROM: usize = if cfg!(test) { 64 } else { 20_000 };

#[inline]
pub(crate) fn pair(a: u32, b: u32) -> Pair {
    (u64::from(a) << 32) | u64::from(b)
}

#[inline]
pub(crate) fn unpair(p: Pair) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// A heap entry: a pair, its count when pushed, and the words to merge it in.
struct Entry {
    count: u64,
    pair: Pair,
    pos: Vec<u32>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.count == o.count && self.pair == o.pair
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        self.count
            .cmp(&o.count)
            .then_with(|| o.pair.cmp(&self.pair))
    }
}

/// All words in one arena.
struct Words {
    syms: Vec<u32>,
    start: Vec<usize>,
    len: Vec<u32>,
    count: Vec<u64>,
    /// Words of at least `LONG_WORD` symbols, merged by position index (their
    /// arena copy is only used for the initial pair count).
    long: FxHashMap<u32, LongWord>,
}

impl Words {
    fn word(&self, i: usize) -> &[u32] {
        let s = self.start[i];
        &self.syms[s..s + self.len[i] as usize]
    }

    /// Merges `op` in word `i`, pushing the pair changes.
    fn merge(&mut self, i: usize, op: &MergeOp<'_>, changes: &mut Vec<(Pair, i32)>) {
        if let Some(lw) = self.long.get_mut(&(i as u32)) {
            lw.merge(op, changes);
            return;
        }
        let s = self.start[i];
        let n = self.len[i] as usize;
        self.len[i] = merge_word(&mut self.syms[s..s + n], op, changes) as u32;
    }

    /// Merges `op` in the words `pos` (sorted, distinct) on all cores: the
    /// arena is cut into disjoint slices, one per chunk of words, with
    /// `split_at_mut`; each chunk reports its changes as `(pair, delta, word)`
    /// in word order, so applying them in chunk order is the sequential result.
    fn merge_parallel(&mut self, pos: &[u32], op: &MergeOp<'_>) -> Vec<Vec<WordChange>> {
        let chunk = pos.len().div_ceil(rayon::current_num_threads() * 8).max(1);
        let mut jobs = Vec::new();
        let mut rest: &mut [u32] = &mut self.syms;
        let mut offset = 0usize;
        for c in pos.chunks(chunk) {
            let first = c[0] as usize;
            let last = c[c.len() - 1] as usize;
            let lo = self.start[first];
            let hi = self.start[last] + self.len[last] as usize;
            let (_, tail) = std::mem::take(&mut rest).split_at_mut(lo - offset);
            let (mid, tail) = tail.split_at_mut(hi - lo);
            rest = tail;
            offset = hi;
            jobs.push((c, lo, mid));
        }
        let (start, len) = (&self.start, &self.len);
        let results: Vec<ChunkResult> = jobs
            .into_par_iter()
            .map(|(c, lo, mid)| {
                let mut lens = Vec::with_capacity(c.len());
                let mut out = Vec::new();
                let mut changes = Vec::new();
                for &wi in c {
                    let s = start[wi as usize] - lo;
                    let n = len[wi as usize] as usize;
                    changes.clear();
                    lens.push(merge_word(&mut mid[s..s + n], op, &mut changes) as u32);
                    out.extend(changes.iter().map(|&(p, d)| (p, d, wi)));
                }
                (lens, out)
            })
            .collect();
        let mut all = Vec::with_capacity(results.len());
        let mut it = pos.iter();
        for (lens, changes) in results {
            for l in lens {
                let wi = *it.next().expect("one length per word") as usize;
                self.len[wi] = l;
            }
            all.push(changes);
        }
        all
    }
}

/// Merges `(op.a, op.b)` into `op.new` in one word left to right, pushing the
/// pair changes HF's `Word::merge` reports; returns the new length.
pub(crate) fn merge_word(w: &mut [u32], op: &MergeOp<'_>, changes: &mut Vec<(Pair, i32)>) -> usize {
    let MergeOp {
        a,
        b,
        new,
        lens,
        max_len,
    } = *op;
    let n = w.len();
    let new_len = u64::from(lens[a as usize]) + u64::from(lens[b as usize]);
    let (mut r, mut out) = (0usize, 0usize);
    while r < n {
        if r + 1 < n && w[r] == a && w[r + 1] == b {
            if out > 0 {
                let prev = w[out - 1];
                changes.push((pair(prev, a), -1));
                if u64::from(lens[prev as usize]) + new_len < max_len {
                    changes.push((pair(prev, new), 1));
                }
            }
            if r + 2 < n {
                let next = w[r + 2];
                changes.push((pair(b, next), -1));
                if u64::from(lens[next as usize]) + new_len < max_len {
                    changes.push((pair(new, next), 1));
                }
            }
            w[out] = new;
            r += 2;
        } else {
            w[out] = w[r];
            r += 1;
        }
        out += 1;
    }
    out
}

/// One merge being applied: `(a, b)` becomes `new`.
#[derive(Clone, Copy)]
pub(crate) struct MergeOp<'a> {
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) new: u32,
    /// Length of each token in characters (bytes for bbpe).
    pub(crate) lens: &'a [u32],
    /// `max_token_length`, or `u64::MAX`.
    pub(crate) max_len: u64,
}

/// Mutable vocabulary under construction: id → string and string → id.
struct VocabBuilder {
    id_to_word: Vec<String>,
    word_to_id: FxHashMap<String, u32>,
}

impl VocabBuilder {
    fn add(&mut self, s: String) -> u32 {
        if let Some(&id) = self.word_to_id.get(&s) {
            return id;
        }
        let id = self.id_to_word.len() as u32;
        self.word_to_id.insert(s.clone(), id);
        self.id_to_word.push(s);
        id
    }
}

fn unit_string(byte_level: bool, unit: u32) -> String {
    if byte_level {
        byte_level::byte_to_char(unit as u8).to_string()
    } else {
        char::from_u32(unit).map(String::from).unwrap_or_default()
    }
}

/// The alphabet, as units (bytes or code points) in id order.
pub(crate) fn compute_alphabet(cfg: &TrainerConfig, counts: &WordCounts) -> Vec<u32> {
    if cfg.byte_level {
        let mut units: Vec<u32> = (0..256).collect();
        units.sort_by_key(|&b| byte_level::byte_to_char(b as u8) as u32);
        return units;
    }
    let mut freq: FxHashMap<char, u64> = FxHashMap::default();
    for (w, &c) in counts {
        for ch in w.chars() {
            *freq.entry(ch).or_default() += c;
        }
    }
    for &ch in &cfg.initial_alphabet {
        freq.insert(ch, u64::MAX);
    }
    let mut kept: Vec<(char, u64)> = freq.into_iter().collect();
    if let Some(limit) = cfg.limit_alphabet {
        if kept.len() > limit {
            // Least frequent first; ties (arbitrary in HF) by higher code point first.
            kept.sort_unstable_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)));
            kept.drain(..kept.len() - limit);
        }
    }
    kept.sort_unstable_by_key(|k| k.0 as u32);
    kept.into_iter().map(|(c, _)| c as u32).collect()
}

/// Trains a BPE model on pre-token counts.
pub fn train(
    counts: &WordCounts,
    cfg: &TrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<BpeModel> {
    if counts.is_empty() {
        return Err(Error::invalid("empty corpus: no pre-tokens to train on"));
    }
    if cfg.byte_level && (cfg.unk_token.is_some() || cfg.byte_fallback) {
        return Err(Error::invalid(
            "unk_token and byte_fallback are for model='bpe'; byte-level BPE never needs them",
        ));
    }
    let mut specials = cfg.special_tokens.clone();
    if let Some(unk) = &cfg.unk_token {
        if !specials.contains(unk) {
            specials.insert(0, unk.clone());
        }
    }
    let mut vb = VocabBuilder {
        id_to_word: Vec::with_capacity(cfg.vocab_size),
        word_to_id: FxHashMap::default(),
    };
    for s in &specials {
        vb.add(s.clone());
    }
    if cfg.byte_fallback {
        for b in 0..=255u8 {
            vb.add(format!("<0x{b:02X}>"));
        }
    }
    let alphabet = compute_alphabet(cfg, counts);
    let mut unit_id: FxHashMap<u32, u32> = FxHashMap::default();
    for &u in &alphabet {
        unit_id.insert(u, vb.add(unit_string(cfg.byte_level, u)));
    }
    // With a continuing-subword prefix, characters after the first of a word
    // are distinct symbols ("##c"). HF adds them in hash-map order (not
    // reproducible); we add those that occur, in a fixed order (below).
    let prefix = cfg
        .continuing_subword_prefix
        .as_deref()
        .filter(|p| !p.is_empty());
    let mut cont_id: FxHashMap<u32, u32> = FxHashMap::default();
    if let Some(pre) = prefix {
        if cfg.byte_level {
            return Err(Error::invalid(
                "continuing_subword_prefix is for character-level models",
            ));
        }
        // HF meets them in the order of a random walk over the words, so a
        // character found in more words tends to come first; we use that
        // expected order, deterministically: more distinct words first, then
        // code point. (Code-point order, and a hash order, both measured
        // atypical of HF's runs: their ties broke differently.)
        let mut df: FxHashMap<u32, u64> = FxHashMap::default();
        let mut in_word: Vec<u32> = Vec::new();
        for w in counts.keys() {
            in_word.clear();
            in_word.extend(w.chars().skip(1).map(|c| c as u32));
            in_word.sort_unstable();
            in_word.dedup();
            for &u in &in_word {
                if unit_id.contains_key(&u) {
                    *df.entry(u).or_default() += 1;
                }
            }
        }
        let mut seen: Vec<(u32, u64)> = df.into_iter().collect();
        seen.sort_unstable_by_key(|&(u, n)| (std::cmp::Reverse(n), u));
        let seen: Vec<u32> = seen.into_iter().map(|x| x.0).collect();
        for u in seen {
            cont_id.insert(u, vb.add(format!("{pre}{}", unit_string(false, u))));
        }
    }
    let min_size = vb.id_to_word.len();
    if cfg.vocab_size < min_size {
        return Err(Error::invalid(format!(
            "vocab_size {} is below the {} tokens that must be in the vocabulary \
             ({} special tokens and the alphabet)",
            cfg.vocab_size,
            min_size,
            specials.len()
        )));
    }
    let mut byte_ids = [u32::MAX; 256];
    if cfg.byte_level {
        for b in 0..256u32 {
            byte_ids[b as usize] = unit_id[&b];
        }
    }

    // Words into the arena; words with fewer than two symbols never pair.
    let mut words = Words {
        syms: Vec::new(),
        start: Vec::with_capacity(counts.len()),
        len: Vec::with_capacity(counts.len()),
        count: Vec::with_capacity(counts.len()),
        long: FxHashMap::default(),
    };
    for (w, &c) in counts {
        let start = words.syms.len();
        if cfg.byte_level {
            words.syms.extend(w.bytes().map(|b| byte_ids[b as usize]));
        } else {
            let table = |i: usize| {
                if i > 0 && prefix.is_some() {
                    &cont_id
                } else {
                    &unit_id
                }
            };
            words.syms.extend(
                w.chars()
                    .enumerate()
                    .filter_map(|(i, ch)| table(i).get(&(ch as u32)).copied()),
            );
        }
        let n = words.syms.len() - start;
        if n < 2 {
            words.syms.truncate(start);
            continue;
        }
        if n >= LONG_WORD {
            let lw = LongWord::new(&words.syms[start..]);
            words.long.insert(words.start.len() as u32, lw);
        }
        words.start.push(start);
        words.len.push(n as u32);
        words.count.push(c);
    }
    words.syms.shrink_to_fit();

    let mut lens: Vec<u32> = vb
        .id_to_word
        .iter()
        .map(|s| s.chars().count() as u32)
        .collect();
    let max_len = cfg.max_token_length.map_or(u64::MAX, |m| m as u64);

    // Pair counts and where each pair occurs.
    let mut pair_counts: FxHashMap<Pair, i64> = FxHashMap::default();
    let mut where_: FxHashMap<Pair, Vec<u32>> = FxHashMap::default();
    for i in 0..words.start.len() {
        let c = words.count[i] as i64;
        for win in words.word(i).windows(2) {
            let p = pair(win[0], win[1]);
            *pair_counts.entry(p).or_default() += c;
            let v = where_.entry(p).or_default();
            if v.last() != Some(&(i as u32)) {
                v.push(i as u32);
            }
        }
    }
    let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(pair_counts.len());
    push_entries(&mut heap, &mut where_, &pair_counts);

    let target = cfg.vocab_size;
    let mut merges: Vec<(u32, u32, u32)> = Vec::new();
    let mut changes: Vec<(Pair, i32)> = Vec::new();
    loop {
        if vb.id_to_word.len() >= target {
            break;
        }
        let Some(mut top) = heap.pop() else { break };
        let current = pair_counts.get(&top.pair).copied().unwrap_or(0) as u64;
        if top.count != current {
            top.count = current;
            heap.push(top);
            continue;
        }
        if top.count < 1 || cfg.min_frequency > top.count {
            break;
        }
        let (a, b) = unpair(top.pair);
        let right = vb.id_to_word[b as usize].as_str();
        let right = prefix.and_then(|p| right.strip_prefix(p)).unwrap_or(right);
        let new_token = format!("{}{right}", vb.id_to_word[a as usize]);
        let new_id = vb.add(new_token);
        if new_id as usize == lens.len() {
            lens.push(lens[a as usize] + lens[b as usize]);
        }
        merges.push((a, b, new_id));

        let op = MergeOp {
            a,
            b,
            new: new_id,
            lens: &lens,
            max_len,
        };
        let mut apply = |p: Pair, d: i32, wi: u32, count: u64| {
            *pair_counts.entry(p).or_default() += i64::from(d) * count as i64;
            if d > 0 {
                let v = where_.entry(p).or_default();
                if v.last() != Some(&wi) {
                    v.push(wi);
                }
            }
        };
        if top.pos.len() >= PARALLEL_FROM && rayon::current_num_threads() > 1 {
            let (mut pos, long): (Vec<u32>, Vec<u32>) = top
                .pos
                .into_iter()
                .partition(|w| !words.long.contains_key(w));
            pos.sort_unstable();
            for chunk in words.merge_parallel(&pos, &op) {
                for (p, d, wi) in chunk {
                    apply(p, d, wi, words.count[wi as usize]);
                }
            }
            for wi in long {
                changes.clear();
                words.merge(wi as usize, &op, &mut changes);
                let c = words.count[wi as usize];
                for &(p, d) in &changes {
                    apply(p, d, wi, c);
                }
            }
        } else {
            for &wi in &top.pos {
                changes.clear();
                words.merge(wi as usize, &op, &mut changes);
                let c = words.count[wi as usize];
                for &(p, d) in &changes {
                    apply(p, d, wi, c);
                }
            }
        }
        push_entries(&mut heap, &mut where_, &pair_counts);
        if let Some(p) = progress {
            if merges.len() % 256 == 0 {
                p.update("merge", vb.id_to_word.len() as u64, target as u64);
            }
        }
    }
    if let Some(p) = progress {
        p.update("merge", vb.id_to_word.len() as u64, target as u64);
        p.finish("merge");
    }

    let kind = if cfg.byte_level {
        BpeKind::ByteLevel
    } else {
        BpeKind::Char {
            unk_token: cfg.unk_token.clone(),
            byte_fallback: cfg.byte_fallback,
            fuse_unk: false,
        }
    };
    BpeModel::from_parts(kind, vb.id_to_word, &merges, Default::default())
}

fn push_entries(
    heap: &mut BinaryHeap<Entry>,
    where_: &mut FxHashMap<Pair, Vec<u32>>,
    counts: &FxHashMap<Pair, i64>,
) {
    for (p, pos) in where_.drain() {
        let c = counts.get(&p).copied().unwrap_or(0);
        if c > 0 {
            heap.push(Entry {
                count: c as u64,
                pair: p,
                pos,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(words: &[(&str, u64)]) -> WordCounts {
        words.iter().map(|&(w, c)| (w.into(), c)).collect()
    }

    fn cfg(byte_level: bool, vocab_size: usize, min_frequency: u64) -> TrainerConfig {
        TrainerConfig {
            byte_level,
            vocab_size,
            min_frequency,
            special_tokens: vec![],
            limit_alphabet: None,
            initial_alphabet: vec![],
            max_token_length: None,
            unk_token: None,
            byte_fallback: false,
            continuing_subword_prefix: None,
        }
    }

    /// The example from HF's own trainer test: same vocabulary and merges.
    #[test]
    fn matches_hf_trainer_unit_test() {
        let wc = counts(&[
            ("roses", 1),
            ("are", 2),
            ("red", 1),
            ("voilets", 1),
            ("blue", 1),
            ("BERT", 1),
            ("is", 2),
            ("big", 1),
            ("and", 1),
            ("so", 1),
            ("GPT-2", 1),
        ]);
        let t = train(&wc, &cfg(false, 30000, 2), None).unwrap();
        let m = &t;
        let alphabet = "-2BEGPRTabdegilnorstuv";
        for (i, ch) in alphabet.chars().enumerate() {
            assert_eq!(m.token_to_id(&ch.to_string()), Some(i as u32));
        }
        assert_eq!(m.token_to_id("re"), Some(22));
        assert_eq!(m.token_to_id("are"), Some(23));
        assert_eq!(m.token_to_id("is"), Some(24));
        assert_eq!(
            m.merges_str(),
            vec![
                ("r".into(), "e".into()),
                ("a".into(), "re".into()),
                ("i".into(), "s".into())
            ]
        );
    }

    #[test]
    fn overlapping_pairs_merge_left_to_right() {
        let wc = counts(&[("aaaa", 3)]);
        let t = train(&wc, &cfg(false, 10, 0), None).unwrap();
        let merges = t.merges_str();
        assert_eq!(merges[0], ("a".to_string(), "a".to_string()));
        assert_eq!(merges[1], ("aa".to_string(), "aa".to_string()));
    }

    #[test]
    fn parallel_merging_equals_sequential() {
        let mut seed = 12345u64;
        let mut wc = WordCounts::default();
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 2 + (seed % 9) as usize;
            let w: String = (0..len)
                .map(|k| ['a', 'b', 'c', 'd', 'é', '中', ' '][((seed >> (k * 3)) % 7) as usize])
                .collect();
            *wc.entry(w.into_boxed_str()).or_default() += 1 + (seed >> 40) % 50;
        }
        let c = cfg(true, 1500, 2);
        let parallel = train(&wc, &c, None).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let sequential = pool.install(|| train(&wc, &c, None)).unwrap();
        assert!(
            rayon::current_num_threads() > 1 || cfg!(miri),
            "needs more than one thread"
        );
        assert_eq!(parallel.merges_str(), sequential.merges_str());
        assert!(parallel.merges().len() > 1000);
    }

    #[test]
    fn vocab_below_alphabet_is_an_error() {
        let wc = counts(&[("ab", 1)]);
        assert!(train(&wc, &cfg(true, 100, 0), None).is_err());
        assert!(train(&WordCounts::default(), &cfg(true, 1000, 0), None).is_err());
    }
}
