//! Tests of the trainer parts against independent references: SentencePiece's
//! piece-validity rules written out by hand, brute-force seed candidates,
//! brute-force expected counts, known digamma values, and the structure of
//! the final vocabulary.

use super::em::{digamma, EmModel};
use super::model::PieceKind;
use super::seed::{is_valid_piece, seed_pieces, PieceRules};
use super::trainer::{train, UnigramTrainerConfig, Words};
use rustc_hash::FxHashMap;

const RULES: PieceRules = PieceRules {
    max_len: 16,
    split_digits: false,
    ws_suffix: false,
};

fn words(list: &[(&str, u64)]) -> Words {
    let mut w = Words::default();
    for &(s, c) in list {
        w.push(s.as_bytes(), c);
    }
    w
}

#[test]
fn valid_pieces_follow_sentencepiece_rules() {
    let ok = [
        "\u{2581}abc",
        "ab",
        "日本",
        "ひらがな",
        "日ひカー",
        "a\u{0301}b",
        "12",
        "..",
        "\u{2581}",
    ];
    let bad = [
        "ab\u{2581}",
        "a\u{2581}b",
        "a1",
        "a.",
        "aя",
        "a b",
        "a\u{2585}",
        "a\u{1f}",
        "日a",
    ];
    for s in ok {
        assert!(is_valid_piece(s, &RULES), "{s:?} should be valid");
    }
    for s in bad {
        assert!(!is_valid_piece(s, &RULES), "{s:?} should be invalid");
    }
    let digits = PieceRules {
        split_digits: true,
        ..RULES
    };
    assert!(!is_valid_piece("12", &digits));
    assert!(is_valid_piece("1", &digits));
    let suffix = PieceRules {
        ws_suffix: true,
        ..RULES
    };
    assert!(is_valid_piece("ab\u{2581}", &suffix));
    assert!(!is_valid_piece("\u{2581}ab", &suffix));
    let short = PieceRules {
        max_len: 2,
        ..RULES
    };
    assert!(!is_valid_piece("abc", &short));
}

/// Candidates by definition: valid multi-character substrings occurring at
/// least twice (weighted) that end a word somewhere or are followed by two
/// different characters; scored frequency × characters.
fn brute_candidates(list: &[(&str, u64)], rules: &PieceRules) -> Vec<(String, f32)> {
    let mut freq: FxHashMap<String, u64> = FxHashMap::default();
    let mut next: FxHashMap<String, Vec<Option<char>>> = FxHashMap::default();
    for &(w, c) in list {
        let chars: Vec<(usize, char)> = w.char_indices().collect();
        for i in 0..chars.len() {
            for j in i + 1..=chars.len() {
                let end = chars.get(j).map_or(w.len(), |x| x.0);
                let s = &w[chars[i].0..end];
                *freq.entry(s.to_string()).or_default() += c;
                next.entry(s.to_string())
                    .or_default()
                    .push(chars.get(j).map(|x| x.1));
            }
        }
    }
    let mut out: Vec<(String, f32)> = freq
        .into_iter()
        .filter(|(s, f)| {
            let n = s.chars().count();
            let nx = &next[s];
            let branching = nx.contains(&None) || nx.iter().any(|x| *x != nx[0]);
            *f >= 2 && n >= 2 && n <= rules.max_len && branching && is_valid_piece(s, rules)
        })
        .map(|(s, f)| {
            let n = s.chars().count();
            (s, f as f32 * n as f32)
        })
        .collect();
    out.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(b.0.len().cmp(&a.0.len()))
            .then(a.0.cmp(&b.0))
    });
    out
}

#[test]
fn seeds_match_brute_force() {
    let list = [
        ("\u{2581}the", 10),
        ("\u{2581}then", 3),
        ("\u{2581}other", 2),
        ("\u{2581}bathe", 1),
        ("\u{2581}日本語", 4),
        ("\u{2581}日本", 2),
        ("\u{2581}ab12", 2),
        ("\u{2581}abab", 1),
        ("\u{2581}zzzzzz", 5),
    ];
    let w = words(&list);
    let want = brute_candidates(&list, &RULES);
    for keep in [3usize, 1000] {
        let seeds = seed_pieces(&w, &[('x', 7)], &RULES, keep);
        assert_eq!(String::from_utf8_lossy(&seeds[0].0), "x");
        let got: Vec<String> = seeds[1..]
            .iter()
            .map(|s| String::from_utf8(s.0.clone()).unwrap())
            .collect();
        let want_k: Vec<String> = want.iter().take(keep).map(|x| x.0.clone()).collect();
        assert_eq!(got, want_k, "keep={keep}");
        // Scores: log(score / total).
        let total: f64 = 7.0 + want.iter().take(keep).map(|x| x.1 as f64).sum::<f64>();
        for (s, w) in seeds[1..].iter().zip(&want) {
            assert!((s.1 as f64 - (w.1 as f64 / total).ln()).abs() < 1e-5);
        }
    }
}

#[test]
fn digamma_known_values() {
    assert!((digamma(1.0) + 0.577_215_664_9).abs() < 1e-8);
    assert!((digamma(10.0) - 2.251_752_589_066_721).abs() < 1e-8);
    assert!((digamma(0.5) + 1.963_510_026_021_423).abs() < 1e-8);
}

#[test]
fn e_step_matches_enumeration() {
    let seeds: Vec<(Vec<u8>, f32)> = [
        ("a", -1.0f32),
        ("b", -1.5),
        ("ab", -2.0),
        ("ba", -2.75),
        ("aba", -3.5),
        ("c", -2.0),
    ]
    .iter()
    .map(|(s, sc)| (s.as_bytes().to_vec(), *sc))
    .collect();
    let model = EmModel::new(seeds.clone()).unwrap();
    let list = [("abab", 3u64), ("abcab", 2), ("bax", 1)];
    let w = words(&list);
    let (expected, _, _) = model.e_step(&w);
    // Enumerate every segmentation; 'x' has no piece: unknown node, id 0.
    let unk = -3.5f64 - 10.0;
    let mut want = vec![0.0f64; seeds.len()];
    for (word, count) in list {
        let mut paths: Vec<(Vec<usize>, f64)> = Vec::new();
        let mut stack = vec![(0usize, Vec::new(), 0.0f64)];
        while let Some((pos, ids, score)) = stack.pop() {
            if pos == word.len() {
                paths.push((ids, score));
                continue;
            }
            let mut single = false;
            for (i, (p, sc)) in seeds.iter().enumerate() {
                if word.as_bytes()[pos..].starts_with(p) {
                    let mut v = ids.clone();
                    v.push(i);
                    single |= p.len() == 1;
                    stack.push((pos + p.len(), v, score + *sc as f64));
                }
            }
            if !single {
                let mut v = ids.clone();
                v.push(0);
                stack.push((pos + 1, v, score + unk));
            }
        }
        let z: f64 = paths.iter().map(|p| p.1.exp()).sum();
        for (ids, s) in &paths {
            for &i in ids {
                want[i] += count as f64 * s.exp() / z;
            }
        }
    }
    for (g, w) in expected.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{expected:?} vs {want:?}");
    }
}

fn corpus() -> Vec<(String, u64)> {
    let text = "the quick brown fox jumps over the lazy dog while the other dogs \
                sleep in the warm sun and the cat watches them from the window \
                of the old house near the river where the fishermen sell their fish";
    let mut counts: FxHashMap<String, u64> = FxHashMap::default();
    for (i, w) in text.split(' ').enumerate() {
        *counts.entry(format!("\u{2581}{w}")).or_default() += 1 + (i % 7) as u64;
    }
    counts.into_iter().collect()
}

#[test]
fn trained_vocabulary_has_sentencepiece_layout() {
    let words = corpus();
    let cfg = UnigramTrainerConfig {
        vocab_size: 60,
        character_coverage: 1.0,
        user_defined_symbols: vec!["<sep>".into()],
        control_symbols: vec!["<cls>".into()],
        num_threads: Some(2),
        ..UnigramTrainerConfig::default()
    };
    let pieces = train(&words, &cfg, None).unwrap();
    assert_eq!(pieces.len(), 60);
    let head: Vec<(&str, PieceKind)> = pieces[..5]
        .iter()
        .map(|p| (p.text.as_str(), p.kind))
        .collect();
    assert_eq!(
        head,
        [
            ("<unk>", PieceKind::Unknown),
            ("<s>", PieceKind::Control),
            ("</s>", PieceKind::Control),
            ("<cls>", PieceKind::Control),
            ("<sep>", PieceKind::UserDefined),
        ]
    );
    let rest = &pieces[5..];
    assert!(rest
        .iter()
        .all(|p| p.kind == PieceKind::Normal && p.score < 0.0));
    assert!(
        rest.windows(2).all(|w| w[0].score >= w[1].score),
        "sorted by score"
    );
    // Every character of the corpus is a piece (coverage 1.0).
    for (w, _) in &words {
        for c in w.chars() {
            assert!(
                rest.iter().any(|p| p.text == c.to_string()),
                "{c:?} missing"
            );
        }
    }
    // Same result with one thread.
    let one = train(
        &words,
        &UnigramTrainerConfig {
            num_threads: Some(1),
            ..cfg.clone()
        },
        None,
    );
    assert_eq!(one.unwrap(), pieces);
    // Byte pieces follow the user-defined ones.
    let bf = UnigramTrainerConfig {
        byte_fallback: true,
        vocab_size: 320,
        ..cfg.clone()
    };
    match train(&words, &bf, None) {
        Ok(p) => {
            assert_eq!(p[5].text, "<0x00>");
            assert_eq!(p[260].text, "<0xFF>");
            assert!(p[5..261].iter().all(|x| x.kind == PieceKind::Byte));
        }
        Err(e) => assert!(e.to_string().contains("Vocabulary size too high"), "{e}"),
    }
}

#[test]
fn bad_configurations_are_errors() {
    let words = corpus();
    let base = UnigramTrainerConfig {
        vocab_size: 60,
        ..UnigramTrainerConfig::default()
    };
    let too_big = UnigramTrainerConfig {
        vocab_size: 100_000,
        ..base.clone()
    };
    assert!(train(&words, &too_big, None).is_err());
    let too_small = UnigramTrainerConfig {
        vocab_size: 10,
        ..base.clone()
    };
    assert!(train(&words, &too_small, None).is_err());
    let dup = UnigramTrainerConfig {
        user_defined_symbols: vec!["a".into(), "a".into()],
        ..base.clone()
    };
    assert!(train(&words, &dup, None).is_err());
    let cov = UnigramTrainerConfig {
        character_coverage: 0.5,
        ..base.clone()
    };
    assert!(train(&words, &cov, None).is_err());
    let spaced = vec![("\u{2581}a b".to_string(), 3u64)];
    assert!(train(&spaced, &base, None).is_err());
}
