//! Linear-time greedy longest-match-first (LinMaxMatch, Song et al. 2021,
//! "Fast WordPiece Tokenization").
//!
//! Two byte tries share one node array: the word-start trie holds every vocab
//! string as written, the suffix trie (root `SUFFIX_ROOT`) holds the tokens
//! that begin with the continuing-subword prefix, without it. So at the start
//! of a word a string is looked up as is and later with the prefix, exactly as
//! the classic algorithm (HF's) does. Each node has a failure link `f` and
//! failure pops `F`: the tokens the classic algorithm emits for the node's
//! string before it can go on, and the node where it then is. Matching walks
//! the text once: on a missing edge it emits `F(u)` and jumps to `f(u)`; a null
//! link means the word cannot be tokenized (`[UNK]`). Each byte is consumed
//! once and each failure jump emits at least one token, so the walk is linear.
//!
//! Performance notes: edges are stored per node, sorted, in flat arrays, with
//! a dense 256-entry table for the two roots (the nodes with most edges) and a
//! linear scan elsewhere (nodes below depth 1 rarely have more than a handful of
//! edges; a binary search measured no faster on a BERT vocab). Failure pops are
//! ranges into one flat `Vec<u32>`.

const NONE: u32 = u32::MAX;
/// Root of the word-start trie.
const START_ROOT: u32 = 0;
/// Root of the suffix trie.
const SUFFIX_ROOT: u32 = 1;

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Token whose (role) string is this node's path, or `NONE`.
    token: u32,
    /// Failure link, or `NONE`.
    fail: u32,
    /// Failure pops: `pops[pop_start..pop_start + pop_len]`.
    pop_start: u32,
    pop_len: u32,
    /// Edges: `edge_byte/edge_child[edge_start..edge_start + edge_len]`, sorted.
    edge_start: u32,
    edge_len: u32,
}

/// The LinMaxMatch automaton for one vocabulary.
#[derive(Debug, Clone)]
pub struct Matcher {
    nodes: Vec<Node>,
    edge_byte: Vec<u8>,
    edge_child: Vec<u32>,
    roots: Box<[[u32; 256]; 2]>,
    pops: Vec<u32>,
}

/// Trie under construction: children in maps, flattened at the end.
struct Builder {
    children: Vec<Vec<(u8, u32)>>,
    token: Vec<u32>,
}

impl Builder {
    fn insert(&mut self, root: u32, s: &[u8], id: u32) {
        let mut u = root as usize;
        for &b in s {
            let next = match self.children[u].iter().find(|e| e.0 == b) {
                Some(&(_, v)) => v as usize,
                None => {
                    let v = self.token.len();
                    self.children.push(Vec::new());
                    self.token.push(NONE);
                    self.children[u].push((b, v as u32));
                    v
                }
            };
            u = next;
        }
        if self.token[u] == NONE {
            self.token[u] = id;
        }
    }
}

impl Matcher {
    /// Builds the automaton: `tokens` are `(string, id)`; `prefix` is the
    /// continuing-subword prefix.
    pub fn new<'a>(tokens: impl Iterator<Item = (&'a str, u32)>, prefix: &str) -> Self {
        let mut b = Builder {
            children: vec![Vec::new(), Vec::new()],
            token: vec![NONE, NONE],
        };
        for (t, id) in tokens {
            if !t.is_empty() {
                b.insert(START_ROOT, t.as_bytes(), id);
            }
            if let Some(rest) = t.strip_prefix(prefix) {
                if !rest.is_empty() {
                    b.insert(SUFFIX_ROOT, rest.as_bytes(), id);
                }
            }
        }
        let n = b.token.len();
        let mut nodes = vec![
            Node {
                token: NONE,
                fail: NONE,
                pop_start: 0,
                pop_len: 0,
                edge_start: 0,
                edge_len: 0,
            };
            n
        ];
        let mut edge_byte = Vec::with_capacity(n);
        let mut edge_child = Vec::with_capacity(n);
        for (u, ch) in b.children.iter_mut().enumerate() {
            ch.sort_unstable();
            nodes[u].token = b.token[u];
            nodes[u].edge_start = edge_byte.len() as u32;
            nodes[u].edge_len = ch.len() as u32;
            for &(byte, v) in ch.iter() {
                edge_byte.push(byte);
                edge_child.push(v);
            }
        }
        let mut roots = Box::new([[NONE; 256]; 2]);
        for (r, table) in roots.iter_mut().enumerate() {
            for &(byte, v) in &b.children[r] {
                table[byte as usize] = v;
            }
        }
        let mut m = Matcher {
            nodes,
            edge_byte,
            edge_child,
            roots,
            pops: Vec::new(),
        };
        m.compute_failures(&b.children);
        m
    }

    /// Failure links and pops, breadth first over both tries (a node's link
    /// points to a shorter string, so it is always computed before).
    fn compute_failures(&mut self, children: &[Vec<(u8, u32)>]) {
        let mut queue = std::collections::VecDeque::from([START_ROOT, SUFFIX_ROOT]);
        let mut scratch: Vec<u32> = Vec::new();
        while let Some(u) = queue.pop_front() {
            for &(c, v) in &children[u as usize] {
                queue.push_back(v);
                scratch.clear();
                let fail;
                if self.nodes[v as usize].token != NONE {
                    scratch.push(self.nodes[v as usize].token);
                    fail = SUFFIX_ROOT;
                } else {
                    let nu = self.nodes[u as usize];
                    scratch.extend_from_slice(self.pops_of(nu));
                    let mut z = nu.fail;
                    while z != NONE && self.child(z, c) == NONE {
                        let nz = self.nodes[z as usize];
                        scratch.extend_from_slice(self.pops_of(nz));
                        z = nz.fail;
                    }
                    fail = if z == NONE { NONE } else { self.child(z, c) };
                }
                let node = &mut self.nodes[v as usize];
                node.fail = fail;
                node.pop_start = self.pops.len() as u32;
                node.pop_len = scratch.len() as u32;
                self.pops.extend_from_slice(&scratch);
            }
        }
    }

    #[inline]
    fn pops_of(&self, n: Node) -> &[u32] {
        &self.pops[n.pop_start as usize..(n.pop_start + n.pop_len) as usize]
    }

    #[inline]
    fn child(&self, u: u32, c: u8) -> u32 {
        if u <= SUFFIX_ROOT {
            return self.roots[u as usize][c as usize];
        }
        let n = self.nodes[u as usize];
        let s = n.edge_start as usize;
        let bytes = &self.edge_byte[s..s + n.edge_len as usize];
        match bytes.iter().position(|&x| x == c) {
            Some(i) => self.edge_child[s + i],
            None => NONE,
        }
    }

    /// Greedy longest-match tokens of `word` appended to `out`; `false` (and
    /// `out` unchanged) when some position cannot be matched.
    pub fn tokenize(&self, word: &[u8], out: &mut Vec<u32>) -> bool {
        let mark = out.len();
        let mut u = START_ROOT;
        for &c in word {
            loop {
                let v = self.child(u, c);
                if v != NONE {
                    u = v;
                    break;
                }
                let Some(f) = self.fail(u, out) else {
                    out.truncate(mark);
                    return false;
                };
                u = f;
            }
        }
        while u != SUFFIX_ROOT && u != START_ROOT {
            let Some(f) = self.fail(u, out) else {
                out.truncate(mark);
                return false;
            };
            u = f;
        }
        true
    }

    /// Follows the failure link of `u`, appending its popped tokens; `None`
    /// when `u` has none (the word cannot be tokenized).
    #[inline]
    fn fail(&self, u: u32, out: &mut Vec<u32>) -> Option<u32> {
        let n = self.nodes[u as usize];
        if n.fail == NONE {
            return None;
        }
        out.extend_from_slice(self.pops_of(n));
        Some(n.fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classic algorithm (HF's), the reference.
    fn classic(vocab: &[&str], prefix: &str, word: &str) -> Option<Vec<u32>> {
        let id = |s: &str| vocab.iter().position(|t| *t == s).map(|i| i as u32);
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        let mut out = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                let (s0, _) = chars[start];
                let e0 = chars.get(end).map_or(word.len(), |c| c.0);
                let sub = &word[s0..e0];
                let key = if start > 0 {
                    format!("{prefix}{sub}")
                } else {
                    sub.to_string()
                };
                if let Some(i) = id(&key) {
                    found = Some(i);
                    break;
                }
                end -= 1;
            }
            out.push(found?);
            start = end;
        }
        Some(out)
    }

    #[test]
    fn equals_the_classic_algorithm_on_all_short_words() {
        let vocab = [
            "a", "b", "c", "ab", "abc", "##a", "##b", "##c", "##bc", "##ca", "bca", "##", "#",
            "##abcab", "cab", "##ab", "é", "##é", "aé",
        ];
        let m = Matcher::new(vocab.iter().enumerate().map(|(i, t)| (*t, i as u32)), "##");
        let alphabet = ['a', 'b', 'c', '#', 'é', 'x'];
        let mut words = vec![String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for w in &words {
                for ch in alphabet {
                    next.push(format!("{w}{ch}"));
                }
            }
            for w in &next {
                let mut got = Vec::new();
                let ok = m.tokenize(w.as_bytes(), &mut got);
                let want = classic(&vocab, "##", w);
                assert_eq!(ok.then_some(got), want, "{w:?}");
            }
            words = next;
        }
    }
}
