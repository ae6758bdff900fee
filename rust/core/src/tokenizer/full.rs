//! [`Tokenizer::encode_full`]: ids with their token strings, offsets into the
//! original text, type ids and a special-token mask, for one sequence or a
//! pair, as HF's `Tokenizer.encode` gives them.
//!
//! Offsets are byte spans into the text given (the bindings turn them into
//! character spans). They go through the normalizer's alignments
//! ([`Aligned`](crate::normalize::Aligned)), so they equal HF's: a token made from a character that
//! normalization expanded or changed covers that whole original character.
//! Special tokens added by the post-processor have offsets `(0, 0)`.

use super::{Piece, SpecialSet, Tokenizer};
use crate::error::Result;

/// Everything about an encoded sequence (or pair).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoding {
    /// Token ids.
    pub ids: Vec<u32>,
    /// `(start, end)` byte offsets into the original text of the sequence.
    pub offsets: Vec<(usize, usize)>,
    /// Type (segment) id of each token.
    pub type_ids: Vec<u32>,
    /// Whether each token was added by the post-processor.
    pub special_tokens_mask: Vec<u8>,
    /// Which sequence each token comes from (0, 1), `None` for added tokens.
    pub sequence_ids: Vec<Option<u8>>,
}

impl Encoding {
    fn push(&mut self, id: u32, off: (usize, usize), type_id: u32, special: bool, seq: Option<u8>) {
        self.ids.push(id);
        self.offsets.push(off);
        self.type_ids.push(type_id);
        self.special_tokens_mask.push(u8::from(special));
        self.sequence_ids.push(seq);
    }
}

impl Tokenizer {
    /// Encodes `text` (and `pair`) with offsets and type ids; special tokens
    /// in the text follow `allowed`/`disallowed` as in [`Tokenizer::encode`].
    pub fn encode_full(
        &self,
        text: &str,
        pair: Option<&str>,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        add_special: bool,
    ) -> Result<Encoding> {
        let a = self.encode_spans(text, allowed, disallowed)?;
        let b = match pair {
            Some(p) => Some(self.encode_spans(p, allowed, disallowed)?),
            None => None,
        };
        let mut enc = Encoding::default();
        let template = match (&self.post, add_special) {
            (Some(p), true) => Some(if b.is_some() { &p.pair } else { &p.single }),
            _ => None,
        };
        let Some(template) = template.filter(|t| !t.is_empty()) else {
            for (seq, (spans, ty)) in [(a, 0u32)].into_iter().chain(b.map(|b| (b, 1))).enumerate() {
                for (id, s, e) in spans {
                    enc.push(id, (s, e), ty, false, Some(seq as u8));
                }
            }
            return Ok(enc);
        };
        let mut b = b;
        let mut a = Some(a);
        for piece in template {
            match piece {
                Piece::Special { ids, type_id, .. } => {
                    for &id in ids {
                        enc.push(id, (0, 0), *type_id, true, None);
                    }
                }
                Piece::A(ty) => {
                    for (id, s, e) in a.take().unwrap_or_default() {
                        enc.push(id, (s, e), *ty, false, Some(0));
                    }
                }
                Piece::B(ty) => {
                    for (id, s, e) in b.take().unwrap_or_default() {
                        enc.push(id, (s, e), *ty, false, Some(1));
                    }
                }
            }
        }
        Ok(enc)
    }

    /// One sequence as `(id, start, end)` with original byte offsets.
    fn encode_spans(
        &self,
        text: &str,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
    ) -> Result<Vec<(u32, usize, usize)>> {
        if !disallowed.is_empty() {
            self.check_disallowed(text, allowed, disallowed)?;
        }
        let mut out = Vec::new();
        let mut spans = Vec::new();
        self.split_normalized(text, allowed, &mut out, |mut al, at_start, s0, out| {
            if self.byte_level.add_prefix_space && !al.text.starts_with(' ') {
                al.prepend(" ");
            }
            if let Some(m) = &self.metaspace {
                m.apply_aligned(&mut al, at_start);
            }
            let t = al.text.as_str();
            let base = t.as_ptr() as usize;
            self.pretokenizer.for_each_piece(t, |p| {
                let ps = p.as_ptr() as usize - base;
                spans.clear();
                self.model.encode_piece_spans(p, &mut spans);
                for &(id, s, e) in &spans {
                    let (os, oe) = al.original_span(ps + s, ps + e);
                    out.push((id, s0 + os as usize, s0 + oe as usize));
                }
            })
        })?;
        Ok(out)
    }
}
