//! Unit tests of the backtracking encoder's tables (memo sets and eviction,
//! the double-array trie against brute force).

use super::*;

/// The memo's set and tag identify a pair: no two pairs share both,
/// for every pair of the two smallest id widths (`2^18` and `2^20`
/// pairs), so a hit answers for the very pair asked.
#[test]
fn memo_sets_and_tags_identify_pairs() {
    assert_eq!(memo_id_bits(2), SET_BITS.div_ceil(2));
    assert_eq!(memo_id_bits(199_998), 18);
    assert_eq!(memo_id_bits(1 << 18), 18);
    assert_eq!(memo_id_bits((1 << 18) + 1), 19);
    assert_eq!(memo_id_bits(1 << 24), 24);
    assert_eq!(memo_id_bits((1 << 24) + 1), 0);
    for id_bits in [SET_BITS.div_ceil(2), SET_BITS.div_ceil(2) + 1] {
        let n = 1u32 << id_bits;
        let mut seen = vec![false; 1 << (2 * id_bits)];
        for a in 0..n {
            for b in 0..n {
                let (i, tag) = memo_set(id_bits, a, b);
                assert!(i < 1 << SET_BITS && tag < 1 << 30);
                let k = (i << (2 * id_bits - SET_BITS)) | tag as usize;
                assert!(!seen[k], "pairs collide in set {i}, tag {tag}");
                seen[k] = true;
            }
        }
    }
}

/// The memo gives back exactly what was computed for each pair, and
/// computes again only what it no longer holds, when many pairs share
/// a set: with 11-bit ids every set has 16 pairs, looked up here in a
/// random order, over and over.
#[test]
fn memo_answers_what_was_computed_under_eviction() {
    for w in 0..WAYS {
        let mut ways = [u32::MAX; WAYS];
        ways[w] = (77 << 1) | 1;
        assert_eq!(find_way(&ways, (77 << 1) | 1), Some(w));
        assert_eq!(find_way(&ways, (78 << 1) | 1), None);
        ways[w] = 77 << 1;
        assert_eq!(find_way(&ways, (77 << 1) | 1), Some(w));
    }
    let id_bits = 11;
    let answer = |a: u32, b: u32| (a.wrapping_mul(31) ^ b.wrapping_mul(17)) % 3 == 0;
    let mut by_set: rustc_hash::FxHashMap<usize, Vec<(u32, u32)>> = Default::default();
    for a in 0..1u32 << id_bits {
        for b in 0..1u32 << id_bits {
            let (set, _) = memo_set(id_bits, a, b);
            if set < 8 {
                by_set.entry(set).or_default().push((a, b));
            }
        }
    }
    let mut memo = vec![u32::MAX; 8 * WAYS];
    memo.resize(1 << MEMO_BITS, u32::MAX);
    let mut next = super::super::test_rng(0x0123_4567_89ab_cdefu64);
    for pairs in by_set.values() {
        assert_eq!(pairs.len(), 16);
        // What the set should hold: the last WAYS pairs computed.
        let mut held: std::collections::VecDeque<(u32, u32)> = Default::default();
        for _ in 0..2000 {
            // Mostly pairs it holds (hits), sometimes any (misses).
            let (a, b) = if next() % 3 > 0 && !held.is_empty() {
                held[(next() % held.len() as u64) as usize]
            } else {
                pairs[(next() % 16) as usize]
            };
            let mut computed = false;
            let got = memo_get_or(&mut memo, id_bits, a, b, || {
                computed = true;
                answer(a, b)
            });
            assert_eq!(got, answer(a, b), "pair ({a}, {b})");
            assert_eq!(computed, !held.contains(&(a, b)), "pair ({a}, {b})");
            if computed {
                held.push_front((a, b));
                held.truncate(WAYS);
            }
        }
    }
}

/// The double array answers "longest token that is a prefix" exactly as
/// a brute-force scan over the tokens does, on random vocabularies with
/// shared prefixes and every byte value.
#[test]
fn prefix_trie_matches_brute_force() {
    let mut next = super::super::test_rng(0x1234_5678_9abc_def0u64);
    for round in 0..20 {
        let alphabet: Vec<u8> = if round % 2 == 0 {
            (0..=255).collect()
        } else {
            vec![0, 1, b'a', 0xE4, 0xFF]
        };
        let mut vocab: Vec<Vec<u8>> = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        for _ in 0..300 {
            let len = 1 + (next() % 6) as usize;
            let t: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if seen.insert(t.clone()) {
                vocab.push(t);
            }
        }
        let refs: Vec<&[u8]> = vocab.iter().map(Vec::as_slice).collect();
        let trie = PrefixTrie::new(&refs);
        for _ in 0..2000 {
            let len = (next() % 9) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let want = vocab
                .iter()
                .enumerate()
                .filter(|(_, t)| text.starts_with(t))
                .max_by_key(|(_, t)| t.len())
                .map(|(i, _)| i as u32);
            assert_eq!(trie.longest(&text), want, "text {text:?}");
            let want_len = want.map(|i| (i, vocab[i as usize].len() as u32));
            assert_eq!(trie.longest_len(&text, |_| {}), want_len, "text {text:?}");
        }
    }
}
