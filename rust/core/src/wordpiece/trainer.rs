//! WordPiece training by likelihood (Schuster & Nakajima 2012; BERT): at each
//! step merge the adjacent pair of symbols `(a, b)` with the highest
//! `count(ab) / (count(a) * count(b))`, i.e. the merge that most increases the
//! likelihood of the training data under a unigram model of the symbols.
//!
//! # Algorithm
//! Words and pairs are stored as in the BPE trainer (one `u32` arena, pair
//! counts, a pair-to-words index, and only the words holding the pair touched
//! by a merge). The difference is the priority: a pair's score changes not only
//! when its own count changes but whenever the count of one of its symbols
//! does, and it can go *up* (a merge lowers `count(a)` and `count(b)`). So the
//! heap is kept exact by construction rather than by lazy re-checking alone:
//! after each merge a fresh entry is pushed for every pair whose count changed
//! and every live pair holding `a`, `b` or the new symbol (each symbol keeps
//! the list of pairs it is part of). An entry whose score or count no longer
//! matches is stale and dropped when popped, since a fresh one exists. The heap
//! is rebuilt from the live pairs when stale entries outnumber them.
//!
//! Determinism: ties in score go to the larger pair count, then to the pair
//! with the smaller `(left, right)` ids. Continuing symbols (`##c`) get ids
//! after the alphabet in code-point order. Pairs seen fewer than
//! `min_frequency` times are never merged.
//!
//! Performance notes: the per-symbol re-push is the main cost on large
//! corpora (frequent characters sit in thousands of pairs early on); it is
//! bounded by the rebuild rule. Measured with `bench/wordpiece.py`.

use crate::bpe::trainer::{
    compute_alphabet, merge_word, pair, unpair, MergeOp, Pair, TrainerConfig,
};
use crate::counts::{Progress, WordCounts};
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy)]
struct Entry {
    score: f64,
    count: i64,
    pair: Pair,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
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
        self.score
            .total_cmp(&o.score)
            .then(self.count.cmp(&o.count))
            .then_with(|| o.pair.cmp(&self.pair))
    }
}

struct State {
    pair_counts: FxHashMap<Pair, i64>,
    where_: FxHashMap<Pair, Vec<u32>>,
    sym_count: Vec<i64>,
    sym_pairs: Vec<Vec<Pair>>,
    heap: BinaryHeap<Entry>,
}

impl State {
    fn score(&self, p: Pair, c: i64) -> f64 {
        let (a, b) = unpair(p);
        let ca = self.sym_count[a as usize].max(1) as f64;
        let cb = self.sym_count[b as usize].max(1) as f64;
        c as f64 / (ca * cb)
    }

    fn push(&mut self, p: Pair) {
        let c = self.pair_counts.get(&p).copied().unwrap_or(0);
        if c > 0 {
            let score = self.score(p, c);
            self.heap.push(Entry {
                score,
                count: c,
                pair: p,
            });
        }
    }

    fn grow(&mut self, id: u32) {
        while self.sym_count.len() <= id as usize {
            self.sym_count.push(0);
            self.sym_pairs.push(Vec::new());
        }
    }

    /// Adds `d * count` to a pair, registering a new pair with its symbols.
    fn add(&mut self, p: Pair, delta: i64, word: u32) {
        let e = self.pair_counts.entry(p).or_insert_with(|| {
            let (a, b) = unpair(p);
            self.sym_pairs[a as usize].push(p);
            if a != b {
                self.sym_pairs[b as usize].push(p);
            }
            0
        });
        *e += delta;
        if delta > 0 {
            let v = self.where_.entry(p).or_default();
            if v.last() != Some(&word) {
                v.push(word);
            }
        }
    }

    /// Pushes fresh entries for every live pair of `sym`, dropping dead ones.
    fn refresh_symbol(&mut self, sym: u32) {
        let mut list = std::mem::take(&mut self.sym_pairs[sym as usize]);
        list.retain(|p| self.pair_counts.get(p).is_some_and(|&c| c > 0));
        for &p in &list {
            self.push(p);
        }
        self.sym_pairs[sym as usize] = list;
    }
}

/// Trains a WordPiece vocabulary by likelihood; returns the tokens in id
/// order (special tokens, alphabet, continuing symbols, then merges).
/// `cfg.continuing_subword_prefix` defaults to `##`.
pub fn train(
    counts: &WordCounts,
    cfg: &TrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<Vec<String>> {
    if counts.is_empty() {
        return Err(Error::invalid("empty corpus: no pre-tokens to train on"));
    }
    let prefix = cfg
        .continuing_subword_prefix
        .clone()
        .unwrap_or_else(|| "##".into());
    let mut tokens: Vec<String> = Vec::with_capacity(cfg.vocab_size);
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut add = |tokens: &mut Vec<String>, s: String| -> u32 {
        if let Some(&i) = ids.get(&s) {
            return i;
        }
        let i = tokens.len() as u32;
        ids.insert(s.clone(), i);
        tokens.push(s);
        i
    };
    for s in &cfg.special_tokens {
        add(&mut tokens, s.clone());
    }
    let alphabet = compute_alphabet(cfg, counts);
    let mut first_id: FxHashMap<char, u32> = FxHashMap::default();
    for &u in &alphabet {
        let c = char::from_u32(u).unwrap_or('\u{fffd}');
        first_id.insert(c, add(&mut tokens, c.to_string()));
    }
    let mut cont: Vec<char> = counts
        .keys()
        .flat_map(|w| w.chars().skip(1))
        .filter(|c| first_id.contains_key(c))
        .collect();
    cont.sort_unstable();
    cont.dedup();
    let mut cont_id: FxHashMap<char, u32> = FxHashMap::default();
    for c in cont {
        cont_id.insert(c, add(&mut tokens, format!("{prefix}{c}")));
    }
    if cfg.vocab_size < tokens.len() {
        return Err(Error::invalid(format!(
            "vocab_size {} is below the {} tokens that must be in the vocabulary \
             (special tokens and the alphabet, with and without {prefix:?})",
            cfg.vocab_size,
            tokens.len()
        )));
    }

    let mut st = State {
        pair_counts: FxHashMap::default(),
        where_: FxHashMap::default(),
        sym_count: vec![0; tokens.len()],
        sym_pairs: vec![Vec::new(); tokens.len()],
        heap: BinaryHeap::new(),
    };
    let mut syms: Vec<u32> = Vec::new();
    let mut start: Vec<usize> = Vec::new();
    let mut len: Vec<u32> = Vec::new();
    let mut wcount: Vec<i64> = Vec::new();
    let mut scratch = Vec::new();
    for (w, &c) in counts {
        scratch.clear();
        for (i, ch) in w.chars().enumerate() {
            let t = if i == 0 { &first_id } else { &cont_id };
            if let Some(&id) = t.get(&ch) {
                scratch.push(id);
            }
        }
        let c = i64::try_from(c).unwrap_or(i64::MAX);
        for &s in &scratch {
            st.sym_count[s as usize] += c;
        }
        if scratch.len() < 2 {
            continue;
        }
        let wi = start.len() as u32;
        for win in scratch.windows(2) {
            st.add(pair(win[0], win[1]), c, wi);
        }
        start.push(syms.len());
        len.push(scratch.len() as u32);
        wcount.push(c);
        syms.extend_from_slice(&scratch);
    }
    let live: Vec<Pair> = st.pair_counts.keys().copied().collect();
    for p in live {
        st.push(p);
    }

    let mut lens: Vec<u32> = tokens.iter().map(|s| s.chars().count() as u32).collect();
    let min_freq = i64::try_from(cfg.min_frequency).unwrap_or(i64::MAX);
    let mut changes: Vec<(Pair, i32)> = Vec::new();
    let mut changed: Vec<Pair> = Vec::new();
    while tokens.len() < cfg.vocab_size {
        let Some(top) = st.heap.pop() else { break };
        let c = st.pair_counts.get(&top.pair).copied().unwrap_or(0);
        if c <= 0 || c < min_freq || c != top.count || st.score(top.pair, c) != top.score {
            continue;
        }
        let (a, b) = unpair(top.pair);
        let right = tokens[b as usize]
            .strip_prefix(prefix.as_str())
            .unwrap_or(&tokens[b as usize]);
        let new_tok = format!("{}{right}", tokens[a as usize]);
        let new = add(&mut tokens, new_tok);
        st.grow(new);
        if new as usize == lens.len() {
            lens.push(lens[a as usize] + lens[b as usize]);
        }
        let op = MergeOp {
            a,
            b,
            new,
            lens: &lens,
            max_len: u64::MAX,
        };
        let words = st.where_.remove(&top.pair).unwrap_or_default();
        changed.clear();
        let mut merged = 0i64;
        for &wi in &words {
            let (s, n) = (start[wi as usize], len[wi as usize] as usize);
            changes.clear();
            let new_len = merge_word(&mut syms[s..s + n], &op, &mut changes);
            let k = (n - new_len) as i64 * wcount[wi as usize];
            merged += k;
            len[wi as usize] = new_len as u32;
            for &(p, d) in &changes {
                st.add(p, i64::from(d) * wcount[wi as usize], wi);
                changed.push(p);
            }
        }
        st.pair_counts.insert(top.pair, 0);
        st.sym_count[a as usize] -= merged;
        st.sym_count[b as usize] -= merged;
        st.sym_count[new as usize] += merged;
        changed.sort_unstable();
        changed.dedup();
        for &p in &changed {
            st.push(p);
        }
        for sym in [a, b, new] {
            st.refresh_symbol(sym);
        }
        if st.heap.len() > 4 * st.pair_counts.len() + (1 << 20) {
            st.pair_counts.retain(|_, c| *c > 0);
            st.heap.clear();
            let live: Vec<Pair> = st.pair_counts.keys().copied().collect();
            for p in live {
                st.push(p);
            }
        }
        if let Some(p) = progress {
            if tokens.len() % 256 == 0 {
                p.update("merge", tokens.len() as u64, cfg.vocab_size as u64);
            }
        }
    }
    if let Some(p) = progress {
        p.update("merge", tokens.len() as u64, cfg.vocab_size as u64);
        p.finish("merge");
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(vocab_size: usize) -> TrainerConfig {
        TrainerConfig {
            byte_level: false,
            vocab_size,
            min_frequency: 1,
            special_tokens: vec!["[UNK]".into()],
            limit_alphabet: None,
            initial_alphabet: vec![],
            max_token_length: None,
            unk_token: None,
            byte_fallback: false,
            continuing_subword_prefix: None,
        }
    }

    /// A direct, quadratic reference: recount everything after every merge.
    fn reference(words: &[(&str, u64)], vocab_size: usize) -> Vec<String> {
        let mut tokens: Vec<String> = vec!["[UNK]".into()];
        let mut alpha: Vec<char> = words.iter().flat_map(|(w, _)| w.chars()).collect();
        alpha.sort_unstable();
        alpha.dedup();
        tokens.extend(alpha.iter().map(|c| c.to_string()));
        let mut cont: Vec<char> = words.iter().flat_map(|(w, _)| w.chars().skip(1)).collect();
        cont.sort_unstable();
        cont.dedup();
        tokens.extend(cont.iter().map(|c| format!("##{c}")));
        let id = |t: &Vec<String>, s: &str| t.iter().position(|x| x == s).unwrap() as u32;
        let mut segs: Vec<(Vec<u32>, i64)> = words
            .iter()
            .map(|(w, c)| {
                let v = w
                    .chars()
                    .enumerate()
                    .map(|(i, ch)| {
                        let s = if i == 0 {
                            ch.to_string()
                        } else {
                            format!("##{ch}")
                        };
                        id(&tokens, &s)
                    })
                    .collect();
                (v, *c as i64)
            })
            .collect();
        while tokens.len() < vocab_size {
            let mut sc: FxHashMap<u32, i64> = FxHashMap::default();
            let mut pc: FxHashMap<(u32, u32), i64> = FxHashMap::default();
            for (s, c) in &segs {
                for &x in s {
                    *sc.entry(x).or_default() += c;
                }
                for w in s.windows(2) {
                    *pc.entry((w[0], w[1])).or_default() += c;
                }
            }
            let best = pc.iter().max_by(|x, y| {
                let s = |p: &(u32, u32), c: i64| c as f64 / (sc[&p.0] as f64 * sc[&p.1] as f64);
                s(x.0, *x.1)
                    .total_cmp(&s(y.0, *y.1))
                    .then(x.1.cmp(y.1))
                    .then(y.0.cmp(x.0))
            });
            let Some((&(a, b), _)) = best else { break };
            let right = tokens[b as usize].trim_start_matches("##").to_string();
            let new_s = format!("{}{right}", tokens[a as usize]);
            let new = match tokens.iter().position(|x| *x == new_s) {
                Some(i) => i as u32,
                None => {
                    tokens.push(new_s);
                    (tokens.len() - 1) as u32
                }
            };
            for (s, _) in segs.iter_mut() {
                let mut out = Vec::new();
                let mut i = 0;
                while i < s.len() {
                    if i + 1 < s.len() && s[i] == a && s[i + 1] == b {
                        out.push(new);
                        i += 2;
                    } else {
                        out.push(s[i]);
                        i += 1;
                    }
                }
                *s = out;
            }
        }
        tokens
    }

    #[test]
    fn equals_the_quadratic_reference() {
        let words: Vec<(&str, u64)> = vec![
            ("hug", 10),
            ("pug", 5),
            ("pun", 12),
            ("bun", 4),
            ("hugs", 5),
            ("unhug", 3),
            ("aaaa", 2),
            ("abab", 7),
            ("banana", 6),
            ("nab", 1),
        ];
        let counts: WordCounts = words
            .iter()
            .map(|(w, c)| (w.to_string().into_boxed_str(), *c))
            .collect();
        for vs in [20, 25, 30, 40, 60] {
            let got = train(&counts, &cfg(vs), None).unwrap();
            assert_eq!(got, reference(&words, vs), "vocab {vs}");
        }
    }
}
