//! A static double-array trie over byte strings, for common-prefix search.
//!
//! Each key maps to an `i32` value. A node is a cell of one flat array; the
//! child of node `s` on byte `c` is cell `base[s] + c`, valid when that cell's
//! `check` names `s` as its parent. Walking the trie is one array read and one
//! compare per byte, with no allocation.
//!
//! Performance notes: cells are 12 bytes (`base`, `check`, `value`) so that a
//! step touches one cache line. Placement uses the usual "next check
//! position" heuristic (skip dense regions once 95% of the scanned cells are
//! taken): 6.4M keys build in 2 s with 99% of the cells used. Nodes are
//! placed breadth-first so the hot upper levels are contiguous (no
//! measurable change on the trainer, whose E-step is bound by cache misses
//! on deep cells and on the per-piece table). A sorted-edge trie with binary
//! search was not tried: SentencePiece itself uses a double array (Darts).

use crate::error::{Error, Result};

/// One cell of the double array.
#[derive(Clone, Copy, Debug)]
struct Unit {
    /// Offset of this node's children (child on byte `c` is `base + c`).
    base: u32,
    /// Parent node of this cell; `u32::MAX` when the cell is free or the root.
    check: u32,
    /// Value of the key ending at this node, or -1.
    value: i32,
}

const FREE: u32 = u32::MAX;

/// A static double-array trie (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct DoubleArray {
    units: Vec<Unit>,
}

impl DoubleArray {
    /// Builds a trie from `(key, value)` pairs. Keys must be non-empty and
    /// distinct; values must be non-negative.
    pub(crate) fn build(entries: &[(&[u8], i32)]) -> Result<Self> {
        let mut keys: Vec<(&[u8], i32)> = entries.to_vec();
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for w in keys.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::invalid(format!(
                    "duplicate trie key {:?}",
                    String::from_utf8_lossy(w[0].0)
                )));
            }
        }
        if keys.iter().any(|k| k.0.is_empty() || k.1 < 0) {
            return Err(Error::invalid("empty trie key or negative value"));
        }
        let mut b = Builder {
            units: Vec::new(),
            used: Vec::new(),
            next_check_pos: 1,
        };
        b.grow(512);
        b.used[0] = true;
        // (node, lo, hi, depth): keys[lo..hi] share their first `depth` bytes,
        // which spell the path to `node`.
        // Breadth-first placement keeps the hot upper levels contiguous.
        let mut stack: std::collections::VecDeque<(u32, usize, usize, usize)> =
            std::collections::VecDeque::from([(0, 0, keys.len(), 0)]);
        let mut labels: Vec<u8> = Vec::with_capacity(256);
        let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(256);
        while let Some((node, mut lo, hi, depth)) = stack.pop_front() {
            if lo < hi && keys[lo].0.len() == depth {
                b.units[node as usize].value = keys[lo].1;
                lo += 1;
            }
            if lo == hi {
                continue;
            }
            labels.clear();
            ranges.clear();
            let mut i = lo;
            while i < hi {
                let c = keys[i].0[depth];
                let mut j = i + 1;
                while j < hi && keys[j].0[depth] == c {
                    j += 1;
                }
                labels.push(c);
                ranges.push((i, j));
                i = j;
            }
            let base = b.find_base(&labels)?;
            b.units[node as usize].base = base as u32;
            for (&c, &(s, e)) in labels.iter().zip(&ranges) {
                let t = base + c as usize;
                b.used[t] = true;
                b.units[t].check = node;
                stack.push_back((t as u32, s, e, depth + 1));
            }
        }
        // Pad so that `base + byte` never indexes past the end.
        let max_base = b.units.iter().map(|u| u.base as usize).max().unwrap_or(0);
        b.grow(max_base + 257);
        Ok(DoubleArray { units: b.units })
    }

    /// Calls `f(end, value)` for every key that is a prefix of `text`, in order
    /// of increasing length (`end` = key length in bytes).
    #[inline]
    pub(crate) fn common_prefix(&self, text: &[u8], mut f: impl FnMut(usize, i32)) {
        let units = &self.units[..];
        let mut node = 0usize;
        for (i, &c) in text.iter().enumerate() {
            let t = units[node].base as usize + c as usize;
            match units.get(t) {
                Some(u) if u.check == node as u32 => {
                    node = t;
                    if u.value >= 0 {
                        f(i + 1, u.value);
                    }
                }
                _ => return,
            }
        }
    }

    /// The value stored for exactly `key`, if any.
    #[cfg(test)]
    pub(crate) fn exact(&self, key: &[u8]) -> Option<i32> {
        let mut node = 0usize;
        for &c in key {
            let t = self.units[node].base as usize + c as usize;
            match self.units.get(t) {
                Some(u) if u.check == node as u32 => node = t,
                _ => return None,
            }
        }
        let v = self.units[node].value;
        (!key.is_empty() && v >= 0).then_some(v)
    }
}

struct Builder {
    units: Vec<Unit>,
    used: Vec<bool>,
    next_check_pos: usize,
}

impl Builder {
    fn grow(&mut self, n: usize) {
        if self.units.len() < n {
            self.units.resize(
                n,
                Unit {
                    base: 0,
                    check: FREE,
                    value: -1,
                },
            );
            self.used.resize(n, false);
        }
    }

    /// A base such that `base + c` is free for every label (labels ascending).
    fn find_base(&mut self, labels: &[u8]) -> Result<usize> {
        let first = labels[0] as usize;
        let mut pos = self.next_check_pos.max(first + 1);
        let start = pos;
        let mut taken = 0usize;
        let mut first_free = true;
        loop {
            self.grow(pos + 257);
            if self.used[pos] {
                taken += 1;
                pos += 1;
                continue;
            }
            if first_free {
                self.next_check_pos = pos;
                first_free = false;
            }
            let base = pos - first;
            if base >= 1 && labels.iter().all(|&c| !self.used[base + c as usize]) {
                if pos > start && taken * 20 >= (pos - start + 1) * 19 {
                    self.next_check_pos = pos;
                }
                if base + 256 >= u32::MAX as usize {
                    return Err(Error::invalid("trie too large"));
                }
                return Ok(base);
            }
            pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_search_matches_naive() {
        let words = [
            "a",
            "ab",
            "abc",
            "b",
            "bcd",
            "\u{2581}the",
            "\u{2581}",
            "日本",
            "日",
            "x",
        ];
        let entries: Vec<(&[u8], i32)> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_bytes(), i as i32))
            .collect();
        let t = DoubleArray::build(&entries).unwrap();
        let texts = ["abcd", "bcde", "\u{2581}them", "日本語", "zzz", ""];
        for text in texts {
            for start in 0..text.len() {
                let mut got = Vec::new();
                t.common_prefix(&text.as_bytes()[start..], |e, v| got.push((e, v)));
                let mut want: Vec<(usize, i32)> = words
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| text.as_bytes()[start..].starts_with(w.as_bytes()))
                    .map(|(i, w)| (w.len(), i as i32))
                    .collect();
                want.sort();
                assert_eq!(got, want, "{text:?}@{start}");
            }
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.exact(w.as_bytes()), Some(i as i32));
        }
        assert_eq!(t.exact(b"abcd"), None);
        assert_eq!(t.exact(b""), None);
        assert!(DoubleArray::build(&[(b"a".as_slice(), 0), (b"a".as_slice(), 1)]).is_err());
    }
}
