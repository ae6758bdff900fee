//! HF `tokenizers` pipeline steps used by SentencePiece-style
//! `tokenizer.json` files: the `Metaspace` pre-tokenizer's text rewriting
//! ([`Metaspace`]) and HF's decoder chain ([`HfDecodeStep`]: every decoder
//! type HF has: `Metaspace`, `Replace`, `ByteFallback`, `Fuse`, `Strip`,
//! `ByteLevel`, `BPEDecoder`, `WordPiece`, `CTC`, and `Sequence` of them).
//!
//! `Metaspace` replaces every space by the replacement character (`▁`) and
//! prepends one to a segment that does not start with it (`always`, or
//! `first` for the segment at the very start of the input only); with
//! `split`, the result is cut before each `▁` (our
//! [`Pretokenizer::Metaspace`](crate::pretokenize::Pretokenizer::Metaspace)).

use crate::error::{Error, Result};
use crate::normalize::Aligned;
use serde_json::{json, Value};

/// When `Metaspace` prepends the replacement character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrependScheme {
    /// To every segment.
    Always,
    /// To the segment that starts the input.
    First,
    /// Never.
    Never,
}

impl PrependScheme {
    fn parse(v: &Value) -> Result<Self> {
        let scheme = match v.get("prepend_scheme").and_then(Value::as_str) {
            None | Some("always") => PrependScheme::Always,
            Some("first") => PrependScheme::First,
            Some("never") => PrependScheme::Never,
            Some(o) => return Err(Error::invalid(format!("unknown prepend_scheme {o:?}"))),
        };
        // Legacy field: add_prefix_space=false means never (HF's check).
        if v.get("add_prefix_space").and_then(Value::as_bool) == Some(false) {
            if v.get("prepend_scheme").is_some_and(|p| p != "never") {
                return Err(Error::invalid(
                    "Metaspace: add_prefix_space does not match declared prepend_scheme",
                ));
            }
            return Ok(PrependScheme::Never);
        }
        Ok(scheme)
    }

    fn name(self) -> &'static str {
        match self {
            PrependScheme::Always => "always",
            PrependScheme::First => "first",
            PrependScheme::Never => "never",
        }
    }
}

/// HF's `Metaspace` pre-tokenizer settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metaspace {
    /// What spaces become (`▁`).
    pub replacement: char,
    /// When to prepend it.
    pub prepend_scheme: PrependScheme,
    /// Whether pieces are cut before each replacement character.
    pub split: bool,
}

impl Metaspace {
    /// Reads an HF `Metaspace` JSON object (pre-tokenizer or decoder).
    pub fn from_hf_json(v: &Value) -> Result<Self> {
        let rep = v
            .get("replacement")
            .and_then(Value::as_str)
            .unwrap_or("\u{2581}");
        let mut chars = rep.chars();
        let (Some(replacement), None) = (chars.next(), chars.next()) else {
            return Err(Error::invalid(format!(
                "Metaspace replacement {rep:?} is not one character"
            )));
        };
        Ok(Metaspace {
            replacement,
            prepend_scheme: PrependScheme::parse(v)?,
            split: crate::formats::hf_json::bool_field(v, "split", true, "Metaspace")?,
        })
    }

    /// The HF JSON object.
    pub fn to_hf_json(&self) -> Value {
        json!({"type": "Metaspace", "replacement": self.replacement.to_string(),
               "prepend_scheme": self.prepend_scheme.name(), "split": self.split})
    }

    fn prepends(&self, text: &str, at_start: bool) -> bool {
        !text.is_empty()
            && !text.starts_with(self.replacement)
            && match self.prepend_scheme {
                PrependScheme::Always => true,
                PrependScheme::First => at_start,
                PrependScheme::Never => false,
            }
    }

    /// Rewrites a normalized segment; `at_start` says whether it starts the input.
    pub fn apply(&self, text: &str, at_start: bool) -> String {
        let mut buf = [0u8; 4];
        let rep: &str = self.replacement.encode_utf8(&mut buf);
        let t = text.replace(' ', rep);
        if self.prepends(&t, at_start) {
            let mut s = String::with_capacity(t.len() + rep.len());
            s.push_str(rep);
            s.push_str(&t);
            s
        } else {
            t
        }
    }

    /// [`Metaspace::apply`] with alignments (HF's `replace` then `prepend`).
    pub fn apply_aligned(&self, a: &mut Aligned, at_start: bool) {
        let mut buf = [0u8; 4];
        let rep: &str = self.replacement.encode_utf8(&mut buf);
        a.replace(" ", rep);
        if self.prepends(&a.text, at_start) {
            a.prepend(rep);
        }
    }
}

/// One step of HF's decoder chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HfDecodeStep {
    /// `Metaspace`: the replacement becomes a space, except at the start of
    /// the first token unless the scheme is `never`.
    Metaspace(Metaspace),
    /// `Replace` with a literal pattern, in each token.
    Replace {
        /// What to find.
        pattern: String,
        /// What to put instead.
        content: String,
    },
    /// `ByteFallback`: runs of `<0xNN>` tokens become their UTF-8 text, or
    /// one U+FFFD per byte when the run is not valid UTF-8.
    ByteFallback,
    /// `Fuse`: all tokens become one.
    Fuse,
    /// `Strip`: remove up to `start` leading and `stop` trailing `content`
    /// characters of each token.
    Strip {
        /// The character to strip.
        content: char,
        /// How many at most at the start.
        start: usize,
        /// How many at most at the end.
        stop: usize,
    },
    /// `ByteLevel`: every token's characters become the bytes they stand
    /// for (a token with a character outside the byte alphabet keeps its
    /// UTF-8), all tokens become one string, invalid UTF-8 replaced.
    ByteLevel,
    /// `BPEDecoder`: `suffix` becomes a space in each token but the last,
    /// where it is removed.
    Bpe {
        /// The end-of-word suffix (`</w>`).
        suffix: String,
    },
    /// `WordPiece`: tokens after the first lose `prefix` or gain a leading
    /// space; `cleanup` removes spaces before punctuation and in English
    /// contractions.
    WordPiece {
        /// The continuing-subword prefix (`##`).
        prefix: String,
        /// HF's `cleanup`.
        cleanup: bool,
    },
    /// `CTC`: repeats of a token collapse into one, `pad` is removed, and
    /// with `cleanup` the WordPiece cleanup runs and `delimiter` becomes a
    /// space; tokens left empty are dropped.
    Ctc {
        /// The padding token (`<pad>`).
        pad: String,
        /// The word delimiter token (`|`).
        delimiter: String,
        /// HF's `cleanup`.
        cleanup: bool,
    },
}

impl HfDecodeStep {
    /// Reads an HF `decoder` object into steps (a `Sequence` is flattened).
    /// A decoder type HF does not have is an error, as in HF.
    pub fn parse(v: &Value, out: &mut Vec<HfDecodeStep>) -> Result<()> {
        use crate::formats::hf_json::{bool_field, str_field};
        let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
        let text = |k: &str, default: &str| -> Result<String> {
            Ok(str_field(v, k, &format!("decoder {ty}"))?.unwrap_or_else(|| default.into()))
        };
        let step = match ty {
            "ByteLevel" => HfDecodeStep::ByteLevel,
            "BPEDecoder" => HfDecodeStep::Bpe {
                suffix: text("suffix", "</w>")?,
            },
            "WordPiece" => HfDecodeStep::WordPiece {
                prefix: text("prefix", "##")?,
                cleanup: bool_field(v, "cleanup", true, "decoder WordPiece")?,
            },
            "CTC" => HfDecodeStep::Ctc {
                pad: text("pad_token", "<pad>")?,
                delimiter: text("word_delimiter_token", "|")?,
                cleanup: bool_field(v, "cleanup", true, "decoder CTC")?,
            },
            "Metaspace" => HfDecodeStep::Metaspace(Metaspace::from_hf_json(v)?),
            "ByteFallback" => HfDecodeStep::ByteFallback,
            "Fuse" => HfDecodeStep::Fuse,
            "Replace" => {
                let pattern = v
                    .get("pattern")
                    .and_then(|p| p.get("String"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        Error::invalid("decoder Replace: only String patterns are supported")
                    })?;
                let content = v.get("content").and_then(Value::as_str).unwrap_or("");
                HfDecodeStep::Replace {
                    pattern: pattern.to_string(),
                    content: content.to_string(),
                }
            }
            "Strip" => {
                let content = v.get("content").and_then(Value::as_str).unwrap_or(" ");
                let mut cs = content.chars();
                let (Some(c), None) = (cs.next(), cs.next()) else {
                    return Err(Error::invalid(
                        "decoder Strip: content must be one character",
                    ));
                };
                let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
                HfDecodeStep::Strip {
                    content: c,
                    start: n("start"),
                    stop: n("stop"),
                }
            }
            "Sequence" => {
                for d in v
                    .get("decoders")
                    .and_then(Value::as_array)
                    .ok_or_else(|| Error::invalid("decoder Sequence without 'decoders'"))?
                {
                    HfDecodeStep::parse(d, out)?;
                }
                return Ok(());
            }
            other => {
                return Err(Error::invalid(format!(
                    "unknown decoder type {other:?} (HF's are BPEDecoder, ByteLevel, \
                     WordPiece, Metaspace, CTC, Sequence, Replace, Fuse, Strip and \
                     ByteFallback)"
                )))
            }
        };
        out.push(step);
        Ok(())
    }

    /// The HF JSON object of a chain (one step, or a `Sequence`).
    pub fn chain_to_hf_json(steps: &[HfDecodeStep]) -> Value {
        let one = |s: &HfDecodeStep| match s {
            HfDecodeStep::Metaspace(m) => m.to_hf_json(),
            HfDecodeStep::ByteFallback => json!({"type": "ByteFallback"}),
            HfDecodeStep::Fuse => json!({"type": "Fuse"}),
            HfDecodeStep::Replace { pattern, content } => {
                json!({"type": "Replace", "pattern": {"String": pattern}, "content": content})
            }
            HfDecodeStep::Strip {
                content,
                start,
                stop,
            } => {
                json!({"type": "Strip", "content": content.to_string(), "start": start, "stop": stop})
            }
            HfDecodeStep::ByteLevel => {
                json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})
            }
            HfDecodeStep::Bpe { suffix } => json!({"type": "BPEDecoder", "suffix": suffix}),
            HfDecodeStep::WordPiece { prefix, cleanup } => {
                json!({"type": "WordPiece", "prefix": prefix, "cleanup": cleanup})
            }
            HfDecodeStep::Ctc {
                pad,
                delimiter,
                cleanup,
            } => {
                json!({"type": "CTC", "pad_token": pad, "word_delimiter_token": delimiter, "cleanup": cleanup})
            }
        };
        match steps {
            [s] => one(s),
            _ => json!({"type": "Sequence", "decoders": steps.iter().map(one).collect::<Vec<_>>()}),
        }
    }

    /// Applies the step to the token list (HF's `decode_chain`).
    pub fn apply(&self, tokens: Vec<String>) -> Vec<String> {
        match self {
            HfDecodeStep::Metaspace(m) => tokens
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    t.chars()
                        .filter_map(|c| {
                            if c != m.replacement {
                                Some(c)
                            } else if i == 0 && m.prepend_scheme != PrependScheme::Never {
                                None
                            } else {
                                Some(' ')
                            }
                        })
                        .collect()
                })
                .collect(),
            HfDecodeStep::Replace { pattern, content } => tokens
                .into_iter()
                .map(|t| {
                    if pattern.is_empty() {
                        t
                    } else {
                        t.replace(pattern.as_str(), content)
                    }
                })
                .collect(),
            HfDecodeStep::Fuse => vec![tokens.concat()],
            HfDecodeStep::ByteFallback => byte_fallback(tokens),
            HfDecodeStep::Strip {
                content,
                start,
                stop,
            } => tokens
                .into_iter()
                .map(|t| {
                    let chars: Vec<char> = t.chars().collect();
                    let lead = chars.iter().take(*start).take_while(|&&c| c == *content);
                    let a = lead.count();
                    let trail = chars
                        .iter()
                        .rev()
                        .take(*stop)
                        .take_while(|&&c| c == *content);
                    // HF may cut the same characters from both ends; an
                    // empty result then (its slice would panic on overlap).
                    let b = chars.len() - trail.count();
                    chars[a.min(b)..b].iter().collect()
                })
                .collect(),
            HfDecodeStep::ByteLevel => {
                let mut bytes = Vec::new();
                for t in &tokens {
                    match crate::byte_level::decode_str(t) {
                        Some(b) => bytes.extend_from_slice(&b),
                        None => bytes.extend_from_slice(t.as_bytes()),
                    }
                }
                vec![String::from_utf8_lossy(&bytes).into_owned()]
            }
            HfDecodeStep::Bpe { suffix } => {
                let last = tokens.len().saturating_sub(1);
                tokens
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| t.replace(suffix.as_str(), if i == last { "" } else { " " }))
                    .collect()
            }
            HfDecodeStep::WordPiece { prefix, cleanup } => tokens
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let t = match t.strip_prefix(prefix.as_str()) {
                        _ if i == 0 => t,
                        Some(rest) => rest.to_string(),
                        None => format!(" {t}"),
                    };
                    if *cleanup {
                        crate::wordpiece::cleanup_token(&t)
                    } else {
                        t
                    }
                })
                .collect(),
            HfDecodeStep::Ctc {
                pad,
                delimiter,
                cleanup,
            } => {
                let mut out: Vec<String> = Vec::with_capacity(tokens.len());
                let mut last: Option<String> = None;
                for t in tokens {
                    if last.as_ref() == Some(&t) {
                        continue;
                    }
                    let mut r = t.replace(pad.as_str(), "");
                    if *cleanup {
                        r = crate::wordpiece::cleanup_token(&r).replace(delimiter.as_str(), " ");
                    }
                    last = Some(t);
                    if !r.is_empty() {
                        out.push(r);
                    }
                }
                out
            }
        }
    }
}

/// HF's `ByteFallback` decoder.
fn byte_fallback(tokens: Vec<String>) -> Vec<String> {
    fn flush(bytes: &mut Vec<u8>, out: &mut Vec<String>) {
        if bytes.is_empty() {
            return;
        }
        match String::from_utf8(std::mem::take(bytes)) {
            Ok(s) => out.push(s),
            Err(e) => out.extend(std::iter::repeat_n(
                "\u{fffd}".to_string(),
                e.into_bytes().len(),
            )),
        }
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut bytes = Vec::new();
    for t in tokens {
        let b = (t.len() == 6 && t.starts_with("<0x") && t.ends_with('>'))
            .then(|| u8::from_str_radix(&t[3..5], 16).ok())
            .flatten();
        match b {
            Some(b) => bytes.push(b),
            None => {
                flush(&mut bytes, &mut out);
                out.push(t);
            }
        }
    }
    flush(&mut bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metaspace_rewrites_and_decodes() {
        let m = Metaspace::from_hf_json(&json!({"replacement": "▁", "prepend_scheme": "first"}))
            .unwrap();
        assert_eq!(m.apply("a b", true), "▁a▁b");
        assert_eq!(m.apply("a b", false), "a▁b");
        assert_eq!(m.apply("", true), "");
        let d = HfDecodeStep::Metaspace(m);
        assert_eq!(
            d.apply(vec!["▁a".into(), "▁b".into()]).concat(),
            "a b".to_string()
        );
    }

    #[test]
    fn ctc_bpe_and_wordpiece_steps() {
        let toks = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let ctc = HfDecodeStep::Ctc {
            pad: "<pad>".into(),
            delimiter: "|".into(),
            cleanup: true,
        };
        // Repeats collapse before the padding goes, so "l <pad> l" keeps both.
        let out = ctc.apply(toks("<pad> <pad> h e e l l <pad> l o o o <pad> | | w"));
        assert_eq!(out.concat(), "hello w");
        let bpe = HfDecodeStep::Bpe {
            suffix: "</w>".into(),
        };
        assert_eq!(
            bpe.apply(toks("hel lo</w> wor ld</w>")).concat(),
            "hello world"
        );
        let wp = HfDecodeStep::WordPiece {
            prefix: "##".into(),
            cleanup: true,
        };
        assert_eq!(
            wp.apply(toks("##un ##able do n't stop !")).concat(),
            "##unable don't stop!"
        );
    }

    #[test]
    fn byte_fallback_and_strip() {
        let toks = vec![
            "<0xC3>".into(),
            "<0xA9>".into(),
            "x".into(),
            "<0xFF>".into(),
        ];
        assert_eq!(byte_fallback(toks), ["é", "x", "\u{fffd}"]);
        let s = HfDecodeStep::Strip {
            content: ' ',
            start: 1,
            stop: 0,
        };
        assert_eq!(s.apply(vec!["  a ".into()]), ["  a ".get(1..).unwrap()]);
    }
}
