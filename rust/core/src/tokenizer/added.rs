//! Added tokens (HF `added_tokens`, tiktoken's special tokens): finding them
//! in the text and encoding the text between them.
//!
//! As in HF's `AddedVocabulary`, matching runs in two phases. The tokens
//! that are not `normalized` are found first in the original text
//! (leftmost-longest). Each part between them is normalized, and the
//! `normalized` tokens, their own content normalized the same way, are found
//! in that normalized text. What is left goes to the pre-tokenizer and the
//! model. HF's `single_word`, `lstrip` and `rstrip` apply in both phases, to
//! the text of that phase. Tokens made by toksmith and tiktoken's special
//! tokens are never `normalized`, so for them the second phase does nothing.

use super::{Segment, SpecialSet, Tokenizer};
use crate::error::{Error, Result};
use crate::normalize::Aligned;
use aho_corasick::{AhoCorasick, MatchKind};

/// A token added on top of the model vocabulary (HF `added_tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedToken {
    /// Its text.
    pub content: String,
    /// Its id.
    pub id: u32,
    /// Whether it is a special token (skipped by HF when decoding with skip_special_tokens).
    pub special: bool,
    /// HF `lstrip`: the whitespace just before a match goes with the token.
    pub lstrip: bool,
    /// HF `rstrip`: the whitespace just after a match goes with the token.
    pub rstrip: bool,
    /// HF `single_word`: a match next to a word character (`\w`) is not one.
    pub single_word: bool,
    /// HF `normalized`: found in the normalized text, after the tokens that
    /// are not, its content normalized by the tokenizer's normalizer.
    pub normalized: bool,
}

impl AddedToken {
    /// A special token with none of HF's matching options.
    pub fn special(content: String, id: u32) -> Self {
        AddedToken {
            content,
            id,
            special: true,
            lstrip: false,
            rstrip: false,
            single_word: false,
            normalized: false,
        }
    }
}

/// A leftmost-longest matcher over some added tokens: the id and the
/// options of each pattern.
#[derive(Debug, Clone)]
pub(super) struct Matcher {
    ac: AhoCorasick,
    tokens: Vec<(u32, Options)>,
}

/// HF's matching options of an added token.
#[derive(Debug, Clone, Copy)]
struct Options {
    lstrip: bool,
    rstrip: bool,
    single_word: bool,
}

/// A matcher over `tokens`, each with the text to find (its content, or its
/// normalized content); `None` when there is nothing to find.
fn build_matcher<'a>(
    tokens: impl IntoIterator<Item = (&'a AddedToken, &'a str)>,
) -> Result<Option<Matcher>> {
    let (pats, tokens): (Vec<&str>, Vec<(u32, Options)>) = tokens
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(a, p)| {
            let o = Options {
                lstrip: a.lstrip,
                rstrip: a.rstrip,
                single_word: a.single_word,
            };
            (p, (a.id, o))
        })
        .unzip();
    if pats.is_empty() {
        return Ok(None);
    }
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(pats)
        .map(|ac| Some(Matcher { ac, tokens }))
        .map_err(|e| Error::invalid(format!("cannot index special tokens: {e}")))
}

/// Whether `c` is a word character as HF's `\w` (Unicode: letters, marks,
/// digits, connector punctuation, joiners).
fn is_word_char(c: char) -> bool {
    use std::sync::LazyLock;
    static WORD: LazyLock<fancy_regex::Regex> =
        LazyLock::new(|| fancy_regex::Regex::new(r"^\w$").expect("a valid regex"));
    let mut buf = [0u8; 4];
    WORD.is_match(c.encode_utf8(&mut buf)).unwrap_or(false)
}

/// Cuts `text` at the matches of `m` and calls `f` on each part in order,
/// with HF's `single_word`, `lstrip` and `rstrip` (HF `find_matches`).
fn split_at(text: &str, m: &Matcher, mut f: impl FnMut(Segment) -> Result<()>) -> Result<()> {
    let mut last = 0;
    for found in m.ac.find_iter(text) {
        let (mut start, mut end) = (found.start(), found.end());
        if start < last {
            continue; // in the whitespace a token before took (rstrip)
        }
        let (id, o) = m.tokens[found.pattern().as_usize()];
        if o.single_word
            && (text[..start].chars().next_back().is_some_and(is_word_char)
                || text[end..].chars().next().is_some_and(is_word_char))
        {
            continue; // part of a word: left to the model, as HF does
        }
        if o.lstrip {
            let kept = text[..start].trim_end_matches(char::is_whitespace).len();
            start = kept.max(last);
        }
        if o.rstrip {
            end = text.len() - text[end..].trim_start_matches(char::is_whitespace).len();
        }
        if start > last {
            f(Segment::Text(last, start))?;
        }
        f(Segment::Special(id, start, end))?;
        last = end;
    }
    if last < text.len() {
        f(Segment::Text(last, text.len()))?;
    }
    Ok(())
}

impl Tokenizer {
    /// The tokens an added token's matching needs: `normalized` picks the
    /// phase; `allowed` filters by content.
    fn phase_matcher<'a>(
        &'a self,
        normalized: bool,
        allowed: &SpecialSet,
        owned: &'a mut Option<Matcher>,
    ) -> Result<Option<&'a Matcher>> {
        let all = if normalized {
            self.norm_matcher.as_ref()
        } else {
            self.matcher.as_ref()
        };
        match allowed {
            _ if all.is_none() => Ok(None),
            SpecialSet::All => Ok(all),
            SpecialSet::Some(set) if set.is_empty() => Ok(None),
            SpecialSet::Some(set) => {
                *owned = self.matcher_of(
                    self.added.iter().filter(|a| set.contains(&a.content)),
                    normalized,
                )?;
                let owned: &'a Option<Matcher> = owned;
                Ok(owned.as_ref())
            }
        }
    }

    /// A matcher over those of `tokens` that the phase `normalized` looks
    /// for, each by its content as that phase sees it.
    pub(super) fn matcher_of<'t>(
        &self,
        tokens: impl IntoIterator<Item = &'t AddedToken>,
        normalized: bool,
    ) -> Result<Option<Matcher>> {
        let pats: Vec<(&AddedToken, String)> = tokens
            .into_iter()
            .filter(|a| a.normalized == normalized)
            .map(|a| match normalized {
                true => (a, self.normalize_content(&a.content)),
                false => (a, a.content.clone()),
            })
            .collect();
        build_matcher(pats.iter().map(|(a, p)| (*a, p.as_str())))
    }

    /// An added token's content as the normalized phase looks for it.
    pub(super) fn normalize_content(&self, content: &str) -> String {
        match &self.normalizer {
            Some(n) => n.apply(content),
            None => content.to_string(),
        }
    }

    /// Cuts `text` at the allowed added tokens that are not `normalized`
    /// (leftmost-longest) and calls `f` on each part in order.
    pub(super) fn split_specials(
        &self,
        text: &str,
        allowed: &SpecialSet,
        mut f: impl FnMut(Segment) -> Result<()>,
    ) -> Result<()> {
        let mut owned = None;
        match self.phase_matcher(false, allowed, &mut owned)? {
            Some(m) => split_at(text, m, f),
            None => f(Segment::Text(0, text.len())),
        }
    }

    /// Encodes `text` with the allowed added tokens found as HF finds them.
    pub(super) fn encode_with_specials(
        &self,
        text: &str,
        allowed: &SpecialSet,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        let mut owned = None;
        let norm = self.phase_matcher(true, allowed, &mut owned)?;
        self.split_specials(text, allowed, |seg| match seg {
            Segment::Text(a, b) => match norm {
                None => self.encode_segment(&text[a..b], a == 0, true, out),
                Some(m) => {
                    let t = self.normalize_content(&text[a..b]);
                    split_at(&t, m, |seg| match seg {
                        Segment::Text(c, d) => {
                            self.encode_segment(&t[c..d], a == 0 && c == 0, false, out)
                        }
                        Segment::Special(id, _, _) => {
                            out.push(id);
                            Ok(())
                        }
                    })
                }
            },
            Segment::Special(id, _, _) => {
                out.push(id);
                Ok(())
            }
        })
    }

    /// [`Tokenizer::encode_with_specials`] with the original byte span of
    /// each token: `part` is called on each piece of normalized text to
    /// encode, with whether it starts the input and its offset in `text`.
    pub(super) fn split_normalized(
        &self,
        text: &str,
        allowed: &SpecialSet,
        out: &mut Vec<(u32, usize, usize)>,
        mut part: impl FnMut(Aligned, bool, usize, &mut Vec<(u32, usize, usize)>) -> Result<()>,
    ) -> Result<()> {
        let mut owned = None;
        let norm = self.phase_matcher(true, allowed, &mut owned)?;
        self.split_specials(text, allowed, |seg| match seg {
            Segment::Special(id, s, e) => {
                out.push((id, s, e));
                Ok(())
            }
            Segment::Text(s0, e0) => {
                let mut al = Aligned::new(&text[s0..e0]);
                if let Some(n) = &self.normalizer {
                    n.apply_aligned(&mut al);
                }
                let Some(m) = norm else {
                    return part(al, s0 == 0, s0, out);
                };
                let t = al.text.clone();
                split_at(&t, m, |seg| match seg {
                    Segment::Special(id, s, e) => {
                        let (os, oe) = al.original_span(s, e);
                        out.push((id, s0 + os as usize, s0 + oe as usize));
                        Ok(())
                    }
                    Segment::Text(s, e) => part(al.slice(s, e), s0 == 0 && s == 0, s0, out),
                })
            }
        })
    }
}
