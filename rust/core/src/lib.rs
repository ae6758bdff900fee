//! # toksmith
//!
//! A tokenizer toolkit: train and run byte-level and character-level BPE,
//! exactly compatible with HF `tokenizers` files and training. Pure Rust; the
//! Python bindings live in the `toksmith-py` crate.
//!
//! Pipeline: [`normalize`] → [`pretokenize`] → model ([`bpe`]) → post-processor,
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

pub use error::{Error, ErrorKind, Result};

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
