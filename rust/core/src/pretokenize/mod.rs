//! Pre-tokenization: splitting text into pieces before the model sees it.
//!
//! The named patterns are tiktoken 0.14's, character for character:
//! `gpt2` (aliases `r50k`, `p50k`), `cl100k` and `o200k`. Any other string is
//! compiled with `fancy-regex`, so lookaround and possessive quantifiers work.
//! [`Pretokenizer::None`] keeps the whole input as one piece, and
//! [`Pretokenizer::Bert`] (name `bert`) is HF's `BertPreTokenizer`: split on
//! whitespace (dropped) and on each punctuation character (kept alone).
//!
//! Performance notes: the named patterns currently run on fancy-regex, like
//! tiktoken. A dedicated scanner is planned (issue 3); until then the split is
//! the largest cost of counting (about 15 MB/s per core for `gpt2` measured on
//! mixed-100M in `bench/train.py`).

mod classes;
mod scan;

pub use scan::Scanner;

use crate::error::{Error, Result};
use fancy_regex::Regex;

/// GPT-2 / r50k / p50k pattern (tiktoken `r50k_pat_str`).
pub const GPT2_PATTERN: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s";

/// The pattern HF's `ByteLevel(use_regex=True)` uses; it splits identically to
/// [`GPT2_PATTERN`] and is recognised as `gpt2` when loading HF files.
pub const HF_BYTELEVEL_PATTERN: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// cl100k_base pattern.
pub const CL100K_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

/// cl100k_base as written into HF files: Oniguruma reads `{1,3}+` as
/// "one or more of {1,3}", not as possessive, so the (here equivalent) greedy
/// form is written instead, and read back as `cl100k`.
pub const CL100K_HF_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

/// o200k_base pattern.
pub const O200K_PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"\p{N}{1,3}",
    "|",
    r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
    "|",
    r"\s*[\r\n]+",
    "|",
    r"\s+(?!\S)",
    "|",
    r"\s+"
);

/// Resolves a pattern name (`gpt2`, `r50k`, `p50k`, `cl100k`, `o200k`, with or
/// without `_base`) to its canonical name and source; `None` for other strings.
pub fn named_pattern(name: &str) -> Option<(&'static str, &'static str)> {
    let n = name.strip_suffix("_base").unwrap_or(name);
    match n {
        "gpt2" | "r50k" | "p50k" => Some(("gpt2", GPT2_PATTERN)),
        "cl100k" => Some(("cl100k", CL100K_PATTERN)),
        "o200k" => Some(("o200k", O200K_PATTERN)),
        _ => None,
    }
}

/// The canonical name of a pattern source, if it is one of the known ones.
pub fn name_of_source(src: &str) -> Option<&'static str> {
    match src {
        GPT2_PATTERN | HF_BYTELEVEL_PATTERN => Some("gpt2"),
        CL100K_PATTERN | CL100K_HF_PATTERN => Some("cl100k"),
        O200K_PATTERN => Some("o200k"),
        _ => None,
    }
}

/// Splits text into pieces.
#[derive(Debug, Clone)]
pub enum Pretokenizer {
    /// The whole input is one piece.
    None,
    /// HF `BertPreTokenizer`.
    Bert,
    /// SentencePiece's word split: a new piece before each `▁` (name
    /// `metaspace`); the text is already normalized with `▁` for spaces.
    Metaspace,
    /// Pieces are the matches of a regex; text between matches is dropped
    /// (for the named patterns every character is matched).
    Regex {
        /// Canonical name when the source is a known pattern.
        name: Option<&'static str>,
        /// The regex source.
        source: String,
        /// The compiled regex.
        regex: Regex,
        /// The hand-written scanner for a known pattern (used instead of `regex`).
        fast: Option<Scanner>,
    },
}

impl Pretokenizer {
    /// Builds a pre-tokenizer from a pattern name or regex source.
    pub fn new(pattern: Option<&str>) -> Result<Self> {
        Self::with_words(pattern, false)
    }

    /// [`Self::new`] for a pattern read from a tokenizer file, where a regex
    /// of word characters alone is taken as written (a name typed by hand
    /// is refused by `new`).
    pub(crate) fn from_file(pattern: Option<&str>) -> Result<Self> {
        Self::with_words(pattern, true)
    }

    fn with_words(pattern: Option<&str>, words_ok: bool) -> Result<Self> {
        let Some(p) = pattern else {
            return Ok(Pretokenizer::None);
        };
        if p == "bert" {
            return Ok(Pretokenizer::Bert);
        }
        if p == "metaspace" {
            return Ok(Pretokenizer::Metaspace);
        }
        let (name, source) =
            match named_pattern(p).or_else(|| name_of_source(p).and_then(named_pattern)) {
                Some((n, s)) => (Some(n), s),
                None => (None, p),
            };
        if source.is_empty() {
            return Err(Error::invalid(
                "pattern must not be empty (use None for no split)",
            ));
        }
        // A regex of word characters alone would keep that word and drop all
        // other text: it is a misspelt name ("cl200k"), not a pattern.
        if !words_ok && name.is_none() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(Error::invalid(format!(
                "unknown pattern name {p:?}: the names are gpt2, r50k, p50k, cl100k and o200k \
                 (with or without _base), bert and metaspace; anything else is taken as a regex"
            )));
        }
        let regex = Regex::new(source).map_err(|e| Error::Pattern {
            pattern: p.to_string(),
            message: e.to_string(),
        })?;
        Ok(Pretokenizer::Regex {
            name,
            source: source.to_string(),
            regex,
            fast: name.and_then(Scanner::for_name),
        })
    }

    /// The regex source, or `None` for no split.
    pub fn source(&self) -> Option<&str> {
        match self {
            Pretokenizer::None => None,
            Pretokenizer::Bert => Some("bert"),
            Pretokenizer::Metaspace => Some("metaspace"),
            Pretokenizer::Regex { source, .. } => Some(source),
        }
    }

    /// The source to write into an HF `tokenizer.json` (Oniguruma syntax).
    pub fn hf_source(&self) -> Option<&str> {
        match self.name() {
            Some("cl100k") => Some(CL100K_HF_PATTERN),
            _ => self.source(),
        }
    }

    /// The canonical pattern name, if known.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Pretokenizer::None => None,
            Pretokenizer::Bert => Some("bert"),
            Pretokenizer::Metaspace => Some("metaspace"),
            Pretokenizer::Regex { name, .. } => *name,
        }
    }

    /// Calls `f` on each piece of `text`, in order.
    pub fn for_each_piece<'t>(&self, text: &'t str, f: impl FnMut(&'t str)) -> Result<()> {
        match self {
            Pretokenizer::Regex { fast: Some(s), .. } => {
                s.for_each(text, f);
                Ok(())
            }
            _ => self.for_each_piece_regex(text, f),
        }
    }

    /// Like [`Pretokenizer::for_each_piece`] but always with the regex engine
    /// (the reference the scanners are tested against).
    pub fn for_each_piece_regex<'t>(
        &self,
        text: &'t str,
        mut f: impl FnMut(&'t str),
    ) -> Result<()> {
        match self {
            Pretokenizer::None => {
                if !text.is_empty() {
                    f(text);
                }
                Ok(())
            }
            Pretokenizer::Bert => {
                bert_split(text, f);
                Ok(())
            }
            Pretokenizer::Metaspace => {
                let mut start = 0;
                for (i, _) in text.match_indices('\u{2581}') {
                    if i > start {
                        f(&text[start..i]);
                    }
                    start = i;
                }
                if start < text.len() {
                    f(&text[start..]);
                }
                Ok(())
            }
            Pretokenizer::Regex { regex, source, .. } => {
                for m in regex.find_iter(text) {
                    let m = m.map_err(|e| Error::Pattern {
                        pattern: source.clone(),
                        message: format!("matching failed: {e}"),
                    })?;
                    if !m.as_str().is_empty() {
                        f(m.as_str());
                    }
                }
                Ok(())
            }
        }
    }

    /// The pieces of `text` as a vector (convenience for tests and callers
    /// outside the hot path).
    pub fn split<'t>(&self, text: &'t str) -> Result<Vec<&'t str>> {
        let mut v = Vec::new();
        self.for_each_piece(text, |p| v.push(p))?;
        Ok(v)
    }
}

/// HF `BertPreTokenizer`: whitespace separates and is dropped; each
/// punctuation character is a piece of its own.
fn bert_split<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    use crate::normalize::bert::is_bert_punc;
    let mut start = None;
    for (i, c) in text.char_indices() {
        let ws = c.is_whitespace();
        if ws || is_bert_punc(c) {
            if let Some(s) = start.take() {
                f(&text[s..i]);
            }
            if !ws {
                f(&text[i..i + c.len_utf8()]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        f(&text[s..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt2_splits_like_tiktoken() {
        let p = Pretokenizer::new(Some("gpt2")).unwrap();
        assert_eq!(
            p.split("Hello world's  123 !!\n\n").unwrap(),
            vec!["Hello", " world", "'s", " ", " 123", " !!", "\n\n"]
        );
    }

    #[test]
    fn hf_bytelevel_pattern_agrees_with_gpt2_on_whitespace_runs() {
        let a = Pretokenizer::new(Some(GPT2_PATTERN)).unwrap();
        let b = Pretokenizer::new(Some(HF_BYTELEVEL_PATTERN)).unwrap();
        for t in ["a  \n", "  b", "\n\nx", "x \t\n y", " ", "a'll 'S"] {
            assert_eq!(a.split(t).unwrap(), b.split(t).unwrap(), "{t:?}");
        }
    }

    #[test]
    fn bert_splits_on_whitespace_and_punctuation() {
        let p = Pretokenizer::new(Some("bert")).unwrap();
        assert_eq!(
            p.split("Hey friend!     How are you?!?").unwrap(),
            vec!["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"]
        );
        assert_eq!(
            p.split(" \u{3000}a\u{ff01}b ").unwrap(),
            vec!["a", "\u{ff01}", "b"]
        );
    }

    #[test]
    fn none_keeps_everything_and_bad_regex_errors() {
        let p = Pretokenizer::new(None).unwrap();
        assert_eq!(p.split("a b").unwrap(), vec!["a b"]);
        assert!(matches!(
            Pretokenizer::new(Some("(")),
            Err(Error::Pattern { .. })
        ));
        assert_eq!(
            Pretokenizer::new(Some("o200k_base")).unwrap().name(),
            Some("o200k")
        );
        // A misspelt name is refused, not taken as a regex that keeps only
        // itself; from a tokenizer file, such a regex is taken as written.
        let typo = Pretokenizer::new(Some("cl200k")).unwrap_err().to_string();
        assert!(typo.contains("unknown pattern name \"cl200k\""), "{typo}");
        let p = Pretokenizer::from_file(Some("ab")).unwrap();
        assert_eq!(p.split("xaby").unwrap(), vec!["ab"]);
    }
}
