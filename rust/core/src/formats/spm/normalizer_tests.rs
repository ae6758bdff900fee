//! Tests of [`super::SpmNormalizer`]. Expected strings and offsets come from
//! `sentencepiece` 0.2.3 (`normalize(text.encode(), with_offsets=True)`).

use super::*;
use crate::formats::spm::{read, NormalizerSpec};

const TINY: &[u8] = include_bytes!("../../../tests/data/tiny_bpe.model");

fn identity(adp: bool, esc: bool, rew: bool) -> NormalizerSpec {
    NormalizerSpec {
        name: Some("identity".into()),
        add_dummy_prefix: Some(adp),
        escape_whitespaces: Some(esc),
        remove_extra_whitespaces: Some(rew),
        ..NormalizerSpec::default()
    }
}

const TEXTS: [&str; 5] = ["  a  b ", "a\u{3000}b", " \t", "x y", "ab  "];

#[test]
fn identity_options_match_sentencepiece() {
    type Want<'a> = [(&'a str, &'a [u32]); 5];
    let cases: [((bool, bool, bool), Want<'_>); 4] = [
        (
            (true, true, true),
            [
                ("▁a▁b", &[2, 2, 2, 2, 3, 3, 3, 5, 6]),
                ("▁a\u{3000}b", &[0, 0, 0, 0, 1, 1, 1, 4, 5]),
                ("▁\t", &[1, 1, 1, 1, 2]),
                ("▁x▁y", &[0, 0, 0, 0, 1, 1, 1, 2, 3]),
                ("▁ab", &[0, 0, 0, 0, 1, 2]),
            ],
        ),
        (
            (true, true, false),
            [
                (
                    "▁▁▁a▁▁b▁",
                    &[
                        0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5, 6, 6, 6, 7,
                    ],
                ),
                ("▁a\u{3000}b", &[0, 0, 0, 0, 1, 1, 1, 4, 5]),
                ("▁▁\t", &[0, 0, 0, 0, 0, 0, 1, 2]),
                ("▁x▁y", &[0, 0, 0, 0, 1, 1, 1, 2, 3]),
                ("▁ab▁▁", &[0, 0, 0, 0, 1, 2, 2, 2, 3, 3, 3, 4]),
            ],
        ),
        (
            (true, false, true),
            [
                (" a b", &[2, 2, 3, 5, 6]),
                (" a\u{3000}b", &[0, 0, 1, 1, 1, 4, 5]),
                (" \t", &[1, 1, 2]),
                (" x y", &[0, 0, 1, 2, 3]),
                (" ab", &[0, 0, 1, 2]),
            ],
        ),
        (
            (false, false, false),
            [
                ("  a  b ", &[0, 1, 2, 3, 4, 5, 6, 7]),
                ("a\u{3000}b", &[0, 1, 1, 1, 4, 5]),
                (" \t", &[0, 1, 2]),
                ("x y", &[0, 1, 2, 3]),
                ("ab  ", &[0, 1, 2, 3, 4]),
            ],
        ),
    ];
    for ((adp, esc, rew), want) in cases {
        let n = SpmNormalizer::new(&identity(adp, esc, rew), false, [], "t").unwrap();
        for (text, (s, offs)) in TEXTS.iter().zip(want) {
            let got = n.normalize(text);
            assert_eq!(
                (got.0.as_str(), got.1.as_slice()),
                (s, offs),
                "{text:?} {adp} {esc} {rew}"
            );
            assert_eq!(n.normalize_str(text), s);
        }
    }
}

#[test]
fn whitespace_as_suffix_matches_sentencepiece() {
    let n = SpmNormalizer::new(&identity(true, true, true), true, [], "t").unwrap();
    let want: [(&str, &[u32]); 5] = [
        ("a▁b▁", &[2, 3, 3, 3, 5, 6, 6, 6, 6]),
        ("a\u{3000}b▁", &[0, 1, 1, 1, 4, 5, 5, 5, 5]),
        ("\t▁", &[1, 2, 2, 2, 2]),
        ("x▁y▁", &[0, 1, 1, 1, 2, 3, 3, 3, 3]),
        ("ab▁", &[0, 1, 2, 2, 2, 2]),
    ];
    for (text, (s, offs)) in TEXTS.iter().zip(want) {
        let got = n.normalize(text);
        assert_eq!((got.0.as_str(), got.1.as_slice()), (s, offs), "{text:?}");
    }
}

#[test]
fn charsmap_and_user_symbols_match_sentencepiece() {
    let m = read(TINY, "tiny").unwrap();
    let n = SpmNormalizer::from_model(&m, "tiny").unwrap();
    let cases: [(&str, &str, &[u32]); 8] = [
        ("", "", &[]),
        ("   ", "", &[]),
        (
            "ＡB ① ﬁne\u{3000}cat\u{ad}x <tag>@@",
            "▁AB▁1▁fine▁catx▁<tag>@@",
            &[
                0, 0, 0, 0, 3, 4, 4, 4, 5, 8, 8, 8, 9, 9, 12, 13, 14, 14, 14, 17, 18, 19, 22, 23,
                23, 23, 24, 24, 24, 24, 24, 29, 29, 31,
            ],
        ),
        (
            "AB ab aB",
            "▁x▁ab▁aB",
            &[0, 0, 0, 0, 2, 2, 2, 3, 4, 5, 5, 5, 6, 7, 8],
        ),
        ("\u{ad}", "", &[0]),
        ("x\u{ad}\u{ad}y", "▁xy", &[0, 0, 0, 0, 5, 6]),
        (
            "<tag><tag>@@@ ▁@x",
            "▁<tag><tag>@@@▁▁@x",
            &[
                0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 12, 13, 13, 13, 14, 14, 14, 14, 18,
                19,
            ],
        ),
        (
            "日本🙂",
            "▁日本🙂",
            &[0, 0, 0, 0, 0, 0, 3, 3, 3, 6, 6, 6, 6, 10],
        ),
    ];
    for (text, s, offs) in cases {
        let got = n.normalize(text);
        assert_eq!((got.0.as_str(), got.1.as_slice()), (s, offs), "{text:?}");
    }
}

#[test]
fn invalid_utf8_bytes_become_replacement_characters() {
    let n = SpmNormalizer::new(&identity(false, true, true), false, [], "t").unwrap();
    let mut out = String::new();
    let mut offs = Vec::new();
    // A truncated 3-byte sequence is two invalid bytes: two U+FFFD.
    n.normalize_bytes_into(b"a\xe2\x96b", &mut out, Some(&mut offs));
    assert_eq!(out, "a\u{fffd}\u{fffd}b");
    assert_eq!(offs, [0, 1, 1, 1, 2, 2, 2, 3, 4]);
}

#[test]
fn prefix_matcher_finds_longest() {
    let m = PrefixMatcher::new(["ab", "abcd", "b", ""]);
    assert_eq!(m.longest(b"abcde"), Some(4));
    assert_eq!(m.longest(b"abc"), Some(2));
    assert_eq!(m.longest(b"a"), None);
    assert_eq!(m.longest(b"bb"), Some(1));
    assert_eq!(m.longest(b""), None);
    assert!(PrefixMatcher::new([]).is_empty());
}
