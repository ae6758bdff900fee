//! Unit tests of the BPE model (merge paths against naive merging, unknowns).

use super::*;

fn toy(kind: BpeKind) -> BpeModel {
    let vocab: Vec<String> = ["a", "b", "c", "ab", "abc", "bc"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    BpeModel::from_parts(
        kind,
        vocab,
        &[(0, 1, 3), (3, 2, 4), (1, 2, 5)],
        BpeOptions::default(),
    )
    .unwrap()
}

/// Lowest rank first, leftmost among equals, one merge at a time.
fn merge_naive(m: &BpeModel, syms: &mut Vec<u32>) {
    loop {
        let best = (0..syms.len().saturating_sub(1))
            .filter_map(|i| m.rank(syms[i], syms[i + 1]).map(|(r, new)| (r, i, new)))
            .min();
        let Some((_, i, new)) = best else { break };
        syms[i] = new;
        syms.remove(i + 1);
    }
}

#[test]
fn small_and_large_paths_agree_with_naive_merging() {
    let m = toy(BpeKind::Char {
        unk_token: None,
        byte_fallback: false,
        fuse_unk: false,
    });
    for text in [
        "abc",
        "abcabc",
        "bcab",
        &"abcbcab".repeat(18),
        &"abcbcab".repeat(40),
        &"b".repeat(300),
    ] {
        let mut want = Vec::new();
        m.char_symbols(text, &mut want);
        let mut got = want.clone();
        merge_naive(&m, &mut want);
        if got.len() <= SMALL_PIECE {
            let mut small = got.clone();
            m.merge_small(&mut small, 0);
            assert_eq!(small, want, "small {text}");
        }
        m.merge_large(&mut got, 0);
        assert_eq!(got, want, "large {text}");
    }
    let mut out = Vec::new();
    m.encode_piece("abcab", &mut out);
    assert_eq!(out, vec![4, 3]);
}

#[test]
fn unknown_chars_are_dropped_without_unk_and_byte_tokens_parse() {
    let m = toy(BpeKind::Char {
        unk_token: None,
        byte_fallback: false,
        fuse_unk: false,
    });
    let mut out = Vec::new();
    m.encode_piece("axb", &mut out);
    assert_eq!(out, vec![3]);
    assert_eq!(parse_byte_token("<0x0A>"), Some(10));
    assert_eq!(parse_byte_token("<0x0>"), None);
}
