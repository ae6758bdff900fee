//! SentencePiece's precompiled charsmap: the normalization rules of
//! `nmt_nfkc`, `nfkc`, custom TSV rules and so on, compiled into a
//! darts-clone double-array trie over UTF-8 bytes plus a blob of
//! NUL-terminated replacement strings.
//!
//! Layout: `u32` little-endian trie size in bytes, the trie (4-byte units),
//! then the replacement blob. A trie leaf's value is the offset of the
//! replacement in the blob. [`CharsMap::longest_match`] does what
//! sentencepiece's `Normalizer::NormalizePrefix` does with the trie: a common
//! prefix search keeping the first 32 results, then the longest of them.
//!
//! Performance notes: the trie is a flat `Vec<u32>`; a lookup walks one unit
//! per input byte and stops at the first mismatch, so matching costs a few
//! nanoseconds per character. Every unit access is bounds-checked (`get`), so
//! a corrupt trie can only produce a miss, never a panic.

/// Most trie results sentencepiece looks at per position (`kMaxTrieResultsSize`).
const MAX_RESULTS: usize = 32;

/// A decoded precompiled charsmap.
#[derive(Clone, Debug)]
pub struct CharsMap {
    units: Vec<u32>,
    normalized: Vec<u8>,
}

fn has_leaf(u: u32) -> bool {
    (u >> 8) & 1 == 1
}
fn value(u: u32) -> u32 {
    u & ((1 << 31) - 1)
}
fn label(u: u32) -> u32 {
    u & ((1 << 31) | 0xff)
}
fn offset(u: u32) -> usize {
    ((u >> 10) << ((u & (1 << 9)) >> 6)) as usize
}

impl CharsMap {
    /// Decodes and validates a charsmap blob (the checks of sentencepiece's
    /// `DecodePrecompiledCharsMap` and darts' `validate`, plus: every
    /// replacement is valid UTF-8). The error says what is wrong.
    pub fn parse(blob: &[u8]) -> Result<Self, String> {
        if blob.len() <= 4 {
            return Err("blob for normalization rule is broken (shorter than 5 bytes)".into());
        }
        let size = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
        if size >= blob.len() - 4 {
            return Err(format!(
                "trie size {size} exceeds the blob ({} bytes)",
                blob.len()
            ));
        }
        if size < 1024 || size & 0x3ff != 0 {
            return Err(format!("trie size {size} is not a multiple of 1024"));
        }
        let units: Vec<u32> = blob[4..4 + size]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let normalized = blob[4 + size..].to_vec();
        if normalized.last() != Some(&0) {
            return Err("normalized block must be NUL-terminated".into());
        }
        let map = CharsMap { units, normalized };
        map.validate()?;
        Ok(map)
    }

    fn validate(&self) -> Result<(), String> {
        let n = self.units.len();
        let max_value = self.normalized.len();
        let u0 = self.units[0];
        if label(u0) != 0 || has_leaf(u0) || offset(u0) == 0 || (offset(u0) | 0xff) >= n {
            return Err("invalid trie root".into());
        }
        for (i, &u) in self.units.iter().enumerate().skip(1) {
            if label(u) <= 0xff {
                let child = i ^ offset(u);
                if (child | 0xff) >= n {
                    return Err(format!("trie unit {i} points outside the trie"));
                }
                if has_leaf(u) && label(self.units[child]) <= 0xff {
                    return Err(format!("trie unit {i}: leaf is not a value"));
                }
            } else {
                let v = value(u) as usize;
                if v >= max_value {
                    return Err(format!("trie unit {i}: value {v} outside the strings"));
                }
                if std::str::from_utf8(self.replacement_at(v)).is_err() {
                    return Err(format!("replacement at {v} is not valid UTF-8"));
                }
            }
        }
        Ok(())
    }

    fn replacement_at(&self, at: usize) -> &[u8] {
        let rest = self.normalized.get(at..).unwrap_or(&[]);
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        &rest[..end]
    }

    /// The longest rule matching a prefix of `input` (among the first 32
    /// matches, as sentencepiece): `(matched length, replacement)`.
    pub fn longest_match<'s>(&'s self, input: &[u8]) -> Option<(usize, &'s str)> {
        let mut node = offset(*self.units.first()?);
        let mut found = 0usize;
        let mut best: Option<(usize, u32)> = None;
        for (i, &b) in input.iter().enumerate() {
            node ^= b as usize;
            let Some(&u) = self.units.get(node) else {
                break;
            };
            if label(u) != u32::from(b) {
                break;
            }
            node ^= offset(u);
            if has_leaf(u) {
                if found < MAX_RESULTS {
                    if let Some(&leaf) = self.units.get(node) {
                        best = Some((i + 1, value(leaf)));
                    }
                }
                found += 1;
            }
        }
        let (len, v) = best?;
        // Validated at parse time: the replacement is UTF-8; be safe anyway.
        let rep = std::str::from_utf8(self.replacement_at(v as usize)).ok()?;
        Some((len, rep))
    }
    /// The replacement of the *shortest* rule matching a prefix of `input`,
    /// stopping at a NUL byte: what HF's `Precompiled::transform` (crate
    /// `spm_precompiled`) looks up, which differs from sentencepiece's
    /// longest match.
    pub fn first_match(&self, input: &[u8]) -> Option<&str> {
        let mut node = offset(*self.units.first()?);
        for &b in input {
            if b == 0 {
                return None;
            }
            node ^= b as usize;
            let &u = self.units.get(node)?;
            if label(u) != u32::from(b) {
                return None;
            }
            node ^= offset(u);
            if has_leaf(u) {
                let v = value(*self.units.get(node)?);
                return std::str::from_utf8(self.replacement_at(v as usize)).ok();
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_malformed_blobs() {
        assert!(CharsMap::parse(&[]).is_err());
        assert!(CharsMap::parse(&[0, 4, 0, 0, 1]).is_err());
        let mut blob = 1024u32.to_le_bytes().to_vec();
        blob.extend(std::iter::repeat_n(0u8, 1024));
        blob.extend_from_slice(b"a\0");
        // All-zero trie: root offset 0 is invalid.
        assert!(CharsMap::parse(&blob).is_err());
        // Size not a multiple of 1024.
        let mut bad = blob.clone();
        bad[..4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(CharsMap::parse(&bad).is_err());
    }
}
