//! File formats: HF `tokenizer.json` ([`hf_json`]), tiktoken rank files ([`tiktoken`])
//! and SentencePiece `.model` files ([`spm`]).

pub mod hf_json;
pub mod spm;
pub mod tiktoken;
