//! # toksmith
//!
//! A tokenizer toolkit: train and run byte-level and character-level BPE and
//! WordPiece, exactly compatible with HF `tokenizers` files and training. Pure Rust; the
//! Python bindings live in the `toksmith-py` crate.
//!
//! Pipeline: [`normalize`] → [`pretokenize`] → model ([`bpe`], [`wordpiece`]) → post-processor,
//! assembled in [`tokenizer::Tokenizer`]. Training counts pre-tokens
//! ([`counts`]) and runs the heap-based trainer ([`bpe::trainer`]).

pub mod bpe;
pub mod byte_level;
pub mod counts;
pub mod error;
pub mod formats;
pub mod normalize;
pub mod pretokenize;
pub mod tokenizer;
pub mod train;
pub mod unigram;
pub mod wordpiece;

pub use error::{Error, ErrorKind, Result};

/// Writes a file without ever leaving it half-written: `write` fills a
/// temporary file beside `path`, which is then renamed over it; on any error
/// the temporary file is removed and `path` is untouched.
pub fn write_atomic(
    path: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{}: not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let res =
        write(&tmp).and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Runs `f` on a rayon pool of `threads` threads, or on the global pool (all
/// cores) when `threads` is `None` or 0.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    match threads {
        None | Some(0) => f(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| Error::invalid(format!("cannot start {n} threads: {e}")))?
            .install(f),
    }
}
pub use tokenizer::Tokenizer;
