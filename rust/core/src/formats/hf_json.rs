//! Reading and writing HF `tokenizer.json` files with a BPE model.
//!
//! Supported on load: normalizers NFC/NFD/NFKC/NFKD/Lowercase/Prepend/Replace
//! (and sequences), pre-tokenizers `ByteLevel`, `Split` (regex or string,
//! behaviour `Isolated`, not inverted) and sequences of them, BPE models
//! (byte-level or character-level, with unk/byte fallback, prefix/suffix,
//! `ignore_merges`), added tokens (with `lstrip`, `rstrip` and
//! `single_word`), and post-processors TemplateProcessing
//! (single sequence), BertProcessing, RobertaProcessing and ByteLevel. Unigram
//! models are read and written by [`super::hf_unigram`]. Anything
//! else is a clear error rather than a silently different tokenizer: so are
//! `truncation` and `padding` (which toksmith does not do), a byte-level BPE
//! with a prefix, a suffix, or an unknown token its bytes could need, and a
//! field of the wrong type (`"unk_token": 5`, `"lowercase": "yes"`).
//! What we write loads in `tokenizers.Tokenizer.from_file` and encodes the same.

use crate::bpe::{BpeKind, BpeModel, BpeOptions};
use crate::error::{Error, Result};
use crate::normalize::Normalizer;
use crate::pretokenize::{Pretokenizer, GPT2_PATTERN, HF_BYTELEVEL_PATTERN};
use crate::tokenizer::{AddedToken, ByteLevelOpts, Decoder, Model, PostProcessor, Tokenizer};
use crate::wordpiece::WordPieceModel;
use serde_json::{json, Map, Value};

pub(super) fn fmt_err(origin: &str, message: impl Into<String>) -> Error {
    Error::Format {
        origin: origin.to_string(),
        message: message.into(),
    }
}

/// Parses a `tokenizer.json` document; `origin` names it in errors.
pub fn from_str(text: &str, origin: &str) -> Result<Tokenizer> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| fmt_err(origin, format!("not valid JSON: {e}")))?;
    from_value(&v, origin).map_err(|e| match e {
        Error::Format { .. } => e,
        other => fmt_err(origin, other.to_string()),
    })
}

struct PreTok {
    split: Option<String>,
    byte_level: Option<ByteLevelOpts>,
    bert: bool,
}

fn parse_pretok(v: &Value, acc: &mut PreTok) -> Result<()> {
    let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
    match ty {
        "ByteLevel" => {
            let flag = |k: &str, d: bool| bool_field(v, k, d, "pre_tokenizer ByteLevel");
            flag("trim_offsets", true)?;
            if flag("use_regex", true)? {
                if acc.split.is_some() {
                    return Err(Error::invalid(
                        "ByteLevel(use_regex=true) after a Split is not supported",
                    ));
                }
                acc.split = Some(GPT2_PATTERN.to_string());
            }
            acc.byte_level = Some(ByteLevelOpts {
                add_prefix_space: flag("add_prefix_space", false)?,
            });
        }
        "Split" => {
            if acc.split.is_some() || acc.byte_level.is_some() || acc.bert {
                return Err(Error::invalid(
                    "only one Split, before ByteLevel, is supported",
                ));
            }
            let behavior = v.get("behavior").and_then(Value::as_str).unwrap_or("");
            let invert = bool_field(v, "invert", false, "pre_tokenizer Split")?;
            if behavior != "Isolated" || invert {
                return Err(Error::invalid(format!(
                    "Split with behavior {behavior:?} invert={invert} is not supported (only Isolated)"
                )));
            }
            let pat = v
                .get("pattern")
                .ok_or_else(|| Error::invalid("Split without pattern"))?;
            let src = if let Some(r) = pat.get("Regex").and_then(Value::as_str) {
                r.to_string()
            } else if let Some(s) = pat.get("String").and_then(Value::as_str) {
                fancy_regex::escape(s).into_owned()
            } else {
                return Err(Error::invalid(
                    "Split pattern must be {\"Regex\": ...} or {\"String\": ...}",
                ));
            };
            acc.split = Some(src);
        }
        "BertPreTokenizer" => {
            if acc.split.is_some() || acc.byte_level.is_some() || acc.bert {
                return Err(Error::invalid(
                    "BertPreTokenizer combined with another pre-tokenizer is not supported",
                ));
            }
            acc.bert = true;
        }
        "Sequence" => {
            for p in v
                .get("pretokenizers")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("pre_tokenizer Sequence without 'pretokenizers'"))?
            {
                parse_pretok(p, acc)?;
            }
        }
        other => {
            return Err(Error::invalid(format!(
                "unsupported pre_tokenizer type {other:?}"
            )))
        }
    }
    Ok(())
}

/// The string field `k` of `what` (`None` when missing or null); any other
/// type is an error, as HF's reading makes it, not a silent default.
pub(crate) fn str_field(v: &Value, k: &str, what: &str) -> Result<Option<String>> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid(format!(
            "{what}.{k} must be a string or null, got {other}"
        ))),
    }
}

/// The boolean field `k` of `what` (`default` when missing); any other type
/// is an error.
pub(crate) fn bool_field(v: &Value, k: &str, default: bool, what: &str) -> Result<bool> {
    match v.get(k) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::invalid(format!(
            "{what}.{k} must be true or false, got {other}"
        ))),
    }
}

fn read_vocab(model: &Value, origin: &str) -> Result<Vec<(String, u32)>> {
    let vocab_v = model
        .get("vocab")
        .and_then(Value::as_object)
        .ok_or_else(|| fmt_err(origin, "model.vocab is missing or not an object"))?;
    let mut vocab = Vec::with_capacity(vocab_v.len());
    for (k, id) in vocab_v {
        let id = id
            .as_u64()
            .filter(|&i| i < u32::MAX as u64)
            .ok_or_else(|| fmt_err(origin, format!("model.vocab[{k:?}] is not a valid id")))?;
        vocab.push((k.clone(), id as u32));
    }
    Ok(vocab)
}

fn read_bpe(
    model: &Value,
    vocab: Vec<(String, u32)>,
    byte_level: bool,
    origin: &str,
) -> Result<BpeModel> {
    let mut merges = Vec::new();
    for (i, m) in model
        .get("merges")
        .and_then(Value::as_array)
        .ok_or_else(|| fmt_err(origin, "model.merges is missing or not a list"))?
        .iter()
        .enumerate()
    {
        let pair = match m {
            Value::String(s) => s
                .split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string())),
            Value::Array(a) if a.len() == 2 => match (a[0].as_str(), a[1].as_str()) {
                (Some(x), Some(y)) => Some((x.to_string(), y.to_string())),
                _ => None,
            },
            _ => None,
        };
        merges
            .push(pair.ok_or_else(|| fmt_err(origin, format!("model.merges[{i}] is not a pair")))?);
    }

    let opts = BpeOptions {
        continuing_subword_prefix: str_field(model, "continuing_subword_prefix", "model")?,
        end_of_word_suffix: str_field(model, "end_of_word_suffix", "model")?,
        ignore_merges: bool_field(model, "ignore_merges", false, "model")?,
    };
    let unk_token = str_field(model, "unk_token", "model")?;
    let byte_fallback = bool_field(model, "byte_fallback", false, "model")?;
    let fuse_unk = bool_field(model, "fuse_unk", false, "model")?;
    if byte_level {
        // The byte-level encoder works on bytes: it has no characters to
        // give a prefix or suffix, and no character is ever unknown to it
        // unless the vocabulary lacks some byte.
        for (k, v) in [
            ("continuing_subword_prefix", &opts.continuing_subword_prefix),
            ("end_of_word_suffix", &opts.end_of_word_suffix),
        ] {
            if v.is_some() {
                return Err(fmt_err(
                    origin,
                    format!("model.{k} with a byte-level BPE is not supported"),
                ));
            }
        }
    }
    let dropout = match model.get("dropout") {
        None | Some(Value::Null) => None,
        Some(d) => match d.as_f64() {
            Some(p) if (0.0..=1.0).contains(&p) => Some(p as f32),
            _ => {
                return Err(fmt_err(
                    origin,
                    format!("model.dropout must be a number between 0 and 1, got {d}"),
                ))
            }
        },
    };
    let kind = if byte_level {
        BpeKind::ByteLevel
    } else {
        BpeKind::Char {
            unk_token: unk_token.clone(),
            byte_fallback,
            fuse_unk,
        }
    };
    let mut m = BpeModel::from_strings(kind, vocab, &merges, opts)?;
    if let (true, Some(unk)) = (byte_level, &unk_token) {
        let lacks = |b: u8| {
            m.token_to_id(&crate::byte_level::encode_bytes(&[b]))
                .is_none()
        };
        if let Some(b) = (0..=255u8).find(|&b| lacks(b)) {
            return Err(fmt_err(
                origin,
                format!(
                    "a byte-level BPE with unk_token {unk:?} whose vocabulary lacks the byte \
                     0x{b:02X} is not supported"
                ),
            ));
        }
    }
    m.set_dropout(dropout)?;
    Ok(m)
}

/// The `added_tokens` of a document.
pub(super) fn read_added(obj: &Map<String, Value>, origin: &str) -> Result<Vec<AddedToken>> {
    let mut added = Vec::new();
    let list = match obj.get("added_tokens") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(other) => {
            return Err(fmt_err(
                origin,
                format!("added_tokens must be a list, got {other}"),
            ))
        }
    };
    for a in list {
        let content = str_field(a, "content", "added token")?
            .ok_or_else(|| fmt_err(origin, "added token without content"))?;
        let id = a
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| fmt_err(origin, format!("added token {content:?} without id")))?;
        let flag =
            |k: &str, default| bool_field(a, k, default, &format!("added token {content:?}"));
        let special = flag("special", false)?;
        added.push(AddedToken {
            id: id as u32,
            special,
            normalized: flag("normalized", !special)?,
            lstrip: flag("lstrip", false)?,
            rstrip: flag("rstrip", false)?,
            single_word: flag("single_word", false)?,
            content,
        });
    }
    Ok(added)
}

/// The `post_processor` of a document, its tokens resolved against the
/// added tokens, then the model.
pub(super) fn read_post(
    obj: &Map<String, Value>,
    added: &[AddedToken],
    model: &Model,
) -> Result<Option<PostProcessor>> {
    let tok_id = |t: &str| -> Result<u32> {
        added
            .iter()
            .find(|a| a.content == t)
            .map(|a| a.id)
            .or_else(|| model.token_to_id(t))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "post_processor token {t:?} is not in the vocabulary"
                ))
            })
    };
    match obj.get("post_processor").filter(|p| !p.is_null()) {
        Some(p) => PostProcessor::from_hf_json(p, &tok_id),
        None => Ok(None),
    }
}

/// The `added_tokens` list of a tokenizer.
pub(super) fn added_json(tok: &Tokenizer) -> Vec<Value> {
    tok.added_tokens()
        .iter()
        .map(|a| {
            json!({"id": a.id, "content": a.content, "single_word": a.single_word, "lstrip": a.lstrip,
                   "rstrip": a.rstrip, "normalized": a.normalized, "special": a.special})
        })
        .collect()
}

/// The `post_processor` of a tokenizer (as read, or from its template).
pub(super) fn post_json(tok: &Tokenizer) -> Value {
    match (tok.hf_extra.get("post_processor"), &tok.post) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => p.to_hf_json(),
        (None, None) => Value::Null,
    }
}

fn from_value(v: &Value, origin: &str) -> Result<Tokenizer> {
    let obj = v
        .as_object()
        .ok_or_else(|| fmt_err(origin, "top level is not a JSON object"))?;
    let model = obj
        .get("model")
        .ok_or_else(|| fmt_err(origin, "no 'model' field"))?;
    let mty = model.get("type").and_then(Value::as_str).unwrap_or("BPE");
    match obj.get("version") {
        None => {}
        Some(Value::String(v)) if v == "1.0" => {}
        Some(other) => {
            return Err(fmt_err(
                origin,
                format!("unknown tokenizer version {other} (HF reads version \"1.0\" only)"),
            ))
        }
    }
    for key in ["truncation", "padding"] {
        if obj.get(key).is_some_and(|x| !x.is_null()) {
            return Err(fmt_err(
                origin,
                format!(
                    "{key} is set, and toksmith does not {}; set it to null (HF: \
                     tokenizer.no_{key}() before saving) to load this file",
                    if key == "truncation" {
                        "truncate"
                    } else {
                        "pad"
                    }
                ),
            ));
        }
    }
    if mty == "Unigram" {
        return super::hf_unigram::from_value(obj, model, origin);
    }
    if !matches!(mty, "BPE" | "WordPiece") {
        return Err(fmt_err(
            origin,
            format!("model type {mty:?} is not supported (BPE, WordPiece and Unigram are)"),
        ));
    }
    let vocab = read_vocab(model, origin)?;
    let mut pt = PreTok {
        split: None,
        byte_level: None,
        bert: false,
    };
    if let Some(p) = obj.get("pre_tokenizer").filter(|p| !p.is_null()) {
        parse_pretok(p, &mut pt)?;
    }
    let byte_level = pt.byte_level.is_some()
        || obj
            .get("decoder")
            .and_then(|d| d.get("type"))
            .and_then(Value::as_str)
            == Some("ByteLevel");
    let the_model = if mty == "WordPiece" {
        let max_chars = match model.get("max_input_chars_per_word") {
            None => 100,
            Some(n) => n.as_u64().filter(|&n| n < 1 << 32).ok_or_else(|| {
                fmt_err(
                    origin,
                    format!(
                        "model.max_input_chars_per_word must be a count of characters, got {n}"
                    ),
                )
            })?,
        };
        Model::WordPiece(WordPieceModel::new(
            vocab,
            &str_field(model, "unk_token", "model")?.unwrap_or_else(|| "[UNK]".into()),
            &str_field(model, "continuing_subword_prefix", "model")?.unwrap_or_else(|| "##".into()),
            max_chars as usize,
        )?)
    } else {
        Model::Bpe(read_bpe(model, vocab, byte_level, origin)?)
    };

    let normalizer = match obj.get("normalizer").filter(|n| !n.is_null()) {
        Some(n) => Some(Normalizer::from_hf_json(n)?),
        None => None,
    };
    let added = read_added(obj, origin)?;
    let pretok = if pt.bert {
        Pretokenizer::Bert
    } else {
        Pretokenizer::from_file(pt.split.as_deref())?
    };
    let post = read_post(obj, &added, &the_model)?;
    let mut tok = Tokenizer::new(normalizer, pretok, the_model, added, post)?;
    tok.byte_level = pt.byte_level.unwrap_or_default();
    tok.decoder = Decoder::from_hf_json(obj.get("decoder"), &tok.model)?;
    for key in ["decoder", "post_processor"] {
        if let Some(x) = obj.get(key).filter(|x| !x.is_null()) {
            tok.hf_extra.insert(key.to_string(), x.clone());
        }
    }
    Ok(tok)
}

fn pretok_json(tok: &Tokenizer) -> Value {
    if matches!(tok.pretokenizer, Pretokenizer::Bert) {
        return json!({"type": "BertPreTokenizer"});
    }
    let src = tok.pretokenizer.hf_source();
    let byte_level = tok.model_name() == "bbpe";
    let bl = |use_regex: bool| {
        json!({"type": "ByteLevel", "add_prefix_space": tok.byte_level.add_prefix_space,
               "trim_offsets": true, "use_regex": use_regex})
    };
    let split = |s: &str| json!({"type": "Split", "pattern": {"Regex": s}, "behavior": "Isolated", "invert": false});
    match (byte_level, src) {
        (true, Some(s)) if s == GPT2_PATTERN || s == HF_BYTELEVEL_PATTERN => bl(true),
        (true, Some(s)) => json!({"type": "Sequence", "pretokenizers": [split(s), bl(false)]}),
        (true, None) => bl(false),
        (false, Some(s)) => split(s),
        (false, None) => Value::Null,
    }
}

fn bpe_json(bpe: &BpeModel) -> (Value, Value) {
    let mut vocab = Map::new();
    for (t, id) in bpe.vocab() {
        vocab.insert(t.to_string(), json!(id));
    }
    let merges: Vec<Value> = bpe
        .merges_str()
        .into_iter()
        .map(|(a, b)| json!([a, b]))
        .collect();
    let (unk, byte_fallback, fuse_unk) = match &bpe.kind {
        BpeKind::ByteLevel => (None, false, false),
        BpeKind::Char {
            unk_token,
            byte_fallback,
            fuse_unk,
        } => (unk_token.clone(), *byte_fallback, *fuse_unk),
    };
    let model = json!({
        "type": "BPE",
        "dropout": bpe.dropout(),
        "unk_token": unk,
        "continuing_subword_prefix": bpe.opts.continuing_subword_prefix,
        "end_of_word_suffix": bpe.opts.end_of_word_suffix,
        "fuse_unk": fuse_unk,
        "byte_fallback": byte_fallback,
        "ignore_merges": bpe.opts.ignore_merges,
        "vocab": vocab,
        "merges": merges,
    });
    let decoder = match bpe.kind {
        BpeKind::ByteLevel => {
            json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})
        }
        BpeKind::Char { .. } => {
            json!({"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]})
        }
    };
    (model, decoder)
}

fn wordpiece_json(m: &WordPieceModel, decoder: &Decoder) -> (Value, Value) {
    let mut vocab = Map::new();
    for (t, id) in m.vocab() {
        vocab.insert(t.to_string(), json!(id));
    }
    let model = json!({
        "type": "WordPiece",
        "unk_token": m.unk_token,
        "continuing_subword_prefix": m.prefix,
        "max_input_chars_per_word": m.max_input_chars_per_word,
        "vocab": vocab,
    });
    let cleanup = !matches!(decoder, Decoder::WordPiece { cleanup: false, .. });
    (
        model,
        json!({"type": "WordPiece", "prefix": m.prefix, "cleanup": cleanup}),
    )
}

/// Serializes a tokenizer as an HF `tokenizer.json` document.
pub fn to_string(tok: &Tokenizer) -> Result<String> {
    let (model, default_decoder) = match &tok.model {
        Model::Bpe(b) => bpe_json(b),
        Model::WordPiece(w) => wordpiece_json(w, &tok.decoder),
        Model::HfUnigram(_) => return super::hf_unigram::to_string(tok),
        Model::Spm(_) => return super::hf_unigram::to_string(&super::hf_unigram::from_spm(tok)?),
    };
    let added = added_json(tok);
    // A file without a decoder is written back without one (HF then joins
    // tokens with spaces, and so does toksmith on reading it).
    let decoder = match (&tok.decoder, tok.hf_extra.get("decoder")) {
        (Decoder::Hf(None), _) => Value::Null,
        (_, Some(d)) => d.clone(),
        (_, None) => default_decoder,
    };
    let post = post_json(tok);
    let doc = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": tok.normalizer.as_ref().map(Normalizer::to_hf_json),
        "pre_tokenizer": pretok_json(tok),
        "post_processor": post,
        "decoder": decoder,
        "model": model,
    });
    serde_json::to_string_pretty(&doc).map_err(|e| Error::invalid(format!("cannot serialize: {e}")))
}
