//! The WordPiece model: a vocabulary, the unknown token, the
//! continuing-subword prefix and the per-word limit, encoding each word by
//! greedy longest-match-first ([`super::encode`]) and decoding as HF's
//! `WordPiece` decoder. Also `vocab.txt` reading and writing.

use super::encode::Matcher;
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

/// A WordPiece vocabulary and its encoder.
#[derive(Debug, Clone)]
pub struct WordPieceModel {
    /// Token string of each id (`None` for ids not in the vocabulary).
    tokens: Vec<Option<Box<str>>>,
    vocab: FxHashMap<Box<str>, u32>,
    /// The unknown token.
    pub unk_token: String,
    unk_id: u32,
    /// Prefix of tokens that continue a word (`##`).
    pub prefix: String,
    /// Words longer than this (in characters) become the unknown token.
    pub max_input_chars_per_word: usize,
    matcher: Matcher,
}

impl WordPieceModel {
    /// Builds a model from `(token, id)` pairs. The unknown token must be in it.
    pub fn new(
        vocab: Vec<(String, u32)>,
        unk_token: &str,
        prefix: &str,
        max_input_chars_per_word: usize,
    ) -> Result<Self> {
        let n = crate::id_table_len(vocab.iter().map(|(t, id)| (*id, t.as_bytes())), vocab.len())?;
        let mut tokens: Vec<Option<Box<str>>> = vec![None; n];
        let mut map = FxHashMap::default();
        for (t, id) in vocab {
            if let Some(prev) = &tokens[id as usize] {
                return Err(Error::invalid(format!(
                    "id {id} is given to two tokens ({prev:?} and {t:?})"
                )));
            }
            let t: Box<str> = t.into();
            if map.insert(t.clone(), id).is_some() {
                return Err(Error::invalid(format!("token {t:?} appears twice")));
            }
            tokens[id as usize] = Some(t);
        }
        let unk_id = *map.get(unk_token).ok_or_else(|| {
            Error::invalid(format!(
                "the unknown token {unk_token:?} is not in the vocabulary"
            ))
        })?;
        let matcher = Matcher::new(map.iter().map(|(t, &i)| (&**t, i)), prefix);
        Ok(WordPieceModel {
            tokens,
            vocab: map,
            unk_token: unk_token.to_string(),
            unk_id,
            prefix: prefix.to_string(),
            max_input_chars_per_word,
            matcher,
        })
    }

    /// Reads a BERT `vocab.txt` (one token per line; the line number is the id).
    pub fn read_vocab_txt(text: &str, origin: &str) -> Result<Vec<(String, u32)>> {
        let mut out = Vec::new();
        let mut seen = FxHashMap::default();
        for (i, line) in text.lines().enumerate() {
            let t = line.strip_suffix('\r').unwrap_or(line);
            if let Some(prev) = seen.insert(t.to_string(), i) {
                return Err(Error::Format {
                    origin: origin.to_string(),
                    message: format!("line {}: token {t:?} already on line {}", i + 1, prev + 1),
                });
            }
            out.push((t.to_string(), i as u32));
        }
        if out.is_empty() {
            return Err(Error::Format {
                origin: origin.to_string(),
                message: "empty vocabulary".into(),
            });
        }
        Ok(out)
    }

    /// The `vocab.txt` text: tokens in id order, one per line. Ids must be
    /// contiguous from 0, and no token may contain a line break.
    pub fn vocab_txt(&self) -> Result<String> {
        let mut s = String::new();
        for (id, t) in self.tokens.iter().enumerate() {
            let t = t.as_deref().ok_or_else(|| {
                Error::invalid(format!(
                    "id {id} has no token; vocab.txt needs contiguous ids"
                ))
            })?;
            if t.contains(['\n', '\r']) {
                return Err(Error::invalid(format!(
                    "token {t:?} has a line break and cannot be written to vocab.txt"
                )));
            }
            s.push_str(t);
            s.push('\n');
        }
        Ok(s)
    }

    /// One past the largest id.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Id of the unknown token.
    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    /// Id of a token.
    pub fn token_to_id(&self, t: &str) -> Option<u32> {
        self.vocab.get(t).copied()
    }

    /// Token of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).and_then(|t| t.as_deref())
    }

    /// `(token, id)` for the whole vocabulary, in id order.
    pub fn vocab(&self) -> impl Iterator<Item = (&str, u32)> {
        self.tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_deref().map(|t| (t, i as u32)))
    }

    /// Encodes one word (a pre-token), appending ids.
    pub fn encode_word(&self, word: &str, out: &mut Vec<u32>) {
        if word.is_empty() {
            return;
        }
        let too_long = word.len() > self.max_input_chars_per_word
            && word.chars().count() > self.max_input_chars_per_word;
        if too_long || !self.matcher.tokenize(word.as_bytes(), out) {
            out.push(self.unk_id);
        }
    }

    /// Encodes one word, appending `(id, start, end)` byte spans within it.
    pub fn encode_word_spans(&self, word: &str, out: &mut Vec<(u32, usize, usize)>) {
        let mut ids = Vec::new();
        self.encode_word(word, &mut ids);
        if ids == [self.unk_id] {
            // An unmatched word, or the unknown token itself: it covers the word.
            out.push((self.unk_id, 0, word.len()));
            return;
        }
        let mut at = 0;
        for (i, &id) in ids.iter().enumerate() {
            let t = self.id_to_token(id).unwrap_or("");
            let n = if i == 0 {
                t.len()
            } else {
                t.len() - self.prefix.len()
            };
            out.push((id, at, at + n));
            at += n;
        }
    }

    /// HF's `WordPiece` decoder on token strings: a token with the prefix is
    /// glued to the previous one, other tokens get a space before them; with
    /// `cleanup`, spaces before punctuation and in contractions are removed
    /// (per token, as HF does).
    pub fn decode_tokens(tokens: &[&str], prefix: &str, cleanup: bool) -> String {
        let mut out = String::new();
        for (i, t) in tokens.iter().enumerate() {
            let piece = if i == 0 {
                t.to_string()
            } else if let Some(rest) = t.strip_prefix(prefix) {
                rest.to_string()
            } else {
                format!(" {t}")
            };
            if cleanup {
                out.push_str(&cleanup_token(&piece));
            } else {
                out.push_str(&piece);
            }
        }
        out
    }
}

/// HF's `wordpiece::cleanup`.
pub(crate) fn cleanup_token(s: &str) -> String {
    s.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" do not", " don't")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_words_long_words_and_spans() {
        let v: Vec<(String, u32)> = ["[UNK]", "un", "##aff", "##able", "a", "##a"]
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let m = WordPieceModel::new(v, "[UNK]", "##", 5).unwrap();
        let mut ids = Vec::new();
        m.encode_word("unaffable", &mut ids);
        assert_eq!(ids, vec![0], "longer than 5 characters");
        let m = WordPieceModel::new(
            m.vocab().map(|(t, i)| (t.to_string(), i)).collect(),
            "[UNK]",
            "##",
            100,
        )
        .unwrap();
        let mut sp = Vec::new();
        m.encode_word_spans("unaffable", &mut sp);
        assert_eq!(sp, vec![(1, 0, 2), (2, 2, 5), (3, 5, 9)]);
        sp.clear();
        m.encode_word_spans("unx", &mut sp);
        assert_eq!(sp, vec![(0, 0, 3)]);
        assert_eq!(
            WordPieceModel::decode_tokens(&["un", "##aff", "##able", "."], "##", true),
            "unaffable."
        );
        assert!(WordPieceModel::new(vec![("a".into(), 0)], "[UNK]", "##", 100).is_err());
    }
}
