//! SentencePiece's BPE encoding (`bpe_model.cc` + the id post-processing of
//! `SentencePieceProcessor::Encode`), exactly.
//!
//! The normalized text is split into characters (user-defined symbols matched
//! whole and frozen); then, repeatedly, the adjacent pair whose concatenation
//! is a vocabulary piece with the highest score is merged (ties: the leftmost
//! pair; scores are compared like sentencepiece, on their bit patterns).
//! Symbols that end up as UNUSED pieces are split back along the merges that
//! built them. Pieces not in the vocabulary become the unknown id (runs of
//! them merged into one), or with `byte_fallback` their UTF-8 bytes `<0xNN>`.
//!
//! Performance notes: symbols are a flat doubly linked list in a `Vec`; the
//! candidate pairs sit in a binary heap with lazy deletion (a stale entry is
//! recognised by its recorded length, as in sentencepiece), so encoding is
//! O(n log n) in the characters of the text, never quadratic. Pair lookups
//! hash the concatenated byte slice of the normalized text (no allocation)
//! and are skipped when longer than the longest piece.

use super::dropout::Rng;
use crate::error::Result;
use crate::formats::spm::normalizer::PrefixMatcher;
use crate::formats::spm::{check_pieces, SpmModelFile, SpmPieceType};
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Deepest resegmentation of UNUSED pieces (`kMaxBpeResegmentDepth`).
const MAX_RESEGMENT_DEPTH: u32 = 100;

/// A mergeable piece (NORMAL, USER_DEFINED or UNUSED).
#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u32,
    key: i32,
    unused: bool,
}

/// The order sentencepiece gives scores: by the float's bit pattern, which
/// orders like the float except that -0.0 < +0.0 and NaNs are ordered too.
fn score_key(score: f32) -> i32 {
    let b = score.to_bits() as i32;
    if b < 0 {
        b ^ 0x7fff_ffff
    } else {
        b
    }
}

/// A SentencePiece BPE model ready to encode normalized text.
#[derive(Clone, Debug)]
pub struct SpmBpe {
    map: FxHashMap<Box<[u8]>, Entry>,
    max_len: usize,
    unk: u32,
    byte_ids: Option<Vec<u32>>,
    matcher: PrefixMatcher,
}

#[derive(Clone, Copy, Debug)]
struct Symbol {
    start: u32,
    len: u32,
    prev: i32,
    next: i32,
    freeze: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pair {
    key: i32,
    left: u32,
    right: u32,
    size: u32,
}

impl Ord for Pair {
    fn cmp(&self, other: &Self) -> Ordering {
        // Highest score first, then the leftmost pair.
        self.key
            .cmp(&other.key)
            .then_with(|| other.left.cmp(&self.left))
    }
}

impl PartialOrd for Pair {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Byte length of the UTF-8 character starting with `b` (`OneCharLen`).
fn one_char_len(b: u8) -> usize {
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4][(b >> 4) as usize]
}

impl SpmBpe {
    /// Builds the encoder for model `m`, checking the pieces as sentencepiece
    /// does when it loads a BPE model (errors name `origin`).
    pub fn new(m: &SpmModelFile, origin: &str) -> Result<Self> {
        let check = check_pieces(m, true, origin)?;
        let mut map = FxHashMap::default();
        map.reserve(m.pieces.len());
        let mut max_len = 0;
        for (i, p) in m.pieces.iter().enumerate() {
            if check.skipped[i] {
                continue;
            }
            if matches!(
                p.kind,
                SpmPieceType::Normal | SpmPieceType::UserDefined | SpmPieceType::Unused
            ) {
                max_len = max_len.max(p.piece.len());
                map.insert(
                    p.piece.as_bytes().into(),
                    Entry {
                        id: i as u32,
                        key: score_key(p.score),
                        unused: p.kind == SpmPieceType::Unused,
                    },
                );
            }
        }
        let matcher = PrefixMatcher::new(
            m.pieces
                .iter()
                .filter(|p| p.kind == SpmPieceType::UserDefined)
                .map(|p| p.piece.as_str()),
        );
        Ok(SpmBpe {
            map,
            max_len,
            unk: check.unk.unwrap_or(u32::MAX),
            byte_ids: check.byte_ids,
            matcher,
        })
    }

    /// The id of the unknown piece, if the model has one.
    pub fn unk_id(&self) -> Option<u32> {
        (self.unk != u32::MAX).then_some(self.unk)
    }

    /// Encodes normalized text (the output of
    /// [`SpmNormalizer`](crate::formats::spm::SpmNormalizer)) into
    /// `(id, byte_start, byte_end)` spans of `normalized`. Unknown runs are
    /// one span; with byte fallback each byte is its own one-byte span.
    pub fn encode(&self, normalized: &str) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        self.encode_into(normalized, &mut out);
        out
    }

    /// Encodes normalized text into ids only.
    pub fn encode_ids(&self, normalized: &str) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_into(normalized, &mut out);
        out.into_iter().map(|t| t.0).collect()
    }

    /// Like [`SpmBpe::encode`], appending to `out`.
    pub fn encode_into(&self, normalized: &str, out: &mut Vec<(u32, u32, u32)>) {
        self.encode_into_sampled(normalized, out, None);
    }

    /// BPE-dropout as SentencePiece's `SampleEncode`: each merge popped from
    /// the agenda is dropped with probability `alpha` (for good, unless a
    /// neighbour's merge creates the pair again); `alpha >= 1` merges nothing.
    pub(crate) fn encode_dropout(&self, normalized: &str, alpha: f32, rng: &mut Rng) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_into_sampled(normalized, &mut out, Some((alpha, rng)));
        out.into_iter().map(|t| t.0).collect()
    }

    fn encode_into_sampled(
        &self,
        normalized: &str,
        out: &mut Vec<(u32, u32, u32)>,
        mut dropout: Option<(f32, &mut Rng)>,
    ) {
        if normalized.is_empty() || normalized.len() > u32::MAX as usize / 2 {
            return;
        }
        let text = normalized.as_bytes();
        let mut symbols: Vec<Symbol> = Vec::with_capacity(text.len());
        let mut pos = 0usize;
        while pos < text.len() {
            let rest = &text[pos..];
            let user = if self.matcher.is_empty() {
                None
            } else {
                self.matcher.longest(rest)
            };
            let (len, freeze) = match user {
                Some(n) => (n, true),
                None => (one_char_len(rest[0]).min(rest.len()), false),
            };
            let index = symbols.len() as i32;
            symbols.push(Symbol {
                start: pos as u32,
                len: len as u32,
                prev: index - 1,
                next: if pos + len < text.len() {
                    index + 1
                } else {
                    -1
                },
                freeze,
            });
            pos += len;
        }

        let mut rev_merge: FxHashMap<&[u8], u32> = FxHashMap::default();
        let mut heap: BinaryHeap<Pair> = BinaryHeap::with_capacity(symbols.len());
        let lookup = |symbols: &[Symbol], left: i32, right: i32| -> Option<(Pair, &[u8], bool)> {
            if left < 0 || right < 0 {
                return None;
            }
            let (l, r) = (symbols[left as usize], symbols[right as usize]);
            let size = (l.len + r.len) as usize;
            if l.freeze || r.freeze || size > self.max_len {
                return None;
            }
            let start = l.start as usize;
            let piece = text.get(start..start + size)?;
            let e = self.map.get(piece)?;
            let pair = Pair {
                key: e.key,
                left: left as u32,
                right: right as u32,
                size: size as u32,
            };
            Some((pair, piece, e.unused))
        };
        for i in 1..symbols.len() {
            if let Some((pair, piece, unused)) = lookup(&symbols, i as i32 - 1, i as i32) {
                heap.push(pair);
                if unused {
                    rev_merge.insert(piece, symbols[i - 1].len);
                }
            }
        }

        if dropout.as_ref().is_some_and(|d| d.0 >= 1.0) {
            heap.clear();
        }
        while let Some(top) = heap.pop() {
            let (l, r) = (symbols[top.left as usize], symbols[top.right as usize]);
            if l.len == 0 || r.len == 0 || l.len + r.len != top.size {
                continue;
            }
            if let Some((alpha, rng)) = dropout.as_mut() {
                if *alpha > 0.0 && super::dropout::drop(rng, *alpha) {
                    continue;
                }
            }
            let left = top.left as usize;
            symbols[left].len += r.len;
            symbols[left].next = r.next;
            if r.next >= 0 {
                symbols[r.next as usize].prev = top.left as i32;
            }
            symbols[top.right as usize].len = 0;
            let (prev, next) = (symbols[left].prev, symbols[left].next);
            for (a, b) in [(prev, left as i32), (left as i32, next)] {
                if let Some((pair, piece, unused)) = lookup(&symbols, a, b) {
                    heap.push(pair);
                    if unused {
                        rev_merge.insert(piece, symbols[a as usize].len);
                    }
                }
            }
        }

        let mut raw: Vec<(u32, u32, u32)> = Vec::with_capacity(symbols.len());
        let mut index = 0i32;
        while index >= 0 {
            let s = symbols[index as usize];
            self.resegment(text, s.start, s.len, 0, &rev_merge, &mut raw);
            index = s.next;
        }
        self.post_process(text, &raw, out);
    }

    /// Splits an UNUSED piece back along its recorded merge (`resegment`).
    fn resegment(
        &self,
        text: &[u8],
        start: u32,
        len: u32,
        depth: u32,
        rev_merge: &FxHashMap<&[u8], u32>,
        out: &mut Vec<(u32, u32, u32)>,
    ) {
        let end = start + len;
        let w = text.get(start as usize..end as usize).unwrap_or(&[]);
        let entry = self.map.get(w);
        let emit = |id| (id, start, end);
        match entry {
            None => out.push(emit(self.unk)),
            Some(e) if depth > MAX_RESEGMENT_DEPTH || !e.unused => out.push(emit(e.id)),
            Some(_) => match rev_merge.get(w) {
                None => out.push(emit(self.unk)),
                Some(&left_len) => {
                    self.resegment(text, start, left_len, depth + 1, rev_merge, out);
                    let right = len - left_len;
                    self.resegment(text, start + left_len, right, depth + 1, rev_merge, out);
                }
            },
        }
    }

    /// Byte fallback for unknown pieces, or merging of unknown runs.
    fn post_process(&self, text: &[u8], raw: &[(u32, u32, u32)], out: &mut Vec<(u32, u32, u32)>) {
        let mut prev_unk = false;
        for &(id, start, end) in raw {
            let is_unk = id == self.unk;
            if is_unk {
                if let Some(bytes) = &self.byte_ids {
                    for p in start..end {
                        out.push((bytes[text[p as usize] as usize], p, p + 1));
                    }
                    prev_unk = true;
                    continue;
                }
                if prev_unk {
                    if let Some(last) = out.last_mut() {
                        last.2 = end;
                        continue;
                    }
                }
            }
            out.push((id, start, end));
            prev_unk = is_unk;
        }
    }
}

#[cfg(test)]
#[path = "spm_bpe_tests.rs"]
mod tests;
