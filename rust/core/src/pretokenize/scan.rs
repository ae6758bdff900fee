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

use super::classes::{folds_to, table, L, LO, N, UP, WS};

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
        while j < self.b.len() {
            let (_, l, f) = self.at(j);
            if f & UP == 0 {
                break;
            }
            if f & LO != 0 {
                last_w_end = Some(j + l);
            }
            j += l;
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
}

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
        return x.run(s, |f| f & L != 0);
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

fn cl100k(x: &Text<'_>, i: usize) -> usize {
    let (c, l, f) = x.at(i);
    if c == u32::from(b'\'') {
        if let Some(e) = x.contraction(i + 1, true) {
            return e;
        }
    }
    if f & L != 0 {
        return x.run(i, |f| f & L != 0);
    }
    let is_nl = c == u32::from(b'\r') || c == u32::from(b'\n');
    if !is_nl && f & N == 0 && x.flags(i + l) & L != 0 {
        return x.run(i + l, |f| f & L != 0);
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
    let ws = x.ws(i);
    if ws.at_end {
        return ws.end;
    }
    if let Some(e) = ws.last_nl_end {
        return e;
    }
    ws.lookahead_end()
}

fn o200k(x: &Text<'_>, i: usize) -> usize {
    let (c, l, f) = x.at(i);
    let is_nl = c == u32::from(b'\r') || c == u32::from(b'\n');
    let opt = !is_nl && f & (L | N) == 0 && i + l < x.b.len();
    if opt {
        if let Some(e) = x.upper_lower(i + l) {
            return e;
        }
    }
    if let Some(e) = x.upper_lower(i) {
        return e;
    }
    if opt {
        if let Some(e) = x.upper_then_lower(i + l) {
            return e;
        }
    }
    if let Some(e) = x.upper_then_lower(i) {
        return e;
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
    let ws = x.ws(i);
    if let Some(e) = ws.last_nl_end {
        return e;
    }
    ws.lookahead_end()
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
    pub fn for_each<'t>(self, text: &'t str, mut f: impl FnMut(&'t str)) {
        let x = Text {
            b: text.as_bytes(),
            t: table(),
        };
        let mut i = 0;
        while i < x.b.len() {
            let e = match self {
                Scanner::Gpt2 => gpt2(&x, i),
                Scanner::Cl100k => cl100k(&x, i),
                Scanner::O200k => o200k(&x, i),
            };
            debug_assert!(e > i);
            f(&text[i..e]);
            i = e;
        }
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
            for _ in 0..iters() {
                let len = (rng(&mut seed) % 24) as usize;
                let text: String = (0..len)
                    .map(|_| ALPHABET[(rng(&mut seed) % ALPHABET.len() as u64) as usize])
                    .collect();
                let want: Vec<&str> = re.find_iter(&text).map(|m| m.unwrap().as_str()).collect();
                let mut got = Vec::new();
                scanner.for_each(&text, |p| got.push(p));
                assert_eq!(got, want, "{scanner:?} on {text:?}");
            }
        }
    }
}
