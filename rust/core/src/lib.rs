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
pub use tokenizer::Tokenizer;
