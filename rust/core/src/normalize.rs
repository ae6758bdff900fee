//! Text normalizers applied before pre-tokenization (HF's NFC/NFD/NFKC/NFKD,
//! Lowercase, Prepend, Replace with a literal pattern, and sequences of them).

use crate::error::{Error, Result};
use unicode_normalization::UnicodeNormalization;

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
    /// Steps applied in order.
    Sequence(Vec<Normalizer>),
}

impl Normalizer {
    /// Applies the normalizer.
    pub fn apply(&self, s: &str) -> String {
        match self {
            Normalizer::Nfc => s.nfc().collect(),
            Normalizer::Nfd => s.nfd().collect(),
            Normalizer::Nfkc => s.nfkc().collect(),
            Normalizer::Nfkd => s.nfkd().collect(),
            Normalizer::Lowercase => s.to_lowercase(),
            Normalizer::Prepend(p) if !s.is_empty() => format!("{p}{s}"),
            Normalizer::Prepend(_) => String::new(),
            Normalizer::Replace { pattern, content } => s.replace(pattern.as_str(), content),
            Normalizer::Sequence(v) => v.iter().fold(s.to_string(), |acc, n| n.apply(&acc)),
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
            "Prepend" => Normalizer::Prepend(str_field(v, "prepend")?),
            "Replace" => {
                let pattern = v
                    .get("pattern")
                    .and_then(|p| p.get("String"))
                    .and_then(|s| s.as_str())
                    .ok_or_else(|| {
                        Error::invalid("normalizer Replace: only String patterns are supported")
                    })?;
                Normalizer::Replace {
                    pattern: pattern.to_string(),
                    content: str_field(v, "content")?,
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
            Normalizer::Prepend(p) => json!({"type": "Prepend", "prepend": p}),
            Normalizer::Replace { pattern, content } => {
                json!({"type": "Replace", "pattern": {"String": pattern}, "content": content})
            }
            Normalizer::Sequence(v) => json!({
                "type": "Sequence",
                "normalizers": v.iter().map(Normalizer::to_hf_json).collect::<Vec<_>>()
            }),
        }
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
    }
}
