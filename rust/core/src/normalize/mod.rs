//! Text normalizers applied before pre-tokenization (HF's NFC/NFD/NFKC/NFKD,
//! Lowercase, Prepend, Replace with a literal or regex pattern, BertNormalizer,
//! Precompiled ([`precompiled`]), Nmt, Strip, and sequences of them), with
//! or without alignments ([`aligned`]) for offsets.
//!
//! Unicode normalization uses `unicode-normalization-alignments`, the crate
//! (and so the Unicode tables) HF `tokenizers` uses, and lowercasing is per
//! character as in HF (no final-sigma rule), so that ids match HF's on every
//! code point.

pub mod aligned;
pub mod bert;
pub mod precompiled;

pub use aligned::Aligned;
pub use bert::BertNormalizer;
pub use precompiled::Precompiled;

use crate::error::{Error, Result};
use crate::formats::spm::SpmNormalizer;
use std::sync::Arc;
use unicode_normalization_alignments::UnicodeNormalization;

/// A shared SentencePiece normalizer (equal when it is the same one).
#[derive(Debug, Clone)]
pub struct SpmNorm(pub Arc<SpmNormalizer>);

impl PartialEq for SpmNorm {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}
impl Eq for SpmNorm {}

/// HF `Replace` with a regex pattern (compiled with `fancy-regex`; HF uses
/// Oniguruma, which agrees on the simple patterns HF writes, like `" {2,}"`).
#[derive(Debug, Clone)]
pub struct RegexReplace {
    /// The pattern source.
    pub source: String,
    /// What each match becomes.
    pub content: String,
    regex: fancy_regex::Regex,
}

impl PartialEq for RegexReplace {
    fn eq(&self, o: &Self) -> bool {
        self.source == o.source && self.content == o.content
    }
}
impl Eq for RegexReplace {}

impl RegexReplace {
    /// Compiles `source`.
    pub fn new(source: &str, content: &str) -> Result<Self> {
        let regex = fancy_regex::Regex::new(source).map_err(|e| Error::Pattern {
            pattern: source.to_string(),
            message: e.to_string(),
        })?;
        Ok(RegexReplace {
            source: source.to_string(),
            content: content.to_string(),
            regex,
        })
    }

    /// Byte ranges of the non-empty matches in `s` (a failed match ends the list).
    fn matches(&self, s: &str) -> Vec<(usize, usize)> {
        self.regex
            .find_iter(s)
            .map_while(|m| m.ok())
            .filter(|m| m.start() < m.end())
            .map(|m| (m.start(), m.end()))
            .collect()
    }

    fn apply(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for (a, b) in self.matches(s) {
            out.push_str(&s[last..a]);
            out.push_str(&self.content);
            last = b;
        }
        out.push_str(&s[last..]);
        out
    }
}

/// One normalization step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalizer {
    /// Unicode NFC.
    Nfc,
    /// Unicode NFD.
    Nfd,
    /// Unicode NFKC.
    Nfkc,
    /// Unicode NFKD.
    Nfkd,
    /// Full Unicode lowercase.
    Lowercase,
    /// Prepend a string to non-empty input.
    Prepend(String),
    /// Replace each occurrence of a literal string.
    Replace {
        /// What to find.
        pattern: String,
        /// What to put instead.
        content: String,
    },
    /// HF `BertNormalizer`.
    Bert(BertNormalizer),
    /// SentencePiece's normalizer (charsmap, whitespace handling, `▁`).
    Spm(SpmNorm),
    /// HF `Replace` with a regex pattern.
    ReplaceRegex(RegexReplace),
    /// HF `Precompiled`: a SentencePiece charsmap applied as HF does.
    Precompiled(Precompiled),
    /// HF `Nmt`: drop ASCII control characters, map other spaces to ' '.
    Nmt,
    /// HF `Strip`: remove whitespace on the left and/or right.
    Strip {
        /// Strip the start.
        left: bool,
        /// Strip the end.
        right: bool,
    },
    /// Steps applied in order.
    Sequence(Vec<Normalizer>),
}

impl Normalizer {
    /// Applies the normalizer.
    pub fn apply(&self, s: &str) -> String {
        match self {
            Normalizer::Nfc => s.nfc().map(|(c, _)| c).collect(),
            Normalizer::Nfd => s.nfd().map(|(c, _)| c).collect(),
            Normalizer::Nfkc => s.nfkc().map(|(c, _)| c).collect(),
            Normalizer::Nfkd => s.nfkd().map(|(c, _)| c).collect(),
            Normalizer::Lowercase => s.chars().flat_map(char::to_lowercase).collect(),
            Normalizer::Bert(b) => b.apply(s),
            Normalizer::Spm(n) => n.0.normalize_str(s),
            Normalizer::Prepend(p) if !s.is_empty() => format!("{p}{s}"),
            Normalizer::Prepend(_) => String::new(),
            Normalizer::Replace { pattern, content } => s.replace(pattern.as_str(), content),
            Normalizer::ReplaceRegex(r) => r.apply(s),
            Normalizer::Precompiled(p) => p.apply(s),
            Normalizer::Nmt => s.chars().filter(|&c| nmt_keep(c)).map(nmt_map).collect(),
            Normalizer::Strip { left, right } => {
                let t = if *left { s.trim_start() } else { s };
                let t = if *right { t.trim_end() } else { t };
                t.to_string()
            }
            Normalizer::Sequence(v) => v.iter().fold(s.to_string(), |acc, n| n.apply(&acc)),
        }
    }

    /// A normalizer by name: `bert` (BERT uncased: lowercase and strip
    /// accents), `bert_cased`, `nfc`, `nfd`, `nfkc`, `nfkd`, `lowercase`.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "bert" | "bert_uncased" => Normalizer::Bert(BertNormalizer::default()),
            "bert_cased" => Normalizer::Bert(BertNormalizer {
                lowercase: false,
                ..BertNormalizer::default()
            }),
            "nfc" => Normalizer::Nfc,
            "nfd" => Normalizer::Nfd,
            "nfkc" => Normalizer::Nfkc,
            "nfkd" => Normalizer::Nfkd,
            "lowercase" => Normalizer::Lowercase,
            "sentencepiece" => return crate::train::spm_identity_normalizer(),
            other => {
                return Err(Error::invalid(format!(
                    "unknown normalizer {other:?}; expected one of 'bert', 'bert_cased', \
                     'nfc', 'nfd', 'nfkc', 'nfkd', 'lowercase', 'sentencepiece'"
                )))
            }
        })
    }

    /// Applies the normalizer keeping alignments to the original text.
    pub fn apply_aligned(&self, a: &mut Aligned) {
        match self {
            Normalizer::Nfc => {
                let d: Vec<(char, isize)> = a.text.nfc().collect();
                a.transform(d, 0)
            }
            Normalizer::Nfd => {
                let d: Vec<(char, isize)> = a.text.nfd().collect();
                a.transform(d, 0)
            }
            Normalizer::Nfkc => {
                let d: Vec<(char, isize)> = a.text.nfkc().collect();
                a.transform(d, 0)
            }
            Normalizer::Nfkd => {
                let d: Vec<(char, isize)> = a.text.nfkd().collect();
                a.transform(d, 0)
            }
            Normalizer::Lowercase => a.lowercase(),
            Normalizer::Prepend(p) => a.prepend(p),
            Normalizer::Replace { pattern, content } => a.replace(pattern, content),
            Normalizer::ReplaceRegex(r) => {
                let m = r.matches(&a.text);
                a.replace_ranges(&m, &r.content)
            }
            Normalizer::Precompiled(p) => p.apply_aligned(a),
            Normalizer::Nmt => {
                a.filter(nmt_keep);
                a.map(nmt_map)
            }
            Normalizer::Strip { left, right } => a.strip(*left, *right),
            Normalizer::Bert(b) => b.apply_aligned(a),
            Normalizer::Spm(n) => {
                // Each normalized byte maps to the original span of the
                // input character it came from (SentencePiece's norm_to_orig).
                let (text, orig) = n.0.normalize(&a.text);
                let last = a.align.last().map_or((0, 0), |x| (x.1, x.1));
                let align = (0..text.len())
                    .map(|i| {
                        let o = orig.get(i).copied().unwrap_or(u32::MAX) as usize;
                        a.align.get(o).copied().unwrap_or(last)
                    })
                    .collect();
                a.text = text;
                a.align = align;
            }
            Normalizer::Sequence(v) => v.iter().for_each(|n| n.apply_aligned(a)),
        }
    }

    /// Reads an HF `normalizer` JSON object.
    pub fn from_hf_json(v: &serde_json::Value) -> Result<Self> {
        let ty = v.get("type").and_then(|t| t.as_str()).unwrap_or("");
        Ok(match ty {
            "NFC" => Normalizer::Nfc,
            "NFD" => Normalizer::Nfd,
            "NFKC" => Normalizer::Nfkc,
            "NFKD" => Normalizer::Nfkd,
            "Lowercase" => Normalizer::Lowercase,
            "BertNormalizer" => Normalizer::Bert(BertNormalizer::from_hf_json(v)?),
            "Prepend" => Normalizer::Prepend(str_field(v, "prepend")?),
            "Replace" => {
                let pat = v.get("pattern");
                let content = str_field(v, "content")?;
                if let Some(p) = pat.and_then(|p| p.get("String")).and_then(|s| s.as_str()) {
                    Normalizer::Replace {
                        pattern: p.to_string(),
                        content,
                    }
                } else if let Some(r) = pat.and_then(|p| p.get("Regex")).and_then(|s| s.as_str()) {
                    Normalizer::ReplaceRegex(RegexReplace::new(r, &content)?)
                } else {
                    return Err(Error::invalid(
                        "normalizer Replace: pattern must be {\"String\": ...} or {\"Regex\": ...}",
                    ));
                }
            }
            "Precompiled" => {
                use base64::Engine;
                let b64 = v
                    .get("precompiled_charsmap")
                    .and_then(|s| s.as_str())
                    .ok_or_else(|| Error::invalid("Precompiled without precompiled_charsmap"))?;
                let blob = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| {
                        Error::invalid(format!("Precompiled charsmap: bad base64: {e}"))
                    })?;
                Normalizer::Precompiled(Precompiled::new(blob)?)
            }
            "Nmt" => Normalizer::Nmt,
            "Strip" => {
                let flag =
                    |k: &str| crate::formats::hf_json::bool_field(v, k, true, "normalizer Strip");
                Normalizer::Strip {
                    left: flag("strip_left")?,
                    right: flag("strip_right")?,
                }
            }
            "Sequence" => Normalizer::Sequence(
                v.get("normalizers")
                    .and_then(|n| n.as_array())
                    .ok_or_else(|| Error::invalid("normalizer Sequence without 'normalizers'"))?
                    .iter()
                    .map(Normalizer::from_hf_json)
                    .collect::<Result<_>>()?,
            ),
            other => {
                return Err(Error::invalid(format!(
                    "unsupported normalizer type {other:?}"
                )))
            }
        })
    }

    /// Writes the HF `normalizer` JSON object.
    pub fn to_hf_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Normalizer::Nfc => json!({"type": "NFC"}),
            Normalizer::Nfd => json!({"type": "NFD"}),
            Normalizer::Nfkc => json!({"type": "NFKC"}),
            Normalizer::Nfkd => json!({"type": "NFKD"}),
            Normalizer::Lowercase => json!({"type": "Lowercase"}),
            Normalizer::Bert(b) => b.to_hf_json(),
            Normalizer::Spm(_) => json!({"type": "Precompiled", "precompiled_charsmap": null}),
            Normalizer::Prepend(p) => json!({"type": "Prepend", "prepend": p}),
            Normalizer::Replace { pattern, content } => {
                json!({"type": "Replace", "pattern": {"String": pattern}, "content": content})
            }
            Normalizer::ReplaceRegex(r) => {
                json!({"type": "Replace", "pattern": {"Regex": r.source}, "content": r.content})
            }
            Normalizer::Precompiled(p) => {
                use base64::Engine;
                json!({"type": "Precompiled", "precompiled_charsmap":
                       base64::engine::general_purpose::STANDARD.encode(p.blob.as_slice())})
            }
            Normalizer::Nmt => json!({"type": "Nmt"}),
            Normalizer::Strip { left, right } => {
                json!({"type": "Strip", "strip_left": left, "strip_right": right})
            }
            Normalizer::Sequence(v) => json!({
                "type": "Sequence",
                "normalizers": v.iter().map(Normalizer::to_hf_json).collect::<Vec<_>>()
            }),
        }
    }
}

/// HF `Nmt`: the characters it keeps.
fn nmt_keep(c: char) -> bool {
    !matches!(c as u32, 0x01..=0x08 | 0x0B | 0x0E..=0x1F | 0x7F | 0x8F | 0x9F)
}

/// HF `Nmt`: the characters it turns into a space.
fn nmt_map(c: char) -> char {
    match c as u32 {
        0x09
        | 0x0A
        | 0x0C
        | 0x0D
        | 0x1680
        | 0x200B..=0x200F
        | 0x2028
        | 0x2029
        | 0x2581
        | 0xFEFF
        | 0xFFFD => ' ',
        _ => c,
    }
}

fn str_field(v: &serde_json::Value, key: &str) -> Result<String> {
    v.get(key)
        .and_then(|s| s.as_str())
        .map(str::to_string)
        .ok_or_else(|| Error::invalid(format!("normalizer field {key:?} missing or not a string")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_and_sequence() {
        assert_eq!(Normalizer::Nfkc.apply("ﬁ①"), "fi1");
        let seq = Normalizer::Sequence(vec![Normalizer::Nfkc, Normalizer::Lowercase]);
        assert_eq!(seq.apply("ÅB"), "åb");
        let back = Normalizer::from_hf_json(&seq.to_hf_json()).unwrap();
        assert_eq!(back, seq);
        // Per-character lowercase, as HF: no final sigma.
        assert_eq!(Normalizer::Lowercase.apply("ΟΔΟΣ"), "οδοσ");
        for n in [
            Normalizer::Nfkc,
            Normalizer::Nfd,
            Normalizer::Lowercase,
            seq,
        ] {
            for t in ["ﬁ①Å", "e\u{301}x", "İİ", ""] {
                let mut a = Aligned::new(t);
                n.apply_aligned(&mut a);
                assert_eq!(a.text, n.apply(t), "{n:?} {t:?}");
            }
        }
    }
}
