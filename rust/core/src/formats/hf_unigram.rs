//! HF `tokenizer.json` files with a Unigram model, as HF `tokenizers` writes
//! them for SentencePiece-style tokenizers, and conversions between them and
//! SentencePiece `.model` files.
//!
//! Load: model `{"type": "Unigram", "unk_id", "vocab": [[piece, score], ...],
//! "byte_fallback"}` ([`HfUnigram`], HF's semantics); normalizers
//! `Precompiled`, `Replace` (string or regex), `Strip`, `Prepend`, `NFKC`,
//! `Lowercase`, ... and sequences of them; pre-tokenizer `Metaspace` (alone
//! or as the only member of a `Sequence`) or none; decoders `Metaspace`,
//! `Replace`, `ByteFallback`, `Fuse`, `Strip` and sequences of them; added
//! tokens and post-processors as for BPE.
//!
//! `.model` → JSON ([`from_spm`]) writes what HF's
//! `SentencePieceUnigramTokenizer.from_spm` builds: the charsmap as a
//! `Precompiled` normalizer, `Replace(" {2,}", " ")` when the model removes
//! extra whitespace, `Metaspace` (prepend `always`, or `never` without a
//! dummy prefix), the vocabulary with its scores, `unk_id` and
//! `byte_fallback` (and then HF's byte-fallback decoder chain). Options with
//! no HF equivalent are an error. HF runs such a file with its own semantics,
//! which differ from SentencePiece's on some inputs (see [`HfUnigram`] and
//! [`crate::normalize::Precompiled`]).
//!
//! JSON → `.model` ([`to_spm`]) accepts exactly the shape [`from_spm`]
//! writes (scores that are `f32` values, added tokens that are vocabulary
//! entries), so a `.model` round trip keeps the file's pieces and options.

use super::hf_json::{added_json, fmt_err, post_json, read_added, read_post};
use super::spm::{NormalizerSpec, SpmModelFile, SpmModelType, SpmPiece, SpmPieceType};
use crate::error::{Error, Result};
use crate::formats::spm::tokenizer::{SpmEncoder, SpmModel};
use crate::normalize::{Normalizer, Precompiled, RegexReplace};
use crate::pretokenize::Pretokenizer;
use crate::tokenizer::{Decoder, HfDecodeStep, Metaspace, Model, PrependScheme, Tokenizer};
use crate::unigram::HfUnigram;
use serde_json::{json, Map, Value};

/// The regex HF uses to collapse runs of spaces.
const SPACES: &str = " {2,}";
/// SentencePiece's space symbol.
const SPACE: char = '\u{2581}';

fn read_model(model: &Value, origin: &str) -> Result<HfUnigram> {
    let items = model
        .get("vocab")
        .and_then(Value::as_array)
        .ok_or_else(|| fmt_err(origin, "model.vocab is missing or not a list"))?;
    let mut vocab = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let pair = it.as_array().filter(|a| a.len() == 2);
        let t = pair.and_then(|a| a[0].as_str());
        let s = pair.and_then(|a| a[1].as_f64());
        match (t, s) {
            (Some(t), Some(s)) => vocab.push((t.to_string(), s)),
            _ => {
                return Err(fmt_err(
                    origin,
                    format!("model.vocab[{i}] is not a [piece, score] pair"),
                ))
            }
        }
    }
    let unk_id = match model.get("unk_id") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|&u| u < u32::MAX as u64)
            .ok_or_else(|| fmt_err(origin, "model.unk_id is not a valid id"))?
            as u32,
        _ => {
            return Err(fmt_err(
                origin,
                "Unigram models without unk_id are not supported \
                 (HF fails on the first unknown character)",
            ))
        }
    };
    let byte_fallback = super::hf_json::bool_field(model, "byte_fallback", false, "model")
        .map_err(|e| fmt_err(origin, e.to_string()))?;
    HfUnigram::new(vocab, unk_id, byte_fallback).map_err(|e| fmt_err(origin, e.to_string()))
}

fn read_pretok(v: &Value) -> Result<Option<Metaspace>> {
    match v.get("type").and_then(Value::as_str).unwrap_or("") {
        "Metaspace" => Ok(Some(Metaspace::from_hf_json(v)?)),
        "Sequence" => {
            let list = v
                .get("pretokenizers")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("pre_tokenizer Sequence without 'pretokenizers'"))?;
            match list.as_slice() {
                [] => Ok(None),
                [one] => read_pretok(one),
                _ => Err(Error::invalid(
                    "for a Unigram model, only a single Metaspace pre-tokenizer is supported",
                )),
            }
        }
        other => Err(Error::invalid(format!(
            "pre_tokenizer {other:?} is not supported with a Unigram model (Metaspace is)"
        ))),
    }
}

/// A tokenizer from a parsed document whose model is Unigram.
pub(super) fn from_value(
    obj: &Map<String, Value>,
    model: &Value,
    origin: &str,
) -> Result<Tokenizer> {
    let unigram = read_model(model, origin)?;
    let normalizer = match obj.get("normalizer").filter(|n| !n.is_null()) {
        Some(n) => Some(Normalizer::from_hf_json(n)?),
        None => None,
    };
    let metaspace = match obj.get("pre_tokenizer").filter(|p| !p.is_null()) {
        Some(p) => read_pretok(p)?,
        None => None,
    };
    let pretok = match &metaspace {
        Some(m) if m.split && m.replacement != SPACE => {
            return Err(Error::invalid(format!(
                "Metaspace with split=true is supported for replacement '▁' only, not {:?}",
                m.replacement
            )))
        }
        Some(m) if m.split => Pretokenizer::Metaspace,
        _ => Pretokenizer::None,
    };
    let model = Model::HfUnigram(unigram);
    let decoder = Decoder::from_hf_json(obj.get("decoder"), &model)?;
    let added = read_added(obj, origin)?;
    let post = read_post(obj, &added, &model)?;
    let mut tok = Tokenizer::new(normalizer, pretok, model, added, post)?;
    tok.metaspace = metaspace;
    tok.decoder = decoder;
    if let Some(p) = obj.get("post_processor").filter(|x| !x.is_null()) {
        tok.hf_extra.insert("post_processor".into(), p.clone());
    }
    Ok(tok)
}

/// Serializes a tokenizer whose model is [`Model::HfUnigram`].
pub fn to_string(tok: &Tokenizer) -> Result<String> {
    let Model::HfUnigram(m) = &tok.model else {
        return Err(Error::invalid(format!(
            "not an HF Unigram tokenizer: {}",
            tok.model_name()
        )));
    };
    let pre = match (&tok.metaspace, &tok.pretokenizer) {
        (Some(ms), Pretokenizer::Metaspace) => Metaspace {
            split: true,
            ..ms.clone()
        }
        .to_hf_json(),
        (Some(ms), Pretokenizer::None) => Metaspace {
            split: false,
            ..ms.clone()
        }
        .to_hf_json(),
        (None, Pretokenizer::None) => Value::Null,
        (_, other) => {
            return Err(Error::invalid(format!(
                "a Unigram tokenizer.json cannot have the pre-tokenizer {:?}",
                other.name()
            )))
        }
    };
    let decoder = match &tok.decoder {
        Decoder::Hf(None) => Value::Null,
        Decoder::Hf(Some(steps)) => HfDecodeStep::chain_to_hf_json(steps),
        _ => {
            return Err(Error::invalid(
                "a Unigram tokenizer.json needs an HF decoder",
            ))
        }
    };
    let vocab: Vec<Value> = m.vocab().iter().map(|(t, s)| json!([t, s])).collect();
    let doc = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added_json(tok),
        "normalizer": tok.normalizer.as_ref().map(Normalizer::to_hf_json),
        "pre_tokenizer": pre,
        "post_processor": post_json(tok),
        "decoder": decoder,
        "model": {"type": "Unigram", "unk_id": m.unk_id(), "vocab": vocab,
                  "byte_fallback": m.byte_fallback()},
    });
    serde_json::to_string_pretty(&doc).map_err(|e| Error::invalid(format!("cannot serialize: {e}")))
}

fn unrepresentable(what: &str) -> Error {
    Error::invalid(format!(
        "this SentencePiece model cannot be written as an HF tokenizer.json: {what}"
    ))
}

/// The HF Unigram tokenizer HF's `SentencePieceUnigramTokenizer.from_spm`
/// builds for a SentencePiece Unigram model (see the module docs).
pub fn from_spm(tok: &Tokenizer) -> Result<Tokenizer> {
    let Model::Spm(SpmModel {
        file,
        encoder: SpmEncoder::Unigram(_),
        ..
    }) = &tok.model
    else {
        return Err(unrepresentable(&format!(
            "its model is {}; only Unigram has an HF equivalent here",
            tok.model_name()
        )));
    };
    let ns = &file.normalizer;
    if !ns.escape_whitespaces() {
        return Err(unrepresentable("escape_whitespaces is false"));
    }
    if file.trainer.treat_whitespace_as_suffix() {
        return Err(unrepresentable("treat_whitespace_as_suffix is true"));
    }
    if file
        .denormalizer
        .as_ref()
        .is_some_and(|d| !d.charsmap().is_empty())
    {
        return Err(unrepresentable("it has a denormalizer"));
    }
    let mut vocab = Vec::with_capacity(file.pieces.len());
    let mut unk_id = None;
    for (i, p) in file.pieces.iter().enumerate() {
        match p.kind {
            SpmPieceType::UserDefined => {
                return Err(unrepresentable(&format!(
                    "user-defined piece {:?} (always matched by SentencePiece, scored by HF)",
                    p.piece
                )))
            }
            SpmPieceType::Unused => {
                return Err(unrepresentable(&format!(
                    "unused piece {:?} (never produced by SentencePiece, matched by HF)",
                    p.piece
                )))
            }
            SpmPieceType::Unknown => unk_id = Some(i as u32),
            _ => {}
        }
        vocab.push((p.piece.clone(), f64::from(p.score)));
    }
    let unk_id = unk_id.ok_or_else(|| unrepresentable("it has no unknown piece"))?;
    let byte_fallback = file.trainer.byte_fallback();
    let model = HfUnigram::new(vocab, unk_id, byte_fallback)?;
    let mut norms = Vec::new();
    if !ns.charsmap().is_empty() {
        norms.push(Normalizer::Precompiled(Precompiled::new(
            ns.charsmap().to_vec(),
        )?));
    }
    if ns.remove_extra_whitespaces() {
        norms.push(Normalizer::ReplaceRegex(RegexReplace::new(SPACES, " ")?));
    }
    let prepend_scheme = if ns.add_dummy_prefix() {
        PrependScheme::Always
    } else {
        PrependScheme::Never
    };
    let metaspace = Metaspace {
        replacement: SPACE,
        prepend_scheme,
        split: true,
    };
    let steps = if byte_fallback {
        // HF's (transformers') decoder for byte-fallback SentencePiece models.
        let mut s = vec![
            HfDecodeStep::Replace {
                pattern: SPACE.to_string(),
                content: " ".into(),
            },
            HfDecodeStep::ByteFallback,
            HfDecodeStep::Fuse,
        ];
        if prepend_scheme == PrependScheme::Always {
            s.push(HfDecodeStep::Strip {
                content: ' ',
                start: 1,
                stop: 0,
            });
        }
        s
    } else {
        vec![HfDecodeStep::Metaspace(metaspace.clone())]
    };
    let normalizer = (!norms.is_empty()).then_some(Normalizer::Sequence(norms));
    let mut out = Tokenizer::new(
        normalizer,
        Pretokenizer::Metaspace,
        Model::HfUnigram(model),
        tok.added_tokens().to_vec(),
        tok.post.clone(),
    )?;
    out.metaspace = Some(metaspace);
    out.decoder = Decoder::Hf(Some(steps));
    Ok(out)
}

/// The SentencePiece `.model` of an HF Unigram tokenizer of the shape
/// [`from_spm`] writes; anything else is an error naming what differs.
pub fn to_spm(tok: &Tokenizer) -> Result<SpmModelFile> {
    let bad = |what: &str| {
        Error::invalid(format!(
            "this tokenizer.json cannot be written as a SentencePiece .model: {what}"
        ))
    };
    let Model::HfUnigram(m) = &tok.model else {
        return Err(bad(&format!("its model is {}", tok.model_name())));
    };
    let mut charsmap = Vec::new();
    let mut remove_extra = false;
    let steps: Vec<&Normalizer> = match &tok.normalizer {
        None => Vec::new(),
        Some(Normalizer::Sequence(v)) => v.iter().collect(),
        Some(n) => vec![n],
    };
    for (i, n) in steps.iter().enumerate() {
        match n {
            Normalizer::Precompiled(p) if i == 0 => charsmap = p.blob.to_vec(),
            Normalizer::ReplaceRegex(r)
                if i + 1 == steps.len() && r.source == SPACES && r.content == " " =>
            {
                remove_extra = true
            }
            other => {
                return Err(bad(&format!(
                    "normalizer {} has no SentencePiece equivalent",
                    other.to_hf_json()
                )))
            }
        }
    }
    let add_dummy_prefix = match (&tok.metaspace, &tok.pretokenizer) {
        (Some(ms), Pretokenizer::Metaspace) if ms.replacement == SPACE => match ms.prepend_scheme {
            PrependScheme::Always => true,
            PrependScheme::Never => false,
            PrependScheme::First => return Err(bad("Metaspace prepend_scheme 'first'")),
        },
        _ => return Err(bad("the pre-tokenizer is not Metaspace('▁', split=true)")),
    };
    if tok.post.is_some() {
        return Err(bad("it has a post-processor"));
    }
    let control: Vec<u32> = tok.added_tokens().iter().map(|a| a.id).collect();
    for a in tok.added_tokens() {
        if m.id_to_token(a.id) != Some(a.content.as_str()) {
            return Err(bad(&format!(
                "added token {:?} is not the vocabulary entry {}",
                a.content, a.id
            )));
        }
    }
    let mut pieces = Vec::with_capacity(m.len());
    for (i, (t, s)) in m.vocab().iter().enumerate() {
        let score = *s as f32;
        if f64::from(score) != *s {
            return Err(bad(&format!("score {s} of {t:?} is not a 32-bit float")));
        }
        let id = i as u32;
        let kind = if id == m.unk_id() {
            SpmPieceType::Unknown
        } else if control.contains(&id) {
            SpmPieceType::Control
        } else if m.byte_fallback() && super::spm::piece_to_byte(t).is_some() {
            SpmPieceType::Byte
        } else {
            SpmPieceType::Normal
        };
        pieces.push(SpmPiece::new(t.clone(), score, kind));
    }
    let mut file = SpmModelFile::new(pieces, SpmModelType::Unigram);
    file.trainer.byte_fallback = Some(m.byte_fallback());
    file.normalizer = NormalizerSpec {
        name: Some(
            if charsmap.is_empty() {
                "identity"
            } else {
                "nmt_nfkc"
            }
            .to_string(),
        ),
        precompiled_charsmap: Some(charsmap),
        add_dummy_prefix: Some(add_dummy_prefix),
        remove_extra_whitespaces: Some(remove_extra),
        escape_whitespaces: Some(true),
        ..file.normalizer.clone()
    };
    // The file must load as sentencepiece loads it (256 byte pieces, ...).
    super::spm::tokenizer::tokenizer(file.clone(), "<converted>")
        .map_err(|e| bad(&e.to_string()))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::SpecialSet;

    const DOC: &str = r#"{"added_tokens": [{"id": 1, "content": "<s>", "special": true}],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Strip", "strip_left": true, "strip_right": true},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
        "post_processor": null,
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"},
        "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
                  "vocab": [["<unk>", 0.0], ["<s>", 0.0], ["▁ab", -1.0], ["▁a", -2.0], ["b", -2.0], ["▁", -3.0]]}}"#;

    fn ids(t: &Tokenizer, s: &str) -> Vec<u32> {
        let none = SpecialSet::Some(Default::default());
        t.encode(s, &SpecialSet::All, &none, false).unwrap()
    }

    #[test]
    fn loads_encodes_decodes_and_round_trips() {
        let t = super::super::hf_json::from_str(DOC, "doc").unwrap();
        assert_eq!(t.model_name(), "unigram");
        // Stripped, collapsed, "▁" prepended, split: "▁ab" "▁ab" "▁x" (x unknown), then <s>.
        assert_eq!(ids(&t, "  ab   ab x<s>"), [2, 2, 5, 0, 1]);
        assert_eq!(t.decode_with(&[2, 3, 4], false).unwrap(), "ab ab");
        let again = super::super::hf_json::from_str(&to_string(&t).unwrap(), "again").unwrap();
        assert_eq!(ids(&again, "  ab   ab x<s>"), ids(&t, "  ab   ab x<s>"));
        // Not the shape a .model converts to: refused.
        assert!(to_spm(&t).unwrap_err().to_string().contains("Strip"));
    }
}
