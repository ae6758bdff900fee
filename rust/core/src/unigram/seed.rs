//! Seed pieces of the Unigram trainer: every character, plus the most
//! frequent substrings scored by frequency × length, as SentencePiece's
//! `MakeSeedSentencePiecesFromCorpus`.
//!
//! SentencePiece builds a suffix array over the whole corpus (each sentence
//! repeated by its count) and takes the nodes of the LCP-interval tree: the
//! right-branching substrings, with frequency = number of occurrences. We
//! work on the distinct words instead, each occurrence weighted by the word's
//! count, which gives the same occurrence counts without materializing the
//! corpus. A word's end counts as a branch, so a substring ending a word is a
//! node even when it occurs in only one distinct word. SentencePiece sees
//! word ends followed by `▁` (no branch) or by a line end (a branch), so its
//! candidate set lies between this one and the one where word ends never
//! branch. Both were tried on botchan (vocab 1000, held-out bytes/token):
//! never branching gave 12889 seeds and 2.431, branching 15891 seeds and
//! 2.479, SentencePiece 13608 seeds and 2.475; we keep the branching rule.
//!
//! Candidates are kept when they occur at least twice, are 2 to
//! `max_piece_length` characters, end on a character boundary and pass
//! [`is_valid_piece`]; the best `seed_sentencepiece_size` by (score desc,
//! byte length desc, bytes asc) follow the characters, and all scores become
//! log-probabilities.
//!
//! Performance notes: suffixes are taken at character starts only, bucketed
//! by their first two bytes (counting sort), and each bucket is sorted on all
//! cores by 8-byte big-endian keys refined 8 bytes at a time (multikey
//! radix-style), never comparing past the word end or past
//! `4 * max_piece_length + 1` bytes (longer depths cannot make a valid
//! piece). This keeps comparisons on contiguous keys instead of random
//! accesses into the text; memory is 8 bytes per suffix plus one bucket's
//! keys per thread.

use super::script::{script, HAN, HIRAGANA, INHERITED, KATAKANA};
use super::trainer::Words;
use rayon::prelude::*;

/// `▁`, the whitespace mark.
pub(crate) const WS: char = '\u{2581}';
/// `▅`, which replaces characters outside the required set.
pub(crate) const UNK_CHAR: char = '\u{2585}';
/// Marks where meta pieces were cut out of the text.
pub(crate) const BOUNDARY: char = '\u{1f}';

/// The rules of SentencePiece's `IsValidSentencePiece` that a seed piece must
/// pass (with split_by_whitespace, split_by_unicode_script and
/// split_by_number on, whitespace-only pieces off).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PieceRules {
    /// Longest piece, in characters.
    pub max_len: usize,
    /// Digits must be pieces of their own.
    pub split_digits: bool,
    /// `▁` ends a piece instead of starting it.
    pub ws_suffix: bool,
}

fn is_decimal(c: char) -> bool {
    c.is_ascii_digit() || ('\u{ff10}'..='\u{ff19}').contains(&c)
}

/// Whether `piece` may be a vocabulary piece (SentencePiece's rules: no `▅`,
/// NUL, boundary or space; `▁` only at the start (or end in suffix mode);
/// one Unicode script per piece, Hiragana/Katakana/`ー` counting as Han and
/// combining marks as the previous character's script; digits alone when
/// `split_digits`).
pub(crate) fn is_valid_piece(piece: &str, rules: &PieceRules) -> bool {
    const ANY: u8 = u8::MAX;
    let n = piece.chars().count();
    if n == 0 || n > rules.max_len {
        return false;
    }
    let mut prev = ANY;
    for (pos, c) in piece.chars().enumerate() {
        if c == UNK_CHAR || c == '\0' || c == BOUNDARY || c == ' ' {
            return false;
        }
        if c == WS {
            let bad = if rules.ws_suffix {
                pos + 1 < n
            } else {
                pos > 0
            };
            if bad {
                return false;
            }
            continue;
        }
        let mut s = script(c);
        if s == HIRAGANA || s == KATAKANA || c == '\u{30fc}' {
            s = HAN;
        } else if s == INHERITED {
            s = prev;
        }
        if rules.split_digits && is_decimal(c) && n > 1 {
            return false;
        }
        if s != ANY && prev != ANY && prev != s {
            return false;
        }
        prev = s;
    }
    true
}

/// A candidate substring: `len` bytes at `pos` of the word buffer.
#[derive(Clone, Copy)]
struct Cand {
    pos: u32,
    len: u32,
    score: f32,
}

/// Seed pieces as (bytes, log-probability), characters first. `chars` are
/// the character counts (excluding `▅` and the boundary), already sorted by
/// count desc then character.
pub(crate) fn seed_pieces(
    words: &Words,
    chars: &[(char, u64)],
    rules: &PieceRules,
    seed_size: usize,
) -> Vec<(Vec<u8>, f32)> {
    let cands = substring_candidates(words, rules);
    let cmp = |a: &Cand, b: &Cand| {
        b.score
            .total_cmp(&a.score)
            .then(b.len.cmp(&a.len))
            .then_with(|| words.bytes(a.pos, a.len).cmp(words.bytes(b.pos, b.len)))
    };
    let mut cands = cands;
    if cands.len() > seed_size {
        cands.select_nth_unstable_by(seed_size, cmp);
        cands.truncate(seed_size);
    }
    cands.par_sort_unstable_by(cmp);
    let mut seeds: Vec<(Vec<u8>, f32)> = Vec::with_capacity(chars.len() + cands.len());
    for &(c, n) in chars {
        seeds.push((c.to_string().into_bytes(), n as f32));
    }
    for c in &cands {
        seeds.push((words.bytes(c.pos, c.len).to_vec(), c.score));
    }
    // ToLogProb: log(score) - log(sum of scores), in double.
    let sum: f64 = seeds.iter().map(|s| s.1 as f64).sum();
    let logsum = sum.ln();
    for s in &mut seeds {
        s.1 = ((s.1 as f64).ln() - logsum) as f32;
    }
    seeds
}

/// Number of UTF-8 characters in `b`.
fn utf8_len(b: &[u8]) -> usize {
    b.iter().filter(|&&x| x & 0xC0 != 0x80).count()
}

/// All valid right-branching substrings with weighted frequency ≥ 2.
fn substring_candidates(words: &Words, rules: &PieceRules) -> Vec<Cand> {
    let buf = &words.buf;
    let cap = 4 * rules.max_len + 1;
    // Bucket suffixes (char starts) by their first two bytes.
    let key2 = |p: usize| ((buf[p] as usize) << 8) | buf[p + 1] as usize;
    let mut bucket_start = vec![0u32; 65537];
    for w in 0..words.len() {
        let (s, e) = words.range(w);
        for p in (s..e).filter(|&p| buf[p] & 0xC0 != 0x80) {
            bucket_start[key2(p) + 1] += 1;
        }
    }
    for i in 0..65536 {
        bucket_start[i + 1] += bucket_start[i];
    }
    let total = bucket_start[65536] as usize;
    // (position, word index) per suffix, in bucket order.
    let mut sa: Vec<(u32, u32)> = vec![(0, 0); total];
    let mut fill = bucket_start.clone();
    for w in 0..words.len() {
        let (s, e) = words.range(w);
        for p in (s..e).filter(|&p| buf[p] & 0xC0 != 0x80) {
            let k = key2(p);
            sa[fill[k] as usize] = (p as u32, w as u32);
            fill[k] += 1;
        }
    }
    drop(fill);
    let mut slices: Vec<&mut [(u32, u32)]> = Vec::with_capacity(65536);
    let mut rest: &mut [(u32, u32)] = &mut sa;
    for b in 0..65536 {
        let n = (bucket_start[b + 1] - bucket_start[b]) as usize;
        let (head, tail) = rest.split_at_mut(n);
        if n > 0 {
            slices.push(head);
        }
        rest = tail;
    }
    slices
        .into_par_iter()
        .flat_map_iter(|bucket| {
            let mut out = Vec::new();
            process_bucket(bucket, words, rules, cap, &mut out);
            out
        })
        .collect()
}

/// The 8 bytes of the suffix at `p` from depth `d`, big-endian, zeroed after
/// the word end or `cap`; and whether the suffix ends within them.
#[inline]
fn chunk_key(buf: &[u8], p: usize, d: usize, cap: usize) -> (u64, bool) {
    let mut k = 0u64;
    let mut closed = false;
    for i in 0..8 {
        let b = if closed || d + i >= cap {
            0
        } else {
            buf[p + d + i]
        };
        if b == 0 {
            closed = true;
        }
        k = (k << 8) | b as u64;
    }
    (k, closed)
}

/// Sorts one bucket of suffixes and emits the candidates of its LCP-interval
/// tree (all depths ≥ 2 lie inside a two-byte bucket).
fn process_bucket(
    bucket: &mut [(u32, u32)],
    words: &Words,
    rules: &PieceRules,
    cap: usize,
    out: &mut Vec<Cand>,
) {
    let buf = &words.buf;
    // Multikey sort: (key, suffix) pairs refined 8 bytes at a time.
    let mut keyed: Vec<(u64, (u32, u32))> = bucket.iter().map(|&s| (0, s)).collect();
    let mut stack: Vec<(usize, usize, usize)> = vec![(0, keyed.len(), 0)];
    while let Some((lo, hi, d)) = stack.pop() {
        if hi - lo < 2 || d >= cap {
            continue;
        }
        for e in &mut keyed[lo..hi] {
            e.0 = chunk_key(buf, e.1 .0 as usize, d, cap).0;
        }
        keyed[lo..hi].sort_unstable_by_key(|e| e.0);
        let mut i = lo;
        while i < hi {
            let mut j = i + 1;
            while j < hi && keyed[j].0 == keyed[i].0 {
                j += 1;
            }
            if j - i > 1 && !chunk_key(buf, keyed[i].1 .0 as usize, d, cap).1 {
                stack.push((i, j, d + 8));
            }
            i = j;
        }
    }
    for (b, k) in bucket.iter_mut().zip(&keyed) {
        *b = k.1;
    }
    drop(keyed);
    // Suffix length (to the word end, capped) and LCP with the previous one;
    // word ends never match (they stand for varying continuations).
    let suffix_len = |p: u32| -> usize {
        let p = p as usize;
        let mut l = 0;
        while l < cap && buf[p + l] != 0 {
            l += 1;
        }
        l
    };
    let lcp = |a: u32, b: u32| -> usize {
        let (a, b) = (a as usize, b as usize);
        let mut l = 0;
        while l < cap && buf[a + l] == buf[b + l] && buf[a + l] != 0 {
            l += 1;
        }
        l
    };
    let n = bucket.len();
    let mut emit = |l: usize, r: usize, depth: usize, freq: u64| {
        if depth <= 1 || freq < 2 {
            return;
        }
        let pos = bucket[l].0 as usize;
        let piece = &buf[pos..pos + depth];
        if buf[pos + depth] & 0xC0 == 0x80 {
            return;
        }
        let chars = utf8_len(piece);
        if chars <= 1 || chars > rules.max_len {
            return;
        }
        let Ok(s) = std::str::from_utf8(piece) else {
            return;
        };
        if !is_valid_piece(s, rules) {
            return;
        }
        let _ = r;
        out.push(Cand {
            pos: pos as u32,
            len: depth as u32,
            score: freq as f32 * chars as f32,
        });
    };
    // Weighted prefix sums over the sorted bucket.
    let mut wsum = Vec::with_capacity(n + 1);
    wsum.push(0u64);
    for &(_, w) in bucket.iter() {
        let last = *wsum.last().unwrap_or(&0);
        wsum.push(last + words.counts[w as usize]);
    }
    let mut lcps = Vec::with_capacity(n + 1);
    lcps.push(0usize);
    for i in 1..n {
        lcps.push(lcp(bucket[i - 1].0, bucket[i].0));
    }
    lcps.push(0);
    // Leaves: a suffix longer than both neighbouring LCPs is a word-final
    // substring of its own.
    for i in 0..n {
        let len = suffix_len(bucket[i].0);
        if len < cap && len > lcps[i].max(lcps[i + 1]) {
            emit(i, i, len, wsum[i + 1] - wsum[i]);
        }
    }
    // Internal nodes: the LCP-interval stack traversal.
    let mut st: Vec<(usize, usize)> = vec![(0, 0)]; // (left, depth)
    for i in 1..=n {
        let l = lcps[i];
        let mut last_left = i - 1;
        while l < st.last().map_or(0, |t| t.1) {
            let (left, depth) = st.pop().unwrap_or((0, 0));
            last_left = left;
            emit(left, i - 1, depth, wsum[i] - wsum[left]);
            if l > st.last().map_or(0, |t| t.1) {
                st.push((left, l));
            }
        }
        if l > st.last().map_or(0, |t| t.1) {
            st.push((last_left, l));
        }
    }
}
