//! File formats: HF `tokenizer.json` ([`hf_json`], Unigram models in
//! [`hf_unigram`]), tiktoken rank files ([`tiktoken`])
//! and SentencePiece `.model` files ([`spm`]).

pub mod hf_json;
pub mod hf_unigram;
pub mod spm;
pub mod tiktoken;
