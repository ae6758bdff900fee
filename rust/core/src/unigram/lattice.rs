//! The full segmentation lattice, as SentencePiece's `unigram::Lattice`:
//! Viterbi, exact n-best by A* search, and forward-filtering
//! backward-sampling.
//!
//! Positions are characters. Nodes are stored flat: node 0 is BOS, node 1 is
//! EOS, then the pieces in insertion order (by start position, then length),
//! which is the order SentencePiece visits them; the nodes ending at each
//! position are a CSR list in that same order, so ties resolve identically.
//! The A* agenda reproduces `std::priority_queue` on libstdc++ (same sift-up /
//! sift-down), including the agenda shrinking and the fall-back to Viterbi,
//! so that equal-score hypotheses come out in SentencePiece's order.
//!
//! Performance notes: n-best and sampling build the whole lattice, unlike
//! `encode`; they are not on the hot path of training or inference.

use super::model::{char_len, user_defined_score, K_UNUSED, K_USER};
use super::trie::DoubleArray;
use rustc_hash::FxHashMap;

/// What the lattice needs from a vocabulary.
pub(crate) struct LatticeVocab<'a> {
    /// Pieces; value = id into `info`.
    pub trie: &'a DoubleArray,
    /// Per id: (score, kind code).
    pub info: &'a [(f32, u8)],
    /// Id given to unknown nodes.
    pub unk_id: i32,
    /// Score of unknown nodes.
    pub unk_score: f32,
}

/// One lattice node.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Node {
    /// Start, in characters.
    pub pos: u32,
    /// Length, in characters.
    pub len: u32,
    /// Vocabulary id (-1 for BOS/EOS).
    pub id: i32,
    /// Piece score.
    pub score: f32,
    /// Best score from BOS through this node (after [`Lattice::viterbi`]).
    pub backtrace: f32,
    /// Best previous node (after [`Lattice::viterbi`]).
    pub prev: u32,
}

const NONE: u32 = u32::MAX;
const BOS: u32 = 0;
const EOS: u32 = 1;

/// A segmentation lattice (see the module docs).
#[derive(Default)]
pub(crate) struct Lattice {
    /// Byte offset of each character start, plus the end.
    surface: Vec<u32>,
    pub nodes: Vec<Node>,
    /// Nodes beginning at position p: `begin_start[p]..begin_start[p+1]`
    /// (pieces only; EOS is handled apart).
    begin_start: Vec<u32>,
    /// CSR of nodes ending at each position (BOS first at 0).
    end_start: Vec<u32>,
    end_list: Vec<u32>,
}

impl Lattice {
    /// Number of characters.
    pub fn len(&self) -> usize {
        self.surface.len().saturating_sub(1)
    }

    /// Fills the lattice for `text` (SentencePiece's `PopulateNodes`).
    pub fn populate(&mut self, text: &str, vocab: &LatticeVocab<'_>) {
        let bytes = text.as_bytes();
        self.surface.clear();
        let mut i = 0;
        while i < bytes.len() {
            self.surface.push(i as u32);
            i += char_len(bytes[i]).min(bytes.len() - i);
        }
        self.surface.push(bytes.len() as u32);
        let n = self.len();
        self.nodes.clear();
        let eos_node = Node {
            pos: n as u32,
            id: -1,
            prev: NONE,
            ..Node::default()
        };
        self.nodes.push(Node {
            id: -1,
            prev: NONE,
            ..Node::default()
        });
        self.nodes.push(eos_node);
        self.begin_start.clear();
        for p in 0..n {
            self.begin_start.push(self.nodes.len() as u32);
            let start = self.surface[p] as usize;
            let mut has_single = false;
            let surface = &self.surface;
            let nodes = &mut self.nodes;
            let mut cursor = p;
            vocab.trie.common_prefix(&bytes[start..], |blen, id| {
                let (score, kind) = vocab.info[id as usize];
                if kind == K_UNUSED {
                    return;
                }
                let end = (start + blen) as u32;
                while surface[cursor] < end {
                    cursor += 1;
                }
                let len = cursor - p;
                let score = if kind == K_USER {
                    user_defined_score(len)
                } else {
                    score
                };
                nodes.push(Node {
                    pos: p as u32,
                    len: len as u32,
                    id,
                    score,
                    backtrace: 0.0,
                    prev: NONE,
                });
                has_single |= len == 1;
            });
            if !has_single {
                self.nodes.push(Node {
                    pos: p as u32,
                    len: 1,
                    id: vocab.unk_id,
                    score: vocab.unk_score,
                    backtrace: 0.0,
                    prev: NONE,
                });
            }
        }
        self.begin_start.push(self.nodes.len() as u32);
        // Ending lists, stable in insertion order.
        self.end_start.clear();
        self.end_start.resize(n + 2, 0);
        self.end_start[1] = 1; // BOS ends at 0
        for nd in &self.nodes[2..] {
            self.end_start[(nd.pos + nd.len) as usize + 1] += 1;
        }
        for p in 0..=n {
            self.end_start[p + 1] += self.end_start[p];
        }
        self.end_list.clear();
        self.end_list.resize(self.end_start[n + 1] as usize, 0);
        let mut fill: Vec<u32> = self.end_start[..=n].to_vec();
        self.end_list[0] = BOS;
        fill[0] = 1;
        for (k, nd) in self.nodes.iter().enumerate().skip(2) {
            let e = (nd.pos + nd.len) as usize;
            self.end_list[fill[e] as usize] = k as u32;
            fill[e] += 1;
        }
    }

    /// Pieces beginning at `p` (EOS included at the end position).
    fn begin(&self, p: usize) -> std::ops::Range<usize> {
        if p == self.len() {
            EOS as usize..EOS as usize + 1
        } else {
            self.begin_start[p] as usize..self.begin_start[p + 1] as usize
        }
    }

    /// Nodes ending at `p`.
    fn end(&self, p: usize) -> &[u32] {
        &self.end_list[self.end_start[p] as usize..self.end_start[p + 1] as usize]
    }

    /// Viterbi: the best path (node indices, BOS/EOS excluded) and its score.
    pub fn viterbi(&mut self) -> (Vec<u32>, f32) {
        let n = self.len();
        if n == 0 {
            return (Vec::new(), 0.0);
        }
        for p in 0..=n {
            for r in self.begin(p) {
                let rscore = self.nodes[r].score;
                let mut best = NONE;
                let mut best_score = 0.0f32;
                for &l in self.end(p) {
                    let s = self.nodes[l as usize].backtrace + rscore;
                    if best == NONE || s > best_score {
                        best = l;
                        best_score = s;
                    }
                }
                self.nodes[r].prev = best;
                self.nodes[r].backtrace = best_score;
            }
        }
        let mut path = Vec::new();
        let mut k = self.nodes[EOS as usize].prev;
        while k != NONE && self.nodes[k as usize].prev != NONE {
            path.push(k);
            k = self.nodes[k as usize].prev;
        }
        path.reverse();
        (path, self.nodes[EOS as usize].backtrace)
    }

    /// `(id, byte_start, byte_end)` of each node of `path`.
    pub fn spans(&self, path: &[u32]) -> Vec<(u32, u32, u32)> {
        path.iter()
            .map(|&k| {
                let nd = &self.nodes[k as usize];
                (
                    nd.id as u32,
                    self.surface[nd.pos as usize],
                    self.surface[(nd.pos + nd.len) as usize],
                )
            })
            .collect()
    }

    /// The `nbest` best paths by A* (SentencePiece's `NBest(n, false, _)`).
    pub fn nbest(&mut self, nbest: usize) -> Vec<(Vec<u32>, f32)> {
        let n = self.len();
        if nbest < 1 || n == 0 {
            return Vec::new();
        }
        if nbest == 1 {
            return vec![self.viterbi()];
        }
        const MAX_AGENDA: usize = 10000;
        const MIN_AGENDA: usize = 512;
        const MAX_HYPS: usize = 100000;
        const MAX_ALLOC: usize = 500000;
        const MAX_SHRINK: usize = 10;
        let min_agenda = MIN_AGENDA.min(nbest * 10);
        self.viterbi();
        let mut hyps: Vec<Hyp> = vec![Hyp {
            node: EOS,
            next: NONE,
            fx: self.nodes[EOS as usize].backtrace,
            gx: 0.0,
        }];
        let mut agenda = Agenda::default();
        agenda.push(0, &hyps);
        let mut max_hyps = MAX_HYPS;
        let mut total = 1usize;
        let mut shrinks = 0usize;
        let mut results: Vec<(Vec<u32>, f32)> = Vec::new();
        while let Some(top) = agenda.pop(&hyps) {
            let th = hyps[top as usize];
            if th.node == BOS {
                let mut path = Vec::new();
                let mut h = th.next;
                while h != NONE && hyps[h as usize].next != NONE {
                    path.push(hyps[h as usize].node);
                    if path.len() > n {
                        break;
                    }
                    h = hyps[h as usize].next;
                }
                results.push((path, th.fx));
                if results.len() == nbest {
                    break;
                }
                continue;
            }
            let pos = self.nodes[th.node as usize].pos as usize;
            let ends = self.end(pos);
            for &l in ends {
                let ln = &self.nodes[l as usize];
                hyps.push(Hyp {
                    node: l,
                    next: top,
                    fx: ln.backtrace + th.gx,
                    gx: ln.score + th.gx,
                });
                agenda.push((hyps.len() - 1) as u32, &hyps);
            }
            total += ends.len();
            if total >= MAX_ALLOC || hyps.len() >= MAX_ALLOC {
                return vec![self.viterbi()];
            }
            if agenda.len() >= MAX_AGENDA || (agenda.len() > min_agenda && hyps.len() >= max_hyps) {
                if shrinks >= MAX_SHRINK {
                    return vec![self.viterbi()];
                }
                shrinks += 1;
                let keep = agenda.len().min(min_agenda);
                let mut new_hyps: Vec<Hyp> = Vec::new();
                let mut map: FxHashMap<u32, u32> = FxHashMap::default();
                let mut new_agenda = Agenda::default();
                for _ in 0..keep {
                    let Some(h) = agenda.pop(&hyps) else { break };
                    let c = clone_chain(h, &hyps, &mut new_hyps, &mut map);
                    new_agenda.push(c, &new_hyps);
                }
                agenda = new_agenda;
                hyps = new_hyps;
                max_hyps = hyps.len() + MAX_HYPS;
            }
        }
        results
    }

    /// Forward log-sums with scores scaled by `theta`: `alpha[k]` = log of the
    /// total weight of paths from BOS to the start of node `k`.
    fn forward(&self, theta: f64) -> Vec<f64> {
        let mut alpha = vec![0.0f64; self.nodes.len()];
        for p in 0..=self.len() {
            let ends = self.end(p);
            let mut acc = f64::NEG_INFINITY;
            for &l in ends {
                let v = theta * self.nodes[l as usize].score as f64 + alpha[l as usize];
                acc = log_add(acc, v);
            }
            for r in self.begin(p) {
                alpha[r] = acc;
            }
        }
        alpha
    }

    /// A path drawn with probability ∝ exp(theta · path score).
    pub fn sample(&self, theta: f64, rng: &mut SplitMix64) -> Vec<u32> {
        let n = self.len();
        if n == 0 {
            return Vec::new();
        }
        let alpha = self.forward(theta);
        let mut path = Vec::new();
        let mut logits = Vec::new();
        let mut node = EOS;
        loop {
            let ends = self.end(self.nodes[node as usize].pos as usize);
            logits.clear();
            logits.extend(
                ends.iter()
                    .map(|&l| alpha[l as usize] + theta * self.nodes[l as usize].score as f64),
            );
            node = ends[sample_logits(&logits, rng)];
            if node == BOS {
                break;
            }
            path.push(node);
            if path.len() > n {
                break;
            }
        }
        path.reverse();
        path
    }
}

/// log(exp(a) + exp(b)).
#[inline]
pub(crate) fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// An index drawn with probability ∝ exp(logits[i]) (non-finite → 0; all
/// zero → index 0, as SentencePiece's `SanitizeDiscreteProbs`).
pub(crate) fn sample_logits(logits: &[f64], rng: &mut SplitMix64) -> usize {
    let m = logits
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return 0;
    }
    let total: f64 = logits
        .iter()
        .map(|&v| if v.is_finite() { (v - m).exp() } else { 0.0 })
        .sum();
    let mut u = rng.next_f64() * total;
    let mut last = 0;
    for (i, &v) in logits.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        let w = (v - m).exp();
        if w > 0.0 {
            last = i;
            if u < w {
                return i;
            }
            u -= w;
        }
    }
    last
}

/// A small deterministic PRNG (SplitMix64).
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// An A* hypothesis: a partial path from EOS back to `node`.
#[derive(Clone, Copy)]
struct Hyp {
    node: u32,
    next: u32,
    fx: f32,
    gx: f32,
}

/// Copies hypothesis `h` and its `next` chain into `to` (sharing already
/// copied ones), returning the copy's index.
fn clone_chain(h: u32, from: &[Hyp], to: &mut Vec<Hyp>, map: &mut FxHashMap<u32, u32>) -> u32 {
    let mut chain = Vec::new();
    let mut cur = h;
    let mut tail = NONE;
    while cur != NONE {
        if let Some(&c) = map.get(&cur) {
            tail = c;
            break;
        }
        chain.push(cur);
        cur = from[cur as usize].next;
    }
    // Allocate in chain order (as SentencePiece does), link afterwards.
    let first = to.len() as u32;
    for (i, &old) in chain.iter().enumerate() {
        let mut hy = from[old as usize];
        hy.next = if i + 1 < chain.len() {
            first + i as u32 + 1
        } else {
            tail
        };
        map.insert(old, first + i as u32);
        to.push(hy);
    }
    if chain.is_empty() {
        tail
    } else {
        first
    }
}

/// `std::priority_queue<Hyp*, vector, fx-less>` with libstdc++'s heap moves.
#[derive(Default)]
struct Agenda(Vec<u32>);

impl Agenda {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn less(hyps: &[Hyp], a: u32, b: u32) -> bool {
        hyps[a as usize].fx < hyps[b as usize].fx
    }

    /// `__push_heap` from `hole` up to `top` with `value`.
    fn sift_up(&mut self, mut hole: usize, top: usize, value: u32, hyps: &[Hyp]) {
        let h = &mut self.0;
        while hole > top {
            let parent = (hole - 1) / 2;
            if !Self::less(hyps, h[parent], value) {
                break;
            }
            h[hole] = h[parent];
            hole = parent;
        }
        h[hole] = value;
    }

    fn push(&mut self, v: u32, hyps: &[Hyp]) {
        self.0.push(v);
        let hole = self.0.len() - 1;
        self.sift_up(hole, 0, v, hyps);
    }

    fn pop(&mut self, hyps: &[Hyp]) -> Option<u32> {
        let n = self.0.len();
        if n == 0 {
            return None;
        }
        let top = self.0[0];
        if n > 1 {
            // __pop_heap: move the last value out, adjust from the root.
            let value = self.0[n - 1];
            self.0[n - 1] = top;
            let len = n - 1;
            let h = &mut self.0;
            let mut hole = 0usize;
            let mut child = 0usize;
            while child < (len - 1) / 2 {
                child = 2 * (child + 1);
                if Self::less(hyps, h[child], h[child - 1]) {
                    child -= 1;
                }
                h[hole] = h[child];
                hole = child;
            }
            if len & 1 == 0 && child == (len - 2) / 2 {
                child = 2 * (child + 1);
                h[hole] = h[child - 1];
                hole = child - 1;
            }
            self.sift_up(hole, 0, value, hyps);
        }
        self.0.pop();
        Some(top)
    }
}
