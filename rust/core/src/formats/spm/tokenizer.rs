//! SentencePiece models as toksmith [`Tokenizer`]s: a `.model` becomes a
//! tokenizer whose normalizer is SentencePiece's, whose model is the Unigram
//! lattice or SentencePiece's score-based BPE, and whose decoder is
//! SentencePiece's; and back, for saving. Encoding equals `sp.encode(text)`:
//! user-defined symbols are always matched (by the normalizer and the model,
//! as in SentencePiece), control symbols (`<s>`, `</s>`) never are, so they
//! are not added tokens.

use super::{SpmDecoder, SpmModelFile, SpmModelType, SpmNormalizer, SpmPiece, SpmPieceType};
use crate::bpe::spm_bpe::SpmBpe;
use crate::error::{Error, Result};
use crate::normalize::{Normalizer, SpmNorm};
use crate::pretokenize::Pretokenizer;
use crate::tokenizer::{Decoder, Model, Tokenizer};
use crate::unigram::{Piece, PieceKind, UnigramModel};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::sync::Arc;

/// The encoder of a SentencePiece model.
#[derive(Debug, Clone)]
pub enum SpmEncoder {
    /// Unigram: Viterbi over the lattice.
    Unigram(UnigramModel),
    /// BPE: merges by piece score.
    Bpe(SpmBpe),
}

/// A SentencePiece model: the file (kept for saving), its vocabulary and encoder.
#[derive(Debug, Clone)]
pub struct SpmModel {
    /// The model file as read (or as built by training).
    pub file: Arc<SpmModelFile>,
    ids: FxHashMap<String, u32>,
    /// The encoder.
    pub encoder: SpmEncoder,
}

impl SpmModel {
    /// `"unigram"` or `"spm_bpe"`.
    pub fn name(&self) -> &'static str {
        match self.encoder {
            SpmEncoder::Unigram(_) => "unigram",
            SpmEncoder::Bpe(_) => "spm_bpe",
        }
    }

    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.file.pieces.len()
    }

    /// Whether there are no pieces.
    pub fn is_empty(&self) -> bool {
        self.file.pieces.is_empty()
    }

    /// Id of a piece.
    pub fn token_to_id(&self, t: &str) -> Option<u32> {
        self.ids.get(t).copied()
    }

    /// Piece of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.file.pieces.get(id as usize).map(|p| p.piece.as_str())
    }

    /// `(piece, id)` for every piece.
    pub fn vocab(&self) -> impl Iterator<Item = (&str, u32)> {
        self.file
            .pieces
            .iter()
            .enumerate()
            .map(|(i, p)| (p.piece.as_str(), i as u32))
    }

    /// Encodes normalized text into `(id, start, end)` byte spans.
    pub fn encode_spans(&self, normalized: &str, out: &mut Vec<(u32, u32, u32)>) {
        match &self.encoder {
            SpmEncoder::Unigram(m) => m.encode(normalized, out),
            SpmEncoder::Bpe(m) => m.encode_into(normalized, out),
        }
    }
}

fn kind_of(t: SpmPieceType) -> PieceKind {
    match t {
        SpmPieceType::Normal => PieceKind::Normal,
        SpmPieceType::Unknown => PieceKind::Unknown,
        SpmPieceType::Control => PieceKind::Control,
        SpmPieceType::UserDefined => PieceKind::UserDefined,
        SpmPieceType::Unused => PieceKind::Unused,
        SpmPieceType::Byte => PieceKind::Byte,
    }
}

fn spm_kind_of(k: PieceKind) -> SpmPieceType {
    match k {
        PieceKind::Normal => SpmPieceType::Normal,
        PieceKind::Unknown => SpmPieceType::Unknown,
        PieceKind::Control => SpmPieceType::Control,
        PieceKind::UserDefined => SpmPieceType::UserDefined,
        PieceKind::Unused => SpmPieceType::Unused,
        PieceKind::Byte => SpmPieceType::Byte,
    }
}

/// Unigram pieces as SentencePiece file pieces.
pub fn pieces_to_spm(pieces: &[Piece]) -> Vec<SpmPiece> {
    pieces
        .iter()
        .map(|p| SpmPiece::new(p.text.clone(), p.score, spm_kind_of(p.kind)))
        .collect()
}

/// A tokenizer for a SentencePiece model file; `origin` names it in errors.
pub fn tokenizer(m: SpmModelFile, origin: &str) -> Result<Tokenizer> {
    let encoder = match m.model_type {
        SpmModelType::Unigram => {
            let pieces = m
                .pieces
                .iter()
                .map(|p| Piece {
                    text: p.piece.clone(),
                    score: p.score,
                    kind: kind_of(p.kind),
                })
                .collect();
            SpmEncoder::Unigram(
                UnigramModel::new(pieces, m.trainer.byte_fallback()).map_err(|e| {
                    Error::Format {
                        origin: origin.to_string(),
                        message: e.to_string(),
                    }
                })?,
            )
        }
        SpmModelType::Bpe => SpmEncoder::Bpe(SpmBpe::new(&m, origin)?),
        other => {
            return Err(Error::Format {
                origin: origin.to_string(),
                message: format!(
                    "SentencePiece model type {other:?} is not supported (unigram and bpe are)"
                ),
            })
        }
    };
    let normalizer = SpmNormalizer::from_model(&m, origin)?;
    let decoder = SpmDecoder::new(&m, origin)?;
    let mut ids = FxHashMap::default();
    for (i, p) in m.pieces.iter().enumerate() {
        ids.entry(p.piece.clone()).or_insert(i as u32);
    }
    let model = SpmModel {
        file: Arc::new(m),
        ids,
        encoder,
    };
    let mut tok = Tokenizer::new(
        Some(Normalizer::Spm(SpmNorm(Arc::new(normalizer)))),
        Pretokenizer::None,
        Model::Spm(model),
        Vec::new(),
        None,
    )?;
    tok.decoder = Decoder::Spm(Box::new(decoder));
    Ok(tok)
}

/// The SentencePiece model file of a tokenizer built from one, or converted
/// from an HF Unigram `tokenizer.json` where that is exact
/// ([`crate::formats::hf_unigram::to_spm`]).
pub fn model_file(tok: &Tokenizer) -> Result<Cow<'_, SpmModelFile>> {
    match &tok.model {
        Model::Spm(m) => Ok(Cow::Borrowed(&m.file)),
        Model::HfUnigram(_) => crate::formats::hf_unigram::to_spm(tok).map(Cow::Owned),
        _ => Err(Error::invalid(format!(
            "only SentencePiece models (unigram, spm_bpe) can be saved as .model files, not {}",
            tok.model_name()
        ))),
    }
}

fn unigram_of(tok: &Tokenizer) -> Result<&UnigramModel> {
    match &tok.model {
        Model::Spm(SpmModel {
            encoder: SpmEncoder::Unigram(u),
            ..
        }) => Ok(u),
        _ => Err(Error::invalid(format!(
            "n-best and sampling need a Unigram model, not {}",
            tok.model_name()
        ))),
    }
}

fn normalized(tok: &Tokenizer, text: &str) -> String {
    match &tok.normalizer {
        Some(n) => n.apply(text),
        None => text.to_string(),
    }
}

/// The `n` best segmentations of `text` (as `sp.nbest_encode_as_ids`).
pub fn encode_nbest(tok: &Tokenizer, text: &str, n: usize) -> Result<Vec<Vec<u32>>> {
    let u = unigram_of(tok)?;
    if n == 0 {
        return Err(Error::invalid("n must be at least 1"));
    }
    let t = normalized(tok, text);
    Ok(u.nbest(&t, n)
        .into_iter()
        .map(|(spans, _)| spans.into_iter().map(|s| s.0).collect())
        .collect())
}

/// A segmentation of `text` sampled with subword regularization
/// (`nbest_size < 0`: forward-filtering backward-sampling over the whole
/// lattice; otherwise among the `nbest_size` best), smoothed by `alpha`.
pub fn encode_sample(
    tok: &Tokenizer,
    text: &str,
    alpha: f32,
    nbest_size: i32,
    seed: u64,
) -> Result<Vec<u32>> {
    if !alpha.is_finite() || alpha < 0.0 {
        return Err(Error::invalid(format!(
            "alpha must be a non-negative number, got {alpha}"
        )));
    }
    if let Model::Spm(SpmModel {
        encoder: SpmEncoder::Bpe(b),
        ..
    }) = &tok.model
    {
        // SentencePiece BPE models sample by BPE-dropout with probability
        // `alpha`, whatever `nbest_size` is.
        let t = normalized(tok, text);
        return Ok(b.encode_dropout(&t, alpha, &mut crate::bpe::dropout::Rng::new(seed)));
    }
    let u = unigram_of(tok)?;
    let t = normalized(tok, text);
    Ok(u.sample(&t, alpha, nbest_size, seed)
        .into_iter()
        .map(|s| s.0)
        .collect())
}
