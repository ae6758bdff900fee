//! The EM core of the Unigram trainer: the E-step (expected piece counts by
//! forward-backward over each word's lattice), the Bayesian M-step (digamma),
//! loss-based pruning and the final unreachable-piece pruning, following
//! SentencePiece's `unigram::Trainer`.
//!
//! The trie over the current pieces is rebuilt whenever they change (cheap:
//! 0.3 s per million pieces), with the current id as value. As in
//! SentencePiece's `TrainerModel`, every piece is normal, and an unknown node
//! (a character without a piece, i.e. a `▅`) scores `min_score - 10` and
//! carries id 0 (SentencePiece's default `unk_id_`), so its mass is counted
//! on the current first piece.
//!
//! Performance notes: the lattice is walked on byte positions and never
//! stored beyond a per-thread node buffer. Forward-backward runs in the linear
//! domain: node weights are exp(score) precomputed per piece times a per-word
//! factor exp(k · bytes) (a power table, one `exp` per word) with
//! k = -(Viterbi score / bytes), which scales every full path equally (so
//! marginals are unchanged) and keeps values near 1; a word whose values
//! still leave [1e-250, 1e250] is redone in the log domain (none did on
//! mixed-100M). Pruning finds each piece's second-best segmentation with two
//! byte-level Viterbi passes instead of A* n-best on a full lattice, and the
//! trie is rebuilt over the live pieces after every change instead of masking
//! dead seeds: together 31.5 s → 16.3 s (user) on a 20 MB sample at vocab
//! 32000. `perf` then shows the E-step bound by cache misses on deep trie
//! cells (~30%) and on the per-piece (score, prob) table (~18%). Expected
//! counts are summed as 2^-24 fixed-point `u64`, so the totals do not depend
//! on the thread count or scheduling; words are dealt to one accumulator per
//! thread in a strided pattern.

use super::lattice::log_add;
use super::model::{char_len, UNK_PENALTY};
use super::trainer::Words;
use super::trie::DoubleArray;
use crate::error::Result;
use rayon::prelude::*;

/// Fixed-point scale of expected counts.
const FIX: f64 = (1u64 << 24) as f64;
/// Words per work unit.
const UNIT: usize = 256;

/// The current vocabulary of the trainer.
pub(crate) struct EmModel {
    /// Trie over the current pieces; value = current id.
    trie: DoubleArray,
    /// Seed piece bytes.
    seed_buf: Vec<u8>,
    /// Seed `i` is `seed_buf[seed_off[i]..seed_off[i + 1]]`.
    seed_off: Vec<usize>,
    /// Current pieces: (seed index, score), in SentencePiece's order.
    pub pieces: Vec<(u32, f32)>,
    /// Current per-id (score, exp(score)).
    probs: Vec<(f64, f64)>,
    /// Minimum current score.
    pub min_score: f32,
}

/// One lattice node on byte positions.
#[derive(Clone, Copy)]
struct Node {
    start: u32,
    end: u32,
    id: u32,
    /// Log score.
    score: f64,
    /// exp(score).
    prob: f64,
}

/// Per-thread E-step state.
struct Acc {
    expected: Vec<u64>,
    obj: f64,
    ntokens: u64,
    nodes: Vec<Node>,
    a: Vec<f64>,
    b: Vec<f64>,
    pw: Vec<f64>,
}

impl EmModel {
    /// A model over the seed pieces with their scores.
    pub fn new(seeds: Vec<(Vec<u8>, f32)>) -> Result<Self> {
        let pieces = seeds
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32, s.1))
            .collect();
        let mut m = EmModel {
            trie: DoubleArray::build(&[(b"\0", 0)])?,
            seed_buf: seeds.iter().flat_map(|s| s.0.iter().copied()).collect(),
            seed_off: std::iter::once(0)
                .chain(seeds.iter().scan(0, |acc, s| {
                    *acc += s.0.len();
                    Some(*acc)
                }))
                .collect(),
            pieces: Vec::new(),
            probs: Vec::new(),
            min_score: 0.0,
        };
        m.set_pieces(pieces)?;
        Ok(m)
    }

    /// Replaces the current pieces (SentencePiece's `SetSentencePieces`),
    /// rebuilding the trie over them.
    pub fn set_pieces(&mut self, pieces: Vec<(u32, f32)>) -> Result<()> {
        let entries: Vec<(&[u8], i32)> = pieces
            .iter()
            .enumerate()
            .map(|(i, &(s, _))| (self.seed_bytes(s), i as i32))
            .collect();
        self.trie = DoubleArray::build(&entries)?;
        self.probs = pieces
            .iter()
            .map(|&(_, sc)| (sc as f64, (sc as f64).exp()))
            .collect();
        self.min_score = pieces.iter().map(|p| p.1).fold(f32::MAX, f32::min);
        self.pieces = pieces;
        Ok(())
    }

    /// Bytes of seed piece `s`.
    pub fn seed_bytes(&self, s: u32) -> &[u8] {
        &self.seed_buf[self.seed_off[s as usize]..self.seed_off[s as usize + 1]]
    }

    fn unk_score(&self) -> f32 {
        self.min_score - UNK_PENALTY
    }

    /// The lattice nodes of `w` (by start, then length), scores in log domain.
    fn nodes(&self, w: &[u8], out: &mut Vec<Node>) {
        out.clear();
        let unk = self.unk_score() as f64;
        let unk_prob = unk.exp();
        let mut s = 0;
        while s < w.len() {
            let mblen = char_len(w[s]).min(w.len() - s);
            let mut single = false;
            self.trie.common_prefix(&w[s..], |len, id| {
                let (score, prob) = self.probs[id as usize];
                out.push(Node {
                    start: s as u32,
                    end: (s + len) as u32,
                    id: id as u32,
                    score,
                    prob,
                });
                single |= len == mblen;
            });
            if !single {
                out.push(Node {
                    start: s as u32,
                    end: (s + mblen) as u32,
                    id: 0,
                    score: unk,
                    prob: unk_prob,
                });
            }
            s += mblen;
        }
    }

    /// E-step: expected counts per piece (fixed point), the objective
    /// (mean negative log-likelihood per word occurrence) and the Viterbi
    /// token count.
    pub fn e_step(&self, words: &Words) -> (Vec<f64>, f64, u64) {
        let total: u64 = words.counts.iter().sum();
        let n = self.pieces.len();
        let parts = rayon::current_num_threads().max(1);
        let units = words.len().div_ceil(UNIT);
        let accs: Vec<Acc> = (0..parts)
            .into_par_iter()
            .map(|t| {
                let mut acc = Acc {
                    expected: vec![0; n],
                    obj: 0.0,
                    ntokens: 0,
                    nodes: Vec::new(),
                    a: Vec::new(),
                    b: Vec::new(),
                    pw: Vec::new(),
                };
                for u in (t..units).step_by(parts) {
                    for w in u * UNIT..((u + 1) * UNIT).min(words.len()) {
                        self.word_marginals(words.word(w), words.counts[w], &mut acc);
                    }
                }
                acc
            })
            .collect();
        let mut expected = vec![0u64; n];
        let (mut obj, mut ntokens) = (0.0, 0u64);
        for acc in &accs {
            for (e, x) in expected.iter_mut().zip(&acc.expected) {
                *e += x;
            }
            obj += acc.obj;
            ntokens += acc.ntokens;
        }
        let expected = expected.into_iter().map(|x| x as f64 / FIX).collect();
        (expected, obj / total.max(1) as f64, ntokens)
    }

    /// Adds the marginals of one word's lattice times `count` to `acc`.
    fn word_marginals(&self, w: &[u8], count: u64, acc: &mut Acc) {
        let len = w.len();
        self.nodes(w, &mut acc.nodes);
        let nodes = &mut acc.nodes;

        // Viterbi (max-plus) for the scale and the token count.
        let a = &mut acc.a;
        a.clear();
        a.resize(len + 1, f64::NEG_INFINITY);
        let ntok = vec_len_buf(&mut acc.b, len + 1);
        a[0] = 0.0;
        for nd in nodes.iter() {
            let v = a[nd.start as usize] + nd.score;
            if v > a[nd.end as usize] {
                a[nd.end as usize] = v;
                ntok[nd.end as usize] = ntok[nd.start as usize] + 1.0;
            }
        }
        acc.ntokens += ntok[len] as u64 * count;
        let k = -a[len] / len as f64;
        // Linear domain: weight = exp(score) · exp(k)^bytes.
        let pw = &mut acc.pw;
        pw.clear();
        pw.push(1.0);
        let f1 = k.exp();
        let max_len = nodes.iter().map(|nd| nd.end - nd.start).max().unwrap_or(0);
        for l in 1..=max_len as usize {
            pw.push(pw[l - 1] * f1);
        }
        for nd in nodes.iter_mut() {
            nd.prob *= pw[(nd.end - nd.start) as usize];
        }
        a.iter_mut().for_each(|x| *x = 0.0);
        let b = &mut acc.b;
        b.iter_mut().for_each(|x| *x = 0.0);
        a[0] = 1.0;
        for nd in nodes.iter() {
            a[nd.end as usize] += a[nd.start as usize] * nd.prob;
        }
        b[len] = 1.0;
        for nd in nodes.iter().rev() {
            b[nd.start as usize] += nd.prob * b[nd.end as usize];
        }
        let ok = |v: f64| v == 0.0 || (1e-250..1e250).contains(&v);
        let z = a[len];
        if z > 0.0 && ok(z) && a.iter().all(|&v| ok(v)) && b.iter().all(|&v| ok(v)) {
            let scale = count as f64 / z * FIX;
            for nd in nodes.iter() {
                let m = a[nd.start as usize] * nd.prob * b[nd.end as usize];
                acc.expected[nd.id as usize] += (m * scale + 0.5) as u64;
            }
            acc.obj -= (z.ln() - k * len as f64) * count as f64;
            return;
        }
        // Log-domain fallback.
        a.iter_mut().for_each(|x| *x = f64::NEG_INFINITY);
        b.iter_mut().for_each(|x| *x = f64::NEG_INFINITY);
        a[0] = 0.0;
        for nd in nodes.iter() {
            a[nd.end as usize] = log_add(a[nd.end as usize], a[nd.start as usize] + nd.score);
        }
        b[len] = 0.0;
        for nd in nodes.iter().rev() {
            b[nd.start as usize] = log_add(b[nd.start as usize], nd.score + b[nd.end as usize]);
        }
        let z = a[len];
        for nd in nodes.iter() {
            let m = (a[nd.start as usize] + nd.score + b[nd.end as usize] - z).exp();
            acc.expected[nd.id as usize] += (m * count as f64 * FIX + 0.5) as u64;
        }
        acc.obj -= z * count as f64;
    }

    /// M-step: drops pieces with expected count < 0.5 and scores the rest
    /// `digamma(count) - digamma(total)`.
    pub fn m_step(&self, expected: &[f64]) -> Vec<(u32, f32)> {
        let mut kept = Vec::with_capacity(self.pieces.len());
        let mut sum = 0.0f64;
        for (p, &e) in self.pieces.iter().zip(expected) {
            if e < 0.5 {
                continue;
            }
            kept.push((p.0, e));
            sum += e;
        }
        let logsum = digamma(sum);
        kept.into_iter()
            .map(|(s, e)| (s, (digamma(e) - logsum) as f32))
            .collect()
    }

    /// Viterbi piece frequencies over all words (exact integer sums).
    fn viterbi_freqs(&self, words: &Words) -> Vec<u64> {
        let n = self.pieces.len();
        let parts = rayon::current_num_threads().max(1);
        let units = words.len().div_ceil(UNIT);
        let vecs: Vec<Vec<u64>> = (0..parts)
            .into_par_iter()
            .map(|t| {
                let mut freq = vec![0u64; n];
                let mut nodes = Vec::new();
                let mut best: Vec<(f32, u32)> = Vec::new();
                let mut path = Vec::new();
                for u in (t..units).step_by(parts) {
                    for wi in u * UNIT..((u + 1) * UNIT).min(words.len()) {
                        let w = words.word(wi);
                        self.nodes(w, &mut nodes);
                        viterbi_path(&nodes, w.len(), false, &mut best, &mut path);
                        for &k in &path {
                            freq[nodes[k as usize].id as usize] += words.counts[wi];
                        }
                    }
                }
                freq
            })
            .collect();
        let mut freq = vec![0u64; n];
        for v in &vecs {
            for (f, x) in freq.iter_mut().zip(v) {
                *f += x;
            }
        }
        freq
    }

    /// Prunes to `max(desired, shrinking · size)` pieces by the loss of
    /// removing each piece (SentencePiece's `PruneSentencePieces`).
    pub fn prune(&self, words: &Words, desired: usize, shrinking: f64) -> Vec<(u32, f32)> {
        // Second-best segmentation of each piece by itself (NBest(2)): when
        // the best path is the piece alone, the second best is the best path
        // without the node spanning the whole piece.
        let alts: Vec<(bool, Vec<u32>)> = (0..self.pieces.len())
            .into_par_iter()
            .map_init(Scratch::default, |sc, i| {
                let w = self.seed_bytes(self.pieces[i].0);
                self.nodes(w, &mut sc.nodes);
                viterbi_path(&sc.nodes, w.len(), false, &mut sc.best, &mut sc.path);
                if sc.path.len() >= 2 {
                    return (false, Vec::new());
                }
                if viterbi_path(&sc.nodes, w.len(), true, &mut sc.best, &mut sc.path).is_none() {
                    return (true, Vec::new());
                }
                let ids = sc.path.iter().map(|&k| sc.nodes[k as usize].id);
                (true, ids.collect())
            })
            .collect();
        let freq: Vec<f64> = self
            .viterbi_freqs(words)
            .into_iter()
            .map(|x| x as f64)
            .collect();
        let sum: f64 = freq.iter().sum();
        let logsum = sum.ln();
        let mut kept = Vec::new();
        let mut cands: Vec<(usize, f64)> = Vec::new();
        for (i, (keep, alt)) in alts.iter().enumerate() {
            if freq[i] == 0.0 || !keep {
                continue;
            }
            if alt.is_empty() {
                kept.push(self.pieces[i]);
                continue;
            }
            let logprob_sp = freq[i].ln() - logsum;
            let logsum_alt = (sum + freq[i] * (alt.len() as f64 - 1.0)).ln();
            let logprob_alt: f64 = alt
                .iter()
                .map(|&n| (freq[n as usize] + freq[i]).ln() - logsum_alt)
                .sum();
            let loss = freq[i] / sum * (logprob_sp - logprob_alt);
            cands.push((i, loss));
        }
        let target = desired.max((shrinking as f32 * self.pieces.len() as f32) as usize);
        cands.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (i, _) in cands {
            // SentencePiece stops on equality only: if the always-kept pieces
            // already exceed the target, every candidate is kept.
            if kept.len() == target {
                break;
            }
            kept.push(self.pieces[i]);
        }
        kept
    }

    /// Drops pieces whose own text is segmented better without them
    /// (SentencePiece's `PruneUnreachableSentencePieces`).
    pub fn prune_unreachable(&self) -> Vec<(u32, f32)> {
        let keep: Vec<bool> = (0..self.pieces.len())
            .into_par_iter()
            .map_init(Scratch::default, |sc, i| {
                let w = self.seed_bytes(self.pieces[i].0);
                self.nodes(w, &mut sc.nodes);
                let full = w.len() as u32;
                let Some(own) = sc
                    .nodes
                    .iter()
                    .find(|nd| nd.start == 0 && nd.end == full && nd.id == i as u32)
                else {
                    return false;
                };
                let original = own.score as f32;
                match viterbi_path(&sc.nodes, w.len(), true, &mut sc.best, &mut sc.path) {
                    Some(alt) => alt <= original,
                    None => true,
                }
            })
            .collect();
        self.pieces
            .iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(p, _)| *p)
            .collect()
    }
}

/// Per-thread buffers of the per-piece searches.
#[derive(Default)]
struct Scratch {
    nodes: Vec<Node>,
    best: Vec<(f32, u32)>,
    path: Vec<u32>,
}

/// Viterbi over `nodes` (sorted by start) of a text of `len` bytes, with
/// SentencePiece's tie rule (first found, i.e. earliest start, wins) and f32
/// sums. With `skip_full`, the node spanning the whole text is left out.
/// Fills `path` with node indices and returns the score, or `None` when no
/// path exists.
fn viterbi_path(
    nodes: &[Node],
    len: usize,
    skip_full: bool,
    best: &mut Vec<(f32, u32)>,
    path: &mut Vec<u32>,
) -> Option<f32> {
    const NONE: u32 = u32::MAX;
    path.clear();
    best.clear();
    best.resize(len + 1, (0.0, NONE));
    for (k, nd) in nodes.iter().enumerate() {
        let (s, e) = (nd.start as usize, nd.end as usize);
        if (s > 0 && best[s].1 == NONE) || (skip_full && s == 0 && e == len) {
            continue;
        }
        let cand = best[s].0 + nd.score as f32;
        let t = &mut best[e];
        if t.1 == NONE || cand > t.0 {
            *t = (cand, k as u32);
        }
    }
    if best[len].1 == NONE {
        return None;
    }
    let mut e = len;
    while e > 0 {
        let k = best[e].1;
        path.push(k);
        e = nodes[k as usize].start as usize;
    }
    path.reverse();
    Some(best[len].0)
}

/// A zeroed buffer of `n` values (reusing `v`), returned by reference.
fn vec_len_buf(v: &mut Vec<f64>, n: usize) -> &mut Vec<f64> {
    v.clear();
    v.resize(n, 0.0);
    v
}

/// SentencePiece's digamma approximation.
pub(crate) fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 7.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    x -= 0.5;
    let xx = 1.0 / x;
    let xx2 = xx * xx;
    let xx4 = xx2 * xx2;
    result + x.ln() + (1.0 / 24.0) * xx2 - (7.0 / 960.0) * xx4 + (31.0 / 8064.0) * xx4 * xx2
        - (127.0 / 30720.0) * xx4 * xx4
}
