//! Pre-token counts as a first-class artifact: saved, loaded and merged, so
//! counting can be split across processes or machines and training run once.
//!
//! File format (zstd-compressed, written to a temporary file then renamed):
//! the magic line `TOKSMITH-COUNTS\n`, a `u32` version (1), the pattern (`u8`
//! present flag, `u32` length, UTF-8 bytes), the dropped-word statistics (two
//! `u64`), the number of words (`u64`), then each word as `u32` length, UTF-8
//! bytes and `u64` count, in byte order (so equal counts give equal files).
//! All integers are little-endian. The zstd frame carries its content
//! checksum, which loading checks (a flipped bit in a file without one gave
//! counts in the trillions with exit 0); files written before it was added
//! have none and load as before.

use super::WordCounts;
use crate::error::{Error, Result};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 16] = b"TOKSMITH-COUNTS\n";
const VERSION: u32 = 1;

/// Distinct pre-tokens with `u64` counts, and how they were made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// The pre-tokenizer regex source (`None`: documents were not split).
    pub pattern: Option<String>,
    /// The counts.
    pub words: WordCounts,
    /// Distinct words dropped by a `max_words` budget.
    pub dropped_words: u64,
    /// Occurrences those dropped words carried.
    pub dropped_count: u64,
}

impl Counts {
    /// Total occurrences counted (dropped ones excluded).
    pub fn total(&self) -> u64 {
        self.words.values().sum()
    }

    /// Sums two counts made with the same pattern.
    pub fn merge(mut self, other: Counts) -> Result<Counts> {
        if self.pattern != other.pattern {
            return Err(Error::invalid(format!(
                "cannot merge counts made with different patterns ({:?} and {:?})",
                self.pattern, other.pattern
            )));
        }
        if self.words.len() < other.words.len() {
            return other.merge(self);
        }
        for (w, c) in other.words {
            *self.words.entry(w).or_default() += c;
        }
        self.dropped_words += other.dropped_words;
        self.dropped_count += other.dropped_count;
        Ok(self)
    }

    /// Keeps the `keep` most frequent words (ties: smaller word first) and
    /// records what was dropped.
    pub fn prune(&mut self, keep: usize) {
        if self.words.len() <= keep {
            return;
        }
        let mut all: Vec<(Box<str>, u64)> = self.words.drain().collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (_, c) in all.drain(keep..) {
            self.dropped_words += 1;
            self.dropped_count += c;
        }
        self.words = all.into_iter().collect();
    }

    /// Writes the counts to `path` (via a temporary file and a rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::write_atomic(path, |tmp| self.write_to(tmp))
    }

    fn write_to(&self, path: &Path) -> Result<()> {
        let io = |e| Error::io(path, e);
        let f = std::fs::File::create(path).map_err(io)?;
        let mut z = zstd::stream::write::Encoder::new(BufWriter::new(f), 3).map_err(io)?;
        z.include_checksum(true).map_err(io)?;
        let mut words: Vec<(&str, u64)> =
            self.words.iter().map(|(w, &c)| (w.as_ref(), c)).collect();
        words.sort_unstable();
        let mut w = |b: &[u8]| z.write_all(b);
        (|| -> std::io::Result<()> {
            w(MAGIC)?;
            w(&VERSION.to_le_bytes())?;
            match &self.pattern {
                Some(p) => {
                    w(&[1])?;
                    w(&(p.len() as u32).to_le_bytes())?;
                    w(p.as_bytes())?;
                }
                None => w(&[0])?,
            }
            w(&self.dropped_words.to_le_bytes())?;
            w(&self.dropped_count.to_le_bytes())?;
            w(&(words.len() as u64).to_le_bytes())?;
            for (word, c) in &words {
                w(&(word.len() as u32).to_le_bytes())?;
                w(word.as_bytes())?;
                w(&c.to_le_bytes())?;
            }
            Ok(())
        })()
        .map_err(io)?;
        z.finish().and_then(|mut b| b.flush()).map_err(io)
    }

    /// Reads counts written by [`Counts::save`].
    pub fn load(path: &Path) -> Result<Counts> {
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let bad = |msg: &str| Error::Format {
            origin: path.display().to_string(),
            message: format!("not a toksmith counts file: {msg}"),
        };
        let mut z = zstd::stream::read::Decoder::new(BufReader::new(f))
            .map_err(|_| bad("not zstd data"))?;
        let corrupt = |e: std::io::Error| bad(&format!("truncated or corrupt ({e})"));
        // Read through `take`, not into a buffer of the length the file
        // claims, which a corrupt file can make billions.
        let mut read = |n: usize| -> Result<Vec<u8>> {
            let mut b = Vec::new();
            (&mut z)
                .take(n as u64)
                .read_to_end(&mut b)
                .map_err(corrupt)?;
            if b.len() < n {
                return Err(bad("truncated"));
            }
            Ok(b)
        };
        let u32_of = |b: Vec<u8>| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        let u64_of = |b: Vec<u8>| u64::from_le_bytes(b.try_into().expect("8 bytes"));
        if read(16)? != MAGIC {
            return Err(bad("wrong magic"));
        }
        let version = u32_of(read(4)?);
        if version != VERSION {
            return Err(bad(&format!("unsupported version {version}")));
        }
        let pattern = match read(1)?[0] {
            0 => None,
            1 => {
                let n = u32_of(read(4)?) as usize;
                Some(String::from_utf8(read(n)?).map_err(|_| bad("pattern is not UTF-8"))?)
            }
            _ => return Err(bad("bad pattern flag")),
        };
        let dropped_words = u64_of(read(8)?);
        let dropped_count = u64_of(read(8)?);
        let n = u64_of(read(8)?);
        let mut words = WordCounts::default();
        words.reserve(n.min(1 << 24) as usize);
        for i in 0..n {
            let len = u32_of(read(4)?) as usize;
            let w = String::from_utf8(read(len)?)
                .map_err(|_| bad(&format!("word {i} is not UTF-8")))?;
            let c = u64_of(read(8)?);
            if words.insert(w.into_boxed_str(), c).is_some() {
                return Err(bad(&format!("word {i} appears twice")));
            }
        }
        // The rest of the frame: nothing but its checksum, checked here.
        let mut rest = Vec::new();
        (&mut z).take(1).read_to_end(&mut rest).map_err(corrupt)?;
        if !rest.is_empty() {
            return Err(bad("data after the last word"));
        }
        Ok(Counts {
            pattern,
            words,
            dropped_words,
            dropped_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pattern: Option<&str>, words: &[(&str, u64)]) -> Counts {
        Counts {
            pattern: pattern.map(str::to_string),
            words: words.iter().map(|&(w, c)| (w.into(), c)).collect(),
            ..Counts::default()
        }
    }

    #[test]
    fn save_load_merge_prune() {
        let dir = std::env::temp_dir().join(format!("toksmith-counts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = counts(Some("x"), &[("a", 3), ("bé", 1)]);
        let path = dir.join("a.bin");
        a.save(&path).unwrap();
        assert_eq!(Counts::load(&path).unwrap(), a);
        let m = a
            .clone()
            .merge(counts(Some("x"), &[("a", 2), ("c", 5)]))
            .unwrap();
        assert_eq!(m.words.get("a"), Some(&5));
        assert_eq!(m.total(), 11);
        assert!(a.clone().merge(counts(None, &[])).is_err());
        let mut p = m;
        p.prune(2);
        assert_eq!((p.words.len(), p.dropped_words, p.dropped_count), (2, 1, 1));
        // A flipped bit anywhere past the frame's header is an error (the
        // checksum), never other counts.
        let good = std::fs::read(&path).unwrap();
        for i in 6..good.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = good.clone();
                bad[i] ^= bit;
                std::fs::write(&path, &bad).unwrap();
                assert!(Counts::load(&path).is_err(), "byte {i} bit {bit:#x}");
            }
        }
        std::fs::write(&path, b"junk").unwrap();
        assert!(Counts::load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
