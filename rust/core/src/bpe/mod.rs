//! Byte-pair encoding: the model ([`model`]) and its heap-based trainer ([`trainer`]).

pub mod backtrack;
pub mod cache;
mod crossing;
pub mod dropout;
mod long_word;
pub mod model;
mod ranked;
pub mod spm_bpe;
pub mod trainer;

pub use cache::{with_scratch, Scratch};
pub use model::{BpeKind, BpeModel, BpeOptions};
pub use trainer::{train, TrainerConfig};

/// A xorshift generator of test data (deterministic, seeded).
#[cfg(test)]
pub(crate) fn test_rng(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
