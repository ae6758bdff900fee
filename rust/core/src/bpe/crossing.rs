//! Boundaries no token crosses: a test on the text that answers most of the
//! backtracking encoder's compatibility checks in non-Latin scripts without
//! the memo.
//!
//! BPE keeps the boundary between two adjacent tokens `a` and `b` unless some
//! merge joins bytes on both sides of it, and every merge makes a token. So
//! if no token of the vocabulary is `s + p`, with `s` a non-empty suffix of
//! the text before the boundary and `p` a non-empty prefix of the text after
//! it, every pair of tokens meeting there is compatible, whatever the two
//! tokens are. [`Crossing::clear`] proves that from the six bytes around
//! the boundary, for boundaries where a continuation byte (`80..=BF`) meets
//! the lead byte of a three- or four-byte character (`E0..`): between two
//! Han, kana, Hangul, Indic or Thai characters, or after such a character
//! or a two-byte one.
//!
//! Every way a token `t` can be split at such a byte pair (`t[k - 1]` a
//! continuation byte, `t[k]` a lead byte `E0..`) is recorded by what it
//! needs of the text:
//! - three bytes or more on each side: the six bytes `t[k - 3..k + 3]`, in a
//!   hashed bitmap of 2^19 bits (`six`);
//! - fewer than three before, three or more after: the three bytes after
//!   (`t[k..k + 3]`), and the other way round the three before, both in a
//!   hashed bitmap of 2^14 bits (`three`, tagged by side);
//! - fewer than three on both sides: the byte pair itself (`pair`, exact).
//!
//! A boundary is clear when none of the keys the text gives there is set.
//! A set bit may belong to another key (the bitmaps are hashed): then the
//! check goes to the memo as before, so the answer is exact either way. The
//! test is exact at the ends of a piece too: with fewer than three bytes on
//! a side, a crossing token has fewer than three bytes on that side as well,
//! and only the keys for that case are looked at.
//!
//! Performance notes: counted first with a throwaway script over tiktoken's
//! encodings (kept token pairs of the first 1M characters of zh-10M and 6M
//! of the 20 MB mixed sample, with the bitmaps simulated): the test clears
//! 90.9% of o200k's pairs on zh-10M and 61.9% on the mixed sample. o200k
//! sets 11,815 of the 2^19 bits of `six` (2.3%), 151 keys in `three` and 6
//! pairs; with every lead byte from `C0` (two-byte characters too) it set
//! 25,112 bits and cleared fewer pairs (84.7% and 58.0%), so two-byte
//! characters are left to the memo. Halving both bitmaps cleared 76.1%
//! and 52.3%. Each cleared check is a few loads from tables of 66 KB
//! instead of a set of the 4 MB memo (see `backtrack.rs` for what that
//! costs), and the memo's prefetch is skipped for a clear boundary.
//! Measured with it (`backtrack.rs` has the `encode_bench` figures):
//! `python bench/encode.py --long off`, one thread, toksmith / tiktoken,
//! median of three runs on one build each, 2026-12-07 afternoon: zh-10M
//! o200k 4.80x before, 6.87x with it; zh-10M cl100k 5.03x → 6.39x; mixed
//! o200k 5.03x → 5.75x (logs in `bench/results/encode-pgo-2026-12-07-s1*.txt`).

/// Bits of the six-byte bitmap (log2).
const SIX_BITS: u32 = 19;
/// Bits of the three-byte bitmap (log2).
const THREE_BITS: u32 = 14;

#[inline(always)]
fn is_cont(b: u8) -> bool {
    b & 0xC0 == 0x80
}

#[inline(always)]
fn is_wide_lead(b: u8) -> bool {
    b >= 0xE0
}

#[inline(always)]
fn mix(key: u64, bits: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

#[inline(always)]
fn three_key(bytes: [u8; 3], side: u64) -> u64 {
    u64::from(bytes[0]) | u64::from(bytes[1]) << 8 | u64::from(bytes[2]) << 16 | side << 24
}

#[inline(always)]
fn six_key(before: [u8; 3], after: [u8; 3]) -> u64 {
    three_key(before, 0) | three_key(after, 0) << 24
}

#[inline(always)]
fn pair_index(cont: u8, lead: u8) -> usize {
    usize::from(cont & 0x3F) << 5 | usize::from(lead & 0x1F)
}

/// Side tags of the three-byte keys.
const AFTER: u64 = 1;
const BEFORE: u64 = 2;

/// The bitmaps of the boundaries some token crosses (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Crossing {
    six: Box<[u64]>,
    three: Box<[u64]>,
    pair: [u64; 32],
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

#[inline(always)]
fn get(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

impl Crossing {
    /// Records every split of every token in `tokens` at a continuation byte
    /// followed by a lead byte `E0..`.
    pub(crate) fn build<'a>(tokens: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut c = Crossing {
            six: vec![0; (1 << SIX_BITS) / 64].into_boxed_slice(),
            three: vec![0; (1 << THREE_BITS) / 64].into_boxed_slice(),
            pair: [0; 32],
        };
        for t in tokens {
            for k in 1..t.len() {
                if !(is_cont(t[k - 1]) && is_wide_lead(t[k])) {
                    continue;
                }
                let left = k >= 3;
                let right = t.len() - k >= 3;
                let before = || [t[k - 3], t[k - 2], t[k - 1]];
                let after = || [t[k], t[k + 1], t[k + 2]];
                match (left, right) {
                    (true, true) => set(&mut c.six, mix(six_key(before(), after()), SIX_BITS)),
                    (false, true) => set(&mut c.three, mix(three_key(after(), AFTER), THREE_BITS)),
                    (true, false) => {
                        set(&mut c.three, mix(three_key(before(), BEFORE), THREE_BITS));
                    }
                    (false, false) => set(&mut c.pair, pair_index(t[k - 1], t[k])),
                }
            }
        }
        c
    }

    /// Whether no token crosses the boundary before `text[pos]`: then BPE
    /// keeps any two tokens that meet there apart. `false` means "not
    /// known", never "crossed".
    #[inline(always)]
    pub(crate) fn clear(&self, text: &[u8], pos: usize) -> bool {
        if pos == 0 || pos >= text.len() {
            return false;
        }
        let (c, d) = (text[pos - 1], text[pos]);
        if !(is_cont(c) && is_wide_lead(d)) || get(&self.pair, pair_index(c, d)) {
            return false;
        }
        let before = (pos >= 3).then(|| [text[pos - 3], text[pos - 2], c]);
        let after = (pos + 3 <= text.len()).then(|| [d, text[pos + 1], text[pos + 2]]);
        if let Some(b) = before {
            if get(&self.three, mix(three_key(b, BEFORE), THREE_BITS)) {
                return false;
            }
        }
        if let Some(a) = after {
            if get(&self.three, mix(three_key(a, AFTER), THREE_BITS)) {
                return false;
            }
        }
        match (before, after) {
            (Some(b), Some(a)) => !get(&self.six, mix(six_key(b, a), SIX_BITS)),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of [`Crossing::build`] as exact sets: what `clear` answers
    /// when no two keys share a bit.
    fn exact_clear(vocab: &[Vec<u8>], text: &[u8], pos: usize) -> bool {
        if pos == 0 || pos >= text.len() || !(is_cont(text[pos - 1]) && is_wide_lead(text[pos])) {
            return false;
        }
        let before = pos.checked_sub(3).map(|s| &text[s..pos]);
        let after = text.get(pos..pos + 3);
        !vocab.iter().any(|t| {
            (1..t.len()).any(|k| {
                if !(is_cont(t[k - 1]) && is_wide_lead(t[k])) {
                    return false;
                }
                let (tb, ta) = (k.checked_sub(3).map(|s| &t[s..k]), t.get(k..k + 3));
                match (tb, ta) {
                    (Some(x), Some(y)) => before == Some(x) && after == Some(y),
                    (None, Some(y)) => after == Some(y),
                    (Some(x), None) => before == Some(x),
                    (None, None) => (t[k - 1], t[k]) == (text[pos - 1], text[pos]),
                }
            })
        })
    }

    /// Where `clear` says so, no token is a non-empty suffix of the text
    /// before the boundary followed by a non-empty prefix of the text after
    /// it, checked against every token by brute force, on random
    /// vocabularies and texts made of ASCII, continuation and lead bytes
    /// (so that short tokens cross boundaries at every distance from the
    /// ends of the text). And `clear` is the exact-set answer but for a few
    /// hash collisions, which clears a good share of the boundaries.
    #[test]
    fn clear_boundaries_are_crossed_by_no_token() {
        let alphabet = [b'a', 0x80, 0x81, 0xBF, 0xC3, 0xE4, 0xE5, 0xEF, 0xF0];
        let mut next = super::super::test_rng(0x5eed_c0de_1234_5678);
        let (mut cleared, mut exact, mut uncrossed) = (0usize, 0usize, 0usize);
        for round in 0..40 {
            let pick = |r: u64| alphabet[(r % alphabet.len() as u64) as usize];
            let vocab: Vec<Vec<u8>> = (0..20 + round * 10)
                .map(|_| {
                    let len = 1 + (next() % 8) as usize;
                    (0..len).map(|_| pick(next())).collect()
                })
                .collect();
            let crossing = Crossing::build(vocab.iter().map(Vec::as_slice));
            for _ in 0..300 {
                let len = (next() % 12) as usize;
                let text: Vec<u8> = (0..len).map(|_| pick(next())).collect();
                for pos in 0..=text.len() {
                    let crossed = vocab.iter().any(|t| {
                        (1..t.len()).any(|k| {
                            text[..pos].ends_with(&t[..k]) && text[pos..].starts_with(&t[k..])
                        })
                    });
                    let clear = crossing.clear(&text, pos);
                    let want = exact_clear(&vocab, &text, pos);
                    assert!(
                        !(clear && crossed),
                        "text {text:?} at {pos}, vocab {vocab:?}"
                    );
                    assert!(!clear || want, "text {text:?} at {pos}");
                    assert!(!(want && crossed), "text {text:?} at {pos}");
                    cleared += usize::from(clear);
                    exact += usize::from(want);
                    uncrossed += usize::from(
                        !crossed
                            && pos > 0
                            && pos < text.len()
                            && is_cont(text[pos - 1])
                            && is_wide_lead(text[pos]),
                    );
                }
            }
        }
        assert!(
            cleared * 100 > exact * 97,
            "{cleared} cleared, {exact} by exact sets"
        );
        assert!(
            exact * 3 > uncrossed,
            "{exact} of {uncrossed} uncrossed boundaries cleared"
        );
    }

    /// A boundary inside a token that spans it is never clear, on both
    /// sides of every length: the exact keys of each case are set.
    #[test]
    fn a_token_across_the_boundary_blocks_it() {
        let han = "中文字符"; // four three-byte characters
        for start in 0..han.len() {
            for end in start + 2..=han.len() {
                let t = &han.as_bytes()[start..end];
                let crossing = Crossing::build([t]);
                for k in 1..t.len() {
                    if is_cont(t[k - 1]) && is_wide_lead(t[k]) {
                        let pos = start + k;
                        assert!(!crossing.clear(han.as_bytes(), pos), "token {t:?} at {k}");
                    }
                }
            }
        }
        let crossing = Crossing::build([&b"ab"[..]]);
        assert!(crossing.clear(han.as_bytes(), 3));
        assert!(!crossing.clear(han.as_bytes(), 1), "inside a character");
        assert!(!crossing.clear(han.as_bytes(), 0) && !crossing.clear(han.as_bytes(), 12));
    }
}
