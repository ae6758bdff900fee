//! Tests of [`super::SpmDecoder`]; expected strings come from `sentencepiece`
//! 0.2.3 `decode(ids)` on the same models.

use super::*;

const TINY: &[u8] = include_bytes!("../../../tests/data/tiny_bpe.model");

#[test]
fn decode_matches_sentencepiece_on_tiny_model() {
    let m = read(TINY, "tiny").unwrap();
    let d = SpmDecoder::new(&m, "tiny").unwrap();
    let cases: [(&[u32], &str); 8] = [
        (&[1, 260, 2], "\u{fffd}"),
        (&[233, 154, 168, 300], "㔢12"),
        (&[233, 68, 258], "\u{fffd}>\u{fffd}"),
        (&[0, 0, 5], " ⁇  ⁇  @"),
        (&[259, 259, 262], "\u{fffd}\u{fffd}at"),
        (&[262, 259], "at\u{fffd}"),
        (&[1, 259, 300], "\u{fffd}12"),
        (
            &[299, 295, 285, 269, 274, 279],
            "first office with the flat hat",
        ),
    ];
    for (ids, want) in cases {
        assert_eq!(d.decode(ids).unwrap(), want, "{ids:?}");
    }
    assert!(matches!(d.decode(&[330]), Err(Error::UnknownId(330))));
    assert_eq!(d.decode(&[]).unwrap(), "");
}

/// `<unk> <s> ▁ ▁a a b▁c`, identity normalizer with the given options.
fn small(adp: bool, rew: bool) -> SpmModelFile {
    let pieces = vec![
        SpmPiece::new("<unk>", 0.0, SpmPieceType::Unknown),
        SpmPiece::new("<s>", 0.0, SpmPieceType::Control),
        SpmPiece::new("▁", -1.0, SpmPieceType::Normal),
        SpmPiece::new("▁a", -2.0, SpmPieceType::Normal),
        SpmPiece::new("a", -3.0, SpmPieceType::Normal),
        SpmPiece::new("b▁c", -4.0, SpmPieceType::Normal),
    ];
    let mut m = SpmModelFile::new(pieces, SpmModelType::Bpe);
    m.normalizer.add_dummy_prefix = Some(adp);
    m.normalizer.remove_extra_whitespaces = Some(rew);
    m
}

#[test]
fn leading_space_rules_match_sentencepiece() {
    let ids: [&[u32]; 6] = [
        &[2, 2, 3],
        &[1, 3, 3],
        &[1, 2, 4],
        &[0, 3],
        &[5, 2],
        &[3, 5],
    ];
    let cases = [
        ((true, true), ["a", "a a", "a", " ⁇  a", "b c ", "ab c"]),
        ((true, false), ["  a", "a a", "a", " ⁇  a", "b c ", "ab c"]),
        (
            (false, false),
            ["   a", " a a", " a", " ⁇  a", "b c ", " ab c"],
        ),
        ((false, true), ["a", "a a", "a", " ⁇  a", "b c ", "ab c"]),
    ];
    for ((adp, rew), want) in cases {
        let d = SpmDecoder::new(&small(adp, rew), "t").unwrap();
        for (ids, w) in ids.iter().zip(want) {
            assert_eq!(d.decode(ids).unwrap(), w, "{ids:?} {adp} {rew}");
        }
    }
    let mut m = small(true, true);
    m.trainer.unk_surface = Some("<?>".into());
    let d = SpmDecoder::new(&m, "t").unwrap();
    assert_eq!(d.decode(&[4, 0, 0, 4]).unwrap(), "a<?><?>a");
}

#[test]
fn byte_piece_names() {
    assert_eq!(piece_to_byte("<0x41>"), Some(0x41));
    assert_eq!(piece_to_byte("<0xFF>"), Some(0xff));
    assert_eq!(piece_to_byte("<0xff>"), None);
    assert_eq!(piece_to_byte("<0x4>"), None);
    assert_eq!(piece_to_byte("0x41"), None);
}
