//! BERT's normalizer and the character classes BERT uses, exactly as HF
//! `tokenizers`' `BertNormalizer` / `BertPreTokenizer`.
//!
//! The character properties come from the same crates HF uses
//! (`unicode_categories` for control/punctuation/nonspacing marks,
//! `unicode-normalization-alignments` for NFD), so that the old Unicode
//! tables they embed give the same answers on every code point. Whitespace and
//! lowercasing use the standard library, as HF does.
//!
//! Performance notes: ASCII text (the common case) takes a one-pass fast
//! path; NFD runs only on text that has a non-ASCII character. Each step of
//! the slow path allocates one string; it is not the hot part of WordPiece
//! encoding (the model is), measured with `bench/wordpiece.py`.

use super::aligned::Aligned;
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::UnicodeNormalization;

/// BERT normalizer settings (HF `BertNormalizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BertNormalizer {
    /// Remove control characters and map every whitespace to a space.
    pub clean_text: bool,
    /// Put spaces around CJK ideographs.
    pub handle_chinese_chars: bool,
    /// Strip accents (NFD, then drop nonspacing marks); `None` follows `lowercase`.
    pub strip_accents: Option<bool>,
    /// Lowercase.
    pub lowercase: bool,
}

impl Default for BertNormalizer {
    fn default() -> Self {
        BertNormalizer {
            clean_text: true,
            handle_chinese_chars: true,
            strip_accents: None,
            lowercase: true,
        }
    }
}

/// Whitespace as BERT sees it.
pub fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Control characters BERT removes (Unicode Cc, Cf, Co; not tab/newlines).
pub fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

/// The CJK ideograph blocks BERT pads with spaces.
pub fn is_chinese_char(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B920..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

/// Punctuation as the BERT pre-tokenizer sees it: ASCII punctuation or Unicode P*.
pub fn is_bert_punc(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

fn removed(c: char) -> bool {
    c == '\0' || c == '\u{fffd}' || is_control(c)
}

impl BertNormalizer {
    fn strip(&self) -> bool {
        self.strip_accents.unwrap_or(self.lowercase)
    }

    /// Normalizes `s` (no alignments).
    pub fn apply(&self, s: &str) -> String {
        if s.is_ascii() {
            let mut out = String::with_capacity(s.len());
            for b in s.bytes() {
                let c = b as char;
                if self.clean_text && (b == 0 || is_control(c)) {
                    continue;
                }
                let c = if self.clean_text && is_whitespace(c) {
                    ' '
                } else {
                    c
                };
                out.push(if self.lowercase {
                    c.to_ascii_lowercase()
                } else {
                    c
                });
            }
            return out;
        }
        let mut t = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            if self.clean_text && removed(c) {
                continue;
            }
            let c = if self.clean_text && is_whitespace(c) {
                ' '
            } else {
                c
            };
            if self.handle_chinese_chars && is_chinese_char(c) {
                t.push(' ');
                t.push(c);
                t.push(' ');
            } else {
                t.push(c);
            }
        }
        if self.strip() {
            t = t
                .nfd()
                .map(|(c, _)| c)
                .filter(|c| !c.is_mark_nonspacing())
                .collect();
        }
        if self.lowercase {
            t = t.chars().flat_map(char::to_lowercase).collect();
        }
        t
    }

    /// Normalizes with alignments, step by step as HF does.
    pub fn apply_aligned(&self, a: &mut Aligned) {
        if self.clean_text {
            a.filter(|c| !removed(c));
            a.map(|c| if is_whitespace(c) { ' ' } else { c });
        }
        if self.handle_chinese_chars {
            let mut dest = Vec::with_capacity(a.text.len());
            for c in a.text.chars() {
                if is_chinese_char(c) {
                    dest.extend([(' ', 0), (c, 1), (' ', 1)]);
                } else {
                    dest.push((c, 0));
                }
            }
            a.transform(dest, 0);
        }
        if self.strip() {
            let dest: Vec<(char, isize)> = a.text.nfd().collect();
            a.transform(dest, 0);
            a.filter(|c| !c.is_mark_nonspacing());
        }
        if self.lowercase {
            a.lowercase();
        }
    }

    /// Reads the fields of an HF `BertNormalizer` JSON object.
    pub fn from_hf_json(v: &serde_json::Value) -> crate::Result<Self> {
        use crate::formats::hf_json::bool_field;
        let flag = |k: &str| bool_field(v, k, true, "normalizer BertNormalizer");
        let strip_accents = match v.get("strip_accents") {
            None | Some(serde_json::Value::Null) => None,
            Some(_) => Some(flag("strip_accents")?),
        };
        Ok(BertNormalizer {
            clean_text: flag("clean_text")?,
            handle_chinese_chars: flag("handle_chinese_chars")?,
            strip_accents,
            lowercase: flag("lowercase")?,
        })
    }

    /// The HF `BertNormalizer` JSON object.
    pub fn to_hf_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "BertNormalizer",
            "clean_text": self.clean_text,
            "handle_chinese_chars": self.handle_chinese_chars,
            "strip_accents": self.strip_accents,
            "lowercase": self.lowercase,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_aligned_agree() {
        let n = BertNormalizer::default();
        for s in [
            "Héllo\tWORLD\u{0}!",
            "野口里佳 Noguchi",
            "İstanbul ΣΟΦΟΣ",
            "a\u{200b}b\u{fffd}c",
            "ｆｕｌｌ",
            "plain ascii TEXT\r\n",
        ] {
            let mut a = Aligned::new(s);
            n.apply_aligned(&mut a);
            assert_eq!(a.text, n.apply(s), "{s:?}");
            assert_eq!(a.align.len(), a.text.len());
        }
        assert_eq!(n.apply("Héllo"), "hello");
        assert_eq!(n.apply("ΣΟΦΟΣ"), "σοφοσ");
        let cased = BertNormalizer {
            lowercase: false,
            ..BertNormalizer::default()
        };
        assert_eq!(cased.apply("Héllo 中"), "Héllo  中 ");
    }
}
