//! Normalization that remembers where each byte came from, for offsets.
//!
//! [`Aligned`] is a normalized string plus, for each of its bytes, the byte
//! span of the original character it came from. Its operations reproduce HF
//! `tokenizers`' `NormalizedString` exactly (same alignment rules): a character
//! that replaces another takes its span, an inserted character (change `> 0`)
//! takes the span of the byte before it, and removed characters are folded into
//! the character before them. So the offsets we report equal HF's.
//!
//! Only [`Tokenizer::encode_full`](crate::tokenizer::Tokenizer::encode_full)
//! pays for this; plain encoding normalizes without alignments.

/// A normalized string with, per byte, the original byte span it maps to.
#[derive(Debug, Clone)]
pub struct Aligned {
    /// The normalized text.
    pub text: String,
    /// For each byte of `text`, the `(start, end)` original byte span.
    pub align: Vec<(u32, u32)>,
}

impl Aligned {
    /// The identity alignment of `s`: each byte maps to its character's span.
    pub fn new(s: &str) -> Self {
        let mut align = Vec::with_capacity(s.len());
        for (i, c) in s.char_indices() {
            let span = (i as u32, (i + c.len_utf8()) as u32);
            align.extend(std::iter::repeat_n(span, c.len_utf8()));
        }
        Aligned {
            text: s.to_string(),
            align,
        }
    }

    /// Replaces the whole text by `dest`, a list of `(char, change)`: `0`
    /// replaces the next character, `1` inserts, `-n` replaces the next
    /// character and removes `n` more; the first `initial_offset` characters are
    /// dropped (HF `NormalizedString::transform`).
    pub fn transform(
        &mut self,
        dest: impl IntoIterator<Item = (char, isize)>,
        initial_offset: usize,
    ) {
        let old = std::mem::take(&mut self.text);
        let mut chars = old.chars();
        let mut offset: usize = (&mut chars).take(initial_offset).map(char::len_utf8).sum();
        let mut text = String::with_capacity(old.len());
        let mut align = Vec::with_capacity(self.align.len());
        for (c, change) in dest {
            let a = if change > 0 {
                if offset == 0 {
                    (0, 0)
                } else {
                    self.align[offset - 1]
                }
            } else {
                self.align[offset]
            };
            if change <= 0 {
                offset += chars.next().map_or(0, char::len_utf8);
            }
            if change < 0 {
                offset += (&mut chars)
                    .take(change.unsigned_abs())
                    .map(char::len_utf8)
                    .sum::<usize>();
            }
            text.push(c);
            align.extend(std::iter::repeat_n(a, c.len_utf8()));
        }
        self.text = text;
        self.align = align;
    }

    /// Maps each character (HF `map`).
    pub fn map(&mut self, f: impl Fn(char) -> char) {
        let dest: Vec<(char, isize)> = self.text.chars().map(|c| (f(c), 0)).collect();
        self.transform(dest, 0);
    }

    /// Keeps the characters for which `keep` is true (HF `filter`).
    pub fn filter(&mut self, keep: impl Fn(char) -> bool) {
        let mut removed = 0isize;
        let mut removed_start = 0usize;
        let mut dest = Vec::with_capacity(self.text.len());
        let mut last = None;
        for c in self.text.chars() {
            if keep(c) {
                match last {
                    Some(lc) => dest.push((lc, -removed)),
                    None => removed_start = removed as usize,
                }
                last = Some(c);
                removed = 0;
            } else {
                removed += 1;
            }
        }
        if let Some(lc) = last {
            dest.push((lc, -removed));
        }
        self.transform(dest, removed_start);
    }

    /// Lowercases character by character (HF `lowercase`, no final-sigma rule).
    pub fn lowercase(&mut self) {
        let mut dest = Vec::with_capacity(self.text.len());
        for c in self.text.chars() {
            for (i, l) in c.to_lowercase().enumerate() {
                dest.push((l, isize::from(i > 0)));
            }
        }
        self.transform(dest, 0);
    }

    /// Prepends `s` when the text is not empty (HF `prepend`).
    pub fn prepend(&mut self, s: &str) {
        let Some(first) = self.text.chars().next() else {
            return;
        };
        let n = first.len_utf8();
        let mut dest: Vec<(char, isize)> = s
            .chars()
            .enumerate()
            .map(|(i, c)| (c, isize::from(i != 0)))
            .collect();
        dest.push((first, 1));
        // Transform only the first character: rebuild the head, keep the tail.
        let tail_text = self.text[n..].to_string();
        let tail_align = self.align[n..].to_vec();
        self.text.truncate(n);
        self.align.truncate(n);
        self.transform(dest, 0);
        self.text.push_str(&tail_text);
        self.align.extend(tail_align);
    }

    /// Replaces each occurrence of the literal `pattern` by `content` (HF
    /// `replace`: the new characters are inserted after the removed match, so
    /// they take the span of the byte before the match).
    pub fn replace(&mut self, pattern: &str, content: &str) {
        if pattern.is_empty() || !self.text.contains(pattern) {
            return;
        }
        let matches: Vec<(usize, usize)> = self
            .text
            .match_indices(pattern)
            .map(|(s, m)| (s, s + m.len()))
            .collect();
        self.replace_ranges(&matches, content);
    }

    /// Replaces each byte range of `matches` (sorted, disjoint) by `content`,
    /// with the alignments of [`Aligned::replace`] (HF's regex `replace`).
    pub fn replace_ranges(&mut self, matches: &[(usize, usize)], content: &str) {
        if matches.is_empty() {
            return;
        }
        let mut text = String::with_capacity(self.text.len());
        let mut align = Vec::with_capacity(self.align.len());
        let mut last = 0;
        for &(start, end) in matches {
            text.push_str(&self.text[last..start]);
            align.extend_from_slice(&self.align[last..start]);
            let a = if end == 0 {
                (0, 0)
            } else {
                self.align[end - 1]
            };
            for c in content.chars() {
                text.push(c);
                align.extend(std::iter::repeat_n(a, c.len_utf8()));
            }
            last = end;
        }
        text.push_str(&self.text[last..]);
        align.extend_from_slice(&self.align[last..]);
        self.text = text;
        self.align = align;
    }

    /// Strips whitespace (`char::is_whitespace`) on the left and/or right,
    /// with HF's alignments (`NormalizedString::lrstrip`, including its
    /// comparison of a character index with the byte length).
    pub fn strip(&mut self, left: bool, right: bool) {
        let lead = if left {
            self.text.chars().take_while(|c| c.is_whitespace()).count()
        } else {
            0
        };
        let trail = if right {
            self.text
                .chars()
                .rev()
                .take_while(|c| c.is_whitespace())
                .count()
        } else {
            0
        };
        if lead == 0 && trail == 0 {
            return;
        }
        let count = self.text.chars().count();
        let last = self.text.len().wrapping_sub(trail).wrapping_sub(1);
        let dest: Vec<(char, isize)> = self
            .text
            .chars()
            .enumerate()
            .filter(|&(i, _)| i >= lead && i < count.saturating_sub(trail))
            .map(|(i, c)| (c, if i == last { -(trail as isize) } else { 0 }))
            .collect();
        self.transform(dest, lead);
    }

    /// The normalized byte range `start..end` (on character boundaries),
    /// each byte keeping its original span.
    pub fn slice(&self, start: usize, end: usize) -> Aligned {
        Aligned {
            text: self.text[start..end].to_string(),
            align: self.align[start..end].to_vec(),
        }
    }

    /// The original byte span of the normalized byte range `start..end`
    /// (HF `convert_offsets` from normalized to original).
    pub fn original_span(&self, start: usize, end: usize) -> (u32, u32) {
        if start >= end || end > self.align.len() {
            let at = self
                .align
                .get(start)
                .map_or_else(|| self.align.last().map_or(0, |a| a.1), |a| a.0);
            return (at, at);
        }
        (self.align[start].0, self.align[end - 1].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_and_insert_keep_spans_like_hf() {
        // "a\u{0}é" with the NUL removed, then 'é' expanded: every output
        // byte points at the original character it came from.
        let mut a = Aligned::new("a\u{0}é");
        a.filter(|c| c != '\u{0}');
        assert_eq!(a.text, "aé");
        assert_eq!(a.original_span(0, 1), (0, 1));
        assert_eq!(a.original_span(1, 3), (2, 4));
        a.transform(vec![('a', 0), ('e', 0), ('\u{301}', 1)], 0);
        assert_eq!(a.text, "ae\u{301}");
        assert_eq!(a.original_span(1, 2), (2, 4));
        assert_eq!(a.original_span(2, 4), (2, 4));
    }

    #[test]
    fn replace_takes_the_span_before_the_match_end() {
        let mut a = Aligned::new("a b");
        a.replace(" ", "▁");
        assert_eq!(a.text, "a▁b");
        assert_eq!(a.original_span(1, 4), (1, 2));
        assert_eq!(a.original_span(4, 5), (2, 3));
    }
}
