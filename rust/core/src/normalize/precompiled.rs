//! HF `tokenizers`' `Precompiled` normalizer: a SentencePiece charsmap applied
//! the way HF applies it, which is not the way SentencePiece does.
//!
//! HF (crate `spm_precompiled`) walks the text by extended grapheme cluster
//! (`unicode-segmentation`, the version HF 0.23.3 is built with). A cluster
//! shorter than 6 bytes is first looked up whole, and the *shortest* rule
//! matching a prefix of it replaces the whole cluster (so `"ﬁ\u{301}"`
//! becomes `"fi"`: the accent is dropped). Otherwise, or when nothing
//! matches, each character is looked up on its own. SentencePiece instead
//! takes the longest match at each byte position. For HF `tokenizer.json`
//! files we follow HF; `.model` files keep SentencePiece's normalizer
//! ([`crate::formats::spm::SpmNormalizer`]).
//!
//! Alignments follow HF's `replace` helper in `normalizers/precompiled.rs`:
//! the replacement's characters take the place of the original ones, extra
//! characters are insertions, and a shorter replacement folds the removed
//! characters into its last character.
//!
//! Performance notes: one charsmap lookup per grapheme and per character of a
//! miss; no allocation besides the output. This normalizer is only used for
//! HF Unigram files, where the model dominates the cost.

use super::Aligned;
use crate::error::{Error, Result};
use crate::formats::spm::charsmap::CharsMap;
use std::sync::Arc;
use unicode_segmentation::UnicodeSegmentation;

/// A parsed precompiled charsmap, applied as HF does (see the module docs).
#[derive(Debug, Clone)]
pub struct Precompiled {
    /// The charsmap blob as stored in the file (written back verbatim).
    pub blob: Arc<Vec<u8>>,
    map: Arc<CharsMap>,
}

impl PartialEq for Precompiled {
    fn eq(&self, o: &Self) -> bool {
        self.blob == o.blob
    }
}
impl Eq for Precompiled {}

impl Precompiled {
    /// Parses a charsmap blob (the bytes of `precompiled_charsmap`).
    pub fn new(blob: Vec<u8>) -> Result<Self> {
        let map = CharsMap::parse(&blob)
            .map_err(|e| Error::invalid(format!("Precompiled charsmap: {e}")))?;
        Ok(Precompiled {
            blob: Arc::new(blob),
            map: Arc::new(map),
        })
    }

    /// Calls `f(original, replacement)` for each unit HF rewrites, and
    /// `f(original, None)` for each character it keeps.
    fn for_each_unit<'a>(&'a self, s: &'a str, mut f: impl FnMut(&'a str, Option<&'a str>)) {
        for g in s.graphemes(true) {
            if g.len() < 6 {
                if let Some(n) = self.map.first_match(g.as_bytes()) {
                    f(g, Some(n));
                    continue;
                }
            }
            for (i, c) in g.char_indices() {
                let part = &g[i..i + c.len_utf8()];
                f(part, self.map.first_match(part.as_bytes()));
            }
        }
    }

    /// Normalizes `s`.
    pub fn apply(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        self.for_each_unit(s, |orig, rep| out.push_str(rep.unwrap_or(orig)));
        out
    }

    /// Normalizes with alignments, exactly as HF's `Precompiled::normalize`.
    pub fn apply_aligned(&self, a: &mut Aligned) {
        let mut dest: Vec<(char, isize)> = Vec::with_capacity(a.text.len());
        let mut modified = false;
        let text = a.text.clone();
        self.for_each_unit(&text, |orig, rep| match rep {
            None => dest.extend(orig.chars().map(|c| (c, 0))),
            Some(new) => {
                modified = true;
                let diff = new.chars().count() as isize - orig.chars().count() as isize;
                dest.extend(new.chars().map(|c| (c, 0)));
                if diff > 0 {
                    // The last `diff` new characters are insertions
                    // (diff <= the replacement's length, as the original
                    // unit has at least one character).
                    let n = dest.len();
                    for d in &mut dest[n - diff as usize..] {
                        d.1 = 1;
                    }
                } else if diff < 0 {
                    if let Some(last) = dest.last_mut() {
                        last.1 += diff;
                    }
                }
            }
        });
        if modified {
            a.transform(dest, 0);
        }
    }
}
