//! Byte-pair encoding: the model ([`model`]) and its heap-based trainer ([`trainer`]).

pub mod backtrack;
mod cache;
pub mod dropout;
mod long_word;
pub mod model;
pub mod spm_bpe;
pub mod trainer;

pub use model::{BpeKind, BpeModel, BpeOptions};
pub use trainer::{train, TrainerConfig};
