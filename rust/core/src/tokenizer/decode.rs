//! Decoding ids back to text: byte concatenation for BPE (byte-level tokens
//! and `<0xNN>` fallback bytes are turned back into bytes), HF's `WordPiece`
//! decoder for WordPiece, SentencePiece's decoding, and HF's decoder chain
//! for what a `tokenizer.json` asks otherwise.

use super::{HfDecodeStep, Model, Tokenizer};
use crate::bpe::BpeKind;
use crate::error::{Error, Result};
use crate::formats::spm::SpmDecoder;
use crate::wordpiece::WordPieceModel;

/// How ids become text.
#[derive(Debug, Clone)]
pub enum Decoder {
    /// Concatenate the bytes each token stands for.
    Bytes,
    /// HF `WordPiece` decoder: join with spaces, glue `prefix` tokens.
    WordPiece {
        /// The continuing-subword prefix.
        prefix: String,
        /// Remove spaces before punctuation and in contractions.
        cleanup: bool,
    },
    /// SentencePiece's decoding (`sp.decode`).
    Spm(Box<SpmDecoder>),
    /// HF's decoder chain over token strings (from a `tokenizer.json`);
    /// `None` for a file without a decoder, whose tokens HF joins with
    /// spaces.
    Hf(Option<Vec<HfDecodeStep>>),
}

impl Decoder {
    /// The decoder that goes with a model.
    pub fn default_for(model: &Model) -> Self {
        match model {
            Model::Bpe(_) | Model::Spm(_) | Model::HfUnigram(_) => Decoder::Bytes,
            Model::WordPiece(m) => Decoder::WordPiece {
                prefix: m.prefix.clone(),
                cleanup: true,
            },
        }
    }

    /// The decoder of an HF `tokenizer.json` (its `decoder` field, `None`
    /// or null when it has none). The decoders toksmith writes itself (a
    /// `ByteLevel` one for byte-level BPE, `[ByteFallback, Fuse]` for
    /// byte-fallback BPE, `WordPiece`) become the same direct decoders as for
    /// a trained model (so that `decode_bytes` gives raw bytes); any other is
    /// HF's chain, and no decoder joins the tokens with spaces, as HF does.
    /// A decoder type HF does not have is an error.
    pub fn from_hf_json(v: Option<&serde_json::Value>, model: &Model) -> Result<Self> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(Decoder::Hf(None));
        };
        let mut steps = Vec::new();
        HfDecodeStep::parse(v, &mut steps)?;
        let kind = match model {
            Model::Bpe(m) => Some(&m.kind),
            _ => None,
        };
        Ok(match (steps.as_slice(), kind) {
            ([HfDecodeStep::ByteLevel], Some(BpeKind::ByteLevel)) => Decoder::Bytes,
            (
                [HfDecodeStep::ByteFallback, HfDecodeStep::Fuse],
                Some(BpeKind::Char {
                    byte_fallback: true,
                    ..
                }),
            ) => Decoder::Bytes,
            ([HfDecodeStep::WordPiece { prefix, cleanup }], _)
                if !matches!(model, Model::HfUnigram(_)) =>
            {
                Decoder::WordPiece {
                    prefix: prefix.clone(),
                    cleanup: *cleanup,
                }
            }
            _ => Decoder::Hf(Some(steps)),
        })
    }
}

impl Tokenizer {
    /// The bytes the ids decode to; an unknown id is an error. Special tokens
    /// are kept unless `skip_special`.
    pub fn decode_bytes_with(&self, ids: &[u32], skip_special: bool) -> Result<Vec<u8>> {
        match &self.decoder {
            Decoder::Bytes => {
                let mut out = Vec::with_capacity(ids.len() * 4);
                for &id in ids {
                    if let Some(a) = self.added_token(id) {
                        // HF skips the special ones only.
                        if !(skip_special && self.is_special(id)) {
                            out.extend_from_slice(a.as_bytes());
                        }
                        continue;
                    }
                    let bytes = match &self.model {
                        Model::Bpe(m) => m.decoded(id),
                        _ => self.model.id_to_token(id).map(str::as_bytes),
                    };
                    out.extend_from_slice(bytes.ok_or(Error::UnknownId(id))?);
                }
                Ok(out)
            }
            Decoder::WordPiece { prefix, cleanup } => {
                let mut toks = Vec::with_capacity(ids.len());
                for &id in ids {
                    if skip_special && self.is_special(id) {
                        continue;
                    }
                    toks.push(self.id_to_token(id).ok_or(Error::UnknownId(id))?);
                }
                Ok(WordPieceModel::decode_tokens(&toks, prefix, *cleanup).into_bytes())
            }
            Decoder::Spm(d) => Ok(d.decode(ids)?.into_bytes()),
            Decoder::Hf(steps) => {
                // HF: added tokens by content, others by model token; special
                // ones dropped when skipping; then the chain, joined.
                let mut toks = Vec::with_capacity(ids.len());
                for &id in ids {
                    if skip_special && self.is_special(id) {
                        continue;
                    }
                    toks.push(
                        self.id_to_token(id)
                            .ok_or(Error::UnknownId(id))?
                            .to_string(),
                    );
                }
                Ok(match steps {
                    Some(steps) => steps.iter().fold(toks, |t, s| s.apply(t)).concat(),
                    None => toks.join(" "),
                }
                .into_bytes())
            }
        }
    }

    /// Concatenated bytes of the tokens (special tokens included).
    pub fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>> {
        self.decode_bytes_with(ids, false)
    }

    /// Decodes to a string, replacing invalid UTF-8 with U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.decode_bytes(ids)?).into_owned())
    }

    /// Like [`Tokenizer::decode`], optionally skipping special tokens.
    pub fn decode_with(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.decode_bytes_with(ids, skip_special)?).into_owned())
    }
}
