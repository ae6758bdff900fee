//! tiktoken rank files: one `base64(token bytes) rank` line per token.
//!
//! Reading accepts plain and gzip-compressed files. Writing emits the model's
//! tokens (not the special tokens, which tiktoken keeps apart) in rank order.

use crate::bpe::{BpeKind, BpeModel};
use crate::error::{Error, Result};
use crate::tokenizer::Tokenizer;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::io::Read;
use std::path::Path;

/// Reads a rank file (gzip when it starts with the gzip magic bytes).
pub fn read_file(path: &Path) -> Result<Vec<(Vec<u8>, u32)>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let data = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::io(path, e))?;
        out
    } else {
        raw
    };
    parse(&data, &path.display().to_string())
}

/// Parses rank-file contents; `origin` names the source in errors.
pub fn parse(data: &[u8], origin: &str) -> Result<Vec<(Vec<u8>, u32)>> {
    let bad = |line: usize, msg: &str| Error::Format {
        origin: origin.to_string(),
        message: format!("line {line}: {msg}"),
    };
    let mut out = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let sp = line
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| bad(i + 1, "expected 'base64 rank'"))?;
        let token = STANDARD
            .decode(&line[..sp])
            .map_err(|e| bad(i + 1, &format!("bad base64: {e}")))?;
        let rank = std::str::from_utf8(&line[sp + 1..])
            .ok()
            .and_then(|r| r.trim().parse::<u32>().ok())
            .ok_or_else(|| bad(i + 1, "rank is not a non-negative integer"))?;
        out.push((token, rank));
    }
    if out.is_empty() {
        return Err(Error::Format {
            origin: origin.to_string(),
            message: "no ranks in file".into(),
        });
    }
    Ok(out)
}

/// Builds the model of a rank file.
pub fn model_from_ranks(ranks: &[(Vec<u8>, u32)], origin: &str) -> Result<BpeModel> {
    BpeModel::from_ranks(ranks).map_err(|e| Error::Format {
        origin: origin.to_string(),
        message: e.to_string(),
    })
}

/// Serializes a byte-level tokenizer's model vocabulary as a rank file.
pub fn to_string(tok: &Tokenizer) -> Result<String> {
    let bpe = match tok.bpe() {
        Some(b) if b.kind == BpeKind::ByteLevel => b,
        _ => {
            return Err(Error::invalid(format!(
                "only byte-level (bbpe) tokenizers can be saved as tiktoken rank files, not {}",
                tok.model_name()
            )))
        }
    };
    if tok.normalizer.is_some() {
        return Err(Error::invalid(
            "a tiktoken rank file cannot record this tokenizer's normalizer (tiktoken encodes \
             text as it is); save it as tokenizer.json instead",
        ));
    }
    let specials: rustc_hash::FxHashSet<u32> = tok.added_tokens().iter().map(|a| a.id).collect();
    if !bpe.is_rank_ordered() {
        check_merge_order(bpe, &specials)?;
    }
    let mut out = String::with_capacity(bpe.len() * 12);
    for (_, id) in bpe.vocab() {
        if specials.contains(&id) {
            continue;
        }
        let bytes = bpe.decoded(id).unwrap_or_default();
        out.push_str(&STANDARD.encode(bytes));
        out.push(' ');
        out.push_str(&id.to_string());
        out.push('\n');
    }
    Ok(out)
}

/// A rank file is read with tiktoken's rule: any two adjacent parts whose
/// bytes together are a token merge, lowest id first. A model with a merge
/// list (HF, or trained) whose merges do not make its tokens in id order, or
/// with a token of two or more bytes that no merge makes, would encode
/// otherwise from its rank file, so saving one is an error naming the first
/// such token. (Trained models and GPT-2-style files pass.)
fn check_merge_order(bpe: &BpeModel, specials: &rustc_hash::FxHashSet<u32>) -> Result<()> {
    let mut by_bytes: rustc_hash::FxHashMap<&[u8], u32> = rustc_hash::FxHashMap::default();
    for (_, id) in bpe.vocab() {
        if !specials.contains(&id) {
            by_bytes.insert(bpe.decoded(id).unwrap_or_default(), id);
        }
    }
    let mut made = rustc_hash::FxHashSet::default();
    let mut last: Option<u32> = None;
    let shown = |id: u32| format!("{:?} (id {id})", bpe.id_to_token(id).unwrap_or_default());
    for (k, &(a, b)) in bpe.merges().iter().enumerate() {
        let bytes = [
            bpe.decoded(a).unwrap_or_default(),
            bpe.decoded(b).unwrap_or_default(),
        ]
        .concat();
        let Some(&r) = by_bytes.get(bytes.as_slice()) else {
            continue;
        };
        if last.is_some_and(|l| r <= l) {
            return Err(Error::invalid(format!(
                "cannot save as a tiktoken rank file: merge {k} ({} + {}) makes {}, whose id is \
                 not above the ids made by the merges before it; tiktoken merges by id, so the \
                 file would encode differently (save as tokenizer.json)",
                shown(a),
                shown(b),
                shown(r)
            )));
        }
        last = Some(r);
        made.insert(r);
    }
    for (&bytes, &id) in &by_bytes {
        if bytes.len() > 1 && !made.contains(&id) {
            return Err(Error::invalid(format!(
                "cannot save as a tiktoken rank file: the token {} is made by no merge, and \
                 tiktoken would make it from its parts, so the file would encode differently \
                 (save as tokenizer.json)",
                shown(id)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_builds_concatenation_ranked_merges() {
        let mut text = String::new();
        for b in 0..=255u8 {
            text.push_str(&format!("{} {b}\n", STANDARD.encode([b])));
        }
        text.push_str(&format!(
            "{} 256\n{} 257\n",
            STANDARD.encode(b"ab"),
            STANDARD.encode(b"abc")
        ));
        let ranks = parse(text.as_bytes(), "t").unwrap();
        let m = model_from_ranks(&ranks, "t").unwrap();
        let mut out = Vec::new();
        m.encode_piece("xabcabd", &mut out);
        assert_eq!(out, vec![u32::from(b'x'), 257, 256, u32::from(b'd')]);
        assert!(parse(b"!!! 1\n", "t").is_err());
        assert!(model_from_ranks(&ranks[1..], "t").is_err()); // missing byte 0
    }
}
