//! Tests of [`super::model`] against brute-force references: every
//! segmentation of short strings is enumerated and ranked by SentencePiece's
//! rules (scores are exact binary fractions, so float order cannot interfere).

use super::model::{Piece, PieceKind, UnigramModel};

type Span = (u32, u32, u32);

fn piece(text: &str, score: f32, kind: PieceKind) -> Piece {
    Piece {
        text: text.to_string(),
        score,
        kind,
    }
}

/// Vocabulary: `<unk>`, `<s>`, then normal pieces.
fn vocab(normal: &[(&str, f32)]) -> Vec<Piece> {
    let mut v = vec![
        piece("<unk>", 0.0, PieceKind::Unknown),
        piece("<s>", 0.0, PieceKind::Control),
    ];
    v.extend(normal.iter().map(|&(t, s)| piece(t, s, PieceKind::Normal)));
    v
}

/// All lattice paths of `text` under SentencePiece's node rules, each as raw
/// `(id, start, end)` nodes with its score; `char_len_user` selects the
/// user-defined length unit (chars for the lattice, bytes for `encode`).
fn all_paths(pieces: &[Piece], text: &str, char_len_user: bool) -> Vec<(Vec<Span>, f64)> {
    let min = pieces
        .iter()
        .filter(|p| p.kind == PieceKind::Normal)
        .map(|p| p.score)
        .fold(f32::MAX, f32::min);
    let unk = pieces
        .iter()
        .position(|p| p.kind == PieceKind::Unknown)
        .unwrap() as u32;
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    // edges[start] = (end, id, score)
    let mut edges: Vec<Vec<(usize, u32, f64)>> = vec![Vec::new(); text.len() + 1];
    for (k, &s) in bounds[..bounds.len() - 1].iter().enumerate() {
        let mut single = false;
        for (id, p) in pieces.iter().enumerate() {
            let usable = matches!(p.kind, PieceKind::Normal | PieceKind::UserDefined);
            if usable && text[s..].starts_with(&p.text) {
                let e = s + p.text.len();
                let chars = text[s..e].chars().count();
                let score = if p.kind == PieceKind::UserDefined {
                    let len = if char_len_user { chars } else { e - s };
                    0.1 * (len as f64 - 1.0)
                } else {
                    p.score as f64
                };
                edges[s].push((e, id as u32, score));
                single |= chars == 1;
            }
        }
        if !single {
            edges[s].push((bounds[k + 1], unk, min as f64 - 10.0));
        }
    }
    let mut out = Vec::new();
    let mut stack: Vec<(usize, Vec<Span>, f64)> = vec![(0, Vec::new(), 0.0)];
    while let Some((pos, path, score)) = stack.pop() {
        if pos == text.len() {
            out.push((path, score));
            continue;
        }
        for &(e, id, s) in &edges[pos] {
            let mut p = path.clone();
            p.push((id, pos as u32, e as u32));
            stack.push((e, p, score + s));
        }
    }
    out
}

/// SentencePiece's Viterbi choice among paths: max score; on ties the path
/// whose last token starts earliest, then recursively on the prefix.
fn viterbi_ref(paths: &[(Vec<Span>, f64)]) -> Vec<Span> {
    let best = paths.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let key = |p: &Vec<Span>| p.iter().rev().map(|s| s.1).collect::<Vec<u32>>();
    paths
        .iter()
        .filter(|p| p.1 == best)
        .min_by(|a, b| key(&a.0).cmp(&key(&b.0)))
        .unwrap()
        .0
        .clone()
}

/// Fuse unknown runs / expand bytes, as `PopulateSentencePieceText`.
fn finish_ref(path: &[Span], text: &str, unk: u32, bytes: Option<&[u32]>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut prev_unk = false;
    for &(id, s, e) in path {
        let is_unk = id == unk;
        match (is_unk, bytes) {
            (true, Some(b)) => {
                for i in s..e {
                    let end = if i + 1 == e { e } else { s };
                    out.push((b[text.as_bytes()[i as usize] as usize], s, end));
                }
            }
            (true, None) if prev_unk => out.last_mut().unwrap().2 = e,
            _ => out.push((id, s, e)),
        }
        prev_unk = is_unk;
    }
    out
}

fn check_encode(pieces: Vec<Piece>, texts: &[&str]) {
    let model = UnigramModel::new(pieces.clone(), false).unwrap();
    let mut out = Vec::new();
    for text in texts {
        let paths = all_paths(&pieces, text, false);
        let want = finish_ref(&viterbi_ref(&paths), text, 0, None);
        model.encode(text, &mut out);
        assert_eq!(out, want, "{text:?}");
    }
}

#[test]
fn encode_matches_brute_force() {
    let pieces = vocab(&[
        ("a", -2.0),
        ("b", -2.5),
        ("ab", -4.0),
        ("abc", -5.0),
        ("c", -3.0),
        ("bc", -4.5),
        ("\u{2581}", -1.0),
        ("\u{2581}a", -2.25),
        ("日", -3.0),
        ("日本", -4.0),
        ("本", -3.5),
    ]);
    check_encode(
        pieces,
        &[
            "abc",
            "\u{2581}abcab",
            "aabbcc",
            "日本日本本",
            "x",
            "xyz",
            "axb😀c",
            "\u{2581}a\u{2581}ab日x日",
            "cbacba",
        ],
    );
}

#[test]
fn encode_ties_keep_earliest_start() {
    // "ab" = "a"+"b" = -4: the tie keeps the node found first at each end
    // position, i.e. the one starting earliest ("ab").
    let pieces = vocab(&[("a", -2.0), ("b", -2.0), ("ab", -4.0), ("ba", -4.0)]);
    check_encode(pieces, &["ab", "aba", "abab", "bab", "baba"]);
}

#[test]
fn unused_and_user_defined() {
    let mut pieces = vocab(&[("a", -2.0), ("b", -2.0), ("日", -1.0), ("本", -1.0)]);
    pieces.push(piece("ab", -0.5, PieceKind::Unused));
    pieces.push(piece("日本", 0.0, PieceKind::UserDefined));
    pieces.push(piece("bb", 0.0, PieceKind::UserDefined));
    let model = UnigramModel::new(pieces.clone(), false).unwrap();
    for text in ["ab", "abb", "日本", "b日本bb", "日本日"] {
        let mut out = Vec::new();
        model.encode(text, &mut out);
        let want = finish_ref(
            &viterbi_ref(&all_paths(&pieces, text, false)),
            text,
            0,
            None,
        );
        assert_eq!(out, want, "encode {text:?}");
        // n-best uses character lengths for user-defined pieces.
        let mut paths = all_paths(&pieces, text, true);
        paths.sort_by(|a, b| b.1.total_cmp(&a.1));
        let got = model.nbest(text, 2);
        assert_eq!(
            got[0].1 as f64,
            (paths[0].1 as f32) as f64,
            "nbest score {text:?}"
        );
    }
    let mut out = Vec::new();
    model.encode("ab", &mut out);
    assert_eq!(
        out,
        vec![(2, 0, 1), (3, 1, 2)],
        "unused piece must be skipped"
    );
}

#[test]
fn unknown_runs_fuse_and_byte_fallback() {
    let pieces = vocab(&[("a", -1.0), ("b", -1.0)]);
    let model = UnigramModel::new(pieces.clone(), false).unwrap();
    let mut out = Vec::new();
    model.encode("axé😀b", &mut out);
    assert_eq!(out, vec![(2, 0, 1), (0, 1, 8), (3, 8, 9)]);

    let mut bf = pieces.clone();
    let first_byte = bf.len() as u32;
    bf.extend((0..256).map(|b| piece(&format!("<0x{b:02X}>"), 0.0, PieceKind::Byte)));
    let model = UnigramModel::new(bf.clone(), true).unwrap();
    let byte_ids: Vec<u32> = (0..256).map(|b| first_byte + b).collect();
    for text in ["axé😀b", "éé", "a"] {
        model.encode(text, &mut out);
        let want = finish_ref(
            &viterbi_ref(&all_paths(&bf, text, false)),
            text,
            0,
            Some(&byte_ids),
        );
        assert_eq!(out, want, "{text:?}");
    }
    model.encode("é", &mut out);
    assert_eq!(
        out,
        vec![(first_byte + 0xC3, 0, 0), (first_byte + 0xA9, 0, 2)]
    );
}

#[test]
fn nbest_matches_brute_force() {
    // Scores are exact binary fractions; tied paths are compared by score only.
    let pieces = vocab(&[
        ("a", -2.0),
        ("b", -2.5),
        ("ab", -4.125),
        ("abc", -6.0625),
        ("c", -3.0),
        ("bc", -5.25),
        ("ca", -5.375),
        ("\u{2581}", -1.0),
        ("\u{2581}a", -3.1875),
    ]);
    let model = UnigramModel::new(pieces.clone(), false).unwrap();
    for text in ["abc", "\u{2581}abca", "abcab", "cabx"] {
        let mut paths = all_paths(&pieces, text, true);
        paths.sort_by(|a, b| b.1.total_cmp(&a.1));
        for n in [2usize, 3, 7, 50] {
            let got = model.nbest(text, n);
            let k = n.min(paths.len());
            assert_eq!(got.len(), k, "{text:?} n={n}");
            for (g, w) in got.iter().zip(&paths) {
                assert_eq!(g.1 as f64, w.1, "{text:?} n={n}");
                // The path itself is checked when no other path ties with it.
                if paths.iter().filter(|p| p.1 == w.1).count() == 1 {
                    assert_eq!(g.0, finish_ref(&w.0, text, 0, None), "{text:?} n={n}");
                }
            }
        }
    }
    assert_eq!(model.nbest("", 3), vec![(Vec::new(), 0.0)]);
}

#[test]
fn sampling_follows_path_probabilities() {
    let pieces = vocab(&[
        ("a", -1.0),
        ("b", -1.5),
        ("ab", -2.0),
        ("ba", -3.0),
        ("aba", -3.5),
    ]);
    let model = UnigramModel::new(pieces.clone(), false).unwrap();
    let text = "abab";
    let alpha = 0.5f64;
    let paths = all_paths(&pieces, text, true);
    let z: f64 = paths.iter().map(|p| (alpha * p.1).exp()).sum();
    for nbest_size in [-1, 3] {
        let pool: Vec<&(Vec<Span>, f64)> = if nbest_size < 0 {
            paths.iter().collect()
        } else {
            let mut s: Vec<_> = paths.iter().collect();
            s.sort_by(|a, b| b.1.total_cmp(&a.1));
            s.truncate(nbest_size as usize);
            s
        };
        let z: f64 = if nbest_size < 0 {
            z
        } else {
            pool.iter().map(|p| (alpha * p.1).exp()).sum()
        };
        let trials = 40000;
        let mut counts = vec![0usize; pool.len()];
        for seed in 0..trials {
            let got = model.sample(text, alpha as f32, nbest_size, seed);
            let k = pool
                .iter()
                .position(|p| p.0 == got)
                .expect("sampled path exists");
            counts[k] += 1;
        }
        for (k, p) in pool.iter().enumerate() {
            let want = (alpha * p.1).exp() / z;
            let f = counts[k] as f64 / trials as f64;
            assert!(
                (f - want).abs() < 0.01,
                "n={nbest_size} {:?}: {f} vs {want}",
                p.0
            );
        }
    }
    let mut out = Vec::new();
    model.encode(text, &mut out);
    assert_eq!(model.sample(text, 0.5, 1, 7), out);
}

#[test]
fn long_input_rebases_scores() {
    // 30000 tokens of score -10 pass the ±100000 re-basing threshold.
    let pieces = vocab(&[("x", -10.0), ("xx", -20.5), ("y", -4.0)]);
    let model = UnigramModel::new(pieces, false).unwrap();
    let text = "x".repeat(30000) + "y";
    let mut out = Vec::new();
    model.encode(&text, &mut out);
    assert_eq!(out.len(), 30001);
    assert!(out[..30000]
        .iter()
        .enumerate()
        .all(|(i, s)| *s == (2, i as u32, i as u32 + 1)));
    assert_eq!(out[30000], (4, 30000, 30001));
}

#[test]
fn invalid_vocabularies_are_rejected() {
    let ok = vocab(&[("a", -1.0)]);
    assert!(UnigramModel::new(ok.clone(), false).is_ok());
    let mut dup = ok.clone();
    dup.push(piece("a", -2.0, PieceKind::Normal));
    assert!(UnigramModel::new(dup, false).is_err());
    let no_unk: Vec<Piece> = ok[1..].to_vec();
    assert!(UnigramModel::new(no_unk, false).is_err());
    let mut two_unk = ok.clone();
    two_unk.push(piece("<unk2>", 0.0, PieceKind::Unknown));
    assert!(UnigramModel::new(two_unk, false).is_err());
    let mut nan = ok.clone();
    nan[2].score = f32::NAN;
    assert!(UnigramModel::new(nan, false).is_err());
    assert!(
        UnigramModel::new(ok.clone(), true).is_err(),
        "byte pieces missing"
    );
    let mut empty = ok;
    empty.push(piece("", 0.0, PieceKind::Normal));
    assert!(UnigramModel::new(empty, false).is_err());
    let m = UnigramModel::new(vocab(&[("a", -1.0)]), false).unwrap();
    assert_eq!(m.piece_to_id("a"), Some(2));
    assert_eq!(m.piece_to_id("<s>"), Some(1));
    assert_eq!(m.piece_to_id("zz"), None);
}
