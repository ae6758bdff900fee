//! Tests of the `.model` reader/writer: byte-exact round trips (including
//! unknown fields), values checked against `sentencepiece` 0.2.3, and a small
//! fuzz (truncated and mutated files must give errors, never panics).

use super::*;
use crate::bpe::spm_bpe::SpmBpe;
use crate::formats::spm::wire::{put_bytes, put_f32, put_i32, put_message};
use crate::formats::spm::{SpmDecoder, SpmNormalizer};

const TINY: &[u8] = include_bytes!("../../../tests/data/tiny_bpe.model");

#[test]
fn tiny_model_round_trips_byte_for_byte() {
    let m = read(TINY, "tiny").unwrap();
    assert!(
        m.trainer.raw.unknown_len() > 0,
        "unmodelled trainer fields are kept"
    );
    assert_eq!(write(&m), TINY);
}

#[test]
fn tiny_model_values_match_sentencepiece() {
    let m = read(TINY, "tiny").unwrap();
    assert_eq!(m.pieces.len(), 330);
    assert_eq!(m.model_type, SpmModelType::Bpe);
    assert!(m.trainer.byte_fallback());
    // (id, piece, score, type) as reported by sentencepiece.
    let want: [(usize, &str, f32, SpmPieceType); 8] = [
        (0, "<unk>", 0.0, SpmPieceType::Unknown),
        (1, "<s>", 0.0, SpmPieceType::Control),
        (3, "<tag>", 0.0, SpmPieceType::UserDefined),
        (5, "▁@", 0.0, SpmPieceType::UserDefined),
        (6, "<0x00>", 0.0, SpmPieceType::Byte),
        (261, "<0xFF>", 0.0, SpmPieceType::Byte),
        (300, "12", -38.0, SpmPieceType::Normal),
        (329, "Ω", -67.0, SpmPieceType::Normal),
    ];
    for (id, piece, score, kind) in want {
        let p = &m.pieces[id];
        assert_eq!(
            (p.piece.as_str(), p.score, p.kind),
            (piece, score, kind),
            "id {id}"
        );
    }
    assert!(m.normalizer.add_dummy_prefix() && m.normalizer.remove_extra_whitespaces());
    assert!(!m.normalizer.charsmap().is_empty());
    assert_eq!(m.trainer.user_defined_symbols, ["<tag>", "@@", "▁@"]);
}

/// A hand-made model with unknown fields at every level and a self-test sample.
fn handmade() -> Vec<u8> {
    let mut out = Vec::new();
    put_message(&mut out, 1, |o| {
        put_bytes(o, 1, "<unk>".as_bytes());
        put_i32(o, 3, 2);
        put_i32(o, 200, 7); // extension
    });
    put_message(&mut out, 1, |o| {
        put_bytes(o, 1, "a".as_bytes());
        put_f32(o, 2, -1.5);
    });
    put_message(&mut out, 2, |o| {
        put_bytes(o, 1, b"input.txt"); // `input`: not modelled
        put_i32(o, 3, 2);
        put_i32(o, 4, 2);
        put_i32(o, 11, 5); // not modelled, between known fields
        put_i32(o, 43, -1);
        put_i32(o, 999, 1); // unknown to the schema, at the end
    });
    put_message(&mut out, 3, |o| put_bytes(o, 1, b"identity"));
    put_message(&mut out, 4, |o| {
        put_message(o, 1, |s| {
            put_bytes(s, 1, b"in");
            put_bytes(s, 2, b"out");
        })
    });
    put_i32(&mut out, 77, 3);
    out
}

#[test]
fn unknown_fields_are_preserved() {
    let bytes = handmade();
    let m = read(&bytes, "h").unwrap();
    assert_eq!(m.pieces[0].raw.unknown_len(), 1);
    assert_eq!(m.pieces[1].score, -1.5);
    assert_eq!(m.trainer.raw.unknown_len(), 3);
    assert_eq!(m.trainer.pad_id, Some(-1));
    assert_eq!(m.self_test_data(), [("in".to_string(), "out".to_string())]);
    assert_eq!(write(&m), bytes);
    // Editing a typed field keeps the unknown ones.
    let mut m2 = m.clone();
    m2.trainer.vocab_size = Some(3);
    m2.pieces
        .push(SpmPiece::new("b", -2.0, SpmPieceType::Normal));
    let back = read(&write(&m2), "h").unwrap();
    assert_eq!(back, m2);
    assert_eq!(back.self_test_data().len(), 1);
}

#[test]
fn fresh_model_round_trips() {
    let pieces = vec![
        SpmPiece::new("<unk>", 0.0, SpmPieceType::Unknown),
        SpmPiece::new("<s>", 0.0, SpmPieceType::Control),
        SpmPiece::new("</s>", 0.0, SpmPieceType::Control),
        SpmPiece::new("<sep>", 0.0, SpmPieceType::Control),
        SpmPiece::new("▁a", -1.0, SpmPieceType::Normal),
    ];
    let m = SpmModelFile::new(pieces, SpmModelType::Bpe);
    let t = &m.trainer;
    assert_eq!(
        (t.unk_id(), t.bos_id(), t.eos_id(), t.pad_id()),
        (0, 1, 2, -1)
    );
    assert_eq!(t.control_symbols, ["<sep>"]);
    let bytes = write(&m);
    let back = read(&bytes, "fresh").unwrap();
    assert_eq!(back, m);
    assert_eq!(write(&back), bytes);
}

#[test]
fn malformed_files_are_errors_with_offsets() {
    let err = read(&TINY[..TINY.len() - 3], "tiny")
        .unwrap_err()
        .to_string();
    assert!(err.contains("tiny") && err.contains("at byte"), "{err}");
    // Invalid UTF-8 in a piece.
    let mut bad = Vec::new();
    put_message(&mut bad, 1, |o| put_bytes(o, 1, b"\xff"));
    let err = read(&bad, "b").unwrap_err().to_string();
    assert!(err.contains("pieces[0]") && err.contains("UTF-8"), "{err}");
}

/// xorshift64*, for a deterministic fuzz.
fn rng(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn exercise(bytes: &[u8]) {
    let Ok(m) = read(bytes, "fuzz") else {
        return;
    };
    let _ = write(&m);
    if let Ok(n) = SpmNormalizer::from_model(&m, "fuzz") {
        let (s, _) = n.normalize("  Ａb ① ﬁ\u{ad}x <tag>@@ 日本🙂 ");
        if let Ok(b) = SpmBpe::new(&m, "fuzz") {
            let _ = b.encode(&s);
        }
    }
    if let Ok(d) = SpmDecoder::new(&m, "fuzz") {
        let _ = d.decode(&[0, 1, 2, 3, 7, 100, 260, 329]);
    }
}

#[test]
fn truncated_and_mutated_files_never_panic() {
    for n in (0..TINY.len()).step_by(13) {
        exercise(&TINY[..n]);
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..400 {
        let mut b = TINY.to_vec();
        for _ in 0..1 + rng(&mut state) % 4 {
            let at = (rng(&mut state) % b.len() as u64) as usize;
            b[at] = rng(&mut state) as u8;
        }
        exercise(&b);
    }
}
