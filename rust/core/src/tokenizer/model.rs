//! The [`Model`] enum: one variant per model kind, with the operations the
//! pipeline needs dispatched to each (vocabulary lookups, per-piece encoding
//! with or without byte spans).

use crate::bpe::{BpeKind, BpeModel};
use crate::formats::spm::tokenizer::SpmModel;
use crate::unigram::HfUnigram;
use crate::wordpiece::WordPieceModel;

/// The model of a tokenizer.
// One model per tokenizer: the variants' size difference costs nothing, and
// boxing BPE's inline byte table would add an indirection to the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Model {
    /// Byte-pair encoding (byte-level or character-level).
    Bpe(BpeModel),
    /// WordPiece (greedy longest match).
    WordPiece(WordPieceModel),
    /// A SentencePiece model (Unigram or SentencePiece BPE).
    Spm(SpmModel),
    /// A Unigram model from an HF `tokenizer.json` (HF's semantics).
    HfUnigram(HfUnigram),
}

impl Model {
    /// `"bbpe"`, `"bpe"`, `"wordpiece"`, `"unigram"` or `"spm_bpe"`.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Bpe(m) => match m.kind {
                BpeKind::ByteLevel => "bbpe",
                BpeKind::Char { .. } => "bpe",
            },
            Model::WordPiece(_) => "wordpiece",
            Model::Spm(m) => m.name(),
            Model::HfUnigram(_) => "unigram",
        }
    }

    /// One past the largest id.
    pub fn len(&self) -> usize {
        match self {
            Model::Bpe(m) => m.len(),
            Model::WordPiece(m) => m.len(),
            Model::Spm(m) => m.len(),
            Model::HfUnigram(m) => m.len(),
        }
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Id of a token string.
    pub fn token_to_id(&self, t: &str) -> Option<u32> {
        match self {
            Model::Bpe(m) => m.token_to_id(t),
            Model::WordPiece(m) => m.token_to_id(t),
            Model::Spm(m) => m.token_to_id(t),
            Model::HfUnigram(m) => m.token_to_id(t),
        }
    }

    /// Token string of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        match self {
            Model::Bpe(m) => m.id_to_token(id),
            Model::WordPiece(m) => m.id_to_token(id),
            Model::Spm(m) => m.id_to_token(id),
            Model::HfUnigram(m) => m.id_to_token(id),
        }
    }

    /// `(token, id)` for the whole vocabulary.
    pub fn vocab(&self) -> Vec<(&str, u32)> {
        match self {
            Model::Bpe(m) => m.vocab().collect(),
            Model::WordPiece(m) => m.vocab().collect(),
            Model::Spm(m) => m.vocab().collect(),
            Model::HfUnigram(m) => m
                .vocab()
                .iter()
                .zip(0u32..)
                .map(|(v, i)| (v.0.as_str(), i))
                .collect(),
        }
    }

    /// Encodes one pre-token, appending ids.
    #[inline]
    pub fn encode_piece(&self, piece: &str, out: &mut Vec<u32>) {
        match self {
            Model::Bpe(m) => m.encode_piece(piece, out),
            Model::WordPiece(m) => m.encode_word(piece, out),
            Model::Spm(m) => {
                let mut spans = Vec::new();
                m.encode_spans(piece, &mut spans);
                out.extend(spans.into_iter().map(|s| s.0));
            }
            Model::HfUnigram(m) => {
                let mut spans = Vec::new();
                m.encode(piece, &mut spans);
                out.extend(spans.into_iter().map(|s| s.0));
            }
        }
    }

    /// Encodes one pre-token, appending `(id, start, end)` byte spans within it.
    pub fn encode_piece_spans(&self, piece: &str, out: &mut Vec<(u32, usize, usize)>) {
        match self {
            Model::WordPiece(m) => m.encode_word_spans(piece, out),
            Model::Bpe(m) => bpe_spans(m, piece, out),
            Model::Spm(m) => {
                let mut spans = Vec::new();
                m.encode_spans(piece, &mut spans);
                out.extend(
                    spans
                        .into_iter()
                        .map(|(i, s, e)| (i, s as usize, e as usize)),
                );
            }
            Model::HfUnigram(m) => m.encode(piece, out),
        }
    }
}

/// Byte spans of BPE tokens within a piece: a token covers the bytes it
/// decodes to (less the continuing prefix / end suffix of character-level
/// models); an unknown token covers what the known tokens leave.
fn bpe_spans(m: &BpeModel, piece: &str, out: &mut Vec<(u32, usize, usize)>) {
    let mut ids = Vec::new();
    m.encode_piece(piece, &mut ids);
    let unk = match &m.kind {
        BpeKind::Char { unk_token, .. } => unk_token.as_deref().and_then(|u| m.token_to_id(u)),
        BpeKind::ByteLevel => None,
    };
    let last = ids.len().saturating_sub(1);
    let len_of = |i: usize, id: u32| -> usize {
        let Some(d) = m.decoded(id) else { return 0 };
        let mut n = d.len();
        if let BpeKind::Char { .. } = m.kind {
            let t = m.id_to_token(id).unwrap_or("");
            if crate::bpe::model::parse_byte_token(t).is_none() {
                if let Some(p) = &m.opts.continuing_subword_prefix {
                    if i > 0 && t.starts_with(p.as_str()) {
                        n = n.saturating_sub(p.len());
                    }
                }
                if let Some(s) = &m.opts.end_of_word_suffix {
                    if i == last && t.ends_with(s.as_str()) {
                        n = n.saturating_sub(s.len());
                    }
                }
            }
        }
        n
    };
    let n_unk = ids.iter().filter(|&&id| Some(id) == unk).count();
    let known: usize = ids
        .iter()
        .enumerate()
        .filter(|(_, &id)| Some(id) != unk)
        .map(|(i, &id)| len_of(i, id))
        .sum();
    let mut at = 0usize;
    for (i, &id) in ids.iter().enumerate() {
        let n = if Some(id) == unk {
            if n_unk == 1 {
                piece.len().saturating_sub(known)
            } else {
                piece[at.min(piece.len())..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8)
            }
        } else {
            len_of(i, id)
        };
        let end = (at + n).min(piece.len());
        out.push((id, at, end));
        at = end;
    }
}
