//! Decoding ids back to text: byte concatenation for BPE (byte-level tokens
//! and `<0xNN>` fallback bytes are turned back into bytes), HF's `WordPiece`
//! decoder for WordPiece.

use super::{HfDecodeStep, Model, Tokenizer};
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
    /// HF's decoder chain over token strings (Unigram `tokenizer.json`).
    Hf(Vec<HfDecodeStep>),
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

    /// Reads an HF `decoder` JSON object (only what changes the text).
    pub fn from_hf_json(v: &serde_json::Value, model: &Model) -> Self {
        match v.get("type").and_then(|t| t.as_str()) {
            Some("WordPiece") => Decoder::WordPiece {
                prefix: v
                    .get("prefix")
                    .and_then(|p| p.as_str())
                    .unwrap_or("##")
                    .to_string(),
                cleanup: v.get("cleanup").and_then(|c| c.as_bool()).unwrap_or(true),
            },
            _ => Decoder::default_for(model),
        }
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
                        if !skip_special {
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
                    if skip_special && self.is_added(id) {
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
                let toks = steps.iter().fold(toks, |t, s| s.apply(t));
                Ok(toks.concat().into_bytes())
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
