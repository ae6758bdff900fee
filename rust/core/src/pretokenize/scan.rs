//! Hand-written scanners for the gpt2 (r50k/p50k), cl100k and o200k patterns.
//!
//! Each scanner returns, for a position, the end of the piece the regex would
//! match there: the alternatives are tried in the regex's order, and the
//! backtracking of greedy quantifiers is resolved in closed form:
//! - `\s+(?!\S)` on a whitespace run of k characters not at the end of the
//!   text matches k-1 characters (k ≥ 2), at the end all k;
//! - `\s*[\r\n]` and `\s*[\r\n]+` match up to and including the last `\r`/`\n`
//!   of the whitespace run;
//! - o200k's `U*W+` (U, W overlapping classes) takes the maximal U run, then the
//!   maximal W run after it; failing that, it ends after the last character of
//!   the U run that is also in W;
//! - an optional leading character (`[^\r\n\p{L}\p{N}]?`) is tried first with,
//!   then without.
//!
//! Classes come from `regex-syntax` ([`super::classes`]); equality with the
//! regex engine is checked by randomized tests here and property tests in
//! Python over all of Unicode.
//!
//! Performance notes: one flag-table lookup per character and no allocation;
//! ASCII characters decode in one branch. Compared with fancy-regex on the same
//! patterns this is 8-15x faster on mixed text (`bench/encode.py`).
//! Tried and rejected: skipping ASCII letters byte by byte (`is_ascii_*`, no
//! decoding or table) before the general run in `upper_lower`,
//! `upper_then_lower` and cl100k's letter runs. Split speed on the 20 MB
//! mixed sample (`examples/encode_bench.rs`, 6 runs each, stable to ±1%):
//! o200k 262-266 → 246-250 MB/s, cl100k 362-364 → 359-362 MB/s.
//! What paid instead is deciding the whole piece from a 256-entry byte-class
//! table when its bytes are ASCII (`o200k_ascii`, `cl100k_ascii`,
//! `gpt2_ascii`), before any alternative is tried: a word, a digit group or a
//! punctuation run is one tight loop, and o200k's punctuation and newlines no
//! longer fail through four word alternatives first. Anything non-ASCII on
//! the way hands over to the general path. Same measure: o200k 261-271 →
//! 348-363 MB/s, cl100k 350-353 → 369-381, gpt2 354-361 → 371-385. In a
//! whole encode the gain is smaller than the split time saved (the scanner's
//! work overlaps the encoder's cache misses).
//! Runs of ASCII letters are then found sixteen bytes at a time (`byte_run`,
//! SSE2: a range compare, a mask and a count of trailing ones) while sixteen
//! bytes remain, instead of a byte loop whose exit mispredicts once per word.
//! Same measure, two runs each, interleaved: o200k 349-368 → 368-383 MB/s
//! (its words are two runs, `[A-Z]*` then `[a-z]*`), cl100k 362-375 →
//! 469-480, gpt2 377-380 → 468-483 (one run of either case).
//! Runs of ASCII whitespace (a tenth of the pieces of mixed text: newlines,
//! indentation) are then decided on the fast path too (`ascii_ws`),
//! not after o200k's word alternatives fail: o200k 355-386 → 386-399 MB/s,
//! cl100k within noise (its general path reaches the run at once).
//! Tried and rejected: a shortcut for CJK Unified Ideographs (lead byte and
//! second byte say the class, no decode or table) in `run` and
//! `upper_lower`: zh-10M o200k 527-590 → 512-526 MB/s, cl100k 586-652 →
//! 605-618; the decode and table lookup it skips were cheap, the test it
//! adds to every character is not.
//! What paid instead (`blocks3`): a 1 KB table of the flags shared by each
//! block of 64 three-byte characters (`classes::block3`), consulted only
//! where a letter run starts and after a three-byte character, so that a
//! run of Han characters steps three bytes at a time from two byte loads
//! and one lookup, and other scripts pay nothing per character. Split speed
//! (`examples/encode_bench.rs`, three runs each, interleaved): zh-10M o200k
//! 625-635 → 686-747 MB/s, cl100k 662-694 → 732-832, gpt2 645-651 →
//! 729-755; the mixed sample o200k 364-416 → 427-430, cl100k 471-511 →
//! 523-527, gpt2 within noise.
//! The ASCII paths are inlined into the piece loop and the general paths
//! are calls, with the scanner chosen once per text (it was chosen per
//! piece, and the ASCII path was reached through a call): with the
//! encoder's own changes of the same commit, callgrind counted 1005M → 851M
//! instructions for an o200k encode of 2 MB of mixed text. Not trying
//! o200k's word alternatives where no character of the upper or lower class
//! starts them (punctuation, emoji, spaces outside ASCII): 851M → 841M.

use super::classes::{block3, folds_to, table, L, LO, N, UP, WS};

/// Which pattern a scanner implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanner {
    /// tiktoken `r50k_pat_str` (gpt2, r50k, p50k).
    Gpt2,
    /// cl100k_base.
    Cl100k,
    /// o200k_base.
    O200k,
}

#[inline(always)]
fn decode(b: &[u8], i: usize) -> (u32, usize) {
    let x = b[i];
    if x < 0x80 {
        return (u32::from(x), 1);
    }
    let c1 = u32::from(b[i + 1] & 0x3F);
    if x < 0xE0 {
        return ((u32::from(x & 0x1F) << 6) | c1, 2);
    }
    let c2 = u32::from(b[i + 2] & 0x3F);
    if x < 0xF0 {
        return ((u32::from(x & 0x0F) << 12) | (c1 << 6) | c2, 3);
    }
    let c3 = u32::from(b[i + 3] & 0x3F);
    ((u32::from(x & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4)
}

const OTHER_MASK: u8 = L | N | WS;

struct Text<'a> {
    b: &'a [u8],
    t: &'static [u8],
    /// [`block3`].
    block3: &'static [u8; 1024],
}

impl Text<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> (u32, usize, u8) {
        let (c, l) = decode(self.b, i);
        (c, l, self.t[c as usize])
    }

    /// Flags of the character at `i`, or 0 past the end.
    #[inline(always)]
    fn flags(&self, i: usize) -> u8 {
        if i < self.b.len() {
            self.at(i).2
        } else {
            0
        }
    }

    /// End of the run of characters whose flags satisfy `keep`.
    #[inline(always)]
    fn run(&self, mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
        while i < self.b.len() {
            let (_, l, f) = self.at(i);
            if !keep(f) {
                break;
            }
            i += l;
        }
        i
    }

    /// End of the run from `i` of three-byte characters whose block (see
    /// [`block3`]) has all the flags of `mask`, read from their first two
    /// bytes: no decoding or table lookup per character.
    #[inline(always)]
    fn blocks3(&self, mut i: usize, mask: u8) -> usize {
        while let [x @ 0xE0..=0xEF, y, _, ..] = self.b[i..] {
            if self.block3[usize::from(x & 0x0F) << 6 | usize::from(y & 0x3F)] & mask != mask {
                break;
            }
            i += 3;
        }
        i
    }

    /// End of the run of letters (`\p{L}`) from `i` (runs of Han faster,
    /// as in [`Self::upper_lower`]).
    #[inline(always)]
    fn letters(&self, mut i: usize) -> usize {
        let mut three = true;
        loop {
            if three {
                i = self.blocks3(i, L);
            }
            if i >= self.b.len() {
                return i;
            }
            let (_, l, f) = self.at(i);
            if f & L == 0 {
                return i;
            }
            i += l;
            three = l == 3;
        }
    }

    fn run_other(&self, i: usize) -> usize {
        self.run(i, |f| f & OTHER_MASK == 0)
    }

    fn digits3(&self, mut i: usize) -> usize {
        for _ in 0..3 {
            if i >= self.b.len() {
                break;
            }
            let (_, l, f) = self.at(i);
            if f & N == 0 {
                break;
            }
            i += l;
        }
        i
    }

    /// End of `[set]*` over ASCII bytes.
    fn ascii_run(&self, mut i: usize, set: &[u8]) -> usize {
        while i < self.b.len() && set.contains(&self.b[i]) {
            i += 1;
        }
        i
    }

    /// `'` + contraction suffix starting at `j` (just after the quote).
    fn contraction(&self, j: usize, fold: bool) -> Option<usize> {
        let n = self.b.len();
        if j >= n {
            return None;
        }
        let is = |i: usize, l: u8| -> Option<usize> {
            if i >= n {
                return None;
            }
            let (c, len) = decode(self.b, i);
            let ok = if fold {
                folds_to(c, l)
            } else {
                c == u32::from(l)
            };
            ok.then_some(i + len)
        };
        for l in [b's', b'd', b'm', b't'] {
            if let Some(e) = is(j, l) {
                return Some(e);
            }
        }
        for (x, y) in [(b'l', b'l'), (b'v', b'e'), (b'r', b'e')] {
            if let Some(e) = is(j, x).and_then(|k| is(k, y)) {
                return Some(e);
            }
        }
        None
    }

    fn suffix(&self, e: usize) -> usize {
        if e < self.b.len() && self.b[e] == b'\'' {
            if let Some(x) = self.contraction(e + 1, true) {
                return x;
            }
        }
        e
    }

    /// Facts about the whitespace run starting at `i`.
    fn ws(&self, i: usize) -> WsRun {
        let mut j = i;
        let mut last_start = i;
        let mut count = 0usize;
        let mut last_nl_end = None;
        while j < self.b.len() {
            let (c, l, f) = self.at(j);
            if f & WS == 0 {
                break;
            }
            if c == u32::from(b'\r') || c == u32::from(b'\n') {
                last_nl_end = Some(j + l);
            }
            last_start = j;
            count += 1;
            j += l;
        }
        WsRun {
            end: j,
            last_start,
            multi: count >= 2,
            last_nl_end,
            at_end: j == self.b.len(),
        }
    }

    /// o200k `[U]*[W]+` from `s`, then the optional contraction.
    fn upper_lower(&self, s: usize) -> Option<usize> {
        let mut j = s;
        let mut last_w_end = None;
        // Runs of characters in both classes (Han) go faster, from the start
        // and after any other three-byte character.
        let mut three = true;
        loop {
            if three {
                let k = self.blocks3(j, UP | LO);
                if k > j {
                    j = k;
                    last_w_end = Some(j);
                }
            }
            if j >= self.b.len() {
                break;
            }
            let (_, l, f) = self.at(j);
            if f & UP == 0 {
                break;
            }
            if f & LO != 0 {
                last_w_end = Some(j + l);
            }
            j += l;
            three = l == 3;
        }
        let e = if self.flags(j) & LO != 0 {
            self.run(j, |f| f & LO != 0)
        } else {
            last_w_end?
        };
        Some(self.suffix(e))
    }

    /// o200k `[U]+[W]*` from `s`, then the optional contraction.
    fn upper_then_lower(&self, s: usize) -> Option<usize> {
        let j = self.run(s, |f| f & UP != 0);
        if j == s {
            return None;
        }
        Some(self.suffix(self.run(j, |f| f & LO != 0)))
    }
}

struct WsRun {
    end: usize,
    last_start: usize,
    multi: bool,
    last_nl_end: Option<usize>,
    at_end: bool,
}

impl WsRun {
    /// `\s+(?!\S)|\s` (and `\s++$` before it): the run, or all but its last char.
    fn lookahead_end(&self) -> usize {
        if self.at_end || !self.multi {
            self.end
        } else {
            self.last_start
        }
    }

    /// cl100k's and o200k's whitespace alternatives over the run:
    /// `\s*[\r\n]+` (cl100k: `\s*[\r\n]`) up to its last newline, else
    /// [`Self::lookahead_end`]; with `end_first` (cl100k's `\s++$`) a run
    /// that ends the text is taken whole before anything else.
    fn newline_piece(&self, end_first: bool) -> usize {
        if end_first && self.at_end {
            return self.end;
        }
        self.last_nl_end.unwrap_or_else(|| self.lookahead_end())
    }
}

/// The general path of the gpt2 scanner, for pieces its ASCII path leaves.
#[inline(never)]
fn gpt2(x: &Text<'_>, i: usize) -> usize {
    let (c, l, f) = x.at(i);
    if c == u32::from(b'\'') {
        if let Some(e) = x.contraction(i + 1, false) {
            return e;
        }
    }
    let (s, g) = if c == u32::from(b' ') && i + 1 < x.b.len() {
        (i + 1, x.flags(i + 1))
    } else {
        (i, f)
    };
    if g & L != 0 {
        return x.letters(s);
    }
    if g & N != 0 {
        return x.run(s, |f| f & N != 0);
    }
    if g & OTHER_MASK == 0 {
        return x.run_other(s);
    }
    let _ = l;
    x.ws(i).lookahead_end()
}

/// The general path of the cl100k scanner, for pieces its ASCII path leaves.
#[inline(never)]
fn cl100k(x: &Text<'_>, i: usize) -> usize {
    let (c, l, f) = x.at(i);
    if c == u32::from(b'\'') {
        if let Some(e) = x.contraction(i + 1, true) {
            return e;
        }
    }
    if f & L != 0 {
        return x.letters(i);
    }
    let is_nl = c == u32::from(b'\r') || c == u32::from(b'\n');
    if !is_nl && f & N == 0 && x.flags(i + l) & L != 0 {
        return x.letters(i + l);
    }
    if f & N != 0 {
        return x.digits3(i);
    }
    if c == u32::from(b' ') && x.flags(i + 1) & OTHER_MASK == 0 && i + 1 < x.b.len() {
        return x.ascii_run(x.run_other(i + 1), b"\r\n");
    }
    if f & OTHER_MASK == 0 {
        return x.ascii_run(x.run_other(i), b"\r\n");
    }
    x.ws(i).newline_piece(true)
}

/// ASCII byte classes for [`o200k_ascii`]: what o200k's alternatives need to
/// know about a byte. Bytes from 0x80 up are [`A_HIGH`].
const A_LO: u8 = 1;
const A_UP: u8 = 2;
const A_DIGIT: u8 = 3;
const A_SPACE: u8 = 4;
/// `[^\s\p{L}\p{N}]`.
const A_PUNCT: u8 = 5;
/// Whitespace other than `' '`, `'\r'`, `'\n'`: may lead a word.
const A_WS: u8 = 6;
/// `'\r'`, `'\n'`.
const A_NL: u8 = 7;
const A_HIGH: u8 = 8;
/// Past the end of the text.
const A_END: u8 = 9;

static ASCII: [u8; 256] = {
    let mut t = [A_HIGH; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_lowercase() {
            A_LO
        } else if b.is_ascii_uppercase() {
            A_UP
        } else if b.is_ascii_digit() {
            A_DIGIT
        } else if b == b' ' {
            A_SPACE
        } else if b == b'\r' || b == b'\n' {
            A_NL
        } else if matches!(b, b'\t' | 0x0B | 0x0C) {
            A_WS
        } else {
            A_PUNCT
        };
        c += 1;
    }
    t
};

/// The class of the byte at `j`, [`A_END`] past the end.
#[inline(always)]
fn class_at(b: &[u8], j: usize) -> u8 {
    if j < b.len() {
        ASCII[b[j] as usize]
    } else {
        A_END
    }
}

/// End of the run of bytes of class `c` from `j`, or `None` when it stops at
/// a non-ASCII character (which might continue it).
#[inline(always)]
fn ascii_class_run(b: &[u8], mut j: usize, c: u8) -> Option<usize> {
    while j < b.len() && ASCII[b[j] as usize] == c {
        j += 1;
    }
    (j == b.len() || b[j] < 0x80).then_some(j)
}

/// End of the run of ASCII letters from `j` (`None` as [`ascii_class_run`]).
#[inline(always)]
fn ascii_letters(b: &[u8], j: usize) -> Option<usize> {
    // `x | 0x20` maps `A-Z` onto `a-z` and nothing else onto them.
    let j = byte_run(b, j, 0x20, b'a', 26);
    (j == b.len() || b[j] < 0x80).then_some(j)
}

/// End of the run from `j` of bytes `x` with `(x | fold) - lo < n` (wrapping):
/// sixteen bytes at a time while sixteen remain, where a byte loop pays a
/// mispredicted exit per word.
#[inline(always)]
fn byte_run(b: &[u8], mut j: usize, fold: u8, lo: u8, n: u8) -> usize {
    #[cfg(target_arch = "x86_64")]
    while j + 16 <= b.len() {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8, _mm_sub_epi8,
        };
        // SAFETY: SSE2 is part of x86-64; the unaligned load reads
        // `b[j..j + 16]`, in bounds by the loop condition.
        let inside = unsafe {
            let v = _mm_loadu_si128(b.as_ptr().add(j).cast::<__m128i>());
            let x = _mm_sub_epi8(
                _mm_or_si128(v, _mm_set1_epi8(fold as i8)),
                _mm_set1_epi8(lo as i8),
            );
            let ok = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8((n - 1) as i8)), x);
            _mm_movemask_epi8(ok) as u32
        };
        let k = (!inside).trailing_zeros() as usize;
        j += k.min(16);
        if k < 16 {
            return j;
        }
    }
    while j < b.len() && (b[j] | fold).wrapping_sub(lo) < n {
        j += 1;
    }
    j
}

/// `\p{N}{1,3}` from the ASCII digit at `i`; `None` when fewer than three
/// digits end at a non-ASCII character (which might be a digit).
#[inline(always)]
fn ascii_digits3(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < i + 3 && class_at(b, j) == A_DIGIT {
        j += 1;
    }
    (j == i + 3 || class_at(b, j) != A_HIGH).then_some(j)
}

/// cl100k's and o200k's ` ?[^\s\p{L}\p{N}]+` followed by a run of `tail`,
/// at a space, punctuation or other whitespace `c` (at `i`) that no letter
/// follows; `None` for the general path.
#[inline(always)]
fn ascii_punct_piece(x: &Text<'_>, i: usize, c: u8, tail: &[u8]) -> Option<usize> {
    match class_at(x.b, i + 1) {
        A_PUNCT if c != A_WS => {
            let j = ascii_class_run(x.b, i + 1, A_PUNCT)?;
            Some(x.ascii_run(j, tail))
        }
        A_SPACE | A_DIGIT | A_NL | A_WS | A_END if c == A_PUNCT => Some(x.ascii_run(i + 1, tail)),
        _ => None,
    }
}

/// [`Text::ws`] over the run of ASCII whitespace from `i` (a whitespace
/// byte), one byte per character and no decoding; `None` when the run stops
/// at a non-ASCII character (which might be whitespace).
#[inline(always)]
fn ascii_ws(b: &[u8], i: usize) -> Option<WsRun> {
    let mut j = i;
    let mut last_nl_end = None;
    while j < b.len() {
        match ASCII[b[j] as usize] {
            A_SPACE | A_WS => {}
            A_NL => last_nl_end = Some(j + 1),
            A_HIGH => return None,
            _ => break,
        }
        j += 1;
    }
    Some(WsRun {
        end: j,
        last_start: j - 1,
        multi: j - i >= 2,
        last_nl_end,
        at_end: j == b.len(),
    })
}

/// o200k's piece at `i` when every byte it depends on is ASCII (the common
/// case), decided by byte classes; `None` hands over to [`o200k`]'s general
/// path. ASCII letters are either in the pattern's "upper" class or its
/// "lower" class, never both, so a word is its maximal `[A-Z]*` run followed
/// by its maximal `[a-z]*` run, whichever alternative matches it.
#[inline(always)]
fn o200k_ascii(x: &Text<'_>, i: usize) -> Option<usize> {
    let b = x.b;
    let word = match class_at(b, i) {
        A_LO | A_UP => i,
        A_DIGIT => return ascii_digits3(b, i),
        c @ (A_SPACE | A_PUNCT | A_WS) => match class_at(b, i + 1) {
            A_LO | A_UP => i + 1,
            A_SPACE | A_WS | A_NL | A_END if c != A_PUNCT => {
                return ascii_ws(b, i).map(|w| w.newline_piece(false))
            }
            _ => return ascii_punct_piece(x, i, c, b"\r\n/"),
        },
        A_NL => return ascii_ws(b, i).map(|w| w.newline_piece(false)),
        _ => return None,
    };
    let j = byte_run(b, byte_run(b, word, 0, b'A', 26), 0, b'a', 26);
    match class_at(b, j) {
        A_HIGH => None,
        A_PUNCT if b[j] == b'\'' => Some(x.suffix(j)),
        _ => Some(j),
    }
}

/// cl100k's piece at `i` when every byte it depends on is ASCII, as
/// [`o200k_ascii`]; a quote (contractions) always takes the general path.
#[inline(always)]
fn cl100k_ascii(x: &Text<'_>, i: usize) -> Option<usize> {
    let b = x.b;
    match class_at(b, i) {
        A_LO | A_UP => ascii_letters(b, i + 1),
        A_DIGIT => ascii_digits3(b, i),
        _ if b[i] == b'\'' => None,
        c @ (A_SPACE | A_PUNCT | A_WS) => match class_at(b, i + 1) {
            A_LO | A_UP => ascii_letters(b, i + 2),
            A_SPACE | A_WS | A_NL | A_END if c != A_PUNCT => {
                ascii_ws(b, i).map(|w| w.newline_piece(true))
            }
            _ => ascii_punct_piece(x, i, c, b"\r\n"),
        },
        A_NL => ascii_ws(b, i).map(|w| w.newline_piece(true)),
        _ => None,
    }
}

/// The gpt2 (r50k/p50k) piece at `i` when every byte it depends on is
/// ASCII, as [`o200k_ascii`]; a quote (contractions) always takes the
/// general path.
#[inline(always)]
fn gpt2_ascii(b: &[u8], i: usize) -> Option<usize> {
    match class_at(b, i) {
        A_LO | A_UP => ascii_letters(b, i + 1),
        A_DIGIT => ascii_class_run(b, i + 1, A_DIGIT),
        _ if b[i] == b'\'' => None,
        A_PUNCT => ascii_class_run(b, i + 1, A_PUNCT),
        A_SPACE => match class_at(b, i + 1) {
            A_LO | A_UP => ascii_letters(b, i + 2),
            c @ (A_DIGIT | A_PUNCT) => ascii_class_run(b, i + 2, c),
            _ => None,
        },
        _ => None,
    }
}

/// The general path of the o200k scanner, for pieces its ASCII path leaves.
#[inline(never)]
fn o200k(x: &Text<'_>, i: usize) -> usize {
    let (c, l, f) = x.at(i);
    let is_nl = c == u32::from(b'\r') || c == u32::from(b'\n');
    let opt = !is_nl && f & (L | N) == 0 && i + l < x.b.len();
    // Both word alternatives need a character of the upper or the lower
    // class where they start: without one, they are not tried.
    let g = if opt { x.flags(i + l) } else { 0 };
    if g & (UP | LO) != 0 {
        if let Some(e) = x.upper_lower(i + l) {
            return e;
        }
    }
    if f & (UP | LO) != 0 {
        if let Some(e) = x.upper_lower(i) {
            return e;
        }
    }
    if g & UP != 0 {
        if let Some(e) = x.upper_then_lower(i + l) {
            return e;
        }
    }
    if f & UP != 0 {
        if let Some(e) = x.upper_then_lower(i) {
            return e;
        }
    }
    if f & N != 0 {
        return x.digits3(i);
    }
    if c == u32::from(b' ') && i + 1 < x.b.len() && x.flags(i + 1) & OTHER_MASK == 0 {
        return x.ascii_run(x.run_other(i + 1), b"\r\n/");
    }
    if f & OTHER_MASK == 0 {
        return x.ascii_run(x.run_other(i), b"\r\n/");
    }
    x.ws(i).newline_piece(false)
}

impl Scanner {
    /// The scanner for a canonical pattern name.
    pub fn for_name(name: &str) -> Option<Self> {
        match name {
            "gpt2" => Some(Scanner::Gpt2),
            "cl100k" => Some(Scanner::Cl100k),
            "o200k" => Some(Scanner::O200k),
            _ => None,
        }
    }

    /// Calls `f` on each piece of `text`, in order; the pieces cover the text.
    #[inline]
    // The closures are not redundant: passed as function items, the ASCII
    // paths were called through a shim instead of inlined (callgrind: 4% more
    // instructions in a whole encode).
    #[allow(clippy::redundant_closure)]
    pub fn for_each<'t>(self, text: &'t str, f: impl FnMut(&'t str)) {
        match self {
            Scanner::Gpt2 => scan(text, f, |x, i| gpt2_ascii(x.b, i), gpt2),
            Scanner::Cl100k => scan(text, f, |x, i| cl100k_ascii(x, i), cl100k),
            Scanner::O200k => scan(text, f, |x, i| o200k_ascii(x, i), o200k),
        }
    }
}

/// Calls `f` on each piece of `text`: `fast` decides it when it can (inlined
/// here), `general` otherwise (a call).
#[inline(always)]
fn scan<'t>(
    text: &'t str,
    mut f: impl FnMut(&'t str),
    fast: impl Fn(&Text<'_>, usize) -> Option<usize>,
    general: fn(&Text<'_>, usize) -> usize,
) {
    let x = Text {
        b: text.as_bytes(),
        t: table(),
        block3: block3(),
    };
    let mut i = 0;
    while i < x.b.len() {
        let e = fast(&x, i).unwrap_or_else(|| general(&x, i));
        debug_assert!(e > i);
        f(&text[i..e]);
        i = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pretokenize::{CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN};

    /// Characters that exercise every branch: each class, marks, case folding
    /// (ſ), newlines, Unicode spaces, unassigned code points, emoji.
    const ALPHABET: &[char] = &[
        'a', 'B', 'z', 's', 'S', 'ſ', 't', 'l', 'L', 'v', 'e', 'r', 'R', 'd', 'm', '\'', ' ', ' ',
        ' ', '\t', '\n', '\r', '\u{b}', '\u{85}', '\u{2028}', '\u{3000}', '0', '7', '²', 'Ⅷ', '٣',
        '!', '.', '/', '-', '"', '\u{301}', '\u{94d}', 'ǅ', 'ʰ', 'ª', 'Ä', 'ß', '中', 'ア', 'я',
        'Я', 'ب', '😀', '\u{200d}', '\u{378}', '\u{e000}', '_',
        // Three-byte characters in uniform blocks (`block3`) and beside them.
        '国', '\u{9fff}', '\u{3400}', 'ー', '・', 'カ', '한', '\u{d7a3}', '\u{d7b0}', '。',
        '\u{fffd}', '\u{a4d0}',
    ];

    /// Iterations per pattern (`TOKSMITH_SCAN_ITERS` raises it for long runs).
    fn iters() -> usize {
        std::env::var("TOKSMITH_SCAN_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4000)
    }

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn scanners_equal_fancy_regex_on_random_text() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for (scanner, pat) in [
            (Scanner::Gpt2, GPT2_PATTERN),
            (Scanner::Cl100k, CL100K_PATTERN),
            (Scanner::O200k, O200K_PATTERN),
        ] {
            let re = fancy_regex::Regex::new(pat).unwrap();
            // Every ASCII character, and a few others that end ASCII runs
            // (letters, marks, digits, spaces, ſ): the ASCII fast paths.
            let ascii: Vec<char> = (0..128u8)
                .map(char::from)
                .chain("éſ²中\u{301}\u{85}\u{a0}—".chars())
                .collect();
            // Long runs of letters, for the sixteen-byte steps of `byte_run`:
            // all lower case, all upper case, or mixed.
            let runs: [&[char]; 3] = [&['a', 'q', 'z'], &['A', 'Q', 'Z'], &['a', 'Z', '`', '@']];
            for k in 0..3 * iters() {
                let text: String = if k % 3 == 2 {
                    let mut t = String::new();
                    for _ in 0..rng(&mut seed) % 6 {
                        let run = runs[(rng(&mut seed) % 3) as usize];
                        for _ in 0..rng(&mut seed) % 40 {
                            t.push(run[(rng(&mut seed) % run.len() as u64) as usize]);
                        }
                        t.push(ascii[(rng(&mut seed) % ascii.len() as u64) as usize]);
                    }
                    t
                } else {
                    let alphabet = if k % 3 == 0 { ALPHABET } else { &ascii[..] };
                    let len = (rng(&mut seed) % 24) as usize;
                    (0..len)
                        .map(|_| alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize])
                        .collect()
                };
                let want: Vec<&str> = re.find_iter(&text).map(|m| m.unwrap().as_str()).collect();
                let mut got = Vec::new();
                scanner.for_each(&text, |p| got.push(p));
                assert_eq!(got, want, "{scanner:?} on {text:?}");
            }
        }
    }
}
