//! Encoding many texts at once, on a pool of threads.
//!
//! [`Tokenizer::encode_batch`] returns every text's ids together.
//! [`Tokenizer::encode_batch_each`] hands them over in order, a group of
//! texts at a time, while the pool encodes the next group: a caller that
//! turns ids into something else (the Python bindings build a list per text,
//! which only one thread can do) then works beside the encoding instead of
//! after it.
//!
//! Performance notes (20 MB mixed sample, o200k, two threads):
//! - a pool built per call meant new threads, so new per-thread tables (the
//!   backtracking memo and the piece cache, 6 MB to allocate and fill) and
//!   a cold start every call: `examples/batch_bench.rs` (Rust, no lists)
//!   gave one thread 44-50 MB/s against 70 for a loop of single calls, and
//!   two threads 78-110. With pools kept per thread count
//!   (`crate::with_threads`): one thread 59-69, two 98-118 (three rounds
//!   each, after the first).
//! - from Python (`bench/encode.py`, `encode_ordinary_batch`), the lists
//!   were made after the whole batch, with the GIL, on one thread: the
//!   batch used 1.51-1.71 cores (the four toksmith batch rows of the run
//!   saved before this change, `git show 8519bbf:bench/results/2026-11-24/encode.log`).
//!   Made group by group beside the encoding of the next group
//!   ([`Tokenizer::encode_batch_each`], groups of 256 KB): 1.62-1.87 cores
//!   in the twelve toksmith batch rows of `bench/results/encode-2026-12-07.txt`.

use super::Tokenizer;
use crate::error::Result;
use rayon::prelude::*;

/// Texts of a group of [`Tokenizer::encode_batch_each`], at least this many
/// bytes (the last group may be smaller).
const GROUP_BYTES: usize = 256 * 1024;

impl Tokenizer {
    /// Encodes many texts in parallel on `num_threads` threads (see
    /// [`crate::with_threads`] for `None`).
    pub fn encode_batch<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        num_threads: Option<usize>,
        f: impl Fn(&Self, &str) -> Result<Vec<u32>> + Sync,
    ) -> Result<Vec<Vec<u32>>> {
        crate::with_threads(num_threads, || {
            texts
                .par_iter()
                .map(|t| f(self, t.as_ref()))
                .collect::<Result<Vec<_>>>()
        })
    }

    /// Encodes many texts in parallel like [`Self::encode_batch`], calling
    /// `each` on this thread with the ids of consecutive groups of texts, in
    /// order, while the pool encodes the following group. The first error
    /// (of `f`, or `each`'s own, of any type a core error converts into)
    /// stops the work and is returned.
    pub fn encode_batch_each<S: AsRef<str> + Sync, E: From<crate::Error>>(
        &self,
        texts: &[S],
        num_threads: Option<usize>,
        f: impl Fn(&Self, &str) -> Result<Vec<u32>> + Sync,
        mut each: impl FnMut(Vec<Vec<u32>>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let groups = groups(texts);
        if groups.len() <= 1 {
            return each(self.encode_batch(texts, num_threads, f)?);
        }
        let f = &f;
        std::thread::scope(|scope| {
            // One group ahead at most: the pool does not run far past a
            // caller that stopped.
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for g in groups {
                    let ids = self.encode_batch(g, num_threads, f);
                    let failed = ids.is_err();
                    if tx.send(ids).is_err() || failed {
                        break;
                    }
                }
            });
            for ids in rx {
                each(ids?)?;
            }
            Ok(())
        })
    }
}

/// `texts` cut into consecutive groups of at least [`GROUP_BYTES`].
fn groups<S: AsRef<str>>(texts: &[S]) -> Vec<&[S]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, t) in texts.iter().enumerate() {
        bytes += t.as_ref().len();
        if bytes >= GROUP_BYTES {
            out.push(&texts[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < texts.len() {
        out.push(&texts[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// Groups cover the texts in order, each at least `GROUP_BYTES` but the last.
    #[test]
    fn groups_cover_the_texts_in_order() {
        let texts: Vec<String> = (0..300).map(|i| "x".repeat(1 + i * 37 % 5000)).collect();
        let g = groups(&texts);
        assert!(g.len() > 1);
        assert_eq!(g.concat(), texts);
        for part in &g[..g.len() - 1] {
            assert!(part.iter().map(String::len).sum::<usize>() >= GROUP_BYTES);
        }
        assert!(groups::<&str>(&[]).is_empty());
    }

    fn tokenizer() -> Tokenizer {
        let bpe = crate::bpe::BpeModel::from_parts(
            crate::bpe::BpeKind::ByteLevel,
            (0..=255u8)
                .map(|b| crate::byte_level::byte_to_char(b).to_string())
                .collect(),
            &[],
            Default::default(),
        )
        .unwrap();
        Tokenizer::new(
            None,
            crate::pretokenize::Pretokenizer::new(Some("gpt2")).unwrap(),
            super::super::Model::Bpe(bpe),
            vec![],
            None,
        )
        .unwrap()
    }

    /// `encode_batch_each` hands over exactly `encode_batch`'s ids, in order,
    /// over many groups; an error of `f` or of `each` stops it and is returned.
    #[test]
    fn each_group_in_order_and_errors_stop() {
        let tok = tokenizer();
        let texts: Vec<String> = (0..2000)
            .map(|i| format!("text {i} {}\n", "é ab".repeat(i % 300)))
            .collect();
        let want = tok
            .encode_batch(&texts, Some(2), |t, s| t.encode_ordinary(s))
            .unwrap();
        let mut got = Vec::new();
        let mut calls = 0;
        tok.encode_batch_each(
            &texts,
            Some(2),
            |t, s| t.encode_ordinary(s),
            |ids| {
                calls += 1;
                got.extend(ids);
                Ok::<(), Error>(())
            },
        )
        .unwrap();
        assert!(calls > 1);
        assert_eq!(got, want);
        let bad = tok.encode_batch_each(
            &texts,
            Some(2),
            |t, s| {
                if s.starts_with("text 1500 ") {
                    Err(Error::invalid("text 1500"))
                } else {
                    t.encode_ordinary(s)
                }
            },
            |_| Ok::<(), Error>(()),
        );
        assert!(bad.unwrap_err().to_string().contains("text 1500"));
        let mut seen = 0;
        let stopped = tok.encode_batch_each(
            &texts,
            Some(2),
            |t, s| t.encode_ordinary(s),
            |_| {
                seen += 1;
                if seen == 2 {
                    Err(Error::invalid("enough"))
                } else {
                    Ok(())
                }
            },
        );
        assert!(stopped.unwrap_err().to_string().contains("enough"));
        assert_eq!(seen, 2);
    }
}
