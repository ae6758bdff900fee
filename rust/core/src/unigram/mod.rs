//! The Unigram language model (Kudo 2018), exactly as SentencePiece 0.2.3
//! implements it.
//!
//! - [`model`]: [`UnigramModel`], the scored vocabulary and its encoders
//!   (Viterbi `encode`, `nbest`, `sample`), giving SentencePiece's exact ids.
//! - [`trainer`]: SentencePiece's EM trainer over counted words
//!   ([`train`], [`UnigramTrainerConfig`]).
//! - [`hf`]: [`HfUnigram`], the same model with HF `tokenizers`' semantics,
//!   for `tokenizer.json` files.
//!
//! Text normalization and the `.model` file format live elsewhere; everything
//! here works on already-normalized text (spaces already replaced by `▁`).

mod em;
pub mod hf;
pub(crate) mod lattice;
pub mod model;
mod script;
mod seed;
pub mod trainer;
mod trie;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod trainer_tests;

pub use hf::HfUnigram;
pub use model::{Piece, PieceKind, Span, UnigramModel};
pub use trainer::{train, UnigramTrainerConfig};
