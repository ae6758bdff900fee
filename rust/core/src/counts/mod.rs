//! Counting pre-tokens: the first pass of training.
//!
//! Text is normalized (optionally), split by the [`Pretokenizer`], and each
//! distinct piece is counted with a `u64`. Files are read in large blocks cut
//! at line boundaries, never whole; each block is split into sub-blocks that
//! are counted on all cores into per-task maps keyed by `&str` (no allocation
//! per occurrence), and only distinct words are copied into the global map.
//! Each line of a file, with its line ending, is one document, as in HF's
//! `train(files)`; each string given to [`WordCounter::add_docs`] is one document.
//!
//! Performance notes: counting is dominated by the regex split (fancy-regex).
//! Per-task `FxHashMap<&str, u64>` maps merged into one owned map cost under
//! 10% of counting time on mixed-100M; a sharded global map was not needed yet.

mod artifact;
mod input;

pub use artifact::Counts;
pub use input::{collect_files, open_input};

use crate::error::{Error, Result};
use crate::normalize::Normalizer;
use crate::pretokenize::Pretokenizer;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::io::Read;
use std::path::Path;

/// Distinct pre-tokens with their counts.
pub type WordCounts = FxHashMap<Box<str>, u64>;

/// Bytes read from a file per block.
const BLOCK: usize = 16 << 20;
/// Target size of one parallel counting task.
const TASK: usize = 256 << 10;

/// Something that wants to hear how far a long job has got.
pub trait Progress: Sync {
    /// `stage` started or advanced: `done` of `total` units (`total` 0 when unknown).
    fn update(&self, stage: &str, done: u64, total: u64);
    /// `stage` finished.
    fn finish(&self, stage: &str);
}

/// Accumulates pre-token counts over any number of inputs.
pub struct WordCounter<'a> {
    pretok: &'a Pretokenizer,
    normalizer: Option<&'a Normalizer>,
    counts: Counts,
    bytes_seen: u64,
    max_words: Option<usize>,
}

type Local<'t> = FxHashMap<&'t str, u64>;

fn merge_local<'t>(mut a: Local<'t>, mut b: Local<'t>) -> Local<'t> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (k, v) in b {
        *a.entry(k).or_default() += v;
    }
    a
}

impl<'a> WordCounter<'a> {
    /// A counter that splits with `pretok` after applying `normalizer`.
    pub fn new(pretok: &'a Pretokenizer, normalizer: Option<&'a Normalizer>) -> Self {
        WordCounter {
            pretok,
            normalizer,
            counts: Counts {
                pattern: pretok.source().map(str::to_string),
                ..Counts::default()
            },
            bytes_seen: 0,
            max_words: None,
        }
    }

    /// Bounds memory: when more than twice `max` distinct words are held, the
    /// rarest are dropped down to `max` (and at the end down to `max`); what
    /// was dropped is recorded in the result.
    pub fn with_max_words(mut self, max: Option<usize>) -> Self {
        self.max_words = max;
        self
    }

    /// Total bytes of text counted so far.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_seen
    }

    /// The counts, pruned to the `max_words` budget.
    pub fn into_counts(self) -> Counts {
        let mut c = self.counts;
        if let Some(m) = self.max_words {
            c.prune(m);
        }
        c
    }

    fn absorb(&mut self, local: Local<'_>) {
        let words = &mut self.counts.words;
        words.reserve(local.len() / 4);
        for (k, v) in local {
            if let Some(c) = words.get_mut(k) {
                *c += v;
            } else {
                words.insert(k.into(), v);
            }
        }
        if let Some(m) = self.max_words {
            if words.len() > m.saturating_mul(2) {
                self.counts.prune(m);
            }
        }
    }

    fn count_doc<'t>(
        &self,
        doc: &'t str,
        local: &mut Local<'t>,
        scratch: &mut Vec<String>,
    ) -> Result<()> {
        match self.normalizer {
            None => self
                .pretok
                .for_each_piece(doc, |p| *local.entry(p).or_default() += 1),
            Some(n) => {
                // Normalized text does not live as long as `doc`, so its pieces
                // are owned; normalizers are rare in training.
                let norm = n.apply(doc);
                self.pretok
                    .for_each_piece(&norm, |p| scratch.push(p.to_string()))
            }
        }
    }

    /// Counts a block of complete lines, each line (with its `\n`) one document.
    pub fn add_lines(&mut self, block: &str) -> Result<()> {
        self.bytes_seen += block.len() as u64;
        let tasks = split_at_lines(block, TASK);
        self.count_units(&tasks, true)
    }

    /// Counts documents (each string is one document, not split at lines).
    pub fn add_docs<S: AsRef<str> + Sync>(&mut self, docs: &[S]) -> Result<()> {
        self.bytes_seen += docs.iter().map(|d| d.as_ref().len() as u64).sum::<u64>();
        let units: Vec<&str> = docs.iter().map(AsRef::as_ref).collect();
        self.count_units(&units, false)
    }

    /// Counts `units` in parallel: each unit's lines (`lines`) or each unit
    /// whole is one document.
    fn count_units(&mut self, units: &[&str], lines: bool) -> Result<()> {
        let (local, owned) = units
            .par_iter()
            .fold(
                || Ok((Local::default(), Vec::new())),
                |acc: Result<(Local<'_>, Vec<String>)>, unit| {
                    let (mut local, mut owned) = acc?;
                    if lines {
                        for line in unit.split_inclusive('\n') {
                            self.count_doc(line, &mut local, &mut owned)?;
                        }
                    } else {
                        self.count_doc(unit, &mut local, &mut owned)?;
                    }
                    Ok((local, owned))
                },
            )
            .try_reduce(
                || (Local::default(), Vec::new()),
                |a, b| {
                    let mut owned = a.1;
                    owned.extend(b.1);
                    Ok((merge_local(a.0, b.0), owned))
                },
            )?;
        self.absorb(local);
        self.absorb_owned(owned);
        Ok(())
    }

    fn absorb_owned(&mut self, owned: Vec<String>) {
        for w in owned {
            *self.counts.words.entry(w.into_boxed_str()).or_default() += 1;
        }
    }

    /// Streams one file (plain, or gzip, xz or zstd, decompressed on the fly)
    /// through [`WordCounter::add_lines`] in blocks. Byte offsets in errors
    /// are offsets in the decompressed text.
    pub fn add_file(
        &mut self,
        path: &Path,
        progress: Option<&dyn Progress>,
        total: u64,
    ) -> Result<()> {
        let mut f = open_input(path)?;
        let mut buf: Vec<u8> = Vec::with_capacity(BLOCK + 4096);
        let mut consumed: u64 = 0;
        loop {
            let start = buf.len();
            buf.resize(start + BLOCK, 0);
            let n = read_full(&mut f, &mut buf[start..]).map_err(|e| Error::io(path, e))?;
            buf.truncate(start + n);
            let eof = n == 0;
            let cut = if eof {
                buf.len()
            } else {
                match memrchr(b'\n', &buf) {
                    Some(i) => i + 1,
                    None => continue, // a line longer than a block: read more
                }
            };
            let text = match std::str::from_utf8(&buf[..cut]) {
                Ok(t) => t,
                Err(e) => {
                    return Err(Error::NotUtf8 {
                        path: path.display().to_string(),
                        offset: consumed + e.valid_up_to() as u64,
                    })
                }
            };
            self.add_lines(text)?;
            consumed += cut as u64;
            if let Some(p) = progress {
                p.update("count", self.bytes_seen, total);
            }
            buf.drain(..cut);
            if eof {
                return Ok(());
            }
        }
    }
}

pub(crate) fn read_full(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn memrchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().rposition(|&b| b == needle)
}

/// Splits `text` into parts of about `target` bytes, each ending at a `\n`
/// (except possibly the last).
fn split_at_lines(text: &str, target: usize) -> Vec<&str> {
    let mut parts = Vec::with_capacity(text.len() / target + 1);
    let mut rest = text;
    while rest.len() > target {
        let cut = match rest.as_bytes()[target..].iter().position(|&b| b == b'\n') {
            Some(i) => target + i + 1,
            None => rest.len(),
        };
        let (a, b) = rest.split_at(cut);
        parts.push(a);
        rest = b;
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_documents_and_counts_add_up() {
        let p = Pretokenizer::new(Some("gpt2")).unwrap();
        let mut c = WordCounter::new(&p, None);
        c.add_lines("a b\na b\n").unwrap();
        let counts = c.into_counts().words;
        assert_eq!(counts.get("a"), Some(&2));
        assert_eq!(counts.get(" b"), Some(&2));
        assert_eq!(counts.get("\n"), Some(&2));
    }

    #[test]
    fn split_at_lines_covers_text() {
        let text = "aaa\nbb\nc\ndddd\n";
        let parts = split_at_lines(text, 3);
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|p| p.ends_with('\n')));
    }
}
