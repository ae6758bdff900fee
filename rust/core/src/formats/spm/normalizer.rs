//! SentencePiece's normalizer (`normalizer.cc`), exactly: the precompiled
//! charsmap applied with longest match (falling back to the character
//! itself), user-defined symbols kept intact, `remove_extra_whitespaces`
//! (strip, squeeze), `add_dummy_prefix`, `escape_whitespaces` (space → `▁`)
//! and `treat_whitespace_as_suffix`; with the alignment back to the input
//! (sentencepiece's `norm_to_orig`).
//!
//! Performance notes: one pass over the input; per character one trie walk
//! in the charsmap (and one in the user-symbol trie only when the byte can
//! start a symbol, checked with a 256-entry table). The output and the offset
//! vector are reserved once at 1.5× the input like sentencepiece; the
//! offset-free [`SpmNormalizer::normalize_str`] skips the offsets entirely.

use super::charsmap::CharsMap;
use super::proto::{NormalizerSpec, SpmModelFile, SpmPieceType};
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

/// The space symbol `▁` (U+2581).
pub const SPACE_SYMBOL: &str = "\u{2581}";

/// Longest-prefix matcher over a set of strings (sentencepiece's
/// `PrefixMatcher`, used for user-defined symbols).
#[derive(Clone, Debug, Default)]
pub struct PrefixMatcher {
    /// `(node, byte) → child`; node 0 is the root.
    edges: FxHashMap<(u32, u8), u32>,
    /// Whether node `i` ends a symbol.
    terminal: Vec<bool>,
    /// Whether a byte starts some symbol.
    first: Vec<bool>,
}

/// Most matches sentencepiece's `PrefixMatcher` looks at.
const MAX_PREFIX_RESULTS: usize = 64;

impl PrefixMatcher {
    /// A matcher for `symbols` (empty strings are ignored).
    pub fn new<'a>(symbols: impl IntoIterator<Item = &'a str>) -> Self {
        let mut m = PrefixMatcher {
            edges: FxHashMap::default(),
            terminal: vec![false],
            first: vec![false; 256],
        };
        for s in symbols {
            let Some(&b0) = s.as_bytes().first() else {
                continue;
            };
            m.first[b0 as usize] = true;
            let mut node = 0u32;
            for &b in s.as_bytes() {
                let next = m.terminal.len() as u32;
                node = *m.edges.entry((node, b)).or_insert_with(|| next);
                if node == next {
                    m.terminal.push(false);
                }
            }
            m.terminal[node as usize] = true;
        }
        m
    }

    /// Whether the matcher has no symbols.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Length of the longest symbol that is a prefix of `s` (among the first
    /// 64 matches, as sentencepiece), if any.
    pub fn longest(&self, s: &[u8]) -> Option<usize> {
        if !self.first[*s.first()? as usize] {
            return None;
        }
        let (mut node, mut found, mut best) = (0u32, 0usize, None);
        for (i, &b) in s.iter().enumerate() {
            let Some(&next) = self.edges.get(&(node, b)) else {
                break;
            };
            node = next;
            if self.terminal[node as usize] {
                if found < MAX_PREFIX_RESULTS {
                    best = Some(i + 1);
                }
                found += 1;
            }
        }
        best
    }
}

/// Length of the UTF-8 character at the start of `s` if it is valid there
/// (sentencepiece's `IsValidDecodeUTF8`), else `None`.
pub(crate) fn char_len(s: &[u8]) -> Option<usize> {
    let b = *s.first()?;
    let n = match b {
        0x00..=0x7f => return Some(1),
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let c = s.get(..n)?;
    std::str::from_utf8(c).ok().map(|_| n)
}

/// SentencePiece's text normalizer.
#[derive(Clone, Debug)]
pub struct SpmNormalizer {
    charsmap: Option<CharsMap>,
    matcher: Option<PrefixMatcher>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
    treat_whitespace_as_suffix: bool,
}

impl SpmNormalizer {
    /// A normalizer for `spec`; `user_defined` symbols are copied through
    /// unchanged. A malformed charsmap is an [`Error::Format`] naming `origin`.
    pub fn new<'a>(
        spec: &NormalizerSpec,
        treat_whitespace_as_suffix: bool,
        user_defined: impl IntoIterator<Item = &'a str>,
        origin: &str,
    ) -> Result<Self> {
        let blob = spec.charsmap();
        let charsmap = if blob.is_empty() {
            None
        } else {
            Some(CharsMap::parse(blob).map_err(|message| Error::Format {
                origin: origin.to_string(),
                message: format!("normalizer_spec.precompiled_charsmap: {message}"),
            })?)
        };
        let matcher = PrefixMatcher::new(user_defined);
        Ok(SpmNormalizer {
            charsmap,
            matcher: (!matcher.is_empty()).then_some(matcher),
            add_dummy_prefix: spec.add_dummy_prefix(),
            remove_extra_whitespaces: spec.remove_extra_whitespaces(),
            escape_whitespaces: spec.escape_whitespaces(),
            treat_whitespace_as_suffix,
        })
    }

    /// The normalizer sentencepiece uses when encoding with model `m`: its
    /// normalizer spec, `treat_whitespace_as_suffix` from the trainer spec,
    /// and the model's USER_DEFINED pieces kept intact.
    pub fn from_model(m: &SpmModelFile, origin: &str) -> Result<Self> {
        let user = m
            .pieces
            .iter()
            .filter(|p| p.kind == SpmPieceType::UserDefined)
            .map(|p| p.piece.as_str());
        Self::new(
            &m.normalizer,
            m.trainer.treat_whitespace_as_suffix(),
            user,
            origin,
        )
    }

    /// The denormalizer sentencepiece applies after decoding, if the model
    /// has a denormalizer spec with a charsmap.
    pub fn denormalizer(m: &SpmModelFile, origin: &str) -> Result<Option<Self>> {
        match &m.denormalizer {
            Some(d) if !d.charsmap().is_empty() => Ok(Some(Self::new(d, false, [], origin)?)),
            _ => Ok(None),
        }
    }

    /// Normalizes `text`. Returns the normalized string and, for each of its
    /// bytes plus one past the end, the byte offset in `text` it comes from
    /// (sentencepiece's `norm_to_orig`, so `offsets.len() == normalized.len() + 1`;
    /// exception, as in sentencepiece: both are empty when `text` is empty or
    /// only whitespace). Offsets saturate at `u32::MAX`.
    pub fn normalize(&self, text: &str) -> (String, Vec<u32>) {
        let mut out = String::new();
        let mut offsets = Vec::new();
        self.run(text.as_bytes(), &mut out, Some(&mut offsets));
        (out, offsets)
    }

    /// Normalizes `text` without computing offsets.
    pub fn normalize_str(&self, text: &str) -> String {
        let mut out = String::new();
        self.run(text.as_bytes(), &mut out, None);
        out
    }

    /// Normalizes raw bytes (invalid UTF-8 becomes U+FFFD, one per byte, as
    /// in sentencepiece) into `out`, with offsets if asked.
    pub fn normalize_bytes_into(
        &self,
        input: &[u8],
        out: &mut String,
        offsets: Option<&mut Vec<u32>>,
    ) {
        self.run(input, out, offsets);
    }

    /// One normalization step at the start of `input`: the replacement and
    /// how many input bytes it consumes (`NormalizePrefix`).
    fn prefix<'s>(&'s self, input: &'s [u8]) -> (&'s str, usize) {
        if let Some(m) = &self.matcher {
            if let Some(n) = m.longest(input) {
                if let Ok(s) = std::str::from_utf8(&input[..n]) {
                    return (s, n);
                }
            }
        }
        if let Some(cm) = &self.charsmap {
            if let Some((n, rep)) = cm.longest_match(input) {
                return (rep, n);
            }
        }
        match char_len(input) {
            // `char_len` checked these bytes are one valid character.
            Some(n) => (std::str::from_utf8(&input[..n]).unwrap_or("\u{fffd}"), n),
            None => ("\u{fffd}", 1),
        }
    }

    fn run(&self, mut input: &[u8], out: &mut String, mut offsets: Option<&mut Vec<u32>>) {
        out.clear();
        if let Some(o) = offsets.as_deref_mut() {
            o.clear();
        }
        if input.is_empty() {
            return;
        }
        let mut consumed = 0usize;
        if self.remove_extra_whitespaces {
            while !input.is_empty() {
                let (sp, n) = self.prefix(input);
                if sp != " " {
                    break;
                }
                input = &input[n..];
                consumed += n;
            }
        }
        if input.is_empty() {
            return;
        }
        let reserve = input.len() + input.len() / 2;
        out.reserve(reserve);
        if let Some(o) = offsets.as_deref_mut() {
            o.reserve(reserve);
        }
        let space = if self.escape_whitespaces {
            SPACE_SYMBOL
        } else {
            " "
        };
        let off = |c: usize| u32::try_from(c).unwrap_or(u32::MAX);
        let push = |out: &mut String, offsets: &mut Option<&mut Vec<u32>>, s: &str, c: usize| {
            out.push_str(s);
            if let Some(o) = offsets.as_deref_mut() {
                o.resize(o.len() + s.len(), off(c));
            }
        };
        if !self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            push(out, &mut offsets, space, consumed);
        }
        let mut is_prev_space = self.remove_extra_whitespaces;
        while !input.is_empty() {
            let (mut sp, n) = self.prefix(input);
            if is_prev_space {
                sp = sp.trim_start_matches(' ');
            }
            if !sp.is_empty() {
                for (i, seg) in sp.split(' ').enumerate() {
                    if i > 0 {
                        push(out, &mut offsets, space, consumed);
                    }
                    push(out, &mut offsets, seg, consumed);
                }
                is_prev_space = sp.ends_with(' ');
            }
            consumed += n;
            input = &input[n..];
            if !self.remove_extra_whitespaces {
                is_prev_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while out.ends_with(space) {
                let len = out.len() - space.len();
                out.truncate(len);
                if let Some(o) = offsets.as_deref_mut() {
                    consumed = o.get(len).map_or(consumed, |&c| c as usize);
                    o.truncate(len);
                }
            }
        }
        if self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            push(out, &mut offsets, space, consumed);
        }
        if let Some(o) = offsets {
            o.push(off(consumed));
        }
    }
}

#[cfg(test)]
#[path = "normalizer_tests.rs"]
mod tests;
