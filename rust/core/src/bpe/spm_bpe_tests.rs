//! Tests of [`super::SpmBpe`]. Expected ids come from `sentencepiece` 0.2.3
//! (`sp.encode(text)`) on the same models: the committed
//! `tests/data/tiny_bpe.model` and small models built in code (the Python
//! oracle built the identical protobuf by hand).

use super::*;
use crate::formats::spm::{self, SpmModelType, SpmNormalizer, SpmPiece, SpmPieceType as T};

const TINY: &[u8] = include_bytes!("../../tests/data/tiny_bpe.model");

fn encode(m: &SpmModelFile, text: &str) -> Vec<u32> {
    let n = SpmNormalizer::from_model(m, "t").unwrap();
    SpmBpe::new(m, "t")
        .unwrap()
        .encode_ids(&n.normalize_str(text))
}

/// `<unk> a b c` at -5 plus `extra`; identity normalizer without dummy prefix.
fn small(extra: &[(&str, f32, T)]) -> SpmModelFile {
    let mut pieces = vec![SpmPiece::new("<unk>", 0.0, T::Unknown)];
    for c in ["a", "b", "c"] {
        pieces.push(SpmPiece::new(c, -5.0, T::Normal));
    }
    for &(p, s, k) in extra {
        pieces.push(SpmPiece::new(p, s, k));
    }
    let mut m = SpmModelFile::new(pieces, SpmModelType::Bpe);
    m.normalizer.add_dummy_prefix = Some(false);
    m
}

const TEXTS: [&str; 5] = ["abc", "ab", "xyab", "abcabc", "bcab"];

fn check(m: &SpmModelFile, want: [&[u32]; 5]) {
    for (t, w) in TEXTS.iter().zip(want) {
        assert_eq!(encode(m, t), w, "{t:?}");
    }
}

#[test]
fn equal_scores_merge_leftmost_first() {
    let m = small(&[("ab", -1.0, T::Normal), ("bc", -1.0, T::Normal)]);
    check(&m, [&[4, 3], &[4], &[0, 4], &[4, 3, 4, 3], &[5, 4]]);
}

#[test]
fn higher_score_wins() {
    let m = small(&[("ab", -1.0, T::Normal), ("bc", -0.5, T::Normal)]);
    check(&m, [&[1, 5], &[4], &[0, 4], &[1, 5, 1, 5], &[5, 4]]);
}

#[test]
fn negative_zero_ranks_below_zero_like_sentencepiece() {
    let m = small(&[("ab", -0.0, T::Normal), ("bc", 0.0, T::Normal)]);
    check(&m, [&[1, 5], &[4], &[0, 4], &[1, 5, 1, 5], &[5, 4]]);
    let m = small(&[("ab", 0.0, T::Normal), ("bc", 0.0, T::Normal)]);
    check(&m, [&[4, 3], &[4], &[0, 4], &[4, 3, 4, 3], &[5, 4]]);
}

#[test]
fn unused_pieces_are_resegmented() {
    let m = small(&[("ab", -1.0, T::Unused), ("abc", -2.0, T::Normal)]);
    check(&m, [&[5], &[1, 2], &[0, 1, 2], &[5, 5], &[2, 3, 1, 2]]);
}

#[test]
fn user_defined_symbols_are_frozen() {
    let m = small(&[("ab", -1.0, T::Normal), ("bc", -3.0, T::UserDefined)]);
    check(&m, [&[1, 5], &[4], &[0, 4], &[1, 5, 1, 5], &[5, 4]]);
}

#[test]
fn spans_cover_the_normalized_text() {
    let m = small(&[("ab", -1.0, T::Normal)]);
    let bpe = SpmBpe::new(&m, "t").unwrap();
    // "xy" is one unknown run, "ab" a piece, "c" a character.
    assert_eq!(bpe.encode("xyabc"), [(0, 0, 2), (4, 2, 4), (3, 4, 5)]);
    assert_eq!(bpe.encode("é"), [(0, 0, 2)]);
}

#[test]
fn tiny_model_matches_sentencepiece() {
    let m = spm::read(TINY, "tiny").unwrap();
    let cases: [(&str, &[u32]); 9] = [
        ("", &[]),
        (
            "ＡB ① ﬁne\u{3000}cat\u{ad}x <tag>@@",
            &[301, 71, 72, 301, 319, 277, 288, 326, 301, 3, 4],
        ),
        ("  the  cat\tsat  ", &[269, 288, 290]),
        ("AB ab aB", &[301, 326, 265, 314, 265, 72]),
        (
            "naïve café Ωmega",
            &[
                301, 306, 303, 328, 325, 307, 280, 303, 305, 327, 301, 329, 315, 307, 318, 303,
            ],
        ),
        // Byte fallback for CJK and emoji.
        (
            "日本🙂",
            &[301, 236, 157, 171, 236, 162, 178, 246, 165, 159, 136],
        ),
        ("<tag><tag>@@@ ▁@x", &[301, 3, 3, 4, 324, 301, 5, 326]),
        (
            "<s> </s> <unk>",
            &[
                301, 66, 311, 68, 301, 66, 53, 311, 68, 301, 66, 123, 306, 113, 68,
            ],
        ),
        (
            "first office with the flat hat",
            &[299, 295, 285, 269, 274, 279],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(encode(&m, text), want, "{text:?}");
    }
    // The same model with every 7th multi-character NORMAL piece UNUSED.
    let mut u = m.clone();
    let mut k = 0;
    for p in &mut u.pieces {
        if p.kind == T::Normal && p.piece.chars().count() > 1 {
            k += 1;
            if k % 7 == 0 {
                p.kind = T::Unused;
            }
        }
    }
    assert_eq!(encode(&u, "on"), [267, 306]);
    assert_eq!(encode(&u, "mat"), [286, 262]);
    assert_eq!(
        encode(&m, "mat").len(),
        1,
        "one piece when nothing is unused"
    );
}

#[test]
fn long_input_is_not_quadratic() {
    let m = small(&[("ab", -1.0, T::Normal), ("abab", -2.0, T::Normal)]);
    let bpe = SpmBpe::new(&m, "t").unwrap();
    let text = "ab".repeat(200_000);
    let t = std::time::Instant::now();
    let ids = bpe.encode_ids(&text);
    assert_eq!(ids.len(), 100_000);
    assert!(ids.iter().all(|&i| i == 5));
    assert!(t.elapsed().as_secs() < 20);
}

#[test]
fn invalid_models_are_rejected() {
    // No unknown piece and no byte fallback.
    let mut m = small(&[]);
    m.pieces.remove(0);
    assert!(SpmBpe::new(&m, "t").is_err());
    // Duplicate piece.
    let m = small(&[("a", -1.0, T::Normal)]);
    assert!(SpmBpe::new(&m, "t").is_err());
    // Byte fallback without the 256 byte pieces.
    let mut m = small(&[("<0x41>", 0.0, T::Byte)]);
    m.trainer.byte_fallback = Some(true);
    assert!(SpmBpe::new(&m, "t").is_err());
}
