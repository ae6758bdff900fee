//! The Unigram model as HF `tokenizers` (0.23.3) runs it, for `tokenizer.json`
//! files: the same Viterbi idea as SentencePiece ([`super::UnigramModel`]),
//! with HF's differences, each of which changes ids on some input:
//!
//! - scores are `f64` and path scores are summed in `f64` (SentencePiece: `f32`);
//! - every vocabulary entry is in the trie with its own score, including the
//!   unknown piece, control pieces (`<s>`), byte pieces (`<0x41>`) and what
//!   SentencePiece would call unused or user-defined pieces; a token string
//!   listed twice resolves to its last id;
//! - the unknown node scores `min_score - 10` where `min_score` is the minimum
//!   over *all* entries, with no re-basing of large scores;
//! - ties keep the first candidate found (shorter piece first), as
//!   SentencePiece's optimized Viterbi;
//! - consecutive nodes whose id is the unknown id (including a literal match
//!   of the unknown piece's text) are fused into one token; that token's text
//!   is looked up in the vocabulary (its own id if present), else with byte
//!   fallback it becomes one `<0xNN>` token per UTF-8 byte when all of them
//!   exist, else the unknown id. All tokens of a fused run share its span.
//!
//! Performance notes: the trie is the same flat double array as the
//! SentencePiece encoder's; the per-position table is allocated per call
//! (HF caches whole words instead; a thread-local buffer as in
//! [`super::UnigramModel::encode`] would save one allocation per word).

use super::trie::DoubleArray;
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

/// A Unigram model with HF's semantics (see the module docs).
#[derive(Debug, Clone)]
pub struct HfUnigram {
    /// `(token, score)` by id, as in the file.
    vocab: Vec<(String, f64)>,
    /// Token → id (the last id of a repeated token).
    ids: FxHashMap<String, u32>,
    /// Non-empty tokens → id.
    trie: DoubleArray,
    /// Minimum score over the whole vocabulary.
    min_score: f64,
    /// The unknown token's id.
    unk_id: u32,
    /// Whether unknown text becomes `<0xNN>` tokens.
    byte_fallback: bool,
    /// Id of `<0xNN>` for each byte, if in the vocabulary.
    byte_ids: Vec<Option<u32>>,
}

/// Best path ending at a byte position.
#[derive(Clone, Copy)]
struct Best {
    score: f64,
    start: usize,
    id: u32,
    set: bool,
}

impl HfUnigram {
    /// Builds the model from `(token, score)` by id. HF also accepts files
    /// without an unknown id (and fails on the first unknown character); we
    /// require one.
    pub fn new(vocab: Vec<(String, f64)>, unk_id: u32, byte_fallback: bool) -> Result<Self> {
        if vocab.is_empty() {
            return Err(Error::invalid("the Unigram vocabulary is empty"));
        }
        if unk_id as usize >= vocab.len() {
            return Err(Error::invalid(format!(
                "unk_id {unk_id} is outside the vocabulary ({} tokens)",
                vocab.len()
            )));
        }
        if vocab.len() >= i32::MAX as usize {
            return Err(Error::invalid("too many tokens"));
        }
        let mut ids = FxHashMap::default();
        let mut min_score = f64::INFINITY;
        for (i, (t, score)) in vocab.iter().enumerate() {
            if !score.is_finite() {
                return Err(Error::invalid(format!("token {t:?}: score is not finite")));
            }
            ids.insert(t.clone(), i as u32);
            min_score = min_score.min(*score);
        }
        let entries: Vec<(&[u8], i32)> = ids
            .iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, &v)| (k.as_bytes(), v as i32))
            .collect();
        let trie = DoubleArray::build(&entries)?;
        let byte_ids = (0..=255u8)
            .map(|b| ids.get(&format!("<0x{b:02X}>")).copied())
            .collect();
        Ok(HfUnigram {
            vocab,
            ids,
            trie,
            min_score,
            unk_id,
            byte_fallback,
            byte_ids,
        })
    }

    /// `(token, score)` by id.
    pub fn vocab(&self) -> &[(String, f64)] {
        &self.vocab
    }

    /// The unknown token's id.
    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    /// Whether byte fallback is on.
    pub fn byte_fallback(&self) -> bool {
        self.byte_fallback
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.vocab.len()
    }

    /// Whether the vocabulary is empty (never: [`HfUnigram::new`] refuses it).
    pub fn is_empty(&self) -> bool {
        self.vocab.is_empty()
    }

    /// Id of a token.
    pub fn token_to_id(&self, t: &str) -> Option<u32> {
        self.ids.get(t).copied()
    }

    /// Token of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.vocab.get(id as usize).map(|v| v.0.as_str())
    }

    /// Encodes one pre-token into `(id, start, end)` byte spans within it,
    /// as HF's `Unigram::tokenize`.
    pub fn encode(&self, text: &str, out: &mut Vec<(u32, usize, usize)>) {
        if text.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        let size = bytes.len();
        let unk_score = self.min_score - 10.0;
        let mut best = vec![
            Best {
                score: 0.0,
                start: 0,
                id: 0,
                set: false,
            };
            size + 1
        ];
        let mut at = 0usize;
        while at < size {
            let here = best[at].score;
            let mblen = text[at..].chars().next().map_or(1, char::len_utf8);
            let mut has_single = false;
            self.trie.common_prefix(&bytes[at..], |len, id| {
                let cand = self.vocab[id as usize].1 + here;
                let t = &mut best[at + len];
                if !t.set || cand > t.score {
                    *t = Best {
                        score: cand,
                        start: at,
                        id: id as u32,
                        set: true,
                    };
                }
                if len == mblen {
                    has_single = true;
                }
            });
            if !has_single {
                let cand = unk_score + here;
                let t = &mut best[at + mblen];
                if !t.set || cand > t.score {
                    *t = Best {
                        score: cand,
                        start: at,
                        id: self.unk_id,
                        set: true,
                    };
                }
            }
            at += mblen;
        }
        // Backtrack, fusing runs of unknown nodes: (start, end, id, fused).
        let mut toks: Vec<(usize, usize, u32, bool)> = Vec::new();
        let mut end = size;
        let mut unk_end = None;
        while end > 0 {
            let b = best[end];
            if b.id == self.unk_id {
                unk_end.get_or_insert(end);
            } else {
                if let Some(e) = unk_end.take() {
                    toks.push((end, e, self.unk_id, true));
                }
                toks.push((b.start, end, b.id, false));
            }
            end = b.start;
        }
        if let Some(e) = unk_end {
            toks.push((0, e, self.unk_id, true));
        }
        for &(s, e, id, fused) in toks.iter().rev() {
            if !fused {
                out.push((id, s, e));
                continue;
            }
            let piece = &text[s..e];
            if let Some(&id) = self.ids.get(piece) {
                out.push((id, s, e));
                continue;
            }
            if self.byte_fallback {
                let fb: Option<Vec<u32>> =
                    piece.bytes().map(|b| self.byte_ids[b as usize]).collect();
                if let Some(fb) = fb {
                    out.extend(fb.into_iter().map(|b| (b, s, e)));
                    continue;
                }
            }
            out.push((self.unk_id, s, e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(v: &[(&str, f64)], byte_fallback: bool) -> HfUnigram {
        let v = v.iter().map(|(t, s)| (t.to_string(), *s)).collect();
        HfUnigram::new(v, 0, byte_fallback).unwrap()
    }

    fn ids(m: &HfUnigram, t: &str) -> Vec<(u32, usize, usize)> {
        let mut out = Vec::new();
        m.encode(t, &mut out);
        out
    }

    #[test]
    fn hf_doc_example() {
        // The example of HF's `Unigram::encode` docs.
        let m = model(
            &[
                ("<unk>", 0.0),
                ("a", 0.0),
                ("b", 0.0),
                ("c", 0.0),
                ("d", 0.0),
                ("cd", 1.0),
                ("ab", 2.0),
                ("abc", 5.0),
                ("abcd", 10.0),
            ],
            false,
        );
        let toks: Vec<&str> = ids(&m, "abcdacdxx")
            .iter()
            .map(|&(_, s, e)| &"abcdacdxx"[s..e])
            .collect();
        assert_eq!(toks, ["abcd", "a", "cd", "xx"]);
        assert_eq!(ids(&m, "xx"), [(0, 0, 2)]);
    }

    #[test]
    fn literal_unk_fuses_and_byte_fallback_covers_the_run() {
        let mut v = vec![("<unk>".to_string(), 0.0), ("a".to_string(), -1.0)];
        for b in 0..=255u8 {
            v.push((format!("<0x{b:02X}>"), 0.0));
        }
        let m = HfUnigram::new(v, 0, true).unwrap();
        // "é" is unknown: its two bytes, both spanning the character.
        assert_eq!(ids(&m, "é"), [(2 + 0xC3, 0, 2), (2 + 0xA9, 0, 2)]);
        // "<unk>" is matched literally, fused with the next unknown, and the
        // fused text is not a token: bytes of the whole run.
        let out = ids(&m, "<unk>é");
        assert_eq!(out.len(), 7);
        assert!(out.iter().all(|&(_, s, e)| (s, e) == (0, 7)));
        assert_eq!(ids(&m, "<unk>"), [(0, 0, 5)]);
    }
}
