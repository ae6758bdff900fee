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
//!   saves two dependent misses per token: 34 / 29 → 42 / 33 (with the new
//!   piece cache of `cache.rs`);
//! - a per-thread direct-mapped memo of `compatible` (2^16 slots, 512 KB):
//!   token pairs repeat, and a hit replaces a chain of `split` and `pair`
//!   lookups: 42 / 33 → 45 / 37. 2^14 and 2^18 slots were not better.
//! - tried and rejected: an open-addressing map with keys and values in one
//!   slot array instead of `FxHashMap` for `pair`, the merge table and the
//!   whole-token table. It was 30-50% slower on everything but whole-token
//!   hits: most lookups here are misses, which hashbrown answers from its
//!   small control-byte array without touching the slots.

use rustc_hash::FxHashMap;

const NONE: u32 = u32::MAX;
/// Slots (log2) of the per-thread memo of [`Backtrack::compatible`]: a
/// direct-mapped table of `(left, right)` keys with the answer in the top bit.
const MEMO_BITS: u32 = 16;

thread_local! {
    static MEMO: std::cell::RefCell<(u64, Vec<u64>)> = const { std::cell::RefCell::new((0, Vec::new())) };
}

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
    /// Identifies this table set to the per-thread memo.
    owner: u64,
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
            owner: super::cache::new_owner(),
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
        for (id, p) in patterns.iter().enumerate() {
            out.clear();
            bt.encode(p, &mut out);
            if out.as_slice() != [id as u32] {
                return None;
            }
        }
        Some(bt)
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
    #[inline]
    fn compatible_memo(&self, a: u32, b: u32, memo: &mut [u64]) -> bool {
        let key = pack(a, b);
        let i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - MEMO_BITS)) as usize;
        let e = memo[i];
        if e & !(1 << 63) == key {
            return e >> 63 == 1;
        }
        let r = self.compatible(a, b);
        memo[i] = key | (u64::from(r) << 63);
        r
    }

    /// Appends the BPE encoding of `text` to `out`.
    pub fn encode(&self, text: &[u8], out: &mut Vec<u32>) {
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            if m.0 != self.owner {
                m.1.clear();
                m.1.resize(1 << MEMO_BITS, u64::MAX);
                m.0 = self.owner;
            }
            self.encode_memo(text, out, &mut m.1);
        });
    }

    fn encode_memo(&self, text: &[u8], out: &mut Vec<u32>, memo: &mut [u64]) {
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
        let mut next = self.longest_match(text);
        while let Some(mut token) = next {
            let last = (out.len() > base).then(|| out[out.len() - 1]);
            loop {
                let end = pos + self.len[token as usize] as usize;
                let ok = alive[end / 64] & (1 << (end % 64)) != 0
                    && last.is_none_or(|l| self.compatible_memo(l, token, memo));
                if ok {
                    out.push(token);
                    pos = end;
                    next = self.longest_match(&text[end..]);
                    break;
                }
                let shorter = self.next_prefix[token as usize];
                if shorter != NONE {
                    token = shorter;
                    continue;
                }
                alive[pos / 64] &= !(1 << (pos % 64));
                let Some(l) = last else {
                    // Unreachable for a vocabulary that passed `build`'s check.
                    next = None;
                    break;
                };
                out.pop();
                pos -= self.len[l as usize] as usize;
                next = Some(l);
                break;
            }
        }
    }
}

/// A trie node: the token ending here (or `NONE`) and its children, a sorted
/// run in `labels`/`targets`, or (when `len == DENSE`) block `start` of
/// `dense`. One struct, so a step touches one cache line for the node.
#[derive(Debug, Clone, Copy)]
struct Node {
    token: u32,
    start: u32,
    len: u32,
}

const DENSE: u32 = u32::MAX;
/// Nodes with more children than this get a dense 256-entry block.
const DENSE_FROM: usize = 8;

/// A byte trie over the tokens answering "longest token that is a prefix".
#[derive(Debug, Clone)]
struct PrefixTrie {
    /// Node reached by each two-byte prefix (`first << 8 | second`), or `NONE`.
    root2: Vec<u32>,
    /// Token of each one-byte prefix, or `NONE`.
    root1: [u32; 256],
    nodes: Vec<Node>,
    labels: Vec<u8>,
    targets: Vec<u32>,
    dense: Vec<u32>,
}

impl PrefixTrie {
    fn new(patterns: &[&[u8]]) -> Self {
        // Node 0 is the root.
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
        let mut t = PrefixTrie {
            root2: Vec::new(),
            root1: [NONE; 256],
            nodes: token
                .iter()
                .map(|&token| Node {
                    token,
                    start: 0,
                    len: 0,
                })
                .collect(),
            labels: Vec::with_capacity(list.len()),
            targets: Vec::with_capacity(list.len()),
            dense: Vec::new(),
        };
        for group in list.chunk_by(|x, y| x.0 == y.0) {
            let node = group[0].0 as usize;
            if group.len() > DENSE_FROM || node == 0 {
                let block = t.dense.len() / 256;
                t.dense.resize(t.dense.len() + 256, NONE);
                for &(_, b, c) in group {
                    t.dense[block * 256 + b as usize] = c;
                }
                t.nodes[node].start = block as u32;
                t.nodes[node].len = DENSE;
            } else {
                t.nodes[node].start = t.labels.len() as u32;
                t.nodes[node].len = group.len() as u32;
                for &(_, b, c) in group {
                    t.labels.push(b);
                    t.targets.push(c);
                }
            }
        }
        t.root2 = vec![NONE; 1 << 16];
        for b0 in 0..=255u8 {
            let n1 = t.child(t.nodes[0], b0);
            if n1 == NONE {
                continue;
            }
            t.root1[b0 as usize] = t.nodes[n1 as usize].token;
            for b1 in 0..=255u8 {
                t.root2[(b0 as usize) << 8 | b1 as usize] = t.child(t.nodes[n1 as usize], b1);
            }
        }
        t
    }

    #[inline]
    fn child(&self, k: Node, b: u8) -> u32 {
        if k.len == DENSE {
            return self.dense[k.start as usize * 256 + b as usize];
        }
        let s = k.start as usize;
        let labels = &self.labels[s..s + k.len as usize];
        match labels.iter().position(|&l| l == b) {
            Some(i) => self.targets[s + i],
            None => NONE,
        }
    }

    /// The longest token that is a prefix of `text`.
    #[inline]
    fn longest(&self, text: &[u8]) -> Option<u32> {
        let (mut node, mut best, rest) = match text {
            [] => return None,
            [b] => {
                let t = self.root1[*b as usize];
                return (t != NONE).then_some(t);
            }
            [b0, b1, rest @ ..] => {
                let best = self.root1[*b0 as usize];
                let n2 = self.root2[(*b0 as usize) << 8 | *b1 as usize];
                if n2 == NONE {
                    return (best != NONE).then_some(best);
                }
                let node = self.nodes[n2 as usize];
                let best = if node.token != NONE { node.token } else { best };
                (node, best, rest)
            }
        };
        for &b in rest {
            let next = self.child(node, b);
            if next == NONE {
                break;
            }
            node = self.nodes[next as usize];
            if node.token != NONE {
                best = node.token;
            }
        }
        (best != NONE).then_some(best)
    }
}
