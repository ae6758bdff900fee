//! Unicode character classes for the hand-written scanners, taken from the
//! very tables the regex engine uses (`regex-syntax`), so the scanners and
//! fancy-regex classify every code point identically.
//!
//! One flag byte per code point (1.1 MB, built once in about a millisecond):
//! a single array index per character is faster than any range search.

use regex_syntax::hir::{Class, HirKind};
use std::sync::OnceLock;

/// `\p{L}`.
pub const L: u8 = 1;
/// `\p{N}`.
pub const N: u8 = 2;
/// `\s` (Unicode White_Space).
pub const WS: u8 = 4;
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` (o200k's "upper" class).
pub const UP: u8 = 8;
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]` (o200k's "lower" class).
pub const LO: u8 = 16;

/// Code points whose simple case folding orbit contains `s` (for `(?i)` contractions).
pub fn folds_to(c: u32, ascii_lower: u8) -> bool {
    c == u32::from(ascii_lower)
        || c == u32::from(ascii_lower.to_ascii_uppercase())
        || (ascii_lower == b's' && c == 0x17F)
}

fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    let hir = regex_syntax::parse(pattern).expect("valid class");
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        other => panic!("{pattern} is not a Unicode class: {other:?}"),
    }
}

/// The flag table.
pub fn table() -> &'static [u8] {
    static T: OnceLock<Vec<u8>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = vec![0u8; 0x110000];
        for (pat, flag) in [
            (r"\p{L}", L),
            (r"\p{N}", N),
            (r"\s", WS),
            (r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", UP),
            (r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]", LO),
        ] {
            for (a, b) in class_ranges(pat) {
                for f in &mut t[a as usize..=b as usize] {
                    *f |= flag;
                }
            }
        }
        t
    })
}

/// For each block of 64 three-byte characters (lead byte `0xE0 + hi`,
/// second byte `0x80 + lo`, index `hi << 6 | lo`): the flags every character
/// in it has (0 for blocks below U+0800, which are not three-byte). Blocks
/// of CJK ideographs, kana or Hangul syllables are all letters of both o200k
/// classes, so a scanner can step over such a character from its first two
/// bytes, without decoding it.
pub fn block3() -> &'static [u8; 1024] {
    static B: OnceLock<[u8; 1024]> = OnceLock::new();
    B.get_or_init(|| {
        let t = table();
        let mut b = [0u8; 1024];
        for (k, slot) in b.iter_mut().enumerate().skip(0x800 >> 6) {
            let first = k << 6;
            *slot = t[first..first + 64].iter().fold(u8::MAX, |a, &f| a & f);
        }
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_folding_of_contraction_letters_matches_regex_syntax() {
        for l in *b"sdmtlvre" {
            let ranges = class_ranges(&format!("(?i:{})", l as char));
            let mut cps: Vec<u32> = ranges.iter().flat_map(|&(a, b)| a..=b).collect();
            cps.sort_unstable();
            let mut expect: Vec<u32> = (0..0x110000).filter(|&c| folds_to(c, l)).collect();
            expect.sort_unstable();
            assert_eq!(cps, expect, "{}", l as char);
        }
    }

    #[test]
    fn table_spot_checks() {
        let t = table();
        assert_eq!(t['a' as usize], L | LO);
        assert_eq!(t['A' as usize], L | UP);
        assert_eq!(t['7' as usize], N);
        assert_eq!(t[' ' as usize], WS);
        assert_eq!(t[0x301], UP | LO); // combining acute: \p{M}, not \p{L}
        assert_eq!(t[0x3000], WS);
        assert_eq!(t['中' as usize], L | UP | LO);
        assert_eq!(t[0x378], 0); // unassigned
        let b = block3();
        assert_eq!(b[0x4E00 >> 6], L | UP | LO);
        assert_eq!(b[0x3000 >> 6], 0); // CJK punctuation and spaces
        assert_eq!(b[0x7FF >> 6], 0); // two-byte characters
    }
}
